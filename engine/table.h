/* table.h - am_table: one lookup table named the Postfix way, "type:name".
 *
 * Hides the difference between compiled tables (hash, btree, lmdb, cdb),
 * source tables read at open (texthash) and pattern tables (cidr).  Fixed
 * tables fold the key's case as Postfix does; pattern tables see it as
 * given.  With UTF-8 enabled a key that is not valid UTF-8 is "not found"
 * for every type, with a warning, as Postfix's UTF-8 layer makes it.
 * Results are borrowed until the next call on the table.
 */
#ifndef AM_ENGINE_TABLE_H
#define AM_ENGINE_TABLE_H

#include <stddef.h>

#include "formats/addr.h"
#include "formats/diag.h"
#include "formats/error.h"

enum am_table_type {
    AM_TABLE_HASH,
    AM_TABLE_BTREE,
    AM_TABLE_LMDB,
    AM_TABLE_CDB,
    AM_TABLE_TEXTHASH,
    AM_TABLE_CIDR,
};

struct am_table_opts {
    int nofold;                 /* -f: no case folding */
    int utf8;                   /* smtputf8_enable: UTF-8 checks, ICU folding */
    int nul_mode;               /* AM_STORE_NUL_* for compiled tables */
    const char *default_type;   /* type when the spec has none ("hash") */
    struct am_diag_sink *diags; /* load-time and lookup warnings; may be NULL */
    int preload;                /* read compiled tables into memory at open:
                                 * later lookups never touch the disk and see
                                 * one version of the table */
};

struct am_table_result {
    const char *value;          /* NUL-terminated */
    size_t vlen;
    struct am_loc loc;          /* deciding source line, when known */
};

typedef struct am_table am_table;

/* Open "type:name" (or "name" with the default type).  A type Postfix has
 * but accessmap does not read gives AM_ERR_UNSUPPORTED. */
am_table *am_table_open(const char *spec, const struct am_table_opts *opts,
                        struct am_error *err);
/* 1 found, 0 not found, <0 error. */
int am_table_get(am_table *t, const char *key, size_t klen,
                 struct am_table_result *res, struct am_error *err);
/* A hint that key will be looked up soon (see am_kvmap_prefetch); the
 * key is taken as it will be looked up, before folding. */
void am_table_prefetch(const am_table *t, const char *key, size_t klen);
/* Where did the entry for key come from?  For a compiled table whose source
 * file (the table name without suffix) is at hand, the source is read once
 * (quietly) and the key's line found; res->loc is filled when known.
 * Returns 1 when a location was found, 0 otherwise. */
int am_table_locate(am_table *t, const char *key, size_t klen,
                    struct am_table_result *res);

/* Does the table hold network or range keys in memory (texthash, or a
 * preloaded compiled table)?  Such keys never match in Postfix; accessmap
 * matches them through am_table_match_address(). */
int am_table_has_networks(const am_table *t);
/* The table's most specific address-shaped entry covering a: an address,
 * partial key, network or range (engine/addrkeys.h).  Returns 1 and fills
 * res, *key (borrowed, like res) and *covers; 0 when no entry covers a or
 * the table has no network keys; <0 on error. */
int am_table_match_address(am_table *t, const struct am_addr *a,
                           struct am_table_result *res, const char **key,
                           size_t *klen, struct am_range *covers,
                           struct am_error *err);

/* Fixed tables receive partial keys from smtpd; pattern tables do not. */
int am_table_is_fixed(const am_table *t);
int am_table_type(const am_table *t);
/* "type:name" as given (with the type made explicit). */
const char *am_table_name(const am_table *t);
void am_table_close(am_table *t);               /* accepts NULL */

/* Split "type:name" at the first ':'; *type_len 0 when there is none. */
void am_table_split_spec(const char *spec, size_t *type_len, const char **name);

#endif
