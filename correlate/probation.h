/*
 * probation.h - sources seen once are not written to Redis until seen
 * again.
 *
 * A spoofed SYN flood shows each source once, with one flow; writing each
 * into the window costs about 18 Redis commands and 24 us of Redis CPU
 * (README-design.md).  A scanner, even a slow one sending one probe per
 * flush, shows the same source again.  So the Redis thread, before writing
 * a flush, holds back every source that has one flow in it and was not
 * seen in the last half window or so, remembering its flow; a source seen
 * again is written together with the remembered flow, so no probe is lost.
 * See probation.c for the two tables and their bounds.
 */
#ifndef SF_PROBATION_H
#define SF_PROBATION_H

#include <glib.h>
#include "aggregate.h"

typedef struct sf_probation sf_probation_t;

typedef struct sf_probation_stats {
    guint64 held;       /* one-flow sources held back (not written) */
    guint64 promoted;   /* ... later seen again and written */
    guint64 recalled;   /* remembered flows written with them */
    guint64 forgotten;  /* remembered flows pushed out by others (counted
                           loss: one probe of a source seen again later) */
} sf_probation_stats_t;

/* slots: remembered flows (0 disables probation); horizon_ms: how long a
 * source counts as seen (a generation of the seen filter). */
sf_probation_t *sf_probation_new(guint slots, gint64 horizon_ms);
void sf_probation_free(sf_probation_t *p);
/* Redis thread, on an aggregate no one else touches: holds back first
 * sightings and adds remembered flows to the sources that came back. */
void sf_probation_apply(sf_probation_t *p, sf_agg_t *agg, gint64 now_ms);
void sf_probation_get_stats(const sf_probation_t *p, sf_probation_stats_t *out);

#endif
