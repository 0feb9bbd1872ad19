/*
 * test-fbdecode.c - v9 and IPFIX records to sf_flow_t (fbrecord.c), by
 * libfixbuf (fbsession.c) and by the fast path (fbfast.c): sampling from
 * options records, the time encodings, RFC 5103 biflows, Cisco NSEL
 * firewall events, and the fast path against fBufNext() on reduced-size
 * and alternative elements, and which templates it decodes straight into
 * sf_flow_t.
 */
#include "wire.h"
#include "fbdecode.h"

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

/* v9: before the options record, the configured interval; after it, the
 * announced one; the same announced as configured logs nothing. */
static void test_sampling_configured_v9(fx_t *fx, gconstpointer data)
{
    pkt_t p;

    set_sampling(fx, 120, 100);
    good_v9(fx);
    g_assert_cmpuint(flow_at(fx, 0)->sampling_interval, ==, 100);
    v9_hdr(&p, 2, 100000, 1700000000, fx->v9_seq++, 1);
    size_t s = set_begin(&p, 1);        /* as in test_sampling_v9 */
    put16(&p, 257); put16(&p, 4); put16(&p, 8);
    put16(&p, 1); put16(&p, 4);
    put16(&p, 34); put16(&p, 4);
    put16(&p, 35); put16(&p, 1);
    put16(&p, 0);
    set_end(&p, s);
    s = set_begin(&p, 257);
    put32(&p, 0); put32(&p, 100); put8(&p, 2); put16(&p, 0); put8(&p, 0);
    set_end(&p, s);
    feed(fx, &p);
    good_v9(fx);
    g_assert_cmpuint(flow_at(fx, 1)->sampling_interval, ==, 100);
    g_assert_cmpuint(sampling_logged(fx), ==, 0);      /* they agree */
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
    put_bytes(&p, tv, tvlen);
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

/* An IPFIX message of domain 1 holding an options template TID (scope
 * observationDomainId, systemInitTimeMilliseconds) and its record: the
 * exporter booted at init_ms. */
static void ipfix_init_option(pkt_t *p, uint16_t tid, int64_t init_ms)
{
    static const fs_t of[] = { { 149, 4, 0 }, { 160, 8, 0 } };

    ipfix_hdr(p, 1700000100, 0, 1);
    size_t s = set_begin(p, 3);
    ipfix_opt_tmpl(p, tid, of, 2, 1);
    put16(p, 0);
    set_end(p, s);
    s = set_begin(p, tid);
    put32(p, 1);
    put64(p, (uint64_t)init_ms);
    set_end(p, s);
    ipfix_end(p);
}

/* 22/21 with 160 sent once in an options record of the domain. */
static void test_time_ipfix_options_init(fx_t *fx, gconstpointer data)
{
    const int64_t t0 = INT64_C(1700000000000);
    pkt_t p, v;

    ipfix_init_option(&p, 257, t0 - 60000);     /* booted at t0 - 60 s */
    feed(fx, &p);
    v.n = 0; put32(&v, 100); put32(&v, 200);
    const sf_flow_t *f =
        ipfix_times(fx, 300, (fs_t[]){ { 22, 4, 0 }, { 21, 4, 0 } }, 2, v.b, v.n);
    g_assert_cmpint(f->start_ms, ==, t0 - 60000 + 100);
    g_assert_cmpint(f->end_ms, ==, t0 - 60000 + 200);
}

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

/* 2001:db8::1 and 2001:db8::2 (RFC 3849) */
static const uint8_t doc6_1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t doc6_2[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

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
    static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2 };
    twin_t t;
    pkt_t p;

    twin_new(&t);
    ipfix_hdr(&p, 1700000000, 0, 1);
    ipfix_tmpl_set2(&p, 300, f, G_N_ELEMENTS(f), 301, g, G_N_ELEMENTS(g));
    size_t s = set_begin(&p, 300);
    for (unsigned i = 0; i < 3; i++) {  /* the last without reverse traffic */
        put_bytes(&p, i ? v6b : doc6_1, 16);
        put_bytes(&p, i ? doc6_1 : v6b, 16);
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
    g_assert_cmpmem(a->src.b, 16, doc6_1, 16);
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
        put_bytes(&p, i ? doc6_1 : zero, 16);
        put_bytes(&p, i ? doc6_2 : zero, 16);
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
    g_assert_cmpmem(b->src.b, 16, doc6_1, 16);
    g_assert_cmpmem(b->dst.b, 16, doc6_2, 16);
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

/* softflowd's template (v9 and IPFIX alike): the shape of direct plan
 * that sf_fbrec_direct_decode() has its own record loop for (1; 2 with
 * IPv6 addresses), sysUpTime times without IE 160. */
static const fs_t softflowd4[] = {
    { 8, 4, 0 }, { 12, 4, 0 }, { 21, 4, 0 }, { 22, 4, 0 }, { 1, 4, 0 },
    { 2, 4, 0 }, { 10, 4, 0 }, { 14, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 },
    { 6, 1, 0 }, { 4, 1, 0 }, { 5, 1, 0 }, { 60, 1, 0 },
};

/* Which templates' flow records the fast path decodes straight into
 * sf_flow_t (struct fbdirect): one address family, no reverse counters,
 * not options, every field of fixed length. */
static void test_fast_direct_plan(fx_t *fx, gconstpointer data)
{
    static const uint8_t rec[1];
    static const sf_field_t v4[] = { { 0, 8, 4 }, { 0, 12, 4 }, { 0, 2, 4 } };
    static const sf_field_t v6[] = { { 0, 27, 16 }, { 0, 28, 16 }, { 0, 1, 8 } };
    static const sf_field_t both[] = { { 0, 8, 4 }, { 0, 27, 16 } };
    static const sf_field_t rev[] = { { 0, 8, 4 }, { 0, 2, 4 }, { 29305, 2, 4 } };
    static const sf_field_t var[] = { { 0, 8, 4 }, { 0, 82, VARLEN } };
    struct { const sf_field_t *f; unsigned n; bool options, direct; } c[] = {
        { v4, 3, false, true }, { v6, 3, false, true }, { v4, 3, true, false },
        { both, 2, false, false }, { rev, 3, false, false }, { var, 2, false, false },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(c); i++) {
        sf_tmpl_t *t = sf_fb_plan(c[i].f, c[i].n, c[i].options, 0, rec, 1);
        g_assert_cmpuint(t->direct, ==, c[i].direct);
        g_assert_cmpuint(t->dshape, ==, 0);
        g_free(t);
    }
    /* softflowd's template has a record loop of its own (shape 1) */
    sf_field_t sd[G_N_ELEMENTS(softflowd4)];
    for (unsigned i = 0; i < G_N_ELEMENTS(sd); i++)
        sd[i] = (sf_field_t){ 0, softflowd4[i].id, softflowd4[i].len };
    sf_tmpl_t *t = sf_fb_plan(sd, G_N_ELEMENTS(sd), false, 0, rec, 1);
    g_assert_true(t->direct);
    g_assert_cmpuint(t->dshape, ==, 1);
    g_free(t);
}

/* The direct path against fBufNext on the choices flow_build() makes:
 * the picked one of alternative elements (the others not read), a
 * repeated element, elements a flow never reads, ICMP type and code apart,
 * forwardingStatus in 4 bytes, sysUpTime times with IE 160 in the record,
 * a sampling element, and records of one template in two sets (the record
 * is reused across records, not across sets). */
static void direct_rec(pkt_t *p, unsigned i)
{
    static const uint8_t proto[] = { 1, 6, 17, 1 };

    put32(p, ip4(10, 2, 0, 1 + i));
    put32(p, ip4(10, 2, 1, 1 + i));
    put8(p, proto[i]);
    put16(p, i == 0 || i == 3 ? 0 : 1234 + i);     /* sourceTransportPort */
    put16(p, 999);                                  /* tcpSourcePort */
    put16(p, i == 0 || i == 3 ? 0x0800 : 22 + i);  /* destinationTransportPort */
    put16(p, 7777);                                 /* the same again */
    put32(p, 3 + i);
    put64(p, 99);                                   /* packetTotalCount */
    put64(p, 300 + i);
    put16(p, 5 + i);                                /* ingressInterface */
    put32(p, 55);                                   /* ingressPhysicalInterface */
    put32(p, 6 + i);
    put8(p, i == 1 ? 0x02 : 0);
    put8(p, i == 0 ? 3 : 0);                        /* firewallEvent */
    put32(p, i == 1 ? 0x80 : 0x40);                 /* forwardingStatus */
    put8(p, i == 3 ? 3 : 8);                        /* icmpTypeIPv4 */
    put8(p, i == 3 ? 1 : 0);
    put32(p, 1000 * (i + 1));                       /* flowStartSysUpTime */
    put32(p, 1000 * (i + 2));
    put64(p, i == 2 ? 0 : UINT64_C(1700000000000)); /* systemInitTime */
    put8(p, 4);                                     /* ipVersion */
    put8(p, 0x12);                                  /* reverseTcpControlBits */
    put32(p, i == 0 ? 10 : 0);                      /* samplingInterval */
}

static void test_fast_direct(fx_t *fx, gconstpointer data)
{
    static const fs_t f[] = {
        { 8, 4, 0 }, { 12, 4, 0 }, { 4, 1, 0 },
        { 7, 2, 0 }, { 182, 2, 0 }, { 11, 2, 0 }, { 11, 2, 0 },
        { 2, 4, 0 }, { 86, 8, 0 }, { 1, 8, 0 },
        { 10, 2, 0 }, { 252, 4, 0 }, { 14, 4, 0 },
        { 6, 1, 0 }, { 233, 1, 0 }, { 89, 4, 0 }, { 176, 1, 0 }, { 177, 1, 0 },
        { 22, 4, 0 }, { 21, 4, 0 }, { 160, 8, 0 }, { 60, 1, 0 },
        { 6, 1, 29305 }, { 34, 4, 0 },
    };
    static const fs_t g[] = {
        { 27, 16, 0 }, { 28, 16, 0 }, { 4, 1, 0 }, { 180, 2, 0 }, { 181, 2, 0 },
        { 1, 4, 0 }, { 152, 8, 0 }, { 153, 8, 0 }, { 139, 2, 0 },
    };
    twin_t t;
    pkt_t p;

    twin_new(&t);
    ipfix_hdr(&p, 1700000000, 0, 1);
    ipfix_tmpl_set2(&p, 500, f, G_N_ELEMENTS(f), 501, g, G_N_ELEMENTS(g));
    size_t s = set_begin(&p, 500);
    for (unsigned i = 0; i < 3; i++)
        direct_rec(&p, i);
    set_end(&p, s);
    s = set_begin(&p, 501);
    for (unsigned i = 0; i < 2; i++) {  /* UDP, then ICMPv6 */
        put_bytes(&p, doc6_1, 16);
        put_bytes(&p, doc6_2, 16);
        put8(&p, i ? 58 : 17);
        put16(&p, i ? 0 : 5353);
        put16(&p, i ? 0 : 53);
        put32(&p, 70 + i);
        put64(&p, UINT64_C(1700000000100));
        put64(&p, i ? 0 : UINT64_C(1700000000200));
        put16(&p, i ? 0x8000 : 0);
    }
    set_end(&p, s);
    s = set_begin(&p, 500);
    direct_rec(&p, 3);
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 6);

    const sf_flow_t *a = flow_at(fx, 0), *b = flow_at(fx, 1), *c = flow_at(fx, 2);
    g_assert_true(a->is_v4);
    g_assert_cmpuint(v4_of(&a->src), ==, ip4(10, 2, 0, 1));
    g_assert_cmpuint(v4_of(&a->dst), ==, ip4(10, 2, 1, 1));
    g_assert_cmphex(a->fields, ==, SF_HAS_ADDRS | SF_HAS_PROTO | SF_HAS_PORTS |
                    SF_HAS_PACKETS | SF_HAS_BYTES | SF_HAS_TCP_FLAGS |
                    SF_HAS_IN_IF | SF_HAS_OUT_IF | SF_HAS_FW_EVENT |
                    SF_HAS_FWD_STATUS | SF_HAS_TIMES | SF_HAS_ICMP);
    g_assert_cmpuint(a->src_port, ==, 0);           /* not tcpSourcePort */
    g_assert_cmpuint(a->dst_port, ==, 0x0800);      /* the first of two */
    g_assert_cmphex(a->icmp_type_code, ==, 0x0800);
    g_assert_cmpuint(a->packets, ==, 3);            /* not the total */
    g_assert_cmpuint(a->bytes, ==, 300);
    g_assert_cmpuint(a->in_if, ==, 5);              /* not the physical one */
    g_assert_cmpuint(a->out_if, ==, 6);
    g_assert_cmpuint(a->fw_event, ==, 3);
    g_assert_cmpuint(a->fwd_status, ==, 1);
    g_assert_cmpint(a->start_ms, ==, INT64_C(1700000001000));
    g_assert_cmpint(a->end_ms, ==, INT64_C(1700000002000));
    g_assert_cmpuint(a->sampling_interval, ==, 10);
    g_assert_cmpuint(b->proto, ==, 6);
    g_assert_false(b->fields & SF_HAS_ICMP);
    g_assert_cmpuint(b->icmp_type_code, ==, 0);
    g_assert_cmpuint(b->src_port, ==, 1235);
    g_assert_cmpuint(b->tcp_flags, ==, 0x02);
    g_assert_cmpuint(b->fw_event, ==, 0);
    g_assert_cmpuint(b->fwd_status, ==, 2);
    g_assert_cmpuint(b->sampling_interval, ==, 0);
    g_assert_false(c->fields & SF_HAS_TIMES);       /* IE 160 zero: no base */
    g_assert_cmpint(c->start_ms, ==, 0);
    const sf_flow_t *u = flow_at(fx, 3), *i6 = flow_at(fx, 4), *d = flow_at(fx, 5);
    g_assert_false(u->is_v4);
    g_assert_cmpmem(u->src.b, 16, doc6_1, 16);
    g_assert_cmpmem(u->dst.b, 16, doc6_2, 16);
    g_assert_cmpuint(u->src_port, ==, 5353);
    g_assert_cmpuint(u->bytes, ==, 70);
    g_assert_cmpint(u->end_ms, ==, INT64_C(1700000000200));
    g_assert_cmphex(i6->icmp_type_code, ==, 0x8000);
    g_assert_cmpint(i6->end_ms, ==, INT64_C(1700000000100));
    g_assert_true(d->is_v4);
    g_assert_cmpuint(v4_of(&d->src), ==, ip4(10, 2, 0, 4));
    g_assert_cmphex(d->icmp_type_code, ==, 0x0301);
    g_assert_cmpuint(d->packets, ==, 6);
    g_assert_cmpuint(C(fx, SF_C_RECORDS), ==, 6);
    g_assert_cmpuint(C(fx, SF_C_FIELDS_IGNORED), ==, 0);
    twin_free(&t);
}

/* A softflowd record: IPv4 (v6 false) or IPv6, up from first to last. */
static void softflowd_rec(pkt_t *p, bool v6, unsigned i, uint32_t first,
                          uint32_t last)
{
    if (v6) {
        put_bytes(p, doc6_1, 16);
        put_bytes(p, doc6_2, 16);
    } else {
        put32(p, ip4(10, 3, 0, 1 + i));
        put32(p, ip4(10, 3, 1, 1 + i));
    }
    put32(p, last);
    put32(p, first);
    put32(p, 400 + i);
    put32(p, 4 + i);
    put32(p, 1);
    put32(p, 2);
    put16(p, 40000 + i);
    put16(p, 22 + i);
    put8(p, 0x02);
    put8(p, i == 3 ? 1 : 6);
    put8(p, 0);
    put8(p, v6 ? 6 : 4);
}

/* One v9 message of both softflowd templates (256: IPv4, 257: IPv6),
 * sysUpTime 5000 at export time secs, each with the records below. */
static void softflowd_v9(fx_t *fx, twin_t *t, uint32_t secs)
{
    static const uint32_t up[][2] = {   /* first, last */
        { 1000, 4000 },                 /* plain */
        { 0xfffff000u, 4000 },          /* started before sysUpTime wrapped */
        { 4000, 5000 },                 /* ends at export time */
        { 6000, 7000 },                 /* after it: ICMP */
    };
    fs_t f6[G_N_ELEMENTS(softflowd4)];
    pkt_t p;

    memcpy(f6, softflowd4, sizeof f6);
    f6[0] = (fs_t){ 27, 16, 0 };
    f6[1] = (fs_t){ 28, 16, 0 };
    v9_hdr(&p, 10, 5000, secs, fx->v9_seq++, 1);
    size_t s = set_begin(&p, 0);
    v9_tmpl(&p, 256, softflowd4, G_N_ELEMENTS(softflowd4));
    v9_tmpl(&p, 257, f6, G_N_ELEMENTS(f6));
    set_end(&p, s);
    for (unsigned v6 = 0; v6 < 2; v6++) {
        s = set_begin(&p, (uint16_t)(256 + v6));
        for (unsigned i = 0; i < G_N_ELEMENTS(up); i++)
            softflowd_rec(&p, v6, i, up[i][0], up[i][1]);
        set_end(&p, s);
    }
    feed_both(fx, t, &p, 8);
}

/* The same templates in IPFIX (ids 300, 301), one record each. */
static void softflowd_ipfix(fx_t *fx, twin_t *t)
{
    fs_t f6[G_N_ELEMENTS(softflowd4)];
    pkt_t p;

    memcpy(f6, softflowd4, sizeof f6);
    f6[0] = (fs_t){ 27, 16, 0 };
    f6[1] = (fs_t){ 28, 16, 0 };
    ipfix_hdr(&p, 1700000100, 0, 1);
    ipfix_tmpl_set2(&p, 300, softflowd4, G_N_ELEMENTS(softflowd4),
                    301, f6, G_N_ELEMENTS(f6));
    for (unsigned v6 = 0; v6 < 2; v6++) {
        size_t s = set_begin(&p, (uint16_t)(300 + v6));
        softflowd_rec(&p, v6, 0, 100, 200);
        set_end(&p, s);
    }
    ipfix_end(&p);
    feed_both(fx, t, &p, 2);
}

/* An IPFIX options record of domain 1: booted at init_ms. */
static void sys_init_option(fx_t *fx, twin_t *t, int64_t init_ms)
{
    pkt_t p;

    ipfix_init_option(&p, 258, init_ms);
    feed_both(fx, t, &p, 0);
}

/* The shaped record loops and the sysUpTime times worked out once per
 * set, against fBufNext: v9 times around a wrap and at export time zero
 * (an end of 0 ms: the start stands for it), IPFIX without any boot time
 * (no times) and with one from an options record. */
static void test_fast_direct_shaped(fx_t *fx, gconstpointer data)
{
    const int64_t t0 = INT64_C(1700000000000);
    twin_t t;

    twin_new(&t);
    softflowd_v9(fx, &t, 1700000000);
    const sf_flow_t *a = flow_at(fx, 0), *b = flow_at(fx, 1);
    g_assert_true(a->is_v4);
    g_assert_cmpuint(v4_of(&a->dst), ==, ip4(10, 3, 1, 1));
    g_assert_cmpint(a->start_ms, ==, t0 - 4000);
    g_assert_cmpint(a->end_ms, ==, t0 - 1000);
    g_assert_cmpuint(a->bytes, ==, 400);
    g_assert_cmpuint(a->packets, ==, 4);
    g_assert_cmpuint(a->out_if, ==, 2);
    g_assert_cmpuint(a->dst_port, ==, 22);
    g_assert_cmpuint(a->tcp_flags, ==, 0x02);
    g_assert_cmpint(b->start_ms, ==, t0 - 4096 - 5000);
    g_assert_cmphex(flow_at(fx, 3)->icmp_type_code, ==, 25);
    g_assert_cmpint(flow_at(fx, 3)->end_ms, ==, t0 + 2000);
    g_assert_false(flow_at(fx, 4)->is_v4);
    g_assert_cmpmem(flow_at(fx, 4)->src.b, 16, doc6_1, 16);
    softflowd_v9(fx, &t, 0);
    g_assert_cmpint(flow_at(fx, 10)->start_ms, ==, -1000);
    g_assert_cmpint(flow_at(fx, 10)->end_ms, ==, -1000);
    softflowd_ipfix(fx, &t);
    g_assert_false(flow_at(fx, 16)->fields & SF_HAS_TIMES);
    g_assert_cmpint(flow_at(fx, 17)->start_ms, ==, 0);
    sys_init_option(fx, &t, t0 - 60000);
    softflowd_ipfix(fx, &t);
    g_assert_cmpint(flow_at(fx, 18)->start_ms, ==, t0 - 60000 + 100);
    g_assert_cmpint(flow_at(fx, 19)->end_ms, ==, t0 - 60000 + 200);
    g_assert_cmpuint(C(fx, SF_C_RECORDS), ==, 20);
    twin_free(&t);
}

int main(int argc, char **argv)
{
    wire_test_init(&argc, &argv);
    ADD("/decoder/sampling/v9-options", test_sampling_v9);
    ADD("/decoder/sampling/ipfix-305-306", test_sampling_ipfix);
    ADD("/decoder/sampling/configured-v9", test_sampling_configured_v9);
    ADD("/decoder/time/v9-uptime-wrap", test_time_v9_wrap);
    ADD("/decoder/time/ipfix-variants", test_time_ipfix);
    ADD("/decoder/time/ipfix-options-init", test_time_ipfix_options_init);
    ADD("/decoder/biflow/rfc5103", test_biflow);
    ADD("/decoder/nsel/events-and-forwarding", test_nsel);
    ADD("/decoder/fast/reduced-sizes", test_fast_reduced_sizes);
    ADD("/decoder/fast/alternatives", test_fast_alternatives);
    ADD("/decoder/fast/direct-plan", test_fast_direct_plan);
    ADD("/decoder/fast/direct", test_fast_direct);
    ADD("/decoder/fast/direct-shaped", test_fast_direct_shaped);
    return g_test_run();
}
