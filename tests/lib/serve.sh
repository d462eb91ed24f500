# serve.sh - start and stop `accessmap serve` in a test script.
#
# Source this file, then:
#
#   srv_start NAME ARGS...   start "$ACCESSMAP serve ARGS --port-file ..."
#                            in the background, logging to NAME.log; waits
#                            until it listens (fails the test otherwise)
#   srv_port NAME [I]        the port of listener I (default 0) of NAME
#   srv_pid NAME             its process id
#   srv_stop NAME            SIGTERM, wait; fails the test if it does not
#                            exit 0 within 10 s
#   srv_private_conf DIR     write DIR/main.cf (compatibility_level = 3.6)
#
# Every server still running is killed when the script exits.

SRV_PIDS=""

srv_cleanup() {
    local p
    for p in $SRV_PIDS; do
        kill "$p" 2>/dev/null || true
    done
    return 0
}
trap srv_cleanup EXIT

srv_private_conf() {
    mkdir -p "$1"
    printf 'compatibility_level = 3.6\n' >"$1/main.cf"
}

srv_start() {
    local name=$1 i
    shift
    rm -f "$name.ports"
    "$ACCESSMAP" serve --port-file "$PWD/$name.ports" "$@" 2>"$name.log" &
    echo $! >"$name.pid"
    SRV_PIDS="$SRV_PIDS $!"
    for i in $(seq 1 200); do
        [ -s "$name.ports" ] && return 0
        kill -0 "$(cat "$name.pid")" 2>/dev/null || break
        sleep 0.05
    done
    echo "server $name did not start:"
    cat "$name.log"
    exit 1
}

srv_port() {
    sed -n "$((${2:-0} + 1))p" "$1.ports" | awk '{print $2}'
}

srv_pid() {
    cat "$1.pid"
}

srv_stop() {
    local pid rc i
    pid=$(cat "$1.pid")
    kill -TERM "$pid"
    for i in $(seq 1 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "server $1 did not stop on SIGTERM"
        kill -9 "$pid"
        exit 1
    fi
    wait "$pid"
    rc=$?
    [ "$rc" = 0 ] || { echo "server $1 exited $rc"; cat "$1.log"; exit 1; }
}
