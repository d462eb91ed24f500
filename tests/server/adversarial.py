"""adversarial.py - hostile and careless clients against `accessmap serve`.

Usage: adversarial.py TCPPORT SOCKMAPPORT LOGFILE.  The server serves a
helo table where "localhost" is "REJECT Only I am me", with
--max-connections 8 and --read-timeout 1.  Every case checks the reply
bytes and whether the server closed the connection, and that the server
still answers afterwards.  Exits 1 on the first failure.
"""
import os
import random
import socket
import sys
import time

TCP, SM, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
GOOD = b"200 REJECT%20Only%20I%20am%20me\n"


def conn(port):
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.settimeout(5)
    return s


def read_all(s):
    """Everything until EOF (the server closed)."""
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            return out
        if not b:
            return out
        out += b


def read_n(s, n):
    out = b""
    while len(out) < n:
        b = s.recv(n - len(out))
        if not b:
            raise AssertionError("EOF after %r" % out)
        out += b
    return out


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def alive():
    s = conn(TCP)
    s.sendall(b"get localhost\n")
    r = read_n(s, len(GOOD))
    s.close()
    return r == GOOD


# pipelined requests on one connection, in one write
s = conn(TCP)
s.sendall(b"get localhost\nget nothing\n" * 5000)
want = (GOOD + b"500 not%20found\n") * 5000
check(read_n(s, len(want)) == want, "10000 pipelined requests answered in order")
s.close()

# a request split into single bytes
s = conn(TCP)
for ch in b"get local%68ost\n":
    s.send(bytes([ch]))
    time.sleep(0.01)
check(read_n(s, len(GOOD)) == GOOD, "request sent one byte at a time")
s.close()

# oversized line: 400 and close, before the whole line has arrived
s = conn(TCP)
try:
    s.sendall(b"get " + b"x" * 200000)
except (BrokenPipeError, ConnectionResetError):
    pass
r = read_all(s)
check(r.startswith(b"400 ") and r.endswith(b"\n"), "oversized line: 400 then close (%r)" % r[:60])

# bad escapes and garbage: 400 then close; earlier requests still answered
for bad in [b"get a%zz\n", b"get a%4\n", b"GET localhost\n", b"\x00\xff\xfe garbage\n",
            bytes(random.Random(1).randrange(256) for _ in range(300)) + b"\n"]:
    s = conn(TCP)
    s.sendall(b"get localhost\n" + bad + b"get localhost\n")
    r = read_all(s)
    check(r.startswith(GOOD) and r[len(GOOD):].startswith(b"400 ")
          and r.count(b"\n") == 2, "bad request %r: 400 then close" % bad[:20])

# put: a clear refusal, the connection stays usable
s = conn(TCP)
s.sendall(b"put key value\nget localhost\n")
r1 = s.recv(4096)
while r1.count(b"\n") < 2:
    r1 += s.recv(4096)
check(r1.startswith(b"500 put%20requests%20are%20not%20supported\n") and r1.endswith(GOOD),
      "put refused with 500, connection kept (%r)" % r1)
s.close()

# half-closed client: replies still arrive, then EOF
s = conn(TCP)
s.sendall(b"get localhost\n" * 3)
s.shutdown(socket.SHUT_WR)
check(read_all(s) == GOOD * 3, "half-closed client gets its replies, then EOF")

# vanishing clients: partial request, then gone; many requests, never read
for i in range(20):
    s = conn(TCP)
    s.sendall(b"get local")
    s.close()
    s = conn(TCP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.sendall(b"get localhost\n" * 2000)
    s.close()               # RST, replies undelivered
    time.sleep(0.02)        # --max-connections 8: let the server see them go
time.sleep(0.3)
check(alive(), "server alive after vanishing clients")

# a client that sends a partial request and stalls is cut off (--read-timeout 1)
s = conn(TCP)
s.sendall(b"get slow")
t0 = time.time()
r = read_all(s)
check(r == b"" and time.time() - t0 < 4.5, "stalled partial request closed by the read timeout")

# a busy pipelining client whose writes always end mid-request is not
# taken for a stalled one: 2.5 s of traffic with --read-timeout 1, and a
# partial request always pending at the server
s = conn(TCP)
s.sendall(b"get loc")
chunk = b"alhost\nget loc" * 50
t0, sent, got = time.time(), 0, b""
while time.time() - t0 < 2.5:
    s.sendall(chunk)
    sent += 50
    while got.count(b"\n") < sent:
        b = s.recv(1 << 16)
        if not b:
            check(False, "busy client kept (EOF after %d replies)" % got.count(b"\n"))
        got += b
    time.sleep(0.005)
check(got == GOOD * sent, "busy client with a partial request always pending kept "
      "for 2.5 s, %d replies" % sent)
s.close()

# a client that never reads its replies: output stays bounded, then timeout
s = conn(TCP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
try:
    s.settimeout(3)
    for i in range(200):
        s.sendall(b"get localhost\n" * 1000)
except (socket.timeout, BrokenPipeError, ConnectionResetError):
    pass
s.close()
check(alive(), "server alive after a client that never reads")

# socketmap: pipelined, unknown name, bad netstrings, oversized length
s = conn(SM)
s.sendall(b"14:helo localhost,12:helo nothing,10:nosuch key,")
want = b"22:OK REJECT Only I am me,8:NOTFOUND,21:PERM unknown map name,"
check(read_n(s, len(want)) == want, "socketmap pipelined: OK, NOTFOUND, PERM")
s.sendall(b"5:helo localhost,")   # wrong length: no "," after 5 bytes
r = read_all(s)
check(r.startswith(b"") and b"PERM" in r, "socketmap bad terminator: PERM then close (%r)" % r)
for bad in [b"999999999:", b"x:", b":", b"12345678901234567890:"]:
    s = conn(SM)
    s.sendall(bad)
    r = read_all(s)
    check(b"PERM" in r, "socketmap %r: PERM then close" % bad)

# too many connections: the 9th is closed at once; afterwards all is well
held = [conn(TCP) for _ in range(8)]
for h in held:
    h.sendall(b"get localhost\n")
    check(read_n(h, len(GOOD)) == GOOD, "held connection answers") if h is held[0] else read_n(h, len(GOOD))
extra = conn(TCP)
extra.sendall(b"get localhost\n")
check(read_all(extra) == b"", "connection beyond --max-connections closed unanswered")
for h in held:
    h.close()
time.sleep(0.2)
check(alive(), "new connections accepted once others closed")

log = open(LOG, "rb").read()
check(b"refused: 8 connections already" in log, "refusal logged")
check(b"bad %XX escape" in log, "protocol error logged")
check(all(c == 10 or 32 <= c < 127 for c in log), "log is printable ASCII")
