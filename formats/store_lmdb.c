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
#include <stdint.h>
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

/* ---- checking a file before LMDB maps it ----
 *
 * LMDB trusts its file: page numbers, node offsets and sizes are used as
 * found, so a damaged or hostile file makes it read outside the map (or
 * past the end of the file: SIGBUS), divide by a zero page size or abort
 * on an assertion.  Before handing a file to LMDB we read it once with
 * pread() and check what a read-only reader of the main database will
 * touch: both meta pages (magic, version, the same sane page size, the
 * last page inside the file), the flags of the main database (none: no
 * duplicates or integer keys, as Postfix writes it), and its whole tree
 * from the root LMDB will pick -- every page number inside the file and
 * reached once, page kinds, lower/upper bounds, every node and key and
 * in-page value inside its page, overflow runs inside the file and long
 * enough for their value, all leaves at the recorded depth.  This is one
 * pass over the tree, linear in the file size.  The free-page database is
 * not used by readers and is not checked.  Key order is not checked: a
 * misordered page makes lookups miss, not read out of bounds.
 *
 * The layout below is LMDB's on-disk format for 64-bit hosts (pgno_t and
 * size_t of 8 bytes), which is what liblmdb on this platform writes. */

#define PAGEHDRSZ 16            /* pgno 8, pad 2, flags 2, lower 2, upper 2 */
#define NODESIZE 8              /* lo 2, hi 2, flags 2, ksize 2 */
#define P_BRANCH 0x01
#define P_LEAF 0x02
#define P_OVERFLOW 0x04
#define P_META 0x08
#define F_BIGDATA 0x01          /* the value is on overflow pages */
#define META_MAGIC 0xBEEFC0DEu
#define META_VERSION 1
#define MAX_DEPTH 32            /* LMDB's cursor stack */
#define NO_ROOT UINT64_MAX      /* an empty database */

struct meta {
    uint32_t psize;             /* free DB md_pad */
    uint16_t main_flags;
    uint16_t main_depth;
    uint64_t main_root;
    uint64_t last_pg;
    uint64_t txnid;
};

struct walk {
    int fd;
    uint32_t psize;
    uint64_t npages;            /* last_pg + 1, all inside the file */
    unsigned char *seen;        /* one bit per page */
    unsigned char *page;        /* MAX_DEPTH + 1 page buffers */
    unsigned depth;             /* of the leaves, from the meta */
};

static uint16_t
get16(const unsigned char *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t
get32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t
get64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static int
corrupt(struct am_error *err, const char *what, uint64_t pgno)
{
    return am_error_set(err, AM_ERR_CORRUPT,
                        "damaged LMDB file: %s (page %llu)", what,
                        (unsigned long long) pgno);
}

static int
read_page(int fd, unsigned char *buf, size_t size, uint64_t pgno,
          uint32_t psize, struct am_error *err)
{
    size_t off = 0;
    ssize_t n;

    while (off < size) {
        n = pread(fd, buf + off, size - off, (off_t) (pgno * psize + off));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return am_error_sys(err, "read");
        }
        if (n == 0)
            return corrupt(err, "file ends inside a page", pgno);
        off += (size_t) n;
    }
    return 0;
}

/* Meta page i, found at offset i * psize0 as LMDB reads it. */
static int
read_meta(int fd, unsigned i, uint32_t psize0, struct meta *m,
          struct am_error *err)
{
    unsigned char b[PAGEHDRSZ + 136];
    const unsigned char *mm = b + PAGEHDRSZ;
    int rc;

    if ((rc = read_page(fd, b, sizeof(b), i, psize0, err)) < 0)
        return rc == AM_ERR_CORRUPT
            ? am_error_set(err, AM_ERR_CORRUPT, "not an LMDB table") : rc;
    if ((get16(b + 10) & P_META) == 0 || get32(mm) != META_MAGIC)
        return am_error_set(err, AM_ERR_CORRUPT, "not an LMDB table");
    if (get32(mm + 4) != META_VERSION)
        return am_error_set(err, AM_ERR_CORRUPT,
                            "LMDB file format version %u, not %u",
                            (unsigned) get32(mm + 4), META_VERSION);
    /* magic 4, version 4, address 8, mapsize 8, then two MDB_db of 48
     * bytes (pad 4, flags 2, depth 2, four counts 8 each, root 8), then
     * last_pg 8 and txnid 8. */
    m->psize = get32(mm + 24);
    m->main_flags = get16(mm + 72 + 4);
    m->main_depth = get16(mm + 72 + 6);
    m->main_root = get64(mm + 72 + 40);
    m->last_pg = get64(mm + 120);
    m->txnid = get64(mm + 128);
    return 0;
}

static int
walk_page(struct walk *w, uint64_t pgno, unsigned level, struct am_error *err)
{
    unsigned char *p = w->page + (size_t) level * w->psize;
    unsigned flags, lower, upper, nkeys, i;
    int rc;

    if (pgno < 2 || pgno >= w->npages)
        return corrupt(err, "page number outside the file", pgno);
    if (w->seen[pgno / 8] & (1u << (pgno % 8)))
        return corrupt(err, "page reached twice", pgno);
    w->seen[pgno / 8] |= (unsigned char) (1u << (pgno % 8));
    if (level >= w->depth)
        return corrupt(err, "tree deeper than recorded", pgno);
    if ((rc = read_page(w->fd, p, w->psize, pgno, w->psize, err)) < 0)
        return rc;
    flags = get16(p + 10);
    lower = get16(p + 12);
    upper = get16(p + 14);
    if (flags != P_BRANCH && flags != P_LEAF)
        return corrupt(err, "not a branch or leaf page", pgno);
    if ((flags == P_LEAF) != (level + 1 == w->depth))
        return corrupt(err, "leaf not at the recorded depth", pgno);
    if (lower < PAGEHDRSZ || lower > upper || upper > w->psize
        || (lower - PAGEHDRSZ) % 2 != 0)
        return corrupt(err, "bad free space bounds", pgno);
    nkeys = (lower - PAGEHDRSZ) / 2;
    if (nkeys < (flags == P_BRANCH ? 2u : 1u))
        return corrupt(err, "too few keys", pgno);
    for (i = 0; i < nkeys; i++) {
        size_t off = get16(p + PAGEHDRSZ + 2 * i), end;
        const unsigned char *node = p + off;
        unsigned nflags, ksize;
        uint64_t dsize;

        if (off < upper || off % 2 != 0 || off + NODESIZE > w->psize)
            return corrupt(err, "node outside its page", pgno);
        nflags = get16(node + 4);
        ksize = get16(node + 6);
        end = off + NODESIZE + ksize;
        if (end > w->psize)
            return corrupt(err, "key outside its page", pgno);
        if (flags == P_BRANCH) {
            uint64_t child = (uint64_t) get16(node) | (uint64_t) get16(node + 2) << 16
                | (uint64_t) nflags << 32;

            if ((rc = walk_page(w, child, level + 1, err)) < 0)
                return rc;
            continue;
        }
        dsize = (uint64_t) get16(node) | (uint64_t) get16(node + 2) << 16;
        if ((nflags & ~F_BIGDATA) != 0)
            return corrupt(err, "sub-database or duplicate data", pgno);
        if ((nflags & F_BIGDATA) == 0) {
            if (end + dsize > w->psize)
                return corrupt(err, "value outside its page", pgno);
        } else {
            unsigned char ov[PAGEHDRSZ];
            uint64_t opg, pages;

            if (end + 8 > w->psize)
                return corrupt(err, "value outside its page", pgno);
            opg = get64(node + NODESIZE + ksize);
            if (opg < 2 || opg >= w->npages)
                return corrupt(err, "overflow page outside the file", pgno);
            if ((rc = read_page(w->fd, ov, sizeof(ov), opg, w->psize, err)) < 0)
                return rc;
            pages = get32(ov + 12);
            if (get16(ov + 10) != P_OVERFLOW || pages == 0
                || pages > w->npages - opg
                || dsize > pages * w->psize - PAGEHDRSZ)
                return corrupt(err, "bad overflow pages", opg);
        }
    }
    return 0;
}

/* Check the file open on fd (st: its fstat) as described above. */
static int
check_file(int fd, const struct stat *st, struct am_error *err)
{
    struct meta m0, m1, *m;
    struct walk w;
    int rc;

    if ((rc = read_meta(fd, 0, 0, &m0, err)) < 0)
        return rc;
    if (m0.psize < 512 || m0.psize > 65536 || (m0.psize & (m0.psize - 1)) != 0)
        return corrupt(err, "bad page size", 0);
    if ((rc = read_meta(fd, 1, m0.psize, &m1, err)) < 0)
        return rc;
    if (m1.psize != m0.psize)
        return corrupt(err, "meta pages disagree on the page size", 1);
    /* LMDB uses the meta page with the larger transaction id, the first
     * on a tie. */
    m = m1.txnid > m0.txnid ? &m1 : &m0;
    if (m->last_pg < 1 || m->last_pg >= (uint64_t) st->st_size / m->psize)
        return corrupt(err, "last page outside the file (truncated?)",
                       m->last_pg);
    if (m->main_flags != 0)
        return corrupt(err, "main database has flags Postfix does not use",
                       m == &m1);
    if (m->main_root == NO_ROOT)
        return 0;
    if (m->main_depth < 1 || m->main_depth > MAX_DEPTH)
        return corrupt(err, "bad tree depth", m->main_root);
    w.fd = fd;
    w.psize = m->psize;
    w.npages = m->last_pg + 1;
    w.depth = m->main_depth;
    w.seen = calloc((size_t) (w.npages / 8 + 1), 1);
    w.page = malloc((size_t) w.psize * (MAX_DEPTH + 1));
    if (w.seen == NULL || w.page == NULL)
        rc = am_error_set(err, AM_ERR_NOMEM, "out of memory");
    else
        rc = walk_page(&w, m->main_root, 0, err);
    free(w.seen);
    free(w.page);
    return rc;
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
    struct stat st, opened;
    int rc, fd;

    (void) type;
    if (l == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    /* Our own descriptor: LMDB would create a missing file even read-only,
     * and the file is checked through it under a shared lock, so a
     * Postfix writer (which locks exclusively) cannot change it between
     * the check and LMDB's open. */
    if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = am_error_sys(err, "open");
        goto fail;
    }
    if ((rc = lock_file(fd, F_RDLCK, err)) < 0)
        goto fail;
    if (fstat(fd, &st) < 0) {
        rc = am_error_sys(err, "stat");
        goto fail;
    }
    if ((rc = check_file(fd, &st, err)) < 0)
        goto fail;
    if ((rc = mdb_env_create(&l->env)) != 0
        || (rc = mdb_env_set_mapsize(l->env, (size_t) st.st_size + 65536)) != 0
        || (rc = mdb_env_open(l->env, file,
                              MDB_NOSUBDIR | MDB_NOLOCK | MDB_RDONLY, 0644)) != 0) {
        rc = lmdb_error(rc, rc == MDB_INVALID ? "not an LMDB table" : "open", err);
        goto fail;
    }
    mdb_env_get_fd(l->env, &l->fd);
    /* LMDB opened the path again: it must be the file that was checked. */
    if (fstat(l->fd, &opened) < 0) {
        rc = am_error_sys(err, "stat");
        goto fail;
    }
    if (opened.st_dev != st.st_dev || opened.st_ino != st.st_ino) {
        rc = am_error_set(err, AM_ERR_RETRY, "table replaced while it was opened");
        goto fail;
    }
    if ((rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, &l->txn)) != 0
        || (rc = mdb_dbi_open(l->txn, NULL, 0, &l->dbi)) != 0) {
        rc = lmdb_error(rc, "open", err);
        goto fail;
    }
    mdb_txn_reset(l->txn);
    /* Closing fd drops this process's fcntl locks on the file; none are
     * held through l->fd at this point. */
    close(fd);
    *handle = l;
    return 0;
fail:
    if (fd >= 0)
        close(fd);
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
    if (!opts->sorted && (rc = am_record_sort_keys(recs, n, err)) < 0)
        return rc;
    for (i = 0; i < n; i++)
        total += am_record_ksize(&recs[i]) + am_record_vsize(&recs[i]) + 16;
    /* Leaves are filled completely by MDB_APPEND; branch pages, overflow
     * pages for big values and the meta pages fit in the slack. */
    mapsize = total + total / 2 + (64u << 10);
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
        /* With MDB_WRITEMAP a full disk would show up as SIGBUS on a store
         * into the map; reserve the blocks first so it is an error here.
         * The size stays 0: LMDB formats only an empty file. */
        if (fallocate(a->fd, FALLOC_FL_KEEP_SIZE, 0, (off_t) mapsize) < 0
            && errno != EOPNOTSUPP) {
            rc = am_error_sys(err, "reserve %zu bytes", mapsize);
            goto out;
        }
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
    "lmdb", ".lmdb", 1, 511, 1, lmdb_open, lmdb_get, lmdb_each, lmdb_close,
    lmdb_build,
};
