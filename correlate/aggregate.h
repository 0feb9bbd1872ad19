/*
 * aggregate.h - one flush interval of evidence, collected on the receive
 * thread.
 *
 * For every source: the distinct destination ports, destination nets
 * (IPv4 /24, IPv6 /64), hosts inside each net and destination addresses
 * seen since the last flush, its flow count, flow times and exporters.
 * Everything lives in tables sized once by sf_agg_new(): adding a flow
 * never allocates, and the caps are counted, not silently applied.  The
 * correlator keeps two aggregates and swaps them under a brief lock: the
 * receive thread fills one while the Redis thread drains the other.
 */
#ifndef SF_AGGREGATE_H
#define SF_AGGREGATE_H

#include <glib.h>
#include "flow.h"

#define SF_AGG_MAX_EXPORTERS 4

typedef struct sf_agg sf_agg_t;

typedef struct sf_agg_net {
    guint8        net[8];       /* IPv4: 3 bytes of the /24; IPv6: the /64 */
    guint8        net_len;      /* 3 or 8 */
    guint8        host_len;     /* 1 or 8 */
    const guint8 *hosts;        /* n_hosts * host_len bytes */
    guint         n_hosts;
} sf_agg_net_t;

typedef struct sf_agg_source {
    sf_addr_t           src;
    guint32             flows;
    gint64              first_ms;   /* flow start (arrival if unknown) */
    gint64              last_ms;    /* flow end (arrival if unknown) */
    guint32             sampling;   /* smallest sampling interval of its
                                       flows; 1: unsampled or unknown */
    const sf_addr_t    *exporters;
    guint               n_exporters;
    const guint16      *ports;
    guint               n_ports;
    const sf_agg_net_t *nets;       /* nets whose hosts are tracked first */
    guint               n_nets;
    guint               n_nets_tracked; /* nets[0..n) carry hosts */
    const sf_addr_t    *addrs;      /* distinct destinations */
    guint               n_addrs;
} sf_agg_source_t;

typedef void (*sf_agg_visit_fn)(const sf_agg_source_t *s, void *user);

/* TRUE: take the source out of this aggregate (and out of later walks). */
typedef gboolean (*sf_agg_filter_fn)(const sf_agg_source_t *s, void *user);
typedef void (*sf_agg_hint_fn)(const sf_addr_t *src, void *user);

sf_agg_t *sf_agg_new(guint max_sources, guint max_elements,
                     guint max_nets_per_source);
void sf_agg_free(sf_agg_t *a);
/* Files one evidence flow; with_port adds its destination port. */
void sf_agg_add(sf_agg_t *a, const sf_flow_t *f, gboolean with_port);
/* Files n (at most SF_AGG_BATCH) evidence flows, as sf_agg_add would one
 * by one, asking for the memory each will touch before filing any. */
#define SF_AGG_BATCH 64
void sf_agg_add_batch(sf_agg_t *a, const sf_flow_t *flows,
                      const gboolean *with_port, guint n);
gboolean sf_agg_is_empty(const sf_agg_t *a);
guint sf_agg_source_count(const sf_agg_t *a);
/* Latest arrival_ms filed: the flush's place in the window. */
gint64 sf_agg_last_arrival(const sf_agg_t *a);
/* Calls fn once per source; views are valid only during the call. */
void sf_agg_walk(sf_agg_t *a, sf_agg_visit_fn fn, void *user);
/* Calls fn once per source, with the same view as a walk (not during a
 * walk); sources it returns TRUE for are left out of later walks.  hint,
 * when not NULL, is called with each source's address (in order, for
 * every source, taken out or not) 8 sources before fn is, so that fn's
 * own lookup of it can be prefetched. */
void sf_agg_filter(sf_agg_t *a, sf_agg_filter_fn fn, sf_agg_hint_fn hint,
                   void *user);
void sf_agg_reset(sf_agg_t *a);
/* Adds the eviction and drop counters to *evicted and *dropped and zeroes
 * them. */
void sf_agg_take_counters(sf_agg_t *a, guint64 *evicted, guint64 *dropped);

#endif
