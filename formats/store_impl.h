/* store_impl.h - the interface each storage back end implements.
 *
 * Private to formats/store*.c.  A back end sees raw bytes only: the NUL
 * convention, locking policy and atomic replacement live in store.c.
 */
#ifndef AM_FORMATS_STORE_IMPL_H
#define AM_FORMATS_STORE_IMPL_H

#include "formats/atomic.h"
#include "formats/store.h"

struct am_store_ops {
    const char *name;           /* "hash" */
    const char *suffix;         /* ".db" */
    int default_nul;            /* Postfix on Linux adds a NUL by default */
    size_t max_key;             /* stored key limit, 0 = none */
    int key_order;              /* build writes records in key order */
    /* Open file read-only; *handle is the back end's state. */
    int (*open)(int type, const char *file, void **handle, struct am_error *err);
    /* Raw lookup: 1 found (value borrowed), 0 not found, <0 error. */
    int (*get)(void *handle, const char *key, size_t klen, const char **val,
               size_t *vlen, struct am_error *err);
    int (*each)(void *handle, am_store_each_fn *fn, void *ctx,
                struct am_error *err);
    void (*close)(void *handle);
    /* Write records into the temporary file of a (already created). */
    int (*build)(int type, struct am_atomic *a, struct am_record *recs,
                 size_t n, const struct am_store_build_opts *opts,
                 struct am_error *err);
};

extern const struct am_store_ops am_store_bdb_hash_ops;
extern const struct am_store_ops am_store_bdb_btree_ops;
extern const struct am_store_ops am_store_lmdb_ops;
extern const struct am_store_ops am_store_cdb_ops;

/* Copy a record's stored key/value (with NUL if flagged) into scratch
 * space; returns a pointer to the bytes. Used by back ends whose library
 * wants one contiguous buffer. */
const char *am_store_stored(const char *text, size_t len, int nul,
                            char **scratch, size_t *scratch_size);

#endif
