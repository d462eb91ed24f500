#!/usr/bin/env bash
# reload.sh - tables replaced under continuous load: `accessmap compile`
# renaming new versions into place, a corrupt table renamed in, the table
# deleted, and a SIGHUP storm.  A checking client (tests/tools/serveload)
# keeps 8 connections busy the whole time and must see zero wrong or
# failed answers; the server must end up serving the last good version
# and log why it kept the old one.
set -eu
. "$SRCDIR/tests/lib/serve.sh"
load=$SRCDIR/$BUILD/tests/tools/serveload
[ -x "$load" ] || { echo "missing $load (make tests)"; exit 1; }
srv_private_conf pf

version() {     # version N: write and compile helo_access version N in place
    {
        echo "version REJECT v$1"
        for i in $(seq 0 199); do echo "host$i.example REJECT stable $i"; done
        echo "only$1.example OK"
    } >helo_access.new
    mv helo_access.new helo_access
    # accessmap compile writes a temporary file and renames it into place
    "$ACCESSMAP" compile -c pf lmdb:helo_access 2>&1
}
version 1
{
    printf 'version\t200 REJECT%%20v1\t200 REJECT%%20v2\n'
    for i in $(seq 0 199); do
        printf 'host%s.example\t200 REJECT%%20stable%%20%s\n' "$i" "$i"
        printf 'sub.host%s.example\t200 REJECT%%20stable%%20%s\n' "$i" "$i"
    done
    printf 'only1.example\t200 OK\t500 not%%20found\n'
    printf 'only2.example\t200 OK\t500 not%%20found\n'
    printf 'missing.example\t500 not%%20found\n'
} >expect.txt

srv_start s -C pf --listen tcp:127.0.0.1:0 --kind helo "lmdb:$PWD/helo_access"
port=$(srv_port s)
pid=$(srv_pid s)
"$load" "$port" 40 expect.txt 8 >load.out 2>load.err &
loadpid=$!

reloads() { grep -c 'reloaded\|reload failed' s.log || true; }
wait_reloads() {    # wait until the log shows more than $1 reload outcomes
    local i
    for i in $(seq 1 100); do
        [ "$(reloads)" -gt "$1" ] && return 0
        sleep 0.05
    done
    echo "no reload after a table change"; cat s.log; exit 1
}

for round in 1 2 3 4 5 6; do
    before=$(reloads)
    version $((round % 2 + 1))
    wait_reloads "$before"
done
# a corrupt table renamed into place: the old one stays
before=$(reloads)
head -c 65536 /dev/urandom >bad.tmp
mv bad.tmp helo_access.lmdb
wait_reloads "$before"
grep -q 'reload failed, still serving the previous tables' s.log
# the table deleted: the old one stays
version 1
sleep 0.5
before=$(reloads)
rm helo_access.lmdb
wait_reloads "$before"
# SIGHUP storm while the table is missing, then while it is back
for i in $(seq 1 100); do kill -HUP "$pid"; done
version 2
for i in $(seq 1 100); do kill -HUP "$pid"; done
sleep 1
touch STOP
wait "$loadpid" || { cat load.out load.err; tail -n 20 s.log; exit 1; }
cat load.out
grep -q 'requests [1-9][0-9]* wrong 0 errors 0' load.out

# the last good version is what is served now
got=$(postmap -c pf -q version "tcp:127.0.0.1:$port")
[ "$got" = "REJECT v2" ] || { echo "serving [$got], not v2"; tail -n 20 s.log; exit 1; }
kill -0 "$pid"
grep -c 'reloaded' s.log
grep -c 'reload failed' s.log
srv_stop s
