/*
 * targets.h - many-to-one scans (distributed_port_scan): per scanned host
 * of --home-net, the distinct sources and ports of the probes it received,
 * counted from the evidence before probation (a botnet member sending
 * three probes never reaches Redis as a source).
 *
 * Locally: a fixed-size set of (target, source, port) triples per flush,
 * filled by the receive threads under agg_lock; a triple that finds no
 * room is dropped and counted.  In Redis, under the target's hash tag
 * "sf:{T}:": HLLs of sources (ts:B) and ports (tp:B) per bucket, and a
 * sorted set (tz) of the ports each source sent, of which the 64 largest
 * are kept.  The claim sf:{T}:a:distributed_port_scan (SET NX EX) makes
 * one alert per target per suppression period across collectors.
 *
 * What reaches Redis is bounded like sources on probation: the Redis
 * thread follows 32,768 targets locally, and a target is written only once
 * it showed 4 distinct sources and 4 distinct ports within the window
 * (fewer if the rule's thresholds are lower), with its first 8 probes;
 * at most --max-redis-targets new targets a bucket, the others refused
 * and counted.
 */
#ifndef SF_TARGETS_H
#define SF_TARGETS_H

#include <glib.h>
#include "alert.h"
#include "config.h"
#include "flow.h"
#include "pipe.h"

typedef struct sf_targets sf_targets_t;

/* Room for slots triples (a power of two is taken). */
sf_targets_t *sf_targets_new(guint slots);
void sf_targets_free(sf_targets_t *t);
/* Files the probes of flows[0..n) (those with_port: a flow with a port,
 * into --home-net), each once a flush. */
void sf_targets_add_batch(sf_targets_t *t, const sf_flow_t *flows,
                          const gboolean *with_port, guint n);
gboolean sf_targets_is_empty(const sf_targets_t *t);
/* Triples dropped for want of room since the last call. */
guint64 sf_targets_take_dropped(sf_targets_t *t);

/* What Redis holds already (the Redis thread's): fingerprints of the
 * triples written in the current bucket, 8 bytes each, direct-mapped; a
 * triple found there is not written again, so a probe repeated every
 * flush costs no command.  Forget on reconnect (Redis may be empty). */
typedef struct sf_targets_known sf_targets_known_t;
sf_targets_known_t *sf_targets_known_new(guint slots);
void sf_targets_known_free(sf_targets_known_t *k);
void sf_targets_known_forget(sf_targets_known_t *k);
/* Targets not written for want of room since the last call: over
 * --max-redis-targets in a bucket, or their slot held by another. */
guint64 sf_targets_take_refused(sf_targets_known_t *k);

/* A target that crossed: its counts, and whether this collector won the
 * claim (then facts are filled). */
typedef struct sf_target_crossing {
    gboolean         won;
    sf_alert_facts_t facts;
} sf_target_crossing_t;

/* Writes t into Redis (bucket of now_ms), reads each target's window
 * counts, claims those crossing --distributed-threshold and appends them
 * to out (sf_target_crossing_t); resets t when all went through. */
gboolean sf_targets_flush(sf_targets_t *t, sf_targets_known_t *known,
                          sf_pipe_t *p,
                          const sf_correlate_config_t *cfg,
                          const char *collector, gint64 now_ms,
                          GArray *out, GError **err);
/* The rule: distinct ports and sources at their thresholds, and still
 * PORTS distinct ports without the source that sent the most (top). */
gboolean sf_targets_crossed(const sf_correlate_config_t *cfg, gint64 ports,
                            gint64 sources, gint64 top);

#endif
