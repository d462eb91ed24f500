/* lint.h - am_lint: access tables checked for what Postfix would do wrong.
 *
 * Reports, as am_diag findings with file:line:
 *   - values smtpd refuses or misreads (via am_action_parse, for the check
 *     kind the table serves);
 *   - keys that can never match in Postfix: ".domain" keys while parent
 *     style is on, "@domain" keys, IPv6 keys not in the compressed
 *     lower-case form smtpd looks up, IPv4 keys with leading zeros,
 *     address literals outside HELO tables, networks and ranges that were
 *     not expanded for Postfix;
 *   - networks (and partial-address keys) that overlap with conflicting
 *     actions, naming both lines;
 *   - values too long for a tcp_table reply;
 *   - in cidr tables, rules that no address can reach because earlier
 *     rules cover them, naming the rule that does.
 * Errors are things smtpd gets wrong (451 4.3.5, a key that matches
 * nothing); warnings are things it accepts but rarely meant.
 */
#ifndef AM_ENGINE_LINT_H
#define AM_ENGINE_LINT_H

#include <stddef.h>

#include "engine/check.h"
#include "engine/cidrtable.h"
#include "formats/diag.h"
#include "formats/error.h"
#include "formats/record.h"

struct am_lint_opts {
    int check;                  /* enum am_check the table is used with;
                                 * AM_CHECK_EXACT when unknown */
    const struct am_check_conf *conf;   /* NULL: defaults */
    int networks_expanded;      /* network and range keys are expanded
                                 * for Postfix (accessmap compile) */
};

/* Longest value a tcp_table reply can carry once %XX-encoded. */
#define AM_LINT_TCP_REPLY_MAX 4091

/* Check the entries of one source file (recs from am_tablebuild, keys
 * folded).  Returns 0, or AM_ERR_NOMEM. */
int am_lint_records(const struct am_record *recs, size_t n, const char *file,
                    const struct am_lint_opts *opts, struct am_diag_sink *diags,
                    struct am_error *err);

/* Check a loaded cidr table's rules (actions, unreachable rules). */
int am_lint_cidr(const am_cidrtable *t, const struct am_lint_opts *opts,
                 struct am_diag_sink *diags, struct am_error *err);

/* Does the key denote a network or range accessmap understands
 * ("192.0.2.0/24", "2001:db8::/32", "192.0.2.10-192.0.2.99")? */
int am_lint_is_network_key(const char *key, size_t len);

#endif
