/*
 * top.c - `scanflow top [N]`: the sources with the highest fan-out now.
 *
 * On a terminal the table is redrawn in place every --interval seconds
 * (2) until SIGINT or SIGTERM, as top(1) does, cut to the terminal's
 * height; with --once, or when standard output is not a terminal (a pipe,
 * a file), it prints the table once and exits.  A Redis connection lost
 * between two frames is made again for the next one.
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

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t top_stop;

static void top_on_signal(int sig)
{
    top_stop = 1;
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

static void print_top_line(top_conn_t *c, guint rank, const top_entry_t *e,
                           GString *out)
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
    g_string_append_printf(out, "%3u  %-39s %8" G_GINT64_FORMAT
                           "  %8s %8s %8s  %s\n", rank, e->src, e->fanout,
                           f[0], f[1], f[2], f[3]);
    if (r)
        freeReplyObject(r);
}

/* One table, header included, of the N sources with the highest fan-out
 * in this minute's and the last minute's index. */
static void top_table(top_conn_t *c, guint n, GString *out)
{
    g_autoptr(GHashTable) best =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GArray) list = g_array_new(FALSE, FALSE, sizeof(top_entry_t));
    gint64 minute = g_get_real_time() / 60000000;
    GHashTableIter it;
    gpointer k, v;

    merge_minute(c, minute, n, best);
    merge_minute(c, minute - 1, n, best);
    g_hash_table_iter_init(&it, best);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        top_entry_t e = {k, (gint64)GPOINTER_TO_SIZE(v)};
        g_array_append_val(list, e);
    }
    g_array_sort(list, by_fanout);
    g_string_append(out, "rank src                                       fan-out"
                         "     ports     nets    hosts  top net\n");
    for (guint i = 0; i < list->len && i < n; i++)
        print_top_line(c, i + 1, &g_array_index(list, top_entry_t, i), out);
}

/* (Re)connects c to t; false with err set when Redis cannot be reached. */
static gboolean top_connect(top_conn_t *c, const sf_redis_target_t *t,
                            GError **err)
{
    if (c->rc && c->rc->err) {
        redisFree(c->rc);
        c->rc = NULL;
    }
    if (sf_redis_target_is_cluster(t))
        return c->cluster != NULL
               || (c->cluster = sf_rcluster_connect(t, 2000, 5000, err)) != NULL;
    return c->rc != NULL
           || (c->rc = sf_redis_target_connect(t, 2000, err)) != NULL;
}

/* Rows of the terminal left for the table (n when unknown). */
static guint top_rows(guint n)
{
    struct winsize ws;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 4)
        return MIN(n, (guint)ws.ws_row - 3);
    return n;
}

/* Redraws the table every interval seconds until SIGINT or SIGTERM. */
static int top_refresh(top_conn_t *c, const sf_redis_target_t *t, guint n,
                       double interval)
{
    struct sigaction sa = {.sa_handler = top_on_signal};
    g_autoptr(GString) frame = g_string_new(NULL);

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (!top_stop) {
        g_autoptr(GError) err = NULL;
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        g_autofree char *clock = g_date_time_format(now, "%H:%M:%S");

        /* home, clear to the end: the frame replaces the last one */
        g_string_assign(frame, "\033[H\033[J");
        g_string_append_printf(frame, "scanflow top - %s - %s, every %gs"
                               " (Ctrl-C quits)\n", clock, sf_redis_target_describe(t),
                               interval);
        if (top_connect(c, t, &err))
            top_table(c, top_rows(n), frame);
        else
            g_string_append_printf(frame, "Redis: %s\n", err->message);
        fwrite(frame->str, 1, frame->len, stdout);
        fflush(stdout);
        /* poll() returns early, with EINTR, on a signal */
        for (gint64 end = g_get_monotonic_time() + (gint64)(interval * 1e6);
             !top_stop && g_get_monotonic_time() < end;)
            if (poll(NULL, 0, (int)MAX(1, (end - g_get_monotonic_time()) / 1000)) < 0
                && errno != EINTR)
                break;
    }
    return 0;
}

int sf_cmd_top(int argc, char **argv)
{
    g_autofree char *url = NULL;
    gboolean once = FALSE;
    double interval = 2;
    const GOptionEntry entries[] = {
        {"redis", 0, 0, G_OPTION_ARG_STRING, &url, "Redis URL", "URL"},
        {"interval", 'i', 0, G_OPTION_ARG_DOUBLE, &interval,
         "Seconds between two tables on a terminal (2; 0.1 to 3600)", "S"},
        {"once", 0, 0, G_OPTION_ARG_NONE, &once,
         "Print the table once and exit (as when not on a terminal)", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("[N] - sources with the highest fan-out now");
    g_autoptr(GError) err = NULL;
    g_autoptr(GString) table = g_string_new(NULL);
    sf_redis_target_t *t = NULL;
    top_conn_t c = {NULL, NULL};
    guint64 n = 20;
    int rc = 0;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (g_option_context_parse(ctx, &argc, &argv, &err) && argc > 2)
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "unexpected argument '%s'", argv[2]);
    if (err
        || (argc > 1 && !g_ascii_string_to_unsigned(argv[1], 10, 1, 10000,
                                                     &n, &err))
        || (t = sf_redis_target_parse(url ? url : SF_WATCH_DEFAULT_REDIS,
                                      &err)) == NULL) {
        g_printerr("scanflow top: %s\n", err->message);
        return 2;
    }
    if (!(interval >= 0.1 && interval <= 3600)) {
        g_printerr("scanflow top: --interval %g: expected 0.1 to 3600 seconds\n",
                   interval);
        sf_redis_target_free(t);
        return 2;
    }
    if (!top_connect(&c, t, &err)) {
        g_printerr("scanflow top: %s\n", err->message);
        rc = 2;
    } else if (!once && isatty(STDOUT_FILENO)) {
        rc = top_refresh(&c, t, (guint)n, interval);
    } else {
        top_table(&c, (guint)n, table);
        fwrite(table->str, 1, table->len, stdout);
    }
    if (c.rc)
        redisFree(c.rc);
    sf_rcluster_free(c.cluster);
    sf_redis_target_free(t);
    return rc;
}
