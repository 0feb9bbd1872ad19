/*
 * fbdecode.h - decoding NetFlow v9 and IPFIX records into sf_flow_t.
 *
 * The sanitizer (sanitize.c) hands over a well-formed IPFIX message, in
 * which every field scanflow reads keeps its wire encoding and every other
 * field is renamed to one opaque element.  Its records are read into one
 * fixed C struct (struct fbrec) by one of two paths, then converted to the
 * normalised sf_flow_t:
 *   fbsession.c  libfixbuf: the exporter's session, fBufSetBuffer() and
 *                fBufNext() through one internal template;
 *   fbfast.c     data sets of fixed-length templates, read at offsets
 *                planned once per template, without fixbuf;
 *   fbrecord.c   the elements read, templates' recipes, and struct fbrec
 *                to sf_flow_t for both.
 */
#ifndef SF_FBDECODE_H
#define SF_FBDECODE_H

#include "exporter.h"

/* PEN 32473 is reserved for documentation (RFC 5612).  scanflow uses it for
 * elements it invents while translating: NetFlow v9 field types above 32767
 * (vendor-specific, mostly Cisco NSEL) become element (32473, type - 32768);
 * fields scanflow does not read become one opaque element. */
#define SF_PEN                 32473u
#define SF_IE_OPAQUE           32767u
#define SF_IE_NSEL_EXT_EVENT   (33002u - 32768u)
#define SF_IE_NSEL_FW_EVENT84  (40005u - 32768u)
#define SF_IE_FWD_STATUS32     89u      /* forwardingStatus sent as 4 bytes */
#define SF_PEN_REVERSE         29305u   /* RFC 5103 reverse elements */

/* What one message carries beyond its bytes. */
typedef struct sf_msg {
    sf_exporter_t *exp;
    sf_domain_t   *dom;
    uint32_t       domain_id;
    int64_t        export_ms;   /* header export time */
    int64_t        arrival_ms;
    uint32_t       uptime_ms;   /* v9: sysUpTime at export */
    uint8_t        version;     /* 9 or 10 */
    sf_stats_t    *st;          /* the decoder's counters */
} sf_msg_t;

/* Builds the shared information model; call once before anything else. */
void sf_fb_global_init(void);

/* Is (ent, num) at this wire length a field scanflow reads?  If not, the
 * sanitizer renames it to the opaque element.  ent and num may be
 * rewritten (forwardingStatus at 4 bytes). */
bool sf_fb_field_wanted(uint32_t *ent, uint16_t *num, uint16_t len);

/* A field specifier after translation (enterprise bit removed). */
typedef struct sf_field {
    uint32_t ent;
    uint16_t num;
    uint16_t len;               /* 65535: variable length */
} sf_field_t;

/* Builds what scanflow keeps of a clean template (g_free() it): the
 * elements present and, when every field has a fixed length, the plan of
 * the fast path; it keeps a copy of the clean template record rec (at
 * most 65535 bytes), which a refresh is compared with. */
sf_tmpl_t *sf_fb_plan(const sf_field_t *fields, unsigned n, bool options,
                      uint32_t hash, const uint8_t *rec, size_t rec_len);

/* The fast path: decodes the records of one data set of a fixed-length
 * template t, exactly as libfixbuf would (reduced-size integers widened,
 * trailing bytes shorter than a record taken as padding).  Returns the
 * data records it held; flow records also count as SF_C_RECORDS. */
unsigned sf_fb_fast_decode(const sf_msg_t *m, const sf_tmpl_t *t,
                           const uint8_t *p, size_t len,
                           sf_flow_sink_fn sink, void *ctx, sf_stats_t *st);

/* Is (ent, num) an element scanflow reads, at some length? */
bool sf_fb_field_known(uint32_t ent, uint16_t num);

gboolean sf_fb_exporter_init(sf_exporter_t *e, GError **err);
void sf_fb_exporter_clear(sf_exporter_t *e);
/* Drops a template from fixbuf's session (withdrawal, eviction). */
void sf_fb_forget_template(sf_exporter_t *e, uint32_t domain, uint16_t tid);

/* Does fixbuf's session hold now, in domain, exactly this clean template:
 * the n fields in order (enterprise, element, length) and scope scope
 * fields (0: not an options template)?  Then reading the same template
 * record again would leave fixbuf where it is. */
bool sf_fb_holds_template(sf_exporter_t *e, uint32_t domain, uint16_t tid,
                          const sf_field_t *fields, unsigned n, unsigned scope);

/* Decodes a sanitized IPFIX message: flow records go to sink and are
 * counted as SF_C_RECORDS; returns all data records (flows and options),
 * which is what IPFIX sequence numbers count. */
unsigned sf_fb_decode(const sf_msg_t *m, uint8_t *buf, size_t len,
                      sf_flow_sink_fn sink, void *ctx, sf_stats_t *st);

#endif
