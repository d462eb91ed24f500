#!/usr/bin/env bash
# tempfile.sh - the temporary file is private and symlinks are not followed.
#
# While a large compile runs (umask 000), a watcher lstat()s the
# directory continuously: every temporary file it sees must be a regular
# file owned by us, never a symlink, of mode 0600 until the final mode is
# set just before the rename; the final table has
# the mode postmap would give it (0644 for a new table from a 0644 source,
# 0640 from a 0640 source, an existing table's own mode kept).  A table
# name that is a symlink to another file is replaced by the new table,
# and the file it pointed to is left byte-identical.
set -u
. "$SRCDIR/tests/lib/cli.sh"
python3 -c "
for i in range(300000): print('host%d.example.com REJECT blocked %d' % (i, i))" > t
umask 000
python3 - "$A" <<'PY' || failures=$((failures + 1))
import os, stat, subprocess, sys
A = sys.argv[1]
SUF = {'hash': '.db', 'btree': '.db', 'lmdb': '.lmdb', 'cdb': '.cdb'}
bad = 0
for typ in SUF:
    for f in os.listdir('.'):
        if f.endswith(SUF[typ]):
            os.unlink(f)
    os.chmod('t', 0o644)
    p = subprocess.Popen([A, 'compile', '-c', 'cf', '%s:t' % typ])
    seen = {}
    while p.poll() is None:
        for e in os.scandir('.'):
            if e.name.endswith('.tmp'):
                try:
                    st = os.lstat(e.name)
                except FileNotFoundError:
                    continue
                seen[(e.name, st.st_mode, st.st_uid)] = 1
    if p.returncode != 0:
        print('FAIL: %s: compile exited %d' % (typ, p.returncode)); bad += 1
    modes = sorted({'%s %o' % ('reg' if stat.S_ISREG(m) else 'other', stat.S_IMODE(m))
                    for (_, m, _) in seen})
    owners = {u for (_, _, u) in seen}
    print('%s: temporary files seen %s, as %s' % (typ, sorted({n for (n, _, _) in seen}), modes))
    if not seen:
        print('FAIL: %s: no temporary file observed' % typ); bad += 1
    # 0600 while written; the final mode only at commit, just before rename.
    if modes and modes not in (['reg 600'], ['reg 600', 'reg 644']):
        print('FAIL: %s: temporary file modes %s, want reg 600 (then 644)' % (typ, modes)); bad += 1
    if owners and owners != {os.geteuid()}:
        print('FAIL: %s: owners %s' % (typ, owners)); bad += 1
    m = stat.S_IMODE(os.stat('t' + SUF[typ]).st_mode)
    if m != 0o644:
        print('FAIL: %s: new table mode %o, want 644 (umask 000)' % (typ, m)); bad += 1
sys.exit(1 if bad else 0)
PY

for type in hash lmdb cdb; do
    suf=.db; [ $type = lmdb ] && suf=.lmdb; [ $type = cdb ] && suf=.cdb
    printf 'a.example OK\n' > s; chmod 640 s; rm -f s$suf
    "$A" compile -c cf $type:s
    checks=$((checks + 1))
    [ "$(stat -c %a s$suf)" = 640 ] || fail "$type: new table from a 0640 source: $(stat -c %a s$suf)"
    chmod 604 s$suf; chmod 644 s
    "$A" compile -c cf $type:s
    checks=$((checks + 1))
    [ "$(stat -c %a s$suf)" = 604 ] || fail "$type: existing table mode not kept: $(stat -c %a s$suf)"
    # A symlink where the table goes: replaced, its target untouched.
    printf 'precious\n' > victim; cp victim victim.orig
    rm -f s$suf; ln -s victim s$suf
    run "$A" compile -c cf $type:s
    expect_rc 0 "$type: compile over a symlink"
    expect_same_file victim.orig victim "$type: symlink target untouched"
    checks=$((checks + 1))
    [ -f s$suf ] && [ ! -L s$suf ] || fail "$type: table is still a symlink"
    run postmap -c cf -q a.example $type:s
    expect_out OK "$type: new table readable"
done
finish
