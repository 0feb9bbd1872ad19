#!/usr/bin/env bash
# soak.sh - soak benchmark (not run by make check): scanflowd and a private
# redis-server under a steady load of NetFlow v5 for DURATION seconds
# (default 600) at PPS packets/s (default 100000 = 3 M flows/s: half of
# the lossless rate `make bench BENCH_MODE=lossless` measured on a 2-vCPU
# machine, 200,000 packets/s; pass half of yours), with a port scan every
# minute inside it.  Records the daemon's RSS and Redis used_memory every
# 10 s to soak.tsv and reports the growth after the warm-up (the first
# 60 s), the flows sent and counted, and the kernel's drops.
#
# The load: `scanflow replay --loops` of 1,000,000 spoofed one-flow sources
# (tests/bench/gen-flood.py; each source comes back once a loop, a third of
# a second apart at the default rate, with the same single probe: never
# written to Redis), plus, from Python, 500 sources probing 8 ports each
# (enough fan-out: written to Redis, where their keys expire a window
# later) and a 200-port scan from a new source every minute.
#
#   tests/soak/soak.sh BUILDDIR [PPS] [DURATION]
# SOAK_OPTS: more scanflowd options (e.g. "--rx-coalesce-us 0").
set -u
build=${1:?usage: soak.sh BUILDDIR [PPS] [DURATION]}
pps=${2:-100000}
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
    --home-net 198.18.0.0/15 ${SOAK_OPTS:-} >"$tmp/d.log" 2>&1 &
dpid=$!
pids+=($dpid)
sleep 1

python3 "$here/bench/gen-flood.py" "$tmp/flood.raw" --sources 1000000 >/dev/null
flood_packets=$(( 1000000 / 30 + 1 ))
loops=$(( pps * duration / flood_packets + 1 ))
timeout "$duration" "$build/scanflow" replay "$tmp/flood.raw" "127.0.0.1:$port" --rate "$pps" \
    --loops "$loops" -q &
pids+=($!)
python3 - "$port" "$duration" "$here/e2e" >"$tmp/py.out" <<'PY' &
import sys, time
port, duration = int(sys.argv[1]), int(sys.argv[2])
sys.path.insert(0, sys.argv[3])
import sfflood
s = sfflood.Sender(port, 200)
t0, k, scan, flows = time.time(), 0, 0, 0
while time.time() - t0 < duration:
    # 500 sources probing 8 ports of one host, 4,000 flows a second
    for i in range(4000):
        k += 1
        s.flow(sfflood.ip('10.200.0.0') + k % 500, sfflood.ip('198.18.0.0'), 1 + (k // 500) % 8)
    flows += 4000
    if int(time.time() - t0) // 60 >= scan:
        sfflood.port_scan(s, '203.0.113.%d' % (1 + scan % 250), '198.18.1.1', range(1, 201))
        scan += 1
        flows += 200
s.flush()
print(flows)
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
sleep 3     # the last flows and flush
alerts=$(redis-cli -s "$tmp/r.sock" xlen scanflow:alerts)
drops=$(awk -v p="$(printf ':%04X' "$port")" '$2 ~ p"$" {print $NF}' /proc/net/udp)
cp "$tmp/soak.tsv" ./soak.tsv
# RSS warms up in a minute; Redis keys live one window + 2 buckets (330 s)
awk -F'\t' 'NR > 1 && $1 >= 60 { if (!w) w = $2; l = $2 }
    NR > 1 && $1 >= 360 { if (!wr) wr = $3; lr = $3 }
    END { printf "RSS after warm-up (60 s): %d -> %d kB (%+d kB)\n", w, l, l - w;
          if (wr) printf "redis after one window (360 s): %d -> %d kB (%+d kB)\n", wr, lr, lr - wr }' soak.tsv
echo "alerts: $alerts (one port scan a minute); samples in ./soak.tsv"
echo "offered: about $(( pps * duration * 30 )) flows from the replay ($pps packets/s of 30 records for ${duration} s), $(cat "$tmp/py.out" 2>/dev/null || echo '?') from Python; kernel drops on the socket: ${drops:-?}"
kill -TERM $dpid; wait $dpid; echo "scanflowd exit status $?"; grep -E 'stopping:|correlator:' "$tmp/d.log"
