#!/bin/sh
# pmacctd's packet-sampled exports (1:10, 1:100) replayed to a running
# scanflowd and a real redis-server; see tests/e2e/sampling_e2e.py.  TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
exec python3 "$top_srcdir/tests/e2e/sampling_e2e.py"
