/*
 * correlator.c - the correlator's life cycle, counters and SIGHUP reload.
 *
 * Two kinds of threads touch a correlator:
 *
 *  - receive threads offer every decoded record to a feed of their own
 *    (feed.c).  Evidence goes into the active local aggregate
 *    (aggregate.c) under agg_lock.  No Redis I/O, no allocation, no log.
 *  - the correlator's Redis thread (flush.c) wakes every flush interval,
 *    swaps the active aggregate with the spare, writes the spare into the
 *    window in Redis (window.c), applies the rules (rules.c), claims
 *    crossings atomically (claim.c) and publishes the alerts it won
 *    (notifier.c) over its connection (connection.c).
 *
 * When Redis is unreachable the receive threads keep aggregating; alerts
 * won but not yet published wait in the notifier's bounded queue
 * (--max-pending-alerts); beyond it they are dropped and counted.
 * Publishing is at-least-once: a connection lost between PUBLISH and its
 * reply republishes on reconnect.  correlator-int.h maps the files.
 */
#include "correlator-int.h"

void sf_cor_count(sf_correlator_t *c, guint64 *field, guint64 n)
{
    g_mutex_lock(&c->state_lock);
    *field += n;
    g_mutex_unlock(&c->state_lock);
}

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
    c->rules = sf_rules_new(cfg);
    g_cond_init(&c->cond);
    g_cond_init(&c->swapped);
    c->active = sf_agg_new((guint)cfg->max_sources, (guint)cfg->max_elements,
                           (guint)cfg->max_nets_per_source);
    c->spare = sf_agg_new((guint)cfg->max_sources, (guint)cfg->max_elements,
                          (guint)cfg->max_nets_per_source);
    /* (target, source, port) triples of one flush: 40 bytes each */
    c->targets = sf_targets_new((guint)cfg->max_elements);
    c->targets_spare = sf_targets_new((guint)cfg->max_elements);
    c->targets_known = sf_targets_known_new((guint)cfg->max_elements);
    c->crossings = g_array_new(FALSE, TRUE, sizeof(sf_target_crossing_t));
    c->pipe = sf_pipe_new();
    c->window = sf_window_new(cfg, c->name);
    sf_window_set_alerted(c->window, sf_cor_source_alerted, c);
    c->probation = sf_probation_new((guint)cfg->probation_slots,
                                    sf_correlate_share_after(cfg),
                                    (gint64)cfg->window_s * 1000,
                                    (guint)cfg->max_redis_sources);
    sf_probation_set_hold(c->probation, 1000 * (gint64)g_array_index(
        cfg->horizons, sf_horizon_t, cfg->horizons->len - 1).seconds);
    c->counts = g_array_new(FALSE, FALSE, sizeof(sf_window_counts_t));
    c->claims = g_array_new(FALSE, TRUE, sizeof(sf_window_claim_t));
    c->notifier = sf_notifier_new(cfg, c->name);
    c->alerted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       g_free);
    c->thread = g_thread_try_new("sf-redis", sf_cor_redis_main, c, err);
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
    sf_targets_free(c->targets);
    sf_targets_free(c->targets_spare);
    sf_targets_known_free(c->targets_known);
    if (c->crossings)
        g_array_unref(c->crossings);
    sf_rules_free(c->rules);
    g_mutex_clear(&c->agg_lock);
    g_mutex_clear(&c->state_lock);
    g_mutex_clear(&c->rules_lock);
    g_cond_clear(&c->cond);
    g_cond_clear(&c->swapped);
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
    out->alerts_wide_sweep = ns.wide_sweep;
    out->alerts_net_port_scan = ns.net_port_scan;
    out->alerts_net_host_sweep = ns.net_host_sweep;
    out->alerts_distributed_port_scan = ns.distributed_port_scan;
}

/* Takes --home-net, --allow, --tag and the thresholds (of every horizon
 * the correlator started with: their lengths stay) from cfg (finished,
 * and free to be released on return); the window, counts in Redis, the
 * local aggregates and the "already alerted" memory are kept. */
void sf_correlator_reload(sf_correlator_t *c, const sf_correlate_config_t *cfg)
{
    sf_rules_t *fresh, *old;

    g_return_if_fail(c && cfg && cfg->finished);
    fresh = sf_rules_new(cfg);
    /* the window's horizons are the start's: a reload brings thresholds */
    fresh->n_hz = MIN(fresh->n_hz, c->cfg->horizons->len);
    for (guint k = 0; k < fresh->n_hz; k++) {
        const sf_horizon_t *h = &g_array_index(c->cfg->horizons,
                                               sf_horizon_t, k);
        fresh->hz[k].seconds = h->seconds;
        fresh->hz[k].bucket_s = h->bucket_s;
        fresh->hz[k].n_back = h->n_back;
    }
    g_mutex_lock(&c->rules_lock);
    g_mutex_lock(&c->agg_lock);
    old = c->rules;
    c->rules = fresh;
    /* The local memory of alerts also holds allow-listed sources: a source
     * taken off the list must be judged again.  Redis's claims still keep
     * real alerts to one per suppression period. */
    g_hash_table_remove_all(c->alerted);
    /* ... and its counts read again: the Redis thread forgets what the
     * bucket holds before its next flush, so repeats are counted */
    g_atomic_int_set(&c->rules_changed, 1);
    g_atomic_int_inc(&c->rules_gen);
    g_mutex_unlock(&c->agg_lock);
    g_mutex_unlock(&c->rules_lock);
    sf_rules_free(old);
    sf_probation_set_share_after(c->probation, sf_correlate_share_after(cfg));
}
