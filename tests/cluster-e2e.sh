#!/bin/sh
# scanflowd on a private Redis Cluster (3 masters, 3 replicas) on loopback:
# three collectors fed thirds of a real export, then a master killed during
# a replay; see tests/e2e/cluster_e2e.py.  Prints TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
exec python3 "$top_srcdir/tests/e2e/cluster_e2e.py"
