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
	tests/correlate-testlib.h
tests_test_correlate_redis_LDADD = $(CORRELATE_TEST_LIBS)

TESTS += tests/test-correlate-unit tests/correlate-redis.sh
EXTRA_DIST += tests/redis-helper.sh tests/correlate-redis.sh
