/*
 * test-samplers.c - several samplers in one observation domain
 * (fbrecord.c): options records that announce an interval per sampler id
 * (NetFlow v9 FLOW_SAMPLER_ID 48 with 49/50, IPFIX selectorId 302 with
 * 305/306 or 34), data records that name their sampler, the fallbacks
 * for records naming none or an unknown one, and the hostile cases.
 *
 * No capture in fixtures/corpus holds an options record announcing a
 * sampler's interval next to data records naming that sampler (Cisco
 * ASR9k's files hold the sampler options template and data records with
 * sampler id 1, not the options data), so the options records here are
 * built from RFC 3954 section 6.1 and RFC 7011 section 3.4.2.2; the last
 * test puts such a record between the ASR9k's own template and data bytes.
 * Every message is decoded by the fast path and by libfixbuf (twin).
 */
#include "wire.h"

/* v9 options template 257 as Cisco sends it: scope System (1), 4 bytes;
 * FLOW_SAMPLER_ID 48 (2 bytes), FLOW_SAMPLER_MODE 49 (1),
 * FLOW_SAMPLER_RANDOM_INTERVAL 50 (4).  11-byte records. */
static void v9_sampler_tmpl(pkt_t *p)
{
    size_t s = set_begin(p, 1);

    put16(p, 257); put16(p, 4); put16(p, 12);
    put16(p, 1); put16(p, 4);
    put16(p, 48); put16(p, 2);
    put16(p, 49); put16(p, 1);
    put16(p, 50); put16(p, 4);
    put16(p, 0);                        /* padding */
    set_end(p, s);
}

static void v9_sampler_rec(pkt_t *p, uint16_t id, uint32_t interval)
{
    put32(p, 0);                        /* scope: the system */
    put16(p, id);
    put8(p, 2);                         /* random */
    put32(p, interval);
}

/* v9 data template 300: v9_fields and FLOW_SAMPLER_ID (2 bytes). */
static const fs_t v9_sampled_fields[] = {
    { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
    { 2, 4, 0 }, { 1, 4, 0 }, { 21, 4, 0 }, { 22, 4, 0 }, { 48, 2, 0 },
};

static void v9_rec(pkt_t *p, unsigned i, bool with_id, uint16_t id)
{
    put32(p, ip4(10, 3, 0, i));
    put32(p, ip4(10, 3, 1, 1));
    put16(p, 40000);
    put16(p, (uint16_t)(1 + i));
    put8(p, 6);
    put32(p, 1);
    put32(p, 40);
    put32(p, 99000);
    put32(p, 99000);
    if (with_id)
        put16(p, id);
}

/* One v9 packet of source id 1: templates 300 (with a sampler id) and 256
 * (without); a record of 300 for each id, then one of 256. */
static void v9_data(fx_t *fx, twin_t *t, const uint16_t *ids, unsigned n)
{
    pkt_t p;

    v9_hdr(&p, 4, 100000, 1700000000, fx->v9_seq++, 1);
    size_t s = set_begin(&p, 0);
    v9_tmpl(&p, 300, v9_sampled_fields, G_N_ELEMENTS(v9_sampled_fields));
    v9_tmpl(&p, 256, v9_fields, G_N_ELEMENTS(v9_fields));
    set_end(&p, s);
    s = set_begin(&p, 300);
    for (unsigned i = 0; i < n; i++)
        v9_rec(&p, i, true, ids[i]);
    while ((p.n - s) % 4)
        put8(&p, 0);                    /* padding */
    set_end(&p, s);
    s = set_begin(&p, 256);
    v9_rec(&p, 99, false, 0);
    put8(&p, 0); put16(&p, 0);          /* padding */
    set_end(&p, s);
    feed_both(fx, t, &p, n + 1);
}

static uint32_t interval_at(const fx_t *fx, guint i)
{
    return flow_at(fx, i)->sampling_interval;
}

/* Sampler 1 at 1 in 10, sampler 2 at 1 in 100, announced in that order:
 * each record takes its own sampler's interval, not the last announced;
 * an unknown sampler and a record without one take the smallest (10)
 * until a domain-wide options record (34, no sampler id) says 1000. */
static void test_v9_two_samplers(fx_t *fx, gconstpointer data)
{
    static const uint16_t ids[] = { 1, 2, 3 };
    twin_t t;
    pkt_t p;

    twin_new(&t);
    v9_hdr(&p, 3, 100000, 1700000000, fx->v9_seq++, 1);
    v9_sampler_tmpl(&p);
    size_t s = set_begin(&p, 257);
    v9_sampler_rec(&p, 1, 10);
    v9_sampler_rec(&p, 2, 100);
    put16(&p, 0);                       /* padding */
    set_end(&p, s);
    feed_both(fx, &t, &p, 0);
    g_assert_cmpuint(C(fx, SF_C_OPTIONS_RECORDS), ==, 2);

    v9_data(fx, &t, ids, 3);
    g_assert_cmpuint(interval_at(fx, 0), ==, 10);
    g_assert_cmpuint(interval_at(fx, 1), ==, 100);
    g_assert_cmpuint(interval_at(fx, 2), ==, 10);       /* unknown: smallest */
    g_assert_cmpuint(interval_at(fx, 3), ==, 10);       /* none: smallest */
    g_assert_cmpuint(C(fx, SF_C_SAMPLER_UNKNOWN), ==, 1);

    /* Options template 258: scope System, SAMPLING_INTERVAL 34. */
    v9_hdr(&p, 2, 100000, 1700000000, fx->v9_seq++, 1);
    s = set_begin(&p, 1);
    put16(&p, 258); put16(&p, 4); put16(&p, 4);
    put16(&p, 1); put16(&p, 4);
    put16(&p, 34); put16(&p, 4);
    put16(&p, 0);
    set_end(&p, s);
    s = set_begin(&p, 258);
    put32(&p, 0);
    put32(&p, 1000);
    set_end(&p, s);
    feed_both(fx, &t, &p, 0);
    v9_data(fx, &t, ids, 3);
    g_assert_cmpuint(interval_at(fx, 4), ==, 10);
    g_assert_cmpuint(interval_at(fx, 5), ==, 100);
    g_assert_cmpuint(interval_at(fx, 6), ==, 1000);     /* the domain's */
    g_assert_cmpuint(interval_at(fx, 7), ==, 1000);
    g_assert_cmpuint(C(fx, SF_C_SAMPLER_UNKNOWN), ==, 2);
    g_assert_cmpuint(C(fx, SF_C_FIELDS_IGNORED), ==, 0);
    twin_free(&t);
}

/* IPFIX: selectorId (302) as the scope of two options templates, one with
 * samplingPacketInterval/Space (305/306, RFC 5477), one with
 * samplingInterval (34) and a 4-byte (reduced-size) selectorId; data
 * records name it by 302 in 2 bytes or by samplerId (48) in 1 byte. */
static void test_ipfix_selectors(fx_t *fx, gconstpointer data)
{
    static const fs_t o1[] = { { 302, 8, 0 }, { 305, 4, 0 }, { 306, 4, 0 } };
    static const fs_t o2[] = { { 302, 4, 0 }, { 34, 4, 0 } };
    static const fs_t d1[] = {
        { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
        { 2, 8, 0 }, { 1, 8, 0 }, { 302, 2, 0 },
    };
    static const fs_t d2[] = {
        { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
        { 2, 8, 0 }, { 1, 8, 0 }, { 48, 1, 0 },
    };
    twin_t t;
    pkt_t p;

    twin_new(&t);
    ipfix_hdr(&p, 1700000000, 0, 5);
    size_t s = set_begin(&p, 3);
    ipfix_opt_tmpl(&p, 400, o1, 3, 1);
    ipfix_opt_tmpl(&p, 401, o2, 2, 1);
    set_end(&p, s);
    s = set_begin(&p, 400);             /* selector 7: 1 selected, 49 skipped */
    put64(&p, 7); put32(&p, 1); put32(&p, 49);
    set_end(&p, s);
    s = set_begin(&p, 401);             /* selector 9: 1 in 20 */
    put32(&p, 9); put32(&p, 20);
    set_end(&p, s);
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 402, d1, G_N_ELEMENTS(d1));
    ipfix_tmpl(&p, 403, d2, G_N_ELEMENTS(d2));
    set_end(&p, s);
    s = set_begin(&p, 402);
    basic_rec(&p, ip4(10, 4, 0, 1), ip4(10, 4, 0, 2), 40000, 22, 6, 1, 40);
    put16(&p, 7);
    basic_rec(&p, ip4(10, 4, 0, 1), ip4(10, 4, 0, 3), 40000, 22, 6, 1, 40);
    put16(&p, 9);
    set_end(&p, s);
    s = set_begin(&p, 403);
    basic_rec(&p, ip4(10, 4, 0, 1), ip4(10, 4, 0, 4), 40000, 22, 6, 1, 40);
    put8(&p, 9);
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 3);
    g_assert_cmpuint(interval_at(fx, 0), ==, 50);
    g_assert_cmpuint(interval_at(fx, 1), ==, 20);
    g_assert_cmpuint(interval_at(fx, 2), ==, 20);
    g_assert_cmpuint(C(fx, SF_C_OPTIONS_RECORDS), ==, 2);
    g_assert_cmpuint(C(fx, SF_C_SAMPLER_UNKNOWN), ==, 0);
    g_assert_cmpuint(C(fx, SF_C_FIELDS_IGNORED), ==, 0);
    twin_free(&t);
}

/* Nine samplers in a domain of eight slots: the first announced is
 * forgotten and counted.  A sampler announced with interval 0 changes
 * nothing and is counted; a sampler id in 16 bytes is not read and
 * counted; 305 = 1 and 306 = 2^32 - 1 is the largest interval, not 0. */
static void test_hostile(fx_t *fx, gconstpointer data)
{
    static const uint16_t ids[] = { 1, 9, 5 };
    twin_t t;
    pkt_t p;

    twin_new(&t);
    v9_hdr(&p, 2, 100000, 1700000000, fx->v9_seq++, 1);
    v9_sampler_tmpl(&p);
    size_t s = set_begin(&p, 257);
    for (uint16_t id = 1; id <= SF_MAX_SAMPLERS + 1; id++)
        v9_sampler_rec(&p, id, 10u * id);
    v9_sampler_rec(&p, 5, 0);
    put16(&p, 0);                       /* padding */
    set_end(&p, s);
    feed_both(fx, &t, &p, 0);
    g_assert_cmpuint(C(fx, SF_C_SAMPLERS_EVICTED), ==, 1);
    g_assert_cmpuint(C(fx, SF_C_SAMPLER_NO_INTERVAL), ==, 1);
    v9_data(fx, &t, ids, 3);
    g_assert_cmpuint(interval_at(fx, 0), ==, 20);       /* forgotten: smallest */
    g_assert_cmpuint(interval_at(fx, 1), ==, 90);
    g_assert_cmpuint(interval_at(fx, 2), ==, 50);       /* not zeroed */
    g_assert_cmpuint(C(fx, SF_C_SAMPLER_UNKNOWN), ==, 1);

    /* template 301: a 16-byte FLOW_SAMPLER_ID, renamed opaque */
    static const fs_t wide[] = {
        { 8, 4, 0 }, { 12, 4, 0 }, { 4, 1, 0 }, { 48, 16, 0 },
    };
    v9_hdr(&p, 2, 100000, 1700000000, fx->v9_seq++, 1);
    s = set_begin(&p, 0);
    v9_tmpl(&p, 301, wide, G_N_ELEMENTS(wide));
    set_end(&p, s);
    s = set_begin(&p, 301);
    put32(&p, ip4(10, 5, 0, 1)); put32(&p, ip4(10, 5, 0, 2)); put8(&p, 6);
    for (int i = 0; i < 16; i++)
        put8(&p, 9);
    put8(&p, 0); put16(&p, 0);          /* padding */
    set_end(&p, s);
    feed_both(fx, &t, &p, 1);
    g_assert_cmpuint(C(fx, SF_C_FIELDS_IGNORED), ==, 1);
    g_assert_cmpuint(interval_at(fx, 4), ==, 20);

    /* IPFIX domain 6: 1 selected, 2^32 - 1 skipped */
    static const fs_t o[] = { { 149, 4, 0 }, { 305, 4, 0 }, { 306, 4, 0 } };
    ipfix_hdr(&p, 1700000000, 0, 6);
    s = set_begin(&p, 3);
    ipfix_opt_tmpl(&p, 257, o, 3, 1);
    set_end(&p, s);
    s = set_begin(&p, 257);
    put32(&p, 6); put32(&p, 1); put32(&p, 0xffffffffu);
    set_end(&p, s);
    s = set_begin(&p, 2);
    ipfix_tmpl(&p, 256, basic_fields, G_N_ELEMENTS(basic_fields));
    set_end(&p, s);
    s = set_begin(&p, 256);
    basic_rec(&p, ip4(10, 6, 0, 1), ip4(10, 6, 0, 2), 1, 2, 17, 1, 40);
    set_end(&p, s);
    ipfix_end(&p);
    feed_both(fx, &t, &p, 1);
    g_assert_cmpuint(interval_at(fx, 5), ==, UINT32_MAX);
    twin_free(&t);
}

/* A corpus file's bytes, or NULL (and the test skipped) outside make
 * check. */
static GBytes *corpus_file(const char *name)
{
    const char *top = g_getenv("top_srcdir");
    char *data;
    gsize n;

    if (top == NULL) {
        g_test_skip("top_srcdir not set (run through make check)");
        return NULL;
    }
    g_autofree char *path = g_build_filename(top, "fixtures", "corpus",
        "logstash-codec-netflow", "spec", "codecs", name, NULL);
    g_assert_true(g_file_get_contents(path, &data, &n, NULL));
    return g_bytes_new_take(data, n);
}

static void feed_bytes(fx_t *fx, twin_t *t, GBytes *b, guint flows)
{
    pkt_t p;
    gsize n;
    const void *d = g_bytes_get_data(b, &n);

    g_assert_cmpuint(n, <=, sizeof p.b);
    memcpy(p.b, d, n);
    p.n = n;
    feed_both(fx, t, &p, flows);
}

/* Cisco ASR9k (logstash-codec-netflow's corpus): its sampler options
 * template 257 (System scope; FLOW_SAMPLER_ID 48 in 2 bytes,
 * FLOW_SAMPLER_RANDOM_INTERVAL 50, FLOW_SAMPLER_MODE 49, samplerName 84
 * in 32 bytes) and its flow template 260 and 21 records, all naming
 * sampler 1, in source id 2177.  Between them, a packet built here in that
 * layout announces sampler 1 at 1 in 1000, then sampler 2 at 1 in 10:
 * every record is sampler 1's. */
static void test_asr9k(fx_t *fx, gconstpointer data)
{
    GBytes *opt = corpus_file("netflow9_test_cisco_asr9k_opttpl257.dat");
    GBytes *tpl = corpus_file("netflow9_test_cisco_asr9k_tpl260.dat");
    GBytes *dat = corpus_file("netflow9_test_cisco_asr9k_data260.dat");
    twin_t t;
    pkt_t p;

    if (opt == NULL || tpl == NULL || dat == NULL)
        goto out;
    twin_new(&t);
    feed_bytes(fx, &t, opt, 0);
    g_assert_cmpuint(C(fx, SF_C_OPTIONS_TEMPLATES), ==, 1);
    v9_hdr(&p, 2, 0x659d1a7d, 0x58468e6c, 1, 2177);   /* opttpl257's header */
    size_t s = set_begin(&p, 257);
    for (unsigned i = 0; i < 2; i++) {
        char name[32] = { 0 };
        put32(&p, 0);                   /* scope: the system */
        put16(&p, i ? 2 : 1);
        put32(&p, i ? 10 : 1000);
        put8(&p, 2);                    /* random */
        g_snprintf(name, sizeof name, "NF_SAMPLER_%u", i ? 10 : 1000);
        put_bytes(&p, name, 32);
    }
    put16(&p, 0);                       /* padding */
    set_end(&p, s);
    feed_both(fx, &t, &p, 0);
    g_assert_cmpuint(C(fx, SF_C_OPTIONS_RECORDS), ==, 2);
    feed_bytes(fx, &t, tpl, 0);
    feed_bytes(fx, &t, dat, 21);
    for (guint i = 0; i < 21; i++)
        g_assert_cmpuint(interval_at(fx, i), ==, 1000);
    g_assert_cmpuint(C(fx, SF_C_SAMPLER_UNKNOWN), ==, 0);
    g_assert_cmpuint(C(fx, SF_C_FIELDS_IGNORED), ==, 0);
    twin_free(&t);
out:
    g_clear_pointer(&opt, g_bytes_unref);
    g_clear_pointer(&tpl, g_bytes_unref);
    g_clear_pointer(&dat, g_bytes_unref);
}

int main(int argc, char **argv)
{
    wire_test_init(&argc, &argv);
    ADD("/samplers/v9-two-samplers", test_v9_two_samplers);
    ADD("/samplers/ipfix-selectors", test_ipfix_selectors);
    ADD("/samplers/hostile", test_hostile);
    ADD("/samplers/asr9k-corpus", test_asr9k);
    return g_test_run();
}
