# tests/ops.mk - quick start, configuration file and operations.
# Included from tests/local.mk.

# The README's quick start (.ci/quickstart) run end to end; with
# SF_QUICKSTART_CLONE=1 (.ci/run) from a clean copy with a full build.
TESTS += tests/quickstart.sh
EXTRA_DIST += tests/quickstart.sh .ci/quickstart

# Configuration file: every bad value stops start-up with one line naming
# key and value; the command line wins; --check-config; the example config
# and scanflowd(8) cover every option of --help.
TESTS += tests/config.sh
EXTRA_DIST += tests/config.sh

# A running scanflowd: /metrics, scanflow stats, --pidfile, --daemon,
# --log-level.
TESTS += tests/metrics.sh
EXTRA_DIST += tests/metrics.sh

# Hostile peers: 1,000 idle and 100 dribbling IPFIX-over-TCP connections,
# then softflowd over TCP must get in; addresses outside --exporter
# refused; half-open /metrics clients never delay a scrape; RSS bounded.
TESTS += tests/e2e/hostile.py
EXTRA_DIST += tests/e2e/hostile.py

# Without a daemon: log rate limit and levels, password masking, metrics
# of several decoders summed.
check_PROGRAMS += tests/test-ops
TESTS += tests/test-ops
tests_test_ops_SOURCES = tests/test-ops.c collector/programs/logging.h collector/programs/logging.c \
	collector/programs/conffile.h collector/programs/conffile.c collector/programs/metrics.h collector/programs/metrics.c
tests_test_ops_CPPFLAGS = $(SF_PROGRAM_CPPFLAGS)
tests_test_ops_LDADD = correlate/libcorrelate.a collector/libcollector.a $(SF_LIBS)

# The README's SOAR worker (schemas/consumer-example.py) on a real Redis.
TESTS += tests/soar-consumer.sh
EXTRA_DIST += tests/soar-consumer.sh schemas/consumer-example.py
