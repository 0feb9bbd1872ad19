/*
 * sanitize.h - the gate between untrusted export bytes and libfixbuf.
 *
 * libfixbuf decodes IPFIX from memory (fBufSetBuffer) but translates
 * NetFlow v9 only on its own UDP listener, one translator per socket.  To
 * keep one port for all versions, scanflow receives every datagram itself
 * and rewrites v9 into IPFIX here; IPFIX passes through the same walk.
 * Either way the walk checks every set and template against the bytes that
 * remain, applies the per-exporter limits, keeps scanflow's template table
 * in step, and writes a clean IPFIX message in which:
 *   - v9 template and options template flowsets (ids 0 and 1) become IPFIX
 *     sets 2 and 3; v9 field types above 32767 become enterprise elements of
 *     PEN 32473 (RFC 5612) so they cannot be mistaken for IANA elements;
 *   - fields scanflow does not read, or sends at a length it cannot decode,
 *     become one opaque element of the same length (fixbuf then never grows
 *     its information model with elements a hostile exporter makes up);
 *   - zero-length fields are dropped (they occupy no bytes in records);
 *   - data sets whose template is unknown, malformed templates, templates
 *     past the caps, and sets with reserved ids are left out, each counted.
 * Anything after a set whose length does not fit is dropped, counted; sets
 * before it are kept.
 */
#ifndef SF_SANITIZE_H
#define SF_SANITIZE_H

#include "exporter.h"
#include "fbdecode.h"

#define SF_IPFIX_HDR 16
#define SF_V9_HDR    20
#define SF_MSG_MAX   65535

typedef struct sf_limits {
    unsigned max_templates;     /* per exporter, all domains */
    unsigned max_fields;        /* per template */
    bool     fixbuf_only;       /* no fast path */
} sf_limits_t;

/* Walks the sets of message m (the bytes after its header) and writes the
 * sets of the clean IPFIX message to out + SF_IPFIX_HDR.  Data sets of
 * fixed-length templates are decoded on the way (fast path, see
 * exporter.h) and their data records added to *fast_records; the rest is
 * left in out for libfixbuf.  Template ids withdrawn by the message are
 * put in forget (uint16_t), for the caller to drop from libfixbuf once it
 * has read the message: sets before a withdrawal still need them.  Returns the total length the clean message
 * will have, header included (SF_IPFIX_HDR if no set is left). */
size_t sf_sanitize(const sf_msg_t *m, const sf_limits_t *lim,
                   const uint8_t *sets, size_t len, uint8_t *out,
                   unsigned *fast_records, GArray *forget,
                   sf_flow_sink_fn sink, void *ctx, sf_stats_t *st);

#endif
