#!/bin/sh
# sampling-floor.sh - the README's detection-floor table, computed twice:
# by the C rule (tests/test-sampling --table) and by an independent Python
# implementation of the same definition (tests/sampling_floor.py).  TAP.
here=$(cd "$(dirname "$0")" && pwd)
bin=${top_builddir:-.}/tests/test-sampling
[ -x "$bin" ] || bin=$(pwd)/tests/test-sampling
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 missing"; exit 0; }
echo "1..1"
c=$("$bin" --table) || { echo "not ok 1 - test-sampling --table failed"; exit 0; }
py=$(python3 "$here/sampling_floor.py" --tsv)
if [ "$c" = "$py" ]; then
    echo "ok 1 - floor table: C and Python agree"
    printf '%s\n' "$c" | sed 's/^/# /'
else
    echo "not ok 1 - floor table differs"
    printf 'C:\n%s\nPython:\n%s\n' "$c" "$py" | sed 's/^/# /'
fi
