"""smtpd_client.py - helpers for oracle tests against a real Postfix smtpd.

Session: a small SMTP client that speaks XCLIENT (to choose the client
address, name and HELO seen by smtpd) and returns every reply line.

SocketmapLog: a socketmap_table(5) server on 127.0.0.1 that records each
request as (map name, key bytes) and answers from a dict, NOTFOUND
otherwise.  Postfix shares one connection between all socketmap tables on
the same endpoint, so the record keeps smtpd's lookup order.
"""
import socket
import threading


def xtext(value):
    """RFC 1891 xtext, as XCLIENT wants attribute values."""
    out = []
    for b in value.encode("utf-8"):
        if b < 33 or b > 126 or b in (ord("+"), ord("=")):
            out.append("+%02X" % b)
        else:
            out.append(chr(b))
    return "".join(out)


class SmtpError(Exception):
    pass


class Session:
    """One SMTP connection.  Each command returns (code, [lines])."""

    def __init__(self, port, host="127.0.0.1", timeout=20):
        self.sock = socket.create_connection((host, port), timeout)
        self.file = self.sock.makefile("rb")
        self.transcript = []
        self.greeting = self.read_reply()

    def read_reply(self):
        lines = []
        while True:
            raw = self.file.readline()
            if not raw:
                raise SmtpError("connection closed; transcript: %r"
                                % self.transcript)
            line = raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
            self.transcript.append("< " + line)
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                break
        return int(lines[-1][:3]), lines

    def cmd(self, text):
        self.transcript.append("> " + text)
        self.sock.sendall(text.encode("utf-8", "surrogateescape") + b"\r\n")
        return self.read_reply()

    def xclient(self, **attrs):
        """XCLIENT ADDR=... NAME=...; smtpd then greets again."""
        code, lines = self.cmd("EHLO oracle.test")
        if code != 250:
            raise SmtpError("EHLO failed: %r" % lines)
        args = " ".join("%s=%s" % (k.upper(), xtext(v))
                        for k, v in attrs.items())
        code, lines = self.cmd("XCLIENT " + args)
        if code != 220:
            raise SmtpError("XCLIENT failed: %r" % lines)
        return code, lines

    def close(self):
        try:
            self.cmd("QUIT")
        except (OSError, SmtpError):
            pass
        self.sock.close()


class SocketmapLog:
    """A socketmap server recording (name, key) per request."""

    def __init__(self, port, answers=None):
        self.answers = answers or {}
        self.log = []
        self.lock = threading.Lock()
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", port))
        self.srv.listen(16)
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()

    @staticmethod
    def _netstring(payload):
        return str(len(payload)).encode() + b":" + payload + b","

    def _accept(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        f = conn.makefile("rb")
        while True:
            digits = b""
            while True:
                ch = f.read(1)
                if ch in (b"", b":"):
                    break
                digits += ch
            if not digits:
                return
            data = f.read(int(digits))
            f.read(1)
            name, _, key = data.partition(b" ")
            name = name.decode()
            with self.lock:
                self.log.append((name, key))
            value = self.answers.get((name, key))
            reply = b"OK " + value if value is not None else b"NOTFOUND "
            conn.sendall(self._netstring(reply))

    def take(self):
        """Return and clear the requests recorded so far."""
        with self.lock:
            out, self.log = self.log, []
        return out
