/*
 * local.c - the in-process correlator of `scanflow hunt` (see local.h).
 *
 * Entities: a source, a network of sources (--source-prefix) or a scanned
 * host (many-to-one), each with an exact set of elements: destination
 * ports and hosts (sources, networks), member sources (networks), and
 * for a scanned host its ports, its sources and their (source, port)
 * pairs.  An element remembers the last flow time it was seen; it counts
 * toward a horizon (horizon.h: --window, then the longer ones) while its
 * bucket is one of the horizon's (sf_horizon_bucket, the daemon's cut of
 * time), so counts slide as scanflowd's do, but exactly.
 *
 * Time is the flows' own: a flow's end (its start, or the capture's
 * arrival time when it has none).  The clock is the latest time seen.
 * As scanflowd judges at every flush, hunt judges the entities that got
 * an element new to them or to the current bucket when the clock enters
 * a new --flush-interval; a repeat within a bucket cannot cross anything.
 * A source is judged by sf_rules_judge at each horizon (rules.c's order:
 * the base window first, longer ones for unsampled sources and kinds no
 * shorter one crossed); one that is a member of its network (net_member
 * below, the daemon's rule in window.c) adds its elements to the
 * network, which is judged after the sources; a scanned host is judged
 * by sf_targets_crossed.  The memory of alerts is the daemon's: one per
 * (entity, kind) per --suppress, and at a longer horizon again only at
 * four times the count.
 *
 * Each entity's elements are an open-addressing table (linear probing)
 * that grows by doubling and is rebuilt without the elements that left
 * every window; all tables together hold at most --max-elements.
 */
#include "local.h"
#include "correlator-int.h"
#include "cidr.h"
#include "evidence.h"
#include "exact.h"
#include "hash.h"
#include "keys.h"

#include <string.h>

enum { ROLE_SOURCE, ROLE_NETWORK, ROLE_TARGET };
enum { EL_EMPTY, EL_PORT, EL_HOST, EL_MEMBER, EL_PAIR };

typedef struct elem {
    sf_addr_t a;                /* host, member, or the pair's source */
    gint64    last_ms;
    guint16   port;
    guint8    kind;             /* EL_*; EL_EMPTY: a free slot */
} elem_t;

typedef struct entity {
    sf_addr_t addr;             /* a network: its first address */
    guint8    prefix;           /* network: prefix length */
    guint8    role;
    gboolean  pending;          /* a new element since it was judged */
    GList     lru;              /* link in l->lru; data: the entity */
    guint32   sampling;         /* smallest interval of its evidence */
    guint64   flows;
    guint64   flows_given;      /* source: flows already counted by its
                                   network */
    gint64    first_ms, last_ms;
    sf_addr_t exporters[SF_AGG_MAX_EXPORTERS];
    guint     n_exporters;
    elem_t   *tab;
    guint     cap, n;           /* slots, used (expired ones included) */
    guint     n_ports, n_hosts; /* ... of which ports, hosts */
} entity_t;

/* A horizon (horizon.h) and the rules with its thresholds: [0] the base
 * window (--window), then the longer ones. */
typedef struct hz {
    sf_horizon_t h;
    sf_rules_t  *rules;
} hz_t;

/* The memory of one (entity, kind) alert, as the daemon's (rules.c). */
typedef struct alerted {
    gint64 until_ms;            /* end of its suppression */
    gint64 at_ms;               /* when it was raised */
    gint64 count;               /* the count that crossed */
    gint32 horizon_s;           /* the horizon that crossed */
    char   id[SF_ALERT_ID_LEN]; /* its id ("" for an --allow crossing) */
} alerted_t;

#define ESCALATE_FACTOR 4

/* What one judgement of an entity counted in its window. */
typedef struct tally {
    sf_window_counts_t w;
    gint64 sources;             /* target: distinct sources */
    gint64 top;                 /* target: most ports of one source */
    gint64 alerted_members;     /* network: members with their own alert */
} tally_t;

struct sf_local {
    const sf_correlate_config_t *cfg;
    sf_local_alert_fn fn;
    void             *user;
    GHashTable       *entities;     /* entity_t -> itself */
    GQueue            lru;          /* least recently touched first */
    GPtrArray        *pending;      /* sources and targets to judge */
    GPtrArray        *pending_nets; /* networks, judged after sources */
    GHashTable       *alerted;      /* "entity|kind" -> alerted_t */
    gboolean          judging;      /* no eviction while judging */
    gint64            clock, tick;
    hz_t             *hz;           /* shortest (--window) first */
    guint             n_hz;
    GArray           *ports;        /* scratch: guint16 */
    GArray           *hosts;        /* scratch: sf_addr_t */
    GArray           *members;      /* scratch: sf_addr_t */
    GArray           *pairs;        /* scratch: elem_t */
    GArray           *held;         /* sf_flow_t: untimed, before any time */
    sf_local_stats_t  st;
};

static guint entity_hash(gconstpointer p)
{
    const entity_t *e = p;

    return (guint)sf_hash_addr((guint64)e->role << 8 | e->prefix, &e->addr);
}

static gboolean entity_equal(gconstpointer a, gconstpointer b)
{
    const entity_t *x = a, *y = b;

    return x->role == y->role && x->prefix == y->prefix
        && sf_addr_equal(&x->addr, &y->addr);
}

static void entity_free(sf_local_t *l, entity_t *e)
{
    l->st.elements_now -= e->n;
    l->st.entities_now--;
    g_queue_unlink(&l->lru, &e->lru);
    if (e->pending)
        g_ptr_array_remove_fast(e->role == ROLE_NETWORK ? l->pending_nets
                                                        : l->pending, e);
    g_hash_table_remove(l->entities, e);
    g_free(e->tab);
    g_free(e);
}

/* The horizons judged (cfg->horizons), each with rules of its
 * thresholds. */
static void horizons_new(sf_local_t *l)
{
    const GArray *hs = l->cfg->horizons;

    l->n_hz = hs->len;
    l->hz = g_new0(hz_t, l->n_hz);
    for (guint i = 0; i < l->n_hz; i++) {
        hz_t *z = &l->hz[i];
        z->h = g_array_index(hs, sf_horizon_t, i);
        z->rules = sf_rules_new(l->cfg);
        z->rules->port_threshold = z->h.ports;
        z->rules->sweep_threshold = z->h.hosts;
        z->rules->wide_sweep_threshold = z->h.wide;
        sf_sampling_cache_init(&z->rules->port_kmin, (guint)z->h.ports);
        sf_sampling_cache_init(&z->rules->sweep_kmin, (guint)z->h.hosts);
    }
}

sf_local_t *sf_local_new(const sf_correlate_config_t *cfg,
                         sf_local_alert_fn fn, void *user)
{
    sf_local_t *l;

    g_return_val_if_fail(cfg->finished, NULL);
    l = g_new0(sf_local_t, 1);
    l->cfg = cfg;
    l->fn = fn;
    l->user = user;
    l->entities = g_hash_table_new(entity_hash, entity_equal);
    g_queue_init(&l->lru);
    l->pending = g_ptr_array_new();
    l->pending_nets = g_ptr_array_new();
    l->alerted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       g_free);
    horizons_new(l);
    l->tick = -1;
    l->ports = g_array_new(FALSE, FALSE, sizeof(guint16));
    l->hosts = g_array_new(FALSE, FALSE, sizeof(sf_addr_t));
    l->members = g_array_new(FALSE, FALSE, sizeof(sf_addr_t));
    l->pairs = g_array_new(FALSE, FALSE, sizeof(elem_t));
    l->held = g_array_new(FALSE, FALSE, sizeof(sf_flow_t));
    return l;
}

void sf_local_free(sf_local_t *l)
{
    if (l == NULL)
        return;
    while (l->lru.head)
        entity_free(l, l->lru.head->data);
    g_hash_table_unref(l->entities);
    g_ptr_array_unref(l->pending);
    g_ptr_array_unref(l->pending_nets);
    g_hash_table_unref(l->alerted);
    g_array_unref(l->ports);
    g_array_unref(l->hosts);
    g_array_unref(l->members);
    g_array_unref(l->pairs);
    g_array_unref(l->held);
    for (guint i = 0; i < l->n_hz; i++)
        sf_rules_free(l->hz[i].rules);
    g_free(l->hz);
    g_free(l);
}

gint64 sf_local_clock(const sf_local_t *l)
{
    return l->clock;
}

void sf_local_get_stats(const sf_local_t *l, sf_local_stats_t *out)
{
    *out = l->st;
}

/* ---- elements ---- */

static guint64 elem_hash(guint8 kind, const sf_addr_t *a, guint16 port)
{
    return sf_hash_addr((guint64)kind << 16 | port, a);
}

/* The start of the first bucket of z's window at now_ms: elements seen
 * before it are out of the window. */
static gint64 window_start(const hz_t *z, gint64 now_ms)
{
    return sf_horizon_first_bucket(&z->h, sf_horizon_bucket(&z->h, now_ms))
         * z->h.bucket_s * 1000;
}

/* ... of the longest window: elements seen before it are out of all. */
static gint64 kept_since(const sf_local_t *l)
{
    return window_start(&l->hz[l->n_hz - 1], l->clock);
}

static void elem_put(entity_t *e, const elem_t *x)
{
    guint mask = e->cap - 1;
    guint i = (guint)elem_hash(x->kind, &x->a, x->port) & mask;

    while (e->tab[i].kind != EL_EMPTY)
        i = (i + 1) & mask;
    e->tab[i] = *x;
}

/* Rebuilds e's table with cap slots, without elements before since. */
static void elem_rebuild(sf_local_t *l, entity_t *e, guint cap, gint64 since)
{
    elem_t *old = e->tab;
    guint old_cap = e->cap;

    e->tab = g_new0(elem_t, cap);
    e->cap = cap;
    l->st.elements_now -= e->n;
    e->n = e->n_ports = e->n_hosts = 0;
    for (guint i = 0; i < old_cap; i++) {
        if (old[i].kind == EL_EMPTY || old[i].last_ms < since)
            continue;
        elem_put(e, &old[i]);
        e->n++;
        e->n_ports += old[i].kind == EL_PORT;
        e->n_hosts += old[i].kind == EL_HOST;
    }
    l->st.elements_now += e->n;
    g_free(old);
}

/* At --max-elements, the least recently seen entities (not keep) go, as
 * at --max-sources (counted); while judging nothing goes.  FALSE: still
 * no room. */
static gboolean make_room(sf_local_t *l, const entity_t *keep)
{
    guint64 max = (guint64)l->cfg->max_elements;

    while (l->st.elements_now >= max && !l->judging && l->lru.head
           && l->lru.head->data != keep) {
        entity_free(l, l->lru.head->data);
        l->st.entities_evicted++;
    }
    return l->st.elements_now < max;
}

/* Files an element; TRUE when it is new to e or new in the current
 * bucket (scanflowd writes it into the bucket's keys and counts again:
 * a scan that goes on after --suppress alerts again). */
static gboolean elem_add(sf_local_t *l, entity_t *e, guint8 kind,
                         const sf_addr_t *a, guint16 port, gint64 t)
{
    elem_t x = {.kind = kind, .port = port, .last_ms = t};
    guint mask, i;

    if (a)
        x.a = *a;
    if (e->cap == 0 || (e->n + 1) * 4 > e->cap * 3)
        elem_rebuild(l, e, e->cap ? e->cap * 2 : 4, G_MININT64);
    mask = e->cap - 1;
    for (i = (guint)elem_hash(kind, &x.a, port) & mask;
         e->tab[i].kind != EL_EMPTY; i = (i + 1) & mask) {
        elem_t *y = &e->tab[i];
        if (y->kind == kind && y->port == port && sf_addr_equal(&y->a, &x.a)) {
            gboolean moved = sf_horizon_bucket(&l->hz[0].h, t)
                           > sf_horizon_bucket(&l->hz[0].h, y->last_ms);
            y->last_ms = MAX(y->last_ms, t);
            return moved;
        }
    }
    if (!make_room(l, e)) {
        l->st.elements_dropped++;
        return FALSE;
    }
    e->tab[i] = x;
    e->n++;
    e->n_ports += kind == EL_PORT;
    e->n_hosts += kind == EL_HOST;
    l->st.elements_now++;
    l->st.elements_peak = MAX(l->st.elements_peak, l->st.elements_now);
    return TRUE;
}

/* ---- entities ---- */

/* Drops the least recently touched entities beyond --max-sources
 * (counted) and those idle for a whole window. */
static void trim(sf_local_t *l)
{
    gint64 since = kept_since(l);

    while (l->st.entities_now > (guint64)l->cfg->max_sources) {
        entity_free(l, l->lru.head->data);
        l->st.entities_evicted++;
    }
    while (l->lru.head
           && ((entity_t *)l->lru.head->data)->last_ms < since) {
        entity_free(l, l->lru.head->data);
        l->st.entities_expired++;
    }
}

static entity_t *entity_get(sf_local_t *l, guint8 role, const sf_addr_t *a,
                            guint8 prefix, gint64 t)
{
    entity_t key = {.addr = *a, .prefix = prefix, .role = role};
    entity_t *e = g_hash_table_lookup(l->entities, &key);

    if (e == NULL) {
        e = g_new0(entity_t, 1);
        *e = key;
        e->lru.data = e;
        e->first_ms = e->last_ms = t;
        g_hash_table_add(l->entities, e);
        l->st.entities_now++;
        l->st.entities_peak = MAX(l->st.entities_peak, l->st.entities_now);
    } else {
        g_queue_unlink(&l->lru, &e->lru);
    }
    g_queue_push_tail_link(&l->lru, &e->lru);
    e->first_ms = MIN(e->first_ms, t);
    e->last_ms = MAX(e->last_ms, t);
    if (!l->judging && l->st.entities_now > (guint64)l->cfg->max_sources)
        trim(l);
    return e;
}

static void mark_pending(sf_local_t *l, entity_t *e)
{
    if (e->pending)
        return;
    e->pending = TRUE;
    g_ptr_array_add(e->role == ROLE_NETWORK ? l->pending_nets : l->pending, e);
}

static void add_exporter(entity_t *e, const sf_addr_t *x)
{
    for (guint i = 0; i < e->n_exporters; i++)
        if (sf_addr_equal(&e->exporters[i], x))
            return;
    if (e->n_exporters < SF_AGG_MAX_EXPORTERS)
        e->exporters[e->n_exporters++] = *x;
}

static void note_flow(entity_t *e, const sf_flow_t *f)
{
    guint32 n = f->sampling_interval > 1 ? f->sampling_interval : 1;

    e->flows++;
    e->sampling = e->sampling ? MIN(e->sampling, n) : n;
    add_exporter(e, &f->exporter);
}

/* ---- the memory of alerts ---- */

static char *alerted_key(const entity_t *e, sf_alert_kind_t kind)
{
    char text[SF_ADDR_STRLEN];

    return g_strdup_printf("%s/%u|%d", sf_addr_to_string(&e->addr, text),
                           e->prefix, kind);
}

static const alerted_t *alerted_get(sf_local_t *l, const entity_t *e,
                                    sf_alert_kind_t kind)
{
    g_autofree char *key = alerted_key(e, kind);

    return g_hash_table_lookup(l->alerted, key);
}

static gboolean recently_alerted(sf_local_t *l, const entity_t *e,
                                 sf_alert_kind_t kind)
{
    const alerted_t *a = alerted_get(l, e, kind);

    return a && a->until_ms > l->clock;
}

/* Whether a crossing of horizon z with count is kept back by an alert
 * still out: within its suppression or, for a longer horizon than its
 * own, younger than that horizon; unless the horizon is longer and the
 * count ESCALATE_FACTOR times the alert's (the daemon's rule, claim.c):
 * then the new alert escalates it, and its id goes into escalates. */
static gboolean alert_out(sf_local_t *l, const entity_t *e,
                          sf_alert_kind_t kind, const hz_t *z, gint64 count,
                          char escalates[SF_ALERT_ID_LEN])
{
    const alerted_t *a = alerted_get(l, e, kind);
    gint32 s = z->h.seconds;

    escalates[0] = '\0';
    if (a == NULL || !(a->until_ms > l->clock
                       || (a->horizon_s < s
                           && l->clock - a->at_ms < (gint64)s * 1000)))
        return FALSE;
    if (s <= a->horizon_s || count < ESCALATE_FACTOR * a->count)
        return TRUE;
    g_strlcpy(escalates, a->id, SF_ALERT_ID_LEN);
    return FALSE;
}

static gboolean drop_expired(gpointer key, gpointer value, gpointer now)
{
    const alerted_t *a = value;

    (void)key;
    return MAX(a->until_ms, a->at_ms + (gint64)a->horizon_s * 1000)
        <= *(gint64 *)now;
}

static void remember_alerted(sf_local_t *l, const entity_t *e,
                             sf_alert_kind_t kind, const hz_t *z,
                             gint64 count, const char *id)
{
    alerted_t *a = g_new(alerted_t, 1);
    gint64 hold = z == &l->hz[0] ? l->cfg->suppress_s
                                 : MAX(l->cfg->suppress_s, z->h.seconds);

    /* bounded as the daemon's: expired ones go, then all if need be */
    if (g_hash_table_size(l->alerted) >= (guint)l->cfg->max_sources) {
        g_hash_table_foreach_remove(l->alerted, drop_expired, &l->clock);
        if (g_hash_table_size(l->alerted) >= (guint)l->cfg->max_sources)
            g_hash_table_remove_all(l->alerted);
    }
    a->at_ms = l->clock;
    a->until_ms = l->clock + hold * 1000;
    a->count = count;
    a->horizon_s = z->h.seconds;
    g_strlcpy(a->id, id, sizeof a->id);
    g_hash_table_replace(l->alerted, alerted_key(e, kind), a);
}

/* Whether src holds a per-source alert (any of the per-source kinds). */
static gboolean source_alerted(sf_local_t *l, const sf_addr_t *src)
{
    entity_t e = {.addr = *src, .role = ROLE_SOURCE};

    return recently_alerted(l, &e, SF_ALERT_PORT_SCAN)
        || recently_alerted(l, &e, SF_ALERT_HOST_SWEEP)
        || recently_alerted(l, &e, SF_ALERT_WIDE_SWEEP);
}

/* ---- judging ---- */

static int addr_cmp(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(sf_addr_t));
}

static int port_cmp(gconstpointer a, gconstpointer b)
{
    return (int)*(const guint16 *)a - (int)*(const guint16 *)b;
}

/* Bytes of an address that name its net: an IPv4 /24 (of the mapped
 * form), an IPv6 /64. */
static guint net_bytes(const sf_addr_t *a)
{
    return sf_addr_is_v4(a) ? 15 : 8;
}

/* Distinct nets of the sorted hosts scratch, the most hosts in one and
 * which net that is. */
static void count_nets(sf_local_t *l, sf_window_counts_t *w)
{
    const sf_addr_t *h = (const sf_addr_t *)(void *)l->hosts->data;
    guint n = l->hosts->len, run = 0;

    w->nets = w->top_hosts = 0;
    w->top_net_len = 0;
    for (guint i = 0; i < n; i++) {
        guint nb = net_bytes(&h[i]);
        if (i == 0 || memcmp(h[i].b, h[i - 1].b, nb) != 0) {
            w->nets++;
            run = 0;
        }
        if (++run > (guint)w->top_hosts) {
            gboolean v4 = nb == 15;
            w->top_hosts = run;
            w->top_net_len = v4 ? 3 : 8;
            memcpy(w->top_net, h[i].b + (v4 ? 12 : 0), w->top_net_len);
        }
    }
}

/* Walks e's elements in the window that starts at since into the
 * scratch arrays (sorted) and t's counts; rebuilds the table when most of
 * it has left every window. */
static void tally(sf_local_t *l, entity_t *e, gint64 since, tally_t *t)
{
    guint expired = 0;

    g_array_set_size(l->ports, 0);
    g_array_set_size(l->hosts, 0);
    g_array_set_size(l->members, 0);
    g_array_set_size(l->pairs, 0);
    for (guint i = 0; i < e->cap; i++) {
        const elem_t *x = &e->tab[i];
        if (x->kind == EL_EMPTY)
            continue;
        if (x->last_ms < since)
            expired++;
        else if (x->kind == EL_PORT)
            g_array_append_val(l->ports, x->port);
        else if (x->kind == EL_HOST)
            g_array_append_val(l->hosts, x->a);
        else if (x->kind == EL_MEMBER)
            g_array_append_val(l->members, x->a);
        else
            g_array_append_val(l->pairs, *x);
    }
    if (expired * 2 > e->n)
        elem_rebuild(l, e, e->cap, kept_since(l));
    g_array_sort(l->ports, port_cmp);
    g_array_sort(l->hosts, addr_cmp);
    g_array_sort(l->members, addr_cmp);
    memset(t, 0, sizeof *t);
    t->w.src = e->addr;
    t->w.src_prefix = e->prefix;
    t->w.ports = l->ports->len;
    t->w.hosts = l->hosts->len;
    t->w.top_before = -1;
    t->w.members = l->members->len;
    t->w.sampling = e->role == ROLE_SOURCE ? MAX(e->sampling, 1) : 1;
    count_nets(l, &t->w);
    for (guint i = 0; i < l->members->len; i++)
        t->alerted_members +=
            source_alerted(l, &g_array_index(l->members, sf_addr_t, i));
}

static char *addr_text(const sf_addr_t *a)
{
    char text[SF_ADDR_STRLEN];

    return g_strdup(sf_addr_to_string(a, text));
}

/* The facts every kind shares: entity, flows, times, samples. */
static void fill_common(sf_local_t *l, const entity_t *e,
                        sf_alert_kind_t kind, sf_alert_facts_t *f)
{
    const GArray *people = l->members;

    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->src = e->addr;
    f->src_prefix = e->prefix;
    f->flows = (gint64)e->flows;
    f->first_seen_ms = e->first_ms;
    f->last_seen_ms = e->last_ms;
    for (guint i = 0; i < l->ports->len && i < SF_ALERT_MAX_SAMPLES; i++)
        f->sample_ports[f->n_sample_ports++] =
            g_array_index(l->ports, guint16, i);
    for (guint i = 0; i < e->n_exporters; i++)
        f->exporters[f->n_exporters++] = addr_text(&e->exporters[i]);
    if (e->role == ROLE_SOURCE)
        return;
    f->distinct_sources = people->len;
    for (guint i = 0; i < people->len && i < SF_ALERT_MAX_SAMPLES; i++)
        f->sample_sources[f->n_sample_sources++] =
            addr_text(&g_array_index(people, sf_addr_t, i));
}

static void fill_counts(sf_local_t *l, const tally_t *t, sf_alert_facts_t *f)
{
    f->distinct_ports = t->w.ports;
    f->distinct_hosts = t->w.hosts;
    f->distinct_nets24 = t->w.nets;
    f->hosts_in_top_net24 = t->w.top_hosts;
    if (t->w.top_net_len)
        sf_key_net_text(t->w.top_net, t->w.top_net_len, f->top_net24);
    for (guint i = 0; i < l->hosts->len && i < SF_ALERT_MAX_SAMPLES; i++)
        f->sample_hosts[f->n_sample_hosts++] =
            addr_text(&g_array_index(l->hosts, sf_addr_t, i));
    sf_exact_settle(f);
    f->sampling_interval = t->w.sampling;
}

static void emit(sf_local_t *l, const hz_t *z, sf_alert_facts_t *f)
{
    const char *tags[16];

    sf_rules_complete(z->rules, l->cfg, f, tags);
    f->window_s = z->h.seconds;
    l->fn(f, tags, l->clock, l->user);
    l->st.alerts++;
    sf_alert_facts_clear(f);
}

/* One crossing at horizon z: kept back by an alert still out, allowed,
 * vetoed (a network whose members mostly hold alerts of their own, as
 * sf_window_vet_networks) or raised. */
static void raise_alert(sf_local_t *l, const hz_t *z, const entity_t *e,
                        const tally_t *t, sf_alert_kind_t kind)
{
    gint64 count = sf_rules_count(&t->w, kind);
    g_autofree char *id = NULL;
    char escalates[SF_ALERT_ID_LEN];
    sf_alert_facts_t f;

    if (alert_out(l, e, kind, z, count, escalates))
        return;
    if (sf_cidr_list_contains(z->rules->allow, &e->addr)) {
        l->st.allowed++;
        remember_alerted(l, e, kind, z, count, "");
        return;
    }
    if (e->role == ROLE_NETWORK && 2 * t->alerted_members >= t->w.members)
        return;
    id = g_uuid_string_random();
    remember_alerted(l, e, kind, z, count, id);
    fill_common(l, e, kind, &f);
    g_strlcpy(f.id, id, sizeof f.id);
    g_strlcpy(f.escalates, escalates, sizeof f.escalates);
    if (kind == SF_ALERT_DISTRIBUTED_PORT_SCAN) {
        f.distinct_ports = MIN(MIN(t->w.ports, f.flows), 65536);
        f.distinct_sources = MIN(t->sources, f.flows);
        f.distinct_hosts = f.distinct_nets24 = 1;
    } else {
        fill_counts(l, t, &f);
    }
    emit(l, z, &f);
}

/* The daemon's member rule (window.c), on the base window: enough
 * distinct ports or hosts to matter, none at a per-source threshold, no
 * alert of its own. */
static gboolean net_member(sf_local_t *l, const entity_t *e,
                           const sf_window_counts_t *c)
{
    return sf_window_member_counts(l->cfg, c) && !source_alerted(l, &e->addr);
}

/* A member's elements go into its network: elements, itself as a
 * member, its flows since last time. */
static void join_network(sf_local_t *l, entity_t *s)
{
    gboolean v4 = sf_addr_is_v4(&s->addr);
    guint len = (guint)(v4 ? l->cfg->source_prefix_v4
                           : l->cfg->source_prefix_v6);
    guint bits = v4 ? 96 + len : len;
    gint64 since = kept_since(l);
    sf_addr_t net = s->addr;
    entity_t *g;
    gboolean grew;

    if (len == 0)
        return;
    for (guint i = 0; i < 16; i++)
        net.b[i] &= (guint8)(0xff00 >> (bits > 8 * i ? MIN(8, bits - 8 * i) : 0));
    g = entity_get(l, ROLE_NETWORK, &net, (guint8)len, s->last_ms);
    g->first_ms = MIN(g->first_ms, s->first_ms);
    g->flows += s->flows - s->flows_given;
    s->flows_given = s->flows;
    for (guint i = 0; i < s->n_exporters; i++)
        add_exporter(g, &s->exporters[i]);
    grew = elem_add(l, g, EL_MEMBER, &s->addr, 0, s->last_ms);
    for (guint i = 0; i < s->cap; i++) {
        const elem_t *x = &s->tab[i];
        if (x->kind != EL_EMPTY && x->last_ms >= since)
            grew |= elem_add(l, g, x->kind, &x->a, x->port, x->last_ms);
    }
    if (grew)
        mark_pending(l, g);
}

/* Fewer distinct elements than any rule or membership needs. */
static gboolean too_few(const sf_local_t *l, const entity_t *e)
{
    const sf_correlate_config_t *cfg = l->cfg;
    int need = MIN(MIN(SF_WINDOW_NET_MEMBER_MIN, cfg->port_threshold),
                   MIN(cfg->sweep_threshold, cfg->wide_sweep_threshold));

    for (guint i = 1; i < l->n_hz; i++)
        need = MIN(need, MIN(MIN(l->hz[i].rules->port_threshold,
                                 l->hz[i].rules->sweep_threshold),
                             l->hz[i].rules->wide_sweep_threshold));
    return e->role == ROLE_SOURCE && e->sampling <= 1
        && MAX(e->n_ports, e->n_hosts) < (guint)need;
}

/* A source or a network.  As the daemon (rules.c): the base window
 * judges everything, sampled evidence at k_min; a kind it does not cross
 * is raised at the shortest longer horizon that crosses it (window_s is
 * that one's), for unsampled sources only.  Membership of a network is
 * judged on the base window. */
static void judge_source(sf_local_t *l, entity_t *e)
{
    gboolean done[SF_ALERT_N_KINDS] = {FALSE};
    gboolean member = FALSE;

    if (too_few(l, e))
        return;
    for (guint i = 0; i < l->n_hz; i++) {
        const hz_t *z = &l->hz[i];
        gboolean crossed[SF_ALERT_N_KINDS];
        tally_t t;

        if (i > 0 && (e->role != ROLE_SOURCE || e->sampling > 1))
            break;
        tally(l, e, window_start(z, l->clock), &t);
        sf_rules_judge(z->rules, &t.w, crossed);
        for (int k = 0; k < SF_ALERT_N_KINDS; k++)
            if (crossed[k] && !done[k]) {
                done[k] = TRUE;
                raise_alert(l, z, e, &t, (sf_alert_kind_t)k);
            }
        if (i == 0)
            member = e->role == ROLE_SOURCE && net_member(l, e, &t.w);
    }
    if (member)
        join_network(l, e);
}

static int pair_cmp(gconstpointer a, gconstpointer b)
{
    return addr_cmp(&((const elem_t *)a)->a, &((const elem_t *)b)->a);
}

/* A scanned host in --window (--distributed-threshold has no horizons):
 * its ports and sources, and the most ports one source sent
 * (sf_targets_crossed wants the rest). */
static void judge_target(sf_local_t *l, entity_t *e)
{
    const sf_correlate_config_t *cfg = l->cfg;
    guint run = 0;
    tally_t t;

    if (e->n < (guint)cfg->distributed_ports)
        return;
    tally(l, e, window_start(&l->hz[0], l->clock), &t);
    t.sources = l->members->len;
    if (t.w.ports < cfg->distributed_ports || t.sources < cfg->distributed_sources)
        return;
    g_array_sort(l->pairs, pair_cmp);
    for (guint i = 0; i < l->pairs->len; i++) {
        if (i == 0 || pair_cmp(&g_array_index(l->pairs, elem_t, i),
                               &g_array_index(l->pairs, elem_t, i - 1)))
            run = 0;
        t.top = MAX(t.top, (gint64)++run);
    }
    if (sf_targets_crossed(cfg, t.w.ports, t.sources, t.top))
        raise_alert(l, &l->hz[0], e, &t, SF_ALERT_DISTRIBUTED_PORT_SCAN);
}

static void judge_list(sf_local_t *l, GPtrArray *list)
{
    for (guint i = 0; i < list->len; i++) {
        entity_t *e = g_ptr_array_index(list, i);
        e->pending = FALSE;
        if (e->role == ROLE_TARGET)
            judge_target(l, e);
        else
            judge_source(l, e);
    }
    g_ptr_array_set_size(list, 0);
}

/* Sources and scanned hosts first, then the networks their members
 * joined; entities are dropped only once all are judged. */
static void judge_pending(sf_local_t *l)
{
    l->judging = TRUE;
    judge_list(l, l->pending);
    judge_list(l, l->pending_nets);
    l->judging = FALSE;
    trim(l);
}

/* ---- flows in ---- */

/* A flow's time: its end, its start, or (counted as untimed) when it
 * came: 0 when none is known. */
static gint64 flow_time(sf_local_t *l, const sf_flow_t *f)
{
    if ((f->fields & SF_HAS_TIMES) && f->end_ms > 0)
        return f->end_ms;
    if ((f->fields & SF_HAS_TIMES) && f->start_ms > 0)
        return f->start_ms;
    l->st.untimed++;
    return f->arrival_ms;
}

static gboolean inbound(const sf_local_t *l, const sf_flow_t *f)
{
    const GArray *home = l->hz[0].rules->home;

    return !home->len || (!sf_cidr_list_contains(home, &f->src)
                          && sf_cidr_list_contains(home, &f->dst));
}

static void file_evidence(sf_local_t *l, const sf_flow_t *f, gint64 t)
{
    gboolean with_port = sf_evidence_has_port(f);
    entity_t *s = entity_get(l, ROLE_SOURCE, &f->src, 0, t), *g;
    gboolean grew = FALSE;

    note_flow(s, f);
    if (with_port)
        grew |= elem_add(l, s, EL_PORT, NULL, f->dst_port, t);
    grew |= elem_add(l, s, EL_HOST, &f->dst, 0, t);
    if (grew)
        mark_pending(l, s);
    if (l->cfg->distributed_ports <= 0 || !with_port)
        return;
    g = entity_get(l, ROLE_TARGET, &f->dst, 0, t);
    note_flow(g, f);
    grew = elem_add(l, g, EL_PORT, NULL, f->dst_port, t);
    grew |= elem_add(l, g, EL_MEMBER, &f->src, 0, t);
    grew |= elem_add(l, g, EL_PAIR, &f->src, f->dst_port, t);
    if (grew)
        mark_pending(l, g);
}

static void take_flow(sf_local_t *l, const sf_flow_t *f, gint64 t)
{
    gint64 tick = t / MAX(l->cfg->flush_ms, 1);

    if (tick > l->tick) {
        if (l->tick >= 0)
            judge_pending(l);
        l->tick = tick;
    }
    l->clock = MAX(l->clock, t);
    if (sf_evidence_classify(f) == SF_EVIDENCE_NONE || !inbound(l, f))
        return;
    l->st.evidence++;
    file_evidence(l, f, t);
}

/* A flow with no time at all takes the clock; before the first time is
 * known such flows wait (up to UNTIMED_HELD; more are dropped, counted). */
#define UNTIMED_HELD 4096

void sf_local_flow(const sf_flow_t *f, void *local)
{
    sf_local_t *l = local;
    gint64 t;

    if (f == NULL)
        return;
    l->st.flows++;
    t = flow_time(l, f);
    if (t <= 0 && l->clock == 0) {
        if (l->held->len < UNTIMED_HELD)
            g_array_append_val(l->held, *f);
        else
            l->st.untimed_dropped++;
        return;
    }
    take_flow(l, f, t > 0 ? t : l->clock);
    for (guint i = 0; i < l->held->len; i++)
        take_flow(l, &g_array_index(l->held, sf_flow_t, i), l->clock);
    g_array_set_size(l->held, 0);
}

void sf_local_finish(sf_local_t *l)
{
    judge_pending(l);
}
