#!/usr/bin/env bash
# Operations of a running scanflowd: Prometheus metrics at /metrics (names,
# types, the decoder, exporter and correlator counters, values that follow
# a replayed fixture and a malformed datagram), `scanflow stats`, --pidfile (written,
# locked, removed), --daemon (the parent exits 0 once listening, 1 with
# the error otherwise), --log-level.  Real redis-server on a unix socket;
# every port is chosen free.  Prints TAP.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
bin=$top_builddir
. "$top_srcdir/tests/redis-helper.sh"
sf_redis_require
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
sf_redis_start
tmp=$SF_REDIS_DIR
pids=
sf_redis_on_exit 'for p in $pids; do kill $p 2>/dev/null; done'

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
free_udp() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_log FILE PATTERN: up to 20 s.
wait_log() { for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

echo "1..11"
port=$(free_udp)
"$bin/scanflowd" --listen "udp://127.0.0.1:$port" --redis "$SF_REDIS_URL" \
    --metrics 127.0.0.1:0 --pidfile "$tmp/scanflowd.pid" --flush-interval 0.2 \
    2>"$tmp/d.log" &
dpid=$!
pids="$pids $dpid"
wait_log "$tmp/d.log" "metrics on http://" || { echo "Bail out! no metrics line"; cat "$tmp/d.log"; exit 1; }
url=$(sed -n 's|.*metrics on \(http://[^ ]*\).*|\1|p' "$tmp/d.log")

"$bin/scanflow" replay "$top_srcdir/fixtures/exports/softflowd-v9.pcap" "127.0.0.1:$port" --rate 20000 --quiet
python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"\x00", ("127.0.0.1", int(sys.argv[1])))' "$port"

# Scrape until the alerts are published (the flush runs every 0.2 s).
python3 - "$url" >"$tmp/check" <<'PY'
import re, sys, time, urllib.request, urllib.error
url = sys.argv[1]
def scrape():
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.headers.get('Content-Type', ''), r.read().decode()
deadline = time.time() + 30
while True:
    ctype, text = scrape()
    if re.search(r'^scanflow_alerts_published_total [1-9]', text, re.M) and \
       re.search(r'^scanflow_decode_errors_total\{reason="short_header"\} [1-9]', text, re.M) \
       or time.time() > deadline:
        break
    time.sleep(0.2)
samples, types, problems = {}, {}, []
for line in text.splitlines():
    if line.startswith('# TYPE '):
        _, _, name, t = line.split(' ', 3); types[name] = t
    elif line and not line.startswith('#'):
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$', line)
        if not m:
            problems.append('bad line: ' + line); continue
        samples[m.group(1) + (m.group(2) or '')] = float(m.group(3))
for name, t in types.items():
    if not name.startswith('scanflow_'): problems.append('no prefix: ' + name)
    if t == 'counter' and not name.endswith('_total'): problems.append('counter without _total: ' + name)
    if t != 'counter' and name.endswith('_total'): problems.append('_total but ' + t + ': ' + name)
print('1 ' + ('ok' if 'version=0.0.4' in ctype and not problems else 'FAIL ' + ctype + ' ' + '; '.join(problems[:5])))
need = {
    'scanflow_packets_total{version="v9"}': 1,
    'scanflow_records_total{version="v9"}': 1,
    'scanflow_exporter_packets_total{exporter="127.0.0.1",version="v9"}': 1,
    'scanflow_exporter_records_total{exporter="127.0.0.1",version="v9"}': 1,
    'scanflow_decode_errors_total{reason="short_header"}': 1,
    'scanflow_decode_errors_total{reason="set_length"}': 0,
    'scanflow_refused_total{reason="exporter_not_allowed"}': 0,
    'scanflow_sets_without_template_total': 0,
    'scanflow_sequence_lost_total': 0,
    'scanflow_evidence_flows_total': 1,
    'scanflow_sources_tracked': 0,
    'scanflow_redis_roundtrip_seconds_count': 1,
    'scanflow_redis_errors_total': 0,
    'scanflow_alerts_total{kind="port_scan"}': 1,
    'scanflow_alerts_total{kind="host_sweep"}': 1,
    'scanflow_allowlisted_total': 0,
}
bad = ['%s=%s (want >= %d)' % (k, samples.get(k), v) for k, v in need.items()
       if k not in samples or samples[k] < v]
print('2 ' + ('ok' if not bad else 'FAIL ' + '; '.join(bad)))
try:
    urllib.request.urlopen(url.replace('/metrics', '/nope'), timeout=5); print('3 FAIL 200')
except urllib.error.HTTPError as e:
    print('3 ' + ('ok' if e.code == 404 else 'FAIL %d' % e.code))
PY
check() { local r; r=$(sed -n "s/^$1 //p" "$tmp/check"); [ "$r" = ok ] && ok "$2" || notok "$2" "$r"; }
check 1 "exposition: content type 0.0.4, names scanflow_*, counters (and only they) end in _total"
check 2 "per exporter and version, decode errors by reason, evidence, sources, Redis round trip, alerts by kind, allow-listed"
check 3 "other paths answer 404"

"$bin/scanflow" stats --metrics "$url" >"$tmp/stats" 2>&1
if grep -qE '^exporter_packets +127\.0\.0\.1 v9 +[1-9]' "$tmp/stats" && grep -qE '^alerts +port_scan +[1-9]' "$tmp/stats" &&
   grep -q '^redis_roundtrip_mean' "$tmp/stats"; then
    ok "scanflow stats prints the same for a person"
else
    notok "scanflow stats" "$(head -20 "$tmp/stats")"
fi

[ "$(cat "$tmp/scanflowd.pid" 2>/dev/null)" = "$dpid" ] && ok "--pidfile holds the daemon's pid" ||
    notok "--pidfile holds '$(cat "$tmp/scanflowd.pid" 2>/dev/null)', daemon is $dpid"
"$bin/scanflowd" --listen "udp://127.0.0.1:$(free_udp)" --redis "$SF_REDIS_URL" \
    --pidfile "$tmp/scanflowd.pid" >"$tmp/second.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "locked by a running scanflowd (pid $dpid)" "$tmp/second.out" &&
    ok "a second daemon with the same pid file refuses to start" || notok "second daemon: exit $rc" "$(cat "$tmp/second.out")"

kill -TERM $dpid
wait $dpid
rc=$?
[ $rc -eq 0 ] && [ ! -e "$tmp/scanflowd.pid" ] && ok "SIGTERM: exit 0, pid file removed" ||
    notok "SIGTERM: exit $rc, pid file $(ls "$tmp/scanflowd.pid" 2>&1)"

# --daemon: the starting process returns 0 once the daemon listens.
port2=$(free_udp)
timeout 30 "$bin/scanflowd" --daemon --listen "udp://127.0.0.1:$port2" --redis "$SF_REDIS_URL" \
    --pidfile "$tmp/daemon.pid" >"$tmp/daemon.out" 2>&1
rc=$?
bg=$(cat "$tmp/daemon.pid" 2>/dev/null)
[ -n "$bg" ] && pids="$pids $bg"
if [ $rc -eq 0 ] && [ -n "$bg" ] && kill -0 "$bg" 2>/dev/null; then
    ok "--daemon: parent exits 0, daemon $bg runs"
else
    notok "--daemon: exit $rc, pid '$bg'" "$(cat "$tmp/daemon.out")"
fi
[ -n "$bg" ] && kill -TERM "$bg"
for _ in $(seq 100); do [ -e "$tmp/daemon.pid" ] || break; sleep 0.1; done
[ ! -e "$tmp/daemon.pid" ] && ok "--daemon: SIGTERM stops it and removes the pid file" ||
    notok "--daemon: pid file still there"

timeout 30 "$bin/scanflowd" --daemon --listen "udp://192.0.2.1:$port2" --redis "$SF_REDIS_URL" \
    >"$tmp/daemon-bad.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "192.0.2.1" "$tmp/daemon-bad.out" &&
    ok "--daemon: a start-up error reaches the terminal, exit 1" || notok "--daemon with unbindable address: exit $rc" "$(cat "$tmp/daemon-bad.out")"

# --log-level error hides the informational start-up lines.
port3=$(free_udp)
"$bin/scanflowd" --listen "udp://127.0.0.1:$port3" --redis "$SF_REDIS_URL" --log-level error 2>"$tmp/quiet.log" &
qpid=$!
pids="$pids $qpid"
sleep 1
kill -TERM $qpid; wait $qpid
if ! grep -q "listening on" "$tmp/quiet.log" && grep -q "listening on" "$tmp/d.log"; then
    ok "--log-level error hides info lines; the default shows them"
else
    notok "--log-level" "$(cat "$tmp/quiet.log")"
fi
