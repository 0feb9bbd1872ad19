/*
 * claim.h - phase 2 of a flush: the atomic alert claim.  For each crossing
 * the rules found, one collector of all those writing the source wins the
 * (source, kind) claim key (a script: claim.c; keys.c) and reads the
 * alert's facts back from the crossing horizon.
 */
#ifndef SF_CLAIM_H
#define SF_CLAIM_H

#include <glib.h>
#include "horizon.h"
#include "pipe.h"

typedef struct sf_claimer sf_claimer_t;

/* A claim holds "COLLECTOR/RUN/SEQ" for suppress_s seconds (RUN random
 * per claimer); the record of the last alert of (source, kind) lasts
 * record_ttl_s (the longest horizon's key TTL). */
sf_claimer_t *sf_claimer_new(const char *collector, gint suppress_s,
                             gint64 record_ttl_s);
void sf_claimer_free(sf_claimer_t *k);
/* Claims each of claims (sf_window_claim_t, window.h) of counts
 * (sf_window_counts_t), reading the facts from its horizon's buckets:
 * hz[cl->horizon], current bucket hz_bucket[cl->horizon].  now_ms: the
 * correlator's clock. */
gboolean sf_claimer_run(sf_claimer_t *k, sf_pipe_t *p, const sf_horizon_t *hz,
                        const gint64 *hz_bucket, gint64 now_ms,
                        const GArray *counts, GArray *claims, GError **err);

#endif
