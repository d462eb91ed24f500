/* test_search.c - am_search: smtpd's access table search order.
 *
 * Each case gives a check, an input and main.cf tweaks, and wants the
 * probes as "a:KEY" (every table) or "f:KEY" (fixed-key tables only),
 * joined by '|'.  The expectations were observed from Postfix 3.7.11's
 * smtpd (tests/oracle/smtpd_search_order.sh checks the same rules live).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "engine/check.h"
#include "engine/search.h"

struct search_case {
    const char *name;
    int check;
    const char *text;
    const char *hostname;       /* client checks; NULL: unknown */
    const char *conf;           /* tweaks, see apply_conf() */
    int want_rc;                /* 0, or the AM_ERR_* wanted */
    const char *want;           /* probes, see above */
    const char *want_reply;     /* reply name; NULL: not checked */
};

/* Tweaks: "dot" (dot style), "delim=SET", "null=KEY", "origin=NAME",
 * "ascii" (smtputf8_enable = no), "noipv4", "noappend", "nobang",
 * "nopercent", "noowner", "host=NAME"; separated by spaces. */
static void
apply_conf(struct am_check_conf *c, const char *spec, char *store)
{
    char *tok, *save = NULL;

    am_check_conf_init(c);
    c->rcpt_delim = "+";
    c->myorigin = "origin.test.example";
    c->myhostname = "mx.test.example";
    if (spec == NULL)
        return;
    strcpy(store, spec);
    for (tok = strtok_r(store, " ", &save); tok != NULL;
         tok = strtok_r(NULL, " ", &save)) {
        if (strcmp(tok, "dot") == 0)
            c->parent_style = 0;
        else if (strncmp(tok, "delim=", 6) == 0)
            c->rcpt_delim = tok + 6;
        else if (strncmp(tok, "null=", 5) == 0)
            c->null_sender_key = tok + 5;
        else if (strncmp(tok, "origin=", 7) == 0)
            c->myorigin = tok + 7;
        else if (strncmp(tok, "host=", 5) == 0)
            c->myhostname = tok + 5;
        else if (strcmp(tok, "ascii") == 0)
            c->smtputf8 = 0;
        else if (strcmp(tok, "noipv4") == 0)
            c->ipv4 = 0;
        else if (strcmp(tok, "noappend") == 0)
            c->append_at_myorigin = 0;
        else if (strcmp(tok, "nobang") == 0)
            c->swap_bangpath = 0;
        else if (strcmp(tok, "nopercent") == 0)
            c->percent_hack = 0;
        else if (strcmp(tok, "noowner") == 0)
            c->owner_request_special = 0;
        else
            fail_msg("bad conf tweak %s", tok);
    }
}

static const struct search_case cases[] = {
    /* --- client: hostname search, then address search --- */
    { "client name and IPv4", AM_CHECK_CLIENT, "192.0.2.7",
      "Mail.Sub.Example.COM", NULL, 0,
      "a:Mail.Sub.Example.COM|f:Sub.Example.COM|f:Example.COM|f:COM|"
      "a:192.0.2.7|f:192.0.2|f:192.0|f:192",
      "Mail.Sub.Example.COM[192.0.2.7]" },
    { "client dot style", AM_CHECK_CLIENT, "192.0.2.7",
      "Mail.Sub.Example.COM", "dot", 0,
      "a:Mail.Sub.Example.COM|f:.Sub.Example.COM|f:.Example.COM|f:.COM|"
      "a:192.0.2.7|f:192.0.2|f:192.0|f:192", NULL },
    { "client unknown name", AM_CHECK_CLIENT, "10.1.2.3", NULL, NULL, 0,
      "a:unknown|a:10.1.2.3|f:10.1.2|f:10.1|f:10", "unknown[10.1.2.3]" },
    { "client IPv6 compressed and lowered", AM_CHECK_CLIENT,
      "2001:DB8:0:0::1", "host.example", NULL, 0,
      "a:host.example|f:example|a:2001:db8::1|f:2001:db8:|f:2001:db8|f:2001",
      "host.example[2001:db8::1]" },
    { "client IPv6 with XCLIENT prefix", AM_CHECK_CLIENT, "IPv6:2001:DB8::1",
      NULL, NULL, 0,
      "a:unknown|a:2001:db8::1|f:2001:db8:|f:2001:db8|f:2001", NULL },
    { "client ::1 (no empty key)", AM_CHECK_CLIENT, "::1", NULL, NULL, 0,
      "a:unknown|a:::1|f::", NULL },
    { "client fe80:: trailing colons", AM_CHECK_CLIENT, "fe80::", NULL, NULL,
      0, "a:unknown|a:fe80::|f:fe80:|f:fe80", NULL },
    { "client full IPv6", AM_CHECK_CLIENT, "2001:db8:1:2:3:4:5:6", NULL, NULL,
      0, "a:unknown|a:2001:db8:1:2:3:4:5:6|f:2001:db8:1:2:3:4:5|"
      "f:2001:db8:1:2:3:4|f:2001:db8:1:2:3|f:2001:db8:1:2|f:2001:db8:1|"
      "f:2001:db8|f:2001", NULL },
    { "client IPv4-mapped becomes IPv4", AM_CHECK_CLIENT, "::ffff:192.0.2.1",
      "m.example", NULL, 0,
      "a:m.example|f:example|a:192.0.2.1|f:192.0.2|f:192.0|f:192",
      "m.example[192.0.2.1]" },
    { "client IPv4-mapped without IPv4", AM_CHECK_CLIENT, "::ffff:192.0.2.1",
      NULL, "noipv4", 0, "a:unknown|a:::ffff:192.0.2.1|f:::ffff|f::", NULL },
    { "client IPv4-compatible", AM_CHECK_CLIENT, "::1.2.3.4", NULL, NULL, 0,
      "a:unknown|a:::1.2.3.4|f::", NULL },
    { "client unknown address", AM_CHECK_CLIENT, "unknown", NULL, NULL, 0,
      "a:unknown|a:unknown", "unknown[unknown]" },
    { "client bad address", AM_CHECK_CLIENT, "1.2.3", NULL, NULL,
      AM_ERR_SYNTAX, "", NULL },
    { "client leading-zero IPv4 refused", AM_CHECK_CLIENT, "01.2.3.4", NULL,
      NULL, AM_ERR_SYNTAX, "", NULL },
    { "reverse client", AM_CHECK_REVERSE_CLIENT, "192.0.2.7",
      "Rev.Example.NET", NULL, 0,
      "a:Rev.Example.NET|f:Example.NET|f:NET|a:192.0.2.7|f:192.0.2|f:192.0|"
      "f:192", "Rev.Example.NET" },
    { "deep client name", AM_CHECK_CLIENT, "203.0.113.5",
      "deep.a.b.c.d.example", NULL, 0,
      "a:deep.a.b.c.d.example|f:a.b.c.d.example|f:b.c.d.example|"
      "f:c.d.example|f:d.example|f:example|a:203.0.113.5|f:203.0.113|"
      "f:203.0|f:203", NULL },

    /* --- HELO --- */
    { "helo parents keep case", AM_CHECK_HELO, "Helo.Sub.Example.ORG", NULL,
      NULL, 0, "a:Helo.Sub.Example.ORG|f:Sub.Example.ORG|f:Example.ORG|f:ORG",
      "Helo.Sub.Example.ORG" },
    { "helo bare IPv4: one lookup", AM_CHECK_HELO, "1.2.3.4", NULL, NULL, 0,
      "a:1.2.3.4", NULL },
    { "helo address literal", AM_CHECK_HELO, "[1.2.3.4]", NULL, NULL, 0,
      "a:[1.2.3.4]|f:2.3.4]|f:3.4]|f:4]", "[1.2.3.4]" },
    { "helo address literal, dot style", AM_CHECK_HELO, "[1.2.3.4]", NULL,
      "dot", 0, "a:[1.2.3.4]|f:.2.3.4]|f:.3.4]|f:.4]", NULL },
    { "helo IPv6 literal", AM_CHECK_HELO, "[IPv6:2001:db8::5]", NULL, NULL, 0,
      "a:[IPv6:2001:db8::5]", NULL },
    { "helo bare IPv6 with IPv4 tail", AM_CHECK_HELO, "::ffff:1.2.3.4", NULL,
      NULL, 0, "a:::ffff:1.2.3.4", NULL },
    { "helo trailing dot", AM_CHECK_HELO, "Trailing.Dot.Example.", NULL, NULL,
      0, "a:Trailing.Dot.Example.|f:Dot.Example.|f:Example.", NULL },
    { "helo trailing dot, dot style", AM_CHECK_HELO, "Trailing.Dot.Example.",
      NULL, "dot", 0,
      "a:Trailing.Dot.Example.|f:.Dot.Example.|f:.Example.|f:.", NULL },
    { "helo 0.1.2.3 is not an address", AM_CHECK_HELO, "0.1.2.3", NULL, NULL,
      0, "a:0.1.2.3|f:1.2.3|f:2.3|f:3", NULL },
    { "helo 0.0.0.0 is an address", AM_CHECK_HELO, "0.0.0.0", NULL, NULL, 0,
      "a:0.0.0.0", NULL },
    { "helo 1.2.3.4. is not an address", AM_CHECK_HELO, "1.2.3.4.", NULL,
      NULL, 0, "a:1.2.3.4.|f:2.3.4.|f:3.4.|f:4.", NULL },
    { "helo 256.1.1.1 is not an address", AM_CHECK_HELO, "256.1.1.1", NULL,
      NULL, 0, "a:256.1.1.1|f:1.1.1|f:1.1|f:1", NULL },
    { "helo double dot", AM_CHECK_HELO, "a..b", NULL, NULL, 0, "a:a..b|f:.b",
      NULL },
    { "helo leading dot, dot style", AM_CHECK_HELO, ".leading.example", NULL,
      "dot", 0, "a:.leading.example|f:.example", NULL },
    { "helo neutered characters", AM_CHECK_HELO, "x@y(z)", NULL, NULL, 0,
      "a:x?y?z?", "x?y?z?" },
    { "helo with space", AM_CHECK_HELO, "Mixed Case", NULL, NULL, 0,
      "a:Mixed?Case", NULL },
    { "helo control character", AM_CHECK_HELO, "a\001b.c", NULL, NULL, 0,
      "a:a?b.c|f:c", NULL },
    { "helo UTF-8 kept", AM_CHECK_HELO, "h\xc3\xa9.example", NULL, NULL, 0,
      "a:h\xc3\xa9.example|f:example", NULL },
    { "helo UTF-8 without smtputf8", AM_CHECK_HELO, "h\xc3\xa9.example", NULL,
      "ascii", 0, "a:h??.example|f:example", NULL },

    /* --- sender and recipient --- */
    { "sender with extension", AM_CHECK_SENDER, "User+Ext@Sub.Example.COM",
      NULL, NULL, 0,
      "a:user+ext@sub.example.com|f:user@sub.example.com|f:sub.example.com|"
      "f:example.com|f:com|f:user+ext@|f:user@",
      "User+Ext@Sub.Example.COM" },
    { "sender, dot style", AM_CHECK_SENDER, "User+Ext@Sub.Example.COM", NULL,
      "dot", 0,
      "a:user+ext@sub.example.com|f:user@sub.example.com|f:sub.example.com|"
      "f:.example.com|f:.com|f:user+ext@|f:user@", NULL },
    { "no delimiter configured", AM_CHECK_SENDER, "User+Ext@Example.COM", NULL,
      "delim=", 0, "a:user+ext@example.com|f:example.com|f:com|f:user+ext@",
      NULL },
    { "delimiter absent", AM_CHECK_RECIPIENT, "plain@example.net", NULL, NULL,
      0, "a:plain@example.net|f:example.net|f:net|f:plain@", NULL },
    { "split at the first delimiter", AM_CHECK_RECIPIENT,
      "user+a+b@example.net", NULL, NULL, 0,
      "a:user+a+b@example.net|f:user@example.net|f:example.net|f:net|"
      "f:user+a+b@|f:user@", NULL },
    { "delimiter set of two", AM_CHECK_RECIPIENT, "a+b-c@example.net", NULL,
      "delim=+- dot", 0,
      "a:a+b-c@example.net|f:a@example.net|f:example.net|f:.net|f:a+b-c@|"
      "f:a@", NULL },
    { "second delimiter of the set first", AM_CHECK_SENDER,
      "User-Ext+More@Sub.Example.COM", NULL, "delim=+-", 0,
      "a:user-ext+more@sub.example.com|f:user@sub.example.com|"
      "f:sub.example.com|f:example.com|f:com|f:user-ext+more@|f:user@", NULL },
    { "empty extension", AM_CHECK_RECIPIENT, "user+@example.net", NULL, NULL,
      0, "a:user+@example.net|f:user@example.net|f:example.net|f:net|"
      "f:user+@|f:user@", NULL },
    { "empty local part before delimiter", AM_CHECK_RECIPIENT,
      "+foo@example.net", NULL, NULL, 0,
      "a:+foo@example.net|f:example.net|f:net|f:+foo@", NULL },
    { "trailing delimiter", AM_CHECK_RECIPIENT, "x-@example.net", NULL,
      "delim=+-", 0,
      "a:x-@example.net|f:x@example.net|f:example.net|f:net|f:x-@|f:x@",
      NULL },
    { "postmaster+x is split", AM_CHECK_RECIPIENT, "postmaster+x@example.net",
      NULL, NULL, 0,
      "a:postmaster+x@example.net|f:postmaster@example.net|f:example.net|"
      "f:net|f:postmaster+x@|f:postmaster@", NULL },
    { "postmaster without a delimiter", AM_CHECK_RECIPIENT,
      "Postmaster@example.net", NULL, "delim=-", 0,
      "a:postmaster@example.net|f:example.net|f:net|f:postmaster@", NULL },
    { "owner- not split when '-' is a delimiter", AM_CHECK_RECIPIENT,
      "owner-list@example.net", NULL, "delim=+-", 0,
      "a:owner-list@example.net|f:example.net|f:net|f:owner-list@", NULL },
    { "-request not split when '-' is a delimiter", AM_CHECK_SENDER,
      "list-request@example.net", NULL, "delim=+- dot", 0,
      "a:list-request@example.net|f:example.net|f:.net|f:list-request@",
      NULL },
    { "owner- split without owner_request_special", AM_CHECK_RECIPIENT,
      "owner-list@example.net", NULL, "delim=- noowner", 0,
      "a:owner-list@example.net|f:owner@example.net|f:example.net|f:net|"
      "f:owner-list@|f:owner@", NULL },
    { "owner- with '+' only is split at '+'", AM_CHECK_SENDER,
      "owner-list+x@example.net", NULL, NULL, 0,
      "a:owner-list+x@example.net|f:owner-list@example.net|f:example.net|"
      "f:net|f:owner-list+x@|f:owner-list@", NULL },
    { "mailer-daemon not split", AM_CHECK_SENDER, "MAILER-DAEMON@example.net",
      NULL, "delim=-", 0,
      "a:mailer-daemon@example.net|f:example.net|f:net|f:mailer-daemon@",
      NULL },
    { "double-bounce not split", AM_CHECK_SENDER, "double-bounce@example.net",
      NULL, "delim=-", 0,
      "a:double-bounce@example.net|f:example.net|f:net|f:double-bounce@",
      NULL },
    { "quoted local part: both forms", AM_CHECK_RECIPIENT,
      "\"Foo Bar+x\"@Dest.Example.NET", NULL, NULL, 0,
      "a:\"foo bar+x\"@dest.example.net|a:foo bar+x@dest.example.net|"
      "f:\"foo bar\"@dest.example.net|f:foo bar@dest.example.net|"
      "f:dest.example.net|f:example.net|f:net|f:\"foo bar+x\"@|f:foo bar+x@|"
      "f:\"foo bar\"@|f:foo bar@", "Foo Bar+x@Dest.Example.NET" },
    { "quoted '@' in local part", AM_CHECK_SENDER, "\"a@b\"@Example.com", NULL,
      NULL, 0,
      "a:\"a@b\"@example.com|a:a@b@example.com|f:example.com|f:com|"
      "f:\"a@b\"@|f:a@b@", "a@b@Example.com" },
    { "quoted quote", AM_CHECK_RECIPIENT, "\"quo\\\"te\"@example.net", NULL,
      NULL, 0,
      "a:\"quo\\\"te\"@example.net|a:quo\"te@example.net|f:example.net|"
      "f:net|f:\"quo\\\"te\"@|f:quo\"te@", "quo\"te@example.net" },
    { "trailing dot in local part needs quotes", AM_CHECK_SENDER,
      "\"with.dot.\"@x.example", NULL, NULL, 0,
      "a:\"with.dot.\"@x.example|a:with.dot.@x.example|f:x.example|"
      "f:example|f:\"with.dot.\"@|f:with.dot.@", NULL },
    { "quotes that are not needed", AM_CHECK_SENDER, "\"plain\"@x.example",
      NULL, NULL, 0, "a:plain@x.example|f:x.example|f:example|f:plain@",
      "plain@x.example" },
    { "empty quoted local part", AM_CHECK_SENDER, "\"\"@example.com", NULL,
      NULL, 0,
      "a:\"\"@example.com|a:@example.com|f:example.com|f:com|f:\"\"@|f:@",
      "@example.com" },
    { "8-bit local part is not quoted", AM_CHECK_SENDER,
      "JOS\xc3\x89@Ex\xc3\xa4mple.org", NULL, NULL, 0,
      "a:jos\xc3\xa9@ex\xc3\xa4mple.org|f:ex\xc3\xa4mple.org|f:org|"
      "f:jos\xc3\xa9@", "JOS\xc3\x89@Ex\xc3\xa4mple.org" },
    { "ICU full case folding", AM_CHECK_RECIPIENT,
      "Stra\xc3\x9f" "e+\xc3\x84RGER@Example.net", NULL, NULL, 0,
      "a:strasse+\xc3\xa4rger@example.net|f:strasse@example.net|"
      "f:example.net|f:net|f:strasse+\xc3\xa4rger@|f:strasse@", NULL },
    { "ASCII-only folding without smtputf8", AM_CHECK_RECIPIENT,
      "Stra\xc3\x9f" "e@Example.net", NULL, "ascii", 0,
      "a:stra\xc3\x9f" "e@example.net|f:example.net|f:net|"
      "f:stra\xc3\x9f" "e@", NULL },
    { "malformed UTF-8", AM_CHECK_SENDER, "a\xff@example.net", NULL, NULL,
      AM_ERR_SYNTAX, "", NULL },
    { "unqualified gets @myorigin", AM_CHECK_SENDER, "LocalUser", NULL, NULL,
      0, "a:localuser@origin.test.example|f:origin.test.example|"
      "f:test.example|f:example|f:localuser@", "LocalUser" },
    { "angle brackets", AM_CHECK_SENDER, "<LocalUser>", NULL,
      "origin=Mx.Example", 0, "a:localuser@mx.example|f:mx.example|"
      "f:example|f:localuser@", "LocalUser" },
    { "no append: @myhostname", AM_CHECK_SENDER, "joe", NULL,
      "noappend host=MX.test", 0, "a:joe@mx.test|f:mx.test|f:test|f:joe@",
      NULL },
    { "bang path", AM_CHECK_SENDER, "host!User", NULL, NULL, 0,
      "a:user@host|f:host|f:user@", NULL },
    { "bang path off", AM_CHECK_SENDER, "host!User", NULL, "nobang", 0,
      "a:host!user@origin.test.example|f:origin.test.example|"
      "f:test.example|f:example|f:host!user@", NULL },
    { "percent hack", AM_CHECK_SENDER, "user%Site.example", NULL, NULL, 0,
      "a:user@site.example|f:site.example|f:example|f:user@", NULL },
    { "percent hack uses the last %", AM_CHECK_SENDER, "a%b%c", NULL, NULL, 0,
      "a:a%b@c|f:c|f:a%b@", NULL },
    { "quoted bang is not a route", AM_CHECK_SENDER, "\"a b!c\"", NULL, NULL,
      0, "a:\"a b!c\"@origin.test.example|a:a b!c@origin.test.example|"
      "f:origin.test.example|f:test.example|f:example|f:\"a b!c\"@|f:a b!c@",
      NULL },
    { "trailing dot stripped", AM_CHECK_SENDER, "user@Example.COM.", NULL,
      NULL, 0, "a:user@example.com|f:example.com|f:com|f:user@", NULL },
    { "source route stripped", AM_CHECK_RECIPIENT,
      "<@a.example,@b.example:route@Example.org>", NULL, NULL, 0,
      "a:route@example.org|f:example.org|f:org|f:route@", NULL },
    { "domain literal", AM_CHECK_RECIPIENT, "user@[192.0.2.9]", NULL, NULL, 0,
      "a:user@[192.0.2.9]|f:[192.0.2.9]|f:0.2.9]|f:2.9]|f:9]|f:user@", NULL },
    { "null sender", AM_CHECK_SENDER, "", NULL, NULL, 0, "a:<>", "" },
    { "null sender in brackets", AM_CHECK_SENDER, "<>", NULL, "null=<null>",
      0, "a:<null>", "" },
    { "null recipient refused", AM_CHECK_RECIPIENT, "<>", NULL, NULL,
      AM_ERR_SYNTAX, "", NULL },

    /* --- exact --- */
    { "exact key as given", AM_CHECK_EXACT, "Mixed.Case.Example", NULL, NULL,
      0, "a:Mixed.Case.Example", "Mixed.Case.Example" },
};

static void
join_probes(const am_search *s, char *out, size_t size)
{
    size_t i, used = 0;

    out[0] = '\0';
    for (i = 0; i < am_search_count(s); i++) {
        const struct am_probe *p = am_search_probe(s, i);
        int n = snprintf(out + used, size - used, "%s%s:%s", i ? "|" : "",
                         p->fixed_only ? "f" : "a", p->key);

        assert_true(n > 0 && (size_t) n < size - used);
        assert_int_equal(strlen(p->key), p->len);
        used += (size_t) n;
    }
}

static void
search_cases(void **state)
{
    char store[256], got[2048];
    struct am_check_conf conf;
    struct am_error err;
    size_t i;
    am_search *s;
    int rc;

    (void) state;
    s = am_search_new(&err);
    assert_non_null(s);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct search_case *c = &cases[i];
        struct am_search_input in = { c->text, c->hostname, AM_SEARCH_BOTH };

        apply_conf(&conf, c->conf, store);
        rc = am_search_build(s, c->check, &in, &conf, &err);
        if (c->want_rc != 0) {
            if (rc != c->want_rc)
                fail_msg("%s: rc %d, want %d", c->name, rc, c->want_rc);
            assert_int_equal(err.code, c->want_rc);
            assert_int_equal(am_search_count(s), 0);
            continue;
        }
        if (rc < 0)
            fail_msg("%s: error %s", c->name, err.msg);
        assert_int_equal((size_t) rc, am_search_count(s));
        join_probes(s, got, sizeof(got));
        if (strcmp(got, c->want) != 0)
            fail_msg("%s:\n got  %s\n want %s", c->name, got, c->want);
        if (c->want_reply != NULL
            && strcmp(am_search_reply_name(s), c->want_reply) != 0)
            fail_msg("%s: reply name \"%s\", want \"%s\"", c->name,
                     am_search_reply_name(s), c->want_reply);
    }
    am_search_free(s);
}

/* A client check narrowed to one half searches only the name or only the
 * address, in the same order as the whole check. */
static void
client_halves(void **state)
{
    static const char *const name_keys[] = { "mail.example.com",
        "example.com", "com" };
    static const char *const addr_keys[] = { "192.0.2.10", "192.0.2",
        "192.0", "192" };
    struct am_search_input in = { "192.0.2.10", "mail.example.com",
                                  AM_SEARCH_BOTH };
    struct am_error err;
    am_search *s = am_search_new(&err);
    size_t i;

    (void) state;
    assert_int_equal(am_search_build(s, AM_CHECK_CLIENT, &in, NULL, &err), 7);
    in.half = AM_SEARCH_NAME_HALF;
    assert_int_equal(am_search_build(s, AM_CHECK_CLIENT, &in, NULL, &err), 3);
    for (i = 0; i < 3; i++)
        assert_string_equal(am_search_probe(s, i)->key, name_keys[i]);
    in.half = AM_SEARCH_ADDRESS_HALF;
    assert_int_equal(am_search_build(s, AM_CHECK_CLIENT, &in, NULL, &err), 4);
    for (i = 0; i < 4; i++) {
        assert_string_equal(am_search_probe(s, i)->key, addr_keys[i]);
        assert_int_equal(am_search_probe(s, i)->step,
                         i == 0 ? AM_STEP_ADDRESS : AM_STEP_NETWORK);
    }
    /* The client is the whole client either way. */
    assert_string_equal(am_search_subject(s), "192.0.2.10");
    am_search_free(s);
}

/* Steps and quoting flags say what each probe stands for. */
static void
probe_steps(void **state)
{
    static const int want[] = {
        AM_STEP_MAIL_FULL, AM_STEP_MAIL_FULL, AM_STEP_MAIL_NOEXT,
        AM_STEP_MAIL_NOEXT, AM_STEP_MAIL_DOMAIN, AM_STEP_MAIL_DOMAIN,
        AM_STEP_MAIL_LOCAL, AM_STEP_MAIL_LOCAL, AM_STEP_MAIL_LOCAL_NOEXT,
        AM_STEP_MAIL_LOCAL_NOEXT,
    };
    struct am_search_input in = { "\"a b+c\"@x.example", NULL, AM_SEARCH_BOTH };
    struct am_check_conf conf;
    struct am_error err;
    am_search *s = am_search_new(&err);
    size_t i;

    (void) state;
    am_check_conf_init(&conf);
    conf.rcpt_delim = "+";
    assert_int_equal(am_search_build(s, AM_CHECK_RECIPIENT, &in, &conf, &err),
                     10);
    for (i = 0; i < 10; i++) {
        assert_int_equal(am_search_probe(s, i)->step, want[i]);
        if (want[i] != AM_STEP_MAIL_DOMAIN)
            assert_int_equal(am_search_probe(s, i)->quoted, i % 2 == 0);
    }
    assert_null(am_search_probe(s, 10));
    assert_string_equal(am_search_subject(s), "a b+c@x.example");
    assert_string_equal(am_search_step_name(AM_STEP_MAIL_NOEXT),
                        "address without extension");

    in.text = "10.0.0.1";
    in.hostname = "h.example";
    assert_int_equal(am_search_build(s, AM_CHECK_CLIENT, &in, &conf, &err), 6);
    assert_int_equal(am_search_probe(s, 0)->step, AM_STEP_HOSTNAME);
    assert_int_equal(am_search_probe(s, 1)->step, AM_STEP_PARENT);
    assert_int_equal(am_search_probe(s, 2)->step, AM_STEP_ADDRESS);
    assert_int_equal(am_search_probe(s, 3)->step, AM_STEP_NETWORK);
    assert_string_equal(am_search_subject(s), "10.0.0.1");
    am_search_free(s);
}

static void
limits_and_bad_input(void **state)
{
    static char big[AM_SEARCH_INPUT_MAX + 2];
    struct am_search_input in = { big, NULL, AM_SEARCH_BOTH };
    struct am_error err;
    am_search *s = am_search_new(&err);

    (void) state;
    memset(big, 'a', sizeof(big) - 1);
    assert_int_equal(am_search_build(s, AM_CHECK_HELO, &in, NULL, &err),
                     AM_ERR_LIMIT);
    in.text = NULL;
    assert_int_equal(am_search_build(s, AM_CHECK_HELO, &in, NULL, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_search_build(s, 99, NULL, NULL, &err), AM_ERR_INVALID);
    in.text = "";
    assert_int_equal(am_search_build(s, AM_CHECK_HELO, &in, NULL, &err),
                     AM_ERR_SYNTAX);
    in.text = "1.2.3.4";
    in.hostname = "";
    assert_int_equal(am_search_build(s, AM_CHECK_CLIENT, &in, NULL, &err),
                     AM_ERR_SYNTAX);
    am_search_free(s);
    am_search_free(NULL);
}

/* Many dots: one probe per label, nothing quadratic or lost. */
static void
long_names(void **state)
{
    char name[AM_SEARCH_INPUT_MAX];
    struct am_search_input in = { name, NULL, AM_SEARCH_BOTH };
    struct am_error err;
    am_search *s = am_search_new(&err);
    size_t i, n = 0;

    (void) state;
    for (i = 0; i + 2 < sizeof(name); i += 2) {
        name[i] = 'a';
        name[i + 1] = '.';
        n++;
    }
    name[i] = 'z';
    name[i + 1] = '\0';
    assert_int_equal(am_search_build(s, AM_CHECK_HELO, &in, NULL, &err),
                     (int) n + 1);
    assert_string_equal(am_search_probe(s, n)->key, "z");
    am_search_free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(search_cases),
        cmocka_unit_test(probe_steps),
        cmocka_unit_test(client_halves),
        cmocka_unit_test(limits_and_bad_input),
        cmocka_unit_test(long_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
