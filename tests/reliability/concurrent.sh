#!/usr/bin/env bash
# concurrent.sh - several compiles of one table at once.
#
# ROUNDS times per type, 4 compiles of the same 50000-entry source run
# at the same time.  Each must succeed; afterwards the table must be
# complete (accessmap dump lists all 50000 entries, real postmap -q
# answers the first and last keys) and no temporary file may remain.
set -u
. "$SRCDIR/tests/lib/cli.sh"
ROUNDS=${ROUNDS:-4}
python3 -c "
for i in range(50000): print('host%d.example.com REJECT blocked %d' % (i, i))" > t
rounds=0
for type in hash btree lmdb cdb; do
    suf=.db; [ $type = lmdb ] && suf=.lmdb; [ $type = cdb ] && suf=.cdb
    for r in $(seq "$ROUNDS"); do
        pids=
        for j in 1 2 3 4; do
            "$A" compile -c cf $type:t 2>err$j & pids="$pids $!"
        done
        n=0
        for p in $pids; do
            wait $p; prc=$?; n=$((n + 1))
            checks=$((checks + 1))
            [ $prc = 0 ] || fail "$type round $r: compile $n exited $prc: $(cat err$n)"
        done
        rounds=$((rounds + 1))
        run "$A" dump -c cf $type:t
        checks=$((checks + 1))
        [ "$(wc -l <out)" = 50000 ] || fail "$type round $r: $(wc -l <out) entries"
        run postmap -c cf -q host0.example.com $type:t
        expect_out "REJECT blocked 0" "$type round $r: first key"
        run postmap -c cf -q host49999.example.com $type:t
        expect_out "REJECT blocked 49999" "$type round $r: last key"
        expect_only_files . cf t t$suf out err err1 err2 err3 err4 t.db t.lmdb t.cdb
    done
done
echo "$rounds rounds of 4 concurrent compiles"
finish
