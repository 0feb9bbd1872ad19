/*
 * test-sampling.c - the sampled-evidence rule (correlate/sampling.c)
 * against its definition and against simulated Binomial draws.
 *
 * The simulation draws what a 1-in-N sampler shows of a scan (each of n
 * probes kept with probability 1/N, from GLib's Mersenne Twister, seeded)
 * and judges it with the same k_min the correlator uses: at the floor the
 * scan must be found at least 95% of the time, and a source just below
 * the threshold (n = T - 1) must be alerted no more often than alpha
 * allows.  `test-sampling --table` prints the floor table that
 * tests/sampling-floor.sh compares with tests/sampling_floor.py.
 */
#include "alert.h"
#include "sampling.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const guint32 intervals[] = { 1, 10, 100, 1000 };
static const guint thresholds[] = { 64, 32 };

/* What a 1-in-interval packet sampler shows of n single-packet probes. */
static guint draw(GRand *r, guint n, guint32 interval)
{
    guint k = 0;
    double q = 1.0 / interval;

    for (guint i = 0; i < n; i++)
        k += g_rand_double(r) < q;
    return k;
}

static void test_interval_one(void)
{
    for (guint t = 1; t <= 2000; t++) {
        g_assert_cmpuint(sf_sampling_min_observed(t, 1, 1, SF_SAMPLING_ALPHA), ==, t);
        g_assert_cmpuint(sf_sampling_min_observed(t, 0, 1, SF_SAMPLING_ALPHA), ==, t);
    }
    g_assert_cmpuint(sf_sampling_estimate(77, 1, 1, 65536), ==, 77);
    g_assert_cmpuint(sf_sampling_lower_bound(77, 1, 1, SF_SAMPLING_ALPHA), ==, 77);
}

/* k_min is the smallest k whose tail at T - 1 is <= alpha; the lower
 * bound reaches T exactly from k_min on. */
static void test_definition(void)
{
    for (guint i = 1; i < G_N_ELEMENTS(intervals); i++)
        for (guint t = 2; t <= 300; t += 7) {
            guint32 n = intervals[i];
            guint r = 1u << (t % 5);
            double q = sf_sampling_q(n, r);
            guint k = sf_sampling_min_observed(t, n, r, SF_SAMPLING_ALPHA);

            g_assert_cmpuint(k, >=, 1);
            g_assert_cmpuint(k, <=, t);
            g_assert_cmpfloat(sf_sampling_tail(t - 1, k, q), <=, SF_SAMPLING_ALPHA);
            if (k > 1)
                g_assert_cmpfloat(sf_sampling_tail(t - 1, k - 1, q), >,
                                  SF_SAMPLING_ALPHA);
            g_assert_cmpuint(sf_sampling_lower_bound(k, n, r, SF_SAMPLING_ALPHA), >=, t);
            if (k > 1)
                g_assert_cmpuint(sf_sampling_lower_bound(k - 1, n, r, SF_SAMPLING_ALPHA),
                                 <, t);
            /* more probes per target: never a smaller k_min */
            g_assert_cmpuint(sf_sampling_min_observed(t, n, 2 * r, SF_SAMPLING_ALPHA),
                             >=, k);
        }
}

/* Binomial tails against a direct sum of the pmf (small n, exact enough). */
static void test_tail(void)
{
    double q = 0.1, pmf[41], p = pow(1 - q, 40), acc = 0;

    for (int j = 0; j <= 40; j++) {
        pmf[j] = p;
        p *= (40.0 - j) / (j + 1.0) * q / (1 - q);
    }
    for (int k = 40; k >= 0; k--) {
        acc += pmf[k];
        g_assert_cmpfloat(fabs(sf_sampling_tail(40, (guint)k, q) - acc), <, 1e-12 + acc * 1e-9);
    }
    g_assert_cmpfloat(sf_sampling_tail(5, 6, q), ==, 0.0);
    g_assert_cmpfloat(sf_sampling_tail(5, 0, q), ==, 1.0);
}

/* At the floor, at least 95% found (less 3 standard errors of 4,000
 * draws); at half the floor, clearly less. */
static void test_simulated_floor(void)
{
    GRand *r = g_rand_new_with_seed(20261205);
    const int draws = 4000;

    for (guint i = 1; i < G_N_ELEMENTS(intervals); i++)
        for (guint j = 0; j < G_N_ELEMENTS(thresholds); j++) {
            guint32 n = intervals[i];
            guint t = thresholds[j];
            guint k = sf_sampling_min_observed(t, n, 1, SF_SAMPLING_ALPHA);
            guint fl = sf_sampling_floor(t, n, SF_SAMPLING_ALPHA, 0.95, 65536);
            int hit = 0, half = 0;

            g_assert_cmpuint(fl, >, t);
            for (int d = 0; d < draws; d++) {
                hit += draw(r, fl, n) >= k;
                half += draw(r, fl / 2, n) >= k;
            }
            if (g_test_verbose())
                g_printerr("N=%u T=%u k_min=%u floor=%u found %.3f, at half %.3f\n",
                           n, t, k, fl, (double)hit / draws, (double)half / draws);
            g_assert_cmpfloat((double)hit / draws, >=, 0.95 - 3 * sqrt(0.95 * 0.05 / draws));
            g_assert_cmpfloat((double)half / draws, <, 0.9);
        }
    g_rand_free(r);
}

/* Sources just under the threshold, the worst case for false alerts:
 * 300,000 of them per (N, T) against alpha = 1e-5 (3 expected at most;
 * 12 or more has probability below 1e-4 under Poisson(3)). */
static void test_simulated_false_alerts(void)
{
    GRand *r = g_rand_new_with_seed(7);
    const int draws = 300000;

    for (guint i = 1; i < G_N_ELEMENTS(intervals); i++)
        for (guint j = 0; j < G_N_ELEMENTS(thresholds); j++) {
            guint32 n = intervals[i];
            guint t = thresholds[j];
            guint k = sf_sampling_min_observed(t, n, 1, SF_SAMPLING_ALPHA);
            int fa = 0;

            for (int d = 0; d < draws; d++)
                fa += draw(r, t - 1, n) >= k;
            if (g_test_verbose())
                g_printerr("N=%u T=%u: %d false alerts in %d sources at T-1\n",
                           n, t, fa, draws);
            g_assert_cmpint(fa, <, 12);
        }
    g_rand_free(r);
}

/* A source sweeping 10 ports over a /24 at 1 in 100: each port is probed
 * once per host, 254 times.  Judged with r = its hosts, its ports never
 * cross the port threshold (64) in 20,000 draws; judged with r = 1 they
 * would, most of the time. */
static void test_simulated_multi_probe(void)
{
    GRand *r = g_rand_new_with_seed(11);
    sf_sampling_cache_t c;
    int wrong = 0, naive = 0;

    sf_sampling_cache_init(&c, 64);
    for (int d = 0; d < 20000; d++) {
        guint ports = 0, hosts = 0;
        for (int p = 0; p < 10; p++)
            ports += draw(r, 254, 100) > 0;
        for (int h = 0; h < 254; h++)
            hosts += draw(r, 10, 100) > 0;
        wrong += ports >= sf_sampling_cache_min_observed(&c, 100, MAX(hosts, 1u));
        naive += ports >= sf_sampling_cache_min_observed(&c, 100, 1);
    }
    g_assert_cmpint(wrong, ==, 0);
    g_assert_cmpint(naive, >, 10000);
    g_rand_free(r);
}

/* The alert of a sampled source: estimates in the distinct counts, the
 * sample in observed_*, and the additions in its JSON; an unsampled
 * alert's JSON has none of them. */
static void test_alert_estimate(void)
{
    sf_alert_facts_t f;
    g_autofree char *json = NULL, *plain = NULL;

    memset(&f, 0, sizeof f);
    f.kind = SF_ALERT_PORT_SCAN;
    f.threshold = 64;
    f.distinct_ports = 20;
    f.distinct_hosts = 1;
    f.hosts_in_top_net24 = 1;
    g_strlcpy(f.top_net24, "198.18.1.0/24", sizeof f.top_net24);
    plain = sf_alert_to_json(&f, "c", NULL, 1);
    g_assert_null(strstr(plain, "sampling_interval"));
    g_assert_null(strstr(plain, "observed_"));
    f.sampling_interval = 10;
    sf_alert_estimate(&f);
    g_assert_cmpint(f.observed_ports, ==, 20);
    g_assert_cmpint(f.distinct_ports, ==, 200);
    /* one host, 20 ports (r = 32): 1 / (1 - 0.9^32) rounds to 1 */
    g_assert_cmpint(f.distinct_hosts, ==, 1);
    json = sf_alert_to_json(&f, "c", NULL, 1);
    g_assert_nonnull(strstr(json, "\"sampling_interval\":10"));
    g_assert_nonnull(strstr(json, "\"estimated\":true"));
    g_assert_nonnull(strstr(json, "\"observed_ports\":20"));
    g_assert_nonnull(strstr(json, "\"distinct_ports\":200"));
    /* a /24 holds at most 256 */
    f.sampling_interval = 100;
    f.distinct_ports = 1;
    f.distinct_hosts = f.hosts_in_top_net24 = 30;
    sf_alert_estimate(&f);
    g_assert_cmpint(f.hosts_in_top_net24, ==, 256);
    g_assert_cmpint(f.distinct_hosts, ==, 3000);
}

static void print_table(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(intervals); i++) {
        guint32 n = intervals[i];
        printf("%u\t%u\t%u\t%u\t%u\n", n,
               sf_sampling_min_observed(64, n, 1, SF_SAMPLING_ALPHA),
               sf_sampling_floor(64, n, SF_SAMPLING_ALPHA, 0.95, 65536),
               sf_sampling_min_observed(32, n, 1, SF_SAMPLING_ALPHA),
               sf_sampling_floor(32, n, SF_SAMPLING_ALPHA, 0.95, 65536));
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--table") == 0) {
        print_table();
        return 0;
    }
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sampling/interval-one", test_interval_one);
    g_test_add_func("/sampling/definition", test_definition);
    g_test_add_func("/sampling/tail", test_tail);
    g_test_add_func("/sampling/simulated-floor", test_simulated_floor);
    g_test_add_func("/sampling/simulated-false-alerts", test_simulated_false_alerts);
    g_test_add_func("/sampling/simulated-multi-probe", test_simulated_multi_probe);
    g_test_add_func("/sampling/alert-estimate", test_alert_estimate);
    return g_test_run();
}
