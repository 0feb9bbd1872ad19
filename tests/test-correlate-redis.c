/*
 * test-correlate-redis.c - the correlator against a real redis-server
 * (started by correlate-redis.sh; SF_TEST_REDIS_URL says where).
 *
 * Sketch accuracy against exact counts, TTLs on every key, one alert per
 * (source, kind) across three correlators sharing one Redis, alert JSON
 * valid against schemas/alert.schema.json, counting resumed by a restarted
 * correlator, alert latency, allow-list and tags, and a Redis outage that
 * must not block the sink.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <signal.h>
#include <string.h>

#include "config.h"
#include "correlate-testlib.h"
#include "correlator.h"
#include "exact.h"
#include "pipe.h"
#include "redisurl.h"
#include "redis-testlib.h"

static const char *redis_url;

/* Alerts received on the channel, by a subscriber thread. */
typedef struct listener {
    redisContext *rc;
    GThread      *thread;
    GAsyncQueue  *queue;        /* alert JSON texts */
} listener_t;

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

static void flushall(void)
{
    redisContext *rc = connect_test();
    freeReplyObject(redisCommand(rc, "FLUSHALL"));
    redisFree(rc);
}

static gpointer listen_main(gpointer data)
{
    listener_t *l = data;
    void *v;

    while (redisGetReply(l->rc, &v) == REDIS_OK && v) {
        redisReply *r = v;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3
            && strcmp(r->element[0]->str, "message") == 0) {
            gint64 *t = g_malloc(sizeof(gint64) + r->element[2]->len + 1);
            *t = g_get_monotonic_time();
            memcpy(t + 1, r->element[2]->str, r->element[2]->len + 1);
            g_async_queue_push(l->queue, t);
        }
        freeReplyObject(r);
    }
    return NULL;
}

static listener_t *listen_start(void)
{
    listener_t *l = g_new0(listener_t, 1);
    struct timeval forever = {0, 0};
    redisReply *r;

    l->rc = connect_test();
    r = redisCommand(l->rc, "SUBSCRIBE scanflow:alerts");
    g_assert_nonnull(r);
    freeReplyObject(r);
    redisSetTimeout(l->rc, forever);
    l->queue = g_async_queue_new_full(g_free);
    l->thread = g_thread_new("listener", listen_main, l);
    return l;
}

static void listen_stop(listener_t *l)
{
    shutdown(l->rc->fd, SHUT_RDWR);
    g_thread_join(l->thread);
    redisFree(l->rc);
    g_async_queue_unref(l->queue);
    g_free(l);
}

/* Next alert within timeout_ms; NULL if none.  *when: monotonic us. */
static char *next_alert(listener_t *l, guint timeout_ms, gint64 *when)
{
    gint64 *t = g_async_queue_timeout_pop(l->queue,
                                          (guint64)timeout_ms * 1000);
    char *json;

    if (t == NULL)
        return NULL;
    if (when)
        *when = *t;
    json = g_strdup((char *)(t + 1));
    g_free(t);
    return json;
}

/* All alerts until quiet_ms pass without one. */
static GPtrArray *collect(listener_t *l, guint quiet_ms)
{
    GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
    char *json;

    while ((json = next_alert(l, quiet_ms, NULL)) != NULL)
        g_ptr_array_add(all, json);
    return all;
}

static JsonObject *parse_alert(const char *json, JsonParser **keep)
{
    GError *err = NULL;

    *keep = json_parser_new();
    json_parser_load_from_data(*keep, json, -1, &err);
    g_assert_no_error(err);
    return json_node_get_object(json_parser_get_root(*keep));
}

static gint64 member_int(const char *json, const char *name)
{
    JsonParser *p;
    gint64 v = json_object_get_int_member(parse_alert(json, &p), name);
    g_object_unref(p);
    return v;
}

static char *member_str(const char *json, const char *name)
{
    JsonParser *p;
    JsonObject *o = parse_alert(json, &p);
    char *v = g_strdup(json_object_get_string_member(o, name));
    g_object_unref(p);
    return v;
}

/* Validates every alert against the schema with python3-jsonschema. */
static void validate(GPtrArray *alerts)
{
    const char *schema = g_getenv("SF_TEST_SCHEMA");
    g_autofree char *path = NULL;
    g_autofree char *out = NULL, *errout = NULL;
    g_autoptr(GString) lines = g_string_new(NULL);
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

    if (schema == NULL || alerts->len == 0)
        return;
    for (guint i = 0; i < alerts->len; i++)
        g_string_append_printf(lines, "%s\n", (char *)alerts->pdata[i]);
    fd = g_file_open_tmp("sf-alerts-XXXXXX", &path, &err);
    g_assert_no_error(err);
    close(fd);
    g_file_set_contents(path, lines->str, -1, &err);
    g_assert_no_error(err);
    const char *argv[] = {"python3", "-c", script, schema, path, NULL};
    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                 &out, &errout, &status, &err);
    g_assert_no_error(err);
    g_unlink(path);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("schema validation failed: %s", errout);
    g_assert_cmpint(atoi(out), ==, alerts->len);
}

static sf_correlate_config_t *config(const char *args)
{
    return correlate_test_config(redis_url, args);
}

/* Flows go in the way scanflowd feeds them: each receive thread offers
 * its decoded flows to a feed of its own (sf_correlator_feed_flow), and
 * the decoder ends each datagram's batch with a NULL flow, which files
 * what is staged.  A test keeps one feed per correlator (feeds) and ends
 * a batch with batch_end() where a datagram would end. */
static GHashTable *feeds;               /* sf_correlator_t -> feed */

static sf_correlator_t *correlator(const sf_correlate_config_t *cfg,
                                   const char *name)
{
    g_autoptr(GError) err = NULL;
    sf_correlator_t *c = sf_correlator_new(cfg, name, &err);

    g_assert_no_error(err);
    if (feeds == NULL)
        feeds = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_insert(feeds, c, sf_correlator_feed_new(c));
    return c;
}

static sf_correlator_feed_t *feed_of(sf_correlator_t *c)
{
    sf_correlator_feed_t *f = g_hash_table_lookup(feeds, c);

    g_assert_nonnull(f);
    return f;
}

static void offer(sf_correlator_t *c, const sf_flow_t *flow)
{
    sf_correlator_feed_flow(flow, feed_of(c));
}

static void batch_end(sf_correlator_t *c)
{
    sf_correlator_feed_flow(NULL, feed_of(c));
}

/* Frees c's feed (which files what it staged), then c, as scanflowd. */
static void release(sf_correlator_t *c)
{
    sf_correlator_feed_free(feed_of(c));
    g_hash_table_remove(feeds, c);
    sf_correlator_free(c);
}

static void feed_ports(sf_correlator_t *c, const char *src, const char *dst,
                       guint from, guint to)
{
    for (guint p = from; p <= to; p++) {
        sf_flow_t f = test_syn(src, dst, (guint16)p);
        offer(c, &f);
    }
    batch_end(c);
}

static gint64 hget(redisContext *rc, const char *src, const char *field)
{
    redisReply *r = redisCommand(rc, "HGET sf:{%s}:c %s", src, field);
    gint64 v = -1;

    if (r && r->type == REDIS_REPLY_STRING)
        v = g_ascii_strtoll(r->str, NULL, 10);
    if (r)
        freeReplyObject(r);
    return v;
}

static void assert_close(gint64 est, gint64 exact, double rel)
{
    double err = (double)(est > exact ? est - exact : exact - est) / exact;

    if (err > rel)
        g_error("estimate %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                " is %.2f%% off", est, exact, 100 * err);
}

static void test_accuracy(void)
{
    /* --share-after 1: every source written, down to 2 ports */
    sf_correlate_config_t *cfg = config("--share-after 1 --port-threshold 65536 "
                                        "--sweep-threshold 65536 "
                                        "--flush-interval 0.1");
    sf_correlator_t *c = correlator(cfg, "acc");
    const guint small[] = {2, 10, 50, 99};
    const guint large[] = {1000, 5000, 20000, 60000};
    const guint nets[] = {1500, 5000};
    redisContext *rc;
    char src[32], dst[32];

    flushall();
    for (guint i = 0; i < G_N_ELEMENTS(small); i++) {
        g_snprintf(src, sizeof src, "198.51.100.%u", i + 1);
        feed_ports(c, src, "192.0.2.1", 1, small[i]);
        g_snprintf(src, sizeof src, "198.51.100.%u", i + 101);
        for (guint h = 1; h <= small[i]; h++) {
            g_snprintf(dst, sizeof dst, "192.0.2.%u", h);
            sf_flow_t f = test_syn(src, dst, 22);
            offer(c, &f);
        }
        batch_end(c);
    }
    for (guint i = 0; i < G_N_ELEMENTS(large); i++) {
        g_snprintf(src, sizeof src, "198.51.100.%u", i + 201);
        feed_ports(c, src, "192.0.2.1", 1, large[i]);
        g_usleep(150000);       /* spread over flushes, as in real life */
    }
    for (guint i = 0; i < G_N_ELEMENTS(nets); i++) {
        g_snprintf(src, sizeof src, "198.51.100.%u", i + 211);
        for (guint n = 0; n < nets[i]; n++) {
            g_snprintf(dst, sizeof dst, "10.%u.%u.1", n >> 8, n & 255);
            sf_flow_t f = test_syn(src, dst, 80);
            offer(c, &f);
        }
    }
    release(c);
    rc = connect_test();
    for (guint i = 0; i < G_N_ELEMENTS(small); i++) {
        g_snprintf(src, sizeof src, "198.51.100.%u", i + 1);
        g_assert_cmpint(hget(rc, src, "ports"), ==, small[i]);
        g_snprintf(src, sizeof src, "198.51.100.%u", i + 101);
        g_assert_cmpint(hget(rc, src, "hosts"), ==, small[i]);
    }
    for (guint i = 0; i < G_N_ELEMENTS(large); i++) {
        g_snprintf(src, sizeof src, "198.51.100.%u", i + 201);
        g_test_message("%u ports -> %" G_GINT64_FORMAT, large[i],
                       hget(rc, src, "ports"));
        assert_close(hget(rc, src, "ports"), large[i], 0.02);
    }
    for (guint i = 0; i < G_N_ELEMENTS(nets); i++) {
        g_snprintf(src, sizeof src, "198.51.100.%u", i + 211);
        g_test_message("%u nets -> %" G_GINT64_FORMAT, nets[i],
                       hget(rc, src, "nets"));
        assert_close(hget(rc, src, "nets"), nets[i], 0.02);
    }
    redisFree(rc);
    sf_correlate_config_free(cfg);
}

/* The longest TTL key may have (keys.c), with the default horizons: a
 * longer horizon's keys, a source's meta and samples and the records of
 * its alerts live as long as its keys; the base window's 300 + 2 * 30 s. */
static long long ttl_bound(const char *key)
{
    if (strstr(key, "86400:") || g_str_has_suffix(key, "}:m")
        || g_str_has_suffix(key, "}:s") || strstr(key, "}:r:"))
        return 86400 + 2 * 8640;
    if (strstr(key, "3600:"))
        return 3600 + 2 * 360;
    return 360;
}

/* Every key the correlator wrote has a TTL. */
static void test_ttls(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.1");
    sf_correlator_t *c = correlator(cfg, "ttl");
    redisContext *rc;
    guint64 cursor = 0;
    guint keys = 0;
    char dst[32];

    flushall();
    feed_ports(c, "203.0.113.5", "192.0.2.9", 1, 100);
    for (guint h = 1; h <= 40; h++) {
        g_snprintf(dst, sizeof dst, "192.0.2.%u", h);
        sf_flow_t f = test_syn("203.0.113.6", dst, 443);
        offer(c, &f);
    }
    release(c);
    rc = connect_test();
    do {
        redisReply *r = redisCommand(rc, "SCAN %llu MATCH sf:* COUNT 1000",
                                     (unsigned long long)cursor);
        g_assert_true(r && r->type == REDIS_REPLY_ARRAY);
        cursor = g_ascii_strtoull(r->element[0]->str, NULL, 10);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            const char *key = r->element[1]->element[i]->str;
            redisReply *t = redisCommand(rc, "TTL %s", key);
            if (t->integer <= 0 || t->integer > ttl_bound(key))
                g_error("key %s has TTL %lld", key, t->integer);
            freeReplyObject(t);
            keys++;
        }
        freeReplyObject(r);
    } while (cursor != 0);
    g_test_message("%u keys, all with a TTL", keys);
    g_assert_cmpuint(keys, >, 20);
    redisFree(rc);
    sf_correlate_config_free(cfg);
}

/* Three correlators on one Redis, each fed a third: one alert per (source,
 * kind), and the window's counts within HyperLogLog error. */
static void test_three_collectors(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.2");
    sf_correlator_t *c[3];
    listener_t *l = listen_start();
    g_autoptr(GPtrArray) alerts = NULL;
    guint n = 0, port_scans = 0, sweeps = 0;
    redisContext *rc;
    char dst[32], client[32];

    flushall();
    for (guint i = 0; i < 3; i++) {
        char name[16];
        g_snprintf(name, sizeof name, "collector-%u", i);
        c[i] = correlator(cfg, name);
    }
    for (guint p = 1; p <= 1000; p++) {            /* SYN scan */
        sf_flow_t f = test_syn("203.0.113.10", "192.0.2.5", (guint16)p);
        offer(c[n++ % 3], &f);
    }
    for (guint h = 1; h <= 254; h++) {             /* sweep of a /24 */
        g_snprintf(dst, sizeof dst, "192.0.2.%u", h);
        sf_flow_t f = test_syn("203.0.113.20", dst, 22);
        offer(c[n++ % 3], &f);
    }
    for (guint i = 0; i < 300; i++) {              /* benign */
        /* a busy web client fetching 300 pages */
        sf_flow_t f = test_flow("203.0.113.30", (guint16)(30000 + i),
                                "192.0.2.80", 443, 6,
                                T_SYN | T_ACK | T_PSH | T_FIN, 14, 9000);
        offer(c[n++ % 3], &f);
        /* a server answering 300 clients */
        g_snprintf(client, sizeof client, "198.51.100.%u", 1 + i % 250);
        f = test_flow("192.0.2.80", 443, client, (guint16)(40000 + i), 6,
                      T_SYN | T_ACK | T_PSH | T_FIN, 20, 30000);
        offer(c[n++ % 3], &f);
        /* a DNS server answering clients */
        f = test_flow("192.0.2.53", 53, client, (guint16)(40000 + i), 17, 0,
                      1, 120);
        offer(c[n++ % 3], &f);
    }
    for (guint i = 0; i < 3; i++)
        release(c[i]);
    alerts = collect(l, 1500);
    listen_stop(l);
    for (guint i = 0; i < alerts->len; i++) {
        const char *a = alerts->pdata[i];
        g_autofree char *kind = member_str(a, "kind");
        g_autofree char *src = member_str(a, "src");

        g_test_message("%s", a);
        if (g_str_equal(kind, "port_scan")) {
            g_assert_cmpstr(src, ==, "203.0.113.10");
            g_assert_cmpint(member_int(a, "distinct_ports"), >=, 64);
            g_assert_cmpint(member_int(a, "distinct_ports"), <=, 1020);
            port_scans++;
        } else {
            g_assert_cmpstr(kind, ==, "host_sweep");
            g_assert_cmpstr(src, ==, "203.0.113.20");
            g_assert_cmpint(member_int(a, "hosts_in_top_net24"), >=, 32);
            sweeps++;
        }
    }
    g_assert_cmpuint(port_scans, ==, 1);
    g_assert_cmpuint(sweeps, ==, 1);
    validate(alerts);
    rc = connect_test();
    assert_close(hget(rc, "203.0.113.10", "ports"), 1000, 0.02);
    assert_close(hget(rc, "203.0.113.20", "hosts"), 254, 0.02);
    redisReply *r = redisCommand(rc, "XLEN scanflow:alerts");
    g_assert_cmpint(r->integer, ==, 2);
    freeReplyObject(r);
    redisFree(rc);
    sf_correlate_config_free(cfg);
}

/* A new correlator continues from the state in Redis. */
static void test_restart(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.1");
    sf_correlator_t *c = correlator(cfg, "first");
    listener_t *l = listen_start();
    g_autoptr(GPtrArray) before = NULL, after = NULL;

    flushall();
    feed_ports(c, "203.0.113.40", "192.0.2.7", 1, 40);
    release(c);
    before = collect(l, 500);
    g_assert_cmpuint(before->len, ==, 0);
    c = correlator(cfg, "second");
    feed_ports(c, "203.0.113.40", "192.0.2.7", 41, 80);
    release(c);
    after = collect(l, 1000);
    listen_stop(l);
    g_assert_cmpuint(after->len, ==, 1);
    g_assert_cmpint(member_int(after->pdata[0], "distinct_ports"), ==, 80);
    validate(after);
    sf_correlate_config_free(cfg);
}

/* The alert leaves within flush interval + 1 s of the crossing flow. */
static void test_latency(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.25");
    sf_correlator_t *c = correlator(cfg, "latency");
    listener_t *l = listen_start();
    gint64 t0, t1 = 0;
    g_autofree char *none = NULL, *alert = NULL;

    flushall();
    feed_ports(c, "203.0.113.50", "192.0.2.8", 1, 63);
    none = next_alert(l, 700, NULL);
    g_assert_null(none);
    t0 = g_get_monotonic_time();
    feed_ports(c, "203.0.113.50", "192.0.2.8", 64, 64);
    alert = next_alert(l, 5000, &t1);
    g_assert_nonnull(alert);
    g_test_message("alert %.0f ms after the crossing flow",
                   (double)(t1 - t0) / 1000.0);
    g_assert_cmpint(t1 - t0, <=, 250000 + 1000000);
    release(c);
    listen_stop(l);
    sf_correlate_config_free(cfg);
}

/* Allow-listed scanners are counted, never alerted; tagged ones are
 * alerted with their tag; IPv6 sweeps use /64s. */
static void test_allow_tag_v6(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.1 --allow "
                                        "203.0.113.128/25 --tag "
                                        "198.51.100.0/24=research");
    sf_correlator_t *c = correlator(cfg, "allow");
    listener_t *l = listen_start();
    g_autoptr(GPtrArray) alerts = NULL;
    sf_correlator_stats_t st;
    char dst[64];
    JsonParser *p;

    flushall();
    feed_ports(c, "203.0.113.200", "192.0.2.1", 1, 100);
    feed_ports(c, "198.51.100.7", "192.0.2.1", 1, 100);
    for (guint h = 1; h <= 40; h++) {
        g_snprintf(dst, sizeof dst, "2001:db8:1:2::%x", h);
        sf_flow_t f = test_flow("2001:db8:ff::1", 40000, dst, 22, 6, T_SYN,
                                1, 80);
        offer(c, &f);
    }
    batch_end(c);
    g_usleep(500000);
    sf_correlator_get_stats(c, &st);
    release(c);
    alerts = collect(l, 1000);
    listen_stop(l);
    g_assert_cmpuint(st.allowed, ==, 1);
    g_assert_cmpuint(alerts->len, ==, 2);
    for (guint i = 0; i < alerts->len; i++) {
        JsonObject *o = parse_alert(alerts->pdata[i], &p);
        const char *src = json_object_get_string_member(o, "src");
        JsonArray *tags = json_object_get_array_member(o, "tags");

        if (g_str_equal(src, "198.51.100.7")) {
            g_assert_cmpuint(json_array_get_length(tags), ==, 1);
            g_assert_cmpstr(json_array_get_string_element(tags, 0), ==,
                            "research");
        } else {
            g_assert_cmpstr(src, ==, "2001:db8:ff::1");
            g_assert_cmpstr(json_object_get_string_member(o, "kind"), ==,
                            "host_sweep");
            g_assert_cmpstr(json_object_get_string_member(o, "top_net24"),
                            ==, "2001:db8:1:2::/64");
            g_assert_cmpint(json_object_get_int_member(o,
                            "hosts_in_top_net24"), ==, 40);
        }
        g_object_unref(p);
    }
    validate(alerts);
    sf_correlate_config_free(cfg);
}

/* SIGHUP's reload: new thresholds, allow-list and tags apply to the next
 * flush, and the counts gathered before the reload are kept (50 ports
 * before, 20 after, threshold 1000 then 64: one alert with ~70 ports). */
static void test_reload(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.1 "
                                        "--port-threshold 1000");
    sf_correlate_config_t *cfg2 = config("--flush-interval 0.1 "
                                         "--port-threshold 64 --allow "
                                         "203.0.113.80/32 --tag "
                                         "203.0.113.81/32=research");
    sf_correlator_t *c = correlator(cfg, "reload");
    listener_t *l = listen_start();
    g_autoptr(GPtrArray) before = NULL, after = NULL;
    sf_correlator_stats_t st;
    JsonParser *p;

    flushall();
    feed_ports(c, "203.0.113.80", "192.0.2.1", 1, 100);
    feed_ports(c, "203.0.113.81", "192.0.2.1", 1, 50);
    before = collect(l, 800);
    g_assert_cmpuint(before->len, ==, 0);
    sf_correlator_reload(c, cfg2);
    sf_correlate_config_free(cfg2);     /* the correlator keeps a copy */
    feed_ports(c, "203.0.113.80", "192.0.2.1", 101, 120);
    feed_ports(c, "203.0.113.81", "192.0.2.1", 51, 70);
    after = collect(l, 1000);
    sf_correlator_get_stats(c, &st);
    release(c);
    listen_stop(l);
    g_assert_cmpuint(st.allowed, ==, 1);
    g_assert_cmpuint(after->len, ==, 1);
    JsonObject *o = parse_alert(after->pdata[0], &p);
    g_assert_cmpstr(json_object_get_string_member(o, "src"), ==,
                    "203.0.113.81");
    assert_close(json_object_get_int_member(o, "distinct_ports"), 70, 0.05);
    g_assert_cmpstr(json_array_get_string_element(
                        json_object_get_array_member(o, "tags"), 0), ==,
                    "research");
    g_object_unref(p);
    validate(after);
    sf_correlate_config_free(cfg);
}

/* SIGHUP's reload of --home-net reaches a feed that staged nothing since
 * (it tests --home-net before staging, against its own copy): flows into
 * the new home net count after the reload, flows into the old one no
 * longer do, and what a feed staged before the reload is tested again
 * when it files. */
static void test_reload_home(void)
{
    sf_correlate_config_t *cfg = config("--home-net 198.51.100.0/24");
    sf_correlate_config_t *cfg2 = config("--home-net 192.0.2.0/24");
    sf_correlate_config_t *cfg3 = config("--home-net 198.51.100.0/24");
    sf_correlator_t *c = correlator(cfg, "reload-home");
    sf_correlator_stats_t st;

    flushall();
    feed_ports(c, "203.0.113.80", "192.0.2.1", 1, 10);
    feed_ports(c, "203.0.113.80", "198.51.100.1", 1, 3);
    sf_correlator_get_stats(c, &st);
    g_assert_cmpuint(st.evidence, ==, 3);
    sf_correlator_reload(c, cfg2);
    feed_ports(c, "203.0.113.80", "192.0.2.1", 11, 20);
    feed_ports(c, "203.0.113.80", "198.51.100.1", 4, 6);
    feed_ports(c, "192.0.2.7", "198.51.100.1", 1, 5);     /* outbound */
    sf_correlator_get_stats(c, &st);
    g_assert_cmpuint(st.evidence, ==, 3 + 10);
    /* staged under cfg2, filed after the reload to cfg3: left out */
    for (guint p = 21; p <= 25; p++) {
        sf_flow_t f = test_syn("203.0.113.80", "192.0.2.1", (guint16)p);
        offer(c, &f);
    }
    sf_correlator_reload(c, cfg3);
    batch_end(c);
    sf_correlator_get_stats(c, &st);
    g_assert_cmpuint(st.evidence, ==, 3 + 10);
    feed_ports(c, "203.0.113.80", "198.51.100.1", 7, 8);
    sf_correlator_get_stats(c, &st);
    g_assert_cmpuint(st.evidence, ==, 3 + 10 + 2);
    g_assert_cmpuint(st.flows, ==, 10 + 3 + 10 + 3 + 5 + 5 + 2);
    release(c);
    sf_correlate_config_free(cfg3);
    sf_correlate_config_free(cfg2);
    sf_correlate_config_free(cfg);
}

/* Redis unreachable: the sink stays cheap and free() returns promptly. */
static void test_redis_down(void)
{
    g_autofree char *dir = g_dir_make_tmp("sf-nored-XXXXXX", NULL);
    g_autofree char *args = g_strdup_printf("t --redis unix://%s/none.sock "
                                            "--flush-interval 0.05", dir);
    sf_correlate_config_t *cfg = sf_correlate_config_new();
    g_auto(GStrv) argv = g_strsplit(args, " ", -1);
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) err = NULL;
    sf_correlator_t *c;
    sf_correlator_stats_t st;
    char src[32];
    gint64 t0;

    g_option_context_add_group(ctx, sf_correlate_option_group(cfg));
    g_option_context_parse_strv(ctx, &argv, &err);
    g_assert_no_error(err);
    g_assert_true(sf_correlate_config_finish(cfg, &err));
    /* the outage is logged once, as a warning: expected here */
    GLogLevelFlags fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK
                                                  | G_LOG_LEVEL_CRITICAL);
    c = correlator(cfg, "down");
    t0 = g_get_monotonic_time();
    for (guint i = 0; i < 200000; i++) {
        g_snprintf(src, sizeof src, "100.64.%u.%u", (i >> 8) & 255, i & 255);
        sf_flow_t f = test_syn(src, "192.0.2.1", (guint16)(1 + i % 1000));
        offer(c, &f);
    }
    batch_end(c);
    g_test_message("200,000 flows filed in %.0f ms with redis down",
                   (double)(g_get_monotonic_time() - t0) / 1000.0);
    g_usleep(300000);
    sf_correlator_get_stats(c, &st);
    g_assert_cmpuint(st.evidence, ==, 200000);
    g_assert_cmpuint(st.flushes, ==, 0);
    t0 = g_get_monotonic_time();
    release(c);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 5 * G_USEC_PER_SEC);
    g_log_set_always_fatal(fatal);
    sf_correlate_config_free(cfg);
    g_rmdir(dir);
}

/* Calls of one command since the last CONFIG RESETSTAT. */
static guint64 calls(redisContext *rc, const char *cmd)
{
    redisReply *r = redisCommand(rc, "INFO commandstats");
    g_autofree char *tag = g_strdup_printf("cmdstat_%s:calls=", cmd);
    const char *q = strstr(r->str, tag);
    guint64 n = q ? g_ascii_strtoull(q + strlen(tag), NULL, 10) : 0;

    freeReplyObject(r);
    return n;
}

/* Feeds the same three flows and waits for the flush that writes them. */
static void feed_same(sf_correlator_t *c)
{
    sf_correlator_stats_t st;
    guint64 before;

    sf_correlator_get_stats(c, &st);
    before = st.flushes;
    feed_ports(c, "203.0.113.70", "192.0.2.7", 1, 3);
    for (guint wait = 0; wait < 100 && st.flushes == before; wait++) {
        g_usleep(50000);
        sf_correlator_get_stats(c, &st);
    }
    g_assert_cmpuint(st.flushes, >, before);
}

/* A flush of elements the current bucket already holds sends no PFADD,
 * EXPIRE or PFCOUNT; once the connection is lost (here: killed, and the
 * data flushed, as a restarted empty Redis) everything is written again. */
static void test_skip_known(void)
{
    /* --share-after 1: written at once (three ports stay below the
     * default), and the 6 elements fit the table's entry; no network of
     * sources (it would write them again, and its member: 7 elements) */
    sf_correlate_config_t *cfg = config("--flush-interval 0.1 --share-after 1 "
                                        "--source-prefix 0,0");
    GLogLevelFlags fatal;

    for (guint attempt = 0;; attempt++) {
        gint64 b0 = g_get_real_time() / 30000000;
        sf_correlator_t *c = correlator(cfg, "skip");
        redisContext *rc;
        redisReply *r;
        guint64 pfadd, expire, pfcount, incrby;

        flushall();
        rc = connect_test();
        feed_same(c);
        freeReplyObject(redisCommand(rc, "CONFIG RESETSTAT"));
        feed_same(c);
        pfadd = calls(rc, "pfadd");
        expire = calls(rc, "expire");
        pfcount = calls(rc, "pfcount");
        incrby = calls(rc, "incrby");
        if (g_get_real_time() / 30000000 != b0 && attempt < 2) {
            release(c);      /* a new bucket began: again */
            redisFree(rc);
            continue;
        }
        g_assert_cmpuint(pfadd, ==, 0);
        g_assert_cmpuint(expire, ==, 0);
        g_assert_cmpuint(pfcount, ==, 0);
        /* nor its flows and times: held for its next write (seen.c) */
        g_assert_cmpuint(incrby, ==, 0);
        g_assert_cmpuint(calls(rc, "zadd"), ==, 0);

        /* "restart empty": connection lost, keys gone (scanflowd ignores
         * SIGPIPE; so must the test, which writes on the killed socket) */
        signal(SIGPIPE, SIG_IGN);
        fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK
                                       | G_LOG_LEVEL_CRITICAL);
        freeReplyObject(redisCommand(rc, "CLIENT KILL TYPE normal"));
        freeReplyObject(redisCommand(rc, "FLUSHALL"));
        freeReplyObject(redisCommand(rc, "CONFIG RESETSTAT"));
        feed_same(c);
        g_log_set_always_fatal(fatal);
        /* the sets of a source with few elements (no HLL: exact.h) */
        g_assert_cmpuint(calls(rc, "sadd"), >=, 4);
        g_assert_cmpuint(calls(rc, "expire"), >=, 4);
        /* the bucket of the flush: now's, or the one before if a bucket
         * began since */
        r = redisCommand(rc, "EVAL %s 0 %lld", "local n = 0 for b = ARGV[1] - 1, "
                         "ARGV[1] do n = math.max(n, redis.call('TTL', "
                         "'sf:{203.0.113.70}:xp:' .. b)) end return n",
                         (long long)(g_get_real_time() / 30000000));
        g_assert_cmpint(r->integer, >, 0);
        freeReplyObject(r);
        release(c);
        redisFree(rc);
        break;
    }
    sf_correlate_config_free(cfg);
}

/* Feeds ports from..to of one scanner and waits for the flush that
 * writes them. */
static void feed_scan(sf_correlator_t *c, guint from, guint to)
{
    sf_correlator_stats_t st;
    guint64 before;

    sf_correlator_get_stats(c, &st);
    before = st.flushes;
    feed_ports(c, "203.0.113.71", "192.0.2.8", from, to);
    for (guint wait = 0; wait < 100 && st.flushes == before; wait++) {
        g_usleep(50000);
        sf_correlator_get_stats(c, &st);
    }
    g_assert_cmpuint(st.flushes, >, before);
}

/* A 1,000-port scan fed twice within a bucket (at the default
 * --share-after): the second time costs no command at all (its flows and
 * times are held); a new port then goes out, alone, and is counted, with
 * the flows of both runs. */
static void test_repeat_scan(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.1");

    for (guint attempt = 0;; attempt++) {
        gint64 b0 = g_get_real_time() / 30000000;
        sf_correlator_t *c = correlator(cfg, "repeat");
        redisContext *rc;
        guint64 pfadd, pfcount, expire, lpush, incrby, zadd, total;
        redisReply *r;

        flushall();
        rc = connect_test();
        feed_scan(c, 1, 1000);
        freeReplyObject(redisCommand(rc, "CONFIG RESETSTAT"));
        feed_scan(c, 1, 1000);
        pfadd = calls(rc, "pfadd");
        pfcount = calls(rc, "pfcount");
        expire = calls(rc, "expire");
        lpush = calls(rc, "lpush");
        incrby = calls(rc, "incrby");
        zadd = calls(rc, "zadd");
        r = redisCommand(rc, "INFO stats");
        total = g_ascii_strtoull(strstr(r->str, "total_commands_processed:")
                                 + strlen("total_commands_processed:"),
                                 NULL, 10);
        freeReplyObject(r);
        if (g_get_real_time() / 30000000 != b0 && attempt < 2) {
            release(c);      /* a new bucket began: again */
            redisFree(rc);
            continue;
        }
        g_test_message("repeat of 1,000 ports: %" G_GUINT64_FORMAT
                       " commands (incl. INFO), pfadd %" G_GUINT64_FORMAT
                       " incrby %" G_GUINT64_FORMAT " zadd %"
                       G_GUINT64_FORMAT, total, pfadd, incrby, zadd);
        g_assert_cmpuint(pfadd, ==, 0);
        g_assert_cmpuint(pfcount, ==, 0);
        g_assert_cmpuint(expire, ==, 0);
        g_assert_cmpuint(lpush, ==, 0);
        g_assert_cmpuint(calls(rc, "eval"), ==, 0);     /* exact sets */
        g_assert_cmpuint(calls(rc, "evalsha"), ==, 0);
        g_assert_cmpuint(incrby, ==, 0);
        g_assert_cmpuint(zadd, ==, 0);

        /* one new port: one PFADD (ports) and its count read per horizon
         * (300 s, 1 h, 1 day), 1,001 ports */
        freeReplyObject(redisCommand(rc, "CONFIG RESETSTAT"));
        feed_scan(c, 1, 1001);
        g_assert_cmpuint(calls(rc, "pfadd"), ==, cfg->horizons->len);
        g_assert_cmpuint(calls(rc, "pfcount"), ==, cfg->horizons->len);
        r = redisCommand(rc, "PFCOUNT sf:{203.0.113.71}:p:%lld",
                         (long long)b0);
        g_assert_true(r && r->type == REDIS_REPLY_INTEGER);
        assert_close(r->integer, 1001, 0.02);
        freeReplyObject(r);
        /* the flows of the held repeat went out with the new port's */
        r = redisCommand(rc, "GET sf:{203.0.113.71}:f:%lld", (long long)b0);
        g_assert_true(r && r->type == REDIS_REPLY_STRING);
        g_assert_cmpint(g_ascii_strtoll(r->str, NULL, 10), ==, 3001);
        freeReplyObject(r);
        release(c);
        redisFree(rc);
        break;
    }
    sf_correlate_config_free(cfg);
}

/* Waits until the flows fed so far are written: a flush, then quiet for
 * longer than the flush interval (0.1 s), as that flush may have taken its
 * aggregate before the last flows (an empty aggregate is not counted). */
static void wait_flush(sf_correlator_t *c)
{
    sf_correlator_stats_t st;
    guint64 before;

    sf_correlator_get_stats(c, &st);
    before = st.flushes;
    for (guint wait = 0; wait < 200 && st.flushes == before; wait++) {
        g_usleep(20000);
        sf_correlator_get_stats(c, &st);
    }
    g_assert_cmpuint(st.flushes, >, before);
    do {
        before = st.flushes;
        g_usleep(150000);
        sf_correlator_get_stats(c, &st);
    } while (st.flushes != before);
}

/* Waits until the flows fed so far are written without requiring a new
 * flush (one may already have taken them): five flush intervals, then quiet
 * for longer than one. */
static void settle(sf_correlator_t *c)
{
    sf_correlator_stats_t st;
    guint64 before;

    g_usleep(500000);
    sf_correlator_get_stats(c, &st);
    do {
        before = st.flushes;
        g_usleep(150000);
        sf_correlator_get_stats(c, &st);
    } while (st.flushes != before);
}

/* The count of one bucket's dimension "sf:{S}:D:B": its set "sf:{S}:xD:B"
 * while it did not overflow, else the HLL (exact.h). */
static gint64 pfcount(redisContext *rc, const char *key)
{
    const char *at = strstr(key, "}:");
    g_autofree char *set = NULL;
    redisReply *r;
    gint64 v;

    g_assert_nonnull(at);
    set = g_strdup_printf("%.*sx%s", (int)(at - key + 2), key, at + 2);
    r = redisCommand(rc, "SISMEMBER %s x", set);
    if (r->integer == 0) {
        freeReplyObject(r);
        r = redisCommand(rc, "SCARD %s", set);
    } else {
        freeReplyObject(r);
        r = redisCommand(rc, "PFCOUNT %s", key);
    }
    v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    return v;
}

/* --max-nets-per-source also caps the nets whose hosts are tracked per
 * source and bucket across flushes (IPv4: the nets given h:NET:B keys
 * once the addresses' set overflows; none before): a wide sweep (one
 * host in each of 200 /24s, 8 new nets per flush) has its nets and hosts
 * counted exactly from its addresses;
 * a source sweeping one /24 over several flushes keeps its net's hosts
 * though it goes on to probe more nets than the cap. */
static gint64 scard(redisContext *rc, const char *key)
{
    redisReply *r = redisCommand(rc, "SCARD %s", key);
    gint64 v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

    freeReplyObject(r);
    return v;
}

static void test_nets_cap(void)
{
    /* no network of sources: its own capped nets would count too */
    sf_correlate_config_t *cfg = config("--max-nets-per-source 16 "
                                        "--flush-interval 0.1 "
                                        "--source-prefix 0,0");
    const char *wide = "203.0.113.90", *sweep = "203.0.113.91";
    char dst[32], key[96];

    for (guint attempt = 0;; attempt++) {
        gint64 b0 = g_get_real_time() / 30000000;
        sf_correlator_t *c = correlator(cfg, "cap");
        listener_t *l = listen_start();
        g_autoptr(GPtrArray) alerts = NULL;
        sf_correlator_stats_t st;
        guint other = 0, sweeps = 0;
        redisContext *rc;

        flushall();
        for (guint round = 0; round < 25; round++) {
            for (guint n = 8 * round; n < 8 * round + 8; n++) {
                g_snprintf(dst, sizeof dst, "10.20.%u.7", n);
                sf_flow_t f = test_syn(wide, dst, 443);
                offer(c, &f);
            }
            /* 192.0.2.0/24 first; 15 more nets over two flushes reach
             * the cap, then 8 new nets per flush are refused */
            for (guint h = 8 * round + 1; round < 5 && h <= 8 * round + 8;
                 h++) {
                g_snprintf(dst, sizeof dst, "192.0.2.%u", h);
                sf_flow_t f = test_syn(sweep, dst, 22);
                offer(c, &f);
            }
            for (guint n = 0; round < 5 && n < (round == 1 ? 7u : 8u); n++) {
                g_snprintf(dst, sizeof dst, "10.30.%u.1", other++);
                sf_flow_t f = test_syn(sweep, dst, 22);
                offer(c, &f);
            }
            batch_end(c);
            wait_flush(c);
        }
        sf_correlator_get_stats(c, &st);
        release(c);
        alerts = collect(l, 500);
        listen_stop(l);
        if (g_get_real_time() / 30000000 != b0 && attempt < 2) {
            g_test_message("a new bucket began: again");
            continue;
        }
        rc = connect_test();
        /* IPv4: no per-net key while the addresses' set is exact (at most
         * 256 a bucket): nets and hosts are counted from it, exactly */
        g_snprintf(key, sizeof key, "sf:{%s}:*h[0-9:]*", wide);
        g_test_message("wide sweep: %u h keys, nets %" G_GINT64_FORMAT
                       ", nets_capped %" G_GUINT64_FORMAT, count_keys(rc, key),
                       hget(rc, wide, "nets"), st.nets_capped);
        g_assert_cmpuint(count_keys(rc, key), ==, 0);
        g_assert_cmpint(hget(rc, wide, "nets"), ==, 200);
        g_snprintf(key, sizeof key, "sf:{%s}:xd:%" G_GINT64_FORMAT, wide, b0);
        g_assert_cmpint(scard(rc, key), ==, 200);
        /* 184 of the wide sweep, 24 of the other */
        g_assert_cmpuint(st.nets_capped, >=, 184 + 24);
        g_assert_cmpuint(st.nets_capped, <=, 184 + 24);

        g_snprintf(key, sizeof key, "sf:{%s}:*h[0-9:]*", sweep);
        g_assert_cmpuint(count_keys(rc, key), ==, 0);
        g_assert_cmpint(hget(rc, sweep, "hosts"), ==, 40);
        g_assert_cmpint(hget(rc, sweep, "nets"), ==, 40);
        for (guint i = 0; i < alerts->len; i++) {
            g_autofree char *kind = member_str(alerts->pdata[i], "kind");
            g_autofree char *src = member_str(alerts->pdata[i], "src");

            if (g_str_equal(kind, "wide_sweep")) {  /* one host a net */
                g_assert_cmpstr(src, ==, wide);
                continue;
            }
            g_assert_cmpstr(kind, ==, "host_sweep");
            g_assert_cmpstr(src, ==, sweep);
            g_assert_cmpint(member_int(alerts->pdata[i],
                                       "hosts_in_top_net24"), >=, 32);
            sweeps++;
        }
        g_assert_cmpuint(sweeps, ==, 1);
        redisFree(rc);
        break;
    }
    sf_correlate_config_free(cfg);
}

static void count4(sf_pipe_t *p, const char *sk, gint64 b0, gint64 b1,
                   guint32 base, gboolean grown, gint64 v[3], guint32 *top);

/* The top net of an IPv4 source is taken over all its nets of the
 * window, not only the nets a flush grew: 20 hosts of 10.60.0.0/24 in
 * one flush, then 3 of 10.60.1.0/24 in the next, leave 10.60.0.0/24
 * with 20 hosts as the last counts (sf:{S}:c), and 2 nets. */
static void test_top_all_nets(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.1 "
                                        "--source-prefix 0,0");
    const char *src = "203.0.113.96";
    sf_correlator_t *c = correlator(cfg, "top");
    redisContext *rc;
    redisReply *r;
    char dst[32];

    flushall();
    for (guint round = 0; round < 2; round++) {
        for (guint h = 1; h <= (round ? 3u : 20u); h++) {
            g_snprintf(dst, sizeof dst, "10.60.%u.%u", round, h);
            sf_flow_t f = test_syn(src, dst, 22);
            offer(c, &f);
        }
        batch_end(c);
        wait_flush(c);
    }
    release(c);
    rc = connect_test();
    g_assert_cmpint(hget(rc, src, "hosts"), ==, 20);
    g_assert_cmpint(hget(rc, src, "nets"), ==, 2);
    r = redisCommand(rc, "HGET sf:{%s}:c net", src);
    g_assert_cmpint(r->type, ==, REDIS_REPLY_STRING);
    g_assert_cmpstr(r->str, ==, "10.60.0.0/24");
    freeReplyObject(r);
    redisFree(rc);
    sf_correlate_config_free(cfg);
}

/* A sweep of 600 hosts in 3 /24s (200 each) by one source, 40 new hosts
 * a flush from two collectors in turn: the addresses' set overflows in
 * the middle of the bucket (at 256), after which each collector writes the
 * hosts of its nets into h:NET keys.  The counts stay right: nets exactly,
 * hosts and the top net's hosts within HLL error, and per-net keys only
 * for the nets written after the overflow. */
static void test_overflow_shared(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.1 "
                                        "--source-prefix 0,0");
    const char *src = "203.0.113.95";
    char dst[32], key[96], sk[64];

    g_snprintf(sk, sizeof sk, "sf:{%s}:", src);
    for (guint attempt = 0;; attempt++) {
        gint64 b0 = g_get_real_time() / 30000000, v[3];
        sf_correlator_t *c[2] = {correlator(cfg, "ov0"),
                                 correlator(cfg, "ov1")};
        redisContext *rc;
        sf_pipe_t *p;
        guint32 top;

        flushall();
        for (guint round = 0; round < 15; round++) {
            sf_correlator_t *ci = c[round % 2];

            for (guint i = 40 * round; i < 40 * round + 40; i++) {
                g_snprintf(dst, sizeof dst, "10.50.%u.%u", i / 200,
                           i % 200 + 1);
                sf_flow_t f = test_syn(src, dst, 22);
                offer(ci, &f);
            }
            batch_end(ci);
            wait_flush(ci);
        }
        release(c[0]);
        release(c[1]);
        if (g_get_real_time() / 30000000 != b0 && attempt < 2) {
            g_test_message("a new bucket began: again");
            continue;
        }
        rc = connect_test();
        g_snprintf(key, sizeof key, "%sxd:%" G_GINT64_FORMAT, sk, b0);
        g_assert_cmpint(scard(rc, key), ==, 240 + 1);   /* 6 flushes, x */
        /* the hosts written after the overflow: 10.50.1 and 10.50.2 */
        g_snprintf(key, sizeof key, "%sh:*", sk);
        g_assert_cmpuint(count_keys(rc, key), ==, 2);
        g_snprintf(key, sizeof key, "%sd:%" G_GINT64_FORMAT, sk, b0);
        assert_close(pfcount(rc, key), 600, 0.02);
        /* the last flush's counts (sf:{S}:c): its grown net 10.50.2 */
        g_assert_cmpint(hget(rc, src, "nets"), ==, 3);
        assert_close(hget(rc, src, "hosts"), 200, 0.02);
        p = sf_pipe_new();
        sf_pipe_begin(p, rc);
        count4(p, sk, b0 - 10, b0, 0x0a320000, TRUE, v, &top);
        g_test_message("hosts %" G_GINT64_FORMAT " nets %" G_GINT64_FORMAT
                       " top %" G_GINT64_FORMAT, v[0], v[1], v[2]);
        assert_close(v[0], 600, 0.02);
        g_assert_cmpint(v[1], ==, 3);
        assert_close(v[2], 200, 0.02);
        sf_pipe_free(p);
        redisFree(rc);
        break;
    }
    sf_correlate_config_free(cfg);
}

/* Redis's own CPU time so far (INFO cpu, user + system), in seconds.
 * Summing INFO commandstats would count the commands a script runs twice:
 * in the script's time and in their own. */
static double redis_cpu(redisContext *rc)
{
    redisReply *r = redisCommand(rc, "INFO cpu");
    const char *u = strstr(r->str, "used_cpu_user:");
    const char *s = strstr(r->str, "used_cpu_sys:");
    double v = g_ascii_strtod(u + 14, NULL) + g_ascii_strtod(s + 13, NULL);

    freeReplyObject(r);
    return v;
}

/* Measured cost of the window design: Redis commands and request bytes
 * per flow for a port scan, a sweep and a flood of one-flow sources. */
static void test_cost(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.2");
    const struct { const char *what; guint flows; } cases[] = {
        {"port scan, 10,000 ports", 10000},
        {"sweep of a /16, port 22", 65536},
        {"20,000 one-flow sources", 20000},
        {"5,000 sources, same flow in 4 flushes", 20000},
        {"5,000 sources, 4 ports each (shared)", 20000},
        {"port scan of 1,000 ports, run 10 times", 10000},
    };
    char dst[32], src[32];

    for (guint k = 0; k < G_N_ELEMENTS(cases); k++) {
        sf_correlator_t *c = correlator(cfg, "cost");
        sf_correlator_stats_t st;
        redisContext *rc;

        flushall();
        rc = connect_test();
        freeReplyObject(redisCommand(rc, "CONFIG RESETSTAT"));
        double cpu0 = redis_cpu(rc);
        for (guint i = 0; i < cases[k].flows; i++) {
            sf_flow_t f;
            if (k == 0) {
                f = test_syn("203.0.113.60", "192.0.2.1", (guint16)(i + 1));
            } else if (k == 1) {
                g_snprintf(dst, sizeof dst, "10.1.%u.%u", i >> 8, i & 255);
                f = test_syn("203.0.113.61", dst, 22);
            } else if (k == 2) {
                g_snprintf(src, sizeof src, "100.%u.%u.%u", i >> 16,
                           (i >> 8) & 255, i & 255);
                f = test_syn(src, "192.0.2.1", 23);
            } else if (k == 3) { /* internet noise: the same flow again */
                guint j = i % 5000;
                g_snprintf(src, sizeof src, "100.%u.%u.%u", j >> 16,
                           (j >> 8) & 255, j & 255);
                f = test_syn(src, "192.0.2.1", 23);
            } else if (k == 5) { /* the same scan again, a flush each */
                f = test_syn("203.0.113.62", "192.0.2.1",
                             (guint16)(i % 1000 + 1));
            } else {            /* just enough fan-out to be written */
                guint j = i / 4;
                g_snprintf(src, sizeof src, "100.%u.%u.%u", j >> 16,
                           (j >> 8) & 255, j & 255);
                f = test_syn(src, "192.0.2.1", (guint16)(i % 4 + 1));
            }
            offer(c, &f);
            if (i % (k == 5 ? 1000 : 5000) == (k == 5 ? 999 : 4999)) {
                /* about 5,000 flows per flush; the repeated scan's 1,000 */
                batch_end(c);
                g_usleep(200000);
            }
        }
        batch_end(c);
        /* until the Redis thread has caught up */
        guint64 last = G_MAXUINT64;
        for (guint wait = 0; wait < 50; wait++) {
            g_usleep(600000);
            sf_correlator_get_stats(c, &st);
            if (st.flushes == last)
                break;
            last = st.flushes;
        }
        g_assert_cmpuint(st.evidence, ==, cases[k].flows);
        double usec = (redis_cpu(rc) - cpu0) * 1e6;
        g_test_message("cost: %s: %.3f commands/flow, %.1f bytes/flow, "
                       "%.2f us redis CPU/flow (%" G_GUINT64_FORMAT
                       " flushes)", cases[k].what,
                       (double)st.redis_commands / cases[k].flows,
                       (double)st.redis_bytes / cases[k].flows,
                       usec / cases[k].flows, st.flushes);
        release(c);
        redisFree(rc);
    }
    sf_correlate_config_free(cfg);
}

/* Counts agree with the flows and the address space, and small ones are
 * exact: a 1,024-port scan reads 1,024 ports from 1,024 flows (the HLL
 * says 1,025), a /24 sweep 256 hosts; 40 scans of exactly 64 random ports
 * (two share an HLL register 13% of the time) and 40 sweeps of exactly 32
 * random hosts of a /24 are all alerted, with those counts. */
static void test_exact_counts(void)
{
    /* per source: the scanners share a /24, whose net_port_scan (and
     * the distributed_port_scan of hosts they share) is not what this
     * test is about */
    sf_correlate_config_t *cfg = config("--flush-interval 0.1 "
                                        "--source-prefix 0,0 "
                                        "--distributed-threshold 0:0");
    sf_correlator_t *c = correlator(cfg, "exact");
    listener_t *l = listen_start();
    g_autoptr(GPtrArray) alerts = NULL;
    GRand *rand = g_rand_new_with_seed(15);
    guint port_scans = 0, sweeps = 0;
    char src[32], dst[32];

    flushall();
    feed_ports(c, "203.0.113.10", "192.0.2.5", 1, 1024);
    for (guint h = 0; h <= 255; h++) {
        g_snprintf(dst, sizeof dst, "192.0.3.%u", h);
        sf_flow_t f = test_syn("203.0.113.20", dst, 22);
        offer(c, &f);
    }
    for (guint i = 0; i < 40; i++) {
        guint8 seen[65536 / 8] = {0}, hosts[32] = {0};

        g_snprintf(src, sizeof src, "198.51.100.%u", i + 1);
        for (guint n = 0; n < 64;) {
            guint p = (guint)g_rand_int_range(rand, 1, 65536);
            if (seen[p / 8] & (1 << (p % 8)))
                continue;
            seen[p / 8] |= (guint8)(1 << (p % 8));
            sf_flow_t f = test_syn(src, "192.0.2.7", (guint16)p);
            offer(c, &f);
            n++;
        }
        g_snprintf(src, sizeof src, "198.51.100.%u", i + 101);
        for (guint n = 0; n < 32;) {
            guint h = (guint)g_rand_int_range(rand, 0, 256);
            if (hosts[h / 8] & (1 << (h % 8)))
                continue;
            hosts[h / 8] |= (guint8)(1 << (h % 8));
            g_snprintf(dst, sizeof dst, "10.%u.1.%u", i, h);
            sf_flow_t f = test_syn(src, dst, 443);
            offer(c, &f);
            n++;
        }
        batch_end(c);
        g_usleep(20000);
    }
    release(c);
    alerts = collect(l, 1500);
    listen_stop(l);
    for (guint i = 0; i < alerts->len; i++) {
        const char *a = alerts->pdata[i];
        g_autofree char *kind = member_str(a, "kind");
        g_autofree char *from = member_str(a, "src");
        gint64 flows = member_int(a, "flows");

        g_assert_cmpint(member_int(a, "distinct_ports"), <=, flows);
        g_assert_cmpint(member_int(a, "distinct_hosts"), <=, flows);
        g_assert_cmpint(member_int(a, "hosts_in_top_net24"), <=, 256);
        g_assert_cmpint(member_int(a, "hosts_in_top_net24"), <=,
                        member_int(a, "distinct_hosts"));
        g_assert_cmpint(member_int(a, "distinct_nets24"), <=,
                        member_int(a, "distinct_hosts"));
        if (g_str_equal(from, "203.0.113.10")) {
            g_assert_cmpstr(kind, ==, "port_scan");
            g_assert_cmpint(flows, ==, 1024);
            g_assert_cmpint(member_int(a, "distinct_ports"), ==, 1024);
        } else if (g_str_equal(from, "203.0.113.20")) {
            g_assert_cmpstr(kind, ==, "host_sweep");
            g_assert_cmpint(member_int(a, "hosts_in_top_net24"), ==, 256);
            g_assert_cmpint(member_int(a, "distinct_hosts"), ==, 256);
        } else if (g_str_equal(kind, "port_scan")) {
            g_assert_cmpint(member_int(a, "distinct_ports"), ==, 64);
            port_scans++;
        } else {
            g_assert_cmpstr(kind, ==, "host_sweep");
            g_assert_cmpint(member_int(a, "hosts_in_top_net24"), ==, 32);
            g_assert_cmpint(member_int(a, "distinct_hosts"), ==, 32);
            sweeps++;
        }
    }
    g_assert_cmpuint(port_scans, ==, 40);
    g_assert_cmpuint(sweeps, ==, 40);
    g_assert_cmpuint(alerts->len, ==, 82);
    validate(alerts);
    g_rand_free(rand);
    sf_correlate_config_free(cfg);
}

/* wide_sweep: 4 hosts in each of 32 /24s (128 hosts, never more than 4 in
 * one /24) is one wide_sweep and nothing else; a dense sweep of one /24 is a
 * host_sweep only; 3 hosts in each of 20 /24s (60) stays under 64; IPv6: 2
 * hosts in each of 40 /64s. */
static void test_wide_sweep(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.1");
    sf_correlator_t *c = correlator(cfg, "wide");
    listener_t *l = listen_start();
    g_autoptr(GPtrArray) alerts = NULL;
    guint wide = 0, sweeps = 0;
    char dst[64];

    flushall();
    for (guint n = 0; n < 32; n++) {
        for (guint h = 1; h <= 4; h++) {
            g_snprintf(dst, sizeof dst, "10.7.%u.%u", n, h);
            sf_flow_t f = test_syn("203.0.113.70", dst, 443);
            offer(c, &f);
        }
        batch_end(c);
        g_usleep(10000);
    }
    for (guint h = 0; h < 256; h++) {
        g_snprintf(dst, sizeof dst, "10.8.0.%u", h);
        sf_flow_t f = test_syn("203.0.113.71", dst, 443);
        offer(c, &f);
    }
    for (guint n = 0; n < 20; n++)
        for (guint h = 1; h <= 3; h++) {
            g_snprintf(dst, sizeof dst, "10.9.%u.%u", n, h);
            sf_flow_t f = test_syn("203.0.113.72", dst, 443);
            offer(c, &f);
        }
    for (guint n = 0; n < 40; n++)
        for (guint h = 1; h <= 2; h++) {
            g_snprintf(dst, sizeof dst, "2001:db8:7:%x::%u", n, h);
            sf_flow_t f = test_syn("2001:db8:f::73", dst, 443);
            offer(c, &f);
        }
    release(c);
    alerts = collect(l, 1500);
    listen_stop(l);
    for (guint i = 0; i < alerts->len; i++) {
        const char *a = alerts->pdata[i];
        g_autofree char *kind = member_str(a, "kind");
        g_autofree char *src = member_str(a, "src");

        g_test_message("%s", a);
        if (g_str_equal(kind, "wide_sweep")) {
            g_assert_true(g_str_equal(src, "203.0.113.70")
                          || g_str_equal(src, "2001:db8:f::73"));
            /* the window as seen at the crossing: whole nets, exact */
            guint per_net = g_str_equal(src, "203.0.113.70") ? 4 : 2;
            g_assert_cmpint(member_int(a, "distinct_hosts"), >=, 64 + 4);
            g_assert_cmpint(member_int(a, "distinct_hosts"), <=, 128);
            g_assert_cmpint(member_int(a, "distinct_hosts"), ==,
                            per_net * member_int(a, "distinct_nets24"));
            wide++;
        } else {
            g_assert_cmpstr(kind, ==, "host_sweep");
            g_assert_cmpstr(src, ==, "203.0.113.71");
            sweeps++;
        }
    }
    g_assert_cmpuint(wide, ==, 2);
    g_assert_cmpuint(sweeps, ==, 1);
    validate(alerts);
    sf_correlate_config_free(cfg);
}

/* Networks of sources (--source-prefix): 8 members of one /24, each 16 of
 * 128 ports of one host (under the port threshold alone), are one
 * net_port_scan of the /24 with their union and members; 40 clients of
 * another /24 behind a NAT, each two refused connections to one of 40
 * hosts of a /24, are no members (probation holds them) and raise
 * nothing; with --source-prefix 0,0 nothing is aggregated. */
static void feed_networks(sf_correlator_t *c)
{
    char src[32], dst[32];

    for (guint m = 0; m < 8; m++) {
        g_snprintf(src, sizeof src, "203.0.113.%u", 10 + m);
        feed_ports(c, src, "192.0.2.50", 16 * m + 1, 16 * m + 16);
    }
    for (guint m = 0; m < 40; m++) {
        g_snprintf(src, sizeof src, "198.51.100.%u", 10 + m);
        g_snprintf(dst, sizeof dst, "192.0.3.%u", 1 + m);
        sf_flow_t f = test_syn(src, dst, 8443);
        offer(c, &f);
        f = test_syn(src, dst, 8080);
        offer(c, &f);
    }
    batch_end(c);
}

static void test_networks(void)
{
    /* the members' target, 192.0.2.50, is a distributed_port_scan too:
     * test_distributed's business, off here */
    sf_correlate_config_t *cfg = config("--flush-interval 0.1 "
                                        "--distributed-threshold 0:0");
    sf_correlate_config_t *off = config("--flush-interval 0.1 "
                                        "--distributed-threshold 0:0 "
                                        "--source-prefix 0,0");
    sf_correlate_config_t *v4only = config("--flush-interval 0.1 "
                                           "--distributed-threshold 0:0 "
                                           "--source-prefix 24,0");
    sf_correlator_t *c = correlator(cfg, "nets");
    listener_t *l = listen_start();
    g_autoptr(GPtrArray) alerts = NULL, none = NULL, v4 = NULL;

    g_assert_cmpint(cfg->source_prefix_v4, ==, 24);
    g_assert_cmpint(cfg->source_prefix_v6, ==, 64);
    flushall();
    feed_networks(c);
    release(c);
    alerts = collect(l, 1500);
    for (guint i = 0; i < alerts->len; i++)
        g_test_message("%s", (char *)alerts->pdata[i]);
    g_assert_cmpuint(alerts->len, ==, 1);
    {
        const char *a = alerts->pdata[0];
        g_autofree char *kind = member_str(a, "kind");
        g_autofree char *src = member_str(a, "src");
        g_autofree char *schema = member_str(a, "schema");

        g_assert_cmpstr(kind, ==, "net_port_scan");
        g_assert_cmpstr(src, ==, "203.0.113.0/24");
        g_assert_cmpstr(schema, ==, "scanflow.alert/2");
        g_assert_cmpint(member_int(a, "distinct_sources"), >=, 4);
        g_assert_cmpint(member_int(a, "distinct_sources"), <=, 8);
        g_assert_cmpint(member_int(a, "distinct_ports"), >=, 64);
        g_assert_cmpint(member_int(a, "distinct_ports"), <=, 128);
    }
    validate(alerts);
    c = correlator(off, "nets-off");
    flushall();
    feed_networks(c);
    release(c);
    none = collect(l, 1500);
    g_assert_cmpuint(none->len, ==, 0);
    /* IPv6 off, IPv4 on: an IPv6 source first in the flush changes
     * nothing for the IPv4 network */
    c = correlator(v4only, "nets-v4");
    flushall();
    feed_ports(c, "2001:db8:f::9", "2001:db8:1::5", 1, 20);
    feed_networks(c);
    release(c);
    v4 = collect(l, 1500);
    listen_stop(l);
    g_assert_cmpuint(v4->len, ==, 1);
    g_autofree char *v4src = member_str(v4->pdata[0], "src");
    g_assert_cmpstr(v4src, ==, "203.0.113.0/24");
    sf_correlate_config_free(cfg);
    sf_correlate_config_free(off);
    sf_correlate_config_free(v4only);
}

/* Many-to-one (distributed_port_scan): 60 sources each probe 3 ports of
 * one host, fed by three collectors a third each: one alert, whose
 * target is the host; a popular server (60 clients on 2 ports) and a
 * port scanner among 8 web clients raise none of this kind. */
static void feed_many(sf_correlator_t *c, guint from, guint to,
                      const char *dst, gboolean popular)
{
    char src[32];

    for (guint i = from; i < to; i++) {
        g_snprintf(src, sizeof src, "100.67.%u.7", 1 + i);
        for (guint k = 0; k < (popular ? 2u : 3u); k++) {
            sf_flow_t f = test_syn(src, dst, popular ? (k ? 443 : 80)
                                                     : (guint16)(1000 + 3 * i + k));
            offer(c, &f);
        }
    }
    batch_end(c);
}

static guint count_kind(GPtrArray *alerts, const char *kind)
{
    guint n = 0;

    for (guint i = 0; i < alerts->len; i++) {
        g_autofree char *k = member_str(alerts->pdata[i], "kind");
        n += g_strcmp0(k, kind) == 0;
    }
    return n;
}

static void test_distributed(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.1 "
                                        "--home-net 192.0.2.0/24 "
                                        "--distributed-threshold 64:8");
    sf_correlator_t *c[3];
    listener_t *l = listen_start();
    g_autoptr(GPtrArray) alerts = NULL, benign = NULL;

    flushall();
    for (guint i = 0; i < 3; i++) {
        g_autofree char *name = g_strdup_printf("dist%u", i);
        c[i] = correlator(cfg, name);
    }
    for (guint i = 0; i < 3; i++)
        feed_many(c[i], 20 * i, 20 * i + 20, "192.0.2.77", FALSE);
    /* each collector's flush may come before wait_flush() looks (slow
     * builds feed the others meanwhile): settle all three instead */
    for (guint i = 0; i < 3; i++)
        settle(c[i]);
    /* the sources come back in later flushes: no second alert */
    for (guint i = 0; i < 3; i++)
        feed_many(c[i], 20 * i, 20 * i + 20, "192.0.2.77", FALSE);
    for (guint i = 0; i < 3; i++)
        release(c[i]);
    alerts = collect(l, 1500);
    for (guint i = 0; i < alerts->len; i++)
        g_test_message("%s", (char *)alerts->pdata[i]);
    g_assert_cmpuint(alerts->len, ==, 1);
    {
        const char *a = alerts->pdata[0];
        g_autofree char *kind = member_str(a, "kind");
        g_autofree char *target = member_str(a, "target");
        g_autofree char *schema = member_str(a, "schema");
        g_autoptr(JsonParser) keep = NULL;
        JsonObject *o = parse_alert(a, &keep);

        g_assert_cmpstr(kind, ==, "distributed_port_scan");
        g_assert_cmpstr(target, ==, "192.0.2.77");
        g_assert_cmpstr(schema, ==, "scanflow.alert/2");
        g_assert_false(json_object_has_member(o, "src"));
        /* raised at the flush that crossed: one or more thirds in */
        g_assert_cmpint(member_int(a, "distinct_sources"), >=, 19);
        g_assert_cmpint(member_int(a, "distinct_sources"), <=, 60);
        g_assert_cmpint(member_int(a, "distinct_ports"), >=, 64);
        g_assert_cmpint(member_int(a, "distinct_ports"), <=,
                        3 * member_int(a, "distinct_sources"));
        g_assert_cmpint(member_int(a, "distinct_ports"), <=,
                        member_int(a, "flows"));
    }
    validate(alerts);
    /* look-alikes, one collector */
    flushall();
    c[0] = correlator(cfg, "benign");
    feed_many(c[0], 0, 60, "192.0.2.80", TRUE);
    feed_ports(c[0], "203.0.113.5", "192.0.2.81", 1, 100);
    feed_many(c[0], 0, 8, "192.0.2.81", TRUE);
    release(c[0]);
    benign = collect(l, 1500);
    listen_stop(l);
    for (guint i = 0; i < benign->len; i++)
        g_test_message("%s", (char *)benign->pdata[i]);
    g_assert_cmpuint(count_kind(benign, "distributed_port_scan"), ==, 0);
    g_assert_cmpuint(count_kind(benign, "port_scan"), ==, 1);
    sf_correlate_config_free(cfg);
}

/* A distributed scan slower than the flushes: 24 sources, 3 ports each,
 * one probe a flush.  The target is followed locally until it showed 4
 * sources and 4 ports, then written with the probes it kept: all 72
 * reach Redis (sf:{T}:tf) and it is alerted once. */
static void test_distributed_slow(void)
{
    sf_correlate_config_t *cfg = config("--flush-interval 0.05 "
                                        "--home-net 192.0.2.0/24 "
                                        "--distributed-threshold 64:8");
    listener_t *l = listen_start();
    sf_correlator_t *c;
    g_autoptr(GPtrArray) alerts = NULL;
    redisContext *rc;
    redisReply *r;
    char src[32];

    flushall();
    c = correlator(cfg, "slow");
    for (guint k = 0; k < 3; k++)
        for (guint i = 0; i < 24; i++) {
            sf_flow_t f;
            g_snprintf(src, sizeof src, "100.68.%u.9", 1 + i);
            f = test_syn(src, "192.0.2.90", (guint16)(2000 + 3 * i + k));
            offer(c, &f);
            batch_end(c);
            wait_flush(c);
        }
    settle(c);
    rc = connect_test();
    r = redisCommand(rc, "GET sf:{192.0.2.90}:tf");
    g_assert_cmpint(r->type, ==, REDIS_REPLY_STRING);
    g_assert_cmpstr(r->str, ==, "72");
    freeReplyObject(r);
    redisFree(rc);
    release(c);
    alerts = collect(l, 1500);
    listen_stop(l);
    for (guint i = 0; i < alerts->len; i++)
        g_test_message("%s", (char *)alerts->pdata[i]);
    g_assert_cmpuint(count_kind(alerts, "distributed_port_scan"), ==, 1);
    sf_correlate_config_free(cfg);
}

/* The integer reply of the command just sent on p. */
static gint64 int_reply(sf_pipe_t *p)
{
    g_autoptr(GError) err = NULL;
    redisReply *r = sf_pipe_reply(p, &err);
    gint64 v;

    g_assert_no_error(err);
    g_assert_cmpint(r->type, ==, REDIS_REPLY_INTEGER);
    v = r->integer;
    freeReplyObject(r);
    return v;
}

/* Reads n replies of p; returns how many were errors. */
static guint skip_replies(sf_pipe_t *p, guint n)
{
    guint errors = 0;

    for (guint i = 0; i < n; i++) {
        g_autoptr(GError) err = NULL;
        redisReply *r = sf_pipe_reply(p, &err);

        g_assert_no_error(err);
        errors += r->type == REDIS_REPLY_ERROR;
        freeReplyObject(r);
    }
    return errors;
}

/* Elements 2-byte ports from..to into bucket b of sf:{S}:p: via exact.c;
 * the script's reply. */
static gint64 exact_add(sf_pipe_t *p, const char *sk, const char *dim,
                        gint64 b, guint from, guint to, guint len)
{
    char key[128], set[128];

    guint before;

    g_snprintf(key, sizeof key, "%s%s%" G_GINT64_FORMAT, sk, dim, b);
    before = sf_exact_add_begin(p, key, sf_exact_set_key(set, sk, dim, b),
                                60, len, to - from + 1);
    for (guint i = from; i <= to; i++) {
        guint8 e[8] = {0};
        e[len - 2] = (guint8)(i >> 8);
        e[len - 1] = (guint8)i;
        sf_pipe_arg(p, e, len);
    }
    sf_pipe_end(p);
    g_assert_cmpuint(skip_replies(p, before), ==, 0);
    return int_reply(p);
}

static gint64 exact_count(sf_pipe_t *p, const char *sk, const char *dim,
                          gint64 b0, gint64 b1)
{
    sf_exact_count(p, sk, dim, b0, b1);
    return int_reply(p);
}

/* The layout of exact.h: a bucket with at most 256 elements is a set and
 * no HLL; one that overflows moves its elements into its HLL (TTL set);
 * a window over both counts their union (HLL merged with the small set);
 * IPv4 ports (integers in the set) and IPv6 nets (8 bytes, as they are)
 * come out as the same elements other collectors PFADD. */
static void test_exact_layout(void)
{
    redisContext *rc = connect_test();
    sf_pipe_t *p = sf_pipe_new();
    const char *sks[] = {"sf:{198.51.100.9}:", "sf:{2001:db8::9}:"};
    const char *dims[] = {"p:", "n:"};
    const guint lens[] = {2, 8};

    flushall();
    for (guint k = 0; k < 2; k++) {
        char key[128];
        redisReply *r;

        sf_pipe_begin(p, rc);
        g_assert_cmpint(exact_add(p, sks[k], dims[k], 1, 1, 100, lens[k]), ==, 0);
        g_snprintf(key, sizeof key, "%s%s1", sks[k], dims[k]);
        r = redisCommand(rc, "EXISTS %s", key);
        g_assert_cmpint(r->integer, ==, 0);         /* no HLL */
        freeReplyObject(r);
        g_assert_cmpint(exact_add(p, sks[k], dims[k], 2, 50, 200, lens[k]), ==, 0);
        g_assert_cmpint(exact_add(p, sks[k], dims[k], 2, 201, 349, lens[k]), ==, 1);
        g_assert_cmpint(exact_add(p, sks[k], dims[k], 2, 350, 399, lens[k]), ==, 1);
        g_snprintf(key, sizeof key, "%s%s2", sks[k], dims[k]);
        r = redisCommand(rc, "TTL %s", key);
        g_assert_cmpint(r->integer, >, 0);
        freeReplyObject(r);
        g_assert_cmpint(exact_count(p, sks[k], dims[k], 1, 1), ==, 100);
        /* 1..399: 100 exact in bucket 1, 350 in the HLL of bucket 2 (HLL
         * error: within 2%) */
        g_assert_cmpint(exact_count(p, sks[k], dims[k], 1, 2), >=, 391);
        g_assert_cmpint(exact_count(p, sks[k], dims[k], 1, 2), <=, 407);
        g_assert_cmpint(exact_count(p, sks[k], dims[k], 2, 2), >=, 343);
        g_assert_cmpint(exact_count(p, sks[k], dims[k], 2, 2), <=, 357);
        g_snprintf(key, sizeof key, "%sxt", sks[k]);
        r = redisCommand(rc, "EXISTS %s", key);
        g_assert_cmpint(r->integer, ==, 0);         /* scratch deleted */
        freeReplyObject(r);
        /* the HLL of bucket 2 holds the same elements as one PFADDed
         * directly with 50..399 */
        {
            redisReply *a, *b;
            const char **argv = g_new(const char *, 400);
            size_t *alen = g_new(size_t, 400);
            guint8 *el = g_malloc0(400 * 8);
            int n = 0;

            argv[n] = "PFADD"; alen[n++] = 5;
            argv[n] = "t:ref"; alen[n++] = 5;
            for (guint i = 50; i <= 399; i++, n++) {
                el[8 * n + lens[k] - 2] = (guint8)(i >> 8);
                el[8 * n + lens[k] - 1] = (guint8)i;
                argv[n] = (const char *)el + 8 * n;
                alen[n] = lens[k];
            }
            freeReplyObject(redisCommandArgv(rc, n, argv, alen));
            g_snprintf(key, sizeof key, "%s%s2", sks[k], dims[k]);
            a = redisCommand(rc, "GETRANGE t:ref 16 -1");
            b = redisCommand(rc, "GETRANGE %s 16 -1", key);
            g_assert_cmpuint(a->len, ==, b->len);
            g_assert_cmpint(memcmp(a->str, b->str, a->len), ==, 0);
            freeReplyObject(a);
            freeReplyObject(b);
            freeReplyObject(redisCommand(rc, "DEL t:ref"));
            g_free(argv);
            g_free(alen);
            g_free(el);
        }
    }
    sf_pipe_free(p);
    redisFree(rc);
}

/* IPv4 address A.B.C.D from an integer. */
static void put_v4(guint8 *a, guint32 v)
{
    a[0] = (guint8)(v >> 24);
    a[1] = (guint8)(v >> 16);
    a[2] = (guint8)(v >> 8);
    a[3] = (guint8)v;
}

/* Addresses base+from..base+to into bucket b of sk's xd via
 * sf_exact_add4, with h:NET keys for the nets of base..base+0x3ff; the
 * script's reply. */
static gint64 add4(sf_pipe_t *p, const char *sk, gint64 b, guint32 base,
                   guint from, guint to)
{
    g_autofree guint8 *el = g_malloc((to - from + 1) * 4);
    sf_agg_net_t nets[4];

    memset(nets, 0, sizeof nets);
    for (guint i = 0; i < 4; i++) {
        put_v4(nets[i].net, (base >> 8) + i);
        memmove(nets[i].net, nets[i].net + 1, 3);
        nets[i].net_len = 3;
    }
    for (guint i = from; i <= to; i++)
        put_v4(el + 4 * (i - from), base + i);
    guint sent = sf_exact_add4(p, sk, 0, b, 60, nets, 4, NULL, el,
                               to - from + 1);

    g_assert_cmpuint(skip_replies(p, sent - 1), ==, 0);
    return int_reply(p);
}

/* sf_exact_count4 over b0..b1 with the nets of base..base+0x3ff as grown
 * ones (or none): {hosts, nets, top hosts}; *top: the top net. */
static void count4(sf_pipe_t *p, const char *sk, gint64 b0, gint64 b1,
                   guint32 base, gboolean grown, gint64 v[3], guint32 *top)
{
    g_autoptr(GError) err = NULL;
    static const guint8 all[4] = {1, 1, 1, 1};
    sf_agg_net_t nets[4];
    guint8 net[3];
    redisReply *r;

    memset(nets, 0, sizeof nets);
    for (guint i = 0; i < 4; i++) {
        put_v4(nets[i].net, (base >> 8) + i);
        memmove(nets[i].net, nets[i].net + 1, 3);
        nets[i].net_len = 3;
    }
    sf_exact_count4(p, sk, 0, b0, b1, nets, 4, grown ? all : NULL);
    r = sf_pipe_reply(p, &err);
    g_assert_no_error(err);
    g_assert_true(sf_exact_parse4(r, &v[0], &v[1], net, &v[2]));
    *top = (guint32)net[0] << 16 | (guint32)net[1] << 8 | net[2];
    freeReplyObject(r);
}

/* PFADD of every element (len bytes each, in el) into a reference HLL:
 * TRUE when key's registers are the same bytes. */
static gboolean same_hll(redisContext *rc, const char *key, const guint8 *el,
                         guint n, guint len)
{
    g_autofree const char **argv = g_new(const char *, n + 2);
    g_autofree size_t *alen = g_new(size_t, n + 2);
    redisReply *a, *b;
    gboolean same;

    argv[0] = "PFADD";
    alen[0] = 5;
    argv[1] = "t:ref";
    alen[1] = 5;
    for (guint i = 0; i < n; i++) {
        argv[i + 2] = (const char *)el + (gsize)len * i;
        alen[i + 2] = len;
    }
    freeReplyObject(redisCommandArgv(rc, (int)n + 2, argv, alen));
    a = redisCommand(rc, "GETRANGE t:ref 16 -1");
    b = redisCommand(rc, "GETRANGE %s 16 -1", key);
    same = a->len == b->len && b->len > 0
           && memcmp(a->str, b->str, a->len) == 0;
    freeReplyObject(a);
    freeReplyObject(b);
    freeReplyObject(redisCommand(rc, "DEL t:ref"));
    return same;
}

/* The IPv4 destinations' layout (exact.h, sf_exact_add4): at most 256
 * addresses a bucket are the set xd alone (no d, n or h:NET key) and the
 * count gives hosts, nets and the top net over all nets exactly; a set
 * that overflows keeps its members and "x", d holds what PFADD of every
 * address gives, n and h:NET what PFADD of the nets and hosts written
 * from the overflow on gives, and the count merges them with the
 * members. */
static void test_exact_layout4(void)
{
    redisContext *rc = connect_test();
    sf_pipe_t *p = sf_pipe_new();
    const char *sk = "sf:{198.51.100.10}:";
    const guint32 base = 0x0a010000;        /* 10.1.0.0 */
    g_autofree guint8 *el = g_malloc(400 * 4);
    guint8 nets[2 * 3], hosts[200];
    gint64 v[3];
    guint32 top;
    redisReply *r;

    flushall();
    sf_pipe_begin(p, rc);
    /* exact: 10.1.0.1-5, 10.1.1.1-9, 10.1.2.7: the top net is 10.1.1 */
    g_assert_cmpint(add4(p, sk, 3, base, 1, 5), ==, 0);
    g_assert_cmpint(add4(p, sk, 3, base, 257, 265), ==, 0);
    g_assert_cmpint(add4(p, sk, 3, base, 519, 519), ==, 0);
    r = redisCommand(rc, "EXISTS %sd:3 %sn:3 %sh:10.1.1.0/24:3", sk, sk, sk);
    g_assert_cmpint(r->integer, ==, 0);
    freeReplyObject(r);
    count4(p, sk, 3, 3, base, TRUE, v, &top);
    g_assert_cmpint(v[0], ==, 15);
    g_assert_cmpint(v[1], ==, 3);
    g_assert_cmpint(v[2], ==, 9);
    g_assert_cmpuint(top, ==, (base >> 8) + 1);

    /* bucket 1: 10.1.0.1-100; bucket 2: 50-200, then 201-349 (overflow:
     * 151 + 149 > 256) and 350-399 (10.1.1.0-143) */
    g_assert_cmpint(add4(p, sk, 1, base, 1, 100), ==, 0);
    g_assert_cmpint(add4(p, sk, 2, base, 50, 200), ==, 0);
    g_assert_cmpint(add4(p, sk, 2, base, 201, 349), ==, 1);
    g_assert_cmpint(add4(p, sk, 2, base, 350, 399), ==, 1);
    r = redisCommand(rc, "SCARD %sxd:2", sk);
    g_assert_cmpint(r->integer, ==, 151 + 1);       /* members and "x" */
    freeReplyObject(r);
    r = redisCommand(rc, "TTL %sh:10.1.1.0/24:2", sk);
    g_assert_cmpint(r->integer, >, 0);
    freeReplyObject(r);
    for (guint i = 50; i <= 399; i++)
        put_v4(el + 4 * (i - 50), base + i);
    {
        char key[128];

        g_snprintf(key, sizeof key, "%sd:2", sk);
        g_assert_true(same_hll(rc, key, el, 350, 4));
        put_v4(el, base);
        memcpy(nets, el, 3);
        put_v4(el, base + 256);
        memcpy(nets + 3, el, 3);
        g_snprintf(key, sizeof key, "%sn:2", sk);
        g_assert_true(same_hll(rc, key, nets, 2, 3));
        for (guint i = 201; i <= 255; i++)
            hosts[i - 201] = (guint8)i;
        g_snprintf(key, sizeof key, "%sh:10.1.0.0/24:2", sk);
        g_assert_true(same_hll(rc, key, hosts, 55, 1));
        for (guint i = 0; i <= 143; i++)
            hosts[i] = (guint8)i;
        g_snprintf(key, sizeof key, "%sh:10.1.1.0/24:2", sk);
        g_assert_true(same_hll(rc, key, hosts, 144, 1));
    }
    count4(p, sk, 1, 1, base, TRUE, v, &top);
    g_assert_cmpint(v[0], ==, 100);
    g_assert_cmpint(v[1], ==, 1);
    g_assert_cmpint(v[2], ==, 100);
    /* 1..399 (HLL error within 2%), 2 nets, 10.1.0 with 255 hosts */
    count4(p, sk, 1, 2, base, TRUE, v, &top);
    g_assert_cmpint(v[0], >=, 391);
    g_assert_cmpint(v[0], <=, 407);
    g_assert_cmpint(v[1], ==, 2);
    g_assert_cmpint(v[2], >=, 250);
    g_assert_cmpint(v[2], <=, 256);
    g_assert_cmpuint(top, ==, base >> 8);
    /* without the h:NET keys: the members' nets, a lower bound */
    count4(p, sk, 1, 2, base, FALSE, v, &top);
    g_assert_cmpint(v[2], ==, 200);
    r = redisCommand(rc, "EXISTS %sxt", sk);
    g_assert_cmpint(r->integer, ==, 0);             /* scratch deleted */
    freeReplyObject(r);
    sf_pipe_free(p);
    redisFree(rc);
}

/* The reply of "PFDEBUG ENCODING key": "dense" or "sparse". */
static gboolean is_dense(redisContext *rc, const char *sk, const char *dim)
{
    redisReply *r = redisCommand(rc, "PFDEBUG ENCODING %s%s", sk, dim);
    gboolean dense = r->type == REDIS_REPLY_STATUS
                     && strcmp(r->str, "dense") == 0;

    freeReplyObject(r);
    return dense;
}

/* A write of more than 256 new elements in one call goes out as plain
 * commands (exact.c): the counts are those of the same elements written
 * through the script in calls of at most 250 (the same HLL registers once
 * merged with the set's earlier members), the set keeps its members and
 * "x", the HLL is dense from 2,000 elements, and where PFDEBUG is denied
 * (an ACL user without it) its one error reply changes no count. */
static void test_exact_plain(void)
{
    redisContext *rc = connect_test(), *denied = connect_test();
    sf_pipe_t *p = sf_pipe_new();
    const char *a = "sf:{198.51.100.11}:", *b = "sf:{198.51.100.12}:",
               *c = "sf:{198.51.100.13}:";
    const guint32 base = 0x0a020000;        /* 10.2.0.0 */
    gint64 va[3], vb[3], vc[3];
    guint32 ta, tb, tc;
    redisReply *r;

    flushall();
    sf_pipe_begin(p, rc);
    for (guint k = 0; k < 2; k++) {
        const char *sk = k ? b : a;

        g_assert_cmpint(exact_add(p, sk, "p:", 1, 1, 100, 2), ==, 0);
        g_assert_cmpint(add4(p, sk, 1, base, 1, 50), ==, 0);
        g_assert_cmpint(exact_add(p, sk, "p:", 2, 3001, 3050, 2), ==, 0);
    }
    for (guint from = 101; from <= 2600; from += 250)
        exact_add(p, a, "p:", 1, from, from + 249, 2);
    for (guint from = 51; from <= 3050; from += 250)
        add4(p, a, 1, base, from, from + 249);
    exact_add(p, b, "p:", 1, 101, 2600, 2);
    add4(p, b, 1, base, 51, 3050);
    g_assert_cmpint(exact_count(p, a, "p:", 1, 1), ==,
                    exact_count(p, b, "p:", 1, 1));
    g_assert_cmpint(exact_count(p, a, "p:", 1, 2), ==,
                    exact_count(p, b, "p:", 1, 2));
    g_assert_cmpint(exact_count(p, b, "p:", 1, 2), >=, 2650 * 98 / 100);
    g_assert_cmpint(exact_count(p, b, "p:", 1, 2), <=, 2650 * 102 / 100);
    count4(p, a, 1, 1, base, TRUE, va, &ta);
    count4(p, b, 1, 1, base, TRUE, vb, &tb);
    g_assert_cmpmem(va, sizeof va, vb, sizeof vb);
    g_assert_cmpuint(ta, ==, tb);
    g_assert_cmpint(vb[0], >=, 2940);
    g_assert_cmpint(vb[0], <=, 3060);
    r = redisCommand(rc, "SCARD %sxp:1", b);
    g_assert_cmpint(r->integer, ==, 100 + 1);       /* members and "x" */
    freeReplyObject(r);
    r = redisCommand(rc, "SCARD %sxd:1", b);
    g_assert_cmpint(r->integer, ==, 50 + 1);
    freeReplyObject(r);
    g_assert_true(is_dense(rc, b, "p:1"));
    g_assert_true(is_dense(rc, b, "d:1"));
    r = redisCommand(rc, "TTL %sn:1", b);
    g_assert_cmpint(r->integer, >, 0);
    freeReplyObject(r);
    r = redisCommand(rc, "TTL %sh:10.2.3.0/24:1", b);
    g_assert_cmpint(r->integer, >, 0);
    freeReplyObject(r);

    /* PFDEBUG denied: one error reply among the others, the same counts */
    freeReplyObject(redisCommand(rc, "ACL SETUSER sfnopf on nopass ~* &* "
                                 "+@all -pfdebug"));
    r = redisCommand(denied, "AUTH sfnopf any");
    g_assert_cmpint(r->type, ==, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    sf_pipe_begin(p, denied);
    g_assert_cmpint(add4(p, c, 1, base, 1, 50), ==, 0);
    {
        g_autofree guint8 *el = g_malloc(3000 * 4);
        guint sent;

        for (guint i = 51; i <= 3050; i++)
            put_v4(el + 4 * (i - 51), base + i);
        sent = sf_exact_add4(p, c, 0, 1, 60, NULL, 0, NULL, el, 3000);
        g_assert_cmpuint(skip_replies(p, sent), ==, 1);
    }
    count4(p, c, 1, 1, base, FALSE, vc, &tc);
    count4(p, b, 1, 1, base, FALSE, vb, &tb);
    g_assert_cmpint(vc[0], ==, vb[0]);
    g_assert_cmpint(vc[1], ==, vb[1]);
    freeReplyObject(redisCommand(rc, "ACL DELUSER sfnopf"));
    sf_pipe_free(p);
    redisFree(denied);
    redisFree(rc);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    redis_url = g_getenv("SF_TEST_REDIS_URL");
    if (redis_url == NULL) {
        g_test_skip("SF_TEST_REDIS_URL not set: run tests/correlate-redis.sh");
        printf("1..0 # SKIP SF_TEST_REDIS_URL not set\n");
        return 0;
    }
    g_test_add_func("/correlate/redis/accuracy", test_accuracy);
    g_test_add_func("/correlate/redis/ttls", test_ttls);
    g_test_add_func("/correlate/redis/three-collectors",
                    test_three_collectors);
    g_test_add_func("/correlate/redis/restart", test_restart);
    g_test_add_func("/correlate/redis/latency", test_latency);
    g_test_add_func("/correlate/redis/allow-tag-v6", test_allow_tag_v6);
    g_test_add_func("/correlate/redis/redis-down", test_redis_down);
    g_test_add_func("/correlate/redis/reload", test_reload);
    g_test_add_func("/correlate/redis/reload-home", test_reload_home);
    g_test_add_func("/correlate/redis/skip-known", test_skip_known);
    g_test_add_func("/correlate/redis/repeat-scan", test_repeat_scan);
    g_test_add_func("/correlate/redis/nets-cap", test_nets_cap);
    g_test_add_func("/correlate/redis/cost", test_cost);
    g_test_add_func("/correlate/redis/exact-counts", test_exact_counts);
    g_test_add_func("/correlate/redis/exact-layout", test_exact_layout);
    g_test_add_func("/correlate/redis/exact-layout4", test_exact_layout4);
    g_test_add_func("/correlate/redis/exact-plain", test_exact_plain);
    g_test_add_func("/correlate/redis/overflow-shared",
                    test_overflow_shared);
    g_test_add_func("/correlate/redis/top-all-nets", test_top_all_nets);
    g_test_add_func("/correlate/redis/wide-sweep", test_wide_sweep);
    g_test_add_func("/correlate/redis/networks", test_networks);
    g_test_add_func("/correlate/redis/distributed", test_distributed);
    g_test_add_func("/correlate/redis/distributed-slow",
                    test_distributed_slow);
    return g_test_run();
}
