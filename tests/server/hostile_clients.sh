#!/usr/bin/env bash
# hostile_clients.sh - what hostile or broken clients cannot do to the server.
#
# Oversized lines, bad %XX, binary garbage, tcp_table "put", broken and
# oversized netstrings, unknown socketmap names, half-closed and vanishing
# clients, slow clients (read timeout), more connections than allowed, and a
# deep pipeline.  After every case the server must still answer
# well-formed requests correctly, its memory must stay bounded, and it must
# stop cleanly.
set -eu
. "$SRCDIR/tests/lib/serve.sh"
A=$ACCESSMAP
pf=$TMPDIR/pf; srv_private_conf "$pf"
printf '%s\n' '198.51.100.23 REJECT listed' 'good.example OK fine' \
    'long.example 550 '"$(head -c 3000 /dev/zero | tr '\0' x)" >client_checks
"$A" compile -c "$pf" client_checks
cat >s.conf <<EOF
config_directory $pf
max_connections 40
read_timeout 1
idle_timeout 3
listen tcp:127.0.0.1:0 client hash:client_checks
listen socketmap:inet:127.0.0.1:0 client=client:hash:client_checks
EOF
srv_start s -c s.conf
tport=$(srv_port s 0); sport=$(srv_port s 1); pid=$(srv_pid s)

PYTHONPATH=$SRCDIR/tests/lib python3 - "$tport" "$sport" "$pid" <<'PY'
import os, socket, struct, sys, time, threading
from amclient import TcpTable, Socketmap, connect
tport, sport, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
cases = 0

def rss_kb():
    for l in open('/proc/%s/status' % pid):
        if l.startswith('VmRSS:'):
            return int(l.split()[1])

def healthy(label):
    """The server still answers correctly on fresh connections."""
    global cases
    cases += 1
    t = TcpTable(tport)
    for key, want in (('198.51.100.23', (200, 'REJECT listed')),
                      ('good.example', (200, 'OK fine')),
                      ('nothing.example', None)):
        code, text = t.get(key)
        if want is None:
            assert code == 500, '%s: miss gave %r %r' % (label, code, text)
        else:
            assert (code, text) == want, '%s: %r gave %r %r' % (label, key, code, text)
    t.close()
    m = Socketmap(sport)
    st, text = m.get('client', 'good.example')
    assert (st, text) == ('OK', 'OK fine'), '%s: socketmap gave %r %r' % (label, st, text)
    m.close()

def closed_after(sock, timeout=5):
    """Read until EOF; returns what came before it."""
    sock.settimeout(timeout)
    data = b''
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk

healthy('start')
base = rss_kb()

# tcp_table protocol errors get a 400 reply, then the connection closes.
for label, payload in (
        ('oversized line', b'get ' + b'a' * 200000 + b'\n'),
        ('oversized line without LF', b'get ' + b'a' * 200000),
        ('bad %XX', b'get a%zzb\n'),
        ('truncated %X', b'get abc%4\n'),
        ('binary garbage', bytes(range(256)) * 64 + b'\n'),
        ('put', b'put key value\n'),
        ('empty line', b'\n'),
        ('no command', b'hello world\n')):
    s = connect(tport)
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = closed_after(s)
    s.close()
    if label != 'oversized line without LF' or data:
        assert data.startswith(b'400 ') or data.startswith(b'500 '), \
            '%s: reply %r' % (label, data[:80])
    healthy(label)

# A value whose reply would pass Postfix's 4096-byte limit is not cut.
t = TcpTable(tport)
code, text = t.get('long.example')
assert code == 200 and len(text) > 3000, 'long value: %r' % code
t.close()

# socketmap protocol errors.
for label, payload in (
        ('huge length', b'99999999999999999999:x,'),
        ('negative length', b'-5:abcde,'),
        ('non-digit length', b'1x:ab,'),
        ('missing comma', b'5:abcdeX'),
        ('oversized netstring', b'200000:' + b'a' * 200000 + b','),
        ('no map name', b'3:abc,')):
    s = connect(sport)
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = closed_after(s)
    s.close()
    assert data == b'' or b'PERM' in data or b'TEMP' in data, '%s: %r' % (label, data[:80])
    healthy(label)
m = Socketmap(sport)
st, _ = m.get('nosuchmap', 'good.example')
assert st == 'PERM', 'unknown map gave %r' % st
m.close()
healthy('unknown map')

# Half-closed: the request is answered before the server closes.
s = connect(tport)
s.sendall(b'get good.example\n')
s.shutdown(socket.SHUT_WR)
data = closed_after(s)
assert data == b'200 OK%20fine\n' or data == b'200 OK fine\n', 'half-close: %r' % data
s.close()
healthy('half-close')

# Vanishing clients: requests followed by a reset, many times.
for i in range(300):
    s = connect(tport)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.sendall(b'get good.example\n' * 50)
    s.close()
time.sleep(0.5)                 # let the server see the resets
healthy('vanishing clients')

# A slow client is cut off by the read timeout; others are served meanwhile.
slow = connect(tport)
slow.sendall(b'get goo')
t0 = time.time()
healthy('during slow client')
data = closed_after(slow, timeout=10)
assert time.time() - t0 < 8, 'slow client not cut off'
slow.close()

# More connections than --max-connections: the extra ones are closed, the others
# keep working, and new ones are accepted once they go away.
held = [connect(tport) for _ in range(60)]
time.sleep(0.5)
alive = 0
for s in held:
    try:
        s.sendall(b'get good.example\n')
        s.settimeout(3)
        if s.recv(100).startswith(b'200'):
            alive += 1
    except OSError:
        pass
assert 0 < alive <= 40, 'connections served over the limit of 40: %d' % alive
for s in held:
    s.close()
time.sleep(0.3)
healthy('after too many connections')

# A deep pipeline: every reply, in order.
t = TcpTable(tport)
keys = ['good.example', 'nothing.example', '198.51.100.23'] * 1000
t.raw(b''.join(b'get ' + k.encode() + b'\n' for k in keys))
for k in keys:
    code, text = t.reply()
    want = 500 if k == 'nothing.example' else 200
    assert code == want, 'pipeline %s: %d' % (k, code)
t.close()
healthy('pipeline')

# Idle connections are closed after --idle-timeout.
s = connect(tport)
t0 = time.time()
closed_after(s, timeout=10)
assert time.time() - t0 < 8, 'idle connection kept'
s.close()

grown = rss_kb() - base
assert grown < 32 * 1024, 'memory grew by %d kB' % grown
print('adversarial: %d hostile cases, server answered correctly after each; '
      'RSS grew %d kB' % (cases, grown))
PY
kill -0 "$pid"
grep -qi 'protocol\|request' "s.log" || { echo "no protocol errors logged"; tail "s.log"; exit 1; }
srv_stop s
