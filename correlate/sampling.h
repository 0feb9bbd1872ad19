/*
 * sampling.h - thresholds on packet-sampled evidence.
 *
 * With 1-in-N packet sampling a source that probed n distinct targets
 * (ports, or hosts of a /24) shows k of them, k ~ Binomial(n, q), where
 * q = 1 - (1 - 1/N)^r for probes of r packets (scanflow takes r = 1).  A
 * source crosses a threshold T when the one-sided lower confidence bound
 * on n at level 1 - alpha reaches T, which is the same as
 *
 *     P(Binomial(T - 1, q) >= k) <= alpha
 *
 * because P(Binomial(n, q) >= k) grows with n.  So each (T, N) has a
 * smallest observed count k_min(T, N) at which to alert; at N = 1 it is T
 * itself, so unsampled flows are judged exactly as without this module.
 * correlate/README-design.md ("Sampled exports") derives the rule and the
 * choice of alpha.
 */
#ifndef SF_SAMPLING_H
#define SF_SAMPLING_H

#include <glib.h>

/* Per-source false-alert probability at the worst case (n = T - 1): with
 * 10,000 sources per window all at that worst case, 0.1 false alerts per
 * window in expectation. */
#define SF_SAMPLING_ALPHA 1e-5

/* The largest interval judged: beyond it k_min is 1 or 2 for any
 * threshold scanflow accepts, and the estimate would mean nothing. */
#define SF_SAMPLING_MAX_INTERVAL 1000000u

/* The probability that a target probed with r packets shows at 1 in N. */
double sf_sampling_q(guint32 interval, guint r);

/* P(Binomial(n, q) >= k), exactly (summed in log space). */
double sf_sampling_tail(guint n, guint k, double q);

/* The smallest observed count k with P(Binomial(threshold - 1, q) >= k)
 * <= alpha, q = sf_sampling_q(interval, 1); threshold >= 1.  Interval 0
 * (unknown) and 1 give the threshold. */
guint sf_sampling_min_observed(guint threshold, guint32 interval, double alpha);

/* The one-sided lower confidence bound on n: the smallest n with
 * P(Binomial(n, q) >= observed) > alpha (0 if observed is 0). */
guint sf_sampling_lower_bound(guint observed, guint32 interval, double alpha);

/* The estimate of n from observed: observed / q, rounded, at most cap. */
guint64 sf_sampling_estimate(guint64 observed, guint32 interval, guint64 cap);

/* The detection floor: the smallest n that gives k >= k_min(threshold,
 * interval) with probability >= p (e.g. 0.95); 0 if none up to limit. */
guint sf_sampling_floor(guint threshold, guint32 interval, double alpha,
                        double p, guint limit);

/* A small cache of k_min per interval for one threshold, for the Redis
 * thread (one per rule; not thread-safe). */
typedef struct sf_sampling_cache {
    guint   threshold;
    guint   n;
    guint32 interval[16];
    guint   k_min[16];
} sf_sampling_cache_t;

void sf_sampling_cache_init(sf_sampling_cache_t *c, guint threshold);
guint sf_sampling_cache_min_observed(sf_sampling_cache_t *c, guint32 interval);

#endif
