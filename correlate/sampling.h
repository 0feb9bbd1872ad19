/*
 * sampling.h - thresholds on packet-sampled evidence.
 *
 * With 1-in-N packet sampling a source that probed n distinct targets
 * (ports, or hosts of a /24) shows k of them, k ~ Binomial(n, q), where
 * q = 1 - (1 - 1/N)^r when each target got r single-packet probes.  A
 * source crosses a threshold T when the one-sided lower confidence bound
 * on n at level 1 - alpha reaches T, which is the same as
 *
 *     P(Binomial(T - 1, q) >= k) <= alpha
 *
 * because P(Binomial(n, q) >= k) grows with n.  So each (T, N) has a
 * smallest observed count k_min(T, N) at which to alert; at N = 1 it is T
 * itself, so unsampled flows are judged exactly as without this module.
 *
 * r is 1 for a port scan of one host or a sweep on one port.  A port is
 * probed once per host scanned on it, and a host once per port: the
 * correlator takes r for ports as the source's distinct hosts, and r for
 * hosts as its distinct ports (rounded up to a power of two), so that a
 * sweep of 10 ports over a /24 is not read as a port scan.  A larger r
 * only raises k_min.  correlate/README-design.md ("Sampled exports")
 * derives the rule and the choice of alpha.
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
 * <= alpha, q = sf_sampling_q(interval, r); threshold >= 1.  Interval 0
 * (unknown) and 1 give the threshold. */
guint sf_sampling_min_observed(guint threshold, guint32 interval, guint r,
                               double alpha);

/* The one-sided lower confidence bound on n: the smallest n with
 * P(Binomial(n, q) >= observed) > alpha (0 if observed is 0). */
guint sf_sampling_lower_bound(guint observed, guint32 interval, guint r,
                              double alpha);

/* The estimate of n from observed: observed / q, rounded, at most cap
 * (and never below observed). */
guint64 sf_sampling_estimate(guint64 observed, guint32 interval, guint r,
                             guint64 cap);

/* The detection floor: the smallest n that gives k >= k_min(threshold,
 * interval, 1) with probability >= p (e.g. 0.95); 0 if none up to limit. */
guint sf_sampling_floor(guint threshold, guint32 interval, double alpha,
                        double p, guint limit);

/* r rounded up to a power of two, at most SF_SAMPLING_MAX_R. */
#define SF_SAMPLING_MAX_R 65536u
guint sf_sampling_r_class(guint64 r);

/* A small cache of k_min per (interval, r class) for one threshold, for
 * the Redis thread (one per rule; not thread-safe). */
#define SF_SAMPLING_CACHE 32
typedef struct sf_sampling_cache {
    guint   threshold;
    guint   n, next;
    guint32 interval[SF_SAMPLING_CACHE];
    guint   r[SF_SAMPLING_CACHE];
    guint   k_min[SF_SAMPLING_CACHE];
} sf_sampling_cache_t;

void sf_sampling_cache_init(sf_sampling_cache_t *c, guint threshold);
/* k_min(threshold, interval, sf_sampling_r_class(r)) at SF_SAMPLING_ALPHA. */
guint sf_sampling_cache_min_observed(sf_sampling_cache_t *c, guint32 interval,
                                     guint64 r);

#endif
