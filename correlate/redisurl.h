/*
 * redisurl.h - where Redis is and how to log in: the --redis URL.
 *
 *   redis://[user:password@]host[:port][/db]     TCP (port 6379, db 0)
 *   redis://[user:password@][v6addr]:port/db     IPv6 literal
 *   unix:///path/to/socket[?db=N]                Unix socket
 *   redis+cluster://[user:password@]host:port[,host:port...]
 *                                                Redis Cluster: seed nodes
 *                                                (db 0 only), see rcluster.h
 *
 * A password missing from the URL is taken from SCANFLOW_REDIS_PASSWORD.
 * The password is kept only in this object: sf_redis_target_describe()
 * gives the form for logs, which never contains it.  hiredis 0.14 has no
 * TLS; run over a TLS tunnel (stunnel, spiped) to a local port.
 */
#ifndef SF_REDISURL_H
#define SF_REDISURL_H

#include <glib.h>
#include <hiredis/hiredis.h>

typedef struct sf_redis_target sf_redis_target_t;

sf_redis_target_t *sf_redis_target_parse(const char *url, GError **err);
void sf_redis_target_free(sf_redis_target_t *t);
const char *sf_redis_target_describe(const sf_redis_target_t *t);
/* A blocking context with connect and command timeouts, logged in and on
 * the right database; NULL and err on failure. */
redisContext *sf_redis_target_connect(const sf_redis_target_t *t,
                                      int timeout_ms, GError **err);

/* Redis Cluster: the seed nodes of a redis+cluster:// URL (none for other
 * URLs), and a context to one node, logged in with t's credentials.
 * sf_redis_target_connect() on a cluster target gives the first seed that
 * answers (enough for SUBSCRIBE: PUBLISH reaches every node). */
gboolean sf_redis_target_is_cluster(const sf_redis_target_t *t);
guint sf_redis_target_n_seeds(const sf_redis_target_t *t);
const char *sf_redis_target_seed(const sf_redis_target_t *t, guint i,
                                 int *port);
redisContext *sf_redis_target_connect_node(const sf_redis_target_t *t,
                                           const char *host, int port,
                                           int timeout_ms, GError **err);

#endif
