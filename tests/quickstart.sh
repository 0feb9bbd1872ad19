#!/usr/bin/env bash
# The README's quick start (.ci/quickstart) run as a person would, without a
# terminal: it starts its own redis-server, scanflowd and `scanflow watch`;
# a replayed fixture (real scanners' exports) must show an alert on its
# output; SIGTERM must stop everything it started.  Ports are chosen free
# (SF_NETFLOW_PORT, SF_IPFIX_PORT, SF_SFLOW_PORT), never the fixed
# 2055/4739/6343.
#
# By default it uses the programs of this build (--no-install --no-build).
# With SF_QUICKSTART_CLONE=1 (.ci/run sets it) it copies the source tree as
# a clone would have it (tracked and new files, nothing ignored) and runs
# the whole quick start there: package check, autogen, configure, make.
# Prints TAP.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}

for tool in redis-server redis-cli python3; do
    command -v $tool >/dev/null || { echo "1..0 # SKIP $tool not installed"; exit 0; }
done
clone=0
if [ "${SF_QUICKSTART_CLONE:-0}" = 1 ]; then
    git -C "$top_srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
        { echo "1..0 # SKIP SF_QUICKSTART_CLONE=1 but $top_srcdir is not a git tree"; exit 0; }
    clone=1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sf-quickstart-test.XXXXXX")
chmod 755 "$tmp"        # run as root, the quick start runs as the tree's owner
qs=
cleanup() {
    [ -n "$qs" ] && kill -TERM "$qs" 2>/dev/null && wait "$qs" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

echo "1..5"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ -f "$2" ] && sed 's/^/# /' "$2" | tail -30; }

# free_port: a port free for UDP and TCP on all addresses, right now.
free_port() {
    python3 - <<'PY'
import socket
for _ in range(100):
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(('::', 0))
    port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        t.bind(('::', port)); print(port); break
    except OSError:
        pass
    finally:
        t.close(); u.close()
PY
}
nf_port=$(free_port)
ipfix_port=$(free_port)
while [ "$ipfix_port" = "$nf_port" ]; do ipfix_port=$(free_port); done
sflow_port=$(free_port)
while [ "$sflow_port" = "$nf_port" ] || [ "$sflow_port" = "$ipfix_port" ]; do sflow_port=$(free_port); done

if [ $clone -eq 1 ]; then
    src=$tmp/tree
    mkdir -p "$src"
    (cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
        tar --null -T - -cf -) | tar -C "$src" --no-same-owner -xf -
    args=()
    bin=$src/_build
    wait_s=900          # autogen, configure and a full build on 2 cores
else
    src=$top_srcdir
    args=(--no-install --no-build --builddir "$top_builddir")
    bin=$top_builddir
    wait_s=60
fi
# `unset` keeps an operator's Redis out of the test: the private one is tested.
(unset SCANFLOW_REDIS; export TMPDIR=$tmp SF_NETFLOW_PORT=$nf_port SF_IPFIX_PORT=$ipfix_port SF_SFLOW_PORT=$sflow_port
 exec bash "$src/.ci/quickstart" "${args[@]}") >"$tmp/out" 2>&1 &
qs=$!

# wait_for PATTERN SECONDS: true once PATTERN is in the output.
wait_for() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        grep -qE "$1" "$tmp/out" && return 0
        kill -0 $qs 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

if wait_for '^Alerts \(' $wait_s; then
    ok "quick start ready (mode: $([ $clone -eq 1 ] && echo clean copy, full build || echo build tree))"
else
    notok "quick start not ready after ${wait_s}s" "$tmp/out"
    exit 0
fi
qs_tmp=$(sed -n 's|.*Redis unix://\(.*\)/redis.sock,.*|\1|p' "$tmp/out")
[ -n "$qs_tmp" ] && ok "private redis-server started ($qs_tmp)" || notok "no private redis-server" "$tmp/out"

"$bin/scanflow" replay "$top_srcdir/fixtures/exports/softflowd-v9.pcap" "127.0.0.1:$nf_port" \
    --rate 20000 --quiet
if wait_for '^[0-9T:.-]+Z +(port_scan|host_sweep) ' 30; then
    ok "alert shown: $(grep -m1 -E '(port_scan|host_sweep) ' "$tmp/out" | tr -s ' ' | cut -c1-70)"
else
    notok "no alert within 30 s of the replay" "$tmp/out"
fi

kill -TERM $qs
for _ in $(seq 100); do kill -0 $qs 2>/dev/null || break; sleep 0.1; done
left=
if [ -n "$qs_tmp" ]; then
    for _ in $(seq 50); do
        left=$(pgrep -f "$qs_tmp" || true)
        [ -z "$left" ] && break
        sleep 0.1
    done
fi
if ! kill -0 $qs 2>/dev/null && [ -z "$left" ] && [ ! -e "$qs_tmp" ]; then
    ok "SIGTERM stops redis-server, scanflowd and watch; temporary files removed"
else
    notok "after SIGTERM: left processes '$left', dir $(ls -d "$qs_tmp" 2>/dev/null)" "$tmp/out"
fi
qs=

# A port already taken: the quick start says so and stops, binding nothing else.
# The holder says when it has bound: under load python3 can take longer
# to start than any fixed sleep, and the quick start would then win.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", int(sys.argv[1])))
open(sys.argv[2], "w").close()
time.sleep(60)' "$nf_port" "$tmp/held" &
holder=$!
for _ in $(seq 100); do [ -e "$tmp/held" ] && break; sleep 0.1; done
(unset SCANFLOW_REDIS; export TMPDIR=$tmp SF_NETFLOW_PORT=$nf_port SF_IPFIX_PORT=$ipfix_port SF_SFLOW_PORT=$sflow_port
 exec timeout 60 bash "$src/.ci/quickstart" --no-install --no-build --builddir "$bin") >"$tmp/out2" 2>&1
rc=$?
kill $holder 2>/dev/null; wait $holder 2>/dev/null
if [ $rc -ne 0 ] && grep -q "ports taken" "$tmp/out2"; then
    ok "a taken port stops the quick start with a hint (exit $rc)"
else
    notok "taken port: exit $rc" "$tmp/out2"
fi
