#!/usr/bin/env bash
# reader_loop.sh - readers never see a missing, partial or broken table.
#
# For each type, COMPILES (default 12) compiles alternate between two
# 100000-entry sources (values tagged A or B) while two readers query the
# table in a loop: real `postmap -q` and `accessmap query`, each asking
# for a key near the end of the table.  Every read must succeed with the
# value of version A or B.  Prints the number of reads and failures.
set -u
: "${ACCESSMAP:?}"
command -v postmap >/dev/null || { echo "postmap not installed"; exit 77; }
mkdir -p cf && printf 'compatibility_level = 3.6\n' > cf/main.cf
exec python3 - "$ACCESSMAP" "${COMPILES:-12}" <<'PY'
import os, subprocess, sys, threading
A, COMPILES = sys.argv[1], int(sys.argv[2])
N = 100000
for tag in 'AB':
    with open('src' + tag, 'w') as f:
        for i in range(N):
            f.write('host%d.example.com %s %d\n' % (i, tag, i))
key = 'host%d.example.com' % (N - 7)
ok = {b'A %d\n' % (N - 7), b'B %d\n' % (N - 7)}
stats = {'reads': 0, 'failures': 0}
lock = threading.Lock()

def use(tag):
    if os.path.exists('t'):
        os.unlink('t')
    os.link('src' + tag, 't')

def reader(argv, stop):
    while not stop.is_set():
        p = subprocess.run(argv, capture_output=True)
        with lock:
            stats['reads'] += 1
            if p.returncode != 0 or p.stdout not in ok:
                stats['failures'] += 1
                if stats['failures'] <= 5:
                    print('FAIL: %s: exit %d, %r %r' % (argv[-1], p.returncode,
                                                       p.stdout, p.stderr[:200]))

for typ in ('hash', 'btree', 'lmdb', 'cdb'):
    use('A')
    subprocess.run([A, 'compile', '-c', 'cf', '%s:t' % typ], check=True)
    stop = threading.Event()
    before = stats['reads']
    threads = [threading.Thread(target=reader, args=(argv, stop), daemon=True) for argv in
               (['postmap', '-c', 'cf', '-q', key, '%s:t' % typ],
                [A, 'query', '-c', 'cf', key, '%s:t' % typ])]
    for t in threads:
        t.start()
    for i in range(COMPILES):
        use('BA'[i % 2])
        r = subprocess.run([A, 'compile', '-c', 'cf', '%s:t' % typ])
        if r.returncode != 0:
            stats['failures'] += 1; print('FAIL: compile %d exited %d' % (i, r.returncode))
    stop.set()
    for t in threads:
        t.join()
    print('%s: %d compiles, %d reads' % (typ, COMPILES, stats['reads'] - before))
print('reads %d during %d compiles, failures %d' % (stats['reads'], 4 * COMPILES,
                                                    stats['failures']))
sys.exit(1 if stats['failures'] else 0)
PY
