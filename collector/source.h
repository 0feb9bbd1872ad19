/*
 * source.h - where export messages come from: capture files and raw payload
 * files (this file), sockets (listener.h).  Every source ends in the same
 * sf_decoder_packet() call, so offline files run the daemon's decode path.
 */
#ifndef SF_SOURCE_H
#define SF_SOURCE_H

#include <glib.h>

#include "flow.h"
#include "stats.h"

typedef struct sf_packet {
    const uint8_t *data;
    size_t         len;
    sf_addr_t      from;        /* exporter address */
    uint16_t       from_port;
    int64_t        time_ms;     /* capture time; raw files: now */
} sf_packet_t;

typedef void (*sf_packet_fn)(const sf_packet_t *pkt, void *ctx);

/*
 * Reads a pcap or pcapng capture (UDP payloads over IPv4 or IPv6, on
 * Ethernet, VLAN, Linux cooked, raw IP or BSD loopback links, whatever the
 * port) or a raw payload file (export messages back to back, split by
 * sf_message_length(); their exporter is raw_from).  Frames that are not
 * UDP, or are IP fragments, are counted as skipped in st.
 */
gboolean sf_file_foreach(const char *path, const sf_addr_t *raw_from,
                         sf_packet_fn fn, void *ctx, sf_stats_t *st,
                         GError **err);

#endif
