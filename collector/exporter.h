/*
 * exporter.h - what the collector remembers about one exporter.
 *
 * Collector-internal.  Templates live per (exporter address, observation
 * domain or v9 source id), as RFC 7011 section 8 asks and as exporters in
 * the wild need (collectors that ignored the domain decoded garbage).  A UDP
 * exporter is keyed by address (and version family) only: source ports change when an exporter
 * restarts or sits behind NAT, while its templates stay meaningful.  An
 * IPFIX-over-TCP connection is a transport session of its own and gets an
 * exporter object that dies with the connection.
 *
 * Two template tables exist for one exporter and are kept in step:
 * libfixbuf's session (the authority that decodes records) and ours, a
 * small hash of (domain, template id) that the message sanitizer consults
 * to gate data sets and to bound how many templates an exporter may hold.
 */
#ifndef SF_EXPORTER_H
#define SF_EXPORTER_H

#include <fixbuf/public.h>
#include <glib.h>

#include "flow.h"
#include "stats.h"

#define SF_MAX_DOMAINS 64
/* Samplers announced per domain (fbrecord.c): routers number a handful
 * (one per sampler map or selection process); past this many the oldest
 * announced is forgotten and counted. */
#define SF_MAX_SAMPLERS 8

/* v9 FLOW_SAMPLER_ID (48) or IPFIX selectorId (302) -> interval, from
 * options records that name one; data records naming one of these ids
 * take its interval. */
typedef struct sf_samplers {
    uint8_t  n;
    uint8_t  next;              /* the slot a new sampler takes when full */
    uint32_t min;               /* the smallest of interval[] */
    uint32_t interval[SF_MAX_SAMPLERS];
    uint64_t id[SF_MAX_SAMPLERS];
} sf_samplers_t;

typedef struct sf_domain {
    uint32_t id;
    uint32_t next_seq;          /* v5: flows, v9: packets, IPFIX: records,
                                   sFlow: datagrams */
    uint32_t sampling;          /* from options records that name no
                                   sampler; 0 unknown */
    bool     seq_valid;
    bool     had_template;      /* a template was ever recorded for it */
    sf_samplers_t *samplers;    /* NULL until a sampler is announced (few
                                   exporters do; a v5 exporter stays small) */
    int64_t  sys_init_ms;       /* IE 160 from options records; 0 unknown */
    int64_t  last_ms;
} sf_domain_t;

typedef struct sf_exporter_key {
    sf_addr_t addr;
    uint16_t  version;          /* v9 and IPFIX from one address are kept
                                 * apart: their domain ids are unrelated;
                                 * SF_VERSION_SFLOW: an sFlow agent, keyed
                                 * by its agent address */
} sf_exporter_key_t;

typedef struct sf_exporter {
    sf_exporter_key_t key;
    fbSession_t *session;
    fBuf_t      *fbuf;
    GHashTable  *templates;     /* SF_TKEY(domain, tid) -> sf_tmpl_t* */
    sf_domain_t  domains[SF_MAX_DOMAINS];
    unsigned     n_domains;
    int64_t      last_ms;
    uint64_t     packets;
    uint64_t     records;
    uint64_t     lost;
    GQueue      *held;          /* sf_held_t*: data sets that came before
                                   any template of their domain */
    size_t       held_bytes;
    uint32_t     sampling_cfg;  /* --sampling for its network; 0 none */
    uint32_t     sampling_said; /* last interval it announced, 0 none */
    bool         sampling_logged;
} sf_exporter_t;

/* Notes an interval the exporter announced that differs from the last
 * one (decoder.c): logs once per exporter when it is the first word on
 * sampling for its network or contradicts --sampling. */
void sf_exporter_sampling_said(sf_exporter_t *e, uint32_t said);

/* The sampling interval of a flow of e, given what the export said for it
 * (header, options record or the record itself; 0 nothing): what the
 * exporter said wins, --sampling fills in where it said nothing, and 0
 * stays "unknown".  One compare per flow in the common case. */
static inline uint32_t sf_exporter_sampling(sf_exporter_t *e, uint32_t said)
{
    if (said == 0)
        return e->sampling_cfg;
    if (G_UNLIKELY(said != e->sampling_said))
        sf_exporter_sampling_said(e, said);
    return said;
}

/* A data set kept until its template arrives (decoder.c): after a
 * collector or exporter restart, the first data sets of a domain often
 * precede its templates. */
typedef struct sf_held {
    int64_t  arrival_ms;
    int64_t  export_ms;
    uint32_t uptime_ms;
    uint32_t domain_id;
    uint8_t  version;
    uint16_t len;               /* of the whole set, header included */
    uint8_t  set[];
} sf_held_t;

/* Keeps a copy of a data set (set id, length, body) whose template is
 * unknown in a domain that never had one; bounded per exporter, the
 * oldest dropped first. */
struct sf_msg;
void sf_exporter_hold(sf_exporter_t *e, const struct sf_msg *m, uint16_t id,
                      const uint8_t *body, size_t len);

#define SF_TKEY(dom, tid) GSIZE_TO_POINTER(((gsize)(dom) << 16) | (tid))

/* One field of a fixed-length template that scanflow reads: where it is in
 * the record and its wire length, where it goes in the decoded record
 * (struct fbrec, fbrecord.h) and that member's width. */
typedef struct sf_plan_field {
    uint16_t off;
    uint16_t dst;
    uint8_t  len;
    uint8_t  width;
} sf_plan_field_t;

/* fbplan.h's conversions of a field (big-endian, widened) */
#define SF_PLAN_OPS 10

/* How fbrecord.c turns a decoded record of one template into an
 * sf_flow_t, worked out from the template's elements once (fbrecord.c
 * recipe_make()), so that per record it reads the members it needs
 * without asking which exist.  Offsets are into struct fbrec;
 * the kinds are fbrecord.c's ADDR_*, TIME_* and ICMP_*. */
typedef struct sf_recipe {
    uint32_t fields;            /* SF_HAS_* the template alone decides */
    uint32_t rev_keep;          /* of those, what a reverse half keeps */
    uint16_t src_port, dst_port, packets, bytes, in_if, out_if, fw_event,
             fwd_status;
    uint16_t r_packets, r_bytes;
    uint8_t  addr, time, icmp;
    bool     time_start;        /* has the start (end) element of a
                                   relative time kind */
    bool     time_end;
    bool     dur_ms;            /* duration in ms, else in us */
    bool     sampled;           /* has a sampling element */
    bool     sampler;           /* has a sampler (selector) id */
    bool     r_icmp;            /* has a reverse ICMP type and code */
} sf_recipe_t;

/* What scanflow keeps of one template.  A template whose fields all have a
 * fixed length is decoded by the fast path (fbfast.c), reading the fields it
 * wants at these precomputed offsets; libfixbuf still receives every
 * template it does not already hold exactly (unchanged refreshes are left
 * out, sanitize.c emit_template()), stays the authority on sessions, and
 * decodes the rest. */
typedef struct sf_tmpl {
    uint32_t        hash;       /* of the clean template record */
    bool            options;
    bool            fast;       /* fixed-length: plan below is usable */
    bool            reverse;    /* carries RFC 5103 reverse counters */
    uint16_t        reclen;     /* minimum: variable-length fields as 1 */
    uint16_t        nplan;
    uint8_t         n_op[SF_PLAN_OPS];  /* plan[] is sorted by conversion:
                                           this many fields of each */
    bool            direct;     /* dplan below decodes its flow records */
    uint16_t        ndplan;
    uint8_t         n_dop[SF_PLAN_OPS]; /* dplan[], sorted the same way */
    uint8_t         dshape;     /* sf_fbrec_direct_shape(n_dop) */
    const sf_plan_field_t *dplan;  /* the fields a flow record needs,
                                      stored into struct fbdirect
                                      (fbrecord.h): most straight into
                                      its sf_flow_t (after plan[]) */
    uint64_t        mask;       /* elements present (fbrecord.h F_*) */
    sf_recipe_t     recipe;
    const uint8_t  *rec;        /* the clean template record it was built
                                   from (stored after plan[]) */
    uint16_t        rec_len;
    sf_plan_field_t plan[];
} sf_tmpl_t;

/* Finds or adds the state of one observation domain; NULL past the cap. */
sf_domain_t *sf_exporter_domain(sf_exporter_t *e, uint32_t id);

/* Updates the sequence state of a domain: seq is the header's sequence
 * number, next is what the following message should carry (seq plus the
 * flows, packets or records this one held).  Counts losses in st. */
void sf_domain_sequence(sf_domain_t *d, uint32_t seq, uint32_t next,
                        sf_stats_t *st, sf_exporter_t *e);

#endif
