/*
 * test-horizon-redis.c - longer horizons against a real redis-server
 * (started by horizon-redis.sh; SF_TEST_REDIS_URL says where), on the
 * flows' clock (--clock flows), so that hours of flow time pass in
 * seconds.
 *
 * An alert that is out is not repeated when a longer horizon crosses, and
 * is escalated once its count grew fourfold, exactly once across three
 * correlators; a longer horizon's count is a union of at most 11 of its
 * own buckets.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "correlate-testlib.h"
#include "correlator.h"
#include "redisurl.h"
#include "redis-testlib.h"

static const char *redis_url;
/* 2026-01-01 00:00:00 UTC: the flows' clock of the tests */
static const gint64 T0_MS = G_GINT64_CONSTANT(1767225600000);

static redisContext *connect_test(void)
{
    g_autoptr(GError) err = NULL;
    sf_redis_target_t *t = sf_redis_target_parse(redis_url, &err);
    redisContext *rc;

    g_assert_no_error(err);
    rc = sf_redis_target_connect(t, 5000, &err);
    g_assert_no_error(err);
    sf_redis_target_free(t);
    return rc;
}

/* Validates alert texts (one a line) against the schema with
 * python3-jsonschema (SF_TEST_SCHEMA; skipped when unset). */
static void validate(const char *lines, guint n)
{
    const char *schema = g_getenv("SF_TEST_SCHEMA");
    g_autofree char *path = NULL, *out = NULL, *errout = NULL;
    g_autoptr(GError) err = NULL;
    int fd, status = 0;
    const char *script =
        "import json, sys, jsonschema\n"
        "v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])),"
        " format_checker=jsonschema.FormatChecker())\n"
        "n = 0\n"
        "for line in open(sys.argv[2]):\n"
        "    v.validate(json.loads(line)); n += 1\n"
        "print(n)\n";

    if (schema == NULL || n == 0)
        return;
    fd = g_file_open_tmp("sf-alerts-XXXXXX", &path, &err);
    g_assert_no_error(err);
    close(fd);
    g_file_set_contents(path, lines, -1, &err);
    g_assert_no_error(err);
    const char *argv[] = {"python3", "-c", script, schema, path, NULL};
    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                 &out, &errout, &status, &err);
    g_assert_no_error(err);
    g_unlink(path);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("schema validation failed: %s", errout);
    g_assert_cmpint(atoi(out), ==, n);
}

/* The alerts in the stream, oldest first, as parsed JSON objects, each
 * valid against the schema. */
static GPtrArray *stream_alerts(redisContext *rc)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_object_unref);
    redisReply *r = redisCommand(rc, "XRANGE scanflow:alerts - +");
    g_autoptr(GString) lines = g_string_new(NULL);

    g_assert_true(r && r->type == REDIS_REPLY_ARRAY);
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *fields = r->element[i]->element[1];
        JsonParser *p = json_parser_new();

        g_assert_cmpuint(fields->elements, ==, 2);
        g_string_append_printf(lines, "%s\n", fields->element[1]->str);
        g_assert_true(json_parser_load_from_data(p, fields->element[1]->str,
                                                 -1, NULL));
        g_test_message("%s", fields->element[1]->str);
        g_ptr_array_add(out, p);
    }
    freeReplyObject(r);
    validate(lines->str, out->len);
    return out;
}

static JsonObject *alert(GPtrArray *alerts, guint i)
{
    return json_node_get_object(json_parser_get_root(alerts->pdata[i]));
}

static sf_correlator_t *correlator(const sf_correlate_config_t *cfg,
                                   const char *name)
{
    g_autoptr(GError) err = NULL;
    sf_correlator_t *c = sf_correlator_new(cfg, name, &err);

    g_assert_no_error(err);
    return c;
}

/* A SYN probe to port of dst at flow time t_ms. */
static sf_flow_t probe_at(const char *src, const char *dst, guint16 port,
                          gint64 t_ms)
{
    sf_flow_t f = test_syn(src, dst, port);

    f.start_ms = f.end_ms = t_ms;
    return f;
}

/* Offers the probes of [p0, p1] to the correlators in turn (port p at
 * flow time T0 + t_ms(p)), in chunks of chunk_ms of flow time; after each
 * chunk waits until every correlator has written what it was given. */
static void feed_slow(sf_correlator_t **c, sf_correlator_feed_t **feeds,
                      guint n, guint p0, guint p1, gint64 first_ms,
                      gint64 step_ms, gint64 chunk_ms)
{
    guint k = 0;

    for (guint p = p0; p <= p1;) {
        gint64 chunk_end = first_ms + (gint64)(p - p0) * step_ms + chunk_ms;
        guint64 before[3];

        for (guint i = 0; i < n; i++) {
            sf_correlator_stats_t st;
            sf_correlator_get_stats(c[i], &st);
            before[i] = st.flushes;
        }
        for (; p <= p1 && first_ms + (gint64)(p - p0) * step_ms < chunk_end;
             p++, k++) {
            sf_flow_t f = probe_at("203.0.113.90", "192.0.2.90", (guint16)p,
                                   T0_MS + first_ms
                                       + (gint64)(p - p0) * step_ms);
            sf_correlator_feed_flow(&f, feeds[k % n]);
        }
        for (guint i = 0; i < n; i++) {
            sf_correlator_stats_t st;

            sf_correlator_feed_flow(NULL, feeds[i]);
            sf_correlator_get_stats(c[i], &st);
            for (guint w = 0; w < 400 && st.flushes == before[i]; w++) {
                g_usleep(5000);
                sf_correlator_get_stats(c[i], &st);
            }
        }
    }
}

/* 70 ports in a minute (port_scan over the 300 s window at 64 or so),
 * then one port every 10 s for 55 minutes: the one-hour horizon crosses at
 * once but the alert is out; at four times the alert's ports it
 * escalates, once, across three correlators fed in turn. */
static void test_escalation(void)
{
    sf_correlate_config_t *cfg = correlate_test_config(
        redis_url, "--clock flows --flush-interval 0.02");
    sf_correlator_t *c[3];
    sf_correlator_feed_t *feeds[3];
    redisContext *rc = connect_test();
    g_autoptr(GPtrArray) alerts = NULL;
    JsonObject *a, *b;

    freeReplyObject(redisCommand(rc, "FLUSHALL"));
    for (guint i = 0; i < 3; i++) {
        char name[8];
        g_snprintf(name, sizeof name, "h%u", i);
        c[i] = correlator(cfg, name);
        feeds[i] = sf_correlator_feed_new(c[i]);
    }
    feed_slow(c, feeds, 3, 1, 70, 0, 857, 10000);
    feed_slow(c, feeds, 3, 71, 400, 60000, 10000, 60000);
    for (guint i = 0; i < 3; i++) {
        sf_correlator_feed_free(feeds[i]);
        sf_correlator_free(c[i]);
    }
    alerts = stream_alerts(rc);
    g_assert_cmpuint(alerts->len, ==, 2);
    a = alert(alerts, 0);
    b = alert(alerts, 1);
    g_assert_cmpstr(json_object_get_string_member(a, "kind"), ==, "port_scan");
    g_assert_cmpint(json_object_get_int_member(a, "window_s"), ==, 300);
    g_assert_false(json_object_has_member(a, "escalates"));
    g_assert_cmpstr(json_object_get_string_member(b, "kind"), ==, "port_scan");
    g_assert_cmpint(json_object_get_int_member(b, "window_s"), ==, 3600);
    g_assert_cmpstr(json_object_get_string_member(b, "escalates"), ==,
                    json_object_get_string_member(a, "id"));
    g_assert_cmpint(json_object_get_int_member(b, "distinct_ports"), >=,
                    4 * json_object_get_int_member(a, "distinct_ports"));
    g_assert_cmpint(json_object_get_int_member(b, "distinct_ports"), <=,
                    json_object_get_int_member(b, "flows"));
    redisFree(rc);
    sf_correlate_config_free(cfg);
}

/* A day of one port every 15 minutes: the one-day horizon's ports live in
 * 11 buckets at most (of 8,640 s: the count is a union of 11 keys, not of
 * 2,880 30-second ones), each port in one bucket of each horizon, and the
 * day's union is exact (96 ports).  Each bucket holds one to nine ports,
 * so it is an exact set with no HLL beside it. */
static void test_rollup(void)
{
    sf_correlate_config_t *cfg = correlate_test_config(
        redis_url, "--clock flows --flush-interval 0.02 --share-after 1 "
        "--horizon 3600:1000:1000 --horizon 86400:1000:1000");
    sf_correlator_t *c = correlator(cfg, "rollup");
    sf_correlator_feed_t *feed = sf_correlator_feed_new(c);
    redisContext *rc = connect_test();
    redisReply *r;
    GString *cmd = g_string_new(NULL);
    gint64 last = T0_MS + 95 * 900000, b;

    freeReplyObject(redisCommand(rc, "FLUSHALL"));
    feed_slow(&c, &feed, 1, 1001, 1096, 0, 900000, 900000);
    sf_correlator_feed_free(feed);
    sf_correlator_free(c);
    /* small buckets are exact sets only: no HLL beside them (exact.c) */
    g_assert_cmpuint(count_keys(rc, "sf:{203.0.113.90}:p86400:*"), ==, 0);
    g_assert_cmpuint(count_keys(rc, "sf:{203.0.113.90}:p3600:*"), ==, 0);
    /* the hour's 96 buckets stay until their TTL: on the flows' clock a
     * day went by in seconds of the wall clock that TTLs run on */
    g_assert_cmpuint(count_keys(rc, "sf:{203.0.113.90}:xp3600:*"), ==, 96);
    g_assert_cmpuint(count_keys(rc, "sf:{203.0.113.90}:xp86400:*"), <=, 11);
    g_assert_cmpuint(count_keys(rc, "sf:{203.0.113.90}:xp86400:*"), >=, 10);
    /* the day's union, as the correlator reads it: exact */
    b = last / 8640000;
    g_string_append(cmd, "SUNION");
    for (gint64 i = b - 10; i <= b; i++)
        g_string_append_printf(cmd, " sf:{203.0.113.90}:xp86400:%" G_GINT64_FORMAT,
                               i);
    r = redisCommand(rc, cmd->str);
    g_assert_true(r && r->type == REDIS_REPLY_ARRAY);
    g_assert_cmpuint(r->elements, ==, 96);
    freeReplyObject(r);
    g_string_free(cmd, TRUE);
    redisFree(rc);
    sf_correlate_config_free(cfg);
}

/* Commands since the last SLOWLOG RESET (every command is logged: the
 * test sets slowlog-log-slower-than 0) that name a key of a longer
 * horizon's ports (sf:{S}:p3600:B, xp86400:B, ...): how many.  (An IPv4
 * source's destinations go to every horizon whenever they are new in the
 * base bucket: exact.c, one script a horizon.) */
static guint longer_element_commands(redisContext *rc)
{
    redisReply *r = redisCommand(rc, "SLOWLOG GET -1");
    guint n = 0;

    g_assert_true(r && r->type == REDIS_REPLY_ARRAY);
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *args = r->element[i]->element[3];
        gboolean hit = FALSE;

        for (size_t j = 0; j < args->elements; j++) {
            const char *a = args->element[j]->str;

            if (a && (strstr(a, ":p3600:") || strstr(a, ":xp3600:")
                      || strstr(a, ":p86400:") || strstr(a, ":xp86400:")))
                hit = TRUE;
        }
        n += hit;
    }
    freeReplyObject(r);
    return n;
}

static void slowlog_reset(redisContext *rc)
{
    freeReplyObject(redisCommand(rc, "SLOWLOG RESET"));
}

/* A scan of 100 ports repeated in the next 30 s bucket, which the hour's
 * and the day's current buckets contain: the base bucket gets the ports
 * again, the longer horizons' port keys are neither written nor counted;
 * a new port then goes into them, alone, and they count 101. */
static void test_repeat_longer(void)
{
    sf_correlate_config_t *cfg = correlate_test_config(
        redis_url, "--clock flows --flush-interval 0.02 "
        "--port-threshold 1000 --horizon 3600:1000:1000 "
        "--horizon 86400:1000:1000");
    sf_correlator_t *c = correlator(cfg, "repeat");
    sf_correlator_feed_t *feed = sf_correlator_feed_new(c);
    redisContext *rc = connect_test();
    redisReply *r;

    freeReplyObject(redisCommand(rc, "FLUSHALL"));
    freeReplyObject(redisCommand(rc, "CONFIG SET slowlog-max-len 100000"));
    freeReplyObject(redisCommand(rc, "CONFIG SET slowlog-log-slower-than 0"));
    feed_slow(&c, &feed, 1, 1, 100, 0, 10, 60000);
    g_assert_cmpuint(count_keys(rc, "sf:{203.0.113.90}:xp3600:*"), ==, 1);
    slowlog_reset(rc);
    feed_slow(&c, &feed, 1, 1, 100, 30000, 10, 60000);
    /* the base bucket of the repeat was written (a second xp key) */
    g_assert_cmpuint(count_keys(rc, "sf:{203.0.113.90}:xp:*"), ==, 2);
    g_assert_cmpuint(longer_element_commands(rc), ==, 0);
    slowlog_reset(rc);
    feed_slow(&c, &feed, 1, 101, 101, 40000, 10, 60000);
    /* the port into each longer horizon (add script), their counts */
    g_assert_cmpuint(longer_element_commands(rc), >=, 4);
    r = redisCommand(rc, "SCARD sf:{203.0.113.90}:xp3600:%lld",
                     (long long)(T0_MS / 360000));
    g_assert_true(r && r->type == REDIS_REPLY_INTEGER);
    g_assert_cmpint(r->integer, ==, 101);
    freeReplyObject(r);
    freeReplyObject(redisCommand(rc, "CONFIG SET slowlog-log-slower-than 10000"));
    freeReplyObject(redisCommand(rc, "CONFIG SET slowlog-max-len 128"));
    sf_correlator_feed_free(feed);
    sf_correlator_free(c);
    redisFree(rc);
    sf_correlate_config_free(cfg);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    redis_url = g_getenv("SF_TEST_REDIS_URL");
    if (redis_url == NULL) {
        printf("1..0 # SKIP SF_TEST_REDIS_URL not set\n");
        return 0;
    }
    g_test_add_func("/horizon/redis/escalation", test_escalation);
    g_test_add_func("/horizon/redis/rollup", test_rollup);
    g_test_add_func("/horizon/redis/repeat-longer", test_repeat_longer);
    return g_test_run();
}
