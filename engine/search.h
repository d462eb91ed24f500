/* search.h - am_search: the keys Postfix 3.7's smtpd looks up in an access
 * table, in order, for one check and one input.  Pure: no I/O.
 *
 * Each probe is a key plus a scope.  The first probe of each search goes to
 * every table; the later, partial ones (parent domains, shorter networks,
 * address without extension, domain, localpart@) go only to tables with
 * fixed keys (hash, btree, lmdb, cdb, texthash, inline, static, ...):
 * pattern tables (cidr, regexp, pcre, tcp, socketmap) never see them.
 *
 * How a caller walks the probes of one table: try them in order (skipping
 * fixed-only probes for a pattern table); the FIRST HIT ENDS THE SEARCH OF
 * THAT TABLE, whatever its value, DUNNO included.  For check_client_access
 * this means a hit on the hostname or a parent domain skips every address
 * lookup in that table.  What the value then does (DUNNO: go on with the
 * next restriction) is am_action's business.  A lookup error ends the
 * search too (smtpd replies 451 4.3.5).
 *
 * The handle owns the keys: they stay valid until the next build or free.
 */
#ifndef AM_ENGINE_SEARCH_H
#define AM_ENGINE_SEARCH_H

#include <stddef.h>

#include "engine/check.h"
#include "formats/error.h"

typedef struct am_search am_search;

/* What a probe stands for (for --explain). */
enum am_probe_step {
    AM_STEP_EXACT = 0,          /* the key as given */
    AM_STEP_HOSTNAME,           /* client hostname or HELO name */
    AM_STEP_PARENT,             /* parent domain of a hostname */
    AM_STEP_ADDRESS,            /* client IP address */
    AM_STEP_NETWORK,            /* shortened client address */
    AM_STEP_NULL_SENDER,        /* smtpd_null_access_lookup_key */
    AM_STEP_MAIL_FULL,          /* user+ext@domain */
    AM_STEP_MAIL_NOEXT,         /* user@domain (extension removed) */
    AM_STEP_MAIL_DOMAIN,        /* domain, then its parents */
    AM_STEP_MAIL_LOCAL,         /* user+ext@ */
    AM_STEP_MAIL_LOCAL_NOEXT,   /* user@ */
};

struct am_probe {
    const char *key;            /* NUL-terminated, owned by the handle */
    size_t len;
    int fixed_only;             /* 1: partial key, skipped by pattern tables */
    int step;                   /* enum am_probe_step */
    int quoted;                 /* address form with the local part quoted
                                 * (RFC 5322); the unquoted form follows */
};

/* The input of one check.  text is: the client IP address (client,
 * reverse_client; "unknown" is allowed), the HELO argument as sent (helo),
 * the address as in MAIL FROM / RCPT TO, with or without <> (sender,
 * recipient; empty or "<>" is the null sender), the key (exact).
 * hostname is the client's verified name (client) or its unverified reverse
 * name (reverse_client); NULL means "unknown".  half narrows a client check
 * to its name or its address search, which is what a table behind tcp: or
 * socketmap: receives in one request (0: both, as smtpd runs them). */
enum am_search_half {
    AM_SEARCH_BOTH = 0,
    AM_SEARCH_NAME_HALF,
    AM_SEARCH_ADDRESS_HALF,
};

struct am_search_input {
    const char *text;
    const char *hostname;
    int half;                   /* enum am_search_half */
};

#define AM_SEARCH_INPUT_MAX 4096    /* longest text or hostname accepted */

am_search *am_search_new(struct am_error *err);
void am_search_free(am_search *s);                  /* accepts NULL */

/* Generate the probes for check with conf (NULL: defaults), replacing
 * those of an earlier build.  Returns the number of probes (0 is possible:
 * an address left without @domain is not looked up), or AM_ERR_SYNTAX (not
 * an IP address, malformed UTF-8 in an address, a null recipient),
 * AM_ERR_LIMIT (input too long), AM_ERR_NOMEM. */
int am_search_build(am_search *s, int check, const struct am_search_input *in,
                    const struct am_check_conf *conf, struct am_error *err);

size_t am_search_count(const am_search *s);
/* Probe i (i < count), owned by the handle. */
const struct am_probe *am_search_probe(const am_search *s, size_t i);

/* The name smtpd shows between <> in a reject reply for this input:
 * "name[addr]" (client), the reverse name (reverse_client), the HELO name
 * as smtpd keeps it, the address as sent in internal (unquoted) form, "" for
 * the null sender, the key (exact).  Owned by the handle. */
const char *am_search_reply_name(const am_search *s);

/* The address as smtpd looks it up (sender, recipient): rewritten,
 * qualified and case-folded; the normalised address for client checks;
 * NULL otherwise.  Owned by the handle. */
const char *am_search_subject(const am_search *s);

/* A short name for a step ("hostname", "parent domain", ...). */
const char *am_search_step_name(int step);

#endif
