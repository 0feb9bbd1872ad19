/*
 * probation.c - holding back sources without fan-out (see probation.h).
 *
 * One table, sized once: `slots` entries of 96 bytes in sets of WAYS,
 * keyed by the exact source address (a hash picks the set), so a source
 * is never mistaken for another: a flood of spoofed sources can push
 * entries out, but never gets one written.  Each set has one cache line
 * of 8-byte way summaries (state, last sighting, held elements, a 16-bit
 * tag of the address's hash) and WAYS entries of 88 bytes (the address
 * and what it holds): a lookup reads the summary line, and the entry only
 * where the tag matches, so a judged source costs one summary line and
 * one entry, both prefetched ahead, instead of the whole set's 12 lines.
 * An entry is
 *
 *  - held: the source's distinct destination ports and addresses seen in
 *    the window so far, at most HELD of each (below share_after, so they
 *    fit), with its first flow time and its flows;
 *  - shared: it reached share_after; written as it comes until it has been
 *    silent for a window.
 *
 * Held elements older than the hold time are dropped, so a source must
 * show share_after distinct elements within it: the window, or with
 * longer horizons (--horizon) the longest one, so that a slow scanner
 * (nmap -T0: a probe every 5 minutes) gathers its share_after elements
 * over 15 minutes and more.  Entries are live for the hold time after
 * their last sighting.
 * A new source takes a free or expired entry of its set, else the held
 * entry with the fewest elements (the oldest of those), else, when all are
 * shared, the oldest shared one; taking a live entry is counted
 * (forgotten).  A flood of one-probe sources thus churns among its own
 * entries, while a slow scanner with two or three probes held keeps its
 * entry.  Under a sustained flood of N new sources a second, a source's
 * first probe is remembered for about slots / N seconds.
 *
 * Redis memory: only shared sources have keys there, and a source becomes
 * shared only through this table, within a budget of max_shared / 10 new
 * shared sources per bucket (window / 10) in each of TIERS tiers.  Tier k
 * takes sources with at least share_after * 4^k distinct ports or
 * addresses (held and in this flush together): 4, 16, 64, 256, 1024 by
 * default.  A source takes the lowest tier it qualifies for that has
 * budget left; with none, it stays held (counted as refused) and tries
 * again at its next flush, with what it still holds.  A flood of spoofed
 * sources with a few probes each thus spends the lower tiers only, and a
 * real scan, whose fan-out grows, still gets in at a higher tier: the
 * least useful sources are the ones kept out.  Redis holds at most about
 * TIERS * max_shared sources written per window, whatever the flood.  A
 * shared source stays shared, with no new budget, while it keeps sending
 * within the window.
 */
#include "probation.h"
#include "hash.h"
#include "sampling.h"
#include "table.h"

#include <string.h>

#define WAYS 8
#define HELD (SF_PROBATION_MAX_SHARE_AFTER - 1)
#define TIERS 5

enum { EMPTY, HELD_STATE, SHARED };

typedef struct entry {
    sf_addr_t src;
    gint64    first_ms;         /* earliest flow start held */
    guint32   since_s;          /* arrival second of the first held one */
    guint8    n_ports, n_addrs;
    guint8    unsampled;        /* a held flow had sampling interval 1 */
    guint16   ports[HELD];
    guint16   flows;            /* held flows, saturating */
    sf_addr_t addrs[HELD];
} entry_t;

/* A way's summary: what choosing a victim and matching a source read. */
typedef struct way {
    guint32   last_s;           /* arrival second of the last sighting */
    guint16   tag;              /* bits of the address's hash */
    guint8    state;
    guint8    held;             /* held elements: MAX(n_ports, n_addrs) */
} way_t;

/* Prefetch ring: hint() is called AHEAD sources before judge(); it asks
 * for the source's summary line, and for the source RING / 2 hints back,
 * whose summary is in cache by then, for the matching entry. */
#define RING 8

struct sf_probation {
    entry_t  *tab;
    way_t    *ways;             /* WAYS per set: one cache line */
    gsize     tab_bytes;
    guint32   set_mask;
    gint      share_after;      /* atomic: SIGHUP sets it */
    guint32   window_s;
    guint32   hold_s;           /* entries and held elements last: the
                                   window or the longest horizon */
    guint32   bucket_s;
    guint     budget;           /* new shared sources per bucket and tier,
                                   0: no cap */
    guint     spent[TIERS];     /* ... in bucket */
    guint32   bucket;
    gint64    epoch_ms;
    guint32   now_s;            /* seconds since epoch_ms, at least 1 */
    guint64   seed;             /* random: which sources share a set is
                                   not predictable, so a scanner cannot
                                   spoof sources that push its own entry
                                   out */
    GArray   *recall;           /* sf_flow_t to add after the filter */
    sf_sampling_cache_t kmin;   /* the lowest threshold's k_min per
                                   interval: sampled sources share at
                                   min(share_after, k_min) */
    guint64   ring[RING];       /* hashes of the sources hinted */
    guint     ring_n;
    sf_probation_stats_t st;
};

/* 96 bytes a slot, summary included */
G_STATIC_ASSERT(sizeof(entry_t) + sizeof(way_t) <= 96);
G_STATIC_ASSERT(sizeof(way_t) * WAYS == 64);

static guint clamp_share(guint share_after)
{
    return MIN(share_after, SF_PROBATION_MAX_SHARE_AFTER);
}

sf_probation_t *sf_probation_new(guint slots, guint share_after,
                                 gint64 window_ms, guint max_shared)
{
    sf_probation_t *p;
    guint32 sets = 1;

    if (slots == 0 || share_after <= 1)
        return NULL;
    while ((guint64)sets * WAYS < slots)
        sets <<= 1;
    p = g_new0(sf_probation_t, 1);
    /* written at random from the first flushes on: mapped at once */
    p->tab_bytes = (gsize)sets * WAYS * sizeof(entry_t);
    p->tab = sf_table_new0(p->tab_bytes);
    p->ways = sf_table_new0((gsize)sets * WAYS * sizeof(way_t));
    p->set_mask = sets - 1;
    p->share_after = (gint)clamp_share(share_after);
    p->window_s = (guint32)MAX(window_ms / 1000, 1);
    p->hold_s = p->window_s;
    p->bucket_s = MAX(p->window_s / 10, 1);
    p->budget = max_shared == 0 ? 0 : MAX(max_shared / 10, 1);
    p->recall = g_array_new(FALSE, TRUE, sizeof(sf_flow_t));
    p->seed = ((guint64)g_random_int() << 32) | g_random_int();
    return p;
}

void sf_probation_free(sf_probation_t *p)
{
    if (p == NULL)
        return;
    sf_table_free(p->tab, p->tab_bytes);
    sf_table_free(p->ways, (gsize)(p->set_mask + 1) * WAYS * sizeof(way_t));
    g_array_unref(p->recall);
    g_free(p);
}

void sf_probation_set_threshold(sf_probation_t *p, guint threshold)
{
    if (p != NULL && p->kmin.threshold != threshold)
        sf_sampling_cache_init(&p->kmin, threshold);
}

void sf_probation_set_share_after(sf_probation_t *p, guint share_after)
{
    /* 1 would mean "off", which only a restart can choose: share at 2 */
    if (p != NULL)
        g_atomic_int_set(&p->share_after, (gint)MAX(clamp_share(share_after), 2));
}

void sf_probation_set_hold(sf_probation_t *p, gint64 hold_ms)
{
    if (p != NULL)
        p->hold_s = (guint32)MAX(hold_ms / 1000, p->window_s);
}

static gboolean live(const sf_probation_t *p, const way_t *w)
{
    return w->state != EMPTY && p->now_s - w->last_s <= p->hold_s;
}

static guint held_elements(const entry_t *e)
{
    return MAX(e->n_ports, e->n_addrs);
}

/* TRUE when victim candidate a is less useful than b. */
static gboolean less_useful(const way_t *a, const way_t *b)
{
    if ((a->state == SHARED) != (b->state == SHARED))
        return b->state == SHARED;
    if (a->state == HELD_STATE && a->held != b->held)
        return a->held < b->held;
    return a->last_s < b->last_s;
}

static guint64 hash_of(const sf_probation_t *p, const sf_addr_t *src)
{
    return sf_hash_addr(p->seed, src);
}

/* The first of the WAYS slots of the set of hash h. */
static gsize set_of(const sf_probation_t *p, guint64 h)
{
    return (gsize)(h & p->set_mask) * WAYS;
}

static guint16 tag_of(guint64 h)
{
    return (guint16)(h >> 48);
}

/* The way of the set whose tag is tag and whose entry holds src (any
 * entry with the tag when src is NULL), else -1 and in *victim the way a
 * new source takes. */
static gint find_way(const sf_probation_t *p, gsize set, guint16 tag,
                     const sf_addr_t *src, gint *victim)
{
    const way_t *w = &p->ways[set];
    gint v = 0;

    for (guint i = 0; i < WAYS; i++)
        if (w[i].tag == tag && live(p, &w[i])
            && (src == NULL || sf_addr_equal(&p->tab[set + i].src, src)))
            return (gint)i;
    /* the first free or expired way, else the least useful live one */
    for (guint i = 0; i < WAYS; i++) {
        if (!live(p, &w[i])) {
            *victim = (gint)i;
            return -1;
        }
        if (i > 0 && less_useful(&w[i], &w[v]))
            v = (gint)i;
    }
    *victim = v;
    return -1;
}

/* The slot of src: found, or a new held one. */
static gsize lookup(sf_probation_t *p, const sf_addr_t *src)
{
    guint64 h = hash_of(p, src);
    gsize set = set_of(p, h);
    guint16 tag = tag_of(h);
    gint victim, found = find_way(p, set, tag, src, &victim);

    if (found >= 0)
        return set + (guint)found;
    if (live(p, &p->ways[set + (guint)victim]))
        p->st.forgotten++;

    gsize slot = set + (guint)victim;
    entry_t *e = &p->tab[slot];
    memset(e, 0, sizeof *e);
    e->src = *src;
    e->since_s = p->now_s;
    p->ways[slot] = (way_t){p->now_s, tag, HELD_STATE, 0};
    return slot;
}

static gboolean has_port(const entry_t *e, guint16 port)
{
    for (guint i = 0; i < e->n_ports; i++)
        if (e->ports[i] == port)
            return TRUE;
    return FALSE;
}

static gboolean has_addr(const entry_t *e, const sf_addr_t *a)
{
    for (guint i = 0; i < e->n_addrs; i++)
        if (sf_addr_equal(&e->addrs[i], a))
            return TRUE;
    return FALSE;
}

/* Distinct ports or addresses (the larger) of the entry and the flush
 * together, counted up to cap. */
static guint fan_out(const entry_t *e, const sf_agg_source_t *v, guint cap)
{
    guint np = e->n_ports, na = e->n_addrs;

    for (guint i = 0; i < v->n_ports && np < cap; i++)
        np += !has_port(e, v->ports[i]);
    for (guint i = 0; i < v->n_addrs && na < cap; i++)
        na += !has_addr(e, &v->addrs[i]);
    return MAX(np, na);
}

/* Whether a source with this fan-out may be shared now (see the top). */
static gboolean admit(sf_probation_t *p, guint share, guint fan)
{
    guint32 bucket = p->now_s / p->bucket_s;

    if (p->budget == 0)
        return TRUE;
    if (bucket != p->bucket) {
        p->bucket = bucket;
        memset(p->spent, 0, sizeof p->spent);
    }
    for (guint k = 0; k < TIERS && fan >= share << (2 * k); k++) {
        if (p->spent[k] < p->budget) {
            p->spent[k]++;
            return TRUE;
        }
    }
    return FALSE;
}

/* Below share_after the union fits in the entry; a refused source keeps
 * what fits. */
static void hold(entry_t *e, const sf_agg_source_t *v)
{
    for (guint i = 0; i < v->n_ports; i++)
        if (!has_port(e, v->ports[i]) && e->n_ports < HELD)
            e->ports[e->n_ports++] = v->ports[i];
    for (guint i = 0; i < v->n_addrs; i++)
        if (!has_addr(e, &v->addrs[i]) && e->n_addrs < HELD)
            e->addrs[e->n_addrs++] = v->addrs[i];
    if (e->flows == 0 || v->first_ms < e->first_ms)
        e->first_ms = v->first_ms;
    if (e->flows == 0)
        e->unsampled = 0;
    e->unsampled |= v->sampling <= 1;
    e->flows = (guint16)MIN((guint)e->flows + v->flows, G_MAXUINT16);
}

/* Queues the held elements as flows to add to the source: ports and
 * addresses are separate dimensions, so pairing them in order is enough.
 * The held flows beyond one per element are added again as copies of the
 * first (the aggregate counts them, and skips their elements), so that
 * the alert's flow count includes them. */
static void recall(sf_probation_t *p, const entry_t *e,
                   const sf_agg_source_t *v)
{
    guint n = held_elements(e);
    guint total = MAX(n, MIN((guint)e->flows, 1024));

    for (guint i = 0; i < total; i++) {
        sf_flow_t f;

        if (i >= n) {           /* a copy of this source's first */
            f = g_array_index(p->recall, sf_flow_t, p->recall->len - i);
            g_array_append_val(p->recall, f);
            continue;
        }
        memset(&f, 0, sizeof f);
        f.src = e->src;
        f.dst = e->addrs[MIN(i, (guint)e->n_addrs - 1)];
        if (v->n_exporters > 0)
            f.exporter = v->exporters[0];
        f.start_ms = f.end_ms = e->first_ms;
        /* held flows keep what was sampled of them: an unsampled one
         * among them makes the source unsampled, as it would have */
        f.sampling_interval = e->unsampled ? 1 : v->sampling;
        /* arrival_ms 0: the flush's place in the window stays that of
         * the flows that arrived in it */
        f.fields = SF_HAS_ADDRS | SF_HAS_TIMES;
        if (i < e->n_ports) {
            f.dst_port = e->ports[i];
            f.fields |= SF_HAS_PORTS;
        }
        g_array_append_val(p->recall, f);
    }
    p->st.recalled += n;
}

/* sf_agg_filter's hint, AHEAD sources before judge(): the source's
 * summary line now, and the entry of the source hinted RING / 2 calls ago
 * (its summary is in cache by then): the one its tag matches, or the one
 * it will take as a new source. */
static void judge_hint(const sf_addr_t *src, void *user)
{
    sf_probation_t *p = user;
    guint64 h = hash_of(p, src);

    __builtin_prefetch(&p->ways[set_of(p, h)], 1);
    p->ring[p->ring_n++ % RING] = h;
    if (p->ring_n <= RING / 2)
        return;

    guint64 back = p->ring[(p->ring_n - 1 - RING / 2) % RING];
    gsize set = set_of(p, back);
    gint victim, way = find_way(p, set, tag_of(back), NULL, &victim);
    const char *e = (const char *)&p->tab[set + (guint)(way >= 0 ? way : victim)];

    /* the entry it has, or the one it will take */
    __builtin_prefetch(e, 1);
    __builtin_prefetch(e + sizeof(entry_t) - 1, 1);
}

static gboolean judge(const sf_agg_source_t *v, void *user)
{
    sf_probation_t *p = user;
    gsize slot = lookup(p, &v->src);
    entry_t *e = &p->tab[slot];
    way_t *w = &p->ways[slot];
    guint share, fan;

    w->last_s = p->now_s;
    if (w->state == SHARED)
        return FALSE;
    if (p->now_s - e->since_s > p->hold_s) {
        /* what it held is older than the hold time now */
        e->n_ports = e->n_addrs = 0;
        e->flows = 0;
        e->since_s = p->now_s;
    }
    share = (guint)g_atomic_int_get(&p->share_after);
    if (v->sampling > 1 && p->kmin.threshold > 0)
        share = MIN(share, MAX(sf_sampling_cache_min_observed(&p->kmin, v->sampling, 1), 1u));
    fan = fan_out(e, v, share << (2 * (TIERS - 1)));
    if (fan >= share) {
        if (!admit(p, share, fan)) {
            p->st.refused++;
            hold(e, v);
            w->held = (guint8)held_elements(e);
            return TRUE;
        }
        if (e->n_addrs > 0)
            recall(p, e, v);
        w->state = SHARED;
        w->held = 0;
        e->n_ports = e->n_addrs = 0;
        p->st.promoted++;
        return FALSE;
    }
    hold(e, v);
    w->held = (guint8)held_elements(e);
    p->st.held++;
    return TRUE;
}

void sf_probation_apply(sf_probation_t *p, sf_agg_t *agg, gint64 now_ms)
{
    if (p == NULL)
        return;
    if (p->epoch_ms == 0)
        p->epoch_ms = now_ms - 1000;
    p->now_s = (guint32)MAX((now_ms - p->epoch_ms) / 1000, 1);
    g_array_set_size(p->recall, 0);
    p->ring_n = 0;
    sf_agg_filter(agg, judge, judge_hint, p);
    for (guint i = 0; i < p->recall->len; i++) {
        const sf_flow_t *f = &g_array_index(p->recall, sf_flow_t, i);
        sf_agg_add(agg, f, (f->fields & SF_HAS_PORTS) != 0);
    }
}

void sf_probation_get_stats(const sf_probation_t *p, sf_probation_stats_t *out)
{
    if (p == NULL) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = p->st;
}
