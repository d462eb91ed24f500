#!/usr/bin/env bash
# check.sh - accessmap check: findings, their lines, and exit status.
#
# A bad action, keys smtpd never looks up, and a shadowed duplicate (the
# message names both lines) are reported as FILE:LINE: level: text; exit
# 1 when there are errors (or warnings with --strict), 0 when clean or
# warnings only, 2 when a file cannot be read or the usage is wrong.
set -u
. "$SRCDIR/tests/lib/cli.sh"

printf 'clean.example OK\nother.example REJECT go away\n' > clean_access
run "$A" check -c cf clean_access
expect_rc 0 "clean table"
expect_no_err . "clean table is silent"

printf 'good.example OK\nbad.example FROBNICATE now\n@example.net REJECT\ndup.example OK\n# comment\nDUP.example REJECT\n' > sender_access
run "$A" check -c cf sender_access
expect_rc 1 "bad action"
expect_err '^sender_access:2: error: unknown smtpd restriction "FROBNICATE"' "bad action at its line"
expect_err '^sender_access:3: error: "@domain" key "@example.net" never matches' "dead @domain key"
expect_err '^sender_access:6: warning: duplicate entry "dup.example" ignored; the entry at sender_access:4 wins' "shadowed duplicate names both lines"
expect_no_err '^sender_access:1:' "good line has no finding"

printf '.dot.example REJECT\n010.1.2.3 OK\n[192.0.2.1] OK\nok.example OK\n' > t
run "$A" check -c cf --kind client t
expect_rc 1 "dead keys for a client table"
expect_err '^t:1: error: ".domain" key ".dot.example" never matches' "dead .domain key"
expect_err '^t:2: error: "010.1.2.3" is not an address smtpd looks up' "leading-zero address"
expect_err '^t:3: error: address literal "\[192.0.2.1\]" never matches a client' "address literal"
expect_no_err '^t:4:' "good line has no finding"

# Sender and recipient checks look up parent domains without the dot too.
printf '.dot.example REJECT\n' > st
run "$A" check -c cf --kind sender st
expect_rc 1 "dead .domain key in a sender table"
expect_err '^st:1: error: ".domain" key ".dot.example" never matches' "sender .domain key"

printf 'a.example OK\nA.example REJECT\n' > w
run "$A" check -c cf w
expect_rc 0 "warnings only"
expect_err '^w:2: warning: duplicate entry "a.example" ignored; the entry at w:1 wins' "duplicate warning"
run "$A" check -c cf --strict w
expect_rc 1 "--strict turns warnings into errors"
expect_err '^w:2: error: duplicate entry' "--strict level"

# The worst of several files decides.
run "$A" check -c cf clean_access sender_access
expect_rc 1 "clean + bad"
run "$A" check -c cf clean_access nothere
expect_rc 2 "missing file"
expect_err 'open nothere: No such file or directory' "missing file message"
if [ "$(id -u)" = 0 ]; then
    nb=$(mktemp -d /tmp/accessmap-nobody.XXXXXX); chmod 755 "$nb"
    trap 'rm -rf "$nb"' EXIT
    cp -r cf "$nb/"; chmod -R a+rX "$nb/cf"
    cp clean_access "$nb/secret"; chmod 600 "$nb/secret"
    run as_nobody check -c "$nb/cf" "$nb/secret"
else
    cp clean_access secret; chmod 000 secret
    run "$A" check -c cf secret
fi
expect_rc 2 "unreadable file"
expect_err 'secret.*Permission denied' "unreadable file message"
run "$A" check -c cf --kind bogus w
expect_rc 2 "bad --kind"
expect_err 'unknown check kind "bogus"' "bad --kind message"
run "$A" check
expect_rc 2 "no file"
expect_err '^usage: accessmap check' "usage"
finish
