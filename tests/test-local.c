/*
 * test-local.c - the in-process correlator of `scanflow hunt`
 * (correlate/local.c) on synthetic flows with set times: thresholds on
 * sliding windows of the flow clock, suppression, --allow, networks of
 * sources and their look-alikes, many-to-one, untimed flows, and the
 * memory bounds (--max-sources, --max-elements, expiry), each counted.
 */
#include <glib.h>
#include <stdio.h>
#include "correlate-testlib.h"
#include "local.h"

#define T0 G_GINT64_CONSTANT(1700000000000)   /* flow clock origin, ms */

typedef struct got {
    GPtrArray *kinds;   /* "kind src window_s ports hosts sources" */
    char      *tags;    /* the last alert's, joined by "," */
    gint64     last_time;
    gboolean   ordered;
} got_t;

static void on_alert(const sf_alert_facts_t *f, const char *const *tags,
                     gint64 t, void *user)
{
    got_t *g = user;
    char src[SF_ADDR_STRLEN];

    g_free(g->tags);
    g->tags = g_strjoinv(",", (char **)tags);
    sf_addr_to_string(&f->src, src);
    g_ptr_array_add(g->kinds, g_strdup_printf(
        "%s %s/%u %" G_GINT64_FORMAT " p%" G_GINT64_FORMAT " h%" G_GINT64_FORMAT
        " s%" G_GINT64_FORMAT, sf_alert_kind_name(f->kind), src, f->src_prefix,
        f->window_s, f->distinct_ports, f->distinct_hosts, f->distinct_sources));
    g->ordered &= t >= g->last_time;
    g->last_time = t;
}

typedef struct fx {
    sf_correlate_config_t *cfg;
    sf_local_t *l;
    got_t       got;
} fx_t;

static void fx_init(fx_t *x, const char *args)
{
    memset(x, 0, sizeof *x);
    x->cfg = correlate_test_config("redis://127.0.0.1:1", args);
    x->got.kinds = g_ptr_array_new_with_free_func(g_free);
    x->got.ordered = TRUE;
    x->l = sf_local_new(x->cfg, on_alert, &x->got);
}

static void fx_done(fx_t *x)
{
    sf_local_free(x->l);
    sf_correlate_config_free(x->cfg);
    g_ptr_array_unref(x->got.kinds);
    g_free(x->got.tags);
}

/* A SYN probe at flow time t (ms after T0). */
static void probe(fx_t *x, const char *src, const char *dst, guint16 port,
                  gint64 t)
{
    sf_flow_t f = test_syn(src, dst, port);

    f.start_ms = f.end_ms = T0 + t;
    f.arrival_ms = T0 + t + 1000;
    sf_local_flow(&f, x->l);
}

static const char *alert(const fx_t *x, guint i)
{
    return i < x->got.kinds->len ? g_ptr_array_index(x->got.kinds, i) : "";
}

/* 64 ports in 64 s: one port_scan, with its --tag names; repeats within
 * --suppress nothing. */
static void test_port_scan(void)
{
    fx_t x;

    fx_init(&x, "--tag 203.0.113.0/24=lab --tag 203.0.113.9/32=nine "
                "--tag 192.0.2.0/24=other");
    for (int rep = 0; rep < 3; rep++)
        for (int p = 1; p <= 64; p++)
            probe(&x, "203.0.113.9", "198.18.1.1", (guint16)p,
                  rep * 64000 + p * 1000);
    sf_local_finish(x.l);
    g_assert_cmpuint(x.got.kinds->len, ==, 1);
    g_assert_cmpstr(alert(&x, 0), ==,
                    "port_scan 203.0.113.9/0 300 p64 h1 s0");
    g_assert_cmpstr(x.got.tags, ==, "lab,nine");
    fx_done(&x);
}

/* Without longer horizons, 63 ports in the window never cross 64, however
 * long it goes on: one new port every 6 s is at most 55 in 330 s. */
static void test_window_slides(void)
{
    fx_t x;
    sf_local_stats_t st;

    fx_init(&x, "--horizon off");
    for (int p = 1; p <= 200; p++)
        probe(&x, "203.0.113.9", "198.18.1.1", (guint16)p, p * 6000);
    sf_local_finish(x.l);
    g_assert_cmpuint(x.got.kinds->len, ==, 0);
    /* 100 ports at one every 4 s: 64 fit one window (once: it is over
     * before --suppress, 300 s, is) */
    for (int p = 1; p <= 100; p++)
        probe(&x, "203.0.113.10", "198.18.1.1", (guint16)p,
              2000000 + p * 4000);
    sf_local_finish(x.l);
    g_assert_cmpuint(x.got.kinds->len, ==, 1);
    g_assert_true(g_str_has_prefix(alert(&x, 0), "port_scan 203.0.113.10/0"));
    g_assert_true(x.got.ordered);
    sf_local_get_stats(x.l, &st);
    g_assert_cmpuint(st.entities_expired, >=, 1);   /* .9 left long ago */
    fx_done(&x);
}

/* The default horizons: the slow scan above (a port every 6 s) is a
 * port_scan of the hour (window_s 3600); a fast one that goes on slowly
 * escalates at the hour only with four times the count (256 ports). */
static void test_horizons(void)
{
    fx_t x;

    fx_init(&x, "");
    for (int p = 1; p <= 200; p++)
        probe(&x, "203.0.113.9", "198.18.1.1", (guint16)p, p * 6000);
    sf_local_finish(x.l);
    g_assert_cmpuint(x.got.kinds->len, ==, 1);
    g_assert_cmpstr(alert(&x, 0), ==, "port_scan 203.0.113.9/0 3600 p64 h1 s0");
    for (int p = 1; p <= 64; p++)
        probe(&x, "203.0.113.10", "198.18.1.1", (guint16)p, 2000000 + p * 100);
    for (int p = 65; p <= 300; p++)
        probe(&x, "203.0.113.10", "198.18.1.1", (guint16)p,
              2000000 + p * 10000);
    sf_local_finish(x.l);
    g_assert_cmpuint(x.got.kinds->len, ==, 3);
    g_assert_cmpstr(alert(&x, 1), ==, "port_scan 203.0.113.10/0 300 p64 h1 s0");
    g_assert_cmpstr(alert(&x, 2), ==, "port_scan 203.0.113.10/0 3600 p256 h1 s0");
    fx_done(&x);
}

/* --suppress: the same scan again after it alerts again. */
static void test_suppress(void)
{
    fx_t x;

    fx_init(&x, "--suppress 100");
    for (int rep = 0; rep < 2; rep++)
        for (int p = 1; p <= 64; p++)
            probe(&x, "203.0.113.9", "198.18.1.1", (guint16)p,
                  rep * 200000 + p * 100);
    sf_local_finish(x.l);
    g_assert_cmpuint(x.got.kinds->len, ==, 2);
    fx_done(&x);
}

static void sweep(fx_t *x, const char *src, int hosts, gint64 t)
{
    for (int h = 1; h <= hosts; h++) {
        g_autofree char *dst = g_strdup_printf("198.18.7.%d", h);
        probe(x, src, dst, 22, t + h * 10);
    }
}

/* --allow: a crossing counted, no alert; --home-net: outbound ignored. */
static void test_allow_home(void)
{
    fx_t x;
    sf_local_stats_t st;

    fx_init(&x, "--allow 203.0.113.0/24 --home-net 198.18.0.0/15");
    sweep(&x, "203.0.113.5", 40, 0);
    sweep(&x, "198.18.9.9", 40, 0);     /* from home: not inbound */
    sf_local_finish(x.l);
    sf_local_get_stats(x.l, &st);
    g_assert_cmpuint(x.got.kinds->len, ==, 0);
    g_assert_cmpuint(st.allowed, ==, 1);
    g_assert_cmpuint(st.evidence, ==, 40);
    fx_done(&x);
}

/* 16 sources of one /24, each 40 ports of one host (below 64) and 16
 * hosts of a /24 (below 32): net_port_scan and net_host_sweep of the
 * /24, distributed_port_scan of the host, nothing per member. */
static void test_network(void)
{
    fx_t x;

    fx_init(&x, "--distributed-threshold 64:8");
    for (int m = 0; m < 16; m++) {
        g_autofree char *src = g_strdup_printf("100.66.5.%d", 16 + m);
        for (int p = 0; p < 40; p++)
            probe(&x, src, "198.18.20.10", (guint16)(1 + m * 40 + p),
                  m * 2000 + p * 10);
        for (int h = 0; h < 16; h++) {
            g_autofree char *dst = g_strdup_printf("198.18.21.%d", m * 16 + h);
            probe(&x, src, dst, 443, m * 2000 + 500 + h * 10);
        }
    }
    sf_local_finish(x.l);
    g_assert_cmpuint(x.got.kinds->len, ==, 3);
    for (guint i = 0; i < x.got.kinds->len; i++) {
        const char *a = alert(&x, i);
        g_assert_true(g_str_has_prefix(a, "net_port_scan 100.66.5.0/24 300")
                      || g_str_has_prefix(a, "net_host_sweep 100.66.5.0/24 300")
                      || g_str_has_prefix(a, "distributed_port_scan 198.18.20.10/0"));
    }
    g_assert_true(x.got.ordered);
    fx_done(&x);
}

/* Look-alikes: 64 clients of one /24 (a NAT), each one or two refused
 * connections; a popular server that 60 clients reach on 3 ports. */
static void test_look_alikes(void)
{
    fx_t x;

    fx_init(&x, "--distributed-threshold 64:8");
    for (int c = 0; c < 64; c++) {
        g_autofree char *src = g_strdup_printf("100.70.1.%d", 10 + c);
        g_autofree char *dst = g_strdup_printf("198.18.25.%d", c % 40);
        probe(&x, src, dst, 8443, c * 100);
        if (c % 2)
            probe(&x, src, dst, 8080, c * 100 + 50);
    }
    for (int c = 0; c < 60; c++) {
        g_autofree char *src = g_strdup_printf("100.71.%d.20", c + 1);
        probe(&x, src, "198.18.26.10", (guint16)(c % 3 ? 8080 : 443),
              10000 + c * 100);
    }
    sf_local_finish(x.l);
    g_assert_cmpuint(x.got.kinds->len, ==, 0);
    fx_done(&x);
}

/* Flows with no time before any time is known wait for the first one. */
static void test_untimed(void)
{
    fx_t x;
    sf_local_stats_t st;

    fx_init(&x, "");
    for (int p = 1; p <= 64; p++) {
        sf_flow_t f = test_syn("203.0.113.9", "198.18.1.1", (guint16)p);
        f.fields &= ~(guint32)SF_HAS_TIMES;
        f.arrival_ms = 0;
        sf_local_flow(&f, x.l);
    }
    sf_local_finish(x.l);
    g_assert_cmpuint(x.got.kinds->len, ==, 0);
    probe(&x, "192.0.2.1", "198.18.1.1", 80, 0);
    sf_local_finish(x.l);
    sf_local_get_stats(x.l, &st);
    g_assert_cmpuint(st.untimed, ==, 64);
    g_assert_cmpuint(x.got.kinds->len, ==, 1);
    fx_done(&x);
}

/* --max-sources and --max-elements bound memory; what they cut is
 * counted, and a scan that fits is still found. */
static void test_bounds(void)
{
    fx_t x;
    sf_local_stats_t st;

    fx_init(&x, "--max-sources 16 --max-elements 200");
    for (int s = 0; s < 100; s++) {
        g_autofree char *src = g_strdup_printf("203.0.113.%d", s);
        probe(&x, src, "198.18.1.1", 80, s);
    }
    for (int p = 1; p <= 300; p++)
        probe(&x, "192.0.2.1", "198.18.1.1", (guint16)p, 1000 + p);
    sf_local_finish(x.l);
    sf_local_get_stats(x.l, &st);
    g_assert_cmpuint(st.entities_evicted, >=, 80);
    g_assert_cmpuint(st.entities_peak, <=, 17);
    g_assert_cmpuint(st.elements_peak, <=, 200);
    g_assert_cmpuint(st.elements_dropped, >, 0);
    g_assert_cmpuint(x.got.kinds->len, ==, 1);
    g_assert_true(g_str_has_prefix(alert(&x, 0), "port_scan 192.0.2.1/0"));
    fx_done(&x);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/local/port-scan", test_port_scan);
    g_test_add_func("/local/window-slides", test_window_slides);
    g_test_add_func("/local/horizons", test_horizons);
    g_test_add_func("/local/suppress", test_suppress);
    g_test_add_func("/local/allow-home", test_allow_home);
    g_test_add_func("/local/network", test_network);
    g_test_add_func("/local/look-alikes", test_look_alikes);
    g_test_add_func("/local/untimed", test_untimed);
    g_test_add_func("/local/bounds", test_bounds);
    return g_test_run();
}
