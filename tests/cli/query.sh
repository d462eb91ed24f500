#!/usr/bin/env bash
# query.sh - accessmap query: exact lookups like postmap -q, and the
# access-check forms.
#
# Exact: value on stdout, exit 0 found / 1 not found / 2 error, on every
# type, on tables built by postmap and by accessmap; `-` reads keys from
# stdin and prints KEY<TAB>VALUE as typed.  Checks: --client, --helo,
# --sender, --recipient decide as smtpd would, --explain names the
# deciding entry and its source line, --json is valid JSON with the same
# decision (parsed by python).
set -u
. "$SRCDIR/tests/lib/cli.sh"

printf '198.51.100.23 REJECT\nmisconfig.server.example OK\n' > client_checks
printf 'localhost REJECT Only I am me\nExample.COM REJECT Only I am me\n' > helo_access
printf 'example.org REJECT no\nuser@example.net DISCARD\nspammer@ REJECT spam\n' > mail_access

for type in hash btree lmdb cdb; do
    for who in accessmap postmap; do
        d=$who-$type; mkdir -p $d; cp helo_access $d/
        if [ $who = postmap ]; then postmap -c cf $type:$d/helo_access
        else "$A" compile -c cf $type:$d/helo_access; fi
        t=$type:$d/helo_access
        run "$A" query -c cf example.com $t
        expect_rc 0 "$who $type found"; expect_out "REJECT Only I am me" "$who $type value"
        run "$A" query -c cf EXAMPLE.com $t
        expect_rc 0 "$who $type folded query"
        run "$A" query -c cf -f EXAMPLE.com $t
        expect_rc 1 "$who $type -f query"
        run "$A" query -c cf sub.example.com $t
        expect_rc 1 "$who $type exact only (no parent domain)"; expect_out "" "$who $type not found prints nothing"
        expect_no_err . "$who $type not found is silent"
        printf 'localhost\nnope\nEXAMPLE.COM\n' > keys
        run "$A" query -c cf - $t <keys
        expect_rc 0 "$who $type query -"
        expect_out "$(printf 'localhost\tREJECT Only I am me\nEXAMPLE.COM\tREJECT Only I am me')" "$who $type query - output"
        run postmap -c cf -q - $t <keys
        postmap_out=$(cat out)
        run "$A" query -c cf - $t <keys
        expect_out "$postmap_out" "$who $type query - as postmap -q -"
        printf 'nope\nnada\n' > keys
        run "$A" query -c cf - $t <keys
        expect_rc 1 "$who $type query - none found"
    done
done
# First table that has the key wins.
printf 'localhost FIRST\n' > first; "$A" compile -c cf first
run "$A" query -c cf localhost hash:first hash:accessmap-hash/helo_access
expect_out FIRST "first table wins"
run "$A" query -c cf example.com hash:first hash:accessmap-hash/helo_access
expect_out "REJECT Only I am me" "second table consulted"
# texthash reads the source.
run "$A" query -c cf example.com texthash:helo_access
expect_rc 0 "texthash found"; expect_out "REJECT Only I am me" "texthash value"

# Errors: exit 2 with a message.
run "$A" query -c cf x hash:nothere
expect_rc 2 "missing table"
expect_err 'hash:nothere: open nothere.db: .*No such file or directory' "missing table message"
run "$A" query -c cf x foo:helo_access
expect_rc 2 "bad type"
expect_err 'unknown table type "foo"' "bad type message"
printf 'garbage, not a database\n' > junk.db
run "$A" query -c cf x hash:junk
expect_rc 2 "corrupt table"
expect_err 'junk' "corrupt table named"
run "$A" query -c cf x
expect_rc 2 "no table"
expect_err '^usage: accessmap query' "usage"
run "$A" query
expect_rc 2 "no arguments"

# Access checks.
for f in client_checks helo_access mail_access; do "$A" compile -c cf $f; done
run "$A" query -c cf --client 198.51.100.23 hash:client_checks
expect_rc 0 "--client found"; expect_out REJECT "--client value"
run "$A" query -c cf --client 192.0.2.1 hash:client_checks
expect_rc 1 "--client not found"
run "$A" query -c cf --explain --client 198.51.100.23 --client-name misconfig.server.example hash:client_checks
expect_rc 0 "--client with name"
expect_no_err . "--explain writes on stdout only"
checks=$((checks + 1))
grep -q 'shadowed: REJECT  \[client_checks:1\]' out || fail "--explain shows the shadowed address entry"
grep -q '^decision: OK' out || fail "--explain: hostname decides"
grep -q 'entry "misconfig.server.example" at client_checks:2' out || fail "--explain names the line"
run "$A" query -c cf --explain --helo mail.EXAMPLE.com hash:helo_access
expect_rc 0 "--helo parent domain"
checks=$((checks + 1))
grep -q 'EXAMPLE.com .*parent domain  found: REJECT Only I am me  \[helo_access:2\]' out || fail "--explain helo parent"
grep -q 'smtpd replies: 554 5.7.1 <mail.EXAMPLE.com>: Helo command rejected: Only I am me' out || fail "--explain helo reply"
run "$A" query -c cf --helo other.example hash:helo_access
expect_rc 1 "--helo not found"

json() {                # json CHECK-ARGS... -> out holds python's verdict
    "$A" query -c cf --json "$@" >j 2>err
    rc=$?
    python3 - j >out <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
dec = d.get('decision') or {}
print(d['check'], dec.get('key'), dec.get('value'), dec.get('line'),
      sum(1 for s in d['steps'] if s['result'] == 'hit'))
PY
}
json --sender Foo@Sub.Example.ORG hash:mail_access
expect_rc 0 "--json sender"
expect_out "sender example.org REJECT no 1 1" "--json sender decision"
json --recipient user@example.net hash:mail_access
expect_out "recipient user@example.net DISCARD 2 1" "--json recipient decision"
json --sender spammer@elsewhere.example hash:mail_access
expect_out "sender spammer@ REJECT spam 3 1" "--json localpart@ decision"
json --sender nobody@nowhere.example hash:mail_access
expect_rc 1 "--json not found"
expect_out "sender None None None 0" "--json no decision"
json --client 198.51.100.23 hash:client_checks
expect_out "client 198.51.100.23 REJECT 1 1" "--json client"
run "$A" query -c cf --client not-an-address hash:client_checks
expect_rc 2 "--client with a bad address"
finish
