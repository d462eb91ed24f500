/* texthash.h - am_texthash: a source table read straight into memory.
 *
 * Postfix's texthash: type reads the postmap source at open time instead of
 * a compiled file.  Same syntax, folding, duplicate policy (first wins, with
 * a warning naming both lines) as a compile; lookups fold the key the same
 * way.  Values are borrowed from the handle.
 */
#ifndef AM_FORMATS_TEXTHASH_H
#define AM_FORMATS_TEXTHASH_H

#include <stddef.h>

#include "formats/diag.h"
#include "formats/error.h"
#include "formats/record.h"
#include "formats/tablebuild.h"

enum {
    AM_TEXTHASH_FOLD = 1 << 0,  /* fold keys (postmap without -f) */
    AM_TEXTHASH_UTF8 = 1 << 1,  /* UTF-8 checks and ICU folding */
};

typedef struct am_texthash am_texthash;

am_texthash *am_texthash_open(const char *path, int flags,
                              struct am_diag_sink *diags, struct am_error *err);

/* The same, with a step run on the resolved entries before they are
 * indexed (compile's rewriting, so lookups see what a compiled table
 * holds).  A step failure fails the open. */
typedef int am_texthash_step(am_tablebuild *tb, void *ctx, struct am_error *err);
am_texthash *am_texthash_open_with(const char *path, int flags,
                                   am_texthash_step *step, void *ctx,
                                   struct am_diag_sink *diags,
                                   struct am_error *err);
/* 1 found (*rec borrowed), 0 not found, <0 error (AM_ERR_SYNTAX: the key
 * is not valid UTF-8 in UTF-8 mode). */
int am_texthash_get(am_texthash *t, const char *key, size_t klen,
                    const struct am_record **rec, struct am_error *err);
/* Every entry in key order. */
const struct am_record *am_texthash_records(const am_texthash *t, size_t *n);
const char *am_texthash_path(const am_texthash *t);
void am_texthash_close(am_texthash *t);         /* accepts NULL */

#endif
