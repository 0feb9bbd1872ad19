/*
 * correlator.h - the scan correlator and notifier: the public face of
 * correlate/.
 *
 * The daemon adds sf_correlate_option_group() to its option context, calls
 * sf_correlate_config_finish() after parsing, creates one correlator and,
 * per receive thread, a feed: sf_correlator_feed_flow() is the sink of
 * that thread's decoded flows.  The sink runs on the receive thread and
 * only files evidence into a local aggregate; a thread of the
 * correlator's own does all Redis I/O (see correlator.c and
 * README-design.md for why).
 */
#ifndef SF_CORRELATOR_H
#define SF_CORRELATOR_H

#include <glib.h>
#include "flow.h"

#define SF_CORRELATE_ERROR (sf_correlate_error_quark())
GQuark sf_correlate_error_quark(void);
typedef enum {
    SF_CORRELATE_ERROR_CONFIG,      /* bad option value */
    SF_CORRELATE_ERROR_REDIS,       /* connection or protocol failure */
} sf_correlate_error_t;

typedef struct sf_correlate_config sf_correlate_config_t;
sf_correlate_config_t *sf_correlate_config_new(void);
void sf_correlate_config_free(sf_correlate_config_t *cfg);
/* The group fills cfg while the context parses; cfg must outlive it. */
GOptionGroup *sf_correlate_option_group(sf_correlate_config_t *cfg);
/* The same entries (NULL-terminated, g_free the array) for callers that
 * map them elsewhere: the daemon's config file keys, --check-config. */
GOptionEntry *sf_correlate_option_entries(sf_correlate_config_t *cfg);
gboolean sf_correlate_config_finish(sf_correlate_config_t *cfg, GError **err);

typedef struct sf_correlator sf_correlator_t;
/* Never fails because Redis is unreachable: the Redis thread keeps
 * reconnecting with backoff while the sink keeps aggregating. */
sf_correlator_t *sf_correlator_new(const sf_correlate_config_t *cfg,
                                   const char *collector_name, GError **err);
/* One receive thread's way in: evidence flows are staged (up to 64) and
 * filed under one lock per batch; a NULL flow (sf_decoder_batch_end)
 * files what is staged.  Free a feed, which files the rest, before its
 * correlator. */
typedef struct sf_correlator_feed sf_correlator_feed_t;
sf_correlator_feed_t *sf_correlator_feed_new(sf_correlator_t *c);
void sf_correlator_feed_free(sf_correlator_feed_t *f);
/* An sf_flow_sink_fn; feed is an sf_correlator_feed_t. */
void sf_correlator_feed_flow(const sf_flow_t *flow, void *feed);
void sf_correlator_free(sf_correlator_t *c);
/* For SIGHUP: takes the allow-list, tags, home networks and thresholds of
 * cfg (a finished config, which the caller may free afterwards); state in
 * Redis and in memory is kept.  Waits for a flush in progress. */
void sf_correlator_reload(sf_correlator_t *c, const sf_correlate_config_t *cfg);

/* Counters, for logs, tests and benchmarks.  A snapshot; each field only
 * grows. */
typedef struct sf_correlator_stats {
    guint64 flows;              /* records offered to the sink */
    guint64 evidence;           /* ... of which probes, inbound */
    guint64 evicted_sources;    /* local aggregate: sources pushed out */
    guint64 dropped_elements;   /* local aggregate: pool or per-source cap */
    guint64 dropped_targets;    /* many-to-one triples: no room locally */
    guint64 refused_targets;    /* scanned hosts not written: budget */
    guint64 flushes;            /* aggregates written to Redis */
    guint64 redis_commands;     /* commands sent (all phases) */
    guint64 redis_bytes;        /* request bytes sent */
    guint64 redis_errors;       /* connection losses */
    guint64 alerts;             /* alerts this collector won and queued */
    guint64 alerts_published;   /* PUBLISH + XADD done */
    guint64 alerts_dropped;     /* pending queue full */
    guint64 allowed;            /* threshold crossings of --allow sources */
    guint64 probation_held;     /* sources of a flush held back, below
                                   --share-after (not written yet) */
    guint64 probation_promoted; /* sources that reached it: now written */
    guint64 probation_forgotten; /* held entries pushed out (counted loss) */
    guint64 probation_refused;  /* ... reached it with the bucket's
                                   --max-redis-sources budget spent */
    guint64 seen_evicted;       /* Redis thread's "seen" tables: sources
                                   and elements of the current bucket
                                   pushed out */
    guint64 nets_capped;        /* nets (once per flush) whose hosts got no
                                   h key: the source had
                                   --max-nets-per-source of them in the
                                   bucket */
    guint64 cluster_moved;      /* Redis Cluster: MOVED followed */
    guint64 cluster_ask;        /* ... ASK followed */
    guint64 cluster_map_loads;  /* ... slot map loads */
    guint64 cluster_retries;    /* ... batch rounds retried after errors */
    guint64 alerts_port_scan;   /* alerts, by kind */
    guint64 alerts_host_sweep;
    guint64 alerts_wide_sweep;
    guint64 alerts_net_port_scan;
    guint64 alerts_net_host_sweep;
    guint64 alerts_distributed_port_scan;
    guint64 sources;            /* sources in the last flush (a gauge) */
    guint64 flush_us;           /* time spent in flushes' Redis round trips */
} sf_correlator_stats_t;
void sf_correlator_get_stats(sf_correlator_t *c, sf_correlator_stats_t *out);

#endif
