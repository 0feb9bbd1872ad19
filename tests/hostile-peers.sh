#!/bin/sh
# Hostile peers on IPFIX over TCP and /metrics against a running scanflowd;
# see tests/e2e/hostile.py.  Prints TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
exec python3 "$top_srcdir/tests/e2e/hostile.py"
