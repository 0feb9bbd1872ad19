/*
 * fbfast.c - the fast path: records of fixed-length templates read at
 * offsets planned once per template, without libfixbuf.
 *
 * For a template whose fields all have a fixed length, sf_fb_plan() works
 * out where each element scanflow reads sits in the wire record, and which
 * conversion it needs (big-endian, widened from a reduced size, RFC 7011
 * section 6.2).  For a flow template of one address family without
 * biflow counters it also plans where each element goes in struct
 * fbdirect (fbrecord.h): such records are decoded straight into sf_flow_t
 * (sf_fbrec_direct_decode).  For the others, sf_fb_fast_decode() fills
 * struct fbrec from each record exactly as libfixbuf's fBufNext() would,
 * and hands it to the same conversion to sf_flow_t (fbrecord.c).  The
 * tests and fuzzers decode every input both ways (--fixbuf-only) and
 * compare.
 */
#include "fbrecord.h"
#include "fbplan.h"

#include <string.h>

/* The conversion fixbuf does for an element of member size width sent in
 * len bytes: big-endian, widened (reduced-size encoding).  Lengths the
 * sanitizer never lets through (sf_fb_field_wanted) are read as before
 * these kinds existed: addresses as 16 bytes, one-byte members from the
 * first byte, others cut to the member like a cast. */
static unsigned op_kind(unsigned width, unsigned len)
{
    if (width == 0)
        return OP_RAW4;
    if (width == 16)
        return OP_COPY16;
    if (width == 1)
        return OP_U8_1;
    switch (width << 8 | len) {
    case 8 << 8 | 8: return OP_U64_8;
    case 8 << 8 | 4: return OP_U64_4;
    case 4 << 8 | 4: return OP_U32_4;
    case 4 << 8 | 2: return OP_U32_2;
    case 2 << 8 | 2: return OP_U16_2;
    case 2 << 8 | 1: return OP_U16_1;
    default: return OP_ANY;
    }
}

/* Sorts the plan's n fields into out by conversion, counting each kind
 * in n_op (a counting sort: the order within a kind does not matter, each
 * field has its own member). */
static void plan_sort(const sf_plan_field_t *plan, unsigned n,
                      sf_plan_field_t *out, uint8_t n_op[OP_COUNT])
{
    unsigned kind[F_COUNT], at[OP_COUNT], pos = 0;

    for (unsigned i = 0; i < n; i++) {
        kind[i] = op_kind(plan[i].width, plan[i].len);
        n_op[kind[i]]++;
    }
    for (unsigned k = 0; k < OP_COUNT; k++) {
        at[k] = pos;
        pos += n_op[k];
    }
    for (unsigned i = 0; i < n; i++)
        out[at[kind[i]]++] = plan[i];
}

/* The direct plan of a flow template (fbrecord.h, struct fbdirect): the
 * planned elements a flow record needs, elem[i] being plan[i]'s element,
 * stored where sf_fbrec_direct_dst() says.  A destination of another size
 * than the element's member leaves the template to struct fbrec. */
static void plan_direct(sf_tmpl_t *t, const sf_plan_field_t *plan,
                        const int *elem, unsigned n, sf_plan_field_t *out)
{
    sf_plan_field_t dp[F_COUNT];
    unsigned nd = 0, width;

    for (unsigned i = 0; i < n; i++) {
        int dst = sf_fbrec_direct_dst(t, elem[i], &width);
        if (dst < 0)
            continue;
        if (width == 0 ? plan[i].len != 4 : width != plan[i].width)
            return;
        dp[nd] = plan[i];
        dp[nd].dst = (uint16_t)dst;
        dp[nd++].width = (uint8_t)width;
    }
    plan_sort(dp, nd, out, t->n_dop);
    t->dshape = sf_fbrec_direct_shape(t->n_dop);
    t->ndplan = (uint16_t)nd;
    t->dplan = out;
    t->direct = true;
}

sf_tmpl_t *sf_fb_plan(const sf_field_t *fields, unsigned n, bool options,
                      uint32_t hash, const uint8_t *rec, size_t rec_len)
{
    sf_tmpl_t *t;
    sf_plan_field_t plan[F_COUNT];
    int elem[F_COUNT];
    unsigned off = 0, nplan = 0;
    /* each element is planned once at most; plan, then direct plan */
    size_t plan_size = MIN(n, (unsigned)F_COUNT) * sizeof t->plan[0];

    rec_len = MIN(rec_len, (size_t)G_MAXUINT16);
    t = g_malloc0(sizeof *t + 2 * plan_size + rec_len);
    memcpy((uint8_t *)t->plan + 2 * plan_size, rec, rec_len);
    t->rec = (const uint8_t *)t->plan + 2 * plan_size;
    t->rec_len = (uint16_t)rec_len;

    t->hash = hash;
    t->fast = true;
    for (unsigned i = 0; i < n; i++) {
        int k = sf_fbrec_index(fields[i].ent, fields[i].num);
        if (fields[i].len == FB_IE_VARLEN)
            t->fast = false;
        /* fixbuf fills the first occurrence of a repeated element */
        if (k >= 0 && !(t->mask >> k & 1) && fields[i].len != FB_IE_VARLEN) {
            t->mask |= UINT64_C(1) << k;
            elem[nplan] = k;
            plan[nplan++] = (sf_plan_field_t){ (uint16_t)off, sf_fbrec_off[k],
                                               (uint8_t)fields[i].len,
                                               (uint8_t)sf_fbrec_len[k] };
        }
        off += fields[i].len == FB_IE_VARLEN ? 1 : fields[i].len;
    }
    t->reclen = off > 0xffff ? 0xffff : (uint16_t)off;
    if (off == 0 || off > 0xffff)
        t->fast = false;
    plan_sort(plan, nplan, t->plan, t->n_op);
    t->nplan = (uint16_t)nplan;
    sf_fbrec_tmpl_finish(t, options);
    if (t->fast && sf_fbrec_direct_ok(t))
        plan_direct(t, plan, elem, nplan, t->plan + plan_size / sizeof t->plan[0]);
    return t;
}

/* The records of a set are all options or all flows (one template): the
 * fast path counts them once per set.  (One loop, one sf_fb_plan_fill()
 * call: the compiler inlines it.) */
unsigned sf_fb_fast_decode(const sf_msg_t *m, const sf_tmpl_t *t,
                           const uint8_t *p, size_t len,
                           sf_flow_sink_fn sink, void *ctx, sf_stats_t *st)
{
    struct fbrec rec;
    unsigned n = 0, rev = 0;

    if (t->direct)
        return sf_fbrec_direct_decode(m, t, p, len, sink, ctx, st);
    memset(&rec, 0, sizeof rec);        /* once: see sf_fb_plan_fill */
    for (; len >= t->reclen; p += t->reclen, len -= t->reclen, n++) {
        sf_fb_plan_fill(t->plan, t->n_op, p, (uint8_t *)&rec);
        if (t->options)
            sf_fbrec_options(m, &rec, t);
        else
            rev += sf_fbrec_flow_out(m, &rec, t, sink, ctx);
    }
    if (t->options) {
        sf_count(st, SF_C_OPTIONS_RECORDS, n);
    } else {
        sf_count(st, SF_C_RECORDS, n);
        sf_count(st, SF_C_BIFLOW_REVERSE, rev);
    }
    return n;
}
