/*
 * window.c - the sliding window in Redis.
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
 * Keys of source S (every key of S carries the {S} hash tag: one slot, so
 * multi-key PFCOUNT works on Redis Cluster; every key has a TTL of
 * window + 2 buckets, refreshed on write):
 *
 *   sf:{S}:p:B        HLL  destination ports (2 bytes, big endian), bucket B
 *   sf:{S}:n:B        HLL  destination nets (IPv4 /24: 3 bytes, IPv6 /64: 8)
 *   sf:{S}:h:NET:B    HLL  hosts inside NET (last byte, or low 64 bits)
 *   sf:{S}:d:B        HLL  destination addresses (4 or 16 bytes)
 *   sf:{S}:f:B        int  flows
 *   sf:{S}:m          zset "first" (score -ms: ZADD GT keeps the minimum),
 *                          "last" (ms), "x:EXPORTER" (last ms seen)
 *   sf:{S}:s          list samples "p:PORT" / "h:HOST", newest first, 80
 *   sf:{S}:top        zset NET -> most hosts counted in NET (top 8)
 *   sf:{S}:c          hash last counts: ports nets hosts net
 *   sf:{S}:a:KIND     string, the (source, kind) alert claim: SET NX GET EX
 *                     for the suppression period; holds
 *                     "COLLECTOR/RUN/SEQ" (RUN random per process, SEQ the
 *                     claim round), so that a claim whose reply was lost
 *                     with the connection is recognised as ours when the
 *                     same flush is retried, and only then (Redis >= 7.0
 *                     accepts NX with GET)
 *   sf:top:MINUTE     zset S -> fan-out, for `scanflow top` (TTL 180 s)
 *
 * What Redis already holds ("seen" table, Redis thread only): per source,
 * the bucket last written, up to SEEN_FPS 64-bit fingerprints of the
 * elements PFADDed into that bucket's keys and which keys got their EXPIRE
 * in it.  A flush sends PFADD only for elements not there (none: no
 * PFADD), EXPIRE only once per key per bucket (the TTL of window + 2
 * buckets still runs at least window + 1 bucket past the key's last write
 * in the bucket), PFCOUNT only for dimensions it PFADDed into, and samples
 * only when something was new.  A flush's findings are staged and
 * committed by sf_window_commit() once the whole flush went through;
 * sf_window_forget() clears the table when the connection is lost (a
 * restarted Redis may have lost everything).  The table is bounded
 * (SEEN_SETS x SEEN_WAYS entries); an entry of the current bucket pushed
 * out is counted, and costs only commands that would have been skipped.
 *
 * Bounded Redis memory per source: the h:NET:B keys of one source and
 * bucket are capped at --max-nets-per-source (the aggregate caps the nets
 * carrying hosts per flush, not across flushes: a wide sweep could create
 * that many new h keys every flush, about 7,700 per bucket at the
 * defaults).  The seen entry counts the nets admitted (given an h key) in
 * its bucket, and a shared "admit" table (ADMIT_SETS x ADMIT_WAYS 64-bit
 * slots, 1 MiB) remembers which (source, net) pairs were admitted in the
 * current bucket: 48 bits of a fingerprint above 16 bits of the bucket.  A
 * net with hosts to write is admitted when that table holds it, else when
 * the source's count is under the cap (then counted); otherwise its hosts
 * are left out and the net is counted as capped (nets_capped).  Its hosts
 * still go into the d HLL and the net into the n HLL: distinct hosts and
 * nets stay counted, only per-net host counts of nets beyond the first N
 * of a bucket are lost.  Admission is exact but for the table's bound: a
 * pair pushed out of it is later taken for a new net and counted again
 * (the bound holds; the net may be refused its hosts once the count is
 * full).  The bound is soft where the count restarts: when the source's
 * seen entry is pushed out of its set (seen_evicted), and after
 * sf_window_forget() (a lost connection), up to N more nets of the source
 * may get h keys in that bucket.  Each collector counts on its own: with
 * K collectors writing one source, up to K x N nets.  Admissions and
 * refusals are staged and committed with the rest, so a retried flush
 * counts nothing twice.
 */
#include "window.h"
#include "hash.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define TOP_MIN_FANOUT 2
#define SAMPLES_PER_FLUSH 10
/* Replies are read after every CHUNK commands of phase 1: a flush of
 * thousands of sources never sits whole in hiredis's output buffer nor its
 * replies in Redis's client output buffer (a client-output-buffer-limit
 * would otherwise close the connection on every retry of the same flush). */
#define CHUNK 2048

#define SEEN_FPS 6              /* fingerprints per source and bucket */
#define SEEN_WAYS 4
#define SEEN_SETS 16384         /* 65,536 entries of 80 bytes */
#define ADMIT_WAYS 4
#define ADMIT_SETS 32768        /* 131,072 (source, net) slots of 8 bytes */

/* Keys whose EXPIRE was sent in the entry's bucket. */
enum { K_P = 1, K_N = 2, K_D = 4, K_F = 8, K_M = 16, K_S = 32 };

typedef struct seen {
    sf_addr_t src;
    gint64    bucket;           /* -1: empty */
    guint16   keys;             /* K_* */
    guint16   n_fp;
    guint32   n_nets;           /* nets given h keys in the bucket */
    guint64   fp[SEEN_FPS];
} seen_t;

G_STATIC_ASSERT(sizeof(seen_t) == 80);

enum { PLAN_IGNORE, PLAN_PORTS, PLAN_NETS, PLAN_HOSTS };

typedef struct plan {
    guint  ci;          /* index in counts */
    guint8 what;
    guint8 net_len;
    guint8 net[8];
} plan_t;

struct sf_window {
    const sf_correlate_config_t *cfg;
    char       *collector;
    gint64      bucket;         /* of the flush being written */
    gint64      n_back;         /* buckets before the current one */
    gint64      ttl;
    sf_pipe_t  *pipe;           /* during update */
    GArray     *counts;         /* during update */
    GArray     *plan;
    guint       plan_read;      /* replies of plan[0..plan_read) read */
    guint32     run;            /* claim token: random per process */
    guint64     seq;            /* claim token: rounds completed */
    char        token[160];
    GError     *error;          /* first failure while walking */
    GByteArray *elems;
    seen_t     *seen;           /* SEEN_SETS * SEEN_WAYS */
    const seen_t *cur;          /* the visited source's entry, or NULL */
    seen_t      stage;          /* the visited source's findings */
    GArray     *staged;         /* seen_t: this flush's, until commit */
    GByteArray *grown;          /* per tracked net: a host was new */
    guint       seen_rr;
    guint64     seen_evicted;
    guint64    *admit;          /* ADMIT_SETS * ADMIT_WAYS, 0: empty */
    GArray     *staged_admit;   /* guint64 slot values, until commit */
    guint64     staged_capped;  /* nets refused by this flush */
    guint64     nets_capped;
    guint       admit_rr;
};

sf_window_t *sf_window_new(const sf_correlate_config_t *cfg,
                           const char *collector)
{
    sf_window_t *w = g_new0(sf_window_t, 1);

    w->cfg = cfg;
    w->collector = g_strdup(collector);
    w->run = g_random_int();
    w->n_back = (cfg->window_s + cfg->bucket_s - 1) / cfg->bucket_s;
    w->ttl = cfg->window_s + 2 * cfg->bucket_s;
    w->plan = g_array_new(FALSE, FALSE, sizeof(plan_t));
    w->elems = g_byte_array_new();
    w->seen = g_new(seen_t, SEEN_SETS * SEEN_WAYS);
    w->staged = g_array_new(FALSE, FALSE, sizeof(seen_t));
    w->grown = g_byte_array_new();
    w->admit = g_new(guint64, ADMIT_SETS * ADMIT_WAYS);
    w->staged_admit = g_array_new(FALSE, FALSE, sizeof(guint64));
    sf_window_forget(w);
    return w;
}

void sf_window_free(sf_window_t *w)
{
    if (w == NULL)
        return;
    g_free(w->collector);
    g_clear_error(&w->error);
    g_array_unref(w->plan);
    g_byte_array_unref(w->elems);
    g_free(w->seen);
    g_array_unref(w->staged);
    g_byte_array_unref(w->grown);
    g_free(w->admit);
    g_array_unref(w->staged_admit);
    g_free(w);
}

/* Keys and texts are built by hand: printf-style formatting was a quarter
 * of the Redis thread's CPU in the benchmark's profile. */

/* Writes v (>= 0) in decimal at p; returns the end. */
static char *put_uint(char *p, guint64 v)
{
    char text[24], *end = text + sizeof text, *s = end;

    do {
        *--s = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(p, s, (gsize)(end - s));
    return p + (end - s);
}

static char *put_str(char *p, const char *s)
{
    gsize n = strlen(s);

    memcpy(p, s, n);
    return p + n;
}

/* Dotted decimal of 4 bytes, as inet_ntop writes it. */
static char *put_v4(char *p, const guint8 *b)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            *p++ = '.';
        p = put_uint(p, b[i]);
    }
    return p;
}

/* sf_addr_to_string() without the printf inside inet_ntop for IPv4. */
static const char *addr_text(const sf_addr_t *a, char *buf)
{
    if (!sf_addr_is_v4(a))
        return sf_addr_to_string(a, buf);
    *put_v4(buf, a->b + 12) = '\0';
    return buf;
}

/* buf = sk DIM BUCKET (buf holds at least 160 bytes). */
static const char *bucket_key(char *buf, const char *sk, const char *dim,
                              gint64 bucket)
{
    char *p = put_str(put_str(buf, sk), dim);

    *put_uint(p, (guint64)MAX(bucket, 0)) = '\0';
    return buf;
}

/* What Redis holds --------------------------------------------------------- */


/* Fingerprint of an element of kind (p, n, h, d); a: the net for hosts. */
static guint64 fingerprint(char kind, const guint8 *a, gsize alen,
                           const guint8 *b, gsize blen)
{
    guint64 h = G_GUINT64_CONSTANT(0xcbf29ce484222325);

    h = (h ^ (guint8)kind) * G_GUINT64_CONSTANT(0x100000001b3);
    h = (h ^ (alen << 8 | blen)) * G_GUINT64_CONSTANT(0x100000001b3);
    for (gsize i = 0; i < alen; i++)
        h = (h ^ a[i]) * G_GUINT64_CONSTANT(0x100000001b3);
    for (gsize i = 0; i < blen; i++)
        h = (h ^ b[i]) * G_GUINT64_CONSTANT(0x100000001b3);
    return sf_mix64(h);
}

static seen_t *seen_set(sf_window_t *w, const sf_addr_t *src)
{
    guint64 h = 0;

    for (guint i = 0; i < 16; i += 8) {
        guint64 v;
        memcpy(&v, src->b + i, 8);
        h = sf_mix64(h ^ v);
    }
    return &w->seen[(h & (SEEN_SETS - 1)) * SEEN_WAYS];
}

/* The entry of src for the current bucket, or NULL. */
static const seen_t *seen_find(sf_window_t *w, const sf_addr_t *src)
{
    seen_t *set = seen_set(w, src);

    for (guint i = 0; i < SEEN_WAYS; i++)
        if (set[i].bucket == w->bucket
            && sf_addr_equal(&set[i].src, src))
            return &set[i];
    return NULL;
}

/* TRUE: Redis holds the element (this flush need not send it); FALSE:
 * staged, to be remembered once the flush went through. */
static gboolean seen_element(sf_window_t *w, guint64 fp)
{
    if (w->cur)
        for (guint i = 0; i < w->cur->n_fp; i++)
            if (w->cur->fp[i] == fp)
                return TRUE;
    if (w->stage.n_fp < SEEN_FPS)
        w->stage.fp[w->stage.n_fp++] = fp;
    return FALSE;
}

/* TRUE: key's EXPIRE must be sent (and is staged as sent). */
static gboolean expire_needed(sf_window_t *w, guint32 key)
{
    if (w->cur && (w->cur->keys & key))
        return FALSE;
    w->stage.keys |= key;
    return TRUE;
}

/* The admit table's slot value of (src, net) in the current bucket: 48
 * bits of fingerprint above 16 bits of the bucket.  A slot of another
 * bucket is free for reuse; 0 is an empty slot.  (A slot left untouched
 * for 65,536 buckets would pass for the current one: one net admitted
 * uncounted, at worst.) */
static guint64 admit_value(const sf_window_t *w, const sf_addr_t *src,
                           const sf_agg_net_t *n)
{
    guint64 fp = fingerprint('a', src->b, 16, n->net, n->net_len);
    guint64 tag = (guint64)w->bucket & 0xffff;

    fp &= ~G_GUINT64_CONSTANT(0xffff);
    return (fp ? fp : G_GUINT64_CONSTANT(1) << 16) | tag;
}

static guint64 *admit_set(sf_window_t *w, guint64 v)
{
    return &w->admit[((v >> 16) & (ADMIT_SETS - 1)) * ADMIT_WAYS];
}

static gboolean admitted(sf_window_t *w, guint64 v)
{
    const guint64 *set = admit_set(w, v);

    for (guint i = 0; i < ADMIT_WAYS; i++)
        if (set[i] == v)
            return TRUE;
    return FALSE;
}

static void admit_insert(sf_window_t *w, guint64 v)
{
    guint64 *set = admit_set(w, v), *e = NULL;

    for (guint i = 0; i < ADMIT_WAYS; i++)
        if (set[i] == v)
            return;
    /* an empty slot, or one of another bucket, before a live one */
    for (guint i = 0; i < ADMIT_WAYS && e == NULL; i++)
        if (set[i] == 0 || (set[i] & 0xffff) != (v & 0xffff))
            e = &set[i];
    if (e == NULL)
        e = &set[w->admit_rr++ % ADMIT_WAYS];
    *e = v;
}

/* TRUE: n's hosts may be written into its h key of this bucket: it was
 * admitted in the bucket already, or the source's count (committed and
 * staged) is under the cap, and the admission is staged. */
static gboolean admit_net(sf_window_t *w, const sf_addr_t *src,
                          const sf_agg_net_t *n)
{
    guint64 v = admit_value(w, src, n);
    guint64 used = w->stage.n_nets + (w->cur ? w->cur->n_nets : 0);

    if (admitted(w, v))
        return TRUE;
    if (used >= (guint64)w->cfg->max_nets_per_source) {
        w->staged_capped++;
        return FALSE;
    }
    w->stage.n_nets++;
    g_array_append_val(w->staged_admit, v);
    return TRUE;
}

void sf_window_forget(sf_window_t *w)
{
    for (guint i = 0; i < SEEN_SETS * SEEN_WAYS; i++)
        w->seen[i].bucket = -1;
    memset(w->admit, 0, sizeof(guint64) * ADMIT_SETS * ADMIT_WAYS);
    g_array_set_size(w->staged, 0);
    g_array_set_size(w->staged_admit, 0);
    w->staged_capped = 0;
}

void sf_window_commit(sf_window_t *w)
{
    for (guint k = 0; k < w->staged->len; k++) {
        const seen_t *st = &g_array_index(w->staged, seen_t, k);
        seen_t *set = seen_set(w, &st->src), *e = NULL;

        for (guint i = 0; i < SEEN_WAYS && e == NULL; i++)
            if (sf_addr_equal(&set[i].src, &st->src)
                && set[i].bucket >= 0)
                e = &set[i];
        for (guint i = 0; i < SEEN_WAYS && e == NULL; i++)
            if (set[i].bucket != st->bucket)
                e = &set[i];
        if (e == NULL) {
            e = &set[w->seen_rr++ % SEEN_WAYS];
            w->seen_evicted++;
        }
        if (e->bucket != st->bucket
            || !sf_addr_equal(&e->src, &st->src)) {
            e->src = st->src;
            e->bucket = st->bucket;
            e->keys = 0;
            e->n_fp = 0;
            e->n_nets = 0;
        }
        e->keys |= st->keys;
        e->n_nets += st->n_nets;
        for (guint i = 0; i < st->n_fp && e->n_fp < SEEN_FPS; i++)
            e->fp[e->n_fp++] = st->fp[i];
    }
    g_array_set_size(w->staged, 0);
    for (guint k = 0; k < w->staged_admit->len; k++)
        admit_insert(w, g_array_index(w->staged_admit, guint64, k));
    g_array_set_size(w->staged_admit, 0);
    w->nets_capped += w->staged_capped;
    w->staged_capped = 0;
}

void sf_window_get_stats(const sf_window_t *w, sf_window_stats_t *out)
{
    out->seen_evicted = w->seen_evicted;
    out->nets_capped = w->nets_capped;
}

const char *sf_window_net_text(const guint8 *net, guint len, char *buf)
{
    guint8 a[16] = {0};
    char addr[SF_ADDR_STRLEN];

    memcpy(a, net, len);
    if (len == 3) {
        memcpy(put_v4(buf, a), "/24", 4);
        return buf;
    }
    inet_ntop(len == 3 ? AF_INET : AF_INET6, a, addr, sizeof addr);
    g_snprintf(buf, SF_ADDR_STRLEN + 4, "%s/%d", addr, len == 3 ? 24 : 64);
    return buf;
}

static void add_plan(sf_window_t *w, guint ci, guint8 what,
                     const sf_agg_net_t *net)
{
    plan_t pl = {ci, what, 0, {0}};

    if (net) {
        pl.net_len = net->net_len;
        memcpy(pl.net, net->net, net->net_len);
    }
    g_array_append_val(w->plan, pl);
}

/* Sends cmd, plans an ignored reply; then EXPIRE key, ignored too, unless
 * key_bit (K_*) says it was set in this bucket already (0: always). */
static void end_and_expire(sf_window_t *w, guint ci, const char *key,
                           guint32 key_bit)
{
    sf_pipe_end(w->pipe);
    add_plan(w, ci, PLAN_IGNORE, NULL);
    if (key_bit && !expire_needed(w, key_bit))
        return;
    sf_pipe_cmd(w->pipe, "EXPIRE");
    sf_pipe_str(w->pipe, key);
    sf_pipe_int(w->pipe, w->ttl);
    sf_pipe_end(w->pipe);
    add_plan(w, ci, PLAN_IGNORE, NULL);
}

/* PFCOUNT over the window's buckets of "sf:{S}:<dim>:". */
static void count_union(sf_window_t *w, const char *prefix, guint ci,
                        guint8 what, const sf_agg_net_t *net)
{
    sf_pipe_cmd(w->pipe, "PFCOUNT");
    for (gint64 b = w->bucket - w->n_back; b <= w->bucket; b++)
        sf_pipe_prefix_int(w->pipe, prefix, b);
    sf_pipe_end(w->pipe);
    add_plan(w, ci, what, net);
}

static void pfadd(sf_window_t *w, const char *key, guint ci,
                  const guint8 *elems, guint n, guint len, guint32 key_bit)
{
    sf_pipe_cmd(w->pipe, "PFADD");
    sf_pipe_str(w->pipe, key);
    for (guint i = 0; i < n; i++)
        sf_pipe_arg(w->pipe, elems + (gsize)i * len, len);
    end_and_expire(w, ci, key, key_bit);
}

/* Elements of differing lengths (a source with IPv4 and IPv6 targets
 * cannot occur in one flow, but costs nothing to get right). */
static void pfadd_begin(sf_window_t *w, const char *key)
{
    sf_pipe_cmd(w->pipe, "PFADD");
    sf_pipe_str(w->pipe, key);
}

/* Each returns TRUE when it PFADDed something (the dimension may have
 * grown in Redis). */
static gboolean write_ports(sf_window_t *w, const char *sk,
                            const sf_agg_source_t *s, guint ci)
{
    char key[128];
    guint n = 0;

    g_byte_array_set_size(w->elems, s->n_ports * 2);
    for (guint i = 0; i < s->n_ports; i++) {
        guint8 *e = w->elems->data + 2 * n;

        e[0] = (guint8)(s->ports[i] >> 8);
        e[1] = (guint8)s->ports[i];
        if (!seen_element(w, fingerprint('p', NULL, 0, e, 2)))
            n++;
    }
    if (n == 0)
        return FALSE;
    bucket_key(key, sk, "p:", w->bucket);
    pfadd(w, key, ci, w->elems->data, n, 2, K_P);
    return TRUE;
}

static gboolean write_nets(sf_window_t *w, const char *sk,
                           const sf_agg_source_t *s, guint ci)
{
    char key[160], net[SF_ADDR_STRLEN + 8];
    gboolean grew = FALSE;

    for (guint i = 0; i < s->n_nets; i++) {
        const sf_agg_net_t *n = &s->nets[i];

        if (seen_element(w, fingerprint('n', NULL, 0, n->net, n->net_len)))
            continue;
        if (!grew) {
            bucket_key(key, sk, "n:", w->bucket);
            pfadd_begin(w, key);
            grew = TRUE;
        }
        sf_pipe_arg(w->pipe, n->net, n->net_len);
    }
    if (grew)
        end_and_expire(w, ci, key, K_N);
    g_byte_array_set_size(w->grown, s->n_nets_tracked);
    for (guint i = 0; i < s->n_nets_tracked; i++) {
        const sf_agg_net_t *n = &s->nets[i];
        char *p = put_str(net, "h:");
        guint k = 0;

        /* a refused net's hosts are not staged as held either: were it
         * admitted later in the bucket, they must be written then */
        if (!admit_net(w, &s->src, n)) {
            w->grown->data[i] = FALSE;
            continue;
        }
        g_byte_array_set_size(w->elems, n->n_hosts * n->host_len);
        for (guint j = 0; j < n->n_hosts; j++) {
            const guint8 *h = n->hosts + (gsize)j * n->host_len;

            if (seen_element(w, fingerprint('h', n->net, n->net_len, h,
                                            n->host_len)))
                continue;
            memcpy(w->elems->data + (gsize)k++ * n->host_len, h,
                   n->host_len);
        }
        w->grown->data[i] = k > 0;
        if (k == 0)
            continue;
        sf_window_net_text(n->net, n->net_len, p);
        p += strlen(p);
        *p++ = ':';
        *p = '\0';
        bucket_key(key, sk, net, w->bucket);
        /* a host key gets its EXPIRE with every PFADD: its hosts are new */
        pfadd(w, key, ci, w->elems->data, k, n->host_len, 0);
    }
    return grew;
}

static gboolean write_addrs(sf_window_t *w, const char *sk,
                            const sf_agg_source_t *s, guint ci)
{
    char key[128];
    gboolean grew = FALSE;

    for (guint i = 0; i < s->n_addrs; i++) {
        gboolean v4 = sf_addr_is_v4(&s->addrs[i]);
        const guint8 *a = s->addrs[i].b + (v4 ? 12 : 0);

        if (seen_element(w, fingerprint('d', NULL, 0, a, v4 ? 4 : 16)))
            continue;
        if (!grew) {
            bucket_key(key, sk, "d:", w->bucket);
            pfadd_begin(w, key);
            grew = TRUE;
        }
        sf_pipe_arg(w->pipe, a, v4 ? 4 : 16);
    }
    if (grew)
        end_and_expire(w, ci, key, K_D);
    return grew;
}

static void write_meta(sf_window_t *w, const char *sk,
                       const sf_agg_source_t *s, guint ci)
{
    char key[128];

    bucket_key(key, sk, "f:", w->bucket);
    sf_pipe_cmd(w->pipe, "INCRBY");
    sf_pipe_str(w->pipe, key);
    sf_pipe_int(w->pipe, s->flows);
    end_and_expire(w, ci, key, K_F);

    *put_str(put_str(key, sk), "m") = '\0';
    sf_pipe_cmd(w->pipe, "ZADD");
    sf_pipe_str(w->pipe, key);
    sf_pipe_str(w->pipe, "GT");
    sf_pipe_int(w->pipe, -s->first_ms);
    sf_pipe_str(w->pipe, "first");
    sf_pipe_int(w->pipe, s->last_ms);
    sf_pipe_str(w->pipe, "last");
    for (guint i = 0; i < s->n_exporters; i++) {
        char x[SF_ADDR_STRLEN + 2] = "x:";

        sf_pipe_int(w->pipe, s->last_ms);
        sf_pipe_str(w->pipe, addr_text(&s->exporters[i], x + 2) - 2);
    }
    end_and_expire(w, ci, key, K_M);
}

static void write_samples(sf_window_t *w, const char *sk,
                          const sf_agg_source_t *s, guint ci)
{
    char key[128], addr[SF_ADDR_STRLEN + 2];

    *put_str(put_str(key, sk), "s") = '\0';
    sf_pipe_cmd(w->pipe, "LPUSH");
    sf_pipe_str(w->pipe, key);
    for (guint i = 0; i < s->n_ports && i < SAMPLES_PER_FLUSH; i++) {
        char *end = put_uint(put_str(addr, "p:"), s->ports[i]);
        sf_pipe_arg(w->pipe, addr, (gsize)(end - addr));
    }
    for (guint i = 0; i < s->n_addrs && i < SAMPLES_PER_FLUSH; i++) {
        memcpy(addr, "h:", 2);
        addr_text(&s->addrs[i], addr + 2);
        sf_pipe_str(w->pipe, addr);
    }
    sf_pipe_end(w->pipe);
    add_plan(w, ci, PLAN_IGNORE, NULL);
    sf_pipe_cmd(w->pipe, "LTRIM");
    sf_pipe_str(w->pipe, key);
    sf_pipe_str(w->pipe, "0");
    sf_pipe_str(w->pipe, "79");
    end_and_expire(w, ci, key, K_S);
}

/* Counts only the dimensions this flush PFADDed into: one that Redis
 * already held whole cannot have grown. */
static void write_counts(sf_window_t *w, const char *sk,
                         const sf_agg_source_t *s, guint ci,
                         gboolean ports, gboolean nets)
{
    char prefix[192], net[SF_ADDR_STRLEN + 4];

    if (ports) {
        *put_str(put_str(prefix, sk), "p:") = '\0';
        count_union(w, prefix, ci, PLAN_PORTS, NULL);
    }
    if (nets) {
        *put_str(put_str(prefix, sk), "n:") = '\0';
        count_union(w, prefix, ci, PLAN_NETS, NULL);
    }
    for (guint i = 0; i < s->n_nets_tracked; i++) {
        char *p = put_str(put_str(prefix, sk), "h:");

        if (!w->grown->data[i])
            continue;
        sf_window_net_text(s->nets[i].net, s->nets[i].net_len, net);
        *put_str(put_str(p, net), ":") = '\0';
        count_union(w, prefix, ci, PLAN_HOSTS, &s->nets[i]);
    }
}

static gboolean read_replies(sf_window_t *w, GError **err);

static void visit_source(const sf_agg_source_t *s, void *user)
{
    sf_window_t *w = user;
    sf_window_counts_t c = {.src = s->src, .ports = -1, .nets = -1,
                            .top_hosts = -1};
    char src[SF_ADDR_STRLEN], sk[SF_ADDR_STRLEN + 8];
    guint ci = w->counts->len;
    gboolean ports = FALSE, nets, hosts = FALSE, addrs;

    if (s->n_addrs == 0 || s->n_nets == 0 || w->error)
        return;
    g_array_append_val(w->counts, c);
    addr_text(&s->src, src);
    *put_str(put_str(put_str(sk, "sf:{"), src), "}:") = '\0';
    w->cur = seen_find(w, &s->src);
    memset(&w->stage, 0, sizeof w->stage);
    w->stage.src = s->src;
    w->stage.bucket = w->bucket;
    if (s->n_ports)
        ports = write_ports(w, sk, s, ci);
    nets = write_nets(w, sk, s, ci);
    for (guint i = 0; i < s->n_nets_tracked; i++)
        hosts |= w->grown->data[i];
    addrs = write_addrs(w, sk, s, ci);
    write_meta(w, sk, s, ci);
    /* samples of a flush that added nothing repeat earlier ones */
    if (ports || nets || hosts || addrs)
        write_samples(w, sk, s, ci);
    write_counts(w, sk, s, ci, ports, nets);
    g_array_append_val(w->staged, w->stage);
    if (w->plan->len - w->plan_read >= CHUNK && w->error == NULL)
        read_replies(w, &w->error);
}

static void apply_reply(sf_window_counts_t *c, const plan_t *pl,
                        const redisReply *r)
{
    if (r->type != REDIS_REPLY_INTEGER)
        return;
    switch (pl->what) {
    case PLAN_PORTS:
        c->ports = r->integer;
        break;
    case PLAN_NETS:
        c->nets = r->integer;
        break;
    case PLAN_HOSTS:
        if (r->integer > c->top_hosts) {
            c->top_hosts = r->integer;
            c->top_net_len = pl->net_len;
            memcpy(c->top_net, pl->net, pl->net_len);
        }
        break;
    }
}

gboolean sf_window_update(sf_window_t *w, sf_pipe_t *p, sf_agg_t *agg,
                          GArray *counts, GError **err)
{
    w->bucket = sf_agg_last_arrival(agg) / (w->cfg->bucket_s * 1000);
    w->pipe = p;
    w->counts = counts;
    g_array_set_size(w->plan, 0);
    w->plan_read = 0;
    g_clear_error(&w->error);
    g_array_set_size(w->staged, 0);
    g_array_set_size(w->staged_admit, 0);
    w->staged_capped = 0;
    sf_agg_walk(agg, visit_source, w);
    if (w->error) {
        g_propagate_error(err, w->error);
        w->error = NULL;
        return FALSE;
    }
    return read_replies(w, err);
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

static gint64 fanout(const sf_window_counts_t *c)
{
    return MAX(MAX(c->ports, c->nets), c->top_hosts);
}

static guint record_fanout(sf_window_t *w, sf_pipe_t *p,
                           const sf_window_counts_t *c, gint64 minute)
{
    char src[SF_ADDR_STRLEN], key[128], net[SF_ADDR_STRLEN + 4];
    guint sent = 0;

    sf_addr_to_string(&c->src, src);
    if (c->top_net_len) {
        sf_window_net_text(c->top_net, c->top_net_len, net);
        g_snprintf(key, sizeof key, "sf:{%s}:top", src);
        sf_pipe_cmd(p, "ZADD");
        sf_pipe_str(p, key);
        sf_pipe_str(p, "GT");
        sf_pipe_int(p, c->top_hosts);
        sf_pipe_str(p, net);
        sf_pipe_end(p);
        sf_pipe_cmd(p, "ZREMRANGEBYRANK");
        sf_pipe_str(p, key);
        sf_pipe_str(p, "0");
        sf_pipe_str(p, "-9");
        sf_pipe_end(p);
        sf_pipe_cmd(p, "EXPIRE");
        sf_pipe_str(p, key);
        sf_pipe_int(p, w->ttl);
        sf_pipe_end(p);
        sent += 3;
    }
    g_snprintf(key, sizeof key, "sf:{%s}:c", src);
    sf_pipe_cmd(p, "HSET");
    sf_pipe_str(p, key);
    if (c->nets >= 0) {         /* -1: not counted, Redis held them all */
        sf_pipe_str(p, "nets");
        sf_pipe_int(p, c->nets);
    }
    if (c->ports >= 0) {
        sf_pipe_str(p, "ports");
        sf_pipe_int(p, c->ports);
    }
    if (c->top_net_len) {
        sf_pipe_str(p, "hosts");
        sf_pipe_int(p, c->top_hosts);
        sf_pipe_str(p, "net");
        sf_pipe_str(p, net);
    }
    sf_pipe_end(p);
    sf_pipe_cmd(p, "EXPIRE");
    sf_pipe_str(p, key);
    sf_pipe_int(p, w->ttl);
    sf_pipe_end(p);
    sf_pipe_cmd(p, "ZADD");
    sf_pipe_argf(p, "sf:top:%" G_GINT64_FORMAT, minute);
    sf_pipe_str(p, "GT");
    sf_pipe_int(p, fanout(c));
    sf_pipe_str(p, src);
    sf_pipe_end(p);
    return sent + 3;
}

/* Sends the fan-out records and reads their replies, CHUNK at a time. */
static gboolean record_all(sf_window_t *w, sf_pipe_t *p, gint64 now_ms,
                           const GArray *counts, GError **err)
{
    gint64 minute = now_ms / 60000;
    guint sent = 0;

    for (guint i = 0; i < counts->len; i++) {
        const sf_window_counts_t *c =
            &g_array_index(counts, sf_window_counts_t, i);
        if (fanout(c) >= TOP_MIN_FANOUT)
            sent += record_fanout(w, p, c, minute);
        if (sf_pipe_pending(p) >= CHUNK && !sf_pipe_drain(p, err))
            return FALSE;
    }
    if (sent == 0)
        return sf_pipe_drain(p, err);
    sf_pipe_cmd(p, "EXPIRE");
    sf_pipe_argf(p, "sf:top:%" G_GINT64_FORMAT, minute);
    sf_pipe_str(p, "180");
    sf_pipe_end(p);
    sf_pipe_cmd(p, "ZREMRANGEBYRANK");
    sf_pipe_argf(p, "sf:top:%" G_GINT64_FORMAT, minute);
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "-10001");
    sf_pipe_end(p);
    return sf_pipe_drain(p, err);
}

#define N_CLAIM_REPLIES 8

static void claim_commands(sf_window_t *w, sf_pipe_t *p,
                           const sf_window_claim_t *cl,
                           const sf_window_counts_t *c)
{
    char src[SF_ADDR_STRLEN], sk[SF_ADDR_STRLEN + 8], prefix[128];
    static const char dims[] = {'p', 'd', 'n'};

    g_snprintf(sk, sizeof sk, "sf:{%s}:", sf_addr_to_string(&c->src, src));
    sf_pipe_cmd(p, "SET");
    sf_pipe_argf(p, "%sa:%s", sk, sf_alert_kind_name(cl->kind));
    sf_pipe_str(p, w->token);
    sf_pipe_str(p, "NX");
    sf_pipe_str(p, "GET");
    sf_pipe_str(p, "EX");
    sf_pipe_int(p, w->cfg->suppress_s);
    sf_pipe_end(p);
    for (guint d = 0; d < G_N_ELEMENTS(dims); d++) {
        g_snprintf(prefix, sizeof prefix, "%s%c:", sk, dims[d]);
        sf_pipe_cmd(p, "PFCOUNT");
        for (gint64 b = w->bucket - w->n_back; b <= w->bucket; b++)
            sf_pipe_prefix_int(p, prefix, b);
        sf_pipe_end(p);
    }
    g_snprintf(prefix, sizeof prefix, "%sf:", sk);
    sf_pipe_cmd(p, "MGET");
    for (gint64 b = w->bucket - w->n_back; b <= w->bucket; b++)
        sf_pipe_prefix_int(p, prefix, b);
    sf_pipe_end(p);
    g_snprintf(prefix, sizeof prefix, "%sm", sk);
    sf_pipe_cmd(p, "ZRANGE");
    sf_pipe_str(p, prefix);
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "-1");
    sf_pipe_str(p, "WITHSCORES");
    sf_pipe_end(p);
    g_snprintf(prefix, sizeof prefix, "%stop", sk);
    sf_pipe_cmd(p, "ZREVRANGE");
    sf_pipe_str(p, prefix);
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "WITHSCORES");
    sf_pipe_end(p);
    g_snprintf(prefix, sizeof prefix, "%ss", sk);
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

static void parse_claim(sf_window_t *w, sf_window_claim_t *cl, redisReply **r)
{
    sf_alert_facts_t *f = &cl->facts;

    /* NX GET: nil when this SET created the claim; the holder's token
     * otherwise, ours when an earlier try of this flush set it. */
    cl->won = r[0]->type == REDIS_REPLY_NIL
              || (r[0]->type == REDIS_REPLY_STRING
                  && strcmp(r[0]->str, w->token) == 0);
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
}

#define CLAIM_CHUNK 64

static gboolean claim_some(sf_window_t *w, sf_pipe_t *p, const GArray *counts,
                           GArray *claims, guint i0, guint i1, GError **err);

gboolean sf_window_claim(sf_window_t *w, sf_pipe_t *p, gint64 now_ms,
                         const GArray *counts, GArray *claims, GError **err)
{
    if (!record_all(w, p, now_ms, counts, err))
        return FALSE;
    g_snprintf(w->token, sizeof w->token, "%s/%08x/%" G_GUINT64_FORMAT,
               w->collector, w->run, w->seq);
    for (guint i0 = 0; i0 < claims->len; i0 += CLAIM_CHUNK)
        if (!claim_some(w, p, counts, claims, i0,
                        MIN(claims->len, i0 + CLAIM_CHUNK), err))
            return FALSE;
    if (claims->len)
        w->seq++;
    return TRUE;
}

/* Claims [i0, i1): a few at a time, as each reads back up to 80 samples. */
static gboolean claim_some(sf_window_t *w, sf_pipe_t *p, const GArray *counts,
                           GArray *claims, guint i0, guint i1, GError **err)
{
    for (guint i = i0; i < i1; i++) {
        sf_window_claim_t *cl = &g_array_index(claims, sf_window_claim_t, i);
        claim_commands(w, p, cl, &g_array_index(counts, sf_window_counts_t,
                                                cl->counts_index));
    }
    for (guint i = i0; i < i1; i++) {
        sf_window_claim_t *cl = &g_array_index(claims, sf_window_claim_t, i);
        redisReply *r[N_CLAIM_REPLIES] = {NULL};
        gboolean ok = TRUE;

        for (guint k = 0; k < N_CLAIM_REPLIES && ok; k++)
            ok = (r[k] = sf_pipe_reply(p, err)) != NULL;
        if (ok)
            parse_claim(w, cl, r);
        for (guint k = 0; k < N_CLAIM_REPLIES; k++)
            if (r[k])
                freeReplyObject(r[k]);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}
