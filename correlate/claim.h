/*
 * claim.h - phase 2 of a flush: the atomic alert claim.  For each crossing
 * the rules found, one collector of all those writing the source wins the
 * (source, kind) claim key (SET NX GET EX; keys.c) and reads the alert's
 * facts back from the window.
 */
#ifndef SF_CLAIM_H
#define SF_CLAIM_H

#include <glib.h>
#include "pipe.h"

typedef struct sf_claimer sf_claimer_t;

/* A claim holds "COLLECTOR/RUN/SEQ" for suppress_s seconds (RUN random
 * per claimer). */
sf_claimer_t *sf_claimer_new(const char *collector, gint suppress_s);
void sf_claimer_free(sf_claimer_t *k);
/* Claims each of claims (sf_window_claim_t, window.h) of counts
 * (sf_window_counts_t), reading the facts from buckets b0..b1. */
gboolean sf_claimer_run(sf_claimer_t *k, sf_pipe_t *p, gint64 b0, gint64 b1,
                        const GArray *counts, GArray *claims, GError **err);

#endif
