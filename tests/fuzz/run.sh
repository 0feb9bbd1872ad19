#!/bin/sh
# run.sh SECONDS [TARGET...] - builds the fuzz targets (`make fuzz`) and
# runs each for SECONDS with libFuzzer, seeded from fixtures/corpus.
# TARGET is v5, v9, ipfix or sflow (default: all four).  Run it from a configured
# build directory (or set BUILDDIR).  Any crash, leak, timeout or
# out-of-memory input is copied to fixtures/fuzz-crashes/TARGET-KIND-HASH,
# where `make check` (tests/fuzz-replay.sh) replays it from then on, and the
# script exits 1.  Prints one summary line per target.
set -u
secs=${1:?usage: run.sh SECONDS [v5|v9|ipfix|sflow ...]}
shift
targets=${*:-v5 v9 ipfix sflow}
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${BUILDDIR:-$(pwd)}
crashes=$srcdir/fixtures/fuzz-crashes
work=$builddir/tests/fuzz/work

cd "$builddir" || exit 2
make fuzz >/dev/null || { echo "run.sh: make fuzz failed" >&2; exit 2; }
rm -rf "$builddir/tests/fuzz/seeds"
python3 "$srcdir/tests/fuzz/make-seeds.py" "$srcdir/fixtures/corpus" \
    "$builddir/tests/fuzz/seeds" "$srcdir/fixtures/exports" || exit 2
mkdir -p "$crashes"

found=0
summary=
for t in $targets; do
    mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
    log=$work/$t/fuzz.log
    # -max_len 16384: room for a template message and data messages.
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$builddir/tests/fuzz/fuzz-$t" -max_total_time="$secs" -max_len=16384 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/$t/artifacts/" \
        "$work/$t/corpus" "$builddir/tests/fuzz/seeds/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    n=0
    for f in "$work/$t/artifacts"/crash-* "$work/$t/artifacts"/leak-* \
             "$work/$t/artifacts"/timeout-* "$work/$t/artifacts"/oom-*; do
        [ -f "$f" ] || continue
        kind=$(basename "$f" | cut -d- -f1)
        cp "$f" "$crashes/$t-$kind-$(sha1sum "$f" | cut -c1-16)"
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] && found=1
    line="fuzz-$t: ${secs}s, ${execs:-?} runs, ${cov:-cov: ?}, exit $rc, $n crash inputs"
    summary="$summary$line
"
    [ "$n" -gt 0 ] && echo "fuzz-$t: see $log" >&2
done
printf '%s' "$summary"
if [ "$found" -ne 0 ]; then
    echo "crash inputs saved in $crashes" >&2
    exit 1
fi
exit 0
