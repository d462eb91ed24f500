"""smtpd_search_order.py - driven by smtpd_search_order.sh.

For each session below, smtpd evaluates check_client_access,
check_reverse_client_hostname_access, check_helo_access, check_sender_access
and check_recipient_access, each twice: once against
unionmap:{hash:empty, socketmap:...:KIND_all}, which is a fixed-key table
and so receives every probe (folded to lower case by the union), and once
against socketmap:...:KIND_full, a pattern table that receives only the
probes that go to all tables, in their original case.  Both sequences must
equal what build/tests/tools/searchkeys prints for the same input and the
same main.cf.

usage: smtpd_search_order.py SEARCHKEYS SOCKMAP_PORT VARIANT=PORT:CONFDIR...
VERBOSE=1 in the environment prints what smtpd looked up.
"""
import os
import subprocess
import sys

sys.path.insert(0, sys.path[0] + "/../lib")
from smtpd_client import Session, SocketmapLog  # noqa: E402

# (variant, client addr, client name, reverse name, helo, sender, recipient)
# A: parent style, recipient_delimiter "+".
# B: dot style (smtpd_access_maps not in parent_domain_matches_subdomains),
#    recipient_delimiter "+-" (a set of two characters).
# C: recipient_delimiter empty, smtpd_null_access_lookup_key "<null>".
UNKNOWN = None
VERBOSE = os.environ.get("VERBOSE") == "1"
CASES = [
    ("A", "192.0.2.7", "Mail.Sub.Example.COM", "Rev.Example.NET",
     "Helo.Sub.Example.ORG", "User+Ext@Sub.Example.COM",
     '"Foo Bar+x"@Dest.Example.NET'),
    ("A", "10.1.2.3", UNKNOWN, UNKNOWN, "1.2.3.4", "", "plain@example.net"),
    ("A", "IPV6:2001:DB8:0:0::1", "host.example", "host.example",
     "[192.0.2.1]", "LocalUser", "user+a+b@example.net"),
    ("A", "IPV6:::1", "v6.example", UNKNOWN, "[IPv6:2001:db8::5]",
     "JOSÉ@Exämple.org", "Ünïcode+Tag@ex.example"),
    ("A", "IPV6:::ffff:192.0.2.1", "mapped.example", UNKNOWN,
     "Trailing.Dot.Example.", "user@Example.COM.", "postmaster+x@example.net"),
    ("A", "IPV6:2001:db8:1:2:3:4:5:6", UNKNOWN, UNKNOWN, "0.1.2.3",
     "owner-list+x@example.net", "list+x-request@example.net"),
    ("A", "IPV6:fe80::", UNKNOWN, UNKNOWN, "1.2.3.4.",
     '"a@b"@Example.com', "+foo@example.net"),
    ("A", "198.51.100.1", "a.b", UNKNOWN, "Mixed Case", "host!User",
     "<@route.example:user@example.net>"),
    ("A", "198.51.100.2", "x.example", UNKNOWN, "x@y(z)", "user%Site.example",
     '"quo\\"te"@example.net'),
    ("A", "198.51.100.3", "x.example", UNKNOWN, "a..b", '"with.dot."@x.example',
     "mailer-daemon+x@example.net"),
    ("A", "198.51.100.4", "x.example", UNKNOWN, "[1.2.3.4]",
     "double-bounce+x@example.net", "Straße+ÄRGER@Example.net"),
    ("A", "IPV6:::1.2.3.4", "compat.example", UNKNOWN, "::ffff:1.2.3.4",
     '""@example.com', "user@[192.0.2.9]"),
    ("A", "203.0.113.5", "deep.a.b.c.d.example", "deep.a.b.c.d.example",
     "EXAMPLE.COM", "@a.example,@b.example:route@Example.org",
     "user+@example.net"),
    ("B", "192.0.2.7", "Mail.Sub.Example.COM", "Rev.Example.NET",
     "Trailing.Dot.Example.", "User-Ext+More@Sub.Example.COM",
     "owner-list@example.net"),
    ("B", "10.1.2.3", UNKNOWN, UNKNOWN, "[1.2.3.4]", "list-request@example.net",
     "a+b-c@example.net"),
    ("B", "IPV6:2001:DB8::1", "x.y.example", UNKNOWN, ".leading.example",
     "", "x-@example.net"),
    ("C", "192.0.2.8", "c.example", UNKNOWN, "c.example", "",
     "user+ext@example.net"),
    ("C", "192.0.2.9", UNKNOWN, UNKNOWN, "c.example", "Some+One@Example.net",
     '"sp ace"@example.net'),
]

# A hit ends the search of that table whatever the value, DUNNO included:
# for a client, a hit on a parent domain skips every address lookup.
# (case, {socketmap name: key answered "DUNNO"})
HIT_CASES = [
    (("A", "192.0.2.10", "Mail.Sub.Example.COM", UNKNOWN, "h.example",
      "User+Ext@Sub.Example.COM", "rcpt@example.net"),
     {"client_all": "example.com", "sender_all": "sub.example.com"}),
    (("A", "192.0.2.11", "Mail.Sub.Example.COM", UNKNOWN, "h.example",
      "x@example.org", '"a b+c"@example.net'),
     {"client_full": "Mail.Sub.Example.COM", "rcpt_all": "a b@example.net"}),
]

KINDS = [("client", "client"), ("reverse_client", "rclient"),
         ("helo", "helo"), ("sender", "sender"), ("recipient", "rcpt")]


def searchkeys(tool, confdir, kind, text, host):
    args = [tool, "-c", confdir, "--", kind, text]
    if host is not None:
        args.append(host)
    out = subprocess.run(args, capture_output=True, check=True).stdout
    probes = []
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        scope, key = line.split("\t", 1)
        probes.append((scope, key))
    return probes


def fold(key):
    """The union table folds keys: ASCII lower-casing, ICU full folding
    for other keys (Python's casefold() is the same Unicode mapping)."""
    return key.lower() if key.isascii() else key.casefold()


def cut_after(keys, hit):
    """The keys up to and including the first one equal to hit."""
    return keys[:keys.index(hit) + 1] if hit in keys else keys


def run_case(tool, variants, srv, case, hits=None):
    variant, addr, name, rname, helo, sender, rcpt = case
    port, confdir = variants[variant]
    hits = hits or {}
    srv.answers = {(m, k.encode()): b"DUNNO" for m, k in hits.items()}
    srv.take()
    s = Session(port)
    s.xclient(addr=addr, name=name or "[UNAVAILABLE]",
              reverse_name=rname or "[UNAVAILABLE]")
    code, lines = s.cmd("EHLO " + helo)
    if code != 250:
        raise AssertionError("EHLO %s: %r" % (helo, lines))
    utf8 = " SMTPUTF8" if not (sender + rcpt).isascii() else ""
    code, lines = s.cmd("MAIL FROM:<%s>%s" % (sender.strip("<>"), utf8))
    if code != 250:
        raise AssertionError("MAIL FROM %s: %r" % (sender, lines))
    rcpt_arg = rcpt if rcpt.startswith("<") else "<%s>" % rcpt
    code, lines = s.cmd("RCPT TO:" + rcpt_arg)
    s.close()
    seen = {}
    for mapname, key in srv.take():
        seen.setdefault(mapname, []).append(
            key.decode("utf-8", "surrogateescape"))

    bare_addr = addr[5:] if addr.upper().startswith("IPV6:") else addr
    inputs = {"client": (bare_addr, name), "reverse_client": (bare_addr, rname),
              "helo": (helo, None), "sender": (sender, None),
              "recipient": (rcpt, None)}
    failures = []
    for kind, tag in KINDS:
        text, host = inputs[kind]
        want = searchkeys(tool, confdir, kind, text, host)
        want_all = [fold(k) for _, k in want]
        want_full = [k for scope, k in want if scope == "all"]
        if tag + "_all" in hits:
            want_all = cut_after(want_all, hits[tag + "_all"])
        if tag + "_full" in hits:
            want_full = cut_after(want_full, hits[tag + "_full"])
        got_all = seen.get(tag + "_all", [])
        got_full = seen.get(tag + "_full", [])
        label = "%s %s %r%s" % (variant, kind, text,
                                "" if host is None else " name=%r" % host)
        if VERBOSE:
            print("%s\n  all tables: %r\n  fixed only: %r"
                  % (label, got_full, [k for k in got_all
                                       if k not in map(fold, got_full)]))
        if got_all != want_all:
            failures.append("%s: fixed-table probes differ\n  smtpd:      %r\n"
                            "  searchkeys: %r" % (label, got_all, want_all))
        if got_full != want_full:
            failures.append("%s: all-table probes differ\n  smtpd:      %r\n"
                            "  searchkeys: %r" % (label, got_full, want_full))
        if not got_all:
            failures.append("%s: smtpd made no lookups (RCPT reply %r)"
                            % (label, lines))
    return failures


def main():
    tool, sockport = sys.argv[1], int(sys.argv[2])
    variants = {}
    for spec in sys.argv[3:]:
        v, rest = spec.split("=", 1)
        port, confdir = rest.split(":", 1)
        variants[v] = (int(port), confdir)
    srv = SocketmapLog(sockport)
    failures = []
    probes = 0
    for case in CASES:
        failures += run_case(tool, variants, srv, case)
        probes += 1
    for case, hits in HIT_CASES:
        failures += run_case(tool, variants, srv, case, hits)
        probes += 1
    for f in failures:
        print("FAIL " + f)
    print("%d sessions, %d kinds each, %d mismatches"
          % (probes, len(KINDS), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
