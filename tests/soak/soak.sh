#!/usr/bin/env bash
# soak.sh - soak benchmark (not run by make check): scanflowd and a private
# redis-server under a steady load of NetFlow v5 for DURATION seconds
# (default 600) at RATE flows/s (default 300000: half of a lossless rate
# measured on a 2-vCPU machine; pass half of yours), with a port scan every
# minute inside it.  Records the daemon's RSS and Redis used_memory every
# 10 s to soak.tsv and reports the growth after the warm-up (the first
# 60 s).  The load mixes repeating sources with a little fan-out (8 ports
# each: written to Redis, where their keys expire a window later) and
# one-flow spoofed sources (held locally on probation, never written).
#
#   tests/soak/soak.sh BUILDDIR [RATE] [DURATION]
set -u
build=${1:?usage: soak.sh BUILDDIR [RATE] [DURATION]}
rate=${2:-300000}
duration=${3:-600}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

redis-server --port 0 --unixsocket "$tmp/r.sock" --save '' --appendonly no --dir "$tmp" \
    >"$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/r.sock" ] && break; sleep 0.1; done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build/scanflowd" --listen "udp://127.0.0.1:$port" --redis "unix://$tmp/r.sock" \
    --home-net 198.18.0.0/15 >"$tmp/d.log" 2>&1 &
dpid=$!
pids+=($dpid)
sleep 1

python3 - "$port" "$rate" "$duration" "$here/e2e" <<'PY' &
import sys, time
port, rate, duration = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, sys.argv[4])
import sfflood
s = sfflood.Sender(port, rate // 30)
t0, k, scan = time.time(), 0, 0
while time.time() - t0 < duration:
    # a second of load: 90% one-flow spoofed sources, 10% from 500
    # repeating sources (k % 5000 of every tenth k); one port scan a minute
    n = rate
    for i in range(n):
        k += 1
        if k % 10:      # never repeats: held on probation, never written
            s.flow(sfflood.ip('64.0.0.0') + k % (1 << 29),
                   sfflood.ip('198.18.0.0') + k % 65536, 1 + k % 1024)
        else:           # 500 sources, each probing 8 ports of one host
            s.flow(sfflood.ip('10.200.0.0') + k % 5000,
                   sfflood.ip('198.18.0.0'), 1 + (k // 50000) % 8)
    if int(time.time() - t0) // 60 >= scan:
        sfflood.port_scan(s, '203.0.113.%d' % (1 + scan % 250), '198.18.1.1', range(1, 201))
        scan += 1
PY
pids+=($!)

printf 't_s\trss_kb\tredis_used_kb\n' >"$tmp/soak.tsv"
start=$(date +%s)
while :; do
    now=$(( $(date +%s) - start ))
    [ "$now" -gt "$duration" ] && break
    kill -0 $dpid 2>/dev/null || { echo "scanflowd died"; cat "$tmp/d.log"; exit 1; }
    rss=$(awk '/^VmRSS/ {print $2}' /proc/$dpid/status)
    used=$(redis-cli -s "$tmp/r.sock" info memory | awk -F: '/^used_memory:/ {print int($2/1024)}')
    printf '%d\t%s\t%s\n' "$now" "$rss" "$used" | tee -a "$tmp/soak.tsv"
    sleep 10
done
alerts=$(redis-cli -s "$tmp/r.sock" xlen scanflow:alerts)
cp "$tmp/soak.tsv" ./soak.tsv
# RSS warms up in a minute; Redis keys live one window + 2 buckets (330 s)
awk -F'\t' 'NR > 1 && $1 >= 60 { if (!w) w = $2; l = $2 }
    NR > 1 && $1 >= 360 { if (!wr) wr = $3; lr = $3 }
    END { printf "RSS after warm-up (60 s): %d -> %d kB (%+d kB)\n", w, l, l - w;
          if (wr) printf "redis after one window (360 s): %d -> %d kB (%+d kB)\n", wr, lr, lr - wr }' soak.tsv
echo "alerts: $alerts (one port scan a minute); samples in ./soak.tsv"
kill -TERM $dpid; wait $dpid; echo "scanflowd exit status $?"; tail -1 "$tmp/d.log"
