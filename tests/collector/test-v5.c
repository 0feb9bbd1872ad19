/*
 * test-v5.c - NetFlow v5 (v5.c) through the decode path: truncated
 * headers, record counts that do not fit the packet, flow sequence
 * numbers and the header's sampling field.  Each hostile case asserts the
 * named counter it raises, then a good packet from the same exporter must
 * still decode.
 */
#include "wire.h"

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

/* v5: a header interval of 0 says nothing, so the configured one applies;
 * one the header gives wins (with a warning, once); the longest prefix
 * wins; an exporter outside every --sampling network stays 1. */
static void test_sampling_configured_v5(fx_t *fx, gconstpointer data)
{
    sf_addr_t other = addr4(ip4(198, 51, 100, 9));
    pkt_t p;

    set_sampling(fx, 120, 10);
    set_sampling(fx, 128, 64);
    v5_hdr(&p, 1, 1000, 1700000000, 0, 0);
    v5_rec(&p, 1, 2, 3, 4, 17, 1, 1, 1000, 1000);
    feed(fx, &p);
    g_assert_cmpuint(flow_at(fx, 0)->sampling_interval, ==, 64);
    g_assert_cmpuint(sampling_logged(fx), ==, 0);
    v5_hdr(&p, 1, 1000, 1700000000, 1, 0x4000 | 512);
    v5_rec(&p, 1, 2, 3, 4, 17, 1, 1, 1000, 1000);
    feed(fx, &p);
    v5_hdr(&p, 1, 1000, 1700000000, 2, 0x4000 | 256);  /* no second warning */
    v5_rec(&p, 1, 2, 3, 4, 17, 1, 1, 1000, 1000);
    feed(fx, &p);
    g_assert_cmpuint(sampling_logged(fx), ==, 1);      /* the contradiction */
    g_assert_cmpuint(flow_at(fx, 1)->sampling_interval, ==, 512);
    g_assert_cmpuint(flow_at(fx, 2)->sampling_interval, ==, 256);
    v5_hdr(&p, 1, 1000, 1700000000, 0, 0);
    v5_rec(&p, 1, 2, 3, 4, 17, 1, 1, 1000, 1000);
    feed_from(fx, &other, &p);
    g_assert_cmpuint(flow_at(fx, 3)->sampling_interval, ==, 1);
}

static void test_sampling_v5(fx_t *fx, gconstpointer data)
{
    pkt_t p;

    v5_hdr(&p, 1, 1000, 1700000000, 0, 0x4000 | 512);  /* mode 1, interval 512 */
    v5_rec(&p, 1, 2, 3, 4, 17, 1, 1, 1000, 1000);
    feed(fx, &p);
    g_assert_cmpuint(flow_at(fx, 0)->sampling_interval, ==, 512);
}

int main(int argc, char **argv)
{
    wire_test_init(&argc, &argv);
    ADD("/decoder/truncated/v5", test_truncated_v5);
    ADD("/decoder/v5/count", test_v5_count);
    ADD("/decoder/sequence/v5", test_sequence_v5);
    ADD("/decoder/sampling/v5-header", test_sampling_v5);
    ADD("/decoder/sampling/configured-v5", test_sampling_configured_v5);
    return g_test_run();
}
