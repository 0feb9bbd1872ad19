#!/bin/sh
# A flood of 1 M spoofed sources with real scans inside; see
# tests/e2e/flood.py.  Prints TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
exec python3 "$top_srcdir/tests/e2e/flood.py"
