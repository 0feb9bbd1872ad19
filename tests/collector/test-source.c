/*
 * test-source.c - capture and raw payload files (source.c).
 *
 * The captures are written here with libpcap itself (pcap_dump), frame by
 * frame, each with a comment saying what it holds: UDP over IPv4 and over
 * IPv6 behind a VLAN tag, and frames that must be skipped and counted (TCP,
 * an IPv4 fragment, a UDP length past the frame).  A real exporter's
 * capture from fixtures/exports/ must come out whole, and unreadable files
 * must fail with an error, never a crash.
 */
#include "source.h"
#include "cursor.h"
#include "decoder.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <string.h>

typedef struct got {
    GPtrArray *payloads;        /* GBytes */
    GArray    *pkts;            /* sf_packet_t, data pointers cleared */
} got_t;

static void collect(const sf_packet_t *pkt, void *ctx)
{
    got_t *g = ctx;
    sf_packet_t copy = *pkt;

    g_ptr_array_add(g->payloads, g_bytes_new(pkt->data, pkt->len));
    copy.data = NULL;
    g_array_append_val(g->pkts, copy);
}

static void got_init(got_t *g)
{
    g->payloads = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    g->pkts = g_array_new(FALSE, TRUE, sizeof(sf_packet_t));
}

static void got_clear(got_t *g)
{
    g_ptr_array_unref(g->payloads);
    g_array_unref(g->pkts);
}

/* An Ethernet frame: MACs, optional 802.1Q tag, ethertype. */
static void eth(GByteArray *f, guint16 vlan, guint16 type)
{
    static const guint8 macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
    guint8 b[4];

    g_byte_array_append(f, macs, 12);
    if (vlan) {
        sf_put16(b, 0x8100);
        sf_put16(b + 2, vlan);
        g_byte_array_append(f, b, 4);
    }
    sf_put16(b, type);
    g_byte_array_append(f, b, 2);
}

/* IPv4 header (no options) from src to 127.0.0.1; l4len bytes follow. */
static void ip4(GByteArray *f, const guint8 src[4], guint8 proto, guint16 frag,
                size_t l4len)
{
    guint8 h[20] = { 0x45, 0 };

    sf_put16(h + 2, (uint16_t)(20 + l4len));
    sf_put16(h + 6, frag);
    h[8] = 64;
    h[9] = proto;
    memcpy(h + 12, src, 4);
    h[16] = 127, h[19] = 1;
    g_byte_array_append(f, h, 20);
}

/* IPv6 header from src to ::1, next header UDP; plen bytes follow. */
static void ip6(GByteArray *f, const guint8 src[16], size_t plen)
{
    guint8 h[40] = { 0x60, 0 };

    sf_put16(h + 4, (uint16_t)plen);
    h[6] = 17;
    h[7] = 64;
    memcpy(h + 8, src, 16);
    h[39] = 1;
    g_byte_array_append(f, h, 40);
}

/* UDP header sport -> 2055 claiming ulen bytes, then the payload. */
static void udp(GByteArray *f, guint16 sport, size_t ulen, const char *payload)
{
    guint8 h[8] = { 0 };

    sf_put16(h, sport);
    sf_put16(h + 2, 2055);
    sf_put16(h + 4, (uint16_t)ulen);
    g_byte_array_append(f, h, 8);
    g_byte_array_append(f, (const guint8 *)payload, (guint)strlen(payload));
}

static void dump(pcap_dumper_t *d, GByteArray *f, long sec, long usec)
{
    struct pcap_pkthdr h = { .ts = { sec, usec }, .caplen = f->len, .len = f->len };

    pcap_dump((u_char *)d, &h, f->data);
    g_byte_array_set_size(f, 0);
}

/* Five frames: two UDP datagrams to read, three to skip. */
static char *write_capture(void)
{
    static const guint8 v4[4] = { 192, 0, 2, 7 };
    static const guint8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
    char *path = NULL;
    int fd = g_file_open_tmp("sf-source-XXXXXX.pcap", &path, NULL);
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    GByteArray *f = g_byte_array_new();

    g_assert_cmpint(fd, >=, 0);
    g_assert_nonnull(d);
    eth(f, 0, 0x0800);                  /* 1: IPv4 UDP 5555 -> 2055, "first" */
    ip4(f, v4, 17, 0, 8 + 5);
    udp(f, 5555, 8 + 5, "first");
    dump(d, f, 1700000000, 250000);
    eth(f, 7, 0x86dd);                  /* 2: VLAN 7, IPv6 UDP 6666, "second" */
    ip6(f, v6, 8 + 6);
    udp(f, 6666, 8 + 6, "second");
    dump(d, f, 1700000001, 0);
    eth(f, 0, 0x0800);                  /* 3: IPv4 TCP: skipped */
    ip4(f, v4, 6, 0, 8 + 3);
    udp(f, 5555, 8 + 3, "tcp");
    dump(d, f, 1700000002, 0);
    eth(f, 0, 0x0800);                  /* 4: IPv4 first fragment (MF): skipped */
    ip4(f, v4, 17, 0x2000, 8 + 4);
    udp(f, 5555, 8 + 4, "frag");
    dump(d, f, 1700000003, 0);
    eth(f, 0, 0x0800);                  /* 5: UDP length past the datagram: skipped */
    ip4(f, v4, 17, 0, 8 + 4);
    udp(f, 5555, 8 + 40, "long");
    dump(d, f, 1700000004, 0);
    pcap_dump_close(d);
    pcap_close(dead);
    g_byte_array_unref(f);
    close(fd);
    return path;
}

static void assert_payload(const got_t *g, guint i, const char *want)
{
    gsize n;
    const void *p = g_bytes_get_data(g_ptr_array_index(g->payloads, i), &n);

    g_assert_cmpmem(p, n, want, strlen(want));
}

static void test_capture(void)
{
    g_autofree char *path = write_capture();
    sf_stats_t st = { { 0 } };
    sf_addr_t raw, want;
    got_t g;
    char buf[SF_ADDR_STRLEN];

    got_init(&g);
    g_assert_true(sf_addr_parse("0.0.0.0", &raw));
    g_assert_true(sf_file_foreach(path, &raw, collect, &g, &st, NULL));
    g_assert_cmpuint(g.pkts->len, ==, 2);
    g_assert_cmpuint(st.c[SF_C_PCAP_SKIPPED], ==, 3);
    const sf_packet_t *a = &g_array_index(g.pkts, sf_packet_t, 0);
    const sf_packet_t *b = &g_array_index(g.pkts, sf_packet_t, 1);
    assert_payload(&g, 0, "first");
    g_assert_cmpstr(sf_addr_to_string(&a->from, buf), ==, "192.0.2.7");
    g_assert_cmpuint(a->from_port, ==, 5555);
    g_assert_cmpint(a->time_ms, ==, INT64_C(1700000000250));
    assert_payload(&g, 1, "second");
    g_assert_true(sf_addr_parse("2001:db8::9", &want));
    g_assert_true(sf_addr_equal(&b->from, &want));
    g_assert_cmpuint(b->from_port, ==, 6666);
    g_assert_cmpint(b->time_ms, ==, INT64_C(1700000001000));
    got_clear(&g);
    g_unlink(path);
}

/* Two NetFlow v5 headers back to back, 1 and 0 records (24 + 48 and 24
 * bytes): split by their counts, from the given exporter. */
static void test_raw(void)
{
    guint8 msg[24 + 48 + 24] = { 0 };
    g_autofree char *path = NULL;
    sf_addr_t from;
    got_t g;
    int fd = g_file_open_tmp("sf-source-XXXXXX.raw", &path, NULL);

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    sf_put16(msg, 5);
    sf_put16(msg + 2, 1);
    sf_put16(msg + 72, 5);
    g_assert_true(g_file_set_contents(path, (const char *)msg, sizeof msg, NULL));
    g_assert_true(sf_addr_parse("198.51.100.3", &from));
    got_init(&g);
    g_assert_true(sf_file_foreach(path, &from, collect, &g, NULL, NULL));
    g_assert_cmpuint(g.pkts->len, ==, 2);
    g_assert_cmpuint(g_array_index(g.pkts, sf_packet_t, 0).len, ==, 72);
    g_assert_cmpuint(g_array_index(g.pkts, sf_packet_t, 1).len, ==, 24);
    g_assert_true(sf_addr_equal(&g_array_index(g.pkts, sf_packet_t, 1).from, &from));
    got_clear(&g);
    g_unlink(path);
}

/* A missing file, and a pcap magic followed by garbage: errors. */
static void test_errors(void)
{
    static const guint8 bad[] = { 0xd4, 0xc3, 0xb2, 0xa1, 1, 2, 3 };
    g_autofree char *path = NULL;
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    sf_addr_t raw = { { 0 } };
    got_t g;
    int fd = g_file_open_tmp("sf-source-XXXXXX.pcap", &path, NULL);

    close(fd);
    got_init(&g);
    g_assert_false(sf_file_foreach("/nonexistent/sf.pcap", &raw, collect, &g, NULL, &e1));
    g_assert_error(e1, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_true(g_file_set_contents(path, (const char *)bad, sizeof bad, NULL));
    g_assert_false(sf_file_foreach(path, &raw, collect, &g, NULL, &e2));
    g_assert_nonnull(e2);
    g_assert_nonnull(strstr(e2->message, path));
    g_assert_cmpuint(g.pkts->len, ==, 0);
    got_clear(&g);
    g_unlink(path);
}

/* softflowd's v5 export of the fixture traffic, captured on loopback: every
 * frame is a datagram from 127.0.0.1 to 2055, each a whole v5 message. */
static void test_real_capture(void)
{
    const char *top = g_getenv("top_srcdir");
    sf_stats_t st = { { 0 } };
    sf_addr_t raw = { { 0 } }, lo;
    got_t g;

    if (top == NULL) {
        g_test_skip("top_srcdir not set (run through make check)");
        return;
    }
    g_autofree char *path = g_build_filename(top, "fixtures", "exports",
                                             "softflowd-v5.pcap", NULL);
    got_init(&g);
    g_assert_true(sf_file_foreach(path, &raw, collect, &g, &st, NULL));
    g_assert_cmpuint(g.pkts->len, >, 0);
    g_assert_cmpuint(st.c[SF_C_PCAP_SKIPPED], ==, 0);
    g_assert_true(sf_addr_parse("127.0.0.1", &lo));
    for (guint i = 0; i < g.pkts->len; i++) {
        gsize n;
        const guint8 *p = g_bytes_get_data(g_ptr_array_index(g.payloads, i), &n);
        g_assert_true(sf_addr_equal(&g_array_index(g.pkts, sf_packet_t, i).from, &lo));
        g_assert_cmpuint(sf_get16(p), ==, 5);
        g_assert_cmpuint(n, ==, 24 + 48 * (gsize)sf_get16(p + 2));
        g_assert_cmpuint(sf_message_length(p, n), ==, n);
    }
    got_clear(&g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/source/capture/frames", test_capture);
    g_test_add_func("/source/raw/split-by-length", test_raw);
    g_test_add_func("/source/errors", test_errors);
    g_test_add_func("/source/capture/softflowd-v5", test_real_capture);
    return g_test_run();
}
