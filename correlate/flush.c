/*
 * flush.c - the correlator's Redis thread.
 *
 * It wakes every flush interval, swaps the active aggregate with the spare
 * under agg_lock (a pointer swap: the lock is held for nanoseconds), lets
 * probation hold back sources below --share-after, writes the spare into
 * the window in Redis (window.c, phase 1), applies the rules to the counts
 * that come back (rules.c), claims crossings atomically (phase 2: claim.c)
 * and publishes the alerts it won (notifier.c).
 *
 * When the connection fails (connection.c) the spare stays unsent
 * (re-sending is safe: PFADD is idempotent; only flow counters may count
 * twice) and is not swapped again until it is sent, so the receive threads
 * keep aggregating into the active one, whose caps bound memory.
 */
#include "correlator-int.h"

gint64 sf_cor_now_ms(sf_correlator_t *c)
{
    gint64 flows = __atomic_load_n(&c->flow_now_ms, __ATOMIC_RELAXED);

    return c->cfg->clock_flows && flows > 0 ? flows
                                            : g_get_real_time() / 1000;
}

static gboolean write_aggregate(sf_correlator_t *c, sf_agg_t *agg,
                                GError **err)
{
    gint64 now_ms = sf_cor_now_ms(c);

    g_array_set_size(c->counts, 0);
    if (g_atomic_int_compare_and_exchange(&c->rules_changed, 1, 0))
        sf_window_forget(c->window);    /* a reload: count everything again */
    sf_cor_begin_batch(c);
    if (!sf_window_update(c->window, c->pipe, agg, c->counts, err))
        return FALSE;
    sf_cor_find_crossings(c, now_ms);
    sf_cor_begin_batch(c);
    if (!sf_window_vet_networks(c->window, c->pipe, c->counts, c->claims,
                                err))
        return FALSE;
    if (!sf_window_claim(c->window, c->pipe, now_ms, c->counts, c->claims,
                         err))
        goto fail;
    sf_cor_take_claims(c, now_ms);
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
    sf_targets_t *tt;
    guint64 dropped_targets;

    g_mutex_lock(&c->agg_lock);
    t = c->active;
    c->active = c->spare;
    c->spare = t;
    tt = c->targets;
    c->targets = c->targets_spare;
    c->targets_spare = tt;
    g_mutex_unlock(&c->agg_lock);
    if (c->cfg->clock_flows) {
        g_mutex_lock(&c->state_lock);
        c->swaps++;
        g_cond_broadcast(&c->swapped);
        g_mutex_unlock(&c->state_lock);
    }
    dropped_targets = sf_targets_take_dropped(c->targets_spare);
    sf_agg_take_counters(c->spare, &evicted, &dropped);
    sf_probation_set_threshold(c->probation,
                               (guint)MIN(c->rules->port_threshold,
                                          c->rules->sweep_threshold));
    /* monotonic: a wall clock stepped back must not expire or keep
     * what probation holds (the flows' clock only moves forward) */
    if (!c->cfg->clock_flows)
        sf_probation_apply(c->probation, c->spare,
                           g_get_monotonic_time() / 1000);
    else if (__atomic_load_n(&c->flow_now_ms, __ATOMIC_RELAXED) > 0)
        sf_probation_apply(c->probation, c->spare, sf_cor_now_ms(c));
    sf_probation_get_stats(c->probation, &ps);
    g_mutex_lock(&c->state_lock);
    c->st.evicted_sources += evicted;
    c->st.dropped_elements += dropped;
    c->st.dropped_targets += dropped_targets;
    c->st.probation_held = ps.held;
    c->st.probation_promoted = ps.promoted;
    c->st.probation_forgotten = ps.forgotten;
    c->st.probation_refused = ps.refused;
    g_mutex_unlock(&c->state_lock);
    c->spare_pending = !sf_agg_is_empty(c->spare)
                       || !sf_targets_is_empty(c->targets_spare);
}

static void flush_once_locked(sf_correlator_t *c, gboolean force);

static void flush_once(sf_correlator_t *c, gboolean force)
{
    g_mutex_lock(&c->rules_lock);
    flush_once_locked(c, force);
    g_mutex_unlock(&c->rules_lock);
}

/* Counters of a flush that went through, begun at t0 (monotonic us). */
static void count_flush(sf_correlator_t *c, gint64 t0)
{
    sf_window_stats_t ws;
    sf_rcluster_stats_t cs = {0, 0, 0, 0};

    sf_window_get_stats(c->window, &ws);
    if (c->cluster)
        sf_rcluster_get_stats(c->cluster, &cs);
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

/* Writes the spare, claims and queues what it won; FALSE: the connection
 * failed and the spare is still to be sent. */
static gboolean send_spare(sf_correlator_t *c, GError **err)
{
    gint64 t0 = g_get_monotonic_time();
    gint64 now_ms = sf_cor_now_ms(c);

    /* targets first: once they went through, a failed aggregate write
     * resends the aggregate only */
    sf_cor_begin_batch(c);
    if (!sf_targets_flush(c->targets_spare, c->targets_known, c->pipe, c->cfg, c->name, now_ms,
                          c->crossings, err)) {
        sf_cor_take_target_crossings(c, now_ms);
        return FALSE;
    }
    sf_cor_take_target_crossings(c, now_ms);
    g_mutex_lock(&c->state_lock);
    c->st.refused_targets += sf_targets_take_refused(c->targets_known);
    g_mutex_unlock(&c->state_lock);
    if (!write_aggregate(c, c->spare, err))
        return FALSE;
    sf_window_commit(c->window);
    sf_agg_reset(c->spare);
    c->spare_pending = FALSE;
    count_flush(c, t0);
    return TRUE;
}

static void flush_once_locked(sf_correlator_t *c, gboolean force)
{
    g_autoptr(GError) err = NULL;
    guint64 cmds, bytes;

    if (!sf_cor_ensure_connected(c, force))
        return;
    if (!c->spare_pending)
        swap_aggregates(c);
    if (c->spare_pending && !send_spare(c, &err)) {
        sf_cor_drop_connection(c, err);
        return;
    }
    if (!sf_notifier_publish(c->notifier, c->pipe, sf_cor_begin_batch, c,
                             &err))
        sf_cor_drop_connection(c, err);
    sf_pipe_counters(c->pipe, &cmds, &bytes);
    g_mutex_lock(&c->state_lock);
    c->st.redis_commands = cmds;
    c->st.redis_bytes = bytes;
    g_mutex_unlock(&c->state_lock);
}

gpointer sf_cor_redis_main(gpointer data)
{
    sf_correlator_t *c = data;
    gint64 period = (gint64)c->cfg->flush_ms * 1000;
    gint64 next = g_get_monotonic_time() + period;

    for (;;) {
        gboolean stopping;
        gint64 now;

        g_mutex_lock(&c->state_lock);
        while (!c->stop && !c->flush_now && g_get_monotonic_time() < next)
            g_cond_wait_until(&c->cond, &c->state_lock, next);
        stopping = c->stop;
        c->flush_now = FALSE;
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
