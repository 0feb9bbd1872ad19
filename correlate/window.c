/*
 * window.c - the sliding window in Redis: phase 1 of a flush.
 *
 * Design (measured; see README-design.md): time buckets of window/10
 * seconds (30 s by default) on the collectors' arrival clock.  Each flush
 * PFADDs its distinct elements into the current bucket's HyperLogLog and
 * the window's count is a multi-key PFCOUNT over the last 11 buckets (the
 * union is computed server-side and never cached, which is why the count
 * is asked only for dimensions that grew in this flush).  The window thus
 * slides in steps of one bucket: it covers between 300 and 330 s.  Merging
 * locally built sketches (PFMERGE) was the alternative; a flush holds few
 * elements per source, and PFADD of 2-16 byte elements costs fewer bytes
 * than a sparse sketch string (3+ bytes per register run plus a 16-byte
 * header) in all but the densest flushes.
 *
 * Longer horizons (--horizon, horizon.c) are rolled up as they are
 * written: each new element of a source goes, in the same pipeline, into
 * the current bucket of every horizon (a bucket of S / 10 seconds, so the
 * one-day horizon's count is a union of 11 buckets too, not of 2,880
 * 30-second ones), and the counts of the dimensions that grew are asked
 * per horizon.  What the seen table skips (elements already written in
 * the base bucket) is held by the longer horizons' buckets as well, as
 * they contain the base bucket (when their lengths are multiples of its
 * length, as with the defaults); and of what is new in the base bucket,
 * what a longer horizon's current bucket already holds (seen.c keeps a
 * table per longer horizon) is not written there again, and that
 * horizon's counts are asked only for the keys it did write into.
 * Networks of sources have the base window only.
 *
 * An IPv4 entity's destinations go into one set per bucket and horizon
 * (xd, write_addrs4): its nets and the hosts of each net are derived from
 * the set's members, all three counted by one script call per horizon
 * (sf_exact_count4, with the top net over all its nets); the per-net keys
 * exist only once the set overflowed.  IPv6 keeps a key per dimension.
 *
 * The key layout is drawn in keys.c.  Phase 1 (this file) writes a
 * flush's aggregate into the current bucket's keys and reads back the
 * counts of the dimensions that grew; what Redis already holds is known
 * from seen.c, so that a flush sends only what may change something.
 * Phase 2 records fan-out for `scanflow top` (fanout.c) and claims the
 * threshold crossings that the rules found (claim.c).
 */
#include "window.h"
#include "claim.h"
#include "exact.h"
#include "fanout.h"
#include "keys.h"
#include "seen.h"

#include <string.h>

#define SAMPLES_PER_FLUSH 10

enum { PLAN_IGNORE, PLAN_PORTS, PLAN_NETS, PLAN_HOSTS, PLAN_ADDRS,
       PLAN_DESTS, PLAN_TOP, PLAN_MEMBERS, PLAN_CLAIMED, PLAN_SAMPLING };

/* What a reply of phase 1 is for. */
typedef struct plan {
    guint  ci;          /* index in counts */
    guint8 what;
    guint8 hz;          /* horizon of a count */
    guint8 net_len;
    guint8 net[8];
} plan_t;

struct sf_window {
    const sf_correlate_config_t *cfg;
    gint64      bucket;         /* of the flush being written */
    gint64      n_back;         /* buckets before the current one */
    gint64      ttl;
    const sf_horizon_t *hz;     /* cfg->horizons */
    guint       n_hz_all;       /* cfg->horizons->len */
    guint       n_hz;           /* horizons written for this entity: all
                                   for a source, 1 for a network */
    gboolean    v4;             /* the entity is IPv4: its destinations'
                                   nets and hosts come from its xd sets */
    gint64      hz_bucket[SF_HORIZON_MAX];  /* of the flush */
    gint64      hz_ttl[SF_HORIZON_MAX];
    gint64      ttl_long;       /* m and s: the longest horizon's TTL */
    guint       plan_hz;        /* horizon of the counts being planned */
    sf_pipe_t  *pipe;           /* during update */
    GArray     *counts;         /* during update */
    GArray     *plan;
    guint       plan_read;      /* replies of plan[0..plan_read) read */
    GError     *error;          /* first failure while walking */
    GByteArray *elems;
    GByteArray *grown;          /* per tracked net: a host was new */
    GByteArray *hz_elems;       /* pfadd_longer: what a horizon lacks */
    GArray     *hz_grown;       /* guint64 hz_grown_id() of the longer
                                   horizons' keys the source wrote */
    gboolean    sampled;        /* a source with sampled evidence was
                                   written: from then on every source's
                                   interval is (write_sampling) */
    sf_seen_t  *seen;
    sf_claimer_t *claimer;
    guint       walk_ci;        /* network walk: the source's counts entry */
    sf_window_alerted_fn alerted;
    void       *alerted_user;
};

void sf_window_set_alerted(sf_window_t *w, sf_window_alerted_fn fn,
                           void *user)
{
    w->alerted = fn;
    w->alerted_user = user;
}

sf_window_t *sf_window_new(const sf_correlate_config_t *cfg,
                           const char *collector)
{
    sf_window_t *w = g_new0(sf_window_t, 1);

    w->cfg = cfg;
    w->claimer = sf_claimer_new(
        collector, cfg->suppress_s,
        sf_horizon_ttl(&g_array_index(cfg->horizons, sf_horizon_t,
                                      cfg->horizons->len - 1)));
    w->n_back = (cfg->window_s + cfg->bucket_s - 1) / cfg->bucket_s;
    w->ttl = cfg->window_s + 2 * cfg->bucket_s;
    w->hz = (const sf_horizon_t *)cfg->horizons->data;
    w->n_hz_all = cfg->horizons->len;
    for (guint k = 0; k < w->n_hz_all; k++)
        w->hz_ttl[k] = k == 0 ? w->ttl : sf_horizon_ttl(&w->hz[k]);
    w->ttl_long = w->hz_ttl[w->n_hz_all - 1];
    w->plan = g_array_new(FALSE, FALSE, sizeof(plan_t));
    w->elems = g_byte_array_new();
    w->grown = g_byte_array_new();
    w->hz_elems = g_byte_array_new();
    w->hz_grown = g_array_new(FALSE, FALSE, sizeof(guint64));
    w->seen = sf_seen_new((guint)cfg->max_nets_per_source,
                          w->n_hz_all - 1);
    return w;
}

void sf_window_free(sf_window_t *w)
{
    if (w == NULL)
        return;
    sf_claimer_free(w->claimer);
    g_clear_error(&w->error);
    g_array_unref(w->plan);
    g_byte_array_unref(w->elems);
    g_byte_array_unref(w->grown);
    g_byte_array_unref(w->hz_elems);
    g_array_unref(w->hz_grown);
    sf_seen_free(w->seen);
    g_free(w);
}

void sf_window_forget(sf_window_t *w)
{
    sf_seen_forget(w->seen);
}

void sf_window_commit(sf_window_t *w)
{
    sf_seen_commit(w->seen);
}

void sf_window_get_stats(const sf_window_t *w, sf_window_stats_t *out)
{
    sf_seen_get_stats(w->seen, &out->seen_evicted, &out->nets_capped);
}

static void add_plan(sf_window_t *w, guint ci, guint8 what,
                     const sf_agg_net_t *net)
{
    plan_t pl = {ci, what, (guint8)w->plan_hz, 0, {0}};

    if (net) {
        pl.net_len = net->net_len;
        memcpy(pl.net, net->net, net->net_len);
    }
    g_array_append_val(w->plan, pl);
}

/* Plans n ignored replies. */
static void plan_ignored(sf_window_t *w, guint ci, guint n)
{
    while (n-- > 0)
        add_plan(w, ci, PLAN_IGNORE, NULL);
}

/* Sends cmd, plans an ignored reply; then EXPIRE key, ignored too, unless
 * key_bit (SF_SEEN_K_*) says it was set in this bucket already (0: always). */
static void end_and_expire_ttl(sf_window_t *w, guint ci, const char *key,
                               guint32 key_bit, gint64 ttl)
{
    sf_pipe_end(w->pipe);
    add_plan(w, ci, PLAN_IGNORE, NULL);
    if (key_bit && !sf_seen_expire_needed(w->seen, key_bit))
        return;
    sf_pipe_key_int(w->pipe, "EXPIRE", key, ttl);
    add_plan(w, ci, PLAN_IGNORE, NULL);
}

static void end_and_expire(sf_window_t *w, guint ci, const char *key,
                           guint32 key_bit)
{
    end_and_expire_ttl(w, ci, key, key_bit, w->ttl);
}

/* dim ("p:", "h:NET:", ...) of horizon k into buf (SF_KEY_HDIM_LEN). */
static const char *hz_dim(const sf_window_t *w, char *buf, const char *dim,
                          guint k)
{
    return sf_key_horizon_dim(buf, dim, k ? w->hz[k].seconds : 0);
}

/* The seen table's EXPIRE bit of a key of horizon k: 8 bits a horizon. */
static guint32 hz_bit(guint32 key_bit, guint k)
{
    return key_bit << (8 * k);
}

/* The window's count of "sf:{S}:<dim>": exact below SF_EXACT_CAP per
 * bucket, else PFCOUNT over the buckets (exact.c). */
static void count_union(sf_window_t *w, const char *sk, const char *dim,
                        guint ci, guint8 what, const sf_agg_net_t *net)
{
    sf_exact_count(w->pipe, sk, dim, w->bucket - w->n_back, w->bucket);
    add_plan(w, ci, what, net);
}

/* The same count over horizon k >= 1 (its own buckets and keys). */
static void count_horizon(sf_window_t *w, const char *sk, const char *dim,
                          guint k, guint ci, guint8 what,
                          const sf_agg_net_t *net)
{
    char hdim[SF_KEY_HDIM_LEN];
    gint64 b = w->hz_bucket[k];

    sf_exact_count(w->pipe, sk, hz_dim(w, hdim, dim, k),
                   sf_horizon_first_bucket(&w->hz[k], b), b);
    w->plan_hz = k;
    add_plan(w, ci, what, net);
    w->plan_hz = 0;
}

/* Names dim ("p:", "h:NET:", ...) of longer horizon k in w->hz_grown. */
static guint64 hz_grown_id(const char *dim, guint k)
{
    return sf_seen_fingerprint((char)('0' + k), NULL, 0,
                               (const guint8 *)dim, strlen(dim));
}

/* TRUE: the visited source wrote new elements into dim of horizon k. */
static gboolean hz_grew(const sf_window_t *w, const char *dim, guint k)
{
    guint64 id = hz_grown_id(dim, k);

    for (guint i = 0; i < w->hz_grown->len; i++)
        if (g_array_index(w->hz_grown, guint64, i) == id)
            return TRUE;
    return FALSE;
}

/* Of the n elements of len bytes, those horizon k's current bucket of dim
 * does not hold (seen.c) into w->hz_elems; returns how many. */
static guint hz_new(sf_window_t *w, const char *dim, guint k,
                    const guint8 *elems, guint n, guint len)
{
    gsize dlen = strlen(dim);
    guint m = 0;

    g_byte_array_set_size(w->hz_elems, (guint)n * len);
    for (guint i = 0; i < n; i++) {
        const guint8 *e = elems + (gsize)i * len;

        if (sf_seen_element_in(w->seen,
                               sf_seen_fingerprint('x', (const guint8 *)dim,
                                                   dlen, e, len),
                               k, w->hz_bucket[k]))
            continue;
        memcpy(w->hz_elems->data + (gsize)m++ * len, e, len);
    }
    return m;
}

/* PFADD (with the exact twin) into the current bucket of dim in every
 * longer horizon of the entity (k >= 1) of those of the n elements of len
 * bytes that the bucket does not hold yet. */
static void pfadd_longer(sf_window_t *w, const char *sk, const char *dim,
                         guint ci, const guint8 *elems, guint n, guint len,
                         guint32 key_bit)
{
    for (guint k = 1; k < w->n_hz; k++) {
        char hdim[SF_KEY_HDIM_LEN], key[SF_KEY_LEN], set[SF_KEY_LEN];
        guint m = hz_new(w, dim, k, elems, n, len);
        guint64 id = hz_grown_id(dim, k);

        if (m == 0)
            continue;
        g_array_append_val(w->hz_grown, id);
        hz_dim(w, hdim, dim, k);
        sf_key_bucket(key, sk, hdim, w->hz_bucket[k]);
        plan_ignored(w, ci, sf_exact_add_begin(w->pipe, key,
                           sf_exact_set_key(set, sk, hdim, w->hz_bucket[k]),
                           w->hz_ttl[k], len, m));
        for (guint i = 0; i < m; i++)
            sf_pipe_arg(w->pipe, w->hz_elems->data + (gsize)i * len, len);
        end_and_expire_ttl(w, ci, key, key_bit ? hz_bit(key_bit, k) : 0,
                           w->hz_ttl[k]);
    }
}

/* PFADD into key (sk dim bucket) and its exact twin set; the elements
 * follow (of differing lengths: a source with IPv4 and IPv6 targets
 * cannot occur in one flow, but costs nothing to get right). */
static void pfadd_begin(sf_window_t *w, const char *key, const char *sk,
                        const char *dim, guint ci, guint len, guint n)
{
    char set[SF_KEY_LEN];

    plan_ignored(w, ci, sf_exact_add_begin(w->pipe, key,
                                           sf_exact_set_key(set, sk, dim,
                                                            w->bucket),
                                           w->ttl, len, n));
}

static void pfadd(sf_window_t *w, const char *key, const char *sk,
                  const char *dim, guint ci, const guint8 *elems, guint n,
                  guint len, guint32 key_bit)
{
    pfadd_begin(w, key, sk, dim, ci, len, n);
    for (guint i = 0; i < n; i++)
        sf_pipe_arg(w->pipe, elems + (gsize)i * len, len);
    end_and_expire(w, ci, key, key_bit);
}

/* Each returns TRUE when it PFADDed something (the dimension may have
 * grown in Redis). */
static gboolean write_ports(sf_window_t *w, const char *sk,
                            const sf_agg_source_t *s, guint ci)
{
    char key[SF_KEY_LEN];
    guint n = 0;

    g_byte_array_set_size(w->elems, s->n_ports * 2);
    for (guint i = 0; i < s->n_ports; i++) {
        guint8 *e = w->elems->data + 2 * n;

        e[0] = (guint8)(s->ports[i] >> 8);
        e[1] = (guint8)s->ports[i];
        if (!sf_seen_element(w->seen,
                             sf_seen_fingerprint('p', NULL, 0, e, 2)))
            n++;
    }
    if (n == 0)
        return FALSE;
    sf_key_bucket(key, sk, SF_KEY_PORTS, w->bucket);
    pfadd(w, key, sk, SF_KEY_PORTS, ci, w->elems->data, n, 2, SF_SEEN_K_P);
    pfadd_longer(w, sk, SF_KEY_PORTS, ci, w->elems->data, n, 2, SF_SEEN_K_P);
    return TRUE;
}

/* The nets of this flush (the ones the seen table skipped too: they are
 * few, and the longer buckets may lack them) into the longer horizons.
 * Nets of both lengths cannot occur in one source's flush in practice;
 * the elements are grouped by length anyway. */
static void write_nets_longer(sf_window_t *w, const char *sk,
                              const sf_agg_source_t *s, guint ci)
{
    for (guint len = 3; len <= 8; len += 5) {
        guint k = 0;

        g_byte_array_set_size(w->elems, s->n_nets * len);
        for (guint i = 0; i < s->n_nets; i++)
            if (s->nets[i].net_len == len)
                memcpy(w->elems->data + (gsize)k++ * len, s->nets[i].net,
                       len);
        if (k)
            pfadd_longer(w, sk, SF_KEY_NETS, ci, w->elems->data, k, len,
                         SF_SEEN_K_N);
    }
}

static gboolean write_nets(sf_window_t *w, const char *sk,
                           const sf_agg_source_t *s, guint ci)
{
    char key[SF_KEY_LEN];
    gboolean grew = FALSE;

    if (w->v4)
        return FALSE;   /* counted from the addresses (write_addrs4) */
    for (guint i = 0; i < s->n_nets; i++) {
        const sf_agg_net_t *n = &s->nets[i];

        if (sf_seen_element(w->seen, sf_seen_fingerprint('n', NULL, 0, n->net,
                                                         n->net_len)))
            continue;
        if (!grew) {
            sf_key_bucket(key, sk, SF_KEY_NETS, w->bucket);
            pfadd_begin(w, key, sk, SF_KEY_NETS, ci, n->net_len, 0);
            grew = TRUE;
        }
        sf_pipe_arg(w->pipe, n->net, n->net_len);
    }
    if (grew)
        end_and_expire(w, ci, key, SF_SEEN_K_N);
    if (grew && w->n_hz > 1)
        write_nets_longer(w, sk, s, ci);
    return grew;
}

/* The hosts of each tracked net, into its h:NET: key; w->grown says which
 * nets got new hosts. */
static void write_hosts(sf_window_t *w, const char *sk,
                        const sf_agg_source_t *s, guint ci)
{
    char key[SF_KEY_LEN], dim[SF_KEY_NET_LEN + 3];

    g_byte_array_set_size(w->grown, s->n_nets_tracked);
    for (guint i = 0; i < s->n_nets_tracked; i++) {
        const sf_agg_net_t *n = &s->nets[i];
        guint k = 0;

        /* a refused net's hosts are not staged as held either: were it
         * admitted later in the bucket, they must be written then */
        if (!sf_seen_admit_net(w->seen, n)) {
            w->grown->data[i] = FALSE;
            continue;
        }
        g_byte_array_set_size(w->elems, n->n_hosts * n->host_len);
        for (guint j = 0; j < n->n_hosts; j++) {
            const guint8 *h = n->hosts + (gsize)j * n->host_len;

            if (sf_seen_element(w->seen,
                                sf_seen_fingerprint('h', n->net, n->net_len,
                                                    h, n->host_len)))
                continue;
            memcpy(w->elems->data + (gsize)k++ * n->host_len, h,
                   n->host_len);
        }
        w->grown->data[i] = k > 0;
        if (k == 0 || (w->v4 && n->net_len == 3))
            continue;   /* IPv4: counted from the addresses */
        sf_key_hosts_dim(dim, n->net, n->net_len);
        sf_key_bucket(key, sk, dim, w->bucket);
        /* a host key gets its EXPIRE with every PFADD: its hosts are new */
        pfadd(w, key, sk, dim, ci, w->elems->data, k, n->host_len, 0);
        pfadd_longer(w, sk, dim, ci, w->elems->data, k, n->host_len, 0);
    }
}

/* The destinations of this flush into the longer horizons (grouped by
 * length, as write_nets_longer). */
static void write_addrs_longer(sf_window_t *w, const char *sk,
                               const sf_agg_source_t *s, guint ci)
{
    for (guint len = 4; len <= 16; len += 12) {
        guint k = 0;

        g_byte_array_set_size(w->elems, s->n_addrs * len);
        for (guint i = 0; i < s->n_addrs; i++)
            if ((sf_addr_is_v4(&s->addrs[i]) ? 4u : 16u) == len)
                memcpy(w->elems->data + (gsize)k++ * len,
                       s->addrs[i].b + (len == 4 ? 12 : 0), len);
        if (k)
            pfadd_longer(w, sk, SF_KEY_ADDRS, ci, w->elems->data, k, len,
                         SF_SEEN_K_D);
    }
}

/* An IPv4 entity's destinations: the new ones into the base bucket's
 * xd (exact.c, sf_exact_add4), and, when any was new, all of the flush's
 * into every longer horizon's (as write_addrs_longer).  The nets whose
 * hosts go into h:NET HLLs once xd overflows are the tracked nets that
 * got new hosts (write_hosts: the per-source cap on nets holds). */
static gboolean write_addrs4(sf_window_t *w, const char *sk,
                             const sf_agg_source_t *s, guint ci)
{
    guint n = 0;

    g_byte_array_set_size(w->elems, s->n_addrs * 4);
    for (guint i = 0; i < s->n_addrs; i++) {
        const guint8 *a = s->addrs[i].b + 12;

        if (!sf_addr_is_v4(&s->addrs[i])
            || sf_seen_element(w->seen,
                               sf_seen_fingerprint('d', NULL, 0, a, 4)))
            continue;
        memcpy(w->elems->data + (gsize)4 * n++, a, 4);
    }
    if (n == 0)
        return FALSE;
    plan_ignored(w, ci, sf_exact_add4(w->pipe, sk, 0, w->bucket, w->ttl,
                                      s->nets, s->n_nets_tracked,
                                      w->grown->data, w->elems->data, n));
    if (w->n_hz < 2)
        return TRUE;
    n = 0;
    for (guint i = 0; i < s->n_addrs; i++)
        if (sf_addr_is_v4(&s->addrs[i]))
            memcpy(w->elems->data + (gsize)4 * n++, s->addrs[i].b + 12, 4);
    for (guint k = 1; k < w->n_hz; k++) {
        plan_ignored(w, ci, sf_exact_add4(w->pipe, sk, w->hz[k].seconds,
                                          w->hz_bucket[k], w->hz_ttl[k],
                                          s->nets, s->n_nets_tracked,
                                          w->grown->data, w->elems->data,
                                          n));
    }
    return TRUE;
}

static gboolean write_addrs(sf_window_t *w, const char *sk,
                            const sf_agg_source_t *s, guint ci)
{
    char key[SF_KEY_LEN];
    gboolean grew = FALSE;

    if (w->v4)
        return write_addrs4(w, sk, s, ci);

    for (guint i = 0; i < s->n_addrs; i++) {
        gboolean v4 = sf_addr_is_v4(&s->addrs[i]);
        const guint8 *a = s->addrs[i].b + (v4 ? 12 : 0);

        if (sf_seen_element(w->seen, sf_seen_fingerprint('d', NULL, 0, a,
                                                         v4 ? 4 : 16)))
            continue;
        if (!grew) {
            sf_key_bucket(key, sk, SF_KEY_ADDRS, w->bucket);
            pfadd_begin(w, key, sk, SF_KEY_ADDRS, ci, v4 ? 4 : 16, 0);
            grew = TRUE;
        }
        sf_pipe_arg(w->pipe, a, v4 ? 4 : 16);
    }
    if (grew)
        end_and_expire(w, ci, key, SF_SEEN_K_D);
    if (grew && w->n_hz > 1)
        write_addrs_longer(w, sk, s, ci);
    return grew;
}

/* The smallest sampling interval of the source's evidence over the
 * window, across collectors: member "i" of sf:{S}:m, kept by ZADD LT (the
 * key's TTL bounds it to the window and a little more).  Written once
 * this collector has seen a sampled source, so that unsampled deployments
 * send what they always did; read back (ZSCORE) only for a source sampled
 * here: one unsampled flow of it here makes it 1 anyway.  Sources only:
 * networks of sources are judged on what they showed. */
static void write_sampling(sf_window_t *w, const char *sk,
                           const sf_agg_source_t *s, guint ci)
{
    char mkey[SF_KEY_LEN];

    sf_key_of(mkey, sk, SF_KEY_META);
    w->sampled |= s->sampling > 1;
    if (!w->sampled)
        return;
    sf_pipe_cmd(w->pipe, "ZADD");
    sf_pipe_str(w->pipe, mkey);
    sf_pipe_str(w->pipe, "LT");
    sf_pipe_int(w->pipe, s->sampling);
    sf_pipe_str(w->pipe, "i");
    sf_pipe_end(w->pipe);
    add_plan(w, ci, PLAN_IGNORE, NULL);
    if (s->sampling <= 1)
        return;
    sf_pipe_cmd(w->pipe, "ZSCORE");
    sf_pipe_str(w->pipe, mkey);
    sf_pipe_str(w->pipe, "i");
    sf_pipe_end(w->pipe);
    add_plan(w, ci, PLAN_SAMPLING, NULL);
}

/* The flows counters of every horizon and the times (sf:{S}:m) of the
 * source, with held flows (and their newest time, held_last) of its
 * earlier flushes that added nothing (seen.c, sf_seen_hold). */
static void write_meta(sf_window_t *w, const char *sk,
                       const sf_agg_source_t *s, guint ci, guint64 held,
                       gint64 held_last)
{
    char key[SF_KEY_LEN];
    gint64 last_ms = MAX(s->last_ms, held_last);

    for (guint k = 0; k < w->n_hz; k++) {
        char hdim[SF_KEY_HDIM_LEN];

        sf_key_bucket(key, sk, hz_dim(w, hdim, SF_KEY_FLOWS, k),
                      w->hz_bucket[k]);
        sf_pipe_cmd(w->pipe, "INCRBY");
        sf_pipe_str(w->pipe, key);
        sf_pipe_int(w->pipe, (gint64)(s->flows + held));
        end_and_expire_ttl(w, ci, key, hz_bit(SF_SEEN_K_F, k), w->hz_ttl[k]);
    }

    sf_key_of(key, sk, SF_KEY_META);
    sf_pipe_cmd(w->pipe, "ZADD");
    sf_pipe_str(w->pipe, key);
    sf_pipe_str(w->pipe, "GT");
    sf_pipe_int(w->pipe, -s->first_ms);
    sf_pipe_str(w->pipe, "first");
    sf_pipe_int(w->pipe, last_ms);
    sf_pipe_str(w->pipe, "last");
    for (guint i = 0; i < s->n_exporters; i++) {
        char x[SF_ADDR_STRLEN + 2] = "x:";

        sf_pipe_int(w->pipe, last_ms);
        sf_pipe_str(w->pipe, sf_key_addr_text(&s->exporters[i], x + 2) - 2);
    }
    end_and_expire_ttl(w, ci, key, SF_SEEN_K_M,
                       w->n_hz > 1 ? w->ttl_long : w->ttl);
}

static void write_samples(sf_window_t *w, const char *sk,
                          const sf_agg_source_t *s, guint ci)
{
    char key[SF_KEY_LEN], addr[SF_ADDR_STRLEN + 2];

    sf_key_of(key, sk, SF_KEY_SAMPLES);
    sf_pipe_cmd(w->pipe, "LPUSH");
    sf_pipe_str(w->pipe, key);
    for (guint i = 0; i < s->n_ports && i < SAMPLES_PER_FLUSH; i++) {
        char *end = sf_key_put_uint(sf_key_put_str(addr, "p:"), s->ports[i]);
        sf_pipe_arg(w->pipe, addr, (gsize)(end - addr));
    }
    for (guint i = 0; i < s->n_addrs && i < SAMPLES_PER_FLUSH; i++) {
        memcpy(addr, "h:", 2);
        sf_key_addr_text(&s->addrs[i], addr + 2);
        sf_pipe_str(w->pipe, addr);
    }
    sf_pipe_end(w->pipe);
    add_plan(w, ci, PLAN_IGNORE, NULL);
    sf_pipe_cmd(w->pipe, "LTRIM");
    sf_pipe_str(w->pipe, key);
    sf_pipe_str(w->pipe, "0");
    sf_pipe_str(w->pipe, "79");
    end_and_expire_ttl(w, ci, key, SF_SEEN_K_S,
                       w->n_hz > 1 ? w->ttl_long : w->ttl);
}

/* Whether a tracked net of s got new hosts (write_hosts). */
static gboolean any_grown(const sf_window_t *w, const sf_agg_source_t *s)
{
    for (guint i = 0; i < s->n_nets_tracked; i++)
        if (w->grown->data[i])
            return TRUE;
    return FALSE;
}

/* The most hosts in one net of earlier flushes (sf:{S}:top). */
static void ask_top(sf_window_t *w, const char *sk, guint ci)
{
    char key[SF_KEY_LEN];

    sf_pipe_cmd(w->pipe, "ZREVRANGE");
    sf_pipe_str(w->pipe, sf_key_of(key, sk, SF_KEY_TOP));
    sf_pipe_str(w->pipe, "0");
    sf_pipe_str(w->pipe, "0");
    sf_pipe_str(w->pipe, "WITHSCORES");
    sf_pipe_end(w->pipe);
    add_plan(w, ci, PLAN_TOP, NULL);
}

/* write_counts for longer horizon k: the same dimensions, over its own
 * buckets (no top-net memory: the nets of this flush are asked), of the
 * keys this flush wrote new elements into in that horizon (pfadd_longer;
 * an IPv4 entity's destinations go to every horizon, write_addrs4, and
 * are counted when new in the base bucket, as there). */
static void write_counts_longer(sf_window_t *w, const char *sk,
                                const sf_agg_source_t *s, guint ci, guint k,
                                gboolean ports, gboolean nets,
                                gboolean addrs)
{
    char dim[SF_KEY_NET_LEN + 3];

    ports = ports && hz_grew(w, SF_KEY_PORTS, k);
    if (!w->v4) {
        nets = nets && hz_grew(w, SF_KEY_NETS, k);
        addrs = addrs && hz_grew(w, SF_KEY_ADDRS, k);
    }
    if (ports)
        count_horizon(w, sk, SF_KEY_PORTS, k, ci, PLAN_PORTS, NULL);
    if (w->v4) {
        if (nets || addrs || any_grown(w, s)) {
            gint64 b = w->hz_bucket[k];

            sf_exact_count4(w->pipe, sk, w->hz[k].seconds,
                            sf_horizon_first_bucket(&w->hz[k], b), b,
                            s->nets, s->n_nets_tracked, w->grown->data);
            w->plan_hz = k;
            add_plan(w, ci, PLAN_DESTS, NULL);
            w->plan_hz = 0;
        }
        return;
    }
    if (nets || addrs)
        count_horizon(w, sk, SF_KEY_NETS, k, ci, PLAN_NETS, NULL);
    if (addrs)
        count_horizon(w, sk, SF_KEY_ADDRS, k, ci, PLAN_ADDRS, NULL);
    for (guint i = 0; i < s->n_nets_tracked; i++) {
        if (!w->grown->data[i])
            continue;
        sf_key_hosts_dim(dim, s->nets[i].net, s->nets[i].net_len);
        if (!hz_grew(w, dim, k))
            continue;
        count_horizon(w, sk, dim, k, ci, PLAN_HOSTS, &s->nets[i]);
    }
}

/* Counts only the dimensions this flush PFADDed into: one that Redis
 * already held whole cannot have grown.  New destinations (addrs) ask
 * for the distinct hosts and nets (wide_sweep weighs one by the other).
 * A sampled source is judged on its ports with r = its hosts and on its
 * hosts with r = its ports (sampling.h): both are asked once anything of
 * it grew. */
static void write_counts(sf_window_t *w, const char *sk,
                         const sf_agg_source_t *s, guint ci,
                         gboolean ports, gboolean nets, gboolean addrs)
{
    char dim[SF_KEY_NET_LEN + 3];

    if (ports)
        count_union(w, sk, SF_KEY_PORTS, ci, PLAN_PORTS, NULL);
    if (w->v4 && (nets || addrs || any_grown(w, s))) {
        sf_exact_count4(w->pipe, sk, 0, w->bucket - w->n_back, w->bucket,
                        s->nets, s->n_nets_tracked, w->grown->data);
        add_plan(w, ci, PLAN_DESTS, NULL);
    }
    if (w->v4 && addrs)
        ask_top(w, sk, ci);
    if (!w->v4 && (nets || addrs))
        count_union(w, sk, SF_KEY_NETS, ci, PLAN_NETS, NULL);
    if (!w->v4 && addrs) {
        count_union(w, sk, SF_KEY_ADDRS, ci, PLAN_ADDRS, NULL);
        ask_top(w, sk, ci);
    }
    for (guint i = 0; !w->v4 && i < s->n_nets_tracked; i++) {
        if (!w->grown->data[i])
            continue;
        sf_key_hosts_dim(dim, s->nets[i].net, s->nets[i].net_len);
        count_union(w, sk, dim, ci, PLAN_HOSTS, &s->nets[i]);
    }
    for (guint k = 1; k < w->n_hz; k++)
        write_counts_longer(w, sk, s, ci, k, ports, nets, addrs);
}

static gboolean read_replies(sf_window_t *w, GError **err);

/* With networks of sources on: does a source that grew hold a per-source
 * alert claim (EXISTS, one slot)?  Such a source is no member, even when
 * its counts read low again (lost with a failed master, say). */
static void ask_claimed(sf_window_t *w, const char *sk, guint ci)
{
    static const char *const kinds[] = {"port_scan", "host_sweep",
                                        "wide_sweep"};
    char key[SF_KEY_LEN];

    if (w->cfg->source_prefix_v4 == 0 && w->cfg->source_prefix_v6 == 0)
        return;
    sf_pipe_cmd(w->pipe, "EXISTS");
    for (guint i = 0; i < G_N_ELEMENTS(kinds); i++)
        sf_pipe_str(w->pipe, sf_key_claim(key, sk, kinds[i]));
    sf_pipe_end(w->pipe);
    add_plan(w, ci, PLAN_CLAIMED, NULL);
}

/* The network of src under --source-prefix: its first address into *net;
 * returns its prefix length, 0 when the family's prefix is off. */
static guint source_network(const sf_window_t *w, const sf_addr_t *src,
                            sf_addr_t *net)
{
    gboolean v4 = sf_addr_is_v4(src);
    guint len = (guint)(v4 ? w->cfg->source_prefix_v4
                           : w->cfg->source_prefix_v6);
    guint bits = v4 ? 96 + len : len;

    *net = *src;
    for (guint i = 0; i < 16; i++) {
        guint keep = bits > 8 * i ? MIN(8, bits - 8 * i) : 0;
        net->b[i] &= (guint8)(0xff00 >> keep);
    }
    return len;
}

/* The member src joins its network's member HLL (and set), and when new
 * in the bucket its text goes on the network's member list.  TRUE: new. */
static gboolean write_member(sf_window_t *w, const char *nk,
                             const sf_addr_t *src, guint ci)
{
    gboolean v4 = sf_addr_is_v4(src);
    const guint8 *a = src->b + (v4 ? 12 : 0);
    char key[SF_KEY_LEN], text[SF_ADDR_STRLEN];

    if (sf_seen_element(w->seen, sf_seen_fingerprint('u', NULL, 0, a,
                                                     v4 ? 4 : 16)))
        return FALSE;
    sf_key_bucket(key, nk, SF_KEY_MEMBERS, w->bucket);
    pfadd(w, key, nk, SF_KEY_MEMBERS, ci, a, 1, v4 ? 4 : 16, SF_SEEN_K_U);
    sf_key_of(key, nk, SF_KEY_MEMBER_SAMPLES);
    sf_pipe_cmd(w->pipe, "LPUSH");
    sf_pipe_str(w->pipe, key);
    sf_pipe_str(w->pipe, sf_key_addr_text(src, text));
    sf_pipe_end(w->pipe);
    add_plan(w, ci, PLAN_IGNORE, NULL);
    sf_pipe_cmd(w->pipe, "LTRIM");
    sf_pipe_str(w->pipe, key);
    sf_pipe_str(w->pipe, "0");
    sf_pipe_str(w->pipe, "19");
    end_and_expire(w, ci, key, 0);
    return TRUE;
}

/* A member of a network of sources: a source whose window counts (this
 * flush's) show at least SF_WINDOW_NET_MEMBER_MIN distinct ports or hosts
 * but cross no per-source threshold: the network kinds are about what no
 * member shows alone (a member that crosses has its own alert), and a
 * source with a probe or two (clients behind a NAT), or a flood of
 * spoofed four-probe sources, is no member. */
gboolean sf_window_member_counts(const sf_correlate_config_t *cfg,
                                 const sf_window_counts_t *c)
{
    gint64 most = MAX(MAX(c->ports, c->top_hosts), c->hosts);

    return most >= SF_WINDOW_NET_MEMBER_MIN
        && c->ports < cfg->port_threshold
        && c->top_hosts < cfg->sweep_threshold
        && c->hosts < cfg->wide_sweep_threshold;
}

static gboolean net_member(const sf_window_t *w, const sf_window_counts_t *c)
{
    return sf_window_member_counts(w->cfg, c)
        && c->claimed == 0
        && !(w->alerted && w->alerted(&c->src, w->alerted_user));
}

static void init_longer(sf_window_counts_t *c)
{
    for (guint k = 0; k < G_N_ELEMENTS(c->longer); k++) {
        c->longer[k].ports = c->longer[k].nets = -1;
        c->longer[k].hosts = c->longer[k].top_hosts = -1;
        c->longer[k].top_net_len = 0;
    }
}

/* The second walk of a flush (the sources' counts are back): a member's
 * elements of this flush go into its network's keys too, which count the
 * union of its members.  The network has a counts entry of its own per
 * member visited (the rules take each network once). */
static void visit_network(const sf_agg_source_t *s, void *user)
{
    sf_window_t *w = user;
    sf_window_counts_t c = {.ports = -1, .nets = -1, .top_hosts = -1,
                            .hosts = -1, .top_before = -1, .members = -1,
                            .claimed = -1};
    init_longer(&c);
    char nk[SF_KEY_NETWORK_LEN];
    sf_addr_t entity;
    guint ci = w->counts->len, len = source_network(w, &s->src, &c.src);
    gboolean ports = FALSE, nets, hosts = FALSE, addrs, member;
    const sf_window_counts_t *source;

    if (s->n_addrs == 0 || s->n_nets == 0 || w->error)
        return;         /* as visit_source: no counts entry */
    source = &g_array_index(w->counts, sf_window_counts_t, w->walk_ci++);
    if (len == 0 || !net_member(w, source))
        return;
    c.src_prefix = (guint8)len;
    g_array_append_val(w->counts, c);
    sf_key_network(nk, &c.src, len);
    w->n_hz = 1;
    w->v4 = sf_addr_is_v4(&c.src);
    /* its own entry in the seen table: not an address a source can have */
    entity = c.src;
    entity.b[0] ^= 0x5f;
    entity.b[15] ^= (guint8)len;
    sf_seen_begin_source(w->seen, &entity);
    if (s->n_ports)
        ports = write_ports(w, nk, s, ci);
    nets = write_nets(w, nk, s, ci);
    write_hosts(w, nk, s, ci);
    for (guint i = 0; i < s->n_nets_tracked; i++)
        hosts |= w->grown->data[i];
    addrs = write_addrs(w, nk, s, ci);
    member = write_member(w, nk, &s->src, ci);
    write_meta(w, nk, s, ci, 0, 0);
    if (ports || nets || hosts || addrs)
        write_samples(w, nk, s, ci);
    write_counts(w, nk, s, ci, ports, nets, addrs);
    if (ports || nets || hosts || addrs || member)
        count_union(w, nk, SF_KEY_MEMBERS, ci, PLAN_MEMBERS, NULL);
    sf_seen_end_source(w->seen);
    if (w->plan->len - w->plan_read >= SF_WINDOW_CHUNK && w->error == NULL)
        read_replies(w, &w->error);
}

/* A source whose flush added nothing Redis lacks (grew FALSE) and that
 * was written in this bucket costs no command: its flows and last time
 * are held (seen.c) and go out with its next write, at the latest its
 * first flush of the next bucket, where everything is new again. */
static void write_source_meta(sf_window_t *w, const char *sk,
                              const sf_agg_source_t *s, guint ci,
                              gboolean grew)
{
    guint64 held;
    gint64 held_last;

    if (!grew && sf_seen_hold(w->seen, s->flows, s->last_ms))
        return;
    held = sf_seen_release(w->seen, &held_last);
    write_meta(w, sk, s, ci, held, held_last);
}

static void visit_source(const sf_agg_source_t *s, void *user)
{
    sf_window_t *w = user;
    sf_window_counts_t c = {.src = s->src, .ports = -1, .nets = -1,
                            .top_hosts = -1, .hosts = -1,
                            .top_before = -1, .members = -1,
                            .claimed = -1, .sampling = 1};
    char sk[SF_KEY_SOURCE_LEN];

    init_longer(&c);
    guint ci = w->counts->len;
    gboolean ports = FALSE, nets, hosts = FALSE, addrs;

    if (s->n_addrs == 0 || s->n_nets == 0 || w->error)
        return;
    g_array_append_val(w->counts, c);
    sf_key_source(sk, &s->src);
    w->n_hz = w->n_hz_all;
    w->v4 = sf_addr_is_v4(&s->src);
    g_array_set_size(w->hz_grown, 0);
    sf_seen_begin_source(w->seen, &s->src);
    if (s->n_ports)
        ports = write_ports(w, sk, s, ci);
    nets = write_nets(w, sk, s, ci);
    write_hosts(w, sk, s, ci);
    for (guint i = 0; i < s->n_nets_tracked; i++)
        hosts |= w->grown->data[i];
    addrs = write_addrs(w, sk, s, ci);
    write_source_meta(w, sk, s, ci, ports || nets || hosts || addrs);
    write_sampling(w, sk, s, ci);
    /* samples of a flush that added nothing repeat earlier ones */
    if (ports || nets || hosts || addrs)
        write_samples(w, sk, s, ci);
    if (s->sampling > 1 && (ports || nets || hosts || addrs))
        write_counts(w, sk, s, ci, TRUE, nets, TRUE);
    else
        write_counts(w, sk, s, ci, ports, nets, addrs);
    if (ports || nets || hosts || addrs)
        ask_claimed(w, sk, ci);
    sf_seen_end_source(w->seen);
    if (w->plan->len - w->plan_read >= SF_WINDOW_CHUNK && w->error == NULL)
        read_replies(w, &w->error);
}

/* The reply of sf_exact_count4 (IPv4 destinations) into the counts. */
static void apply_dests(gint64 *hosts, gint64 *nets, gint64 *top_hosts,
                        guint8 *top_net, guint8 *top_net_len,
                        const redisReply *r)
{
    guint8 net[3];
    gint64 top;

    if (!sf_exact_parse4(r, hosts, nets, net, &top) || top <= 0
        || top <= *top_hosts)
        return;
    *top_hosts = top;
    *top_net_len = 3;
    memcpy(top_net, net, 3);
}

/* A count of longer horizon pl->hz into c->longer. */
static void apply_longer(sf_window_counts_t *c, const plan_t *pl,
                         const redisReply *r)
{
    sf_window_hcounts_t *h = &c->longer[pl->hz - 1];
    gint64 v;

    if (pl->what == PLAN_DESTS) {
        apply_dests(&h->hosts, &h->nets, &h->top_hosts, h->top_net,
                    &h->top_net_len, r);
        return;
    }
    if (r->type != REDIS_REPLY_INTEGER)
        return;
    v = r->integer;
    if (pl->what == PLAN_PORTS)
        h->ports = v;
    else if (pl->what == PLAN_NETS)
        h->nets = v;
    else if (pl->what == PLAN_ADDRS)
        h->hosts = v;
    else if (pl->what == PLAN_HOSTS
             && sf_exact_net_hosts(v, pl->net_len) > h->top_hosts) {
        h->top_hosts = sf_exact_net_hosts(v, pl->net_len);
        h->top_net_len = pl->net_len;
        memcpy(h->top_net, pl->net, pl->net_len);
    }
}

static void apply_reply(sf_window_counts_t *c, const plan_t *pl,
                        const redisReply *r)
{
    if (pl->hz > 0) {
        apply_longer(c, pl, r);
        return;
    }
    if (pl->what == PLAN_SAMPLING) {    /* ZSCORE: a bulk string */
        gint64 v = r->type == REDIS_REPLY_STRING && r->str
                   ? g_ascii_strtoll(r->str, NULL, 10) : 0;
        c->sampling = (guint32)CLAMP(v, 1, G_MAXUINT32);
        return;
    }
    if (pl->what == PLAN_DESTS) {
        apply_dests(&c->hosts, &c->nets, &c->top_hosts, c->top_net,
                    &c->top_net_len, r);
        return;
    }
    if (pl->what == PLAN_TOP && r->type == REDIS_REPLY_ARRAY
        && r->elements == 2 && r->element[1]->str)
        c->top_before = g_ascii_strtoll(r->element[1]->str, NULL, 10);
    if (r->type != REDIS_REPLY_INTEGER)
        return;
    switch (pl->what) {
    case PLAN_PORTS:
        c->ports = r->integer;
        break;
    case PLAN_NETS:
        c->nets = r->integer;
        break;
    case PLAN_ADDRS:
        c->hosts = r->integer;
        break;
    case PLAN_MEMBERS:
        c->members = r->integer;
        break;
    case PLAN_CLAIMED:
        c->claimed = r->integer;
        break;
    case PLAN_HOSTS:
        if (sf_exact_net_hosts(r->integer, pl->net_len) > c->top_hosts) {
            c->top_hosts = sf_exact_net_hosts(r->integer, pl->net_len);
            c->top_net_len = pl->net_len;
            memcpy(c->top_net, pl->net, pl->net_len);
        }
        break;
    }
}

static gboolean walk(sf_window_t *w, sf_agg_t *agg, sf_agg_visit_fn fn,
                     GError **err)
{
    sf_agg_walk(agg, fn, w);
    if (w->error) {
        g_propagate_error(err, w->error);
        w->error = NULL;
        return FALSE;
    }
    return read_replies(w, err);
}

/* A flush whose sources all repeated what Redis holds sends nothing: one
 * PING then, so that a lost connection (a restarted, empty Redis) is
 * found at this flush, the tables are forgotten and the flush is sent
 * again whole, as when a write fails. */
static gboolean ping(sf_window_t *w, GError **err)
{
    redisReply *r;

    sf_pipe_cmd(w->pipe, "PING");
    sf_pipe_end(w->pipe);
    if ((r = sf_pipe_reply(w->pipe, err)) == NULL)
        return FALSE;
    freeReplyObject(r);
    return TRUE;
}

gboolean sf_window_update(sf_window_t *w, sf_pipe_t *p, sf_agg_t *agg,
                          GArray *counts, GError **err)
{
    w->bucket = sf_agg_last_arrival(agg) / (w->cfg->bucket_s * 1000);
    for (guint k = 0; k < w->n_hz_all; k++)
        w->hz_bucket[k] = sf_horizon_bucket(&w->hz[k],
                                            sf_agg_last_arrival(agg));
    w->pipe = p;
    w->counts = counts;
    g_array_set_size(w->plan, 0);
    w->plan_read = 0;
    g_clear_error(&w->error);
    sf_seen_begin_flush(w->seen, w->bucket);
    if (!walk(w, agg, visit_source, err))
        return FALSE;
    if (w->plan->len == 0 && counts->len > 0 && !ping(w, err))
        return FALSE;
    if (w->cfg->source_prefix_v4 == 0 && w->cfg->source_prefix_v6 == 0)
        return TRUE;
    w->walk_ci = 0;
    return walk(w, agg, visit_network, err);
}

/* Reads the replies of the plan sent so far. */
static gboolean read_replies(sf_window_t *w, GError **err)
{
    for (; w->plan_read < w->plan->len; w->plan_read++) {
        const plan_t *pl = &g_array_index(w->plan, plan_t, w->plan_read);
        redisReply *r = sf_pipe_reply(w->pipe, err);

        if (r == NULL)
            return FALSE;
        if (pl->what != PLAN_IGNORE)
            apply_reply(&g_array_index(w->counts, sf_window_counts_t,
                                       pl->ci), pl, r);
        freeReplyObject(r);
    }
    return TRUE;
}

/* Phase 2 ---------------------------------------------------------------- */

gboolean sf_window_claim(sf_window_t *w, sf_pipe_t *p, gint64 now_ms,
                         const GArray *counts, GArray *claims, GError **err)
{
    if (!sf_fanout_record(p, w->ttl, now_ms, counts, err))
        return FALSE;
    return sf_claimer_run(w->claimer, p, w->hz, w->hz_bucket, now_ms,
                          counts, claims, err);
}

/* Network claims ------------------------------------------------------------ */

/* Replies to the EXISTS of each listed member's claims: how many hold one. */
static gboolean count_claimed(sf_pipe_t *p, guint n, guint *claimed,
                              GError **err)
{
    *claimed = 0;
    for (guint i = 0; i < n; i++) {
        redisReply *r = sf_pipe_reply(p, err);

        if (r == NULL)
            return FALSE;
        *claimed += r->type == REDIS_REPLY_INTEGER && r->integer > 0;
        freeReplyObject(r);
    }
    return TRUE;
}

/* For claim k: its member list (LRANGE, read now), then EXISTS of each
 * member's claims; FALSE on a connection failure.  *keep: not vetoed. */
static gboolean vet_one(sf_pipe_t *p, const sf_window_counts_t *c,
                        gboolean *keep, GError **err)
{
    static const char *const kinds[] = {"port_scan", "host_sweep",
                                        "wide_sweep"};
    char nk[SF_KEY_NETWORK_LEN], key[SF_KEY_LEN], sk[SF_KEY_NETWORK_LEN];
    redisReply *list;
    guint n = 0, claimed;

    sf_pipe_cmd(p, "LRANGE");
    sf_pipe_str(p, sf_key_of(key, sf_key_network(nk, &c->src, c->src_prefix),
                             SF_KEY_MEMBER_SAMPLES));
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "-1");
    sf_pipe_end(p);
    if ((list = sf_pipe_reply(p, err)) == NULL)
        return FALSE;
    for (size_t i = 0; list->type == REDIS_REPLY_ARRAY && i < list->elements;
         i++) {
        if (list->element[i]->str == NULL
            || strlen(list->element[i]->str) >= SF_ADDR_STRLEN)
            continue;
        sf_key_source_text(sk, list->element[i]->str);
        sf_pipe_cmd(p, "EXISTS");
        for (guint k = 0; k < G_N_ELEMENTS(kinds); k++)
            sf_pipe_str(p, sf_key_claim(key, sk, kinds[k]));
        sf_pipe_end(p);
        n++;
    }
    freeReplyObject(list);
    if (!count_claimed(p, n, &claimed, err))
        return FALSE;
    *keep = 2 * claimed < n;
    return TRUE;
}

gboolean sf_window_vet_networks(sf_window_t *w, sf_pipe_t *p,
                                const GArray *counts, GArray *claims,
                                GError **err)
{
    (void)w;
    for (guint i = 0; i < claims->len;) {
        const sf_window_claim_t *cl =
            &g_array_index(claims, sf_window_claim_t, i);
        const sf_window_counts_t *c =
            &g_array_index(counts, sf_window_counts_t, cl->counts_index);
        gboolean keep = TRUE;

        if (c->src_prefix && !vet_one(p, c, &keep, err))
            return FALSE;
        if (keep)
            i++;
        else
            g_array_remove_index(claims, i);
    }
    return TRUE;
}
