/* cidrtable.h - am_cidrtable: a Postfix cidr_table(5) file, loaded.
 *
 * Loads a "cidr:" source with Postfix 3.7's semantics: logical lines (so an
 * indented rule continues the line before it), '!' negation, nested
 * case-insensitive IF/ENDIF blocks, non-canonical networks refused, every
 * problem reported as a warning with the rule skipped.  A lookup gives what
 * Postfix gives -- the first rule in file order that matches -- through an
 * index whose cost does not grow with the table, together with the rule
 * that decided.  The table owns all its text; rules and values returned
 * stay valid until am_cidrtable_close().  A loaded table is read-only.
 */
#ifndef AM_ENGINE_CIDRTABLE_H
#define AM_ENGINE_CIDRTABLE_H

#include <stddef.h>

#include "formats/addr.h"
#include "formats/diag.h"
#include "formats/error.h"

typedef struct am_cidrtable am_cidrtable;

enum {
    AM_CIDR_MATCH = 1,          /* pattern and result */
    AM_CIDR_IF = 2,             /* opens a block */
};

/* One rule that survived loading (skipped rules are not kept). */
struct am_cidrrule {
    unsigned line;              /* first physical line of the rule */
    unsigned endif_line;        /* IF: line of its ENDIF, 0 if none */
    unsigned char op;           /* AM_CIDR_MATCH or AM_CIDR_IF */
    unsigned char negated;      /* an odd number of '!' */
    const char *pattern;        /* as written, without the '!'s */
    const char *value;          /* the lookup result; "" for IF */
    struct am_net net;          /* the parsed pattern */
    long parent;                /* index of the enclosing IF, -1 if none */
};

/* Load a cidr table from a file ("-" is standard input).  Warnings go to
 * diags (may be NULL) with the file and line; they never fail the load,
 * as in Postfix.  Returns NULL with err set only for I/O errors, running
 * out of memory or more than AM_NETINDEX_MAX_RULES rules. */
am_cidrtable *am_cidrtable_open(const char *path, struct am_diag_sink *diags,
                                struct am_error *err);

/* The same from a buffer, which need not outlive the call; name is used in
 * diagnostics and kept. */
am_cidrtable *am_cidrtable_open_mem(const char *name, const char *data,
                                    size_t len, struct am_diag_sink *diags,
                                    struct am_error *err);

void am_cidrtable_close(am_cidrtable *t);          /* accepts NULL */

/* Look up a key as Postfix's cidr table does.  A key that is not exactly
 * an address (a hostname, "[1.2.3.4]", "fe80::1%eth0", "01.2.3.4") is not
 * found.  IPv4 and IPv6 are separate: "::ffff:1.2.3.4" meets IPv6 rules
 * only.  Returns 1 and sets *rule to the deciding rule (its value is the
 * answer, its line is where it came from), or 0 when nothing matches. */
int am_cidrtable_lookup(const am_cidrtable *t, const char *key, size_t len,
                        const struct am_cidrrule **rule);
int am_cidrtable_lookup_addr(const am_cidrtable *t, const struct am_addr *a,
                             const struct am_cidrrule **rule);

/* Every MATCH rule that matches a (its IF blocks included), in file order,
 * one per call: start with *pos = 0; returns 1 and sets *rule, or 0 at the
 * end.  The first one is the answer; the rest are shadowed by it.  This
 * walks the rule list (slow path, for explanations). */
int am_cidrtable_next_match(const am_cidrtable *t, const struct am_addr *a,
                            size_t *pos, const struct am_cidrrule **rule);

/* The rules kept, in file order, IF rules included. */
size_t am_cidrtable_count(const am_cidrtable *t);
const struct am_cidrrule *am_cidrtable_rule(const am_cidrtable *t, size_t i);

/* The name given at open (borrowed from the table). */
const char *am_cidrtable_name(const am_cidrtable *t);

#endif
