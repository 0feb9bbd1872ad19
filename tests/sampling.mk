# tests/sampling.mk - detection on packet-sampled exports (included by
# tests/local.mk): the rule against its definition and simulated draws,
# its floor table against an independent Python computation, and the
# running daemon on pmacctd's sampled exports with a real Redis.
check_PROGRAMS += tests/test-sampling
tests_test_sampling_SOURCES = tests/test-sampling.c correlate/sampling.c correlate/sampling.h
tests_test_sampling_LDADD = $(SF_LIBS)
tests_test_sampling_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/correlate
TESTS += tests/test-sampling tests/sampling-floor.sh tests/sampling-schema.sh
EXTRA_DIST += tests/sampling-floor.sh tests/sampling_floor.py tests/sampling-schema.sh
TESTS += tests/sampling-e2e.sh
EXTRA_DIST += tests/sampling-e2e.sh tests/e2e/sampling_e2e.py
