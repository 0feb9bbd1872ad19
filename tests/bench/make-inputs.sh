#!/usr/bin/env bash
# make-inputs.sh DIR - builds the benchmark inputs into DIR (a cache in the
# build directory; rebuilt only when the generators change):
#
#   traffic.pcap      synthetic packets (gen-traffic.py: internet background
#                     noise of one-flow sources, heavy scanners, benign
#                     conversations and DNS)
#   softflowd-v5.pcap, softflowd-v9.pcap, softflowd-ipfix.pcap
#                     REAL exporter bytes: softflowd 1.1.0 reads traffic.pcap
#                     offline (-r; it exits at end of file after expiring
#                     every flow, so no control socket: never add -c) and
#                     exports to 127.0.0.1, where tcpdump -i lo captures the
#                     export datagrams (about 30 records each)
#   pmacctd-sflow.pcap
#                     REAL sFlow v5 bytes: pmacctd's sfprobe reads
#                     traffic.pcap offline (pcap_savefile) and samples every
#                     packet (sampling_rate 1): one flow sample, one record
#                     in every collector, per packet of traffic.pcap
#   flood.raw         1 M spoofed one-flow sources, raw NetFlow v5 payloads
#                     (gen-flood.py)
#   lowfan.raw        100,000 sources with 3 flows each (memory per source)
#   lowfan4.raw       50,000 sources with 4 flows each (just enough fan-out
#                     to be written to Redis: Redis memory per source)
#
# Needs root for tcpdump on lo.  Sends only to 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: make-inputs.sh DIR}
port=${BENCH_EXPORT_PORT:-39391}
mkdir -p "$dir"
stamp=$(cat "$here/gen-traffic.py" "$here/gen-flood.py" "$here/make-inputs.sh" | md5sum | cut -c1-16)
if [ -f "$dir/STAMP" ] && [ "$(cat "$dir/STAMP")" = "$stamp" ]; then
    echo "bench inputs: cached in $dir"
    exit 0
fi
for tool in softflowd pmacctd tcpdump python3; do
    command -v $tool >/dev/null || { echo "make-inputs: $tool not installed" >&2; exit 77; }
done
rm -f "$dir"/*.pcap "$dir"/*.raw "$dir/STAMP"
python3 "$here/gen-traffic.py" "$dir/traffic.pcap"

export_with_softflowd() {   # NAME VERSION
    local name=$1 ver=$2 out="$dir/$1.pcap" log="$dir/$1.tcpdump.log"
    tcpdump -i lo -s 0 -U -B 65536 -w "$out" "udp and dst host 127.0.0.1 and dst port $port" \
        >"$log" 2>&1 &
    local td=$!
    sleep 1.5
    # -a: softflowd's clock follows the capture's timestamps; -m: room for
    # every flow, so none is expired early for lack of space
    softflowd -d -a -r "$dir/traffic.pcap" -n 127.0.0.1:$port -v "$ver" -m 200000 \
        -p "$dir/softflowd.pid" >"$dir/$name.softflowd.log" 2>&1
    sleep 1
    kill -TERM $td
    wait $td || true
    if grep -q '^[1-9][0-9]* packets dropped by kernel' "$log"; then
        echo "make-inputs: tcpdump dropped packets for $name" >&2
        exit 1
    fi
    echo "bench inputs: $name: $(grep 'packets captured' "$log")"
}
# pmacctd sfprobe: sFlow v5, every packet sampled; exits at the end of the
# savefile after sending what it holds
export_with_pmacctd_sflow() {   # NAME
    local name=$1 out="$dir/$1.pcap" log="$dir/$1.tcpdump.log"
    cat >"$dir/$name.conf" <<EOF
daemonize: false
pcap_savefile: $dir/traffic.pcap
pcap_savefile_wait: false
pcap_savefile_delay: 0
plugins: sfprobe
sfprobe_receiver: 127.0.0.1:$port
sfprobe_agentip: 127.0.0.1
sampling_rate: 1
plugin_buffer_size: 10240
plugin_pipe_size: 10240000
EOF
    tcpdump -i lo -s 0 -U -B 65536 -w "$out" "udp and dst host 127.0.0.1 and dst port $port" \
        >"$log" 2>&1 &
    local td=$!
    sleep 1.5
    pmacctd -f "$dir/$name.conf" >"$dir/$name.pmacctd.log" 2>&1
    sleep 1
    kill -TERM $td
    wait $td || true
    if grep -q '^[1-9][0-9]* packets dropped by kernel' "$log"; then
        echo "make-inputs: tcpdump dropped packets for $name" >&2
        exit 1
    fi
    echo "bench inputs: $name: $(grep 'packets captured' "$log")"
}
export_with_softflowd softflowd-v5 5
export_with_softflowd softflowd-v9 9
export_with_softflowd softflowd-ipfix 10
export_with_pmacctd_sflow pmacctd-sflow
python3 "$here/gen-flood.py" "$dir/flood.raw" --sources 1000000
python3 "$here/gen-flood.py" "$dir/lowfan.raw" --sources 100000 --per-source 3 --first-octet 30
python3 "$here/gen-flood.py" "$dir/lowfan4.raw" --sources 50000 --per-source 4 --first-octet 31
echo "$stamp" >"$dir/STAMP"
