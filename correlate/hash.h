/*
 * hash.h - the 64-bit mixing step the correlator's tables share:
 * MurmurHash3's finaliser (fmix64), which spreads every input bit over the
 * whole word.  Tables fed by attacker-chosen keys (source addresses) mix a
 * random per-process seed in before it.
 */
#ifndef SF_HASH_H
#define SF_HASH_H

#include <glib.h>
#include <string.h>

#include "flow.h"

static inline guint64 sf_mix64(guint64 k)
{
    k ^= k >> 33;
    k *= G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

/* A source address's hash in a table with this seed. */
static inline guint64 sf_hash_addr(guint64 seed, const sf_addr_t *a)
{
    guint64 w[2];

    memcpy(w, a->b, 16);
    return sf_mix64(seed ^ sf_mix64(w[0] ^ (w[1] * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15))));
}

#endif
