#!/usr/bin/env python3
"""sampling_floor.py - detection floors of scanflow's sampled-evidence rule.

Independent of the C code (correlate/sampling.c), from the same definition:
a source that probed n distinct targets shows k ~ Binomial(n, q) of them
at 1-in-N packet sampling, q = 1 - (1 - 1/N)^r, r = 1 packet per probe.
It is alerted when k >= k_min(T, N), the smallest k with
P(Binomial(T - 1, q) >= k) <= alpha (the one-sided lower confidence bound
on n at level 1 - alpha reaches the threshold T).  The floor is the
smallest n found with probability >= 95%: P(Binomial(n, q) >= k_min) >= 0.95.

Usage: sampling_floor.py [--tsv] [--alpha A] [--port-threshold T] [--sweep-threshold T]
                         [--interval N --found n,... --alpha-at k,...]
Prints the README's table (markdown), or with --tsv the lines
"N  k_min_ports  floor_ports  k_min_sweep  floor_sweep" (0: no floor)
that tests/sampling-floor.sh compares with the C code's.
With --found, for port scans of n ports (r = 1) at 1 in N: the sampled
probes expected and the probability of an alert; with --alpha-at, the
alpha a rule alerting at k observed ports would need (the probability
that a source of T - 1 ports shows k or more).
"""
import argparse
from math import exp, lgamma, log, log1p

INTERVALS = (1, 10, 100, 1000)


def q_of(n_interval, r=1):
    return 1.0 if n_interval <= 1 else 1.0 - (1.0 - 1.0 / n_interval) ** r


def tail(n, k, q):
    """P(Binomial(n, q) >= k), summed in log space."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if q >= 1.0:
        return 1.0
    lq, l1q = log(q), log1p(-q)
    lgn = lgamma(n + 1)
    total = 0.0
    for j in range(k, n + 1):
        t = exp(lgn - lgamma(j + 1) - lgamma(n - j + 1) + j * lq + (n - j) * l1q)
        total += t
        if j > n * q and t < total * 1e-17:
            break
    return min(total, 1.0)


def r_class(r):
    """r rounded up to a power of two, at most 65536 (as the C code)."""
    c = 1
    while c < r and c < 65536:
        c <<= 1
    return c


def k_min(threshold, interval, alpha, r=1):
    if interval <= 1:
        return threshold
    q = q_of(interval, r)
    k = 1
    while k < threshold and tail(threshold - 1, k, q) > alpha:
        k += 1
    return k


def floor_n(threshold, interval, alpha, p=0.95, limit=65536):
    k = k_min(threshold, interval, alpha)
    q = q_of(interval)
    if tail(limit, k, q) < p:
        return 0
    lo, hi = k, limit
    while lo < hi:
        mid = (lo + hi) // 2
        if tail(mid, k, q) >= p:
            hi = mid
        else:
            lo = mid + 1
    return lo


def odds(a):
    t, n_i = a.port_threshold, a.interval
    q, k = q_of(n_i), k_min(a.port_threshold, n_i, a.alpha)
    print('1 in %d, port threshold %d, alpha %g: alert at %d observed ports'
          % (n_i, t, a.alpha, k))
    for n in (int(x) for x in a.found.split(',') if x):
        print('  port scan of %d ports: %.1f probes sampled on average, '
              'alerted with probability %.2g' % (n, n * q, tail(n, k, q)))
    for k_obs in (int(x) for x in a.alpha_at.split(',') if x):
        print('  alerting at %d observed ports needs alpha %.2g (a source of '
              '%d ports shows that many)' % (k_obs, tail(t - 1, k_obs, q), t - 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tsv', action='store_true')
    ap.add_argument('--alpha', type=float, default=1e-5)
    ap.add_argument('--port-threshold', type=int, default=64)
    ap.add_argument('--sweep-threshold', type=int, default=32)
    ap.add_argument('--interval', type=int, default=10)
    ap.add_argument('--found', default='')
    ap.add_argument('--alpha-at', default='')
    a = ap.parse_args()
    if a.found or a.alpha_at:
        odds(a)
        return
    rows = []
    for n in INTERVALS:
        rows.append((n, k_min(a.port_threshold, n, a.alpha),
                     floor_n(a.port_threshold, n, a.alpha),
                     k_min(a.sweep_threshold, n, a.alpha),
                     floor_n(a.sweep_threshold, n, a.alpha)))
    if a.tsv:
        for r in rows:
            print('\t'.join(str(x) for x in r))
        return
    print('| 1 in N | port_scan: alert at observed ports | smallest port scan '
          'found (95%) | host_sweep: alert at observed hosts | smallest /24 '
          'sweep found (95%) |')
    print('|---|---|---|---|---|')
    for n, kp, fp, ks, fs in rows:
        sweep = '%d hosts' % fs if 0 < fs <= 254 else \
            'none: needs %s hosts, a /24 has 254' % (format(fs, ',') if fs else '> 65,536')
        print('| %d | %d | %s ports | %d | %s |' % (n, kp, format(fp, ','), ks, sweep))


if __name__ == '__main__':
    main()
