#!/bin/sh
# horizon-redis.sh - runs tests/test-horizon-redis (GTest, TAP) against a
# private redis-server.
. "${top_srcdir:-.}/tests/redis-helper.sh"
sf_redis_require
sf_redis_start
SF_TEST_REDIS_URL=$SF_REDIS_URL \
SF_TEST_SCHEMA="${top_srcdir:-.}/schemas/alert.schema.json" \
    "${top_builddir:-.}/tests/test-horizon-redis" --tap
