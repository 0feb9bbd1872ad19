#!/usr/bin/env bash
# bench.sh [table|lossless|memory|workers|all] - scanflow's benchmark.
#
#   table     per version (NetFlow v5, v9, IPFIX), the same export bytes
#             (softflowd's, tests/bench/make-inputs.sh) are replayed with
#             `scanflow replay --rate R --loops N` to scanflowd with detection
#             on and a private redis-server, then to nfcapd (nfdump: decode +
#             store), then to nfacctd (pmacct: decode + aggregate by src_host,
#             dst_host, dst_port, proto); for sFlow (pmacctd sfprobe's
#             bytes, every packet sampled) sfcapd (nfdump-sflow) and
#             sfacctd (pmacct) instead.  Prints flows offered and counted,
#             loss, CPU seconds (utime+stime from /proc/PID/stat, summed over
#             the process and its children, read when the input is drained,
#             before SIGTERM), flows per CPU-second, peak RSS (VmHWM) and the
#             ratios scanflowd / nfcapd and scanflowd / nfacctd; redis-server's
#             CPU over the whole scanflowd run (its final flush included);
#             and scanflowd's CPU once more with a --home-net no flow enters
#             (the cost of receiving and decoding, without detection).
#   lossless  scanflowd pinned to CPU 1 (taskset), the sender to CPU 0; steps
#             the v5 rate up and reports the highest rate without loss (kernel
#             UDP drops of the socket from /proc/net/udp, and records counted
#             by scanflowd against records offered), as the sender reached it
#             (one `scanflow replay` tops out near 350,000 packets/s here).
#   memory    bytes per tracked low-fan-out source inside scanflowd (VmHWM
#             growth over an idle daemon, per source held in one flush) and
#             in Redis (INFO used_memory growth per source, one window), and
#             a flood of 1 M spoofed sources against --max-sources, with the
#             evictions scanflowd counts.
#   workers   scaling of --workers 1 -> 2 with four senders (v5), both
#             workers and senders unpinned: on 2 CPUs they share the cores.
#   sflow     the table's sFlow row alone.
#   features  CPU per flow of optional parts on the table's noise bytes:
#             scanflowd on the v5 input by default (the long horizons
#             3600 s and 86400 s on), with --horizon off (the 300 s window
#             only: the horizons' cost), with --source-prefix 0,0
#             (no network-of-sources kinds), with distributed_port_scan on,
#             with a --sampling rule for the exporter, and on the sFlow
#             input; rounds alternated, medians (BENCH_FEATURE_ROUNDS,
#             BENCH_FEATURE_OPTS: more v5 rows, options comma-separated).
#   scans     repeated scans (part of table): the fixtures' softflowd
#             captures of real scanners looped BENCH_SCAN_LOOPS times (150)
#             at BENCH_SCAN_RATE packets/s (5000),
#             Redis commands and redis-server's CPU as a share of scanflowd's,
#             whole and for the repeats alone (loops 2 to N, sent once the
#             first loop was flushed, all in one 30 s bucket).
#   horizons  Redis's cost per flow and memory per shared source with the
#             default horizons (300 s, 1 h, 1 day) and with --horizon off
#             (the 300 s window only): the v5 input at BENCH_RATE for
#             BENCH_LOOPS loops (commands, bytes and redis-server CPU per
#             evidence flow), and 50,000 sources of 4 flows each, just past
#             --share-after (INFO used_memory growth and keys per source).
#   shared    the memory step of horizons alone (50,000 shared sources,
#             --horizon off and default horizons).
#   redis     the Redis side of table and scans alone (no peers): per
#             version, redis-server's CPU as a share of scanflowd's, whole
#             and over an idle redis-server run beside it (same config, no
#             client), and INFO commandstats per command (calls, ms).
#   all       all of the above (the default; `make bench`).
#
# Environment: SCANFLOWD, SCANFLOW (programs; default ./scanflowd,
# ./scanflow), BENCH_INPUTS (cache, default ./bench-inputs), BENCH_RATE
# (packets/s for the table, default 30000), BENCH_LOOPS (default 40),
# BENCH_PORT (first UDP port, default 39400), BENCH_VERSIONS (the table's
# rows, default "v5 v9 IPFIX sFlow scans"), SFD_OPTS (more scanflowd
# options for every run, e.g. to measure a feature's cost), BENCH_REDIS_OPTS
# (more redis-server options, e.g. "--hll-sparse-max-bytes 0").  Sends only to 127.0.0.1.
# Needs root (tcpdump for the inputs, taskset, SO_RCVBUFFORCE).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=${1:-all}
SCANFLOWD=${SCANFLOWD:-$PWD/scanflowd}
SCANFLOW=${SCANFLOW:-$PWD/scanflow}
FLOOR=${FLOOR:-$PWD/tests/bench/floor}
INPUTS=${BENCH_INPUTS:-$PWD/bench-inputs}
RATE=${BENCH_RATE:-30000}
LOOPS=${BENCH_LOOPS:-40}
PORT=${BENCH_PORT:-39400}
HOME_NET=198.18.0.0/15
HZ=$(getconf CLK_TCK)

for tool in redis-server redis-cli nfcapd sfcapd nfdump nfacctd sfacctd taskset; do
    command -v $tool >/dev/null || { echo "bench: $tool not installed (see .ci/packages)" >&2; exit 77; }
done
[ -x "$SCANFLOWD" ] && [ -x "$SCANFLOW" ] && [ -x "$FLOOR" ] ||
    { echo "bench: build scanflowd, scanflow and tests/bench/floor first" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sf-bench.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- measuring ---------------------------------------------------------------

# The process and its children (nfacctd forks its plugins).
tree() {
    echo "$1"
    cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . || true
}
# On-CPU seconds of one task (a thread): the scheduler's nanoseconds
# (/proc/.../schedstat) when the kernel keeps them, else utime + stime
# of its stat, which are whole ticks (10 ms): too coarse for the receive
# floor's 0.05-0.1 s.
task_ns() {
    local v
    v=$(awk '{print $1}' "$1/schedstat" 2>/dev/null) && [ -n "$v" ] && { echo "$v"; return; }
    awk -v hz="$HZ" '{printf "%.0f", ($14 + $15) * 1e9 / hz}' "$1/stat" 2>/dev/null || echo 0
}
# CPU seconds of a process tree (all live threads of each process).
cpu_s() {
    local t=0 p d
    for p in $(tree "$1"); do
        for d in /proc/"$p"/task/*; do t=$((t + $(task_ns "$d"))); done
    done
    echo "$t" | awk '{printf "%.3f", $1 / 1e9}'
}
# CPU seconds of the threads of one process named NAME (comm).
thread_cpu_s() {
    local t=0 d
    for d in /proc/"$1"/task/*; do
        [ "$(cat "$d/comm" 2>/dev/null)" = "$2" ] || continue
        t=$((t + $(task_ns "$d")))
    done
    echo "$t" | awk '{printf "%.3f", $1 / 1e9}'
}
# CPU seconds since BASE (a reading of cpu_s or thread_cpu_s).  Each
# collector is read once it is ready (listening) and again once the input
# is drained, so that start-up (scanflowd maps and touches its tables:
# about 0.04 s) is not counted as work on the flows, for any collector.
since() { echo "$1 $2" | awk '{printf "%.3f", $1 - $2}'; }
# Flows per CPU-second, in millions.
per_cpu() { echo "$1 $2" | awk '{if ($2 > 0) printf "%.2f", $1 / $2 / 1e6; else print "-"}'; }
# CPU seconds of `scanflow decode --format none` over LOOPS copies of FILE:
# the decoder alone, no socket, no correlator.
decode_cpu_s() {   # FILE [--fixbuf-only]
    local files=() i
    for i in $(seq "$LOOPS"); do files+=("$1"); done
    # bash's time: the child's rusage in ms, where time(1) prints 10 ms
    local TIMEFORMAT='%3U %3S'
    { time "$SCANFLOW" decode --format none ${2:-} "${files[@]}" >/dev/null 2>&1; } 2>"$WORK/decode.time"
    awk '{printf "%.3f", $1 + $2}' "$WORK/decode.time"
}

# Peak RSS (VmHWM) of a process tree, MiB.
hwm_mb() {
    local t=0 p
    for p in $(tree "$1"); do
        t=$((t + $(awk '/^VmHWM/{print $2}' /proc/"$p"/status 2>/dev/null || echo 0)))
    done
    echo "$t" | awk '{printf "%.1f", $1 / 1024}'
}
# Kernel drops of the UDP sockets bound to a port (all SO_REUSEPORT ones).
udp_drops() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v h=":$hex" 'NR > 1 && substr($2, length($2) - 4) == h {d += $NF} END {print d + 0}' \
        /proc/net/udp /proc/net/udp6
}
# Waits until a process tree stops using CPU (the input is drained).
settle() {
    local a b n=0
    a=$(cpu_s "$1")
    while [ $n -lt 60 ]; do
        sleep 0.3
        b=$(cpu_s "$1")
        # idle: under 1% of a CPU over the 0.3 s (timers still tick)
        awk -v a="$a" -v b="$b" 'BEGIN { exit !(b - a < 0.003) }' && break
        a=$b
        n=$((n + 1))
    done
}
wait_log() {   # FILE PATTERN
    local i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 100 ] && { echo "bench: timeout waiting for '$2' in $1" >&2; cat "$1" >&2; return 1; }
        sleep 0.05
    done
}
replay() {   # FILE PORT RATE LOOPS [taskset cpu]
    local cpu=${5:-}
    if [ -n "$cpu" ]; then
        taskset -c "$cpu" "$SCANFLOW" replay "$1" 127.0.0.1:"$2" --rate "$3" --loops "$4" -q
    else
        "$SCANFLOW" replay "$1" 127.0.0.1:"$2" --rate "$3" --loops "$4" -q
    fi
}
# Records and packets (sum of flows' packet counts) in one copy of an input.
offered() {
    "$SCANFLOW" decode --format csv "$1" 2>/dev/null |
        awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "packets") c = i; next}
                 {n++; p += $c} END {printf "%d %d", n, p}'
}

# --- the programs ------------------------------------------------------------

REDIS_PID=
REDIS_SOCK=
# A private redis-server on DIR/redis.sock, up and answering: its PID in
# SPAWNED_PID.
redis_spawn() {   # DIR
    mkdir -p "$1"
    redis-server --port 0 --unixsocket "$1/redis.sock" --unixsocketperm 700 --save '' \
        --appendonly no --dir "$1" --logfile "$1/redis.log" ${BENCH_REDIS_OPTS:-} </dev/null >"$1/redis.out" 2>&1 &
    # (not our stdout: a $(...) around a failed start would wait for it)
    SPAWNED_PID=$!
    PIDS+=("$SPAWNED_PID")
    local i=0
    until redis-cli -s "$1/redis.sock" ping >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -gt 100 ] && { echo "bench: redis-server in $1 did not start" >&2; exit 1; }
        sleep 0.05
    done
}
redis_start() {
    redis_spawn "$WORK/redis.$1"
    REDIS_SOCK=$WORK/redis.$1/redis.sock
    REDIS_PID=$SPAWNED_PID
}
redis_stop() {
    kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null
}
redis_info() {   # FIELD
    redis-cli -s "$REDIS_SOCK" info all | tr -d '\r' | awk -F: -v f="$1" '$1 == f {print $2}'
}
# Microseconds redis-server spent in commands (INFO commandstats), without
# its idle cron work.
# With "noinfo", the INFO commands (the bench's own readings) are left out.
redis_usec() {   # [noinfo]
    redis-cli -s "$REDIS_SOCK" info commandstats | tr -d '\r' | { [ "${1:-}" = noinfo ] && grep -v '^cmdstat_info:' || cat; } |
        sed -n 's/^cmdstat_[^:]*:calls=[0-9]*,usec=\([0-9]*\),.*/\1/p' | awk '{s += $1} END {print s + 0}'
}
redis_calls() {   # [noinfo]
    redis-cli -s "$REDIS_SOCK" info commandstats | tr -d '\r' | { [ "${1:-}" = noinfo ] && grep -v '^cmdstat_info:' || cat; } |
        sed -n 's/^cmdstat_[^:]*:calls=\([0-9]*\),.*/\1/p' | awk '{s += $1} END {print s + 0}'
}

# Per command name of INFO commandstats (evalsha included; a script's inner
# commands are counted again under their own names, marked "in scripts"
# when the script ran them): calls and ms, most ms first, one line each.
redis_breakdown() {   # INDENT
    redis-cli -s "$REDIS_SOCK" info commandstats | tr -d '\r' |
        sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),usec=\([0-9]*\),.*/\1 \2 \3/p' |
        sort -k3,3nr | awk -v ind="$1" '{t += $3; l[NR] = sprintf("%s%-10s %8d calls %9.1f ms", ind, $1, $2, $3 / 1000)}
            END {for (i = 1; i <= NR; i++) print l[i]; printf "%s%-10s %8s       %9.1f ms\n", ind, "total", "", t / 1000}'
}
# A second redis-server with the same configuration and no client, started
# and stopped with the measured one: its CPU over the same wall time is
# what redis-server costs idle (serverCron at the default hz, active expire
# of nothing).
IDLE_PID=
idle_start() {
    redis_spawn "$WORK/redis.idle.$1"
    IDLE_PID=$SPAWNED_PID
    IDLE_CPU0=$(cpu_s "$IDLE_PID")
}
idle_stop() {   # prints its CPU seconds since it was up
    since "$(cpu_s "$IDLE_PID")" "$IDLE_CPU0"
    kill "$IDLE_PID" 2>/dev/null; wait "$IDLE_PID" 2>/dev/null
}
# "W% of scanflowd CPU, over idle O%": redis-server's whole CPU and what
# it took beyond the idle one's, as shares of scanflowd's.
redis_shares() {   # REDIS_CPU IDLE_CPU SFD_CPU
    echo "$1 $2 $3" | awk '{if ($3 > 0) printf "%.0f%% of scanflowd CPU, over idle %.0f%% (idle redis %.3f s)", 100 * $1 / $3, 100 * ($1 - $2) / $3, $2}'
}

SFD_PID=
SFD_LOG=
sfd_start() {   # NAME PORT [taskset-cpu] [extra options...]
    local name=$1 port=$2 cpu=$3
    shift 3
    SFD_LOG=$WORK/scanflowd.$name.log
    local pre=()
    [ -n "$cpu" ] && pre=(taskset -c "$cpu")
    "${pre[@]}" "$SCANFLOWD" --listen udp://127.0.0.1:"$port" --redis unix://"$REDIS_SOCK" \
        --home-net $HOME_NET --name bench ${SFD_OPTS:-} "$@" >"$SFD_LOG" 2>&1 &
    SFD_PID=$!
    PIDS+=("$SFD_PID")
    wait_log "$SFD_LOG" "listening on" || exit 1
    SFD_CPU0=$(cpu_s "$SFD_PID")
    SFD_RX0=$(thread_cpu_s "$SFD_PID" scanflowd)
    SFD_RT0=$(thread_cpu_s "$SFD_PID" sf-redis)
}
# scanflowd's CPU seconds since it was ready.
sfd_cpu() { since "$(cpu_s "$SFD_PID")" "$SFD_CPU0"; }
sfd_stop() {
    kill -TERM "$SFD_PID"; wait "$SFD_PID" 2>/dev/null
}
sfd_records() { sed -n 's/.*stopping: [0-9]* packets, \([0-9]*\) records.*/\1/p' "$SFD_LOG"; }
sfd_counter() {   # NAME from the correlator line
    sed -n "s/.*correlator:.* \([0-9]*\) $1.*/\1/p" "$SFD_LOG"
}

# The CPU seconds PID spends while FILE is replayed to PORT and drained.
cpu_during_replay() {   # PID FILE PORT RATE LOOPS
    local c0
    c0=$(cpu_s "$1")
    replay "$2" "$3" "$4" "$5"
    settle "$1"
    since "$(cpu_s "$1")" "$c0"
}

# The receive floor (tests/bench/floor.c, a bare recvmmsg loop) on the same
# bytes at the same rate: prints its CPU seconds.
floor_cpu_s() {   # FILE PORT [RATE LOOPS]
    "$FLOOR" "$2" >"$WORK/floor.log" 2>&1 &
    local fpid=$!
    PIDS+=("$fpid")
    wait_log "$WORK/floor.log" "listening" || exit 1
    cpu_during_replay $fpid "$1" "$2" "${3:-$RATE}" "${4:-$LOOPS}"
    kill -TERM $fpid; wait $fpid 2>/dev/null
}

# scanflowd with its own redis-server and an idle one beside it, on FILE
# at RATE for LOOPS; leaves the redis-server running (redis_stop) and sets
# RR_SFD (scanflowd's CPU s), RR_REDIS (redis-server's), RR_IDLE (the
# idle one's), RR_CALLS and RR_USEC (its commands and microseconds in them).
# With RR_SPLIT set, the first loop is replayed alone and its Redis work
# done before the other LOOPS - 1 (the repeats) are sent, and RR_REP_*
# hold what the repeats alone cost: RR_REP_SFD and RR_REP_REDIS (CPU s),
# RR_REP_IDLE (the idle one's over the same time), RR_REP_CALLS and
# RR_REP_USEC.  scanflowd is then started 0.5 s into a base bucket
# (BENCH_BUCKET_S, 30: the default window's), so that a run of up to
# 25 s does not cross one: every repeat is one of the same bucket.
redis_run() {   # NAME FILE PORT RATE LOOPS
    local r0 r1 loops=$5
    local split=
    [ -n "${RR_SPLIT:-}" ] && [ "$loops" -gt 1 ] && split=1
    redis_start "$1"
    idle_start "$1"
    if [ -n "$split" ]; then
        # 0.5 s into a bucket (scanflowd is ready within a second)
        local b=${BENCH_BUCKET_S:-30}
        sleep "$(date +%s.%N | awk -v b="$b" '{w = b + 0.5 - ($1 % b); if (w < 0) w += b; print w}')"
        IDLE_CPU0=$(cpu_s "$IDLE_PID")
    fi
    r0=$(cpu_s "$REDIS_PID")
    sfd_start "$1" "$3" ""
    if [ -n "$split" ]; then
        local s1 x1 i1 c1 u1
        replay "$2" "$3" "$4" 1
        settle "$SFD_PID"
        sleep 1.5
        s1=$(sfd_cpu); x1=$(cpu_s "$REDIS_PID"); i1=$(cpu_s "$IDLE_PID")
        c1=$(redis_calls noinfo); u1=$(redis_usec noinfo)
        replay "$2" "$3" "$4" $((loops - 1))
        settle "$SFD_PID"
        sleep 1.5
        RR_REP_SFD=$(since "$(sfd_cpu)" "$s1")
        RR_REP_REDIS=$(since "$(cpu_s "$REDIS_PID")" "$x1")
        RR_REP_IDLE=$(since "$(cpu_s "$IDLE_PID")" "$i1")
        RR_REP_CALLS=$(($(redis_calls noinfo) - c1)); RR_REP_USEC=$(($(redis_usec noinfo) - u1))
    else
        replay "$2" "$3" "$4" "$loops"
        settle "$SFD_PID"
        sleep 1.5                       # one flush interval: Redis work done
    fi
    RR_SFD=$(sfd_cpu)
    sfd_stop
    sleep 0.5
    r1=$(cpu_s "$REDIS_PID")
    RR_IDLE=$(idle_stop)
    RR_CALLS=$(redis_calls); RR_USEC=$(redis_usec)
    RR_REDIS=$(since "$r1" "$r0")
}

# nfcapd (or sfcapd, CAPD) on FILE at RATE for LOOPS: decode and store.
# Sets the caller's n_cpu (CPU s from ready to drained), n_hwm and n_n
# (flows it stored, from nfdump -I).
capd_run() {   # CAPD LABEL FILE PORT RATE LOOPS
    local nd=$WORK/nfcapd.$2
    mkdir -p "$nd"
    $1 -w "$nd" -p "$4" -b 127.0.0.1 -B 33554432 -t 3600 -I bench >"$WORK/nfcapd.$2.log" 2>&1 &
    local npid=$!
    PIDS+=("$npid")
    wait_log "$WORK/nfcapd.$2.log" "Startup" || exit 1
    n_cpu=$(cpu_during_replay $npid "$3" "$4" "$5" "$6"); n_hwm=$(hwm_mb $npid)
    kill -TERM $npid; wait $npid 2>/dev/null
    n_n=$(nfdump -R "$nd" -I 2>/dev/null | awk '/^Flows:/ {print $2}')
}

# --- table -------------------------------------------------------------------

ROWS=()
BREAKDOWN=()
row() { ROWS+=("$(printf '%-6s %-10s %10s %10s %7s %7s %12s %8s %s' "$@")"); }

bench_version() {   # LABEL FILE
    local label=$1 file=$2 port
    # the peers: nfdump's and pmacct's NetFlow/IPFIX collectors, or their
    # sFlow ones (same code bases, same output) for sFlow bytes
    local capd=nfcapd acctd=nfacctd akind=NetFlow
    [ "$label" = sFlow ] && { capd=sfcapd; acctd=sfacctd; akind=sFlow; }
    read -r flows1 pkts1 < <(offered "$file")
    local flows=$((flows1 * LOOPS)) pkts=$((pkts1 * LOOPS))
    local msgs
    msgs=$(("$(tcpdump -r "$file" 2>/dev/null | wc -l)" * LOOPS))

    # scanflowd, detection on, a private redis-server
    port=$((PORT + 1))
    redis_start "$label"
    idle_start "$label"
    local r0 r1 used0 idle
    r0=$(cpu_s "$REDIS_PID")
    sfd_start "$label" $port ""
    replay "$file" $port "$RATE" "$LOOPS"
    settle "$SFD_PID"
    sleep 1.5                       # one flush interval: Redis work done
    local s_cpu s_hwm s_drop
    s_cpu=$(sfd_cpu); s_hwm=$(hwm_mb "$SFD_PID"); s_drop=$(udp_drops $port)
    local rx_cpu redis_thr
    rx_cpu=$(since "$(thread_cpu_s "$SFD_PID" scanflowd)" "$SFD_RX0")
    redis_thr=$(since "$(thread_cpu_s "$SFD_PID" sf-redis)" "$SFD_RT0")
    sfd_stop
    sleep 0.5
    r1=$(cpu_s "$REDIS_PID")
    idle=$(idle_stop)
    local s_n r_cpu calls
    s_n=$(sfd_records)
    r_cpu=$(echo "$r0 $r1" | awk '{printf "%.3f", $2 - $1}')
    calls=$(redis_calls)
    BREAKDOWN+=("$label, noise bench: $calls commands, $(redis_shares "$r_cpu" "$idle" "$s_cpu")")
    mapfile -t -O "${#BREAKDOWN[@]}" BREAKDOWN < <(redis_breakdown "    ")

    # the same daemon with a --home-net that no flow of the mix enters
    # (TEST-NET-1): receiving, decoding and the evidence filter, what is
    # left when detection files nothing
    local HOME_NET=192.0.2.0/32 floor_cpu
    sfd_start "$label-floor" $port ""
    replay "$file" $port "$RATE" "$LOOPS"
    settle "$SFD_PID"
    floor_cpu=$(sfd_cpu)
    sfd_stop
    redis_stop

    # the receive floor: a bare recvmmsg loop, same bytes, same rate
    local rx_floor
    rx_floor=$(floor_cpu_s "$file" $port)

    # nfcapd: decode and store
    local n_cpu n_hwm n_n
    capd_run "$capd" "$label" "$file" $((PORT + 2)) "$RATE" "$LOOPS"

    # nfacctd: decode and aggregate by src_host, dst_host, dst_port, proto
    port=$((PORT + 3))
    cat >"$WORK/nfacctd.$label.conf" <<EOF
daemonize: false
${acctd}_ip: 127.0.0.1
${acctd}_port: $port
${acctd}_pipe_size: 33554432
plugin_pipe_size: 67108864
plugin_buffer_size: 65536
plugins: print[bench]
aggregate[bench]: src_host, dst_host, dst_port, proto
print_output[bench]: csv
print_output_file[bench]: $WORK/nfacctd.$label.csv
print_refresh_time[bench]: 3600
EOF
    $acctd -f "$WORK/nfacctd.$label.conf" >"$WORK/nfacctd.$label.log" 2>&1 &
    local apid=$!
    PIDS+=("$apid")
    wait_log "$WORK/nfacctd.$label.log" "waiting for $akind" || exit 1
    sleep 0.5
    local a_cpu a_hwm
    a_cpu=$(cpu_during_replay $apid "$file" $port "$RATE" "$LOOPS"); a_hwm=$(hwm_mb $apid)
    kill -INT $apid; wait $apid 2>/dev/null
    # nfacctd counts packets, not flows: flows received = flows offered x
    # (packets it aggregated / packets offered)
    local a_n
    a_n=$(awk -F, -v f=$flows -v p=$pkts 'NR > 1 {s += $5} END {printf "%d", f * s / p}' \
          "$WORK/nfacctd.$label.csv" 2>/dev/null)

    local s_rate n_rate a_rate d_cpu f_cpu=""
    s_rate=$(per_cpu "$s_n" "$s_cpu"); n_rate=$(per_cpu "$n_n" "$n_cpu"); a_rate=$(per_cpu "$a_n" "$a_cpu")
    d_cpu=$(decode_cpu_s "$file")
    case $label in v9|IPFIX) f_cpu=$(decode_cpu_s "$file" --fixbuf-only) ;; esac
    loss() { echo "$1 $2" | awk '{printf "%.2f%%", 100 * ($1 - $2) / $1}'; }
    row "$label" scanflowd "$flows" "$s_n" "$(loss $flows $s_n)" "$s_cpu" "$s_rate M" "$s_hwm" \
        "$(echo "$s_rate $n_rate $a_rate" | awk -v c=$capd -v a=$acctd '{printf "x%.2f %s, x%.2f %s", $1 / $2, c, $1 / $3, a}')"
    row "" " rx thread" "" "" "" "$rx_cpu" "$(per_cpu "$s_n" "$rx_cpu") M" "" "receive, decode, correlator sink"
    row "" " sf-redis" "" "" "" "$redis_thr" "" "" "correlator's Redis thread"
    row "" " no probes" "$flows" "" "" "$floor_cpu" "$(per_cpu "$flows" "$floor_cpu") M" "" \
        "same daemon, --home-net $HOME_NET: receive, decode, evidence filter"
    row "" " floor" "$flows" "" "" "$rx_floor" "$(per_cpu "$flows" "$rx_floor") M" "" \
        "$(echo "$s_cpu $floor_cpu $rx_floor" | awk '{if ($3 > 0) printf "bare recvmmsg loop; scanflowd x%.2f, no probes x%.2f of it", $1 / $3, $2 / $3; else print "bare recvmmsg loop"}')"
    row "" redis "" "$calls cmds" "" "$r_cpu" "" "" \
        "$(echo "$r_cpu $s_cpu" | awk '{printf "%.0f%% of scanflowd CPU", 100 * $1 / $2}')"
    row "" "decode" "$flows" "" "" "$d_cpu" "$(per_cpu "$flows" "$d_cpu") M" "" "scanflow decode --format none (no socket, no correlator)"
    [ -n "$f_cpu" ] && row "" "fixbuf" "$flows" "" "" "$f_cpu" "$(per_cpu "$flows" "$f_cpu") M" "" "same, --fixbuf-only (fBufNext for every record)"
    row "" $capd "$flows" "$n_n" "$(loss $flows $n_n)" "$n_cpu" "$n_rate M" "$n_hwm" ""
    row "" $acctd "$flows" "$a_n" "$(loss $flows $a_n)" "$a_cpu" "$a_rate M" "$a_hwm" ""
    echo "bench: $label done (scanflowd kernel drops $s_drop, $msgs datagrams sent)" >&2
}

VERSIONS=${BENCH_VERSIONS:-v5 v9 IPFIX sFlow scans}
do_table() {
    local v
    echo "== table: $LOOPS loops at $RATE packets/s, each collector in turn, same bytes"
    for v in $VERSIONS; do
        case $v in
            v5) bench_version v5 "$INPUTS/softflowd-v5.pcap" ;;
            v9) bench_version v9 "$INPUTS/softflowd-v9.pcap" ;;
            IPFIX) bench_version IPFIX "$INPUTS/softflowd-ipfix.pcap" ;;
            sFlow) bench_version sFlow "$INPUTS/pmacctd-sflow.pcap" ;;
            scans) ;;
            *) echo "bench: unknown version $v in BENCH_VERSIONS" >&2; exit 2 ;;
        esac
    done
    print_table
    print_breakdown
    case " $VERSIONS " in *" scans "*) do_scans ;; esac
}
print_breakdown() {
    [ ${#BREAKDOWN[@]} -gt 0 ] || return 0
    echo "redis-server's commands (INFO commandstats), per version:"
    printf '%s\n' "${BREAKDOWN[@]}"
    BREAKDOWN=()
}

# Repeated scans: the fixtures' scan-heavy captures (real scanners: 1,000
# ports of one host, sweeps of 256 and 2,560 hosts, nmap) replayed in a
# loop, so that every loop after the first repeats probes Redis already
# holds in the bucket.  Prints Redis commands and redis-server's CPU as a
# share of scanflowd's, for the whole run and for the repeats alone (the
# first loop is sent at the start of a bucket and flushed before the
# others: redis_run's RR_SPLIT).
# At 5,000 datagrams/s, 150 loops of about 410 datagrams take 12 s: a dozen
# flushes, most of them repeats.
SCAN_LOOPS=${BENCH_SCAN_LOOPS:-150}
SCAN_RATE=${BENCH_SCAN_RATE:-5000}
do_scans() {
    local fx=${BENCH_FIXTURES:-$here/../../fixtures/exports} label file port=$((PORT + 7))
    echo "== repeated scans: fixtures' softflowd captures, $SCAN_LOOPS loops at $SCAN_RATE packets/s"
    printf '%-6s %10s %7s %10s %7s %9s %s\n' version flows "CPU s" "redis cmd" "CPU s" "cmd ms" "redis share"
    local lines=() reps=() n_cpu n_hwm n_n fl
    for label in v5 v9 IPFIX; do
        case $label in v5) file=$fx/softflowd-v5.pcap ;; v9) file=$fx/softflowd-v9.pcap ;;
                       IPFIX) file=$fx/softflowd-ipfix.pcap ;; esac
        RR_SPLIT=1 redis_run "scan-$label" "$file" $port "$SCAN_RATE" "$SCAN_LOOPS"
        reps+=("$(echo "$label $RR_REP_SFD $RR_REP_REDIS $RR_REP_IDLE $RR_REP_CALLS $RR_REP_USEC" |
            awk '{printf "%-6s scanflowd %.3f s, %d Redis commands (%.1f ms in them), redis-server %.3f s, %.0f%% of scanflowd CPU, over idle %.0f%% (idle redis %.3f s)", $1, $2, $5, $6 / 1000, $3, ($2 > 0 ? 100 * $3 / $2 : 0), ($2 > 0 ? 100 * ($3 - $4) / $2 : 0), $4}')")
        BREAKDOWN+=("$label, repeated scans: $RR_CALLS commands")
        mapfile -t -O "${#BREAKDOWN[@]}" BREAKDOWN < <(redis_breakdown "    ")
        redis_stop
        if [ "$mode" != redis ]; then
            # the same bytes to the receive floor and to nfcapd
            fl=$(floor_cpu_s "$file" $port "$SCAN_RATE" "$SCAN_LOOPS")
            capd_run nfcapd "scan-$label" "$file" $((port + 1)) "$SCAN_RATE" "$SCAN_LOOPS"
            lines+=("$(echo "$label $RR_SFD $fl $n_cpu $(sfd_records) $n_n" | awk '{printf "%-6s scanflowd %.3f s, floor %.3f s (scanflowd x%.2f of it), nfcapd %.3f s for %d flows (scanflowd x%.2f nfcapd, flows per CPU-second)", $1, $2, $3, ($3 > 0 ? $2 / $3 : 0), $4, $6, ($2 > 0 && $4 > 0 && $6 > 0 ? ($5 / $2) / ($6 / $4) : 0)}')")
        fi
        printf '%-6s %10s %7s %10s %7s %9s %s\n' "$label" "$(sfd_records)" "$RR_SFD" "$RR_CALLS" \
            "$RR_REDIS" "$(echo "$RR_USEC" | awk '{printf "%.1f", $1 / 1000}')" \
            "$(echo "$RR_REDIS $RR_SFD $RR_USEC" | awk '{if ($2 > 0) printf "%.0f%% of scanflowd CPU (in commands: %.1f%%)", 100 * $1 / $2, $3 / 1e4 / $2}'), $(redis_shares "$RR_REDIS" "$RR_IDLE" "$RR_SFD" | sed 's/.*, over/over/')"
    done
    printf '%s\n' "the repeats alone (loops 2-$SCAN_LOOPS, sent once the first loop's Redis work was done, same bucket):" "${reps[@]}"
    [ ${#lines[@]} -eq 0 ] || printf '%s\n' "the same bytes to the receive floor and to nfcapd:" "${lines[@]}"
    print_breakdown
}

# The Redis side of the table alone (no peers, no floor): scanflowd on the
# noise bytes of each NetFlow/IPFIX version with its redis-server and an
# idle one, then the repeated scans.
redis_noise() {   # LABEL FILE
    redis_run "noise-$1" "$2" $((PORT + 1)) "$RATE" "$LOOPS"
    BREAKDOWN+=("$1, noise bench: $RR_CALLS commands, scanflowd $RR_SFD s, redis-server $RR_REDIS s: $(redis_shares "$RR_REDIS" "$RR_IDLE" "$RR_SFD")")
    mapfile -t -O "${#BREAKDOWN[@]}" BREAKDOWN < <(redis_breakdown "    ")
    redis_stop
}
do_redis() {
    echo "== Redis cost: noise bench ($LOOPS loops at $RATE packets/s), then repeated scans"
    redis_noise v5 "$INPUTS/softflowd-v5.pcap"
    redis_noise v9 "$INPUTS/softflowd-v9.pcap"
    redis_noise IPFIX "$INPUTS/softflowd-ipfix.pcap"
    print_breakdown
    do_scans
}

print_table() {
    printf '%-6s %-10s %10s %10s %7s %7s %12s %8s %s\n' version collector offered counted \
        loss "CPU s" "flows/CPU-s" "RSS MiB" ratio
    printf '%s\n' "${ROWS[@]}"
}

do_sflow() {
    echo "== sFlow: $LOOPS loops at $RATE packets/s, each collector in turn, same bytes"
    bench_version sFlow "$INPUTS/pmacctd-sflow.pcap"
    print_table
}

# --- features: CPU per flow of each optional part ------------------------------

# scanflowd's CPU seconds (detection on, a private redis-server) for the
# table's replay of FILE, with more options.
feature_cpu() {   # FILE [options...]
    local file=$1 port=$((PORT + 8)) c
    shift
    redis_start feature
    sfd_start feature $port "" "$@"
    replay "$file" $port "$RATE" "$LOOPS"
    settle "$SFD_PID"
    sleep 1.5
    c=$(sfd_cpu)
    sfd_stop
    redis_stop
    echo "$c"
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# Each configuration in turn, BENCH_FEATURE_ROUNDS rounds (3), on the
# noise bench's bytes: median CPU, ns per flow, and the difference to the
# configuration it is measured against (in its own rounds).
do_features() {
    local rounds=${BENCH_FEATURE_ROUNDS:-3} r i
    local names=("v5 default" "v5 --horizon off" "v5 --source-prefix 0,0" "v5 distributed on"
                 "v5 sampling rule" "sFlow default")
    local files=(v5 v5 v5 v5 v5 sFlow)
    local opts=("" "--horizon off" "--source-prefix 0,0" "--distributed-threshold 64:8"
                "--sampling 127.0.0.0/8=64" "")
    local extra
    for extra in ${BENCH_FEATURE_OPTS:-}; do     # more v5 rows: OPT[,OPT...]
        names+=("v5 ${extra//,/ }"); files+=(v5); opts+=("${extra//,/ }")
    done
    declare -A cpus flows
    local f
    for f in v5 sFlow; do
        local path=$INPUTS/softflowd-v5.pcap
        [ $f = sFlow ] && path=$INPUTS/pmacctd-sflow.pcap
        read -r n _ < <(offered "$path")
        flows[$f]=$((n * LOOPS))
    done
    echo "== features: $LOOPS loops at $RATE packets/s, $rounds rounds, configurations alternated"
    for r in $(seq "$rounds"); do
        for i in "${!names[@]}"; do
            local path=$INPUTS/softflowd-v5.pcap
            [ "${files[$i]}" = sFlow ] && path=$INPUTS/pmacctd-sflow.pcap
            # shellcheck disable=SC2086
            cpus[$i]="${cpus[$i]:-} $(feature_cpu "$path" ${opts[$i]})"
        done
    done
    local base ns0=
    printf '%-36s %10s %-20s %8s %10s %s\n' configuration flows "CPU s (rounds)" median "ns/flow" "vs v5 default"
    for i in "${!names[@]}"; do
        local med ns
        med=$(echo "${cpus[$i]}" | median)
        ns=$(echo "$med ${flows[${files[$i]}]}" | awk '{printf "%.1f", 1e9 * $1 / $2}')
        [ -z "$ns0" ] && ns0=$ns
        printf '%-36s %10s %-20s %8s %10s %s\n' "${names[$i]}" "${flows[${files[$i]}]}" "${cpus[$i]# }" \
            "$med" "$ns" "$(echo "$ns $ns0" | awk '{printf "%+.0f%%", 100 * ($1 / $2 - 1)}')"
    done
}

# --- lossless rate, one core ---------------------------------------------------

lossless_try() {   # RATE WORKERS SENDERS -> "counted offered drops cpu sent-pps [per worker]"
    local rate=$1 workers=$2 senders=$3 port=$((PORT + 5))
    local file=$INPUTS/softflowd-v5.pcap
    read -r flows1 _ < <(offered "$file")
    # about 2 s of traffic per step
    local per
    per=$(tcpdump -r "$file" 2>/dev/null | wc -l)
    local loops=$(( (rate * 2 / senders + per - 1) / per ))
    [ $loops -lt 1 ] && loops=1
    local cpus=1
    [ "$workers" -gt 1 ] && cpus=0,1
    sfd_start lossless $port "$cpus" --workers "$workers"
    local d0 i pids=() t0 t1
    d0=$(udp_drops $port)
    t0=$(date +%s.%N)
    for i in $(seq "$senders"); do
        if [ "$workers" -gt 1 ]; then
            replay "$file" $port $((rate / senders)) $loops &
        else
            replay "$file" $port $((rate / senders)) $loops 0 &
        fi
        pids+=($!)
    done
    wait "${pids[@]}"
    t1=$(date +%s.%N)
    settle "$SFD_PID"
    local drops cpu
    drops=$(($(udp_drops $port) - d0))
    cpu=$(sfd_cpu)
    sfd_stop
    # the rate the senders reached (a sender tops out near 400,000/s)
    local sent
    sent=$(echo "$t0 $t1 $per $loops $senders" | awk '{printf "%d", $3 * $4 * $5 / ($2 - $1)}')
    echo "$(sfd_records) $((flows1 * loops * senders)) $drops $cpu $sent" \
        "$(grep -o 'worker [0-9]*: [0-9]* packets' "$SFD_LOG" | sed 's/ packets//; s/: /=/; s/ /-/' | tr '\n' ' ')"
}

do_lossless() {
    echo "== lossless: scanflowd pinned to CPU 1, sender on CPU 0, v5, ~2 s per step"
    redis_start lossless
    local best=0 rate sent
    for rate in ${BENCH_LOSSLESS_RATES:-20000 30000 40000 50000 75000 100000 150000 200000 300000 400000 500000}; do
        read -r got want drops cpu sent _ < <(lossless_try "$rate" 1 1)
        printf '  %7d packets/s (%4.1f M flows/s), sent at %7d/s: %9d of %9d records, %6d kernel drops, %s CPU s\n' \
            "$rate" "$(echo "$rate" | awk '{print $1 * 29.2 / 1e6}')" "$sent" "$got" "$want" "$drops" "$cpu"
        if [ "$got" = "$want" ] && [ "$drops" = 0 ]; then best=$sent; else break; fi
    done
    redis_stop
    echo "  highest lossless rate: $best packets/s of v5 as sent (~$(echo $best | awk '{printf "%.1f", $1 * 29.2 / 1e6}') M flows/s)"
}

# --- workers --------------------------------------------------------------------

do_workers() {
    # Four senders: the kernel hashes each sender's address:port to one
    # socket, and with two senders both land on one worker half the time.
    echo "== workers: four senders (own source ports; the SO_REUSEPORT hash spreads them), v5"
    redis_start workers
    local w rate
    for w in 1 2; do
        for rate in ${BENCH_WORKER_RATES:-20000 40000 60000 80000 100000 150000 200000}; do
            read -r got want drops cpu sent per < <(lossless_try "$rate" "$w" 4)
            printf '  --workers %d: %7d packets/s (sent at %7d/s): %9d of %9d records (%.2f%% lost), %s CPU s, %s\n' \
                "$w" "$rate" "$sent" "$got" "$want" "$(echo "$got $want" | awk '{print 100 * ($2 - $1) / $2}')" \
                "$cpu" "${per:-}"
            [ "$got" = "$want" ] && [ "$drops" = 0 ] || break
        done
    done
    redis_stop
}

# --- memory ---------------------------------------------------------------------

do_memory() {
    echo "== memory"
    local port=$((PORT + 6)) base grown n=100000
    # inside scanflowd: an idle daemon's peak, then 100,000 low-fan-out
    # sources (3 flows each) sent within one flush interval
    redis_start memory
    sfd_start memory $port "" --max-sources 131072 --max-elements 1048576 --flush-interval 5
    sleep 0.3
    base=$(hwm_mb "$SFD_PID")
    local u0
    u0=$(redis_info used_memory)
    replay "$INPUTS/lowfan.raw" $port 100000 1
    settle "$SFD_PID"
    grown=$(hwm_mb "$SFD_PID")
    sleep 6     # the flush: probation holds the 100,000 (below --share-after)
    local held
    held=$(hwm_mb "$SFD_PID")
    sfd_stop
    sleep 0.5
    local u1 keys
    u1=$(redis_info used_memory)
    keys=$(redis-cli -s "$REDIS_SOCK" dbsize)
    echo "  scanflowd: VmHWM ${base} MiB idle -> ${grown} MiB with $n sources of 3 flows in one flush:" \
        "$(echo "$base $grown $n" | awk '{printf "%.0f", ($2 - $1) * 1048576 / $3}') bytes/source" \
        "(the aggregate's tables are allocated at start for --max-sources; this is the growth)"
    echo "  scanflowd: VmHWM ${held} MiB after the flush, the sources held on probation across the window:" \
        "$(echo "$grown $held $n" | awk '{printf "%.0f", ($2 - $1) * 1048576 / $3}') bytes/source more" \
        "($(sfd_counter held) held, $(sfd_counter shared) shared)"
    echo "  scanflowd: $(sfd_counter evidence) evidence flows, $(sfd_counter 'sources evicted') sources evicted"
    echo "  redis: used_memory $u0 -> $u1 bytes, $keys keys for $n sources:" \
        "$(echo "$u0 $u1 $n" | awk '{printf "%.0f", ($2 - $1) / $3}') bytes/source/window"
    redis_stop

    # in Redis: 50,000 sources with 4 flows each (4 ports, 4 hosts: just
    # past --share-after, so written), no --max-redis-sources cap
    redis_start memory4
    sfd_start memory4 $port "" --max-sources 131072 --max-elements 1048576 --flush-interval 5 \
        --max-redis-sources 0
    sleep 0.3
    u0=$(redis_info used_memory)
    replay "$INPUTS/lowfan4.raw" $port 100000 1
    settle "$SFD_PID"
    sleep 6
    sfd_stop
    sleep 0.5
    u1=$(redis_info used_memory)
    keys=$(redis-cli -s "$REDIS_SOCK" dbsize)
    echo "  redis, sources with 4 flows (written): used_memory $u0 -> $u1 bytes, $keys keys for 50000 sources:" \
        "$(echo "$u0 $u1" | awk '{printf "%.0f", ($2 - $1) / 50000}') bytes/source/window" \
        "($(sfd_counter shared) shared)"
    redis_stop

    # a flood of 1 M spoofed one-flow sources at the default caps
    redis_start flood
    local r0 r1
    r0=$(cpu_s "$REDIS_PID")
    sfd_start flood $port ""
    base=$(hwm_mb "$SFD_PID")
    replay "$INPUTS/flood.raw" $port 100000 1
    settle "$SFD_PID"
    sleep 1.5
    grown=$(hwm_mb "$SFD_PID")
    local cpu
    cpu=$(sfd_cpu)
    sfd_stop
    sleep 0.5
    r1=$(cpu_s "$REDIS_PID")
    echo "  flood of 1,000,000 spoofed sources (v5, 100,000 packets/s, default --max-sources 65536):"
    echo "    scanflowd: $(sfd_records) records, VmHWM ${base} -> ${grown} MiB, $cpu CPU s;" \
        "$(sfd_counter 'sources evicted') sources evicted, $(sfd_counter 'elements dropped') elements dropped," \
        "$(sfd_counter 'redis commands') redis commands"
    echo "    redis: $(echo "$r0 $r1" | awk '{printf "%.3f", $2 - $1}') CPU s," \
        "used_memory $(redis_info used_memory) bytes, $(redis-cli -s "$REDIS_SOCK" dbsize) keys"
    redis_stop
}

# --- longer horizons ------------------------------------------------------------

horizon_cost() {   # LABEL [scanflowd options...]
    local label=$1 port=$((PORT + 8)) r0 r1 calls usec ev bytes u1
    shift
    redis_start "hz-$label"
    r0=$(cpu_s "$REDIS_PID")
    sfd_start "hz-$label" $port "" "$@"
    replay "$INPUTS/softflowd-v5.pcap" $port "$RATE" "$LOOPS"
    settle "$SFD_PID"
    sleep 1.5
    sfd_stop
    sleep 0.5
    r1=$(cpu_s "$REDIS_PID")
    calls=$(redis_calls); usec=$(redis_usec)
    ev=$(sfd_counter evidence)
    bytes=$(redis_info total_net_input_bytes)
    u1=$(redis_info used_memory)
    redis_stop
    printf '  %-18s v5 x%s: %9s evidence flows, %8s redis commands (%.4f a flow, %s bytes in a flow), redis %s CPU s (%.2f us a flow in commands), used_memory %s after\n' \
        "$label" "$LOOPS" "$ev" "$calls" "$(echo "$calls $ev" | awk '{print $1 / $2}')" \
        "$(echo "${bytes:-0} $ev" | awk '{printf "%.2f", $1 / $2}')" \
        "$(echo "$r0 $r1" | awk '{printf "%.3f", $2 - $1}')" "$(echo "$usec $ev" | awk '{print $1 / $2}')" "$u1"
    horizon_memory "$label" "$@"
}

# MEMORY USAGE of every key of 500 shared sources, by kind of key
# (digits of buckets and nets folded), bytes a source.
key_breakdown() {
    local d=$WORK/keys
    mkdir -p "$d"
    redis-cli -s "$REDIS_SOCK" --scan --pattern 'sf:{*}:m' | head -500 | sed 's/:m$/:/' >"$d/srcs"
    redis-cli -s "$REDIS_SOCK" --scan --pattern 'sf:{*' |
        awk -v F="$d/srcs" 'BEGIN {while ((getline l < F) > 0) want[l] = 1}
                            {i = index($0, "}:"); if (substr($0, 1, i + 1) in want) print}' >"$d/keys"
    sed 's/^/MEMORY USAGE /; s/$/ SAMPLES 0/' "$d/keys" | redis-cli -s "$REDIS_SOCK" >"$d/usage"
    paste -d' ' "$d/keys" "$d/usage" | sed 's/^sf:{[^}]*}://' |
        awk '{k = $1; gsub(/[0-9.]+\/[0-9]+/, "NET", k); sub(/:[0-9]+$/, ":B", k)
              n[k]++; b[k] += $2; t += $2; c++}
             END {for (k in n) printf "    %-14s %5.2f keys %6.1f bytes a source\n", k, n[k] / 500, b[k] / 500
                  printf "    (all)          %5.2f keys %6.1f bytes a source (MEMORY USAGE, 500 sources)\n", c / 500, t / 500}' |
        sort
}

# Redis memory of 50,000 sources of 4 flows each, just past --share-after.
horizon_memory() {   # LABEL [scanflowd options...]
    local label=$1 port=$((PORT + 8)) u0 u1 keys shared
    shift
    redis_start "hzmem-$label"
    sfd_start "hzmem-$label" $port "" --max-sources 131072 --max-elements 1048576 \
        --flush-interval 5 --max-redis-sources 0 "$@"
    sleep 0.3
    u0=$(redis_info used_memory)
    replay "$INPUTS/lowfan4.raw" $port 100000 1
    settle "$SFD_PID"
    sleep 6
    sfd_stop
    sleep 0.5
    u1=$(redis_info used_memory)
    keys=$(redis-cli -s "$REDIS_SOCK" dbsize)
    shared=$(sfd_counter shared)
    [ "$mode" = shared ] && key_breakdown
    redis_stop
    printf '  %-18s 50,000 sources of 4 flows: %s bytes and %s keys a source in Redis (%s shared)\n' \
        "$label" "$(echo "$u0 $u1" | awk '{printf "%.0f", ($2 - $1) / 50000}')" \
        "$(echo "$keys" | awk '{printf "%.1f", $1 / 50000}')" "$shared"
}

do_horizons() {
    echo "== longer horizons: Redis cost per evidence flow and memory per shared source"
    horizon_cost "--horizon off" --horizon off
    horizon_cost "default horizons"
}

do_shared() {
    echo "== memory per shared source, with and without the longer horizons"
    horizon_memory "--horizon off" --horizon off
    horizon_memory "default horizons"
}

echo "bench: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -r)"
echo "bench: inputs in $INPUTS"
case $mode in
    table) do_table ;;
    sflow) do_sflow ;;
    scans) do_scans ;;
    lossless) do_lossless ;;
    memory) do_memory ;;
    workers) do_workers ;;
    features) do_features ;;
    horizons) do_horizons ;;
    shared) do_shared ;;
    redis) do_redis ;;
    all) do_table; do_lossless; do_workers; do_memory; do_horizons ;;
    *) echo "usage: bench.sh [table|sflow|scans|redis|lossless|memory|workers|features|horizons|shared|all]" >&2; exit 2 ;;
esac
