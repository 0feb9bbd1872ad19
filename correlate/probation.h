/*
 * probation.h - a source is shared in Redis only once it shows fan-out.
 *
 * Most sources that send a probe to a network send one, or repeat the
 * same one: internet background noise, spoofed SYN floods, a client
 * retrying a closed port.  None of them can cross a threshold, yet
 * writing each into the window costs about 18 Redis commands and 2.4 kB
 * of Redis memory per window (README-design.md).  So the Redis thread,
 * before writing a flush, looks each source up in a table of its own: a
 * source that has not yet shown `share_after` distinct destination ports
 * or `share_after` distinct destination addresses within the window is
 * held back, its distinct elements remembered (at most share_after - 1 of
 * each, so a source costs one fixed-size entry); once it reaches
 * share_after it is written with what was held, so no probe is lost, and
 * from then on it is written as it comes (it is "shared").
 *
 * A scan split over several collectors is therefore seen as long as one of
 * them sees share_after distinct elements of it within the window (default
 * 4, against thresholds of 64 ports and 32 hosts).  See probation.c for
 * the table and its bounds.
 */
#ifndef SF_PROBATION_H
#define SF_PROBATION_H

#include <glib.h>
#include "aggregate.h"

/* the most share_after can be: entries hold share_after - 1 elements */
#define SF_PROBATION_MAX_SHARE_AFTER 4

typedef struct sf_probation sf_probation_t;

typedef struct sf_probation_stats {
    guint64 held;       /* sources of a flush held back (not written) */
    guint64 promoted;   /* sources that reached share_after: now shared */
    guint64 recalled;   /* held elements written with them */
    guint64 forgotten;  /* entries pushed out by others within their
                           window (counted loss: a held source's elements,
                           or a shared source going back on probation) */
    guint64 refused;    /* sources that reached share_after when this
                           bucket's budget of new shared sources was
                           spent: held, retried from the next bucket */
} sf_probation_stats_t;

/* slots: table entries (0 disables probation: every source is written);
 * share_after: distinct ports or addresses that share a source (1 also
 * disables it; at most SF_PROBATION_MAX_SHARE_AFTER); window_ms: how long
 * held elements and the shared state last; max_shared: new sources shared
 * per window (a tenth per bucket of window_ms / 10; 0: no cap). */
sf_probation_t *sf_probation_new(guint slots, guint share_after,
                                 gint64 window_ms, guint max_shared);
void sf_probation_free(sf_probation_t *p);
/* The lowest alert threshold: a source whose evidence was packet-sampled
 * is shared once it shows k_min of it (correlate/sampling.h) if that is
 * below share_after.  Redis thread only; also on SIGHUP. */
void sf_probation_set_threshold(sf_probation_t *p, guint threshold);

/* How long entries and their held elements last (at least the window):
 * the longest horizon, so that slow sources are held long enough to be
 * seen. */
void sf_probation_set_hold(sf_probation_t *p, gint64 hold_ms);
/* For SIGHUP: a new share_after (clamped as in sf_probation_new). */
void sf_probation_set_share_after(sf_probation_t *p, guint share_after);
/* Redis thread, on an aggregate no one else touches: holds back sources
 * below share_after and adds the held elements of those that reached
 * it.  now_ms: a monotonic clock (only differences matter). */
void sf_probation_apply(sf_probation_t *p, sf_agg_t *agg, gint64 now_ms);
void sf_probation_get_stats(const sf_probation_t *p, sf_probation_stats_t *out);

#endif
