/*
 * test-decoder.c - the decoder's own jobs (decoder.c): dispatch by
 * version, the exporter table and its caps (templates, domains,
 * exporters), sequence accounting per domain, data sets held until their
 * template arrives, and the --exporter allow-list.
 */
#include "wire.h"
#include "cidr.h"

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

/* --exporter 192.0.2.0/24 and 2001:db8::/32: the fixture's exporter
 * (192.0.2.1) decodes, 198.51.100.1 and 2001:db9::1 are refused and
 * counted, whatever they send. */
static void test_exporter_allowed(fx_t *fx, gconstpointer data)
{
    sf_cidr_t v4, v6;
    sf_addr_t other = addr4(ip4(198, 51, 100, 1)), other6;
    pkt_t p;

    g_assert_true(sf_cidr_parse_network("192.0.2.77/24", &v4, NULL));
    g_assert_true(sf_cidr_parse("2001:db8::/32", &v6, NULL));
    sf_decoder_allow_exporter(fx->d, &v4);
    sf_decoder_allow_exporter(fx->d, &v6);
    g_assert_true(sf_addr_parse("2001:db9::1", &other6));
    v5_hdr(&p, 1, 100000, 1700000000, 0, 0);
    v5_rec(&p, ip4(10, 2, 0, 1), ip4(10, 2, 0, 2), 1234, 22, 6, 4, 240, 95000, 99000);
    feed_from(fx, &other, &p);
    feed_from(fx, &other6, &p);
    g_assert_cmpuint(fx->flows->len, ==, 0);
    g_assert_cmpuint(C(fx, SF_C_EXPORTER_DENIED), ==, 2);
    good_v5(fx);
    g_assert_cmpuint(C(fx, SF_C_EXPORTER_DENIED), ==, 2);
}

int main(int argc, char **argv)
{
    wire_test_init(&argc, &argv);
    ADD("/decoder/template/data-before-template", test_data_before_template);
    ADD("/decoder/caps/template-flood", test_template_flood);
    ADD("/decoder/caps/domains", test_domain_cap);
    ADD("/decoder/caps/exporters", test_exporter_cap);
    ADD("/decoder/version/unknown", test_unknown_version);
    ADD("/decoder/sequence/v9", test_sequence_v9);
    ADD("/decoder/sequence/ipfix", test_sequence_ipfix);
    ADD("/decoder/exporter/allowed", test_exporter_allowed);
    return g_test_run();
}
