/*
 * watch.c - `scanflow watch`: the alerts as they are published.
 *
 * watch subscribes to the alert channel and prints each alert on one line
 * (or the JSON itself with --json, for piping into jq).  Pub/sub is
 * at-most-once: watch is for eyes; tools that must not lose alerts read
 * the stream with a consumer group instead.  It reconnects with backoff.
 * On Redis Cluster (redis+cluster://) it needs no routing: PUBLISH reaches
 * every node.
 */
#include "watch.h"
#include "redisurl.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

static sf_redis_target_t *target_from(const char *url, GError **err)
{
    return sf_redis_target_parse(url ? url : SF_WATCH_DEFAULT_REDIS, err);
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
           /* distributed_port_scan: no src, the scanned host instead */
           json_object_get_string_member_with_default(
               o, "src", json_object_get_string_member_with_default(
                             o, "target", "?")),
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
    if (g_option_context_parse(ctx, &argc, &argv, &err) && argc > 1)
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "unexpected argument '%s'", argv[1]);
    if (err || (t = target_from(url, &err)) == NULL) {
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
