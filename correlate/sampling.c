/*
 * sampling.c - thresholds on packet-sampled evidence (see sampling.h).
 *
 * Binomial tails are summed term by term from k upwards, each term from
 * the previous one (pmf(j+1) = pmf(j) (n-j)/(j+1) q/(1-q)), the first
 * from lgamma: exact to double precision for every n a threshold allows
 * (at most 65,536), and cheap, as the Redis thread computes k_min once
 * per (threshold, interval) and caches it.
 */
#include "sampling.h"

#include <math.h>
#include <stdbool.h>

double sf_sampling_q(guint32 interval, guint r)
{
    if (interval <= 1)
        return 1.0;
    /* 1 - (1 - 1/N)^r without cancellation for large N */
    return -expm1((double)r * log1p(-1.0 / (double)interval));
}

static double log_pmf(guint n, guint k, double q)
{
    return lgamma((double)n + 1) - lgamma((double)k + 1) -
           lgamma((double)(n - k) + 1) + k * log(q) + (n - k) * log1p(-q);
}

/* Sums pmf(j) from j = k upwards (k above the mean: the terms only
 * shrink past the mode) or from j = k downwards, until a term no longer
 * changes the sum. */
static double pmf_sum(guint n, guint k, double q, bool up)
{
    double term = exp(log_pmf(n, k, q)), sum = 0.0, ratio = q / (1.0 - q);

    for (guint j = k;;) {
        sum += term;
        if (up ? j == n : j == 0)
            break;
        if (term < sum * 1e-17 && (up ? (double)j > n * q : (double)j < n * q))
            break;
        if (up) {
            term *= (double)(n - j) / (double)(j + 1) * ratio;
            j++;
        } else {
            term *= (double)j / (double)(n - j + 1) / ratio;
            j--;
        }
    }
    return sum;
}

double sf_sampling_tail(guint n, guint k, double q)
{
    if (k == 0)
        return 1.0;
    if (k > n || q <= 0.0)
        return 0.0;
    if (q >= 1.0)
        return 1.0;
    /* from k up when k is past the mean (small tails, exact); else one
     * minus the lower tail, whose first term would underflow upwards */
    if ((double)k >= (double)n * q)
        return MIN(pmf_sum(n, k, q, true), 1.0);
    return MAX(1.0 - pmf_sum(n, k - 1, q, false), 0.0);
}

static double q_of(guint32 interval, guint r)
{
    return sf_sampling_q(MIN(interval, SF_SAMPLING_MAX_INTERVAL), MAX(r, 1u));
}

guint sf_sampling_min_observed(guint threshold, guint32 interval, guint r,
                               double alpha)
{
    if (interval <= 1 || threshold <= 1)
        return threshold;
    double q = q_of(interval, r);
    guint lo = 1, hi = threshold;       /* the tail falls as k grows */

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (sf_sampling_tail(threshold - 1, mid, q) <= alpha)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

guint sf_sampling_lower_bound(guint observed, guint32 interval, guint r,
                              double alpha)
{
    if (observed == 0)
        return 0;
    if (interval <= 1)
        return observed;
    double q = q_of(interval, r);
    guint lo = observed, hi = observed;

    while (sf_sampling_tail(hi, observed, q) <= alpha && hi < G_MAXUINT / 2)
        hi *= 2;
    while (lo < hi) {                   /* smallest n with tail > alpha */
        guint mid = lo + (hi - lo) / 2;
        if (sf_sampling_tail(mid, observed, q) > alpha)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

guint64 sf_sampling_estimate(guint64 observed, guint32 interval, guint r,
                             guint64 cap)
{
    if (interval <= 1)
        return observed;
    double e = floor((double)observed / q_of(interval, r) + 0.5);
    if (e >= (double)cap)
        return MAX(cap, observed);
    return MAX((guint64)e, observed);
}

guint sf_sampling_floor(guint threshold, guint32 interval, double alpha,
                        double p, guint limit)
{
    guint k = sf_sampling_min_observed(threshold, interval, 1, alpha);
    double q = q_of(MAX(interval, 1u), 1);
    guint lo = k, hi = limit;

    if (sf_sampling_tail(limit, k, q) < p)
        return 0;
    while (lo < hi) {                   /* smallest n with P(K >= k) >= p */
        guint mid = lo + (hi - lo) / 2;
        if (sf_sampling_tail(mid, k, q) >= p)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

guint sf_sampling_r_class(guint64 r)
{
    guint c = 1;

    while (c < r && c < SF_SAMPLING_MAX_R)
        c <<= 1;
    return c;
}

void sf_sampling_cache_init(sf_sampling_cache_t *c, guint threshold)
{
    c->threshold = threshold;
    c->n = c->next = 0;
}

guint sf_sampling_cache_min_observed(sf_sampling_cache_t *c, guint32 interval,
                                     guint64 r)
{
    guint rc = sf_sampling_r_class(r);

    if (interval <= 1)
        return c->threshold;
    for (guint i = 0; i < c->n; i++)
        if (c->interval[i] == interval && c->r[i] == rc)
            return c->k_min[i];
    guint k = sf_sampling_min_observed(c->threshold, interval, rc, SF_SAMPLING_ALPHA);
    guint slot = c->n < SF_SAMPLING_CACHE ? c->n++ : c->next++ % SF_SAMPLING_CACHE;
    c->interval[slot] = interval;
    c->r[slot] = rc;
    c->k_min[slot] = k;
    return k;
}
