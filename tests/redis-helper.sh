# redis-helper.sh - sourced by shell tests that need a real redis-server.
#
#   . "$top_srcdir/tests/redis-helper.sh"
#   sf_redis_require            # prints "1..0 # SKIP ..." and exits if absent
#   sf_redis_start              # sets SF_REDIS_URL, SF_REDIS_SOCK, SF_REDIS_DIR
#
# The server listens only on a unix socket in a private temporary directory
# (--port 0: no TCP port to collide with other tests running in parallel),
# keeps nothing on disk, and is killed by an EXIT trap.  Tests that need
# their own EXIT work register it with sf_redis_on_exit "command".

SF_REDIS_PID=
SF_REDIS_DIR=
SF_REDIS_EXTRA_EXIT=

sf_redis_require() {
    if ! command -v redis-server >/dev/null 2>&1; then
        echo "1..0 # SKIP redis-server not installed"
        exit 0
    fi
}

sf_redis_cleanup() {
    if [ -n "$SF_REDIS_EXTRA_EXIT" ]; then
        eval "$SF_REDIS_EXTRA_EXIT"
    fi
    if [ -n "$SF_REDIS_PID" ]; then
        kill "$SF_REDIS_PID" 2>/dev/null
        wait "$SF_REDIS_PID" 2>/dev/null
    fi
    if [ -n "$SF_REDIS_DIR" ]; then
        rm -rf "$SF_REDIS_DIR"
    fi
}

sf_redis_on_exit() {
    SF_REDIS_EXTRA_EXIT="$SF_REDIS_EXTRA_EXIT
$1"
}

sf_redis_start() {
    SF_REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sf-redis.XXXXXX") || exit 1
    SF_REDIS_SOCK="$SF_REDIS_DIR/redis.sock"
    trap sf_redis_cleanup EXIT
    trap 'exit 1' INT TERM
    redis-server --port 0 --unixsocket "$SF_REDIS_SOCK" --unixsocketperm 700 \
        --save '' --appendonly no --dir "$SF_REDIS_DIR" \
        --logfile "$SF_REDIS_DIR/redis.log" &
    SF_REDIS_PID=$!
    i=0
    until redis-cli -s "$SF_REDIS_SOCK" ping >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -gt 100 ]; then
            echo "Bail out! redis-server did not start"
            cat "$SF_REDIS_DIR/redis.log" >&2
            exit 1
        fi
        sleep 0.05
    done
    SF_REDIS_URL="unix://$SF_REDIS_SOCK"
    export SF_REDIS_URL SF_REDIS_SOCK SF_REDIS_DIR
}
