/* srctable.h - am_srctable: postmap source syntax -> key/value entries.
 *
 * The one implementation of "key whitespace value" that compile, texthash
 * lookups, lint and dump share.  Keys end at the first whitespace outside
 * double quotes; a backslash protects the next character; quotes and
 * backslashes stay in the key, as postmap stores them.  The value is the
 * rest of the line without surrounding whitespace.  Lines postmap skips
 * (bad quoting, missing key or value, invalid UTF-8 when UTF-8 checks are
 * on) are reported as warnings and skipped; so are things postmap accepts
 * silently but a table author rarely means (a NUL byte, '#' inside a value,
 * a carriage return inside a value).  Entries are borrowed: valid until the
 * next call, or until close when am_srctable_stable() says so.
 */
#ifndef AM_FORMATS_SRCTABLE_H
#define AM_FORMATS_SRCTABLE_H

#include <stddef.h>

#include "formats/diag.h"
#include "formats/error.h"
#include "formats/lines.h"

/* One "key value" line of a source table. */
struct am_entry {
    const char *key;            /* not NUL-terminated; quotes kept */
    size_t klen;
    const char *value;          /* not NUL-terminated; inner spacing kept */
    size_t vlen;
    struct am_loc loc;          /* file and first physical line */
};

enum {
    AM_SRC_UTF8 = 1 << 0,       /* skip non-ASCII lines that are not UTF-8 */
};

typedef struct am_srctable am_srctable;

/* Parse lines from lr (borrowed; the caller closes it after this). */
am_srctable *am_srctable_open(am_lines *lr, int flags, struct am_error *err);
/* 1: *entry filled; 0: end of input; <0: error (I/O, memory). */
int am_srctable_next(am_srctable *st, struct am_entry *entry,
                     struct am_diag_sink *diags, struct am_error *err);
/* Do entry's key and value stay valid until the am_lines is closed? */
int am_srctable_stable(const am_srctable *st, const struct am_entry *entry);
void am_srctable_close(am_srctable *st);        /* accepts NULL */

/* Split one logical line; the parsing core, exposed for tests and fuzzing.
 * Returns 1 and fills key/value, or 0 with a reason in *why (static text)
 * when postmap would skip the line. */
int am_srctable_split(const char *text, size_t len, struct am_entry *entry,
                      const char **why);

#endif
