# tests/correlate.mk - the correlator's tests (included by tests/local.mk).
# test-correlate-unit needs nothing; test-correlate-redis is run by
# correlate-redis.sh against a private redis-server (redis-helper.sh).
CORRELATE_TEST_LIBS = correlate/libcorrelate.a collector/libcollector.a \
	$(SF_LIBS)

check_PROGRAMS += tests/test-correlate-unit tests/test-correlate-redis
tests_test_correlate_unit_SOURCES = tests/test-correlate-unit.c \
	tests/correlate-testlib.h
tests_test_correlate_unit_LDADD = $(CORRELATE_TEST_LIBS)
tests_test_correlate_redis_SOURCES = tests/test-correlate-redis.c \
	tests/correlate-testlib.h tests/redis-testlib.h
tests_test_correlate_redis_LDADD = $(CORRELATE_TEST_LIBS)

TESTS += tests/test-correlate-unit tests/correlate-redis.sh

# Slow scans over a day (nmap -T1 and -T0 paces, an uptime monitor),
# exported by softflowd, replayed fast with --clock flows.
TESTS += tests/e2e/slowscan_e2e.py
EXTRA_DIST += tests/e2e/slowscan_e2e.py

# horizon.c: --horizon and the buckets (no Redis).
check_PROGRAMS += tests/test-horizon
tests_test_horizon_SOURCES = tests/test-horizon.c
tests_test_horizon_LDADD = $(CORRELATE_TEST_LIBS)
TESTS += tests/test-horizon

# Longer horizons against a real redis-server: escalation across three
# correlators, buckets rolled up per horizon.
check_PROGRAMS += tests/test-horizon-redis
tests_test_horizon_redis_SOURCES = tests/test-horizon-redis.c \
	tests/correlate-testlib.h tests/redis-testlib.h
tests_test_horizon_redis_LDADD = $(CORRELATE_TEST_LIBS)
TESTS += tests/horizon-redis.sh
EXTRA_DIST += tests/horizon-redis.sh
EXTRA_DIST += tests/redis-helper.sh tests/correlate-redis.sh

# One program per module: alert.c (no Redis); pipe.c and notifier.c, run
# by pipe-redis.sh and notifier-redis.sh against a private redis-server.
check_PROGRAMS += tests/test-alert tests/test-pipe tests/test-notifier
tests_test_alert_SOURCES = tests/test-alert.c
tests_test_alert_LDADD = $(CORRELATE_TEST_LIBS)
tests_test_pipe_SOURCES = tests/test-pipe.c
tests_test_pipe_LDADD = $(CORRELATE_TEST_LIBS)
tests_test_notifier_SOURCES = tests/test-notifier.c tests/correlate-testlib.h
tests_test_notifier_LDADD = $(CORRELATE_TEST_LIBS)
TESTS += tests/test-alert tests/pipe-redis.sh tests/notifier-redis.sh
EXTRA_DIST += tests/pipe-redis.sh tests/notifier-redis.sh

# scanflow watch / top against a running scanflowd and a real Redis.
TESTS += tests/e2e/watch_top.py
EXTRA_DIST += tests/e2e/watch_top.py

# Redis faults (unreachable, killed, restarted empty, slow, output buffer
# limit, password and ACL logins) against a running scanflowd.
TESTS += tests/e2e/reliability.py
EXTRA_DIST += tests/e2e/reliability.py \
	tests/e2e/sfflood.py

# 1 M spoofed one-flow sources with real and slow scans inside.
TESTS += tests/e2e/flood.py
EXTRA_DIST += tests/e2e/flood.py

# Spoofed sources with fan-out against --max-redis-sources.
TESTS += tests/e2e/flood_fanout.py
EXTRA_DIST += tests/e2e/flood_fanout.py

# SIGTERM flushes and exits 0 in bounded time, even with Redis hung.
TESTS += tests/e2e/signals.py
EXTRA_DIST += tests/e2e/signals.py
EXTRA_DIST += tests/soak/soak.sh

# The in-process correlator of scanflow hunt (correlate/local.c), no Redis.
check_PROGRAMS += tests/test-local
tests_test_local_SOURCES = tests/test-local.c tests/correlate-testlib.h
tests_test_local_LDADD = $(CORRELATE_TEST_LIBS)
TESTS += tests/test-local
