#!/bin/bash
# ab.sh FILE LOOPS ROUNDS BUILD_A BUILD_B [scanflowd options...]
#
# Two builds of scanflowd alternated on the same export bytes (`scanflow
# replay FILE --rate AB_RATE --loops LOOPS`, each run with its own private
# redis-server on a unix socket), ROUNDS pairs: prints per run the
# daemon's CPU from ready (listening) to drained, its Redis thread's
# (sf-redis), and redis-server's, from the scheduler's nanoseconds
# (/proc/PID/task/*/schedstat).  For changes whose effect is below the
# noise of one `make bench` run on a shared machine: compare pairs, not
# runs.  BUILD_A and BUILD_B are directories holding scanflowd and scanflow;
# AB_PORT (default 45488) the UDP port; AB_RATE (default 30000, the noise
# bench's) the datagrams per second: 5000 is the repeated scans' rate.
set -u
F=$1; L=$2; R=$3; A=$4; B=$5; shift 5
PORT=${AB_PORT:-45488}
RATE=${AB_RATE:-30000}
cpu() { local t=0 d; for d in /proc/"$1"/task/*; do t=$((t + $(awk '{print $1}' "$d/schedstat"))); done; echo $t; }
thr() { local d; for d in /proc/"$1"/task/*; do [ "$(cat "$d/comm")" = sf-redis ] && awk '{print $1}' "$d/schedstat"; done; }
for r in $(seq "$R"); do
    for side in A B; do
        D=$A; [ $side = B ] && D=$B
        w=$(mktemp -d)
        redis-server --port 0 --unixsocket "$w/r" --save '' --appendonly no --dir "$w" >"$w/rlog" 2>&1 &
        rp=$!
        until redis-cli -s "$w/r" ping >/dev/null 2>&1; do sleep 0.05; done
        "$D/scanflowd" --listen udp://127.0.0.1:"$PORT" --redis unix://"$w/r" \
            --home-net 198.18.0.0/15 --name ab "$@" >"$w/log" 2>&1 &
        sp=$!
        until grep -q "listening on" "$w/log"; do sleep 0.05; done
        c0=$(cpu $sp); r0=$(cpu $rp); t0=$(thr $sp)
        "$D/scanflow" replay "$F" 127.0.0.1:"$PORT" --rate "$RATE" --loops "$L" -q
        a=$(cpu $sp)
        while sleep 0.3; b=$(cpu $sp); [ $((b - a)) -gt 3000000 ]; do a=$b; done
        sleep 1.5       # a flush interval: the Redis work is done
        c1=$(cpu $sp); r1=$(cpu $rp); t1=$(thr $sp)
        kill $sp; wait $sp 2>/dev/null
        kill $rp; wait $rp 2>/dev/null
        echo "$r $side scanflowd $(((c1 - c0) / 1000000)) ms" \
            "(sf-redis $(((t1 - t0) / 1000000)) ms) redis-server $(((r1 - r0) / 1000000)) ms"
        rm -rf "$w"
    done
done
