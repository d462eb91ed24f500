/* store_lmdb.c - LMDB tables, as Postfix reads them.
 *
 * The only file that includes lmdb.h.  Postfix opens TABLE.lmdb as a single
 * file (MDB_NOSUBDIR) without LMDB's lock file (MDB_NOLOCK), uses the
 * unnamed main database, and coordinates with POSIX fcntl locks instead: a
 * reader holds a shared lock around each lookup.  We do the same.
 *
 * A build writes a fresh file in one transaction with MDB_APPEND, records
 * in key order, sized up front; if the estimate was short the map is
 * doubled and the load restarted.
 */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/store_impl.h"

/* Room for the longest key LMDB takes (511 bytes by default) and its NUL. */
#define AM_LMDB_KEYBUF 1024

struct lmdb {
    MDB_env *env;
    MDB_txn *txn;               /* read transaction, reset between lookups */
    MDB_dbi dbi;
    int fd;                     /* LMDB's descriptor, for fcntl locks */
};

static int
lmdb_error(int rc, const char *what, struct am_error *err)
{
    int code = AM_ERR_DB;

    if (rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_PAGE_NOTFOUND
        || rc == MDB_VERSION_MISMATCH || rc == MDB_BAD_TXN)
        code = AM_ERR_CORRUPT;
    else if (rc == ENOMEM)
        code = AM_ERR_NOMEM;
    else if (rc > 0)
        code = AM_ERR_IO;
    return am_error_set(err, code, "%s: %s", what, mdb_strerror(rc));
}

static int
lock_file(int fd, short type, struct am_error *err)
{
    struct flock fl;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    while (fcntl(fd, F_SETLKW, &fl) < 0) {
        if (errno != EINTR)
            return am_error_sys(err, "lock");
    }
    return 0;
}

static void
lmdb_close(void *handle)
{
    struct lmdb *l = handle;

    if (l == NULL)
        return;
    if (l->txn != NULL)
        mdb_txn_abort(l->txn);
    if (l->env != NULL)
        mdb_env_close(l->env);
    free(l);
}

static int
lmdb_open(int type, const char *file, void **handle, struct am_error *err)
{
    struct lmdb *l = calloc(1, sizeof(*l));
    struct stat st;
    int rc;

    (void) type;
    if (l == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    /* LMDB creates a missing file even read-only; say "no such file". */
    if (stat(file, &st) < 0) {
        rc = am_error_sys(err, "open");
        goto fail;
    }
    if ((rc = mdb_env_create(&l->env)) != 0
        || (rc = mdb_env_set_mapsize(l->env, (size_t) st.st_size + 65536)) != 0
        || (rc = mdb_env_open(l->env, file,
                              MDB_NOSUBDIR | MDB_NOLOCK | MDB_RDONLY, 0644)) != 0) {
        rc = lmdb_error(rc, rc == MDB_INVALID ? "not an LMDB table" : "open", err);
        goto fail;
    }
    mdb_env_get_fd(l->env, &l->fd);
    if ((rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, &l->txn)) != 0
        || (rc = mdb_dbi_open(l->txn, NULL, 0, &l->dbi)) != 0) {
        rc = lmdb_error(rc, "open", err);
        goto fail;
    }
    mdb_txn_reset(l->txn);
    *handle = l;
    return 0;
fail:
    lmdb_close(l);
    return rc;
}

static int
lmdb_get(void *handle, const char *key, size_t klen, const char **val,
         size_t *vlen, struct am_error *err)
{
    struct lmdb *l = handle;
    MDB_val k, v;
    int rc;

    if (klen == 0 || klen > (size_t) mdb_env_get_maxkeysize(l->env))
        return 0;               /* LMDB cannot hold such a key */
    if ((rc = lock_file(l->fd, F_RDLCK, err)) < 0)
        return rc;
    if ((rc = mdb_txn_renew(l->txn)) != 0) {
        lock_file(l->fd, F_UNLCK, NULL);
        return lmdb_error(rc, "lookup", err);
    }
    k.mv_data = (void *) key;
    k.mv_size = klen;
    rc = mdb_get(l->txn, l->dbi, &k, &v);
    /* The value stays readable after reset: the map is not unmapped. */
    mdb_txn_reset(l->txn);
    lock_file(l->fd, F_UNLCK, NULL);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return lmdb_error(rc, "lookup", err);
    *val = v.mv_data;
    *vlen = v.mv_size;
    return 1;
}

static int
lmdb_each(void *handle, am_store_each_fn *fn, void *ctx, struct am_error *err)
{
    struct lmdb *l = handle;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int rc, stop = 0;

    if ((rc = lock_file(l->fd, F_RDLCK, err)) < 0)
        return rc;
    if ((rc = mdb_txn_renew(l->txn)) != 0
        || (rc = mdb_cursor_open(l->txn, l->dbi, &cur)) != 0) {
        rc = lmdb_error(rc, "read", err);
        goto out;
    }
    while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
        if ((stop = fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size)) != 0)
            break;
    }
    if (stop != 0)
        rc = stop;
    else if (rc == MDB_NOTFOUND)
        rc = 0;
    else
        rc = lmdb_error(rc, "read", err);
out:
    if (cur != NULL)
        mdb_cursor_close(cur);
    mdb_txn_reset(l->txn);
    lock_file(l->fd, F_UNLCK, NULL);
    return rc;
}

/* Load every record in one transaction; MDB_MAP_FULL means "grow and retry". */
static int
load(MDB_env *env, struct am_record *recs, size_t n,
     const struct am_store_build_opts *opts)
{
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k, v;
    size_t i;
    int rc;

    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
        return rc;
    if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0)
        goto fail;
    for (i = 0; i < n; i++) {
        const struct am_record *r = &recs[i];
        int nul = r->flags & AM_REC_NUL;

        /* Sorted records point all over the source: fetch ahead. */
        if (i + 16 < n) {
            __builtin_prefetch(recs[i + 16].key);
            __builtin_prefetch(recs[i + 16].val);
        }
        char kb[AM_LMDB_KEYBUF];

        k.mv_size = am_record_ksize(r);
        if (nul) {
            /* The key must be contiguous with its NUL; values are written
             * in place through MDB_RESERVE. */
            if (k.mv_size > sizeof(kb)) {
                rc = MDB_BAD_VALSIZE;
                goto fail;
            }
            memcpy(kb, r->key, r->klen);
            kb[r->klen] = '\0';
            k.mv_data = kb;
        } else {
            k.mv_data = (void *) r->key;
        }
        v.mv_size = am_record_vsize(r);
        rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND | MDB_RESERVE);
        if (rc != 0)
            goto fail;
        memcpy(v.mv_data, r->val, r->vlen);
        if (nul)
            ((char *) v.mv_data)[r->vlen] = '\0';
        if (opts->progress != NULL && (i & 0xffff) == 0)
            opts->progress(opts->progress_ctx, i, n);
    }
    return mdb_txn_commit(txn);
fail:
    mdb_txn_abort(txn);
    return rc;
}

static int
lmdb_build(int type, struct am_atomic *a, struct am_record *recs, size_t n,
           const struct am_store_build_opts *opts, struct am_error *err)
{
    MDB_env *env = NULL;
    size_t i, total = 0, mapsize, maxkey;
    int rc;

    (void) type;
    if ((rc = am_record_sort_keys(recs, n, err)) < 0)
        return rc;
    for (i = 0; i < n; i++)
        total += am_record_ksize(&recs[i]) + am_record_vsize(&recs[i]) + 16;
    /* Leaves are filled completely by MDB_APPEND; branch pages, overflow
     * pages for big values and the meta pages fit in the slack. */
    mapsize = total + total / 2 + (1u << 20);
    if ((rc = mdb_env_create(&env)) != 0) {
        rc = lmdb_error(rc, "create", err);
        goto out;
    }
    maxkey = (size_t) mdb_env_get_maxkeysize(env);
    for (i = 0; i < n; i++) {
        if (am_record_ksize(&recs[i]) > maxkey) {
            rc = am_error_set(err, AM_ERR_LIMIT,
                              "key of %zu bytes is longer than LMDB's limit "
                              "of %zu", am_record_ksize(&recs[i]), maxkey);
            err->loc.line = recs[i].line;
            goto out;
        }
    }
    for (;;) {
        if ((rc = mdb_env_set_mapsize(env, mapsize)) != 0
            || (rc = mdb_env_open(env, a->tmp,
                                  MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOSYNC
                                  | MDB_WRITEMAP, 0600)) != 0) {
            rc = lmdb_error(rc, "create", err);
            goto out;
        }
        rc = load(env, recs, n, opts);
        if (rc != MDB_MAP_FULL)
            break;
        /* Start over in an empty file with twice the room. */
        mdb_env_close(env);
        env = NULL;
        if (ftruncate(a->fd, 0) < 0) {
            rc = am_error_sys(err, "truncate");
            goto out;
        }
        mapsize *= 2;
        if ((rc = mdb_env_create(&env)) != 0) {
            rc = lmdb_error(rc, "create", err);
            goto out;
        }
    }
    if (rc != 0) {
        rc = lmdb_error(rc, "write", err);
        goto out;
    }
    /* MDB_WRITEMAP sized the file to the whole map; keep only the pages
     * in use.  Data reaches the disk through am_atomic_commit's fsync. */
    {
        MDB_envinfo info;
        MDB_stat st;

        if (mdb_env_info(env, &info) == 0 && mdb_env_stat(env, &st) == 0
            && ftruncate(a->fd, (off_t) ((info.me_last_pgno + 1) * st.ms_psize)) < 0) {
            rc = am_error_sys(err, "truncate");
            goto out;
        }
    }
    rc = 0;
out:
    if (env != NULL)
        mdb_env_close(env);
    return rc;
}

const struct am_store_ops am_store_lmdb_ops = {
    "lmdb", ".lmdb", 1, 511, lmdb_open, lmdb_get, lmdb_each, lmdb_close,
    lmdb_build,
};
