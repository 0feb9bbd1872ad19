/*
 * window.h - the sliding window in Redis: the per-flush update (phase 1,
 * window.c) and the fan-out records and atomic alert claims (phase 2,
 * fanout.c and claim.c).  The key layout is drawn in keys.c.
 */
#ifndef SF_WINDOW_H
#define SF_WINDOW_H

#include <glib.h>
#include "aggregate.h"
#include "alert.h"
#include "config.h"
#include "pipe.h"

/* Replies are read after every SF_WINDOW_CHUNK commands: a flush of
 * thousands of sources never sits whole in hiredis's output buffer nor its
 * replies in Redis's client output buffer (a client-output-buffer-limit
 * would otherwise close the connection on every retry of the same flush). */
#define SF_WINDOW_CHUNK 2048

/* A source is a member of its network of sources (--source-prefix) with
 * at least this many distinct ports or hosts in the window, none of its
 * counts at a per-source threshold. */
#define SF_WINDOW_NET_MEMBER_MIN 8

/* A source's counts over one longer horizon (--horizon); -1: not asked. */
typedef struct sf_window_hcounts {
    gint64    ports;
    gint64    nets;
    gint64    hosts;
    gint64    top_hosts;        /* most hosts in one of this flush's nets */
    guint8    top_net[8];
    guint8    top_net_len;      /* 0: none */
} sf_window_hcounts_t;

/* What one flush learnt about one source, over the whole window. */
typedef struct sf_window_counts {
    sf_addr_t src;
    gint64    ports;            /* distinct ports; -1: no port this flush */
    gint64    nets;             /* distinct nets; -1: not asked */
    gint64    top_hosts;        /* most hosts in one of this flush's nets */
    gint64    hosts;            /* distinct hosts; -1: not asked */
    gint64    top_before;       /* most hosts in one net of earlier flushes
                                   (sf:{S}:top); -1: not asked */
    guint8    src_prefix;       /* 0: src is a source; else src is the
                                   first address of a network of sources
                                   of this prefix length */
    gint64    members;          /* network: member sources; -1: not asked */
    gint64    claimed;          /* source: its per-source alert claims held
                                   in Redis; -1: not asked */
    guint32   sampling;         /* smallest sampling interval of the
                                   source's evidence in the window, over
                                   all collectors; 0 or 1: unsampled
                                   (networks of sources: always) */
    guint8    top_net[8];
    guint8    top_net_len;      /* 0: none */
    /* horizons 1.. of cfg->horizons (sources only; networks: -1) */
    sf_window_hcounts_t longer[SF_HORIZON_MAX - 1];
} sf_window_counts_t;

/* A threshold crossing to claim.  won: this collector holds the alert
 * (the claim script gave it) and facts are filled; horizon: the index in
 * cfg->horizons of the shortest horizon that crossed; count: the count
 * that crossed (ports, hosts of the top net, or hosts), which the claim
 * compares with the last alert's (escalation). */
typedef struct sf_window_claim {
    guint            counts_index;
    sf_alert_kind_t  kind;
    guint            horizon;
    gint64           count;
    gboolean         won;
    sf_alert_facts_t facts;
} sf_window_claim_t;

typedef struct sf_window sf_window_t;

sf_window_t *sf_window_new(const sf_correlate_config_t *cfg,
                           const char *collector);
void sf_window_free(sf_window_t *w);
/* Whether src holds a per-source alert of this collector's memory (won
 * or lost claim): such a source is no member of its network of sources,
 * even when its counts (lost with a failed Redis master, say) read below
 * the thresholds again. */
typedef gboolean (*sf_window_alerted_fn)(const sf_addr_t *src, void *user);
void sf_window_set_alerted(sf_window_t *w, sf_window_alerted_fn fn,
                           void *user);
/* Phase 1: writes agg into the window and reads back the counts of every
 * source in it (appended to counts, an array of sf_window_counts_t). */
gboolean sf_window_update(sf_window_t *w, sf_pipe_t *p, sf_agg_t *agg,
                          GArray *counts, GError **err);
/* Between the rules and the claims: drops the network claims (src_prefix)
 * whose listed members mostly hold per-source alert claims of their own:
 * scanners of one /24 alerted each on its own, which were members while
 * their counts were still low, are not a network scan. */
gboolean sf_window_vet_networks(sf_window_t *w, sf_pipe_t *p,
                                const GArray *counts, GArray *claims,
                                GError **err);
/* Phase 2: records fan-out for `scanflow top`, then claims each crossing
 * (SET NX EX on the dedup key) and reads the alert's facts. */
gboolean sf_window_claim(sf_window_t *w, sf_pipe_t *p, gint64 now_ms,
                         const GArray *counts, GArray *claims, GError **err);
/* Remembers what this flush wrote (staged by sf_window_update) as held by
 * Redis: call once the whole flush (update and claims) went through. */
void sf_window_commit(sf_window_t *w);
/* Forgets what Redis holds: on reconnect (Redis may have restarted). */
void sf_window_forget(sf_window_t *w);
/* Counters of committed flushes; each only grows. */
typedef struct sf_window_stats {
    guint64 seen_evicted;   /* sources and elements of the current bucket
                               pushed out of the bounded "seen" tables */
    guint64 nets_capped;    /* nets (once per flush) whose hosts were not
                               written: the source had its
                               --max-nets-per-source nets with h keys in
                               the bucket already */
} sf_window_stats_t;
void sf_window_get_stats(const sf_window_t *w, sf_window_stats_t *out);
/* The counts' part of the network-member rule (SF_WINDOW_NET_MEMBER_MIN
 * distinct ports or hosts, none at a per-source threshold): shared with
 * scanflow hunt (local.c), which adds its own "no alert of its own". */
gboolean sf_window_member_counts(const sf_correlate_config_t *cfg,
                                 const sf_window_counts_t *c);

#endif
