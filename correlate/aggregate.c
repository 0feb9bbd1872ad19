/*
 * aggregate.c - the local aggregate of one flush interval (see aggregate.h).
 *
 * Layout: a source table, source bodies, an exporter table and an element
 * pool, all fixed-size and allocated once.  sf_agg_add() runs on the
 * receive thread for every evidence flow, so the layout is built around
 * cache lines touched per flow: one table entry, one 64-byte body and,
 * only for sources past three flows, the element lookups.
 *
 *  - Table: open addressing over 2 x max_sources entries of 8 bytes (a
 *    24-bit hash tag with the source's flows, saturating at 255, and the
 *    body's index), so that a probe compares tags without touching
 *    bodies; a lookup only ever probes PROBES entries.  When those are all
 *    taken, the source with the fewest flows (as the entries count them)
 *    is evicted without reading a body (its body is reused in place, the
 *    owner key of its elements changes, so they become unreachable) and
 *    counted.  A flood of spoofed
 *    one-flow sources thus churns among itself while a real scanner, with
 *    many flows, stays.  A source the filter takes out keeps its entry
 *    and body, marked unused: the walk skips it, and a flow of it filed
 *    later starts it afresh in place.  Bodies and non-empty entries stay
 *    one to one.
 *  - Bodies: 64 bytes, one cache line, appended in order of first sight
 *    (the walk order), so the memory touched grows with the sources seen,
 *    not with the table.  Times are 32-bit millisecond offsets from the
 *    first arrival of the interval (clamped at +-24 days: exporter clocks
 *    further off than that are broken anyway); exporters are 8-bit
 *    indices into the aggregate's exporter table; the smallest sampling
 *    interval of the source's flows is 3 bits of its flags, an index into
 *    the aggregate's table of intervals (BF_SAMPLING_SHIFT).
 *  - Up to three IPv4 flows (destination, port) or one IPv6 flow are kept
 *    inline in the body; the flow after that moves the source into the
 *    element pool.  A low-fan-out source, and a flood of one-flow spoofed
 *    sources, therefore costs a body and never pool entries, and cannot
 *    crowd out the elements of a real scanner.  Once the pool is half
 *    full, a source moves into it only from its PRESSURE_FLOWS-th flow
 *    on (its flows in between are dropped, counted): a flood of spoofed
 *    sources with a few probes each cannot fill it either.  From then on the body
 *    keeps the last port and the last destination filed instead (an IPv4
 *    destination itself with its net's element, an IPv6 one as its host
 *    element), each skipping its lookups: a port scan of one host looks
 *    up ports only, a sweep of a /24 hosts only, and a repeated flow
 *    (retransmitted SYNs, repeated probes) nothing; neither does a flow
 *    equal to an inline one.
 *  - Exporters: at most EXP_MAX distinct per interval, found through a
 *    one-entry cache (flows come in packets, so consecutive flows almost
 *    always share their exporter) and a small hash index.  Exporters past
 *    the table are counted as dropped.
 *  - Elements (ports, nets, hosts in a net): an append-only pool of 24
 *    bytes each; each element is linked into its source's list (hosts
 *    into their net's list) and indexed in a hash set keyed by (owner,
 *    kind, value) for ports and nets and (net, value) for hosts.  The
 *    owner is the pool position at the source's move into the pool, so
 *    it is unique per interval without a generation.  Values are at most
 *    8 bytes (a port, an IPv4 /24 or host byte, an IPv6 /64 or interface
 *    id) and are compared and hashed as one 64-bit word.  Index entries
 *    carry the element's index and, in the bits it leaves, a hash tag, so
 *    that a probe touches an element only when the tags match.  The
 *    index starts an interval small (INDEX_MIN slots, or the size the
 *    last interval needed) and doubles as the pool fills, so that its
 *    slots stay in cache.  A full pool drops the element and counts it.
 *  - Recent cache: ports and IPv4 hosts found or added since the reset,
 *    each as one word (key, kind, value: recent_key), in a two-way cache
 *    of 8192 words hashed on that word.  A repeated element (a looping
 *    scan, retransmitted probes: most flows of a repeated scan) is then
 *    one or two compares, not the index's hash, probe and element
 *    compare.  It holds exact keys of filed elements only, so a hit is
 *    never wrong and a miss goes to the index: counts stay exact.
 *  - Destination addresses are not stored: a (net, host) pair is the
 *    address, so the walk rebuilds them from the nets' host lists.  Hosts
 *    of a net over the source's net cap are therefore still kept (the
 *    view leaves them out of that net, and they are counted as dropped),
 *    so that distinct addresses stay exact.
 *
 * Memory touched per source: its body (64 bytes) plus its share of the
 * table (16 bytes per --max-sources), and 24 bytes per element once it has
 * more than three flows (one for IPv6).  Reset clears the table entries
 * and index entries used in the interval, one by one when few were used,
 * by memset otherwise: its cost follows what was used.
 */
#include "aggregate.h"
#include "hash.h"
#include "table.h"

#include <string.h>

#define PROBES 8
#define INLINE_MAX 3
/* Once the pool is half full, a source moves into it only from this many
 * flows on (see sf_agg_add). */
#define PRESSURE_FLOWS 8
/* exporter indices are 8 bits */
#define EXP_MAX 255
#define EXP_INDEX 512
/* Slots the element index starts an interval with (16 KiB). */
#define INDEX_MIN 4096
/* Entries of the recent cache: 2^13 words (64 KiB), in pairs. */
#define RECENT_BITS 13
/* add_net_host's answer for an IPv4 host the recent cache holds */
#define RECENT_HOST G_MAXUINT32
/* for the steps of filing a flow, inlined into the batch's loop (GCC
 * leaves them out of line once the loop holds the rest) */
#define AGG_INLINE G_ALWAYS_INLINE static inline

enum { EL_PORT, EL_NET, EL_HOST };

/* the first 12 bytes of an IPv4-mapped address */
static const guint8 v4_prefix[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};
/* elem_t.flags */
enum { EF_KIND = 3, EF_V6 = 4, EF_TRACKED = 8 };
/* body_t.flags */
/* BF_LAST_DST: u.pool.dst (IPv4) or last_host (BF_LAST_V6) is filed;
 * BF_LAST_PORT: u.pool.port is */
enum { BF_USED = 1, BF_V6 = 2, BF_LAST_DST = 4, BF_LAST_PORT = 8, BF_LAST_V6 = 16 };
/* The top three bits of body_t.flags: the smallest sampling interval of
 * the source's flows, as 1 + an index into the aggregate's intervals[]; 0
 * when one of its flows was unsampled (or of unknown interval). */
#define BF_SAMPLING_SHIFT 5
#define SAMPLING_CLASSES 7

typedef struct tslot {
    guint32 tag;        /* hash tag << 8 | flows (saturating at 255), so
                           that eviction reads no body */
    guint32 body;       /* index + 1; 0: never used this interval */
} tslot_t;

#define TAG_FLOWS 0xffu

typedef struct body {
    sf_addr_t addr;
    guint32   flows;
    gint32    first, last;  /* ms from a->base_ms */
    guint32   owner;        /* 0: flows inline; else key of its elements */
    guint8    exp[SF_AGG_MAX_EXPORTERS];
    guint8    n_exp;
    guint8    n_in;         /* inline flows held */
    guint8    in_ports;     /* bit i: inline flow i has a port */
    guint8    flags;
    union {
        /* IPv4: dst[4 i..4 i + 4) and port[i]; IPv6: dst and port[0] */
        struct {
            guint8  dst[16];
            guint16 port[INLINE_MAX];
        } in;
        /* list heads (element index + 1) and the last flow filed: an
         * IPv4 destination, or an IPv6 one's host element */
        struct {
            guint32 ports, nets, n_nets;
            guint32 last_host;  /* IPv6: the last destination's host
                                   element; IPv4: its net's (0: none) */
            guint8  dst[4];
            guint16 port;
        } pool;
    } u;
} body_t;

G_STATIC_ASSERT(sizeof(body_t) == 64);

typedef struct elem {
    guint64 v;          /* the value's bytes, memcpy'd into a word */
    guint32 next;       /* index + 1 of the next in the list */
    guint32 key;        /* ports, nets: owner; hosts: index + 1 of the net */
    guint32 hosts;      /* nets: head of the hosts list */
    guint8  flags;      /* kind, IPv6, tracked (nets under the cap) */
} elem_t;

struct sf_agg {
    tslot_t  *table;
    guint32   table_mask;
    body_t   *bodies;
    guint     n_bodies;
    elem_t   *pool;
    guint     n_pool, max_pool;
    guint32  *index;            /* element index + 1 | tag, 0 empty */
    guint32   index_mask;       /* slots in use - 1: grows with the pool */
    guint32   index_max_mask;   /* slots allocated - 1 */
    guint32   elem_mask;        /* low bits of an index entry: the element */
    guint64  *recent;           /* recent cache: recent_key or 0 */
    sf_addr_t exps[EXP_MAX];
    guint     n_exps;
    guint8    exp_index[EXP_INDEX];     /* exporter index + 1, 0 empty */
    sf_addr_t exp_last;                 /* one-entry cache */
    gint      exp_last_i;               /* -1: empty */
    guint32   intervals[SAMPLING_CLASSES];  /* sampling intervals > 1 */
    guint     n_intervals;
    guint32   interval_last;            /* one-entry cache: interval ... */
    guint     class_last;               /* ... and its class */
    guint     max_nets;
    guint64   seed;
    gint64    base_ms;
    gint64    last_arrival;
    guint64   evicted, dropped;
    /* walk scratch */
    sf_addr_t     s_exps[SF_AGG_MAX_EXPORTERS];
    guint16      *s_ports;
    sf_agg_net_t *s_nets;
    guint8       *s_hosts;
    sf_addr_t    *s_addrs;
};

static guint32 pow2_at_least(guint n)
{
    guint32 p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static guint64 word_of(const guint8 *p, guint len)
{
    guint64 v = 0;
    memcpy(&v, p, len);
    return v;
}

sf_agg_t *sf_agg_new(guint max_sources, guint max_elements,
                     guint max_nets_per_source)
{
    sf_agg_t *a = g_new0(sf_agg_t, 1);
    /* at most half full: probing 8 entries then evicts only under floods */
    guint32 nslots = pow2_at_least(MAX(max_sources, PROBES) * 2);
    guint scratch = MAX(max_elements, INLINE_MAX);

    /* written at random from the first flow on: mapped at once */
    a->table = sf_table_new0(sizeof(tslot_t) * nslots);
    a->table_mask = nslots - 1;
    /* one body per non-empty entry at most; pages are touched only as
     * bodies are appended */
    a->bodies = g_new(body_t, nslots);
    a->max_pool = max_elements;
    a->pool = g_new(elem_t, max_elements);
    a->index_max_mask = pow2_at_least(max_elements * 2) - 1;
    a->index = g_new0(guint32, a->index_max_mask + 1);
    a->index_mask = MIN(INDEX_MIN, a->index_max_mask + 1) - 1;
    a->elem_mask = (guint32)((G_GUINT64_CONSTANT(1) << g_bit_storage(max_elements)) - 1);
    a->recent = g_new0(guint64, 1u << RECENT_BITS);
    a->exp_last_i = -1;
    a->max_nets = max_nets_per_source;
    a->seed = ((guint64)g_random_int() << 32) | g_random_int();
    a->s_ports = g_new(guint16, scratch);
    a->s_nets = g_new(sf_agg_net_t, scratch);
    a->s_hosts = g_new(guint8, (gsize)scratch * 8);
    a->s_addrs = g_new(sf_addr_t, scratch);
    return a;
}

void sf_agg_free(sf_agg_t *a)
{
    if (a == NULL)
        return;
    sf_table_free(a->table, sizeof(tslot_t) * (a->table_mask + 1));
    g_free(a->bodies);
    g_free(a->pool);
    g_free(a->index);
    g_free(a->recent);
    g_free(a->s_ports);
    g_free(a->s_nets);
    g_free(a->s_hosts);
    g_free(a->s_addrs);
    g_free(a);
}

static body_t *body_claim(sf_agg_t *a, tslot_t *t, guint32 tag,
                          const sf_addr_t *src)
{
    body_t *b;

    if (t->body == 0)
        t->body = ++a->n_bodies;
    t->tag = tag;
    b = &a->bodies[t->body - 1];
    memset(b, 0, sizeof *b);
    b->addr = *src;
    b->flags = BF_USED;
    return b;
}

AGG_INLINE body_t *find_source(sf_agg_t *a, const sf_addr_t *src, guint64 h,
                               tslot_t **entry)
{
    /* 24 bits, flows in the low 8 */
    guint32 tag = ((guint32)(h >> 40) | 1) << 8;
    guint32 pos = (guint32)h;
    tslot_t *free_t = NULL;

    for (guint p = 0; p < PROBES; p++) {
        tslot_t *t = &a->table[(pos + p) & a->table_mask];

        if (t->body == 0) {
            /* never used since the reset: nothing lies beyond */
            if (free_t == NULL)
                free_t = t;
            break;
        }
        if ((t->tag & ~TAG_FLOWS) == tag) {
            body_t *b = &a->bodies[t->body - 1];
            if (sf_addr_equal(&b->addr, src)) {
                *entry = t;
                /* filtered out: it starts again */
                return b->flags & BF_USED ? b : body_claim(a, t, tag, src);
            }
        }
    }
    if (free_t == NULL) {
        /* all taken: the fewest flows go, as the entries count them (up
         * to 255): no body is read */
        guint32 fewest = G_MAXUINT32;
        for (guint p = 0; p < PROBES; p++) {
            tslot_t *t = &a->table[(pos + p) & a->table_mask];
            guint32 flows = t->tag & TAG_FLOWS;
            if (flows < fewest) {
                fewest = flows;
                free_t = t;
            }
        }
        a->evicted++;
    }
    *entry = free_t;
    return body_claim(a, free_t, tag, src);
}

static guint64 elem_hash(const sf_agg_t *a, guint32 key, guint8 kf, guint64 v)
{
    /* one finaliser over the key's words; the multiplications spread the
     * value and the key, and the seed keeps the index unpredictable */
    return sf_mix64(((v ^ a->seed) * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15))
                    ^ (((guint64)key << 8 | kf)
                       * G_GUINT64_CONSTANT(0xc2b2ae3d27d4eb4f)));
}

/* The first free slot of the index from hash h's. */
static guint32 index_free_slot(const sf_agg_t *a, guint64 h)
{
    guint32 i = (guint32)h & a->index_mask;

    while (a->index[i] != 0)
        i = (i + 1) & a->index_mask;
    return i;
}

/* Doubles the index and files the pool's elements again.  The index
 * starts each interval small, so that the slots a lookup touches stay in
 * cache while the pool is small, as it is unless a flood or many scans
 * fill it: its lookups are random accesses, and each one that misses the
 * cache costs about as much as the rest of a flow's filing. */
static void index_grow(sf_agg_t *a)
{
    a->index_mask = a->index_mask * 2 + 1;
    memset(a->index, 0, sizeof(guint32) * (a->index_mask + 1));
    for (guint e = 0; e < a->n_pool; e++) {
        const elem_t *el = &a->pool[e];
        guint64 h = elem_hash(a, el->key, el->flags & (EF_KIND | EF_V6), el->v);
        a->index[index_free_slot(a, h)] =
            (e + 1) | ((guint32)(h >> 32) & ~a->elem_mask);
    }
}

/* Finds or adds an element (kf: kind and IPv6 flag); returns its index + 1,
 * 0 when dropped.  *added tells whether it is new. */
static guint32 find_elem(sf_agg_t *a, guint32 key, guint8 kf, guint64 v,
                         gboolean *added)
{
    /* at most half full, as at the largest size */
    if (a->n_pool >= (a->index_mask + 1) / 2 && a->index_mask < a->index_max_mask)
        index_grow(a);

    guint64 h = elem_hash(a, key, kf, v);
    guint32 elem_mask = a->elem_mask;
    guint32 tag = (guint32)(h >> 32) & ~elem_mask;
    guint32 i = (guint32)h & a->index_mask;

    *added = FALSE;
    for (;; i = (i + 1) & a->index_mask) {
        guint32 x = a->index[i];
        if (x == 0)
            break;
        if ((x & ~elem_mask) != tag)
            continue;
        const elem_t *el = &a->pool[(x & elem_mask) - 1];
        if (el->v == v && el->key == key && (el->flags & (EF_KIND | EF_V6)) == kf)
            return x & elem_mask;
    }
    if (a->n_pool >= a->max_pool) {
        a->dropped++;
        return 0;
    }
    elem_t *el = &a->pool[a->n_pool];
    el->v = v;
    el->next = 0;
    el->key = key;
    el->hosts = 0;
    el->flags = kf;
    a->index[i] = ++a->n_pool | tag;
    *added = TRUE;
    return a->n_pool;
}

/* A port's or an IPv4 host's element as one word: its key (an owner or a
 * net's index + 1: below 2^32, never 0), kind and value (16 bits at most). */
static inline guint64 recent_key(guint32 key, guint8 kind, guint32 v)
{
    return (guint64)key << 24 | (guint64)kind << 16 | v;
}

/* Its pair of slots in the recent cache (two ways, one 16-byte pair; the
 * seed keeps the pairs unpredictable). */
static inline guint64 *recent_slot(const sf_agg_t *a, guint64 rk)
{
    return &a->recent[(((rk ^ a->seed) * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15))
                       >> (64 - RECENT_BITS + 1)) * 2];
}

static inline gboolean recent_has(const sf_agg_t *a, guint64 rk)
{
    const guint64 *r = recent_slot(a, rk);

    return r[0] == rk || r[1] == rk;
}

/* The newest key goes first, the pair's other one second. */
static inline void recent_put(sf_agg_t *a, guint64 rk)
{
    guint64 *r = recent_slot(a, rk);

    r[1] = r[0];
    r[0] = rk;
}

/* Files a port the recent cache does not hold (rk: its key there); FALSE
 * when dropped. */
static gboolean file_port(sf_agg_t *a, body_t *b, guint16 port, guint64 rk)
{
    gboolean added;
    guint32 e = find_elem(a, b->owner, EL_PORT, port, &added);

    if (e == 0)
        return FALSE;
    recent_put(a, rk);
    if (added) {
        a->pool[e - 1].next = b->u.pool.ports;
        b->u.pool.ports = e;
    }
    return TRUE;
}

/* FALSE when dropped.  A port in the recent cache is filed: no lookup. */
AGG_INLINE gboolean add_port(sf_agg_t *a, body_t *b, guint16 port)
{
    guint64 rk = recent_key(b->owner, EL_PORT, port);

    return recent_has(a, rk) || file_port(a, b, port, rk);
}

/* Files a host (IPv4: its byte, IPv6: its interface id) into net element
 * n, past the recent cache (rk: its key there, IPv4).  Returns the host's
 * element (index + 1), 0 when dropped. */
static guint32 file_host(sf_agg_t *a, guint32 n, const guint8 *host,
                         gboolean v4, guint64 rk)
{
    gboolean added;
    guint32 h = find_elem(a, n, EL_HOST | (v4 ? 0 : EF_V6),
                          word_of(host, v4 ? 1 : 8), &added);
    if (v4 && h != 0)
        recent_put(a, rk);
    if (h != 0 && added) {
        elem_t *ne = &a->pool[n - 1];
        a->pool[h - 1].next = ne->hosts;
        ne->hosts = h;
    }
    return h;
}

/* file_host's answer or, for an IPv4 host found in the recent cache,
 * RECENT_HOST (filed, its index not looked up). */
AGG_INLINE guint32 add_host(sf_agg_t *a, guint32 n, const guint8 *host,
                            gboolean v4)
{
    guint64 rk = recent_key(n, EL_HOST, host[0]);

    if (v4 && recent_has(a, rk))
        return RECENT_HOST;
    return file_host(a, n, host, v4, rk);
}

/* Files the destination's net and host; returns add_host's answer for
 * the host, and in *net_e the net's element (0 when dropped).  count:
 * whether a net over the cap counts as a drop (not for flows that were
 * counted while inline).  known: the net's element when the caller knows
 * it, else 0. */
AGG_INLINE guint32 add_net_host(sf_agg_t *a, body_t *b, const guint8 dst[16],
                                gboolean v4, gboolean count, guint32 known,
                                guint32 *net_e)
{
    const guint8 *net = v4 ? dst + 12 : dst;
    const guint8 *host = v4 ? dst + 15 : dst + 8;
    guint8 v6 = v4 ? 0 : EF_V6;
    gboolean added = FALSE;
    guint32 n = known ? known : find_elem(a, b->owner, EL_NET | v6,
                                          word_of(net, v4 ? 3 : 8), &added);

    *net_e = n;
    if (n == 0)
        return 0;
    elem_t *ne = &a->pool[n - 1];
    if (added) {
        ne->next = b->u.pool.nets;
        if (b->u.pool.n_nets < a->max_nets)
            ne->flags |= EF_TRACKED;
        b->u.pool.nets = n;
        b->u.pool.n_nets++;
    }
    /* kept even over the cap: the address is (net, host) */
    if (!(ne->flags & EF_TRACKED) && count)
        a->dropped++;
    return add_host(a, n, host, v4);
}

static void add_elements(sf_agg_t *a, body_t *b, const guint8 dst[16],
                         guint16 port, gboolean with_port)
{
    guint32 net_e;

    if (with_port)
        add_port(a, b, port);
    add_net_host(a, b, dst, memcmp(dst, v4_prefix, 12) == 0, FALSE, 0, &net_e);
}

/* Index into the exporter table, -1 when it is full. */
static gint exporter_index(sf_agg_t *a, const sf_addr_t *exp)
{
    if (a->exp_last_i >= 0 && sf_addr_equal(&a->exp_last, exp))
        return a->exp_last_i;

    guint32 i = (guint32)sf_hash_addr(a->seed, exp) & (EXP_INDEX - 1);
    for (;; i = (i + 1) & (EXP_INDEX - 1)) {
        guint8 x = a->exp_index[i];
        if (x == 0)
            break;
        if (sf_addr_equal(&a->exps[x - 1], exp)) {
            a->exp_last = *exp;
            return a->exp_last_i = x - 1;
        }
    }
    if (a->n_exps >= EXP_MAX)
        return -1;
    a->exps[a->n_exps] = *exp;
    a->exp_index[i] = (guint8)++a->n_exps;
    a->exp_last = *exp;
    return a->exp_last_i = a->n_exps - 1;
}

AGG_INLINE void add_exporter(sf_agg_t *a, body_t *b, const sf_addr_t *exp)
{
    gint x = exporter_index(a, exp);

    if (x < 0) {
        if (b->n_exp < SF_AGG_MAX_EXPORTERS)
            a->dropped++;
        return;
    }
    for (guint i = 0; i < b->n_exp; i++)
        if (b->exp[i] == x)
            return;
    if (b->n_exp < SF_AGG_MAX_EXPORTERS)
        b->exp[b->n_exp++] = (guint8)x;
}

/* The class of a sampling interval (see BF_SAMPLING_SHIFT).  Past
 * SAMPLING_CLASSES distinct intervals in one flush, an interval takes the
 * class of the largest known one below it, or 0: a smaller interval, so a
 * lower bound that only errs low. */
static guint sampling_class(sf_agg_t *a, guint32 n)
{
    guint best = 0;

    if (n <= 1)
        return 0;
    if (n == a->interval_last)
        return a->class_last;
    for (guint i = 0; i < a->n_intervals; i++) {
        if (a->intervals[i] == n) {
            best = i + 1;
            break;
        }
        if (a->intervals[i] < n && (best == 0 || a->intervals[i] > a->intervals[best - 1]))
            best = i + 1;
    }
    if ((best == 0 || a->intervals[best - 1] != n) && a->n_intervals < SAMPLING_CLASSES) {
        a->intervals[a->n_intervals] = n;
        best = ++a->n_intervals;
    }
    a->interval_last = n;
    a->class_last = best;
    return best;
}

/* Keeps the smallest interval of the source's flows (its first sets it). */
AGG_INLINE void add_sampling(sf_agg_t *a, body_t *b, guint32 n)
{
    guint cls = sampling_class(a, n);
    guint cur = b->flags >> BF_SAMPLING_SHIFT;

    if (cls == cur)
        return;
    if (b->flows == 1 || (cur != 0 && (cls == 0 ||
                                       a->intervals[cls - 1] < a->intervals[cur - 1])))
        b->flags = (guint8)((b->flags & ((1u << BF_SAMPLING_SHIFT) - 1)) |
                            cls << BF_SAMPLING_SHIFT);
}

static gint32 offset_of(const sf_agg_t *a, gint64 t)
{
    gint64 d = t - a->base_ms;

    /* one compare when it fits, as it does unless a clock is broken */
    if (G_UNLIKELY(d != (gint32)d))
        return d < 0 ? G_MININT32 : G_MAXINT32;
    return (gint32)d;
}

/* The /24 of inline IPv4 flow i is dst[4 i..4 i + 3). */
static gboolean inline_same_net(const body_t *b, guint i, guint j)
{
    return memcmp(b->u.in.dst + 4 * i, b->u.in.dst + 4 * j, 3) == 0;
}

/* Whether inline IPv4 flow i is the first of its net, and the net's rank
 * among the inline nets (order of first sight, as the pool ranks them). */
static gboolean inline_net_rank(const body_t *b, guint i, guint *rank)
{
    guint r = 0;

    for (guint j = 0; j < i; j++) {
        gboolean first = TRUE;
        for (guint k = 0; k < j && first; k++)
            first = !inline_same_net(b, k, j);
        if (!first)
            continue;
        if (inline_same_net(b, j, i)) {
            *rank = r;
            return FALSE;
        }
        r++;
    }
    *rank = r;
    return TRUE;
}

/* Files the flow inline if it fits; FALSE: the source must move into the
 * pool. */
AGG_INLINE gboolean add_inline(sf_agg_t *a, body_t *b, const sf_flow_t *f,
                               gboolean with_port)
{
    guint16 port = with_port ? f->dst_port : 0;
    gboolean v4 = sf_addr_is_v4(&f->dst);

    if (b->flags & BF_V6) {
        return memcmp(b->u.in.dst, f->dst.b, 16) == 0
               && b->u.in.port[0] == port
               && (b->in_ports & 1) == (with_port != FALSE);
    }
    for (guint i = 0; i < b->n_in; i++)
        if (v4 && memcmp(b->u.in.dst + 4 * i, f->dst.b + 12, 4) == 0
            && b->u.in.port[i] == port
            && ((b->in_ports >> i) & 1) == (with_port != FALSE))
            return TRUE;
    if (b->n_in == INLINE_MAX || (!v4 && b->n_in > 0))
        return FALSE;

    guint i = b->n_in++, rank;
    if (v4) {
        memcpy(b->u.in.dst + 4 * i, f->dst.b + 12, 4);
        inline_net_rank(b, i, &rank);
        if (rank >= a->max_nets)
            a->dropped++;
    } else {
        memcpy(b->u.in.dst, f->dst.b, 16);
        b->flags |= BF_V6;
        if (a->max_nets == 0)
            a->dropped++;
    }
    b->u.in.port[i] = port;
    if (with_port)
        b->in_ports |= 1u << i;
    return TRUE;
}

/* Moves the inline flows into the pool (their drops were counted when
 * they were filed).  FALSE when the pool is full: the source then stays
 * inline, and the flow that did not fit is dropped. */
static gboolean move_to_pool(sf_agg_t *a, body_t *b)
{
    guint8 dst[INLINE_MAX][16];
    guint16 port[INLINE_MAX];
    guint n = b->n_in, ports = b->in_ports;
    gboolean v6 = (b->flags & BF_V6) != 0;

    if (a->n_pool >= a->max_pool)
        return FALSE;
    for (guint i = 0; i < n; i++) {
        if (v6) {
            memcpy(dst[i], b->u.in.dst, 16);
        } else {
            memcpy(dst[i], v4_prefix, 12);
            memcpy(dst[i] + 12, b->u.in.dst + 4 * i, 4);
        }
        port[i] = b->u.in.port[i];
    }
    /* the next element's position: unique to this source this interval */
    b->owner = a->n_pool + 1;
    memset(&b->u, 0, sizeof b->u);
    b->n_in = b->in_ports = 0;
    b->flags &= ~BF_V6;
    for (guint i = 0; i < n; i++)
        add_elements(a, b, dst[i], port[i], (ports >> i) & 1);
    return TRUE;
}

/* Whether the flow's destination is the last one filed (its net and host
 * are in the pool). */
static gboolean same_dst(const sf_agg_t *a, const body_t *b, const sf_flow_t *f)
{
    if (!(b->flags & BF_LAST_DST))
        return FALSE;
    if (!(b->flags & BF_LAST_V6))
        return memcmp(b->u.pool.dst, f->dst.b + 12, 4) == 0
               && sf_addr_is_v4(&f->dst);
    /* the host and its net were filed by that flow: still cached */
    const elem_t *h = &a->pool[b->u.pool.last_host - 1];
    return h->v == word_of(f->dst.b + 8, 8)
           && a->pool[h->key - 1].v == word_of(f->dst.b, 8)
           && !sf_addr_is_v4(&f->dst);
}

static void prefetch(const sf_agg_t *a, guint64 h, gboolean body)
{
    const tslot_t *t = &a->table[(guint32)h & a->table_mask];

    if (!body) {
        __builtin_prefetch(t, 1);
        return;
    }
    /* the first probe's body, when its tag matches: the usual case */
    if (t->body != 0 && (t->tag & ~TAG_FLOWS) == (((guint32)(h >> 40) | 1) << 8))
        __builtin_prefetch(&a->bodies[t->body - 1], 1);
}

static void prefetch_elems(const sf_agg_t *a, const sf_flow_t *f,
                           gboolean with_port, guint64 h)
{
    const tslot_t *t = &a->table[(guint32)h & a->table_mask];

    if (t->body == 0 || (t->tag & ~TAG_FLOWS) != (((guint32)(h >> 40) | 1) << 8))
        return;
    const body_t *b = &a->bodies[t->body - 1];
    if (b->owner == 0 || !(b->flags & BF_USED) || !sf_addr_equal(&b->addr, &f->src))
        return;
    /* what add_to will look up past the body's caches: the recent
     * cache's slots (a repeat goes no further) */
    if (with_port && !((b->flags & BF_LAST_PORT) && b->u.pool.port == f->dst_port))
        __builtin_prefetch(recent_slot(a, recent_key(b->owner, EL_PORT, f->dst_port)));
    if ((b->flags & (BF_LAST_DST | BF_LAST_V6)) == BF_LAST_DST && b->u.pool.last_host
        && sf_addr_is_v4(&f->dst) && memcmp(b->u.pool.dst, f->dst.b + 12, 3) == 0
        && b->u.pool.dst[3] != f->dst.b[15])
        __builtin_prefetch(recent_slot(a, recent_key(b->u.pool.last_host, EL_HOST,
                                                      f->dst.b[15])));
}

/* Files a flow into its source's body b (entry: its table entry).
 * Inlined into the batch's loop: a call per flow was a tenth of it. */
AGG_INLINE void add_to(sf_agg_t *a, body_t *b, tslot_t *entry,
                       const sf_flow_t *f, gboolean with_port)
{
    gboolean timed = (f->fields & SF_HAS_TIMES) && f->start_ms > 0;
    gint32 first = offset_of(a, timed ? f->start_ms : f->arrival_ms);
    gint32 last = timed && f->end_ms > 0 ? offset_of(a, f->end_ms) : first;

    if (b->flows == 0 || first < b->first)
        b->first = first;
    if (b->flows == 0 || last > b->last)
        b->last = last;
    b->flows++;
    if ((entry->tag & TAG_FLOWS) != TAG_FLOWS)
        entry->tag++;
    if (f->arrival_ms > a->last_arrival)
        a->last_arrival = f->arrival_ms;
    add_exporter(a, b, &f->exporter);
    add_sampling(a, b, f->sampling_interval);
    if (b->owner == 0) {
        if (add_inline(a, b, f, with_port))
            return;
        /* Under pressure (a flood of sources with a little fan-out each),
         * the rest of the pool is kept for sources that keep sending, as
         * a scanner does: a spoofed source with a few probes stays inline
         * and its further flows are dropped, counted. */
        if (a->n_pool >= a->max_pool / 2 && b->flows < PRESSURE_FLOWS) {
            a->dropped += with_port ? 2 : 1;
            return;
        }
        if (!move_to_pool(a, b)) {
            a->dropped += with_port ? 2 : 1;    /* its port and net */
            return;
        }
    }
    /* The body caches a port and a destination known to be filed (the
     * last ones): a port scan of one host then looks up its port only, a
     * sweep on one port its net and host only, and a repeated flow
     * nothing. */
    if (with_port && !((b->flags & BF_LAST_PORT) && b->u.pool.port == f->dst_port)
        && add_port(a, b, f->dst_port)) {
        b->u.pool.port = f->dst_port;
        b->flags |= BF_LAST_PORT;
    }
    if (same_dst(a, b, f))
        return;

    gboolean v4 = sf_addr_is_v4(&f->dst);
    /* a sweep stays in one /24 for up to 254 flows: its net is known */
    guint32 known = v4 && (b->flags & (BF_LAST_DST | BF_LAST_V6)) == BF_LAST_DST
                    && memcmp(b->u.pool.dst, f->dst.b + 12, 3) == 0
                    ? b->u.pool.last_host : 0;
    guint32 net_e, host = add_net_host(a, b, f->dst.b, v4, TRUE, known, &net_e);
    b->flags &= ~(BF_LAST_DST | BF_LAST_V6);
    if (v4) {
        /* dropped or not: a repeat would be dropped again */
        memcpy(b->u.pool.dst, f->dst.b + 12, 4);
        b->u.pool.last_host = net_e;
        b->flags |= BF_LAST_DST;
    } else if (host != 0) {
        b->u.pool.last_host = host;
        b->flags |= BF_LAST_DST | BF_LAST_V6;
    }
}

AGG_INLINE body_t *source_of(sf_agg_t *a, const sf_flow_t *f, guint64 h,
                              tslot_t **entry)
{
    if (a->n_bodies == 0)
        a->base_ms = f->arrival_ms;
    return find_source(a, &f->src, h, entry);
}

void sf_agg_add(sf_agg_t *a, const sf_flow_t *f, gboolean with_port)
{
    tslot_t *entry;
    body_t *b = source_of(a, f, sf_hash_addr(a->seed, &f->src), &entry);

    add_to(a, b, entry, f, with_port);
}

/* The sources' table entries and bodies are random accesses into
 * megabytes: the batch asks for all entries, then (once those are in
 * cache) the bodies they name, then the element index slots the adds will
 * look up, and only then files the flows; their misses overlap instead of
 * coming one by one.  One function, so that the stages inline. */
void sf_agg_add_batch(sf_agg_t *a, const sf_flow_t *flows,
                      const gboolean *with_port, guint n)
{
    guint64 h[SF_AGG_BATCH];

    g_return_if_fail(n <= SF_AGG_BATCH);
    for (guint i = 0; i < n; i++) {
        h[i] = sf_hash_addr(a->seed, &flows[i].src);
        prefetch(a, h[i], FALSE);
    }
    for (guint i = 0; i < n; i++)
        prefetch(a, h[i], TRUE);
    for (guint i = 0; i < n; i++)
        prefetch_elems(a, &flows[i], with_port[i], h[i]);

    /* flows of a datagram often come from one source in a row: the body
     * the last flow was filed into is its (nothing else ran since) */
    body_t *b = NULL;
    tslot_t *entry = NULL;
    for (guint i = 0; i < n; i++) {
        if (b == NULL || h[i] != h[i - 1] || !sf_addr_equal(&b->addr, &flows[i].src))
            b = source_of(a, &flows[i], h[i], &entry);
        add_to(a, b, entry, &flows[i], with_port[i]);
    }
}

gboolean sf_agg_is_empty(const sf_agg_t *a)
{
    return a->n_bodies == 0;
}

guint sf_agg_source_count(const sf_agg_t *a)
{
    return a->n_bodies;
}

gint64 sf_agg_last_arrival(const sf_agg_t *a)
{
    return a->last_arrival;
}

/* Fills the scratch nets array, tracked nets (with hosts) first, and the
 * addresses, rebuilt from (net, host). */
static guint gather_nets(sf_agg_t *a, const body_t *b, guint *tracked,
                         guint *n_addrs)
{
    guint n = 0, hb = 0, na = 0;

    *tracked = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (guint32 e = b->u.pool.nets; e; e = a->pool[e - 1].next) {
            const elem_t *el = &a->pool[e - 1];
            if (((el->flags & EF_TRACKED) != 0) != (pass == 0))
                continue;
            sf_agg_net_t *net = &a->s_nets[n++];
            gboolean v4 = !(el->flags & EF_V6);
            net->net_len = v4 ? 3 : 8;
            net->host_len = v4 ? 1 : 8;
            memcpy(net->net, &el->v, net->net_len);
            net->hosts = a->s_hosts + hb;
            net->n_hosts = 0;
            for (guint32 h = el->hosts; h; h = a->pool[h - 1].next) {
                sf_addr_t *d = &a->s_addrs[na++];
                memset(d->b, 0, 16);
                if (v4) {
                    d->b[10] = d->b[11] = 0xff;
                    memcpy(d->b + 12, &el->v, 3);
                    memcpy(d->b + 15, &a->pool[h - 1].v, 1);
                } else {
                    memcpy(d->b, &el->v, 8);
                    memcpy(d->b + 8, &a->pool[h - 1].v, 8);
                }
                if (pass == 1)
                    continue;   /* over the cap: an address, no host */
                memcpy(a->s_hosts + hb, &a->pool[h - 1].v, net->host_len);
                hb += net->host_len;
                net->n_hosts++;
            }
            if (pass == 0)
                (*tracked)++;
        }
    }
    *n_addrs = na;
    return n;
}

/* The view of a source whose flows are inline: distinct ports, nets in
 * order of first sight (the first max_nets tracked), distinct addresses.
 * Each net's hosts get 8 bytes of scratch: three IPv4 host bytes or one
 * IPv6 interface id. */
static void view_inline(sf_agg_t *a, const body_t *b, sf_agg_source_t *v)
{
    gboolean v6 = (b->flags & BF_V6) != 0;
    guint8 hlen = v6 ? 8 : 1;

    v->ports = a->s_ports;
    v->addrs = a->s_addrs;
    v->nets = a->s_nets;
    for (guint i = 0; i < b->n_in; i++) {
        gboolean seen = FALSE;
        if ((b->in_ports >> i) & 1) {
            for (guint j = 0; j < v->n_ports; j++)
                seen |= a->s_ports[j] == b->u.in.port[i];
            if (!seen)
                a->s_ports[v->n_ports++] = b->u.in.port[i];
        }
        sf_addr_t *d = &a->s_addrs[v->n_addrs];
        if (v6) {
            memcpy(d->b, b->u.in.dst, 16);
        } else {
            memcpy(d->b, v4_prefix, 12);
            memcpy(d->b + 12, b->u.in.dst + 4 * i, 4);
        }
        seen = FALSE;
        for (guint j = 0; j < v->n_addrs; j++)
            seen |= sf_addr_equal(&a->s_addrs[j], d);
        if (seen)
            continue;
        v->n_addrs++;
        /* a new address: a new host, of a new net or of an earlier one */
        guint rank = 0;
        if (v6 || inline_net_rank(b, i, &rank)) {
            sf_agg_net_t *net = &a->s_nets[v->n_nets];
            rank = v->n_nets++;
            net->net_len = v6 ? 8 : 3;
            net->host_len = hlen;
            memcpy(net->net, d->b + (v6 ? 0 : 12), net->net_len);
            net->hosts = a->s_hosts + 8 * rank;
            net->n_hosts = 0;
        }
        sf_agg_net_t *net = &a->s_nets[rank];
        memcpy(a->s_hosts + 8 * rank + net->n_hosts * hlen,
               d->b + (v6 ? 8 : 15), hlen);
        net->n_hosts++;
    }
    v->n_nets_tracked = MIN(v->n_nets, a->max_nets);
}

/* The view of the source in body b, valid until the next call. */
static void make_view(sf_agg_t *a, const body_t *b, sf_agg_source_t *v)
{
    memset(v, 0, sizeof *v);
    v->src = b->addr;
    v->flows = b->flows;
    v->first_ms = a->base_ms + b->first;
    v->last_ms = a->base_ms + b->last;
    v->sampling = b->flags >> BF_SAMPLING_SHIFT
                  ? a->intervals[(b->flags >> BF_SAMPLING_SHIFT) - 1] : 1;
    for (guint i = 0; i < b->n_exp; i++)
        a->s_exps[i] = a->exps[b->exp[i]];
    v->exporters = a->s_exps;
    v->n_exporters = b->n_exp;
    if (b->owner == 0) {
        view_inline(a, b, v);
        return;
    }
    v->ports = a->s_ports;
    for (guint32 e = b->u.pool.ports; e; e = a->pool[e - 1].next)
        a->s_ports[v->n_ports++] = (guint16)a->pool[e - 1].v;
    v->addrs = a->s_addrs;
    v->nets = a->s_nets;
    v->n_nets = gather_nets(a, b, &v->n_nets_tracked, &v->n_addrs);
}

/* The table entry of body i (each body has exactly one). */
static tslot_t *entry_of(sf_agg_t *a, guint i)
{
    guint32 pos = (guint32)sf_hash_addr(a->seed, &a->bodies[i].addr);

    for (guint p = 0; p < PROBES - 1; p++) {
        tslot_t *t = &a->table[(pos + p) & a->table_mask];
        if (t->body == i + 1)
            return t;
    }
    return &a->table[(pos + PROBES - 1) & a->table_mask];
}

void sf_agg_filter(sf_agg_t *a, sf_agg_filter_fn fn, sf_agg_hint_fn hint,
                   void *user)
{
    /* fn's lookups (one per source, at random in its own tables) are
     * announced this many sources ahead: room for a hint in two stages
     * (probation: a set's summary line, then the matching entry) */
    enum { AHEAD = 8 };

    for (guint i = 0; hint != NULL && i < MIN(a->n_bodies, AHEAD); i++)
        hint(&a->bodies[i].addr, user);
    for (guint i = 0; i < a->n_bodies; i++) {
        body_t *b = &a->bodies[i];
        sf_agg_source_t v;

        if (hint != NULL && i + AHEAD < a->n_bodies)
            hint(&a->bodies[i + AHEAD].addr, user);
        if (!(b->flags & BF_USED))
            continue;
        make_view(a, b, &v);
        if (fn(&v, user))
            b->flags &= ~BF_USED;     /* its entry stays: see find_source */
    }
}

void sf_agg_walk(sf_agg_t *a, sf_agg_visit_fn fn, void *user)
{
    for (guint i = 0; i < a->n_bodies; i++) {
        const body_t *b = &a->bodies[i];
        sf_agg_source_t v;

        if (!(b->flags & BF_USED))
            continue;
        make_view(a, b, &v);
        fn(&v, user);
    }
}

/* Empties the recent cache: slot by slot (from the pool's ports and IPv4
 * hosts) while that touches fewer bytes than a memset. */
static void recent_clear(sf_agg_t *a)
{
    if ((gsize)a->n_pool * 8 >= 1u << RECENT_BITS) {
        memset(a->recent, 0, sizeof(guint64) << RECENT_BITS);
        return;
    }
    for (guint e = 0; e < a->n_pool; e++) {
        const elem_t *el = &a->pool[e];
        guint kind = el->flags & EF_KIND;
        if (kind != EL_NET && !(el->flags & EF_V6))
            memset(recent_slot(a, recent_key(el->key, (guint8)kind, (guint32)el->v)),
                   0, 2 * sizeof(guint64));
    }
}

void sf_agg_reset(sf_agg_t *a)
{
    /* entry by entry while that touches fewer bytes than a memset */
    if ((gsize)a->n_bodies * 64 < a->table_mask + 1) {
        for (guint i = 0; i < a->n_bodies; i++)
            *entry_of(a, i) = (tslot_t){0, 0};
    } else {
        memset(a->table, 0, sizeof(tslot_t) * (a->table_mask + 1));
    }
    a->n_bodies = 0;
    a->n_intervals = 0;
    a->interval_last = 0;
    a->class_last = 0;
    if ((gsize)a->n_pool * 32 < a->index_mask + 1) {
        guint32 elem_mask = a->elem_mask;
        for (guint e = 0; e < a->n_pool; e++) {
            const elem_t *el = &a->pool[e];
            guint32 i = (guint32)elem_hash(a, el->key,
                                           el->flags & (EF_KIND | EF_V6),
                                           el->v) & a->index_mask;
            /* earlier clears leave holes in the run: skip them */
            while ((a->index[i] & elem_mask) != e + 1)
                i = (i + 1) & a->index_mask;
            a->index[i] = 0;
        }
    } else if (a->n_pool) {
        memset(a->index, 0, sizeof(guint32) * (a->index_mask + 1));
    }
    /* the next interval starts at the size this one needed, so that it
     * does not grow again step by step; a flood's size is given back */
    a->index_mask = MIN(a->index_mask,
                        pow2_at_least(MAX((guint)a->n_pool * 2, INDEX_MIN)) - 1);
    recent_clear(a);
    a->n_pool = 0;
    memset(a->exp_index, 0, sizeof a->exp_index);
    a->n_exps = 0;
    a->exp_last_i = -1;
    a->last_arrival = 0;
}

void sf_agg_take_counters(sf_agg_t *a, guint64 *evicted, guint64 *dropped)
{
    *evicted += a->evicted;
    *dropped += a->dropped;
    a->evicted = a->dropped = 0;
}
