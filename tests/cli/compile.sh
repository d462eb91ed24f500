#!/usr/bin/env bash
# compile.sh - accessmap compile: exit status and messages.
#
# What postmap only warns about gives FILE:LINE: warning: on stderr and
# exit 0 (golden file tests/data/cli/warnings.err); --strict makes the same
# input fail with the old table byte-identical and no temporary file; what
# postmap refuses (an LMDB key over 511 bytes, a missing source, a type
# that cannot be built) fails with exit 1 and a message naming the file.
# Usage errors exit 2.
set -u
. "$SRCDIR/tests/lib/cli.sh"
DATA=$SRCDIR/tests/data/cli

# Warnings: exit 0, each at its line, and the table holds the good lines.
cp "$DATA/warnings.src" src
run "$A" compile -c cf src
expect_rc 0 "compile with warnings"
checks=$((checks + 1))
diff -u "$DATA/warnings.err" err || fail "warnings differ from warnings.err"
run "$A" dump -c cf hash:src
expect_rc 0 "dump after warnings"
checks=$((checks + 1))
[ "$(sort out)" = "$(printf 'good.example\tOK\nkey:\tvalue\nlast.example\tOK')" ] ||
    fail "table after warnings: $(cat out)"
# btree and lmdb resolve duplicates while sorting by key: the same
# warnings, in the same (line) order, as hash and cdb.
for type in btree lmdb cdb; do
    cp "$DATA/warnings.src" w_$type
    run "$A" compile -c cf $type:w_$type
    expect_rc 0 "$type compile with warnings"
    checks=$((checks + 1))
    sed "s/^src:/w_$type:/; s/ at src:/ at w_$type:/" "$DATA/warnings.err" > want_$type
    diff -u want_$type err || fail "$type warnings differ from warnings.err"
done
python3 -c "
import random
r = random.Random(7)
for i in range(3000):
    k = r.randrange(400)
    print('%s%d.example v%d' % (r.choice(['host', 'HOST', 'Host']), k, i))
" > manydups
for type in hash btree lmdb cdb; do
    "$A" compile -c cf $type:manydups 2> err_$type
done
for type in btree lmdb cdb; do
    checks=$((checks + 1))
    cmp -s err_hash err_$type || fail "$type duplicate warnings differ from hash"
done
checks=$((checks + 1))
[ "$(grep -c 'duplicate entry' err_hash)" -gt 2500 ] ||
    fail "expected over 2500 duplicate warnings, got $(grep -c 'duplicate entry' err_hash)"
# postmap warns about the same lines.
postmap -c cf src 2>perr
for n in 3 4 5 6 8; do
    checks=$((checks + 1))
    grep -q "line $n:" perr || fail "postmap has no warning for line $n"
    grep -q "^src:$n: warning" "$DATA/warnings.err" || fail "no warning for line $n"
done

# --strict: the same warnings are errors, nothing is written.
for type in hash btree lmdb cdb; do
    suf=.db; [ $type = lmdb ] && suf=.lmdb; [ $type = cdb ] && suf=.cdb
    printf 'good.example OK\n' > s_$type
    "$A" compile -c cf $type:s_$type 2>/dev/null
    cp s_$type$suf keep
    cp "$DATA/warnings.src" s_$type
    run "$A" compile -c cf --strict $type:s_$type
    checks=$((checks + 1))
    [ $rc != 0 ] || fail "$type --strict with warnings exited 0"
    expect_err "^s_$type:3: error: expected format" "$type --strict names the line"
    expect_err "^accessmap: error: s_$type$suf: .* found with --strict; the table was not written" "$type --strict summary"
    expect_same_file keep s_$type$suf "$type --strict keeps the old table"
    mkdir -p only && rm -f only/* && mv s_$type s_$type$suf only/
    expect_only_files only s_$type s_$type$suf
    rm -rf only
done

# LMDB key over the limit: FILE:LINE, exit 1, old table intact.
printf 'old.example OLD\n' > big
"$A" compile -c cf lmdb:big
cp big.lmdb keep
{ echo 'good.example OK'; python3 -c "print('k' * 600 + ' v')"; } > big
run "$A" compile -c cf lmdb:big
expect_rc 1 "LMDB key too long"
expect_err '^big:2: error: key of 601 bytes .* longer than lmdb allows \(511\)' "LMDB limit message"
expect_err 'big.lmdb: 1 key too long for lmdb tables; the table was not written' "LMDB summary"
expect_same_file keep big.lmdb "LMDB failure keeps the old table"
run postmap -c cf -q old.example lmdb:big
expect_out OLD "postmap reads the kept LMDB table"

# Missing source, unreadable source, bad type, texthash.
run "$A" compile -c cf nothere
expect_rc 1 "missing source"
expect_err '^accessmap: error: open nothere: No such file or directory$' "missing source message"
checks=$((checks + 1)); [ ! -e nothere.db ] || fail "a table appeared for a missing source"
run "$A" compile -c cf foo:src
expect_rc 1 "bad type"
expect_err 'cannot build tables of type "foo"' "bad type message"
run "$A" compile -c cf texthash:src
expect_rc 1 "texthash"
expect_err 'texthash tables are read from source' "texthash message"
run "$A" compile -c cf ":"
expect_rc 1 "empty type and name"
if [ "$(id -u)" = 0 ]; then
    nb=$(mktemp -d /tmp/accessmap-nobody.XXXXXX); chmod 755 "$nb"
    trap 'rm -rf "$nb"' EXIT
    cp -r cf "$nb/"; chmod -R a+rX "$nb/cf"
    printf 'a.example OK\n' > "$nb/secret"; chmod 600 "$nb/secret"
    chmod 777 "$nb"
    run as_nobody compile -c "$nb/cf" "$nb/secret"
else
    printf 'a.example OK\n' > secret; chmod 000 secret
    run "$A" compile -c cf secret
fi
expect_rc 1 "unreadable source"
expect_err 'secret.*Permission denied' "unreadable source message"

# Several tables: stop at the first failure; earlier ones are written.
printf 'one.example OK\n' > one
rm -f one.db
run "$A" compile -c cf one nothere two
expect_rc 1 "second of three fails"
checks=$((checks + 1)); [ -f one.db ] || fail "first table not written"

# Usage errors exit 2 and print usage.
run "$A" compile
expect_rc 2 "no arguments"
expect_err '^usage: accessmap compile ' "usage text"
run "$A" compile -Z src
expect_rc 2 "unknown option"
expect_err "invalid option" "unknown option message"
run "$A" compile --max-expand 0 src
expect_rc 1 "--max-expand 0"
expect_err 'needs a positive number' "--max-expand message"
echo 'x y' >in
run "$A" compile -c cf -i a b <in
expect_rc 1 "-i with two tables"
expect_err 'give one table' "-i message"
run "$A" compile -c nonexistent-dir src
checks=$((checks + 1)); [ $rc != 0 ] || fail "missing config dir accepted"
expect_err 'nonexistent-dir/main.cf' "missing main.cf named"
run "$A" frobnicate
expect_rc 2 "unknown command"
expect_err "unknown command 'frobnicate'" "unknown command message"
run "$A" compile --help
expect_rc 0 "--help"
checks=$((checks + 1)); grep -q '^usage: accessmap compile' out || fail "--help on stdout"
finish
