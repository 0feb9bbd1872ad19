/*
 * correlator-int.h - the correlator's state, shared by the files that
 * make it up (not part of correlate/'s interface: see correlator.h):
 *
 *   correlator.c   life cycle, counters, SIGHUP reload
 *   feed.c         the receive threads' way in: evidence into the
 *                  active local aggregate
 *   connection.c   the Redis thread's connection: one context or a
 *                  cluster, backoff
 *   rules.c        thresholds, --allow, --tag and the memory of alerts
 *                  already raised; hands won alerts to the notifier
 *   flush.c        the Redis thread: swap, write (window.c), claim,
 *                  publish (notifier.c)
 */
#ifndef SF_CORRELATOR_INT_H
#define SF_CORRELATOR_INT_H

#include "correlator.h"
#include "aggregate.h"
#include "alert.h"
#include "config.h"
#include "notifier.h"
#include "pipe.h"
#include "probation.h"
#include "sampling.h"
#include "targets.h"
#include "window.h"

/* What SIGHUP may change (sf_correlator_reload): a private copy, swapped
 * under agg_lock (the receive thread reads home) and rules_lock (the Redis
 * thread holds it through a flush). */
typedef struct sf_rules {
    GArray *home;               /* sf_cidr_t */
    GArray *home_words;         /* sf_cidr_words_t of home, for the feed */
    GArray *allow;              /* sf_cidr_t */
    GArray *tags;               /* sf_tag_t, names owned */
    int     port_threshold;
    int     sweep_threshold;
    int     wide_sweep_threshold;
    /* cfg->horizons: [0] the thresholds above, then the longer ones (the
     * window's horizons are the start's: a reload takes thresholds only) */
    sf_horizon_t hz[SF_HORIZON_MAX];
    guint   n_hz;
    /* k_min per sampling interval (sampling.h); Redis thread only */
    sf_sampling_cache_t port_kmin, sweep_kmin;
} sf_rules_t;

struct sf_correlator {
    const sf_correlate_config_t *cfg;
    sf_rules_t      *rules;
    GMutex           rules_lock;
    char            *name;

    /* shared with the receive thread */
    GMutex           agg_lock;
    sf_agg_t        *active;
    sf_targets_t    *targets;           /* many-to-one: active set */
    guint64          flows;             /* atomic */
    guint64          evidence;          /* under agg_lock */
    gint64           flow_now_ms;       /* atomic; --clock flows: the
                                           newest flow end time seen */

    /* Redis thread */
    GThread         *thread;
    GMutex           state_lock;
    GCond            cond;
    gboolean         stop;
    /* --clock flows: a receive thread whose flows reach a new time bucket
     * asks for a flush first (flush_now) and waits for the swap (swaps
     * grows, swapped is signalled); all under state_lock */
    gboolean         flush_now;
    guint64          swaps;
    GCond            swapped;
    sf_agg_t        *spare;
    sf_targets_t    *targets_spare;
    GArray          *crossings;         /* sf_target_crossing_t */
    sf_targets_known_t *targets_known;  /* Redis thread */
    gboolean         spare_pending;
    redisContext    *rc;
    sf_rcluster_t   *cluster;           /* instead of rc on Redis Cluster */
    sf_rcluster_stats_t cluster_past;   /* counters of earlier connections */
    gint64           retry_at;          /* monotonic us */
    gint             backoff_ms;
    gboolean         outage_logged;
    sf_pipe_t       *pipe;
    sf_window_t     *window;
    sf_probation_t  *probation;         /* Redis thread */
    GArray          *counts;
    GArray          *claims;
    sf_notifier_t   *notifier;
    GHashTable      *alerted;           /* "src|kind" -> sf_alerted_t */
    gint             rules_changed;     /* atomic: the seen table must go */
    gint             rules_gen;         /* atomic, written under agg_lock:
                                           reloads so far (feeds retake
                                           --home-net when it moves) */
    sf_correlator_stats_t st;           /* Redis-thread fields, state_lock */
};

/* Adds n to a Redis-thread counter of st (under state_lock). */
void sf_cor_count(sf_correlator_t *c, guint64 *field, guint64 n);

/* rules.c */
sf_rules_t *sf_rules_new(const sf_correlate_config_t *cfg);
void sf_rules_free(sf_rules_t *r);
/* The kinds whose thresholds the counts w cross (sampled evidence: at
 * k_min, sampling.h); a network of sources (w->src_prefix) needs
 * NET_MIN_MEMBERS members.  The daemon and `scanflow hunt` (local.c)
 * both judge with it. */
void sf_rules_judge(sf_rules_t *r, const sf_window_counts_t *w,
                    gboolean crossed[SF_ALERT_N_KINDS]);
/* The count of kind that crossed in w (ports, hosts in the top net, or
 * hosts): what the memory of alerts keeps, to see fourfold growth. */
gint64 sf_rules_count(const sf_window_counts_t *w, sf_alert_kind_t kind);
/* What the rules add to an alert's facts: window, threshold, estimates of
 * sampled counts, and the --tag names of its src into tags (NULL-ended;
 * the names are r's); returns how many. */
guint sf_rules_complete(const sf_rules_t *r, const sf_correlate_config_t *cfg,
                        sf_alert_facts_t *f, const char *tags[16]);
/* Fills c->claims with the crossings of c->counts still to claim. */
void sf_cor_find_crossings(sf_correlator_t *c, gint64 now_ms);
/* sf_window_alerted_fn: src holds a per-source alert in the memory of
 * alerts (port_scan, host_sweep, wide_sweep). */
gboolean sf_cor_source_alerted(const sf_addr_t *src, void *correlator);
/* The correlator's clock (ms since the epoch): the wall clock, or with
 * --clock flows the newest flow end time seen (the wall clock before the
 * first flow). */
gint64 sf_cor_now_ms(sf_correlator_t *c);
/* What claims taught: each claimed crossing is remembered, won ones are
 * queued as alerts; the claims' facts are cleared. */
void sf_cor_take_claims(sf_correlator_t *c, gint64 now_ms);
/* The won distributed_port_scan claims of c->crossings become alerts; the
 * crossings are cleared. */
void sf_cor_take_target_crossings(sf_correlator_t *c, gint64 now_ms);

/* connection.c */
/* TRUE: connected (force: now, whatever the backoff says). */
gboolean sf_cor_ensure_connected(sf_correlator_t *c, gboolean force);
void sf_cor_drop_connection(sf_correlator_t *c, const GError *err);
/* Begins a batch of c->pipe on the connection (an sf_notifier_begin_fn). */
void sf_cor_begin_batch(void *correlator);

/* flush.c: the Redis thread's body. */
gpointer sf_cor_redis_main(gpointer correlator);

#endif
