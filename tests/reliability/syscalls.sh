#!/usr/bin/env bash
# syscalls.sh - the system calls of a compile, as strace sees them.
#
# For hash, lmdb and cdb: the temporary file is opened with
# O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 (so it never follows a planted
# symlink and is private while written), gets its final mode by fchmod and
# is fsynced before the rename, and the directory is opened and fsynced
# after the rename.  strace comes with the test packages (make deps);
# where it cannot run (no ptrace) the test is skipped, saying why.
set -eu
A=${ACCESSMAP_BIN:-${ACCESSMAP:?}}
mkdir -p cf && printf 'compatibility_level = 3.6\n' > cf/main.cf
fail=0
for typ in hash lmdb cdb; do
    mkdir -p $typ && printf 'a.example OK\nb.example REJECT\n' > $typ/table
    chmod 640 $typ/table
done
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
    for typ in hash lmdb cdb; do
        case $typ in hash|btree) sfx=.db ;; *) sfx=.$typ ;; esac
        # LeakSanitizer cannot run under ptrace: no leak check here.
        ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -f -e trace=openat,open,fchmod,fchmodat,chmod,rename,renameat,renameat2,fsync,fdatasync \
            -o trace.$typ "$A" compile -c cf $typ:$typ/table
        python3 - trace.$typ "$sfx" <<'PY' || fail=1
import re, sys
lines = open(sys.argv[1]).read().splitlines()
sfx = sys.argv[2]
def find(pat, start=0):
    for i in range(start, len(lines)):
        if re.search(pat, lines[i]):
            return i, lines[i]
    return -1, ''
i, l = find(r'open(at)?\(.*\.table%s\.[0-9a-f]+\.tmp"' % re.escape(sfx))
ok = True
if i < 0:
    print('no temporary file open in the trace'); sys.exit(1)
for flag in ('O_CREAT', 'O_EXCL', 'O_NOFOLLOW'):
    if flag not in l:
        print('temporary file opened without %s: %s' % (flag, l)); ok = False
if ', 0600)' not in l:
    print('temporary file not created 0600: %s' % l); ok = False
c, lc = find(r'(fchmod|fchmodat|chmod)\(\d+, 0640\)', i)
r, lr = find(r'rename(at2?)?\(.*\.tmp".*table%s"' % re.escape(sfx), i)
if c < 0 or r < 0 or c > r:
    print('final mode not set before the rename (fchmod %d, rename %d)' % (c, r)); ok = False
s, ls = find(r'fsync\(', i)
if s < 0 or s > r:
    print('no fsync of the table before the rename'); ok = False
o, lo = find(r'open(at)?\(.*O_DIRECTORY', r)
m = re.search(r'= (\d+)$', lo)
f = find(r'fsync\(%s\)\s+= 0' % m.group(1), o)[0] if o >= 0 and m else -1
if o < 0 or f < 0:
    print('directory not fsynced after the rename'); ok = False
print('%s: temporary file %s; fchmod before rename; directory fsynced '
      'after rename: %s' % (sys.argv[1], 'O_CREAT|O_EXCL|O_NOFOLLOW 0600',
                            'yes' if ok else 'NO'))
sys.exit(0 if ok else 1)
PY
    done
else
    echo "skip: strace is missing or cannot trace here"
    exit 77
fi
exit $fail
