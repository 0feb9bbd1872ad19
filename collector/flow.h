/*
 * flow.h - the normalised flow record every decoder produces.
 *
 * NetFlow v5, NetFlow v9, IPFIX (including RFC 5103 biflows, which
 * become two records) and sFlow v5 (one record per packet sample) all end
 * up as one sf_flow_t.  A decoder fills a
 * record on its own stack and hands a const pointer to the sink: the
 * correlator reads it in place, so a flow reaches it without a copy or an
 * allocation.  The sink must not keep the pointer.
 *
 * Addresses are stored as 16 bytes; IPv4 addresses are IPv4-mapped IPv6
 * (::ffff:a.b.c.d) so that one comparison and one hash serve both families.
 */
#ifndef SF_FLOW_H
#define SF_FLOW_H

#include <stdint.h>
#include <stdbool.h>
#include <string.h>

typedef struct sf_addr {
    uint8_t b[16];              /* network order; IPv4 is ::ffff:a.b.c.d */
} sf_addr_t;

/* Which optional fields of a record were present on the wire. */
enum {
    SF_HAS_PORTS     = 1u << 0,
    SF_HAS_TCP_FLAGS = 1u << 1,
    SF_HAS_TIMES     = 1u << 2,
    SF_HAS_IN_IF     = 1u << 3,
    SF_HAS_OUT_IF    = 1u << 4,
    SF_HAS_FW_EVENT  = 1u << 5,
    SF_HAS_FWD_STATUS = 1u << 6,
    SF_HAS_ICMP      = 1u << 7,
    SF_HAS_PACKETS   = 1u << 8,
    SF_HAS_BYTES     = 1u << 9,
    SF_HAS_ADDRS     = 1u << 10,    /* src and dst (some exporters send none) */
    SF_HAS_PROTO     = 1u << 11,
};

/* Firewall events, unified: IPFIX IE 233 (firewallEvent) values, which
 * Cisco NSEL NF_F_FW_EVENT shares. */
enum {
    SF_FW_IGNORE  = 0,
    SF_FW_CREATED = 1,
    SF_FW_DELETED = 2,
    SF_FW_DENIED  = 3,
    SF_FW_ALERT   = 4,
    SF_FW_UPDATE  = 5,
};

typedef struct sf_flow {
    sf_addr_t exporter;         /* address the export packet came from;
                                   sFlow: the datagram's agent address */
    sf_addr_t src;
    sf_addr_t dst;
    uint64_t  packets;          /* as exported, not scaled by sampling */
    uint64_t  bytes;
    int64_t   start_ms;         /* absolute Unix milliseconds, 0 unknown */
    int64_t   end_ms;
    int64_t   arrival_ms;       /* collector clock when the packet arrived */
    uint32_t  obs_domain;       /* IPFIX domain, v9 source id, v5 engine,
                                   sFlow sub_agent_id */
    uint32_t  in_if;
    uint32_t  out_if;
    uint32_t  sampling_interval; /* 1 = unsampled; 0 unknown */
    uint32_t  fields;           /* SF_HAS_* */
    uint16_t  src_port;
    uint16_t  dst_port;
    uint16_t  tcp_flags;
    uint16_t  icmp_type_code;   /* type << 8 | code, when SF_HAS_ICMP */
    uint16_t  fw_ext_event;     /* Cisco NSEL extended event, 0 if none */
    uint16_t  version;          /* 5, 9, 10, or 5000 for sFlow v5
                                   (SF_VERSION_SFLOW, collector/sflow.h) */
    uint8_t   fw_event;         /* SF_FW_*, when SF_HAS_FW_EVENT */
    uint8_t   fwd_status;       /* IE 89 top two bits: 1 fwd, 2 drop, 3 consumed */
    uint8_t   proto;
    bool      is_v4;            /* src and dst are IPv4 (mapped) */
    bool      reverse;          /* second half of an RFC 5103 biflow */
} sf_flow_t;

/* Called once per decoded record, on the decoding thread; and with NULL
 * when the receive loop has handled a batch of packets
 * (sf_decoder_batch_end): a sink that stages flows files them then. */
typedef void (*sf_flow_sink_fn)(const sf_flow_t *flow, void *ctx);

/* Helpers on addresses: word compares, as they run several times per
 * flow (a byte loop or a memcmp call cost several times as much). */
static inline bool sf_addr_is_v4(const sf_addr_t *a)
{
    static const uint8_t pfx[4] = {0, 0, 0xff, 0xff};
    uint64_t hi;
    uint32_t mid, want;

    memcpy(&hi, a->b, 8);
    memcpy(&mid, a->b + 8, 4);
    memcpy(&want, pfx, 4);
    return hi == 0 && mid == want;
}

static inline bool sf_addr_equal(const sf_addr_t *x, const sf_addr_t *y)
{
    uint64_t a[2], b[2];

    memcpy(a, x->b, 16);
    memcpy(b, y->b, 16);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

static inline void sf_addr_set_v4(sf_addr_t *a, const uint8_t v4[4])
{
    static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    memcpy(a->b, pfx, 12);
    memcpy(a->b + 12, v4, 4);
}

/* Writes a printable form (dotted quad for mapped IPv4) into buf, which
 * must hold at least SF_ADDR_STRLEN bytes; returns buf. */
#define SF_ADDR_STRLEN 46
const char *sf_addr_to_string(const sf_addr_t *a, char *buf);
/* Parses IPv4 or IPv6 text; false if neither. */
bool sf_addr_parse(const char *text, sf_addr_t *out);
/* The address of a socket peer (AF_INET or AF_INET6). */
struct sockaddr_storage;
void sf_addr_from_sockaddr(sf_addr_t *a, const struct sockaddr_storage *ss);

#endif
