/*
 * fbplan.h - the fast path's conversions of a planned field (fbfast.c
 * plans them once per template), inline so that each record loop (the
 * one into struct fbrec in fbfast.c, those into struct fbdirect in
 * fbrecord.c) runs them without a call; fbrecord.c's loops for common
 * shapes of plan run them unrolled (sf_fb_plan_fill_shaped).
 */
#ifndef SF_FBPLAN_H
#define SF_FBPLAN_H

#include "exporter.h"

#include <string.h>

/*
 * The fast path's conversions: one per field it reads, chosen once per
 * template rather than per record.  The plan is sorted by conversion, so
 * that sf_fb_plan_fill() runs one tight loop per kind instead of a switch per
 * field.
 */
enum {
    OP_RAW4,        /* IPv4 address: the 4 bytes as they are, into an
                       sf_addr_t whose first 12 are set (struct fbdirect) */
    OP_COPY16,      /* IPv6 address: the 16 bytes as they are */
    OP_U64_8,       /* 8 wire bytes to a uint64_t member */
    OP_U64_4,       /* reduced size: 4 bytes to a uint64_t (v9 counters) */
    OP_U32_4,
    OP_U32_2,       /* reduced size: 2 bytes to a uint32_t (v9 ifIndex) */
    OP_U16_2,
    OP_U16_1,       /* reduced size: 1 byte to a uint16_t (v9 TCP flags) */
    OP_U8_1,
    OP_ANY,         /* any other length: byte loop, stored at width */
    OP_COUNT
};
G_STATIC_ASSERT(OP_COUNT == SF_PLAN_OPS);

/* Big-endian unsigned integer of 1..8 bytes. */
static inline uint64_t be_uint(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Loads and stores of unaligned members, by memcpy (one instruction). */
static inline uint64_t ld_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_BE(v);
}

static inline uint32_t ld_be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_BE(v);
}

static inline uint16_t ld_be16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return GUINT16_FROM_BE(v);
}

static inline void st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline void st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void st16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/* Stores v in a member of width 8, 4 or 2 bytes (OP_ANY), cut like a cast. */
static inline void st_width(uint8_t *dst, unsigned width, uint64_t v)
{
    if (width == 8)
        st64(dst, v);
    else if (width == 4)
        st32(dst, (uint32_t)v);
    else
        st16(dst, (uint16_t)v);
}

/* Runs body once for each field of conversion k, op pointing to it; the
 * plan is in kind order, so op simply walks on.  UNROLL: a pragma or
 * nothing. */
#define EACH_OP(UNROLL, k, body) \
    UNROLL \
    for (const sf_plan_field_t *end_ = op + n_op[k]; op < end_; op++) { body; }

/* The conversions, each kind's loop preceded by UNROLL. */
#define PLAN_FILL(UNROLL) \
    EACH_OP(UNROLL, OP_RAW4, memcpy(b + op->dst, r + op->off, 4)) \
    EACH_OP(UNROLL, OP_COPY16, memcpy(b + op->dst, r + op->off, 16)) \
    EACH_OP(UNROLL, OP_U64_8, st64(b + op->dst, ld_be64(r + op->off))) \
    EACH_OP(UNROLL, OP_U64_4, st64(b + op->dst, ld_be32(r + op->off))) \
    EACH_OP(UNROLL, OP_U32_4, st32(b + op->dst, ld_be32(r + op->off))) \
    EACH_OP(UNROLL, OP_U32_2, st32(b + op->dst, ld_be16(r + op->off))) \
    EACH_OP(UNROLL, OP_U16_2, st16(b + op->dst, ld_be16(r + op->off))) \
    EACH_OP(UNROLL, OP_U16_1, st16(b + op->dst, r[op->off])) \
    EACH_OP(UNROLL, OP_U8_1, b[op->dst] = r[op->off]) \
    EACH_OP(UNROLL, OP_ANY, \
            st_width(b + op->dst, op->width, be_uint(r + op->off, op->len)))

/*
 * The plan's conversions, for struct fbrec and struct fbdirect alike.
 * Members the plan does not write are left as they are: the caller
 * zeroes the record once per data set, and every record of a set writes
 * the same members in full, so they stay zero as fixbuf would leave them.
 */
static G_ALWAYS_INLINE inline void
sf_fb_plan_fill(const sf_plan_field_t *op, const uint8_t *n_op,
                const uint8_t *r, uint8_t *b)
{
    PLAN_FILL()
}

/* The same for a plan whose counts n_op are constants the compiler sees
 * (fbrecord.c's shapes): each kind's fields in a straight line, without
 * the loop's test per field. */
static G_ALWAYS_INLINE inline void
sf_fb_plan_fill_shaped(const sf_plan_field_t *op, const uint8_t *n_op,
                       const uint8_t *r, uint8_t *b)
{
    PLAN_FILL(_Pragma("GCC unroll 8"))
}

#endif
