#!/bin/sh
# slow-fixtures.sh - fixtures/slow is what fixtures/slow/scenarios.tsv says, as TAP.
#
# fixtures/slow holds real nmap runs and look-alikes retimed over a day
# (make-fixtures.sh slow) and their exports by softflowd and pmacctd.
# For the retimed capture (fixture-traffic.py slowclaims: the table's
# measured columns again) and for every export capture in
# fixtures/slow/exports/MANIFEST.tsv, read by tshark (fixture-traffic.py
# slowcheck): per source, distinct destination ports, most hosts of one
# /24, the time span of its flows and the most ports / hosts in any 300 s,
# 3600 s and 86400 s, and for each scanner the horizon its kind crosses in.
# Then `scanflow decode` of the same export: its first flow starts and its
# last ends where the table puts them, hours apart (flow times are the
# packets', not the exporters' run time).
#
# top_srcdir and top_builddir come from the automake harness; by hand:
# top_srcdir=/path/to/src top_builddir=_build sh tests/slow-fixtures.sh

if [ -z "${top_srcdir:-}" ]; then
    top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
fi
top_builddir=${top_builddir:-$top_srcdir}
for tool in "${TSHARK:-tshark}" python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "1..0 # SKIP $tool not installed"
        exit 0
    fi
done

slow=$top_srcdir/fixtures/slow
py="python3 $top_srcdir/fixtures/fixture-traffic.py"
scanflow=$top_builddir/scanflow
base=$(sed -n 's/^SLOW_BASE=\([0-9]*\).*/\1/p' "$top_srcdir/fixtures/make-fixtures.sh")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
exports=$(grep -v '^#' "$slow/exports/MANIFEST.tsv" | awk -F'\t' '$1 != "file" { print $1 ":" $4 }')
n=$(($(echo "$exports" | wc -w) * 2 + 1))
echo "1..$n"
i=0

report() {  # STATUS NAME OUTPUT-FILE
    i=$((i + 1))
    if [ "$1" -eq 0 ]; then echo "ok $i - $2"; else echo "not ok $i - $2"; fi
    sed 's/^/# /' "$3"
}

# the table's measured columns, measured again on the committed capture
grep -v '^#' "$slow/scenarios.tsv" >"$tmp/table"
$py slowclaims "$tmp/table" "$slow/traffic.pcap" >"$tmp/again" 2>&1
diff "$tmp/table" "$tmp/again" >"$tmp/diff" 2>&1
report $? "traffic.pcap: scenarios.tsv's counts and spans" "$tmp/diff"

for e in $exports; do
    f=${e%:*}
    port=${e#*:}
    $py slowcheck "$slow/scenarios.tsv" "$slow/exports/$f" "$port" >"$tmp/out" 2>&1
    report $? "$f: per-source counts, spans and horizons as in scenarios.tsv (tshark)" "$tmp/out"

    # the first flow start and the last flow end: the table's
    if [ ! -x "$scanflow" ]; then
        i=$((i + 1)); echo "ok $i - $f: flow times # SKIP no $scanflow"
        continue
    fi
    "$scanflow" decode -f csv "$slow/exports/$f" 2>"$tmp/err" \
        | $py slowtimes "$slow/scenarios.tsv" "$base" >"$tmp/out" 2>&1
    st=$?
    cat "$tmp/err" >>"$tmp/out"
    report $st "$f: scanflow decode's flow times are the retimed ones" "$tmp/out"
done
