#!/usr/bin/env bash
# hardening.sh - what `accessmap serve` refuses and restricts: non-loopback
# listeners without --allow-remote and an allow list, clients outside the
# allow list (127.0.0.2 allowed, 127.0.0.1 not), unix socket modes,
# -u nobody (when root), configuration errors with file:line, SIGUSR1
# counters, --log-queries, and a configuration file with several
# listeners.
set -eu
. "$SRCDIR/tests/lib/serve.sh"
srv_private_conf pf
printf 'localhost REJECT Only I am me\n' >helo_access
printf '198.51.100.23 REJECT\n' >client_checks
"$ACCESSMAP" compile -c pf lmdb:helo_access lmdb:client_checks
chmod 644 ./*.lmdb
chmod 755 .

refused() {     # refused PATTERN ARGS...: serve exits 2 saying PATTERN
    local pat=$1 rc=0
    shift
    timeout 10 "$ACCESSMAP" serve -C pf "$@" >out.txt 2>&1 || rc=$?
    [ "$rc" = 2 ] || { echo "exit $rc for: $*"; cat out.txt; exit 1; }
    grep -q -- "$pat" out.txt || { echo "no '$pat' for: $*"; cat out.txt; exit 1; }
}
refused 'not a loopback address' --listen tcp:0.0.0.0:0 --kind helo "lmdb:$PWD/helo_access"
refused 'not a loopback address' --listen tcp:192.0.2.1:0 --kind helo "lmdb:$PWD/helo_access"
refused 'needs a client allow' --listen tcp:0.0.0.0:0 --allow-remote --kind helo "lmdb:$PWD/helo_access"
refused 'unknown check kind' --listen tcp:127.0.0.1:0 --kind nope "lmdb:$PWD/helo_access"
refused 'is not tcp:HOST:PORT' --listen udp:127.0.0.1:1 --kind helo "lmdb:$PWD/helo_access"
refused 'NAME=KIND:TABLE' --listen socketmap:inet:127.0.0.1:0 --map "helo:lmdb:$PWD/helo_access"
refused 'No such file' --listen tcp:127.0.0.1:0 --kind helo "lmdb:$PWD/nonexistent"

# remote listener with an allow list holding 127.0.0.2 only
srv_start remote -C pf --listen tcp:0.0.0.0:0 --allow-remote --allow 127.0.0.2/32 \
    --kind helo "lmdb:$PWD/helo_access"
rp=$(srv_port remote)
python3 - "$rp" <<'PY'
import socket, sys
port = int(sys.argv[1])
def ask(src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.settimeout(5)
    s.sendall(b"get localhost\n")
    try:
        return s.recv(100)
    except ConnectionResetError:
        return b""
assert ask("127.0.0.2") == b"200 REJECT%20Only%20I%20am%20me\n", "127.0.0.2 refused"
assert ask("127.0.0.1") == b"", "127.0.0.1 answered"
print("allow list ok")
PY
grep -q 'client 127.0.0.1:[0-9]* not in the allow list' remote.log
srv_stop remote

# idle connections are closed after --idle-timeout; busy ones are not
srv_start idle -C pf --listen tcp:127.0.0.1:0 --idle-timeout 1 --kind helo "lmdb:$PWD/helo_access"
python3 - "$(srv_port idle)" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
idle = socket.create_connection(("127.0.0.1", port), 5)
busy = socket.create_connection(("127.0.0.1", port), 5)
idle.sendall(b"get localhost\n")
assert idle.recv(100).startswith(b"200 "), "no answer"
t0 = time.time()
while time.time() - t0 < 2.5:       # busy: a request every 0.2 s
    busy.sendall(b"get localhost\n")
    assert busy.recv(100).startswith(b"200 "), "busy connection lost"
    time.sleep(0.2)
idle.settimeout(3)
assert idle.recv(100) == b"", "idle connection not closed"
print("idle timeout ok")
PY
srv_stop idle

# a configuration file: two tcp listeners and a unix socketmap, mode 0600
cat >serve.conf <<CONF
# test configuration
listen tcp:127.0.0.1:0 helo lmdb:$PWD/helo_access
listen tcp:[127.0.0.1]:0 client
    lmdb:$PWD/client_checks
listen socketmap:unix:$PWD/am.sock mode=0600
    helo=helo:lmdb:$PWD/helo_access client=client:lmdb:$PWD/client_checks
max_connections 50
log_queries yes
CONF
srv_start conf -c serve.conf -C pf
[ "$(stat -c %a am.sock)" = 600 ] || { echo "socket mode $(stat -c %a am.sock)"; exit 1; }
[ "$(postmap -c pf -q localhost "tcp:127.0.0.1:$(srv_port conf 0)")" = "REJECT Only I am me" ]
[ "$(postmap -c pf -q 198.51.100.23 "tcp:127.0.0.1:$(srv_port conf 1)")" = REJECT ]
[ "$(postmap -c pf -q 198.51.100.23 "socketmap:unix:$PWD/am.sock:client")" = REJECT ]
grep -q 'query tcp:127.0.0.1:0 key="localhost" found lmdb:.*/helo_access key="localhost" value="REJECT Only I am me"' conf.log \
    || { cat conf.log; exit 1; }
kill -USR1 "$(srv_pid conf)"
sleep 0.3
grep -q 'map socketmap:unix:.*am.sock:client kind client requests 1 hits 1' conf.log \
    || { cat conf.log; exit 1; }
grep -q 'entry socketmap:unix:.*am.sock:client lmdb:.*/client_checks key "198.51.100.23" hits 1' conf.log \
    || { cat conf.log; exit 1; }
srv_stop conf
[ ! -e am.sock ] || { echo "socket left behind"; exit 1; }

# the example configuration, pointed at this directory
sed -e "s|/etc/postfix/|$PWD/|g" -e "s|/var/spool/postfix/private/accessmap|$PWD/ex.sock|" \
    -e 's|^user nobody$||' -e "s|^config_directory .*|config_directory $PWD/pf|" \
    -e 's|127.0.0.1:1004[12]|127.0.0.1:0|' "$SRCDIR/maptool/examples/accessmap.conf" >example.conf
srv_start example -c example.conf
[ "$(postmap -c pf -q localhost "tcp:127.0.0.1:$(srv_port example 1)")" = "REJECT Only I am me" ]
[ "$(postmap -c pf -q localhost "socketmap:unix:$PWD/ex.sock:helo_access")" = "REJECT Only I am me" ]
srv_stop example

# configuration errors name the file and line
printf 'listen tcp:127.0.0.1:0 helo lmdb:%s/helo_access\nmax_connections lots\n' "$PWD" >bad1.conf
refused 'bad1.conf:2: .*expected a number' -c bad1.conf
printf 'listen tcp:127.0.0.1:0 helo\n' >bad2.conf
refused 'bad2.conf:1: .*listen needs' -c bad2.conf
printf 'frobnicate yes\n' >bad3.conf
refused 'bad3.conf:1: .*unknown directive "frobnicate"' -c bad3.conf
printf 'listen tcp:0.0.0.0:0 helo lmdb:%s/helo_access\n' "$PWD" >bad4.conf
refused 'not a loopback address' -c bad4.conf

# -u nobody: the process gives up root after binding
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    srv_start drop -C pf -u nobody --listen tcp:127.0.0.1:0 --kind helo "lmdb:$PWD/helo_access"
    uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$(srv_pid drop)/status")
    want=$(id -u nobody)
    [ "$uid" = "$want$want$want$want" ] || { echo "uids $uid"; exit 1; }
    [ "$(postmap -c pf -q localhost "tcp:127.0.0.1:$(srv_port drop)")" = "REJECT Only I am me" ]
    srv_stop drop
    refused 'unknown user' -u no-such-user-here --listen tcp:127.0.0.1:0 --kind helo "lmdb:$PWD/helo_access"
else
    echo "not root: -u not tested"
fi
echo "hardening ok"
