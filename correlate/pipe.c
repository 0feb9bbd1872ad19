/*
 * pipe.c - pipelined command batches (see pipe.h).
 *
 * On one server, the command is written in RESP as it is built: each
 * argument as "$LEN\r\nDATA\r\n" (numbers written by hand) into one
 * buffer that keeps room at its start for the "*N\r\n" header, which
 * sf_pipe_end() fills in before handing the whole to
 * redisAppendFormattedCommand().  hiredis's redisAppendCommandArgv()
 * formats each length with sdscatfmt, which with our own printf-built
 * arguments was a quarter of the Redis thread's CPU in the benchmark's
 * profile.  On a cluster, arguments are copied into one byte buffer and
 * their offsets recorded; at sf_pipe_end() the argv is pointed into it and
 * handed to sf_rcluster_append(), which routes it.  Nothing is written to
 * the socket until the first reply is asked for: one write per batch
 * instead of one per command.
 *
 * Lua scripts go as EVALSHA (the exact counts' scripts are about 1,100
 * bytes of text that EVAL would send with every call).  On one server the
 * pipe puts SCRIPT LOAD before a script's first EVALSHA on a connection and
 * reads its reply itself (hidden[]: how many of the batch's own replies
 * come before it).  On a cluster rcluster.c loads them per node.
 */
#include "pipe.h"
#include "correlator.h"

#include <stdarg.h>
#include <string.h>

struct sf_pipe {
    redisContext *rc;
    sf_rcluster_t *cluster;     /* instead of rc on Redis Cluster */
    GByteArray   *buf;
    GArray       *offsets;  /* gsize */
    GPtrArray    *argv;
    GArray       *lens;     /* size_t */
    char         *resp;     /* the command in RESP (not on a cluster) */
    gsize         resp_len, resp_cap;
    guint         argc;
    guint         pending;
    guint         appended;     /* the batch's own commands so far */
    guint         replied;      /* ... and replies handed out */
    guint         hidden[SF_PIPE_MAX_SCRIPTS];  /* SCRIPT LOADs: appended */
    guint8        hidden_id[SF_PIPE_MAX_SCRIPTS];
    guint         n_hidden, hidden_read;
    guint32       loaded;       /* scripts loaded on rc (bit per id) */
    redisContext *loaded_rc;
    guint64       commands;
    guint64       bytes;
};

sf_pipe_t *sf_pipe_new(void)
{
    sf_pipe_t *p = g_new0(sf_pipe_t, 1);

    p->buf = g_byte_array_new();
    p->offsets = g_array_new(FALSE, FALSE, sizeof(gsize));
    p->argv = g_ptr_array_new();
    p->lens = g_array_new(FALSE, FALSE, sizeof(size_t));
    return p;
}

void sf_pipe_free(sf_pipe_t *p)
{
    if (p == NULL)
        return;
    g_byte_array_unref(p->buf);
    g_array_unref(p->offsets);
    g_ptr_array_unref(p->argv);
    g_array_unref(p->lens);
    g_free(p->resp);
    g_free(p);
}

void sf_pipe_begin(sf_pipe_t *p, redisContext *rc)
{
    p->rc = rc;
    p->cluster = NULL;
    p->pending = 0;
    p->appended = p->replied = 0;
    p->n_hidden = p->hidden_read = 0;
    if (rc != p->loaded_rc)
        p->loaded = 0;
    p->loaded_rc = rc;
}

void sf_pipe_forget_scripts(sf_pipe_t *p)
{
    p->loaded = 0;
    p->loaded_rc = NULL;
}

void sf_pipe_begin_cluster(sf_pipe_t *p, sf_rcluster_t *cluster)
{
    p->rc = NULL;
    p->cluster = cluster;
    p->pending = 0;
    sf_rcluster_begin(cluster);
}

/* Room kept before the arguments for "*N\r\n". */
#define HEAD 24

void sf_pipe_cmd(sf_pipe_t *p, const char *name)
{
    g_byte_array_set_size(p->buf, 0);
    g_array_set_size(p->offsets, 0);
    p->resp_len = HEAD;
    p->argc = 0;
    sf_pipe_str(p, name);
}

/* Writes v in decimal ending at end; returns where it starts. */
static char *decimal(char *end, guint64 v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void sf_pipe_arg(sf_pipe_t *p, const void *data, gsize len)
{
    char text[24], *end = text + sizeof text, *s;
    gsize head;

    if (p->cluster) {
        gsize off = p->buf->len;

        g_array_append_val(p->offsets, off);
        g_byte_array_append(p->buf, data, (guint)len);
        return;
    }
    *--end = '\n';
    *--end = '\r';
    s = decimal(end, len);
    *--s = '$';
    head = (gsize)(text + sizeof text - s);
    if (p->resp_len + head + len + 2 > p->resp_cap) {
        p->resp_cap = MAX(p->resp_len + head + len + 2,
                          MAX(p->resp_cap * 2, 4096));
        p->resp = g_realloc(p->resp, p->resp_cap);
    }
    memcpy(p->resp + p->resp_len, s, head);
    memcpy(p->resp + p->resp_len + head, data, len);
    memcpy(p->resp + p->resp_len + head + len, "\r\n", 2);
    p->resp_len += head + len + 2;
    p->argc++;
}

void sf_pipe_str(sf_pipe_t *p, const char *s)
{
    sf_pipe_arg(p, s, strlen(s));
}

void sf_pipe_int(sf_pipe_t *p, gint64 v)
{
    char text[24], *end = text + sizeof text;
    char *s = decimal(end, v < 0 ? -(guint64)v : (guint64)v);

    if (v < 0)
        *--s = '-';
    sf_pipe_arg(p, s, (gsize)(end - s));
}

void sf_pipe_prefix_int(sf_pipe_t *p, const char *prefix, gint64 v)
{
    char text[256 + 24], *end = text + sizeof text;
    char *s = decimal(end, v < 0 ? -(guint64)v : (guint64)v);
    gsize n = strlen(prefix);

    if (v < 0)
        *--s = '-';
    g_return_if_fail(n <= 256);
    s -= n;
    memcpy(s, prefix, n);
    sf_pipe_arg(p, s, (gsize)(end - s));
}

void sf_pipe_argf(sf_pipe_t *p, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = g_vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    g_return_if_fail(n >= 0 && (gsize)n < sizeof text);
    sf_pipe_arg(p, text, (gsize)n);
}

/* Appends the command built in resp to the context. */
static void append_resp(sf_pipe_t *p)
{
    char *end = p->resp + HEAD, *s;
    gsize len;

    *--end = '\n';
    *--end = '\r';
    s = decimal(end, p->argc);
    *--s = '*';
    len = p->resp_len - (gsize)(s - p->resp);
    redisAppendFormattedCommand(p->rc, s, len);
    p->bytes += len;
    p->commands++;
}

static void script_init(sf_pipe_script_t *s)
{
    static gint next_id;

    if (g_once_init_enter(&s->once)) {
        gchar *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA1,
                                                 (const guchar *)s->body,
                                                 s->len);

        g_strlcpy(s->sha, sha, sizeof s->sha);
        g_free(sha);
        s->id = (guint)g_atomic_int_add(&next_id, 1);
        g_assert(s->id < SF_PIPE_MAX_SCRIPTS);
        g_once_init_leave(&s->once, 1);
    }
}

void sf_pipe_evalsha(sf_pipe_t *p, sf_pipe_script_t *s)
{
    script_init(s);
    if (p->cluster) {
        sf_rcluster_script(p->cluster, s->id, s->body, s->len);
    } else if (!(p->loaded & (1u << s->id))) {
        sf_pipe_cmd(p, "SCRIPT");
        sf_pipe_str(p, "LOAD");
        sf_pipe_arg(p, s->body, s->len);
        append_resp(p);
        p->hidden[p->n_hidden] = p->appended;
        p->hidden_id[p->n_hidden++] = (guint8)s->id;
        p->loaded |= 1u << s->id;
    }
    sf_pipe_cmd(p, "EVALSHA");
    sf_pipe_arg(p, s->sha, 40);
}

void sf_pipe_end(sf_pipe_t *p)
{
    guint argc = p->offsets->len;

    p->pending++;
    if (!p->cluster) {
        p->appended++;
        append_resp(p);
        return;
    }
    p->commands++;
    g_ptr_array_set_size(p->argv, argc);
    g_array_set_size(p->lens, argc);
    for (guint i = 0; i < argc; i++) {
        gsize off = g_array_index(p->offsets, gsize, i);
        gsize end = i + 1 < argc ? g_array_index(p->offsets, gsize, i + 1)
                                 : p->buf->len;
        p->argv->pdata[i] = p->buf->data + off;
        g_array_index(p->lens, size_t, i) = end - off;
    }
    p->bytes += sf_rcluster_append(p->cluster, (int)argc,
                                   (const char **)p->argv->pdata,
                                   (const size_t *)p->lens->data);
}

void sf_pipe_key_int(sf_pipe_t *p, const char *name, const char *key,
                     gint64 v)
{
    sf_pipe_cmd(p, name);
    sf_pipe_str(p, key);
    sf_pipe_int(p, v);
    sf_pipe_end(p);
}

guint sf_pipe_pending(const sf_pipe_t *p)
{
    return p->pending;
}

static redisReply *get_reply(sf_pipe_t *p, GError **err)
{
    void *r = NULL;

    if (redisGetReply(p->rc, &r) != REDIS_OK || r == NULL) {
        g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS,
                    "%s", p->rc->errstr[0] ? p->rc->errstr : "no reply");
        return NULL;
    }
    return r;
}

/* Reads the SCRIPT LOAD replies due before the next reply of the batch. */
static gboolean read_hidden(sf_pipe_t *p, GError **err)
{
    while (p->hidden_read < p->n_hidden
           && p->hidden[p->hidden_read] == p->replied) {
        redisReply *r = get_reply(p, err);
        gboolean ok;

        if (r == NULL)
            return FALSE;
        ok = r->type == REDIS_REPLY_STRING && r->len == 40;
        if (!ok)
            g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS,
                        "SCRIPT LOAD: %s", r->type == REDIS_REPLY_ERROR
                        ? r->str : "unexpected reply");
        freeReplyObject(r);
        if (!ok)
            return FALSE;
        p->hidden_read++;
    }
    return TRUE;
}

redisReply *sf_pipe_reply(sf_pipe_t *p, GError **err)
{
    redisReply *r;

    g_return_val_if_fail(p->pending > 0, NULL);
    if (p->cluster) {
        r = sf_rcluster_reply(p->cluster, err);
        if (r)
            p->pending--;
        return r;
    }
    if (!read_hidden(p, err) || (r = get_reply(p, err)) == NULL)
        return NULL;
    if (r->type == REDIS_REPLY_ERROR && g_str_has_prefix(r->str, "NOSCRIPT")) {
        /* the server lost its scripts: fail as a lost connection would */
        g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS,
                    "%s", r->str);
        freeReplyObject(r);
        sf_pipe_forget_scripts(p);
        return NULL;
    }
    p->pending--;
    p->replied++;
    return r;
}

gboolean sf_pipe_drain(sf_pipe_t *p, GError **err)
{
    while (p->pending > 0) {
        redisReply *r = sf_pipe_reply(p, err);
        if (r == NULL)
            return FALSE;
        freeReplyObject(r);
    }
    return TRUE;
}

void sf_pipe_counters(const sf_pipe_t *p, guint64 *commands, guint64 *bytes)
{
    *commands = p->commands;
    *bytes = p->bytes;
}
