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
 * buckets and paging a large working set.  A btree is written page by page
 * without libdb (bdb_btree_write.c), unless some key or value is long
 * enough to need an overflow page; then libdb loads it in key order.
 */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/bdb_btree_write.h"
#include "formats/store_impl.h"

_Static_assert(AM_BDB_BTREE_MAGIC == DB_BTREEMAGIC, "btree magic");
_Static_assert(AM_BDB_BTREE_VERSION == DB_BTREEVERSION, "btree version");

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

/* The generic metadata page at the start of every Berkeley DB file (the
 * first fields of libdb's DBMETA), in native byte order. */
struct bdb_meta {
    uint8_t lsn[8];
    uint32_t pgno;
    uint32_t magic;             /* DB_HASHMAGIC, DB_BTREEMAGIC, ... */
    uint32_t version;
    uint32_t pagesize;
    uint8_t encrypt_alg;
    uint8_t type;               /* page type of the metadata page */
    uint8_t metaflags;
    uint8_t unused;
    uint32_t free;
    uint32_t last_pgno;
};

/* Page types (libdb's db_page.h) a hash or btree table may contain. */
#define PAGE_INVALID 0          /* allocated, not yet used: zeros */
#define BTREE_INTERNAL 3        /* P_IBTREE */
#define BTREE_LEAF 5            /* P_LBTREE */
#define OVERFLOW_PAGE 7         /* P_OVERFLOW: long keys and values */
#define HASH_META_PAGE 8        /* P_HASHMETA */
#define BTREE_META_PAGE 9       /* P_BTREEMETA */
#define DUP_LEAF 12             /* P_LDUP: off-page duplicates */
#define HASH_PAGE 13            /* P_HASH */
#define PAGE_TYPE_OFFSET 25     /* of the type byte in every page header */

/* The items on one page.  Every page has a 26-byte header: lsn 8, pgno 4,
 * prev 4, next 4, entries 2, hf_offset 2, level 1, type 1; item offsets
 * (2 bytes each) follow it, and the items themselves lie between
 * hf_offset and the end of the page.  On an overflow page hf_offset is the
 * number of data bytes.  Item layouts (libdb's db_page.h): a btree leaf
 * or duplicate item is len 2, type 1, data (B_KEYDATA) or a 12-byte
 * reference (B_DUPLICATE, B_OVERFLOW); an internal btree item is len 2,
 * type 1, unused 1, pgno 4, nrecs 4, data; a hash item is a type byte and
 * runs to the previous item (H_KEYDATA, H_DUPLICATE) or is a 12-byte
 * (H_OFFPAGE) or 8-byte (H_OFFDUP) reference. */
/* A 16-bit field of a page, in native byte order like the whole file. */
static unsigned
page16(const unsigned char *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static int
check_items(const unsigned char *pg, uint32_t pagesize, unsigned t)
{
    unsigned entries = page16(pg + 20);
    unsigned hoff = page16(pg + 22);
    unsigned i, prev = pagesize;

    if (t == PAGE_INVALID)
        return 0;
    if (t == OVERFLOW_PAGE)
        return hoff <= pagesize - 26 ? 0 : -1;
    if (hoff == 0 && pagesize == 65536)
        hoff = 65536;           /* a 16-bit field: 0 means empty */
    if (26 + 2 * (size_t) entries > hoff || hoff > pagesize)
        return -1;
    for (i = 0; i < entries; i++) {
        size_t off = page16(pg + 26 + 2 * i);
        size_t size, len;
        unsigned it;

        if (off < hoff || off + 3 > pagesize)
            return -1;
        len = page16(pg + off);
        if (t == HASH_PAGE) {
            if (off >= prev)
                return -1;      /* hash items are laid out downwards */
            it = pg[off];
            size = it == 3 ? 12 : it == 4 ? 8 : prev - off;
            if (it < 1 || it > 4)
                return -1;
            prev = (unsigned) off;
        } else if (t == BTREE_INTERNAL) {
            it = pg[off + 2] & 0x7f;
            if (it != 1 && it != 3)
                return -1;
            size = 12 + len;
        } else {
            it = pg[off + 2] & 0x7f;
            if (it < 1 || it > 3)
                return -1;
            size = it == 1 ? 3 + len : 12;
        }
        if (off + size > pagesize)
            return -1;
    }
    return 0;
}

/* Every page of the file after the metadata page (libdb's verifier walks
 * them all, not only those up to last_pgno) must be of a type this access
 * method uses, with its items inside the page: libdb's verifier
 * dispatches on the type byte, its checks for other access methods (heap)
 * are not safe on hostile input, and it reads past its own buffers on
 * some malformed items. */
static int
check_pages(int fd, int type, uint32_t pagesize, uint64_t npages,
            struct am_error *err)
{
    unsigned allowed = 1u << PAGE_INVALID | 1u << OVERFLOW_PAGE
        | 1u << DUP_LEAF | 1u << BTREE_INTERNAL | 1u << BTREE_LEAF;
    unsigned char *pg;
    uint64_t pgno;
    unsigned t;
    ssize_t n;
    int rc = 0;

    if (type == AM_STORE_HASH)
        allowed |= 1u << HASH_PAGE;
    if ((pg = malloc(pagesize)) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    for (pgno = 1; pgno < npages && rc == 0; pgno++) {
        n = pread(fd, pg, pagesize, (off_t) (pgno * pagesize));
        if (n < 0) {
            rc = am_error_sys(err, "read");
            break;
        }
        t = n == (ssize_t) pagesize ? pg[PAGE_TYPE_OFFSET] : 255;
        if (t >= 32 || (allowed & 1u << t) == 0)
            rc = am_error_set(err, AM_ERR_CORRUPT,
                              "damaged Berkeley DB file: page %llu has "
                              "type %u", (unsigned long long) pgno, t);
        else if (check_items(pg, pagesize, t) < 0)
            rc = am_error_set(err, AM_ERR_CORRUPT,
                              "damaged Berkeley DB file: bad item on page "
                              "%llu", (unsigned long long) pgno);
    }
    free(pg);
    return rc;
}

/* Cheap checks libdb's verifier does not make first: the file is a hash or
 * btree table of the wanted type, written by this libdb version on a host
 * of our byte order, not encrypted, not partitioned and without page
 * checksums (metaflags 0, as Postfix and accessmap write tables; the
 * verifier divides by a partition count taken from the file), with a sane
 * page size, and as long as its metadata says.  Other access methods are refused before libdb sees
 * them (its heap verifier, for one, frees memory twice on a bad file). */
static int
check_meta(int fd, int type, const struct stat *st, struct am_error *err)
{
    struct bdb_meta m;
    uint32_t magic = type == AM_STORE_BTREE ? DB_BTREEMAGIC : DB_HASHMAGIC;
    uint32_t version = type == AM_STORE_BTREE ? DB_BTREEVERSION : DB_HASHVERSION;
    int page = type == AM_STORE_BTREE ? BTREE_META_PAGE : HASH_META_PAGE;
    ssize_t n;

    n = pread(fd, &m, sizeof(m), 0);
    if (n < 0)
        return am_error_sys(err, "read");
    if ((size_t) n < sizeof(m) || m.magic != magic || m.type != page)
        return am_error_set(err, AM_ERR_CORRUPT, "not a Berkeley DB %s table",
                            type == AM_STORE_BTREE ? "btree" : "hash");
    if (m.version != version)
        return am_error_set(err, AM_ERR_CORRUPT,
                            "Berkeley DB file version %u, this libdb reads %u",
                            (unsigned) m.version, (unsigned) version);
    if (m.pagesize < 512 || m.pagesize > 65536
        || (m.pagesize & (m.pagesize - 1)) != 0 || m.pgno != 0
        || m.encrypt_alg != 0 || m.metaflags != 0)
        return am_error_set(err, AM_ERR_CORRUPT,
                            "damaged Berkeley DB file: bad metadata page");
    if (((uint64_t) m.last_pgno + 1) * m.pagesize > (uint64_t) st->st_size)
        return am_error_set(err, AM_ERR_CORRUPT,
                            "damaged Berkeley DB file: shorter than its "
                            "metadata says (truncated?)");
    if (st->st_size % m.pagesize != 0)
        return am_error_set(err, AM_ERR_CORRUPT,
                            "damaged Berkeley DB file: size is not a "
                            "multiple of the page size");
    return check_pages(fd, type, m.pagesize,
                       (uint64_t) st->st_size / m.pagesize, err);
}

/* libdb trusts its files: a damaged page can make it read or copy outside
 * its buffers.  Its own verifier (DB->verify, the code behind db_verify)
 * checks every page of the file -- metadata, page types and sizes, item
 * offsets, overflow chains, hash buckets -- without trusting it, so a
 * file is verified before it is opened.  Key order is not checked
 * (DB_NOORDERCHK): a misordered page makes lookups miss, not read outside
 * memory, and the verifier's order check prints keys as C strings, reading
 * past the page.  The cost is one pass over the file at open (0.4 s for a
 * 26 MB hash table of 500,000 entries). */
static int
verify_file(struct bdb *b, const char *file, struct am_error *err)
{
    DB *v;
    int rc;

    if ((rc = db_create(&v, NULL, 0)) != 0)
        return db_error(b, rc, "db_create", err);
    v->get_env(v)->app_private = b;
    v->set_errcall(v, capture_error);
    /* DB->verify destroys the handle, whatever it returns. */
    rc = v->verify(v, file, NULL, NULL, DB_NOORDERCHK);
    if (rc != 0) {
        rc = db_error(b, rc, "damaged Berkeley DB file", err);
        return rc == AM_ERR_NOMEM ? rc : AM_ERR_CORRUPT;
    }
    return 0;
}

static int
same_file(struct bdb *b, const struct stat *verified, struct am_error *err)
{
    struct stat st;
    int fd;

    if (b->db->fd(b->db, &fd) != 0 || fstat(fd, &st) < 0)
        return am_error_set(err, AM_ERR_IO, "cannot check the file opened");
    if (st.st_dev != verified->st_dev || st.st_ino != verified->st_ino)
        return am_error_set(err, AM_ERR_RETRY,
                            "table replaced while it was opened");
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
    if (fstat(b->lock_fd, &st) < 0) {
        rc = am_error_sys(err, "stat");
        goto fail;
    }
    if (st.st_size == 0) {
        rc = am_error_set(err, AM_ERR_CORRUPT, "empty file is not a table");
        goto fail;
    }
    if ((rc = check_meta(b->lock_fd, type, &st, err)) < 0
        || (rc = verify_file(b, file, err)) < 0) {
        flock(b->lock_fd, LOCK_UN);
        goto fail;
    }
    b->errmsg[0] = '\0';
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
    /* What was verified must be what libdb opened: the path names the
     * same file unless it was replaced in between. */
    if ((rc = same_file(b, &st, err)) < 0)
        goto fail;
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
        /* libdb gives NULL for an empty key or value; callers get "". */
        if ((stop = fn(ctx, k.size > 0 ? (const char *) k.data : "", k.size,
                       v.size > 0 ? (const char *) v.data : "", v.size)) != 0)
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

    if (fstat(a->fd, &st) == 0 && st.st_blksize >= 512 && st.st_blksize <= 65536
        && (st.st_blksize & (st.st_blksize - 1)) == 0)
        pagesize = (unsigned) st.st_blksize;
    if (type == AM_STORE_BTREE) {
        if (!opts->sorted && (rc = am_record_sort_keys(recs, n, err)) < 0)
            return rc;
        if (am_bdb_btree_fits(recs, n, pagesize))
            return am_bdb_btree_write(a->fd, recs, n, pagesize, opts->progress,
                                      opts->progress_ctx, err);
    }
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
    "hash", ".db", 1, 0, 0, bdb_open, bdb_get, bdb_each, bdb_close, bdb_build,
};

const struct am_store_ops am_store_bdb_btree_ops = {
    "btree", ".db", 1, 0, 1, bdb_open, bdb_get, bdb_each, bdb_close, bdb_build,
};
