/*
 * wire.h - export messages built field by field, and a decoder fixture,
 * for the unit tests of the collector's decode modules (test-v5.c,
 * test-sanitize.c, test-fbdecode.c, test-decoder.c).
 *
 * The builders write NetFlow v5 headers and records, v9 headers and
 * flowsets, IPFIX headers, sets and template records; each message a test
 * builds carries a comment saying what it encodes.  The fixture (fx_t) is
 * one decoder whose sink copies every flow; the twin is a second decoder
 * that reads every data set through libfixbuf (--fixbuf-only), so that a
 * test can assert that the fast path and fBufNext() agree.
 *
 * Wire formats: NetFlow v5 (Cisco), RFC 3954 (v9), RFC 7011 (IPFIX),
 * RFC 5103 (biflows), Cisco NSEL field types for ASA firewall events.
 */
#ifndef SF_TEST_WIRE_H
#define SF_TEST_WIRE_H

#include "cidr.h"
#include "decoder.h"
#include "cursor.h"

#include <glib.h>
#include <string.h>

typedef struct pkt {
    uint8_t b[65536 + 64];
    size_t  n;
} pkt_t;

/* A field specifier: element id, length, enterprise number (0 = IANA). */
typedef struct fs {
    uint16_t id;
    uint16_t len;
    uint32_t pen;
} fs_t;

#define VARLEN 0xffff

static inline void put8(pkt_t *p, unsigned v)
{
    p->b[p->n++] = (uint8_t)v;
}

static inline void put16(pkt_t *p, unsigned v)
{
    sf_put16(p->b + p->n, (uint16_t)v);
    p->n += 2;
}

static inline void put32(pkt_t *p, uint32_t v)
{
    sf_put32(p->b + p->n, v);
    p->n += 4;
}

static inline void put64(pkt_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p, (uint32_t)v);
}

static inline uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/* IPFIX message header (RFC 7011 3.1); the length is set by ipfix_end. */
static inline void ipfix_hdr(pkt_t *p, uint32_t export_s, uint32_t seq, uint32_t domain)
{
    p->n = 0;
    put16(p, 10);
    put16(p, 0);
    put32(p, export_s);
    put32(p, seq);
    put32(p, domain);
}

static inline void ipfix_end(pkt_t *p)
{
    sf_put16(p->b + 2, (uint16_t)p->n);
}

/* NetFlow v9 packet header (RFC 3954 5.1): count, sysUpTime, secs, seq, source id. */
static inline void v9_hdr(pkt_t *p, uint16_t count, uint32_t uptime, uint32_t secs,
                   uint32_t seq, uint32_t source)
{
    p->n = 0;
    put16(p, 9);
    put16(p, count);
    put32(p, uptime);
    put32(p, secs);
    put32(p, seq);
    put32(p, source);
}

/* Set / flowset header; set_end fills in the length. */
static inline void put_bytes(pkt_t *p, const void *b, size_t n)
{
    memcpy(p->b + p->n, b, n);
    p->n += n;
}

static inline size_t set_begin(pkt_t *p, uint16_t id)
{
    size_t at = p->n;
    put16(p, id);
    put16(p, 0);
    return at;
}

static inline void set_end(pkt_t *p, size_t at)
{
    sf_put16(p->b + at + 2, (uint16_t)(p->n - at));
}

/* IPFIX template record (RFC 7011 3.4.1): enterprise bit and PEN when set. */
static inline void ipfix_tmpl(pkt_t *p, uint16_t tid, const fs_t *f, unsigned n)
{
    put16(p, tid);
    put16(p, n);
    for (unsigned i = 0; i < n; i++) {
        put16(p, f[i].pen ? f[i].id | 0x8000u : f[i].id);
        put16(p, f[i].len);
        if (f[i].pen)
            put32(p, f[i].pen);
    }
}

/* A template set of two IPFIX template records. */
static inline void ipfix_tmpl_set2(pkt_t *p, uint16_t ta, const fs_t *fa, unsigned na,
                                   uint16_t tb, const fs_t *fb, unsigned nb)
{
    size_t s = set_begin(p, 2);
    ipfix_tmpl(p, ta, fa, na);
    ipfix_tmpl(p, tb, fb, nb);
    set_end(p, s);
}

/* IPFIX options template record (RFC 7011 3.4.2.2): scope field count. */
static inline void ipfix_opt_tmpl(pkt_t *p, uint16_t tid, const fs_t *f, unsigned n,
                           unsigned scope)
{
    put16(p, tid);
    put16(p, n);
    put16(p, scope);
    for (unsigned i = 0; i < n; i++) {
        put16(p, f[i].id);
        put16(p, f[i].len);
    }
}

/* v9 template record (RFC 3954 5.2): type and length, no enterprise. */
static inline void v9_tmpl(pkt_t *p, uint16_t tid, const fs_t *f, unsigned n)
{
    put16(p, tid);
    put16(p, n);
    for (unsigned i = 0; i < n; i++) {
        put16(p, f[i].id);
        put16(p, f[i].len);
    }
}

/* v5 header (24 bytes) and records (48 bytes). */
static inline void v5_hdr(pkt_t *p, uint16_t count, uint32_t uptime, uint32_t secs,
                   uint32_t seq, uint16_t sampling)
{
    p->n = 0;
    put16(p, 5);
    put16(p, count);
    put32(p, uptime);
    put32(p, secs);
    put32(p, 0);                        /* unix_nsecs */
    put32(p, seq);
    put8(p, 0);                         /* engine type */
    put8(p, 0);                         /* engine id */
    put16(p, sampling);
}

static inline void v5_rec(pkt_t *p, uint32_t src, uint32_t dst, uint16_t sport,
                   uint16_t dport, uint8_t proto, uint32_t pkts, uint32_t octs,
                   uint32_t first, uint32_t last)
{
    put32(p, src);
    put32(p, dst);
    put32(p, 0);                        /* nexthop */
    put16(p, 1);                        /* input */
    put16(p, 2);                        /* output */
    put32(p, pkts);
    put32(p, octs);
    put32(p, first);
    put32(p, last);
    put16(p, sport);
    put16(p, dport);
    put8(p, 0);
    put8(p, 0x12);                      /* tcp flags SYN|ACK */
    put8(p, proto);
    put8(p, 0);
    put32(p, 0);                        /* src_as, dst_as */
    put32(p, 0);                        /* masks, pad */
}

/* The basic flow template used by the good messages: addresses, ports,
 * protocol, 8-byte packet and octet counters (29-byte records). */
G_GNUC_UNUSED static const fs_t basic_fields[] = {
    { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
    { 2, 8, 0 }, { 1, 8, 0 },
};

static inline void basic_rec(pkt_t *p, uint32_t src, uint32_t dst, uint16_t sport,
                      uint16_t dport, uint8_t proto, uint64_t pkts, uint64_t octs)
{
    put32(p, src);
    put32(p, dst);
    put16(p, sport);
    put16(p, dport);
    put8(p, proto);
    put64(p, pkts);
    put64(p, octs);
}

/* The v9 flow template of the good messages: addresses, ports, protocol,
 * 4-byte counters, LAST_SWITCHED (21) and FIRST_SWITCHED (22). */
G_GNUC_UNUSED static const fs_t v9_fields[] = {
    { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
    { 2, 4, 0 }, { 1, 4, 0 }, { 21, 4, 0 }, { 22, 4, 0 },
};


typedef struct fx {
    sf_decoder_t *d;
    GArray       *flows;            /* sf_flow_t copies from the sink */
    sf_addr_t     exp;              /* 192.0.2.1 */
    uint32_t      v9_seq;
} fx_t;

static inline void sink(const sf_flow_t *f, void *ctx)
{
    g_array_append_vals(ctx, f, 1);
}

static inline sf_addr_t addr4(uint32_t a)
{
    sf_addr_t r;
    uint8_t b[4];
    sf_put32(b, a);
    sf_addr_set_v4(&r, b);
    return r;
}

static inline void fx_decoder(fx_t *fx, const sf_decoder_config_t *cfg)
{
    sf_decoder_free(fx->d);
    fx->d = sf_decoder_new(cfg, sink, fx->flows);
}

static inline void fx_setup(fx_t *fx, gconstpointer data)
{
    sf_decoder_config_t cfg = SF_DECODER_CONFIG_DEFAULT;

    memset(fx, 0, sizeof *fx);
    fx->flows = g_array_new(FALSE, TRUE, sizeof(sf_flow_t));
    fx->exp = addr4(ip4(192, 0, 2, 1));
    fx_decoder(fx, &cfg);
}

static inline void fx_teardown(fx_t *fx, gconstpointer data)
{
    sf_decoder_free(fx->d);
    g_array_free(fx->flows, TRUE);
}

static inline uint64_t C(const fx_t *fx, sf_counter_t id)
{
    return sf_decoder_stats(fx->d)->c[id];
}

static inline void feed_from(fx_t *fx, const sf_addr_t *a, const pkt_t *p)
{
    sf_decoder_packet(fx->d, a, p->b, p->n, 1700000000000);
}

static inline void feed(fx_t *fx, const pkt_t *p)
{
    feed_from(fx, &fx->exp, p);
}

static inline const sf_flow_t *flow_at(const fx_t *fx, guint i)
{
    g_assert_cmpuint(i, <, fx->flows->len);
    return &g_array_index(fx->flows, sf_flow_t, i);
}

static inline void note_sampling_logged(const sf_exporter_t *e, void *ctx)
{
    if (e->sampling_logged)
        (*(guint *)ctx)++;
}

/* Exporters whose sampling was logged (once each, by construction). */
static inline guint sampling_logged(const fx_t *fx)
{
    guint n = 0;
    sf_decoder_foreach_exporter(fx->d, note_sampling_logged, &n);
    return n;
}

/* --sampling NET=N: 192.0.2.0/24 (plen 120 in the mapped space), or
 * 192.0.2.1 alone (128), samples 1 in n. */
static inline void set_sampling(fx_t *fx, unsigned plen, uint32_t n)
{
    sf_cidr_t c = { addr4(ip4(192, 0, 2, plen == 128 ? 1 : 0)), plen };
    sf_decoder_set_sampling(fx->d, &c, n);
}

static inline uint32_t v4_of(const sf_addr_t *a)
{
    g_assert_true(sf_addr_is_v4(a));
    return sf_get32(a->b + 12);
}

/* Sends a good IPFIX message (template 256 and two records, domain 1) and
 * checks both records come out: the exporter still decodes. */
static inline void good_ipfix(fx_t *fx)
{
    pkt_t p;
    guint before = fx->flows->len;

    ipfix_hdr(&p, 1700000000, 0, 1);
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, 256, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    s = set_begin(&p, 256);
    basic_rec(&p, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 40000, 80, 6, 3, 180);
    basic_rec(&p, ip4(10, 0, 0, 3), ip4(10, 0, 0, 4), 40001, 443, 6, 5, 300);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(fx->flows->len, ==, before + 2);
    const sf_flow_t *f = flow_at(fx, before + 1);
    g_assert_cmpuint(f->version, ==, 10);
    g_assert_cmpuint(v4_of(&f->src), ==, ip4(10, 0, 0, 3));
    g_assert_cmpuint(v4_of(&f->dst), ==, ip4(10, 0, 0, 4));
    g_assert_cmpuint(f->dst_port, ==, 443);
    g_assert_cmpuint(f->packets, ==, 5);
    g_assert_cmpuint(f->bytes, ==, 300);
}

/* A good v9 packet: template 256 and one record, source id 1. */
static inline void good_v9(fx_t *fx)
{
    pkt_t p;
    guint before = fx->flows->len;

    v9_hdr(&p, 2, 100000, 1700000000, fx->v9_seq++, 1);
    size_t s = set_begin(&p, 0);
    v9_tmpl(&p, 256, v9_fields, G_N_ELEMENTS(v9_fields));
    set_end(&p, s);
    s = set_begin(&p, 256);
    put32(&p, ip4(10, 1, 0, 1));
    put32(&p, ip4(10, 1, 0, 2));
    put16(&p, 5353);
    put16(&p, 53);
    put8(&p, 17);
    put32(&p, 7);                       /* packets */
    put32(&p, 700);                     /* bytes */
    put32(&p, 99000);                   /* last: 1 s before export */
    put32(&p, 90000);                   /* first: 10 s before export */
    put8(&p, 0);                        /* padding to 4 bytes */
    put16(&p, 0);
    set_end(&p, s);
    feed(fx, &p);
    g_assert_cmpuint(fx->flows->len, ==, before + 1);
    const sf_flow_t *f = flow_at(fx, before);
    g_assert_cmpuint(f->version, ==, 9);
    g_assert_cmpuint(v4_of(&f->src), ==, ip4(10, 1, 0, 1));
    g_assert_cmpuint(f->dst_port, ==, 53);
    g_assert_cmpuint(f->proto, ==, 17);
    g_assert_cmpuint(f->packets, ==, 7);
    g_assert_cmpuint(f->bytes, ==, 700);
    g_assert_cmpint(f->start_ms, ==, INT64_C(1700000000000) - 10000);
    g_assert_cmpint(f->end_ms, ==, INT64_C(1700000000000) - 1000);
}

/* A good v5 packet with two flows, sequence given. */
static inline void good_v5_seq(fx_t *fx, uint32_t seq)
{
    pkt_t p;
    guint before = fx->flows->len;

    v5_hdr(&p, 2, 100000, 1700000000, seq, 0);
    v5_rec(&p, ip4(10, 2, 0, 1), ip4(10, 2, 0, 2), 1234, 22, 6, 4, 240, 95000, 99000);
    v5_rec(&p, ip4(10, 2, 0, 3), ip4(10, 2, 0, 4), 1235, 23, 6, 6, 360, 95000, 99000);
    feed(fx, &p);
    g_assert_cmpuint(fx->flows->len, ==, before + 2);
    const sf_flow_t *f = flow_at(fx, before + 1);
    g_assert_cmpuint(f->version, ==, 5);
    g_assert_cmpuint(v4_of(&f->src), ==, ip4(10, 2, 0, 3));
    g_assert_cmpuint(f->dst_port, ==, 23);
    g_assert_cmpuint(f->packets, ==, 6);
    g_assert_cmpuint(f->bytes, ==, 360);
    g_assert_cmpint(f->start_ms, ==, INT64_C(1700000000000) - 5000);
}

static inline void good_v5(fx_t *fx)
{
    good_v5_seq(fx, 0);
}

/* Asserts that counter id grew by exactly n since `before`. */
#define ASSERT_GREW(fx, id, before, n) \
    g_assert_cmpuint(C(fx, id) - (before), ==, (n))

/* Every member of two flows, one by one (no memcmp: padding). */
static inline void assert_same_flow(const sf_flow_t *a, const sf_flow_t *b)
{
    g_assert_cmpmem(a->exporter.b, 16, b->exporter.b, 16);
    g_assert_cmpmem(a->src.b, 16, b->src.b, 16);
    g_assert_cmpmem(a->dst.b, 16, b->dst.b, 16);
    g_assert_cmpuint(a->packets, ==, b->packets);
    g_assert_cmpuint(a->bytes, ==, b->bytes);
    g_assert_cmpint(a->start_ms, ==, b->start_ms);
    g_assert_cmpint(a->end_ms, ==, b->end_ms);
    g_assert_cmpint(a->arrival_ms, ==, b->arrival_ms);
    g_assert_cmpuint(a->obs_domain, ==, b->obs_domain);
    g_assert_cmpuint(a->in_if, ==, b->in_if);
    g_assert_cmpuint(a->out_if, ==, b->out_if);
    g_assert_cmpuint(a->sampling_interval, ==, b->sampling_interval);
    g_assert_cmphex(a->fields, ==, b->fields);
    g_assert_cmpuint(a->src_port, ==, b->src_port);
    g_assert_cmpuint(a->dst_port, ==, b->dst_port);
    g_assert_cmpuint(a->tcp_flags, ==, b->tcp_flags);
    g_assert_cmpuint(a->icmp_type_code, ==, b->icmp_type_code);
    g_assert_cmpuint(a->fw_ext_event, ==, b->fw_ext_event);
    g_assert_cmpuint(a->fw_event, ==, b->fw_event);
    g_assert_cmpuint(a->fwd_status, ==, b->fwd_status);
    g_assert_cmpuint(a->proto, ==, b->proto);
    g_assert_cmpuint(a->version, ==, b->version);
    g_assert_cmpuint(a->is_v4, ==, b->is_v4);
    g_assert_cmpuint(a->reverse, ==, b->reverse);
}

/* A second decoder for the same packets, reading every data set through
 * libfixbuf (--fixbuf-only): the fast path and fBufNext must agree. */
typedef struct twin {
    sf_decoder_t *d;
    GArray       *flows;
} twin_t;

static inline void twin_new(twin_t *t)
{
    sf_decoder_config_t cfg = SF_DECODER_CONFIG_DEFAULT;

    cfg.fixbuf_only = true;
    t->flows = g_array_new(FALSE, TRUE, sizeof(sf_flow_t));
    t->d = sf_decoder_new(&cfg, sink, t->flows);
}

static inline void twin_free(twin_t *t)
{
    sf_decoder_free(t->d);
    g_array_free(t->flows, TRUE);
}

/* Feeds both; both must have given the same flows, n more than before. */
static inline void feed_both(fx_t *fx, twin_t *t, const pkt_t *p, guint n)
{
    guint before = fx->flows->len;

    feed(fx, p);
    sf_decoder_packet(t->d, &fx->exp, p->b, p->n, 1700000000000);
    g_assert_cmpuint(fx->flows->len, ==, before + n);
    g_assert_cmpuint(t->flows->len, ==, fx->flows->len);
    for (guint i = before; i < fx->flows->len; i++)
        assert_same_flow(flow_at(fx, i), &g_array_index(t->flows, sf_flow_t, i));
}

/* libfixbuf warns (g_warning) about hostile messages it skips, by design,
 * and the decoder rate-limits those lines; GTest would make them fatal.
 * Criticals and errors stay fatal. */
static inline void wire_test_init(int *argc, char ***argv)
{
    g_test_init(argc, argv, NULL);
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
}

#define ADD(path, fn) g_test_add(path, fx_t, NULL, fx_setup, fn, fx_teardown)

#endif
