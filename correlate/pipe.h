/*
 * pipe.h - a batch of pipelined commands on a blocking hiredis context.
 *
 * Commands are built argument by argument (binary-safe), appended to the
 * context's output buffer, and written in one go by the first read; the
 * replies then come back in order.  It counts commands and request bytes,
 * which is where the "Redis operations and bytes per flow" figures come
 * from.  On Redis Cluster a batch goes to an sf_rcluster_t instead: each
 * command is routed by its key (its first argument; see rcluster.h), and
 * the replies still come back in the order the commands were built.
 */
#ifndef SF_PIPE_H
#define SF_PIPE_H

#include <glib.h>
#include <hiredis/hiredis.h>
#include "rcluster.h"

typedef struct sf_pipe sf_pipe_t;

sf_pipe_t *sf_pipe_new(void);
void sf_pipe_free(sf_pipe_t *p);
/* Starts a batch on rc; replies left unread by an earlier batch are an
 * error of the caller (the context must be dropped instead). */
void sf_pipe_begin(sf_pipe_t *p, redisContext *rc);
/* The same on a cluster: what was appended is routed and sent when the
 * next reply is asked for (rcluster.h). */
void sf_pipe_begin_cluster(sf_pipe_t *p, sf_rcluster_t *cluster);
void sf_pipe_cmd(sf_pipe_t *p, const char *name);
void sf_pipe_arg(sf_pipe_t *p, const void *data, gsize len);
void sf_pipe_str(sf_pipe_t *p, const char *s);
void sf_pipe_int(sf_pipe_t *p, gint64 v);
/* One argument: prefix followed by v in decimal (keys "sf:{S}:p:BUCKET"). */
void sf_pipe_prefix_int(sf_pipe_t *p, const char *prefix, gint64 v);
void sf_pipe_argf(sf_pipe_t *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void sf_pipe_end(sf_pipe_t *p);
/* One whole command of a key and an integer (EXPIRE key ttl, INCRBY
 * key n). */
void sf_pipe_key_int(sf_pipe_t *p, const char *name, const char *key,
                     gint64 v);
guint sf_pipe_pending(const sf_pipe_t *p);
/* The next reply, to be freed with freeReplyObject; NULL and err when the
 * connection failed (the context is then unusable). */
redisReply *sf_pipe_reply(sf_pipe_t *p, GError **err);
/* Reads and drops all pending replies; FALSE on a connection failure. */
gboolean sf_pipe_drain(sf_pipe_t *p, GError **err);
void sf_pipe_counters(const sf_pipe_t *p, guint64 *commands, guint64 *bytes);

/* A Lua script sent by its SHA1 (EVALSHA) instead of its text.  Before its
 * first use on a connection the pipe sends SCRIPT LOAD (on Redis Cluster,
 * rcluster.c does so on each node), whose reply the caller never sees.  A
 * NOSCRIPT reply (the server's script cache was flushed) fails the reply
 * like a lost connection: the caller drops the connection and sends the
 * batch again on a new one, which loads the script first.  Define one
 * with SF_PIPE_SCRIPT(text); the SHA1 is computed at first use. */
typedef struct sf_pipe_script {
    const char *body;
    gsize       len;
    gsize       once;           /* g_once_init_enter */
    guint       id;             /* 0 .. SF_PIPE_MAX_SCRIPTS - 1 */
    char        sha[41];
} sf_pipe_script_t;

#define SF_PIPE_MAX_SCRIPTS 32
#define SF_PIPE_SCRIPT(text) { (text), sizeof(text) - 1, 0, 0, "" }

/* Starts "EVALSHA sha"; continue with numkeys, keys and arguments. */
void sf_pipe_evalsha(sf_pipe_t *p, sf_pipe_script_t *s);
/* The connection was replaced: load scripts again before their use. */
void sf_pipe_forget_scripts(sf_pipe_t *p);

#endif
