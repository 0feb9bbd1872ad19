/*
 * config.h - the correlator's settings, shared by the modules of
 * correlate/ (the daemon only sees the opaque type of correlator.h).
 *
 * Option values land in the raw fields while GOptionContext parses;
 * sf_correlate_config_finish() turns them into the parsed fields below and
 * rejects bad values with one error naming the option and the value.
 */
#ifndef SF_CONFIG_H
#define SF_CONFIG_H

#include <glib.h>
#include "correlator.h"
#include "cidr.h"
#include "horizon.h"
#include "redisurl.h"

typedef struct sf_tag {
    sf_cidr_t cidr;
    char     *name;
} sf_tag_t;

struct sf_correlate_config {
    /* raw option values */
    char   *redis_url;
    char  **home_net_s;
    char  **allow_s;
    char  **tag_s;
    double  flush_s;
    int     window_s;
    int     suppress_s;         /* 0: the window */
    int     port_threshold;
    int     sweep_threshold;
    int     wide_sweep_threshold;
    char   *distributed_s;      /* --distributed-threshold PORTS:SOURCES */
    int     distributed_ports;  /* parsed; 0: distributed_port_scan off */
    int     distributed_sources;
    char   *channel;
    char   *stream;
    int     stream_maxlen;
    int     stream_shards;      /* alerts spread over STREAM:0..N-1 */
    int     max_sources;
    int     max_elements;
    int     max_nets_per_source;
    int     max_pending_alerts;
    int     probation_slots;
    int     share_after;        /* see sf_correlate_share_after() */
    int     max_redis_sources;  /* new sources shared per window, 0: all */
    int     max_redis_targets;  /* new targets written per bucket, 0: all */
    char   *source_prefix_s;    /* --source-prefix V4LEN,V6LEN */
    char   *clock_s;            /* --clock arrival|flows */
    char  **horizon_s;          /* --horizon S:P:H[:W], repeatable; NULL:
                                   SF_HORIZON_DEFAULTS; "off": none */

    /* parsed by sf_correlate_config_finish() */
    gboolean          finished;
    sf_redis_target_t *redis;
    GArray           *home_nets;    /* sf_cidr_t */
    GArray           *allow;        /* sf_cidr_t */
    GArray           *tags;         /* sf_tag_t */
    int               bucket_s;     /* window / 10, at least 1 */
    int               flush_ms;
    int               source_prefix_v4; /* networks of sources; 0: off */
    int               source_prefix_v6;
    gboolean          clock_flows;  /* --clock flows: "now" is the
                                       newest flow end time seen */
    GArray           *horizons;     /* sf_horizon_t: [0] the base window
                                       (--window and the three thresholds),
                                       then --horizon, by growing seconds */
};

/* --share-after as applied: never above a threshold, so that a source
 * that crosses one is always written. */
guint sf_correlate_share_after(const sf_correlate_config_t *cfg);

#endif
