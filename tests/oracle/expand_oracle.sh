#!/usr/bin/env bash
# expand_oracle.sh - network keys compiled for Postfix give Postfix the
# answers accessmap means.
#
# Random source tables mix IPv4 networks, ranges, Postfix partial keys and
# single addresses that overlap a lot.  For every probe address the
# expected answer is the most specific entry (ties: the earlier line),
# computed here independently.  Postfix's answer is what real postmap finds
# for the keys smtpd tries (a.b.c.d, a.b.c, a.b, a: the first present
# wins; a DUNNO filler counts as none); accessmap's is `query --client`.
set -eu
command -v postmap >/dev/null || { echo "postmap not installed"; exit 77; }
A=${ACCESSMAP:?}
mkdir -p cf && printf 'compatibility_level = 3.6\n' > cf/main.cf

python3 - "$A" <<'PY'
import ipaddress, random, subprocess, sys
A = sys.argv[1]
total = 0
for seed in range(1, 9):
    rnd = random.Random(seed)
    base = int(ipaddress.IPv4Address('10.0.0.0')) + rnd.choice([0, 1 << 20])
    entries = []            # (lo, hi, line, value)
    lines = []
    for i in range(rnd.randint(20, 120)):
        form = rnd.random()
        if form < 0.45:
            plen = rnd.randint(9, 30)
            lo = (base + rnd.randrange(1 << 21)) & ~((1 << (32 - plen)) - 1)
            hi = lo + (1 << (32 - plen)) - 1
            key = '%s/%d' % (ipaddress.IPv4Address(lo), plen)
        elif form < 0.6:
            lo = base + rnd.randrange(1 << 21)
            hi = min(lo + rnd.randint(0, 3000), 0xffffffff)
            key = '%s-%s' % (ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi))
        elif form < 0.8:
            octets = rnd.choice([2, 3])
            a = base + rnd.randrange(1 << 21)
            shift = 32 - 8 * octets
            lo = a >> shift << shift
            hi = lo + (1 << shift) - 1
            key = '.'.join(str(ipaddress.IPv4Address(lo)).split('.')[:octets])
        else:
            lo = hi = base + rnd.randrange(1 << 21)
            key = str(ipaddress.IPv4Address(lo))
        value = rnd.choice(['REJECT e%d' % i, 'OK e%d' % i, '554 e%d no' % i])
        line = len(lines) + 1
        lines.append('%s %s' % (key, value))
        entries.append((lo, hi, line, value, key))
    lines.append('host.example OK named')
    # Equal keys: the first wins (compile warns); drop the later ones.
    seen, uniq = set(), []
    for e in entries:
        if e[4] in seen:
            continue
        seen.add(e[4]); uniq.append(e)
    with open('t%d' % seed, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    subprocess.run([A, 'compile', '-c', 'cf', 't%d' % seed], check=True,
                   stderr=subprocess.DEVNULL)
    probes = set()
    for lo, hi, *_ in uniq:
        for v in (lo - 1, lo, hi, hi + 1):
            if 0 <= v <= 0xffffffff:
                probes.add(v)
    for _ in range(1500):
        probes.add(base + rnd.randrange(1 << 21))
    probes = sorted(probes)
    def expected(v):
        best = None
        for lo, hi, line, value, key in uniq:
            if lo <= v <= hi and (best is None or (hi - lo, line) < best[0]):
                best = ((hi - lo, line), value)
        return best[1] if best else None
    # Postfix: the first of smtpd's keys that real postmap finds.
    keys = []
    for v in probes:
        o = str(ipaddress.IPv4Address(v)).split('.')
        keys += ['.'.join(o[:n]) for n in (4, 3, 2, 1)]
    out = subprocess.run(['postmap', '-c', 'cf', '-q', '-', 'hash:t%d' % seed],
                         input='\n'.join(keys) + '\n', capture_output=True,
                         text=True).stdout
    found = dict(l.split('\t', 1) for l in out.splitlines())
    am = subprocess.run([A, 'query', '-c', 'cf', '--client', '-', 't%d' % seed],
                        input='\n'.join(str(ipaddress.IPv4Address(v)) for v in probes) + '\n',
                        capture_output=True, text=True).stdout
    amfound = dict(l.split('\t', 1) for l in am.splitlines())
    # The source read directly: the networks are matched in memory.
    tx = subprocess.run([A, 'query', '-c', 'cf', '--client', '-', 'texthash:t%d' % seed],
                        input='\n'.join(str(ipaddress.IPv4Address(v)) for v in probes) + '\n',
                        capture_output=True, text=True).stdout
    txfound = dict(l.split('\t', 1) for l in tx.splitlines())
    bad = 0
    for v in probes:
        ip = str(ipaddress.IPv4Address(v))
        o = ip.split('.')
        pf = next((found['.'.join(o[:n])] for n in (4, 3, 2, 1)
                   if '.'.join(o[:n]) in found), None)
        if pf == 'DUNNO':
            pf = None
        want = expected(v)
        got = amfound.get(ip)
        if got == 'DUNNO':
            got = None
        src = txfound.get(ip)
        if pf != want or got != want or src != want:
            bad += 1
            if bad < 5:
                print('seed %d %s: want %r postfix %r accessmap %r texthash %r'
                      % (seed, ip, want, pf, got, src))
    total += len(probes)
    if bad:
        sys.exit('seed %d: %d of %d addresses disagree' % (seed, bad, len(probes)))
print('expand_oracle: %d addresses over 8 tables agree (expected = postfix = accessmap, compiled and texthash)' % total)
PY

# IPv6 networks and ranges in a source table: accessmap matches them in
# memory, most specific first (addresses beat networks, ties: earlier line).
python3 - "$A" <<'PY'
import ipaddress, random, subprocess, sys
A = sys.argv[1]
total = 0
for seed in range(1, 5):
    rnd = random.Random(100 + seed)
    base = int(ipaddress.IPv6Address('2001:db8::'))
    entries, lines = [], []
    for i in range(rnd.randint(20, 80)):
        form = rnd.random()
        if form < 0.5:
            plen = rnd.randint(100, 127)
            lo = (base + rnd.randrange(1 << 30)) & ~((1 << (128 - plen)) - 1)
            hi = lo + (1 << (128 - plen)) - 1
            key = '%s/%d' % (ipaddress.IPv6Address(lo), plen)
        elif form < 0.7:
            lo = base + rnd.randrange(1 << 30)
            hi = lo + rnd.randint(0, 1 << 20)
            key = '%s-%s' % (ipaddress.IPv6Address(lo), ipaddress.IPv6Address(hi))
        else:
            lo = hi = base + rnd.randrange(1 << 30)
            key = str(ipaddress.IPv6Address(lo))
        if key in (e[4] for e in entries):
            continue
        value = rnd.choice(['REJECT e%d' % i, 'OK e%d' % i])
        lines.append('%s %s' % (key, value))
        entries.append((lo, hi, len(lines), value, key))
    with open('v6t%d' % seed, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    probes = set()
    for lo, hi, *_ in entries:
        probes.update((lo - 1, lo, hi, hi + 1))
    for _ in range(500):
        probes.add(base + rnd.randrange(1 << 30))
    probes = sorted(probes)
    def expected(v):
        best = None
        for lo, hi, line, value, key in entries:
            if lo <= v <= hi and (best is None or (hi - lo, line) < best[0]):
                best = ((hi - lo, line), value)
        return best[1] if best else None
    out = subprocess.run([A, 'query', '-c', 'cf', '--client', '-', 'texthash:v6t%d' % seed],
                         input='\n'.join(str(ipaddress.IPv6Address(v)) for v in probes) + '\n',
                         capture_output=True, text=True, check=True).stdout
    got = dict(l.split('\t', 1) for l in out.splitlines())
    bad = [v for v in probes if got.get(str(ipaddress.IPv6Address(v))) != expected(v)]
    if bad:
        v = bad[0]
        sys.exit('seed %d: %d of %d IPv6 addresses disagree, e.g. %s: want %r got %r'
                 % (seed, len(bad), len(probes), ipaddress.IPv6Address(v), expected(v),
                    got.get(str(ipaddress.IPv6Address(v)))))
    total += len(probes)
print('expand_oracle: %d IPv6 addresses over 4 texthash tables agree with the expected answers' % total)
PY

# An IPv6 network cannot be expanded: compile fails with file:line and
# leaves the old table alone.
printf 'good.example OK\n' > v6 && "$A" compile -c cf v6
cp v6.db v6.db.before
printf 'good.example OK\n2001:db8::/32 REJECT v6 net\n' > v6
if "$A" compile -c cf v6 2> err; then echo "IPv6 network compiled"; exit 1; fi
grep -q '^v6:2: error: IPv6 network "2001:db8::/32"' err || { cat err; exit 1; }
cmp v6.db v6.db.before
# The cap on expansion.
printf '10.0.0.0/9 REJECT wide\n' > wide
if "$A" compile -c cf --max-expand 100 wide 2> err; then echo "cap ignored"; exit 1; fi
grep -q 'wide' err || { cat err; exit 1; }
[ ! -e wide.db ]
"$A" compile -c cf --no-expand wide
[ "$(postmap -c cf -q 10.0.0.0/9 hash:wide)" = "REJECT wide" ]
echo "expand_oracle: IPv6 refusal, cap and --no-expand behave"
