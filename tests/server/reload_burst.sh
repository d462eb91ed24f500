#!/usr/bin/env bash
# reload_burst.sh - a table rebuilt back to back is still reloaded.
#
# The server waits a moment after a table file changes, so a burst of
# changes gives one reload; later changes must not keep pushing that
# moment back.  While the table is recompiled without a pause for two
# seconds, the server must reload more than once and end on the last
# version.
set -eu
command -v postmap >/dev/null || { echo "skip: postmap is not installed"; exit 77; }
. "$SRCDIR/tests/lib/serve.sh"
A=$ACCESSMAP
srv_private_conf pf
echo 'a.example OK v0' >t
"$A" compile -c pf t
srv_start s -C pf --listen tcp:127.0.0.1:0 --kind exact hash:t
port=$(srv_port s)
end=$((SECONDS + 2)) i=0
while [ $SECONDS -lt $end ]; do
    i=$((i + 1))
    echo "a.example OK v$i" >t
    "$A" compile -c pf t
done
sleep 1
n=$(grep -c 'reloaded' s.log || true)
got=$(postmap -c pf -q a.example "tcp:127.0.0.1:$port" 2>/dev/null || true)
srv_stop s
echo "reload_burst: $i compiles in 2 s, $n reloads, last answer \"$got\""
[ "$n" -ge 2 ] || { echo "the server reloaded $n times during the burst"; exit 1; }
[ "$got" = "OK v$i" ] || { echo "want OK v$i"; exit 1; }
