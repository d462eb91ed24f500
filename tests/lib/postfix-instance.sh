# postfix-instance.sh - a throwaway Postfix instance for oracle tests.
#
# Source this file, then:
#
#   pfi_init                       make $PFI_DIR (under $TMPDIR) with etc/,
#                                  queue/, data/ and a base main.cf and
#                                  master.cf; exits 77 if Postfix, root or
#                                  python3 is missing
#   pfi_set NAME VALUE             set a main.cf parameter (replaces an
#                                  earlier setting: main.cf never holds the
#                                  same name twice)
#   pfi_smtpd PORT [-o N=V ...]    add an smtpd listening on 127.0.0.1:PORT,
#                                  with per-service overrides
#   pfi_start                      start it; waits until every smtpd port
#                                  accepts connections; stops it on exit
#   pfi_stop                       stop it and remove $PFI_DIR (also done
#                                  by the EXIT trap)
#   pfi_free_port                  print a free TCP port on 127.0.0.1
#   pfi_variant DIR [N=V ...]      write DIR/main.cf: the instance's main.cf
#                                  with these settings replaced or added,
#                                  for tools that read main.cf the way one
#                                  smtpd service sees it (master.cf -o)
#
# The instance lives in $PFI_DIR (a fresh /tmp/accessmap-postfix.XXXXXX,
# removed on stop unless PFI_KEEP=1) with its own config_directory
# ($PFI_CONF), queue_directory, data_directory and log file ($PFI_LOG,
# written by postlogd; pfi_log_tail prints its end), listens on loopback
# only, accepts XCLIENT from 127.0.0.0/8, and has no default smtp service on
# port 25.  Its main.cf sets compatibility_level = 3.6, myhostname
# mx.test.example and myorigin origin.test.example.  It must run as root
# (Postfix's master refuses otherwise).

PFI_DIR=""
PFI_CONF=""
PFI_LOG=""
PFI_PORTS=""
PFI_STARTED=0

pfi_skip() {
    echo "skip: $*"
    exit 77
}

pfi_init() {
    command -v postfix >/dev/null 2>&1 || pfi_skip "postfix is not installed"
    command -v python3 >/dev/null 2>&1 || pfi_skip "python3 is not installed"
    [ "$(id -u)" = 0 ] || pfi_skip "a Postfix instance needs root"
    id postfix >/dev/null 2>&1 || pfi_skip "no postfix user"
    PFI_DAEMON_DIR=$(postconf -h daemon_directory 2>/dev/null)
    [ -x "$PFI_DAEMON_DIR/smtpd" ] || pfi_skip "no smtpd in '$PFI_DAEMON_DIR'"
    # Postfix's unprivileged daemons must reach the queue and data
    # directories, so the instance lives in its own world-searchable
    # directory, not in the test's private TMPDIR.
    PFI_DIR=$(mktemp -d /tmp/accessmap-postfix.XXXXXX) || exit 1
    PFI_CONF=$PFI_DIR/etc
    PFI_LOG=$PFI_DIR/maillog
    chmod 755 "$PFI_DIR"
    mkdir -p "$PFI_CONF" "$PFI_DIR/queue" "$PFI_DIR/data" || exit 1
    chown postfix "$PFI_DIR/data"
    : >"$PFI_LOG"
    cat >"$PFI_CONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PFI_DIR/queue
data_directory = $PFI_DIR/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = accessmap-test
maillog_file = $PFI_LOG
maillog_file_prefixes = $PFI_DIR
inet_interfaces = loopback-only
myhostname = mx.test.example
mydomain = test.example
myorigin = origin.test.example
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP
biff = no
EOF
    # Internal services only: no smtp on port 25, no chroot.
    cat >"$PFI_CONF/master.cf" <<'EOF'
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    trap pfi_stop EXIT
}

# Replace or add "NAME = VALUE" in a main.cf file.
pfi_put() {
    local file=$1 name=$2 value=$3
    awk -v n="$name" '{ split($0, f, /[ \t]*=/); if (f[1] != n) print }' \
        "$file" >"$file.tmp" && mv "$file.tmp" "$file" || return 1
    printf '%s = %s\n' "$name" "$value" >>"$file"
}

pfi_set() {
    pfi_put "$PFI_CONF/main.cf" "$1" "$2"
}

pfi_variant() {
    local dir=$1 kv
    shift
    mkdir -p "$dir" && cp "$PFI_CONF/main.cf" "$dir/main.cf" || return 1
    for kv in "$@"; do
        pfi_put "$dir/main.cf" "${kv%%=*}" "${kv#*=}" || return 1
    done
}

pfi_smtpd() {
    local port=$1
    shift
    printf '127.0.0.1:%s inet n - n - - smtpd %s\n' "$port" "$*" \
        >>"$PFI_CONF/master.cf"
    PFI_PORTS="$PFI_PORTS $port"
}

pfi_log_tail() {
    [ -n "$PFI_LOG" ] && tail -n "${1:-40}" "$PFI_LOG"
}

pfi_free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

pfi_start() {
    local port i
    if ! postfix -c "$PFI_CONF" check >"$PFI_DIR/check.log" 2>&1; then
        cat "$PFI_DIR/check.log"
        echo "postfix check failed" >&2
        return 1
    fi
    if ! postfix -c "$PFI_CONF" start >"$PFI_DIR/start.log" 2>&1; then
        cat "$PFI_DIR/start.log" "$PFI_LOG"
        echo "postfix start failed" >&2
        return 1
    fi
    PFI_STARTED=1
    for port in $PFI_PORTS; do
        for i in $(seq 1 100); do
            python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 1).close()" \
                2>/dev/null && break
            sleep 0.1
        done
        [ "$i" -lt 100 ] || { echo "port $port never opened" >&2; cat "$PFI_LOG"; return 1; }
    done
}

pfi_stop() {
    local pid i
    if [ "$PFI_STARTED" = 1 ]; then
        pid=$(cat "$PFI_DIR/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
        postfix -c "$PFI_CONF" stop >/dev/null 2>&1
        for i in $(seq 1 50); do
            [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        PFI_STARTED=0
    fi
    if [ -n "$PFI_DIR" ] && [ "${PFI_KEEP:-0}" != 1 ]; then
        rm -rf "$PFI_DIR"
        PFI_DIR=""
    fi
}
