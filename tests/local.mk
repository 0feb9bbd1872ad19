# tests/: unit tests (GTest programs, run with --tap) and shell tests
# (tests/*.sh) printing TAP.  Each area keeps its list in its own fragment.
EXTRA_DIST += .ci/lsan.supp
include $(srcdir)/tests/reference.mk
include $(srcdir)/tests/collector.mk
include $(srcdir)/tests/fuzz.mk
include $(srcdir)/tests/correlate.mk
include $(srcdir)/tests/ops.mk
include $(srcdir)/tests/cluster.mk

# The running daemon on UDP (v4, v6) and TCP sockets.
TESTS += tests/daemon-listen.sh
EXTRA_DIST += tests/daemon-listen.sh

# Real scanners' exports replayed to running scanflowd and a real Redis.
TESTS += tests/scan-e2e.sh
EXTRA_DIST += tests/scan-e2e.sh tests/e2e/scan_e2e.py tests/e2e/sfredis.py

# SIGHUP reloads the rules, --user drops root (running daemon, real Redis).
TESTS += tests/reliability-hup.sh
EXTRA_DIST += tests/reliability-hup.sh tests/e2e/hup_user.py
include $(srcdir)/tests/bench.mk
