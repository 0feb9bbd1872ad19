/*
 * feed.c - the receive threads' way into the correlator.
 *
 * Each receive thread has a feed: sf_correlator_feed_flow() is the sink of
 * its decoder.  A flow is classified (evidence.c); evidence is staged, up
 * to FEED_BATCH flows, and filed into the active local aggregate
 * (aggregate.c) under agg_lock when the batch ends (the decoder's NULL
 * flow after each datagram) or the stage is full.  Direction is checked
 * against --home-net under the same lock, as SIGHUP may replace it.  No
 * Redis I/O, no allocation, no log.
 *
 * With --clock flows the feed keeps the newest flow end time it saw (a
 * time more than a minute past the flow's arrival is an exporter's bad
 * clock and ignored) and files evidence at that time instead of its
 * arrival: stored exports replayed fast are bucketed as they happened.
 * Before filing a batch whose time is in a later time bucket than what
 * the active aggregate holds, the feed asks the Redis thread to flush and
 * waits (at most FLOWS_CLOCK_WAIT_MS) for the swap: each flush then holds
 * one bucket's batches, however fast the exports come (a replay is paced
 * by Redis; a batch spanning several buckets, as a datagram of a slow
 * exporter does, is filed at its newest time).
 */
#include "correlator-int.h"
#include "cidr.h"
#include "evidence.h"

/* Whether a flow is a probe: from outside into --home-net.  Both
 * addresses are tested against each prefix as masked words (cidr.h): this
 * runs for every evidence flow. */
static inline gboolean is_probe(const GArray *home, const sf_flow_t *flow)
{
    gboolean dst_in = FALSE;

    if (home->len == 0)
        return TRUE;
    for (guint i = 0; i < home->len; i++) {
        const sf_cidr_words_t *w = &g_array_index(home, sf_cidr_words_t, i);
        if (sf_cidr_words_contains(w, &flow->src))
            return FALSE;
        dst_in |= sf_cidr_words_contains(w, &flow->dst);
    }
    return dst_in;
}

/* A receive thread's stage: the lock and the shared counter are taken
 * once per batch, not per flow (with several workers, per flow they were
 * also contended).  Only probes are staged: the feed tests --home-net
 * before the copy, against its own reference to the rules' prefixes
 * (home), taken under agg_lock; after a SIGHUP (rules_gen moved) the
 * next evidence flow or drain takes the new one under the lock and tests
 * what is staged again. */
#define FEED_BATCH SF_AGG_BATCH

struct sf_correlator_feed {
    sf_correlator_t *c;
    guint            n;
    guint64          flows;                 /* offered, not yet counted */
    sf_flow_t        staged[FEED_BATCH];
    gboolean         with_port[FEED_BATCH];
    GArray          *home;                  /* a ref of rules->home_words */
    gint             gen;                   /* c->rules_gen when taken */
    gint64           newest;                /* --clock flows */
    gboolean         clock_flows;           /* c->cfg's, read per flow */
};

sf_correlator_feed_t *sf_correlator_feed_new(sf_correlator_t *c)
{
    sf_correlator_feed_t *f = g_new0(sf_correlator_feed_t, 1);

    f->c = c;
    f->clock_flows = c->cfg->clock_flows;
    g_mutex_lock(&c->agg_lock);
    f->home = g_array_ref(c->rules->home_words);
    f->gen = g_atomic_int_get(&c->rules_gen);
    g_mutex_unlock(&c->agg_lock);
    return f;
}

/* --clock flows: the correlator's clock moves up to this feed's. */
static void publish_clock(sf_correlator_t *c, gint64 newest)
{
    gint64 cur = __atomic_load_n(&c->flow_now_ms, __ATOMIC_RELAXED);

    while (newest > cur
           && !__atomic_compare_exchange_n(&c->flow_now_ms, &cur, newest,
                                           TRUE, __ATOMIC_RELAXED,
                                           __ATOMIC_RELAXED))
        ;
}

#define FLOWS_CLOCK_WAIT_MS 2000

/* --clock flows, agg_lock held: whether the staged batch reaches a later
 * base bucket than the active aggregate's. */
static gboolean new_bucket_locked(const sf_correlator_feed_t *f)
{
    const sf_correlator_t *c = f->c;
    gint64 len = (gint64)c->cfg->bucket_s * 1000;

    return !sf_agg_is_empty(c->active) && f->newest > 0
        && f->newest / len > sf_agg_last_arrival(c->active) / len;
}

/* Asks the Redis thread for a flush and waits for its swap (bounded: a
 * Redis that is down keeps the spare pending, and nothing is swapped). */
static void wait_for_swap(sf_correlator_t *c)
{
    gint64 until = g_get_monotonic_time() + FLOWS_CLOCK_WAIT_MS * 1000;
    guint64 swaps;

    g_mutex_lock(&c->state_lock);
    swaps = c->swaps;
    c->flush_now = TRUE;
    g_cond_signal(&c->cond);
    while (c->swaps == swaps && !c->stop)
        if (!g_cond_wait_until(&c->swapped, &c->state_lock, until))
            break;
    g_mutex_unlock(&c->state_lock);
}

/* agg_lock held, after a SIGHUP: takes the new --home-net and keeps the
 * staged flows that are probes by it. */
static void retake_home_locked(sf_correlator_feed_t *f)
{
    guint n = 0;

    g_array_unref(f->home);
    f->home = g_array_ref(f->c->rules->home_words);
    f->gen = g_atomic_int_get(&f->c->rules_gen);
    for (guint i = 0; i < f->n; i++) {
        if (!is_probe(f->home, &f->staged[i]))
            continue;
        if (n != i) {
            f->staged[n] = f->staged[i];
            f->with_port[n] = f->with_port[i];
        }
        n++;
    }
    f->n = n;
}

static void feed_drain(sf_correlator_feed_t *f)
{
    sf_correlator_t *c = f->c;

    if (c->cfg->clock_flows) {
        gboolean wait;

        g_mutex_lock(&c->agg_lock);
        wait = f->n > 0 && new_bucket_locked(f);
        g_mutex_unlock(&c->agg_lock);
        if (wait)
            wait_for_swap(c);
        /* after the flush of the earlier bucket, which claims at its time */
        publish_clock(c, f->newest);
    }
    if (f->flows) {
        __atomic_fetch_add(&c->flows, f->flows, __ATOMIC_RELAXED);
        f->flows = 0;
    }
    gboolean reloaded = g_atomic_int_get(&c->rules_gen) != f->gen;

    if (f->n == 0 && !reloaded)
        return;
    g_mutex_lock(&c->agg_lock);
    if (reloaded)
        retake_home_locked(f);
    if (f->n == 0) {
        g_mutex_unlock(&c->agg_lock);
        return;
    }
    guint n = f->n;
    sf_agg_add_batch(c->active, f->staged, f->with_port, n);
    /* many-to-one: counted per target before probation (when on) */
    if (c->cfg->distributed_ports > 0)
        sf_targets_add_batch(c->targets, f->staged, f->with_port, n);
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
    if (f->clock_flows) {
        gint64 t = flow->end_ms ? flow->end_ms : flow->start_ms;

        if (t > f->newest && t <= flow->arrival_ms + 60000)
            f->newest = t;
    }
    if (sf_evidence_classify(flow) == SF_EVIDENCE_NONE)
        return;
    if (G_UNLIKELY(g_atomic_int_get(&f->c->rules_gen) != f->gen)) {
        g_mutex_lock(&f->c->agg_lock);
        retake_home_locked(f);
        g_mutex_unlock(&f->c->agg_lock);
    }
    if (!is_probe(f->home, flow))
        return;
    f->staged[f->n] = *flow;
    if (f->clock_flows && f->newest > 0)
        f->staged[f->n].arrival_ms = f->newest;
    f->with_port[f->n] = sf_evidence_has_port(flow);
    if (++f->n == FEED_BATCH)
        feed_drain(f);
}

void sf_correlator_feed_free(sf_correlator_feed_t *f)
{
    if (f == NULL)
        return;
    feed_drain(f);
    g_array_unref(f->home);
    g_free(f);
}
