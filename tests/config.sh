#!/usr/bin/env bash
# scanflowd's configuration file (--config, --check-config): every bad
# configuration stops start-up with exit 1 and ONE line on stderr naming
# the key and the value; the command line wins over the file; the
# effective configuration masks the Redis password and reads back as a
# config file; the installed example config is valid; every option of
# --help is in the example config and in the man page.  Prints TAP.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
sfd=$top_builddir/scanflowd
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sf-config-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# bad NAME 'CONFIG' WORD...: --check-config with CONFIG fails with exit 1
# and one stderr line containing every WORD.
bad() {
    local name=$1 conf=$2 w line rc; shift 2
    printf '%b' "$conf" >"$tmp/bad.conf"
    "$sfd" --config "$tmp/bad.conf" --check-config >"$tmp/out" 2>"$tmp/err"
    rc=$?
    line=$(cat "$tmp/err")
    if [ $rc -ne 1 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || [ -s "$tmp/out" ]; then
        notok "$name: exit $rc, $(wc -l <"$tmp/err") stderr lines" "$line"; return
    fi
    for w in "$@"; do
        case $line in *"$w"*) ;; *) notok "$name: '$w' not in: $line"; return ;; esac
    done
    ok "$name: $line"
}

echo "1..30"
bad "unknown key" '[collector]\nlisten=udp://[::]:2055\nlisen=udp://[::]:9\n' lisen 'udp://[::]:9' 'unknown key'
bad "unknown key in [correlate]" '[correlate]\nport-treshold=10\n' port-treshold 10
bad "unknown group" '[colector]\nlisten=udp://[::]:2055\n' '[colector]'
bad "option only for the command line" '[collector]\nconfig=/etc/other.conf\n' config /etc/other.conf
bad "bad CIDR --home-net" '[correlate]\nhome-net=10.0.0.0/8;10.1.2.3/33\n' home-net 10.1.2.3/33
bad "bad CIDR --allow" '[correlate]\nallow=198.51.100.300/32\n' allow 198.51.100.300/32
bad "bad CIDR --exporter" '[collector]\nexporter=192.0.2.0/40\n' exporter 192.0.2.0/40
bad "bad tag" '[correlate]\ntag=192.0.2.0/24\n' tag 192.0.2.0/24
bad "bad --sampling interval" '[collector]\nsampling=192.0.2.0/24=0\n' sampling 192.0.2.0/24=0
bad "bad --sampling network" '[collector]\nsampling=192.0.2.1/24=100\n' sampling 192.0.2.1/24=100
bad "--sampling without =N" '[collector]\nsampling=192.0.2.0/24\n' sampling 192.0.2.0/24
bad "bad Redis URL (password masked)" '[correlate]\nredis=http://u:hunter2@db:6379\n' redis 'http://u:***@db:6379'
bad "bad listen URL" '[collector]\nlisten=udp//0.0.0.0:2055\n' listen 'udp//0.0.0.0:2055'
bad "bad metrics address" '[collector]\nmetrics=9477\n' metrics 9477
bad "bad log level" '[collector]\nlog-level=loud\n' log-level loud
bad "port threshold out of range" '[correlate]\nport-threshold=1\n' port-threshold 1
bad "sweep threshold out of range" '[correlate]\nsweep-threshold=100000\n' sweep-threshold 100000
bad "wide sweep threshold out of range" '[correlate]\nwide-sweep-threshold=1\n' wide-sweep-threshold 1
bad "distributed threshold not PORTS:SOURCES" '[correlate]\ndistributed-threshold=64\n' distributed-threshold 64
bad "window out of range" '[correlate]\nwindow=5\n' window 5
bad "max-fields out of range" '[collector]\nmax-fields=5000\n' max-fields 5000
bad "not an integer" '[correlate]\nport-threshold=64x\n' port-threshold 64x
bad "not a boolean" '[collector]\ndaemon=maybe\n' daemon maybe
bad "not INI" 'listen udp://[::]:2055\n' "$tmp/bad.conf"

"$sfd" --config "$tmp/nonexistent.conf" --check-config >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "--config $tmp/nonexistent.conf" "$tmp/err"; then
    ok "unreadable file: $(cat "$tmp/err")"
else
    notok "unreadable file: exit $rc" "$(cat "$tmp/err")"
fi

# The command line wins: scalars by coming later, lists by replacing.
cat >"$tmp/good.conf" <<'EOF'
# comment
[collector]
listen=udp://127.0.0.1:2055;tcp://127.0.0.1:4739
name=from-file
[correlate]
redis=redis://scanflow:s3cret@127.0.0.1:6379/2
home-net=10.0.0.0/8;192.168.0.0/16
window=600
EOF
"$sfd" --config "$tmp/good.conf" --window 120 --home-net 172.16.0.0/12 --check-config >"$tmp/eff" 2>"$tmp/err"
if grep -qx 'window=120' "$tmp/eff" && grep -qx 'home-net=172.16.0.0/12;' "$tmp/eff" &&
   grep -qx 'name=from-file' "$tmp/eff" && grep -qx 'listen=udp://127.0.0.1:2055;tcp://127.0.0.1:4739;' "$tmp/eff"; then
    ok "the command line wins (scalar and list); the rest comes from the file"
else
    notok "command line vs file" "$(cat "$tmp/eff" "$tmp/err")"
fi
if grep -qx 'redis=redis://scanflow:\*\*\*@127.0.0.1:6379/2' "$tmp/eff" && ! grep -q s3cret "$tmp/eff"; then
    ok "--check-config masks the Redis password"
else
    notok "password not masked" "$(grep redis "$tmp/eff")"
fi
# The effective configuration is itself a config file giving the same.
sed 's/s3cret/x/; s/\*\*\*/x/' "$tmp/eff" >"$tmp/eff.conf"
"$sfd" --config "$tmp/eff.conf" --check-config >"$tmp/eff2" 2>"$tmp/err"
if diff <(sed 's/\*\*\*/x/' "$tmp/eff") <(sed 's/\*\*\*/x/' "$tmp/eff2") >"$tmp/diff"; then
    ok "--check-config output reads back as the same configuration"
else
    notok "round trip differs" "$(cat "$tmp/diff" "$tmp/err")"
fi

# The example config that make install puts in $(sysconfdir)/scanflow.
example=$top_srcdir/collector/programs/scanflowd.conf.example
if "$sfd" --config "$example" --check-config >"$tmp/ex" 2>"$tmp/err"; then
    ok "the example config is valid"
else
    notok "example config rejected" "$(cat "$tmp/err")"
fi

# Every option of --help (all groups) is a key of the example config and
# is described in scanflowd(8).
opts=$("$sfd" --help | sed -n 's/^ *\(-[a-z], \)\{0,1\}--\([a-z0-9-]*\).*/\2/p' |
       grep -vE '^(help|help-all|help-correlate)$')
missing_conf= missing_man=
for o in $opts; do
    case $o in config|check-config) ;;
    *) grep -qE "^#? ?$o *=" "$example" || missing_conf="$missing_conf $o" ;;
    esac
    grep -q -- "$(printf '%s' "--$o" | sed 's/-/\\\\-/g')" "$top_srcdir/collector/programs/scanflowd.8.in" ||
        grep -q -- "--$o" "$top_srcdir/collector/programs/scanflowd.8.in" || missing_man="$missing_man $o"
done
if [ -z "$missing_conf" ] && [ -z "$missing_man" ] && [ "$(echo "$opts" | wc -w)" -gt 20 ]; then
    ok "all $(echo "$opts" | wc -w) options of --help are in the example config and scanflowd(8)"
else
    notok "options missing: example config:${missing_conf:- none}; man page:${missing_man:- none}"
fi
