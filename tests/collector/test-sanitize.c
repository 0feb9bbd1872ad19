/*
 * test-sanitize.c - the message sanitizer (sanitize.c): v9 and IPFIX
 * headers, message and set lengths, template and options template records
 * (zero fields, withdrawal, too many fields, overruns, scope counts),
 * redefinitions and the refreshes that must keep libfixbuf and scanflow's
 * template table in step.  Each hostile case asserts the named counter it
 * raises, then a good message from the same exporter must still decode.
 */
#include "wire.h"

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

/* A second layout of 256: destination first, 4-byte counters, ports
 * swapped. */
static const fs_t f2[] = {
    { 12, 4, 0 }, { 8, 4, 0 }, { 11, 2, 0 }, { 7, 2, 0 }, { 4, 1, 0 },
    { 1, 4, 0 }, { 2, 4, 0 },
};

/* A message (sequence seq) redefining template 256 of domain 1 as f2. */
static void redefine_256(fx_t *fx, uint32_t seq)
{
    pkt_t p;

    ipfix_hdr(&p, 0, seq, 1);
    size_t s = set_begin(&p, 2);
    ipfix_tmpl(&p, 256, f2, G_N_ELEMENTS(f2));
    set_end(&p, s);
    ipfix_end(&p);
    feed(fx, &p);
}

static void test_redefinition(fx_t *fx, gconstpointer data)
{
    pkt_t p;

    good_ipfix(fx);
    good_ipfix(fx);                     /* a refresh is not a redefinition */
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 0);

    redefine_256(fx, 4);                /* then one record in the new layout */
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES_REDEFINED), ==, 1);

    guint n = fx->flows->len;
    ipfix_hdr(&p, 0, 4, 1);             /* dst 10.7.0.2, src 10.7.0.1, dport 25, sport 2525, udp, 999 bytes, 9 pkts */
    size_t s = set_begin(&p, 256);
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

/* What scanflow keeps of template 256 of domain 1 (one exporter). */
static void keep_tmpl(const sf_exporter_t *e, void *ctx)
{
    *(const sf_tmpl_t **)ctx = g_hash_table_lookup(e->templates, SF_TKEY(1, 256));
}

static const sf_tmpl_t *tmpl_256(const fx_t *fx)
{
    const sf_tmpl_t *t = NULL;

    sf_decoder_foreach_exporter(fx->d, keep_tmpl, &t);
    g_assert_nonnull(t);
    return t;
}

/* A refresh (the same template record) keeps the plan built for it; a
 * redefinition builds another, which the next records are read with. */
static void test_refresh_keeps_plan(fx_t *fx, gconstpointer data)
{
    good_ipfix(fx);
    const sf_tmpl_t *first = tmpl_256(fx);
    g_assert_true(first->fast);
    good_ipfix(fx);
    good_ipfix(fx);
    g_assert_true(tmpl_256(fx) == first);
    g_assert_cmpuint(C(fx, SF_C_TEMPLATES), ==, 3);

    redefine_256(fx, 6);
    g_assert_true(tmpl_256(fx) != first);
    g_assert_cmpuint(tmpl_256(fx)->nplan, ==, G_N_ELEMENTS(f2));
    good_ipfix(fx);                     /* the old layout again: read right */
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
    static const fs_t f2_v9[] = {
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
            v9_tmpl(&p, 260, f2_v9, G_N_ELEMENTS(f2_v9));
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

int main(int argc, char **argv)
{
    wire_test_init(&argc, &argv);
    ADD("/decoder/truncated/v9", test_truncated_v9);
    ADD("/decoder/truncated/ipfix", test_truncated_ipfix);
    ADD("/decoder/ipfix/message-length", test_ipfix_msglen);
    ADD("/decoder/set-length/past-end", test_set_length_past_end);
    ADD("/decoder/set-length/zero", test_set_length_zero);
    ADD("/decoder/template/v9-zero-fields", test_v9_template_zero_fields);
    ADD("/decoder/template/ipfix-withdrawal", test_ipfix_withdrawal);
    ADD("/decoder/template/too-many-fields", test_too_many_fields);
    ADD("/decoder/template/overrun", test_template_overrun);
    ADD("/decoder/template/varlen-overrun", test_varlen_overrun);
    ADD("/decoder/template/redefinition", test_redefinition);
    ADD("/decoder/template/refresh-keeps-plan", test_refresh_keeps_plan);
    ADD("/decoder/template/redefinition-after-short-set", test_redefinition_after_short_set);
    ADD("/decoder/template/refresh-after-early-stop", test_refresh_after_early_stop);
    ADD("/decoder/template/refresh-after-redefinition", test_refresh_after_redefinition);
    ADD("/decoder/template/refresh-v9", test_refresh_v9);
    ADD("/decoder/options/v9-scope", test_v9_options_scope);
    ADD("/decoder/options/ipfix-scope", test_ipfix_options_scope);
    return g_test_run();
}
