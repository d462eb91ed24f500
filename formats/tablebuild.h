/* tablebuild.h - am_tablebuild: source entries -> the records of one table.
 *
 * Collects entries the way postmap does (keys folded unless told not to,
 * values as written), optionally starting from the records of an existing
 * table (postmap -i), then resolves duplicate keys by postmap's policy and
 * writes the result with am_store_build() -- atomically, so the old table
 * stays intact when anything fails.  Keeps every key and value in its own
 * arena, except text that the caller's am_lines keeps alive anyway.
 */
#ifndef AM_FORMATS_TABLEBUILD_H
#define AM_FORMATS_TABLEBUILD_H

#include <stddef.h>
#include <sys/types.h>

#include "formats/diag.h"
#include "formats/error.h"
#include "formats/lines.h"
#include "formats/record.h"
#include "formats/store.h"

enum am_dup_policy {
    AM_DUP_FIRST_WARN,          /* default: first entry wins, warn */
    AM_DUP_FIRST,               /* -w: first wins, silently */
    AM_DUP_LAST,                /* -r: last wins, silently */
    AM_DUP_KEEP_ALL,            /* keep every entry in input order; readers
                                 * find the first (postmap -w on cdb, where
                                 * tinycdb's CDB_PUT_ADD stores them all) */
};

struct am_tablebuild_opts {
    int fold;                   /* fold key case (postmap without -f) */
    int utf8;                   /* UTF-8 checks and ICU folding */
    int nul;                    /* store keys and values with a NUL */
    int dups;                   /* enum am_dup_policy */
    /* Now and then while reading a source: bytes read, bytes in all. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
};

typedef struct am_tablebuild am_tablebuild;

am_tablebuild *am_tablebuild_new(const struct am_tablebuild_opts *opts,
                                 struct am_error *err);
void am_tablebuild_free(am_tablebuild *tb);     /* accepts NULL */

/* Add the records of an existing table, raw (postmap -i keeps their NUL
 * convention).  They count as coming first. */
int am_tablebuild_add_store(am_tablebuild *tb, am_store *s,
                            struct am_error *err);
/* Parse a source and add its entries.  lr must stay open until the
 * builder is freed (entries may point into it).  Skipped lines are
 * reported to diags. */
int am_tablebuild_add_source(am_tablebuild *tb, am_lines *lr,
                             struct am_diag_sink *diags, struct am_error *err);
/* Add one entry (key folded as configured); loc->file must stay valid. */
int am_tablebuild_add(am_tablebuild *tb, const char *key, size_t klen,
                      const char *val, size_t vlen, const struct am_loc *loc,
                      struct am_error *err);

enum am_record_order {
    AM_ORDER_INPUT,             /* records stay in input order */
    AM_ORDER_KEY,               /* records end sorted by stored key
                                 * (am_record_keycmp), as a store written in
                                 * key order wants them: am_store_key_order() */
};

/* Drop duplicate keys by the policy, warning as postmap does (the same
 * warnings, in input order, whatever the order).  After this the records
 * are unique (except with AM_DUP_KEEP_ALL, which leaves them as they
 * are) and in the order asked for.  A table written right after a
 * key-order resolve is not sorted again. */
int am_tablebuild_resolve(am_tablebuild *tb, int order,
                          struct am_diag_sink *diags, struct am_error *err);
/* The records (borrowed; valid until the next add or free). */
struct am_record *am_tablebuild_records(am_tablebuild *tb, size_t *n);
/* Keep only the records i with keep[i] != 0 (n entries, as returned by
 * am_tablebuild_records), in order. */
void am_tablebuild_keep(am_tablebuild *tb, const unsigned char *keep);

/* File name of a record's source. */
const char *am_tablebuild_source_name(const am_tablebuild *tb,
                                      const struct am_record *r);

/* Check the records against the format's limits (LMDB's key size), with
 * file:line for each offender. */
int am_tablebuild_check(am_tablebuild *tb, int type,
                        struct am_diag_sink *diags, struct am_error *err);
/* Write the resolved records as PATH + suffix, atomically. */
int am_tablebuild_write(am_tablebuild *tb, int type, const char *path,
                        const struct am_store_build_opts *opts,
                        struct am_error *err);

#endif
