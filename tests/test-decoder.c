/*
 * test-decoder.c - hostile and unusual export messages through the one
 * decode path (sf_decoder_packet), as issue 2 lists them.
 *
 * Every packet is built here, field by field, by the small builders below
 * (v5 header and records, v9 header and flowsets, IPFIX header, sets and
 * template records), with a comment saying what it encodes.  Each hostile
 * case asserts the named counter it must raise and then sends a good
 * message from the same exporter, whose records must still reach the sink:
 * the process keeps running and the exporter keeps decoding.
 *
 * Wire formats: NetFlow v5 (Cisco), RFC 3954 (v9), RFC 7011 (IPFIX),
 * RFC 5103 (biflows), Cisco NSEL field types for ASA firewall events.
 */
#include "decoder.h"
#include "cursor.h"

#include <glib.h>
#include <string.h>

/* ---- packet builders ---------------------------------------------------- */

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

static void put8(pkt_t *p, unsigned v)
{
    p->b[p->n++] = (uint8_t)v;
}

static void put16(pkt_t *p, unsigned v)
{
    sf_put16(p->b + p->n, (uint16_t)v);
    p->n += 2;
}

static void put32(pkt_t *p, uint32_t v)
{
    sf_put32(p->b + p->n, v);
    p->n += 4;
}

static void put64(pkt_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p, (uint32_t)v);
}

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/* IPFIX message header (RFC 7011 3.1); the length is set by ipfix_end. */
static void ipfix_hdr(pkt_t *p, uint32_t export_s, uint32_t seq, uint32_t domain)
{
    p->n = 0;
    put16(p, 10);
    put16(p, 0);
    put32(p, export_s);
    put32(p, seq);
    put32(p, domain);
}

static void ipfix_end(pkt_t *p)
{
    sf_put16(p->b + 2, (uint16_t)p->n);
}

/* NetFlow v9 packet header (RFC 3954 5.1): count, sysUpTime, secs, seq, source id. */
static void v9_hdr(pkt_t *p, uint16_t count, uint32_t uptime, uint32_t secs,
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
static size_t set_begin(pkt_t *p, uint16_t id)
{
    size_t at = p->n;
    put16(p, id);
    put16(p, 0);
    return at;
}

static void set_end(pkt_t *p, size_t at)
{
    sf_put16(p->b + at + 2, (uint16_t)(p->n - at));
}

/* IPFIX template record (RFC 7011 3.4.1): enterprise bit and PEN when set. */
static void ipfix_tmpl(pkt_t *p, uint16_t tid, const fs_t *f, unsigned n)
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

/* IPFIX options template record (RFC 7011 3.4.2.2): scope field count. */
static void ipfix_opt_tmpl(pkt_t *p, uint16_t tid, const fs_t *f, unsigned n,
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
static void v9_tmpl(pkt_t *p, uint16_t tid, const fs_t *f, unsigned n)
{
    put16(p, tid);
    put16(p, n);
    for (unsigned i = 0; i < n; i++) {
        put16(p, f[i].id);
        put16(p, f[i].len);
    }
}

/* v5 header (24 bytes) and records (48 bytes). */
static void v5_hdr(pkt_t *p, uint16_t count, uint32_t uptime, uint32_t secs,
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

static void v5_rec(pkt_t *p, uint32_t src, uint32_t dst, uint16_t sport,
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
static const fs_t basic_fields[] = {
    { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
    { 2, 8, 0 }, { 1, 8, 0 },
};

static void basic_rec(pkt_t *p, uint32_t src, uint32_t dst, uint16_t sport,
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
static const fs_t v9_fields[] = {
    { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
    { 2, 4, 0 }, { 1, 4, 0 }, { 21, 4, 0 }, { 22, 4, 0 },
};

/* ---- fixture ------------------------------------------------------------- */

typedef struct fx {
    sf_decoder_t *d;
    GArray       *flows;            /* sf_flow_t copies from the sink */
    sf_addr_t     exp;              /* 192.0.2.1 */
    uint32_t      v9_seq;
} fx_t;

static void sink(const sf_flow_t *f, void *ctx)
{
    g_array_append_vals(ctx, f, 1);
}

static sf_addr_t addr4(uint32_t a)
{
    sf_addr_t r;
    uint8_t b[4];
    sf_put32(b, a);
    sf_addr_set_v4(&r, b);
    return r;
}

static void fx_decoder(fx_t *fx, const sf_decoder_config_t *cfg)
{
    sf_decoder_free(fx->d);
    fx->d = sf_decoder_new(cfg, sink, fx->flows);
}

static void fx_setup(fx_t *fx, gconstpointer data)
{
    sf_decoder_config_t cfg = SF_DECODER_CONFIG_DEFAULT;

    memset(fx, 0, sizeof *fx);
    fx->flows = g_array_new(FALSE, TRUE, sizeof(sf_flow_t));
    fx->exp = addr4(ip4(192, 0, 2, 1));
    fx_decoder(fx, &cfg);
}

static void fx_teardown(fx_t *fx, gconstpointer data)
{
    sf_decoder_free(fx->d);
    g_array_free(fx->flows, TRUE);
}

static uint64_t C(const fx_t *fx, sf_counter_t id)
{
    return sf_decoder_stats(fx->d)->c[id];
}

static void feed_from(fx_t *fx, const sf_addr_t *a, const pkt_t *p)
{
    sf_decoder_packet(fx->d, a, p->b, p->n, 1700000000000);
}

static void feed(fx_t *fx, const pkt_t *p)
{
    feed_from(fx, &fx->exp, p);
}

static const sf_flow_t *flow_at(const fx_t *fx, guint i)
{
    g_assert_cmpuint(i, <, fx->flows->len);
    return &g_array_index(fx->flows, sf_flow_t, i);
}

static uint32_t v4_of(const sf_addr_t *a)
{
    g_assert_true(sf_addr_is_v4(a));
    return sf_get32(a->b + 12);
}

/* Sends a good IPFIX message (template 256 and two records, domain 1) and
 * checks both records come out: the exporter still decodes. */
static void good_ipfix(fx_t *fx)
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
static void good_v9(fx_t *fx)
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
static void good_v5_seq(fx_t *fx, uint32_t seq)
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

static void good_v5(fx_t *fx)
{
    good_v5_seq(fx, 0);
}

/* Asserts that counter id grew by exactly n since `before`. */
#define ASSERT_GREW(fx, id, before, n) \
    g_assert_cmpuint(C(fx, id) - (before), ==, (n))

/* ---- truncated headers --------------------------------------------------- */

static void test_truncated_v5(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    uint64_t b = C(fx, SF_C_ERR_SHORT_HEADER);

    v5_hdr(&p, 1, 0, 0, 0, 0);          /* v5 header cut at 23 of 24 bytes */
    p.n = 23;
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_SHORT_HEADER, b, 1);
    good_v5(fx);
}

static void test_truncated_v9(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    uint64_t b = C(fx, SF_C_ERR_SHORT_HEADER);

    v9_hdr(&p, 1, 0, 0, 0, 1);          /* v9 header cut at 19 of 20 bytes */
    p.n = 19;
    feed(fx, &p);
    p.n = 2;                            /* just the version */
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_SHORT_HEADER, b, 2);
    good_v9(fx);
}

static void test_truncated_ipfix(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    uint64_t b = C(fx, SF_C_ERR_SHORT_HEADER);

    ipfix_hdr(&p, 0, 0, 1);             /* IPFIX header cut at 15 of 16 bytes */
    sf_put16(p.b + 2, 15);
    p.n = 15;
    feed(fx, &p);
    p.n = 1;                            /* one byte: not even a version */
    feed(fx, &p);
    p.n = 0;                            /* empty datagram */
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_SHORT_HEADER, b, 3);
    good_ipfix(fx);
}

/* ---- v5 counts ----------------------------------------------------------- */

static void test_v5_count(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    uint64_t b = C(fx, SF_C_ERR_V5_COUNT);

    v5_hdr(&p, 3, 0, 0, 0, 0);          /* count 3, only 2 records follow */
    v5_rec(&p, 1, 2, 3, 4, 6, 1, 1, 0, 0);
    v5_rec(&p, 1, 2, 3, 4, 6, 1, 1, 0, 0);
    feed(fx, &p);
    v5_hdr(&p, 0, 0, 0, 0, 0);          /* count 0, one record follows */
    v5_rec(&p, 1, 2, 3, 4, 6, 1, 1, 0, 0);
    feed(fx, &p);
    v5_hdr(&p, 31, 0, 0, 0, 0);         /* count 31, above the v5 maximum of 30 */
    for (int i = 0; i < 31; i++)
        v5_rec(&p, 1, 2, 3, 4, 6, 1, 1, 0, 0);
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_V5_COUNT, b, 3);
    g_assert_cmpuint(fx->flows->len, ==, 0);
    good_v5(fx);
}

/* ---- IPFIX message length ------------------------------------------------ */

static void test_ipfix_msglen(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    uint64_t b = C(fx, SF_C_ERR_MSG_LENGTH);

    ipfix_hdr(&p, 0, 0, 1);             /* length 200, 16 bytes received */
    sf_put16(p.b + 2, 200);
    feed(fx, &p);
    sf_put16(p.b + 2, 17);              /* length 17, 16 bytes received */
    feed(fx, &p);
    for (unsigned l = 0; l < 16; l++) { /* lengths 0..15, below the header */
        sf_put16(p.b + 2, (uint16_t)l);
        feed(fx, &p);
    }
    ASSERT_GREW(fx, SF_C_ERR_MSG_LENGTH, b, 18);
    good_ipfix(fx);
}

/* ---- set lengths --------------------------------------------------------- */

static void test_set_length_past_end(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    uint64_t b = C(fx, SF_C_ERR_SET_LENGTH);

    ipfix_hdr(&p, 0, 0, 1);             /* IPFIX template set claiming 100 bytes, 8 present */
    put16(&p, 2);
    put16(&p, 100);
    put32(&p, 0x01000001);
    ipfix_end(&p);
    feed(fx, &p);
    v9_hdr(&p, 1, 0, 0, fx->v9_seq++, 1);   /* v9 flowset claiming 64 bytes, 8 present */
    put16(&p, 0);
    put16(&p, 64);
    put32(&p, 0x01000001);
    feed(fx, &p);
    ipfix_hdr(&p, 0, 0, 1);             /* 3 trailing bytes after the header */
    put16(&p, 256);
    put8(&p, 0);
    ipfix_end(&p);
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_SET_LENGTH, b, 3);
    good_ipfix(fx);
    good_v9(fx);
}

static void test_set_length_zero(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    uint64_t b = C(fx, SF_C_ERR_SET_LENGTH);

    for (unsigned l = 0; l < 4; l++) {
        ipfix_hdr(&p, 0, 0, 1);         /* data set 256 with set length l < 4, then 4 bytes */
        put16(&p, 256);
        put16(&p, l);
        put32(&p, 0);
        ipfix_end(&p);
        feed(fx, &p);
        v9_hdr(&p, 1, 0, 0, fx->v9_seq++, 1);   /* v9 template flowset of length l */
        put16(&p, 0);
        put16(&p, l);
        put32(&p, 0);
        feed(fx, &p);
    }
    ASSERT_GREW(fx, SF_C_ERR_SET_LENGTH, b, 8);
    good_ipfix(fx);
    good_v9(fx);
}

/* ---- templates ----------------------------------------------------------- */

static void test_v9_template_zero_fields(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    uint64_t b = C(fx, SF_C_ERR_TEMPLATE_EMPTY);

    v9_hdr(&p, 2, 0, 0, fx->v9_seq++, 1);   /* v9 template 300 with 0 fields, data for it */
    size_t s = set_begin(&p, 0);
    v9_tmpl(&p, 300, NULL, 0);
    set_end(&p, s);
    s = set_begin(&p, 300);
    put32(&p, 0);
    set_end(&p, s);
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_TEMPLATE_EMPTY, b, 1);
    g_assert_cmpuint(C(fx, SF_C_SETS_NO_TEMPLATE), ==, 1);
    good_v9(fx);
}

/* RFC 7011 8.1: a template record with field count 0 withdraws the template;
 * one whose id is the set id (2) withdraws all templates of the domain. */
static void test_ipfix_withdrawal(fx_t *fx, gconstpointer data)
{
    pkt_t p;

    good_ipfix(fx);
    guint n = fx->flows->len;

    ipfix_hdr(&p, 0, 2, 1);             /* withdraw 256, then a data set for 256 */
    size_t s = set_begin(&p, 2);
    put16(&p, 256);
    put16(&p, 0);
    set_end(&p, s);
    s = set_begin(&p, 256);
    basic_rec(&p, 1, 2, 3, 4, 6, 1, 1);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_WITHDRAWN), ==, 1);
    g_assert_cmpuint(C(fx, SF_C_SETS_NO_TEMPLATE), ==, 1);
    g_assert_cmpuint(fx->flows->len, ==, n);

    ipfix_hdr(&p, 0, 2, 1);             /* data for 256 alone, a message later */
    s = set_begin(&p, 256);
    basic_rec(&p, 1, 2, 3, 4, 6, 1, 1);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_SETS_NO_TEMPLATE), ==, 2);
    g_assert_cmpuint(fx->flows->len, ==, n);

    good_ipfix(fx);                     /* template 256 again: decodes */

    ipfix_hdr(&p, 0, 2, 1);             /* withdraw all (template id 2 = set id 2) */
    s = set_begin(&p, 2);
    put16(&p, 2);
    put16(&p, 0);
    set_end(&p, s);
    s = set_begin(&p, 256);
    basic_rec(&p, 1, 2, 3, 4, 6, 1, 1);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_WITHDRAWN), ==, 2);
    g_assert_cmpuint(C(fx, SF_C_SETS_NO_TEMPLATE), ==, 3);
    g_assert_cmpuint(fx->flows->len, ==, n + 2);

    ipfix_hdr(&p, 0, 2, 1);             /* withdrawing an id below 256 is malformed */
    s = set_begin(&p, 2);
    put16(&p, 100);
    put16(&p, 0);
    set_end(&p, s);
    ipfix_end(&p);
    uint64_t b = C(fx, SF_C_ERR_TEMPLATE_ID);
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_TEMPLATE_ID, b, 1);
    good_ipfix(fx);
}

static void test_too_many_fields(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    uint64_t b = C(fx, SF_C_ERR_TEMPLATE_FIELDS);
    fs_t many[600];

    for (unsigned i = 0; i < G_N_ELEMENTS(many); i++)
        many[i] = (fs_t){ 8, 4, 0 };
    ipfix_hdr(&p, 0, 0, 1);             /* IPFIX template 300 with 600 fields (max 512) */
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, 300, many, G_N_ELEMENTS(many));
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    ipfix_hdr(&p, 0, 0, 1);             /* field count 65535 with no fields behind it */
    s = set_begin(&p, 2);
    put16(&p, 301);
    put16(&p, 65535);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    v9_hdr(&p, 1, 0, 0, fx->v9_seq++, 1);   /* v9 template 300 with 600 fields */
    s = set_begin(&p, 0);
    v9_tmpl(&p, 300, many, G_N_ELEMENTS(many));
    set_end(&p, s);
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_TEMPLATE_FIELDS, b, 3);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES), ==, 0);
    good_ipfix(fx);
    good_v9(fx);
}

static void test_template_overrun(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    uint64_t b = C(fx, SF_C_ERR_TEMPLATE_OVERRUN);

    ipfix_hdr(&p, 0, 0, 1);             /* template 300 says 4 fields, the set holds 2 */
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, 300, basic_fields, 2);
    sf_put16(p.b + s + 6, 4);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    ipfix_hdr(&p, 0, 0, 1);             /* enterprise field whose PEN is cut off */
    s = set_begin(&p, 2);
    put16(&p, 301);
    put16(&p, 1);
    put16(&p, 0x8001);
    put16(&p, 4);
    put16(&p, 0);                       /* 2 of the 4 PEN bytes */
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_TEMPLATE_OVERRUN, b, 2);
    good_ipfix(fx);
}

/* Variable-length fields (RFC 7011 7) whose length runs past the record
 * and the set: fixbuf must refuse the record, never read past the set. */
static void test_varlen_overrun(fx_t *fx, gconstpointer data)
{
    static const fs_t f[] = {
        { 8, 4, 0 }, { 12, 4, 0 }, { 82, VARLEN, 0 },  /* interfaceName, varlen */
        { 2, 8, 0 },
    };
    pkt_t p;

    ipfix_hdr(&p, 0, 0, 1);             /* template 300: src, dst, varlen name, packets */
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, 300, f, G_N_ELEMENTS(f));
    set_end(&p, s);
    s = set_begin(&p, 300);             /* record: varlen says 200 bytes, 10 follow */
    put32(&p, ip4(10, 9, 9, 1));
    put32(&p, ip4(10, 9, 9, 2));
    put8(&p, 200);
    for (int i = 0; i < 10; i++)
        put8(&p, 'x');
    set_end(&p, s);
    s = set_begin(&p, 300);             /* record: 3-byte varlen form says 65000 */
    put32(&p, ip4(10, 9, 9, 3));
    put32(&p, ip4(10, 9, 9, 4));
    put8(&p, 255);
    put16(&p, 65000);
    put64(&p, 1);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES), ==, 1);
    g_assert_cmpuint(fx->flows->len, ==, 0);    /* nothing from the bad sets */

    ipfix_hdr(&p, 0, 0, 1);             /* a good record of template 300: name "eth0" */
    s = set_begin(&p, 300);
    put32(&p, ip4(10, 9, 9, 5));
    put32(&p, ip4(10, 9, 9, 6));
    put8(&p, 4);
    put32(&p, 0x65746830);
    put64(&p, 42);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(fx->flows->len, ==, 1);
    g_assert_cmpuint(v4_of(&flow_at(fx, 0)->dst), ==, ip4(10, 9, 9, 6));
    g_assert_cmpuint(flow_at(fx, 0)->packets, ==, 42);
    good_ipfix(fx);
}

/* ---- options templates --------------------------------------------------- */

static void test_v9_options_scope(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    uint64_t bs = C(fx, SF_C_ERR_OPTIONS_SCOPE);
    uint64_t bo = C(fx, SF_C_ERR_TEMPLATE_OVERRUN);

    v9_hdr(&p, 1, 0, 0, fx->v9_seq++, 1);   /* options template: scope length 6 (not 4k) */
    size_t s = set_begin(&p, 1);
    put16(&p, 257);
    put16(&p, 6);
    put16(&p, 4);
    put16(&p, 1); put16(&p, 4); put16(&p, 0);
    put16(&p, 34); put16(&p, 4); put16(&p, 0);
    set_end(&p, s);
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_OPTIONS_SCOPE, bs, 1);

    v9_hdr(&p, 1, 0, 0, fx->v9_seq++, 1);   /* scope 4 + options 400 bytes, 8 in the flowset */
    s = set_begin(&p, 1);
    put16(&p, 257);
    put16(&p, 4);
    put16(&p, 400);
    put16(&p, 1); put16(&p, 4);
    put16(&p, 34); put16(&p, 4);
    set_end(&p, s);
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_TEMPLATE_OVERRUN, bo, 1);
    g_assert_cmpuint(C(fx, SF_C_OPTIONS_TEMPLATES), ==, 0);
    good_v9(fx);
}

static void test_ipfix_options_scope(fx_t *fx, gconstpointer data)
{
    static const fs_t f[] = { { 149, 4, 0 }, { 34, 4, 0 } };
    pkt_t p;
    uint64_t b = C(fx, SF_C_ERR_OPTIONS_SCOPE);

    ipfix_hdr(&p, 0, 0, 1);             /* options template 257, scope count 0 */
    size_t s = set_begin(&p, 3);
    ipfix_opt_tmpl(&p, 257, f, 2, 0);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    ipfix_hdr(&p, 0, 0, 1);             /* options template 258, scope count 3 of 2 fields */
    s = set_begin(&p, 3);
    ipfix_opt_tmpl(&p, 258, f, 2, 3);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    ASSERT_GREW(fx, SF_C_ERR_OPTIONS_SCOPE, b, 2);
    g_assert_cmpuint(C(fx, SF_C_OPTIONS_TEMPLATES), ==, 0);
    good_ipfix(fx);
}

/* ---- redefinition, caps, versions --------------------------------------- */

static void test_redefinition(fx_t *fx, gconstpointer data)
{
    /* New layout of 256: destination first, 4-byte counters, ports swapped. */
    static const fs_t f2[] = {
        { 12, 4, 0 }, { 8, 4, 0 }, { 11, 2, 0 }, { 7, 2, 0 }, { 4, 1, 0 },
        { 1, 4, 0 }, { 2, 4, 0 },
    };
    pkt_t p;

    good_ipfix(fx);
    good_ipfix(fx);                     /* a refresh is not a redefinition */
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 0);

    ipfix_hdr(&p, 0, 4, 1);             /* 256 redefined, then one record in the new layout */
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, 256, f2, G_N_ELEMENTS(f2));
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 1);

    guint n = fx->flows->len;
    ipfix_hdr(&p, 0, 4, 1);             /* dst 10.7.0.2, src 10.7.0.1, dport 25, sport 2525, udp, 999 bytes, 9 pkts */
    s = set_begin(&p, 256);
    put32(&p, ip4(10, 7, 0, 2));
    put32(&p, ip4(10, 7, 0, 1));
    put16(&p, 25);
    put16(&p, 2525);
    put8(&p, 17);
    put32(&p, 999);
    put32(&p, 9);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(fx->flows->len, ==, n + 1);
    const sf_flow_t *f = flow_at(fx, n);
    g_assert_cmpuint(v4_of(&f->src), ==, ip4(10, 7, 0, 1));
    g_assert_cmpuint(v4_of(&f->dst), ==, ip4(10, 7, 0, 2));
    g_assert_cmpuint(f->src_port, ==, 2525);
    g_assert_cmpuint(f->dst_port, ==, 25);
    g_assert_cmpuint(f->proto, ==, 17);
    g_assert_cmpuint(f->packets, ==, 9);
    g_assert_cmpuint(f->bytes, ==, 999);

    good_ipfix(fx);                     /* and back to the old layout */
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 2);
}

/* Found by fuzz-v9 (fixtures/fuzz-crashes/v9-crash-78456f609441f0fe): a
 * data set shorter than one record of its template, then a template set
 * redefining that template, then a data set of the new layout, all in one
 * message.  fixbuf skips the short set and reads the next record after
 * freeing the template the decoder had peeked: the record must be read
 * with the new layout (before the fix: with the freed one's context, a
 * use after free under ASan). */
static void test_redefinition_after_short_set(fx_t *fx, gconstpointer data)
{
    static const fs_t times[] = {
        { 8, 4, 0 }, { 12, 4, 0 }, { 152, 8, 0 }, { 153, 8, 0 },
    };
    const uint64_t t0 = UINT64_C(1700000000000);
    pkt_t p;

    ipfix_hdr(&p, 0, 0, 1);
    size_t s = set_begin(&p, 2);        /* 256: the basic layout, 29-byte records */
    ipfix_tmpl(&p, 256, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    s = set_begin(&p, 256);             /* 8 bytes: less than one record */
    put64(&p, 0);
    set_end(&p, s);
    s = set_begin(&p, 2);               /* 256 again: addresses and ms times */
    ipfix_tmpl(&p, 256, times, G_N_ELEMENTS(times));
    set_end(&p, s);
    s = set_begin(&p, 256);
    put32(&p, ip4(10, 8, 0, 3));
    put32(&p, ip4(10, 8, 0, 4));
    put64(&p, t0 + 1);
    put64(&p, t0 + 2);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(fx->flows->len, ==, 1);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 1);
    const sf_flow_t *f = flow_at(fx, 0);
    g_assert_cmpuint(v4_of(&f->dst), ==, ip4(10, 8, 0, 4));
    g_assert_true(f->fields & SF_HAS_TIMES);
    g_assert_false(f->fields & (SF_HAS_PACKETS | SF_HAS_PORTS));
    g_assert_cmpint(f->start_ms, ==, (int64_t)t0 + 1);
    g_assert_cmpint(f->end_ms, ==, (int64_t)t0 + 2);
    good_ipfix(fx);
}

/* One IPFIX message defining templates first..first+n-1 in domain dom. */
static void flood_msg(pkt_t *p, uint32_t dom, unsigned first, unsigned n)
{
    ipfix_hdr(p, 0, 0, dom);
    size_t s = set_begin(p, 2);
    for (unsigned i = 0; i < n; i++)
        ipfix_tmpl(p, (uint16_t)(first + i), basic_fields, 2);
    set_end(p, s);
    ipfix_end(p);
}

static void test_template_flood(fx_t *fx, gconstpointer data)
{
    sf_decoder_config_t cfg = { 16, 100, 64, 3600, false };
    pkt_t p;

    fx_decoder(fx, &cfg);
    for (unsigned k = 0; k < 10; k++) { /* 10 messages of 50 new template ids */
        flood_msg(&p, 1, 256 + 50 * k, 50);
        feed(fx, &p);
    }
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES), ==, 100);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATE_CAP), ==, 400);
    flood_msg(&p, 2, 256, 50);          /* the cap covers all domains */
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATE_CAP), ==, 450);
    flood_msg(&p, 1, 256, 50);          /* refreshes of held templates still pass */
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES), ==, 150);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATE_CAP), ==, 450);

    /* The table itself stays bounded: one TCP session, read directly. */
    sf_exporter_t *e = sf_decoder_session_new(fx->d, &fx->exp);
    for (unsigned k = 0; k < 10; k++) {
        flood_msg(&p, 1, 1000 + 50 * k, 50);
        sf_decoder_session_packet(fx->d, e, p.b, p.n, 0);
        g_assert_cmpuint(g_hash_table_size(e->templates), <=, cfg.max_templates);
    }
    g_assert_cmpuint(g_hash_table_size(e->templates), ==, cfg.max_templates);
    sf_decoder_session_free(fx->d, e);

    /* A withdrawal frees room under the cap. */
    ipfix_hdr(&p, 0, 0, 1);
    size_t s = set_begin(&p, 2);
    put16(&p, 256);
    put16(&p, 0);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_WITHDRAWN), ==, 1);
    uint64_t cap = C(fx, SF_C_TEMPLATE_CAP);
    good_ipfix(fx);                     /* 256 fits again, and decodes */
    g_assert_cmpuint(C(fx, SF_C_TEMPLATE_CAP), ==, cap);
}

static void test_domain_cap(fx_t *fx, gconstpointer data)
{
    pkt_t p;

    for (uint32_t dom = 100; dom < 100 + 70; dom++) {   /* 70 domains, template 256 each */
        flood_msg(&p, dom, 256, 1);
        feed(fx, &p);
    }
    g_assert_cmpuint(C(fx, SF_C_DOMAIN_CAP), ==, 70 - SF_MAX_DOMAINS);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES), ==, SF_MAX_DOMAINS);
    ipfix_hdr(&p, 0, 0, 1);             /* an empty message of a 71st domain */
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_DOMAIN_CAP), ==, 70 - SF_MAX_DOMAINS + 1);

    /* a known domain still decodes: template and data of domain 100 */
    guint n = fx->flows->len;
    ipfix_hdr(&p, 0, 0, 100);
    size_t s = set_begin(&p, 256);
    put32(&p, ip4(10, 3, 0, 1));
    put32(&p, ip4(10, 3, 0, 2));
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(fx->flows->len, ==, n + 1);
    g_assert_cmpuint(flow_at(fx, n)->obs_domain, ==, 100);
    g_assert_cmpuint(v4_of(&flow_at(fx, n)->dst), ==, ip4(10, 3, 0, 2));
}

static void test_exporter_cap(fx_t *fx, gconstpointer data)
{
    sf_decoder_config_t cfg = { 4, 1024, 512, 3600, false };
    pkt_t p;

    fx_decoder(fx, &cfg);
    good_ipfix(fx);                     /* exporter 192.0.2.1 */
    flood_msg(&p, 1, 256, 1);
    for (unsigned i = 2; i < 12; i++) { /* 10 more exporters: 3 fit */
        sf_addr_t a = addr4(ip4(192, 0, 2, i));
        feed_from(fx, &a, &p);
    }
    g_assert_cmpuint(C(fx, SF_C_EXPORTER_CAP), ==, 7);
    g_assert_cmpuint(sf_decoder_exporter_count(fx->d), ==, 4);
    good_ipfix(fx);                     /* the known exporter keeps decoding */
    sf_decoder_expire(fx->d, INT64_C(1700000000000) + 7200 * 1000);
    g_assert_cmpuint(sf_decoder_exporter_count(fx->d), ==, 0);
    sf_addr_t a = addr4(ip4(192, 0, 2, 11));   /* room again after expiry */
    feed_from(fx, &a, &p);
    g_assert_cmpuint(C(fx, SF_C_EXPORTER_CAP), ==, 7);

    /* A full table drops exporters silent for a minute to make room (a
     * spoofed address is idle right after its packet); busy ones stay. */
    for (unsigned i = 20; i < 23; i++) {
        sf_addr_t b = addr4(ip4(192, 0, 2, i));
        feed_from(fx, &b, &p);
    }
    g_assert_cmpuint(sf_decoder_exporter_count(fx->d), ==, 4);
    int64_t later = INT64_C(1700000000000) + 61 * 1000;
    sf_decoder_packet(fx->d, &a, p.b, p.n, later);      /* 192.0.2.11 busy */
    sf_addr_t c = addr4(ip4(192, 0, 2, 30));
    sf_decoder_packet(fx->d, &c, p.b, p.n, later + 1);
    g_assert_cmpuint(C(fx, SF_C_EXPORTER_CAP), ==, 7);
    g_assert_cmpuint(sf_decoder_exporter_count(fx->d), ==, 2);  /* .11 and .30 */
}

static void test_unknown_version(fx_t *fx, gconstpointer data)
{
    pkt_t p;

    for (unsigned v = 0; v < 12; v++) {
        if (v == 5 || v == 9 || v == 10)
            continue;
        ipfix_hdr(&p, 0, 0, 1);         /* an IPFIX-shaped header with version v */
        sf_put16(p.b, (uint16_t)v);
        ipfix_end(&p);
        feed(fx, &p);
    }
    p.b[0] = 0xff;                      /* version 0xff0a */
    p.b[1] = 0x0a;
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_ERR_BAD_VERSION), ==, 10);
    g_assert_cmpuint(sf_decoder_exporter_count(fx->d), ==, 0);
    good_ipfix(fx);
    good_v9(fx);
    good_v5(fx);
}

/* Data sets that come before any template of their domain (a collector or
 * exporter restart) are held and decoded when the template arrives; see
 * test_ipfix_withdrawal for ids that were withdrawn (never held). */
static void test_data_before_template(fx_t *fx, gconstpointer data)
{
    pkt_t p;

    ipfix_hdr(&p, 0, 0, 1);             /* data set 256 first, template in a later message */
    size_t s = set_begin(&p, 256);
    basic_rec(&p, ip4(10, 3, 0, 1), ip4(10, 3, 0, 2), 1, 2, 6, 1, 300);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_SETS_NO_TEMPLATE), ==, 1);
    g_assert_cmpuint(fx->flows->len, ==, 0);

    ipfix_hdr(&p, 0, 1, 1);             /* data for 256 then the template, in one message */
    s = set_begin(&p, 256);
    basic_rec(&p, 1, 2, 3, 4, 6, 1, 400);
    set_end(&p, s);
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 256, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_SETS_NO_TEMPLATE), ==, 2);
    g_assert_cmpuint(C(fx, SF_C_SETS_RECOVERED), ==, 2);
    g_assert_cmpuint(fx->flows->len, ==, 2);      /* both, in arrival order */
    g_assert_cmpuint(flow_at(fx, 0)->bytes, ==, 300);
    g_assert_cmpuint(flow_at(fx, 1)->bytes, ==, 400);
    g_assert_cmpuint(C(fx, SF_C_PACKETS_IPFIX), ==, 2);  /* not counted again */
    g_assert_cmpuint(C(fx, SF_C_SEQ_LOST), ==, 0);

    ipfix_hdr(&p, 0, 1, 1);             /* now the data alone decodes */
    s = set_begin(&p, 256);
    basic_rec(&p, ip4(10, 4, 0, 1), ip4(10, 4, 0, 2), 1, 2, 6, 11, 1100);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(fx->flows->len, ==, 3);
    g_assert_cmpuint(flow_at(fx, 2)->bytes, ==, 1100);

    /* A flood of data sets for templates that never come (domain 7): at
     * most 64 held, none decoded, and a set older than 120 s is dropped
     * rather than decoded when its template finally arrives. */
    for (guint i = 0; i < 1000; i++) {
        ipfix_hdr(&p, 0, 2 + i, 7);
        s = set_begin(&p, (uint16_t)(300 + i % 50));
        basic_rec(&p, 1, 2, 3, 4, 6, 1, 1);
        set_end(&p, s);
        ipfix_end(&p);
        feed(fx, &p);
    }
    g_assert_cmpuint(C(fx, SF_C_SETS_NO_TEMPLATE), ==, 1002);
    ipfix_hdr(&p, 0, 1002, 7);          /* 349: 20 were sent, 2 among the last 64 */
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 349, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    ipfix_end(&p);
    sf_decoder_packet(fx->d, &fx->exp, p.b, p.n, 1700000000000 + 1000);
    g_assert_cmpuint(C(fx, SF_C_SETS_RECOVERED), ==, 4);
    g_assert_cmpuint(fx->flows->len, ==, 5);
    ipfix_hdr(&p, 0, 1002, 7);          /* 348, two minutes later: expired */
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 348, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    ipfix_end(&p);
    sf_decoder_packet(fx->d, &fx->exp, p.b, p.n, 1700000000000 + 121000);
    g_assert_cmpuint(C(fx, SF_C_SETS_RECOVERED), ==, 4);
    g_assert_cmpuint(fx->flows->len, ==, 5);

    /* v9 from a second exporter (templates are per exporter and domain,
     * and this one's domain 1 now holds IPFIX template 256): data for 256
     * before any template. */
    fx->exp = addr4(ip4(192, 0, 2, 2));
    v9_hdr(&p, 1, 100000, 1700000000, fx->v9_seq++, 1);
    s = set_begin(&p, 256);
    put32(&p, 0);
    set_end(&p, s);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_SETS_NO_TEMPLATE), ==, 1003);
    good_v9(fx);
}

/* ---- sequence numbers ---------------------------------------------------- */

static void test_sequence_v5(fx_t *fx, gconstpointer data)
{
    good_v5_seq(fx, 100);               /* flows 100, 101 */
    good_v5_seq(fx, 102);               /* in order */
    g_assert_cmpuint(C(fx, SF_C_SEQ_LOST), ==, 0);
    good_v5_seq(fx, 107);               /* flows 104..106 lost: 3 */
    g_assert_cmpuint(C(fx, SF_C_SEQ_LOST), ==, 3);
    good_v5_seq(fx, 50);                /* backwards: a restart, not a loss */
    g_assert_cmpuint(C(fx, SF_C_SEQ_LOST), ==, 3);
    g_assert_cmpuint(C(fx, SF_C_SEQ_RESET), ==, 1);
}

static void test_sequence_v9(fx_t *fx, gconstpointer data)
{
    fx->v9_seq = 0xfffffffe;            /* packets ...fe, ...ff, 0 across the wrap */
    good_v9(fx);
    good_v9(fx);
    good_v9(fx);
    g_assert_cmpuint(C(fx, SF_C_SEQ_LOST), ==, 0);
    fx->v9_seq = 5;                     /* packets 1..4 lost */
    good_v9(fx);
    g_assert_cmpuint(C(fx, SF_C_SEQ_LOST), ==, 4);
    g_assert_cmpuint(C(fx, SF_C_SEQ_RESET), ==, 0);
}

static void ipfix_two_records(fx_t *fx, uint32_t seq)
{
    pkt_t p;

    ipfix_hdr(&p, 0, seq, 7);           /* template 256 and 2 data records, domain 7 */
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, 256, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    s = set_begin(&p, 256);
    basic_rec(&p, 1, 2, 3, 4, 6, 1, 1);
    basic_rec(&p, 1, 2, 3, 4, 6, 1, 1);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
}

static void test_sequence_ipfix(fx_t *fx, gconstpointer data)
{
    ipfix_two_records(fx, 10);          /* records 10, 11 */
    ipfix_two_records(fx, 12);          /* in order */
    g_assert_cmpuint(C(fx, SF_C_SEQ_LOST), ==, 0);
    ipfix_two_records(fx, 20);          /* records 14..19 lost: 6 */
    g_assert_cmpuint(C(fx, SF_C_SEQ_LOST), ==, 6);
    ipfix_two_records(fx, 22);
    g_assert_cmpuint(C(fx, SF_C_SEQ_LOST), ==, 6);
    g_assert_cmpuint(fx->flows->len, ==, 8);
}

/* ---- sampling ------------------------------------------------------------ */

static void test_sampling_v9(fx_t *fx, gconstpointer data)
{
    pkt_t p;
    sf_addr_t other = addr4(ip4(192, 0, 2, 99));

    good_v9(fx);
    g_assert_cmpuint(flow_at(fx, 0)->sampling_interval, ==, 0);     /* unknown yet */

    /* Options template 257 (scope: system, 4 bytes; options:
     * SAMPLING_INTERVAL 34, 4 bytes; SAMPLING_ALGORITHM 35, 1 byte) and one
     * options record: interval 100, random sampling (2). */
    v9_hdr(&p, 2, 100000, 1700000000, fx->v9_seq++, 1);
    size_t s = set_begin(&p, 1);
    put16(&p, 257);
    put16(&p, 4);
    put16(&p, 8);
    put16(&p, 1); put16(&p, 4);
    put16(&p, 34); put16(&p, 4);
    put16(&p, 35); put16(&p, 1);
    put16(&p, 0);                       /* padding */
    set_end(&p, s);
    s = set_begin(&p, 257);
    put32(&p, 0);
    put32(&p, 100);
    put8(&p, 2);
    put16(&p, 0);                       /* padding */
    put8(&p, 0);
    set_end(&p, s);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_OPTIONS_TEMPLATES), ==, 1);
    g_assert_cmpuint(C(fx, SF_C_OPTIONS_RECORDS), ==, 1);

    good_v9(fx);
    g_assert_cmpuint(flow_at(fx, 1)->sampling_interval, ==, 100);

    guint n = fx->flows->len;           /* another exporter: not sampled by that */
    fx->v9_seq = 0;
    v9_hdr(&p, 2, 100000, 1700000000, 0, 1);
    s = set_begin(&p, 0);
    v9_tmpl(&p, 256, v9_fields, G_N_ELEMENTS(v9_fields));
    set_end(&p, s);
    s = set_begin(&p, 256);
    for (int i = 0; i < 32; i++)
        put8(&p, 1);
    set_end(&p, s);
    feed_from(fx, &other, &p);
    g_assert_cmpuint(fx->flows->len, ==, n + 1);
    g_assert_cmpuint(flow_at(fx, n)->sampling_interval, ==, 0);
}

static void test_sampling_ipfix(fx_t *fx, gconstpointer data)
{
    /* Options template 257: scope observationDomainId (149); options
     * samplingPacketInterval (305) and samplingPacketSpace (306). */
    static const fs_t f[] = { { 149, 4, 0 }, { 305, 4, 0 }, { 306, 4, 0 } };
    pkt_t p;

    ipfix_hdr(&p, 0, 0, 1);             /* 1 packet selected, then 99 skipped: 1 in 100 */
    size_t s = set_begin(&p, 3);
    ipfix_opt_tmpl(&p, 257, f, 3, 1);
    put16(&p, 0);                       /* padding */
    set_end(&p, s);
    s = set_begin(&p, 257);
    put32(&p, 1);
    put32(&p, 1);
    put32(&p, 99);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(C(fx, SF_C_OPTIONS_RECORDS), ==, 1);
    good_ipfix(fx);
    g_assert_cmpuint(flow_at(fx, 0)->sampling_interval, ==, 100);
    g_assert_cmpuint(flow_at(fx, 1)->sampling_interval, ==, 100);
}

static void test_sampling_v5(fx_t *fx, gconstpointer data)
{
    pkt_t p;

    v5_hdr(&p, 1, 1000, 1700000000, 0, 0x4000 | 512);  /* mode 1, interval 512 */
    v5_rec(&p, 1, 2, 3, 4, 17, 1, 1, 1000, 1000);
    feed(fx, &p);
    g_assert_cmpuint(flow_at(fx, 0)->sampling_interval, ==, 512);
}

/* ---- times --------------------------------------------------------------- */

/* v9 FIRST_SWITCHED/LAST_SWITCHED against a sysUpTime that wrapped: the
 * header says 5000 ms, the flow started at 0xfffff000 (4096 ms before the
 * wrap) and ended at 4000. */
static void test_time_v9_wrap(fx_t *fx, gconstpointer data)
{
    pkt_t p;

    good_v9(fx);                        /* the plain case: checked inside */
    v9_hdr(&p, 2, 5000, 1700000000, fx->v9_seq++, 1);
    size_t s = set_begin(&p, 0);
    v9_tmpl(&p, 256, v9_fields, G_N_ELEMENTS(v9_fields));
    set_end(&p, s);
    s = set_begin(&p, 256);
    put32(&p, 1); put32(&p, 2); put16(&p, 3); put16(&p, 4); put8(&p, 6);
    put32(&p, 1); put32(&p, 1);
    put32(&p, 4000);                    /* last */
    put32(&p, 0xfffff000u);             /* first */
    put16(&p, 0); put8(&p, 0);
    set_end(&p, s);
    feed(fx, &p);
    const sf_flow_t *f = flow_at(fx, 1);
    g_assert_cmpint(f->start_ms, ==, INT64_C(1700000000000) - 4096 - 5000);
    g_assert_cmpint(f->end_ms, ==, INT64_C(1700000000000) - 1000);
}

/* One IPFIX message: a template of src, dst and the two time fields, and
 * one record whose time bytes are given; returns the decoded flow. */
static const sf_flow_t *ipfix_times(fx_t *fx, uint16_t tid, const fs_t *tf,
                                    unsigned ntf, const uint8_t *tv, size_t tvlen)
{
    fs_t f[6] = { { 8, 4, 0 }, { 12, 4, 0 } };
    pkt_t p;
    guint n = fx->flows->len;

    for (unsigned i = 0; i < ntf; i++)
        f[2 + i] = tf[i];
    ipfix_hdr(&p, 1700000100, 0, 1);    /* export time 1700000100 s */
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, tid, f, 2 + ntf);
    set_end(&p, s);
    s = set_begin(&p, tid);
    put32(&p, ip4(10, 5, 0, 1));
    put32(&p, ip4(10, 5, 0, 2));
    memcpy(p.b + p.n, tv, tvlen);
    p.n += tvlen;
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(fx->flows->len, ==, n + 1);
    g_assert_true(flow_at(fx, n)->fields & SF_HAS_TIMES);
    return flow_at(fx, n);
}

static void test_time_ipfix(fx_t *fx, gconstpointer data)
{
    const int64_t t0 = INT64_C(1700000000000);
    const uint64_t ntp0 = (UINT64_C(1700000000) + UINT64_C(2208988800)) << 32;
    pkt_t v;
    const sf_flow_t *f;

    /* 150/151 flowStart/EndSeconds: 1700000000, 1700000005 */
    v.n = 0; put32(&v, 1700000000); put32(&v, 1700000005);
    f = ipfix_times(fx, 300, (fs_t[]){ { 150, 4, 0 }, { 151, 4, 0 } }, 2, v.b, v.n);
    g_assert_cmpint(f->start_ms, ==, t0);
    g_assert_cmpint(f->end_ms, ==, t0 + 5000);

    /* 152/153 milliseconds: t0 + 123, t0 + 456 */
    v.n = 0; put64(&v, (uint64_t)t0 + 123); put64(&v, (uint64_t)t0 + 456);
    f = ipfix_times(fx, 301, (fs_t[]){ { 152, 8, 0 }, { 153, 8, 0 } }, 2, v.b, v.n);
    g_assert_cmpint(f->start_ms, ==, t0 + 123);
    g_assert_cmpint(f->end_ms, ==, t0 + 456);

    /* 154/155 NTP microseconds: t0 + 0.5 s, t0 + 0.25 s */
    v.n = 0; put64(&v, ntp0 | 0x80000000u); put64(&v, ntp0 | 0x40000000u);
    f = ipfix_times(fx, 302, (fs_t[]){ { 154, 8, 0 }, { 155, 8, 0 } }, 2, v.b, v.n);
    g_assert_cmpint(f->start_ms, ==, t0 + 500);
    g_assert_cmpint(f->end_ms, ==, t0 + 250);

    /* 156/157 NTP nanoseconds: t0 + 0.75 s, t0 + 2 s */
    v.n = 0; put64(&v, ntp0 | 0xc0000000u); put64(&v, ntp0 + (UINT64_C(2) << 32));
    f = ipfix_times(fx, 303, (fs_t[]){ { 156, 8, 0 }, { 157, 8, 0 } }, 2, v.b, v.n);
    g_assert_cmpint(f->start_ms, ==, t0 + 750);
    g_assert_cmpint(f->end_ms, ==, t0 + 2000);

    /* 158/159 delta microseconds before the export time (t0 + 100 s):
     * 5 s and 1 ms before */
    v.n = 0; put32(&v, 5000000); put32(&v, 1000);
    f = ipfix_times(fx, 304, (fs_t[]){ { 158, 4, 0 }, { 159, 4, 0 } }, 2, v.b, v.n);
    g_assert_cmpint(f->start_ms, ==, t0 + 100000 - 5000);
    g_assert_cmpint(f->end_ms, ==, t0 + 100000 - 1);

    /* 22/21 sysUpTime with 160 systemInitTimeMilliseconds in the record:
     * booted at t0 - 3600 s; flow from 1000 to 2500 ms uptime */
    v.n = 0; put32(&v, 1000); put32(&v, 2500); put64(&v, (uint64_t)t0 - 3600000);
    f = ipfix_times(fx, 305,
                    (fs_t[]){ { 22, 4, 0 }, { 21, 4, 0 }, { 160, 8, 0 } }, 3, v.b, v.n);
    g_assert_cmpint(f->start_ms, ==, t0 - 3600000 + 1000);
    g_assert_cmpint(f->end_ms, ==, t0 - 3600000 + 2500);

    /* 152 with 161 flowDurationMilliseconds: end = start + 750 */
    v.n = 0; put64(&v, (uint64_t)t0); put32(&v, 750);
    f = ipfix_times(fx, 306, (fs_t[]){ { 152, 8, 0 }, { 161, 4, 0 } }, 2, v.b, v.n);
    g_assert_cmpint(f->end_ms, ==, t0 + 750);
}

/* 22/21 with 160 sent once in an options record of the domain. */
static void test_time_ipfix_options_init(fx_t *fx, gconstpointer data)
{
    static const fs_t of[] = { { 149, 4, 0 }, { 160, 8, 0 } };
    const int64_t t0 = INT64_C(1700000000000);
    pkt_t p, v;

    ipfix_hdr(&p, 1700000100, 0, 1);    /* options record: booted at t0 - 60 s */
    size_t s = set_begin(&p, 3);
    ipfix_opt_tmpl(&p, 257, of, 2, 1);
    put16(&p, 0);
    set_end(&p, s);
    s = set_begin(&p, 257);
    put32(&p, 1);
    put64(&p, (uint64_t)t0 - 60000);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    v.n = 0; put32(&v, 100); put32(&v, 200);
    const sf_flow_t *f =
        ipfix_times(fx, 300, (fs_t[]){ { 22, 4, 0 }, { 21, 4, 0 } }, 2, v.b, v.n);
    g_assert_cmpint(f->start_ms, ==, t0 - 60000 + 100);
    g_assert_cmpint(f->end_ms, ==, t0 - 60000 + 200);
}

/* ---- biflows and firewall events --------------------------------------- */

static void test_biflow(fx_t *fx, gconstpointer data)
{
    /* RFC 5103 as softflowd -b sends: forward counters plus
     * reverseOctetDeltaCount (29305/1) and reversePacketDeltaCount (29305/2). */
    static const fs_t f[] = {
        { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
        { 1, 8, 0 }, { 2, 8, 0 }, { 1, 8, 29305 }, { 2, 8, 29305 },
    };
    pkt_t p;

    ipfix_hdr(&p, 1700000000, 0, 1);   /* 10.6.0.1:5555 -> 10.6.0.2:80, 4 pkts/400 B, back 3 pkts/3000 B */
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, 256, f, G_N_ELEMENTS(f));
    set_end(&p, s);
    s = set_begin(&p, 256);
    put32(&p, ip4(10, 6, 0, 1));
    put32(&p, ip4(10, 6, 0, 2));
    put16(&p, 5555);
    put16(&p, 80);
    put8(&p, 6);
    put64(&p, 400);
    put64(&p, 4);
    put64(&p, 3000);
    put64(&p, 3);
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
    g_assert_cmpuint(fx->flows->len, ==, 2);
    g_assert_cmpuint(C(fx, SF_C_BIFLOW_REVERSE), ==, 1);
    const sf_flow_t *a = flow_at(fx, 0), *b = flow_at(fx, 1);
    g_assert_false(a->reverse);
    g_assert_cmpuint(v4_of(&a->src), ==, ip4(10, 6, 0, 1));
    g_assert_cmpuint(a->src_port, ==, 5555);
    g_assert_cmpuint(a->packets, ==, 4);
    g_assert_cmpuint(a->bytes, ==, 400);
    g_assert_true(b->reverse);
    g_assert_cmpuint(v4_of(&b->src), ==, ip4(10, 6, 0, 2));
    g_assert_cmpuint(v4_of(&b->dst), ==, ip4(10, 6, 0, 1));
    g_assert_cmpuint(b->src_port, ==, 80);
    g_assert_cmpuint(b->dst_port, ==, 5555);
    g_assert_cmpuint(b->packets, ==, 3);
    g_assert_cmpuint(b->bytes, ==, 3000);
}

static void test_nsel(fx_t *fx, gconstpointer data)
{
    /* Cisco ASA NSEL over v9: NF_F_FW_EVENT (233, 1 byte),
     * NF_F_FW_EXT_EVENT (33002, 2 bytes), FORWARDING_STATUS (89, 1 byte). */
    static const fs_t f[] = {
        { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
        { 233, 1, 0 }, { 33002, 2, 0 }, { 89, 1, 0 },
    };
    /* The same with forwarding status as 4 bytes (RFC 7270 unsigned32). */
    static const fs_t f4[] = {
        { 8, 4, 0 }, { 12, 4, 0 }, { 4, 1, 0 }, { 233, 1, 0 }, { 89, 4, 0 },
    };
    pkt_t p;

    v9_hdr(&p, 4, 100000, 1700000000, fx->v9_seq++, 1);
    size_t s = set_begin(&p, 0);
    v9_tmpl(&p, 263, f, G_N_ELEMENTS(f));
    v9_tmpl(&p, 264, f4, G_N_ELEMENTS(f4));
    set_end(&p, s);
    s = set_begin(&p, 263);             /* denied (3), ext event 1001, dropped (0x80) */
    put32(&p, ip4(198, 51, 100, 7));
    put32(&p, ip4(203, 0, 113, 9));
    put16(&p, 40000);
    put16(&p, 23);
    put8(&p, 6);
    put8(&p, 3);
    put16(&p, 1001);
    put8(&p, 0x80);
    set_end(&p, s);
    s = set_begin(&p, 264);             /* created (1), forwarded (0x00000040) */
    put32(&p, ip4(198, 51, 100, 8));
    put32(&p, ip4(203, 0, 113, 10));
    put8(&p, 17);
    put8(&p, 1);
    put32(&p, 0x40);
    put8(&p, 0);                        /* padding */
    put16(&p, 0);
    set_end(&p, s);
    feed(fx, &p);
    g_assert_cmpuint(fx->flows->len, ==, 2);
    const sf_flow_t *a = flow_at(fx, 0), *b = flow_at(fx, 1);
    g_assert_true(a->fields & SF_HAS_FW_EVENT);
    g_assert_cmpuint(a->fw_event, ==, SF_FW_DENIED);
    g_assert_cmpuint(a->fw_ext_event, ==, 1001);
    g_assert_true(a->fields & SF_HAS_FWD_STATUS);
    g_assert_cmpuint(a->fwd_status, ==, 2);
    g_assert_cmpuint(a->dst_port, ==, 23);
    g_assert_cmpuint(b->fw_event, ==, SF_FW_CREATED);
    g_assert_true(b->fields & SF_HAS_FWD_STATUS);
    g_assert_cmpuint(b->fwd_status, ==, 1);
    g_assert_cmpuint(v4_of(&b->dst), ==, ip4(203, 0, 113, 10));
    g_assert_cmpuint(C(fx, SF_C_FIELDS_IGNORED), ==, 0);
}

/* Every member of two flows, one by one (no memcmp: padding). */
static void assert_same_flow(const sf_flow_t *a, const sf_flow_t *b)
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

static void twin_new(twin_t *t)
{
    sf_decoder_config_t cfg = SF_DECODER_CONFIG_DEFAULT;

    cfg.fixbuf_only = true;
    t->flows = g_array_new(FALSE, TRUE, sizeof(sf_flow_t));
    t->d = sf_decoder_new(&cfg, sink, t->flows);
}

static void twin_free(twin_t *t)
{
    sf_decoder_free(t->d);
    g_array_free(t->flows, TRUE);
}

/* Feeds both; both must have given the same flows, n more than before. */
static void feed_both(fx_t *fx, twin_t *t, const pkt_t *p, guint n)
{
    guint before = fx->flows->len;

    feed(fx, p);
    sf_decoder_packet(t->d, &fx->exp, p->b, p->n, 1700000000000);
    g_assert_cmpuint(fx->flows->len, ==, before + n);
    g_assert_cmpuint(t->flows->len, ==, fx->flows->len);
    for (guint i = before; i < fx->flows->len; i++)
        assert_same_flow(flow_at(fx, i), &g_array_index(t->flows, sf_flow_t, i));
}

static void test_fast_reduced_sizes(fx_t *fx, gconstpointer data)
{
    /* Reduced-size integers (RFC 7011 6.2) at every width the fast path
     * converts, common (4-byte counters, 2-byte ifIndex, 1-byte TCP flags)
     * and odd (3, 5 bytes), in flows and in a biflow's reverse half: the
     * fast path must give what libfixbuf's fBufNext gives. */
    static const fs_t f[] = {
        { 27, 16, 0 }, { 28, 16, 0 },   /* IPv6 addresses */
        { 7, 1, 0 }, { 11, 2, 0 },      /* ports: 1 and 2 bytes */
        { 4, 1, 0 }, { 6, 1, 0 },       /* protocol, tcpControlBits (1 of 2) */
        { 1, 3, 0 }, { 2, 5, 0 },       /* octets 3 of 8, packets 5 of 8 */
        { 10, 3, 0 }, { 14, 1, 0 },     /* ifIndex 3 and 1 of 4 */
        { 152, 8, 0 }, { 153, 8, 0 },   /* flowStart/EndMilliseconds */
        { 1, 2, 29305 }, { 2, 4, 29305 }, { 6, 1, 29305 },  /* reverse */
    };
    static const fs_t g[] = {
        { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
        { 2, 4, 0 }, { 1, 4, 0 },       /* counters 4 of 8 */
        { 10, 2, 0 }, { 14, 4, 0 },     /* ifIndex 2 and 4 of 4 */
        { 150, 4, 0 }, { 151, 4, 0 },   /* flowStart/EndSeconds */
    };
    static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
    static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2 };
    twin_t t;
    pkt_t p;

    twin_new(&t);
    ipfix_hdr(&p, 1700000000, 0, 1);
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, 300, f, G_N_ELEMENTS(f));
    ipfix_tmpl(&p, 301, g, G_N_ELEMENTS(g));
    set_end(&p, s);
    s = set_begin(&p, 300);
    for (unsigned i = 0; i < 3; i++) {  /* the last without reverse traffic */
        memcpy(p.b + p.n, i ? v6b : v6a, 16);
        p.n += 16;
        memcpy(p.b + p.n, i ? v6a : v6b, 16);
        p.n += 16;
        put8(&p, 0xf0 + i);
        put16(&p, 0xfe01 + i);
        put8(&p, 6);
        put8(&p, 0x1b - i);
        put8(&p, 0x0a); put16(&p, 0x0b0c + i);          /* 0x0a0b0c */
        put8(&p, 0x01); put32(&p, 0x02030405u + i);     /* 0x0102030405 */
        put8(&p, 0x12); put16(&p, 0x3456 + i);
        put8(&p, 0xc8 + i);
        put64(&p, UINT64_C(1700000000123) + i);
        put64(&p, UINT64_C(1700000000456) + i);
        put16(&p, i == 2 ? 0 : 0x8001 + i);
        put32(&p, i == 2 ? 0 : 0x80000002u + i);
        put8(&p, 0x12);
    }
    set_end(&p, s);
    s = set_begin(&p, 301);
    for (unsigned i = 0; i < 2; i++) {
        put32(&p, ip4(10, 7, 0, 1 + i));
        put32(&p, ip4(10, 7, 1, 1 + i));
        put16(&p, 1234 + i);
        put16(&p, 53);
        put8(&p, 17);
        put32(&p, 0xfffffff0u + i);
        put32(&p, 0x80000000u + i);
        put16(&p, 0xfffe + i);
        put32(&p, 0xdeadbeefu + i);
        put32(&p, 1700000000 + i);
        put32(&p, 1700000005 + i);
    }
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 7);                   /* 3 + 2 reverse + 2 */
    const sf_flow_t *a = flow_at(fx, 0), *r = flow_at(fx, 1);
    g_assert_false(a->is_v4);
    g_assert_cmpmem(a->src.b, 16, v6a, 16);
    g_assert_cmpuint(a->src_port, ==, 0xf0);
    g_assert_cmpuint(a->dst_port, ==, 0xfe01);
    g_assert_cmpuint(a->tcp_flags, ==, 0x1b);
    g_assert_cmphex(a->bytes, ==, 0x0a0b0c);
    g_assert_cmphex(a->packets, ==, UINT64_C(0x0102030405));
    g_assert_cmphex(a->in_if, ==, 0x123456);
    g_assert_cmphex(a->out_if, ==, 0xc8);
    g_assert_cmpint(a->start_ms, ==, INT64_C(1700000000123));
    g_assert_true(r->reverse);
    g_assert_cmphex(r->bytes, ==, 0x8001);
    g_assert_cmphex(r->packets, ==, 0x80000002u);
    g_assert_cmphex(r->tcp_flags, ==, 0x12);
    const sf_flow_t *last = flow_at(fx, 4), *v4 = flow_at(fx, 6);
    g_assert_false(last->reverse);
    g_assert_cmphex(last->bytes, ==, 0x0a0b0e);
    g_assert_cmphex(v4->packets, ==, 0xfffffff1u);
    g_assert_cmphex(v4->bytes, ==, 0x80000001u);
    g_assert_cmphex(v4->in_if, ==, 0xffff);
    g_assert_cmphex(v4->out_if, ==, 0xdeadbef0u);
    g_assert_cmpint(v4->end_ms, ==, INT64_C(1700000006000));
    g_assert_cmpuint(C(fx, SF_C_FIELDS_IGNORED), ==, 0);
    twin_free(&t);
}

static void test_fast_alternatives(fx_t *fx, gconstpointer data)
{
    /* The second choices flow_build() makes per template (its recipe):
     * both address families in one template, TCP ports, total and
     * initiator counters, physical interfaces, forwardingStatus in 4
     * bytes, ICMP type and code apart, a start before export and a
     * duration, packet sampling.  The fast path and fBufNext agree, and
     * the values are those of the elements chosen. */
    static const fs_t f[] = {
        { 8, 4, 0 }, { 12, 4, 0 }, { 27, 16, 0 }, { 28, 16, 0 }, { 4, 1, 0 },
        { 182, 2, 0 }, { 183, 2, 0 },   /* tcpSource/DestinationPort */
        { 86, 8, 0 }, { 231, 8, 0 },    /* packetTotalCount, initiatorOctets */
        { 252, 4, 0 }, { 253, 4, 0 },   /* in/egressPhysicalInterface */
        { 89, 4, 0 },                   /* forwardingStatus, 4 bytes */
        { 176, 1, 0 }, { 177, 1, 0 },   /* icmpType/CodeIPv4 */
        { 158, 4, 0 }, { 161, 4, 0 },   /* start delta us, duration ms */
        { 305, 4, 0 }, { 306, 4, 0 },   /* samplingPacketInterval/Space */
    };
    static const uint8_t zero[16];
    static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
    static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
    twin_t t;
    pkt_t p;

    twin_new(&t);
    ipfix_hdr(&p, 1700000000, 0, 1);
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, 400, f, G_N_ELEMENTS(f));
    set_end(&p, s);
    s = set_begin(&p, 400);
    for (unsigned i = 0; i < 2; i++) {  /* IPv4 ICMP, then IPv6 TCP */
        put32(&p, i ? 0 : ip4(10, 1, 0, 1));
        put32(&p, i ? 0 : ip4(10, 1, 0, 2));
        memcpy(p.b + p.n, i ? v6a : zero, 16);
        p.n += 16;
        memcpy(p.b + p.n, i ? v6b : zero, 16);
        p.n += 16;
        put8(&p, i ? 6 : 1);
        put16(&p, i ? 1234 : 0);
        put16(&p, i ? 80 : 0x0800);
        put64(&p, 5 + i);
        put64(&p, 500 + i);
        put32(&p, 7 + i);
        put32(&p, 8 + i);
        put32(&p, i ? 0x40 : 0x80);
        put8(&p, 3);
        put8(&p, 1);
        put32(&p, i ? 0 : 5000000);
        put32(&p, i ? 0 : 1234);
        put32(&p, i ? 0 : 1);
        put32(&p, i ? 0 : 99);
    }
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 2);
    const sf_flow_t *a = flow_at(fx, 0), *b = flow_at(fx, 1);
    g_assert_true(a->is_v4);
    g_assert_cmpuint(v4_of(&a->src), ==, ip4(10, 1, 0, 1));
    g_assert_cmphex(a->fields, ==, SF_HAS_ADDRS | SF_HAS_PROTO | SF_HAS_PORTS |
                    SF_HAS_PACKETS | SF_HAS_BYTES | SF_HAS_IN_IF | SF_HAS_OUT_IF |
                    SF_HAS_FWD_STATUS | SF_HAS_TIMES | SF_HAS_ICMP);
    g_assert_cmphex(a->icmp_type_code, ==, 0x0301);     /* not the port */
    g_assert_cmpuint(a->dst_port, ==, 0x0800);
    g_assert_cmpuint(a->packets, ==, 5);
    g_assert_cmpuint(a->bytes, ==, 500);
    g_assert_cmpuint(a->in_if, ==, 7);
    g_assert_cmpuint(a->out_if, ==, 8);
    g_assert_cmpuint(a->fwd_status, ==, 2);
    g_assert_cmpint(a->start_ms, ==, INT64_C(1700000000000) - 5000);
    g_assert_cmpint(a->end_ms, ==, INT64_C(1700000000000) - 5000 + 1234);
    g_assert_cmpuint(a->sampling_interval, ==, 100);
    g_assert_false(b->is_v4);
    g_assert_cmpmem(b->src.b, 16, v6a, 16);
    g_assert_cmpmem(b->dst.b, 16, v6b, 16);
    g_assert_false(b->fields & SF_HAS_ICMP);
    g_assert_cmpuint(b->icmp_type_code, ==, 0);
    g_assert_cmpuint(b->src_port, ==, 1234);
    g_assert_cmpuint(b->dst_port, ==, 80);
    g_assert_cmpuint(b->fwd_status, ==, 1);
    g_assert_cmpint(b->start_ms, ==, INT64_C(1700000000000));
    g_assert_cmpint(b->end_ms, ==, INT64_C(1700000000000));
    g_assert_cmpuint(b->sampling_interval, ==, 0);
    g_assert_cmpuint(C(fx, SF_C_RECORDS), ==, 2);
    g_assert_cmpuint(C(fx, SF_C_FIELDS_IGNORED), ==, 0);
    twin_free(&t);
}

/* ---- template refreshes ------------------------------------------------- */

/* Template 300 of these tests: addresses, a variable-length interfaceName
 * and 8-byte packets.  Its data sets are never on the fast path, and
 * neither is any data set after them in the message. */
static const fs_t varlen_fields[] = {
    { 8, 4, 0 }, { 12, 4, 0 }, { 82, VARLEN, 0 }, { 2, 8, 0 },
};

/* A data set of template 300: one good record (name "eth0"), or with bad,
 * one whose name claims 200 bytes where 10 follow (fBufNext fails there
 * and libfixbuf reads no further in the message). */
static void varlen_set(pkt_t *p, bool bad)
{
    size_t s = set_begin(p, 300);

    put32(p, ip4(10, 3, 0, 1));
    put32(p, ip4(10, 3, 0, 2));
    if (bad) {
        put8(p, 200);
        for (int i = 0; i < 10; i++)
            put8(p, 'x');
    } else {
        put8(p, 4);
        put32(p, 0x65746830);
        put64(p, 7);
    }
    set_end(p, s);
}

static void basic_set(pkt_t *p, uint16_t tid, unsigned n)
{
    size_t s = set_begin(p, tid);

    for (unsigned i = 0; i < n; i++)
        basic_rec(p, ip4(10, 4, 0, i + 1), ip4(10, 4, 1, i + 1), 1000 + i, 53, 17,
                  i + 1, 100 * (i + 1));
    set_end(p, s);
}

/* The case that once made scanflow and libfixbuf disagree: libfixbuf stops
 * reading a message (a bad record) before the template set that defines
 * 257, which scanflow's walk has recorded.  The refresh of 257 in the next
 * message must reach libfixbuf, which does not hold 257, or the records of
 * 257 that libfixbuf reads are lost. */
static void test_refresh_after_early_stop(fx_t *fx, gconstpointer data)
{
    twin_t t;
    pkt_t p;

    twin_new(&t);
    ipfix_hdr(&p, 1700000000, 0, 1);
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, 300, varlen_fields, G_N_ELEMENTS(varlen_fields));
    set_end(&p, s);
    varlen_set(&p, true);
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 257, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 0);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES), ==, 2);

    ipfix_hdr(&p, 1700000000, 1, 1);    /* the refresh of 257, alone */
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 257, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 0);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES), ==, 3);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 0);

    ipfix_hdr(&p, 1700000000, 2, 1);    /* 257 read by libfixbuf on both */
    varlen_set(&p, false);
    basic_set(&p, 257, 2);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 3);
    g_assert_cmpuint(v4_of(&flow_at(fx, 2)->dst), ==, ip4(10, 4, 1, 2));

    ipfix_hdr(&p, 1700000000, 5, 1);    /* and on the fast path */
    basic_set(&p, 257, 2);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 2);

    ipfix_hdr(&p, 1700000000, 7, 1);    /* again: 258 before the stop, */
    s = set_begin(&p, 2);               /* 259 after it */
    ipfix_tmpl(&p, 258, basic_fields, 5);
    set_end(&p, s);
    varlen_set(&p, true);
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 259, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 0);
    ipfix_hdr(&p, 1700000000, 7, 1);    /* refresh and data of 259 */
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 259, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    varlen_set(&p, false);
    basic_set(&p, 259, 3);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 4);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES), ==, 6);
    g_assert_cmpuint(C(fx, SF_C_RECORDS), ==, 9);
    twin_free(&t);
    good_ipfix(fx);
}

/* Refreshes around redefinitions: within one message (256 redefined, then
 * its old layout sent again: libfixbuf reads both, so the second is not a
 * refresh of what it holds), across messages (a refresh of the new
 * layout), an options template sent again as a flow template of the
 * same fields (the scope count tells them apart) and a template sent again
 * with other lengths. */
static void test_refresh_after_redefinition(fx_t *fx, gconstpointer data)
{
    static const fs_t f2[] = {          /* 256's other layout */
        { 12, 4, 0 }, { 8, 4, 0 }, { 11, 2, 0 }, { 7, 2, 0 }, { 4, 1, 0 },
        { 1, 4, 0 }, { 2, 4, 0 },
    };
    static const fs_t short_ctr[] = {   /* basic, 4-byte counters */
        { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
        { 2, 4, 0 }, { 1, 4, 0 },
    };
    static const fs_t opt[] = {         /* scope: observationDomainId */
        { 149, 4, 0 }, { 34, 4, 0 },    /* samplingInterval */
    };
    twin_t t;
    pkt_t p;
    size_t s;

    twin_new(&t);
    ipfix_hdr(&p, 1700000000, 0, 1);   /* 256 in the basic layout */
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 256, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    basic_set(&p, 256, 1);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 1);

    ipfix_hdr(&p, 1700000000, 1, 1);   /* f2, then basic again: one message */
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 256, f2, G_N_ELEMENTS(f2));
    ipfix_tmpl(&p, 256, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    basic_set(&p, 256, 2);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 2);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 2);
    ipfix_hdr(&p, 1700000000, 3, 1);   /* basic data read by libfixbuf */
    varlen_set(&p, false);              /* (300 undefined: skipped) */
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 300, varlen_fields, G_N_ELEMENTS(varlen_fields));
    set_end(&p, s);
    varlen_set(&p, false);
    basic_set(&p, 256, 2);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 3);
    g_assert_cmpuint(v4_of(&flow_at(fx, 5)->src), ==, ip4(10, 4, 0, 2));

    ipfix_hdr(&p, 1700000000, 6, 1);   /* redefined as f2 */
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 256, f2, G_N_ELEMENTS(f2));
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 0);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 3);
    for (unsigned k = 0; k < 2; k++) {  /* refreshed, data fast then slow */
        ipfix_hdr(&p, 1700000000, 6 + 2 * k, 1);
        s = set_begin(&p, 2);
        ipfix_tmpl(&p, 256, f2, G_N_ELEMENTS(f2));
        set_end(&p, s);
        if (k)
            varlen_set(&p, false);
        s = set_begin(&p, 256);         /* f2: dst, src, dport, sport, proto, octets, packets */
        put32(&p, ip4(10, 5, 0, 2));
        put32(&p, ip4(10, 5, 0, 1));
        put16(&p, 25);
        put16(&p, 2525);
        put8(&p, 6);
        put32(&p, 999);
        put32(&p, 9);
        set_end(&p, s);
        ipfix_end(&p);
        feed_both(fx, &t, &p, 1 + k);
        const sf_flow_t *f = flow_at(fx, fx->flows->len - 1);
        g_assert_cmpuint(v4_of(&f->src), ==, ip4(10, 5, 0, 1));
        g_assert_cmpuint(f->dst_port, ==, 25);
        g_assert_cmpuint(f->packets, ==, 9);
        g_assert_cmpuint(f->bytes, ==, 999);
    }
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 3);

    ipfix_hdr(&p, 1700000000, 10, 1);  /* options 260: sampling 1 in 10 */
    s = set_begin(&p, 3);
    ipfix_opt_tmpl(&p, 260, opt, 2, 1);
    set_end(&p, s);
    s = set_begin(&p, 260);
    put32(&p, 1);
    put32(&p, 10);
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 0);
    ipfix_hdr(&p, 1700000000, 11, 1);  /* 260 as a flow template, then data */
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 260, opt, 2);
    set_end(&p, s);
    s = set_begin(&p, 260);
    put32(&p, 1);
    put32(&p, 20);
    set_end(&p, s);
    varlen_set(&p, false);
    s = set_begin(&p, 260);
    put32(&p, 1);
    put32(&p, 30);
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 3);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 4);
    g_assert_cmpuint(C(fx, SF_C_OPTIONS_RECORDS), ==, 1);
    g_assert_cmpuint(flow_at(fx, fx->flows->len - 1)->sampling_interval, ==, 30);

    ipfix_hdr(&p, 1700000000, 14, 1);  /* 261 basic, then 4-byte counters */
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 261, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 0);
    ipfix_hdr(&p, 1700000000, 14, 1);  /* only the lengths differ */
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 261, short_ctr, G_N_ELEMENTS(short_ctr));
    set_end(&p, s);
    varlen_set(&p, false);
    s = set_begin(&p, 261);
    put32(&p, ip4(10, 6, 1, 1));
    put32(&p, ip4(10, 6, 1, 2));
    put16(&p, 7);
    put16(&p, 8);
    put8(&p, 17);
    put32(&p, 4);
    put32(&p, 400);
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 2);
    g_assert_cmpuint(flow_at(fx, fx->flows->len - 1)->bytes, ==, 400);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 5);
    twin_free(&t);
}

/* The same for NetFlow v9: a template redefined and its old layout sent
 * again in one packet, then refreshed in the next. */
static void test_refresh_v9(fx_t *fx, gconstpointer data)
{
    static const fs_t f2[] = {
        { 12, 4, 0 }, { 8, 4, 0 }, { 11, 2, 0 }, { 7, 2, 0 }, { 4, 1, 0 },
        { 2, 4, 0 }, { 1, 4, 0 }, { 21, 4, 0 }, { 22, 4, 0 },
    };
    twin_t t;
    pkt_t p;
    size_t s;

    twin_new(&t);
    for (unsigned k = 0; k < 3; k++) {
        v9_hdr(&p, 3, 10000, 1700000000, k, 5);
        s = set_begin(&p, 0);
        if (k == 1)
            v9_tmpl(&p, 260, f2, G_N_ELEMENTS(f2));
        v9_tmpl(&p, 260, v9_fields, G_N_ELEMENTS(v9_fields));
        set_end(&p, s);
        s = set_begin(&p, 260);
        put32(&p, ip4(10, 6, 0, 1));
        put32(&p, ip4(10, 6, 0, 2));
        put16(&p, 1024 + k);
        put16(&p, 22);
        put8(&p, 6);
        put32(&p, 3);
        put32(&p, 300);
        put32(&p, 9000);
        put32(&p, 8000);
        set_end(&p, s);
        feed_both(fx, &t, &p, 1);
        const sf_flow_t *f = flow_at(fx, fx->flows->len - 1);
        g_assert_cmpuint(v4_of(&f->src), ==, ip4(10, 6, 0, 1));
        g_assert_cmpuint(f->src_port, ==, 1024 + k);
        g_assert_cmpuint(f->bytes, ==, 300);
    }
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES), ==, 4);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 2);
    twin_free(&t);
}

/* ------------------------------------------------------------------------- */

#define ADD(path, fn) g_test_add(path, fx_t, NULL, fx_setup, fn, fx_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* libfixbuf warns (g_warning) about hostile messages it skips, by
     * design, and the decoder rate-limits those lines; GTest would make
     * them fatal.  Criticals and errors stay fatal. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    ADD("/decoder/truncated/v5", test_truncated_v5);
    ADD("/decoder/truncated/v9", test_truncated_v9);
    ADD("/decoder/truncated/ipfix", test_truncated_ipfix);
    ADD("/decoder/v5/count", test_v5_count);
    ADD("/decoder/ipfix/message-length", test_ipfix_msglen);
    ADD("/decoder/set-length/past-end", test_set_length_past_end);
    ADD("/decoder/set-length/zero", test_set_length_zero);
    ADD("/decoder/template/v9-zero-fields", test_v9_template_zero_fields);
    ADD("/decoder/template/ipfix-withdrawal", test_ipfix_withdrawal);
    ADD("/decoder/template/too-many-fields", test_too_many_fields);
    ADD("/decoder/template/overrun", test_template_overrun);
    ADD("/decoder/template/varlen-overrun", test_varlen_overrun);
    ADD("/decoder/template/redefinition", test_redefinition);
    ADD("/decoder/template/redefinition-after-short-set", test_redefinition_after_short_set);
    ADD("/decoder/template/data-before-template", test_data_before_template);
    ADD("/decoder/template/refresh-after-early-stop", test_refresh_after_early_stop);
    ADD("/decoder/template/refresh-after-redefinition", test_refresh_after_redefinition);
    ADD("/decoder/template/refresh-v9", test_refresh_v9);
    ADD("/decoder/options/v9-scope", test_v9_options_scope);
    ADD("/decoder/options/ipfix-scope", test_ipfix_options_scope);
    ADD("/decoder/caps/template-flood", test_template_flood);
    ADD("/decoder/caps/domains", test_domain_cap);
    ADD("/decoder/caps/exporters", test_exporter_cap);
    ADD("/decoder/version/unknown", test_unknown_version);
    ADD("/decoder/sequence/v5", test_sequence_v5);
    ADD("/decoder/sequence/v9", test_sequence_v9);
    ADD("/decoder/sequence/ipfix", test_sequence_ipfix);
    ADD("/decoder/sampling/v9-options", test_sampling_v9);
    ADD("/decoder/sampling/ipfix-305-306", test_sampling_ipfix);
    ADD("/decoder/sampling/v5-header", test_sampling_v5);
    ADD("/decoder/time/v9-uptime-wrap", test_time_v9_wrap);
    ADD("/decoder/time/ipfix-variants", test_time_ipfix);
    ADD("/decoder/time/ipfix-options-init", test_time_ipfix_options_init);
    ADD("/decoder/biflow/rfc5103", test_biflow);
    ADD("/decoder/nsel/events-and-forwarding", test_nsel);
    ADD("/decoder/fast/reduced-sizes", test_fast_reduced_sizes);
    ADD("/decoder/fast/alternatives", test_fast_alternatives);
    return g_test_run();
}
