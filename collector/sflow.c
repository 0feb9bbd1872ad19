/*
 * sflow.c - sFlow version 5 (sflow.org sflow_version_5.txt).
 *
 * XDR: big-endian 32-bit words, opaque data padded to 4 bytes.
 * Datagram: version(4)=5, agent address type(4: 1 IPv4, 2 IPv6), agent
 *   address(4 or 16), sub_agent_id(4), sequence(4, counts datagrams),
 *   uptime(4, ms), sample count(4), samples.
 * Sample: data_format(4: enterprise << 12 | format), length(4), body.
 *   flow_sample (0,1): sequence, source_id, sampling_rate, sample_pool,
 *   drops, input, output (top 2 bits the format: 0 ifIndex, 1 dropped,
 *   2 several interfaces), record count, records.
 *   expanded_flow_sample (0,3): sequence, source_id type, index,
 *   sampling_rate, sample_pool, drops, input format, value, output
 *   format, value, record count, records.
 * Record: data_format(4), length(4), body.
 *   sampled_header (0,1): header_protocol, frame_length, stripped,
 *   header length, header bytes.
 *   sampled_ipv4 (0,3): length, protocol, src(4), dst(4), src_port,
 *   dst_port, tcp_flags, tos.  sampled_ipv6 (0,4): the same with 16-byte
 *   addresses and priority for tos.
 *
 * Each flow sample is one sampled packet and becomes one sf_flow_t: one
 * packet, the IP length as bytes (as NetFlow counts octets), the sample's
 * sampling_rate as the interval, the agent address as the exporter and
 * sub_agent_id as the observation domain, an input or output ifIndex as
 * the interface (not 0x3fffffff, "unknown"; an output "dropped" becomes
 * forwarding status 2, drop).  Without an IP length (IPv6 jumbograms) the
 * bytes are the frame length less stripped bytes and the link header.
 * sFlow carries no flow time: start and end are the datagram's arrival
 * time.  A sampled_header that holds an IP packet is preferred to a
 * sampled_ipv4/ipv6 record of the same sample.  Counter samples, drop
 * samples, other samples and other records are skipped by their length and
 * counted; every length is checked against what holds it.  A malformed
 * sample is dropped whole and counted; its own length still bounds it, so
 * the datagram's other samples are decoded.  A sample length that overruns
 * the datagram ends the datagram.  Caps: SF_SFLOW_MAX_SAMPLES per datagram
 * and SF_SFLOW_MAX_RECORDS per sample; a count above them is malformed (no
 * agent sends that many).
 */
#include "sflow.h"

#include "cursor.h"

#include <string.h>

bool sf_sflow_agent(const uint8_t *p, size_t len, sf_addr_t *agent,
                    sf_stats_t *st)
{
    if (len < 8) {
        sf_count(st, SF_C_ERR_SHORT_HEADER, 1);
        return false;
    }
    uint32_t type = sf_get32(p + 4);
    size_t alen = type == 1 ? 4 : type == 2 ? 16 : 0;
    if (alen == 0) {
        sf_count(st, SF_C_ERR_SFLOW_AGENT, 1);
        return false;
    }
    if (len < 8 + alen + 16) {
        sf_count(st, SF_C_ERR_SHORT_HEADER, 1);
        return false;
    }
    if (alen == 4)
        sf_addr_set_v4(agent, p + 8);
    else
        memcpy(agent->b, p + 8, 16);
    return true;
}

/* ---- packet headers ---------------------------------------------------- */

static inline void parse_l4(const uint8_t *p, size_t n, sf_flow_t *f)
{
    switch (f->proto) {
    case 6:                                     /* TCP */
        if (n >= 14) {
            f->tcp_flags = (uint16_t)((p[12] & 1) << 8 | p[13]);   /* NS + 8 */
            f->fields |= SF_HAS_TCP_FLAGS;
        }
        /* fall through */
    case 17: case 33: case 132: case 136:       /* UDP, DCCP, SCTP, UDP-Lite */
        if (n >= 4) {
            f->src_port = sf_get16(p);
            f->dst_port = sf_get16(p + 2);
            f->fields |= SF_HAS_PORTS;
        }
        break;
    case 1: case 58:                            /* ICMP, ICMPv6 */
        if (n >= 2) {
            f->icmp_type_code = (uint16_t)(p[0] << 8 | p[1]);
            f->fields |= SF_HAS_ICMP;
        }
        break;
    }
}

static inline bool parse_ipv4(const uint8_t *p, size_t n, sf_flow_t *f)
{
    if (n < 20 || p[0] >> 4 != 4)
        return false;
    size_t ihl = (size_t)(p[0] & 15) * 4, total = sf_get16(p + 2);
    sf_addr_set_v4(&f->src, p + 12);
    sf_addr_set_v4(&f->dst, p + 16);
    f->is_v4 = true;
    f->proto = p[9];
    f->fields |= total >= 20 ? SF_HAS_ADDRS | SF_HAS_PROTO | SF_HAS_BYTES
                             : SF_HAS_ADDRS | SF_HAS_PROTO;
    if (total >= 20)
        f->bytes = total;
    /* a later fragment has no transport header; trailing frame padding is
     * not part of the packet */
    if (ihl < 20 || (sf_get16(p + 6) & 0x1fff) != 0 || ihl > n)
        return true;
    if (total >= ihl && total < n)
        n = total;
    parse_l4(p + ihl, n - ihl, f);
    return true;
}

/* IPv6 extension headers walked to the transport header, at most this many */
#define MAX_EXT 8

static bool parse_ipv6(const uint8_t *p, size_t n, sf_flow_t *f)
{
    if (n < 40 || p[0] >> 4 != 6)
        return false;
    memcpy(f->src.b, p + 8, 16);
    memcpy(f->dst.b, p + 24, 16);
    f->fields |= SF_HAS_ADDRS;
    if (sf_get16(p + 4) != 0) {
        f->bytes = 40u + sf_get16(p + 4);
        f->fields |= SF_HAS_BYTES;
    }
    uint8_t next = p[6];
    size_t off = 40;
    for (int i = 0; i <= MAX_EXT; i++) {
        size_t hl;
        if (next != 0 && next != 43 && next != 44 && next != 60 && next != 51) {
            f->proto = next;
            f->fields |= SF_HAS_PROTO;
            parse_l4(p + off, n - off, f);
            return true;
        }
        if (i == MAX_EXT || n - off < 8)
            return true;                /* cut: the protocol is unknown */
        if (next == 44) {               /* fragment: a later one has no ports */
            if ((sf_get16(p + off + 2) & 0xfff8) != 0) {
                f->proto = p[off];
                f->fields |= SF_HAS_PROTO;
                return true;
            }
            hl = 8;
        } else {
            hl = next == 51 ? ((size_t)p[off + 1] + 2) * 4 : ((size_t)p[off + 1] + 1) * 8;
        }
        if (hl > n - off)
            return true;
        next = p[off];
        off += hl;
    }
    return true;
}

#define MAX_TAGS 4

/* The ethertype and link header length of a header_protocol 1
 * (Ethernet) header, 0x0800 or 0x86dd for 11 (IPv4) or 12 (IPv6);
 * 0 if it holds no IP packet. */
static inline uint16_t link_type(uint32_t header_protocol, const uint8_t *p,
                                 size_t n, size_t *l2)
{
    uint16_t type;

    *l2 = 0;
    if (header_protocol == 11)
        return 0x0800;
    if (header_protocol == 12)
        return 0x86dd;
    if (header_protocol != 1 || n < 14)
        return 0;
    type = sf_get16(p + 12);
    *l2 = 14;
    for (int i = 0; i < MAX_TAGS && (type == 0x8100 || type == 0x88a8 ||
                                      type == 0x9100); i++) {
        if (n - *l2 < 4)
            return 0;
        type = sf_get16(p + *l2 + 2);
        *l2 += 4;
    }
    return type;
}

static inline bool parse_header(uint32_t header_protocol, const uint8_t *p,
                                size_t n, uint32_t frame_length, sf_flow_t *f)
{
    size_t l2;
    uint16_t type = link_type(header_protocol, p, n, &l2);
    bool ok;

    if (type == 0x0800)
        ok = parse_ipv4(p + l2, n - l2, f);
    else if (type == 0x86dd)
        ok = parse_ipv6(p + l2, n - l2, f);
    else
        return false;
    if (ok && !(f->fields & SF_HAS_BYTES) && frame_length > l2) {
        f->bytes = frame_length - l2;
        f->fields |= SF_HAS_BYTES;
    }
    return ok;
}

bool sf_sflow_parse_header(uint32_t header_protocol, const uint8_t *p,
                           size_t n, uint32_t frame_length, sf_flow_t *f)
{
    return parse_header(header_protocol, p, n, frame_length, f);
}

/* ---- records ----------------------------------------------------------- */

/* sampled_header: true if it held an IP packet (f filled); *bad set when
 * malformed (counted).  f is left untouched unless it returns true. */
static bool rec_header(sf_cursor_t *c, sf_flow_t *f, bool *bad, sf_stats_t *st)
{
    uint32_t proto, frame, stripped, hlen;

    if (c->left < 16) {
        sf_count(st, SF_C_ERR_SFLOW_RECORD_SHORT, 1);
        *bad = true;
        return false;
    }
    proto = sf_get32(c->p);
    frame = sf_get32(c->p + 4);
    stripped = sf_get32(c->p + 8);
    hlen = sf_get32(c->p + 12);
    if (hlen > c->left - 16) {
        sf_count(st, SF_C_ERR_SFLOW_HEADER_LENGTH, 1);
        *bad = true;
        return false;
    }
    return parse_header(proto, c->p + 16, hlen,
                        frame > stripped ? frame - stripped : 0, f);
}

/* Bytes of a sampled_ipv4 (v6 false) or sampled_ipv6 record */
static inline size_t ip_rec_len(bool v6)
{
    return 8 + 2 * (v6 ? 16u : 4u) + 16;
}

/* sampled_ipv4 (v6 false) and sampled_ipv6 */
static bool rec_ip(sf_cursor_t *c, bool v6, sf_flow_t *f, bool *bad, sf_stats_t *st)
{
    size_t alen = v6 ? 16 : 4;
    uint32_t len = 0, proto = 0, sport = 0, dport = 0, flags = 0;

    if (c->left < ip_rec_len(v6)) {
        sf_count(st, SF_C_ERR_SFLOW_RECORD_SHORT, 1);
        *bad = true;
        return false;
    }
    sf_cur_u32(c, &len);
    sf_cur_u32(c, &proto);
    if (v6) {
        memcpy(f->src.b, c->p, 16);
        memcpy(f->dst.b, c->p + 16, 16);
    } else {
        sf_addr_set_v4(&f->src, c->p);
        sf_addr_set_v4(&f->dst, c->p + 4);
        f->is_v4 = true;
    }
    c->p += 2 * alen;
    c->left -= 2 * alen;
    sf_cur_u32(c, &sport);
    sf_cur_u32(c, &dport);
    sf_cur_u32(c, &flags);
    f->proto = (uint8_t)proto;
    f->bytes = len;
    f->fields |= SF_HAS_ADDRS | SF_HAS_PROTO | SF_HAS_BYTES;
    if (proto == 6 || proto == 17 || proto == 132) {
        f->src_port = (uint16_t)sport;
        f->dst_port = (uint16_t)dport;
        f->fields |= SF_HAS_PORTS;
    }
    if (proto == 6) {
        f->tcp_flags = (uint16_t)(flags & 0x1ff);
        f->fields |= SF_HAS_TCP_FLAGS;
    }
    return true;
}

/* ---- samples ----------------------------------------------------------- */

typedef struct dgram {
    sf_flow_t       base;       /* what every record of the datagram shares */
    sf_exporter_t  *exp;        /* its sampling: sf_exporter_sampling() */
    sf_flow_sink_fn sink;
    void           *ctx;
    sf_stats_t     *st;
    unsigned        flows;
} dgram_t;

#define IF_UNKNOWN 0x3fffffffu

static void interfaces(sf_flow_t *f, uint32_t in_fmt, uint32_t in_val,
                       uint32_t out_fmt, uint32_t out_val)
{
    if (in_fmt == 0 && in_val != IF_UNKNOWN) {
        f->in_if = in_val;
        f->fields |= SF_HAS_IN_IF;
    }
    if (out_fmt == 0 && out_val != IF_UNKNOWN) {
        f->out_if = out_val;
        f->fields |= SF_HAS_OUT_IF;
    } else if (out_fmt == 1) {                  /* dropped by the agent */
        f->fwd_status = 2;
        f->fields |= SF_HAS_FWD_STATUS;
    }
}

/* One record of a flow sample: a sampled_header holding an IP packet
 * fills f; the first sampled_ipv4/ipv6 fills *ip (a copy of f's shared
 * fields, taken when it comes first), and is only checked once a header
 * has filled f, as the header is preferred.  False if malformed (counted). */
static bool record(dgram_t *g, uint32_t fmt, sf_cursor_t *body, sf_flow_t *f,
                   bool *have_hdr, sf_flow_t *ip, bool *have_ip)
{
    bool bad = false;

    if (fmt == 1 && !*have_hdr) {
        *have_hdr = rec_header(body, f, &bad, g->st);
    } else if ((fmt == 3 || fmt == 4) && !*have_ip) {
        if (!*have_hdr) {
            *ip = *f;
            *have_ip = rec_ip(body, fmt == 4, ip, &bad, g->st);
        } else if (body->left < ip_rec_len(fmt == 4)) {
            sf_count(g->st, SF_C_ERR_SFLOW_RECORD_SHORT, 1);
            bad = true;
        } else {
            *have_ip = true;
        }
    } else {
        sf_count(g->st, SF_C_SFLOW_RECORDS_SKIPPED, 1);
    }
    return !bad;
}

/* Reads the n records of a flow sample (see record()); false if one is
 * malformed (counted). */
static bool records(dgram_t *g, sf_cursor_t *c, uint32_t n, sf_flow_t *f,
                    bool *have_hdr, sf_flow_t *ip, bool *have_ip)
{
    const uint8_t *p = c->p;
    size_t left = c->left;

    for (uint32_t r = 0; r < n; r++) {
        if (left == 0) {
            sf_count(g->st, SF_C_ERR_SFLOW_RECORD_COUNT, 1);
            return false;
        }
        uint32_t fmt, len;
        if (left < 8 || (len = sf_get32(p + 4)) > left - 8) {
            sf_count(g->st, SF_C_ERR_SFLOW_RECORD_LENGTH, 1);
            return false;
        }
        fmt = sf_get32(p);
        sf_cursor_t body = sf_cursor(p + 8, len);
        p += 8 + (size_t)len;
        left -= 8 + (size_t)len;
        if (!record(g, fmt, &body, f, have_hdr, ip, have_ip))
            return false;
    }
    return true;
}

/* Words of a flow_sample and of an expanded_flow_sample before the records */
#define FS_WORDS 8
#define EFS_WORDS 11

/* flow_sample (expanded false) or expanded_flow_sample: one flow record. */
static void flow_sample(dgram_t *g, sf_cursor_t *c, bool expanded)
{
    size_t nw = expanded ? EFS_WORDS : FS_WORDS;
    sf_flow_t f, ip;
    bool have_hdr = false, have_ip = false;

    if (c->left < nw * 4) {
        sf_count(g->st, SF_C_ERR_SFLOW_SAMPLE_SHORT, 1);
        return;
    }
    const uint8_t *w = c->p;
    f = g->base;
    if (expanded) {
        f.sampling_interval = sf_exporter_sampling(g->exp, sf_get32(w + 12));
        interfaces(&f, sf_get32(w + 24), sf_get32(w + 28), sf_get32(w + 32),
                   sf_get32(w + 36));
    } else {
        uint32_t in = sf_get32(w + 20), out = sf_get32(w + 24);
        f.sampling_interval = sf_exporter_sampling(g->exp, sf_get32(w + 8));
        interfaces(&f, in >> 30, in & IF_UNKNOWN, out >> 30, out & IF_UNKNOWN);
    }
    uint32_t nrec = sf_get32(w + (nw - 1) * 4);
    if (nrec > SF_SFLOW_MAX_RECORDS) {
        sf_count(g->st, SF_C_ERR_SFLOW_RECORD_COUNT, 1);
        return;
    }
    f.packets = 1;
    f.fields |= SF_HAS_PACKETS;
    c->p += nw * 4;
    c->left -= nw * 4;
    if (!records(g, c, nrec, &f, &have_hdr, &ip, &have_ip))
        return;
    if (!have_hdr && !have_ip) {
        sf_count(g->st, SF_C_SFLOW_NOT_IP, 1);
        return;
    }
    g->sink(have_hdr ? &f : &ip, g->ctx);
    g->flows++;
}

unsigned sf_sflow_decode(sf_exporter_t *e, const uint8_t *p, size_t len,
                         int64_t arrival_ms, sf_flow_sink_fn sink, void *ctx,
                         sf_stats_t *st)
{
    sf_cursor_t c = sf_cursor(p, len);
    uint32_t version, type, sub_agent = 0, seq = 0, uptime = 0, n = 0;
    dgram_t g = { .exp = e, .sink = sink, .ctx = ctx, .st = st };

    if (!sf_cur_u32(&c, &version) || !sf_cur_u32(&c, &type) ||
        (type != 1 && type != 2) || c.left < (type == 1 ? 4u : 16u) + 16) {
        sf_count(st, SF_C_ERR_SHORT_HEADER, 1);     /* (checked by the caller) */
        return 0;
    }
    c.p += type == 1 ? 4 : 16;
    c.left -= type == 1 ? 4 : 16;
    sf_cur_u32(&c, &sub_agent);
    sf_cur_u32(&c, &seq);
    sf_cur_u32(&c, &uptime);
    sf_cur_u32(&c, &n);
    if (n > SF_SFLOW_MAX_SAMPLES) {
        sf_count(st, SF_C_ERR_SFLOW_SAMPLE_COUNT, 1);
        return 0;
    }
    sf_domain_t *dom = sf_exporter_domain(e, sub_agent);
    if (dom == NULL) {
        sf_count(st, SF_C_DOMAIN_CAP, 1);
        return 0;
    }
    sf_domain_sequence(dom, seq, seq + 1, st, e);

    g.base.exporter = e->key.addr;
    g.base.version = SF_VERSION_SFLOW;
    g.base.obs_domain = sub_agent;
    g.base.arrival_ms = arrival_ms;
    g.base.start_ms = g.base.end_ms = arrival_ms;
    g.base.fields = SF_HAS_TIMES;
    for (uint32_t s = 0; s < n; s++) {
        uint32_t fmt, slen;
        sf_cursor_t body;

        if (c.left == 0) {
            sf_count(st, SF_C_ERR_SFLOW_SAMPLE_COUNT, 1);
            break;
        }
        if (!sf_cur_u32(&c, &fmt) || !sf_cur_u32(&c, &slen) ||
            !sf_cur_take(&c, slen, &body)) {
            sf_count(st, SF_C_ERR_SFLOW_SAMPLE_LENGTH, 1);
            break;
        }
        if (fmt == 1 || fmt == 3)
            flow_sample(&g, &body, fmt == 3);
        else if (fmt == 2 || fmt == 4)
            sf_count(st, SF_C_SFLOW_COUNTER_SAMPLES, 1);
        else
            sf_count(st, SF_C_SFLOW_SAMPLES_SKIPPED, 1);
    }
    sf_count(st, SF_C_RECORDS_SFLOW, g.flows);
    sf_count(st, SF_C_RECORDS, g.flows);
    e->records += g.flows;
    return g.flows;
}
