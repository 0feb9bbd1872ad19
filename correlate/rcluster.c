/*
 * rcluster.c - Redis Cluster routing over hiredis 0.14 (see rcluster.h).
 *
 * The Redis Cluster specification (https://redis.io/docs/reference/
 * cluster-spec/) in the parts used here:
 *
 *  - A key's slot is CRC16(key) mod 16384, where CRC16 is the XMODEM
 *    variant (polynomial 0x1021, init 0, no reflection; the check value of
 *    "123456789" is 0x31C3, slot 12739).  If the key holds a '{' followed
 *    later by a '}' with at least one byte between them, only those bytes
 *    are hashed: scanflow puts every key of one source S under {S}, so one
 *    source's multi-key PFCOUNT, MGET and its alert claim live in one slot.
 *  - CLUSTER SLOTS answers [start, end, [ip, port, id, ...] master,
 *    replicas...] per slot range (an empty ip means "the address you asked
 *    me on"); CLUSTER SHARDS (7.0) is the newer form, used when SLOTS is
 *    refused.
 *  - A node that does not serve a slot answers "-MOVED slot ip:port": the
 *    slot has moved for good, so the map is updated and reloaded.  During a
 *    migration a missing key gives "-ASK slot ip:port": the command is sent
 *    once to that node, preceded by ASKING, and the map is left alone.
 *  - "-TRYAGAIN" (multi-key command during a migration) and "-CLUSTERDOWN"
 *    (a master failed and no replica took over yet) are transient: retry
 *    after a pause.  A killed master shows as a broken connection; its
 *    replica is promoted after cluster-node-timeout plus an election.
 *
 * A batch is kept as formatted RESP in one buffer so that any command can
 * be sent again.  Each round sends the commands still to do, one pipeline
 * per node (all nodes are written before any is read, so the nodes work in
 * parallel), reads every node's replies in order and files each reply
 * under its command's index.  Commands that were redirected or that failed
 * go to the next round, in their original order; a round that met a
 * failure (not a redirection) reloads the slot map after a pause that
 * doubles from 50 ms to 1 s.  Commands that completed are never sent again,
 * so a claim (SET NX) won on a healthy master stays won while another
 * master fails over.  A command whose connection broke after it was
 * written may have run: it is sent again, which is harmless for PFADD,
 * EXPIRE, ZADD GT and HSET (INCRBY may count twice, as in single-node
 * mode after a reconnect).
 */
#include "rcluster.h"
#include "addr.h"
#include "correlator.h"

#include <string.h>

#define MAX_ROUNDS 64
#define PAUSE_MIN_MS 50
#define PAUSE_MAX_MS 1000

typedef struct node {
    char         *host;
    int           port;
    char         *name;         /* host:port, for messages */
    redisContext *rc;
    GArray       *sent;         /* gint: command index, -1 for ASKING */
    gboolean      master;       /* serves slots in the current map */
    gboolean      down;         /* failed to connect in this round */
    guint64       loaded;       /* scripts loaded on rc (bit per id) */
} node_t;

typedef struct cmd {
    gsize       off;
    gsize       len;
    gint        slot;           /* -1: no key, any node */
    node_t     *ask;            /* ASK target for the next round */
    redisReply *reply;
} cmd_t;

struct sf_rcluster {
    const sf_redis_target_t *t;
    int          timeout_ms;
    int          retry_ms;
    GPtrArray   *nodes;         /* node_t; kept until free, so pointers
                                 * held by a batch stay valid */
    node_t     **slots;         /* SF_RCLUSTER_SLOTS entries */
    node_t     **scratch;       /* the map being loaded */
    gboolean     stale;         /* reload the map before the next round */
    GByteArray  *buf;           /* the batch, formatted */
    GArray      *cmds;          /* cmd_t */
    GArray      *todo;          /* guint indices for this round */
    GArray      *again;         /* guint indices for the next round */
    gboolean     pause;         /* this round met a failure */
    GString     *why;           /* the last failure, for the error */
    GPtrArray   *scripts;       /* GBytes "SCRIPT LOAD body" per id, or NULL */
    guint64      script_ids;    /* bit per registered id */
    guint        done;          /* commands [0, done) have run */
    guint        next;          /* the next reply to hand out */
    gboolean     failed;        /* until the next begin */
    sf_rcluster_stats_t st;
};

/* Slots -------------------------------------------------------------------- */

guint16 sf_rcluster_crc16(const void *data, gsize len)
{
    const guint8 *p = data;
    guint16 crc = 0;

    for (gsize i = 0; i < len; i++) {
        crc ^= (guint16)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (guint16)((crc << 1) ^ 0x1021)
                                 : (guint16)(crc << 1);
    }
    return crc;
}

guint sf_rcluster_key_slot(const void *key, gsize len)
{
    const char *k = key;
    const char *open = memchr(k, '{', len);

    if (open) {
        gsize from = (gsize)(open - k) + 1;
        const char *close = memchr(k + from, '}', len - from);

        if (close && close > k + from)
            return sf_rcluster_crc16(k + from, (gsize)(close - (k + from)))
                   & (SF_RCLUSTER_SLOTS - 1);
    }
    return sf_rcluster_crc16(k, len) & (SF_RCLUSTER_SLOTS - 1);
}

static gboolean name_is(const char *arg, size_t len, const char *name)
{
    return len == strlen(name) && g_ascii_strncasecmp(arg, name, len) == 0;
}

gboolean sf_rcluster_command_key(int argc, const char **argv,
                                 const size_t *lens, const char **key,
                                 size_t *key_len)
{
    static const char *const keyless[] = {
        "PUBLISH", "PING", "ECHO", "INFO", "TIME", "CLUSTER", "COMMAND",
        "CLIENT", "CONFIG", "SCRIPT", "FUNCTION", "ASKING",
    };
    static const char *const scripts[] = {
        "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO",
    };
    int at = 1;

    if (argc < 1)
        return FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(keyless); i++)
        if (name_is(argv[0], lens[0], keyless[i]))
            return FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(scripts); i++)
        if (name_is(argv[0], lens[0], scripts[i])) {
            /* SCRIPT numkeys key...: keyless when numkeys is 0. */
            if (argc < 4 || (lens[2] == 1 && argv[2][0] == '0'))
                return FALSE;
            at = 3;
        }
    if (name_is(argv[0], lens[0], "PFDEBUG"))
        at = 2;                         /* PFDEBUG subcommand key */
    if (argc <= at)
        return FALSE;
    *key = argv[at];
    *key_len = lens[at];
    return TRUE;
}

/* Nodes -------------------------------------------------------------------- */

static node_t *node_get(sf_rcluster_t *c, const char *host, int port)
{
    node_t *n;

    for (guint i = 0; i < c->nodes->len; i++) {
        n = c->nodes->pdata[i];
        if (n->port == port && strcmp(n->host, host) == 0)
            return n;
    }
    n = g_new0(node_t, 1);
    n->host = g_strdup(host);
    n->port = port;
    n->name = strchr(host, ':') ? g_strdup_printf("[%s]:%d", host, port)
                                : g_strdup_printf("%s:%d", host, port);
    n->sent = g_array_new(FALSE, FALSE, sizeof(gint));
    g_ptr_array_add(c->nodes, n);
    return n;
}

static void node_free(gpointer data)
{
    node_t *n = data;

    if (n->rc)
        redisFree(n->rc);
    g_array_unref(n->sent);
    g_free(n->host);
    g_free(n->name);
    g_free(n);
}

static void node_drop(sf_rcluster_t *c, node_t *n, const char *why)
{
    g_string_printf(c->why, "%s: %s", n->name, why);
    if (n->rc)
        redisFree(n->rc);
    n->rc = NULL;
    n->loaded = 0;
    c->pause = TRUE;
    c->stale = TRUE;
}

static gboolean node_ready(sf_rcluster_t *c, node_t *n)
{
    g_autoptr(GError) e = NULL;

    if (n->rc)
        return TRUE;
    if (n->down)
        return FALSE;
    n->rc = sf_redis_target_connect_node(c->t, n->host, n->port,
                                         c->timeout_ms, &e);
    if (n->rc == NULL) {
        n->down = TRUE;
        g_string_assign(c->why, e->message);
        c->pause = TRUE;
        c->stale = TRUE;
        return FALSE;
    }
    n->loaded = 0;
    return TRUE;
}

/* Slot map ------------------------------------------------------------------ */

static gboolean reply_int_at(const redisReply *r, size_t i, long long *out)
{
    if (i >= r->elements || r->element[i]->type != REDIS_REPLY_INTEGER)
        return FALSE;
    *out = r->element[i]->integer;
    return TRUE;
}

static const char *reply_str_at(const redisReply *r, size_t i)
{
    if (i >= r->elements || r->element[i]->type != REDIS_REPLY_STRING)
        return NULL;
    return r->element[i]->str;
}

static void assign(sf_rcluster_t *c, long long lo, long long hi,
                   node_t *master)
{
    if (lo < 0 || hi >= SF_RCLUSTER_SLOTS || lo > hi)
        return;
    for (long long s = lo; s <= hi; s++)
        c->scratch[s] = master;
}

/* An address from a map reply: an empty ip (or "?") means the node that
 * was asked. */
static node_t *map_node(sf_rcluster_t *c, node_t *asked, const char *ip,
                        long long port)
{
    if (port <= 0 || port > 65535)
        return NULL;
    if (ip == NULL || ip[0] == '\0' || strcmp(ip, "?") == 0)
        ip = asked->host;
    return node_get(c, ip, (int)port);
}

static guint parse_slots(sf_rcluster_t *c, node_t *asked, const redisReply *r)
{
    guint ranges = 0;

    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        long long lo, hi, port;
        node_t *m;

        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3
            || !reply_int_at(e, 0, &lo) || !reply_int_at(e, 1, &hi)
            || e->element[2]->type != REDIS_REPLY_ARRAY
            || !reply_int_at(e->element[2], 1, &port))
            continue;
        m = map_node(c, asked, reply_str_at(e->element[2], 0), port);
        if (m) {
            assign(c, lo, hi, m);
            ranges++;
        }
    }
    return ranges;
}

/* The value after name in a flat name/value array (RESP2 form of a map). */
static const redisReply *field(const redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING
            && strcmp(r->element[i]->str, name) == 0)
            return r->element[i + 1];
    return NULL;
}

static node_t *shard_master(sf_rcluster_t *c, node_t *asked,
                            const redisReply *nodes)
{
    for (size_t i = 0; nodes && i < nodes->elements; i++) {
        const redisReply *n = nodes->element[i], *role, *ip, *port;

        if (n->type != REDIS_REPLY_ARRAY)
            continue;
        role = field(n, "role");
        ip = field(n, "ip");
        port = field(n, "port");
        if (role && role->type == REDIS_REPLY_STRING
            && strcmp(role->str, "master") == 0 && port
            && port->type == REDIS_REPLY_INTEGER)
            return map_node(c, asked,
                            ip && ip->type == REDIS_REPLY_STRING ? ip->str
                                                                 : NULL,
                            port->integer);
    }
    return NULL;
}

static guint parse_shards(sf_rcluster_t *c, node_t *asked,
                          const redisReply *r)
{
    guint ranges = 0;

    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *sh = r->element[i], *slots;
        node_t *m;

        if (sh->type != REDIS_REPLY_ARRAY)
            continue;
        slots = field(sh, "slots");
        m = shard_master(c, asked, field(sh, "nodes"));
        if (m == NULL || slots == NULL || slots->type != REDIS_REPLY_ARRAY)
            continue;
        for (size_t k = 0; k + 1 < slots->elements; k += 2) {
            long long lo, hi;
            if (reply_int_at(slots, k, &lo) && reply_int_at(slots, k + 1, &hi)) {
                assign(c, lo, hi, m);
                ranges++;
            }
        }
    }
    return ranges;
}

/* Asks node n for the map (into scratch); FALSE with c->why set. */
static gboolean ask_map(sf_rcluster_t *c, node_t *n)
{
    redisReply *r;
    guint ranges = 0;

    if (!node_ready(c, n))
        return FALSE;
    memset(c->scratch, 0, sizeof(node_t *) * SF_RCLUSTER_SLOTS);
    r = redisCommand(n->rc, "CLUSTER SLOTS");
    if (r && r->type == REDIS_REPLY_ERROR) {
        freeReplyObject(r);
        r = redisCommand(n->rc, "CLUSTER SHARDS");
        if (r && r->type == REDIS_REPLY_ARRAY)
            ranges = parse_shards(c, n, r);
    } else if (r && r->type == REDIS_REPLY_ARRAY) {
        ranges = parse_slots(c, n, r);
    }
    if (r == NULL) {
        node_drop(c, n, n->rc->errstr[0] ? n->rc->errstr : "no reply");
        return FALSE;
    }
    if (ranges == 0)
        g_string_printf(c->why, "%s: no slot map (%s)", n->name,
                        r->type == REDIS_REPLY_ERROR ? r->str
                                                     : "no slots served");
    freeReplyObject(r);
    return ranges > 0;
}

/* Installs scratch as the map; closes contexts to nodes no longer master. */
static void install_map(sf_rcluster_t *c)
{
    gboolean changed = memcmp(c->slots, c->scratch,
                              sizeof(node_t *) * SF_RCLUSTER_SLOTS) != 0;
    node_t **t = c->slots;

    c->slots = c->scratch;
    c->scratch = t;
    for (guint i = 0; i < c->nodes->len; i++)
        ((node_t *)c->nodes->pdata[i])->master = FALSE;
    for (guint s = 0; s < SF_RCLUSTER_SLOTS; s++)
        if (c->slots[s])
            c->slots[s]->master = TRUE;
    for (guint i = 0; i < c->nodes->len; i++) {
        node_t *n = c->nodes->pdata[i];
        if (!n->master && n->rc) {
            redisFree(n->rc);
            n->rc = NULL;
        }
    }
    if (changed && c->st.map_loads > 0)
        g_message("redis cluster: slot map changed: %u masters",
                  sf_rcluster_n_masters(c));
    c->st.map_loads++;
    c->stale = FALSE;
}

/* Asks the current masters first, then every other node known (seeds,
 * replicas seen in redirections). */
static gboolean load_map(sf_rcluster_t *c)
{
    for (int pass = 0; pass < 2; pass++)
        for (guint i = 0; i < c->nodes->len; i++) {
            node_t *n = c->nodes->pdata[i];
            if (n->master == (pass == 0) && ask_map(c, n)) {
                install_map(c);
                return TRUE;
            }
        }
    return FALSE;
}

/* Life cycle ------------------------------------------------------------------ */

static void bytes_free(gpointer b)
{
    if (b)
        g_bytes_unref(b);
}

sf_rcluster_t *sf_rcluster_connect(const sf_redis_target_t *t, int timeout_ms,
                                   int retry_ms, GError **err)
{
    sf_rcluster_t *c = g_new0(sf_rcluster_t, 1);

    c->t = t;
    c->timeout_ms = timeout_ms;
    c->retry_ms = retry_ms;
    c->nodes = g_ptr_array_new_with_free_func(node_free);
    c->slots = g_new0(node_t *, SF_RCLUSTER_SLOTS);
    c->scratch = g_new0(node_t *, SF_RCLUSTER_SLOTS);
    c->buf = g_byte_array_new();
    c->cmds = g_array_new(FALSE, FALSE, sizeof(cmd_t));
    c->todo = g_array_new(FALSE, FALSE, sizeof(guint));
    c->again = g_array_new(FALSE, FALSE, sizeof(guint));
    c->why = g_string_new("no seed");
    c->scripts = g_ptr_array_new_with_free_func(bytes_free);
    for (guint i = 0; i < sf_redis_target_n_seeds(t); i++) {
        int port;
        const char *host = sf_redis_target_seed(t, i, &port);
        node_get(c, host, port);
    }
    if (!load_map(c)) {
        g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS,
                    "redis cluster %s: %s", sf_redis_target_describe(t),
                    c->why->str);
        sf_rcluster_free(c);
        return NULL;
    }
    return c;
}

static void clear_replies(sf_rcluster_t *c)
{
    for (guint i = 0; i < c->cmds->len; i++) {
        cmd_t *cm = &g_array_index(c->cmds, cmd_t, i);
        if (cm->reply)
            freeReplyObject(cm->reply);
        cm->reply = NULL;
    }
}

void sf_rcluster_free(sf_rcluster_t *c)
{
    if (c == NULL)
        return;
    clear_replies(c);
    g_ptr_array_unref(c->nodes);
    g_free(c->slots);
    g_free(c->scratch);
    g_byte_array_unref(c->buf);
    g_array_unref(c->cmds);
    g_array_unref(c->todo);
    g_array_unref(c->again);
    g_string_free(c->why, TRUE);
    g_ptr_array_unref(c->scripts);
    g_free(c);
}

/* Batches -------------------------------------------------------------------- */

void sf_rcluster_begin(sf_rcluster_t *c)
{
    clear_replies(c);
    g_byte_array_set_size(c->buf, 0);
    g_array_set_size(c->cmds, 0);
    c->done = 0;
    c->next = 0;
    c->failed = FALSE;
}

static void append_text(GByteArray *b, const char *fmt, gsize n)
{
    char head[64];          /* the SCRIPT LOAD header: 26 bytes and
                               the body's length */
    int len = g_snprintf(head, sizeof head, fmt, n);

    g_byte_array_append(b, (const guint8 *)head, (guint)len);
}

gsize sf_rcluster_append(sf_rcluster_t *c, int argc, const char **argv,
                         const size_t *lens)
{
    cmd_t cm = {.slot = -1};
    const char *key;
    size_t key_len;

    if (c->next == c->cmds->len) {
        /* every reply was taken: start the buffer over (a caller that
         * reads replies every few thousand commands keeps it small) */
        g_byte_array_set_size(c->buf, 0);
        g_array_set_size(c->cmds, 0);
        c->done = c->next = 0;
    }
    cm.off = c->buf->len;
    append_text(c->buf, "*%" G_GSIZE_FORMAT "\r\n", (gsize)argc);
    for (int i = 0; i < argc; i++) {
        append_text(c->buf, "$%" G_GSIZE_FORMAT "\r\n", lens[i]);
        g_byte_array_append(c->buf, (const guint8 *)argv[i], (guint)lens[i]);
        g_byte_array_append(c->buf, (const guint8 *)"\r\n", 2);
    }
    cm.len = c->buf->len - cm.off;
    if (sf_rcluster_command_key(argc, argv, lens, &key, &key_len))
        cm.slot = (gint)sf_rcluster_key_slot(key, key_len);
    g_array_append_val(c->cmds, cm);
    return cm.len;
}

void sf_rcluster_script(sf_rcluster_t *c, guint id, const char *body,
                        gsize len)
{
    GByteArray *b;

    g_return_if_fail(id < 64);
    if (c->script_ids & (G_GUINT64_CONSTANT(1) << id))
        return;
    b = g_byte_array_new();
    append_text(b, "*3\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n$%" G_GSIZE_FORMAT
                "\r\n", len);
    g_byte_array_append(b, (const guint8 *)body, (guint)len);
    g_byte_array_append(b, (const guint8 *)"\r\n", 2);
    if (c->scripts->len <= id)
        g_ptr_array_set_size(c->scripts, (gint)id + 1);
    c->scripts->pdata[id] = g_byte_array_free_to_bytes(b);
    c->script_ids |= G_GUINT64_CONSTANT(1) << id;
}

/* SCRIPT LOAD of the registered scripts n's connection lacks; their
 * replies are dropped like ASKING's (a failed load shows as NOSCRIPT). */
static void load_scripts(sf_rcluster_t *c, node_t *n)
{
    gint mark = -1;

    if ((n->loaded & c->script_ids) == c->script_ids)
        return;
    for (guint id = 0; id < c->scripts->len; id++) {
        GBytes *b = c->scripts->pdata[id];
        gsize len;
        const char *text;

        if (b == NULL || (n->loaded & (G_GUINT64_CONSTANT(1) << id)))
            continue;
        text = g_bytes_get_data(b, &len);
        redisAppendFormattedCommand(n->rc, text, len);
        g_array_append_val(n->sent, mark);
    }
    n->loaded |= c->script_ids;
}

/* Keyless commands: a connected master, else the first that connects. */
static node_t *any_master(sf_rcluster_t *c)
{
    for (int pass = 0; pass < 2; pass++)
        for (guint i = 0; i < c->nodes->len; i++) {
            node_t *n = c->nodes->pdata[i];
            if (n->master && (pass == 1 || n->rc) && node_ready(c, n))
                return n;
        }
    return NULL;
}

static void retry_later(sf_rcluster_t *c, guint idx)
{
    g_array_append_val(c->again, idx);
}

/* Appends command idx to its node's pipeline. */
static void route(sf_rcluster_t *c, guint idx)
{
    static const char asking[] = "*1\r\n$6\r\nASKING\r\n";
    cmd_t *cm = &g_array_index(c->cmds, cmd_t, idx);
    node_t *n = cm->ask ? cm->ask : cm->slot < 0 ? any_master(c)
                                                 : c->slots[cm->slot];
    gint i = (gint)idx, asking_mark = -1;

    if (n == NULL || !node_ready(c, n)) {
        if (n == NULL) {
            if (cm->slot < 0)
                g_string_assign(c->why, "no master reachable");
            else
                g_string_printf(c->why, "slot %d not served", cm->slot);
            c->pause = TRUE;
            c->stale = TRUE;
        }
        retry_later(c, idx);
        return;
    }
    load_scripts(c, n);
    if (cm->ask) {
        redisAppendFormattedCommand(n->rc, asking, sizeof asking - 1);
        g_array_append_val(n->sent, asking_mark);
        cm->ask = NULL;
    }
    redisAppendFormattedCommand(n->rc, (const char *)c->buf->data + cm->off,
                                cm->len);
    g_array_append_val(n->sent, i);
}

/* "MOVED 3999 127.0.0.1:6381" / "ASK ...": the target node. */
static node_t *redirect_target(sf_rcluster_t *c, const char *msg, gint *slot)
{
    g_auto(GStrv) parts = g_strsplit(msg, " ", 3);
    guint64 s, port;
    g_autofree char *host = NULL, *portstr = NULL;

    if (g_strv_length(parts) != 3
        || !g_ascii_string_to_unsigned(parts[1], 10, 0,
                                       SF_RCLUSTER_SLOTS - 1, &s, NULL)
        || !sf_hostport_parse(parts[2], 0, &host, &portstr)
        || !g_ascii_string_to_unsigned(portstr, 10, 1, 65535, &port, NULL))
        return NULL;
    *slot = (gint)s;
    return node_get(c, host, (int)port);
}

static gboolean transient(const char *msg)
{
    return g_str_has_prefix(msg, "CLUSTERDOWN")
        || g_str_has_prefix(msg, "TRYAGAIN")
        || g_str_has_prefix(msg, "MASTERDOWN")
        || g_str_has_prefix(msg, "LOADING");
}

/* Files the reply of command idx, or plans the command again. */
static void file_reply(sf_rcluster_t *c, guint idx, redisReply *r)
{
    cmd_t *cm = &g_array_index(c->cmds, cmd_t, idx);
    gint slot;
    node_t *to;

    if (r->type == REDIS_REPLY_ERROR && g_str_has_prefix(r->str, "MOVED ")
        && (to = redirect_target(c, r->str, &slot)) != NULL) {
        c->slots[slot] = to;
        c->stale = TRUE;
        c->st.moved++;
        retry_later(c, idx);
    } else if (r->type == REDIS_REPLY_ERROR && g_str_has_prefix(r->str, "ASK ")
               && (to = redirect_target(c, r->str, &slot)) != NULL) {
        cm->ask = to;
        c->st.ask++;
        retry_later(c, idx);
    } else if (r->type == REDIS_REPLY_ERROR && transient(r->str)) {
        g_string_assign(c->why, r->str);
        c->pause = TRUE;
        if (g_str_has_prefix(r->str, "CLUSTERDOWN"))
            c->stale = TRUE;
        retry_later(c, idx);
    } else {
        cm->reply = r;
        return;
    }
    freeReplyObject(r);
}

/* Writes n's pipeline; on failure everything sent to n is planned again. */
static void flush_node(sf_rcluster_t *c, node_t *n)
{
    int done = 0;

    while (!done)
        if (redisBufferWrite(n->rc, &done) != REDIS_OK) {
            for (guint k = 0; k < n->sent->len; k++)
                if (g_array_index(n->sent, gint, k) >= 0)
                    retry_later(c, (guint)g_array_index(n->sent, gint, k));
            g_array_set_size(n->sent, 0);
            node_drop(c, n, n->rc->errstr);
            return;
        }
}

static void read_node(sf_rcluster_t *c, node_t *n)
{
    for (guint k = 0; k < n->sent->len; k++) {
        gint idx = g_array_index(n->sent, gint, k);
        void *r = NULL;

        if (redisGetReply(n->rc, &r) != REDIS_OK || r == NULL) {
            for (; k < n->sent->len; k++)
                if (g_array_index(n->sent, gint, k) >= 0)
                    retry_later(c, (guint)g_array_index(n->sent, gint, k));
            node_drop(c, n, n->rc->errstr[0] ? n->rc->errstr : "no reply");
            break;
        }
        if (idx < 0) {
            freeReplyObject(r);     /* ASKING's +OK, SCRIPT LOAD's SHA1 */
        } else if (((redisReply *)r)->type == REDIS_REPLY_ERROR
                   && g_str_has_prefix(((redisReply *)r)->str, "NOSCRIPT")) {
            n->loaded = 0;          /* its script cache was flushed */
            g_string_printf(c->why, "%s: %s", n->name,
                            ((redisReply *)r)->str);
            retry_later(c, (guint)idx);
            freeReplyObject(r);
        } else {
            file_reply(c, (guint)idx, r);
        }
    }
    g_array_set_size(n->sent, 0);
}

static gint by_index(gconstpointer a, gconstpointer b)
{
    guint x = *(const guint *)a, y = *(const guint *)b;

    return x < y ? -1 : x > y;
}

static void one_round(sf_rcluster_t *c)
{
    GArray *t;

    g_array_set_size(c->again, 0);
    c->pause = FALSE;
    for (guint i = 0; i < c->nodes->len; i++)
        ((node_t *)c->nodes->pdata[i])->down = FALSE;
    for (guint i = 0; i < c->todo->len; i++)
        route(c, g_array_index(c->todo, guint, i));
    for (guint i = 0; i < c->nodes->len; i++) {
        node_t *n = c->nodes->pdata[i];
        if (n->rc && n->sent->len)
            flush_node(c, n);
    }
    for (guint i = 0; i < c->nodes->len; i++) {
        node_t *n = c->nodes->pdata[i];
        if (n->rc && n->sent->len)
            read_node(c, n);
    }
    g_array_sort(c->again, by_index);
    t = c->todo;
    c->todo = c->again;
    c->again = t;
}

static gboolean run_batch(sf_rcluster_t *c, GError **err)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)c->retry_ms * 1000;
    gint pause_ms = PAUSE_MIN_MS;

    g_array_set_size(c->todo, 0);
    for (guint i = c->done; i < c->cmds->len; i++)
        g_array_append_val(c->todo, i);
    for (guint round = 0;; round++) {
        gint64 left;

        if (c->stale)
            load_map(c);        /* on failure the old map is kept */
        one_round(c);
        if (c->todo->len == 0)
            return TRUE;
        c->st.retries++;
        left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0 || round + 1 >= MAX_ROUNDS) {
            g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS,
                        "redis cluster: %u of %u commands not done: %s",
                        c->todo->len, c->cmds->len - c->done, c->why->str);
            return FALSE;
        }
        if (c->pause) {
            g_usleep((gulong)MIN(pause_ms, left) * 1000);
            pause_ms = MIN(pause_ms * 2, PAUSE_MAX_MS);
        }
    }
}

redisReply *sf_rcluster_reply(sf_rcluster_t *c, GError **err)
{
    redisReply *r;

    g_return_val_if_fail(c->next < c->cmds->len, NULL);
    if (c->failed) {
        g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS,
                    "redis cluster: batch failed");
        return NULL;
    }
    if (c->next == c->done) {
        /* send what was appended since the last replies were asked for */
        if (!run_batch(c, err)) {
            c->failed = TRUE;
            return NULL;
        }
        c->done = c->cmds->len;
    }
    r = g_array_index(c->cmds, cmd_t, c->next).reply;
    g_array_index(c->cmds, cmd_t, c->next).reply = NULL;
    c->next++;
    return r;
}

void sf_rcluster_get_stats(const sf_rcluster_t *c, sf_rcluster_stats_t *out)
{
    *out = c->st;
}

guint sf_rcluster_n_masters(const sf_rcluster_t *c)
{
    guint n = 0;

    for (guint i = 0; i < c->nodes->len; i++)
        n += ((node_t *)c->nodes->pdata[i])->master;
    return n;
}
