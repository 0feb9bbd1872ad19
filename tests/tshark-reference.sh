#!/bin/sh
# tshark-reference.sh - scanflow's decode against Wireshark's, as TAP.
#
# For every replay group of fixtures/corpus and every capture in
# fixtures/exports/*.pcap, tshark's cflow dissector and `scanflow decode`
# read the same bytes; every flow record tshark decodes must come out of
# scanflow with the same addresses, ports, protocol, packets and bytes.
# The work is in tests/reference/compare.py (see its opening comment).
#
# top_srcdir and top_builddir come from the automake harness; run by hand
# from a build dir: top_srcdir=/path/to/src top_builddir=. sh tests/tshark-reference.sh
# Extra arguments select tests by name: ... tshark-reference.sh yaf netflow5

if [ -z "${top_srcdir:-}" ]; then
    top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
fi
export top_srcdir
export top_builddir="${top_builddir:-$top_srcdir}"

if ! command -v "${TSHARK:-tshark}" >/dev/null 2>&1; then
    echo "1..0 # SKIP tshark not installed"
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "1..0 # SKIP python3 not installed"
    exit 0
fi

exec python3 "$top_srcdir/tests/reference/compare.py" --tap "$@"
