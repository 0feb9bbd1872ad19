#!/bin/sh
# notifier-redis.sh - runs tests/test-notifier (GTest, TAP) against a private
# redis-server.
. "${top_srcdir:-.}/tests/redis-helper.sh"
sf_redis_require
sf_redis_start
SF_TEST_REDIS_URL=$SF_REDIS_URL "${top_builddir:-.}/tests/test-notifier" --tap
