#!/usr/bin/env python3
# bench.py - the benchmark driver behind `make bench` (run by bench/run).
#
# Generates seeded data (bench/gen.py), runs every comparison with both
# contenders in the same run, alternating which goes first, REPS times,
# and appends one TSV row per measurement to RESULTS/*.tsv; then
# bench/report.py turns the TSVs into RESULTS/REPORT.md and PNG plots.
# Environment: BUILD (build), QUICK=1 (about a minute), BENCH_TINY=1
# (seconds, for the smoke test), BENCH_RESULTS (bench/results),
# BENCH_ONLY (comma list of sections: compile,lookup,engine,netindex,cidr,
# server).  Work files live in a private temporary directory, removed at
# the end.
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(SRC, os.environ.get("BUILD") or "build")
AM = os.path.join(BUILD, "accessmap")
LOADGEN = os.path.join(BUILD, "bench", "loadgen")
ENGINE = os.path.join(BUILD, "bench", "bench_engine")
NETINDEX = os.path.join(BUILD, "bench", "bench_netindex")
LMDBLOAD = os.path.join(BUILD, "bench", "lmdb_load")
NULLSRV = os.path.join(BUILD, "bench", "null_server")
GEN = [sys.executable, os.path.join(SRC, "bench", "gen.py")]
RESULTS = os.path.abspath(os.environ.get("BENCH_RESULTS")
                          or os.path.join(SRC, "bench", "results"))
SEED = 20261125
TINY = os.environ.get("BENCH_TINY") == "1"
QUICK = TINY or os.environ.get("QUICK") == "1"
ONLY = set(filter(None, (os.environ.get("BENCH_ONLY") or "").split(",")))

if TINY:
    P = dict(compile_sizes=[2000], reps=1, lookup_n=2000, lookup_keys=1000,
             engine_secs=0.05, cidr_sizes=[100, 1000], cidr_keys=2000,
             server_secs=0.3, server_warm=0.1, server_conns=[1, 4],
             pipe_depth=4, idle=10, redis_n=2000, server_reps=1)
elif QUICK:
    P = dict(compile_sizes=[10000, 100000], reps=1, lookup_n=100000,
             lookup_keys=20000, engine_secs=0.3, cidr_sizes=[1000, 10000],
             cidr_keys=50000, server_secs=1, server_warm=0.3,
             server_conns=[1, 50], pipe_depth=16, idle=100,
             redis_n=100000, server_reps=1)
else:
    P = dict(compile_sizes=[100000, 1000000, 4000000], reps=3,
             lookup_n=1000000, lookup_keys=200000, engine_secs=1,
             cidr_sizes=[1000, 10000, 100000, 1000000], cidr_keys=500000,
             server_secs=3, server_warm=1, server_conns=[1, 50, 1000],
             pipe_depth=16, idle=1000, redis_n=1000000, server_reps=2)

TYPES = ["hash", "btree", "lmdb", "cdb"]
SUFFIX = {"hash": ".db", "btree": ".db", "lmdb": ".lmdb", "cdb": ".cdb"}


def log(msg):
    print("bench: " + msg, flush=True)


def want(section):
    return not ONLY or section in ONLY


def have_postfix():
    return shutil.which("postmap") is not None


def reps_for(size):
    return 2 if size >= 4000000 and P["reps"] > 2 else P["reps"]


class Tsv:
    def __init__(self, name, header):
        self.path = os.path.join(RESULTS, name + ".tsv")
        self.fp = open(self.path, "w")
        self.fp.write("\t".join(header) + "\n")

    def row(self, *cols):
        self.fp.write("\t".join(str(c) for c in cols) + "\n")
        self.fp.flush()


COMMANDS = None


def note_command(section, cmd):
    COMMANDS.row(section, cmd)


def timed(argv, stdin=None, stdout=subprocess.DEVNULL, cwd=None):
    """Run argv under /usr/bin/time; return (wall, user, sys, maxrss_kb)."""
    tf = tempfile.NamedTemporaryFile(prefix="time.", delete=False)
    tf.close()
    fin = open(stdin) if stdin else subprocess.DEVNULL
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", tf.name]
                       + argv, stdin=fin, stdout=stdout,
                       stderr=subprocess.PIPE, cwd=cwd)
    wall = time.perf_counter() - t0
    if stdin:
        fin.close()
    with open(tf.name) as f:
        last = f.read().strip().splitlines()
    os.unlink(tf.name)
    if r.returncode not in (0, 1) or not last:
        raise RuntimeError("%s failed (%d): %s" % (
            " ".join(argv), r.returncode, r.stderr.decode()[-500:]))
    u, s, m = last[-1].split()
    return wall, float(u), float(s), int(m)


def gen(args, path):
    with open(path, "w") as f:
        subprocess.run(GEN + [str(a) for a in args], stdout=f, check=True)
    return path


# ---------------------------------------------------------------- compile

def bench_compile(work, conf, tables):
    out = Tsv("compile", ["entries", "type", "tool", "rep", "wall_s",
                          "user_s", "sys_s", "maxrss_kb", "bytes"])
    pf = have_postfix()
    if not pf:
        log("postfix not installed: compile comparison with postmap skipped")
    note_command("compile", "accessmap compile -c CONF TYPE:DIR/FILE")
    note_command("compile", "postmap -c CONF TYPE:DIR/FILE")
    note_command("compile", "db_load -f FILE.dump FILE.db  (hash, btree; "
                 "dump-format input, type from its header)")
    note_command("compile", "bench/lmdb_load FILE.lmdb < FILE  (sort, then "
                 "MDB_APPEND in one transaction; mdb_load commits every 100 "
                 "records and is no reference)")
    note_command("compile", "cdb -c FILE.cdb < FILE.cdbmake")
    # Warm up: the first run of each program pays for cold caches.
    wsrc = gen(["table", 100, SEED], os.path.join(work, "warm"))
    for t in TYPES:
        subprocess.run([AM, "compile", "-c", conf, "%s:%s" % (t, wsrc)],
                       stderr=subprocess.DEVNULL)
        if pf:
            subprocess.run(["postmap", "-c", conf, "%s:%s" % (t, wsrc)],
                           stderr=subprocess.DEVNULL)
    for n in P["compile_sizes"]:
        src = gen(["table", n, SEED], os.path.join(work, "t%d" % n))
        dumps = {}
        for t in ("hash", "btree", "cdb"):
            dumps[t] = gen(["dump", t, n, SEED],
                           os.path.join(work, "d%d.%s" % (n, t)))
        for tool in ("am", "pf", "ref"):
            for t in TYPES:
                # One directory per tool and type: hash and btree are
                # both FILE.db.
                d = os.path.join(work, "%s%d" % (tool, n), t)
                os.makedirs(d, exist_ok=True)
                if tool != "ref":
                    os.link(src, os.path.join(d, "t"))
        for t in TYPES:
            contenders = [("accessmap",
                           [AM, "compile", "-c", conf, "%s:t" % t],
                           "am%d/%s" % (n, t), None)]
            if pf:
                contenders.append(("postmap",
                                   ["postmap", "-c", conf, "%s:t" % t],
                                   "pf%d/%s" % (n, t), None))
            rd = "ref%d/%s" % (n, t)
            if t in ("hash", "btree"):
                ref = ("db_load", ["db_load", "-f", dumps[t], "t.db"],
                       rd, None)
            elif t == "lmdb":
                ref = ("lmdb_load", [LMDBLOAD, "t.lmdb"], rd, src)
            else:
                ref = ("cdb -c", ["cdb", "-c", "t.cdb"], rd, dumps[t])
            if shutil.which(ref[1][0]) or os.access(ref[1][0], os.X_OK):
                contenders.append(ref)
            for rep in range(reps_for(n)):
                order = contenders if rep % 2 == 0 else contenders[::-1]
                for name, argv, d, stdin in order:
                    cwd = os.path.join(work, d)
                    outp = os.path.join(cwd, "t" + SUFFIX[t])
                    for leftover in (outp, outp + "-lock"):
                        if os.path.exists(leftover):
                            os.unlink(leftover)
                    w, u, s, m = timed(argv, stdin=stdin, cwd=cwd)
                    size = os.path.getsize(outp)
                    out.row(n, t, name, rep, "%.3f" % w, u, s, m, size)
                    log("compile %d %s %s rep %d: %.2fs" % (n, t, name, rep,
                                                            w))
            # Keep this size's tables for the lookup comparisons.
            for tool in ("am", "pf"):
                p = os.path.join(work, "%s%d" % (tool, n), t,
                                 "t" + SUFFIX[t])
                if os.path.exists(p):
                    tables[(tool, n, t)] = p
        for t in dumps.values():
            os.unlink(t)
        if n != P["lookup_n"]:
            for tool in ("am", "pf", "ref"):
                shutil.rmtree(os.path.join(work, "%s%d" % (tool, n)))
            for k in [k for k in tables if k[1] == n]:
                del tables[k]


# ---------------------------------------------------------------- lookup

def bench_lookup(work, conf, tables):
    out = Tsv("lookup", ["entries", "type", "tool", "rep", "keys", "found",
                         "wall_s", "user_s", "sys_s", "maxrss_kb"])
    n, m = P["lookup_n"], P["lookup_keys"]
    pf = have_postfix()
    if not pf:
        log("postfix not installed: batch lookups against postmap skipped")
    keys = gen(["keys", "mixed", n, m, SEED], os.path.join(work, "lk"))
    note_command("lookup", "accessmap query -c CONF - TYPE:FILE < KEYS")
    note_command("lookup", "postmap -c CONF -q - TYPE:FILE < KEYS")
    for t in TYPES:
        # Both read the same file: the one postmap built (accessmap's own
        # when postmap is missing).
        table = tables.get(("pf", n, t)) or tables.get(("am", n, t))
        if table is None:
            src = gen(["table", n, SEED], os.path.join(work, "lt"))
            subprocess.run([AM, "compile", "-c", conf, "%s:%s" % (t, src)],
                           check=True)
            table = src + SUFFIX[t]
        name = table[:-len(SUFFIX[t])]
        contenders = [("accessmap", [AM, "query", "-c", conf, "-",
                                     "%s:%s" % (t, name)])]
        if pf:
            contenders.append(("postmap", ["postmap", "-c", conf, "-q", "-",
                                           "%s:%s" % (t, name)]))
        for rep in range(P["reps"]):
            order = contenders if rep % 2 == 0 else contenders[::-1]
            for tool, argv in order:
                res = os.path.join(work, "lookup.out")
                with open(res, "w") as f:
                    w, u, s, mr = timed(argv, stdin=keys, stdout=f)
                with open(res) as f:
                    found = sum(1 for _ in f)
                out.row(n, t, tool, rep, m, found, "%.3f" % w, u, s, mr)
                log("lookup %s %s rep %d: %.2fs, %d found" % (t, tool, rep,
                                                             w, found))


# ---------------------------------------------------------------- engine

def bench_engine(work, conf, tables):
    out = Tsv("engine", ["entries", "type", "check", "mode", "preload",
                         "rep", "keys", "lookups", "hits", "ns_per_lookup"])
    n = P["lookup_n"]
    m = min(P["lookup_keys"], 100000)
    kf = {}
    for kind in ("addr", "name", "helo", "sender"):
        kf[kind] = gen(["keys", kind, n, m, SEED],
                       os.path.join(work, "ek." + kind))
    cases = [("client address", ["-k", "client", kf["addr"]]),
             ("client name", ["-k", "client", kf["name"]]),
             ("client address+name", ["-k", "client", "-q", "-N",
                                      kf["name"], kf["addr"]]),
             ("helo", ["-k", "helo", kf["helo"]]),
             ("sender", ["-k", "sender", kf["sender"]])]
    note_command("engine", "bench_engine -k KIND [-q -N NAMES] [-p] -c CONF "
                 "-t SECONDS KEYS TYPE:FILE  (am_engine_lookup / "
                 "am_engine_query in a loop)")
    for t in ("lmdb", "cdb", "hash"):
        table = tables.get(("am", n, t))
        if table is None:
            continue
        spec = "%s:%s" % (t, table[:-len(SUFFIX[t])])
        for label, args in cases:
            for preload in (0, 1):
                for rep in range(P["reps"]):
                    argv = [ENGINE, "-c", conf, "-t", str(P["engine_secs"])]
                    argv += ["-p"] if preload else []
                    argv += args + [spec]
                    r = subprocess.run(argv, stdout=subprocess.PIPE,
                                       check=True, text=True)
                    f = r.stdout.split()
                    out.row(n, t, label, f[-5], preload, rep, f[-4], f[-3],
                            f[-2], f[-1])
                    log("engine %s %s preload=%d: %s ns" % (t, label,
                                                            preload, f[-1]))


# ---------------------------------------------------------------- netindex

def bench_netindex(work, conf):
    note_command("netindex", "bench/netindex.sh: bench_netindex %s-p -c CONF"
                 % ("-q " if QUICK else ""))
    argv = [NETINDEX]
    if QUICK:
        argv += ["-q", "-n", "200000" if not TINY else "20000", "-k",
                 "2000" if not TINY else "200"]
    if have_postfix():
        argv += ["-p", "-c", conf]
    r = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True)
    with open(os.path.join(RESULTS, "netindex.txt"), "w") as f:
        f.write(r.stdout)
    log("netindex done")


def bench_cidr(work, conf):
    out = Tsv("cidr", ["rules", "tool", "rep", "keys", "wall_s",
                       "load_wall_s", "ns_per_lookup", "found"])
    pf = have_postfix()
    if not pf:
        log("postfix not installed: cidr comparison with postmap skipped")
    note_command("cidr", "accessmap query -c CONF - cidr:FILE < KEYS  "
                 "(and with one key, for the load time)")
    note_command("cidr", "postmap -c CONF -q - cidr:FILE < KEYS  "
                 "(and with one key)")
    empty = os.path.join(work, "empty")
    open(empty, "w").close()
    allkeys = gen(["cidrkeys", P["cidr_keys"], SEED],
                  os.path.join(work, "ck"))
    with open(allkeys) as f:
        lines = f.readlines()
    onekey = os.path.join(work, "ck.1")
    with open(onekey, "w") as f:
        f.write(lines[0])
    for n in P["cidr_sizes"]:
        table = gen(["cidr", n, SEED], os.path.join(work, "c%d" % n))
        # postmap's cidr lookup walks every rule: give it fewer keys.
        pk = max(20, min(len(lines), int(2e7 // n)))
        pkeys = os.path.join(work, "ck.pf")
        with open(pkeys, "w") as f:
            f.writelines(lines[:pk])
        contenders = [("accessmap", [AM, "query", "-c", conf, "-",
                                     "cidr:" + table], allkeys, len(lines))]
        if pf:
            contenders.append(("postmap", ["postmap", "-c", conf, "-q", "-",
                                           "cidr:" + table], pkeys, pk))
        for rep in range(P["reps"]):
            order = contenders if rep % 2 == 0 else contenders[::-1]
            for tool, argv, kfile, k in order:
                res = os.path.join(work, "cidr.out")
                # postmap opens the table at the first key: time one key
                # for the load, then all of them.
                l0 = timed(argv, stdin=onekey)[0]
                with open(res, "w") as f:
                    w = timed(argv, stdin=kfile, stdout=f)[0]
                with open(res) as f:
                    found = sum(1 for _ in f)
                # Lookups lost in the noise of loading: no figure.
                if w - l0 < 0.1 * w:
                    ns = "nan"
                else:
                    ns = "%.1f" % ((w - l0) * 1e9 / (k - 1))
                out.row(n, tool, rep, k, "%.3f" % w, "%.3f" % l0, ns, found)
                log("cidr %d %s rep %d: %s ns/lookup (load %.2fs)"
                    % (n, tool, rep, ns, l0))
        os.unlink(table)


# ---------------------------------------------------------------- server

def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, secs=10):
    import socket
    t = time.time() + secs
    while time.time() < t:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def server_available():
    try:
        r = subprocess.run([AM, "serve", "--help"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    except OSError:
        return False
    return r.returncode == 0


def run_loadgen(proto, port, keys, conns, depth, idle, mapname=None):
    argv = [LOADGEN, "-P", proto, "-p", str(port), "-k", keys, "-c",
            str(conns), "-d", str(depth), "-t", str(P["server_secs"]), "-w",
            str(P["server_warm"]), "-i", str(idle), "-s", str(SEED)]
    if mapname:
        argv += ["-m", mapname]
    r = subprocess.run(argv, stdout=subprocess.PIPE, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        return None
    return r.stdout.split()


def run_redis_benchmark(port, conns, depth):
    """Redis GET as Redis's own tool measures it; a row in loadgen's
    columns from seconds on ("-" where redis-benchmark reports nothing)."""
    secs = float(P["server_secs"])
    n = int(secs * (15000 if conns == 1 else 60000) * depth)
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "get",
                        "-c", str(conns), "-P", str(depth), "-n", str(n),
                        "-r", "100000", "--csv"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True)
    for line in r.stdout.splitlines():
        f = [x.strip('"') for x in line.split(",")]
        if len(f) >= 8 and f[0] == "GET":
            rps = float(f[1])
            return ["%.2f" % (n / rps), n, "%.0f" % rps, "-", "-", 0,
                    "%.1f" % (float(f[4]) * 1000),
                    "%.1f" % (float(f[6]) * 1000), "-",
                    "%.1f" % (float(f[7]) * 1000)]
    return None


class Reloader:
    """Recompile the served table in a loop while the load runs."""

    def __init__(self, conf, spec):
        self.argv = [AM, "compile", "-c", conf, spec]
        self.count = 0
        self.failed = 0
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self.loop)
        self.thread.start()

    def loop(self):
        while not self.halt.is_set():
            r = subprocess.run(self.argv, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            self.count += 1
            self.failed += r.returncode != 0

    def finish(self):
        self.halt.set()
        self.thread.join()
        return self.count


def bench_server(work, conf):
    out = Tsv("server", ["server", "proto", "conns", "depth", "idle",
                         "reload", "rep", "seconds", "requests", "rps",
                         "hits", "misses", "errors", "p50_us", "p99_us",
                         "p999_us", "max_us", "reloads"])
    status = os.path.join(RESULTS, "server-status.txt")
    n = P["redis_n"]
    src = gen(["table", n, SEED], os.path.join(work, "st"))
    subprocess.run([AM, "compile", "-c", conf, "lmdb:" + src], check=True)
    keys = gen(["keys", "addr", n, 100000, SEED], os.path.join(work, "sk"))
    have_am = server_available()
    have_redis = shutil.which("redis-server") is not None
    have_rbench = shutil.which("redis-benchmark") is not None
    with open(status, "w") as f:
        f.write("accessmap serve: %s\nredis-server: %s\n" % (
            "built" if have_am else "server not built",
            "installed" if have_redis else "not installed"))
    if not have_am:
        log("accessmap serve: server not built; only redis is measured")
    if not have_redis:
        log("redis-server not installed: no redis reference")
    note_command("server", "accessmap serve --listen tcp:127.0.0.1:PORT "
                 "--max-connections 5000 --kind client lmdb:TABLE")
    note_command("server", "accessmap serve --listen "
                 "socketmap:inet:127.0.0.1:PORT --max-connections 5000 "
                 "--map client=client:lmdb:TABLE")
    note_command("server", "redis-server --port PORT --bind 127.0.0.1 "
                 "--save '' --appendonly no  (loaded with the same entries)")
    note_command("server", "loadgen -P tcp|socketmap|redis -p PORT -k KEYS "
                 "-c CONNS -d DEPTH -t %s -w %s [-i IDLE] [-m client]"
                 % (P["server_secs"], P["server_warm"]))
    note_command("server", "reload: accessmap compile -c CONF lmdb:TABLE in "
                 "a loop during the run")
    note_command("server", "redis-benchmark -p PORT -t get -c CONNS "
                 "-P DEPTH -n N -r 100000 --csv  (Redis's own client "
                 "against the same redis-server, N sized for about %s s)"
                 % P["server_secs"])
    note_command("server", "null_server PORT  (answers every request "
                 "without a lookup: the ceiling of any server here)")
    servers = {}
    try:
        if have_redis:
            port = free_port()
            rdir = os.path.join(work, "redis")
            os.makedirs(rdir)
            proc = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", rdir],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            servers["redis"] = (proc, port)
            if not wait_port(port, proc):
                raise RuntimeError("redis-server did not start")
            with open(src) as f:
                pipe = subprocess.Popen(["redis-cli", "-p", str(port),
                                         "--pipe"], stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL)
                for line in f:
                    k, v = line.rstrip("\n").split("\t", 1)
                    pipe.stdin.write(("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d"
                                      "\r\n%s\r\n" % (len(k), k, len(v), v))
                                     .encode())
                pipe.stdin.close()
                pipe.wait()
        if have_am:
            for proto, listen, args in (
                    ("tcp", "tcp:127.0.0.1:%d", ["--kind", "client",
                                                 "lmdb:" + src]),
                    ("socketmap", "socketmap:inet:127.0.0.1:%d",
                     ["--map", "client=client:lmdb:" + src])):
                port = free_port()
                # Room for the idle connections on top of the active ones
                # (the default limit is 1000).
                proc = subprocess.Popen(
                    [AM, "serve", "--listen", listen % port,
                     "--max-connections", "5000"] + args,
                    stdout=subprocess.DEVNULL,
                    stderr=open(os.path.join(work, proto + ".log"), "w"))
                servers[proto] = (proc, port)
                if not wait_port(port, proc):
                    raise RuntimeError("accessmap serve (%s) did not start"
                                       % proto)
        port = free_port()
        proc = subprocess.Popen([NULLSRV, str(port)],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        servers["null"] = (proc, port)
        if not wait_port(port, proc):
            raise RuntimeError("null_server did not start")
        cases = []
        for c in P["server_conns"]:
            cases.append((c, 1, 0))
            cases.append((c, P["pipe_depth"] if c < 1000 else 4, 0))
        cases.append((P["server_conns"][1], 1, P["idle"]))
        for rep in range(P["server_reps"]):
            for conns, depth, idle in cases:
                plan = []
                if "tcp" in servers:
                    plan.append(("accessmap", "tcp", 0))
                    plan.append(("accessmap", "tcp", 1))
                    if conns == P["server_conns"][1] and idle == 0:
                        plan.append(("accessmap", "socketmap", 0))
                if "redis" in servers:
                    plan.append(("redis", "redis", 0))
                plan.append(("null", "null", 0))
                if "redis" in servers and idle == 0 and have_rbench:
                    plan.append(("redis-benchmark", "redis", 0))
                if rep % 2:
                    plan.reverse()
                for name, proto, reload in plan:
                    if reload and (idle or conns == 1 and depth > 1):
                        continue
                    if name == "redis-benchmark":
                        r = run_redis_benchmark(servers["redis"][1], conns,
                                                depth)
                        if r is None:
                            log("redis-benchmark c=%d d=%d failed"
                                % (conns, depth))
                            continue
                        out.row(name, proto, conns, depth, idle, reload,
                                rep, *r, 0)
                        log("server redis-benchmark c=%d d=%d: %s rps "
                            "p99 %s us" % (conns, depth, r[2], r[7]))
                        continue
                    rl = Reloader(conf, "lmdb:" + src) if reload else None
                    r = run_loadgen("tcp" if proto == "null" else proto,
                                    servers[proto][1], keys, conns,
                                    depth, idle,
                                    "client" if proto == "socketmap"
                                    else None)
                    nrel = rl.finish() if rl else 0
                    if r is None:
                        log("server %s %s c=%d d=%d: loadgen failed"
                            % (name, proto, conns, depth))
                        continue
                    out.row(name, proto, conns, depth, idle, reload, rep,
                            *r[4:], nrel)
                    log("server %s %s c=%d d=%d idle=%d reload=%d: %s rps "
                        "p99 %s us" % (name, proto, conns, depth, idle,
                                       reload, r[6], r[11]))
    finally:
        for proc, _ in servers.values():
            stop(proc)


# ---------------------------------------------------------------- main

def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main():
    global COMMANDS
    for prog in (AM, LOADGEN, ENGINE, NETINDEX, LMDBLOAD, NULLSRV):
        if not os.access(prog, os.X_OK):
            sys.exit("bench: %s not built (make bench-progs)" % prog)
    os.makedirs(RESULTS, exist_ok=True)
    # With BENCH_ONLY, results of the other sections stay as they are.
    kept = []
    cpath = os.path.join(RESULTS, "commands.tsv")
    if ONLY and os.path.exists(cpath):
        with open(cpath) as f:
            kept = [line.rstrip("\n").split("\t", 1)
                    for line in f.readlines()[1:]]
        kept = [k for k in kept if k[0] not in ONLY]
    for f in os.listdir(RESULTS):
        sect = f.split(".")[0].split("-")[0]
        if (f.endswith(".tsv") or f.endswith(".txt")) and (
                not ONLY or sect in ONLY):
            os.unlink(os.path.join(RESULTS, f))
    COMMANDS = Tsv("commands", ["section", "command"])
    for sect, cmd in kept:
        COMMANDS.row(sect, cmd)
    t0 = time.time()
    work = tempfile.mkdtemp(prefix="accessmap-bench.")
    try:
        conf = os.path.join(work, "conf")
        os.makedirs(conf)
        with open(os.path.join(conf, "main.cf"), "w") as f:
            f.write("compatibility_level = 3.6\n")
        tables = {}
        ppath = os.path.join(RESULTS, "params.txt")
        if ONLY and os.path.exists(ppath):
            with open(ppath, "a") as f:
                f.write("rerun\t%s (load average %s)\n"
                        % (",".join(sorted(ONLY)), loadavg()))
        else:
            with open(ppath, "w") as f:
                mode = "tiny" if TINY else "quick" if QUICK else "full"
                f.write("mode\t%s\nseed\t%d\n" % (mode, SEED))
                f.write("loadavg_start\t%s\n" % loadavg())
                if os.environ.get("BENCH_NOTE"):
                    f.write("note\t%s\n" % os.environ["BENCH_NOTE"])
                for k in sorted(P):
                    f.write("%s\t%s\n" % (k, P[k]))
        if want("compile") or want("lookup") or want("engine"):
            bench_compile(work, conf, tables)
        if want("lookup"):
            bench_lookup(work, conf, tables)
        if want("engine"):
            bench_engine(work, conf, tables)
        if want("netindex"):
            bench_netindex(work, conf)
        if want("cidr"):
            bench_cidr(work, conf)
        if want("server"):
            bench_server(work, conf)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not ONLY:
        with open(os.path.join(RESULTS, "params.txt"), "a") as f:
            f.write("duration_s\t%.0f\n" % (time.time() - t0))
            f.write("loadavg_end\t%s\n" % loadavg())
    r = subprocess.run([sys.executable, os.path.join(SRC, "bench",
                                                     "report.py"), RESULTS,
                        AM])
    sys.exit(r.returncode)


if __name__ == "__main__":
    import signal
    # SIGTERM unwinds like ^C, so the work directory is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
