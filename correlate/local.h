/*
 * local.h - the correlator without Redis, in one process, on the flows'
 * own clock: what `scanflow hunt` runs over stored flows.
 *
 * The same evidence filter (evidence.c), --home-net direction, rules
 * (sf_rules_judge: thresholds, k_min on sampled evidence, networks of
 * sources, wide sweeps), many-to-one rule (sf_targets_crossed), --allow,
 * --tag and alert facts (alert.c) as scanflowd, with exact sets in memory
 * instead of Redis sketches.  Memory is bounded: at most --max-sources
 * entities (sources, networks of sources, scanned hosts) and
 * --max-elements distinct elements (ports, hosts, members) in all; what
 * does not fit is counted, and entities idle for a whole window are
 * dropped as the flow clock moves.
 */
#ifndef SF_LOCAL_H
#define SF_LOCAL_H

#include <glib.h>
#include "alert.h"
#include "correlator.h"
#include "flow.h"

typedef struct sf_local sf_local_t;

/* An alert, its --tag names (NULL-ended) and its time (the flow clock). */
typedef void (*sf_local_alert_fn)(const sf_alert_facts_t *f,
                                  const char *const *tags, gint64 time_ms,
                                  void *user);

/* cfg: finished (sf_correlate_config_finish); it must outlive l. */
sf_local_t *sf_local_new(const sf_correlate_config_t *cfg,
                         sf_local_alert_fn fn, void *user);
void sf_local_free(sf_local_t *l);
/* An sf_flow_sink_fn (user: the sf_local_t); a NULL flow is ignored. */
void sf_local_flow(const sf_flow_t *flow, void *local);
/* Judges what is still pending (call at the end of the input). */
void sf_local_finish(sf_local_t *l);
/* The flow clock: the latest flow time seen (ms), 0 before any flow. */
gint64 sf_local_clock(const sf_local_t *l);

/* Counters; each only grows, except the "now" ones. */
typedef struct sf_local_stats {
    guint64 flows;              /* offered */
    guint64 evidence;           /* probes (evidence.c) into --home-net */
    guint64 alerts;             /* raised */
    guint64 allowed;            /* crossings of --allow sources, not raised */
    guint64 untimed;            /* flows without a time of their own: the
                                   capture's arrival time was taken, or
                                   without one either the flow clock */
    guint64 untimed_dropped;    /* ... of which, before any flow time was
                                   known, more than could wait: dropped */
    guint64 entities_evicted;   /* pushed out at --max-sources */
    guint64 entities_expired;   /* idle for a whole window: dropped */
    guint64 elements_dropped;   /* not kept: --max-elements reached */
    guint64 entities_now, entities_peak;
    guint64 elements_now, elements_peak;
} sf_local_stats_t;
void sf_local_get_stats(const sf_local_t *l, sf_local_stats_t *out);

#endif
