#!/bin/sh
# nearthreshold-fixtures.sh - fixtures/nearthreshold is what it claims, as TAP.
#
# fixtures/nearthreshold holds benign clients whose multi-packet flows reach
# just under the thresholds and one 450-port scan (make-fixtures.sh
# nearthreshold), exported by pmacctd at 1:1, 1:10 and 1:100.  Checks:
# - every export in nearthreshold/exports/MANIFEST.tsv: `scanflow decode`
#   reads records from it, each carrying the sampling interval the
#   manifest's sampling_rate says (the exporter announces it);
# - the unsampled NetFlow/IPFIX exports, read by tshark
#   (fixture-traffic.py check, rows of fixtures/scenarios.tsv with capture
#   "nearthreshold"): each near-threshold client's own flows reach within 8
#   under 64 ports or 32 hosts of one /24 and not more; the scanner crosses.
#
# top_srcdir and top_builddir come from the automake harness; by hand:
# top_srcdir=/path/to/src top_builddir=_build sh tests/nearthreshold-fixtures.sh

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
scanflow=$top_builddir/scanflow
if [ ! -x "$scanflow" ]; then
    echo "1..0 # SKIP no $scanflow"
    exit 0
fi

dir=$top_srcdir/fixtures/nearthreshold/exports
py="python3 $top_srcdir/fixtures/fixture-traffic.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# file:port:rate of every export
rows=$(grep -v '^#' "$dir/MANIFEST.tsv" | awk -F'\t' '$1 != "file" {
    r = $5; sub(/.*sampling_rate: /, "", r); sub(/;.*/, "", r)
    print $1 ":" $4 ":" r }')
n=0
for e in $rows; do
    n=$((n + 1))
    case $e in *:*:1) case $e in *sflow*) ;; *) n=$((n + 1)) ;; esac ;; esac
done
echo "1..$n"
i=0
for e in $rows; do
    f=${e%%:*}; rest=${e#*:}; port=${rest%%:*}; rate=${rest#*:}
    i=$((i + 1))
    "$scanflow" decode -f csv "$dir/$f" 2>"$tmp/err" | awk -F, -v r="$rate" '
        NR == 1 { for (c = 1; c <= NF; c++) if ($c == "sampling_interval") col = c; next }
        { n++; if ($col != r) bad++ }
        END { printf "%d records, %d without sampling interval %s\n", n, bad, r
              exit !(n > 0 && bad == 0) }' >"$tmp/out"
    if [ $? -eq 0 ]; then echo "ok $i - $f: decoded, 1:$rate on every record"
    else echo "not ok $i - $f: decoded, 1:$rate on every record"; fi
    sed 's/^/# /' "$tmp/out" "$tmp/err"
    [ "$rate" = 1 ] || continue
    case $f in *sflow*) continue ;; esac
    i=$((i + 1))
    if $py check "$top_srcdir/fixtures/scenarios.tsv" "$dir/$f" "$port" nearthreshold >"$tmp/out" 2>&1; then
        echo "ok $i - $f: clients just under the thresholds, the scanner over (tshark)"
    else
        echo "not ok $i - $f: clients just under the thresholds, the scanner over (tshark)"
    fi
    sed 's/^/# /' "$tmp/out"
done
