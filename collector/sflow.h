/*
 * sflow.h - sFlow version 5 datagrams (sflow.org sflow_version_5.txt),
 * decoded by scanflow itself: each packet sample becomes one flow record.
 */
#ifndef SF_SFLOW_H
#define SF_SFLOW_H

#include "exporter.h"

/* sf_flow_t.version and the exporter key's version of sFlow v5: no NetFlow
 * or IPFIX version is above 10, and sFlow's own number (5) is NetFlow v5's. */
#define SF_VERSION_SFLOW 5000

#define SF_SFLOW_MAX_SAMPLES 256    /* samples per datagram */
#define SF_SFLOW_MAX_RECORDS 32     /* records per flow sample */

/* A datagram whose first 32-bit big-endian word is 5 is sFlow v5 (a
 * NetFlow v5 header has 0x0005 and then a count of 1 to 30). */
static inline bool sf_sflow_is(const uint8_t *p, size_t len)
{
    return len >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 5;
}

/* Reads the agent address of an sFlow datagram into agent; false, with the
 * reason counted in st, if the header is short or its address type is
 * neither IPv4 (1) nor IPv6 (2). */
bool sf_sflow_agent(const uint8_t *p, size_t len, sf_addr_t *agent,
                    sf_stats_t *st);

/* Decodes one datagram of the agent e (keyed by agent address); returns
 * the records delivered to sink. */
unsigned sf_sflow_decode(sf_exporter_t *e, const uint8_t *p, size_t len,
                         int64_t arrival_ms, sf_flow_sink_fn sink, void *ctx,
                         sf_stats_t *st);

/* Fills f's addresses, protocol, ports, TCP flags, ICMP type and code and
 * layer-3 length from the first bytes of a packet: header_protocol 1
 * (Ethernet, with up to 4 802.1Q/802.1ad tags), 11 (IPv4) or 12 (IPv6).
 * What a cut header lacks stays unset.  False if it holds no IP header. */
bool sf_sflow_parse_header(uint32_t header_protocol, const uint8_t *p,
                           size_t n, uint32_t frame_length, sf_flow_t *f);

#endif
