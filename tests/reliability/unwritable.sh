#!/usr/bin/env bash
# unwritable.sh - a compile in a directory it cannot write keeps the old
# table.
#
# As root (CI): the directory belongs to root (0755) and the compile runs
# as nobody (setpriv); then root compiles a source owned by
# nobody, which (like postmap) builds as that owner and so must fail too,
# while -o (build as root) succeeds.  Not root: the directory is made 0555.
# Each failure: exit 1, a message naming the temporary file and
# "Permission denied", the old table byte-identical and readable by
# postmap, nothing new in the directory.
set -u
. "$SRCDIR/tests/lib/cli.sh"
d=$(mktemp -d /tmp/accessmap-unwritable.XXXXXX)
trap 'chmod -R u+w "$d"; rm -rf "$d"' EXIT
chmod 755 "$d"
cp -r cf "$d/cf"; chmod -R a+rX "$d/cf"

for type in hash btree lmdb cdb; do
    suf=.db; [ $type = lmdb ] && suf=.lmdb; [ $type = cdb ] && suf=.cdb
    rm -f "$d"/t*
    printf 'old.example OLD\n' > "$d/t"
    "$A" compile -c "$d/cf" $type:"$d/t"
    cp "$d/t$suf" keep
    printf 'new.example NEW\n' > "$d/t"; chmod 644 "$d/t"
    if [ "$(id -u)" = 0 ]; then
        run as_nobody compile -c "$d/cf" $type:"$d/t"
    else
        chmod 555 "$d"
        run "$A" compile -c "$d/cf" $type:"$d/t"
        chmod 755 "$d"
    fi
    expect_rc 1 "$type: unwritable directory"
    expect_err "create temporary file .*\.t$suf\..*\.tmp: Permission denied" "$type: message"
    expect_same_file keep "$d/t$suf" "$type: old table byte-identical"
    run postmap -c "$d/cf" -q old.example $type:"$d/t"
    expect_out OLD "$type: postmap reads the old table"
    expect_only_files "$d" cf t t$suf
    if [ "$(id -u)" = 0 ]; then
        # Root builds as the source's owner, who cannot write here.
        chown 65534:65534 "$d/t"
        run "$A" compile -c "$d/cf" $type:"$d/t"
        expect_rc 1 "$type: root building as the source's owner"
        expect_err "Permission denied" "$type: owner message"
        expect_same_file keep "$d/t$suf" "$type: old table kept (owner)"
        expect_only_files "$d" cf t t$suf
        postmap -c "$d/cf" $type:"$d/t" 2>/dev/null; prc=$?
        checks=$((checks + 1))
        [ $prc != 0 ] || fail "$type: postmap succeeded where accessmap failed"
        run "$A" compile -c "$d/cf" -o $type:"$d/t"
        expect_rc 0 "$type: -o builds as root"
        run postmap -c "$d/cf" -q new.example $type:"$d/t"
        expect_out NEW "$type: -o table"
    fi
done
finish
