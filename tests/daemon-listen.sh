#!/usr/bin/env bash
# The running daemon decodes what arrives on its sockets: the same corpus
# (NetFlow v5, v9, IPFIX and sFlow v5 on one UDP port) sent over UDP/IPv4,
# UDP/IPv6 and IPFIX over TCP (two connections at
# once) gives the records `scanflow decode` finds in the same bytes, and
# hostile datagrams in between neither stop it nor lose the good ones.
# Prints TAP.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
bin=$top_builddir
codecs=$top_srcdir/fixtures/corpus/logstash-codec-netflow/spec/codecs

for tool in redis-server python3; do
    command -v $tool >/dev/null || { echo "1..0 # SKIP $tool not installed"; exit 0; }
done
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap "echo kept $tmp" EXIT

redis-server --port 0 --unixsocket "$tmp/redis.sock" --save '' --appendonly no \
    --dir "$tmp" >"$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/redis.sock" ] && break; sleep 0.1; done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/scanflowd" --listen "udp://[::]:$port" --listen "tcp://127.0.0.1:$port" \
    --redis "unix://$tmp/redis.sock" >"$tmp/daemon.log" 2>&1 &
dpid=$!
pids+=($dpid)
for _ in $(seq 50); do grep -q "listening on tcp" "$tmp/daemon.log" && break; sleep 0.1; done

echo "1..5"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

v5=$codecs/netflow5.dat
v9t=$codecs/netflow9_test_cisco_asa_1_tpl.dat
v9d=$codecs/netflow9_test_cisco_asa_1_data.dat
ipfix=$codecs/ipfix.dat
sflow=$top_srcdir/fixtures/corpus/telegraf/plugins/inputs/netflow/testcases/sflow_issue_15918/message.bin
expect_udp=$("$bin/scanflow" decode "$v5" "$v9t" "$v9d" "$ipfix" "$sflow" | wc -l)
expect_tcp=$("$bin/scanflow" decode "$ipfix" | wc -l)

python3 - "$port" "$v5" "$v9t" "$v9d" "$ipfix" "$sflow" <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])
def messages(path):
    b = open(path, 'rb').read()
    while b:
        v = struct.unpack('!H', b[:2])[0]
        n = 24 + 48 * struct.unpack('!H', b[2:4])[0] if v == 5 else \
            struct.unpack('!H', b[2:4])[0] if v == 10 else len(b)
        yield b[:n]; b = b[n:]
hostile = [b'', b'\x00', b'\x00\x05', b'\x00\x09' + b'\xff' * 30, b'\x00\x0a\x00\x10' + b'\x00' * 12,
           b'\x00\x0a\xff\xff' + b'\x00' * 40, b'\x12\x34' * 100,
           b'\x00\x00\x00\x05\x00\x00\x00\x07' + b'\x00' * 40,       # sFlow, bad agent type
           b'\x00\x00\x00\x05\x00\x00\x00\x01' + b'\x00' * 12 + b'\xff' * 8]  # sFlow, 2^32-1 samples
for fam, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for path in sys.argv[2:]:
        for m in messages(path):
            for h in hostile: s.sendto(h, (host, port))
            s.sendto(m, (host, port)); time.sleep(0.002)
# IPFIX over TCP: two connections interleaved, one split mid-message.
msgs = list(messages(sys.argv[5]))
a = socket.create_connection(('127.0.0.1', port)); b = socket.create_connection(('127.0.0.1', port))
for m in msgs:
    a.sendall(m[:7]); b.sendall(m); time.sleep(0.01); a.sendall(m[7:])
time.sleep(0.3); a.close(); b.close()
# A connection that sends garbage is closed without harm.
g = socket.create_connection(('127.0.0.1', port)); g.sendall(b'\x00\x05' + b'\x00' * 30); time.sleep(0.2); g.close()
PY
sleep 0.5
if kill -0 $dpid 2>/dev/null; then ok "daemon alive after hostile datagrams and connections"; else notok "daemon died" "$(tail -5 "$tmp/daemon.log")"; fi
# A second daemon on the same UDP port must fail, not share it silently.
"$bin/scanflowd" --listen "udp://[::]:$port" --redis "unix://$tmp/redis.sock" >"$tmp/second.log" 2>&1
rc2=$?
if [ $rc2 -ne 0 ] && grep -q "in use" "$tmp/second.log"; then ok "a second daemon on the same UDP port refuses to start"
else notok "second daemon on the same port: exit $rc2" "$(tail -3 "$tmp/second.log")"; fi
kill -TERM $dpid
for _ in $(seq 100); do kill -0 $dpid 2>/dev/null || break; sleep 0.1; done
wait $dpid; rc=$?
[ $rc -eq 0 ] && ok "SIGTERM exits 0" || notok "SIGTERM exit status $rc"
got=$(sed -n 's/.*stopping: \([0-9]*\) packets, \([0-9]*\) records.*/\2/p' "$tmp/daemon.log")
want=$((2 * expect_udp + 2 * expect_tcp))
[ "${got:-x}" = "$want" ] && ok "records over UDPv4+UDPv6+TCP: $got" \
    || notok "records: daemon $got, expected $want (2x$expect_udp UDP + 2x$expect_tcp TCP)" "$(tail -5 "$tmp/daemon.log")"
[ "$expect_udp" -gt 0 ] && ok "corpus decodes ($expect_udp records)" || notok "corpus decodes nothing"
