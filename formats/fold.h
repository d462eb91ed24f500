/* fold.h - am_fold: lookup-key case folding exactly as Postfix does it.
 *
 * With AM_FOLD_UTF8 (Postfix's smtputf8_enable = yes, the default) an
 * all-ASCII key is ASCII-lowercased and any other key is folded with ICU
 * full case folding (so "Straße" becomes "strasse"); without it only ASCII
 * letters are lowered and other bytes pass unchanged.  The folded text is
 * borrowed from the folder: valid until its next call.  This is the only
 * file that uses ICU.
 */
#ifndef AM_FORMATS_FOLD_H
#define AM_FORMATS_FOLD_H

#include <stddef.h>

#include "formats/error.h"

enum {
    AM_FOLD_UTF8 = 1 << 0,      /* ICU case folding for non-ASCII keys */
};

typedef struct am_fold am_fold;

am_fold *am_fold_new(int flags, struct am_error *err);
void am_fold_free(am_fold *f);                  /* accepts NULL */

/* Fold [in, in+len).  In UTF-8 mode the input must be valid UTF-8
 * (AM_ERR_SYNTAX otherwise).  Sets *out (NUL-terminated) and *outlen. */
int am_fold_key(am_fold *f, const char *in, size_t len, const char **out,
                size_t *outlen, struct am_error *err);

/* Lower ASCII letters in place. */
void am_fold_ascii(char *s, size_t len);

/* Would folding change [in, in+len)?  0 when it is ASCII without capital
 * letters, which folds to itself in either mode: most lookup keys. */
int am_fold_changes(const char *in, size_t len);

#endif
