/*
 * connection.c - the Redis thread's connection: one hiredis context, or on
 * Redis Cluster (redis+cluster://) the slot map and a context per master
 * (rcluster.c).  When Redis is unreachable or fails mid-batch the
 * connection is dropped and retried with exponential backoff (100 ms to
 * 5 s); the outage is logged once, and so is the recovery.  A dropped
 * connection also forgets what the window knew Redis holds: Redis may come
 * back empty.
 */
#include "correlator-int.h"

#define REDIS_TIMEOUT_MS 2000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
/* How long a batch on Redis Cluster keeps retrying the commands of a failed
 * master: cluster-node-timeout (15 s by default) plus the election. */
#define CLUSTER_RETRY_MS 20000

/* One context, or on Redis Cluster the slot map and a context per master. */
static gboolean connect_redis(sf_correlator_t *c, GError **err)
{
    if (sf_redis_target_is_cluster(c->cfg->redis))
        c->cluster = sf_rcluster_connect(c->cfg->redis, REDIS_TIMEOUT_MS,
                                         CLUSTER_RETRY_MS, err);
    else
        c->rc = sf_redis_target_connect(c->cfg->redis, REDIS_TIMEOUT_MS, err);
    return c->rc != NULL || c->cluster != NULL;
}

void sf_cor_begin_batch(void *correlator)
{
    sf_correlator_t *c = correlator;

    if (c->cluster)
        sf_pipe_begin_cluster(c->pipe, c->cluster);
    else
        sf_pipe_begin(c->pipe, c->rc);
}

gboolean sf_cor_ensure_connected(sf_correlator_t *c, gboolean force)
{
    g_autoptr(GError) err = NULL;
    gint64 now = g_get_monotonic_time();
    const char *where = sf_redis_target_describe(c->cfg->redis);

    if (c->rc || c->cluster)
        return TRUE;
    if (!force && now < c->retry_at)
        return FALSE;
    if (!connect_redis(c, &err)) {
        c->backoff_ms = c->backoff_ms ? MIN(c->backoff_ms * 2, BACKOFF_MAX_MS)
                                      : BACKOFF_MIN_MS;
        c->retry_at = now + (gint64)c->backoff_ms * 1000;
        if (!c->outage_logged)
            g_warning("redis unreachable (%s); retrying with backoff",
                      err->message);
        c->outage_logged = TRUE;
        return FALSE;
    }
    if (c->outage_logged)
        g_message("redis %s: connected again", where);
    c->outage_logged = FALSE;
    c->backoff_ms = 0;
    return TRUE;
}

void sf_cor_drop_connection(sf_correlator_t *c, const GError *err)
{
    if (!c->outage_logged)
        g_warning("redis %s: %s; reconnecting with backoff",
                  sf_redis_target_describe(c->cfg->redis),
                  err ? err->message : "error");
    c->outage_logged = TRUE;
    redisFree(c->rc);
    c->rc = NULL;
    if (c->cluster) {
        sf_rcluster_stats_t cs;
        sf_rcluster_get_stats(c->cluster, &cs);
        c->cluster_past.moved += cs.moved;
        c->cluster_past.ask += cs.ask;
        c->cluster_past.map_loads += cs.map_loads;
        c->cluster_past.retries += cs.retries;
    }
    sf_rcluster_free(c->cluster);
    c->cluster = NULL;
    sf_pipe_forget_scripts(c->pipe);
    sf_window_forget(c->window);        /* Redis may come back empty */
    sf_targets_known_forget(c->targets_known);
    c->backoff_ms = BACKOFF_MIN_MS;
    c->retry_at = g_get_monotonic_time() + BACKOFF_MIN_MS * 1000;
    sf_cor_count(c, &c->st.redis_errors, 1);
}
