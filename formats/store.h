/* store.h - am_store: compiled Postfix tables (hash, btree, lmdb, cdb).
 *
 * Reading: am_store_open() opens TABLE.db / TABLE.lmdb / TABLE.cdb the way
 * Postfix does and looks keys up with Postfix's NUL convention: by default
 * the key with a trailing NUL is tried first, then without, and the first
 * success fixes the convention for the rest of the handle's life.  Values
 * come back without the NUL and are borrowed until the next call.
 *
 * Writing: am_store_build() writes a whole table from records with unique
 * keys into a temporary file beside the target and renames it into place
 * (see atomic.h); records are reordered as the format prefers.  Every
 * back end lives in its own store_<name>.c, the only file that includes
 * its library's header.
 */
#ifndef AM_FORMATS_STORE_H
#define AM_FORMATS_STORE_H

#include <stddef.h>
#include <sys/types.h>

#include "formats/error.h"
#include "formats/record.h"

enum am_store_type {
    AM_STORE_HASH,
    AM_STORE_BTREE,
    AM_STORE_LMDB,
    AM_STORE_CDB,
    AM_STORE_NTYPES
};

/* Type by name ("hash", ...), or -1. */
int am_store_type_parse(const char *name, size_t len);
const char *am_store_type_name(int type);
/* File name suffix: ".db", ".lmdb", ".cdb". */
const char *am_store_suffix(int type);
/* Does Postfix store keys with a trailing NUL by default for this type? */
int am_store_default_nul(int type);
/* Longest stored key (NUL included) the format accepts; 0 = no limit. */
size_t am_store_max_key(int type);
/* Does a build write this type's records in key order (btree, lmdb)?  It
 * then takes them cheapest already sorted: see am_store_build_opts. */
int am_store_key_order(int type);

/* Reading. */
enum {
    AM_STORE_NUL_AUTO = 0,      /* try key+NUL, then key; first hit decides */
    AM_STORE_NUL_WITH = 1,      /* -N: only key+NUL */
    AM_STORE_NUL_WITHOUT = 2,   /* -n: only key */
    AM_STORE_NUL_MASK = 3,
};

typedef struct am_store am_store;

/* Open PATH + suffix read-only.  Takes Postfix's shared lock around each
 * lookup so an in-place rebuild by postmap is never seen half done.
 *
 * A damaged, truncated or hostile file gives AM_ERR_CORRUPT, not a crash:
 * Berkeley DB and LMDB files are checked under the shared lock before
 * their library reads them (store_bdb.c, store_lmdb.c say what is
 * checked), and tinycdb checks every offset itself.  The check holds for
 * the file as it was at open.  A file replaced by rename (accessmap's
 * compile, postmap for cdb) is safe: the handle keeps reading the file it
 * checked.  A file rewritten in place after open (postmap rebuilds .db
 * and .lmdb files in place, under its lock) is not checked again: a
 * long-lived reader must reopen when the file changes. */
am_store *am_store_open(int type, const char *path, int flags,
                        struct am_error *err);
/* 1 found (*val, *vlen set; borrowed), 0 not found, <0 error. */
int am_store_get(am_store *s, const char *key, size_t klen, const char **val,
                 size_t *vlen, struct am_error *err);

/* Called for every stored record with raw bytes (NULs included; never a
 * NULL pointer, even for an empty key or value).  Return 0
 * to go on, anything else to stop (that value is returned). */
typedef int am_store_each_fn(void *ctx, const char *key, size_t klen,
                             const char *val, size_t vlen);
/* Visit every record in the file's own order (hash order for hash, byte
 * order for btree and lmdb, insertion order for cdb). */
int am_store_each(am_store *s, am_store_each_fn *fn, void *ctx,
                  struct am_error *err);
int am_store_type(const am_store *s);
const char *am_store_path(const am_store *s);   /* the file opened */
void am_store_close(am_store *s);               /* accepts NULL */

/* Writing. */
struct am_store_build_opts {
    mode_t mode;                /* final file mode */
    uid_t uid;                  /* final owner, (uid_t) -1 to keep ours */
    gid_t gid;
    size_t cache_bytes;         /* Berkeley DB cache; 0 for a default */
    int sorted;                 /* records already sorted by key
                                 * (am_record_keycmp): not sorted again */
    /* Progress: called now and then with records written so far. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
};

/* Write records (unique stored keys) as PATH + suffix, atomically.  recs
 * may be reordered.  On failure the old table is untouched and no
 * temporary file remains. */
int am_store_build(int type, const char *path, struct am_record *recs,
                   size_t n, const struct am_store_build_opts *opts,
                   struct am_error *err);

#endif
