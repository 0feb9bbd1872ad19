/*
 * redis-testlib.h - helpers of the tests that talk to a real redis-server
 * through hiredis (test-correlate-redis, test-horizon-redis).  Kept apart
 * from correlate-testlib.h, which tests without hiredis include too.
 */
#ifndef SF_REDIS_TESTLIB_H
#define SF_REDIS_TESTLIB_H

#include <glib.h>
#include <hiredis/hiredis.h>

/* Keys matching pattern (SCAN). */
static inline guint count_keys(redisContext *rc, const char *pattern)
{
    guint64 cursor = 0;
    guint keys = 0;

    do {
        redisReply *r = redisCommand(rc, "SCAN %llu MATCH %s COUNT 1000",
                                     (unsigned long long)cursor, pattern);
        g_assert_true(r && r->type == REDIS_REPLY_ARRAY);
        cursor = g_ascii_strtoull(r->element[0]->str, NULL, 10);
        keys += (guint)r->element[1]->elements;
        freeReplyObject(r);
    } while (cursor != 0);
    return keys;
}

#endif
