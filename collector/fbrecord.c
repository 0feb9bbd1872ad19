/*
 * fbrecord.c - the elements scanflow reads from NetFlow v9 and IPFIX
 * records, and the conversion of a decoded record (struct fbrec, filled by
 * libfixbuf in fbsession.c or by the fast path in fbfast.c) into sf_flow_t.
 *
 * Which elements a template really has is known once per template (a bit
 * mask, kept as the template's context), and so is its recipe: which
 * member to read for each field of sf_flow_t.
 *
 * Time fields arrive in nine encodings; flow_times() turns each into
 * absolute Unix milliseconds:
 *   150/151 seconds, 152/153 milliseconds, 154-157 NTP-format micro/nano
 *   seconds (RFC 7011 section 6.1.9/10), 158/159 microseconds before the
 *   message's export time, 21/22 sysUpTime milliseconds (relative to IE 160
 *   systemInitTimeMilliseconds from the record or an options record, or for
 *   NetFlow v9 to the header's sysUpTime and export time), and 161/162
 *   durations when only the start is given.
 */
#include "fbrecord.h"
#include "fbplan.h"

#include <stddef.h>
#include <string.h>

fbInfoElementSpec_t sf_fbrec_spec[] = {
#define S16(n, m) { (char *)n, 16, 0 },
#define S8(n, m) { (char *)n, 8, 0 },
#define S4(n, m) { (char *)n, 4, 0 },
#define S2(n, m) { (char *)n, 2, 0 },
#define S1(n, m) { (char *)n, 1, 0 },
    FB16(S16) FB8(S8) FB4(S4) FB2(S2) FB1(S1)
    FB_IESPEC_NULL
};

/* (ent, num) of each element in sf_fbrec_spec order. */
static uint32_t spec_ent[F_COUNT];
static uint16_t spec_num[F_COUNT];
uint16_t sf_fbrec_len[F_COUNT];
static uint8_t spec_type[F_COUNT];  /* fbInfoElementDataType_t */
/* Index + 1 of IANA (ent 0) and reverse (ent 29305) elements below
 * SPEC_DIRECT by number, 0: not read; the rest are searched.  Templates
 * arrive constantly (refreshes), each field is looked up several times. */
#define SPEC_DIRECT 512
static uint8_t spec_iana[SPEC_DIRECT], spec_rev[SPEC_DIRECT];
G_STATIC_ASSERT(F_COUNT < 255);
/* Offset of each element's member in struct fbrec. */
const uint16_t sf_fbrec_off[F_COUNT] = {
#define O(n, m) offsetof(struct fbrec, m),
    FB16(O) FB8(O) FB4(O) FB2(O) FB1(O)
#undef O
};

void sf_fbrec_init(fbInfoModel_t *model)
{
    for (int i = 0; i < F_COUNT; i++) {
        const fbInfoElement_t *ie =
            fbInfoModelGetElementByName(model, sf_fbrec_spec[i].name);
        if (ie == NULL)
            g_error("fixbuf information model lacks %s", sf_fbrec_spec[i].name);
        spec_ent[i] = ie->ent;
        spec_num[i] = ie->num;
        sf_fbrec_len[i] = ie->len;
        spec_type[i] = ie->type;
        /* the first of a repeated (ent, num), as the search found */
        uint8_t *direct = ie->num >= SPEC_DIRECT ? NULL
                          : ie->ent == 0 ? &spec_iana[ie->num]
                          : ie->ent == SF_PEN_REVERSE ? &spec_rev[ie->num] : NULL;
        if (direct && *direct == 0)
            *direct = (uint8_t)(i + 1);
    }
    G_STATIC_ASSERT(offsetof(struct fbrec, ipver) + 1 ==
                    2 * 16 + 20 * 8 + 19 * 4 + 13 * 2 + 9);
}

int sf_fbrec_index(uint32_t ent, uint16_t num)
{
    if (num < SPEC_DIRECT && ent == 0)
        return (int)spec_iana[num] - 1;
    if (num < SPEC_DIRECT && ent == SF_PEN_REVERSE)
        return (int)spec_rev[num] - 1;
    for (int i = 0; i < F_COUNT; i++)
        if (spec_num[i] == num && spec_ent[i] == ent)
            return i;
    return -1;
}

bool sf_fb_field_known(uint32_t ent, uint16_t num)
{
    return sf_fbrec_index(ent, num) >= 0 ||
           (ent == 0 && (num == 89 || num == 48));
}

/*
 * Lengths fixbuf can decode into our struct: addresses and timestamps at
 * their full size, integers at their size or reduced (RFC 7011 6.2).  A
 * field at any other length is not read (renamed opaque) and counted.
 */
bool sf_fb_field_wanted(uint32_t *ent, uint16_t *num, uint16_t len)
{
    if (*ent == 0 && *num == 89 && len == 4) {
        *ent = SF_PEN;
        *num = SF_IE_FWD_STATUS32;
    }
    /* samplerId (v9 FLOW_SAMPLER_ID) is one byte in fixbuf's model but
     * sent in 1, 2 or 4 (Cisco ASR9k 2, NBAR 4); IANA replaced it by
     * selectorId, an unsigned64 that takes every such length. */
    if (*ent == 0 && *num == 48 && len <= 8)
        *num = 302;
    int i = sf_fbrec_index(*ent, *num);
    if (i < 0 || len == 0 || len == FB_IE_VARLEN)
        return false;
    switch (spec_type[i]) {
    case FB_UINT_8: case FB_UINT_16: case FB_UINT_32: case FB_UINT_64:
        return len <= sf_fbrec_len[i];
    default:
        return len == sf_fbrec_len[i];
    }
}

/*
 * The recipe (sf_recipe_t) of a template: flow_build()'s decisions that
 * depend on which elements the template has, not on the record.  Members
 * of struct fbrec that the template lacks read as zero on both paths
 * (fixbuf zero-fills them, the fast path zeroes the record per set), so
 * where flow_build() used to pick the first present of several elements
 * per record, the recipe names the member to read: the one picked, or an
 * absent one when none is present, which gives the zero wanted.
 */
enum { ADDR_V4, ADDR_V6, ADDR_EITHER };    /* the address family of records */
enum {                                      /* how start and end are given */
    TIME_NONE, TIME_MS, TIME_S, TIME_NTP_US, TIME_NTP_NS, TIME_DELTA_US,
    TIME_UPTIME,
};
enum {                                      /* where an ICMP type is */
    ICMP_NONE, ICMP_IE, ICMP_TC4, ICMP_TC6, ICMP_DPORT,
};

#define OFF(m) ((uint16_t)offsetof(struct fbrec, m))
#define HAS2(t, a, b) (HAS(t, a) || HAS(t, b))
/* The member of the first present of elements a, b (c): the last if none. */
#define PICK2(t, a, b) (HAS(t, a) ? OFF(a) : OFF(b))
#define PICK3(t, a, b, c) (HAS(t, a) ? OFF(a) : PICK2(t, b, c))
#define HAS_PORTS(t) (HAS2(t, sport, dport) || HAS2(t, tcp_sport, tcp_dport) || \
                      HAS2(t, udp_sport, udp_dport))

static uint8_t recipe_time(const tctx_t *t, sf_recipe_t *c)
{
    if (HAS2(t, start_ms, end_ms))
        return TIME_MS;
    if (HAS2(t, start_s, end_s))
        return TIME_S;
    if (HAS2(t, start_us, end_us))
        return TIME_NTP_US;
    if (HAS2(t, start_ns, end_ns))
        return TIME_NTP_NS;
    if (HAS2(t, start_dus, end_dus)) {
        c->time_start = HAS(t, start_dus);
        c->time_end = HAS(t, end_dus);
        return TIME_DELTA_US;
    }
    if (HAS2(t, start_up, end_up)) {
        c->time_start = HAS(t, start_up);
        c->time_end = HAS(t, end_up);
        return TIME_UPTIME;
    }
    return TIME_NONE;
}

static uint8_t recipe_icmp(const tctx_t *t)
{
    if (HAS2(t, icmp4, icmp6))
        return ICMP_IE;
    if (HAS(t, icmp_t4))
        return ICMP_TC4;
    if (HAS(t, icmp_t6))
        return ICMP_TC6;
    if (HAS_PORTS(t))
        return ICMP_DPORT;          /* v5 habit: type and code in dport */
    return ICMP_NONE;
}

/* SF_HAS_* bits that follow from the elements alone. */
static uint32_t recipe_fields(const tctx_t *t)
{
    uint32_t f = 0;

    if (HAS(t, proto))
        f |= SF_HAS_PROTO;
    if (HAS2(t, src4, dst4) || HAS2(t, src6, dst6))
        f |= SF_HAS_ADDRS;
    if (HAS_PORTS(t))
        f |= SF_HAS_PORTS;
    if (HAS(t, pkts) || HAS(t, pkts_tot) || HAS(t, init_pkts))
        f |= SF_HAS_PACKETS;
    if (HAS(t, octs) || HAS(t, octs_tot) || HAS(t, init_octs))
        f |= SF_HAS_BYTES;
    if (HAS(t, flags))
        f |= SF_HAS_TCP_FLAGS;
    if (HAS2(t, in_if, in_phys))
        f |= SF_HAS_IN_IF;
    if (HAS2(t, out_if, out_phys))
        f |= SF_HAS_OUT_IF;
    if (HAS2(t, fw_event, fw_event84))
        f |= SF_HAS_FW_EVENT;
    if (HAS2(t, fwd8, fwd32))
        f |= SF_HAS_FWD_STATUS;
    return f;
}

static void recipe_make(const tctx_t *t, sf_recipe_t *c)
{
    memset(c, 0, sizeof *c);
    c->fields = recipe_fields(t);
    /* a reverse half: its own TCP flags if any, never the forward ICMP */
    c->rev_keep = ~(uint32_t)SF_HAS_ICMP &
                  (HAS(t, r_flags) ? ~0u : ~(uint32_t)SF_HAS_TCP_FLAGS);
    if (!HAS2(t, src6, dst6))
        c->addr = ADDR_V4;          /* (or no addresses: ::ffff:0.0.0.0) */
    else if (!HAS2(t, src4, dst4))
        c->addr = ADDR_V6;
    else
        c->addr = ADDR_EITHER;
    if (HAS2(t, sport, dport)) {
        c->src_port = OFF(sport);
        c->dst_port = OFF(dport);
    } else if (HAS2(t, tcp_sport, tcp_dport)) {
        c->src_port = OFF(tcp_sport);
        c->dst_port = OFF(tcp_dport);
    } else {                        /* UDP ports, or none: zero */
        c->src_port = OFF(udp_sport);
        c->dst_port = OFF(udp_dport);
    }
    c->packets = PICK3(t, pkts, pkts_tot, init_pkts);
    c->bytes = PICK3(t, octs, octs_tot, init_octs);
    c->in_if = PICK2(t, in_if, in_phys);
    c->out_if = PICK2(t, out_if, out_phys);
    c->fw_event = PICK2(t, fw_event, fw_event84);
    /* forwardingStatus: the low byte of the 4-byte form if no 1-byte one */
    c->fwd_status = HAS(t, fwd8) ? OFF(fwd8)
                    : (uint16_t)(OFF(fwd32) + (G_BYTE_ORDER == G_BIG_ENDIAN ? 3 : 0));
    c->time = recipe_time(t, c);
    c->dur_ms = HAS(t, dur_ms);
    c->icmp = recipe_icmp(t);
    c->sampled = HAS(t, samp_int) || HAS(t, samp_rand) || HAS(t, samp_pint);
    c->sampler = HAS(t, sel_id);
    c->r_packets = PICK2(t, r_pkts, r_pkts_tot);
    c->r_bytes = PICK2(t, r_octs, r_octs_tot);
    c->r_icmp = HAS2(t, r_icmp4, r_icmp6);
}

void sf_fbrec_tmpl_finish(tctx_t *t, bool options)
{
    t->options = options;
    t->reverse = HAS(t, r_pkts) || HAS(t, r_octs) || HAS(t, r_pkts_tot) ||
                 HAS(t, r_octs_tot);
    recipe_make(t, &t->recipe);
}

/* NTP-format timestamp (RFC 7011 6.1.9) to Unix milliseconds. */
static int64_t ntp_ms(uint64_t ntp)
{
    if (ntp == 0)
        return 0;
    int64_t sec = (int64_t)(ntp >> 32) - INT64_C(2208988800);
    return sec * 1000 + (int64_t)(((ntp & 0xffffffffu) * 1000) >> 32);
}

/* Members of struct fbrec at an offset from the recipe. */
static inline uint64_t rec64(const struct fbrec *r, uint16_t off)
{
    uint64_t v;
    memcpy(&v, (const uint8_t *)r + off, 8);
    return v;
}

static inline uint32_t rec32(const struct fbrec *r, uint16_t off)
{
    uint32_t v;
    memcpy(&v, (const uint8_t *)r + off, 4);
    return v;
}

static inline uint16_t rec16(const struct fbrec *r, uint16_t off)
{
    uint16_t v;
    memcpy(&v, (const uint8_t *)r + off, 2);
    return v;
}

static inline uint8_t rec8(const struct fbrec *r, uint16_t off)
{
    return ((const uint8_t *)r)[off];
}

/* sysUpTime-relative start and end (those the template has) to Unix
 * milliseconds: from IE 160 systemInitTimeMilliseconds in the record
 * (read as zero when the template lacks it), else for NetFlow v9 from the
 * header's sysUpTime and export time, else from IE 160 of an options
 * record; 0 when none is known.  The base is found once for both. */
static void uptime_times(const sf_msg_t *m, const struct fbrec *r,
                         const sf_recipe_t *c, int64_t *s, int64_t *e)
{
    int64_t base;

    if (r->sys_init) {
        base = (int64_t)r->sys_init;
    } else if (m->version == 9) {   /* wraps with sysUpTime: signed delta */
        *s = c->time_start ? m->export_ms + (int32_t)(r->start_up - m->uptime_ms) : 0;
        *e = c->time_end ? m->export_ms + (int32_t)(r->end_up - m->uptime_ms) : 0;
        return;
    } else if (m->dom && m->dom->sys_init_ms) {
        base = m->dom->sys_init_ms;
    } else {
        return;
    }
    *s = c->time_start ? base + r->start_up : 0;
    *e = c->time_end ? base + r->end_up : 0;
}

/* f's start and end from the record's start s and end e (0: not given);
 * returns SF_HAS_TIMES if the record has either. */
static inline uint32_t times_set(const struct fbrec *r, const sf_recipe_t *c,
                                 sf_flow_t *f, int64_t s, int64_t e)
{
    /* a start and a duration (absent: zero, the end is the start) */
    if (s && !e)
        e = s + (c->dur_ms ? r->dur_ms : r->dur_us / 1000);
    f->start_ms = s ? s : e;
    f->end_ms = e ? e : s;
    return s || e ? SF_HAS_TIMES : 0;
}

/* Start and end, in the template's representation; returns SF_HAS_TIMES
 * if the record has either.  The relative kinds depend on the message
 * header too, so they are worked out per record. */
static uint32_t flow_times(const sf_msg_t *m, const struct fbrec *r,
                           const sf_recipe_t *c, sf_flow_t *f)
{
    int64_t s = 0, e = 0;

    switch (c->time) {
    case TIME_MS:
        s = (int64_t)r->start_ms;
        e = (int64_t)r->end_ms;
        break;
    case TIME_S:
        s = (int64_t)r->start_s * 1000;
        e = (int64_t)r->end_s * 1000;
        break;
    case TIME_NTP_US:
        s = ntp_ms(r->start_us);
        e = ntp_ms(r->end_us);
        break;
    case TIME_NTP_NS:
        s = ntp_ms(r->start_ns);
        e = ntp_ms(r->end_ns);
        break;
    case TIME_DELTA_US:
        s = c->time_start ? m->export_ms - r->start_dus / 1000 : 0;
        e = c->time_end ? m->export_ms - r->end_dus / 1000 : 0;
        break;
    case TIME_UPTIME:
        uptime_times(m, r, c, &s, &e);
        break;
    }
    return times_set(r, c, f, s, e);
}

/* The sampling interval a record gives, 0 if none.  Absent elements read
 * as zero, so no template test is needed. */
static uint32_t sampling_of(const struct fbrec *r)
{
    if (r->samp_int)
        return r->samp_int;
    if (r->samp_rand)
        return r->samp_rand;
    if (r->samp_pint) {             /* n selected, then m skipped */
        uint64_t n = ((uint64_t)r->samp_pint + r->samp_pspace) / r->samp_pint;
        return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    }
    return 0;
}

/*
 * Several samplers in one domain.  A Cisco router exports, per sampler,
 * an options record with FLOW_SAMPLER_ID (48), FLOW_SAMPLER_MODE (49) and
 * FLOW_SAMPLER_RANDOM_INTERVAL (50), and puts field 48 in the data records
 * it sampled (RFC 3954 section 8); an IPFIX exporter names the selection
 * process by selectorId (302) next to samplingPacketInterval/Space
 * (305/306, RFC 5477) or samplingInterval (34).  Each domain keeps such
 * announcements in a small table (sf_samplers_t, allocated at the first),
 * the oldest replaced past SF_MAX_SAMPLERS.  A data record naming a
 * sampler in the table takes its interval; one naming no sampler, or one
 * never announced, takes the domain's interval from options records
 * without a sampler id, else the smallest interval announced for any
 * sampler: the estimate of what it stands for is then the lowest the
 * exporter's word allows.
 */
static void sampler_min_update(sf_samplers_t *t)
{
    t->min = t->interval[0];
    for (unsigned i = 1; i < t->n; i++)
        t->min = MIN(t->min, t->interval[i]);
}

static void sampler_set(const sf_msg_t *m, uint64_t id, uint32_t interval)
{
    sf_domain_t *d = m->dom;
    sf_samplers_t *t;
    unsigned i;

    if (d->samplers == NULL)            /* an options record, not a flow */
        d->samplers = g_new0(sf_samplers_t, 1);
    t = d->samplers;
    for (i = 0; i < t->n && t->id[i] != id; i++)
        ;
    if (i == SF_MAX_SAMPLERS) {         /* full: the oldest announced goes */
        i = t->next;
        t->next = (uint8_t)((i + 1) % SF_MAX_SAMPLERS);
        sf_count(m->st, SF_C_SAMPLERS_EVICTED, 1);
    } else if (i == t->n) {
        t->n++;
    }
    t->id[i] = id;
    t->interval[i] = interval;
    sampler_min_update(t);
}

/* The interval of the sampler a data record names, 0 if not announced. */
static uint32_t sampler_get(const sf_msg_t *m, uint64_t id)
{
    const sf_samplers_t *t = m->dom->samplers;

    for (unsigned i = 0; i < t->n; i++)
        if (t->id[i] == id)
            return t->interval[i];
    sf_count(m->st, SF_C_SAMPLER_UNKNOWN, 1);
    return 0;
}

void sf_fbrec_options(const sf_msg_t *m, const struct fbrec *r,
                      const tctx_t *t)
{
    uint32_t s = sampling_of(r);

    if (m->dom == NULL)
        return;
    if (t->recipe.sampler && s)
        sampler_set(m, r->sel_id, s);
    else if (t->recipe.sampler && t->recipe.sampled)
        sf_count(m->st, SF_C_SAMPLER_NO_INTERVAL, 1);
    else if (s)
        m->dom->sampling = s;
    if (r->sys_init)
        m->dom->sys_init_ms = (int64_t)r->sys_init;
}

static bool zero16(const uint8_t p[16])
{
    uint64_t a, b;

    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    return (a | b) == 0;
}

/* ::ffff:a.b.c.d of a host-order IPv4 address. */
static void set_v4(sf_addr_t *a, uint32_t v4)
{
    static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };
    uint32_t be = GUINT32_TO_BE(v4);

    memcpy(a->b, pfx, 12);
    memcpy(a->b + 12, &be, 4);
}

/* A template with both families: IPv6 if the record says so or has a
 * nonzero IPv6 address. */
static void flow_addresses(const struct fbrec *r, const sf_recipe_t *c,
                           sf_flow_t *f)
{
    bool v6 = c->addr == ADDR_V6 ||
              (c->addr == ADDR_EITHER &&
               (r->ipver == 6 || !zero16(r->src6) || !zero16(r->dst6)));

    if (v6) {
        memcpy(f->src.b, r->src6, 16);
        memcpy(f->dst.b, r->dst6, 16);
    } else {
        set_v4(&f->src, r->src4);
        set_v4(&f->dst, r->dst4);
    }
    f->is_v4 = !v6;
}

/* Needs f->proto and f->dst_port; returns SF_HAS_ICMP if it found a type. */
static uint32_t flow_icmp(const struct fbrec *r, const sf_recipe_t *c,
                          sf_flow_t *f)
{
    f->icmp_type_code = 0;
    if (c->icmp == ICMP_NONE || (f->proto != 1 && f->proto != 58))
        return 0;
    switch (c->icmp) {
    case ICMP_IE:                   /* the IPv4 one unless zero */
        f->icmp_type_code = r->icmp4 ? r->icmp4 : r->icmp6;
        break;
    case ICMP_TC4:
        f->icmp_type_code = (uint16_t)(r->icmp_t4 << 8 | r->icmp_c4);
        break;
    case ICMP_TC6:
        f->icmp_type_code = (uint16_t)(r->icmp_t6 << 8 | r->icmp_c6);
        break;
    default:                        /* ICMP_DPORT */
        f->icmp_type_code = f->dst_port;
        break;
    }
    return SF_HAS_ICMP;
}

/* The record's own sampling elements, else its sampler's interval, else
 * the domain's (see sampler_set), else --sampling for the exporter's
 * network (sf_exporter_sampling). */
static uint32_t flow_sampling(const sf_msg_t *m, const struct fbrec *r,
                              const sf_recipe_t *c)
{
    uint32_t s = c->sampled ? sampling_of(r) : 0;

    if (!s && m->dom) {
        if (c->sampler && m->dom->samplers)
            s = sampler_get(m, r->sel_id);
        if (!s)
            s = m->dom->sampling ? m->dom->sampling
                : m->dom->samplers ? m->dom->samplers->min : 0;
    }
    return sf_exporter_sampling(m->exp, s);
}

/* The second direction of an RFC 5103 biflow, if it saw any traffic. */
static bool flow_reverse(const struct fbrec *r, const tctx_t *t,
                         const sf_flow_t *fwd, sf_flow_t *rev)
{
    const sf_recipe_t *c = &t->recipe;
    uint64_t pk = rec64(r, c->r_packets);
    uint64_t oc = rec64(r, c->r_bytes);

    if (pk == 0 && oc == 0)
        return false;
    memcpy(rev, fwd, sizeof *rev);      /* padding included */
    rev->src = fwd->dst;
    rev->dst = fwd->src;
    rev->src_port = fwd->dst_port;
    rev->dst_port = fwd->src_port;
    rev->packets = pk;
    rev->bytes = oc;
    rev->tcp_flags = r->r_flags;
    rev->fields &= c->rev_keep;
    /* the forward ICMP type says nothing of the other direction */
    rev->icmp_type_code = 0;
    if ((fwd->fields & SF_HAS_ICMP) && c->r_icmp) {
        rev->icmp_type_code = r->r_icmp4 ? r->r_icmp4 : r->r_icmp6;
        rev->fields |= SF_HAS_ICMP;
    }
    if (r->r_start_ms) {
        rev->start_ms = (int64_t)r->r_start_ms;
        rev->end_ms = r->r_end_ms ? (int64_t)r->r_end_ms : rev->start_ms;
    }
    rev->reverse = true;
    return true;
}

/*
 * flow_build() writes every member of sf_flow_t rather than zeroing the
 * whole record first, then zeroes what follows the last member (tail
 * padding), so the record is as fully defined as a memset one.  The sum
 * below lists the members' sizes: it fails when a member is added (write
 * it in flow_build) or when one leaves a hole before the next.
 */
G_STATIC_ASSERT(offsetof(sf_flow_t, reverse) + sizeof(bool) ==
                3 * sizeof(sf_addr_t) + 2 * sizeof(uint64_t) +
                3 * sizeof(int64_t) + 5 * sizeof(uint32_t) +
                6 * sizeof(uint16_t) + 3 * sizeof(uint8_t) + 2 * sizeof(bool));
#define FLOW_END (offsetof(sf_flow_t, reverse) + sizeof(bool))

/* The members that need the record as a whole, the times set already
 * (times: what flow_times() returned): sampling (unless the caller set it
 * for the whole set: sampling false), forwarding status, ICMP (after
 * f->proto and f->dst_port), fields. */
static inline void flow_rest(const sf_msg_t *m, const struct fbrec *r,
                             const sf_recipe_t *c, sf_flow_t *f,
                             bool sampling, uint32_t times)
{
    uint32_t fields = c->fields | times;

    if (sampling)
        f->sampling_interval = flow_sampling(m, r, c);
    /* v9 and RFC 7270: status in the top two bits of the low byte */
    f->fwd_status = rec8(r, c->fwd_status) >> 6;
    f->fields = fields | flow_icmp(r, c, f);
}

static void flow_build(const sf_msg_t *m, const struct fbrec *r,
                       const tctx_t *t, sf_flow_t *f)
{
    const sf_recipe_t *c = &t->recipe;

    f->exporter = m->exp->key.addr;
    flow_addresses(r, c, f);
    f->packets = rec64(r, c->packets);
    f->bytes = rec64(r, c->bytes);
    f->arrival_ms = m->arrival_ms;
    f->obs_domain = m->domain_id;
    f->in_if = rec32(r, c->in_if);
    f->out_if = rec32(r, c->out_if);
    f->src_port = rec16(r, c->src_port);
    f->dst_port = rec16(r, c->dst_port);
    f->tcp_flags = r->flags;
    f->fw_ext_event = r->ext_event;
    f->fw_event = rec8(r, c->fw_event);
    f->proto = r->proto;
    f->version = m->version;
    f->reverse = false;
    flow_rest(m, r, c, f, true, flow_times(m, r, c, f));
    memset((uint8_t *)f + FLOW_END, 0, sizeof *f - FLOW_END);
}

bool sf_fbrec_direct_ok(const tctx_t *t)
{
    return !t->options && !t->reverse && t->recipe.addr != ADDR_EITHER;
}

/* The elements flow_rest() reads from the record. */
#define BIT(m) (UINT64_C(1) << F_##m)
#define REST_ELEMENTS \
    (BIT(start_ms) | BIT(end_ms) | BIT(start_s) | BIT(end_s) | \
     BIT(start_us) | BIT(end_us) | BIT(start_ns) | BIT(end_ns) | \
     BIT(start_dus) | BIT(end_dus) | BIT(start_up) | BIT(end_up) | \
     BIT(dur_ms) | BIT(dur_us) | BIT(sys_init) | \
     BIT(icmp4) | BIT(icmp6) | BIT(icmp_t4) | BIT(icmp_c4) | \
     BIT(icmp_t6) | BIT(icmp_c6) | \
     BIT(samp_int) | BIT(samp_rand) | BIT(samp_pint) | BIT(samp_pspace) | \
     BIT(sel_id) | BIT(fwd8) | BIT(fwd32))
/* A member of the flow in struct fbdirect, and its size. */
#define TO_FLOW(m) (*width = sizeof ((sf_flow_t *)NULL)->m, \
                    (int)(offsetof(struct fbdirect, f) + offsetof(sf_flow_t, m)))

/* flow_build()'s choices for template t, made per element: each member
 * of sf_flow_t that flow_build() copies from one member of struct fbrec
 * (the one the recipe picked) takes that element. */
int sf_fbrec_direct_dst(const tctx_t *t, int k, unsigned *width)
{
    const sf_recipe_t *c = &t->recipe;
    uint16_t off = sf_fbrec_off[k];

    switch (k) {
    case F_src4: *width = 0; return (int)offsetof(struct fbdirect, f.src.b[12]);
    case F_dst4: *width = 0; return (int)offsetof(struct fbdirect, f.dst.b[12]);
    case F_src6: return TO_FLOW(src);
    case F_dst6: return TO_FLOW(dst);
    case F_flags: return TO_FLOW(tcp_flags);
    case F_ext_event: return TO_FLOW(fw_ext_event);
    case F_proto: return TO_FLOW(proto);
    }
    if (off == c->packets) return TO_FLOW(packets);
    if (off == c->bytes) return TO_FLOW(bytes);
    if (off == c->in_if) return TO_FLOW(in_if);
    if (off == c->out_if) return TO_FLOW(out_if);
    if (off == c->src_port) return TO_FLOW(src_port);
    if (off == c->dst_port) return TO_FLOW(dst_port);
    if (off == c->fw_event) return TO_FLOW(fw_event);
    if (!(REST_ELEMENTS >> k & 1))
        return -1;
    *width = sf_fbrec_len[k];
    return (int)(offsetof(struct fbdirect, r) + off);
}

/*
 * The times of a direct set.  A template with sysUpTime times and
 * without IE 160 reads systemInitTimeMilliseconds as zero in every
 * record, so uptime_times() takes the same branch for the whole set, from
 * the message header or the domain: for a template with both start and
 * end, that branch and its base are worked out once per set
 * (set_times_start), and a record costs one subtraction or addition per
 * time.  Other templates call flow_times() per record.
 */
enum { ST_RECORD, ST_UP_NONE, ST_UP_V9, ST_UP_BASE };

typedef struct {
    uint8_t  kind;      /* ST_* */
    int64_t  add;       /* v9: the export time; else the domain's base */
    uint32_t sub;       /* v9: the header's sysUpTime */
} set_times_t;

static void set_times_start(const sf_msg_t *m, const tctx_t *t,
                            set_times_t *st)
{
    st->kind = ST_RECORD;
    st->add = 0;
    st->sub = 0;
    if (t->recipe.time != TIME_UPTIME || HAS(t, sys_init) ||
        !t->recipe.time_start || !t->recipe.time_end)
        return;
    if (m->version == 9) {
        st->kind = ST_UP_V9;
        st->add = m->export_ms;
        st->sub = m->uptime_ms;
    } else if (m->dom && m->dom->sys_init_ms) {
        st->kind = ST_UP_BASE;
        st->add = m->dom->sys_init_ms;
    } else {
        st->kind = ST_UP_NONE;
    }
}

/* flow_times() for a record of a set whose times set_times_start() knew. */
static inline uint32_t direct_times(const sf_msg_t *m, const set_times_t *st,
                                    const struct fbrec *r,
                                    const sf_recipe_t *c, sf_flow_t *f)
{
    int64_t s = 0, e = 0;

    switch (st->kind) {
    case ST_RECORD:
        return flow_times(m, r, c, f);
    case ST_UP_V9:                  /* wraps with sysUpTime: signed delta */
        s = st->add + (int32_t)(r->start_up - st->sub);
        e = st->add + (int32_t)(r->end_up - st->sub);
        break;
    case ST_UP_BASE:
        s = st->add + r->start_up;
        e = st->add + r->end_up;
        break;
    }
    return times_set(r, c, f, s, e);
}

/* What every flow record of message m and template t shares, and zero
 * elsewhere; the sampling interval too when the template has no sampling
 * element (then it is the domain's, the same for the whole set). */
static void direct_start(const sf_msg_t *m, const tctx_t *t,
                         struct fbdirect *d)
{
    memset(d, 0, sizeof *d);
    d->f.exporter = m->exp->key.addr;
    if (t->recipe.addr == ADDR_V4) {    /* the plan writes the last 4 bytes */
        set_v4(&d->f.src, 0);
        set_v4(&d->f.dst, 0);
        d->f.is_v4 = true;
    }
    d->f.arrival_ms = m->arrival_ms;
    d->f.obs_domain = m->domain_id;
    d->f.version = m->version;
    if (!t->recipe.sampled && !t->recipe.sampler)
        d->f.sampling_interval = flow_sampling(m, &d->r, &t->recipe);
}

/* The record loop of a direct set, n_op being t->n_dop or (shaped) a
 * constant copy of it (below): inlined into each caller, so that with a
 * constant the plan's per-kind loops are unrolled. */
static G_ALWAYS_INLINE inline unsigned
direct_loop(const sf_msg_t *m, const tctx_t *t, const uint8_t *p, size_t len,
            sf_flow_sink_fn sink, void *ctx, const uint8_t *n_op, bool shaped)
{
    struct fbdirect d;
    set_times_t st;
    size_t reclen = t->reclen;
    unsigned n = (unsigned)(len / reclen);
    bool sampling = t->recipe.sampled || t->recipe.sampler;

    direct_start(m, t, &d);     /* once: see sf_fb_plan_fill */
    set_times_start(m, t, &st);
    for (const uint8_t *end = p + (size_t)n * reclen; p < end; p += reclen) {
        if (shaped)
            sf_fb_plan_fill_shaped(t->dplan, n_op, p, (uint8_t *)&d);
        else
            sf_fb_plan_fill(t->dplan, n_op, p, (uint8_t *)&d);
        flow_rest(m, &d.r, &t->recipe, &d.f, sampling,
                  direct_times(m, &st, &d.r, &t->recipe, &d.f));
        sink(&d.f, ctx);
    }
    return n;
}

/*
 * Direct plans of a common shape (how many fields of each conversion,
 * OP_* order) get a record loop of their own, compiled with that shape
 * as a constant: no per-kind loop tests, no empty kinds.  The shapes are
 * softflowd's and pmacctd's flow templates; any other template runs the
 * same loop with its own counts (the same records out, without the
 * unrolling).
 */
#define SHAPES(X) \
    X(1, 2, 0, 0, 2, 4, 0, 2, 1, 1, 0)     /* softflowd v9/IPFIX, IPv4 */ \
    X(2, 0, 2, 0, 2, 4, 0, 2, 1, 1, 0)     /* softflowd, IPv6 */ \
    X(3, 2, 0, 4, 0, 2, 0, 2, 1, 1, 0)     /* pmacctd, IPv4 */ \
    X(4, 0, 2, 4, 0, 2, 0, 2, 1, 1, 0)     /* pmacctd, IPv6 */ \
    X(5, 2, 0, 4, 0, 2, 0, 2, 1, 1, 1)     /* pmacctd sampled, IPv4 */ \
    X(6, 0, 2, 4, 0, 2, 0, 2, 1, 1, 1)     /* pmacctd sampled, IPv6 */

static const uint8_t shapes[][OP_COUNT] = {
#define SHAPE_ROW(i, ...) [i - 1] = { __VA_ARGS__ },
    SHAPES(SHAPE_ROW)
#undef SHAPE_ROW
};

uint8_t sf_fbrec_direct_shape(const uint8_t n_dop[OP_COUNT])
{
    for (unsigned i = 0; i < G_N_ELEMENTS(shapes); i++)
        if (memcmp(shapes[i], n_dop, OP_COUNT) == 0)
            return (uint8_t)(i + 1);
    return 0;
}

#define SHAPE_FN(i, ...) \
    static unsigned direct_shape##i(const sf_msg_t *m, const tctx_t *t, \
                                    const uint8_t *p, size_t len, \
                                    sf_flow_sink_fn sink, void *ctx) \
    { \
        static const uint8_t n_op[OP_COUNT] = { __VA_ARGS__ }; \
        return direct_loop(m, t, p, len, sink, ctx, n_op, true); \
    }
SHAPES(SHAPE_FN)
#undef SHAPE_FN

unsigned sf_fbrec_direct_decode(const sf_msg_t *m, const tctx_t *t,
                                const uint8_t *p, size_t len,
                                sf_flow_sink_fn sink, void *ctx,
                                sf_stats_t *st)
{
    unsigned n;

    switch (t->dshape) {
#define SHAPE_CASE(i, ...) \
    case i: n = direct_shape##i(m, t, p, len, sink, ctx); break;
    SHAPES(SHAPE_CASE)
#undef SHAPE_CASE
    default:
        n = direct_loop(m, t, p, len, sink, ctx, t->n_dop, false);
        break;
    }
    sf_count(st, SF_C_RECORDS, n);
    return n;
}

unsigned sf_fbrec_flow_out(const sf_msg_t *m, const struct fbrec *rec,
                           const tctx_t *t, sf_flow_sink_fn sink, void *ctx)
{
    sf_flow_t f, rev;

    flow_build(m, rec, t, &f);
    sink(&f, ctx);
    if (!t->reverse || !flow_reverse(rec, t, &f, &rev))
        return 0;
    sink(&rev, ctx);
    return 1;
}
