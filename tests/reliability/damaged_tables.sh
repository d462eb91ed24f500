#!/usr/bin/env bash
# damaged_tables.sh - a truncated or damaged compiled table gives an error,
# never a crash or a wrong read.
#
# For each format (hash, btree, lmdb, cdb), compile a table of 3000
# entries (some with values long enough for overflow pages), then damage
# copies of it: truncate at many points, and overwrite runs of bytes with
# 0x00, 0xff or pseudo-random bytes at many offsets.  For every copy,
# `accessmap dump` and `accessmap query` must exit 0, 1 (a damaged page
# that still reads consistently) or 2 (error) -- never die by a signal or
# report a memory error (VALGRIND=1 runs them under memcheck: exit 99).
# The damage is deterministic: "damage #N" in a failure reproduces with
# damage() and the same N.  ROUNDS (default 40) sets copies per format.
set -u
: "${SRCDIR:?}" "${ACCESSMAP:?}"
A=$ACCESSMAP
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }

python3 - <<'PY' > src
for i in range(3000):
    v = "REJECT host %d" % i if i % 97 else "REJECT " + "x" * (3000 + i)
    print("host%04d.example.com %s" % (i, v))
PY

# Damaged copies of FILE, written as victim.SUFFIX one at a time by
# damage(N): N selects the kind and place, deterministically.
damage() {
    python3 - "$1" "$2" "$3" <<'PY'
import os, random, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = bytearray(open(src, 'rb').read())
r = random.Random(n)
kind = n % 4
if kind == 0:
    data = data[:r.randrange(len(data))]
else:
    size = r.choice([1, 2, 4, 8, 64, 512])
    at = r.randrange(len(data))
    fill = {1: lambda: 0, 2: lambda: 255, 3: lambda: r.randrange(256)}[kind]
    for i in range(at, min(at + size, len(data))):
        data[i] = fill()
open(dst, 'wb').write(data)
PY
}

ROUNDS=${ROUNDS:-40}
[ "${VALGRIND:-}" = 1 ] && ROUNDS=${VALGRIND_ROUNDS:-6}
fail=0 runs=0 errors=0
for type in hash btree lmdb cdb; do
    "$A" compile "$type:src" || { echo "compile $type failed"; exit 1; }
    case $type in hash|btree) suf=db ;; *) suf=$type ;; esac
    cp "src.$suf" "orig.$suf"
    for n in $(seq 1 "$ROUNDS"); do
        damage "orig.$suf" "victim.$suf" "$n"
        for cmd in dump query; do
            if [ $cmd = dump ]; then
                "$A" dump "$type:victim" >/dev/null 2>err
            else
                "$A" query host0042.example.com "$type:victim" >/dev/null 2>err
            fi
            rc=$?
            runs=$((runs + 1))
            [ $rc = 2 ] && errors=$((errors + 1))
            if [ $rc -gt 2 ]; then
                echo "FAIL: $type damage #$n: accessmap $cmd exit $rc"
                head -n 20 err
                fail=1
            fi
        done
    done
done
echo "$runs runs on damaged tables, $errors refused with an error, no crash: $([ $fail = 0 ] && echo yes || echo NO)"
exit $fail
