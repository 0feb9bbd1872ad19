#!/bin/sh
# A flood of spoofed sources with fan-out against --max-redis-sources; see
# tests/e2e/flood_fanout.py.  Prints TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
exec python3 "$top_srcdir/tests/e2e/flood_fanout.py"
