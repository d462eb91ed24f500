"""amclient.py - small tcp_table and socketmap clients for server tests.

TcpTable: one connection; get(key) sends "get <%XX-encoded key>\\n" as
Postfix does and returns (code, decoded text); raw(bytes) sends anything.
Socketmap: one connection; get(name, key) sends a netstring and returns
(status, text).  Both raise EOFError when the server closes.
"""
import socket

SAFE = set(range(0x21, 0x7f)) - {0x25}


def encode(key):
    """Postfix's tcp_table key encoding: upper-case %XX for '%', spaces,
    controls and bytes >= 0x80."""
    out = []
    for b in key.encode("utf-8") if isinstance(key, str) else key:
        out.append(chr(b) if b in SAFE else "%%%02X" % b)
    return "".join(out).encode("ascii")


def decode(text):
    out, i = bytearray(), 0
    while i < len(text):
        if text[i] == 0x25 and i + 2 < len(text):
            out.append(int(text[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(text[i])
            i += 1
    return out.decode("utf-8", "replace")


def connect(port, host="127.0.0.1", source=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    return s


class TcpTable:
    def __init__(self, port, **kw):
        self.sock = connect(port, **kw)
        self.buf = b""

    def raw(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def reply(self):
        line = self.line()
        return int(line[:3]), decode(line[4:])

    def get(self, key):
        self.raw(b"get " + encode(key) + b"\n")
        return self.reply()

    def close(self):
        self.sock.close()


class Socketmap:
    def __init__(self, port, **kw):
        self.sock = connect(port, **kw)
        self.buf = b""

    def raw(self, data):
        self.sock.sendall(data)

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk

    def reply(self):
        while b":" not in self.buf:
            self._fill(len(self.buf) + 1)
        head, _ = self.buf.split(b":", 1)
        n = int(head)
        self._fill(len(head) + 1 + n + 1)
        body = self.buf[len(head) + 1:len(head) + 1 + n]
        if self.buf[len(head) + 1 + n:len(head) + 2 + n] != b",":
            raise ValueError("bad netstring from server")
        self.buf = self.buf[len(head) + 2 + n:]
        status, _, text = body.partition(b" ")
        return status.decode(), text.decode("utf-8", "replace")

    def get(self, name, key):
        req = (name + " " + key).encode("utf-8")
        self.raw(b"%d:%s," % (len(req), req))
        return self.reply()

    def close(self):
        self.sock.close()
