/* action.h - am_action: what smtpd makes of an access(5) table value.
 *
 * am_action_parse() reads a value the way Postfix 3.7's check_table_result()
 * does and reports, per check kind, what smtpd would refuse (error: it
 * answers 451 4.3.5 or misbehaves) and what it accepts but is likely not
 * what was meant (warning).  am_action_reply() renders the SMTP reply smtpd
 * sends for a decision.  A parsed action points into the value it was
 * parsed from (borrowed: keep the value alive); nothing is allocated.
 */
#ifndef AM_ENGINE_ACTION_H
#define AM_ENGINE_ACTION_H

#include <stddef.h>

#include "engine/check.h"
#include "formats/buf.h"
#include "formats/diag.h"

enum am_action_kind {
    AM_ACTION_INVALID = 0,      /* unusable: smtpd replies 451 4.3.5 */
    AM_ACTION_OK,               /* OK [ignored text] */
    AM_ACTION_RELAY,            /* RELAY: a synonym of OK */
    AM_ACTION_NUMERIC,          /* all digits, e.g. "550": means OK */
    AM_ACTION_REJECT,           /* REJECT [x.y.z] [text] */
    AM_ACTION_DEFER,            /* DEFER [x.y.z] [text] */
    AM_ACTION_CODE,             /* 4NN/5NN [x.y.z] text */
    AM_ACTION_DEFER_IF_REJECT,  /* DEFER_IF_REJECT [x.y.z] [text] */
    AM_ACTION_DEFER_IF_PERMIT,  /* DEFER_IF_PERMIT [x.y.z] [text] */
    AM_ACTION_DISCARD,          /* DISCARD [text] */
    AM_ACTION_DUNNO,            /* DUNNO: stop this table, go on */
    AM_ACTION_HOLD,             /* HOLD [text] */
    AM_ACTION_REDIRECT,         /* REDIRECT user@domain */
    AM_ACTION_FILTER,           /* FILTER transport:destination */
    AM_ACTION_PREPEND,          /* PREPEND Name: text */
    AM_ACTION_BCC,              /* BCC user@domain */
    AM_ACTION_WARN,             /* WARN [text] */
    AM_ACTION_INFO,             /* INFO [text] */
    AM_ACTION_HANGUP,           /* HANGUP: undocumented test feature */
    AM_ACTION_RESTRICTIONS,     /* any other word: restriction names */
};
#define AM_ACTION_KIND_COUNT 20

/* A value smtpd substitutes when a table lookup fails; parse it to render
 * the reply for a lookup error. */
#define AM_ACTION_LOOKUP_ERROR_VALUE "451 4.3.5 Server configuration error"

struct am_action {
    int kind;                   /* enum am_action_kind, as written */
    int acts_as;                /* what smtpd does with it: the kind, or
                                 * OK for NUMERIC, DUNNO for an entry it
                                 * skips with a warning (REDIRECT without
                                 * '@', ...), INVALID when the reply is
                                 * certainly 451 4.3.5 */
    int code;                   /* the 4NN/5NN of AM_ACTION_CODE, else 0 */
    const char *word;           /* the first word as written */
    size_t word_len;
    const char *args;           /* the rest, leading blanks skipped: target,
                                 * header, log text; for RESTRICTIONS the
                                 * whole value */
    size_t args_len;
    const char *dsn;            /* enhanced status code at the start of a
                                 * reply text, NULL if none */
    size_t dsn_len;
    const char *text;           /* reply text after the code; text_len 0
                                 * means smtpd's default text */
    size_t text_len;
    int severity;               /* worst finding: 0, AM_DIAG_WARNING or
                                 * AM_DIAG_ERROR */
    unsigned findings;          /* warnings and errors reported */
};

/* Parse value[0, len) (a NUL ends it early, as in Postfix) for a table used
 * by the given check (AM_CHECK_EXACT: context unknown; only findings that
 * hold everywhere).  conf may be NULL (defaults).  Findings go to diags
 * (may be NULL) with ids such as "unknown-restriction"; their location is
 * loc (may be NULL) with the column moved to the offending word when
 * loc->col is not 0.  Never fails. */
void am_action_parse(const char *value, size_t len, int check,
                     const struct am_check_conf *conf, struct am_action *out,
                     struct am_diag_sink *diags, const struct am_loc *loc);

/* Upper-case name of a kind ("OK", "REJECT", "4NN/5NN", "restrictions"). */
const char *am_action_kind_name(int kind);

/* --- restriction names --- */

enum {
    AM_RESTRICTION_TABLE = 1 << 0,      /* next word is type:table */
    AM_RESTRICTION_DOMAIN = 1 << 1,     /* next word is a DNS list domain */
    AM_RESTRICTION_NUMBER = 1 << 2,     /* next word is a number (sleep) */
    AM_RESTRICTION_SERVICE = 1 << 3,    /* next word is transport:server */
    AM_RESTRICTION_FINAL = 1 << 4,      /* later restrictions are ignored */
    AM_RESTRICTION_DEPRECATED = 1 << 5, /* smtpd logs a deprecation warning */
};

struct am_restriction {
    const char *name;
    unsigned flags;             /* AM_RESTRICTION_* */
};

/* Every restriction name Postfix 3.7's smtpd accepts in smtpd_*_restrictions
 * and in access table values, in smtpd_check.c's order.  Sets *count. */
const struct am_restriction *am_action_restrictions(size_t *count);

/* The entry for name[0, len) (case-insensitive), or NULL. */
const struct am_restriction *am_action_restriction_find(const char *name,
                                                        size_t len);

/* Split a restriction list as smtpd does: words separated by commas and
 * whitespace, "{...}" kept together.  *cursor walks [*cursor, end); returns
 * 1 with *word and *len set, 0 at the end. */
int am_action_restriction_next(const char **cursor, const char *end,
                               const char **word, size_t *len);

/* --- replies --- */

enum am_reply_when {
    AM_REPLY_NOW = 0,           /* sent at once */
    AM_REPLY_IF_REJECT,         /* DEFER_IF_REJECT: sent instead of a later
                                 * rejection */
    AM_REPLY_IF_PERMIT,         /* DEFER_IF_PERMIT: sent if the final
                                 * result would be to accept */
};

struct am_reply {
    int code;                   /* SMTP code as sent */
    char dsn[16];               /* enhanced status code as sent */
    struct am_buf line;         /* the reply line, without CRLF */
    int when;                   /* enum am_reply_when */
    int disconnect;             /* 421/521: smtpd then closes the session */
    int uncertain;              /* smtpd's text is unpredictable (REJECT
                                 * x.y.z with no text); line has the
                                 * default text */
};

/* A reply is reused across calls; free it once. */
void am_reply_init(struct am_reply *r);
void am_reply_free(struct am_reply *r);

/* am_action_reply() results. */
enum {
    AM_REPLY_NONE = 0,          /* no reply of its own: OK, DUNNO, HOLD, ...;
                                 * smtpd goes on or accepts */
    AM_REPLY_SENT = 1,          /* out holds the reply */
    AM_REPLY_DEPENDS = 2,       /* a restriction list whose outcome needs a
                                 * live session (permit_mynetworks, ...) */
};

/* The reply smtpd sends for action a found by the given check, for the
 * client, HELO name or address reply_name (Postfix's form: "name[addr]",
 * the HELO argument, the address as sent; see am_search_reply_name()).
 * Returns AM_REPLY_SENT with out filled, AM_REPLY_NONE or AM_REPLY_DEPENDS
 * (out->line empty), AM_ERR_INVALID for AM_CHECK_EXACT (no reply class),
 * or AM_ERR_NOMEM.  conf may be NULL (defaults).
 *
 * Like Postfix 3.7, the line is not cut at 510 bytes: smtpd_check_reject()
 * "truncates" its buffer without terminating it, so the whole text goes
 * out.  Bytes that are not printable become spaces (UTF-8 sequences are
 * kept when smtputf8_enable = yes). */
int am_action_reply(const struct am_action *a, int check,
                    const char *reply_name, const struct am_check_conf *conf,
                    struct am_reply *out, struct am_error *err);

/* smtpd_dsn_fix(): the enhanced status code smtpd sends for dsn when
 * rejecting for the given check; only X.1.Y codes change.  out gets at most
 * 15 bytes plus NUL; the first digit is kept (the caller forces it to the
 * reply code's class). */
void am_action_fix_dsn(const char *dsn, size_t len, int check, char out[16]);

#endif
