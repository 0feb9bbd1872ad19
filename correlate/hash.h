/*
 * hash.h - the 64-bit mixing step the correlator's tables share:
 * MurmurHash3's finaliser (fmix64), which spreads every input bit over the
 * whole word.  Tables fed by attacker-chosen keys (source addresses) mix a
 * random per-process seed in before it.
 */
#ifndef SF_HASH_H
#define SF_HASH_H

#include <glib.h>

static inline guint64 sf_mix64(guint64 k)
{
    k ^= k >> 33;
    k *= G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

#endif
