#!/bin/sh
# fuzz-replay.sh - replays every input the fuzzers ever crashed on
# (fixtures/fuzz-crashes/TARGET-KIND-HASH, saved by tests/fuzz/run.sh)
# through the same target function, built without libFuzzer
# (tests/fuzz/replay-TARGET).  Each file is one TAP test: it passes when
# the decoder returns normally (under the sanitizers when the suite is
# built with them).
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-.}
dir=$srcdir/fixtures/fuzz-crashes

set -- $(cd "$dir" 2>/dev/null && ls | grep -E '^(v5|v9|ipfix|sflow)-' | sort)
if [ $# -eq 0 ]; then
    echo "1..0 # Skip: no crash inputs in fixtures/fuzz-crashes"
    exit 0
fi
echo "1..$#"
i=0
for f in "$@"; do
    i=$((i + 1))
    target=${f%%-*}
    bin=$builddir/tests/fuzz/replay-$target
    if [ ! -x "$bin" ]; then
        echo "not ok $i - $f # replay-$target not built"
        continue
    fi
    if out=$("$bin" "$dir/$f" 2>&1); then
        echo "ok $i - $f"
    else
        echo "not ok $i - $f"
        printf '%s\n' "$out" | sed 's/^/# /'
    fi
done
