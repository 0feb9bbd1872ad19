/*
 * seen.h - what Redis already holds of the window: a bounded table, on the
 * Redis thread only, that lets a flush skip PFADDs, EXPIREs, PFCOUNTs and
 * samples that could not change anything, and caps the nets given host
 * keys per source and bucket.  See seen.c.
 */
#ifndef SF_SEEN_H
#define SF_SEEN_H

#include <glib.h>
#include "aggregate.h"

/* Keys whose EXPIRE was sent in a source's bucket. */
enum { SF_SEEN_K_P = 1, SF_SEEN_K_N = 2, SF_SEEN_K_D = 4, SF_SEEN_K_F = 8,
       SF_SEEN_K_M = 16, SF_SEEN_K_S = 32, SF_SEEN_K_U = 64 };

typedef struct sf_seen sf_seen_t;

/* n_longer: the longer horizons (--horizon) whose buckets get element
 * tables of their own (sf_seen_element_in), at most SF_SEEN_LONGER. */
#define SF_SEEN_LONGER 3
sf_seen_t *sf_seen_new(guint max_nets_per_source, guint n_longer);
void sf_seen_free(sf_seen_t *t);
/* A flush into bucket begins: what an earlier, failed try staged goes. */
void sf_seen_begin_flush(sf_seen_t *t, gint64 bucket);
/* The flush visits src: the questions below are about it until
 * sf_seen_end_source(). */
void sf_seen_begin_source(sf_seen_t *t, const sf_addr_t *src);
void sf_seen_end_source(sf_seen_t *t);
/* Fingerprint of an element of kind (p, n, h, d); a: the net for hosts. */
guint64 sf_seen_fingerprint(char kind, const guint8 *a, gsize alen,
                            const guint8 *b, gsize blen);
/* TRUE: Redis holds the element (this flush need not send it); FALSE:
 * staged, to be remembered once the flush went through. */
gboolean sf_seen_element(sf_seen_t *t, guint64 fp);
/* The same for the bucket hb of longer horizon k (1..n_longer): TRUE when
 * an earlier flush wrote the element into that bucket's keys. */
gboolean sf_seen_element_in(sf_seen_t *t, guint64 fp, guint k, gint64 hb);
/* The visited source added nothing Redis lacks: TRUE when its entry of
 * the bucket exists (it was written in the bucket), and then its flows
 * and last time are staged as held, to go out with its next write,
 * instead of being written now. */
gboolean sf_seen_hold(sf_seen_t *t, guint32 flows, gint64 last_ms);
/* The visited source is written: the flows held from its earlier
 * flushes (0: none; *last_ms their newest time), staged as written. */
guint64 sf_seen_release(sf_seen_t *t, gint64 *last_ms);
/* TRUE: key's (SF_SEEN_K_*) EXPIRE must be sent (and is staged as sent). */
gboolean sf_seen_expire_needed(sf_seen_t *t, guint32 key);
/* TRUE: n's hosts may be written into its h key of this bucket. */
gboolean sf_seen_admit_net(sf_seen_t *t, const sf_agg_net_t *n);
/* The flush went through: what it staged is held by Redis. */
void sf_seen_commit(sf_seen_t *t);
/* Redis may have lost everything (a new connection). */
void sf_seen_forget(sf_seen_t *t);
/* Counters of committed flushes; each only grows. */
void sf_seen_get_stats(const sf_seen_t *t, guint64 *evicted,
                       guint64 *nets_capped);

#endif
