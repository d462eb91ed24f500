/* store_bdb.c - Berkeley DB hash and btree tables, as Postfix reads them.
 *
 * The only file that includes db.h.  Readers open the .db file read-only
 * with no environment and hold flock(LOCK_SH) while opening and around each
 * lookup, as Postfix does, so an in-place rebuild by postmap (which holds
 * LOCK_EX) is never seen half written.  libdb's own error messages are
 * captured into struct am_error instead of being printed.
 *
 * Building a hash table fast: presize it (h_nelem with a fill factor chosen
 * so one bucket's records fit in a page) and insert records in bucket
 * order, so libdb fills pages one after another instead of splitting
 * buckets and paging a large working set.  A btree is loaded in key order.
 */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/store_impl.h"

struct bdb {
    DB *db;
    int lock_fd;                /* our own descriptor for flock */
    char errmsg[256];           /* last message from libdb */
};

static void
capture_error(const DB_ENV *env, const char *pfx, const char *msg)
{
    struct bdb *b = env->app_private;

    (void) pfx;
    if (b != NULL)
        snprintf(b->errmsg, sizeof(b->errmsg), "%s", msg);
}

static int
db_error(struct bdb *b, int rc, const char *what, struct am_error *err)
{
    int code = AM_ERR_DB;

    if (rc == EINVAL || rc == DB_RUNRECOVERY || rc == DB_VERIFY_BAD
        || rc == DB_PAGE_NOTFOUND)
        code = AM_ERR_CORRUPT;
    else if (rc > 0)
        code = rc == ENOMEM ? AM_ERR_NOMEM : AM_ERR_IO;
    if (b->errmsg[0] != '\0')
        return am_error_set(err, code, "%s: %s (%s)", what, db_strerror(rc),
                            b->errmsg);
    return am_error_set(err, code, "%s: %s", what, db_strerror(rc));
}

static int
new_handle(struct bdb *b, struct am_error *err)
{
    DB_ENV *env;
    int rc;

    if ((rc = db_create(&b->db, NULL, 0)) != 0)
        return db_error(b, rc, "db_create", err);
    env = b->db->get_env(b->db);
    env->app_private = b;
    b->db->set_errcall(b->db, capture_error);
    return 0;
}

static void
bdb_close(void *handle)
{
    struct bdb *b = handle;

    if (b == NULL)
        return;
    if (b->db != NULL)
        b->db->close(b->db, 0);
    if (b->lock_fd >= 0)
        close(b->lock_fd);
    free(b);
}

static int
bdb_open(int type, const char *file, void **handle, struct am_error *err)
{
    struct bdb *b = calloc(1, sizeof(*b));
    struct stat st;
    int rc;

    if (b == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    b->lock_fd = -1;
    if ((b->lock_fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = am_error_sys(err, "open");
        goto fail;
    }
    if (flock(b->lock_fd, LOCK_SH) < 0) {
        rc = am_error_sys(err, "lock");
        goto fail;
    }
    if (fstat(b->lock_fd, &st) == 0 && st.st_size == 0) {
        rc = am_error_set(err, AM_ERR_CORRUPT, "empty file is not a table");
        goto fail;
    }
    if ((rc = new_handle(b, err)) < 0)
        goto fail;
    b->db->set_cachesize(b->db, 0, 1024 * 1024, 1);
    rc = b->db->open(b->db, NULL, file, NULL,
                     type == AM_STORE_BTREE ? DB_BTREE : DB_HASH, DB_RDONLY,
                     0644);
    flock(b->lock_fd, LOCK_UN);
    if (rc != 0) {
        rc = db_error(b, rc, "not a Berkeley DB table of this type", err);
        goto fail;
    }
    *handle = b;
    return 0;
fail:
    bdb_close(b);
    return rc;
}

static int
bdb_get(void *handle, const char *key, size_t klen, const char **val,
        size_t *vlen, struct am_error *err)
{
    struct bdb *b = handle;
    DBT k, v;
    int rc;

    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    k.data = (void *) key;
    k.size = (u_int32_t) klen;
    if (flock(b->lock_fd, LOCK_SH) < 0)
        return am_error_sys(err, "lock");
    rc = b->db->get(b->db, NULL, &k, &v, 0);
    flock(b->lock_fd, LOCK_UN);
    if (rc == DB_NOTFOUND || rc == DB_KEYEMPTY)
        return 0;
    if (rc != 0)
        return db_error(b, rc, "lookup", err);
    *val = v.data;
    *vlen = v.size;
    return 1;
}

static int
bdb_each(void *handle, am_store_each_fn *fn, void *ctx, struct am_error *err)
{
    struct bdb *b = handle;
    DBC *cur = NULL;
    DBT k, v;
    int rc, stop = 0;

    if (flock(b->lock_fd, LOCK_SH) < 0)
        return am_error_sys(err, "lock");
    if ((rc = b->db->cursor(b->db, NULL, &cur, 0)) != 0) {
        flock(b->lock_fd, LOCK_UN);
        return db_error(b, rc, "cursor", err);
    }
    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    while ((rc = cur->get(cur, &k, &v, DB_NEXT)) == 0) {
        if ((stop = fn(ctx, k.data, k.size, v.data, v.size)) != 0)
            break;
    }
    cur->close(cur);
    flock(b->lock_fd, LOCK_UN);
    if (stop != 0)
        return stop;
    if (rc != DB_NOTFOUND)
        return db_error(b, rc, "read", err);
    return 0;
}

/* libdb's default hash function for hash tables (32-bit FNV-1). */
static uint32_t
bdb_hash(const char *key, size_t len, int nul)
{
    const unsigned char *p = (const unsigned char *) key;
    uint32_t h = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        h *= 16777619;
        h ^= p[i];
    }
    if (nul)
        h *= 16777619;          /* ^= 0 changes nothing */
    return h;
}

struct bucket_ctx {
    uint32_t high_mask, low_mask, max_bucket;
};

static uint32_t
bucket_of(const struct am_record *r, void *ctx)
{
    const struct bucket_ctx *bc = ctx;
    uint32_t h = bdb_hash(r->key, r->klen, r->flags & AM_REC_NUL);
    uint32_t b = h & bc->high_mask;

    return b > bc->max_bucket ? h & bc->low_mask : b;
}

static int
bdb_build(int type, struct am_atomic *a, struct am_record *recs, size_t n,
          const struct am_store_build_opts *opts, struct am_error *err)
{
    struct bdb b = { NULL, -1, "" };
    char *kbuf = NULL, *vbuf = NULL;
    size_t ksize = 0, vsize = 0, i, total = 0, cache;
    DBT k, v;
    struct stat st;
    unsigned pagesize = 4096;
    int rc;

    if (fstat(a->fd, &st) == 0 && st.st_blksize >= 512 && st.st_blksize <= 65536)
        pagesize = (unsigned) st.st_blksize;
    if ((rc = new_handle(&b, err)) < 0)
        return rc;
    for (i = 0; i < n; i++)
        total += am_record_ksize(&recs[i]) + am_record_vsize(&recs[i]);
    cache = opts->cache_bytes ? opts->cache_bytes : 32u << 20;
    b.db->set_cachesize(b.db, 0, (u_int32_t) cache, 1);
    if (type == AM_STORE_HASH && n > 0) {
        /* About 6 bytes of page overhead per pair; aim for 85% full pages. */
        size_t avg = total / n + 6, ff = (pagesize - 32) * 85 / 100 / avg;

        if (ff < 1)
            ff = 1;
        if (ff > 1000)
            ff = 1000;
        b.db->set_h_ffactor(b.db, (u_int32_t) ff);
        b.db->set_h_nelem(b.db, (u_int32_t) n);
    } else if (type == AM_STORE_HASH) {
        b.db->set_h_nelem(b.db, 4096);
    }
    /* libdb creates the file itself, with O_EXCL. */
    am_atomic_release_name(a);
    rc = b.db->open(b.db, NULL, a->tmp, NULL,
                    type == AM_STORE_BTREE ? DB_BTREE : DB_HASH,
                    DB_CREATE | DB_EXCL, 0600);
    if (rc != 0) {
        rc = db_error(&b, rc, "create", err);
        goto out;
    }
    if (type == AM_STORE_HASH) {
        DB_HASH_STAT *hs = NULL;
        struct bucket_ctx bc;

        if ((rc = b.db->stat(b.db, NULL, &hs, DB_FAST_STAT)) != 0) {
            rc = db_error(&b, rc, "stat", err);
            goto out;
        }
        bc.max_bucket = hs->hash_buckets ? hs->hash_buckets - 1 : 0;
        free(hs);
        for (bc.high_mask = 1; bc.high_mask <= bc.max_bucket; bc.high_mask <<= 1)
            ;
        bc.high_mask -= 1;
        bc.low_mask = bc.high_mask >> 1;
        if ((rc = am_record_sort_u32(recs, n, bucket_of, &bc, err)) < 0)
            goto out;
    } else {
        if ((rc = am_record_sort_keys(recs, n, err)) < 0)
            goto out;
    }
    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    for (i = 0; i < n; i++) {
        const struct am_record *r = &recs[i];
        int nul = r->flags & AM_REC_NUL;

        /* Sorted records point all over the source: fetch ahead. */
        if (i + 16 < n) {
            __builtin_prefetch(recs[i + 16].key);
            __builtin_prefetch(recs[i + 16].val);
        }
        k.data = (void *) am_store_stored(r->key, r->klen, nul, &kbuf, &ksize);
        v.data = (void *) am_store_stored(r->val, r->vlen, nul, &vbuf, &vsize);
        if (k.data == NULL || v.data == NULL) {
            rc = am_error_set(err, AM_ERR_NOMEM, "out of memory");
            goto out;
        }
        k.size = (u_int32_t) am_record_ksize(r);
        v.size = (u_int32_t) am_record_vsize(r);
        if ((rc = b.db->put(b.db, NULL, &k, &v, 0)) != 0) {
            rc = db_error(&b, rc, "write", err);
            goto out;
        }
        if (opts->progress != NULL && (i & 0xffff) == 0)
            opts->progress(opts->progress_ctx, i, n);
    }
    rc = b.db->close(b.db, 0);
    b.db = NULL;
    if (rc != 0)
        rc = am_error_set(err, rc > 0 ? AM_ERR_IO : AM_ERR_DB,
                          "write: %s", db_strerror(rc));
out:
    if (b.db != NULL)
        b.db->close(b.db, DB_NOSYNC);
    free(kbuf);
    free(vbuf);
    return rc;
}

const struct am_store_ops am_store_bdb_hash_ops = {
    "hash", ".db", 1, 0, bdb_open, bdb_get, bdb_each, bdb_close, bdb_build,
};

const struct am_store_ops am_store_bdb_btree_ops = {
    "btree", ".db", 1, 0, bdb_open, bdb_get, bdb_each, bdb_close, bdb_build,
};
