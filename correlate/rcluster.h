/*
 * rcluster.h - Redis Cluster over hiredis 0.14: key slots, the slot map,
 * one blocking context per master, and pipelined batches routed by slot.
 *
 * hiredis 0.14 has no cluster support and Debian 12 packages no
 * cluster-aware C client (no hiredis-cluster, hiredis-vip or libvalkey),
 * so this is the small part of one that scanflow needs:
 * a batch of commands is appended in the caller's order, split by slot into
 * one pipeline per master (written in one go per node), and the replies
 * come back in the caller's order.  MOVED and ASK redirections, CLUSTERDOWN
 * and TRYAGAIN, and broken connections (a master killed, its replica being
 * promoted) are retried inside the batch, for the failed commands only,
 * with the slot map refreshed, for at most retry_ms; after that the batch
 * fails and the caller reconnects as it does for a single Redis.
 */
#ifndef SF_RCLUSTER_H
#define SF_RCLUSTER_H

#include <glib.h>
#include <hiredis/hiredis.h>
#include "redisurl.h"

#define SF_RCLUSTER_SLOTS 16384

typedef struct sf_rcluster sf_rcluster_t;

/* CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as the Redis
 * Cluster specification uses for key slots. */
guint16 sf_rcluster_crc16(const void *data, gsize len);
/* The slot of a key: CRC16 of the key, or of the first non-empty {...}
 * hash tag in it, modulo 16384. */
guint sf_rcluster_key_slot(const void *key, gsize len);
/* The key a command is routed by: argv[1] for keyed commands (every command
 * scanflow sends has its key, or first key, there), argv[2] for PFDEBUG,
 * the first key of EVAL/EVALSHA/FCALL; FALSE for commands without keys (PUBLISH is broadcast
 * over the cluster bus, so any node will do). */
gboolean sf_rcluster_command_key(int argc, const char **argv,
                                 const size_t *lens, const char **key,
                                 size_t *key_len);

/* Connects to the first seed of t that answers and loads the slot map.
 * timeout_ms bounds each connect and command; retry_ms bounds how long a
 * batch keeps retrying redirected or failed commands. */
sf_rcluster_t *sf_rcluster_connect(const sf_redis_target_t *t, int timeout_ms,
                                   int retry_ms, GError **err);
void sf_rcluster_free(sf_rcluster_t *c);

/* A batch: begin, append commands, then take the replies in order.  What
 * was appended is sent when the next reply is asked for; appending more
 * after taking some replies is allowed (the caller reads in chunks), as
 * on a single context.  Returns the bytes of the formatted command. */
void sf_rcluster_begin(sf_rcluster_t *c);
gsize sf_rcluster_append(sf_rcluster_t *c, int argc, const char **argv,
                         const size_t *lens);
/* The next reply in append order (free with freeReplyObject); NULL and err
 * when the batch could not be completed within retry_ms. */
redisReply *sf_rcluster_reply(sf_rcluster_t *c, GError **err);

/* Registers Lua script id (below 64) for EVALSHA: before a command goes to
 * a node whose connection has not loaded it yet, "SCRIPT LOAD body" goes
 * first (its reply is dropped); a NOSCRIPT reply (a flushed script cache)
 * loads it again and retries the command in the next round. */
void sf_rcluster_script(sf_rcluster_t *c, guint id, const char *body,
                        gsize len);

/* Counters since connect: MOVED and ASK redirections followed, slot map
 * loads, batch rounds retried after errors. */
typedef struct sf_rcluster_stats {
    guint64 moved;
    guint64 ask;
    guint64 map_loads;
    guint64 retries;
} sf_rcluster_stats_t;
void sf_rcluster_get_stats(const sf_rcluster_t *c, sf_rcluster_stats_t *out);
/* Masters in the current slot map. */
guint sf_rcluster_n_masters(const sf_rcluster_t *c);

#endif
