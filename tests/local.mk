# tests/: unit tests (GTest programs, run with --tap), shell tests (*.sh)
# and Python tests (e2e/*.py) printing TAP; tests/README.md maps them.
# Each area keeps its list in its own fragment.
EXTRA_DIST += .ci/lsan.supp
include $(srcdir)/tests/reference.mk
include $(srcdir)/tests/collector.mk
include $(srcdir)/tests/fuzz.mk
include $(srcdir)/tests/correlate.mk
include $(srcdir)/tests/ops.mk
include $(srcdir)/tests/cluster.mk
include $(srcdir)/tests/sampling.mk

# The running daemon on UDP (v4, v6) and TCP sockets.
TESTS += tests/daemon-listen.sh
EXTRA_DIST += tests/daemon-listen.sh

# Real scanners' exports replayed to running scanflowd and a real Redis.
TESTS += tests/e2e/scan_e2e.py
EXTRA_DIST += tests/e2e/scan_e2e.py tests/e2e/sfredis.py

# SIGHUP reloads the rules, --user drops root (running daemon, real Redis).
TESTS += tests/e2e/hup_user.py
EXTRA_DIST += tests/e2e/hup_user.py
include $(srcdir)/tests/bench.mk

# The campaigns capture (scanning networks, many-to-one, ACK ping sweep,
# wide sweep, look-alikes) replayed to running scanflowd processes.
TESTS += tests/e2e/campaigns_e2e.py
EXTRA_DIST += tests/e2e/campaigns_e2e.py

# scanflow hunt over the same captures (no Redis), and over nfdump's CSV
# of what nfcapd stored from them.
TESTS += tests/e2e/hunt_e2e.py
EXTRA_DIST += tests/e2e/hunt_e2e.py tests/bench/gen-archive.py
