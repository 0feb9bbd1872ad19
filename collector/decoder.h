/*
 * decoder.h - from export datagrams to flow records.
 *
 * The one decode path of scanflow: the daemon's sockets, `scanflow decode`
 * on captures and files, the fuzz targets and the tests all hand messages
 * to sf_decoder_packet(), which dispatches on the version field (NetFlow
 * 5, 9, IPFIX 10, sFlow v5)
 * and delivers sf_flow_t records to the sink given at creation.
 * A decoder is used by one thread at a time.
 */
#ifndef SF_DECODER_H
#define SF_DECODER_H

#include "exporter.h"

typedef struct sf_decoder_config {
    unsigned max_exporters;     /* exporters tracked at once */
    unsigned max_templates;     /* per exporter, all domains */
    unsigned max_fields;        /* per template */
    unsigned exporter_idle_s;   /* forget an exporter silent this long */
    bool     fixbuf_only;       /* no fast path: every v9/IPFIX record
                                 * through fBufNext (tests compare both) */
} sf_decoder_config_t;

#define SF_DECODER_CONFIG_DEFAULT { 1024, 1024, 512, 3600, false }

typedef struct sf_decoder sf_decoder_t;

sf_decoder_t *sf_decoder_new(const sf_decoder_config_t *cfg,
                             sf_flow_sink_fn sink, void *sink_ctx);
void sf_decoder_free(sf_decoder_t *d);

/* One export message (a UDP datagram, or one IPFIX message read from a
 * file) from the exporter at addr, received at arrival_ms (Unix ms). */
void sf_decoder_packet(sf_decoder_t *d, const sf_addr_t *addr,
                       const uint8_t *p, size_t len, int64_t arrival_ms);

/* An IPFIX-over-TCP connection is its own transport session: its
 * templates live and die with it, outside the shared exporter table. */
sf_exporter_t *sf_decoder_session_new(sf_decoder_t *d, const sf_addr_t *addr);
void sf_decoder_session_free(sf_decoder_t *d, sf_exporter_t *e);
void sf_decoder_session_packet(sf_decoder_t *d, sf_exporter_t *e,
                               const uint8_t *p, size_t len, int64_t arrival_ms);

/* The receive loop handled a batch of packets: calls the sink with NULL. */
void sf_decoder_batch_end(sf_decoder_t *d);

/* Forgets exporters silent for longer than the configured idle time. */
void sf_decoder_expire(sf_decoder_t *d, int64_t now_ms);

const sf_stats_t *sf_decoder_stats(const sf_decoder_t *d);
/* Counts an event seen outside the decoder (socket framing). */
void sf_decoder_count(sf_decoder_t *d, sf_counter_t id);
unsigned sf_decoder_exporter_count(const sf_decoder_t *d);
/* Calls fn for every exporter in the table (UDP exporters; TCP sessions
 * are not in it), on the decoder's thread: for metrics snapshots. */
void sf_decoder_foreach_exporter(const sf_decoder_t *d,
                                 void (*fn)(const sf_exporter_t *e, void *ctx),
                                 void *ctx);

/* Adds a network to those exporters are accepted from; with none, all
 * are accepted. */
struct sf_cidr;
void sf_decoder_allow_exporter(sf_decoder_t *d, const struct sf_cidr *net);
/* Whether addr is inside --exporter (TRUE when the list is empty); the TCP
 * listener asks at accept. */
gboolean sf_decoder_exporter_allowed(const sf_decoder_t *d, const sf_addr_t *a);

/* --sampling: exporters in net that announce no sampling interval are
 * taken as sampled 1 in interval; the longest prefix wins.  Applies to
 * exporters created afterwards. */
void sf_decoder_set_sampling(sf_decoder_t *d, const struct sf_cidr *net,
                             uint32_t interval);
/* The --sampling option of scanflowd and `scanflow hunt`: each of specs
 * (NULL-terminated, may be NULL) is CIDR=N, N from 1 to 2^32-1, handed to
 * sf_decoder_set_sampling().  FALSE, and err naming the spec, at the
 * first that is not. */
gboolean sf_decoder_add_sampling(sf_decoder_t *d, char **specs, GError **err);

/* The length of the export message at the start of a byte stream (a raw
 * payload file): from the v5 count or the IPFIX length field; NetFlow v9
 * has no length, so the rest.  Always >= 1 when len >= 1. */
size_t sf_message_length(const uint8_t *p, size_t len);

#endif
