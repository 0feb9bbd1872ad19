#!/bin/sh
# The campaigns capture's exports replayed to running scanflowd processes
# and a real redis-server; see tests/e2e/campaigns_e2e.py.  Prints TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
exec python3 "$top_srcdir/tests/e2e/campaigns_e2e.py"
