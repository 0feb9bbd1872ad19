/*
 * test-notifier.c - unit tests of correlate/notifier.c against a real
 * redis-server (tests/notifier-redis.sh starts one; SF_TEST_REDIS_URL).
 *
 * Each queued alert reaches the channel (a subscriber reads it) and the
 * stream (XRANGE reads it), or the stream shard that its text hashes to;
 * a full queue drops new alerts and counts them, warning once; an alert
 * whose batch failed with the connection stays queued and is published on
 * the next connection (at-least-once).
 */
#include "notifier.h"
#include "correlator.h"
#include "correlate-testlib.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char *redis_url;
static guint overflow_warnings;     /* "... alerts wait for redis" */

/* Counts the notifier's overflow warnings, passes everything on. */
static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields,
                               gsize n, gpointer user)
{
    for (gsize i = 0; i < n; i++)
        if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0
            && strstr(fields[i].value, "alerts wait for redis"))
            overflow_warnings++;
    return g_log_writer_default(level, fields, n, user);
}

static redisContext *connect_test(void)
{
    redisContext *rc;

    g_assert_true(g_str_has_prefix(redis_url, "unix://"));
    rc = redisConnectUnix(redis_url + strlen("unix://"));
    g_assert_nonnull(rc);
    g_assert_cmpint(rc->err, ==, 0);
    freeReplyObject(redisCommand(rc, "FLUSHALL"));
    return rc;
}

static sf_correlate_config_t *config(const char *args)
{
    return correlate_test_config(redis_url, args);
}

typedef struct batch {
    sf_pipe_t    *pipe;
    redisContext *rc;
    guint         begun;
} batch_t;

static void begin(void *user)
{
    batch_t *b = user;

    sf_pipe_begin(b->pipe, b->rc);
    b->begun++;
}

static void enqueue(sf_notifier_t *n, guint i, sf_alert_kind_t kind)
{
    sf_alert_facts_t f;
    char src[32];

    memset(&f, 0, sizeof f);
    f.kind = kind;
    g_snprintf(src, sizeof src, "203.0.113.%u", i + 1);
    g_assert_true(sf_addr_parse(src, &f.src));
    f.distinct_ports = 100 + i;
    sf_notifier_enqueue(n, &f, NULL, g_get_real_time() / 1000);
}

/* The alerts of stream key, oldest first: their JSON texts. */
static GPtrArray *stream(redisContext *rc, const char *key)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    redisReply *r = redisCommand(rc, "XRANGE %s - +", key);

    g_assert_cmpint(r->type, ==, REDIS_REPLY_ARRAY);
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *fields = r->element[i]->element[1];
        g_assert_cmpuint(fields->elements, ==, 2);
        g_assert_cmpstr(fields->element[0]->str, ==, "alert");
        g_ptr_array_add(out, g_strdup(fields->element[1]->str));
    }
    freeReplyObject(r);
    return out;
}

/* 70 alerts (two batches of at most 64): each on the channel, in order,
 * and in the stream, the same texts. */
static void test_publish(void)
{
    sf_correlate_config_t *cfg = config("--channel t:ch --stream t:st");
    sf_notifier_t *n = sf_notifier_new(cfg, "edge-1");
    redisContext *sub = connect_test();
    batch_t b = {sf_pipe_new(), connect_test(), 0};
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) st = NULL;
    sf_notifier_stats_t s;
    redisReply *r = redisCommand(sub, "SUBSCRIBE t:ch");

    freeReplyObject(r);
    for (guint i = 0; i < 70; i++)
        enqueue(n, i, i % 2 ? SF_ALERT_HOST_SWEEP : SF_ALERT_PORT_SCAN);
    g_assert_true(sf_notifier_publish(n, b.pipe, begin, &b, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(b.begun, ==, 2);
    st = stream(b.rc, "t:st");
    g_assert_cmpuint(st->len, ==, 70);
    for (guint i = 0; i < 70; i++) {
        void *v = NULL;
        g_autofree char *want = g_strdup_printf("\"203.0.113.%u\"", i + 1);

        g_assert_cmpint(redisGetReply(sub, &v), ==, REDIS_OK);
        r = v;
        g_assert_cmpstr(r->element[0]->str, ==, "message");
        g_assert_cmpstr(r->element[2]->str, ==, st->pdata[i]);
        g_assert_nonnull(strstr(st->pdata[i], want));
        g_assert_nonnull(strstr(st->pdata[i], "\"collector\":\"edge-1\""));
        freeReplyObject(r);
    }
    sf_notifier_get_stats(n, &s);
    g_assert_cmpuint(s.queued, ==, 70);
    g_assert_cmpuint(s.published, ==, 70);
    g_assert_cmpuint(s.port_scan, ==, 35);
    g_assert_cmpuint(s.host_sweep, ==, 35);
    g_assert_cmpuint(s.dropped, ==, 0);
    sf_notifier_free(n);
    sf_pipe_free(b.pipe);
    redisFree(b.rc);
    redisFree(sub);
    sf_correlate_config_free(cfg);
}

/* --stream-shards 3: every alert in exactly one of t:st:0..2, the one its
 * text hashes to; none in t:st itself. */
static void test_shards(void)
{
    sf_correlate_config_t *cfg = config("--stream t:st --stream-shards 3");
    sf_notifier_t *n = sf_notifier_new(cfg, "c");
    batch_t b = {sf_pipe_new(), connect_test(), 0};
    g_autoptr(GError) err = NULL;
    guint total = 0, used = 0;
    redisReply *r;

    for (guint i = 0; i < 30; i++)
        enqueue(n, i, SF_ALERT_PORT_SCAN);
    g_assert_true(sf_notifier_publish(n, b.pipe, begin, &b, &err));
    for (guint k = 0; k < 3; k++) {
        g_autofree char *key = g_strdup_printf("t:st:%u", k);
        g_autoptr(GPtrArray) st = stream(b.rc, key);

        for (guint i = 0; i < st->len; i++)
            g_assert_cmpuint(g_str_hash(st->pdata[i]) % 3, ==, k);
        total += st->len;
        used += st->len > 0;
    }
    g_assert_cmpuint(total, ==, 30);
    g_assert_cmpuint(used, >=, 2);      /* 30 random ids: not all in one */
    r = redisCommand(b.rc, "EXISTS t:st");
    g_assert_cmpint(r->integer, ==, 0);
    freeReplyObject(r);
    sf_notifier_free(n);
    sf_pipe_free(b.pipe);
    redisFree(b.rc);
    sf_correlate_config_free(cfg);
}

/* --max-pending-alerts 2: the third and later alerts are dropped and
 * counted, with one warning until the queue was emptied. */
static void test_overflow(void)
{
    sf_correlate_config_t *cfg = config("--stream t:st --max-pending-alerts 2");
    sf_notifier_t *n = sf_notifier_new(cfg, "c");
    batch_t b = {sf_pipe_new(), connect_test(), 0};
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) st = NULL;
    sf_notifier_stats_t s;
    /* the warnings are expected here: not fatal */
    GLogLevelFlags fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK
                                                  | G_LOG_LEVEL_CRITICAL);

    overflow_warnings = 0;
    for (guint i = 0; i < 5; i++)
        enqueue(n, i, SF_ALERT_PORT_SCAN);
    g_assert_cmpuint(overflow_warnings, ==, 1);
    sf_notifier_get_stats(n, &s);
    g_assert_cmpuint(s.queued, ==, 2);
    g_assert_cmpuint(s.dropped, ==, 3);
    g_assert_true(sf_notifier_publish(n, b.pipe, begin, &b, &err));
    st = stream(b.rc, "t:st");
    g_assert_cmpuint(st->len, ==, 2);
    g_assert_nonnull(strstr(st->pdata[0], "\"203.0.113.1\""));
    g_assert_nonnull(strstr(st->pdata[1], "\"203.0.113.2\""));
    /* emptied: a new overflow warns again, once */
    for (guint i = 0; i < 4; i++)
        enqueue(n, i, SF_ALERT_PORT_SCAN);
    g_assert_cmpuint(overflow_warnings, ==, 2);
    sf_notifier_get_stats(n, &s);
    g_assert_cmpuint(s.dropped, ==, 5);
    sf_notifier_free(n);        /* warns about the 2 left */
    g_log_set_always_fatal(fatal);
    sf_pipe_free(b.pipe);
    redisFree(b.rc);
    sf_correlate_config_free(cfg);
}

/* A connection killed before the batch: FALSE, a Redis error, and the
 * alerts stay queued; a new connection publishes them. */
static void test_at_least_once(void)
{
    sf_correlate_config_t *cfg = config("--stream t:st");
    sf_notifier_t *n = sf_notifier_new(cfg, "c");
    redisContext *admin = connect_test();
    batch_t b = {sf_pipe_new(), connect_test(), 0};
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) st = NULL;
    sf_notifier_stats_t s;
    redisReply *r = redisCommand(b.rc, "CLIENT ID");

    freeReplyObject(redisCommand(admin, "CLIENT KILL ID %lld", r->integer));
    freeReplyObject(r);
    for (guint i = 0; i < 3; i++)
        enqueue(n, i, SF_ALERT_PORT_SCAN);
    g_assert_false(sf_notifier_publish(n, b.pipe, begin, &b, &err));
    g_assert_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS);
    g_clear_error(&err);
    redisFree(b.rc);
    b.rc = connect_test();
    sf_pipe_free(b.pipe);       /* a context dropped: a fresh pipe */
    b.pipe = sf_pipe_new();
    g_assert_true(sf_notifier_publish(n, b.pipe, begin, &b, &err));
    st = stream(admin, "t:st");
    g_assert_cmpuint(st->len, ==, 3);
    sf_notifier_get_stats(n, &s);
    g_assert_cmpuint(s.published, ==, 3);
    sf_notifier_free(n);
    sf_pipe_free(b.pipe);
    redisFree(b.rc);
    redisFree(admin);
    sf_correlate_config_free(cfg);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);   /* writes on a killed connection */
    g_log_set_writer_func(writer, NULL, NULL);
    redis_url = g_getenv("SF_TEST_REDIS_URL");
    if (redis_url == NULL) {
        printf("1..0 # SKIP SF_TEST_REDIS_URL not set\n");
        return 0;
    }
    g_test_add_func("/notifier/publish", test_publish);
    g_test_add_func("/notifier/shards", test_shards);
    g_test_add_func("/notifier/overflow", test_overflow);
    g_test_add_func("/notifier/at-least-once", test_at_least_once);
    return g_test_run();
}
