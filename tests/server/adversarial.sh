#!/usr/bin/env bash
# adversarial.sh - oversized lines, bad %XX, binary garbage, put, half-closed,
# vanishing, stalled and never-reading clients, too many connections and
# bad netstrings against `accessmap serve`; see adversarial.py.  The server
# must answer correctly afterwards, log sanitised messages, and stop
# cleanly on SIGTERM.
set -eu
. "$SRCDIR/tests/lib/serve.sh"
srv_private_conf pf
printf 'localhost REJECT Only I am me\n' >helo_access
srv_start tcp -C pf --listen tcp:127.0.0.1:0 --kind helo --max-connections 8 \
    --read-timeout 1 "texthash:$PWD/helo_access"
srv_start sm -C pf --listen socketmap:inet:127.0.0.1:0 --read-timeout 1 \
    --map "helo=helo:texthash:$PWD/helo_access"
python3 "$SRCDIR/tests/server/adversarial.py" "$(srv_port tcp)" "$(srv_port sm)" tcp.log
srv_stop tcp
srv_stop sm
