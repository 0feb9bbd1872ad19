/*
 * test-sflow.c - sFlow v5 datagrams, good and hostile, through the one
 * decode path (sf_decoder_packet).
 *
 * Every datagram is built here word by word (sflow.org sflow_version_5.txt:
 * XDR, big-endian, 4-byte aligned) with a comment saying what it encodes.
 * A good datagram must give the flow record its sample describes; each
 * hostile one must raise its named counter, deliver nothing wrong, and
 * leave the agent decoding: a good datagram from it afterwards still
 * reaches the sink.
 */
#include "decoder.h"
#include "cursor.h"
#include "sflow.h"

#include <glib.h>
#include <string.h>

/* ---- datagram builders --------------------------------------------------- */

typedef struct pkt {
    uint8_t b[65536];
    size_t  n;
} pkt_t;

static void put32(pkt_t *p, uint32_t v)
{
    sf_put32(p->b + p->n, v);
    p->n += 4;
}

static void put_bytes(pkt_t *p, const uint8_t *b, size_t n)
{
    memcpy(p->b + p->n, b, n);
    p->n += n;
    while (p->n % 4)
        p->b[p->n++] = 0;           /* XDR padding */
}

/* Datagram header with the IPv4 agent 192.0.2.77, sub-agent 3. */
static void dgram(pkt_t *p, uint32_t seq, uint32_t nsamples)
{
    static const uint8_t agent[4] = { 192, 0, 2, 77 };
    p->n = 0;
    put32(p, 5);                    /* version */
    put32(p, 1);                    /* agent address type: IPv4 */
    put_bytes(p, agent, 4);
    put32(p, 3);                    /* sub_agent_id */
    put32(p, seq);                  /* sequence number */
    put32(p, 1000);                 /* uptime, ms */
    put32(p, nsamples);
}

/* Opens a sample or record (format, length to be patched); returns where
 * its length word is. */
static size_t open_item(pkt_t *p, uint32_t format)
{
    put32(p, format);
    put32(p, 0);
    return p->n - 4;
}

static void close_item(pkt_t *p, size_t at)
{
    sf_put32(p->b + at, (uint32_t)(p->n - at - 4));
}

/* flow_sample (0,1) fields up to the record count: rate 1:400, input
 * ifIndex 7, output ifIndex 9. */
static void flow_sample_head(pkt_t *p, uint32_t nrecords)
{
    put32(p, 11);                   /* sequence */
    put32(p, 7);                    /* source_id: ifIndex 7 */
    put32(p, 400);                  /* sampling_rate */
    put32(p, 4000);                 /* sample_pool */
    put32(p, 0);                    /* drops */
    put32(p, 7);                    /* input */
    put32(p, 9);                    /* output */
    put32(p, nrecords);
}

/* An Ethernet frame with tags (0x8100 or 0x88a8 ids) carrying IPv4 TCP
 * 198.51.100.9:40000 -> 203.0.113.5:443 SYN, 60-byte IP packet; cut to
 * keep bytes. */
static size_t eth_tcp_frame(uint8_t *f, const uint16_t *tags, int ntags, size_t keep)
{
    size_t n = 0;
    memset(f, 0, 256);
    for (int i = 0; i < 12; i++)
        f[n++] = (uint8_t)(0x02 + i);           /* dst, src MAC */
    for (int i = 0; i < ntags; i++) {
        sf_put16(f + n, tags[i]);
        sf_put16(f + n + 2, (uint16_t)(100 + i)); /* VLAN id */
        n += 4;
    }
    sf_put16(f + n, 0x0800);
    n += 2;
    uint8_t *ip = f + n;
    ip[0] = 0x45;
    sf_put16(ip + 2, 60);                       /* total length */
    ip[8] = 64;
    ip[9] = 6;                                  /* TCP */
    ip[12] = 198; ip[13] = 51; ip[14] = 100; ip[15] = 9;
    ip[16] = 203; ip[17] = 0; ip[18] = 113; ip[19] = 5;
    uint8_t *tcp = ip + 20;
    sf_put16(tcp, 40000);
    sf_put16(tcp + 2, 443);
    tcp[12] = 0xa0;                             /* data offset 10 words */
    tcp[13] = 0x02;                             /* SYN */
    n += 60;
    return keep < n ? keep : n;
}

/* sampled_header record (0,1) with the given header bytes. */
static void rec_header(pkt_t *p, uint32_t proto, uint32_t frame_len,
                       const uint8_t *h, size_t hlen)
{
    size_t at = open_item(p, 1);
    put32(p, proto);                /* header_protocol */
    put32(p, frame_len);            /* frame_length */
    put32(p, 4);                    /* stripped (FCS) */
    put32(p, (uint32_t)hlen);       /* header length */
    put_bytes(p, h, hlen);
    close_item(p, at);
}

/* One flow sample of an Ethernet TCP SYN with tags. */
static void sample_eth(pkt_t *p, const uint16_t *tags, int ntags, size_t keep)
{
    uint8_t f[256];
    size_t n = eth_tcp_frame(f, tags, ntags, keep);
    size_t at = open_item(p, 1);
    flow_sample_head(p, 1);
    rec_header(p, 1, (uint32_t)(14 + 4 * ntags + 60 + 4), f, n);
    close_item(p, at);
}

/* ---- fixture ----------------------------------------------------------- */

typedef struct fx {
    sf_decoder_t *d;
    GArray       *flows;
    sf_addr_t     src;          /* the datagrams' UDP source */
    pkt_t         p;
} fx_t;

static void sink(const sf_flow_t *f, void *ctx)
{
    fx_t *fx = ctx;
    if (f != NULL)
        g_array_append_val(fx->flows, *f);
}

static void fx_setup(fx_t *fx, gconstpointer data)
{
    static const uint8_t v4[4] = { 198, 51, 100, 250 };
    sf_decoder_config_t cfg = SF_DECODER_CONFIG_DEFAULT;

    fx->flows = g_array_new(FALSE, TRUE, sizeof(sf_flow_t));
    fx->d = sf_decoder_new(&cfg, sink, fx);
    sf_addr_set_v4(&fx->src, v4);
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

static void feed(fx_t *fx)
{
    sf_decoder_packet(fx->d, &fx->src, fx->p.b, fx->p.n, INT64_C(1700000000123));
}

static const sf_flow_t *flow_at(const fx_t *fx, guint i)
{
    g_assert_cmpuint(i, <, fx->flows->len);
    return &g_array_index(fx->flows, sf_flow_t, i);
}

static void addr_is(const sf_addr_t *a, const char *text)
{
    char buf[SF_ADDR_STRLEN];
    g_assert_cmpstr(sf_addr_to_string(a, buf), ==, text);
}

/* A good datagram afterwards still decodes: the agent is not stuck. */
static void still_decodes(fx_t *fx)
{
    guint before = fx->flows->len;
    dgram(&fx->p, 1000, 1);
    sample_eth(&fx->p, NULL, 0, 128);
    feed(fx);
    g_assert_cmpuint(fx->flows->len, ==, before + 1);
}

/* ---- good input -------------------------------------------------------- */

static void test_ethernet_tcp(fx_t *fx, gconstpointer data)
{
    dgram(&fx->p, 1, 1);
    sample_eth(&fx->p, NULL, 0, 128);
    feed(fx);
    g_assert_cmpuint(fx->flows->len, ==, 1);
    const sf_flow_t *f = flow_at(fx, 0);
    addr_is(&f->exporter, "192.0.2.77");        /* the agent, not the UDP source */
    addr_is(&f->src, "198.51.100.9");
    addr_is(&f->dst, "203.0.113.5");
    g_assert_cmpuint(f->version, ==, SF_VERSION_SFLOW);
    g_assert_cmpuint(f->obs_domain, ==, 3);
    g_assert_cmpuint(f->proto, ==, 6);
    g_assert_cmpuint(f->src_port, ==, 40000);
    g_assert_cmpuint(f->dst_port, ==, 443);
    g_assert_cmpuint(f->tcp_flags, ==, 0x02);
    g_assert_cmpuint(f->packets, ==, 1);
    g_assert_cmpuint(f->bytes, ==, 60);
    g_assert_cmpuint(f->sampling_interval, ==, 400);
    g_assert_cmpuint(f->in_if, ==, 7);
    g_assert_cmpuint(f->out_if, ==, 9);
    g_assert_cmpint(f->start_ms, ==, INT64_C(1700000000123));
    g_assert_true(f->is_v4);
    g_assert_cmpuint(f->fields & (SF_HAS_PORTS | SF_HAS_TCP_FLAGS | SF_HAS_IN_IF |
                                  SF_HAS_OUT_IF | SF_HAS_ADDRS | SF_HAS_PROTO),
                     ==, SF_HAS_PORTS | SF_HAS_TCP_FLAGS | SF_HAS_IN_IF |
                         SF_HAS_OUT_IF | SF_HAS_ADDRS | SF_HAS_PROTO);
    g_assert_cmpuint(C(fx, SF_C_PACKETS_SFLOW), ==, 1);
    g_assert_cmpuint(C(fx, SF_C_RECORDS_SFLOW), ==, 1);
    g_assert_cmpuint(sf_decoder_exporter_count(fx->d), ==, 1);
}

static void test_vlan_tags(fx_t *fx, gconstpointer data)
{
    static const uint16_t one[] = { 0x8100 };
    static const uint16_t qinq[] = { 0x88a8, 0x8100 };

    dgram(&fx->p, 1, 2);
    sample_eth(&fx->p, one, 1, 128);
    sample_eth(&fx->p, qinq, 2, 128);
    feed(fx);
    g_assert_cmpuint(fx->flows->len, ==, 2);
    for (guint i = 0; i < 2; i++) {
        addr_is(&flow_at(fx, i)->src, "198.51.100.9");
        g_assert_cmpuint(flow_at(fx, i)->dst_port, ==, 443);
    }
}

/* A header cut inside the TCP header: addresses and protocol, no ports. */
static void test_cut_header(fx_t *fx, gconstpointer data)
{
    dgram(&fx->p, 1, 1);
    sample_eth(&fx->p, NULL, 0, 14 + 20 + 3);
    feed(fx);
    g_assert_cmpuint(fx->flows->len, ==, 1);
    const sf_flow_t *f = flow_at(fx, 0);
    addr_is(&f->dst, "203.0.113.5");
    g_assert_cmpuint(f->proto, ==, 6);
    g_assert_false(f->fields & SF_HAS_PORTS);
    g_assert_false(f->fields & SF_HAS_TCP_FLAGS);
}

/* Raw IPv6 header (header_protocol 12): ICMPv6 echo request behind a
 * hop-by-hop header, in an expanded flow sample (0,3). */
static void test_ipv6_icmp_expanded(fx_t *fx, gconstpointer data)
{
    uint8_t h[56];
    memset(h, 0, sizeof h);
    h[0] = 0x60;
    sf_put16(h + 4, 16);            /* payload length: 8 + 8 */
    h[6] = 0;                       /* next: hop-by-hop */
    h[7] = 64;
    h[8] = 0x20; h[9] = 0x01; h[10] = 0x0d; h[11] = 0xb8; h[23] = 1;   /* 2001:db8::1 */
    h[24] = 0x20; h[25] = 0x01; h[26] = 0x0d; h[27] = 0xb8; h[39] = 2; /* 2001:db8::2 */
    h[40] = 58;                     /* hop-by-hop: next ICMPv6, length 0 (8 bytes) */
    h[48] = 128;                    /* ICMPv6 echo request, code 0 */

    dgram(&fx->p, 1, 1);
    size_t at = open_item(&fx->p, 3);
    put32(&fx->p, 5);               /* sequence */
    put32(&fx->p, 0);               /* source_id type */
    put32(&fx->p, 12);              /* source_id index */
    put32(&fx->p, 1000);            /* sampling_rate */
    put32(&fx->p, 9000);            /* sample_pool */
    put32(&fx->p, 0);               /* drops */
    put32(&fx->p, 0);               /* input format: ifIndex */
    put32(&fx->p, 12);              /* input value */
    put32(&fx->p, 1);               /* output format: dropped */
    put32(&fx->p, 259);             /* output value: reason */
    put32(&fx->p, 1);               /* records */
    rec_header(&fx->p, 12, 60, h, sizeof h);
    close_item(&fx->p, at);
    feed(fx);
    g_assert_cmpuint(fx->flows->len, ==, 1);
    const sf_flow_t *f = flow_at(fx, 0);
    addr_is(&f->src, "2001:db8::1");
    g_assert_false(f->is_v4);
    g_assert_cmpuint(f->proto, ==, 58);
    g_assert_true(f->fields & SF_HAS_ICMP);
    g_assert_cmpuint(f->icmp_type_code, ==, 128 << 8);
    g_assert_cmpuint(f->bytes, ==, 56);
    g_assert_cmpuint(f->sampling_interval, ==, 1000);
    g_assert_cmpuint(f->in_if, ==, 12);
    g_assert_false(f->fields & SF_HAS_OUT_IF);
    g_assert_true(f->fields & SF_HAS_FWD_STATUS);
    g_assert_cmpuint(f->fwd_status, ==, 2);
}

/* sampled_ipv4 (0,3) alone; a counter sample and an unknown enterprise
 * sample beside it are skipped and counted. */
static void test_sampled_ipv4_and_skips(fx_t *fx, gconstpointer data)
{
    dgram(&fx->p, 1, 3);
    size_t at = open_item(&fx->p, 2);   /* counters_sample: body opaque to us */
    put32(&fx->p, 1);
    put32(&fx->p, 7);
    put32(&fx->p, 0);
    close_item(&fx->p, at);
    at = open_item(&fx->p, 1);
    flow_sample_head(&fx->p, 2);
    size_t r = open_item(&fx->p, 1001); /* extended switch: skipped */
    for (int i = 0; i < 4; i++)
        put32(&fx->p, 0);
    close_item(&fx->p, r);
    r = open_item(&fx->p, 3);
    put32(&fx->p, 1500);                /* length */
    put32(&fx->p, 17);                  /* UDP */
    put32(&fx->p, 0xc0000201);          /* 192.0.2.1 */
    put32(&fx->p, 0xc0000202);          /* 192.0.2.2 */
    put32(&fx->p, 53);
    put32(&fx->p, 33000);
    put32(&fx->p, 0);                   /* tcp_flags */
    put32(&fx->p, 0);                   /* tos */
    close_item(&fx->p, r);
    close_item(&fx->p, at);
    at = open_item(&fx->p, 4242u << 12 | 1);   /* enterprise 4242 */
    put32(&fx->p, 0);
    close_item(&fx->p, at);
    feed(fx);
    g_assert_cmpuint(fx->flows->len, ==, 1);
    const sf_flow_t *f = flow_at(fx, 0);
    addr_is(&f->src, "192.0.2.1");
    g_assert_cmpuint(f->proto, ==, 17);
    g_assert_cmpuint(f->src_port, ==, 53);
    g_assert_cmpuint(f->dst_port, ==, 33000);
    g_assert_cmpuint(f->bytes, ==, 1500);
    g_assert_cmpuint(C(fx, SF_C_SFLOW_COUNTER_SAMPLES), ==, 1);
    g_assert_cmpuint(C(fx, SF_C_SFLOW_SAMPLES_SKIPPED), ==, 1);
    g_assert_cmpuint(C(fx, SF_C_SFLOW_RECORDS_SKIPPED), ==, 1);
}

/* sampled_ipv4 record (0,3): TCP 192.0.2.1:53 -> 192.0.2.2:33000, SYN+ACK,
 * 1500 bytes; words of its body cut to nwords (8 whole). */
static void rec_ipv4(pkt_t *p, int nwords)
{
    static const uint32_t w[8] = {
        1500, 6, 0xc0000201, 0xc0000202, 53, 33000, 0x12, 0
    };
    size_t at = open_item(p, 3);
    for (int i = 0; i < nwords; i++)
        put32(p, w[i]);
    close_item(p, at);
}

/* A sampled_header holding IP wins over a sampled_ipv4 of the same
 * sample, before or after it, and takes nothing from it (the header cut
 * after the ports has no TCP flags); a short sampled_ipv4 after a header
 * still makes the sample malformed. */
static void test_header_and_ipv4(fx_t *fx, gconstpointer data)
{
    uint8_t fr[256];
    size_t n = eth_tcp_frame(fr, NULL, 0, 14 + 20 + 4);

    dgram(&fx->p, 1, 3);
    size_t at = open_item(&fx->p, 1);
    flow_sample_head(&fx->p, 2);
    rec_ipv4(&fx->p, 8);
    rec_header(&fx->p, 1, 14 + 60 + 4, fr, n);
    close_item(&fx->p, at);
    at = open_item(&fx->p, 1);
    flow_sample_head(&fx->p, 3);
    rec_header(&fx->p, 1, 14 + 60 + 4, fr, n);
    rec_ipv4(&fx->p, 8);
    rec_ipv4(&fx->p, 8);                    /* a second one: skipped */
    close_item(&fx->p, at);
    at = open_item(&fx->p, 1);
    flow_sample_head(&fx->p, 2);
    rec_header(&fx->p, 1, 14 + 60 + 4, fr, n);
    rec_ipv4(&fx->p, 5);                    /* short: the sample is dropped */
    close_item(&fx->p, at);
    feed(fx);
    g_assert_cmpuint(fx->flows->len, ==, 2);
    for (guint i = 0; i < 2; i++) {
        const sf_flow_t *f = flow_at(fx, i);
        addr_is(&f->src, "198.51.100.9");
        addr_is(&f->dst, "203.0.113.5");
        g_assert_cmpuint(f->src_port, ==, 40000);
        g_assert_cmpuint(f->dst_port, ==, 443);
        g_assert_cmpuint(f->bytes, ==, 60);
        g_assert_cmpuint(f->tcp_flags, ==, 0);
        g_assert_cmpuint(f->fields & SF_HAS_TCP_FLAGS, ==, 0);
        g_assert_cmpuint(f->fields & SF_HAS_PORTS, ==, SF_HAS_PORTS);
    }
    g_assert_cmpuint(C(fx, SF_C_SFLOW_RECORDS_SKIPPED), ==, 1);
    g_assert_cmpuint(C(fx, SF_C_ERR_SFLOW_RECORD_SHORT), ==, 1);

    dgram(&fx->p, 2, 1);                    /* the ipv4 record alone */
    at = open_item(&fx->p, 1);
    flow_sample_head(&fx->p, 1);
    rec_ipv4(&fx->p, 8);
    close_item(&fx->p, at);
    feed(fx);
    g_assert_cmpuint(fx->flows->len, ==, 3);
    const sf_flow_t *f = flow_at(fx, 2);
    addr_is(&f->src, "192.0.2.1");
    g_assert_cmpuint(f->tcp_flags, ==, 0x12);
    g_assert_cmpuint(f->bytes, ==, 1500);
    g_assert_cmpuint(f->sampling_interval, ==, 400);
    g_assert_cmpuint(f->in_if, ==, 7);
    still_decodes(fx);
}

/* An IPv6 agent keys its own exporter; an ARP frame gives no record. */
static void test_ipv6_agent_and_not_ip(fx_t *fx, gconstpointer data)
{
    uint8_t arp[42];
    memset(arp, 0, sizeof arp);
    sf_put16(arp + 12, 0x0806);

    fx->p.n = 0;
    put32(&fx->p, 5);
    put32(&fx->p, 2);                   /* agent address type: IPv6 */
    uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x77 };
    put_bytes(&fx->p, a6, 16);
    put32(&fx->p, 0);
    put32(&fx->p, 1);
    put32(&fx->p, 0);
    put32(&fx->p, 2);
    sample_eth(&fx->p, NULL, 0, 128);
    size_t at = open_item(&fx->p, 1);
    flow_sample_head(&fx->p, 1);
    rec_header(&fx->p, 1, 64, arp, sizeof arp);
    close_item(&fx->p, at);
    feed(fx);
    g_assert_cmpuint(fx->flows->len, ==, 1);
    addr_is(&flow_at(fx, 0)->exporter, "2001:db8::77");
    g_assert_cmpuint(C(fx, SF_C_SFLOW_NOT_IP), ==, 1);
}

/* One UDP port takes NetFlow v5 and sFlow: 0x0005 0x0001 is v5, word 5 sFlow. */
static void test_dispatch(fx_t *fx, gconstpointer data)
{
    fx->p.n = 0;
    sf_put16(fx->p.b, 5);
    sf_put16(fx->p.b + 2, 1);           /* v5, count 1 */
    memset(fx->p.b + 4, 0, 24 - 4 + 48);
    fx->p.n = 24 + 48;
    feed(fx);
    g_assert_cmpuint(C(fx, SF_C_PACKETS_V5), ==, 1);
    g_assert_cmpuint(C(fx, SF_C_PACKETS_SFLOW), ==, 0);
    dgram(&fx->p, 1, 1);
    sample_eth(&fx->p, NULL, 0, 128);
    feed(fx);
    g_assert_cmpuint(C(fx, SF_C_PACKETS_SFLOW), ==, 1);
    g_assert_cmpuint(fx->flows->len, ==, 2);
    g_assert_cmpuint(flow_at(fx, 0)->version, ==, 5);
    g_assert_cmpuint(flow_at(fx, 1)->version, ==, SF_VERSION_SFLOW);
}

/* Datagram sequence numbers per agent and sub-agent: a gap is lost datagrams. */
static void test_sequence(fx_t *fx, gconstpointer data)
{
    dgram(&fx->p, 10, 1);
    sample_eth(&fx->p, NULL, 0, 128);
    feed(fx);
    dgram(&fx->p, 13, 1);
    sample_eth(&fx->p, NULL, 0, 128);
    feed(fx);
    g_assert_cmpuint(C(fx, SF_C_SEQ_LOST), ==, 2);
}

/* ---- hostile input ----------------------------------------------------- */

/* Every prefix of a good datagram: counted, never a crash, never a record
 * from the cut sample. */
static void test_truncated(fx_t *fx, gconstpointer data)
{
    pkt_t good;
    dgram(&good, 1, 1);
    sample_eth(&good, NULL, 0, 128);
    for (size_t n = 0; n < good.n; n++) {
        memcpy(fx->p.b, good.b, n);
        fx->p.n = n;
        feed(fx);
    }
    g_assert_cmpuint(fx->flows->len, ==, 0);
    /* 0, 1 bytes: no version; 2, 3: version 0; 4..27: a cut sFlow header */
    g_assert_cmpuint(C(fx, SF_C_ERR_SHORT_HEADER), ==, 2 + 24);
    g_assert_cmpuint(C(fx, SF_C_ERR_BAD_VERSION), ==, 2);
    g_assert_cmpuint(C(fx, SF_C_ERR_SFLOW_SAMPLE_COUNT), ==, 1); /* just the header */
    g_assert_cmpuint(C(fx, SF_C_ERR_SFLOW_SAMPLE_LENGTH), ==, good.n - 28 - 1);
    still_decodes(fx);
}

static void test_sample_length_beyond(fx_t *fx, gconstpointer data)
{
    dgram(&fx->p, 1, 2);
    sample_eth(&fx->p, NULL, 0, 128);
    size_t at = open_item(&fx->p, 1);
    flow_sample_head(&fx->p, 0);
    close_item(&fx->p, at);
    sf_put32(fx->p.b + at, 0xfffffff0u);    /* second sample's length */
    feed(fx);
    g_assert_cmpuint(fx->flows->len, ==, 1);        /* the first sample kept */
    g_assert_cmpuint(C(fx, SF_C_ERR_SFLOW_SAMPLE_LENGTH), ==, 1);
    still_decodes(fx);
}

static void test_record_count(fx_t *fx, gconstpointer data)
{
    /* more records than the sample holds */
    dgram(&fx->p, 1, 1);
    sample_eth(&fx->p, NULL, 0, 128);
    sf_put32(fx->p.b + 28 + 8 + 28, 2);     /* flow_sample's record count */
    feed(fx);
    /* above the cap */
    dgram(&fx->p, 2, 1);
    sample_eth(&fx->p, NULL, 0, 128);
    sf_put32(fx->p.b + 28 + 8 + 28, 0xffffffffu);
    feed(fx);
    /* more samples than the datagram holds, and above the cap */
    dgram(&fx->p, 3, 5);
    sample_eth(&fx->p, NULL, 0, 128);
    feed(fx);
    dgram(&fx->p, 4, SF_SFLOW_MAX_SAMPLES + 1);
    feed(fx);
    g_assert_cmpuint(C(fx, SF_C_ERR_SFLOW_RECORD_COUNT), ==, 2);
    g_assert_cmpuint(C(fx, SF_C_ERR_SFLOW_SAMPLE_COUNT), ==, 2);
    g_assert_cmpuint(fx->flows->len, ==, 1);        /* the 5-sample datagram's one */
    still_decodes(fx);
}

static void test_header_length_beyond(fx_t *fx, gconstpointer data)
{
    dgram(&fx->p, 1, 1);
    sample_eth(&fx->p, NULL, 0, 128);
    /* sampled_header's header length word: after datagram header (28),
     * sample head (8 + 32), record head (8) and 3 words */
    size_t hl = 28 + 8 + 32 + 8 + 12;
    g_assert_cmpuint(sf_get32(fx->p.b + hl), ==, 14 + 60);
    sf_put32(fx->p.b + hl, 14 + 60 + 8);    /* past the record's end */
    feed(fx);
    sf_put32(fx->p.b + hl, 0xfffffffcu);    /* would wrap a 32-bit sum */
    feed(fx);
    g_assert_cmpuint(C(fx, SF_C_ERR_SFLOW_HEADER_LENGTH), ==, 2);
    g_assert_cmpuint(fx->flows->len, ==, 0);
    still_decodes(fx);
}

static void test_bad_agent_type(fx_t *fx, gconstpointer data)
{
    dgram(&fx->p, 1, 1);
    sample_eth(&fx->p, NULL, 0, 128);
    sf_put32(fx->p.b + 4, 3);               /* neither 1 (IPv4) nor 2 (IPv6) */
    feed(fx);
    sf_put32(fx->p.b + 4, 0);
    feed(fx);
    g_assert_cmpuint(C(fx, SF_C_ERR_SFLOW_AGENT), ==, 2);
    g_assert_cmpuint(fx->flows->len, ==, 0);
    g_assert_cmpuint(sf_decoder_exporter_count(fx->d), ==, 0);  /* no state */
    still_decodes(fx);
}

/* Lengths that nest wrongly: a record longer than its sample, a record
 * length that would wrap, a sample too short for its own fields, a
 * sampled_ipv4 record too short for its fields. */
static void test_nested_lengths(fx_t *fx, gconstpointer data)
{
    size_t rec_len = 28 + 8 + 32 + 4;       /* first record's length word */

    dgram(&fx->p, 1, 1);
    sample_eth(&fx->p, NULL, 0, 128);
    sf_put32(fx->p.b + rec_len, sf_get32(fx->p.b + rec_len) + 4);
    feed(fx);
    sf_put32(fx->p.b + rec_len, 0xfffffffcu);
    feed(fx);
    g_assert_cmpuint(C(fx, SF_C_ERR_SFLOW_RECORD_LENGTH), ==, 2);

    dgram(&fx->p, 2, 1);
    size_t at = open_item(&fx->p, 1);
    put32(&fx->p, 1);                       /* 3 of flow_sample's 8 words */
    put32(&fx->p, 2);
    put32(&fx->p, 3);
    close_item(&fx->p, at);
    feed(fx);
    g_assert_cmpuint(C(fx, SF_C_ERR_SFLOW_SAMPLE_SHORT), ==, 1);

    dgram(&fx->p, 3, 1);
    at = open_item(&fx->p, 1);
    flow_sample_head(&fx->p, 1);
    size_t r = open_item(&fx->p, 3);
    put32(&fx->p, 40);                      /* sampled_ipv4 cut after 2 words */
    put32(&fx->p, 6);
    close_item(&fx->p, r);
    close_item(&fx->p, at);
    feed(fx);
    g_assert_cmpuint(C(fx, SF_C_ERR_SFLOW_RECORD_SHORT), ==, 1);
    g_assert_cmpuint(fx->flows->len, ==, 0);
    still_decodes(fx);
}

/* Random bytes after a valid header, many times: counted, never a crash. */
static void test_noise(fx_t *fx, gconstpointer data)
{
    GRand *r = g_rand_new_with_seed(14);
    for (int i = 0; i < 20000; i++) {
        dgram(&fx->p, (uint32_t)i, (uint32_t)g_rand_int_range(r, 0, 8));
        size_t n = (size_t)g_rand_int_range(r, 0, 600);
        for (size_t k = 0; k < n; k++) {
            /* mostly small words, so lengths and formats are often plausible */
            fx->p.b[fx->p.n + k] = (k % 4 == 3) ? (uint8_t)g_rand_int_range(r, 0, 256)
                                 : (g_rand_int_range(r, 0, 8) == 0
                                    ? (uint8_t)g_rand_int_range(r, 0, 256) : 0);
        }
        fx->p.n += n;
        feed(fx);
    }
    g_rand_free(r);
    still_decodes(fx);
}

#define ADD(path, fn) g_test_add(path, fx_t, NULL, fx_setup, fn, fx_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("/sflow/good/ethernet-tcp", test_ethernet_tcp);
    ADD("/sflow/good/vlan-qinq", test_vlan_tags);
    ADD("/sflow/good/cut-header", test_cut_header);
    ADD("/sflow/good/ipv6-icmp-expanded", test_ipv6_icmp_expanded);
    ADD("/sflow/good/sampled-ipv4-and-skips", test_sampled_ipv4_and_skips);
    ADD("/sflow/good/header-and-ipv4", test_header_and_ipv4);
    ADD("/sflow/good/ipv6-agent-not-ip", test_ipv6_agent_and_not_ip);
    ADD("/sflow/good/dispatch", test_dispatch);
    ADD("/sflow/good/sequence", test_sequence);
    ADD("/sflow/hostile/truncated", test_truncated);
    ADD("/sflow/hostile/sample-length-beyond", test_sample_length_beyond);
    ADD("/sflow/hostile/record-count", test_record_count);
    ADD("/sflow/hostile/header-length-beyond", test_header_length_beyond);
    ADD("/sflow/hostile/bad-agent-type", test_bad_agent_type);
    ADD("/sflow/hostile/nested-lengths", test_nested_lengths);
    ADD("/sflow/hostile/noise", test_noise);
    return g_test_run();
}
