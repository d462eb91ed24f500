#!/usr/bin/env bash
# smtpd_e2e.sh - a real Postfix smtpd asks `accessmap serve` through
# check_helo_access tcp:... and check_client_access tcp:... (and the same
# through socketmap:, with a path relative to the queue directory) with the
# bundled example tables: HELO localhost,
# 127.0.0.1 or the server's own name gets "554 5.7.1 ... Helo command
# rejected: Only I am me", a listed client is rejected, an OK client and a
# clean HELO pass.  Driven by swaks --xclient.
set -eu
. "$SRCDIR/tests/lib/postfix-instance.sh"
. "$SRCDIR/tests/lib/serve.sh"
command -v swaks >/dev/null || pfi_skip "swaks is not installed"
pfi_init
trap 'srv_cleanup; pfi_stop' EXIT

srv_private_conf pf
cp "$SRCDIR/maptool/examples/helo_access" "$SRCDIR/maptool/examples/client_checks" .
echo 'mx.test.example  REJECT Only I am me' >>helo_access
"$ACCESSMAP" compile -c pf lmdb:helo_access lmdb:client_checks
chmod 644 ./*.lmdb

srv_start helo -C pf --listen tcp:127.0.0.1:0 --kind helo "lmdb:$PWD/helo_access"
srv_start client -C pf --listen tcp:127.0.0.1:0 --kind client "lmdb:$PWD/client_checks"
sock=$PFI_DIR/queue/accessmap.sock   # smtpd runs in the queue directory
srv_start smap -C pf --listen "socketmap:unix:$sock" --mode 0666 \
    --map "helo_access=helo:lmdb:$PWD/helo_access" \
    --map "client_checks=client:lmdb:$PWD/client_checks"
th=$(srv_port helo); tc=$(srv_port client)

port=$(pfi_free_port)
sport=$(pfi_free_port)
pfi_set relay_domains example.net
pfi_set smtpd_relay_restrictions ""
pfi_set smtpd_recipient_restrictions reject_unauth_destination
pfi_set smtpd_helo_required yes
pfi_set am_tcp_helo "check_helo_access tcp:127.0.0.1:$th"
pfi_set am_tcp_client "check_client_access tcp:127.0.0.1:$tc"
pfi_set am_sock_helo "check_helo_access socketmap:unix:accessmap.sock:helo_access"
pfi_set am_sock_client "check_client_access socketmap:unix:accessmap.sock:client_checks"
pfi_smtpd "$port" -o 'smtpd_helo_restrictions=$am_tcp_helo' \
    -o 'smtpd_client_restrictions=$am_tcp_client'
pfi_smtpd "$sport" -o 'smtpd_helo_restrictions=$am_sock_helo' \
    -o 'smtpd_client_restrictions=$am_sock_client'
pfi_start

fails=0
# expect PORT ADDR NAME HELO PATTERN: the RCPT reply matches PATTERN
expect() {
    local p=$1 addr=$2 name=$3 helo=$4 want=$5 out
    out=$(swaks --server "127.0.0.1:$p" --xclient "ADDR=$addr NAME=$name" \
        --ehlo "$helo" --from sender@example.org --to user@example.net \
        --quit-after RCPT --timeout 20 2>&1) || true
    if ! printf '%s\n' "$out" | grep -E -q "^<[*~-]* +$want"; then
        echo "FAIL port=$p addr=$addr name=$name helo=$helo: want /$want/"
        printf '%s\n' "$out" | grep '^<' | tail -n 4
        fails=$((fails + 1))
    fi
}
for p in "$port" "$sport"; do
    expect "$p" 192.0.2.50 clean.example.org localhost \
        '554 5.7.1 <localhost>: Helo command rejected: Only I am me'
    expect "$p" 192.0.2.50 clean.example.org 127.0.0.1 \
        '554 5.7.1 <127.0.0.1>: Helo command rejected: Only I am me'
    expect "$p" 192.0.2.50 clean.example.org mx.test.example \
        '554 5.7.1 <mx.test.example>: Helo command rejected: Only I am me'
    expect "$p" 192.0.2.50 clean.example.org sub.example.com \
        '554 5.7.1 <sub.example.com>: Helo command rejected: Only I am me'
    expect "$p" 198.51.100.23 '[UNAVAILABLE]' good.example.org \
        '554 5.7.1 <unknown\[198.51.100.23\]>: Client host rejected: Access denied'
    expect "$p" 192.0.2.60 misconfig.server.example good.example.org '250 2.1.5 Ok'
    expect "$p" 192.0.2.61 clean.example.org good.example.org '250 2.1.5 Ok'
done
# smtpd kept its tcp connections: far fewer connections than lookups
kill -USR1 "$(srv_pid helo)"
sleep 0.3
grep 'connections current' helo.log | tail -n 1
if grep -q 'warning:\|error:' helo.log client.log smap.log; then
    echo "server logged errors:"; cat helo.log client.log smap.log
    fails=$((fails + 1))
fi
if grep -q 'warning.*\(tcp\|socketmap\)' "$PFI_LOG"; then
    echo "smtpd warned about the tables:"; grep warning "$PFI_LOG"
    fails=$((fails + 1))
fi
srv_stop helo; srv_stop client; srv_stop smap
[ ! -e "$sock" ] || { echo "unix socket not removed"; fails=$((fails + 1)); }
[ "$fails" = 0 ] || { pfi_log_tail 20; exit 1; }
