/*
 * watch.c - `scanflow watch` and `scanflow top`: the operator's view.
 *
 * watch subscribes to the alert channel and prints each alert on one line
 * (or the JSON itself with --json, for piping into jq).  Pub/sub is
 * at-most-once: watch is for eyes; tools that must not lose alerts read
 * the stream with a consumer group instead.  It reconnects with backoff.
 *
 * top reads the per-minute fan-out index (sf:top:MINUTE, this minute and
 * the last) and each listed source's last counts (sf:{S}:c); see the key
 * layout in window.c.  On Redis Cluster (redis+cluster://) each read goes
 * to the master of its key's slot through rcluster.c, which follows
 * MOVED and ASK; watch needs no routing: PUBLISH reaches every node.
 */
#include "correlator.h"
#include "rcluster.h"
#include "redisurl.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

static sf_redis_target_t *target_from(const char *url, GError **err)
{
    return sf_redis_target_parse(url ? url : "redis://127.0.0.1:6379/0", err);
}

static void print_alert(const char *json, gboolean raw)
{
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o;

    if (raw || !json_parser_load_from_data(p, json, -1, NULL)
        || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        printf("%s\n", json);
        fflush(stdout);
        return;
    }
    o = json_node_get_object(json_parser_get_root(p));
    printf("%s  %-10s %-39s ports=%" G_GINT64_FORMAT " hosts=%"
           G_GINT64_FORMAT " nets24=%" G_GINT64_FORMAT " top=%s(%"
           G_GINT64_FORMAT ") flows=%" G_GINT64_FORMAT " %s %s\n",
           json_object_get_string_member_with_default(o, "time", "?"),
           json_object_get_string_member_with_default(o, "kind", "?"),
           json_object_get_string_member_with_default(o, "src", "?"),
           json_object_get_int_member_with_default(o, "distinct_ports", 0),
           json_object_get_int_member_with_default(o, "distinct_hosts", 0),
           json_object_get_int_member_with_default(o, "distinct_nets24", 0),
           json_object_get_string_member_with_default(o, "top_net24", "-"),
           json_object_get_int_member_with_default(o, "hosts_in_top_net24",
                                                   0),
           json_object_get_int_member_with_default(o, "flows", 0),
           json_object_get_string_member_with_default(o, "severity", "?"),
           json_object_get_string_member_with_default(o, "collector", "?"));
    fflush(stdout);
}

/* Subscribes and prints until the connection fails. */
static void watch_once(redisContext *rc, const char *channel, gboolean raw)
{
    struct timeval forever = {0, 0};
    redisReply *r = redisCommand(rc, "SUBSCRIBE %s", channel);

    if (r == NULL)
        return;
    freeReplyObject(r);
    redisSetTimeout(rc, forever);
    for (;;) {
        void *v = NULL;
        if (redisGetReply(rc, &v) != REDIS_OK || v == NULL)
            return;
        r = v;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3
            && r->element[2]->type == REDIS_REPLY_STRING
            && strcmp(r->element[0]->str, "message") == 0)
            print_alert(r->element[2]->str, raw);
        freeReplyObject(r);
    }
}

int sf_cmd_watch(int argc, char **argv)
{
    g_autofree char *url = NULL, *channel = NULL;
    gboolean raw = FALSE;
    const GOptionEntry entries[] = {
        {"redis", 0, 0, G_OPTION_ARG_STRING, &url, "Redis URL", "URL"},
        {"channel", 0, 0, G_OPTION_ARG_STRING, &channel,
         "Alert channel (scanflow:alerts)", "NAME"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &raw, "Print alerts as JSON", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- print alerts");
    g_autoptr(GError) err = NULL;
    sf_redis_target_t *t;
    gint backoff_ms = 100;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)
        || (t = target_from(url, &err)) == NULL) {
        g_printerr("scanflow watch: %s\n", err->message);
        return 2;
    }
    for (;;) {
        g_autoptr(GError) e = NULL;
        redisContext *rc = sf_redis_target_connect(t, 2000, &e);

        if (rc) {
            backoff_ms = 100;
            watch_once(rc, channel ? channel : "scanflow:alerts", raw);
            g_printerr("scanflow watch: connection lost: %s\n",
                       rc->errstr[0] ? rc->errstr : "closed");
            redisFree(rc);
        } else {
            g_printerr("scanflow watch: %s\n", e->message);
        }
        g_usleep((gulong)backoff_ms * 1000);
        backoff_ms = MIN(backoff_ms * 2, 5000);
    }
    sf_redis_target_free(t);
    return 0;
}

typedef struct top_entry {
    char   *src;
    gint64  fanout;
} top_entry_t;

static gint by_fanout(gconstpointer a, gconstpointer b)
{
    const top_entry_t *x = a, *y = b;
    return x->fanout < y->fanout ? 1 : x->fanout > y->fanout ? -1
                                     : strcmp(x->src, y->src);
}

/* One Redis or a cluster; top's reads go through top_cmd(). */
typedef struct top_conn {
    redisContext  *rc;
    sf_rcluster_t *cluster;
} top_conn_t;

static redisReply *top_cmd(top_conn_t *c, int argc, const char **argv)
{
    size_t lens[8];

    g_assert(argc <= (int)G_N_ELEMENTS(lens));
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (c->cluster == NULL)
        return redisCommandArgv(c->rc, argc, argv, lens);
    sf_rcluster_begin(c->cluster);
    sf_rcluster_append(c->cluster, argc, argv, lens);
    return sf_rcluster_reply(c->cluster, NULL);
}

static void merge_minute(top_conn_t *c, gint64 minute, guint n,
                         GHashTable *best)
{
    char key[48], stop[16];
    redisReply *r;

    g_snprintf(key, sizeof key, "sf:top:%" G_GINT64_FORMAT, minute);
    g_snprintf(stop, sizeof stop, "%u", n - 1);
    r = top_cmd(c, 5, (const char *[]){"ZREVRANGE", key, "0", stop,
                                        "WITHSCORES"});
    if (r && r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
            gint64 score = g_ascii_strtoll(r->element[i + 1]->str, NULL, 10);
            gpointer old = g_hash_table_lookup(best, r->element[i]->str);
            if (old == NULL || GPOINTER_TO_SIZE(old) < (gsize)score)
                g_hash_table_replace(best, g_strdup(r->element[i]->str),
                                     GSIZE_TO_POINTER((gsize)score));
        }
    if (r)
        freeReplyObject(r);
}

static void print_top_line(top_conn_t *c, guint rank, const top_entry_t *e)
{
    g_autofree char *key = g_strdup_printf("sf:{%s}:c", e->src);
    redisReply *r = top_cmd(c, 6, (const char *[]){"HMGET", key, "ports",
                                                    "nets", "hosts", "net"});
    const char *f[4] = {"-", "-", "-", "-"};

    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < 4
                       && i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING)
            f[i] = r->element[i]->str;
    printf("%3u  %-39s %8" G_GINT64_FORMAT "  %8s %8s %8s  %s\n", rank,
           e->src, e->fanout, f[0], f[1], f[2], f[3]);
    if (r)
        freeReplyObject(r);
}

int sf_cmd_top(int argc, char **argv)
{
    g_autofree char *url = NULL;
    const GOptionEntry entries[] = {
        {"redis", 0, 0, G_OPTION_ARG_STRING, &url, "Redis URL", "URL"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("[N] - sources with the highest fan-out now");
    g_autoptr(GError) err = NULL;
    g_autoptr(GHashTable) best = NULL;
    g_autoptr(GArray) list = NULL;
    sf_redis_target_t *t = NULL;
    top_conn_t c = {NULL, NULL};
    guint64 n = 20;
    gint64 minute = g_get_real_time() / 60000000;
    GHashTableIter it;
    gpointer k, v;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)
        || (argc > 1 && !g_ascii_string_to_unsigned(argv[1], 10, 1, 10000,
                                                     &n, &err))
        || (t = target_from(url, &err)) == NULL
        || (sf_redis_target_is_cluster(t)
                ? (c.cluster = sf_rcluster_connect(t, 2000, 5000, &err)) == NULL
                : (c.rc = sf_redis_target_connect(t, 2000, &err)) == NULL)) {
        g_printerr("scanflow top: %s\n", err->message);
        sf_redis_target_free(t);
        return 2;
    }
    best = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    merge_minute(&c, minute, (guint)n, best);
    merge_minute(&c, minute - 1, (guint)n, best);
    list = g_array_new(FALSE, FALSE, sizeof(top_entry_t));
    g_hash_table_iter_init(&it, best);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        top_entry_t e = {k, (gint64)GPOINTER_TO_SIZE(v)};
        g_array_append_val(list, e);
    }
    g_array_sort(list, by_fanout);
    printf("rank src                                       fan-out     ports"
           "     nets    hosts  top net\n");
    for (guint i = 0; i < list->len && i < n; i++)
        print_top_line(&c, i + 1, &g_array_index(list, top_entry_t, i));
    if (c.rc)
        redisFree(c.rc);
    sf_rcluster_free(c.cluster);
    sf_redis_target_free(t);
    return 0;
}
