# tests/sampling.mk - detection on packet-sampled exports (included by
# tests/local.mk): the rule against its definition and simulated draws,
# its floor table against an independent Python computation, and the
# running daemon on pmacctd's sampled exports with a real Redis.
check_PROGRAMS += tests/test-sampling
tests_test_sampling_SOURCES = tests/test-sampling.c
tests_test_sampling_LDADD = correlate/libcorrelate.a collector/libcollector.a $(SF_LIBS)
TESTS += tests/test-sampling tests/sampling-floor.sh tests/sampling-schema.sh
EXTRA_DIST += tests/sampling-floor.sh tests/sampling_floor.py tests/sampling-schema.sh
TESTS += tests/e2e/sampling_e2e.py
EXTRA_DIST += tests/e2e/sampling_e2e.py
