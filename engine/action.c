/* action.c - access(5) values as smtpd reads them; see action.h.
 *
 * The order of the tests below is the order of Postfix 3.7's
 * check_table_result(): it decides, for example, that "550" alone is OK
 * (all digits) and that "FILTER" without a colon is skipped with a warning,
 * while any other value with a colon is a configuration error.
 */
#include "engine/action.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Postfix's ISSPACE: ASCII whitespace only. */
static int
is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f'
        || c == '\r';
}

static int
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* alldig(): non-empty and only digits. */
static int
all_digits(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (!is_digit((unsigned char) s[i]))
            return 0;
    return len > 0;
}

static const char *const kind_names[AM_ACTION_KIND_COUNT] = {
    [AM_ACTION_INVALID] = "invalid",
    [AM_ACTION_OK] = "OK",
    [AM_ACTION_RELAY] = "RELAY",
    [AM_ACTION_NUMERIC] = "all-numerical",
    [AM_ACTION_REJECT] = "REJECT",
    [AM_ACTION_DEFER] = "DEFER",
    [AM_ACTION_CODE] = "4NN/5NN",
    [AM_ACTION_DEFER_IF_REJECT] = "DEFER_IF_REJECT",
    [AM_ACTION_DEFER_IF_PERMIT] = "DEFER_IF_PERMIT",
    [AM_ACTION_DISCARD] = "DISCARD",
    [AM_ACTION_DUNNO] = "DUNNO",
    [AM_ACTION_HOLD] = "HOLD",
    [AM_ACTION_REDIRECT] = "REDIRECT",
    [AM_ACTION_FILTER] = "FILTER",
    [AM_ACTION_PREPEND] = "PREPEND",
    [AM_ACTION_BCC] = "BCC",
    [AM_ACTION_WARN] = "WARN",
    [AM_ACTION_INFO] = "INFO",
    [AM_ACTION_HANGUP] = "HANGUP",
    [AM_ACTION_RESTRICTIONS] = "restrictions",
};

const char *
am_action_kind_name(int kind)
{
    if (kind < 0 || kind >= AM_ACTION_KIND_COUNT)
        return "unknown";
    return kind_names[kind];
}

/* The action words, in the order check_table_result() tries them (the
 * all-digits, 4NN/5NN and OK/RELAY tests come after these). */
static const struct {
    const char *word;
    int kind;
} words[] = {
    { "DUNNO", AM_ACTION_DUNNO },
    { "REJECT", AM_ACTION_REJECT },
    { "DEFER", AM_ACTION_DEFER },
    { "HANGUP", AM_ACTION_HANGUP },
    { "INFO", AM_ACTION_INFO },
    { "WARN", AM_ACTION_WARN },
    { "FILTER", AM_ACTION_FILTER },
    { "HOLD", AM_ACTION_HOLD },
    { "DISCARD", AM_ACTION_DISCARD },
    { "REDIRECT", AM_ACTION_REDIRECT },
    { "BCC", AM_ACTION_BCC },
    { "DEFER_IF_PERMIT", AM_ACTION_DEFER_IF_PERMIT },
    { "DEFER_IF_REJECT", AM_ACTION_DEFER_IF_REJECT },
    { "PREPEND", AM_ACTION_PREPEND },
};

static int
word_is(const char *w, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp(w, name, len) == 0;
}

static int
find_word(const char *w, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (word_is(w, len, words[i].word))
            return words[i].kind;
    if (word_is(w, len, "OK"))
        return AM_ACTION_OK;
    if (word_is(w, len, "RELAY"))
        return AM_ACTION_RELAY;
    return -1;
}

/* --- restriction names (generic_checks() in smtpd_check.c, 3.7) --- */

#define TBL AM_RESTRICTION_TABLE
#define DOM AM_RESTRICTION_DOMAIN
static const struct am_restriction restrictions[] = {
    { "warn_if_reject", 0 },
    { "permit", AM_RESTRICTION_FINAL },
    { "defer", AM_RESTRICTION_FINAL },
    { "reject", AM_RESTRICTION_FINAL },
    { "reject_unauth_pipelining", 0 },
    { "check_policy_service", AM_RESTRICTION_SERVICE },
    { "defer_if_permit", 0 },
    { "defer_if_reject", 0 },
    { "sleep", AM_RESTRICTION_NUMBER },
    { "reject_plaintext_session", 0 },
    { "reject_unknown_client_hostname", 0 },
    { "reject_unknown_client", 0 },
    { "reject_unknown_reverse_client_hostname", 0 },
    { "permit_inet_interfaces", 0 },
    { "permit_mynetworks", 0 },
    { "check_client_access", TBL },
    { "check_reverse_client_hostname_access", TBL },
    { "reject_maps_rbl", AM_RESTRICTION_DEPRECATED },
    { "reject_rbl_client", DOM },
    { "reject_rbl", DOM },
    { "permit_dnswl_client", DOM },
    { "reject_rhsbl_client", DOM },
    { "permit_rhswl_client", DOM },
    { "reject_rhsbl_reverse_client", DOM },
    { "check_ccert_access", TBL },
    { "check_sasl_access", TBL },
    { "check_client_ns_access", TBL },
    { "check_client_mx_access", TBL },
    { "check_client_a_access", TBL },
    { "check_reverse_client_hostname_ns_access", TBL },
    { "check_reverse_client_hostname_mx_access", TBL },
    { "check_reverse_client_hostname_a_access", TBL },
    { "check_helo_access", TBL },
    { "reject_invalid_helo_hostname", 0 },
    { "reject_invalid_hostname", 0 },
    { "reject_unknown_helo_hostname", 0 },
    { "reject_unknown_hostname", 0 },
    { "permit_naked_ip_address", AM_RESTRICTION_DEPRECATED },
    { "check_helo_ns_access", TBL },
    { "check_helo_mx_access", TBL },
    { "check_helo_a_access", TBL },
    { "reject_non_fqdn_helo_hostname", 0 },
    { "reject_non_fqdn_hostname", 0 },
    { "reject_rhsbl_helo", DOM },
    { "check_sender_access", TBL },
    { "reject_unknown_address", 0 },
    { "reject_unknown_sender_domain", 0 },
    { "reject_unverified_sender", 0 },
    { "reject_non_fqdn_sender", 0 },
    { "reject_authenticated_sender_login_mismatch", 0 },
    { "reject_known_sender_login_mismatch", 0 },
    { "reject_unauthenticated_sender_login_mismatch", 0 },
    { "check_sender_ns_access", TBL },
    { "check_sender_mx_access", TBL },
    { "check_sender_a_access", TBL },
    { "reject_rhsbl_sender", DOM },
    { "reject_unlisted_sender", 0 },
    { "check_recipient_access", TBL },
    { "permit_mx_backup", 0 },
    { "permit_auth_destination", 0 },
    { "reject_unauth_destination", 0 },
    { "defer_unauth_destination", 0 },
    { "check_relay_domains",
      AM_RESTRICTION_FINAL | AM_RESTRICTION_DEPRECATED },
    { "permit_sasl_authenticated", 0 },
    { "permit_tls_all_clientcerts", 0 },
    { "permit_tls_clientcerts", 0 },
    { "reject_unknown_recipient_domain", 0 },
    { "reject_non_fqdn_recipient", 0 },
    { "check_recipient_ns_access", TBL },
    { "check_recipient_mx_access", TBL },
    { "check_recipient_a_access", TBL },
    { "reject_rhsbl_recipient", DOM },
    { "check_recipient_maps", 0 },
    { "reject_unlisted_recipient", 0 },
    { "reject_multi_recipient_bounce", 0 },
    { "reject_unverified_recipient", 0 },
    { "check_etrn_access", TBL },
};
#undef TBL
#undef DOM

const struct am_restriction *
am_action_restrictions(size_t *count)
{
    *count = sizeof(restrictions) / sizeof(restrictions[0]);
    return restrictions;
}

const struct am_restriction *
am_action_restriction_find(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(restrictions) / sizeof(restrictions[0]); i++)
        if (word_is(name, len, restrictions[i].name))
            return &restrictions[i];
    return NULL;
}

static int
is_list_sep(int c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
am_action_restriction_next(const char **cursor, const char *end,
                           const char **word, size_t *len)
{
    const char *p = *cursor, *start;
    int level = 0;

    while (p < end && is_list_sep((unsigned char) *p))
        p++;
    if (p >= end) {
        *cursor = p;
        return 0;
    }
    /* Braces group: separators inside "{...}" do not split (mystrtokq). */
    for (start = p; p < end; p++) {
        if (*p == '{')
            level++;
        else if (level > 0 && *p == '}')
            level--;
        else if (level == 0 && is_list_sep((unsigned char) *p))
            break;
    }
    *word = start;
    *len = (size_t) (p - start);
    *cursor = p;
    return 1;
}

/* Is word[0, len) one of the names listed in smtpd_restriction_classes?
 * Postfix looks class names up in a hash table: case-sensitive. */
static int
is_class(const char *classes, const char *word, size_t len)
{
    const char *cur, *w;
    size_t wl;

    if (classes == NULL)
        return 0;
    cur = classes;
    while (am_action_restriction_next(&cur, classes + strlen(classes), &w, &wl))
        if (wl == len && memcmp(w, word, len) == 0)
            return 1;
    return 0;
}

/* --- findings --- */

struct parse {
    struct am_action *a;
    struct am_diag_sink *diags;
    const struct am_loc *loc;
    const char *value;
};

static void
report(struct parse *p, int level, const char *at, const char *id,
       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
report(struct parse *p, int level, const char *at, const char *id,
       const char *fmt, ...)
{
    struct am_loc loc = { NULL, 0, 0 };
    char msg[768];
    va_list ap;

    if (level > p->a->severity && level >= AM_DIAG_WARNING)
        p->a->severity = level;
    if (level >= AM_DIAG_WARNING)
        p->a->findings++;
    if (p->diags == NULL)
        return;
    if (p->loc != NULL) {
        loc = *p->loc;
        if (loc.col != 0 && at != NULL)
            loc.col += (unsigned) (at - p->value);
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    am_diag_emit(p->diags, level, &loc, id, "%s", msg);
}

/* Quote at most this much of an offending text in a message. */
#define QUOTE_MAX 60
#define QLEN(n) ((int) ((n) > QUOTE_MAX ? QUOTE_MAX : (n)))
#define QDOTS(n) ((n) > QUOTE_MAX ? "..." : "")

/* --- enhanced status codes (dsn_util.c) --- */

/* dsn_valid(): length of a [245].D{1,3}.D{1,3} code at s that is followed
 * by the end or whitespace, else 0. */
static size_t
dsn_valid(const char *s, const char *end)
{
    const char *p = s;
    size_t n;

    if (end - p < 2 || (p[0] != '2' && p[0] != '4' && p[0] != '5')
        || p[1] != '.')
        return 0;
    p += 2;
    for (n = 0; p + n < end && is_digit((unsigned char) p[n]); n++)
        ;
    if (n < 1 || n > 3 || p + n >= end || p[n] != '.')
        return 0;
    p += n + 1;
    for (n = 0; p + n < end && is_digit((unsigned char) p[n]); n++)
        ;
    if (n < 1 || n > 3 || (p + n < end && !is_space((unsigned char) p[n])))
        return 0;
    return (size_t) (p + n - s);
}

void
am_action_fix_dsn(const char *dsn, size_t len, int check, char out[16])
{
    /* Sender and recipient replacements for X.1.<micro>, smtpd_dsn_fix.c. */
    static const struct {
        const char *micro, *sender, *rcpt;
    } map[] = {
        { "1", "4.1.7", "4.1.1" }, { "2", "4.1.8", "4.1.2" },
        { "3", "4.1.7", "4.1.3" }, { "4", "4.1.7", "4.1.4" },
        { "5", "4.1.0", "4.1.5" }, { "6", "4.1.7", "4.1.6" },
        { "7", "4.1.7", "4.1.3" }, { "8", "4.1.8", "4.1.2" },
    };
    const char *result = NULL;
    size_t i;

    if (len > 15)
        len = 15;
    memcpy(out, dsn, len);
    out[len] = '\0';
    if (len < 4 || !is_digit((unsigned char) dsn[0])
        || memcmp(dsn + 1, ".1.", 3) != 0)
        return;
    if (check == AM_CHECK_SENDER || check == AM_CHECK_RECIPIENT) {
        result = "4.1.0";
        for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
            if (strcmp(out + 4, map[i].micro) == 0) {
                result = check == AM_CHECK_SENDER ? map[i].sender : map[i].rcpt;
                break;
            }
    } else {
        result = "4.0.0";
    }
    out[0] = dsn[0];
    strcpy(out + 1, result + 1);
}

/* dsn_split() on the reply text: an optional enhanced code, then text. */
static void
split_reply_text(struct parse *p, int check, int code, const char *what)
{
    struct am_action *a = p->a;
    const char *s = a->args, *end = a->args + a->args_len;
    char fixed[16];
    size_t n;

    a->dsn = NULL;
    a->dsn_len = 0;
    if ((n = dsn_valid(s, end)) > 0) {
        a->dsn = s;
        a->dsn_len = n;
        s += n;
        if (s >= end) {
            /* Postfix steps over the byte after the code, which here is the
             * string's terminator, and sends whatever follows in memory. */
            report(p, AM_DIAG_ERROR, a->dsn, "dsn-without-text",
                   "%s %.*s has no text after the enhanced status code; "
                   "smtpd then sends leftover memory as the reply text",
                   what, (int) n, a->dsn);
            a->text = end;
            a->text_len = 0;
            return;
        }
        s++;
        while (s < end && is_space((unsigned char) *s))
            s++;
    } else if (end - s >= 3 && is_digit((unsigned char) s[0]) && s[1] == '.'
               && is_digit((unsigned char) s[2])) {
        size_t w = 0;

        while (s + w < end && !is_space((unsigned char) s[w]))
            w++;
        report(p, AM_DIAG_WARNING, s, "malformed-dsn",
               "\"%.*s\" is not an enhanced status code ([245].D{1,3}.D{1,3});"
               " it is sent as part of the text", QLEN(w), s);
    }
    a->text = s;
    a->text_len = (size_t) (end - s);
    if (a->dsn == NULL)
        return;
    if (code > 0 && a->dsn[0] != '0' + code / 100)
        report(p, AM_DIAG_WARNING, a->dsn, "dsn-class-mismatch",
               "enhanced status code %.*s is sent as %c%.*s to match "
               "reply code %d", (int) a->dsn_len, a->dsn, '0' + code / 100,
               (int) a->dsn_len - 1, a->dsn + 1, code);
    if (check != AM_CHECK_EXACT) {
        am_action_fix_dsn(a->dsn, a->dsn_len, check, fixed);
        if (strlen(fixed) != a->dsn_len
            || memcmp(fixed, a->dsn, a->dsn_len) != 0)
            report(p, AM_DIAG_WARNING, a->dsn, "dsn-rewritten",
                   "address status code %.*s is sent as %c%s in a %s "
                   "rejection", (int) a->dsn_len, a->dsn,
                   code > 0 ? '0' + code / 100 : a->dsn[0], fixed + 1,
                   am_check_class(check));
    }
}

/* The mail-delivery actions smtpd skips in client and HELO restrictions
 * evaluated before MAIL FROM (smtpd_delay_reject = no). */
static void
check_delivery_context(struct parse *p, int check,
                       const struct am_check_conf *conf)
{
    if (conf->delay_reject)
        return;
    if (check != AM_CHECK_CLIENT && check != AM_CHECK_REVERSE_CLIENT
        && check != AM_CHECK_HELO)
        return;
    report(p, AM_DIAG_WARNING, p->a->word, "action-skipped",
           "with smtpd_delay_reject = no, %s is skipped when this table is "
           "used in smtpd_client_restrictions or smtpd_helo_restrictions",
           am_action_kind_name(p->a->kind));
}

/* is_header(): a header label, optional blanks, then ':'. */
static int
is_header(const char *s, const char *end)
{
    int state = 0;              /* 0 start, 1 in label, 2 blanks after it */
    unsigned char c;

    for (; s < end; s++) {
        c = (unsigned char) *s;
        if (c == ':')
            return state != 0;
        if (c == ' ' || c == '\t') {
            if (state == 0)
                return 0;
            state = 2;
        } else if (c >= 0x80 || c < 0x20 || c == 0x7f || state == 2) {
            return 0;
        } else {
            state = 1;
        }
    }
    return 0;
}

static void
parse_restrictions(struct parse *p, const struct am_check_conf *conf)
{
    struct am_action *a = p->a;
    const char *cur = a->args, *end = a->args + a->args_len, *w, *arg;
    const struct am_restriction *r, *final = NULL;
    size_t wl, al, count = 0;
    int first = 1;

    while (am_action_restriction_next(&cur, end, &w, &wl)) {
        count++;
        if (final != NULL) {
            report(p, AM_DIAG_WARNING, w, "unreachable-restriction",
                   "restriction \"%.*s\" after \"%s\" is never evaluated",
                   QLEN(wl), w, final->name);
            first = 0;
            continue;
        }
        r = am_action_restriction_find(w, wl);
        if (r == NULL) {
            if (is_class(conf->restriction_classes, w, wl)) {
                first = 0;
                continue;
            }
            report(p, AM_DIAG_ERROR, w, "unknown-restriction",
                   "unknown smtpd restriction \"%.*s\"%s: smtpd replies "
                   "451 4.3.5 Server configuration error", QLEN(wl), w,
                   QDOTS(wl));
            if (first)
                a->acts_as = AM_ACTION_INVALID;
            first = 0;
            continue;
        }
        if (r->flags & AM_RESTRICTION_DEPRECATED)
            report(p, AM_DIAG_WARNING, w, "deprecated-restriction",
                   "restriction \"%s\" is deprecated", r->name);
        if (r->flags & (AM_RESTRICTION_TABLE | AM_RESTRICTION_SERVICE
                        | AM_RESTRICTION_NUMBER | AM_RESTRICTION_DOMAIN)) {
            const char *save = cur;

            if (!am_action_restriction_next(&cur, end, &arg, &al)) {
                arg = NULL;
                al = 0;
                cur = save;
            }
            if (r->flags & AM_RESTRICTION_DOMAIN) {
                if (arg == NULL)
                    report(p, AM_DIAG_WARNING, w, "missing-argument",
                           "restriction \"%s\" needs a domain name; smtpd "
                           "ignores it", r->name);
            } else if (r->flags & AM_RESTRICTION_NUMBER) {
                if (arg == NULL || !all_digits(arg, al)) {
                    report(p, AM_DIAG_ERROR, w, "missing-argument",
                           "restriction \"%s\" must be followed by a number",
                           r->name);
                    if (first)
                        a->acts_as = AM_ACTION_INVALID;
                }
            } else {
                /* A table or service name has a ':', and a value with a ':'
                 * never gets this far, so this is always an error. */
                report(p, AM_DIAG_ERROR, w, "missing-argument",
                       "restriction \"%s\" needs a %s argument, which an "
                       "access table value cannot give (no ':' allowed)",
                       r->name, (r->flags & AM_RESTRICTION_TABLE)
                       ? "type:table" : "transport:server");
                if (first)
                    a->acts_as = AM_ACTION_INVALID;
            }
        }
        if (r->flags & AM_RESTRICTION_FINAL)
            final = r;
        first = 0;
    }
    if (count == 0) {
        report(p, AM_DIAG_WARNING, a->args, "empty-restriction-list",
               "value has no restriction names; smtpd treats it as OK");
        a->acts_as = AM_ACTION_OK;
    }
}

void
am_action_parse(const char *value, size_t len, int check,
                const struct am_check_conf *conf, struct am_action *out,
                struct am_diag_sink *diags, const struct am_loc *loc)
{
    struct am_check_conf dflt;
    struct parse p = { out, diags, loc, NULL };
    const char *end, *s;
    size_t wl;
    int kind;

    if (conf == NULL) {
        am_check_conf_init(&dflt);
        conf = &dflt;
    }
    if (value == NULL)
        value = "";
    len = strnlen(value, len);
    end = value + len;
    p.value = value;
    memset(out, 0, sizeof(*out));
    out->word = value;
    out->args = end;
    out->text = end;

    if (len == 0) {
        out->kind = out->acts_as = AM_ACTION_INVALID;
        report(&p, AM_DIAG_ERROR, value, "empty-value",
               "empty value: smtpd treats it as a lookup error and replies "
               "451 4.3.5");
        return;
    }

    /* The word ends at a space or TAB only; the text starts after any
     * whitespace. */
    for (wl = 0; wl < len && value[wl] != ' ' && value[wl] != '\t'; wl++)
        ;
    out->word_len = wl;
    for (s = value + wl; s < end && is_space((unsigned char) *s); s++)
        ;
    out->args = s;
    out->args_len = (size_t) (end - s);
    out->text = s;
    out->text_len = out->args_len;

    kind = find_word(value, wl);
    if (kind == AM_ACTION_OK || kind == AM_ACTION_RELAY)
        kind = -1;              /* tested after the digit forms */
    if (kind < 0 && all_digits(value, len)) {
        out->kind = AM_ACTION_NUMERIC;
        out->acts_as = AM_ACTION_OK;
        if (len == 3 && (value[0] == '4' || value[0] == '5'))
            report(&p, AM_DIAG_WARNING, value, "bare-reply-code",
                   "\"%.*s\" alone is all digits, which smtpd treats as OK;"
                   " a reply code needs text after it", (int) len, value);
        else
            report(&p, AM_DIAG_WARNING, value, "all-numerical",
                   "all-numerical value \"%.*s\"%s means OK", QLEN(len),
                   value, QDOTS(len));
        return;
    }
    if (kind < 0 && wl == 3 && out->args_len > 0
        && (value[0] == '4' || value[0] == '5') && all_digits(value, 3)) {
        kind = AM_ACTION_CODE;
        out->code = (value[0] - '0') * 100 + (value[1] - '0') * 10
            + (value[2] - '0');
    }
    if (kind < 0) {
        kind = find_word(value, wl);
        if (kind < 0)
            kind = AM_ACTION_RESTRICTIONS;
    }
    out->kind = out->acts_as = kind;

    switch (kind) {
    case AM_ACTION_DUNNO:
    case AM_ACTION_OK:
    case AM_ACTION_RELAY:
        if (out->args_len > 0)
            report(&p, AM_DIAG_WARNING, out->args, "ignored-text",
                   "text after %.*s is ignored: \"%.*s\"%s", (int) wl, value,
                   QLEN(out->args_len), out->args, QDOTS(out->args_len));
        break;
    case AM_ACTION_REJECT:
        split_reply_text(&p, check, conf->map_reject_code, "REJECT");
        break;
    case AM_ACTION_DEFER:
    case AM_ACTION_DEFER_IF_REJECT:
    case AM_ACTION_DEFER_IF_PERMIT:
        split_reply_text(&p, check, conf->map_defer_code,
                         am_action_kind_name(kind));
        break;
    case AM_ACTION_CODE:
        split_reply_text(&p, check, out->code, "reply code");
        if (out->code == 421 || out->code == 521)
            report(&p, AM_DIAG_NOTE, value, "disconnect",
                   "smtpd closes the session after a %d reply", out->code);
        break;
    case AM_ACTION_HANGUP:
        report(&p, AM_DIAG_WARNING, value, "hangup",
               "HANGUP is an undocumented test feature: smtpd drops the "
               "connection without a reply");
        break;
    case AM_ACTION_FILTER:
        check_delivery_context(&p, check, conf);
        if (out->args_len == 0) {
            out->acts_as = AM_ACTION_DUNNO;
            report(&p, AM_DIAG_WARNING, value, "missing-target",
                   "FILTER needs transport:destination; smtpd logs a "
                   "warning and ignores the entry");
        } else if (memchr(out->args, ':', out->args_len) == NULL) {
            out->acts_as = AM_ACTION_DUNNO;
            report(&p, AM_DIAG_WARNING, out->args, "missing-target",
                   "FILTER target \"%.*s\"%s is not transport:destination; "
                   "smtpd logs a warning and ignores the entry",
                   QLEN(out->args_len), out->args, QDOTS(out->args_len));
        }
        break;
    case AM_ACTION_REDIRECT:
    case AM_ACTION_BCC:
        check_delivery_context(&p, check, conf);
        if (memchr(out->args, '@', out->args_len) == NULL) {
            out->acts_as = AM_ACTION_DUNNO;
            report(&p, AM_DIAG_WARNING, out->args_len ? out->args : value,
                   "missing-target",
                   "%s needs a user@domain target; smtpd logs a warning and "
                   "ignores the entry", am_action_kind_name(kind));
        }
        break;
    case AM_ACTION_HOLD:
    case AM_ACTION_DISCARD:
        check_delivery_context(&p, check, conf);
        break;
    case AM_ACTION_PREPEND:
        check_delivery_context(&p, check, conf);
        if (!is_header(out->args, end)) {
            out->acts_as = AM_ACTION_DUNNO;
            report(&p, AM_DIAG_WARNING, out->args_len ? out->args : value,
                   "missing-header",
                   "PREPEND needs \"Name: text\"; smtpd logs a warning and "
                   "ignores the entry");
        }
        break;
    case AM_ACTION_RESTRICTIONS:
        if (memchr(value, ':', len) != NULL) {
            out->kind = out->acts_as = AM_ACTION_INVALID;
            report(&p, AM_DIAG_ERROR, memchr(value, ':', len),
                   "lookup-table-in-value",
                   "value \"%.*s\"%s contains ':': smtpd refuses lookup tables"
                   " in access table values and replies 451 4.3.5; define a "
                   "restriction class and name it instead", QLEN(len), value,
                   QDOTS(len));
            break;
        }
        out->args = value;
        out->args_len = len;
        out->text = end;
        out->text_len = 0;
        if (wl == 3 && all_digits(value, 3))
            report(&p, AM_DIAG_ERROR, value, "bad-reply-code",
                   "reply code %.3s is not 4NN or 5NN; smtpd reads the value"
                   " as restriction names", value);
        else if (wl > 1 && value[wl - 1] == ',') {
            size_t k = wl;

            while (k > 0 && value[k - 1] == ',')
                k--;
            if (find_word(value, k) >= 0)
                report(&p, AM_DIAG_WARNING, value, "action-with-comma",
                       "\"%.*s\" is not the %.*s action: the comma makes "
                       "the value a restriction list", (int) wl, value,
                       (int) k, value);
        }
        parse_restrictions(&p, conf);
        break;
    default:
        break;
    }
}

/* --- replies --- */

/* printable(): bytes that are not printable ASCII become c; with UTF-8
 * enabled, a lead byte 0xC2..0xFE followed by continuation bytes is kept
 * together with all of them (Postfix does not check further). */
static void
make_printable(char *s, int utf8, int c)
{
    unsigned char *p = (unsigned char *) s;

    for (; *p != 0; p++) {
        if (*p >= 0x20 && *p < 0x7f)
            continue;
        if (utf8 && *p >= 194 && *p <= 254 && p[1] >= 128 && p[1] < 192) {
            while (p[1] >= 128 && p[1] < 192)
                p++;
            continue;
        }
        *p = (unsigned char) c;
    }
}

void
am_reply_init(struct am_reply *r)
{
    memset(r, 0, sizeof(*r));
    am_buf_init(&r->line, 0);
}

void
am_reply_free(struct am_reply *r)
{
    am_buf_free(&r->line);
}

/* smtpd_check_reject(): format and validate the reply, clean it, then
 * force the classes.  Its vstring_truncate(error_text, 510) leaves the
 * text unterminated at 510 and so cuts nothing. */
static int
format_reject(struct am_reply *out, const struct am_check_conf *conf,
              int code, const char *dsn, const char *reply_name,
              const char *class, const char *text, size_t text_len,
              struct am_error *err)
{
    struct am_buf *b = &out->line;
    size_t n;
    int rc;

    am_buf_reset(b);
    if (code < 400 || code > 599)
        rc = am_buf_printf(b, err, "450 4.7.1 Service unavailable");
    else if (class != NULL)
        rc = am_buf_printf(b, err, "%d %s <%s>: %s rejected: %.*s", code, dsn,
                           reply_name, class, (int) text_len, text);
    else
        rc = am_buf_printf(b, err, "%d %s %.*s", code, dsn, (int) text_len,
                           text);
    if (rc < 0)
        return rc;
    make_printable(b->data, conf->smtputf8, ' ');
    if (conf->soft_bounce && b->data[0] == '5')
        b->data[0] = '4';
    b->data[4] = b->data[0];
    out->code = (b->data[0] - '0') * 100 + (b->data[1] - '0') * 10
        + (b->data[2] - '0');
    n = strcspn(b->data + 4, " ");
    if (n > sizeof(out->dsn) - 1)
        n = sizeof(out->dsn) - 1;
    memcpy(out->dsn, b->data + 4, n);
    out->dsn[n] = '\0';
    out->disconnect = out->code == 421 || out->code == 521;
    return AM_REPLY_SENT;
}

static int
server_error(struct am_reply *out, const struct am_check_conf *conf,
             struct am_error *err)
{
    return format_reject(out, conf, 451, "4.3.5", NULL, NULL,
                         "Server configuration error", 26, err);
}

/* The reply of a restriction list when its first restriction decides
 * without a live session. */
static int
restrictions_reply(const struct am_action *a, int check,
                   const char *reply_name, const struct am_check_conf *conf,
                   struct am_reply *out, struct am_error *err)
{
    const char *cur = a->args, *end = a->args + a->args_len, *w;
    const struct am_restriction *r;
    const char *class = am_check_class(check);
    size_t wl;

    while (am_action_restriction_next(&cur, end, &w, &wl)) {
        r = am_action_restriction_find(w, wl);
        if (r == NULL) {
            if (is_class(conf->restriction_classes, w, wl))
                return AM_REPLY_DEPENDS;
            return server_error(out, conf, err);
        }
        if (strcmp(r->name, "reject") == 0)
            return format_reject(out, conf, conf->reject_code, "5.7.1",
                                 reply_name, class, "Access denied", 13, err);
        if (strcmp(r->name, "defer") == 0)
            return format_reject(out, conf, conf->defer_code, "4.3.2",
                                 reply_name, class, "Try again later", 15,
                                 err);
        if (r->flags & (AM_RESTRICTION_TABLE | AM_RESTRICTION_SERVICE
                        | AM_RESTRICTION_NUMBER)) {
            /* Only a number can follow sleep, and no table or service name
             * can appear in a value: a configuration error. */
            const char *arg;
            size_t al;

            if ((r->flags & AM_RESTRICTION_NUMBER)
                && am_action_restriction_next(&cur, end, &arg, &al)
                && all_digits(arg, al))
                continue;               /* sleep N: a pause, then go on */
            return server_error(out, conf, err);
        }
        if (strcmp(r->name, "permit") == 0)
            return AM_REPLY_NONE;
        return AM_REPLY_DEPENDS;
    }
    /* No names at all: smtpd warns and treats the value as OK. */
    return AM_REPLY_NONE;
}

int
am_action_reply(const struct am_action *a, int check, const char *reply_name,
                const struct am_check_conf *conf, struct am_reply *out,
                struct am_error *err)
{
    struct am_check_conf dflt;
    const char *class = am_check_class(check);
    const char *deftext = "Access denied";
    char dsn[16], fixed[16];
    int code;

    if (class == NULL)
        return am_error_set(err, AM_ERR_INVALID,
                            "a reply needs a client, helo, sender or "
                            "recipient check");
    if (conf == NULL) {
        am_check_conf_init(&dflt);
        conf = &dflt;
    }
    out->code = 0;
    out->dsn[0] = '\0';
    out->when = AM_REPLY_NOW;
    out->disconnect = 0;
    out->uncertain = 0;
    am_buf_reset(&out->line);
    switch (a->kind) {
    case AM_ACTION_REJECT:
        code = conf->map_reject_code;
        strcpy(dsn, "5.7.1");
        break;
    case AM_ACTION_DEFER:
        code = conf->map_defer_code;
        strcpy(dsn, "4.7.1");
        break;
    case AM_ACTION_DEFER_IF_REJECT:
    case AM_ACTION_DEFER_IF_PERMIT:
        code = conf->map_defer_code;
        strcpy(dsn, "4.7.1");
        deftext = "Service unavailable";
        out->when = a->kind == AM_ACTION_DEFER_IF_REJECT
            ? AM_REPLY_IF_REJECT : AM_REPLY_IF_PERMIT;
        break;
    case AM_ACTION_CODE:
        code = a->code;
        snprintf(dsn, sizeof(dsn), "%c.7.1", '0' + a->code / 100);
        break;
    case AM_ACTION_INVALID:
        return server_error(out, conf, err);
    case AM_ACTION_RESTRICTIONS:
        return restrictions_reply(a, check, reply_name, conf, out, err);
    default:
        return AM_REPLY_NONE;
    }
    if (a->dsn != NULL) {
        size_t n = a->dsn_len < sizeof(dsn) ? a->dsn_len : sizeof(dsn) - 1;

        memcpy(dsn, a->dsn, n);
        dsn[n] = '\0';
        out->uncertain = a->text_len == 0 && a->text == a->dsn + a->dsn_len;
    }
    am_action_fix_dsn(dsn, strlen(dsn), check, fixed);
    if (a->text_len > 0)
        return format_reject(out, conf, code, fixed, reply_name, class,
                             a->text, a->text_len, err);
    return format_reject(out, conf, code, fixed, reply_name, class, deftext,
                         strlen(deftext), err);
}
