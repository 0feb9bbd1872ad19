#!/usr/bin/env bash
# The README's SOAR example worker (schemas/consumer-example.py) against a
# real redis-server: it creates its group, handles and acknowledges an
# alert appended as scanflowd appends it, and takes over (XAUTOCLAIM) an
# alert another worker read but never acknowledged.  Prints TAP.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/redis-helper.sh"
sf_redis_require
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
command -v redis-cli >/dev/null || { echo "1..0 # SKIP redis-cli not installed"; exit 0; }
sf_redis_start
rc() { redis-cli -s "$SF_REDIS_SOCK" "$@"; }
consumer=$top_srcdir/schemas/consumer-example.py
alert() {
    printf '{"schema":"scanflow.alert/1","id":"00000000-0000-4000-8000-00000000000%s","time":"2026-01-01T00:00:00.000Z","kind":"port_scan","src":"203.0.113.%s","technique":"T1595","severity":"low","window_s":300,"distinct_ports":100,"distinct_hosts":1,"distinct_nets24":1,"top_net24":"198.18.1.0/24","hosts_in_top_net24":1,"flows":100,"first_seen":"2026-01-01T00:00:00.000Z","last_seen":"2026-01-01T00:00:01.000Z","sample_ports":[22],"sample_hosts":["198.18.1.1"],"exporters":["192.0.2.1"],"collector":"c1","tags":[]}' "$1" "$1"
}
echo "1..3"
rc XADD scanflow:alerts MAXLEN '~' 100000 '*' alert "$(alert 1)" >/dev/null
out=$(python3 "$consumer" --redis "$SF_REDIS_URL" --group soar --consumer w1 --start 0 --once 2>&1)
case $out in *"port_scan"*"203.0.113.1 "*) echo "ok 1 - the worker handles the alert";;
    *) echo "not ok 1 - worker output: $out";; esac
pending=$(rc XPENDING scanflow:alerts soar | head -1)
[ "$pending" = 0 ] && echo "ok 2 - and acknowledges it (XACK)" || echo "not ok 2 - pending: $pending"

# A worker that read an alert and died: w2 takes it over once it is idle.
rc XADD scanflow:alerts '*' alert "$(alert 2)" >/dev/null
rc XREADGROUP GROUP soar dead COUNT 1 STREAMS scanflow:alerts '>' >/dev/null
sleep 0.2
out=$(python3 "$consumer" --redis "$SF_REDIS_URL" --group soar --consumer w2 --min-idle 100 --once 2>&1)
pending=$(rc XPENDING scanflow:alerts soar | head -1)
case $out in *"203.0.113.2 "*) [ "$pending" = 0 ] && echo "ok 3 - an alert left pending by a dead worker is claimed and acknowledged" ||
    echo "not ok 3 - still pending: $pending";;
    *) echo "not ok 3 - worker output: $out";; esac
