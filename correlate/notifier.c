/*
 * notifier.c - the queue of won alerts and its delivery: PUBLISH on the
 * alert channel for live watchers, XADD MAXLEN ~ on the alert stream for
 * consumers that must not lose any.  With --stream-shards N > 1 an alert
 * goes to STREAM:i, i = a hash of its text mod N (the same when it is sent
 * again).
 */
#include "notifier.h"

#define PUBLISH_BATCH 64

struct sf_notifier {
    const sf_correlate_config_t *cfg;
    char        *collector;
    GQueue      *pending;       /* alert JSON texts */
    gboolean     drop_logged;   /* overflow warned since the queue emptied */
    GMutex       lock;          /* st */
    sf_notifier_stats_t st;
};

sf_notifier_t *sf_notifier_new(const sf_correlate_config_t *cfg,
                               const char *collector)
{
    sf_notifier_t *n = g_new0(sf_notifier_t, 1);

    n->cfg = cfg;
    n->collector = g_strdup(collector);
    n->pending = g_queue_new();
    g_mutex_init(&n->lock);
    return n;
}

void sf_notifier_free(sf_notifier_t *n)
{
    if (n == NULL)
        return;
    if (!g_queue_is_empty(n->pending))
        g_warning("%u alerts not published: redis unreachable at exit",
                  g_queue_get_length(n->pending));
    g_queue_free_full(n->pending, g_free);
    g_mutex_clear(&n->lock);
    g_free(n->collector);
    g_free(n);
}

static void count(sf_notifier_t *n, guint64 *field, guint64 v)
{
    g_mutex_lock(&n->lock);
    *field += v;
    g_mutex_unlock(&n->lock);
}

void sf_notifier_enqueue(sf_notifier_t *n, const sf_alert_facts_t *f,
                         const char *const *tags, gint64 now_ms)
{
    if (g_queue_get_length(n->pending) >= (guint)n->cfg->max_pending_alerts) {
        count(n, &n->st.dropped, 1);
        if (!n->drop_logged)
            g_warning("%d alerts wait for redis: dropping new alerts until "
                      "they are published (counted in alerts_dropped)",
                      n->cfg->max_pending_alerts);
        n->drop_logged = TRUE;
        return;
    }
    g_queue_push_tail(n->pending,
                      sf_alert_to_json(f, n->collector, tags, now_ms));
    count(n, &n->st.queued, 1);
    count(n, f->kind == SF_ALERT_PORT_SCAN ? &n->st.port_scan
             : f->kind == SF_ALERT_WIDE_SWEEP ? &n->st.wide_sweep
             : f->kind == SF_ALERT_NET_PORT_SCAN ? &n->st.net_port_scan
             : f->kind == SF_ALERT_NET_HOST_SWEEP ? &n->st.net_host_sweep
             : f->kind == SF_ALERT_DISTRIBUTED_PORT_SCAN
                 ? &n->st.distributed_port_scan
             : &n->st.host_sweep, 1);
}

/* The stream an alert goes to: STREAM:i with shards, NULL for STREAM. */
static char *stream_shard(const sf_notifier_t *n, const char *json)
{
    if (n->cfg->stream_shards <= 1)
        return NULL;
    return g_strdup_printf("%s:%u", n->cfg->stream,
                           g_str_hash(json) % (guint)n->cfg->stream_shards);
}

static void send_alert(sf_notifier_t *n, sf_pipe_t *p, const char *json,
                       const char *maxlen)
{
    g_autofree char *shard = stream_shard(n, json);

    sf_pipe_cmd(p, "PUBLISH");
    sf_pipe_str(p, n->cfg->channel);
    sf_pipe_str(p, json);
    sf_pipe_end(p);
    sf_pipe_cmd(p, "XADD");
    sf_pipe_str(p, shard ? shard : n->cfg->stream);
    sf_pipe_str(p, "MAXLEN");
    sf_pipe_str(p, "~");
    sf_pipe_str(p, maxlen);
    sf_pipe_str(p, "*");
    sf_pipe_str(p, "alert");
    sf_pipe_str(p, json);
    sf_pipe_end(p);
}

gboolean sf_notifier_publish(sf_notifier_t *n, sf_pipe_t *p,
                             sf_notifier_begin_fn begin, void *user,
                             GError **err)
{
    char maxlen[24];

    g_snprintf(maxlen, sizeof maxlen, "%d", n->cfg->stream_maxlen);
    while (!g_queue_is_empty(n->pending)) {
        guint k = MIN(g_queue_get_length(n->pending), PUBLISH_BATCH);

        begin(user);
        for (guint i = 0; i < k; i++)
            send_alert(n, p, g_queue_peek_nth(n->pending, i), maxlen);
        if (!sf_pipe_drain(p, err))
            return FALSE;
        for (guint i = 0; i < k; i++)
            g_free(g_queue_pop_head(n->pending));
        count(n, &n->st.published, k);
    }
    n->drop_logged = FALSE;
    return TRUE;
}

void sf_notifier_get_stats(sf_notifier_t *n, sf_notifier_stats_t *out)
{
    g_mutex_lock(&n->lock);
    *out = n->st;
    g_mutex_unlock(&n->lock);
}
