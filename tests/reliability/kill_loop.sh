#!/usr/bin/env bash
# kill_loop.sh - a compile killed at any point loses nothing.
#
# For each type, a table built from a small source is the "previous"
# table.  Then a compile of a large source (200000 entries) is started
# again and again and killed with SIGKILL after a random delay spread over
# the whole run (measured first, plus 20%).  After every kill the table
# must either be byte-identical to the previous one (cmp) or, when the
# kill came after the rename, be the complete new table; either way real
# `postmap -q` must read it.  Killed runs cannot remove their temporary
# file: those are counted, must never be the table itself, and are then
# removed.  KILLS (default 15 per type) sets the number of faults.
set -u
: "${ACCESSMAP:?}"
command -v postmap >/dev/null || { echo "postmap not installed"; exit 77; }
mkdir -p cf && printf 'compatibility_level = 3.6\n' > cf/main.cf
exec python3 - "$ACCESSMAP" "${KILLS:-15}" <<'PY'
import os, random, signal, subprocess, sys, time
A, KILLS = sys.argv[1], int(sys.argv[2])
SUF = {'hash': '.db', 'btree': '.db', 'lmdb': '.lmdb', 'cdb': '.cdb'}
N = 200000
rnd = random.Random(20261125)
with open('big', 'w') as f:
    for i in range(N):
        f.write('host%d.Example.COM REJECT blocked %d\n' % (i, i))
with open('small', 'w') as f:
    f.write('old.example OLD\nhost7.example.com PREVIOUS\n')

def q(typ, key):
    p = subprocess.run(['postmap', '-c', 'cf', '-q', key, '%s:t' % typ],
                       capture_output=True)
    return p.returncode, p.stdout.decode().strip()

failures = 0
total = {'faults': 0, 'kept': 0, 'replaced': 0, 'tmp_left': 0, 'reads': 0}
for typ in ('hash', 'btree', 'lmdb', 'cdb'):
    for f in os.listdir('.'):
        if f.startswith('t') or f.endswith('.tmp'):
            os.unlink(f)
    os.link('small', 't')
    subprocess.run([A, 'compile', '-c', 'cf', '%s:t' % typ], check=True)
    old = open('t' + SUF[typ], 'rb').read()
    os.unlink('t'); os.link('big', 't')
    t0 = time.monotonic()
    subprocess.run([A, 'compile', '-c', 'cf', '%s:t' % typ], check=True)
    full = time.monotonic() - t0
    with open('t' + SUF[typ] + '.new', 'wb') as f:
        f.write(open('t' + SUF[typ], 'rb').read())
    def restore():
        with open('.restore', 'wb') as f:
            f.write(old)
        os.rename('.restore', 't' + SUF[typ])
    restore()
    for k in range(KILLS):
        delay = rnd.uniform(0, full * 1.2)
        p = subprocess.Popen([A, 'compile', '-c', 'cf', '%s:t' % typ])
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        total['faults'] += 1
        now = open('t' + SUF[typ], 'rb').read()
        total['reads'] += 2
        if now == old:
            total['kept'] += 1
            if q(typ, 'old.example') != (0, 'OLD') or q(typ, 'host7.example.com') != (0, 'PREVIOUS'):
                failures += 1; print('FAIL: %s kill %d: old table unreadable' % (typ, k))
        else:
            total['replaced'] += 1
            # After the rename: it must be the whole new table.
            if (q(typ, 'host%d.example.com' % (N - 1)) != (0, 'REJECT blocked %d' % (N - 1))
                    or q(typ, 'old.example')[0] != 1):
                failures += 1; print('FAIL: %s kill %d at %.3fs: table neither old nor complete'
                                     % (typ, k, delay))
            restore()
        # Ours (.t.db.XXXX.tmp) and libdb's own (__db..t.db.XXXX.tmp).
        tmps = [f for f in os.listdir('.') if f.endswith('.tmp')]
        total['tmp_left'] += len(tmps)
        for f in tmps:
            os.unlink(f)
    print('%s: full compile %.2fs, %d kills' % (typ, full, KILLS))
print('faults injected %d: previous table byte-identical %d, complete new table %d, '
      'postmap -q reads %d, temporary files left by killed runs %d (removed), failures %d'
      % (total['faults'], total['kept'], total['replaced'], total['reads'],
         total['tmp_left'], failures))
sys.exit(1 if failures else 0)
PY
