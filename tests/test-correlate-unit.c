/*
 * test-correlate-unit.c - the correlator's pieces without Redis: the
 * evidence filter (probes count, replies and conversations never do),
 * prefixes, option validation, and the local aggregate's caps.
 */
#include <glib.h>
#include <string.h>

#include "aggregate.h"
#include "cidr.h"
#include "config.h"
#include "correlate-testlib.h"
#include "evidence.h"
#include "exact.h"
#include "keys.h"
#include "probation.h"
#include "redisurl.h"
#include "sflow.h"
#include "targets.h"

static sf_evidence_t ev(sf_flow_t f)
{
    return sf_evidence_classify(&f);
}

static void test_tcp_probes(void)
{
    /* nmap -sS against a closed port: SYN alone; open port: SYN then RST */
    g_assert_cmpint(ev(test_flow("203.0.113.1", 40000, "192.0.2.1", 22, 6,
                                 T_SYN, 1, 44)), ==, SF_EVIDENCE_TCP_PROBE);
    g_assert_cmpint(ev(test_flow("203.0.113.1", 40000, "192.0.2.1", 22, 6,
                                 T_SYN | T_RST, 2, 84)), ==,
                    SF_EVIDENCE_TCP_PROBE);
    /* SYN retransmitted to a filtered port */
    g_assert_cmpint(ev(test_flow("203.0.113.1", 40000, "192.0.2.1", 22, 6,
                                 T_SYN, 3, 180)), ==, SF_EVIDENCE_TCP_PROBE);
    /* connect() scan of an open port: SYN, ACK, RST, no data */
    g_assert_cmpint(ev(test_flow("203.0.113.1", 40000, "192.0.2.1", 22, 6,
                                 T_SYN | T_ACK | T_RST, 3, 152)), ==,
                    SF_EVIDENCE_TCP_PROBE);
    /* FIN and Xmas scans */
    g_assert_cmpint(ev(test_flow("203.0.113.1", 40000, "192.0.2.1", 22, 6,
                                 T_FIN, 1, 40)), ==, SF_EVIDENCE_TCP_STEALTH);
    g_assert_cmpint(ev(test_flow("203.0.113.1", 40000, "192.0.2.1", 22, 6,
                                 T_FIN | T_PSH | 0x20, 1, 40)), ==,
                    SF_EVIDENCE_TCP_STEALTH);
    /* IPv6 SYN probe: 60 bytes of headers plus options */
    g_assert_cmpint(ev(test_flow("2001:db8::1", 40000, "2001:db8:1::5", 80,
                                 6, T_SYN, 1, 80)), ==,
                    SF_EVIDENCE_TCP_PROBE);
}

static void test_tcp_not_probes(void)
{
    /* a web client fetching a page: full conversation */
    g_assert_cmpint(ev(test_flow("198.51.100.7", 51000, "192.0.2.80", 443, 6,
                                 T_SYN | T_ACK | T_PSH | T_FIN, 12, 3400)),
                    ==, SF_EVIDENCE_NONE);
    /* the server's half: SYN-ACK, data, FIN, from 443 to an ephemeral port */
    g_assert_cmpint(ev(test_flow("192.0.2.80", 443, "198.51.100.7", 51000, 6,
                                 T_SYN | T_ACK | T_PSH | T_FIN, 20, 24000)),
                    ==, SF_EVIDENCE_NONE);
    /* the target's reply to a SYN probe: SYN-ACK, or RST-ACK */
    g_assert_cmpint(ev(test_flow("192.0.2.1", 22, "203.0.113.1", 40000, 6,
                                 T_SYN | T_ACK, 1, 44)), ==,
                    SF_EVIDENCE_NONE);
    g_assert_cmpint(ev(test_flow("192.0.2.1", 23, "203.0.113.1", 40000, 6,
                                 T_RST | T_ACK, 1, 40)), ==,
                    SF_EVIDENCE_NONE);
    /* RST alone: reply to an ACK probe */
    g_assert_cmpint(ev(test_flow("192.0.2.1", 23, "203.0.113.1", 40000, 6,
                                 T_RST, 1, 40)), ==, SF_EVIDENCE_NONE);
    /* trailing ACK exported as a flow of its own after FIN expiry */
    g_assert_cmpint(ev(test_flow("192.0.2.80", 443, "198.51.100.7", 51000, 6,
                                 T_ACK, 1, 40)), ==, SF_EVIDENCE_NONE);
    /* SYN carrying data (TCP Fast Open): not header-sized */
    g_assert_cmpint(ev(test_flow("198.51.100.7", 51000, "192.0.2.80", 443, 6,
                                 T_SYN, 1, 600)), ==, SF_EVIDENCE_NONE);
    /* flags unknown (0): cannot tell */
    g_assert_cmpint(ev(test_flow("203.0.113.1", 40000, "192.0.2.1", 22, 6,
                                 0, 1, 40)), ==, SF_EVIDENCE_NONE);
    /* a biflow's halves are judged on their own flags: softflowd -b puts
     * the lower address first, so a scanner's SYN may be the reverse half,
     * and the responder's RST+ACK half is a reply either way */
    sf_flow_t f = test_syn("203.0.113.1", "192.0.2.1", 22);
    f.reverse = true;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_TCP_PROBE);
    f = test_flow("192.0.2.1", 22, "203.0.113.1", 40000, 6, T_RST | T_ACK, 1, 40);
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_NONE);
}

/* nmap -sn -PA as root: a header-sized ACK to a service port is a probe
 * that counts toward host sweeps, not port scans; a trailing ACK to a
 * client's ephemeral port, an ACK with data, or from a service port is not. */
static void test_tcp_ack_probes(void)
{
    sf_flow_t f = test_flow("203.0.113.1", 58821, "192.0.2.1", 80, 6, T_ACK,
                            1, 40);

    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_TCP_ACK_PROBE);
    g_assert_false(sf_evidence_has_port(&f));
    f = test_flow("2001:db8::1", 58821, "2001:db8:1::5", 443, 6, T_ACK, 2, 120);
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_TCP_ACK_PROBE);
    /* trailing ACK of a closed connection, server to client */
    g_assert_cmpint(ev(test_flow("192.0.2.80", 443, "198.51.100.7", 51000, 6,
                                 T_ACK, 1, 40)), ==, SF_EVIDENCE_NONE);
    /* ACK to an ephemeral port (an ACK scan of high ports: not counted) */
    g_assert_cmpint(ev(test_flow("203.0.113.1", 58821, "192.0.2.1", 8080, 6,
                                 T_ACK, 1, 40)), ==, SF_EVIDENCE_NONE);
    /* data, or PSH: part of a conversation */
    g_assert_cmpint(ev(test_flow("203.0.113.1", 58821, "192.0.2.1", 80, 6,
                                 T_ACK, 1, 1500)), ==, SF_EVIDENCE_NONE);
    g_assert_cmpint(ev(test_flow("203.0.113.1", 58821, "192.0.2.1", 80, 6,
                                 T_ACK | T_PSH, 1, 60)), ==, SF_EVIDENCE_NONE);
    /* many ACKs: an idle connection's keepalives, not a ping */
    g_assert_cmpint(ev(test_flow("203.0.113.1", 58821, "192.0.2.1", 80, 6,
                                 T_ACK, 5, 200)), ==, SF_EVIDENCE_NONE);
    /* from a service port (two servers' ACK) */
    g_assert_cmpint(ev(test_flow("203.0.113.1", 179, "192.0.2.1", 179, 6,
                                 T_ACK, 1, 40)), ==, SF_EVIDENCE_NONE);
    /* a packet sample (sFlow) or a sampled flow: maybe one ACK of a
     * conversation */
    f = test_flow("203.0.113.1", 58821, "192.0.2.1", 80, 6, T_ACK, 1, 40);
    f.version = SF_VERSION_SFLOW;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_NONE);
    f = test_flow("203.0.113.1", 58821, "192.0.2.1", 80, 6, T_ACK, 1, 40);
    f.sampling_interval = 10;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_NONE);
    /* a SYN probe still counts its port */
    f = test_syn("203.0.113.1", "192.0.2.1", 22);
    g_assert_true(sf_evidence_has_port(&f));
}

/* Alert counts agree with the flows, each other and the address space. */
static void test_exact_settle(void)
{
    sf_alert_facts_t f;

    memset(&f, 0, sizeof f);
    g_assert_true(sf_addr_parse("203.0.113.1", &f.src));
    f.flows = 1024;
    f.distinct_ports = 1025;
    f.distinct_hosts = 1;
    f.distinct_nets24 = 1;
    f.hosts_in_top_net24 = 1;
    sf_exact_settle(&f);
    g_assert_cmpint(f.distinct_ports, ==, 1024);
    /* a /24 sweep the HLL counts as 257 hosts, 259 destinations */
    f.flows = 300;
    f.distinct_ports = 1;
    f.hosts_in_top_net24 = 257;
    f.distinct_hosts = 259;
    sf_exact_settle(&f);
    g_assert_cmpint(f.hosts_in_top_net24, ==, 256);
    g_assert_cmpint(f.distinct_hosts, ==, 259);
    /* hosts below the top net's, nets above the hosts */
    f.hosts_in_top_net24 = 40;
    f.distinct_hosts = 39;
    f.distinct_nets24 = 45;
    sf_exact_settle(&f);
    g_assert_cmpint(f.distinct_hosts, ==, 40);
    g_assert_cmpint(f.distinct_nets24, ==, 40);
    /* more hosts than 256 per net allows: at least hosts / 256 nets */
    f.flows = 70000;
    f.distinct_hosts = 1000;
    f.distinct_nets24 = 2;
    f.distinct_ports = 70000;
    sf_exact_settle(&f);
    g_assert_cmpint(f.distinct_nets24, ==, 4);
    g_assert_cmpint(f.distinct_ports, ==, 65536);
    /* IPv6: a /64 holds more than 256 hosts */
    g_assert_true(sf_addr_parse("2001:db8::1", &f.src));
    f.hosts_in_top_net24 = 300;
    f.distinct_hosts = 300;
    f.distinct_nets24 = 1;
    sf_exact_settle(&f);
    g_assert_cmpint(f.hosts_in_top_net24, ==, 300);
    g_assert_cmpint(f.distinct_nets24, ==, 1);
    g_assert_cmpint(sf_exact_net_hosts(257, 3), ==, 256);
    g_assert_cmpint(sf_exact_net_hosts(300, 8), ==, 300);
}

static void test_firewall(void)
{
    /* Cisco ASA NSEL deny: no TCP flags, no packet counts */
    sf_flow_t f = test_flow("203.0.113.1", 40000, "192.0.2.1", 445, 6, 0, 0,
                            0);
    f.fields = SF_HAS_ADDRS | SF_HAS_PROTO | SF_HAS_PORTS | SF_HAS_FW_EVENT;
    f.fw_event = SF_FW_DENIED;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_FW_DENY);
    /* a denied reply (from a service port to an ephemeral one) */
    f = test_flow("192.0.2.1", 445, "203.0.113.1", 40000, 6, 0, 0, 0);
    f.fields = SF_HAS_ADDRS | SF_HAS_PROTO | SF_HAS_PORTS | SF_HAS_FW_EVENT;
    f.fw_event = SF_FW_DENIED;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_NONE);
    /* flow created (not denied): not evidence without flags */
    f.fw_event = SF_FW_CREATED;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_NONE);
    /* forwarding status dropped (IE 89), a SYN */
    f = test_flow("203.0.113.1", 40000, "192.0.2.1", 3389, 6, T_SYN, 1, 44);
    f.fields |= SF_HAS_FWD_STATUS;
    f.fwd_status = 2;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_FW_DENY);
    /* a dropped SYN-ACK is a reply */
    f.tcp_flags = T_SYN | T_ACK;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_NONE);
    /* a denied GRE packet */
    f = test_flow("203.0.113.1", 0, "192.0.2.1", 0, 47, 0, 1, 60);
    f.fields |= SF_HAS_FW_EVENT;
    f.fw_event = SF_FW_DENIED;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_FW_DENY);
}

static void test_icmp_udp(void)
{
    /* echo request, type in the destination port field (v5 style) */
    sf_flow_t f = test_flow("203.0.113.1", 0, "192.0.2.1", 8 << 8, 1, 0, 1,
                            84);
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_ICMP_REQUEST);
    /* echo reply and port unreachable: replies */
    f.dst_port = 0;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_NONE);
    f.dst_port = 3 << 8 | 3;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_NONE);
    /* timestamp request from IE 32 */
    f.fields |= SF_HAS_ICMP;
    f.icmp_type_code = 13 << 8;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_ICMP_REQUEST);
    /* ICMPv6 echo request and reply */
    f = test_flow("2001:db8::1", 0, "2001:db8:1::5", 128 << 8, 58, 0, 1, 104);
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_ICMP_REQUEST);
    f.dst_port = 129 << 8;
    g_assert_cmpint(ev(f), ==, SF_EVIDENCE_NONE);
    /* UDP probe to a port; a DNS answer to a client; a conversation */
    g_assert_cmpint(ev(test_flow("203.0.113.1", 53211, "192.0.2.1", 161, 17,
                                 0, 1, 68)), ==, SF_EVIDENCE_UDP_PROBE);
    g_assert_cmpint(ev(test_flow("192.0.2.53", 53, "198.51.100.7", 53211, 17,
                                 0, 1, 120)), ==, SF_EVIDENCE_NONE);
    g_assert_cmpint(ev(test_flow("198.51.100.7", 50000, "192.0.2.9", 443, 17,
                                 0, 40, 30000)), ==, SF_EVIDENCE_NONE);
    g_assert_true(sf_evidence_has_port(&f) == FALSE);
}

static void test_cidr(void)
{
    sf_cidr_t c;
    sf_addr_t a;
    g_autoptr(GError) err = NULL;

    g_assert_true(sf_cidr_parse("192.0.2.0/24", &c, NULL));
    g_assert_true(sf_addr_parse("192.0.2.77", &a));
    g_assert_true(sf_cidr_contains(&c, &a));
    g_assert_true(sf_addr_parse("192.0.3.1", &a));
    g_assert_false(sf_cidr_contains(&c, &a));
    g_assert_true(sf_addr_parse("2001:db8::1", &a));
    g_assert_false(sf_cidr_contains(&c, &a));
    g_assert_true(sf_cidr_parse("2001:db8::/32", &c, NULL));
    g_assert_true(sf_cidr_contains(&c, &a));
    g_assert_true(sf_cidr_parse("0.0.0.0/0", &c, NULL));
    g_assert_false(sf_cidr_contains(&c, &a));
    /* prefixes ending inside a byte and on either side of bit 64 */
    static const struct { const char *net, *in, *out; } edges[] = {
        {"198.18.0.0/15", "198.19.255.255", "198.20.0.0"},
        {"10.0.0.128/25", "10.0.0.255", "10.0.0.127"},
        {"192.0.2.7/32", "192.0.2.7", "192.0.2.6"},
        {"2001:db8::/63", "2001:db8:0:1::1", "2001:db8:0:2::"},
        {"2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff", "2001:db8:0:1::"},
        {"2001:db8::8000:0:0:0/65", "2001:db8::ffff:0:0:1", "2001:db8::7fff:0:0:0"},
        {"2001:db8::1/128", "2001:db8::1", "2001:db8::3"},
        {"::/0", "2001:db8::1", NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS(edges); i++) {
        g_assert_true(sf_cidr_parse(edges[i].net, &c, NULL));
        g_assert_true(sf_addr_parse(edges[i].in, &a));
        g_assert_true(sf_cidr_contains(&c, &a));
        if (edges[i].out) {
            g_assert_true(sf_addr_parse(edges[i].out, &a));
            g_assert_false(sf_cidr_contains(&c, &a));
        }
    }
    g_assert_false(sf_cidr_parse("10.0.0.1/8", &c, &err));
    g_assert_nonnull(strstr(err->message, "10.0.0.1/8"));
    g_assert_false(sf_cidr_parse("10.0.0.0/33", &c, NULL));
    g_assert_false(sf_cidr_parse("example.com/8", &c, NULL));
}

/* Parses argv through the option group, then finishes. */
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

static void test_config(void)
{
    sf_correlate_config_t *cfg;
    g_autoptr(GError) err = NULL;

    g_assert_true(parse("--window 60 --home-net 192.0.2.0/24 --home-net "
                        "2001:db8::/32 --allow 198.51.100.0/24 --tag "
                        "203.0.113.0/24=censys --redis "
                        "redis://u:secret@127.0.0.1:6380/2", &cfg, &err));
    g_assert_cmpint(cfg->home_nets->len, ==, 2);
    g_assert_cmpint(cfg->bucket_s, ==, 6);
    g_assert_cmpint(cfg->suppress_s, ==, 60);
    g_assert_cmpstr(g_array_index(cfg->tags, sf_tag_t, 0).name, ==, "censys");
    /* the password never appears in the printable form */
    g_assert_null(strstr(sf_redis_target_describe(cfg->redis), "secret"));
    g_assert_cmpstr(sf_redis_target_describe(cfg->redis), ==,
                    "redis://u:***@127.0.0.1:6380/2");
    sf_correlate_config_free(cfg);
    /* a password holding '@' ends at the last '@' (as redis-py reads it;
     * GLib's g_uri_split would take "ss@[::1]" for the host) */
    g_assert_true(parse("--redis redis://u:p@ss@[::1]:6380/2", &cfg, &err));
    g_assert_cmpstr(sf_redis_target_describe(cfg->redis), ==,
                    "redis://u:***@[::1]:6380/2");
    sf_correlate_config_free(cfg);

    g_assert_false(parse("--home-net 192.0.2.0/33", &cfg, &err));
    g_assert_nonnull(strstr(err->message, "--home-net 192.0.2.0/33"));
    sf_correlate_config_free(cfg);
    g_clear_error(&err);
    g_assert_false(parse("--redis http://x:hunter2@host/", &cfg, &err));
    g_assert_nonnull(strstr(err->message, "--redis"));
    g_assert_null(strstr(err->message, "hunter2"));
    sf_correlate_config_free(cfg);
    g_clear_error(&err);
    g_assert_false(parse("--tag 10.0.0.0/8", &cfg, &err));
    g_assert_nonnull(strstr(err->message, "--tag 10.0.0.0/8"));
    sf_correlate_config_free(cfg);
    g_clear_error(&err);
    g_assert_false(parse("--port-threshold 0", &cfg, &err));
    sf_correlate_config_free(cfg);
    g_clear_error(&err);

    g_setenv("SCANFLOW_REDIS_PASSWORD", "fromenv", TRUE);
    g_assert_true(parse("--redis unix:///run/redis.sock?db=3", &cfg, &err));
    g_assert_cmpstr(sf_redis_target_describe(cfg->redis), ==,
                    "unix:///run/redis.sock?db=3");
    sf_correlate_config_free(cfg);
    g_unsetenv("SCANFLOW_REDIS_PASSWORD");
}

typedef struct seen {
    guint sources, ports, nets, hosts, addrs;
} seen_t;

static void count_source(const sf_agg_source_t *s, void *user)
{
    seen_t *n = user;

    n->sources++;
    n->ports += s->n_ports;
    n->nets += s->n_nets;
    n->addrs += s->n_addrs;
    for (guint i = 0; i < s->n_nets_tracked; i++)
        n->hosts += s->nets[i].n_hosts;
}

static void test_aggregate_dedup(void)
{
    sf_agg_t *a = sf_agg_new(64, 1024, 4);
    seen_t n = {0};
    guint64 evicted = 0, dropped = 0;
    char dst[32];

    /* 10 ports x 2 repeats on 6 nets of 3 hosts: nets over the cap of 4
     * are counted but their hosts are not tracked */
    for (int rep = 0; rep < 2; rep++)
        for (int net = 0; net < 6; net++)
            for (int h = 1; h <= 3; h++)
                for (int p = 1; p <= 10; p++) {
                    g_snprintf(dst, sizeof dst, "10.0.%d.%d", net, h);
                    sf_flow_t f = test_syn("203.0.113.9", dst, (guint16)p);
                    sf_agg_add(a, &f, TRUE);
                }
    sf_agg_walk(a, count_source, &n);
    g_assert_cmpuint(n.sources, ==, 1);
    g_assert_cmpuint(n.ports, ==, 10);
    g_assert_cmpuint(n.nets, ==, 6);
    g_assert_cmpuint(n.hosts, ==, 4 * 3);
    g_assert_cmpuint(n.addrs, ==, 18);
    sf_agg_take_counters(a, &evicted, &dropped);
    g_assert_cmpuint(evicted, ==, 0);
    /* a drop per flow into the untracked nets whose destination is not
     * the previous flow's (its ports go to one host in a row) */
    g_assert_cmpuint(dropped, ==, 2 * 2 * 3);
    sf_agg_reset(a);
    g_assert_true(sf_agg_is_empty(a));
    sf_agg_free(a);
}

/* The element index starts small and grows with the pool: across its
 * growth, elements stay exact (found again, not added twice), and the
 * next interval, started at the size the last one needed, too. */
static void test_aggregate_index_growth(void)
{
    sf_agg_t *a = sf_agg_new(64, 65536, 4);

    for (int round = 0; round < 3; round++) {
        seen_t n = {0};
        guint64 evicted = 0, dropped = 0;
        guint ports = round == 1 ? 300 : 20000;
        char dst[32];

        /* every port twice, the second time in another order, to one host
         * and to a host of a second net */
        for (int rep = 0; rep < 2; rep++)
            for (guint i = 0; i < ports; i++) {
                guint p = rep ? ports - i : i + 1;
                g_snprintf(dst, sizeof dst, "10.0.%u.%u", p % 2, 1 + p % 2);
                sf_flow_t f = test_syn("203.0.113.9", dst, (guint16)p);
                sf_agg_add(a, &f, TRUE);
            }
        sf_agg_walk(a, count_source, &n);
        g_assert_cmpuint(n.sources, ==, 1);
        g_assert_cmpuint(n.ports, ==, ports);
        g_assert_cmpuint(n.nets, ==, 2);
        g_assert_cmpuint(n.addrs, ==, 2);
        sf_agg_take_counters(a, &evicted, &dropped);
        g_assert_cmpuint(dropped, ==, 0);
        sf_agg_reset(a);
    }
    sf_agg_free(a);
}

typedef struct addr_seen {
    GHashTable *addrs;      /* text -> 1 */
    guint       ports, hosts, tracked;
} addr_seen_t;

static void collect_addrs(const sf_agg_source_t *s, void *user)
{
    addr_seen_t *n = user;
    char text[SF_ADDR_STRLEN];

    for (guint i = 0; i < s->n_addrs; i++)
        g_hash_table_add(n->addrs,
                         g_strdup(sf_addr_to_string(&s->addrs[i], text)));
    n->ports += s->n_ports;
    n->tracked += s->n_nets_tracked;
    for (guint i = 0; i < s->n_nets_tracked; i++)
        n->hosts += s->nets[i].n_hosts;
}

static void test_aggregate_addrs(void)
{
    /* destination addresses are rebuilt from (net, host): exact for IPv6
     * and for nets over the cap (2 here); repeats of the last flow add
     * nothing */
    static const char *const dsts[] = {
        "2001:db8:0:1::5", "2001:db8:0:1::6", "2001:db8:0:2::5",
        "2001:db8:0:3:1:2:3:4", "2001:db8:0:1::5",
    };
    static const char *const dsts4[] = {
        "10.0.1.5", "10.0.2.5", "10.0.3.5", "10.0.3.6", "10.0.1.5",
    };
    sf_agg_t *a = sf_agg_new(64, 1024, 2);
    addr_seen_t n = {g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           NULL), 0, 0, 0};

    for (guint i = 0; i < G_N_ELEMENTS(dsts); i++)
        for (int rep = 0; rep < 3; rep++) {
            sf_flow_t f = test_syn("2001:db8:ffff::1", dsts[i], 22);
            sf_flow_t g = test_syn("203.0.113.9", dsts4[i], (guint16)(80 + i));
            sf_agg_add(a, &f, TRUE);
            sf_agg_add(a, &g, TRUE);
        }
    sf_agg_walk(a, collect_addrs, &n);
    g_assert_cmpuint(g_hash_table_size(n.addrs), ==, 4 + 4);
    for (guint i = 0; i + 1 < G_N_ELEMENTS(dsts); i++) {
        g_assert_true(g_hash_table_contains(n.addrs, dsts[i]));
        g_assert_true(g_hash_table_contains(n.addrs, dsts4[i]));
    }
    g_assert_cmpuint(n.ports, ==, 1 + 5);
    g_assert_cmpuint(n.tracked, ==, 2 + 2);
    /* v6: nets 1 (::5, ::6) and 2 or 3 tracked; v4: 2 of its 3 nets */
    g_assert_cmpuint(n.hosts, >=, 2 + 2);
    g_hash_table_unref(n.addrs);
    sf_agg_free(a);
}

/* Per source: its distinct ports and destinations, as filed. */
typedef struct repeat_model {
    GHashTable *ports[16], *addrs[16];     /* by source index */
    gboolean    ok;
} repeat_model_t;

static void check_repeats(const sf_agg_source_t *s, void *user)
{
    repeat_model_t *m = user;
    guint i = s->src.b[15];
    char text[SF_ADDR_STRLEN];

    g_assert_cmpuint(i, <, 16);
    g_assert_cmpuint(s->n_ports, ==, g_hash_table_size(m->ports[i]));
    g_assert_cmpuint(s->n_addrs, ==, g_hash_table_size(m->addrs[i]));
    for (guint k = 0; k < s->n_ports; k++)
        g_assert_true(g_hash_table_contains(m->ports[i],
                                            GUINT_TO_POINTER(s->ports[k])));
    for (guint k = 0; k < s->n_addrs; k++)
        g_assert_true(g_hash_table_contains(
            m->addrs[i], sf_addr_to_string(&s->addrs[k], text)));
    m->ok = TRUE;
}

static gboolean take_odd(const sf_agg_source_t *s, void *user)
{
    (void)user;
    return s->src.b[15] % 2 == 1;
}

/* Repeated probes in random order (a looping scanner's): every port and
 * destination once per source, whatever is repeated, across intervals
 * (the same elements again after a reset) and across a source taken out
 * by the filter that starts afresh (its earlier elements never count). */
static void test_aggregate_repeats(void)
{
    sf_agg_t *a = sf_agg_new(64, 65536, 4);
    GRand *r = g_rand_new_with_seed(7);
    repeat_model_t m = {{0}, {0}, FALSE};

    for (int round = 0; round < 3; round++) {
        for (guint i = 0; i < 16; i++) {
            m.ports[i] = g_hash_table_new(NULL, NULL);
            m.addrs[i] = g_hash_table_new_full(g_str_hash, g_str_equal,
                                               g_free, NULL);
        }
        for (int k = 0; k < 40000; k++) {
            guint i = (guint)g_rand_int_range(r, 0, 16);
            guint16 port = (guint16)(1 + g_rand_int_range(r, 0, 5 + 20 * (gint)i));
            guint host = (guint)g_rand_int_range(r, 0, 2 + 40 * (gint)i);
            char src[32], dst[32];

            if (round == 2 && k == 20000) {
                sf_agg_filter(a, take_odd, NULL, NULL);
                for (guint j = 1; j < 16; j += 2) {
                    g_hash_table_remove_all(m.ports[j]);
                    g_hash_table_remove_all(m.addrs[j]);
                }
            }
            g_snprintf(src, sizeof src, "203.0.113.%u", i);
            g_snprintf(dst, sizeof dst, "10.%u.%u.%u", round, host / 256,
                       host % 256);
            sf_flow_t f = test_syn(src, dst, port);
            sf_agg_add(a, &f, TRUE);
            g_hash_table_add(m.ports[i], GUINT_TO_POINTER(port));
            g_hash_table_add(m.addrs[i], g_strdup(dst));
        }
        m.ok = FALSE;
        sf_agg_walk(a, check_repeats, &m);
        g_assert_true(m.ok);
        guint64 evicted = 0, dropped = 0;
        sf_agg_take_counters(a, &evicted, &dropped);
        g_assert_cmpuint(evicted, ==, 0);
        g_assert_cmpuint(dropped, ==, 0);
        sf_agg_reset(a);
        for (guint i = 0; i < 16; i++) {
            g_hash_table_unref(m.ports[i]);
            g_hash_table_unref(m.addrs[i]);
        }
    }
    g_rand_free(r);
    sf_agg_free(a);
}

static void count_one(const sf_agg_source_t *s, void *user);

static void test_aggregate_flood(void)
{
    /* 100,000 one-flow spoofed sources against a 64-slot table while one
     * scanner keeps probing: the scanner survives with every port,
     * evictions are counted, and one-flow sources (kept inline in their
     * slots) never take pool entries from it */
    sf_agg_t *a = sf_agg_new(64, 4096, 16);
    seen_t n = {0};
    guint64 evicted = 0, dropped = 0;
    char src[32];
    guint scanner_ports = 0;

    for (guint i = 0; i < 100000; i++) {
        g_snprintf(src, sizeof src, "100.%u.%u.%u", (i >> 16) & 255,
                   (i >> 8) & 255, i & 255);
        sf_flow_t f = test_syn(src, "192.0.2.1", 22);
        sf_agg_add(a, &f, TRUE);
        if (i % 100 == 0) {
            sf_flow_t s = test_syn("203.0.113.66", "192.0.2.1",
                                   (guint16)(1 + i / 100));
            sf_agg_add(a, &s, TRUE);
        }
    }
    sf_agg_take_counters(a, &evicted, &dropped);
    g_assert_cmpuint(evicted, >, 90000);
    g_assert_cmpuint(dropped, ==, 0);       /* element pool is 4096 */
    g_assert_cmpuint(sf_agg_source_count(a), <=, 128);
    sf_agg_walk(a, count_one, &scanner_ports);
    /* while it has as few flows as the flood, the scanner can be evicted
     * too (counted): a few of its first probes at most */
    g_assert_cmpuint(scanner_ports, >=, 990);
    sf_agg_walk(a, count_source, &n);
    g_assert_cmpuint(n.sources, <=, 128);
    sf_agg_free(a);
}

static void count_one(const sf_agg_source_t *s, void *user)
{
    sf_addr_t scanner;

    g_assert_true(sf_addr_parse("203.0.113.66", &scanner));
    if (memcmp(s->src.b, scanner.b, 16) == 0)
        *(guint *)user += s->n_ports;
}

typedef struct probe_run {
    sf_probation_t *p;
    sf_agg_t       *a;
    guint           scanner_ports, sweeper_hosts, written;
} probe_run_t;

static void count_written(const sf_agg_source_t *s, void *user)
{
    probe_run_t *r = user;
    sf_addr_t scanner, sweeper;

    g_assert_true(sf_addr_parse("203.0.113.67", &scanner));
    g_assert_true(sf_addr_parse("2001:db8:66::1", &sweeper));
    r->written++;
    if (memcmp(s->src.b, scanner.b, 16) == 0)
        r->scanner_ports += s->n_ports;
    if (memcmp(s->src.b, sweeper.b, 16) == 0)
        r->sweeper_hosts += s->n_addrs;
}

static void count_flows(const sf_agg_source_t *s, void *user)
{
    *(guint *)user += s->flows;
}

static void probation_flush(probe_run_t *r, gint64 now)
{
    sf_probation_apply(r->p, r->a, now);
    sf_agg_walk(r->a, count_written, r);
    sf_agg_reset(r->a);
}

/* The key names (keys.c) spelled out: they are the contract with Redis
 * and with `scanflow top`, and must not change by accident. */
static void test_keys(void)
{
    static const guint8 net4[3] = {192, 0, 2};
    static const guint8 net6[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1};
    char sk[SF_KEY_SOURCE_LEN], key[SF_KEY_LEN], dim[SF_KEY_NET_LEN + 3];
    char a[SF_ADDR_STRLEN], b[SF_ADDR_STRLEN];
    sf_addr_t src;

    g_assert_true(sf_addr_parse("203.0.113.7", &src));
    g_assert_cmpstr(sf_key_source(sk, &src), ==, "sf:{203.0.113.7}:");
    g_assert_cmpstr(sf_key_bucket(key, sk, SF_KEY_PORTS, 56666666), ==,
                    "sf:{203.0.113.7}:p:56666666");
    g_assert_cmpstr(sf_key_bucket(key, sk, SF_KEY_FLOWS, -3), ==,
                    "sf:{203.0.113.7}:f:0");
    g_assert_cmpstr(sf_key_of(key, sk, SF_KEY_META), ==,
                    "sf:{203.0.113.7}:m");
    g_assert_cmpstr(sf_key_of(key, sk, SF_KEY_COUNTS), ==,
                    "sf:{203.0.113.7}:c");
    g_assert_cmpstr(sf_key_claim(key, sk, "host_sweep"), ==,
                    "sf:{203.0.113.7}:a:host_sweep");
    g_assert_cmpstr(sf_key_hosts_dim(dim, net4, 3), ==, "h:192.0.2.0/24:");
    g_assert_cmpstr(sf_key_bucket(key, sk, dim, 9), ==,
                    "sf:{203.0.113.7}:h:192.0.2.0/24:9");
    g_assert_cmpstr(sf_key_net_text(net6, 8, dim), ==,
                    "2001:db8:0:1::/64");
    g_assert_true(sf_addr_parse("2001:db8::1", &src));
    g_assert_cmpstr(sf_key_of(key, sf_key_source(sk, &src), SF_KEY_SAMPLES),
                    ==, "sf:{2001:db8::1}:s");
    g_assert_cmpstr(sf_key_of(key, sf_key_source_text(sk, "10.0.0.1"),
                              SF_KEY_TOP), ==, "sf:{10.0.0.1}:top");
    g_assert_cmpstr(sf_key_top_minute(key, 28333333), ==,
                    "sf:top:28333333");
    /* the hand-written IPv4 text is inet_ntop's */
    for (guint i = 0; i < 4096; i++) {
        guint32 v = g_random_int();
        guint8 q[4] = {v >> 24, v >> 16, v >> 8, i & 1 ? 0 : (guint8)v};
        sf_addr_set_v4(&src, q);
        g_assert_cmpstr(sf_key_addr_text(&src, a), ==,
                        sf_addr_to_string(&src, b));
    }
}


/* The smallest sampling interval of a source's flows reaches the walk:
 * unsampled (0 or 1) wins over any interval, and more distinct intervals
 * than the aggregate has classes for fall back to a smaller one. */
static void sampling_of(const sf_agg_source_t *s, void *user)
{
    guint32 *out = user;
    out[s->src.b[15]] = s->sampling;
}

static void test_aggregate_sampling(void)
{
    sf_agg_t *a = sf_agg_new(64, 1024, 4);
    guint32 got[256] = {0};
    static const guint32 seq[][3] = {
        {100, 10, 1000},    /* .1: 10 */
        {10, 0, 100},       /* .2: unknown counts as unsampled: 1 */
        {1, 100, 100},      /* .3: 1 */
        {100, 100, 100},    /* .4: 100 */
    };
    char src[32], dst[32];

    for (guint i = 0; i < G_N_ELEMENTS(seq); i++)
        for (guint j = 0; j < 3; j++) {
            g_snprintf(src, sizeof src, "203.0.113.%u", i + 1);
            g_snprintf(dst, sizeof dst, "10.0.0.%u", j + 1);
            sf_flow_t f = test_syn(src, dst, 22);
            f.sampling_interval = seq[i][j];
            sf_agg_add(a, &f, TRUE);
        }
    /* 9 more distinct intervals, each a source of its own: the classes
     * run out, and each takes a known interval no larger than its own */
    for (guint i = 0; i < 9; i++) {
        g_snprintf(src, sizeof src, "203.0.113.%u", 10 + i);
        sf_flow_t f = test_syn(src, "10.0.0.1", 22);
        f.sampling_interval = 2000 + i;
        sf_agg_add(a, &f, TRUE);
    }
    sf_agg_walk(a, sampling_of, got);
    g_assert_cmpuint(got[1], ==, 10);
    g_assert_cmpuint(got[2], ==, 1);
    g_assert_cmpuint(got[3], ==, 1);
    g_assert_cmpuint(got[4], ==, 100);
    for (guint i = 0; i < 9; i++) {
        g_assert_cmpuint(got[10 + i], <=, 2000 + i);
        g_assert_cmpuint(got[10 + i], >=, 1000);
    }
    g_assert_cmpuint(got[10], ==, 2000);
    sf_agg_reset(a);
    sf_agg_free(a);
}

/* A source seen at 1 in 1,000 is shared at k_min (3 with a lowest
 * threshold of 32) rather than at --share-after 4, with the interval of
 * what it held; an unsampled one still at 4. */
static void test_probation_sampled(void)
{
    probe_run_t r = {sf_probation_new(1024, 4, 300000, 0),
                     sf_agg_new(1024, 4096, 16), 0, 0, 0};
    guint32 got[256] = {0};
    char dst[32];

    sf_probation_set_threshold(r.p, 32);
    for (guint k = 1; k <= 3; k++) {
        g_snprintf(dst, sizeof dst, "192.0.2.%u", k);
        sf_flow_t f = test_syn("203.0.113.67", dst, 22);
        f.sampling_interval = 1000;
        sf_agg_add(r.a, &f, TRUE);
        f = test_syn("2001:db8:66::1", dst, 22);
        sf_agg_add(r.a, &f, TRUE);
        sf_probation_apply(r.p, r.a, 1000000 + k * 1000);
        sf_agg_walk(r.a, count_written, &r);
        if (k == 3)
            sf_agg_walk(r.a, sampling_of, got);
        sf_agg_reset(r.a);
        g_assert_cmpuint(r.written, ==, k == 3 ? 1 : 0);
    }
    g_assert_cmpuint(got[67], ==, 1000);
    sf_probation_free(r.p);
    sf_agg_free(r.a);
}

static void test_probation(void)
{
    /* 100 flushes, each with 2,000 new one-flow sources (a spoofed flood),
     * 1,000 sources repeating the same probe (background noise), a slow
     * port scanner and a slow IPv6 sweeper, one probe per flush: neither
     * the flood nor the repeaters are ever written; the scanners are
     * written from their 4th probe on, with the first three (none lost). */
    probe_run_t r = {sf_probation_new(262144, 4, 300000, 0),
                     sf_agg_new(16384, 65536, 16), 0, 0, 0};
    sf_probation_stats_t st;
    char src[64];
    gint64 now = 1000000;

    for (guint flush = 0; flush < 100; flush++) {
        for (guint i = 0; i < 3000; i++) {
            guint k = i < 2000 ? flush * 2000 + i : 500000 + i;
            g_snprintf(src, sizeof src, "100.%u.%u.%u", (k >> 16) & 255,
                       (k >> 8) & 255, k & 255);
            sf_flow_t f = test_syn(src, "192.0.2.1", 22);
            sf_agg_add(r.a, &f, TRUE);
        }
        sf_flow_t s = test_syn("203.0.113.67", "192.0.2.2",
                               (guint16)(1000 + flush));
        sf_agg_add(r.a, &s, TRUE);
        g_snprintf(src, sizeof src, "2001:db8:a::%x", flush + 1);
        s = test_syn("2001:db8:66::1", src, 22);
        sf_agg_add(r.a, &s, TRUE);
        probation_flush(&r, now += 1000);
        if (flush == 2)
            g_assert_cmpuint(r.written, ==, 0);
    }
    sf_probation_get_stats(r.p, &st);
    g_assert_cmpuint(r.scanner_ports, ==, 100);
    g_assert_cmpuint(r.sweeper_hosts, ==, 100);
    g_assert_cmpuint(r.written, ==, 2 * 97);
    g_assert_cmpuint(st.promoted, ==, 2);
    g_assert_cmpuint(st.recalled, ==, 2 * 3);
    g_assert_cmpuint(st.held, ==, 200000 + 100 * 1000 + 2 * 3);
    sf_probation_free(r.p);

    /* A small table under a flood forgets (counted) the entries with the
     * fewest elements: a source with three ports held keeps its entry and
     * is written with all four when its fourth comes, 7 s later.  A
     * source whose probes are further apart than the window (10 s) is
     * never written: what it held expires. */
    r.p = sf_probation_new(1024, 4, 10000, 0);
    r.written = r.scanner_ports = 0;
    for (guint flush = 0; flush < 40; flush++) {
        for (guint i = 0; i < 500; i++) {
            guint k = flush * 500 + i;
            g_snprintf(src, sizeof src, "100.%u.%u.%u", (k >> 16) & 255,
                       (k >> 8) & 255, k & 255);
            sf_flow_t f = test_syn(src, "192.0.2.1", 22);
            sf_agg_add(r.a, &f, TRUE);
        }
        if (flush % 6 == 0) {           /* every 6 s */
            sf_flow_t f = test_syn("198.51.100.9", "192.0.2.3",
                                   (guint16)(2000 + flush));
            sf_agg_add(r.a, &f, TRUE);
        }
        if (flush < 2 || flush == 8) {  /* 2 ports, 1, then the 4th */
            for (guint16 port = 1; port <= (flush == 0 ? 2 : 1); port++) {
                sf_flow_t f = test_syn("203.0.113.67", "192.0.2.2",
                                       (guint16)(port + 10 * flush));
                sf_agg_add(r.a, &f, TRUE);
            }
        }
        probation_flush(&r, now += 1000);
    }
    sf_probation_get_stats(r.p, &st);
    g_assert_cmpuint(st.forgotten, >, 10000);
    g_assert_cmpuint(r.scanner_ports, ==, 4);
    g_assert_cmpuint(r.written, ==, 1);
    sf_probation_free(r.p);

    /* --max-redis-sources 100 (10 per 30 s bucket and tier): 50 sources
     * with fan-out 4 at once; 10 are shared, 40 refused and held; 10 more
     * in each later bucket, each written with the three ports it held.  A
     * source with fan-out 20 gets in at once, in the next tier. */
    r.p = sf_probation_new(4096, 4, 300000, 100);
    r.written = 0;
    for (guint flush = 0; flush < 91; flush++) {
        for (guint i = 0; i < 50; i++) {
            g_snprintf(src, sizeof src, "198.51.100.%u", i + 1);
            for (guint16 port = 1; port <= (flush == 0 ? 4 : 1); port++) {
                sf_flow_t f = test_syn(src, "192.0.2.5",
                                       (guint16)(port + 100 * flush));
                sf_agg_add(r.a, &f, TRUE);
            }
        }
        if (flush == 1) {       /* fan-out 20: the next tier has room */
            for (guint16 port = 1; port <= 20; port++) {
                sf_flow_t f = test_syn("198.51.100.222", "192.0.2.5", port);
                sf_agg_add(r.a, &f, TRUE);
            }
        }
        guint before = r.written;
        probation_flush(&r, now += 1000);
        sf_probation_get_stats(r.p, &st);
        if (flush == 0)
            g_assert_cmpuint(st.refused, ==, 40);
        if (flush == 1)
            g_assert_cmpuint(st.promoted, ==, 11);
        if (flush == 0 || (now / 1000) % 30 == 0)
            g_test_message("flush %u: %u written", flush,
                           r.written - before);
    }
    /* 4 buckets in 91 s: 10 shared at once, 10 more in each */
    sf_probation_get_stats(r.p, &st);
    g_assert_cmpuint(st.promoted, ==, 41);
    g_assert_cmpuint(st.recalled, ==, (st.promoted - 11) * 3);
    sf_probation_free(r.p);

    /* The flows held count in the source's flows when it is written: ten
     * retries of one probe, then three more ports. */
    r.p = sf_probation_new(4096, 4, 300000, 0);
    for (guint flush = 0; flush < 2; flush++) {
        guint flows = 0;
        for (guint16 k = 0; k < (flush == 0 ? 10 : 3); k++) {
            sf_flow_t f = test_syn("198.51.100.77", "192.0.2.9",
                                   (guint16)(flush == 0 ? 1 : 2 + k));
            sf_agg_add(r.a, &f, TRUE);
        }
        sf_probation_apply(r.p, r.a, now += 1000);
        sf_agg_walk(r.a, count_flows, &flows);
        sf_agg_reset(r.a);
        g_assert_cmpuint(flows, ==, flush == 0 ? 0 : 13);
    }
    sf_probation_free(r.p);

    /* share-after 1 (or no slots): probation is off */
    g_assert_null(sf_probation_new(262144, 1, 300000, 0));
    g_assert_null(sf_probation_new(0, 4, 300000, 0));
    sf_agg_free(r.a);
}

/* The many-to-one table is a fixed size: triples beyond it are dropped
 * and counted, repeats are kept once; the rule wants ports beyond the
 * source that sent the most. */
static void test_targets(void)
{
    sf_targets_t *t = sf_targets_new(64);
    sf_correlate_config_t *cfg = sf_correlate_config_new();
    char src[32];
    g_autoptr(GError) err = NULL;

    sf_flow_t fs[3];
    gboolean with_port[3] = {TRUE, TRUE, FALSE};
    guint64 dropped;

    g_assert_true(sf_targets_is_empty(t));
    fs[2] = test_syn("198.51.100.1", "192.0.2.2", 80);      /* no port */
    sf_targets_add_batch(t, &fs[2], &with_port[2], 1);
    g_assert_true(sf_targets_is_empty(t));
    for (guint i = 0; i < 1000; i++) {
        g_snprintf(src, sizeof src, "198.51.100.%u", i % 250);
        fs[0] = fs[1] = test_syn(src, "192.0.2.1", (guint16)(1 + i));
        sf_targets_add_batch(t, fs, with_port, 3);
    }
    g_assert_false(sf_targets_is_empty(t));
    dropped = sf_targets_take_dropped(t);
    g_assert_cmpuint(dropped, >=, 2 * (1000 - 64));  /* a repeat too */
    g_assert_cmpuint(sf_targets_take_dropped(t), ==, 0);
    sf_targets_free(t);
    /* 16 probes twice, in one batch each: the second time all repeats
     * (16 in 128 index slots: no run of 8 taken, none dropped) */
    t = sf_targets_new(64);
    for (guint round = 0; round < 2; round++) {
        sf_flow_t many[16];
        gboolean all[16];
        for (guint i = 0; i < 16; i++) {
            g_snprintf(src, sizeof src, "198.51.100.%u", i);
            many[i] = test_syn(src, "192.0.2.1", (guint16)(1 + i));
            all[i] = TRUE;
        }
        sf_targets_add_batch(t, many, all, 16);
        g_assert_cmpuint(sf_targets_take_dropped(t), ==, 0);
    }
    sf_targets_free(t);
    g_assert_true(sf_correlate_config_finish(cfg, &err));
    g_assert_cmpint(cfg->distributed_ports, ==, 0);         /* off by default */
    sf_correlate_config_free(cfg);
    cfg = sf_correlate_config_new();
    cfg->distributed_s = g_strdup("64:8");
    g_assert_true(sf_correlate_config_finish(cfg, &err));
    g_assert_cmpint(cfg->distributed_ports, ==, 64);
    g_assert_cmpint(cfg->distributed_sources, ==, 8);
    g_assert_true(sf_targets_crossed(cfg, 180, 60, 3));
    g_assert_false(sf_targets_crossed(cfg, 180, 7, 3));     /* few sources */
    g_assert_false(sf_targets_crossed(cfg, 3, 60, 1));      /* popular */
    g_assert_false(sf_targets_crossed(cfg, 101, 9, 100));   /* one scanner */
    g_assert_true(sf_targets_crossed(cfg, 200, 9, 100));    /* and more */
    sf_correlate_config_free(cfg);
    for (guint i = 0; i < 5; i++) {
        const char *bad[] = {"64", "64:1", "0:8", "x:8", "70000:8"};
        sf_correlate_config_t *c2 = sf_correlate_config_new();
        g_autoptr(GError) e2 = NULL;
        c2->distributed_s = g_strdup(bad[i]);
        g_assert_false(sf_correlate_config_finish(c2, &e2));
        g_assert_nonnull(e2);
        sf_correlate_config_free(c2);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/correlate/evidence/tcp-probes", test_tcp_probes);
    g_test_add_func("/correlate/evidence/tcp-not-probes", test_tcp_not_probes);
    g_test_add_func("/correlate/evidence/tcp-ack-probes", test_tcp_ack_probes);
    g_test_add_func("/correlate/exact/settle", test_exact_settle);
    g_test_add_func("/correlate/evidence/firewall", test_firewall);
    g_test_add_func("/correlate/evidence/icmp-udp", test_icmp_udp);
    g_test_add_func("/correlate/cidr", test_cidr);
    g_test_add_func("/correlate/config", test_config);
    g_test_add_func("/correlate/aggregate/dedup", test_aggregate_dedup);
    g_test_add_func("/correlate/aggregate/flood", test_aggregate_flood);
    g_test_add_func("/correlate/aggregate/index-growth", test_aggregate_index_growth);
    g_test_add_func("/correlate/aggregate/addrs", test_aggregate_addrs);
    g_test_add_func("/correlate/aggregate/repeats", test_aggregate_repeats);
    g_test_add_func("/correlate/probation", test_probation);
    g_test_add_func("/correlate/probation/sampled", test_probation_sampled);
    g_test_add_func("/correlate/aggregate/sampling", test_aggregate_sampling);
    g_test_add_func("/correlate/keys", test_keys);
    g_test_add_func("/correlate/targets", test_targets);
    return g_test_run();
}
