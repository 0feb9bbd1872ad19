/*
 * correlator.c - threads, rules and the notifier.
 *
 * Two threads touch a correlator:
 *
 *  - the receive thread calls sf_correlator_flow() for every decoded
 *    record.  It classifies the flow (evidence.c), checks direction against
 *    --home-net and files probes into the active local aggregate
 *    (aggregate.c) under agg_lock.  No Redis I/O, no allocation, no log.
 *  - the correlator's Redis thread wakes every flush interval, swaps the
 *    active aggregate with the spare under the same lock (a pointer swap:
 *    the lock is held for nanoseconds), writes the spare into the window in
 *    Redis (window.c, phase 1), applies the rules to the counts that come
 *    back, claims crossings atomically (phase 2: SET NX EX) and publishes
 *    the alerts it won (PUBLISH + XADD MAXLEN ~).
 *
 * When Redis is unreachable or fails mid-batch, the Redis thread drops the
 * connection and retries with exponential backoff (100 ms to 5 s).  The
 * spare stays unsent (re-sending is safe: PFADD is idempotent; only flow
 * counters may count twice) and is not swapped again until it is sent, so
 * the receive thread keeps aggregating into the active one, whose caps
 * bound memory.  Alerts won but not yet published wait in a bounded queue
 * (--max-pending-alerts); beyond it they are dropped and counted.
 * Publishing is at-least-once: a connection lost between PUBLISH and its
 * reply republishes on reconnect.
 */
#include "correlator.h"
#include "aggregate.h"
#include "alert.h"
#include "cidr.h"
#include "config.h"
#include "evidence.h"
#include "notifier.h"
#include "pipe.h"
#include "probation.h"
#include "window.h"

#include <string.h>

#define REDIS_TIMEOUT_MS 2000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
/* How long a batch on Redis Cluster keeps retrying the commands of a failed
 * master: cluster-node-timeout (15 s by default) plus the election. */
#define CLUSTER_RETRY_MS 20000
#define ALERTED_CAP 65536

/* What SIGHUP may change (sf_correlator_reload): a private copy, swapped
 * under agg_lock (the receive thread reads home) and rules_lock (the Redis
 * thread holds it through a flush). */
typedef struct rules {
    GArray *home;               /* sf_cidr_t */
    GArray *allow;              /* sf_cidr_t */
    GArray *tags;               /* sf_tag_t, names owned */
    int     port_threshold;
    int     sweep_threshold;
} rules_t;

static rules_t *rules_new(const sf_correlate_config_t *cfg)
{
    rules_t *r = g_new0(rules_t, 1);

    r->home = g_array_copy(cfg->home_nets);
    r->allow = g_array_copy(cfg->allow);
    r->tags = g_array_copy(cfg->tags);
    for (guint i = 0; i < r->tags->len; i++)
        g_array_index(r->tags, sf_tag_t, i).name =
            g_strdup(g_array_index(cfg->tags, sf_tag_t, i).name);
    r->port_threshold = cfg->port_threshold;
    r->sweep_threshold = cfg->sweep_threshold;
    return r;
}

static void rules_free(rules_t *r)
{
    if (r == NULL)
        return;
    for (guint i = 0; i < r->tags->len; i++)
        g_free(g_array_index(r->tags, sf_tag_t, i).name);
    g_array_unref(r->home);
    g_array_unref(r->allow);
    g_array_unref(r->tags);
    g_free(r);
}

struct sf_correlator {
    const sf_correlate_config_t *cfg;
    rules_t         *rules;
    GMutex           rules_lock;
    char            *name;

    /* shared with the receive thread */
    GMutex           agg_lock;
    sf_agg_t        *active;
    guint64          flows;             /* atomic */
    guint64          evidence;          /* under agg_lock */

    /* Redis thread */
    GThread         *thread;
    GMutex           state_lock;
    GCond            cond;
    gboolean         stop;
    sf_agg_t        *spare;
    gboolean         spare_pending;
    redisContext    *rc;
    sf_rcluster_t   *cluster;           /* instead of rc on Redis Cluster */
    sf_rcluster_stats_t cluster_past;   /* counters of earlier connections */
    gint64           retry_at;          /* monotonic us */
    gint             backoff_ms;
    gboolean         outage_logged;
    sf_pipe_t       *pipe;
    sf_window_t     *window;
    sf_probation_t  *probation;         /* Redis thread */
    GArray          *counts;
    GArray          *claims;
    sf_notifier_t   *notifier;
    GHashTable      *alerted;           /* "src|kind" -> expiry ms */
    sf_correlator_stats_t st;           /* Redis-thread fields, state_lock */
};

static void count(sf_correlator_t *c, guint64 *field, guint64 n)
{
    g_mutex_lock(&c->state_lock);
    *field += n;
    g_mutex_unlock(&c->state_lock);
}

/* Receive thread ---------------------------------------------------------- */

/* Whether a flow is a probe: from outside into --home-net; agg_lock held
 * (SIGHUP replaces the rules). */
static gboolean probe_locked(const sf_correlator_t *c, const sf_flow_t *flow)
{
    const GArray *home = c->rules->home;

    return !home->len || (!sf_cidr_list_contains(home, &flow->src)
                          && sf_cidr_list_contains(home, &flow->dst));
}

/* A receive thread's stage: the lock and the shared counter are taken
 * once per batch, not per flow (with several workers, per flow they were
 * also contended). */
#define FEED_BATCH 64

struct sf_correlator_feed {
    sf_correlator_t *c;
    guint            n;
    guint64          flows;                 /* offered, not yet counted */
    sf_flow_t        staged[FEED_BATCH];
    gboolean         with_port[FEED_BATCH];
    guint64          hash[FEED_BATCH];      /* drain scratch */
};

sf_correlator_feed_t *sf_correlator_feed_new(sf_correlator_t *c)
{
    sf_correlator_feed_t *f = g_new0(sf_correlator_feed_t, 1);

    f->c = c;
    return f;
}

static void feed_drain(sf_correlator_feed_t *f)
{
    sf_correlator_t *c = f->c;

    if (f->flows) {
        __atomic_fetch_add(&c->flows, f->flows, __ATOMIC_RELAXED);
        f->flows = 0;
    }
    if (f->n == 0)
        return;
    g_mutex_lock(&c->agg_lock);
    /* the probes' sources' table entries and bodies are random accesses
     * into megabytes: ask for all of them before touching any */
    guint n = 0;
    for (guint i = 0; i < f->n; i++) {
        if (!probe_locked(c, &f->staged[i]))
            continue;
        if (n != i) {
            f->staged[n] = f->staged[i];
            f->with_port[n] = f->with_port[i];
        }
        f->hash[n] = sf_agg_hash(c->active, &f->staged[n].src);
        sf_agg_prefetch(c->active, f->hash[n], FALSE);
        n++;
    }
    for (guint i = 0; i < n; i++)
        sf_agg_prefetch(c->active, f->hash[i], TRUE);
    for (guint i = 0; i < n; i++)
        sf_agg_add_hashed(c->active, &f->staged[i], f->with_port[i], f->hash[i]);
    c->evidence += n;
    g_mutex_unlock(&c->agg_lock);
    f->n = 0;
}

void sf_correlator_feed_flow(const sf_flow_t *flow, void *feed)
{
    sf_correlator_feed_t *f = feed;

    if (flow == NULL) {
        feed_drain(f);
        return;
    }
    f->flows++;
    if (sf_evidence_classify(flow) == SF_EVIDENCE_NONE)
        return;
    f->staged[f->n] = *flow;
    f->with_port[f->n] = sf_evidence_has_port(flow);
    if (++f->n == FEED_BATCH)
        feed_drain(f);
}

void sf_correlator_feed_free(sf_correlator_feed_t *f)
{
    if (f == NULL)
        return;
    feed_drain(f);
    g_free(f);
}

/* Connection -------------------------------------------------------------- */

/* One context, or on Redis Cluster the slot map and a context per master. */
static gboolean connect_redis(sf_correlator_t *c, GError **err)
{
    if (sf_redis_target_is_cluster(c->cfg->redis))
        c->cluster = sf_rcluster_connect(c->cfg->redis, REDIS_TIMEOUT_MS,
                                         CLUSTER_RETRY_MS, err);
    else
        c->rc = sf_redis_target_connect(c->cfg->redis, REDIS_TIMEOUT_MS, err);
    return c->rc != NULL || c->cluster != NULL;
}

static void begin_batch(void *correlator)
{
    sf_correlator_t *c = correlator;

    if (c->cluster)
        sf_pipe_begin_cluster(c->pipe, c->cluster);
    else
        sf_pipe_begin(c->pipe, c->rc);
}

static gboolean ensure_connected(sf_correlator_t *c, gboolean force)
{
    g_autoptr(GError) err = NULL;
    gint64 now = g_get_monotonic_time();
    const char *where = sf_redis_target_describe(c->cfg->redis);

    if (c->rc || c->cluster)
        return TRUE;
    if (!force && now < c->retry_at)
        return FALSE;
    if (!connect_redis(c, &err)) {
        c->backoff_ms = c->backoff_ms ? MIN(c->backoff_ms * 2, BACKOFF_MAX_MS)
                                      : BACKOFF_MIN_MS;
        c->retry_at = now + (gint64)c->backoff_ms * 1000;
        if (!c->outage_logged)
            g_warning("redis unreachable (%s); retrying with backoff",
                      err->message);
        c->outage_logged = TRUE;
        return FALSE;
    }
    if (c->outage_logged)
        g_message("redis %s: connected again", where);
    c->outage_logged = FALSE;
    c->backoff_ms = 0;
    return TRUE;
}

static void drop_connection(sf_correlator_t *c, const GError *err)
{
    if (!c->outage_logged)
        g_warning("redis %s: %s; reconnecting with backoff",
                  sf_redis_target_describe(c->cfg->redis),
                  err ? err->message : "error");
    c->outage_logged = TRUE;
    redisFree(c->rc);
    c->rc = NULL;
    if (c->cluster) {
        sf_rcluster_stats_t cs;
        sf_rcluster_get_stats(c->cluster, &cs);
        c->cluster_past.moved += cs.moved;
        c->cluster_past.ask += cs.ask;
        c->cluster_past.map_loads += cs.map_loads;
        c->cluster_past.retries += cs.retries;
    }
    sf_rcluster_free(c->cluster);
    c->cluster = NULL;
    sf_window_forget(c->window);        /* Redis may come back empty */
    c->backoff_ms = BACKOFF_MIN_MS;
    c->retry_at = g_get_monotonic_time() + BACKOFF_MIN_MS * 1000;
    count(c, &c->st.redis_errors, 1);
}

/* Rules -------------------------------------------------------------------- */

static char *alerted_key(const sf_addr_t *src, sf_alert_kind_t kind)
{
    char text[SF_ADDR_STRLEN];

    return g_strdup_printf("%s|%d", sf_addr_to_string(src, text), kind);
}

static gboolean recently_alerted(sf_correlator_t *c, const sf_addr_t *src,
                                 sf_alert_kind_t kind, gint64 now_ms)
{
    g_autofree char *key = alerted_key(src, kind);
    const gint64 *until = g_hash_table_lookup(c->alerted, key);

    return until && *until > now_ms;
}

static gboolean drop_expired(gpointer key, gpointer value, gpointer now)
{
    return *(gint64 *)value <= *(gint64 *)now;
}

static void remember_alerted(sf_correlator_t *c, const sf_addr_t *src,
                             sf_alert_kind_t kind, gint64 now_ms)
{
    gint64 *until = g_new(gint64, 1);

    if (g_hash_table_size(c->alerted) >= ALERTED_CAP) {
        g_hash_table_foreach_remove(c->alerted, drop_expired, &now_ms);
        if (g_hash_table_size(c->alerted) >= ALERTED_CAP)
            g_hash_table_remove_all(c->alerted);
    }
    *until = now_ms + (gint64)c->cfg->suppress_s * 1000;
    g_hash_table_replace(c->alerted, alerted_key(src, kind), until);
}

static void consider(sf_correlator_t *c, guint ci, sf_alert_kind_t kind,
                     gint64 now_ms)
{
    const sf_window_counts_t *w =
        &g_array_index(c->counts, sf_window_counts_t, ci);
    sf_window_claim_t cl = {.counts_index = ci, .kind = kind};

    if (recently_alerted(c, &w->src, kind, now_ms))
        return;
    if (sf_cidr_list_contains(c->rules->allow, &w->src)) {
        count(c, &c->st.allowed, 1);
        remember_alerted(c, &w->src, kind, now_ms);
        return;
    }
    g_array_append_val(c->claims, cl);
}

static void find_crossings(sf_correlator_t *c, gint64 now_ms)
{
    g_array_set_size(c->claims, 0);
    for (guint i = 0; i < c->counts->len; i++) {
        const sf_window_counts_t *w =
            &g_array_index(c->counts, sf_window_counts_t, i);
        if (w->ports >= c->rules->port_threshold)
            consider(c, i, SF_ALERT_PORT_SCAN, now_ms);
        if (w->top_hosts >= c->rules->sweep_threshold)
            consider(c, i, SF_ALERT_HOST_SWEEP, now_ms);
    }
}

/* Alerts ------------------------------------------------------------------- */

/* Fills in what the rules know (window, threshold, --tag) and hands the
 * alert to the notifier. */
static void enqueue_alert(sf_correlator_t *c, sf_alert_facts_t *f,
                          gint64 now_ms)
{
    const char *tags[16];
    guint n = 0;
    const GArray *t = c->rules->tags;

    for (guint i = 0; i < t->len && n + 1 < G_N_ELEMENTS(tags); i++)
        if (sf_cidr_contains(&g_array_index(t, sf_tag_t, i).cidr, &f->src))
            tags[n++] = g_array_index(t, sf_tag_t, i).name;
    tags[n] = NULL;
    f->window_s = c->cfg->window_s;
    f->threshold = f->kind == SF_ALERT_PORT_SCAN ? c->rules->port_threshold
                                                 : c->rules->sweep_threshold;
    sf_notifier_enqueue(c->notifier, f, tags, now_ms);
}

/* Flushing ------------------------------------------------------------------ */

static gboolean write_aggregate(sf_correlator_t *c, sf_agg_t *agg,
                                GError **err)
{
    gint64 now_ms = g_get_real_time() / 1000;

    g_array_set_size(c->counts, 0);
    begin_batch(c);
    if (!sf_window_update(c->window, c->pipe, agg, c->counts, err))
        return FALSE;
    find_crossings(c, now_ms);
    begin_batch(c);
    if (!sf_window_claim(c->window, c->pipe, now_ms, c->counts, c->claims,
                         err))
        goto fail;
    for (guint i = 0; i < c->claims->len; i++) {
        sf_window_claim_t *cl = &g_array_index(c->claims, sf_window_claim_t, i);
        const sf_window_counts_t *w =
            &g_array_index(c->counts, sf_window_counts_t, cl->counts_index);

        remember_alerted(c, &w->src, cl->kind, now_ms);
        if (cl->won) {
            cl->facts.kind = cl->kind;
            cl->facts.src = w->src;
            enqueue_alert(c, &cl->facts, now_ms);
        }
        sf_alert_facts_clear(&cl->facts);
    }
    return TRUE;
fail:
    for (guint i = 0; i < c->claims->len; i++)
        sf_alert_facts_clear(&g_array_index(c->claims, sf_window_claim_t,
                                            i).facts);
    return FALSE;
}

static void swap_aggregates(sf_correlator_t *c)
{
    guint64 evicted = 0, dropped = 0;
    sf_probation_stats_t ps;
    sf_agg_t *t;

    g_mutex_lock(&c->agg_lock);
    t = c->active;
    c->active = c->spare;
    c->spare = t;
    g_mutex_unlock(&c->agg_lock);
    sf_agg_take_counters(c->spare, &evicted, &dropped);
    /* monotonic: a wall clock stepped back must not expire or keep
     * what probation holds */
    sf_probation_apply(c->probation, c->spare, g_get_monotonic_time() / 1000);
    sf_probation_get_stats(c->probation, &ps);
    g_mutex_lock(&c->state_lock);
    c->st.evicted_sources += evicted;
    c->st.dropped_elements += dropped;
    c->st.probation_held = ps.held;
    c->st.probation_promoted = ps.promoted;
    c->st.probation_forgotten = ps.forgotten;
    c->st.probation_refused = ps.refused;
    g_mutex_unlock(&c->state_lock);
    c->spare_pending = !sf_agg_is_empty(c->spare);
}

static void flush_once_locked(sf_correlator_t *c, gboolean force);

static void flush_once(sf_correlator_t *c, gboolean force)
{
    g_mutex_lock(&c->rules_lock);
    flush_once_locked(c, force);
    g_mutex_unlock(&c->rules_lock);
}

static void flush_once_locked(sf_correlator_t *c, gboolean force)
{
    g_autoptr(GError) err = NULL;
    guint64 cmds, bytes;

    if (!ensure_connected(c, force))
        return;
    if (!c->spare_pending)
        swap_aggregates(c);
    if (c->spare_pending) {
        gint64 t0 = g_get_monotonic_time();
        sf_window_stats_t ws;
        sf_rcluster_stats_t cs = {0, 0, 0, 0};

        if (!write_aggregate(c, c->spare, &err)) {
            drop_connection(c, err);
            return;
        }
        sf_window_commit(c->window);
        sf_window_get_stats(c->window, &ws);
        if (c->cluster)
            sf_rcluster_get_stats(c->cluster, &cs);
        sf_agg_reset(c->spare);
        c->spare_pending = FALSE;
        g_mutex_lock(&c->state_lock);
        c->st.cluster_moved = c->cluster_past.moved + cs.moved;
        c->st.cluster_ask = c->cluster_past.ask + cs.ask;
        c->st.cluster_map_loads = c->cluster_past.map_loads + cs.map_loads;
        c->st.cluster_retries = c->cluster_past.retries + cs.retries;
        c->st.seen_evicted = ws.seen_evicted;
        c->st.nets_capped = ws.nets_capped;
        c->st.flushes++;
        c->st.flush_us += (guint64)(g_get_monotonic_time() - t0);
        c->st.sources = c->counts->len;
        g_mutex_unlock(&c->state_lock);
    }
    if (!sf_notifier_publish(c->notifier, c->pipe, begin_batch, c, &err))
        drop_connection(c, err);
    sf_pipe_counters(c->pipe, &cmds, &bytes);
    g_mutex_lock(&c->state_lock);
    c->st.redis_commands = cmds;
    c->st.redis_bytes = bytes;
    g_mutex_unlock(&c->state_lock);
}

static gpointer redis_main(gpointer data)
{
    sf_correlator_t *c = data;
    gint64 period = (gint64)c->cfg->flush_ms * 1000;
    gint64 next = g_get_monotonic_time() + period;

    for (;;) {
        gboolean stopping;
        gint64 now;

        g_mutex_lock(&c->state_lock);
        while (!c->stop && g_get_monotonic_time() < next)
            g_cond_wait_until(&c->cond, &c->state_lock, next);
        stopping = c->stop;
        g_mutex_unlock(&c->state_lock);
        if (stopping)
            break;
        flush_once(c, FALSE);
        now = g_get_monotonic_time();
        next += period;
        if (next <= now)
            next = now + period;
    }
    /* Final flush: what is pending, then what the receive thread left in
     * the active aggregate (it no longer calls us).  One connection
     * attempt, bounded by the Redis timeout. */
    flush_once(c, TRUE);
    if ((c->rc || c->cluster) && !c->spare_pending)
        flush_once(c, TRUE);
    return NULL;
}

/* Life cycle ------------------------------------------------------------------ */

sf_correlator_t *sf_correlator_new(const sf_correlate_config_t *cfg,
                                   const char *collector_name, GError **err)
{
    sf_correlator_t *c;

    g_return_val_if_fail(cfg && cfg->finished, NULL);
    c = g_new0(sf_correlator_t, 1);
    c->cfg = cfg;
    c->name = g_strdup(collector_name ? collector_name : g_get_host_name());
    g_mutex_init(&c->agg_lock);
    g_mutex_init(&c->state_lock);
    g_mutex_init(&c->rules_lock);
    c->rules = rules_new(cfg);
    g_cond_init(&c->cond);
    c->active = sf_agg_new((guint)cfg->max_sources, (guint)cfg->max_elements,
                           (guint)cfg->max_nets_per_source);
    c->spare = sf_agg_new((guint)cfg->max_sources, (guint)cfg->max_elements,
                          (guint)cfg->max_nets_per_source);
    c->pipe = sf_pipe_new();
    c->window = sf_window_new(cfg, c->name);
    c->probation = sf_probation_new((guint)cfg->probation_slots,
                                    sf_correlate_share_after(cfg),
                                    (gint64)cfg->window_s * 1000,
                                    (guint)cfg->max_redis_sources);
    c->counts = g_array_new(FALSE, FALSE, sizeof(sf_window_counts_t));
    c->claims = g_array_new(FALSE, TRUE, sizeof(sf_window_claim_t));
    c->notifier = sf_notifier_new(cfg, c->name);
    c->alerted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       g_free);
    c->thread = g_thread_try_new("sf-redis", redis_main, c, err);
    if (c->thread == NULL) {
        c->stop = TRUE;
        sf_correlator_free(c);
        return NULL;
    }
    return c;
}

void sf_correlator_free(sf_correlator_t *c)
{
    if (c == NULL)
        return;
    if (c->thread) {
        g_mutex_lock(&c->state_lock);
        c->stop = TRUE;
        g_cond_signal(&c->cond);
        g_mutex_unlock(&c->state_lock);
        g_thread_join(c->thread);
    }
    sf_notifier_free(c->notifier);
    if (c->rc)
        redisFree(c->rc);
    sf_rcluster_free(c->cluster);
    g_hash_table_unref(c->alerted);
    g_array_unref(c->counts);
    g_array_unref(c->claims);
    sf_window_free(c->window);
    sf_probation_free(c->probation);
    sf_pipe_free(c->pipe);
    sf_agg_free(c->active);
    sf_agg_free(c->spare);
    rules_free(c->rules);
    g_mutex_clear(&c->agg_lock);
    g_mutex_clear(&c->state_lock);
    g_mutex_clear(&c->rules_lock);
    g_cond_clear(&c->cond);
    g_free(c->name);
    g_free(c);
}

void sf_correlator_get_stats(sf_correlator_t *c, sf_correlator_stats_t *out)
{
    sf_notifier_stats_t ns;

    g_mutex_lock(&c->state_lock);
    *out = c->st;
    g_mutex_unlock(&c->state_lock);
    g_mutex_lock(&c->agg_lock);
    out->evidence = c->evidence;
    g_mutex_unlock(&c->agg_lock);
    out->flows = __atomic_load_n(&c->flows, __ATOMIC_RELAXED);
    sf_notifier_get_stats(c->notifier, &ns);
    out->alerts = ns.queued;
    out->alerts_published = ns.published;
    out->alerts_dropped = ns.dropped;
    out->alerts_port_scan = ns.port_scan;
    out->alerts_host_sweep = ns.host_sweep;
}

/* Takes --home-net, --allow, --tag and the thresholds from cfg (finished,
 * and free to be released on return); the window, counts in Redis, the
 * local aggregates and the "already alerted" memory are kept. */
void sf_correlator_reload(sf_correlator_t *c, const sf_correlate_config_t *cfg)
{
    rules_t *fresh, *old;

    g_return_if_fail(c && cfg && cfg->finished);
    fresh = rules_new(cfg);
    g_mutex_lock(&c->rules_lock);
    g_mutex_lock(&c->agg_lock);
    old = c->rules;
    c->rules = fresh;
    /* The local memory of alerts also holds allow-listed sources: a source
     * taken off the list must be judged again.  Redis's claims still keep
     * real alerts to one per suppression period. */
    g_hash_table_remove_all(c->alerted);
    g_mutex_unlock(&c->agg_lock);
    g_mutex_unlock(&c->rules_lock);
    rules_free(old);
    sf_probation_set_share_after(c->probation, sf_correlate_share_after(cfg));
}
