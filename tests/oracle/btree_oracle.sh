#!/usr/bin/env bash
# btree_oracle.sh - a btree table written by accessmap is one libdb and
# Postfix accept as their own.
#
# accessmap writes btree pages itself (formats/bdb_btree_write.c), so real
# Postfix and libdb judge the result: for random tables (thousands of
# keys of mixed shape, several tree levels; with and without -N; one with
# a value long enough that libdb builds the table instead) it checks
#   (a) db_verify accepts the file, key order included;
#   (b) `postmap -q -` finds every source key with its value, and no
#       absent key;
#   (c) `postmap -i` can add and replace entries in the file in place,
#       after which db_verify still accepts it and `postmap -q -` finds
#       the old entries and the new ones.
# Each run uses its own config directory with a private main.cf.
set -u
: "${ACCESSMAP:?}"
for c in postmap db_verify python3; do
    command -v $c >/dev/null || { echo "$c not installed"; exit 77; }
done
exec python3 - "$ACCESSMAP" <<'PY'
import os, random, subprocess, sys

A = sys.argv[1]
os.makedirs('cf', exist_ok=True)
with open('cf/main.cf', 'w') as f:
    f.write('compatibility_level = 3.6\n')
rng = random.Random(20261125)
failures = 0
checks = 0

def fail(msg):
    global failures
    failures += 1
    print('FAIL: ' + msg)

def run(argv, stdin=b''):
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr

ALPHA = b'abcdefghijklmnopqrstuvwxyz0123456789.-_@:'

def random_key():
    shape = rng.randrange(5)
    if shape == 0:
        return b'%d.%d.%d.%d' % tuple(rng.randrange(256) for _ in range(4))
    if shape == 1:
        return b'user%d@host%d.example' % (rng.randrange(10**6), rng.randrange(1000))
    if shape == 2:      # long keys sharing long prefixes
        return b'x' * rng.randrange(100, 400) + b'%d' % rng.randrange(10**5)
    if shape == 3:      # UTF-8
        return 'stra\u00dfe%d.\u00e4rger.example' % rng.randrange(10**5)
    return bytes(rng.choice(ALPHA) for _ in range(rng.randrange(1, 60)))

def random_value():
    n = rng.randrange(1, 120)
    return bytes(rng.choice(ALPHA + b' ') for _ in range(n)).strip() or b'OK'

def build_table(n, long_value=False):
    table = {}
    while len(table) < n:
        k = random_key()
        if isinstance(k, str):
            k = k.encode()
        table[k] = random_value()
    if long_value:
        table[b'long.example'] = b'L' * 3000
    return table

def query(name, keys, opts=()):
    """postmap's answers for keys: {key: value}."""
    rc, out, err = run(['postmap', '-c', 'cf', *opts, '-q', '-',
                        'btree:' + name], b'\n'.join(keys) + b'\n')
    if rc not in (0, 1):
        fail('%s: postmap -q failed: %s' % (name, err.decode(errors='replace')))
    got = {}
    for line in out.split(b'\n'):
        if line:
            k, _, v = line.partition(b'\t')
            got[k] = v
    return got

def verify(name, when):
    global checks
    checks += 1
    rc, out, err = run(['db_verify', name + '.db'])
    if rc != 0:
        fail('%s: db_verify %s: %s' % (name, when,
                                       (out + err).decode(errors='replace')))

def check_lookups(name, table, opts, when):
    global checks
    absent = [b'absent%d.example' % i for i in range(50)]
    absent += [k + b'x' for k in list(table)[:50]]
    absent = [k for k in absent if k not in table]
    got = query(name, list(table) + absent, opts)
    checks += len(table) + len(absent)
    bad = [k for k in table if got.get(k) != table[k]]
    if bad:
        fail('%s %s: %d of %d keys wrong, e.g. %r: %r, want %r' % (
            name, when, len(bad), len(table), bad[0], got.get(bad[0]),
            table[bad[0]]))
    extra = [k for k in absent if k in got]
    if extra:
        fail('%s %s: absent key found: %r' % (name, when, extra[0]))

def one(name, n, nul=True, long_value=False):
    table = build_table(n, long_value)
    keys = list(table)
    rng.shuffle(keys)
    with open(name, 'wb') as f:
        for k in keys:
            f.write(k + b' ' + table[k] + b'\n')
    opts = () if nul else ('-N',)
    rc, out, err = run([A, 'compile', '-c', 'cf', *opts, 'btree:' + name])
    if rc != 0:
        fail('%s: accessmap compile: %s' % (name, err.decode(errors='replace')))
        return
    verify(name, 'after compile')
    check_lookups(name, table, opts, 'after compile')
    # postmap -i: new keys everywhere in the key space, some replaced.
    add = {}
    for k in rng.sample(keys, min(200, len(keys))):
        add[k] = (b'REPLACED ' + table[k][:20]).strip()
    while len(add) < 2000:
        k = random_key()
        if isinstance(k, str):
            k = k.encode()
        if k not in table:
            add[k] = b'NEW %d' % len(add)
    rc, out, err = run(['postmap', '-c', 'cf', *opts, '-r', '-i',
                        'btree:' + name],
                       b''.join(k + b' ' + v + b'\n' for k, v in add.items()))
    if rc != 0:
        fail('%s: postmap -i: %s' % (name, err.decode(errors='replace')))
        return
    table.update(add)
    verify(name, 'after postmap -i')
    check_lookups(name, table, opts, 'after postmap -i')

one('t_small', 10)
one('t_deep', 40000)
one('t_raw', 20000, nul=False)
one('t_long', 5000, long_value=True)
if failures:
    print('%d failure(s) in %d checks' % (failures, checks))
    sys.exit(1)
print('ok: %d checks' % checks)
PY
