#!/usr/bin/env python3
"""cidr_gen.py - random cidr tables and lookup keys for differential tests.

    cidr_gen.py SEED NRULES NKEYS TABLE KEYS

Writes a cidr_table(5) source with NRULES-ish rules to TABLE and NKEYS
lookup keys to KEYS, both reproducible from SEED.  The table mixes what
real files hold with what they get wrong: IPv4 and IPv6 networks of every
length crowded into a few ranges so that they overlap, bare addresses,
bracket forms, '!' negation, nested IF/ENDIF blocks (some never closed),
non-canonical networks, bad masks and addresses, stray ENDIFs, missing
values, comments and blank lines, and indentation mistakes that turn a
rule into a continuation of the line before.  Keys are biased to the
first and last address of each network and their neighbours, written in
several text forms, plus texts that are not addresses at all.
"""
import ipaddress
import random
import sys

V4_CLUSTERS = [(0x0A000000, 8), (0xC0A80000, 16), (0xAC100000, 12),
               (0xC0000200, 24), (0, 0)]
V6_CLUSTERS = [(0x20010DB8 << 96, 32), (0x20010DB80001 << 80, 48),
               (0xFFFF << 32, 96), (0xFE80 << 112, 10), (0, 0), (0, 96)]


def pick_prefix(rng, bits, progress, in_block):
    """Mostly hosts and small networks.  A broad network early in the file
    would answer for everything after it, so broad ones grow likelier
    towards the end of the file (as in real tables) and inside blocks."""
    r = rng.random()
    if r < 0.35:
        return bits
    if r < 0.85 or rng.random() > max(progress ** 3, 0.5 * in_block):
        return rng.randint(bits * 3 // 4, bits)
    if rng.random() < 0.9:
        return rng.randint(bits // 4, bits * 3 // 4)
    return rng.randint(0, bits // 4)


def random_addr(rng, v6):
    clusters = V6_CLUSTERS if v6 else V4_CLUSTERS
    bits = 128 if v6 else 32
    base, plen = rng.choice(clusters)
    host = rng.getrandbits(bits - plen) if plen < bits else 0
    mask = ((1 << bits) - 1) ^ ((1 << (bits - plen)) - 1)
    return (base & mask) | host


def text4(a, rng=None):
    return str(ipaddress.IPv4Address(a))


def text6(a, rng):
    ip = ipaddress.IPv6Address(a)
    style = rng.random()
    if style < 0.55:
        s = ip.compressed
    elif style < 0.65:
        s = ip.exploded                       # zero padded
    elif style < 0.75:
        s = ':'.join('%x' % int(g, 16) for g in ip.exploded.split(':'))
    elif style < 0.85 and a >> 32 in (0, 0xFFFF):
        # Dotted quad tail, as ::ffff:1.2.3.4 or ::1.2.3.4.
        head = '::ffff:' if a >> 32 == 0xFFFF else '::'
        s = head + str(ipaddress.IPv4Address(a & 0xFFFFFFFF))
    else:
        s = ip.compressed
    if rng.random() < 0.2:
        s = s.upper()
    return s


def addr_text(a, v6, rng):
    return text6(a, rng) if v6 else text4(a)


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.lines = []
        self.nets = []          # (v6, lo, hi) of every network written
        self.depth = 0
        self.blocks = []        # per open IF: is it negated?
        self.n = 0
        self.nrules = 1
        self.in_if = False      # making an IF pattern

    def value(self):
        rng = self.rng
        self.n += 1
        v = 'r%d' % self.n
        r = rng.random()
        if r < 0.15:
            v += rng.choice([' REJECT  spaced  text', '\tTAB\tvalue',
                             ' OK', ' DUNNO   '])
        elif r < 0.20:
            v += rng.choice(['\r', ' trailing   ', '\t'])
        return v

    def network(self, canonical=True):
        """A pattern text and its network, maybe non-canonical."""
        rng = self.rng
        v6 = rng.random() < 0.4
        bits = 128 if v6 else 32
        a = random_addr(rng, v6)
        form = rng.random()
        if form < 0.25:
            plen = bits
            text = addr_text(a, v6, rng)         # a bare address
        else:
            plen = pick_prefix(rng, bits, self.n / self.nrules,
                               self.depth > 0 or self.in_if)
            hostmask = (1 << (bits - plen)) - 1
            if canonical:
                a &= ~hostmask
            text = '%s/%d' % (addr_text(a, v6, rng), plen)
        if rng.random() < 0.08:
            # Bracket forms: [addr], [addr]/N, [addr/N].
            if '/' in text:
                ad, m = text.split('/')
                text = rng.choice(['[%s]/%s' % (ad, m), '[%s/%s]' % (ad, m)])
            else:
                text = '[%s]' % text
        hostmask = (1 << (bits - plen)) - 1
        lo = a & ~hostmask
        return text, v6, lo, lo | hostmask, a != lo

    def bang(self):
        # A negated rule matches nearly its whole family, so at top level
        # it would hide every rule after it: rare there, common inside a
        # (positive) block, which confines it.
        rng = self.rng
        inside = self.blocks and not self.blocks[-1]
        if rng.random() >= (0.15 if inside else 0.003):
            return ''
        return rng.choice(['!', '! ', '!!', '! !', '!\t', '!!!'])

    def rule(self):
        text, v6, lo, hi, _ = self.network()
        self.nets.append((v6, lo, hi))
        sep = self.rng.choice([' ', '\t', '   '])
        return '%s%s%s%s' % (self.bang(), text, sep, self.value())

    def bad_rule(self):
        rng = self.rng
        text, v6, lo, hi, _ = self.network(canonical=False)
        a4 = text4(random_addr(rng, False))
        choices = [
            lambda: text + ' ' + self.value(),             # maybe host bits
            lambda: a4 + '/33 x',
            lambda: '::/129 x',
            lambda: a4.rsplit('.', 1)[0] + '.0/x x',
            lambda: a4 + '/ x',
            lambda: a4 + '/+4 x',
            # Masks Postfix takes modulo 256 (/8 and /0): late in the
            # file, for they cover a lot.
            lambda: (rng.choice(['10.0.0.0/264 ', '0.0.0.0/256 '])
                     if self.n > 0.95 * self.nrules
                     else '10.1.2.3/257 ') + self.value(),
            lambda: a4 + '/4294967304 x',
            lambda: a4 + '/99999999999999999999 x',
            lambda: '999.1.1.1 x',
            lambda: '0' + a4 + ' x',
            lambda: a4.rsplit('.', 1)[0] + ' x',
            lambda: 'mail.example.com x',
            lambda: '[' + a4 + ' x',
            lambda: '[' + a4 + ']x x',
            lambda: '[' + a4 + '/24]/8 x',
            lambda: a4 + '/24/5 x',
            lambda: text,                                # no value
            lambda: '!',
            lambda: 'if',
            lambda: 'IF ' + rng.choice(['!', '']) + '   ',
            lambda: 'endif x',
            lambda: 'ENDIF.',
            lambda: 'if10.0.0.0/8',
            lambda: 'fe80::1%eth0 x',
            lambda: '1:2:3:4:5:6:7:8:9 x',
        ]
        return rng.choice(choices)()

    def if_line(self):
        rng = self.rng
        self.in_if = True
        text, v6, lo, hi, _ = self.network()
        self.in_if = False
        kw = rng.choice(['if', 'IF', 'If', 'iF'])
        neg = rng.choice(['', '', '', '!', '! ', '!!'])
        self.blocks.append(neg.count('!') % 2 == 1)
        return '%s %s%s%s' % (kw, neg, text, rng.choice(['', ' ', '\t']))

    def endif_line(self):
        return self.rng.choice(['endif', 'ENDIF', 'EndIf', 'endif  '])

    def generate(self, nrules):
        rng = self.rng
        self.nrules = nrules
        out = self.lines
        last = None             # the IF or ENDIF just written, if any
        if rng.random() < 0.3:
            out.append(rng.choice([' ', '\t']) + self.rule())  # first line
        while self.n < nrules:
            r = rng.random()
            if r < 0.04:
                out.append(rng.choice(['', '# comment', '   ', '\t# x',
                                       '#', '  # indented comment']))
                continue
            # An indented line continues the one before: the mistake the
            # cidr_table man page warns about.  It spoils an IF or ENDIF
            # just before it, so the block bookkeeping is undone.
            indent = rng.choice([' ', '  ', '\t']) if r < 0.08 else ''
            if indent and last is not None:
                if last[0] == 'if':
                    self.depth -= 1
                    self.blocks.pop()
                else:
                    self.depth += 1
                    self.blocks.append(last[1])
            last = None
            r = rng.random()
            if r < 0.08 and self.depth < 5 and not indent:
                line = self.if_line()
                self.depth += 1
                last = ('if',)
            elif r < 0.16 and self.depth > 0 and not indent:
                self.depth -= 1
                last = ('endif', self.blocks.pop())
                line = self.endif_line()
            elif r < 0.28:
                line = self.bad_rule()
                self.n += 1
            else:
                line = self.rule()
            out.append(indent + line)
        # Close some blocks, leave others open.
        while self.depth > 0 and rng.random() < 0.7:
            out.append(self.endif_line())
            self.depth -= 1
            self.blocks.pop()

    def text(self):
        rng = self.rng
        s = ''
        for line in self.lines:
            s += line + ('\r\n' if rng.random() < 0.01 else '\n')
        if rng.random() < 0.3:
            s = s[:-1]                      # no newline at the end
        return s

    def keys(self, nkeys):
        rng = self.rng
        keys = []
        nonaddr = ['', 'foo.example', '[10.1.1.1]', '[::1]', 'fe80::1%eth0',
                   '01.2.3.4', '10.1.1', '1.2.3.4.5', '10.0.0.1\r',
                   ' 10.0.0.1', '10.0.0.1 ', '::ffff:01.2.3.4', '::g',
                   '10.0.0.0/8', '1:2:3:4:5:6:7:8:9', 'localhost', '::',
                   '0.0.0.0', '255.255.255.255',
                   'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']
        while len(keys) < nkeys:
            r = rng.random()
            if r < 0.03:
                keys.append(rng.choice(nonaddr))
                continue
            if r < 0.75 and self.nets:
                v6, lo, hi = rng.choice(self.nets)
                bits = 128 if v6 else 32
                a = rng.choice([lo, hi, lo - 1, hi + 1,
                                rng.randint(lo, hi)]) % (1 << bits)
            else:
                v6 = rng.random() < 0.4
                a = random_addr(rng, v6)
            keys.append(addr_text(a, v6, rng))
        return keys


def main():
    seed, nrules, nkeys = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    g = Gen(seed)
    g.generate(nrules)
    with open(sys.argv[4], 'w', newline='') as f:
        f.write(g.text())
    with open(sys.argv[5], 'w', newline='') as f:
        for k in g.keys(nkeys):
            f.write(k + '\n')


if __name__ == '__main__':
    main()
