/*
 * v5.h - NetFlow v5, decoded by scanflow itself (libfixbuf has no v5).
 */
#ifndef SF_V5_H
#define SF_V5_H

#include "exporter.h"

#define SF_V5_HDR    24
#define SF_V5_REC    48
#define SF_V5_MAXREC 30

/* Decodes one v5 datagram; returns the records delivered to sink. */
unsigned sf_v5_decode(sf_exporter_t *e, const uint8_t *p, size_t len,
                      int64_t arrival_ms, sf_flow_sink_fn sink, void *ctx,
                      sf_stats_t *st);

/* Length of the v5 message at p (header count), for splitting files of
 * several messages back to back; 0 if p does not start a valid one. */
size_t sf_v5_length(const uint8_t *p, size_t len);

#endif
