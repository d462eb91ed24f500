"""smtpd_actions.py - driven by smtpd_actions.sh.

Every access(5) value form is put in a hash table used by one check (client,
HELO, sender or recipient); one SMTP session per case then makes smtpd find
it, and the reply to RCPT TO must equal what build/tests/tools/actionreply
renders for the same value, check kind, reply name and main.cf.

usage: smtpd_actions.py tables CONFDIR
       smtpd_actions.py run SEARCHKEYS ACTIONREPLY VARIANT=PORT:CONFDIR...
VERBOSE=1 in the environment prints every reply.
"""
import os
import subprocess
import sys

sys.path.insert(0, sys.path[0] + "/../lib")
from smtpd_client import Session, SmtpError  # noqa: E402

VERBOSE = os.environ.get("VERBOSE") == "1"
NEUTRAL_IP = "192.0.2.200"
NEUTRAL_HELO = "neutral.helo.example"
NEUTRAL_SENDER = "neutral@sender.example"
NEUTRAL_RCPT = "rcpt@example.net"
LATER_REJECT = "reject-me@example.net"  # rcpt_actions: REJECT later

CLIENT_VALUES = [
    "REJECT", "REJECT custom text here", "reject lower case",
    "REJECT 4.7.9 class mismatch", "REJECT 5.1.1 addr dsn on client",
    "DEFER", "DEFER try later please", "DEFER 5.7.3 wrong class",
    "450 4.7.9 custom 4xx text", "554 custom no enhanced",
    "450 5.7.1 class mismatch", "550 5.1.1 user unknown style",
    "599 5.9.9 max", "400 4.0.0 min", "421 4.7.0 closing now",
    "521 5.7.1 go away", "550", "1234", "OK", "OK trailing text ignored",
    "RELAY", "DUNNO", "DUNNO with text",
    "DEFER_IF_PERMIT some text", "DEFER_IF_PERMIT",
    "DEFER_IF_PERMIT 4.7.5 dip dsn", "DISCARD", "DISCARD with text", "HOLD",
    "HOLD held text", "REDIRECT foo@example.net", "REDIRECT nodomain",
    "FILTER smtp:[127.0.0.1]:10025", "FILTER nocolon",
    "BCC bcc@example.net", "BCC nobody", "PREPEND X-Test: yes",
    "PREPEND noheader", "WARN some warning", "INFO", "HANGUP",
    "permit", "reject", "defer", "reject, permit", "REJECT, text",
    "defer,permit",
    "sleep 0, reject", "FOOBAR", "REJECTED", "200 weird", "350 odd",
    "600 too big", "4xx text", "hash:/nonexistent", "check_client_access",
    "reject_unauth_pipelining, reject", "REJECT 5.7.9",
    "REJECT naïve ünïcode text", "REJECT a\tb", "REJECT a\x01b",
    "REJECT 5.7 not a dsn", "REJECT" + " long" * 120, ",",
]
HELO_VALUES = [
    "REJECT", "REJECT 5.1.1 addr dsn on helo", "REJECT 5.2.1 kept",
    "550 5.1.8 helo", "DEFER_IF_PERMIT helo dip", "OK",
]
SENDER_VALUES = [
    "REJECT", "REJECT 5.1.1 s1", "550 5.1.2 s2", "550 5.1.3 s3",
    "550 5.1.4 s4", "550 5.1.5 s5", "550 5.1.6 s6", "550 5.1.7 s7",
    "550 5.1.8 s8", "550 5.1.9 s9", "REJECT 5.1.10 s10", "450 5.1.7 soft",
    "DEFER", "DEFER_IF_PERMIT", "DISCARD", "OK",
]
RCPT_VALUES = [
    "REJECT", "REJECT 5.1.1 r1", "550 5.1.2 r2", "550 5.1.3 r3",
    "550 5.1.4 r4", "550 5.1.5 r5", "550 5.1.6 r6", "REJECT 5.1.7 r7",
    "550 5.1.8 r8", "550 5.1.9 r9", "REJECT 5.1.0 r0", "DEFER",
    "DEFER_IF_PERMIT rcpt dip", "OK", "DUNNO",
]
# DEFER_IF_REJECT only shows when a later restriction rejects.
IF_REJECT_VALUES = ["DEFER_IF_REJECT", "DEFER_IF_REJECT custom dir text",
                    "DEFER_IF_REJECT 4.7.2 with dsn"]


def cases():
    """(check, input, hostname, value, recipient) for every case."""
    out = []
    for i, v in enumerate(CLIENT_VALUES):
        out.append(("client", "10.0.%d.%d" % (i // 200, i % 200 + 1),
                    "c%d.client.example" % i, v, NEUTRAL_RCPT))
    for i, v in enumerate(IF_REJECT_VALUES):
        out.append(("client", "10.1.0.%d" % (i + 1), "cr%d.Client.Example" % i,
                    v, LATER_REJECT))
        out.append(("client", "10.1.1.%d" % (i + 1), "cn%d.client.example" % i,
                    v, NEUTRAL_RCPT))
        out.append(("sender", "sr%d@Sender.Example" % i, None, v,
                    LATER_REJECT))
    for i, v in enumerate(HELO_VALUES):
        out.append(("helo", "h%d.Helo.Example" % i, None, v, NEUTRAL_RCPT))
    for i, v in enumerate(SENDER_VALUES):
        out.append(("sender", "s%d@sender.example" % i, None, v, NEUTRAL_RCPT))
    for i, v in enumerate(RCPT_VALUES):
        out.append(("recipient", "r%d@example.net" % i, None, v, None))
    # Reply names keep the case and form the client sent.
    out.append(("helo", "Only.Me", None, "REJECT Only I am me", NEUTRAL_RCPT))
    out.append(("sender", "", None, "REJECT null sender", NEUTRAL_RCPT))
    out.append(("sender", "User+x@Whatever.Example", None, "REJECT mixed",
                NEUTRAL_RCPT))
    out.append(("sender", '"foo bar"@example.org', None, "REJECT quoted",
                NEUTRAL_RCPT))
    out.append(("recipient", "Ünï@example.net", None, "REJECT utf8 name",
                None))
    return out


def table_key(check, text):
    """The key that the case's input finds first."""
    if check == "sender" and text == "":
        return "<>"
    if check in ("sender", "recipient"):
        return text.lower() if text.isascii() else text.casefold()
    return text


def write_tables(confdir):
    tables = {"client": [], "helo": [], "sender": [], "recipient": []}
    tables["recipient"].append((LATER_REJECT, "REJECT later"))
    for check, text, _, value, _ in cases():
        tables[check].append((table_key(check, text), value))
    for check, rows in tables.items():
        path = os.path.join(confdir, check + "_actions")
        with open(path, "w", encoding="utf-8") as f:
            for k, v in rows:
                f.write("%s %s\n" % (k, v))
        subprocess.run(["postmap", "-c", confdir, "hash:" + path], check=True)


def tool_lines(args):
    out = subprocess.run(args, capture_output=True, check=True).stdout
    return out.decode("utf-8", "surrogateescape").splitlines()


def expected(tools, confdir, check, text, host, value):
    searchkeys, actionreply = tools
    args = [searchkeys, "-c", confdir, "-r", "--", check, text]
    if host is not None:
        args.append(host)
    reply_name = tool_lines(args)[0].split("\t", 1)[1]
    info = {}
    for line in tool_lines([actionreply, "-c", confdir, "--", check,
                            reply_name, value]):
        k, _, v = line.partition("\t")
        if k != "finding":
            info[k] = v
    return info


def run_session(port, check, text, host, rcpt):
    """The RCPT reply line, "hangup", plus whether smtpd then closed."""
    client = (text, host) if check == "client" else (NEUTRAL_IP, None)
    helo = text if check == "helo" else NEUTRAL_HELO
    sender = text if check == "sender" else NEUTRAL_SENDER
    rcpt = text if check == "recipient" else rcpt
    s = Session(port)
    try:
        s.xclient(addr=client[0], name=client[1] or "[UNAVAILABLE]")
        s.cmd("EHLO " + helo)
        utf8 = "" if (sender + rcpt).isascii() else " SMTPUTF8"
        code, lines = s.cmd("MAIL FROM:<%s>%s" % (sender, utf8))
        if code != 250:
            return "MAIL failed: %r" % lines, False
        try:
            code, lines = s.cmd("RCPT TO:<%s>" % rcpt)
        except SmtpError:
            return "hangup", True
        try:
            s.cmd("NOOP")
            closed = False
        except (SmtpError, OSError):
            closed = True
        return lines[-1], closed
    finally:
        s.close()


def check_case(tools, variant, port, confdir, case):
    """(how it was compared, failure message or None)."""
    check, text, host, value, rcpt = case
    want = expected(tools, confdir, check, text, host, value)
    got, closed = run_session(port, check, text, host, rcpt)
    label = "%s %s %r value %r" % (variant, check, text, value)
    reply = want["reply"]
    if VERBOSE:
        print("%s\n  smtpd:       %r\n  actionreply: %r" % (label, got, reply))
    if reply == "depends":
        return "skipped", None
    if want["acts"] == "HANGUP":
        return "hangup", None if got == "hangup" else (
            "%s: want hangup, got %r" % (label, got))
    if reply == "none" or (want["when"] == "if_reject"
                           and rcpt != LATER_REJECT):
        return "accepted", None if got.startswith("250 ") else (
            "%s: want 250, got %r" % (label, got))
    if want["uncertain"] == "1":
        how = "prefix"
        ok = got.startswith(reply[:reply.index("rejected: ") + 10])
    else:
        how = "exact"
        ok = got == reply
    if not ok:
        return how, "%s:\n  smtpd:       %r\n  actionreply: %r" % (
            label, got, reply)
    if closed != (want["disconnect"] == "1"):
        return how, "%s: smtpd %s the session, actionreply says " \
            "disconnect=%s" % (label, "closed" if closed else "kept",
                               want["disconnect"])
    return how, None


def main():
    if sys.argv[1] == "tables":
        write_tables(sys.argv[2])
        return 0
    tools = (sys.argv[2], sys.argv[3])
    failures, counts = [], {}
    for spec in sys.argv[4:]:
        variant, rest = spec.split("=", 1)
        port, confdir = rest.split(":", 1)
        for case in cases():
            how, f = check_case(tools, variant, int(port), confdir, case)
            counts[how] = counts.get(how, 0) + 1
            if f:
                failures.append(f)
    for f in failures:
        print("FAIL " + f)
    print("%d cases (%s), %d mismatches" % (
        sum(counts.values()),
        ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items())),
        len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
