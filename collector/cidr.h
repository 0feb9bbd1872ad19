/*
 * cidr.h - address prefixes for --home-net, --allow, --tag and --exporter.
 *
 * Prefixes live in the same 128-bit space as sf_addr_t: an IPv4 /24 is
 * stored as ::ffff:a.b.c.0/120, so one comparison serves both families and
 * an IPv4 prefix never matches an IPv6 address.
 */
#ifndef SF_CIDR_H
#define SF_CIDR_H

#include <glib.h>
#include <string.h>
#include "flow.h"

#define SF_CIDR_ERROR g_quark_from_static_string("scanflow-cidr")

typedef struct sf_cidr {
    sf_addr_t net;      /* host bits cleared */
    guint     plen;     /* 0..128 in the mapped space */
} sf_cidr_t;

/* Parses "a.b.c.d/n", "x::/n" or a bare address (full length).  Host bits
 * set beyond the prefix are an error: "10.0.0.1/8" is usually a typo. */
gboolean sf_cidr_parse(const char *text, sf_cidr_t *out, GError **err);
/* The same, host bits cleared instead ("10.0.0.1/8" is 10.0.0.0/8): the
 * scanflowd --exporter networks have always been read that way. */
gboolean sf_cidr_parse_network(const char *text, sf_cidr_t *out, GError **err);
gboolean sf_cidr_contains(const sf_cidr_t *c, const sf_addr_t *a);

/* A prefix as two masked 64-bit words in memory order, for tests that run
 * per flow (--home-net on the correlator's feed): an address is inside
 * when both of its words XOR net, AND mask, are zero.  No byte swap, no
 * shift: a handful of instructions, inlined. */
typedef struct sf_cidr_words {
    guint64 net[2], mask[2];
} sf_cidr_words_t;

void sf_cidr_to_words(const sf_cidr_t *c, sf_cidr_words_t *out);

static inline gboolean sf_cidr_words_contains(const sf_cidr_words_t *w,
                                              const sf_addr_t *a)
{
    guint64 x[2];

    memcpy(x, a->b, 16);
    return (((x[0] ^ w->net[0]) & w->mask[0])
            | ((x[1] ^ w->net[1]) & w->mask[1])) == 0;
}
/* TRUE if any prefix of the array (of sf_cidr_t) contains a. */
gboolean sf_cidr_list_contains(const GArray *list, const sf_addr_t *a);

#endif
