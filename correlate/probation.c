/*
 * probation.c - holding back sources seen once (see probation.h).
 *
 * Two tables, both sized once:
 *
 *  - the seen filter: two generations of a bitmap of SEEN_BITS bits (1 MiB
 *    each), one bit per hashed source.  A source is "seen" when its bit is
 *    set in either generation.  The current generation is retired when it
 *    is horizon_ms old or half its bits are set, whichever comes first, so
 *    a flood of new sources cannot saturate it: beyond that rate it only
 *    shortens how long a sighting is remembered (about 5.8 million
 *    sightings per generation).  A false "seen" (two sources on one bit)
 *    writes a source early: a cost, never a loss.
 *  - the remembered flows: a direct-mapped array of `slots` entries keyed
 *    by the source's hash.  A new first sighting overwrites an older,
 *    different one; that is counted (forgotten) and costs that source one
 *    probe if it comes back, since its bit still promotes it.
 *
 * A slow scan (one probe per flush) is thus written from its second probe
 * on, with its first; a one-flow spoofed source is never written.
 */
#include "probation.h"
#include "hash.h"

#include <string.h>

#define SEEN_LOG2 23
#define SEEN_BITS (G_GUINT64_CONSTANT(1) << SEEN_LOG2)

typedef struct remembered {
    sf_addr_t src, dst, exporter;
    gint64    first_ms, last_ms, arrival_ms;
    guint16   port;
    guint8    has_port;
    guint8    used;
} remembered_t;

struct sf_probation {
    guint64      *seen[2];      /* [0] current generation */
    guint64       seen_set;     /* bits set in the current one */
    gint64        gen_start_ms;
    gint64        horizon_ms;
    remembered_t *mem;
    guint         n_mem;
    GArray       *recall;       /* sf_flow_t to add after the filter */
    sf_agg_t     *agg;
    gint64        now_ms;
    sf_probation_stats_t st;
};

sf_probation_t *sf_probation_new(guint slots, gint64 horizon_ms)
{
    sf_probation_t *p;

    if (slots == 0)
        return NULL;
    p = g_new0(sf_probation_t, 1);
    p->seen[0] = g_new0(guint64, SEEN_BITS / 64);
    p->seen[1] = g_new0(guint64, SEEN_BITS / 64);
    p->horizon_ms = horizon_ms;
    p->mem = g_new0(remembered_t, slots);
    p->n_mem = slots;
    p->recall = g_array_new(FALSE, TRUE, sizeof(sf_flow_t));
    return p;
}

void sf_probation_free(sf_probation_t *p)
{
    if (p == NULL)
        return;
    g_free(p->seen[0]);
    g_free(p->seen[1]);
    g_free(p->mem);
    g_array_unref(p->recall);
    g_free(p);
}

/* MurmurHash3's finaliser over the 16 address bytes. */
static guint64 addr_hash(const sf_addr_t *a)
{
    guint64 w[2];

    memcpy(w, a->b, 16);
    return sf_mix64(w[0] ^ (w[1] * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)));
}

static gboolean seen(const sf_probation_t *p, guint64 h)
{
    guint64 bit = h & (SEEN_BITS - 1);
    guint64 mask = G_GUINT64_CONSTANT(1) << (bit & 63);

    return (p->seen[0][bit / 64] & mask) || (p->seen[1][bit / 64] & mask);
}

static void mark_seen(sf_probation_t *p, guint64 h)
{
    guint64 bit = h & (SEEN_BITS - 1);
    guint64 mask = G_GUINT64_CONSTANT(1) << (bit & 63);

    if (!(p->seen[0][bit / 64] & mask))
        p->seen_set++;
    p->seen[0][bit / 64] |= mask;
}

static void maybe_retire(sf_probation_t *p, gint64 now_ms)
{
    guint64 *t;

    if (p->gen_start_ms == 0)
        p->gen_start_ms = now_ms;
    if (now_ms - p->gen_start_ms < p->horizon_ms && p->seen_set < SEEN_BITS / 2)
        return;
    t = p->seen[1];
    p->seen[1] = p->seen[0];
    memset(t, 0, SEEN_BITS / 8);
    p->seen[0] = t;
    p->seen_set = 0;
    p->gen_start_ms = now_ms;
}

/* Queues the remembered flow of b's source, if any, to be added. */
static void recall(sf_probation_t *p, const sf_agg_source_t *b, guint64 h)
{
    remembered_t *m = &p->mem[h % p->n_mem];
    sf_flow_t f;

    if (!m->used || memcmp(m->src.b, b->src.b, 16) != 0)
        return;
    m->used = FALSE;
    if (p->now_ms - m->arrival_ms > 2 * p->horizon_ms)
        return;
    memset(&f, 0, sizeof f);
    f.src = m->src;
    f.dst = m->dst;
    f.exporter = m->exporter;
    f.dst_port = m->port;
    f.start_ms = m->first_ms;
    f.end_ms = m->last_ms;
    f.arrival_ms = m->arrival_ms;
    f.fields = SF_HAS_ADDRS | SF_HAS_TIMES | (m->has_port ? SF_HAS_PORTS : 0);
    g_array_append_val(p->recall, f);
    p->st.recalled++;
}

static void remember(sf_probation_t *p, const sf_agg_source_t *b, guint64 h)
{
    remembered_t *m = &p->mem[h % p->n_mem];

    if (m->used && memcmp(m->src.b, b->src.b, 16) != 0
        && p->now_ms - m->arrival_ms <= 2 * p->horizon_ms)
        p->st.forgotten++;
    m->src = b->src;
    m->dst = b->addrs[0];
    m->exporter = b->exporters[0];
    m->first_ms = b->first_ms;
    m->last_ms = b->last_ms;
    m->arrival_ms = p->now_ms;
    m->port = b->n_ports ? b->ports[0] : 0;
    m->has_port = b->n_ports != 0;
    m->used = TRUE;
}

static gboolean judge(const sf_agg_source_t *b, void *user)
{
    sf_probation_t *p = user;
    guint64 h = addr_hash(&b->src);

    if (b->flows > 1 || seen(p, h)) {
        if (b->flows == 1)
            p->st.promoted++;
        recall(p, b, h);
        mark_seen(p, h);
        return FALSE;
    }
    mark_seen(p, h);
    remember(p, b, h);
    p->st.held++;
    return TRUE;
}

void sf_probation_apply(sf_probation_t *p, sf_agg_t *agg, gint64 now_ms)
{
    if (p == NULL)
        return;
    maybe_retire(p, now_ms);
    p->now_ms = now_ms;
    g_array_set_size(p->recall, 0);
    sf_agg_filter(agg, judge, p);
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
