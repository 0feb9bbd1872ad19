/*
 * aggregate.c - the local aggregate of one flush interval (see aggregate.h).
 *
 * Layout: a source table and an element pool, both fixed-size.
 *
 *  - Sources: open addressing over a power-of-two table, but a lookup only
 *    ever probes PROBES slots.  When those are all taken, the one with the
 *    fewest flows is evicted (its generation is bumped, so its elements
 *    become unreachable) and counted.  A flood of spoofed one-flow sources
 *    thus churns among itself while a real scanner, with many flows, stays.
 *  - A source's first flow is kept inline in its slot (destination, port);
 *    only its second flow moves it into the element pool.  A flood of
 *    one-flow spoofed sources therefore costs slots, never pool entries,
 *    and cannot crowd out the elements of a real scanner.  From then on
 *    the slot keeps the last flow filed instead: a flow equal to it
 *    (same destination and port, as retransmitted SYNs or repeated probes
 *    are) adds nothing and skips the element lookups.
 *  - Elements (ports, nets, hosts in a net): an append-only pool; each
 *    element is linked into its source's list (hosts into their net's
 *    list) and indexed in a hash set keyed by (slot, generation, kind,
 *    parent, value) for de-duplication.  Values are at most 8 bytes (a
 *    port, an IPv4 /24 or host byte, an IPv6 /64 or interface id) and are
 *    compared and hashed as one 64-bit word.  A full pool drops the
 *    element and counts it.
 *  - Destination addresses are not stored: a (net, host) pair is the
 *    address, so the walk rebuilds them from the nets' host lists.  Hosts
 *    of a net over the source's net cap are therefore still kept (the
 *    view leaves them out of that net, and they are counted as dropped,
 *    as before), so that distinct addresses stay exact.
 *
 * Reset clears only the slots used in the interval and memsets the index:
 * about 2 MB at the default caps, once per flush, on the Redis thread.
 */
#include "aggregate.h"
#include "hash.h"

#include <string.h>

#define PROBES 8

enum { EL_PORT, EL_NET, EL_HOST };

typedef struct src_slot {
    sf_addr_t addr;
    guint32   gen;
    guint32   flows;
    gint64    first_ms, last_ms;
    guint32   ports, nets;  /* list heads: element index + 1 */
    guint32   n_nets;
    sf_addr_t exporters[SF_AGG_MAX_EXPORTERS];
    guint8    n_exporters;
    gboolean  used;
    gboolean  listed;           /* in order[] (used may be cleared) */
    /* the first flow, inline while flows == 1; then the last flow filed */
    sf_addr_t one_dst;
    guint16   one_port;
    guint8    one_has_port;
} src_slot_t;

typedef struct elem {
    guint64 v;          /* the value's len bytes, memcpy'd into a word */
    guint32 next;       /* index + 1 of the next in the list */
    guint32 hosts;      /* nets: head of the hosts list; hosts: no */
    guint32 slot;
    guint32 gen;
    guint32 parent;     /* hosts: index + 1 of their net */
    guint8  kind;
    guint8  len;
    guint8  tracked;    /* nets: hosts tracked (under the cap) */
} elem_t;

struct sf_agg {
    src_slot_t *slots;
    guint32     slot_mask;
    guint32    *order;          /* slots used this interval */
    guint       n_order;
    elem_t     *pool;
    guint       n_pool, max_pool;
    guint32    *index;          /* element index + 1, 0 empty */
    guint32     index_mask;
    guint       max_nets;
    guint64     seed;
    gint64      last_arrival;
    guint64     evicted, dropped;
    /* walk scratch */
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

static guint64 hash_bytes(guint64 h, const guint8 *p, guint len)
{
    guint64 w[2] = {0, 0};
    memcpy(w, p, len);
    return sf_mix64(h ^ sf_mix64(w[0] ^ sf_mix64(w[1] + len)));
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
    /* at most half full: probing 8 slots then evicts only under floods */
    guint32 nslots = pow2_at_least(MAX(max_sources, PROBES) * 2);

    a->slots = g_new0(src_slot_t, nslots);
    a->slot_mask = nslots - 1;
    a->order = g_new(guint32, nslots);
    a->max_pool = max_elements;
    a->pool = g_new(elem_t, max_elements);
    a->index_mask = pow2_at_least(max_elements * 2) - 1;
    a->index = g_new0(guint32, a->index_mask + 1);
    a->max_nets = max_nets_per_source;
    a->seed = ((guint64)g_random_int() << 32) | g_random_int();
    a->s_ports = g_new(guint16, max_elements);
    a->s_nets = g_new(sf_agg_net_t, max_elements);
    a->s_hosts = g_new(guint8, (gsize)max_elements * 8);
    a->s_addrs = g_new(sf_addr_t, max_elements);
    return a;
}

void sf_agg_free(sf_agg_t *a)
{
    if (a == NULL)
        return;
    g_free(a->slots);
    g_free(a->order);
    g_free(a->pool);
    g_free(a->index);
    g_free(a->s_ports);
    g_free(a->s_nets);
    g_free(a->s_hosts);
    g_free(a->s_addrs);
    g_free(a);
}

static void slot_claim(sf_agg_t *a, guint32 i, const sf_addr_t *src)
{
    src_slot_t *s = &a->slots[i];
    guint32 gen = s->gen + 1;
    gboolean listed = s->listed;

    if (!listed)
        a->order[a->n_order++] = i;
    memset(s, 0, sizeof *s);
    s->addr = *src;
    s->gen = gen;
    s->used = TRUE;
    s->listed = TRUE;
}

static src_slot_t *find_source(sf_agg_t *a, const sf_addr_t *src, guint32 *idx)
{
    guint32 h = (guint32)hash_bytes(a->seed, src->b, 16);
    guint32 free_i = G_MAXUINT32, victim = G_MAXUINT32;

    for (guint p = 0; p < PROBES; p++) {
        guint32 i = (h + p) & a->slot_mask;
        src_slot_t *s = &a->slots[i];

        if (!s->used) {
            if (free_i == G_MAXUINT32)
                free_i = i;
            continue;
        }
        if (memcmp(s->addr.b, src->b, 16) == 0) {
            *idx = i;
            return s;
        }
        if (victim == G_MAXUINT32 || s->flows < a->slots[victim].flows)
            victim = i;
    }
    if (free_i == G_MAXUINT32) {
        free_i = victim;
        a->evicted++;
    }
    slot_claim(a, free_i, src);
    *idx = free_i;
    return &a->slots[free_i];
}

/* Finds or adds an element; returns its index + 1, 0 when dropped.  *added
 * tells whether it is new. */
static guint32 find_elem(sf_agg_t *a, guint32 slot, guint32 gen, guint8 kind,
                         guint32 parent, guint64 v, guint8 len,
                         gboolean *added)
{
    /* one finaliser over the key's words; the multiplications spread the
     * value and the slot, and the seed keeps the index unpredictable */
    guint64 h = sf_mix64(((v ^ a->seed) * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15))
                      ^ (((guint64)slot << 32 | gen)
                         * G_GUINT64_CONSTANT(0xc2b2ae3d27d4eb4f))
                      ^ ((guint64)parent << 16 | (guint64)len << 8 | kind));
    guint32 i = (guint32)h & a->index_mask;

    *added = FALSE;
    for (;; i = (i + 1) & a->index_mask) {
        guint32 e = a->index[i];
        if (e == 0)
            break;
        const elem_t *el = &a->pool[e - 1];
        if (el->v == v && el->slot == slot && el->gen == gen
            && el->kind == kind && el->parent == parent && el->len == len)
            return e;
    }
    if (a->n_pool >= a->max_pool) {
        a->dropped++;
        return 0;
    }
    elem_t *el = &a->pool[a->n_pool];
    memset(el, 0, sizeof *el);
    el->slot = slot;
    el->gen = gen;
    el->kind = kind;
    el->parent = parent;
    el->len = len;
    el->v = v;
    a->index[i] = ++a->n_pool;
    *added = TRUE;
    return a->n_pool;
}

static void add_port(sf_agg_t *a, src_slot_t *s, guint32 si, guint16 port)
{
    gboolean added;
    guint32 e = find_elem(a, si, s->gen, EL_PORT, 0, port, 2, &added);

    if (added) {
        a->pool[e - 1].next = s->ports;
        s->ports = e;
    }
}

static void add_net_host(sf_agg_t *a, src_slot_t *s, guint32 si,
                         const sf_addr_t *dst, gboolean v4)
{
    const guint8 *net = v4 ? dst->b + 12 : dst->b;
    const guint8 *host = v4 ? dst->b + 15 : dst->b + 8;
    guint8 nlen = v4 ? 3 : 8, hlen = v4 ? 1 : 8;
    gboolean added;
    guint32 n = find_elem(a, si, s->gen, EL_NET, 0, word_of(net, nlen), nlen,
                          &added);

    if (n == 0)
        return;
    if (added) {
        a->pool[n - 1].next = s->nets;
        a->pool[n - 1].tracked = s->n_nets < a->max_nets;
        s->nets = n;
        s->n_nets++;
    }
    /* kept even over the cap: the address is (net, host) */
    if (!a->pool[n - 1].tracked)
        a->dropped++;
    guint32 h = find_elem(a, si, s->gen, EL_HOST, n, word_of(host, hlen), hlen,
                          &added);
    if (h != 0 && added) {
        a->pool[h - 1].next = a->pool[n - 1].hosts;
        a->pool[n - 1].hosts = h;
    }
}

static void add_exporter(src_slot_t *s, const sf_addr_t *exp)
{
    for (guint i = 0; i < s->n_exporters; i++)
        if (memcmp(s->exporters[i].b, exp->b, 16) == 0)
            return;
    if (s->n_exporters < SF_AGG_MAX_EXPORTERS)
        s->exporters[s->n_exporters++] = *exp;
}

static void add_elements(sf_agg_t *a, src_slot_t *s, guint32 si,
                         const sf_addr_t *dst, guint16 port,
                         gboolean with_port)
{
    if (with_port)
        add_port(a, s, si, port);
    add_net_host(a, s, si, dst, sf_addr_is_v4(dst));
}

static gboolean same_as_last(const src_slot_t *s, const sf_flow_t *f,
                             gboolean with_port)
{
    return s->one_has_port == (with_port != FALSE)
           && (!with_port || s->one_port == f->dst_port)
           && memcmp(s->one_dst.b, f->dst.b, 16) == 0;
}

void sf_agg_add(sf_agg_t *a, const sf_flow_t *f, gboolean with_port)
{
    guint32 si;
    src_slot_t *s = find_source(a, &f->src, &si);
    gboolean timed = (f->fields & SF_HAS_TIMES) && f->start_ms > 0;
    gint64 first = timed ? f->start_ms : f->arrival_ms;
    gint64 last = timed && f->end_ms > 0 ? f->end_ms : first;

    if (s->flows == 0 || first < s->first_ms)
        s->first_ms = first;
    if (s->flows == 0 || last > s->last_ms)
        s->last_ms = last;
    s->flows++;
    if (f->arrival_ms > a->last_arrival)
        a->last_arrival = f->arrival_ms;
    add_exporter(s, &f->exporter);
    if (s->flows == 1) {
        s->one_dst = f->dst;
        s->one_port = f->dst_port;
        s->one_has_port = with_port != FALSE;
        return;
    }
    if (s->flows == 2)
        add_elements(a, s, si, &s->one_dst, s->one_port, s->one_has_port);
    if (same_as_last(s, f, with_port))
        return;
    add_elements(a, s, si, &f->dst, f->dst_port, with_port);
    s->one_dst = f->dst;
    s->one_port = f->dst_port;
    s->one_has_port = with_port != FALSE;
}

gboolean sf_agg_is_empty(const sf_agg_t *a)
{
    return a->n_order == 0;
}

guint sf_agg_source_count(const sf_agg_t *a)
{
    return a->n_order;
}

gint64 sf_agg_last_arrival(const sf_agg_t *a)
{
    return a->last_arrival;
}

/* Fills the scratch nets array, tracked nets (with hosts) first, and the
 * addresses, rebuilt from (net, host). */
static guint gather_nets(sf_agg_t *a, const src_slot_t *s, guint *tracked,
                         guint *n_addrs)
{
    guint n = 0, hb = 0, na = 0;

    *tracked = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (guint32 e = s->nets; e; e = a->pool[e - 1].next) {
            const elem_t *el = &a->pool[e - 1];
            if (el->tracked != (pass == 0))
                continue;
            sf_agg_net_t *net = &a->s_nets[n++];
            gboolean v4 = el->len == 3;
            memcpy(net->net, &el->v, el->len);
            net->net_len = el->len;
            net->host_len = v4 ? 1 : 8;
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

/* The view of a one-flow source, from its inline copy. */
static void walk_single(sf_agg_t *a, const src_slot_t *s, sf_agg_source_t *v)
{
    gboolean v4 = sf_addr_is_v4(&s->one_dst);
    sf_agg_net_t *net = &a->s_nets[0];

    v->ports = a->s_ports;
    a->s_ports[0] = s->one_port;
    v->n_ports = s->one_has_port ? 1 : 0;
    v->addrs = a->s_addrs;
    a->s_addrs[0] = s->one_dst;
    v->n_addrs = 1;
    net->net_len = v4 ? 3 : 8;
    net->host_len = v4 ? 1 : 8;
    memcpy(net->net, s->one_dst.b + (v4 ? 12 : 0), net->net_len);
    memcpy(a->s_hosts, s->one_dst.b + (v4 ? 15 : 8), net->host_len);
    net->hosts = a->s_hosts;
    net->n_hosts = 1;
    v->nets = a->s_nets;
    v->n_nets = 1;
    v->n_nets_tracked = a->max_nets > 0 ? 1 : 0;
}

/* The view of the source in slot s, valid until the next call. */
static void make_view(sf_agg_t *a, const src_slot_t *s, sf_agg_source_t *v)
{
    memset(v, 0, sizeof *v);
    v->src = s->addr;
    v->flows = s->flows;
    v->first_ms = s->first_ms;
    v->last_ms = s->last_ms;
    v->exporters = s->exporters;
    v->n_exporters = s->n_exporters;
    if (s->flows == 1) {
        walk_single(a, s, v);
        return;
    }
    v->ports = a->s_ports;
    for (guint32 e = s->ports; e; e = a->pool[e - 1].next)
        a->s_ports[v->n_ports++] = (guint16)a->pool[e - 1].v;
    v->addrs = a->s_addrs;
    v->nets = a->s_nets;
    v->n_nets = gather_nets(a, s, &v->n_nets_tracked, &v->n_addrs);
}

void sf_agg_filter(sf_agg_t *a, sf_agg_filter_fn fn, void *user)
{
    for (guint o = 0; o < a->n_order; o++) {
        src_slot_t *s = &a->slots[a->order[o]];
        sf_agg_source_t v;

        if (!s->used)
            continue;
        make_view(a, s, &v);
        if (fn(&v, user))
            s->used = FALSE;
    }
}

void sf_agg_walk(sf_agg_t *a, sf_agg_visit_fn fn, void *user)
{
    for (guint o = 0; o < a->n_order; o++) {
        const src_slot_t *s = &a->slots[a->order[o]];
        sf_agg_source_t v;

        if (!s->used)
            continue;
        make_view(a, s, &v);
        fn(&v, user);
    }
}

void sf_agg_reset(sf_agg_t *a)
{
    for (guint o = 0; o < a->n_order; o++)
        a->slots[a->order[o]].used = a->slots[a->order[o]].listed = FALSE;
    a->n_order = 0;
    if (a->n_pool)
        memset(a->index, 0, sizeof(guint32) * (a->index_mask + 1));
    a->n_pool = 0;
    a->last_arrival = 0;
}

void sf_agg_take_counters(sf_agg_t *a, guint64 *evicted, guint64 *dropped)
{
    *evicted += a->evicted;
    *dropped += a->dropped;
    a->evicted = a->dropped = 0;
}
