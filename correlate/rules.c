/*
 * rules.c - what makes a crossing an alert: the thresholds (ports of one
 * source, hosts in one net), --allow (crossings counted, never claimed),
 * --tag (names added to alerts of matching sources) and the local memory
 * of (source, kind) pairs already alerted in the suppression period, which
 * spares Redis a claim the pair would lose anyway.  SIGHUP replaces the
 * rules (sf_correlator_reload); the memory is then cleared.
 *
 * Longer horizons (--horizon): a source crosses at the shortest horizon
 * whose counts reach that horizon's threshold, and the claim says which.
 * The memory mirrors the claim script (claim.c): an alert is out while
 * its suppression lasts and, for a crossing of a longer horizon, while it
 * is younger than that horizon; a crossing of a longer horizon than the
 * alert's with four times its count goes through anyway (it may
 * escalate).  Longer horizons judge
 * unsampled sources only.
 *
 * A source whose evidence was packet-sampled (interval N > 1) crosses
 * when the lower confidence bound on what it probed reaches the
 * threshold: its observed count reaches k_min (sampling.h); at N = 1 that
 * is the threshold itself.
 */
#include "correlator-int.h"
#include "cidr.h"
#include "exact.h"

#include <string.h>

#define ALERTED_CAP 65536
#define ESCALATE_FACTOR 4

/* What the memory holds of one (source, kind) alert. */
typedef struct sf_alerted {
    gint64 until_ms;        /* end of its suppression */
    gint64 at_ms;           /* when it was claimed */
    gint64 count;           /* the count that crossed */
    gint32 horizon_s;       /* the horizon that crossed */
} sf_alerted_t;

sf_rules_t *sf_rules_new(const sf_correlate_config_t *cfg)
{
    sf_rules_t *r = g_new0(sf_rules_t, 1);

    r->home = g_array_copy(cfg->home_nets);
    r->home_words = g_array_sized_new(FALSE, FALSE, sizeof(sf_cidr_words_t),
                                      r->home->len);
    for (guint i = 0; i < r->home->len; i++) {
        sf_cidr_words_t w;
        sf_cidr_to_words(&g_array_index(r->home, sf_cidr_t, i), &w);
        g_array_append_val(r->home_words, w);
    }
    r->allow = g_array_copy(cfg->allow);
    r->tags = g_array_copy(cfg->tags);
    for (guint i = 0; i < r->tags->len; i++)
        g_array_index(r->tags, sf_tag_t, i).name =
            g_strdup(g_array_index(cfg->tags, sf_tag_t, i).name);
    r->port_threshold = cfg->port_threshold;
    r->sweep_threshold = cfg->sweep_threshold;
    r->wide_sweep_threshold = cfg->wide_sweep_threshold;
    r->n_hz = MIN(cfg->horizons->len, SF_HORIZON_MAX);
    for (guint k = 0; k < r->n_hz; k++)
        r->hz[k] = g_array_index(cfg->horizons, sf_horizon_t, k);
    sf_sampling_cache_init(&r->port_kmin, (guint)r->port_threshold);
    sf_sampling_cache_init(&r->sweep_kmin, (guint)r->sweep_threshold);
    return r;
}

void sf_rules_free(sf_rules_t *r)
{
    if (r == NULL)
        return;
    for (guint i = 0; i < r->tags->len; i++)
        g_free(g_array_index(r->tags, sf_tag_t, i).name);
    g_array_unref(r->home);
    g_array_unref(r->home_words);
    g_array_unref(r->allow);
    g_array_unref(r->tags);
    g_free(r);
}

static char *alerted_key(const sf_addr_t *src, sf_alert_kind_t kind)
{
    char text[SF_ADDR_STRLEN];

    return g_strdup_printf("%s|%d", sf_addr_to_string(src, text), kind);
}

static gboolean recently_alerted(sf_correlator_t *c, const sf_addr_t *src,
                                 sf_alert_kind_t kind, gint64 now_ms)
{
    g_autofree char *key = alerted_key(src, kind);
    const sf_alerted_t *a = g_hash_table_lookup(c->alerted, key);

    return a && a->until_ms > now_ms;
}

/* Whether a crossing of horizon_s with count is kept from a claim by an
 * alert still out (see the top). */
static gboolean alert_out(sf_correlator_t *c, const sf_addr_t *src,
                          sf_alert_kind_t kind, gint32 horizon_s,
                          gint64 count, gint64 now_ms)
{
    g_autofree char *key = alerted_key(src, kind);
    const sf_alerted_t *a = g_hash_table_lookup(c->alerted, key);

    if (a == NULL)
        return FALSE;
    if (!(a->until_ms > now_ms
          || (a->horizon_s < horizon_s
              && now_ms - a->at_ms < (gint64)horizon_s * 1000)))
        return FALSE;
    return horizon_s <= a->horizon_s || count < ESCALATE_FACTOR * a->count;
}

gboolean sf_cor_source_alerted(const sf_addr_t *src, void *correlator)
{
    sf_correlator_t *c = correlator;
    gint64 now_ms = sf_cor_now_ms(c);

    return recently_alerted(c, src, SF_ALERT_PORT_SCAN, now_ms)
        || recently_alerted(c, src, SF_ALERT_HOST_SWEEP, now_ms)
        || recently_alerted(c, src, SF_ALERT_WIDE_SWEEP, now_ms);
}

static gboolean drop_expired(gpointer key, gpointer value, gpointer now)
{
    const sf_alerted_t *a = value;
    gint64 end = MAX(a->until_ms, a->at_ms + (gint64)a->horizon_s * 1000);

    (void)key;
    return end <= *(gint64 *)now;
}

/* horizon: index in rules->hz of the crossing horizon. */
static void remember_alerted(sf_correlator_t *c, const sf_addr_t *src,
                             sf_alert_kind_t kind, guint horizon,
                             gint64 count, gint64 now_ms)
{
    sf_alerted_t *a = g_new(sf_alerted_t, 1);
    gint32 seconds = c->rules->hz[horizon].seconds;

    if (g_hash_table_size(c->alerted) >= ALERTED_CAP) {
        g_hash_table_foreach_remove(c->alerted, drop_expired, &now_ms);
        if (g_hash_table_size(c->alerted) >= ALERTED_CAP)
            g_hash_table_remove_all(c->alerted);
    }
    a->at_ms = now_ms;
    a->until_ms = now_ms + (gint64)(horizon ? MAX(c->cfg->suppress_s, seconds)
                                            : c->cfg->suppress_s) * 1000;
    a->count = count;
    a->horizon_s = seconds;
    g_hash_table_replace(c->alerted, alerted_key(src, kind), a);
}

static void consider(sf_correlator_t *c, guint ci, sf_alert_kind_t kind,
                     guint horizon, gint64 count, gint64 now_ms)
{
    const sf_window_counts_t *w =
        &g_array_index(c->counts, sf_window_counts_t, ci);
    sf_window_claim_t cl = {.counts_index = ci, .kind = kind,
                            .horizon = horizon, .count = count};

    if (alert_out(c, &w->src, kind, c->rules->hz[horizon].seconds, count,
                  now_ms))
        return;
    /* a network has a counts entry per member visited: claimed once */
    for (guint i = 0; w->src_prefix && i < c->claims->len; i++) {
        const sf_window_claim_t *o =
            &g_array_index(c->claims, sf_window_claim_t, i);
        if (o->kind == kind
            && sf_addr_equal(&g_array_index(c->counts, sf_window_counts_t,
                                            o->counts_index).src, &w->src))
            return;
    }
    if (sf_cidr_list_contains(c->rules->allow, &w->src)) {
        sf_cor_count(c, &c->st.allowed, 1);
        remember_alerted(c, &w->src, kind, horizon, count, now_ms);
        return;
    }
    g_array_append_val(c->claims, cl);
}

/* A sweep host_sweep does not see: --wide-sweep-threshold distinct hosts
 * outside the net with the most hosts, fewer than --sweep-threshold of
 * them a net on average.  A dense sweep of one /24 (or of a /16: 256 a
 * net) is a host_sweep only, and so is one /24 swept with a few hosts of
 * other nets. */
static gboolean wide_sweep_of(gint64 hosts, gint64 nets, gint64 top,
                              gint64 wide, gint64 sweep)
{
    return hosts - MAX(top, 0) >= wide && nets >= 2 && hosts < nets * sweep;
}

static gboolean wide_sweep(const sf_rules_t *r, const sf_window_counts_t *w)
{
    return wide_sweep_of(w->hosts, w->nets, MAX(w->top_hosts, w->top_before),
                         r->wide_sweep_threshold, r->sweep_threshold);
}

/* A kind no shorter horizon crossed: the shortest longer horizon that
 * does, if any (unsampled sources only). */
static void longer_rules(sf_correlator_t *c, guint i,
                         const sf_window_counts_t *w, gboolean crossed[3],
                         gint64 now_ms)
{
    guint n = MIN(c->rules->n_hz, c->cfg->horizons->len);

    if (w->sampling > 1)
        return;
    for (guint k = 1; k < n; k++) {
        const sf_horizon_t *h = &c->rules->hz[k];
        const sf_window_hcounts_t *l = &w->longer[k - 1];

        if (!crossed[0] && l->ports >= h->ports) {
            consider(c, i, SF_ALERT_PORT_SCAN, k, l->ports, now_ms);
            crossed[0] = TRUE;
        }
        if (!crossed[1] && l->top_hosts >= h->hosts) {
            consider(c, i, SF_ALERT_HOST_SWEEP, k, l->top_hosts, now_ms);
            crossed[1] = TRUE;
        }
        if (!crossed[2] && l->hosts >= 0
            && wide_sweep_of(l->hosts, l->nets, l->top_hosts, h->wide,
                             h->hosts)) {
            consider(c, i, SF_ALERT_WIDE_SWEEP, k, l->hosts, now_ms);
            crossed[2] = TRUE;
        }
    }
}

/* A network of sources (--source-prefix) is alerted when at least
 * NET_MIN_MEMBERS of its sources reached Redis (each showed --share-after
 * distinct ports or hosts) and their union crosses a threshold: clients
 * behind one NAT or cloud egress that each make a refused connection or
 * two stay on probation and are no members. */
#define NET_MIN_MEMBERS 4

/* The counts at which a source crosses: the thresholds when unsampled;
 * on sampled evidence k_min, with r for ports its distinct hosts and r
 * for hosts its distinct ports (a port is probed once per host, a host
 * once per port). */
static void crossing_counts(sf_rules_t *r, const sf_window_counts_t *w,
                            gint64 *ports, gint64 *hosts)
{
    if (w->sampling <= 1) {
        *ports = r->port_threshold;
        *hosts = r->sweep_threshold;
        return;
    }
    *ports = sf_sampling_cache_min_observed(&r->port_kmin, w->sampling,
                                            (guint64)MAX(w->hosts, 1));
    *hosts = sf_sampling_cache_min_observed(&r->sweep_kmin, w->sampling,
                                            (guint64)MAX(w->ports, 1));
}

gint64 sf_rules_count(const sf_window_counts_t *w, sf_alert_kind_t kind)
{
    switch (kind) {
    case SF_ALERT_HOST_SWEEP:
    case SF_ALERT_NET_HOST_SWEEP:
        return w->top_hosts;
    case SF_ALERT_WIDE_SWEEP:
        return w->hosts;
    default:
        return w->ports;
    }
}

void sf_rules_judge(sf_rules_t *r, const sf_window_counts_t *w,
                    gboolean crossed[SF_ALERT_N_KINDS])
{
    gint64 ports, hosts;

    memset(crossed, 0, SF_ALERT_N_KINDS * sizeof crossed[0]);
    if (w->src_prefix) {
        if (w->members < NET_MIN_MEMBERS)
            return;
        crossed[SF_ALERT_NET_PORT_SCAN] = w->ports >= r->port_threshold;
        crossed[SF_ALERT_NET_HOST_SWEEP] = w->top_hosts >= r->sweep_threshold;
        return;
    }
    crossing_counts(r, w, &ports, &hosts);
    crossed[SF_ALERT_PORT_SCAN] = w->ports >= ports;
    crossed[SF_ALERT_HOST_SWEEP] = w->top_hosts >= hosts;
    crossed[SF_ALERT_WIDE_SWEEP] = wide_sweep(r, w);
}

void sf_cor_find_crossings(sf_correlator_t *c, gint64 now_ms)
{
    g_array_set_size(c->claims, 0);
    for (guint i = 0; i < c->counts->len; i++) {
        const sf_window_counts_t *w =
            &g_array_index(c->counts, sf_window_counts_t, i);
        gboolean crossed[SF_ALERT_N_KINDS];

        sf_rules_judge(c->rules, w, crossed);
        for (int k = 0; k < SF_ALERT_N_KINDS; k++)
            if (crossed[k])
                consider(c, i, (sf_alert_kind_t)k, 0,
                         sf_rules_count(w, (sf_alert_kind_t)k), now_ms);
        if (!w->src_prefix)
            longer_rules(c, i, w, crossed, now_ms);
    }
}

guint sf_rules_complete(const sf_rules_t *r, const sf_correlate_config_t *cfg,
                        sf_alert_facts_t *f, const char *tags[16])
{
    guint n = 0;
    const GArray *t = r->tags;

    for (guint i = 0; i < t->len && n + 1 < 16; i++)
        if (sf_cidr_contains(&g_array_index(t, sf_tag_t, i).cidr, &f->src))
            tags[n++] = g_array_index(t, sf_tag_t, i).name;
    tags[n] = NULL;
    f->window_s = cfg->window_s;
    f->threshold = f->kind == SF_ALERT_PORT_SCAN ? r->port_threshold
                 : f->kind == SF_ALERT_NET_PORT_SCAN ? r->port_threshold
                 : f->kind == SF_ALERT_WIDE_SWEEP ? r->wide_sweep_threshold
                 : f->kind == SF_ALERT_DISTRIBUTED_PORT_SCAN
                     ? cfg->distributed_ports
                 : r->sweep_threshold;
    sf_alert_estimate(f);
    return n;
}

/* Fills in what the rules know (window, threshold, --tag) and hands the
 * alert to the notifier; horizon: the index of the crossing horizon. */
static void enqueue_alert(sf_correlator_t *c, sf_alert_facts_t *f,
                          guint horizon, gint64 now_ms)
{
    const char *tags[16];

    sf_rules_complete(c->rules, c->cfg, f, tags);
    if (horizon > 0) {
        const sf_horizon_t *h = &c->rules->hz[horizon];

        f->window_s = h->seconds;
        f->threshold = f->kind == SF_ALERT_PORT_SCAN ? h->ports
                     : f->kind == SF_ALERT_WIDE_SWEEP ? h->wide : h->hosts;
    }
    sf_notifier_enqueue(c->notifier, f, tags, now_ms);
}

void sf_cor_take_claims(sf_correlator_t *c, gint64 now_ms)
{
    for (guint i = 0; i < c->claims->len; i++) {
        sf_window_claim_t *cl = &g_array_index(c->claims, sf_window_claim_t, i);
        const sf_window_counts_t *w =
            &g_array_index(c->counts, sf_window_counts_t, cl->counts_index);

        remember_alerted(c, &w->src, cl->kind, cl->horizon, cl->count,
                         now_ms);
        if (cl->won) {
            cl->facts.kind = cl->kind;
            cl->facts.src = w->src;
            cl->facts.src_prefix = w->src_prefix;
            sf_exact_settle(&cl->facts);
            cl->facts.sampling_interval = w->sampling;
            enqueue_alert(c, &cl->facts, cl->horizon, now_ms);
        }
        sf_alert_facts_clear(&cl->facts);
    }
}

void sf_cor_take_target_crossings(sf_correlator_t *c, gint64 now_ms)
{
    for (guint i = 0; i < c->crossings->len; i++) {
        sf_target_crossing_t *x =
            &g_array_index(c->crossings, sf_target_crossing_t, i);
        if (x->won)
            enqueue_alert(c, &x->facts, 0, now_ms);
        sf_alert_facts_clear(&x->facts);
    }
    g_array_set_size(c->crossings, 0);
}
