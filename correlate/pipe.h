/*
 * pipe.h - a batch of pipelined commands on a blocking hiredis context.
 *
 * Commands are built argument by argument (binary-safe), appended to the
 * context's output buffer, and written in one go by the first read; the
 * replies then come back in order.  It counts commands and request bytes,
 * which is where the "Redis operations and bytes per flow" figures come
 * from.
 */
#ifndef SF_PIPE_H
#define SF_PIPE_H

#include <glib.h>
#include <hiredis/hiredis.h>

typedef struct sf_pipe sf_pipe_t;

sf_pipe_t *sf_pipe_new(void);
void sf_pipe_free(sf_pipe_t *p);
/* Starts a batch on rc; replies left unread by an earlier batch are an
 * error of the caller (the context must be dropped instead). */
void sf_pipe_begin(sf_pipe_t *p, redisContext *rc);
void sf_pipe_cmd(sf_pipe_t *p, const char *name);
void sf_pipe_arg(sf_pipe_t *p, const void *data, gsize len);
void sf_pipe_str(sf_pipe_t *p, const char *s);
void sf_pipe_int(sf_pipe_t *p, gint64 v);
void sf_pipe_argf(sf_pipe_t *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void sf_pipe_end(sf_pipe_t *p);
guint sf_pipe_pending(const sf_pipe_t *p);
/* The next reply, to be freed with freeReplyObject; NULL and err when the
 * connection failed (the context is then unusable). */
redisReply *sf_pipe_reply(sf_pipe_t *p, GError **err);
/* Reads and drops all pending replies; FALSE on a connection failure. */
gboolean sf_pipe_drain(sf_pipe_t *p, GError **err);
void sf_pipe_counters(const sf_pipe_t *p, guint64 *commands, guint64 *bytes);

#endif
