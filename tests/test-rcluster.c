/*
 * test-rcluster.c - Redis Cluster routing (correlate/rcluster.c).
 *
 * Without Redis: CRC16 and key slots against the values Redis itself
 * gives (CLUSTER KEYSLOT on 7.0.15, and the specification's check value),
 * which argument a command is routed by, and redis+cluster:// URLs.
 *
 * With a real cluster (tests/cluster-routing.sh starts one and sets
 * SF_CLUSTER_URL and SF_CLUSTER_PORTS; otherwise these are skipped):
 * replies of a batch spread over every master come back in order; a slot
 * moved behind the client's back is followed (MOVED) and a slot being
 * migrated is followed for one command (ASKING + ASK).
 */
#include <glib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pipe.h"
#include "rcluster.h"
#include "redisurl.h"

static guint slot_of(const char *key)
{
    return sf_rcluster_key_slot(key, strlen(key));
}

static void test_crc16(void)
{
    /* the specification's check value: CRC16/XMODEM("123456789") */
    g_assert_cmphex(sf_rcluster_crc16("123456789", 9), ==, 0x31C3);
    g_assert_cmphex(sf_rcluster_crc16("", 0), ==, 0);
}

static void test_slots(void)
{
    /* CLUSTER KEYSLOT answers of redis-server 7.0.15 */
    g_assert_cmpuint(slot_of("123456789"), ==, 12739);
    g_assert_cmpuint(slot_of("foo"), ==, 12182);
    g_assert_cmpuint(slot_of("bar"), ==, 5061);
    g_assert_cmpuint(slot_of("hello"), ==, 866);
    g_assert_cmpuint(slot_of(""), ==, 0);
    g_assert_cmpuint(slot_of("scanflow:alerts"), ==, 12161);
    g_assert_cmpuint(slot_of("scanflow:alerts:0"), ==, 7464);
    g_assert_cmpuint(slot_of("scanflow:alerts:1"), ==, 3337);
    g_assert_cmpuint(slot_of("scanflow:alerts:2"), ==, 15722);
}

static void test_hash_tags(void)
{
    /* the specification's examples */
    g_assert_cmpuint(slot_of("{user1000}.following"), ==, 3443);
    g_assert_cmpuint(slot_of("{user1000}.followers"), ==, 3443);
    g_assert_cmpuint(slot_of("foo{}{bar}"), ==, 8363);     /* whole key */
    g_assert_cmpuint(slot_of("foo{{bar}}zap"), ==, 4015);  /* "{bar" */
    g_assert_cmpuint(slot_of("foo{bar}{zap}"), ==, 5061);  /* "bar" */
    g_assert_cmpuint(slot_of("foo{bar}{zap}"), ==, slot_of("bar"));
    g_assert_cmpuint(slot_of("{}"), ==, 15257);
    g_assert_cmpuint(slot_of("{"), ==, sf_rcluster_crc16("{", 1) & 16383);
    /* scanflow's keys: one source, one slot */
    g_assert_cmpuint(slot_of("sf:{203.0.113.7}:p:1"), ==, 8508);
    g_assert_cmpuint(slot_of("sf:{203.0.113.7}:a:port_scan"), ==, 8508);
    g_assert_cmpuint(slot_of("203.0.113.7"), ==, 8508);
    g_assert_cmpuint(slot_of("sf:{2001:db8::1}:a:port_scan"), ==, 3621);
    g_assert_cmpuint(slot_of("sf:{2001:db8::1}:h:2001:db8::/64:9"), ==,
                     3621);
}

static gboolean key_of(const char *const *argv, int argc, const char **key)
{
    size_t lens[8], len;

    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return sf_rcluster_command_key(argc, (const char **)argv, lens, key,
                                   &len);
}

static void test_command_key(void)
{
    const char *pfcount[] = {"PFCOUNT", "sf:{a}:p:1", "sf:{a}:p:2"};
    const char *publish[] = {"publish", "scanflow:alerts", "{}"};
    const char *xadd[] = {"XADD", "scanflow:alerts:2", "*", "alert", "x"};
    const char *eval0[] = {"EVAL", "return 1", "0"};
    const char *fcall[] = {"FCALL", "sf_add", "2", "sf:{b}:p", "sf:{b}:n"};
    const char *ping[] = {"PING"};
    const char *pfdebug[] = {"PFDEBUG", "TODENSE", "sf:{c}:d:1"};
    const char *key = NULL;

    g_assert_true(key_of(pfcount, 3, &key));
    g_assert_cmpstr(key, ==, "sf:{a}:p:1");
    g_assert_true(key_of(xadd, 5, &key));
    g_assert_cmpstr(key, ==, "scanflow:alerts:2");
    g_assert_true(key_of(fcall, 5, &key));
    g_assert_cmpstr(key, ==, "sf:{b}:p");
    g_assert_true(key_of(pfdebug, 3, &key));
    g_assert_cmpstr(key, ==, "sf:{c}:d:1");
    g_assert_false(key_of(publish, 3, &key));
    g_assert_false(key_of(eval0, 3, &key));
    g_assert_false(key_of(ping, 1, &key));
}

static void test_urls(void)
{
    g_autoptr(GError) err = NULL;
    sf_redis_target_t *t;
    int port = 0;

    t = sf_redis_target_parse("redis+cluster://u:s3cret@10.0.0.1:7000,"
                              "[::1]:7001,node-c", &err);
    g_assert_no_error(err);
    g_assert_true(sf_redis_target_is_cluster(t));
    g_assert_cmpuint(sf_redis_target_n_seeds(t), ==, 3);
    g_assert_cmpstr(sf_redis_target_seed(t, 0, &port), ==, "10.0.0.1");
    g_assert_cmpint(port, ==, 7000);
    g_assert_cmpstr(sf_redis_target_seed(t, 1, &port), ==, "::1");
    g_assert_cmpint(port, ==, 7001);
    g_assert_cmpstr(sf_redis_target_seed(t, 2, &port), ==, "node-c");
    g_assert_cmpint(port, ==, 6379);
    g_assert_null(strstr(sf_redis_target_describe(t), "s3cret"));
    g_assert_cmpstr(sf_redis_target_describe(t), ==,
                    "redis+cluster://u:***@10.0.0.1:7000,[::1]:7001,"
                    "node-c:6379");
    sf_redis_target_free(t);

    t = sf_redis_target_parse("redis://127.0.0.1:6379/2", &err);
    g_assert_no_error(err);
    g_assert_false(sf_redis_target_is_cluster(t));
    g_assert_cmpuint(sf_redis_target_n_seeds(t), ==, 0);
    sf_redis_target_free(t);

    /* a cluster has only db 0; empty seeds are errors */
    for (guint i = 0; i < 4; i++) {
        static const char *bad[] = {
            "redis+cluster://h:7000/3", "redis+cluster://h:7000,",
            "redis+cluster://", "redis+cluster://h:99999",
        };
        g_autoptr(GError) e = NULL;
        g_assert_null(sf_redis_target_parse(bad[i], &e));
        g_assert_nonnull(e);
    }
}

/* Live cluster ---------------------------------------------------------------- */

typedef struct live {
    sf_redis_target_t *t;
    int                ports[16];
    guint              n_ports;
} live_t;

static gboolean live_setup(live_t *l)
{
    const char *url = g_getenv("SF_CLUSTER_URL");
    const char *ports = g_getenv("SF_CLUSTER_PORTS");
    g_auto(GStrv) p = NULL;

    memset(l, 0, sizeof *l);
    if (url == NULL || ports == NULL) {
        g_test_skip("no cluster (SF_CLUSTER_URL, SF_CLUSTER_PORTS)");
        return FALSE;
    }
    l->t = sf_redis_target_parse(url, NULL);
    g_assert_nonnull(l->t);
    p = g_strsplit(ports, ",", -1);
    for (guint i = 0; p[i] && i < G_N_ELEMENTS(l->ports); i++)
        l->ports[l->n_ports++] = atoi(p[i]);
    return TRUE;
}

static redisContext *node(int port)
{
    redisContext *rc = redisConnect("127.0.0.1", port);

    g_assert_true(rc && !rc->err);
    return rc;
}

static redisReply *cmd(redisContext *rc, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = redisvCommand(rc, fmt, ap);
    va_end(ap);
    g_assert_nonnull(r);
    return r;
}

static void ok(redisContext *rc, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = redisvCommand(rc, fmt, ap);
    va_end(ap);
    g_assert_nonnull(r);
    if (r->type == REDIS_REPLY_ERROR)
        g_error("%s: %s", fmt, r->str);
    freeReplyObject(r);
}

static char *node_id(int port)
{
    redisContext *rc = node(port);
    redisReply *r = cmd(rc, "CLUSTER MYID");
    char *id = g_strdup(r->str);

    freeReplyObject(r);
    redisFree(rc);
    return id;
}

/* The port of the master serving slot. */
static int owner(const live_t *l, guint slot)
{
    redisContext *rc = node(l->ports[0]);
    redisReply *r = cmd(rc, "CLUSTER SLOTS");
    int port = 0;

    for (size_t i = 0; i < r->elements; i++) {
        redisReply *e = r->element[i];
        if ((guint)e->element[0]->integer <= slot
            && slot <= (guint)e->element[1]->integer)
            port = (int)e->element[2]->element[1]->integer;
    }
    freeReplyObject(r);
    redisFree(rc);
    return port;
}

static int other_master(const live_t *l, int not_this)
{
    for (guint s = 0; s < SF_RCLUSTER_SLOTS; s += 512) {
        int p = owner(l, s);
        if (p && p != not_this)
            return p;
    }
    g_assert_not_reached();
}

/* Starts moving an empty slot as redis-cli --cluster reshard does. */
static void start_migration(guint slot, int from, int to)
{
    g_autofree char *from_id = node_id(from), *to_id = node_id(to);
    redisContext *src = node(from), *dst = node(to);

    ok(dst, "CLUSTER SETSLOT %u IMPORTING %s", slot, from_id);
    ok(src, "CLUSTER SETSLOT %u MIGRATING %s", slot, to_id);
    redisFree(src);
    redisFree(dst);
}

/* Ends it: the target first (it bumps its epoch), then every node. */
static void end_migration(const live_t *l, guint slot, int to)
{
    g_autofree char *id = node_id(to);
    redisContext *dst = node(to);

    ok(dst, "CLUSTER SETSLOT %u NODE %s", slot, id);
    redisFree(dst);
    for (guint i = 0; i < l->n_ports; i++) {
        redisContext *rc = node(l->ports[i]);
        redisReply *r = cmd(rc, "CLUSTER SETSLOT %u NODE %s", slot, id);
        freeReplyObject(r);     /* replicas may refuse; they follow */
        redisFree(rc);
    }
}

static void test_live_order(void)
{
    live_t l;
    g_autoptr(GError) err = NULL;
    sf_rcluster_t *c;
    sf_pipe_t *p;

    if (!live_setup(&l))
        return;
    c = sf_rcluster_connect(l.t, 2000, 5000, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(sf_rcluster_n_masters(c), ==, 3);
    p = sf_pipe_new();
    sf_pipe_begin_cluster(p, c);
    for (guint i = 0; i < 600; i++) {
        char key[32];
        g_snprintf(key, sizeof key, "order:%u", i);
        sf_pipe_cmd(p, "SET");
        sf_pipe_str(p, key);
        sf_pipe_int(p, i);
        sf_pipe_end(p);
        sf_pipe_cmd(p, i % 7 ? "GET" : "PUBLISH");
        sf_pipe_str(p, key);
        if (i % 7 == 0)
            sf_pipe_str(p, "x");
        sf_pipe_end(p);
    }
    for (guint i = 0; i < 600; i++) {
        redisReply *r = sf_pipe_reply(p, &err);
        g_assert_no_error(err);
        g_assert_cmpint(r->type, ==, REDIS_REPLY_STATUS);
        freeReplyObject(r);
        r = sf_pipe_reply(p, &err);
        g_assert_no_error(err);
        if (i % 7) {
            g_assert_cmpint(r->type, ==, REDIS_REPLY_STRING);
            g_assert_cmpint(atoi(r->str), ==, (int)i);
        } else {
            g_assert_cmpint(r->type, ==, REDIS_REPLY_INTEGER);
        }
        freeReplyObject(r);
    }
    g_assert_cmpuint(sf_pipe_pending(p), ==, 0);
    sf_pipe_free(p);
    sf_rcluster_free(c);
    sf_redis_target_free(l.t);
}

/* Appending more after taking some replies, as window.c does in chunks. */
static void test_live_chunks(void)
{
    live_t l;
    g_autoptr(GError) err = NULL;
    sf_rcluster_t *c;
    sf_pipe_t *p;
    guint sent = 0, read = 0;

    if (!live_setup(&l))
        return;
    c = sf_rcluster_connect(l.t, 2000, 5000, &err);
    g_assert_no_error(err);
    p = sf_pipe_new();
    sf_pipe_begin_cluster(p, c);
    for (guint round = 0; round < 20; round++) {
        for (guint k = 0; k < 37; k++, sent++) {
            sf_pipe_cmd(p, "INCRBY");
            sf_pipe_argf(p, "chunk:%u", sent % 50);
            sf_pipe_int(p, 1000 + sent);
            sf_pipe_end(p);
        }
        /* leave some replies unread before appending again */
        while (read + (round % 3) * 5 < sent) {
            redisReply *r = sf_pipe_reply(p, &err);
            g_assert_no_error(err);
            g_assert_cmpint(r->type, ==, REDIS_REPLY_INTEGER);
            /* key sent % 50 got 1000 + j for every earlier j of its key */
            g_assert_cmpint(r->integer % 1000, >=, 0);
            freeReplyObject(r);
            read++;
        }
    }
    g_assert_true(sf_pipe_drain(p, &err));
    g_assert_no_error(err);
    sf_pipe_begin_cluster(p, c);
    sf_pipe_cmd(p, "GET");
    sf_pipe_str(p, "chunk:7");
    sf_pipe_end(p);
    {
        redisReply *r = sf_pipe_reply(p, &err);
        gint64 want = 0;
        for (guint j = 7; j < sent; j += 50)
            want += 1000 + j;
        g_assert_no_error(err);
        g_assert_cmpint(g_ascii_strtoll(r->str, NULL, 10), ==, want);
        freeReplyObject(r);
    }
    sf_pipe_free(p);
    sf_rcluster_free(c);
    sf_redis_target_free(l.t);
}

static redisReply *one(sf_rcluster_t *c, int argc, const char **argv)
{
    g_autoptr(GError) err = NULL;
    size_t lens[8];
    redisReply *r;

    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    sf_rcluster_begin(c);
    sf_rcluster_append(c, argc, argv, lens);
    r = sf_rcluster_reply(c, &err);
    g_assert_no_error(err);
    return r;
}

static void test_live_moved(void)
{
    const char *set[] = {"SET", "{moved}k", "v1"};
    const char *get[] = {"GET", "{moved}k"};
    live_t l;
    g_autoptr(GError) err = NULL;
    sf_rcluster_t *c;
    sf_rcluster_stats_t st;
    guint slot = slot_of("moved");
    int from, to;
    redisReply *r;

    if (!live_setup(&l))
        return;
    c = sf_rcluster_connect(l.t, 2000, 5000, &err);
    g_assert_no_error(err);
    freeReplyObject(one(c, 3, set));
    /* Move the (key-less after DEL) slot to another master behind the
     * client's back: its map is now stale. */
    from = owner(&l, slot);
    to = other_master(&l, from);
    {
        redisContext *rc = node(from);
        ok(rc, "DEL {moved}k");
        redisFree(rc);
    }
    start_migration(slot, from, to);
    end_migration(&l, slot, to);
    r = one(c, 3, set);
    g_assert_cmpint(r->type, ==, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = one(c, 2, get);
    g_assert_cmpstr(r->str, ==, "v1");
    freeReplyObject(r);
    sf_rcluster_get_stats(c, &st);
    g_assert_cmpuint(st.moved, >=, 1);
    g_assert_cmpuint(st.map_loads, >=, 2);
    {
        redisContext *rc = node(to);
        r = cmd(rc, "GET {moved}k");
        g_assert_cmpstr(r->str, ==, "v1");
        freeReplyObject(r);
        redisFree(rc);
    }
    sf_rcluster_free(c);
    sf_redis_target_free(l.t);
}

static void test_live_ask(void)
{
    const char *set[] = {"SET", "{asked}new", "v2"};
    const char *get[] = {"GET", "{asked}new"};
    live_t l;
    g_autoptr(GError) err = NULL;
    sf_rcluster_t *c;
    sf_rcluster_stats_t st;
    guint slot = slot_of("asked");
    int from, to;
    redisContext *src;
    redisReply *r;

    if (!live_setup(&l))
        return;
    c = sf_rcluster_connect(l.t, 2000, 5000, &err);
    g_assert_no_error(err);
    from = owner(&l, slot);
    to = other_master(&l, from);
    src = node(from);
    ok(src, "DEL {asked}new");
    /* a migration in progress: keys missing on the source are asked for
     * on the target */
    start_migration(slot, from, to);
    r = one(c, 3, set);
    g_assert_cmpint(r->type, ==, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = one(c, 2, get);
    g_assert_cmpstr(r->str, ==, "v2");
    freeReplyObject(r);
    sf_rcluster_get_stats(c, &st);
    g_assert_cmpuint(st.ask, >=, 2);
    g_assert_cmpuint(st.moved, ==, 0);
    /* the key went to the target: the source does not hold it */
    r = cmd(src, "EXISTS {asked}new");
    g_assert_cmpint(r->integer, ==, 0);
    freeReplyObject(r);
    /* finish the migration */
    redisFree(src);
    end_migration(&l, slot, to);
    r = one(c, 2, get);
    g_assert_cmpstr(r->str, ==, "v2");
    freeReplyObject(r);
    sf_rcluster_free(c);
    sf_redis_target_free(l.t);
}

/* A Lua comment line of 100 bytes, ten and a hundred of them: the script
 * is over 10,000 bytes, so that SCRIPT LOAD's header carries a 5-digit
 * length (a 32-byte header buffer cut 4-digit ones short). */
#define LINE100 "--" "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz" \
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrs" "\n"
#define TEN(s) s s s s s s s s s s
static sf_pipe_script_t tag_script =
    SF_PIPE_SCRIPT(TEN(TEN(LINE100))
                   "redis.call('SET',KEYS[1],ARGV[1]) return ARGV[1]");

static long long load_calls(int port)
{
    redisContext *rc = node(port);
    redisReply *r = cmd(rc, "INFO commandstats");
    const char *at = strstr(r->str, "cmdstat_script|load:calls=");
    long long n = at ? g_ascii_strtoll(at + 26, NULL, 10) : 0;

    freeReplyObject(r);
    redisFree(rc);
    return n;
}

/* 300 EVALSHA over every master: each node loads the script once (SCRIPT
 * LOAD's replies never reach the caller); after SCRIPT FLUSH on every
 * node the next batch gets NOSCRIPT, loads again and retries, and the
 * caller sees only the script's replies. */
static void test_live_evalsha(void)
{
    live_t l;
    g_autoptr(GError) err = NULL;
    sf_rcluster_t *c;
    sf_pipe_t *p;
    long long loads = 0;

    if (!live_setup(&l))
        return;
    for (guint i = 0; i < l.n_ports; i++) {
        redisContext *rc = node(l.ports[i]);
        ok(rc, "SCRIPT FLUSH");
        ok(rc, "CONFIG RESETSTAT");
        redisFree(rc);
    }
    c = sf_rcluster_connect(l.t, 2000, 5000, &err);
    g_assert_no_error(err);
    p = sf_pipe_new();
    for (guint round = 0; round < 2; round++) {
        sf_pipe_begin_cluster(p, c);
        for (guint i = 0; i < 300; i++) {
            char key[32];
            g_snprintf(key, sizeof key, "{evalsha%u}", i);
            sf_pipe_evalsha(p, &tag_script);
            sf_pipe_str(p, "1");
            sf_pipe_str(p, key);
            sf_pipe_int(p, i + round);
            sf_pipe_end(p);
        }
        for (guint i = 0; i < 300; i++) {
            redisReply *r = sf_pipe_reply(p, &err);
            g_assert_no_error(err);
            g_assert_cmpint(r->type, ==, REDIS_REPLY_STRING);
            g_assert_cmpint(atoi(r->str), ==, (int)(i + round));
            freeReplyObject(r);
        }
        for (guint i = 0; i < l.n_ports; i++) {
            redisContext *rc = node(l.ports[i]);
            ok(rc, "SCRIPT FLUSH");
            redisFree(rc);
        }
    }
    for (guint i = 0; i < l.n_ports; i++)
        loads += load_calls(l.ports[i]);
    g_assert_cmpint(loads, ==, 6);      /* 3 masters, twice */
    sf_pipe_free(p);
    sf_rcluster_free(c);
    sf_redis_target_free(l.t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rcluster/crc16", test_crc16);
    g_test_add_func("/rcluster/slots", test_slots);
    g_test_add_func("/rcluster/hash-tags", test_hash_tags);
    g_test_add_func("/rcluster/command-key", test_command_key);
    g_test_add_func("/rcluster/urls", test_urls);
    g_test_add_func("/rcluster/live/order", test_live_order);
    g_test_add_func("/rcluster/live/chunks", test_live_chunks);
    g_test_add_func("/rcluster/live/moved", test_live_moved);
    g_test_add_func("/rcluster/live/ask", test_live_ask);
    g_test_add_func("/rcluster/live/evalsha", test_live_evalsha);
    return g_test_run();
}
