#!/usr/bin/env python3
# gen.py - deterministic benchmark data for bench/run.
#
#   gen.py table N SEED            access table source: KEY<TAB>VALUE lines
#   gen.py dump TYPE N SEED        the same entries as input for the storage
#                                  engine's loader: db_dump/mdb_dump "print"
#                                  format (hash, btree, lmdb), cdbmake (cdb)
#   gen.py keys KIND N M SEED      M lookup keys, half of them in the N-entry
#                                  table, half not (KIND: mixed, addr, name,
#                                  helo, sender)
#   gen.py cidr N SEED             a cidr table of N rules
#   gen.py cidrkeys M SEED         M IPv4 lookup keys
#
# Entry i of a table depends only on i and SEED, so keys >= N are absent
# from an N-entry table by construction.  Mix: 40% IPv4 addresses, 10%
# IPv6 addresses, 30% domain names, 20% e-mail addresses.
import random
import sys

WORDS = ("mail smtp mx relay spam bulk news shop info cloud host net "
         "web dyn pool static cust office lab edu corp").split()
TLDS = "com net org de fr uk io info biz nl".split()
VALUES = ["REJECT", "OK", "554 5.7.1 Access denied", "DUNNO",
          "REJECT spam source", "DISCARD", "450 4.7.1 Try again later"]
SPLIT_V4, SPLIT_V6, SPLIT_NAME = 40, 50, 80     # of 100


def addr4(i):
    # An odd multiplier permutes 32-bit integers: distinct i, distinct address.
    a = (i * 2654435761 + 0x0A000001) & 0xFFFFFFFF
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def addr6(i):
    a = (i * 0x9E3779B97F4A7C15 + 1) & 0xFFFFFFFFFFFFFFFF
    return "2001:db8:%x:%x:%x:%x:%x:%x" % (
        (i >> 16) & 0xFFFF | 1, i & 0xFFFF | 0x100, a >> 48 | 1,
        (a >> 32) & 0xFFFF | 1, (a >> 16) & 0xFFFF | 1, a & 0xFFFF | 1)


def mix(i, seed):
    """A 64-bit hash of (i, seed): splitmix64's finaliser."""
    z = (i * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9 + 1) \
        & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def name(i, r):
    nw, nt = len(WORDS), len(TLDS)
    return "%s%d.%s.%s" % (WORDS[r % nw], i, WORDS[(r >> 8) % nw],
                           TLDS[(r >> 16) % nt])


def email(i, r):
    return "%s.%d@%s" % (WORDS[(r >> 24) % len(WORDS)], i,
                         name(i, r).split(".", 1)[1])


def key(i, seed, kind="mixed"):
    r = mix(i, seed)
    if kind == "addr":
        return addr4(i)
    if kind in ("name", "helo"):
        return name(i, r)
    if kind == "sender":
        return email(i, r)
    slot = (i * 7919) % 100
    if slot < SPLIT_V4:
        return addr4(i)
    if slot < SPLIT_V6:
        return addr6(i)
    if slot < SPLIT_NAME:
        return name(i, r)
    return email(i, r)


def value(i):
    return VALUES[(i * 31) % len(VALUES)]


def table(n, seed, out):
    w = out.write
    for i in range(n):
        w("%s\t%s\n" % (key(i, seed), value(i)))


def dump(typ, n, seed, out):
    w = out.write
    if typ == "cdb":
        # tinycdb's cdbmake input; Postfix's cdb tables carry no NUL.
        for i in range(n):
            k, v = key(i, seed), value(i)
            w("+%d,%d:%s->%s\n" % (len(k), len(v), k, v))
        w("\n")
        return
    w("VERSION=3\nformat=print\ntype=%s\n"
      % ("btree" if typ == "lmdb" else typ))
    if typ == "lmdb":
        w("mapsize=%d\n" % max(1 << 26, n * 512))
    w("HEADER=END\n")
    for i in range(n):
        # Postfix stores keys and values with a trailing NUL (db, lmdb).
        w(" %s\\00\n %s\\00\n" % (key(i, seed), value(i)))
    w("DATA=END\n")


def keys(kind, n, m, seed, out):
    r = random.Random(seed ^ 0x5EED)
    w = out.write
    for j in range(m):
        i = r.randrange(n) if j % 2 == 0 else n + r.randrange(max(n, 1))
        k = key(i, seed, kind)
        if kind == "helo" and j % 4 == 0:
            k = "[%s]" % addr4(i)
        w(k + "\n")


def cidr(n, seed, out):
    r = random.Random(seed)
    w = out.write
    for i in range(n):
        p = r.choice((8, 12, 16, 20, 24, 24, 24, 28, 32, 32))
        a = r.getrandbits(32) & (0xFFFFFFFF << (32 - p)) & 0xFFFFFFFF
        w("%d.%d.%d.%d/%d\t%s\n" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255,
                                   a & 255, p, value(i)))


def cidrkeys(m, seed, out):
    r = random.Random(seed ^ 0xC1D)
    for _ in range(m):
        a = r.getrandbits(32)
        out.write("%d.%d.%d.%d\n" % (a >> 24, (a >> 16) & 255,
                                      (a >> 8) & 255, a & 255))


def main(argv):
    out = sys.stdout
    cmd = argv[1]
    if cmd == "table":
        table(int(argv[2]), int(argv[3]), out)
    elif cmd == "dump":
        dump(argv[2], int(argv[3]), int(argv[4]), out)
    elif cmd == "keys":
        keys(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), out)
    elif cmd == "cidr":
        cidr(int(argv[2]), int(argv[3]), out)
    elif cmd == "cidrkeys":
        cidrkeys(int(argv[2]), int(argv[3]), out)
    else:
        sys.exit("gen.py: unknown command %r" % cmd)


if __name__ == "__main__":
    main(sys.argv)
