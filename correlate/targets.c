/*
 * targets.c - many-to-one scans (distributed_port_scan): the local set of
 * (target, source, port) triples of one flush, its write into Redis under
 * the target's hash tag, the rule and the claim.  See targets.h.
 */
#include "targets.h"

#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "keys.h"

#define PROBE_LIMIT 8           /* slots tried before a triple is dropped */
#define TOP_KEPT 64             /* sources kept in sf:{T}:tz */
#define SINGLES_KEPT 4          /* one-port sources added to tz per flush */
#define ADMIT_SLOTS 32768       /* targets followed locally (Redis thread),
                                 * in sets of 4 */
#define ADMIT_SOURCES 4         /* distinct sources and ports a target shows */
#define ADMIT_PORTS 4           /* locally before it is written to Redis */
#define ADMIT_PENDING 8         /* its probes kept until then */

/* A probe as filed: h is its hash (seeded, of target, source and port),
 * slot its entry in the index. */
typedef struct triple {
    sf_addr_t dst, src;
    guint64   h;
    guint16   port;
    guint32   slot;
} triple_t;

/* The flush's probes in the order they came (each once), and an open
 * index of their hashes' high 32 bits (the low ones pick the slot), 4
 * bytes a slot, twice as many slots as room: a repeat costs one look in
 * a table of room * 8 bytes, a new probe an append.  Two probes whose
 * hashes share the high half within 8 slots count as one (a chance of
 * about 8 in 2^31 a probe). */
struct sf_targets {
    guint     mask;
    guint32  *index;            /* high half of hashes, | 1; 0: empty */
    triple_t *v;                /* room probes at most */
    guint     n_used, room;
    guint64   dropped;
};

static guint64 seed;            /* per process: attacker-chosen addresses */

static guint64 hash_target(const sf_addr_t *dst)
{
    return sf_hash_addr(seed, dst) | 1;
}

/* A probe's hash: the target's mixed with the seed, then the source and
 * port folded in and mixed again (two mixing steps, not four: this runs
 * for every probe).  Two probes of one target collide only when their
 * sources and ports fold alike, which their sender could arrange, to hide
 * a probe of its own; across targets the seed decides. */
static guint64 hash_probe(const sf_addr_t *dst, const sf_addr_t *src,
                          guint16 port)
{
    guint64 d[2], s[2], h;

    memcpy(d, dst->b, 16);
    memcpy(s, src->b, 16);
    h = sf_mix64(sf_mix64(seed ^ d[0]
                          ^ d[1] * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15))
                 ^ s[0] * G_GUINT64_CONSTANT(0xc2b2ae3d27d4eb4f)
                 ^ s[1] * G_GUINT64_CONSTANT(0x165667b19e3779f9) ^ port);
    return h ? h : 1;
}

/* Slots of a table: a power of two, at least 64 and at least slots
 * (which config.c bounds far below 2^31). */
static guint table_slots(guint slots)
{
    guint n = 64;

    while (n < slots && n < (1u << 31))
        n <<= 1;
    return n;
}

sf_targets_t *sf_targets_new(guint slots)
{
    static gsize once;
    sf_targets_t *t = g_new0(sf_targets_t, 1);
    guint n = table_slots(slots) * 2;       /* the index half full at most */

    if (g_once_init_enter(&once)) {
        seed = ((guint64)g_random_int() << 32) | g_random_int();
        g_once_init_leave(&once, 1);
    }
    t->mask = n - 1;
    t->room = n / 2;
    t->index = g_new0(guint32, n);
    t->v = g_new(triple_t, t->room);
    return t;
}

void sf_targets_free(sf_targets_t *t)
{
    if (t == NULL)
        return;
    g_free(t->index);
    g_free(t->v);
    g_free(t);
}

/* Files probe f of hash h. */
static void file(sf_targets_t *t, const sf_flow_t *f, guint64 h)
{
    guint32 hi = (guint32)(h >> 32) | 1;

    for (guint i = 0; i < PROBE_LIMIT; i++) {
        guint s = (guint)((h + i) & t->mask);
        if (t->index[s] == hi)
            return;                             /* a repeat */
        if (t->index[s] == 0) {
            if (t->n_used == t->room)
                break;
            t->index[s] = hi;
            t->v[t->n_used++] = (triple_t){f->dst, f->src, h, f->dst_port,
                                           s};
            return;
        }
    }
    t->dropped++;
}

/* In chunks of ADD_CHUNK: the hashes first, each probe's index slot asked
 * of memory ahead (prefetch), then the filing, which finds them in cache. */
#define ADD_CHUNK 32
void sf_targets_add_batch(sf_targets_t *t, const sf_flow_t *flows,
                          const gboolean *with_port, guint n)
{
    guint64 h[ADD_CHUNK];

    for (guint a = 0; a < n; a += ADD_CHUNK) {
        guint b = MIN(n, a + ADD_CHUNK);

        for (guint i = a; i < b; i++) {
            if (!with_port[i])
                continue;
            h[i - a] = hash_probe(&flows[i].dst, &flows[i].src,
                                  flows[i].dst_port);
            __builtin_prefetch(&t->index[h[i - a] & t->mask]);
        }
        for (guint i = a; i < b; i++)
            if (with_port[i])
                file(t, &flows[i], h[i - a]);
    }
}

gboolean sf_targets_is_empty(const sf_targets_t *t)
{
    return t->n_used == 0;
}

guint64 sf_targets_take_dropped(sf_targets_t *t)
{
    guint64 d = t->dropped;

    t->dropped = 0;
    return d;
}

static void reset(sf_targets_t *t)
{
    if (t->n_used > (t->mask + 1) / 16)
        memset(t->index, 0, (t->mask + 1) * sizeof *t->index);
    else
        for (guint i = 0; i < t->n_used; i++)
            t->index[t->v[i].slot] = 0;
    t->n_used = 0;
}

gboolean sf_targets_crossed(const sf_correlate_config_t *cfg, gint64 ports,
                            gint64 sources, gint64 top)
{
    return cfg->distributed_ports > 0 && ports >= cfg->distributed_ports
        && sources >= cfg->distributed_sources
        && ports - MAX(top, 0) >= cfg->distributed_ports;
}

/* A target followed before and after it is written to Redis (admitted):
 * 64-bit maps of its sources' and ports' hashes (their bit counts are the
 * distinct counts while small) and its first probes, which go to Redis
 * with the flush that admits it. */
typedef struct pending {
    sf_addr_t src;
    guint16   port;
} pending_t;

typedef struct admit {
    guint64   fp;               /* the target's hash; 0: empty */
    gint64    since;            /* bucket of its first probe, or of its
                                 * last write once admitted */
    guint64   src_bits, port_bits;
    gint64    refused;          /* bucket + 1 of a refusal by the cap */
    guint8    admitted, n_pending;
    guint8    n_src, n_port;    /* bits set in src_bits, port_bits */
} admit_t;

struct sf_targets_known {
    guint    mask;
    guint64 *fp;
    admit_t *admit;             /* ADMIT_SLOTS, direct-mapped */
    pending_t *pending;         /* ADMIT_PENDING a slot: its first probes
                                 * (apart, so that the slots stay dense) */
    gint64   cap_bucket;        /* the bucket admitted counts */
    guint    admitted;          /* targets admitted in cap_bucket */
    guint64  refused;           /* not admitted: the cap, or no slot */
};

sf_targets_known_t *sf_targets_known_new(guint slots)
{
    sf_targets_known_t *k = g_new0(sf_targets_known_t, 1);
    guint n = table_slots(slots);

    k->mask = n - 1;
    k->fp = g_new0(guint64, n);
    k->admit = g_new0(admit_t, ADMIT_SLOTS);
    k->pending = g_new(pending_t, ADMIT_SLOTS * ADMIT_PENDING);
    return k;
}

void sf_targets_known_free(sf_targets_known_t *k)
{
    if (k == NULL)
        return;
    g_free(k->fp);
    g_free(k->admit);
    g_free(k->pending);
    g_free(k);
}

guint64 sf_targets_take_refused(sf_targets_known_t *k)
{
    guint64 r = k->refused;

    k->refused = 0;
    return r;
}

void sf_targets_known_forget(sf_targets_known_t *k)
{
    memset(k->fp, 0, (k->mask + 1) * sizeof *k->fp);
}

/* A triple's fingerprint in a bucket (never 0: 0 is an empty slot). */
static guint64 fingerprint(const triple_t *e, gint64 bucket)
{
    guint64 h = sf_mix64(e->h ^ ((guint64)bucket
                                 * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)));

    return h ? h : 1;
}

static int cmp_triple(const void *a, const void *b)
{
    const triple_t *x = a, *y = b;
    int c = memcmp(x->dst.b, y->dst.b, 16);

    if (c == 0)
        c = memcmp(x->src.b, y->src.b, 16);
    return c ? c : (int)x->port - (int)y->port;
}

static void remember(sf_targets_known_t *k, const triple_t *v, guint n,
                     gint64 bucket)
{
    for (guint i = 0; i < n; i++) {
        guint64 fp = fingerprint(&v[i], bucket);
        k->fp[fp & k->mask] = fp;
    }
}

/* What one flush asks about one target. */
typedef struct group {
    guint   a, b;               /* its triples in the sorted array */
    gint64  ports, sources, flows, top;
    char   *samples[SF_ALERT_MAX_SAMPLES];
    guint   n_samples;
} group_t;

typedef struct flusher {
    sf_pipe_t                   *p;
    const sf_correlate_config_t *cfg;
    const triple_t              *v;
    gint64                       bucket, n_back, ttl, now_ms;
} flusher_t;

static void key_of(char *key, const sf_addr_t *target, const char *suffix)
{
    char sk[SF_KEY_SOURCE_LEN];

    sf_key_of(key, sf_key_source(sk, target), suffix);
}

/* PFADD of the group's ports (or sources) into this bucket's key, EXPIRE. */
static void pfadd(flusher_t *fl, const group_t *g, gboolean ports)
{
    char key[SF_KEY_LEN], sk[SF_KEY_SOURCE_LEN], text[SF_ADDR_STRLEN];
    const sf_addr_t *dst = &fl->v[g->a].dst;

    sf_key_bucket(key, sf_key_source(sk, dst), ports ? "tp:" : "ts:",
                  fl->bucket);
    sf_pipe_cmd(fl->p, "PFADD");
    sf_pipe_str(fl->p, key);
    for (guint i = g->a; i < g->b; i++)
        if (ports)
            sf_pipe_int(fl->p, fl->v[i].port);
        else if (i == g->a || !sf_addr_equal(&fl->v[i].src, &fl->v[i - 1].src))
            sf_pipe_str(fl->p, sf_key_addr_text(&fl->v[i].src, text));
    sf_pipe_end(fl->p);
    sf_pipe_key_int(fl->p, "EXPIRE", key, fl->ttl);
}

static void pfcount(flusher_t *fl, const group_t *g, const char *dim)
{
    char key[SF_KEY_LEN], sk[SF_KEY_SOURCE_LEN];

    sf_key_source(sk, &fl->v[g->a].dst);
    sf_pipe_cmd(fl->p, "PFCOUNT");
    for (gint64 b = fl->bucket - fl->n_back; b <= fl->bucket; b++)
        sf_pipe_str(fl->p, sf_key_bucket(key, sk, dim, b));
    sf_pipe_end(fl->p);
}

typedef struct run {
    guint first, ports;         /* a source's triples in the group */
} run_t;

static int cmp_run(const void *a, const void *b)
{
    const run_t *x = a, *y = b;

    return x->ports != y->ports ? (x->ports < y->ports ? 1 : -1)
                                : (x->first > y->first) - (x->first < y->first);
}

/* ZINCRBY of the sources with the most ports this flush: TOP_KEPT of
 * them at most, of which SINGLES_KEPT with one port (one port explains
 * nothing; a few are samples).  Returns the commands sent. */
static guint add_top(flusher_t *fl, const group_t *g, const char *key)
{
    g_autofree run_t *r = g_new(run_t, g->b - g->a);
    char text[SF_ADDR_STRLEN];
    guint n = 0, sent = 0, singles = 0;

    for (guint i = g->a, j; i < g->b; i = j, n++) {
        for (j = i + 1; j < g->b && sf_addr_equal(&fl->v[j].src,
                                                  &fl->v[i].src); j++)
            ;
        r[n] = (run_t){i, j - i};
    }
    qsort(r, n, sizeof *r, cmp_run);
    for (guint k = 0; k < n && sent < TOP_KEPT; k++) {
        if (r[k].ports == 1 && ++singles > SINGLES_KEPT)
            break;
        sf_pipe_cmd(fl->p, "ZINCRBY");
        sf_pipe_str(fl->p, key);
        sf_pipe_int(fl->p, r[k].ports);
        sf_pipe_str(fl->p, sf_key_addr_text(&fl->v[r[k].first].src, text));
        sf_pipe_end(fl->p);
        sent++;
    }
    return sent;
}

/* The group's commands; returns how many replies they get. */
static guint append_group(flusher_t *fl, const group_t *g)
{
    char key[SF_KEY_LEN];
    const sf_addr_t *dst = &fl->v[g->a].dst;
    guint n;

    pfadd(fl, g, TRUE);
    pfadd(fl, g, FALSE);
    key_of(key, dst, "tz");
    n = add_top(fl, g, key);
    sf_pipe_cmd(fl->p, "ZREMRANGEBYRANK");
    sf_pipe_str(fl->p, key);
    sf_pipe_int(fl->p, 0);
    sf_pipe_int(fl->p, -(TOP_KEPT + 1));
    sf_pipe_end(fl->p);
    sf_pipe_key_int(fl->p, "EXPIRE", key, fl->ttl);
    key_of(key, dst, "tf");
    sf_pipe_key_int(fl->p, "INCRBY", key, g->b - g->a);
    sf_pipe_key_int(fl->p, "EXPIRE", key, fl->ttl);
    pfcount(fl, g, "tp:");
    pfcount(fl, g, "ts:");
    key_of(key, dst, "tz");
    sf_pipe_cmd(fl->p, "ZREVRANGE");
    sf_pipe_str(fl->p, key);
    sf_pipe_int(fl->p, 0);
    sf_pipe_int(fl->p, SF_ALERT_MAX_SAMPLES - 1);
    sf_pipe_str(fl->p, "WITHSCORES");
    sf_pipe_end(fl->p);
    return n + 11;
}

static gint64 reply_int(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

/* Reads a group's replies: the last four are INCRBY's result (after its
 * EXPIRE), the two counts and the top sources. */
static gboolean read_group(flusher_t *fl, group_t *g, guint n, GError **err)
{
    for (guint i = 0; i < n; i++) {
        redisReply *r = sf_pipe_reply(fl->p, err);
        if (r == NULL)
            return FALSE;
        if (i == n - 5)
            g->flows = reply_int(r);
        else if (i == n - 3)
            g->ports = reply_int(r);
        else if (i == n - 2)
            g->sources = reply_int(r);
        else if (i == n - 1 && r->type == REDIS_REPLY_ARRAY)
            for (size_t k = 0; k + 1 < r->elements; k += 2) {
                if (k == 0)
                    g->top = g_ascii_strtoll(r->element[1]->str, NULL, 10);
                g->samples[g->n_samples++] = g_strdup(r->element[k]->str);
            }
        freeReplyObject(r);
    }
    return TRUE;
}

static void group_clear(group_t *g)
{
    for (guint i = 0; i < g->n_samples; i++)
        g_free(g->samples[i]);
    g->n_samples = 0;
}

/* The slot of the target of hash fp: its own in the set of 4 its hash
 * picks, else an empty one or one whose window is over, else the one
 * showing the fewest sources and ports that is not admitted (a busy
 * target is not pushed out by noise); NULL when all 4 are admitted. */
static admit_t *admit_slot(sf_targets_known_t *k, guint64 fp, gint64 bucket,
                           gint64 n_back)
{
    admit_t *set = &k->admit[fp & (ADMIT_SLOTS - 4)], *best = NULL;
    gint best_score = G_MAXINT;

    for (guint i = 0; i < 4; i++) {
        admit_t *e = &set[i];
        gboolean live = e->fp && bucket - e->since <= n_back;
        gint score = !live ? -1 : e->admitted ? G_MAXINT
                     : e->n_src + e->n_port;

        if (live && e->fp == fp)
            return e;
        if (score < best_score) {
            best = e;
            best_score = score;
        }
    }
    if (best == NULL)
        return NULL;
    memset(best, 0, sizeof *best);
    best->fp = fp;
    best->since = bucket;
    return best;
}

/* The slot holding the target of hash fp, or NULL. */
static admit_t *admit_find(sf_targets_known_t *k, guint64 fp)
{
    admit_t *set = &k->admit[fp & (ADMIT_SLOTS - 4)];

    for (guint i = 0; i < 4; i++)
        if (set[i].fp == fp)
            return &set[i];
    return NULL;
}

static void admit_note(sf_targets_known_t *k, admit_t *e, const triple_t *x)
{
    pending_t *pending = &k->pending[(e - k->admit) * ADMIT_PENDING];
    guint n = e->n_pending, j = 0;

    guint64 sb = G_GUINT64_CONSTANT(1) << (sf_hash_addr(7, &x->src) & 63);
    guint64 pb = G_GUINT64_CONSTANT(1)
                 << ((x->port * 0x9e3779b97f4a7c15ULL) >> 58);

    e->n_src += !(e->src_bits & sb);
    e->n_port += !(e->port_bits & pb);
    e->src_bits |= sb;
    e->port_bits |= pb;
    while (j < n && !(pending[j].port == x->port
                      && sf_addr_equal(&pending[j].src, &x->src)))
        j++;
    if (j == n && n < ADMIT_PENDING)
        pending[e->n_pending++] = (pending_t){x->src, x->port};
}

/* Whether target dst (slot e) is written this flush: once it showed
 * ADMIT_SOURCES sources and ADMIT_PORTS ports (or the rule's own, if
 * lower) within the window, and the bucket's --max-redis-targets allow.
 * Admitted now: its kept probes are appended to w. */
static gboolean admit(sf_targets_known_t *k, const flusher_t *fl,
                      admit_t *e, const sf_addr_t *dst, GArray *w)
{
    guint cap = (guint)fl->cfg->max_redis_targets;

    if (e->admitted) {
        e->since = fl->bucket;
        return TRUE;
    }
    if (e->refused == fl->bucket + 1
        || e->n_src < MIN(ADMIT_SOURCES, fl->cfg->distributed_sources)
        || e->n_port < MIN(ADMIT_PORTS, fl->cfg->distributed_ports))
        return FALSE;
    if (k->cap_bucket != fl->bucket) {
        k->cap_bucket = fl->bucket;
        k->admitted = 0;
    }
    if (cap && k->admitted >= cap) {
        e->refused = fl->bucket + 1;      /* counted once a bucket */
        k->refused++;
        return FALSE;
    }
    k->admitted++;
    e->admitted = 1;
    e->since = fl->bucket;
    for (guint i = 0; i < e->n_pending; i++) {
        const pending_t *q = &k->pending[(e - k->admit) * ADMIT_PENDING + i];
        triple_t x = {*dst, q->src, hash_probe(dst, &q->src, q->port),
                      q->port, 0};

        g_array_append_val(w, x);
    }
    e->n_pending = 0;
    return TRUE;
}

/* The triples of the flush that known does not hold and whose target is
 * admitted, with the probes kept for those admitted now; sorted by target
 * then source, without repeats.  Two passes over the triples (note each
 * target's probes, then admit), so that only what is written is sorted.
 * Only an admitted target's triples are looked up in known (the others
 * have none written): noise costs one look, at its target's slot. */
static triple_t *admitted(const sf_targets_t *t, sf_targets_known_t *k,
                          const flusher_t *fl, guint *n_out)
{
    GArray *w = g_array_new(FALSE, FALSE, sizeof(triple_t));
    g_autofree admit_t **slot = g_new(admit_t *, t->n_used + 1);
    g_autofree guint64 *dh = g_new(guint64, t->n_used + 1);
    triple_t *out;
    guint len, m = 0;

    for (guint i = 0; i < t->n_used; i++) {
        const triple_t *x = &t->v[i];
        guint64 fp;
        admit_t *e;

        dh[i] = hash_target(&x->dst);
        slot[i] = e = admit_slot(k, dh[i], fl->bucket, fl->n_back);
        if (e == NULL) {
            k->refused++;
        } else if (!e->admitted) {
            admit_note(k, e, x);        /* nothing of it written yet */
        } else {
            fp = fingerprint(x, fl->bucket);
            if (k->fp[fp & k->mask] == fp)
                slot[i] = NULL;         /* written in this bucket */
        }
    }
    for (guint i = 0; i < t->n_used; i++) {
        const triple_t *x = &t->v[i];
        admit_t *e = slot[i];

        if (e && e->fp != dh[i])        /* its slot went to another since */
            e = admit_find(k, dh[i]);

        if (e && admit(k, fl, e, &x->dst, w))
            g_array_append_vals(w, x, 1);
    }
    len = w->len;
    out = (triple_t *)(void *)g_array_free(w, FALSE);
    if (len > 1)            /* an empty array comes back NULL */
        qsort(out, len, sizeof *out, cmp_triple);
    for (guint i = 0; i < len; i++)
        if (m == 0 || cmp_triple(&out[m - 1], &out[i]) != 0)
            out[m++] = out[i];
    *n_out = m;
    return out;
}

/* Splits the sorted triples by target into groups (GArray). */
static GArray *split(const triple_t *v, guint n)
{
    GArray *gs = g_array_new(FALSE, TRUE, sizeof(group_t));

    for (guint i = 0, j; i < n; i = j) {
        group_t g = {.a = i, .top = -1};
        for (j = i + 1; j < n && sf_addr_equal(&v[j].dst, &v[i].dst); j++)
            ;
        g.b = j;
        g_array_append_val(gs, g);
    }
    return gs;
}

/* Writes every group and reads its counts, SF_TARGETS_CHUNK commands at a
 * time (a flood's flush never sits whole in an output buffer). */
#define SF_TARGETS_CHUNK 2048
static gboolean write_groups(flusher_t *fl, GArray *gs, GError **err)
{
    guint *n = g_new(guint, gs->len);
    gboolean ok = TRUE;

    for (guint i = 0, first = 0; ok && i < gs->len; i++) {
        n[i] = append_group(fl, &g_array_index(gs, group_t, i));
        if (sf_pipe_pending(fl->p) < SF_TARGETS_CHUNK && i + 1 < gs->len)
            continue;
        for (; ok && first <= i; first++)
            ok = read_group(fl, &g_array_index(gs, group_t, first), n[first],
                            err);
    }
    g_free(n);
    return ok;
}

/* The claim of one crossing target: SET NX EX; won: facts filled. */
static void fill_facts(const flusher_t *fl, group_t *g, sf_alert_facts_t *f)
{
    f->kind = SF_ALERT_DISTRIBUTED_PORT_SCAN;
    f->src = fl->v[g->a].dst;
    f->window_s = fl->cfg->window_s;
    f->threshold = fl->cfg->distributed_ports;
    f->flows = MAX(g->flows, 0);
    /* an HLL count never above the probes that carried it nor the space */
    f->distinct_ports = MIN(MIN(g->ports, f->flows), 65536);
    f->distinct_sources = MIN(g->sources, f->flows);
    f->distinct_hosts = 1;
    f->distinct_nets24 = 1;
    f->first_seen_ms = f->last_seen_ms = fl->now_ms;     /* of the flush */
    for (guint i = g->a; i < g->b && f->n_sample_ports < SF_ALERT_MAX_SAMPLES;
         i++) {
        guint k = 0;
        while (k < f->n_sample_ports && f->sample_ports[k] != fl->v[i].port)
            k++;
        if (k == f->n_sample_ports)
            f->sample_ports[f->n_sample_ports++] = fl->v[i].port;
    }
    for (guint i = 0; i < g->n_samples; i++)
        f->sample_sources[i] = g->samples[i];
    f->n_sample_sources = g->n_samples;
    g->n_samples = 0;
}

static gboolean claim(flusher_t *fl, GArray *gs, const char *collector,
                      GArray *out, GError **err)
{
    char key[SF_KEY_LEN], sk[SF_KEY_SOURCE_LEN];
    GArray *mine = g_array_new(FALSE, FALSE, sizeof(guint));
    gboolean ok = TRUE;

    for (guint i = 0; i < gs->len; i++) {
        group_t *g = &g_array_index(gs, group_t, i);
        if (!sf_targets_crossed(fl->cfg, g->ports, g->sources, g->top))
            continue;
        sf_key_claim(key, sf_key_source(sk, &fl->v[g->a].dst),
                     "distributed_port_scan");
        sf_pipe_cmd(fl->p, "SET");
        sf_pipe_str(fl->p, key);
        sf_pipe_str(fl->p, collector);
        sf_pipe_str(fl->p, "NX");
        sf_pipe_str(fl->p, "EX");
        sf_pipe_int(fl->p, fl->cfg->suppress_s);
        sf_pipe_end(fl->p);
        g_array_append_val(mine, i);
    }
    for (guint k = 0; ok && k < mine->len; k++) {
        group_t *g = &g_array_index(gs, group_t, g_array_index(mine, guint, k));
        redisReply *r = sf_pipe_reply(fl->p, err);
        sf_target_crossing_t x = {FALSE, {0}};
        if (r == NULL) {
            ok = FALSE;
            break;
        }
        x.won = r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        if (x.won)
            fill_facts(fl, g, &x.facts);
        g_array_append_val(out, x);
    }
    g_array_unref(mine);
    return ok;
}

gboolean sf_targets_flush(sf_targets_t *t, sf_targets_known_t *known,
                          sf_pipe_t *p,
                          const sf_correlate_config_t *cfg,
                          const char *collector, gint64 now_ms,
                          GArray *out, GError **err)
{
    flusher_t fl = {p, cfg, NULL, 0, 0, 0, now_ms};
    g_autofree triple_t *w = NULL;
    GArray *gs;
    gboolean ok;
    guint n;

    if (t->n_used == 0 || cfg->distributed_ports == 0) {
        reset(t);
        return TRUE;
    }
    fl.bucket = now_ms / (cfg->bucket_s * 1000);
    fl.n_back = (cfg->window_s + cfg->bucket_s - 1) / cfg->bucket_s;
    fl.ttl = cfg->window_s + 2 * cfg->bucket_s;
    w = admitted(t, known, &fl, &n);
    fl.v = w;
    gs = split(w, n);
    ok = write_groups(&fl, gs, err)
        && claim(&fl, gs, collector, out, err);
    for (guint i = 0; i < gs->len; i++) {
        const group_t *g = &g_array_index(gs, group_t, i);
        if (ok)
            remember(known, w + g->a, g->b - g->a, fl.bucket);
        group_clear(&g_array_index(gs, group_t, i));
    }
    g_array_unref(gs);
    if (ok)
        reset(t);
    return ok;
}
