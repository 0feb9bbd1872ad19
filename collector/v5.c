/*
 * v5.c - NetFlow v5 (Cisco's fixed format; no RFC).
 *
 * Header, 24 bytes:  version(2) count(2) sysUptime(4) unix_secs(4)
 *   unix_nsecs(4) flow_sequence(4) engine_type(1) engine_id(1)
 *   sampling_interval(2: mode in the top 2 bits, interval in the low 14).
 * Record, 48 bytes:  srcaddr(4) dstaddr(4) nexthop(4) input(2) output(2)
 *   dPkts(4) dOctets(4) First(4) Last(4) srcport(2) dstport(2) pad(1)
 *   tcp_flags(1) prot(1) tos(1) src_as(2) dst_as(2) src_mask(1)
 *   dst_mask(1) pad(2).
 * First and Last are sysUptime milliseconds; the header's sysUptime and
 * unix time anchor them, with a signed 32-bit difference so that an uptime
 * that wrapped (49.7 days) still gives the right time.  flow_sequence counts
 * flows, so a gap is a number of lost flows.  The observation domain of a
 * v5 exporter is engine_type << 8 | engine_id.
 *
 * Sampling: the interval is taken from the low 14 bits whatever the mode
 * bits say (some exporters fill the interval and leave the mode 0); an
 * interval of 0 says nothing, so --sampling for the exporter's network
 * applies, and without it the flow is taken as unsampled (1).
 */
#include "v5.h"

#include "cursor.h"

#include <string.h>

size_t sf_v5_length(const uint8_t *p, size_t len)
{
    if (len < SF_V5_HDR || sf_get16(p) != 5)
        return 0;
    uint16_t count = sf_get16(p + 2);
    size_t need = SF_V5_HDR + (size_t)count * SF_V5_REC;
    return count == 0 || count > SF_V5_MAXREC || need > len ? 0 : need;
}

unsigned sf_v5_decode(sf_exporter_t *e, const uint8_t *p, size_t len,
                      int64_t arrival_ms, sf_flow_sink_fn sink, void *ctx,
                      sf_stats_t *st)
{
    if (len < SF_V5_HDR) {
        sf_count(st, SF_C_ERR_SHORT_HEADER, 1);
        return 0;
    }
    uint16_t count = sf_get16(p + 2);
    if (count == 0 || count > SF_V5_MAXREC ||
        (size_t)SF_V5_HDR + (size_t)count * SF_V5_REC > len) {
        sf_count(st, SF_C_ERR_V5_COUNT, 1);
        return 0;
    }
    uint32_t uptime = sf_get32(p + 4);
    int64_t now_ms = (int64_t)sf_get32(p + 8) * 1000 + sf_get32(p + 12) / 1000000;
    uint32_t seq = sf_get32(p + 16);
    uint32_t domain = (uint32_t)p[20] << 8 | p[21];
    uint32_t sampling = sf_get16(p + 22) & 0x3fff;
    sf_domain_t *dom = sf_exporter_domain(e, domain);

    if (dom == NULL) {
        sf_count(st, SF_C_DOMAIN_CAP, 1);
        return 0;
    }
    sf_domain_sequence(dom, seq, seq + count, st, e);
    uint32_t interval = sf_exporter_sampling(e, sampling);
    if (interval == 0)
        interval = 1;
    /* what every record of the packet shares is set once; each record
     * then writes all of its own fields (sinks copy what they keep) */
    sf_flow_t f;

    memset(&f, 0, sizeof f);
    f.exporter = e->key.addr;
    f.version = 5;
    f.obs_domain = domain;
    f.arrival_ms = arrival_ms;
    f.is_v4 = true;
    f.sampling_interval = interval;
    sf_addr_set_v4(&f.src, p + SF_V5_HDR);
    sf_addr_set_v4(&f.dst, p + SF_V5_HDR + 4);
    for (unsigned i = 0; i < count; i++) {
        const uint8_t *r = p + SF_V5_HDR + (size_t)i * SF_V5_REC;

        memcpy(f.src.b + 12, r, 4);     /* the ::ffff: prefix is set */
        memcpy(f.dst.b + 12, r + 4, 4);
        f.in_if = sf_get16(r + 12);
        f.out_if = sf_get16(r + 14);
        f.packets = sf_get32(r + 16);
        f.bytes = sf_get32(r + 20);
        f.start_ms = now_ms + (int32_t)(sf_get32(r + 24) - uptime);
        f.end_ms = now_ms + (int32_t)(sf_get32(r + 28) - uptime);
        f.src_port = sf_get16(r + 32);
        f.dst_port = sf_get16(r + 34);
        f.tcp_flags = r[37];
        f.proto = r[38];
        f.fields = SF_HAS_ADDRS | SF_HAS_PROTO | SF_HAS_PORTS | SF_HAS_TCP_FLAGS |
                   SF_HAS_TIMES | SF_HAS_IN_IF | SF_HAS_OUT_IF | SF_HAS_PACKETS |
                   SF_HAS_BYTES;
        f.icmp_type_code = 0;
        if (f.proto == 1 || f.proto == 58) {
            f.icmp_type_code = f.dst_port;
            f.fields |= SF_HAS_ICMP;
        }
        sink(&f, ctx);
    }
    sf_count(st, SF_C_RECORDS_V5, count);
    sf_count(st, SF_C_RECORDS, count);
    e->records += count;
    return count;
}
