/*
 * top.c - `scanflow top [N]`: the sources with the highest fan-out now.
 *
 * top reads the per-minute fan-out index (sf:top:MINUTE, this minute and
 * the last) and each listed source's last counts (sf:{S}:c); the key
 * layout is drawn in correlate/keys.c, whose builders name the keys here
 * too.  On Redis Cluster (redis+cluster://) each read goes to the master
 * of its key's slot through rcluster.c, which follows MOVED and ASK.
 */
#include "top.h"
#include "watch.h"
#include "keys.h"
#include "rcluster.h"
#include "redisurl.h"

#include <stdlib.h>
#include <string.h>

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
    char key[SF_KEY_LEN], stop[16];
    redisReply *r;

    sf_key_top_minute(key, minute);
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
    /* e->src is what the index holds: sized for any text */
    g_autofree char *sk = g_malloc(strlen(e->src) + SF_KEY_SOURCE_LEN);
    g_autofree char *key = g_malloc(strlen(e->src) + SF_KEY_LEN);
    redisReply *r;
    const char *f[4] = {"-", "-", "-", "-"};

    sf_key_of(key, sf_key_source_text(sk, e->src), SF_KEY_COUNTS);
    r = top_cmd(c, 6, (const char *[]){"HMGET", key, "ports", "nets",
                                        "hosts", "net"});

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
        || (t = sf_redis_target_parse(url ? url : SF_WATCH_DEFAULT_REDIS,
                                      &err)) == NULL
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
