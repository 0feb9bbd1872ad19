/*
 * correlate-testlib.h - building synthetic flows and configurations for the
 * correlator tests.
 */
#ifndef SF_CORRELATE_TESTLIB_H
#define SF_CORRELATE_TESTLIB_H

#include <glib.h>
#include <string.h>
#include "flow.h"
#include "config.h"

enum { T_FIN = 0x01, T_SYN = 0x02, T_RST = 0x04, T_PSH = 0x08,
       T_ACK = 0x10 };

/* A TCP flow as softflowd would export it. */
static inline sf_flow_t test_flow(const char *src, guint16 sport,
                                  const char *dst, guint16 dport,
                                  guint8 proto, guint16 flags,
                                  guint64 packets, guint64 bytes)
{
    sf_flow_t f;

    memset(&f, 0, sizeof f);
    g_assert_true(sf_addr_parse(src, &f.src));
    g_assert_true(sf_addr_parse(dst, &f.dst));
    g_assert_true(sf_addr_parse("192.0.2.254", &f.exporter));
    f.src_port = sport;
    f.dst_port = dport;
    f.proto = proto;
    f.tcp_flags = flags;
    f.packets = packets;
    f.bytes = bytes;
    f.is_v4 = sf_addr_is_v4(&f.src);
    f.arrival_ms = g_get_real_time() / 1000;
    f.start_ms = f.arrival_ms - 1000;
    f.end_ms = f.arrival_ms - 500;
    f.version = 10;
    f.sampling_interval = 1;
    f.fields = SF_HAS_ADDRS | SF_HAS_PROTO | SF_HAS_PORTS | SF_HAS_PACKETS
             | SF_HAS_BYTES | SF_HAS_TIMES
             | (proto == 6 ? SF_HAS_TCP_FLAGS : 0);
    return f;
}

/* A SYN probe (SYN, RST) from src to dst:port. */
static inline sf_flow_t test_syn(const char *src, const char *dst,
                                 guint16 port)
{
    return test_flow(src, 40000, dst, port, 6, T_SYN | T_RST, 2, 84);
}

/* A correlator configuration from command-line options, against the test's
 * redis-server; a bad option fails the test. */
static inline sf_correlate_config_t *
correlate_test_config(const char *redis_url, const char *args)
{
    g_autofree char *line = g_strdup_printf("t --redis %s %s", redis_url,
                                            args);
    g_auto(GStrv) argv = g_strsplit(line, " ", -1);
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) err = NULL;
    sf_correlate_config_t *cfg = sf_correlate_config_new();

    g_option_context_add_group(ctx, sf_correlate_option_group(cfg));
    g_option_context_parse_strv(ctx, &argv, &err);
    g_assert_no_error(err);
    sf_correlate_config_finish(cfg, &err);
    g_assert_no_error(err);
    return cfg;
}

#endif
