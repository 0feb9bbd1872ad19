/*
 * test-pipe.c - unit tests of correlate/pipe.c against a real
 * redis-server (tests/pipe-redis.sh starts one; SF_TEST_REDIS_URL).
 *
 * The RESP that pipe.c writes by hand is compared byte for byte with
 * hiredis's own formatter (redisFormatCommandArgv), and the server's
 * replies show that it read the arguments back intact: binary data, empty
 * and large arguments, negative numbers, prefixes.  Replies come back in
 * the order the commands were built, an error reply is a reply, and a
 * connection killed under a batch is a named error.
 */
#include "pipe.h"
#include "correlator.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char *redis_url;

static redisContext *connect_test(void)
{
    redisContext *rc;

    g_assert_true(g_str_has_prefix(redis_url, "unix://"));
    rc = redisConnectUnix(redis_url + strlen("unix://"));
    g_assert_nonnull(rc);
    g_assert_cmpint(rc->err, ==, 0);
    return rc;
}

/* What hiredis writes for argv: the reference for pipe.c's bytes. */
static gsize resp_len(int argc, const char **argv, const size_t *lens)
{
    char *cmd = NULL;
    long long n = redisFormatCommandArgv(&cmd, argc, argv, lens);

    g_assert_cmpint(n, >, 0);
    redisFreeCommand(cmd);
    return (gsize)n;
}

static redisReply *reply(sf_pipe_t *p)
{
    g_autoptr(GError) err = NULL;
    redisReply *r = sf_pipe_reply(p, &err);

    g_assert_no_error(err);
    g_assert_nonnull(r);
    return r;
}

/* Binary arguments (NUL, CR LF), an empty one and numbers round-trip;
 * the bytes counted are hiredis's RESP of the same commands. */
static void test_round_trip(void)
{
    redisContext *rc = connect_test();
    sf_pipe_t *p = sf_pipe_new();
    const char bin[] = {'a', '\0', '\r', '\n', '$', '*', '\xff'};
    guint64 cmds, bytes, want = 0;
    redisReply *r;

    sf_pipe_begin(p, rc);
    sf_pipe_cmd(p, "SET");
    sf_pipe_str(p, "t:bin");
    sf_pipe_arg(p, bin, sizeof bin);
    sf_pipe_end(p);
    want += resp_len(3, (const char *[]){"SET", "t:bin", bin},
                     (size_t[]){3, 5, sizeof bin});
    sf_pipe_cmd(p, "SET");
    sf_pipe_str(p, "t:empty");
    sf_pipe_arg(p, "", 0);
    sf_pipe_end(p);
    want += resp_len(3, (const char *[]){"SET", "t:empty", ""},
                     (size_t[]){3, 7, 0});
    sf_pipe_cmd(p, "INCRBY");
    sf_pipe_prefix_int(p, "t:n:", -12);
    sf_pipe_int(p, G_MININT64 + 1);
    sf_pipe_end(p);
    want += resp_len(3, (const char *[]){"INCRBY", "t:n:-12",
                                         "-9223372036854775807"},
                     (size_t[]){6, 7, 20});
    sf_pipe_cmd(p, "GET");
    sf_pipe_argf(p, "t:%s", "bin");
    sf_pipe_end(p);
    want += resp_len(2, (const char *[]){"GET", "t:bin"}, (size_t[]){3, 5});
    g_assert_cmpuint(sf_pipe_pending(p), ==, 4);

    freeReplyObject(reply(p));          /* OK */
    freeReplyObject(reply(p));          /* OK */
    r = reply(p);
    g_assert_cmpint(r->type, ==, REDIS_REPLY_INTEGER);
    g_assert_cmpint(r->integer, ==, G_MININT64 + 1);
    freeReplyObject(r);
    r = reply(p);
    g_assert_cmpint(r->type, ==, REDIS_REPLY_STRING);
    g_assert_cmpuint(r->len, ==, sizeof bin);
    g_assert_cmpmem(r->str, r->len, bin, sizeof bin);
    freeReplyObject(r);
    g_assert_cmpuint(sf_pipe_pending(p), ==, 0);

    r = redisCommand(rc, "STRLEN t:empty");
    g_assert_cmpint(r->integer, ==, 0);
    freeReplyObject(r);
    sf_pipe_counters(p, &cmds, &bytes);
    g_assert_cmpuint(cmds, ==, 4);
    g_assert_cmpuint(bytes, ==, want);
    sf_pipe_free(p);
    redisFree(rc);
}

/* Many commands in one batch, replies in build order; an argument larger
 * than the buffer's first allocation. */
static void test_order_and_size(void)
{
    redisContext *rc = connect_test();
    sf_pipe_t *p = sf_pipe_new();
    g_autofree char *big = g_malloc(300000);
    redisReply *r;

    for (gsize i = 0; i < 300000; i++)
        big[i] = (char)(i * 7);
    sf_pipe_begin(p, rc);
    sf_pipe_cmd(p, "DEL");
    sf_pipe_str(p, "t:count");
    sf_pipe_end(p);
    for (guint i = 0; i < 5000; i++) {
        sf_pipe_cmd(p, "INCR");
        sf_pipe_str(p, "t:count");
        sf_pipe_end(p);
    }
    sf_pipe_cmd(p, "SET");
    sf_pipe_str(p, "t:big");
    sf_pipe_arg(p, big, 300000);
    sf_pipe_end(p);
    freeReplyObject(reply(p));
    for (guint i = 1; i <= 5000; i++) {
        r = reply(p);
        g_assert_cmpint(r->type, ==, REDIS_REPLY_INTEGER);
        g_assert_cmpint(r->integer, ==, i);
        freeReplyObject(r);
    }
    freeReplyObject(reply(p));
    r = redisCommand(rc, "GET t:big");
    g_assert_cmpuint(r->len, ==, 300000);
    g_assert_cmpmem(r->str, r->len, big, 300000);
    freeReplyObject(r);
    sf_pipe_free(p);
    redisFree(rc);
}

/* An error reply (a wrong type) is a reply like another: the batch goes
 * on; sf_pipe_drain reads and drops everything. */
static void test_error_reply(void)
{
    redisContext *rc = connect_test();
    sf_pipe_t *p = sf_pipe_new();
    g_autoptr(GError) err = NULL;
    redisReply *r;

    sf_pipe_begin(p, rc);
    sf_pipe_cmd(p, "SET");
    sf_pipe_str(p, "t:str");
    sf_pipe_str(p, "x");
    sf_pipe_end(p);
    sf_pipe_cmd(p, "PFADD");
    sf_pipe_str(p, "t:str");
    sf_pipe_str(p, "e");
    sf_pipe_end(p);
    sf_pipe_cmd(p, "GET");
    sf_pipe_str(p, "t:str");
    sf_pipe_end(p);
    freeReplyObject(reply(p));
    r = reply(p);
    g_assert_cmpint(r->type, ==, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    r = reply(p);
    g_assert_cmpstr(r->str, ==, "x");
    freeReplyObject(r);
    for (guint i = 0; i < 3; i++) {
        sf_pipe_cmd(p, "PING");
        sf_pipe_end(p);
    }
    g_assert_true(sf_pipe_drain(p, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(sf_pipe_pending(p), ==, 0);
    sf_pipe_free(p);
    redisFree(rc);
}

/* The connection killed under a batch: no reply, SF_CORRELATE_ERROR_REDIS,
 * and the reply stays pending (the caller must drop the context). */
static void test_connection_lost(void)
{
    redisContext *rc = connect_test(), *admin = connect_test();
    sf_pipe_t *p = sf_pipe_new();
    g_autoptr(GError) err = NULL;
    redisReply *r = redisCommand(rc, "CLIENT ID");
    long long id = r->integer;

    freeReplyObject(r);
    freeReplyObject(redisCommand(admin, "CLIENT KILL ID %lld", id));
    sf_pipe_begin(p, rc);
    sf_pipe_cmd(p, "PING");
    sf_pipe_end(p);
    g_assert_null(sf_pipe_reply(p, &err));
    g_assert_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS);
    g_assert_cmpuint(sf_pipe_pending(p), ==, 1);
    sf_pipe_free(p);
    redisFree(rc);
    redisFree(admin);
}

static sf_pipe_script_t echo_script =
    SF_PIPE_SCRIPT("return {KEYS[1], ARGV[1]}");

/* "EVALSHA echo 1 KEY ARG", appended to p. */
static void echo(sf_pipe_t *p, const char *key, const char *arg)
{
    sf_pipe_evalsha(p, &echo_script);
    sf_pipe_str(p, "1");
    sf_pipe_str(p, key);
    sf_pipe_str(p, arg);
    sf_pipe_end(p);
}

static void check_echo(sf_pipe_t *p, const char *key, const char *arg)
{
    redisReply *r = reply(p);

    g_assert_cmpint(r->type, ==, REDIS_REPLY_ARRAY);
    g_assert_cmpuint(r->elements, ==, 2);
    g_assert_cmpstr(r->element[0]->str, ==, key);
    g_assert_cmpstr(r->element[1]->str, ==, arg);
    freeReplyObject(r);
}

static long long evalsha_calls(redisContext *admin, const char *name)
{
    redisReply *r = redisCommand(admin, "INFO commandstats");
    g_autofree char *needle = g_strdup_printf("cmdstat_%s:calls=", name);
    const char *at = strstr(r->str, needle);
    long long n = at ? g_ascii_strtoll(at + strlen(needle), NULL, 10) : 0;

    freeReplyObject(r);
    return n;
}

/* EVALSHA: SCRIPT LOAD once per connection, its reply never handed out
 * (the replies line up with the commands built), no EVAL; a SCRIPT FLUSH
 * under the connection gives a named error (NOSCRIPT), and after
 * sf_pipe_forget_scripts the same pipe loads the script again. */
static void test_evalsha(void)
{
    redisContext *rc = connect_test(), *admin = connect_test();
    sf_pipe_t *p = sf_pipe_new();
    g_autoptr(GError) err = NULL;

    freeReplyObject(redisCommand(admin, "SCRIPT FLUSH"));
    freeReplyObject(redisCommand(admin, "CONFIG RESETSTAT"));
    for (guint batch = 0; batch < 3; batch++) {
        sf_pipe_begin(p, rc);
        sf_pipe_cmd(p, "PING");
        sf_pipe_end(p);
        echo(p, "k1", "a");
        echo(p, "k2", "b");
        freeReplyObject(reply(p));
        check_echo(p, "k1", "a");
        check_echo(p, "k2", "b");
        g_assert_cmpuint(sf_pipe_pending(p), ==, 0);
    }
    g_assert_cmpint(evalsha_calls(admin, "script|load"), ==, 1);
    g_assert_cmpint(evalsha_calls(admin, "evalsha"), ==, 6);
    g_assert_cmpint(evalsha_calls(admin, "eval"), ==, 0);

    freeReplyObject(redisCommand(admin, "SCRIPT FLUSH"));
    sf_pipe_begin(p, rc);
    echo(p, "k3", "c");
    g_assert_null(sf_pipe_reply(p, &err));
    g_assert_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS);
    g_assert_nonnull(strstr(err->message, "NOSCRIPT"));
    g_clear_error(&err);

    redisFree(rc);                      /* as connection.c does */
    rc = connect_test();
    sf_pipe_forget_scripts(p);
    sf_pipe_begin(p, rc);
    echo(p, "k4", "d");
    check_echo(p, "k4", "d");
    g_assert_cmpint(evalsha_calls(admin, "script|load"), ==, 2);
    sf_pipe_free(p);
    redisFree(rc);
    redisFree(admin);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* writes on a killed connection: an error, as in scanflowd */
    signal(SIGPIPE, SIG_IGN);
    redis_url = g_getenv("SF_TEST_REDIS_URL");
    if (redis_url == NULL) {
        printf("1..0 # SKIP SF_TEST_REDIS_URL not set\n");
        return 0;
    }
    g_test_add_func("/pipe/round-trip", test_round_trip);
    g_test_add_func("/pipe/order-and-size", test_order_and_size);
    g_test_add_func("/pipe/error-reply", test_error_reply);
    g_test_add_func("/pipe/connection-lost", test_connection_lost);
    g_test_add_func("/pipe/evalsha", test_evalsha);
    return g_test_run();
}
