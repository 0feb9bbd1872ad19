/*
 * test-horizon.c - --horizon parsing and validation, the defaults, and
 * how a horizon cuts time into buckets (horizon.c): the one rule that
 * scanflowd and scanflow hunt share.
 */
#include <glib.h>
#include <string.h>

#include "aggregate.h"
#include "config.h"
#include "correlate-testlib.h"
#include "horizon.h"
#include "keys.h"
#include "probation.h"

static gboolean parse(const char *args, sf_correlate_config_t **cfg,
                      GError **err)
{
    g_autofree char *line = g_strdup_printf("scanflowd %s", args);
    g_auto(GStrv) argv = g_strsplit(line, " ", -1);
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);

    *cfg = sf_correlate_config_new();
    g_option_context_add_group(ctx, sf_correlate_option_group(*cfg));
    return g_option_context_parse_strv(ctx, &argv, err)
        && sf_correlate_config_finish(*cfg, err);
}

static const sf_horizon_t *hz(const sf_correlate_config_t *cfg, guint i)
{
    g_assert_cmpuint(i, <, cfg->horizons->len);
    return &g_array_index(cfg->horizons, sf_horizon_t, i);
}

static void test_parse(void)
{
    sf_horizon_t h;
    g_autoptr(GError) err = NULL;

    g_assert_true(sf_horizon_parse("3600:64:48", &h, &err));
    g_assert_cmpint(h.seconds, ==, 3600);
    g_assert_cmpint(h.ports, ==, 64);
    g_assert_cmpint(h.hosts, ==, 48);
    g_assert_cmpint(h.wide, ==, 96);
    g_assert_cmpint(h.bucket_s, ==, 360);
    g_assert_cmpint(h.n_back, ==, 10);
    g_assert_true(sf_horizon_parse("86400:128:96:500", &h, &err));
    g_assert_cmpint(h.wide, ==, 500);
    g_assert_cmpint(h.bucket_s, ==, 8640);
    /* a length 10 does not divide: 11 buckets back cover it */
    g_assert_true(sf_horizon_parse("305:64:32", &h, &err));
    g_assert_cmpint(h.bucket_s, ==, 30);
    g_assert_cmpint(h.n_back, ==, 11);
    g_assert_true(sf_horizon_parse("15:2:2", &h, &err));
    g_assert_cmpint(h.bucket_s, ==, 1);
    g_assert_cmpint(h.n_back, ==, 15);

    static const char *const bad[] = {
        "3600", "3600:64", "3600:64:48:96:1", "9:64:48", "604801:64:48",
        "3600:1:48", "3600:64:65537", "3600:64:48:1", "x:64:48",
        "3600:-64:48", "3600:64:48:", ":64:48", "3600: 64:48",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_error(&err);
        g_assert_false(sf_horizon_parse(bad[i], &h, &err));
        g_assert_nonnull(strstr(err->message, bad[i]));
    }
}

static void test_config(void)
{
    sf_correlate_config_t *cfg;
    g_autoptr(GError) err = NULL;

    /* defaults: the base window, one hour, one day */
    g_assert_true(parse("--window 300", &cfg, &err));
    g_assert_cmpint(cfg->horizons->len, ==, 3);
    g_assert_cmpint(hz(cfg, 0)->seconds, ==, 300);
    g_assert_cmpint(hz(cfg, 0)->ports, ==, 64);
    g_assert_cmpint(hz(cfg, 0)->hosts, ==, 32);
    g_assert_cmpint(hz(cfg, 0)->wide, ==, 64);
    g_assert_cmpint(hz(cfg, 0)->bucket_s, ==, cfg->bucket_s);
    g_assert_cmpint(hz(cfg, 1)->seconds, ==, 3600);
    g_assert_cmpint(hz(cfg, 2)->seconds, ==, 86400);
    sf_correlate_config_free(cfg);

    /* the base follows the old options */
    g_assert_true(parse("--window 60 --port-threshold 20 --sweep-threshold 10 "
                        "--horizon off", &cfg, &err));
    g_assert_cmpint(cfg->horizons->len, ==, 1);
    g_assert_cmpint(hz(cfg, 0)->seconds, ==, 60);
    g_assert_cmpint(hz(cfg, 0)->ports, ==, 20);
    g_assert_cmpint(hz(cfg, 0)->hosts, ==, 10);
    g_assert_cmpint(cfg->bucket_s, ==, 6);
    sf_correlate_config_free(cfg);

    /* --horizon replaces the defaults */
    g_assert_true(parse("--horizon 1800:40:40 --horizon 7200:80:80:100",
                        &cfg, &err));
    g_assert_cmpint(cfg->horizons->len, ==, 3);
    g_assert_cmpint(hz(cfg, 1)->seconds, ==, 1800);
    g_assert_cmpint(hz(cfg, 2)->wide, ==, 100);
    sf_correlate_config_free(cfg);

    /* defaults are never below the base thresholds */
    g_assert_true(parse("--port-threshold 1000 --sweep-threshold 40", &cfg,
                        &err));
    g_assert_cmpint(hz(cfg, 1)->ports, ==, 1000);
    g_assert_cmpint(hz(cfg, 1)->hosts, ==, 48);
    g_assert_cmpint(hz(cfg, 2)->ports, ==, 1000);
    g_assert_cmpint(hz(cfg, 2)->hosts, ==, 96);
    sf_correlate_config_free(cfg);

    /* a long --window drops the defaults it covers */
    g_assert_true(parse("--window 7200", &cfg, &err));
    g_assert_cmpint(cfg->horizons->len, ==, 2);
    g_assert_cmpint(hz(cfg, 1)->seconds, ==, 86400);
    sf_correlate_config_free(cfg);

    static const char *const bad[] = {
        "--horizon 300:64:32",                      /* not past --window */
        "--horizon 7200:64:32 --horizon 3600:64:32", /* not growing */
        "--horizon off --horizon 3600:64:32",
        "--window 7200 --horizon 3600:64:32",
        "--horizon 3600:64",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_error(&err);
        g_assert_false(parse(bad[i], &cfg, &err));
        g_assert_nonnull(strstr(err->message, "--horizon"));
        sf_correlate_config_free(cfg);
    }
}

static void test_buckets(void)
{
    sf_horizon_t base, hour;
    /* 2026-12-05 10:00:00 UTC */
    const gint64 t = G_GINT64_CONSTANT(1796464800000);

    sf_horizon_init(&base, 300, 64, 32, 64);
    sf_horizon_init(&hour, 3600, 64, 48, 96);
    g_assert_cmpint(sf_horizon_bucket(&base, t), ==, t / 30000);
    g_assert_cmpint(sf_horizon_bucket(&base, t + 29999), ==, t / 30000);
    g_assert_cmpint(sf_horizon_bucket(&base, t + 30000), ==, t / 30000 + 1);
    g_assert_cmpint(sf_horizon_bucket(&hour, t), ==, t / 360000);
    g_assert_cmpint(sf_horizon_bucket(&base, 0), ==, 0);
    g_assert_cmpint(sf_horizon_bucket(&base, -1), ==, -1);
    g_assert_cmpint(sf_horizon_bucket(&base, -30000), ==, -1);
    g_assert_cmpint(sf_horizon_bucket(&base, -30001), ==, -2);
    /* the window spans 10 buckets back: 300 to 330 s */
    g_assert_cmpint(sf_horizon_first_bucket(&hour, 100), ==, 90);
    g_assert_true(sf_horizon_bucket_live(&hour, sf_horizon_bucket(&hour, t),
                                         t + 3600 * 1000));
    g_assert_false(sf_horizon_bucket_live(&hour, sf_horizon_bucket(&hour, t),
                                          t + 3960 * 1000));
    g_assert_cmpint(sf_horizon_ttl(&hour), ==, 3600 + 720);
    g_assert_cmpint(sf_horizon_ttl(&base), ==, 360);
}

/* The keys of a longer horizon (keys.c): the contract with Redis. */
static void test_keys(void)
{
    char dim[SF_KEY_HDIM_LEN], key[SF_KEY_LEN];

    g_assert_cmpstr(sf_key_horizon_dim(dim, "p:", 3600), ==, "p3600:");
    g_assert_cmpstr(sf_key_horizon_dim(dim, "h:192.0.2.0/24:", 86400), ==,
                    "h86400:192.0.2.0/24:");
    g_assert_cmpstr(sf_key_horizon_dim(dim, "f:", 0), ==, "f:");
    g_assert_cmpstr(sf_key_record(key, "sf:{203.0.113.7}:", "port_scan"),
                    ==, "sf:{203.0.113.7}:r:port_scan");
}

typedef struct {
    guint written;
} hold_run_t;

static void count_source(const sf_agg_source_t *s, void *user)
{
    (void)s;
    ((hold_run_t *)user)->written++;
}

/* nmap -T0's pace through probation (share-after 4): a new host every
 * 300 s.  Held for the window only (300 s), each probe is alone and the
 * sweeper is never written; held for a day (the longest horizon), it is
 * written from its 4th probe on, with the three held before it. */
static void test_probation_hold(void)
{
    for (guint hold = 0; hold < 2; hold++) {
        sf_probation_t *p = sf_probation_new(1024, 4, 300000, 0);
        sf_agg_t *a = sf_agg_new(1024, 4096, 16);
        hold_run_t r = {0};
        sf_probation_stats_t st;
        char dst[32];

        if (hold)
            sf_probation_set_hold(p, 86400 * 1000);
        for (guint i = 0; i < 10; i++) {
            g_snprintf(dst, sizeof dst, "192.0.2.%u", i + 1);
            sf_flow_t f = test_syn("203.0.113.99", dst, 80);
            sf_agg_add(a, &f, TRUE);
            sf_probation_apply(p, a, 1000000 + (gint64)i * 301000);
            sf_agg_walk(a, count_source, &r);
            sf_agg_reset(a);
        }
        sf_probation_get_stats(p, &st);
        g_assert_cmpuint(r.written, ==, hold ? 7 : 0);
        g_assert_cmpuint(st.promoted, ==, hold ? 1 : 0);
        g_assert_cmpuint(st.recalled, ==, hold ? 3 : 0);
        sf_probation_free(p);
        sf_agg_free(a);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/horizon/parse", test_parse);
    g_test_add_func("/horizon/config", test_config);
    g_test_add_func("/horizon/buckets", test_buckets);
    g_test_add_func("/horizon/keys", test_keys);
    g_test_add_func("/horizon/probation-hold", test_probation_hold);
    return g_test_run();
}
