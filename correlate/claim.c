/*
 * claim.c - the alert claim and the alert's facts.
 *
 * A crossing is claimed by a script (one slot: the claim sf:{S}:a:KIND and
 * the record of the last alert sf:{S}:r:KIND) that sets the claim to
 * TOKEN for the suppression period when the alert is not out, and says
 * whether this collector won, the id of the alert and the id it
 * escalates.  An alert of (S, KIND) is out while its claim is held, and,
 * for a crossing of a longer horizon than the alert's, while the alert is
 * younger than that horizon (its probes are still in that horizon's
 * counts).  An alert that is out is not repeated unless a longer horizon
 * than its own crossed with four times its count: then the new alert
 * escalates it.
 * A held claim that is ours (TOKEN is "COLLECTOR/RUN/SEQ": RUN random per
 * process, SEQ the claim round) is a retry of the same flush whose reply
 * was lost with the connection: won again, with the same id.  A claim of
 * a longer horizon of S seconds holds for max(S, --suppress): a slow scan
 * stays above a one-day horizon's threshold all day.
 *
 * The same batch reads the facts of the alert from the crossing horizon:
 * the distinct counts over its buckets (exact.c), flows (MGET),
 * first/last/exporters, the top net and the samples.  Claims go
 * CLAIM_CHUNK at a time, as each reads back up to 80 samples.
 */
#include "claim.h"
#include "exact.h"
#include "keys.h"
#include "window.h"

#include <string.h>

/* KEYS: claim, record.  ARGV: token, claim TTL (s), count, horizon (s),
 * now (ms), a fresh id, record TTL (s).  Returns {won, escalates, id}. */
static const char claim_script[] =
    "local k,a=KEYS,ARGV "
    "local held=redis.call('GET',k[1]) "
    "local r=redis.call('HMGET',k[2],'id','n','w','t','e') "
    "if held==a[1] then return {1,r[5] or '',r[1] or a[6]} end "
    "local c,h,now=tonumber(a[3]),tonumber(a[4]),tonumber(a[5]) "
    "local esc='' "
    "if held or (r[3] and tonumber(r[3])<h and now-tonumber(r[4])<h*1000) "
    "then if not r[2] or h<=tonumber(r[3]) or c<4*tonumber(r[2]) "
    "then return {0,'',''} end "
    "esc=r[1] end "
    "redis.call('SET',k[1],a[1],'EX',a[2]) "
    "redis.call('HSET',k[2],'id',a[6],'n',c,'w',h,'t',now,'e',esc) "
    "redis.call('EXPIRE',k[2],a[7]) "
    "return {1,esc,a[6]}";

struct sf_claimer {
    char       *collector;
    gint        suppress_s;
    gint64      record_ttl_s;
    guint32     run;            /* claim token: random per process */
    guint64     seq;            /* claim token: rounds completed */
    char        token[160];
};

sf_claimer_t *sf_claimer_new(const char *collector, gint suppress_s,
                             gint64 record_ttl_s)
{
    sf_claimer_t *k = g_new0(sf_claimer_t, 1);

    k->collector = g_strdup(collector);
    k->suppress_s = suppress_s;
    k->record_ttl_s = MAX(record_ttl_s, suppress_s);
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

/* Replies of a claim's commands; one fewer for an IPv4 entity, whose
 * hosts and nets come back in one reply (sf_exact_count4). */
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

/* The claim script's call for cl, whose horizon is h (now: ms). */
static void claim_call(sf_claimer_t *k, sf_pipe_t *p, const char *sk,
                       const sf_window_claim_t *cl, const sf_horizon_t *h,
                       gint64 now_ms)
{
    char key[SF_KEY_LEN];
    g_autofree char *id = g_uuid_string_random();
    const char *kind = sf_alert_kind_name(cl->kind);

    sf_pipe_cmd(p, "EVAL");
    sf_pipe_arg(p, claim_script, sizeof claim_script - 1);
    sf_pipe_str(p, "2");
    sf_pipe_str(p, sf_key_claim(key, sk, kind));
    sf_pipe_str(p, sf_key_record(key, sk, kind));
    sf_pipe_str(p, k->token);
    sf_pipe_int(p, cl->horizon ? MAX(k->suppress_s, h->seconds)
                               : k->suppress_s);
    sf_pipe_int(p, MAX(cl->count, 0));
    sf_pipe_int(p, h->seconds);
    sf_pipe_int(p, now_ms);
    sf_pipe_str(p, id);
    sf_pipe_int(p, k->record_ttl_s);
    sf_pipe_end(p);
}

/* The claim, then the facts: N_CLAIM_REPLIES commands.  hz: the horizons,
 * hz_bucket: their buckets of this flush. */
static void claim_commands(sf_claimer_t *k, sf_pipe_t *p,
                           const sf_horizon_t *hz, const gint64 *hz_bucket,
                           gint64 now_ms, const sf_window_claim_t *cl,
                           const sf_window_counts_t *c)
{
    char sk[SF_KEY_SOURCE_LEN], prefix[SF_KEY_LEN], dim[SF_KEY_HDIM_LEN];
    const sf_horizon_t *h = &hz[cl->horizon];
    gint64 b1 = hz_bucket[cl->horizon];
    gint64 b0 = sf_horizon_first_bucket(h, b1);
    gint sec = cl->horizon ? h->seconds : 0;

    if (c->src_prefix)
        sf_key_network(sk, &c->src, c->src_prefix);
    else
        sf_key_source(sk, &c->src);
    claim_call(k, p, sk, cl, h, now_ms);
    sf_exact_count(p, sk, sf_key_horizon_dim(dim, SF_KEY_PORTS, sec), b0, b1);
    if (sf_addr_is_v4(&c->src)) {
        sf_exact_count4(p, sk, sec, b0, b1, NULL, 0, NULL);
    } else {
        sf_exact_count(p, sk, sf_key_horizon_dim(dim, SF_KEY_ADDRS, sec),
                       b0, b1);
        sf_exact_count(p, sk, sf_key_horizon_dim(dim, SF_KEY_NETS, sec),
                       b0, b1);
    }
    over_buckets(p, "MGET", sk, sf_key_horizon_dim(dim, SF_KEY_FLOWS, sec),
                 b0, b1);
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

/* The claim script's reply: {won, escalates, id}. */
static void parse_won(sf_window_claim_t *cl, const redisReply *r)
{
    sf_alert_facts_t *f = &cl->facts;

    cl->won = r->type == REDIS_REPLY_ARRAY && r->elements == 3
              && r->element[0]->type == REDIS_REPLY_INTEGER
              && r->element[0]->integer == 1;
    if (!cl->won)
        return;
    if (r->element[1]->type == REDIS_REPLY_STRING)
        g_strlcpy(f->escalates, r->element[1]->str, sizeof f->escalates);
    if (r->element[2]->type == REDIS_REPLY_STRING)
        g_strlcpy(f->id, r->element[2]->str, sizeof f->id);
}

/* An IPv4 entity's hosts, nets and top net (sf_exact_count4). */
static void parse_dests4(sf_alert_facts_t *f, const redisReply *r)
{
    guint8 net[3];

    if (sf_exact_parse4(r, &f->distinct_hosts, &f->distinct_nets24, net,
                        &f->hosts_in_top_net24)
        && f->hosts_in_top_net24 > 0)
        sf_key_net_text(net, 3, f->top_net24);
}

/* r: the claim's replies; v4: an IPv4 entity's (one fewer, r[2] from
 * sf_exact_count4), shifted back by one here. */
static void parse_claim(const sf_claimer_t *k, sf_window_claim_t *cl,
                        redisReply **r, gboolean v4)
{
    sf_alert_facts_t *f = &cl->facts;
    redisReply *t[N_CLAIM_REPLIES], **r0 = r;

    (void)k;
    parse_won(cl, r[0]);
    f->distinct_ports = reply_int(r[1]);
    if (v4) {
        parse_dests4(f, r[2]);
        r = t;          /* the replies from flows on, one place later */
        memcpy(t + 4, r0 + 3, (N_CLAIM_REPLIES - 4) * sizeof *t);
    } else {
        f->distinct_hosts = reply_int(r[2]);
        f->distinct_nets24 = reply_int(r[3]);
    }
    if (r[4]->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r[4]->elements; i++)
            f->flows += reply_int(r[4]->element[i]);
    parse_meta(f, r[5]);
    if (r[6]->type == REDIS_REPLY_ARRAY && r[6]->elements == 2
        && r[6]->element[0]->str
        && reply_int(r[6]->element[1]) > f->hosts_in_top_net24) {
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

/* A claim of a longer horizon: its top net is the one its counts found
 * (sf:{S}:top remembers the base window's). */
static void longer_top(sf_window_claim_t *cl, const sf_window_counts_t *c)
{
    const sf_window_hcounts_t *h;

    if (cl->horizon == 0 || c->src_prefix)
        return;
    h = &c->longer[cl->horizon - 1];
    if (h->top_net_len == 0 || h->top_hosts < cl->facts.hosts_in_top_net24)
        return;
    sf_key_net_text(h->top_net, h->top_net_len, cl->facts.top_net24);
    cl->facts.hosts_in_top_net24 = h->top_hosts;
}

/* Claims [i0, i1): a few at a time, as each reads back up to 80 samples. */
static gboolean claim_some(sf_claimer_t *k, sf_pipe_t *p,
                           const sf_horizon_t *hz, const gint64 *hz_bucket,
                           gint64 now_ms, const GArray *counts,
                           GArray *claims, guint i0, guint i1, GError **err)
{
    for (guint i = i0; i < i1; i++) {
        sf_window_claim_t *cl = &g_array_index(claims, sf_window_claim_t, i);
        claim_commands(k, p, hz, hz_bucket, now_ms, cl,
                       &g_array_index(counts, sf_window_counts_t,
                                      cl->counts_index));
    }
    for (guint i = i0; i < i1; i++) {
        sf_window_claim_t *cl = &g_array_index(claims, sf_window_claim_t, i);
        const sf_window_counts_t *c =
            &g_array_index(counts, sf_window_counts_t, cl->counts_index);
        gboolean v4 = sf_addr_is_v4(&c->src), ok = TRUE;
        guint n = N_CLAIM_REPLIES - (v4 ? 1 : 0);
        redisReply *r[N_CLAIM_REPLIES] = {NULL};

        for (guint j = 0; j < n && ok; j++)
            ok = (r[j] = sf_pipe_reply(p, err)) != NULL;
        if (ok) {
            parse_claim(k, cl, r, v4);
            longer_top(cl, &g_array_index(counts, sf_window_counts_t,
                                          cl->counts_index));
        }
        for (guint j = 0; j < n; j++)
            if (r[j])
                freeReplyObject(r[j]);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

gboolean sf_claimer_run(sf_claimer_t *k, sf_pipe_t *p, const sf_horizon_t *hz,
                        const gint64 *hz_bucket, gint64 now_ms,
                        const GArray *counts, GArray *claims, GError **err)
{
    g_snprintf(k->token, sizeof k->token, "%s/%08x/%" G_GUINT64_FORMAT,
               k->collector, k->run, k->seq);
    for (guint i0 = 0; i0 < claims->len; i0 += CLAIM_CHUNK)
        if (!claim_some(k, p, hz, hz_bucket, now_ms, counts, claims, i0,
                        MIN(claims->len, i0 + CLAIM_CHUNK), err))
            return FALSE;
    if (claims->len)
        k->seq++;
    return TRUE;
}
