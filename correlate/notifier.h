/*
 * notifier.h - the notifier: the queue of alerts this collector won, sent
 * to Redis as PUBLISH on the alert channel and XADD MAXLEN ~ on the alert
 * stream (or one of its --stream-shards).
 *
 * The correlator's Redis thread alone calls it.  The queue is bounded
 * (--max-pending-alerts): beyond it new alerts are dropped and counted.
 * Publishing is at-least-once: an alert leaves the queue only once Redis
 * replied to both commands, so a connection lost in between republishes it
 * on reconnect.
 */
#ifndef SF_NOTIFIER_H
#define SF_NOTIFIER_H

#include <glib.h>
#include "alert.h"
#include "config.h"
#include "pipe.h"

typedef struct sf_notifier sf_notifier_t;

sf_notifier_t *sf_notifier_new(const sf_correlate_config_t *cfg,
                               const char *collector);
/* Warns about alerts left unpublished. */
void sf_notifier_free(sf_notifier_t *n);
/* Queues the alert's JSON text (sf_alert_to_json; tags NULL-terminated),
 * or drops it when the queue is full (warned once until the queue empties
 * again). */
void sf_notifier_enqueue(sf_notifier_t *n, const sf_alert_facts_t *f,
                         const char *const *tags, gint64 now_ms);
/* Starts a batch on the pipe: the caller's connection, one or a cluster. */
typedef void (*sf_notifier_begin_fn)(void *user);
/* Sends the queue, PUBLISH_BATCH alerts per batch, each batch begun with
 * begin(user); FALSE and err when the connection failed (what was not
 * replied to stays queued). */
gboolean sf_notifier_publish(sf_notifier_t *n, sf_pipe_t *p,
                             sf_notifier_begin_fn begin, void *user,
                             GError **err);

/* Counters; each only grows. */
typedef struct sf_notifier_stats {
    guint64 queued;             /* alerts queued */
    guint64 published;          /* PUBLISH + XADD done */
    guint64 dropped;            /* queue full */
    guint64 port_scan;          /* queued, by kind */
    guint64 host_sweep;
    guint64 wide_sweep;
    guint64 net_port_scan;
    guint64 net_host_sweep;
    guint64 distributed_port_scan;
} sf_notifier_stats_t;
/* Any thread. */
void sf_notifier_get_stats(sf_notifier_t *n, sf_notifier_stats_t *out);

#endif
