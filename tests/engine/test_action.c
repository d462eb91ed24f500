/* test_action.c - am_action: access(5) values, findings and smtpd replies.
 *
 * Reply expectations were observed from Postfix 3.7.11's smtpd (the same
 * forms are checked live by tests/oracle/smtpd_actions.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/action.h"
#include "engine/check.h"

#define C AM_CHECK_CLIENT

/* Findings as "id id ..." (notes included), plus the last location. */
struct collect {
    char ids[512];
    struct am_loc last;
};

static void
collect(void *ctx, const struct am_diag *d)
{
    struct collect *c = ctx;
    size_t n = strlen(c->ids);

    snprintf(c->ids + n, sizeof(c->ids) - n, "%s%s", n ? " " : "", d->id);
    c->last = d->loc;
}

/* Conf tweaks: "nodelay" (smtpd_delay_reject = no), "classes=a,b". */
static void
make_conf(struct am_check_conf *c, const char *spec)
{
    am_check_conf_init(c);
    if (spec == NULL)
        return;
    if (strcmp(spec, "nodelay") == 0)
        c->delay_reject = 0;
    else if (strncmp(spec, "classes=", 8) == 0)
        c->restriction_classes = spec + 8;
    else
        fail_msg("bad conf tweak %s", spec);
}

struct parse_case {
    const char *value;
    int check;
    const char *conf;
    int want_kind;
    int want_acts;
    int want_code;
    const char *want_dsn;       /* NULL: none */
    const char *want_text;      /* reply text, or args for other kinds */
    int want_severity;
    const char *want_ids;
};

#define K(x) AM_ACTION_##x
#define W AM_DIAG_WARNING
#define E AM_DIAG_ERROR

static const struct parse_case parse_cases[] = {
    { "REJECT", C, NULL, K(REJECT), K(REJECT), 0, NULL, "", 0, "" },
    { "reject lower case", C, NULL, K(REJECT), K(REJECT), 0, NULL,
      "lower case", 0, "" },
    { "ReJeCt mixed", C, NULL, K(REJECT), K(REJECT), 0, NULL, "mixed", 0, "" },
    { "REJECT\ttab text", C, NULL, K(REJECT), K(REJECT), 0, NULL, "tab text",
      0, "" },
    { "REJECT 4.7.9 class mismatch", C, NULL, K(REJECT), K(REJECT), 0, "4.7.9",
      "class mismatch", W, "dsn-class-mismatch" },
    { "REJECT 5.1.1 addr on client", C, NULL, K(REJECT), K(REJECT), 0, "5.1.1",
      "addr on client", W, "dsn-rewritten" },
    { "REJECT 5.1.1 on helo", AM_CHECK_HELO, NULL, K(REJECT), K(REJECT), 0,
      "5.1.1", "on helo", W, "dsn-rewritten" },
    { "REJECT 5.1.1 on sender", AM_CHECK_SENDER, NULL, K(REJECT), K(REJECT),
      0, "5.1.1", "on sender", W, "dsn-rewritten" },
    { "REJECT 5.1.1 on recipient", AM_CHECK_RECIPIENT, NULL, K(REJECT),
      K(REJECT), 0, "5.1.1", "on recipient", 0, "" },
    { "REJECT 5.1.1 no context", AM_CHECK_EXACT, NULL, K(REJECT), K(REJECT),
      0, "5.1.1", "no context", 0, "" },
    { "REJECT 5.7.9", C, NULL, K(REJECT), K(REJECT), 0, "5.7.9", "", E,
      "dsn-without-text" },
    { "REJECT 5.7.9 ", C, NULL, K(REJECT), K(REJECT), 0, "5.7.9", "", 0, "" },
    { "REJECT 5.7 not a code", C, NULL, K(REJECT), K(REJECT), 0, NULL,
      "5.7 not a code", W, "malformed-dsn" },
    { "REJECT 5.7.1000 too long", C, NULL, K(REJECT), K(REJECT), 0, NULL,
      "5.7.1000 too long", W, "malformed-dsn" },
    { "REJECT 3.7.1 bad class", C, NULL, K(REJECT), K(REJECT), 0, NULL,
      "3.7.1 bad class", W, "malformed-dsn" },
    { "REJECT see http://example.com/why", C, NULL, K(REJECT), K(REJECT), 0,
      NULL, "see http://example.com/why", 0, "" },
    { "DEFER", C, NULL, K(DEFER), K(DEFER), 0, NULL, "", 0, "" },
    { "DEFER 5.7.3 wrong class", C, NULL, K(DEFER), K(DEFER), 0, "5.7.3",
      "wrong class", W, "dsn-class-mismatch" },
    { "450 4.7.9 custom", C, NULL, K(CODE), K(CODE), 450, "4.7.9", "custom", 0,
      "" },
    { "554 custom no enhanced", C, NULL, K(CODE), K(CODE), 554, NULL,
      "custom no enhanced", 0, "" },
    { "550\t5.7.1 tab", C, NULL, K(CODE), K(CODE), 550, "5.7.1", "tab", 0, "" },
    { "450 5.7.1 class", C, NULL, K(CODE), K(CODE), 450, "5.7.1", "class", W,
      "dsn-class-mismatch" },
    { "521 5.7.1 go away", C, NULL, K(CODE), K(CODE), 521, "5.7.1", "go away",
      0, "disconnect" },
    { "550", C, NULL, K(NUMERIC), K(OK), 0, NULL, "", W, "bare-reply-code" },
    { "1234", C, NULL, K(NUMERIC), K(OK), 0, NULL, "", W, "all-numerical" },
    { "OK", C, NULL, K(OK), K(OK), 0, NULL, "", 0, "" },
    { "OK # whitelisted", C, NULL, K(OK), K(OK), 0, NULL, "# whitelisted", W,
      "ignored-text" },
    { "relay", C, NULL, K(RELAY), K(RELAY), 0, NULL, "", 0, "" },
    { "DUNNO", C, NULL, K(DUNNO), K(DUNNO), 0, NULL, "", 0, "" },
    { "dunno because", C, NULL, K(DUNNO), K(DUNNO), 0, NULL, "because", W,
      "ignored-text" },
    { "DEFER_IF_PERMIT some text", C, NULL, K(DEFER_IF_PERMIT),
      K(DEFER_IF_PERMIT), 0, NULL, "some text", 0, "" },
    { "defer_if_reject", C, NULL, K(DEFER_IF_REJECT), K(DEFER_IF_REJECT), 0,
      NULL, "", 0, "" },
    { "DISCARD", C, NULL, K(DISCARD), K(DISCARD), 0, NULL, "", 0, "" },
    { "HOLD held text", C, NULL, K(HOLD), K(HOLD), 0, NULL, "held text", 0,
      "" },
    { "HOLD", C, "nodelay", K(HOLD), K(HOLD), 0, NULL, "", W,
      "action-skipped" },
    { "HOLD", AM_CHECK_SENDER, "nodelay", K(HOLD), K(HOLD), 0, NULL, "", 0,
      "" },
    { "REDIRECT foo@example.net", C, NULL, K(REDIRECT), K(REDIRECT), 0, NULL,
      "foo@example.net", 0, "" },
    { "REDIRECT nodomain", C, NULL, K(REDIRECT), K(DUNNO), 0, NULL, "nodomain",
      W, "missing-target" },
    { "REDIRECT", C, NULL, K(REDIRECT), K(DUNNO), 0, NULL, "", W,
      "missing-target" },
    { "BCC nobody", AM_CHECK_RECIPIENT, NULL, K(BCC), K(DUNNO), 0, NULL,
      "nobody", W, "missing-target" },
    { "BCC copy@example.net", AM_CHECK_RECIPIENT, NULL, K(BCC), K(BCC), 0,
      NULL, "copy@example.net", 0, "" },
    { "FILTER smtp:[127.0.0.1]:10025", C, NULL, K(FILTER), K(FILTER), 0, NULL,
      "smtp:[127.0.0.1]:10025", 0, "" },
    { "FILTER nocolon", C, NULL, K(FILTER), K(DUNNO), 0, NULL, "nocolon", W,
      "missing-target" },
    { "FILTER", C, NULL, K(FILTER), K(DUNNO), 0, NULL, "", W,
      "missing-target" },
    { "PREPEND X-Test: yes", C, NULL, K(PREPEND), K(PREPEND), 0, NULL,
      "X-Test: yes", 0, "" },
    { "PREPEND X-Test : spaced", C, NULL, K(PREPEND), K(PREPEND), 0, NULL,
      "X-Test : spaced", 0, "" },
    { "PREPEND X Test: no", C, NULL, K(PREPEND), K(DUNNO), 0, NULL,
      "X Test: no", W, "missing-header" },
    { "PREPEND :empty name", C, NULL, K(PREPEND), K(DUNNO), 0, NULL,
      ":empty name", W, "missing-header" },
    { "PREPEND", C, NULL, K(PREPEND), K(DUNNO), 0, NULL, "", W,
      "missing-header" },
    { "WARN some warning", C, NULL, K(WARN), K(WARN), 0, NULL, "some warning",
      0, "" },
    { "INFO", C, NULL, K(INFO), K(INFO), 0, NULL, "", 0, "" },
    { "HANGUP", C, NULL, K(HANGUP), K(HANGUP), 0, NULL, "", W, "hangup" },
    { "permit", C, NULL, K(RESTRICTIONS), K(RESTRICTIONS), 0, NULL, "permit",
      0, "" },
    { "reject, permit", C, NULL, K(RESTRICTIONS), K(RESTRICTIONS), 0, NULL,
      "reject, permit", W, "action-with-comma unreachable-restriction" },
    { "permit_mynetworks reject_unauth_destination", C, NULL, K(RESTRICTIONS),
      K(RESTRICTIONS), 0, NULL, "permit_mynetworks reject_unauth_destination",
      0, "" },
    { "FOOBAR", C, NULL, K(RESTRICTIONS), K(INVALID), 0, NULL, "FOOBAR", E,
      "unknown-restriction" },
    { "REJECTED", C, NULL, K(RESTRICTIONS), K(INVALID), 0, NULL, "REJECTED", E,
      "unknown-restriction" },
    { "DELAY 5m", C, NULL, K(RESTRICTIONS), K(INVALID), 0, NULL, "DELAY 5m", E,
      "unknown-restriction unknown-restriction" },
    { "permit_mynetworks, FOOBAR", C, NULL, K(RESTRICTIONS), K(RESTRICTIONS),
      0, NULL, "permit_mynetworks, FOOBAR", E, "unknown-restriction" },
    { "200 weird", C, NULL, K(RESTRICTIONS), K(INVALID), 0, NULL, "200 weird",
      E, "bad-reply-code unknown-restriction unknown-restriction" },
    { "4xx text", C, NULL, K(RESTRICTIONS), K(INVALID), 0, NULL, "4xx text", E,
      "unknown-restriction unknown-restriction" },
    { "{reject}", C, NULL, K(RESTRICTIONS), K(INVALID), 0, NULL, "{reject}", E,
      "unknown-restriction" },
    { "hash:/etc/postfix/other", C, NULL, K(INVALID), K(INVALID), 0, NULL, "",
      E, "lookup-table-in-value" },
    { "check_client_access", C, NULL, K(RESTRICTIONS), K(INVALID), 0, NULL,
      "check_client_access", E, "missing-argument" },
    { "check_policy_service", C, NULL, K(RESTRICTIONS), K(INVALID), 0, NULL,
      "check_policy_service", E, "missing-argument" },
    { "sleep", C, NULL, K(RESTRICTIONS), K(INVALID), 0, NULL, "sleep", E,
      "missing-argument" },
    { "sleep x", C, NULL, K(RESTRICTIONS), K(INVALID), 0, NULL, "sleep x", E,
      "missing-argument" },
    { "sleep 5, reject", C, NULL, K(RESTRICTIONS), K(RESTRICTIONS), 0, NULL,
      "sleep 5, reject", 0, "" },
    { "reject_rbl_client", C, NULL, K(RESTRICTIONS), K(RESTRICTIONS), 0, NULL,
      "reject_rbl_client", W, "missing-argument" },
    { "reject_rbl_client zen.example, permit", C, NULL, K(RESTRICTIONS),
      K(RESTRICTIONS), 0, NULL, "reject_rbl_client zen.example, permit", 0,
      "" },
    { "reject_maps_rbl", C, NULL, K(RESTRICTIONS), K(RESTRICTIONS), 0, NULL,
      "reject_maps_rbl", W, "deprecated-restriction" },
    { ",", C, NULL, K(RESTRICTIONS), K(OK), 0, NULL, ",", W,
      "empty-restriction-list" },
    { "", C, NULL, K(INVALID), K(INVALID), 0, NULL, "", E, "empty-value" },
    { "myclass", C, "classes=myclass, other", K(RESTRICTIONS),
      K(RESTRICTIONS), 0, NULL, "myclass", 0, "" },
    { "other", C, "classes=myclass, other", K(RESTRICTIONS), K(RESTRICTIONS),
      0, NULL, "other", 0, "" },
    { "MyClass", C, "classes=myclass", K(RESTRICTIONS), K(INVALID), 0, NULL,
      "MyClass", E, "unknown-restriction" },
    { "myclass", C, NULL, K(RESTRICTIONS), K(INVALID), 0, NULL, "myclass", E,
      "unknown-restriction" },
};

static void
parse_cases_table(void **state)
{
    struct am_check_conf conf;
    struct collect col;
    struct am_diag_sink sink = { collect, &col, { 0, 0, 0 } };
    struct am_action a;
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        const char *text;
        size_t text_len;

        make_conf(&conf, c->conf);
        memset(&col, 0, sizeof(col));
        am_action_parse(c->value, strlen(c->value), c->check, &conf, &a, &sink,
                        NULL);
        if (a.kind != c->want_kind || a.acts_as != c->want_acts)
            fail_msg("\"%s\": kind %s acts %s, want %s acts %s", c->value,
                     am_action_kind_name(a.kind),
                     am_action_kind_name(a.acts_as),
                     am_action_kind_name(c->want_kind),
                     am_action_kind_name(c->want_acts));
        assert_int_equal(a.code, c->want_code);
        if (c->want_dsn == NULL) {
            if (a.dsn != NULL)
                fail_msg("\"%s\": unexpected dsn", c->value);
        } else {
            assert_non_null(a.dsn);
            assert_int_equal(a.dsn_len, strlen(c->want_dsn));
            assert_memory_equal(a.dsn, c->want_dsn, a.dsn_len);
        }
        switch (a.kind) {
        case AM_ACTION_REJECT:
        case AM_ACTION_DEFER:
        case AM_ACTION_CODE:
        case AM_ACTION_DEFER_IF_REJECT:
        case AM_ACTION_DEFER_IF_PERMIT:
            text = a.text;
            text_len = a.text_len;
            break;
        default:
            text = a.args;
            text_len = a.args_len;
            break;
        }
        if (text_len != strlen(c->want_text)
            || memcmp(text, c->want_text, text_len) != 0)
            fail_msg("\"%s\": text \"%.*s\", want \"%s\"", c->value,
                     (int) text_len, text, c->want_text);
        if (a.severity != c->want_severity
            || strcmp(col.ids, c->want_ids) != 0)
            fail_msg("\"%s\": severity %d findings \"%s\", want %d \"%s\"",
                     c->value, a.severity, col.ids, c->want_severity,
                     c->want_ids);
    }
}

/* A NUL ends the value as it does for Postfix's C strings. */
static void
parse_stops_at_nul(void **state)
{
    static const char value[] = "REJECT\0hidden text";
    struct am_action a;

    (void) state;
    am_action_parse(value, sizeof(value) - 1, C, NULL, &a, NULL, NULL);
    assert_int_equal(a.kind, AM_ACTION_REJECT);
    assert_int_equal(a.text_len, 0);
    am_action_parse("OK anything", 2, C, NULL, &a, NULL, NULL);
    assert_int_equal(a.kind, AM_ACTION_OK);
    assert_int_equal(a.args_len, 0);
}

/* Findings carry the value's location, moved to the offending word. */
static void
finding_columns(void **state)
{
    struct collect col;
    struct am_diag_sink sink = { collect, &col, { 0, 0, 0 } };
    struct am_loc loc = { "access", 3, 10 };
    struct am_action a;

    (void) state;
    memset(&col, 0, sizeof(col));
    am_action_parse("permit_mynetworks FOOBAR", 24, C, NULL, &a, &sink, &loc);
    assert_string_equal(col.ids, "unknown-restriction");
    assert_string_equal(col.last.file, "access");
    assert_int_equal(col.last.line, 3);
    assert_int_equal(col.last.col, 10 + 18);
    assert_int_equal(sink.count[AM_DIAG_ERROR], 1);
    assert_int_equal(a.findings, 1);

    loc.col = 0;                /* unknown column stays unknown */
    am_action_parse("FOOBAR", 6, C, NULL, &a, &sink, &loc);
    assert_int_equal(col.last.col, 0);
}

struct reply_case {
    const char *value;
    int check;
    const char *reply_name;
    const char *conf;           /* "soft", "codes" (550/451/553/452),
                                 * "badcode" (access_map_reject_code 250),
                                 * "ascii" */
    int want_rc;
    const char *want_line;
    int want_when;
    int want_disconnect;
    int want_uncertain;
};

#define CN "c.example[192.0.2.1]"
#define CH "<" CN ">: Client host rejected: "
#define NOW AM_REPLY_NOW
#define SENT AM_REPLY_SENT

static const struct reply_case reply_cases[] = {
    { "REJECT", C, CN, NULL, SENT, "554 5.7.1 " CH "Access denied", NOW, 0,
      0 },
    { "REJECT custom text here", C, CN, NULL, SENT,
      "554 5.7.1 " CH "custom text here", NOW, 0, 0 },
    { "REJECT 4.7.9 class mismatch", C, CN, NULL, SENT,
      "554 5.7.9 " CH "class mismatch", NOW, 0, 0 },
    { "REJECT 5.1.1 addr dsn on client", C, CN, NULL, SENT,
      "554 5.0.0 " CH "addr dsn on client", NOW, 0, 0 },
    { "REJECT 2.0.0 odd", C, CN, NULL, SENT, "554 5.0.0 " CH "odd", NOW, 0,
      0 },
    { "DEFER", C, CN, NULL, SENT, "450 4.7.1 " CH "Access denied", NOW, 0, 0 },
    { "DEFER try later please", C, CN, NULL, SENT,
      "450 4.7.1 " CH "try later please", NOW, 0, 0 },
    { "450 4.7.9 custom 4xx text", C, CN, NULL, SENT,
      "450 4.7.9 " CH "custom 4xx text", NOW, 0, 0 },
    { "554 custom no enhanced", C, CN, NULL, SENT,
      "554 5.7.1 " CH "custom no enhanced", NOW, 0, 0 },
    { "450 5.7.1 class mismatch", C, CN, NULL, SENT,
      "450 4.7.1 " CH "class mismatch", NOW, 0, 0 },
    { "550 5.1.1 user unknown style", C, CN, NULL, SENT,
      "550 5.0.0 " CH "user unknown style", NOW, 0, 0 },
    { "599 5.9.9 max", C, CN, NULL, SENT, "599 5.9.9 " CH "max", NOW, 0, 0 },
    { "421 4.7.0 closing", C, CN, NULL, SENT, "421 4.7.0 " CH "closing", NOW,
      1, 0 },
    { "521 5.7.1 go away", C, CN, NULL, SENT, "521 5.7.1 " CH "go away", NOW,
      1, 0 },
    { "521 5.7.1 go away", C, CN, "soft", SENT, "421 4.7.1 " CH "go away",
      NOW, 1, 0 },
    { "DEFER_IF_PERMIT", C, CN, NULL, SENT,
      "450 4.7.1 " CH "Service unavailable", AM_REPLY_IF_PERMIT, 0, 0 },
    { "DEFER_IF_REJECT custom dir text", C, CN, NULL, SENT,
      "450 4.7.1 " CH "custom dir text", AM_REPLY_IF_REJECT, 0, 0 },
    { "DEFER_IF_REJECT 4.7.2 with dsn", C, CN, "codes", SENT,
      "451 4.7.2 " CH "with dsn", AM_REPLY_IF_REJECT, 0, 0 },
    { "REJECT Only I am me", AM_CHECK_HELO, "only.me", NULL, SENT,
      "554 5.7.1 <only.me>: Helo command rejected: Only I am me", NOW, 0, 0 },
    { "REJECT null sender", AM_CHECK_SENDER, "", NULL, SENT,
      "554 5.7.1 <>: Sender address rejected: null sender", NOW, 0, 0 },
    { "550 5.1.2 s2", AM_CHECK_SENDER, "s@x", NULL, SENT,
      "550 5.1.8 <s@x>: Sender address rejected: s2", NOW, 0, 0 },
    { "REJECT 5.1.7 r7", AM_CHECK_RECIPIENT, "r@x", NULL, SENT,
      "554 5.1.3 <r@x>: Recipient address rejected: r7", NOW, 0, 0 },
    { "550 5.1.1 r1", AM_CHECK_RECIPIENT, "r@x", "soft", SENT,
      "450 4.1.1 <r@x>: Recipient address rejected: r1", NOW, 0, 0 },
    { "REJECT rev matched", AM_CHECK_REVERSE_CLIENT, "host.Bad.Example", NULL,
      SENT, "554 5.7.1 <host.Bad.Example>: Unverified Client host rejected: "
      "rev matched", NOW, 0, 0 },
    { "REJECT", C, CN, "soft", SENT, "454 4.7.1 " CH "Access denied", NOW, 0,
      0 },
    { "REJECT", C, CN, "codes", SENT, "550 5.7.1 " CH "Access denied", NOW, 0,
      0 },
    { "DEFER", C, CN, "codes", SENT, "451 4.7.1 " CH "Access denied", NOW, 0,
      0 },
    { "REJECT", C, CN, "badcode", SENT, "450 4.7.1 Service unavailable", NOW,
      0, 0 },
    { "reject", C, CN, "codes", SENT, "550 5.7.1 " CH "Access denied", NOW, 0,
      0 },
    { "reject, permit", C, CN, "codes", SENT, "553 5.7.1 " CH "Access denied",
      NOW, 0, 0 },
    { "defer,permit", C, CN, NULL, SENT, "450 4.3.2 " CH "Try again later",
      NOW, 0, 0 },
    { "sleep 1, reject", C, CN, NULL, SENT, "554 5.7.1 " CH "Access denied",
      NOW, 0, 0 },
    { "FOOBAR", C, CN, NULL, SENT, "451 4.3.5 Server configuration error",
      NOW, 0, 0 },
    { "hash:/x", C, CN, NULL, SENT, "451 4.3.5 Server configuration error",
      NOW, 0, 0 },
    { "sleep", C, CN, NULL, SENT, "451 4.3.5 Server configuration error", NOW,
      0, 0 },
    { "check_client_access", C, CN, NULL, SENT,
      "451 4.3.5 Server configuration error", NOW, 0, 0 },
    { AM_ACTION_LOOKUP_ERROR_VALUE, C, CN, NULL, SENT,
      "451 4.3.5 " CH "Server configuration error", NOW, 0, 0 },
    { "REJECT 5.7.9", C, CN, NULL, SENT, "554 5.7.9 " CH "Access denied", NOW,
      0, 1 },
    { "REJECT a\tb\001c", C, CN, NULL, SENT, "554 5.7.1 " CH "a b c", NOW, 0,
      0 },
    { "REJECT na\xc3\xafve", C, CN, NULL, SENT,
      "554 5.7.1 " CH "na\xc3\xafve", NOW, 0, 0 },
    { "REJECT na\xc3\xafve", C, CN, "ascii", SENT, "554 5.7.1 " CH "na  ve",
      NOW, 0, 0 },
    { "REJECT cut \xc3", C, CN, NULL, SENT, "554 5.7.1 " CH "cut  ", NOW, 0,
      0 },
    { "REJECT loose \xe2\x82", C, CN, NULL, SENT,
      "554 5.7.1 " CH "loose \xe2\x82", NOW, 0, 0 },
    { "OK", C, CN, NULL, AM_REPLY_NONE, "", NOW, 0, 0 },
    { "DUNNO", C, CN, NULL, AM_REPLY_NONE, "", NOW, 0, 0 },
    { "550", C, CN, NULL, AM_REPLY_NONE, "", NOW, 0, 0 },
    { "HOLD", C, CN, NULL, AM_REPLY_NONE, "", NOW, 0, 0 },
    { "DISCARD", C, CN, NULL, AM_REPLY_NONE, "", NOW, 0, 0 },
    { "HANGUP", C, CN, NULL, AM_REPLY_NONE, "", NOW, 0, 0 },
    { "permit", C, CN, NULL, AM_REPLY_NONE, "", NOW, 0, 0 },
    { ",", C, CN, NULL, AM_REPLY_NONE, "", NOW, 0, 0 },
    { "permit_mynetworks, reject", C, CN, NULL, AM_REPLY_DEPENDS, "", NOW, 0,
      0 },
    { "REJECT", AM_CHECK_EXACT, "x", NULL, AM_ERR_INVALID, "", NOW, 0, 0 },
};

static void
reply_cases_table(void **state)
{
    struct am_check_conf conf;
    struct am_action a;
    struct am_reply r;
    struct am_error err;
    size_t i;
    int rc;

    (void) state;
    am_reply_init(&r);
    for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
        const struct reply_case *c = &reply_cases[i];

        am_check_conf_init(&conf);
        if (c->conf != NULL && strcmp(c->conf, "soft") == 0) {
            conf.soft_bounce = 1;
        } else if (c->conf != NULL && strcmp(c->conf, "codes") == 0) {
            conf.map_reject_code = 550;
            conf.map_defer_code = 451;
            conf.reject_code = 553;
            conf.defer_code = 452;
        } else if (c->conf != NULL && strcmp(c->conf, "badcode") == 0) {
            conf.map_reject_code = 250;
        } else if (c->conf != NULL && strcmp(c->conf, "ascii") == 0) {
            conf.smtputf8 = 0;
        }
        am_action_parse(c->value, strlen(c->value), c->check, &conf, &a, NULL,
                        NULL);
        rc = am_action_reply(&a, c->check, c->reply_name, &conf, &r, &err);
        if (rc != c->want_rc)
            fail_msg("\"%s\": rc %d, want %d", c->value, rc, c->want_rc);
        if (rc != AM_REPLY_SENT) {
            assert_int_equal(r.line.len, 0);
            continue;
        }
        if (strcmp(r.line.data, c->want_line) != 0)
            fail_msg("\"%s\":\n got  %s\n want %s", c->value, r.line.data,
                     c->want_line);
        assert_int_equal(r.code, atoi(c->want_line));
        assert_memory_equal(r.dsn, c->want_line + 4, strlen(r.dsn));
        assert_int_equal(c->want_line[4 + strlen(r.dsn)], ' ');
        assert_int_equal(r.when, c->want_when);
        assert_int_equal(r.disconnect, c->want_disconnect);
        assert_int_equal(r.uncertain, c->want_uncertain);
    }
    am_reply_free(&r);
}

/* Postfix 3.7 does not cut replies at 510 bytes (its truncation leaves
 * the string unterminated); a long text goes out whole. */
static void
long_reply_is_not_cut(void **state)
{
    char value[2100];
    struct am_action a;
    struct am_reply r;
    struct am_error err;

    (void) state;
    memcpy(value, "REJECT ", 7);
    memset(value + 7, 'x', 2000);
    value[2007] = '\0';
    am_reply_init(&r);
    am_action_parse(value, strlen(value), C, NULL, &a, NULL, NULL);
    assert_int_equal(am_action_reply(&a, C, CN, NULL, &r, &err), SENT);
    assert_int_equal(r.line.len, strlen("554 5.7.1 " CH) + 2000);
    am_reply_free(&r);
}

/* smtpd_dsn_fix(): the X.1.Y rewriting table per class. */
static void
dsn_rewriting_table(void **state)
{
    static const char *const sender[] = {
        "0", "7", "8", "7", "7", "0", "7", "7", "8", "0", "0",
    };
    static const char *const rcpt[] = {
        "0", "1", "2", "3", "4", "5", "6", "3", "2", "0", "0",
    };
    static const int others[] = {
        AM_CHECK_CLIENT, AM_CHECK_REVERSE_CLIENT, AM_CHECK_HELO,
    };
    char in[16], out[16], want[16];
    size_t i, k;

    (void) state;
    for (i = 0; i <= 10; i++) {
        snprintf(in, sizeof(in), "5.1.%zu", i);
        am_action_fix_dsn(in, strlen(in), AM_CHECK_SENDER, out);
        snprintf(want, sizeof(want), "5.1.%s", sender[i]);
        if (strcmp(out, want) != 0)
            fail_msg("sender %s -> %s, want %s", in, out, want);
        am_action_fix_dsn(in, strlen(in), AM_CHECK_RECIPIENT, out);
        snprintf(want, sizeof(want), "5.1.%s", rcpt[i]);
        if (strcmp(out, want) != 0)
            fail_msg("recipient %s -> %s, want %s", in, out, want);
        for (k = 0; k < sizeof(others) / sizeof(others[0]); k++) {
            am_action_fix_dsn(in, strlen(in), others[k], out);
            assert_string_equal(out, "5.0.0");
        }
    }
    /* The first digit is kept; the reply code forces it later. */
    am_action_fix_dsn("4.1.2", 5, AM_CHECK_SENDER, out);
    assert_string_equal(out, "4.1.8");
    /* Only X.1.Y changes. */
    am_action_fix_dsn("5.7.1", 5, AM_CHECK_CLIENT, out);
    assert_string_equal(out, "5.7.1");
    am_action_fix_dsn("5.10.1", 6, AM_CHECK_SENDER, out);
    assert_string_equal(out, "5.10.1");
    am_action_fix_dsn("5.1.1", 5, AM_CHECK_EXACT, out);
    assert_string_equal(out, "5.0.0");
}

static void
restriction_names(void **state)
{
    const struct am_restriction *r, *all;
    const char *cur, *end, *w;
    size_t n, len, i;
    static const char list[] = " a,b\t{c, d} ,,e{f}g ";
    static const char *const want[] = { "a", "b", "{c, d}", "e{f}g" };

    (void) state;
    all = am_action_restrictions(&n);
    assert_int_equal(n, 77);
    r = am_action_restriction_find("Reject_Unauth_Destination", 25);
    assert_non_null(r);
    assert_string_equal(r->name, "reject_unauth_destination");
    assert_null(am_action_restriction_find("reject_unauth_dest", 18));
    assert_null(am_action_restriction_find("OK", 2));
    r = am_action_restriction_find("check_sender_access", 19);
    assert_true(r->flags & AM_RESTRICTION_TABLE);
    r = am_action_restriction_find("reject_rbl_client", 17);
    assert_true(r->flags & AM_RESTRICTION_DOMAIN);
    for (i = 0; i < n; i++)
        assert_ptr_equal(am_action_restriction_find(all[i].name,
                                                    strlen(all[i].name)),
                         &all[i]);

    cur = list;
    end = list + sizeof(list) - 1;
    for (i = 0; am_action_restriction_next(&cur, end, &w, &len); i++) {
        assert_true(i < 4);
        assert_int_equal(len, strlen(want[i]));
        assert_memory_equal(w, want[i], len);
    }
    assert_int_equal(i, 4);
}

static void
check_names(void **state)
{
    (void) state;
    assert_int_equal(am_check_parse("client"), AM_CHECK_CLIENT);
    assert_int_equal(am_check_parse("Reverse-Client"), AM_CHECK_REVERSE_CLIENT);
    assert_int_equal(am_check_parse("rcpt"), AM_CHECK_RECIPIENT);
    assert_int_equal(am_check_parse("exact"), AM_CHECK_EXACT);
    assert_int_equal(am_check_parse("etrn"), -1);
    assert_string_equal(am_check_class(AM_CHECK_HELO), "Helo command");
    assert_null(am_check_class(AM_CHECK_EXACT));
    assert_string_equal(am_check_name(AM_CHECK_SENDER), "sender");
    assert_string_equal(am_action_kind_name(AM_ACTION_CODE), "4NN/5NN");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_cases_table),
        cmocka_unit_test(parse_stops_at_nul),
        cmocka_unit_test(finding_columns),
        cmocka_unit_test(reply_cases_table),
        cmocka_unit_test(long_reply_is_not_cut),
        cmocka_unit_test(dsn_rewriting_table),
        cmocka_unit_test(restriction_names),
        cmocka_unit_test(check_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
