#!/usr/bin/env bash
# dump.sh - accessmap dump prints what postmap -s prints.
#
# For hash, btree and lmdb tables built by either tool (with and without
# the trailing NUL), `accessmap dump` must print exactly `postmap -s`'s
# lines in the same order (the file's own order).  postmap cannot list
# cdb, so cdb and texthash are checked against the expected entries.
# Errors exit 2.
set -u
. "$SRCDIR/tests/lib/cli.sh"

python3 - <<'PY' > src
import random
r = random.Random(7)
for i in range(500):
    print('Key%d.%s.example\t%s %d' % (i, r.choice(['a', 'B', 'cc']),
          r.choice(['OK', 'REJECT go away', '550 5.7.1 no']), i))
print('Straße.example UTF8')
print('dup.example first')
print('DUP.example second')
PY
expected=$(postmap -c cf -s texthash:src 2>/dev/null | sort)
checks=$((checks + 1))
[ "$(printf '%s\n' "$expected" | wc -l)" = 502 ] || fail "postmap -s texthash: $(printf '%s\n' "$expected" | wc -l) lines"

for type in hash btree lmdb; do
    for opt in "" -n; do
        for who in postmap accessmap; do
            d=$who-$type$opt; mkdir -p $d; cp src $d/
            if [ $who = postmap ]; then postmap -c cf $opt $type:$d/src 2>/dev/null
            else "$A" compile -c cf $opt $type:$d/src 2>/dev/null; fi
            postmap -c cf -s $type:$d/src > want
            run "$A" dump -c cf $type:$d/src
            expect_rc 0 "dump $d"
            checks=$((checks + 1))
            cmp -s want out || fail "dump $d differs from postmap -s: $(diff want out | head -5)"
            checks=$((checks + 1))
            [ "$(sort out)" = "$expected" ] || fail "dump $d: wrong entries"
        done
    done
done
for opt in "" -N; do
    mkdir -p cdb$opt; cp src cdb$opt/
    postmap -c cf $opt cdb:cdb$opt/src 2>/dev/null
    run "$A" dump -c cf cdb:cdb$opt/src
    expect_rc 0 "dump cdb$opt"
    checks=$((checks + 1))
    [ "$(sort out)" = "$expected" ] || fail "dump cdb$opt: wrong entries"
done
run "$A" dump -c cf texthash:src
expect_rc 0 "dump texthash"
checks=$((checks + 1))
[ "$(sort out)" = "$expected" ] || fail "dump texthash: wrong entries"

# Several tables: each in turn.
run "$A" dump -c cf hash:accessmap-hash/src lmdb:accessmap-lmdb/src
checks=$((checks + 1))
[ "$(wc -l <out)" = 1004 ] || fail "dump of two tables: $(wc -l <out) lines"

run "$A" dump -c cf hash:nothere
expect_rc 2 "dump missing table"
expect_err 'nothere' "dump missing table message"
run "$A" dump -c cf foo:src
expect_rc 2 "dump bad type"
expect_err 'foo:src: cannot list tables of type "foo"' "dump bad type message"
run "$A" dump
expect_rc 2 "dump usage"
expect_err '^usage: accessmap dump' "dump usage text"
finish
