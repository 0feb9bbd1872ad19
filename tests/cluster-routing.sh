#!/bin/sh
# Redis Cluster routing (correlate/rcluster.c): tests/test-rcluster prints
# TAP; its live cases run against a private 3-master cluster on loopback
# (tests/e2e/cluster_redis.py), and are skipped without redis-server,
# redis-cli or python3.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
prog="$top_builddir/tests/test-rcluster"
for tool in redis-server redis-cli python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        exec "$prog" --tap      # the live cases skip themselves
    fi
done
exec python3 "$top_srcdir/tests/e2e/cluster_redis.py" -- "$prog" --tap
