#!/usr/bin/env bash
# compile_oracle.sh - accessmap compile builds what postmap builds.
#
# For hash, btree, lmdb and cdb, every case below is built twice from the
# same source, once by real `postmap` and once by `accessmap compile`, in
# separate directories, with the same options and a private main.cf.
# For each pair it checks:
#   (a) the stored records are identical: the sorted (key, value) byte
#       strings from db_dump -p / mdb_dump -n -p / the cdb file itself;
#   (b) `postmap -q -` answers every probe key identically on both tables
#       (present and absent keys, mixed case, non-ASCII, invalid UTF-8);
#   (c) `accessmap query -` on the postmap-built table answers as postmap;
#   and both tools agree on success or failure, file mode and owner.
# Probes: keys of the source in several case forms plus absent ones.
set -u
: "${ACCESSMAP:?}"
for c in postmap db_dump mdb_dump python3; do
    command -v $c >/dev/null || { echo "$c not installed"; exit 77; }
done
exec python3 - "$ACCESSMAP" <<'PY'
import os, random, shutil, struct, subprocess, sys

A = sys.argv[1]
TYPES = ['hash', 'btree', 'lmdb', 'cdb']
SUFFIX = {'hash': '.db', 'btree': '.db', 'lmdb': '.lmdb', 'cdb': '.cdb'}
ROOT = os.getcwd()
for name, extra in (('cf', ''), ('cfnu', 'smtputf8_enable = no\n')):
    os.makedirs(name, exist_ok=True)
    with open(os.path.join(name, 'main.cf'), 'w') as f:
        f.write('compatibility_level = 3.6\n' + extra)

def run(argv, stdin=b''):
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr

def unprint(s):
    """Undo db_dump/mdb_dump -p escaping: backslash + two hex digits."""
    out, i = bytearray(), 0
    while i < len(s):
        if s[i:i+1] == b'\\':
            if s[i+1:i+2] == b'\\':
                out += b'\\'; i += 2; continue
            out.append(int(s[i+1:i+3], 16)); i += 3
        else:
            out += s[i:i+1]; i += 1
    return bytes(out)

def dump_records(typ, path):
    if typ == 'cdb':
        data = open(path, 'rb').read()
        end = min(struct.unpack_from('<I', data, 8 * i)[0] for i in range(256))
        pos, recs = 2048, []
        while pos < end:
            kl, vl = struct.unpack_from('<II', data, pos)
            pos += 8
            recs.append((data[pos:pos+kl], data[pos+kl:pos+kl+vl]))
            pos += kl + vl
        return sorted(recs)
    argv = ['db_dump', '-p', path] if typ != 'lmdb' else ['mdb_dump', '-n', '-p', path]
    rc, out, err = run(argv)
    if rc != 0:
        raise RuntimeError('%s failed: %s' % (argv, err.decode(errors='replace')))
    lines = out.split(b'\n')
    body = lines[lines.index(b'HEADER=END') + 1:lines.index(b'DATA=END')]
    assert len(body) % 2 == 0
    return sorted((unprint(body[i][1:]), unprint(body[i+1][1:]))
                  for i in range(0, len(body), 2))

def case_forms(k):
    forms = {k, k.upper(), k.lower(), k.swapcase(), k + b'x', b'x' + k}
    try:
        u = k.decode()
        forms |= {u.upper().encode(), u.title().encode(), u.casefold().encode()}
    except UnicodeDecodeError:
        pass
    return [f for f in forms if f and b'\n' not in f]

ABSENT = [b'absent.example', b'ABSENT.EXAMPLE', 'Straße.example'.encode(),
          'STRASSE.EXAMPLE'.encode(), 'ärger.example'.encode(),
          'ÄRGER.EXAMPLE'.encode(), b'bad\xff.example', b'\xc3', b'#',
          b'k with space', b'192.0.2.10', b'@example.com']

def probes_for(src):
    keys = set()
    for line in src.replace(b'\r', b'').split(b'\n'):
        if not line or line[:1] in b' \t#':
            continue
        keys.add(line.split()[0] if line.split() else line)
    out = []
    for k in sorted(keys):
        out += case_forms(k)
    out += ABSENT
    return b'\n'.join(sorted(set(out))) + b'\n'

failures = 0
known = []
checks = {'records': 0, 'probes': 0, 'cases': 0}

def fail(msg):
    global failures
    failures += 1
    print('FAIL: ' + msg)

def file_id(path):
    st = os.stat(path)
    return '%o %d:%d' % (st.st_mode & 0o7777, st.st_uid, st.st_gid)

def one(name, typ, src, opts=(), cf='cf', stdin=None, base=None,
        qopts=(), src_mode=None, src_owner=None, expect_fail=False):
    """Build src both ways; compare.  base: source built first (plain),
    then src goes through stdin with opts (-i)."""
    tag = '%s/%s' % (name, typ)
    if typ == 'cdb' and '-i' in opts:
        known.append('%s: postmap cannot update a cdb table (-i); not compared' % tag)
        return
    checks['cases'] += 1
    results = {}
    for who in ('p', 'a'):
        d = os.path.join(ROOT, 'w', name, typ, who)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        path = os.path.join(d, 't')
        with open(path, 'wb') as f:
            f.write(base if base is not None else src)
        if src_mode is not None:
            os.chmod(path, src_mode)
        if src_owner is not None:
            os.chown(path, *src_owner)
            os.chmod(d, 0o777)
        tool = ['postmap'] if who == 'p' else [A, 'compile']
        if base is not None:
            rc, _, err = run(tool + ['-c', cf, '%s:%s' % (typ, path)])
            if rc != 0:
                fail('%s: %s base build failed: %s' % (tag, who, err)); return
            rc, _, err = run(tool + ['-c', cf] + list(opts) + ['%s:%s' % (typ, path)], src)
        else:
            rc, _, err = run(tool + ['-c', cf] + list(opts) + ['%s:%s' % (typ, path)],
                             stdin or b'')
        results[who] = (rc, err, path)
    (prc, perr, ppath), (arc, aerr, apath) = results['p'], results['a']
    if (prc == 0) != (arc == 0):
        fail('%s: postmap exit %d, accessmap exit %d\n  postmap: %s\n  accessmap: %s'
             % (tag, prc, arc, perr.decode(errors='replace'),
                aerr.decode(errors='replace')))
        return
    if expect_fail and arc == 0:
        fail('%s: expected both builds to fail' % tag); return
    if arc != 0:
        return results
    pdb, adb = ppath + SUFFIX[typ], apath + SUFFIX[typ]
    if file_id(pdb) != file_id(adb):
        fail('%s: mode/owner: postmap %s, accessmap %s' % (tag, file_id(pdb), file_id(adb)))
    # postmap -w on cdb appends every duplicate (tinycdb CDB_PUT_ADD), and
    # so does accessmap: the records are compared as they are.
    prec, arec = dump_records(typ, pdb), dump_records(typ, adb)
    checks['records'] += len(prec)
    if prec != arec:
        ps, as_ = set(prec), set(arec)
        fail('%s: stored records differ (%d vs %d); only postmap: %r; only accessmap: %r'
             % (tag, len(prec), len(arec), sorted(ps - as_)[:5], sorted(as_ - ps)[:5]))
    probes = probes_for((base or b'') + b'\n' + src)
    checks['probes'] += probes.count(b'\n')
    q = ['postmap', '-c', cf] + list(qopts) + ['-q', '-']
    r1 = run(q + ['%s:%s' % (typ, ppath)], probes)
    r2 = run(q + ['%s:%s' % (typ, apath)], probes)
    r3 = run([A, 'query', '-c', cf] + list(qopts) + ['-', '%s:%s' % (typ, ppath)], probes)
    if r1[:2] != r2[:2]:
        fail('%s: postmap -q - answers differ between the tables: %r vs %r'
             % (tag, set(r1[1].split(b'\n')) ^ set(r2[1].split(b'\n')), (r1[0], r2[0])))
    if (r1[0], r1[1]) != (r3[0], r3[1]):
        fail('%s: accessmap query - differs from postmap -q - on postmap\'s table: '
             'exit %d vs %d, diff %r' % (tag, r1[0], r3[0],
                                         sorted(set(r1[1].split(b'\n')) ^ set(r3[1].split(b'\n')))[:6]))
    return results

# ---- sources ---------------------------------------------------------------
basic = (b'# a comment\n'
         b'\n'
         b'   \n'
         b'Example.COM\tREJECT  go away  \n'
         b'localhost REJECT Only I am me\n'
         b'127.0.0.1 REJECT Only I am me\n'
         b'long.example REJECT first\n'
         b'  second part\n'
         b'# inner comment\n'
         b'\n'
         b'\tthird part\n'
         b'trailing.example OK # not a comment\n'
         b'keyonly\n'
         b'keyspace   \n'
         b'key: value\n'
         b'"x y"@example.com quoted\n'
         b'a\\ b escaped\n'
         b'"unbalanced value\n'
         b'user@Example.Org\t\tDISCARD\n'
         b'nolf.example no newline')
crlf = (b'a.example b\r\n\r\nc.example d\r\n'
        b'cont.example first\r\n  second\r\n'
        b'onlycr\r\n'
        b'tab.example\tTAB\tSEP\r\n')
leading = b'  leading.example OK\nnormal.example OK\n'
dups = (b'a.example FIRST\nA.EXAMPLE SECOND\na.example THIRD\n'
        b'b.example one\nb.example two\n')
utf8 = ('STRASSE.example A\nStraße.example B\nÄRGER.example C\n'
        'ÉCOLE.example D\nİstanbul.example E\nΣΊΣΥΦΟΣ.example F\n'
        'user@BÜCHER.example G\nplain.example H\n').encode()
badutf8 = (b'\xff\xfe.example D\nkey \xff\nok.example fine\n'
           b'latin1.example caf\xe9\nover\xc0\xaf.example x\n'
           b'good\xc3\xa9.example E\n')
longkv = (b'k' * 400 + b'.example ' + b'v' * 20000 + b'\n'
          + b'short.example ' + b'w' * 70000 + b'\n'
          + b'x' * 300 + b' y\n')
lmdb_ok = b'k' * 510 + b' fits\n' + b'k' * 509 + b'z fits2\n'
lmdb_big = b'good.example OK\n' + b'k' * 600 + b' toolong\n'

def randomized(seed, n):
    r = random.Random(seed)
    words = ['mail', 'smtp', 'Example', 'TEST', 'relay', 'host', 'mx', 'spam',
             'büro', 'ÖSTER', 'δοκιμή', 'Straße', 'foo', 'bar']
    tlds = ['com', 'ORG', 'net', 'example', 'de', 'invalid']
    keys, out = [], []
    for i in range(n):
        x = r.random()
        if x < 0.05:
            out.append('# comment %d' % i); continue
        if x < 0.08:
            out.append(''); continue
        if keys and x < 0.15:
            k = r.choice(keys)
            k = r.choice([k, k.upper(), k.swapcase()])
        else:
            k = '.'.join(r.choice(words) + str(r.randrange(50))
                         for _ in range(r.randint(1, 3))) + '.' + r.choice(tlds)
            if r.random() < 0.2:
                k = r.choice(['user', 'Postmaster', 'ab.c']) + '@' + k
            keys.append(k)
        v = r.choice(['OK', 'REJECT', 'DISCARD', '550 5.7.1 no %d' % i,
                      'REJECT  spaced   out %d' % i, 'DUNNO'])
        if r.random() < 0.02:
            v += ' ' + 'L' * r.randint(500, 5000)
        sep = r.choice([' ', '\t', '  \t '])
        line = k + sep + v + r.choice(['', ' ', '\t'])
        if r.random() < 0.05:
            line += '\n' + r.choice([' ', '\t']) + 'continued %d' % i
        out.append(line)
    text = '\n'.join(out) + '\n'
    if seed % 2:
        text = text.replace('\n', '\r\n')
    return text.encode()

# ---- cases -----------------------------------------------------------------
for typ in TYPES:
    one('basic', typ, basic)
    one('crlf', typ, crlf)
    one('leading', typ, leading)
    one('dups', typ, dups)
    one('dups-w', typ, dups, opts=['-w'])
    one('dups-r', typ, dups, opts=['-r'])
    one('dups-rw', typ, dups, opts=['-r', '-w'])
    one('nul-N', typ, basic, opts=['-N'])
    one('nul-n', typ, basic, opts=['-n'])
    one('fold-f', typ, basic + b'\n' + utf8, opts=['-f'], qopts=['-f'])
    one('incr', typ, b'new.example NEW\nA.example CHANGED\nlocalhost X\n',
        opts=['-i'], base=dups + basic)
    one('incr-r', typ, b'new.example NEW\nA.example CHANGED\n',
        opts=['-i', '-r'], base=dups)
    one('incr-n', typ, b'new.example NEW\n', opts=['-i', '-n'], base=dups)
    one('mode600', typ, basic, src_mode=0o600)
    one('mode640', typ, basic, src_mode=0o640)
    one('mode-p', typ, basic, opts=['-p'], src_mode=0o600)
    if os.geteuid() == 0:
        one('owner', typ, basic, src_owner=(65534, 65534))
        one('owner-o', typ, basic, opts=['-o'], src_owner=(65534, 65534))
    one('utf8', typ, utf8)
    one('utf8-u', typ, utf8, opts=['-u'], qopts=['-u'])
    one('utf8-U', typ, utf8, opts=['-U'])
    one('utf8-nosmtputf8', typ, utf8, cf='cfnu')
    one('badutf8', typ, badutf8)
    one('badutf8-u', typ, badutf8, opts=['-u'], qopts=['-u'])
    one('badutf8-nosmtputf8', typ, badutf8, cf='cfnu')
    one('long', typ, longkv)
    one('random1', typ, randomized(1, 3000))
    one('random2', typ, randomized(2, 3000), opts=['-r'])
    one('random3', typ, randomized(3, 2000), cf='cfnu')

one('lmdb-511', 'lmdb', lmdb_ok)

# An LMDB key over the limit: both fail, and both keep the old table.
for who, tool in (('p', ['postmap']), ('a', [A, 'compile'])):
    d = os.path.join(ROOT, 'w', 'lmdb-big', who)
    shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
    path = os.path.join(d, 't')
    open(path, 'wb').write(b'old.example OLD\n')
    run(tool + ['-c', 'cf', 'lmdb:' + path])
    before = open(path + '.lmdb', 'rb').read()
    open(path, 'wb').write(lmdb_big)
    rc, _, err = run(tool + ['-c', 'cf', 'lmdb:' + path])
    checks['cases'] += 1
    if rc == 0:
        fail('lmdb-big/%s: a 600-byte LMDB key was accepted' % who)
    rc, out, _ = run(['postmap', '-c', 'cf', '-q', 'old.example', 'lmdb:' + path])
    if (rc, out) != (0, b'OLD\n'):
        fail('lmdb-big/%s: old table no longer answers: %d %r' % (who, rc, out))
    if who == 'a':
        if open(path + '.lmdb', 'rb').read() != before:
            fail('lmdb-big/a: the old table changed')
        if b't:2' not in err:
            fail('lmdb-big/a: no FILE:LINE in the message: %r' % err)
        left = [f for f in os.listdir(d) if f not in ('t', 't.lmdb')]
        if left:
            fail('lmdb-big/a: files left behind: %r' % left)

for k in known:
    print('known difference: ' + k)
print('cases %d, records compared %d, probe keys %d (each answered by three '
      'lookups), failures %d' % (checks['cases'], checks['records'],
                                  checks['probes'], failures))
sys.exit(1 if failures else 0)
PY
