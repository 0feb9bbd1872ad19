/*
 * claim.c - the alert claim and the alert's facts.
 *
 * A crossing is claimed with SET sf:{S}:a:KIND TOKEN NX GET EX suppress:
 * nil back means this SET created the claim; a token back is the holder's,
 * ours when an earlier try of the same flush set it (TOKEN is
 * "COLLECTOR/RUN/SEQ": RUN random per process, SEQ the claim round, so a
 * claim whose reply was lost with the connection is recognised on retry,
 * and only then).  The same batch reads the facts of the alert from the
 * window: the distinct counts over the window's buckets (exact.c), flows
 * (MGET), first/last/exporters, the top net and the samples.  Claims go
 * CLAIM_CHUNK at a time, as each reads back up to 80 samples.
 */
#include "claim.h"
#include "exact.h"
#include "keys.h"
#include "window.h"

#include <string.h>

struct sf_claimer {
    char       *collector;
    gint        suppress_s;
    guint32     run;            /* claim token: random per process */
    guint64     seq;            /* claim token: rounds completed */
    char        token[160];
};

sf_claimer_t *sf_claimer_new(const char *collector, gint suppress_s)
{
    sf_claimer_t *k = g_new0(sf_claimer_t, 1);

    k->collector = g_strdup(collector);
    k->suppress_s = suppress_s;
    k->run = g_random_int();
    return k;
}

void sf_claimer_free(sf_claimer_t *k)
{
    if (k == NULL)
        return;
    g_free(k->collector);
    g_free(k);
}

#define N_CLAIM_REPLIES 10

/* One command per bucket key of sk DIM: PFCOUNT or MGET over b0..b1. */
static void over_buckets(sf_pipe_t *p, const char *cmd, const char *sk,
                         const char *dim, gint64 b0, gint64 b1)
{
    char prefix[SF_KEY_LEN];

    sf_key_of(prefix, sk, dim);
    sf_pipe_cmd(p, cmd);
    for (gint64 b = b0; b <= b1; b++)
        sf_pipe_prefix_int(p, prefix, b);
    sf_pipe_end(p);
}

/* The claim, then the facts: N_CLAIM_REPLIES commands. */
static void claim_commands(sf_claimer_t *k, sf_pipe_t *p, gint64 b0,
                           gint64 b1, const sf_window_claim_t *cl,
                           const sf_window_counts_t *c)
{
    char sk[SF_KEY_SOURCE_LEN], prefix[SF_KEY_LEN];

    if (c->src_prefix)
        sf_key_network(sk, &c->src, c->src_prefix);
    else
        sf_key_source(sk, &c->src);
    sf_pipe_cmd(p, "SET");
    sf_pipe_str(p, sf_key_claim(prefix, sk, sf_alert_kind_name(cl->kind)));
    sf_pipe_str(p, k->token);
    sf_pipe_str(p, "NX");
    sf_pipe_str(p, "GET");
    sf_pipe_str(p, "EX");
    sf_pipe_int(p, k->suppress_s);
    sf_pipe_end(p);
    sf_exact_count(p, sk, SF_KEY_PORTS, b0, b1);
    sf_exact_count(p, sk, SF_KEY_ADDRS, b0, b1);
    sf_exact_count(p, sk, SF_KEY_NETS, b0, b1);
    over_buckets(p, "MGET", sk, SF_KEY_FLOWS, b0, b1);
    sf_key_of(prefix, sk, SF_KEY_META);
    sf_pipe_cmd(p, "ZRANGE");
    sf_pipe_str(p, prefix);
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "-1");
    sf_pipe_str(p, "WITHSCORES");
    sf_pipe_end(p);
    sf_key_of(prefix, sk, SF_KEY_TOP);
    sf_pipe_cmd(p, "ZREVRANGE");
    sf_pipe_str(p, prefix);
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "WITHSCORES");
    sf_pipe_end(p);
    sf_key_of(prefix, sk, SF_KEY_SAMPLES);
    sf_pipe_cmd(p, "LRANGE");
    sf_pipe_str(p, prefix);
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "-1");
    sf_pipe_end(p);
    /* a network's members (a source has none: 0 and an empty list) */
    sf_exact_count(p, sk, SF_KEY_MEMBERS, b0, b1);
    sf_key_of(prefix, sk, SF_KEY_MEMBER_SAMPLES);
    sf_pipe_cmd(p, "LRANGE");
    sf_pipe_str(p, prefix);
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "-1");
    sf_pipe_end(p);
}

static gint64 reply_int(const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return g_ascii_strtoll(r->str, NULL, 10);
    return 0;
}

static void parse_meta(sf_alert_facts_t *f, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const char *name = r->element[i]->str;
        gint64 score = reply_int(r->element[i + 1]);

        if (name == NULL)
            continue;
        if (strcmp(name, "first") == 0)
            f->first_seen_ms = -score;
        else if (strcmp(name, "last") == 0)
            f->last_seen_ms = score;
        else if (g_str_has_prefix(name, "x:")
                 && f->n_exporters < G_N_ELEMENTS(f->exporters))
            f->exporters[f->n_exporters++] = g_strdup(name + 2);
    }
}

static gboolean has_host(const sf_alert_facts_t *f, const char *h)
{
    for (guint i = 0; i < f->n_sample_hosts; i++)
        if (strcmp(f->sample_hosts[i], h) == 0)
            return TRUE;
    return FALSE;
}

static gboolean has_source(const sf_alert_facts_t *f, const char *s)
{
    for (guint i = 0; i < f->n_sample_sources; i++)
        if (strcmp(f->sample_sources[i], s) == 0)
            return TRUE;
    return FALSE;
}

static gboolean has_port(const sf_alert_facts_t *f, guint16 port)
{
    for (guint i = 0; i < f->n_sample_ports; i++)
        if (f->sample_ports[i] == port)
            return TRUE;
    return FALSE;
}

static void parse_samples(sf_alert_facts_t *f, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < r->elements; i++) {
        const char *e = r->element[i]->str;
        guint64 port;

        if (e == NULL)
            continue;
        if (g_str_has_prefix(e, "p:")
            && g_ascii_string_to_unsigned(e + 2, 10, 0, 65535, &port, NULL)
            && f->n_sample_ports < SF_ALERT_MAX_SAMPLES
            && !has_port(f, (guint16)port))
            f->sample_ports[f->n_sample_ports++] = (guint16)port;
        else if (g_str_has_prefix(e, "h:")
                 && f->n_sample_hosts < SF_ALERT_MAX_SAMPLES
                 && !has_host(f, e + 2))
            f->sample_hosts[f->n_sample_hosts++] = g_strdup(e + 2);
    }
}

static void parse_claim(const sf_claimer_t *k, sf_window_claim_t *cl,
                        redisReply **r)
{
    sf_alert_facts_t *f = &cl->facts;

    /* NX GET: nil when this SET created the claim; the holder's token
     * otherwise, ours when an earlier try of this flush set it. */
    cl->won = r[0]->type == REDIS_REPLY_NIL
              || (r[0]->type == REDIS_REPLY_STRING
                  && strcmp(r[0]->str, k->token) == 0);
    f->distinct_ports = reply_int(r[1]);
    f->distinct_hosts = reply_int(r[2]);
    f->distinct_nets24 = reply_int(r[3]);
    if (r[4]->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r[4]->elements; i++)
            f->flows += reply_int(r[4]->element[i]);
    parse_meta(f, r[5]);
    if (r[6]->type == REDIS_REPLY_ARRAY && r[6]->elements == 2
        && r[6]->element[0]->str) {
        g_strlcpy(f->top_net24, r[6]->element[0]->str, sizeof f->top_net24);
        f->hosts_in_top_net24 = reply_int(r[6]->element[1]);
    }
    parse_samples(f, r[7]);
    f->distinct_sources = reply_int(r[8]);
    if (r[9]->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r[9]->elements
                           && f->n_sample_sources < SF_ALERT_MAX_SAMPLES; i++)
            if (r[9]->element[i]->str && !has_source(f, r[9]->element[i]->str))
                f->sample_sources[f->n_sample_sources++] =
                    g_strdup(r[9]->element[i]->str);
}

#define CLAIM_CHUNK 64

/* Claims [i0, i1): a few at a time, as each reads back up to 80 samples. */
static gboolean claim_some(sf_claimer_t *k, sf_pipe_t *p, gint64 b0,
                           gint64 b1, const GArray *counts, GArray *claims,
                           guint i0, guint i1, GError **err)
{
    for (guint i = i0; i < i1; i++) {
        sf_window_claim_t *cl = &g_array_index(claims, sf_window_claim_t, i);
        claim_commands(k, p, b0, b1, cl,
                       &g_array_index(counts, sf_window_counts_t,
                                      cl->counts_index));
    }
    for (guint i = i0; i < i1; i++) {
        sf_window_claim_t *cl = &g_array_index(claims, sf_window_claim_t, i);
        redisReply *r[N_CLAIM_REPLIES] = {NULL};
        gboolean ok = TRUE;

        for (guint j = 0; j < N_CLAIM_REPLIES && ok; j++)
            ok = (r[j] = sf_pipe_reply(p, err)) != NULL;
        if (ok)
            parse_claim(k, cl, r);
        for (guint j = 0; j < N_CLAIM_REPLIES; j++)
            if (r[j])
                freeReplyObject(r[j]);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

gboolean sf_claimer_run(sf_claimer_t *k, sf_pipe_t *p, gint64 b0, gint64 b1,
                        const GArray *counts, GArray *claims, GError **err)
{
    g_snprintf(k->token, sizeof k->token, "%s/%08x/%" G_GUINT64_FORMAT,
               k->collector, k->run, k->seq);
    for (guint i0 = 0; i0 < claims->len; i0 += CLAIM_CHUNK)
        if (!claim_some(k, p, b0, b1, counts, claims, i0,
                        MIN(claims->len, i0 + CLAIM_CHUNK), err))
            return FALSE;
    if (claims->len)
        k->seq++;
    return TRUE;
}
