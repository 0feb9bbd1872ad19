/*
 * horizon.h - the time horizons of detection: windows of several lengths
 * looked at together (300 s, one hour, one day by default), each with its
 * own thresholds, and how each cuts time into buckets.
 *
 * Horizon 0 is the base window (--window with --port-threshold,
 * --sweep-threshold and --wide-sweep-threshold); --horizon adds longer ones.
 * scanflowd (Redis) and scanflow hunt (in process) both cut time with
 * sf_horizon_bucket(), so that they count the same buckets.
 */
#ifndef SF_HORIZON_H
#define SF_HORIZON_H

#include <glib.h>

/* Buckets per horizon: a horizon's count is the union of its current
 * bucket and the n_back (about SF_HORIZON_BUCKETS) before it: it covers
 * between seconds and seconds + one bucket. */
#define SF_HORIZON_BUCKETS 10
/* Longest horizon accepted, in seconds (seven days). */
#define SF_HORIZON_MAX_S (7 * 86400)
/* Most horizons, the base one included. */
#define SF_HORIZON_MAX 4

typedef struct sf_horizon {
    gint32 seconds;     /* length of the window */
    gint32 ports;       /* port_scan: distinct ports of one source */
    gint32 hosts;       /* host_sweep: distinct hosts in one /24 (/64) */
    gint32 wide;        /* wide_sweep: distinct hosts over several nets */
    gint32 bucket_s;    /* bucket length: seconds / SF_HORIZON_BUCKETS,
                           rounded down, at least 1 */
    gint32 n_back;      /* buckets counted before the current one:
                           seconds / bucket_s rounded up (10 or 11;
                           up to 19 below 20 s) */
} sf_horizon_t;

/* The defaults of --horizon (README, "Long horizons"). */
#define SF_HORIZON_DEFAULTS "3600:64:48:96", "86400:128:96:192"

/* Fills h from its fields; bucket_s derived. */
void sf_horizon_init(sf_horizon_t *h, gint32 seconds, gint32 ports,
                     gint32 hosts, gint32 wide);
/* Parses "SECONDS:PORTS:HOSTS[:WIDE]" (WIDE default 2 * HOSTS); seconds
 * 10 to SF_HORIZON_MAX_S, thresholds 2 to 65536 (WIDE up to 2^24).  The
 * error names the text and what is wrong. */
gboolean sf_horizon_parse(const char *text, sf_horizon_t *out, GError **err);
/* Checks a list (base first): sorted by strictly growing seconds, at most
 * SF_HORIZON_MAX. */
gboolean sf_horizon_check_list(const GArray *horizons, GError **err);

/* The bucket of time t_ms (ms since the epoch; the flows' or the
 * collector's clock): floor(t_ms / (bucket_s * 1000)). */
gint64 sf_horizon_bucket(const sf_horizon_t *h, gint64 t_ms);
/* The oldest bucket counted when bucket is the current one. */
gint64 sf_horizon_first_bucket(const sf_horizon_t *h, gint64 bucket);
/* Whether a bucket (of h) still counts at time now_ms. */
gboolean sf_horizon_bucket_live(const sf_horizon_t *h, gint64 bucket,
                                gint64 now_ms);
/* Seconds a key of one bucket must live: the horizon plus two buckets. */
gint64 sf_horizon_ttl(const sf_horizon_t *h);

#endif
