#!/usr/bin/env bash
# postmap_agree.sh - Postfix's own tcp: and socketmap: clients (postmap -q)
# get from `accessmap serve` exactly what `accessmap query --helo/--client/
# --sender` answers from the same tables: parent domains, partial
# addresses, cidr tables in order, and keys and values that need %XX
# encoding (spaces, %, TAB, UTF-8) or none (socketmap sends keys raw).
set -eu
. "$SRCDIR/tests/lib/serve.sh"
command -v postmap >/dev/null || { echo "skip: postmap is not installed"; exit 77; }
srv_private_conf pf

printf '%s\n' \
    'localhost        REJECT Only I am me' \
    '127.0.0.1        REJECT Only I am me' \
    'example.com      REJECT Only I am me' \
    'pct%key.example  OK 100% sure' \
    'tab.example      REJECT a	tab and  two spaces' \
    'straße.example   REJECT ünïcode value' \
    '[192.0.2.1]      REJECT bracketed' \
    '192.0.2.10       REJECT Only I am me' \
    'dunno.example    DUNNO' >helo_access
printf '%s\n' \
    '198.51.100.23            REJECT' \
    '198.51.100               REJECT whole /24' \
    'misconfig.server.example OK' \
    'example.org              554 5.7.1 go away' >client_checks
printf '%s\n' \
    '203.0.113.0/25  REJECT from cidr' \
    '2001:db8::/32   REJECT v6 cidr' >client.cidr
printf '%s\n' \
    'user@example.net REJECT this user' \
    'example.net      OK' \
    'postmaster@      OK postmaster' >senders
"$ACCESSMAP" compile -c pf lmdb:helo_access lmdb:client_checks hash:senders

srv_start tcphelo -C pf --listen tcp:127.0.0.1:0 --kind helo "lmdb:$PWD/helo_access"
srv_start tcpclient -C pf --listen tcp:127.0.0.1:0 --kind client \
    "lmdb:$PWD/client_checks,cidr:$PWD/client.cidr"
srv_start smap -C pf --listen socketmap:inet:127.0.0.1:0 \
    --map "helo=helo:lmdb:$PWD/helo_access" \
    --map "client=client:lmdb:$PWD/client_checks,cidr:$PWD/client.cidr" \
    --map "sender=sender:hash:$PWD/senders"
th=$(srv_port tcphelo); tc=$(srv_port tcpclient); sm=$(srv_port smap)

fails=0 n=0
# compare KEY EXPECTED-FROM-ACCESSMAP-QUERY MAP...
compare() {
    local key=$1 want=$2 map got
    shift 2
    for map in "$@"; do
        got=$(postmap -c pf -q "$key" "$map" 2>pm.err) || got="(not found)"
        if grep -q 'fatal\|warning' pm.err; then
            got="(error: $(cat pm.err))"
        fi
        n=$((n + 1))
        if [ "$got" != "$want" ]; then
            printf 'MISMATCH key=[%s] map=%s\n  query:   [%s]\n  postmap: [%s]\n' \
                "$key" "$map" "$want" "$got"
            fails=$((fails + 1))
        fi
    done
}
ask() {         # accessmap query CHECK... TABLE...; "(not found)" on exit 1
    local out
    if out=$("$ACCESSMAP" query -c pf "$@"); then
        printf '%s' "$out"
    else
        [ $? = 1 ] || { echo "accessmap query $* failed" >&2; exit 1; }
        printf '(not found)'
    fi
}

helo_keys=(localhost LOCALHOST Localhost 127.0.0.1 example.com mail.example.com
    MAIL.EXAMPLE.COM a.b.c.example.com example.co pct%key.example
    sub.pct%key.example tab.example x.tab.example straße.example
    STRASSE.example mx.straße.example '[192.0.2.1]' 192.0.2.1 192.0.2.10
    '[192.0.2.10]' 192.0.2 dunno.example 'with space' '100%' 'ctl'$'\001'x
    'é' nothing.invalid '' 'a%20b' '%ZZ')
for k in "${helo_keys[@]}"; do
    [ -n "$k" ] || continue     # postmap -q '' is refused by postmap itself
    want=$(ask --helo "$k" "lmdb:helo_access")
    compare "$k" "$want" "tcp:127.0.0.1:$th" "socketmap:inet:127.0.0.1:$sm:helo"
done

for a in 198.51.100.23 198.51.100.24 198.51.101.1 203.0.113.5 203.0.113.200 \
         2001:db8::1 2001:db9::1 192.0.2.1 ::1; do
    want=$(ask --client "$a" lmdb:client_checks cidr:client.cidr)
    compare "$a" "$want" "tcp:127.0.0.1:$tc" "socketmap:inet:127.0.0.1:$sm:client"
done
# a hostname as key: compare with a client whose address matches nothing
for h in misconfig.server.example MISCONFIG.Server.Example a.misconfig.server.example \
         example.org mail.example.org unknown other.example; do
    want=$(ask --client 192.0.2.99 --client-name "$h" lmdb:client_checks cidr:client.cidr)
    compare "$h" "$want" "tcp:127.0.0.1:$tc" "socketmap:inet:127.0.0.1:$sm:client"
done
# sender keys arrive lower-cased from smtpd; postmap -q sends them as given
for s in user@example.net other@example.net user@sub.example.net postmaster@example.com \
         nobody@example.com '<>' 'sp ace@example.net'; do
    want=$(ask --sender "$s" hash:senders)
    compare "$s" "$want" "socketmap:inet:127.0.0.1:$sm:sender"
done

# several keys on one connection (postmap -q - keeps it open), pipelined
printf '%s\n' localhost nothing mail.example.com 'with space' >keys
postmap -c pf -q - "tcp:127.0.0.1:$th" <keys >multi.out
printf 'localhost\tREJECT Only I am me\nmail.example.com\tREJECT Only I am me\n' >multi.want
diff multi.want multi.out || fails=$((fails + 1))
# an unknown socketmap name is a permanent error, not "not found"
if postmap -c pf -q localhost "socketmap:inet:127.0.0.1:$sm:nosuch" 2>err.txt; then
    echo "unknown map name was answered"; fails=$((fails + 1))
fi
grep -q 'permanent error' err.txt || { cat err.txt; fails=$((fails + 1)); }
# the stats map answers counters
postmap -c pf -q x "socketmap:inet:127.0.0.1:$sm:stats" >stats.txt
grep -q 'map socketmap:inet:127.0.0.1:0:helo kind helo requests [1-9]' stats.txt \
    || { cat stats.txt; fails=$((fails + 1)); }

srv_stop tcphelo; srv_stop tcpclient; srv_stop smap
echo "$n comparisons, $fails mismatches"
[ "$fails" = 0 ]
