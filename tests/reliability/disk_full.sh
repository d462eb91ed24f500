#!/usr/bin/env bash
# disk_full.sh - a compile that runs out of disk space keeps the old table.
#
# A 1 MB tmpfs holds the table; the source (about 4 MB of output) lives
# outside it, reached through a symlink, so only the output needs space.
# For each type the compile must fail with a non-zero exit and a message
# naming the file and "No space left on device", the old table must stay
# byte-identical and readable by postmap, and no temporary file may remain.
# Needs root to mount the tmpfs (CI runs as root).
set -u
. "$SRCDIR/tests/lib/cli.sh"
[ "$(id -u)" = 0 ] || { echo "needs root to mount a small tmpfs"; exit 77; }
mkdir -p full
mount -t tmpfs -o size=1m,mode=0755 accessmap-test full 2>mnterr ||
    { echo "mount -t tmpfs failed: $(cat mnterr)"; exit 77; }
trap 'umount full' EXIT

python3 -c "
for i in range(60000): print('host%d.example.com REJECT blocked %d' % (i, i))" > bigsrc
for type in hash btree lmdb cdb; do
    suf=.db; [ $type = lmdb ] && suf=.lmdb; [ $type = cdb ] && suf=.cdb
    rm -f full/* full/.[!.]*
    printf 'old.example OLD\n' > full/t
    "$A" compile -c cf $type:full/t
    cp full/t$suf keep
    rm full/t; ln -s "$PWD/bigsrc" full/t
    run "$A" compile -c cf $type:full/t
    msg=$(head -n 1 err); crc=$rc
    checks=$((checks + 1))
    [ $rc != 0 ] || fail "$type: compile on a full disk exited 0"
    expect_err "full/.*No space left on device" "$type: message names the cause"
    expect_same_file keep full/t$suf "$type: old table byte-identical"
    run postmap -c cf -q old.example $type:full/t
    expect_out OLD "$type: postmap reads the old table"
    expect_only_files full t t$suf
    echo "$type: exit $crc: $msg"
done
finish
