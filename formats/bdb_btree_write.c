/* bdb_btree_write.c - a Berkeley DB btree file from sorted records.
 *
 * The file is the one libdb 5.3 (btree version 9) reads, in the host's
 * byte order, unlogged, unencrypted, without checksums.  Pages:
 *
 *   0            metadata (BTMETA): magic, version, page size, last page,
 *                key and record counts, a file id, minkey 2, root 1
 *   1            the root: the only leaf of a small table, else the top
 *                internal page
 *   2..L+1       the L leaves, left to right, linked by prev and next
 *   L+2..        the other internal pages, level 2 first, left to right
 *
 * Every page starts with a 26-byte header (LSN 8 = "not logged" {0, 1},
 * pgno 4, prev 4, next 4, entries 2, hf_offset 2, level 1, type 1); the
 * 2-byte offsets of its items follow, and the items fill the page from
 * its end down to hf_offset, each 4-byte aligned.  A leaf (P_LBTREE,
 * level 1) holds key and value items in turn, each {len 2, type 1
 * B_KEYDATA, bytes}.  An internal page (P_IBTREE, level 2 and up, prev and
 * next 0) holds {len 2, type 1, unused 1, child pgno 4, nrecs 4 (0
 * without record numbers), bytes}; its first item's key is empty, as
 * libdb writes it: libdb takes it to sort before every key.  The other
 * keys are separators cut as libdb's default prefix function cuts them,
 * the shortest prefix of a page's first key that sorts after the key
 * before it.  Leaves are filled completely; a later DB->put splits them
 * as usual.
 *
 * Keys and values longer than libdb's overflow limit for the page size
 * would go to overflow pages, which this writer does not produce: callers
 * check am_bdb_btree_fits() and let libdb build such tables itself.
 *
 * The whole layout is planned from record sizes and the keys around page
 * boundaries before anything is written; the file is then written front
 * to back in large write() calls.  Owns nothing beyond the call.
 */
#include "formats/bdb_btree_write.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE_HEADER 26          /* bytes before the item offsets */
#define LEAF_ITEM 3             /* BKEYDATA: len 2, type 1 */
#define INTERNAL_ITEM 12        /* BINTERNAL: len, type, unused, pgno, nrecs */
#define MINKEY 2                /* libdb's default: 2 pairs per leaf */
#define TYPE_KEYDATA 1          /* B_KEYDATA item */
#define PAGE_IBTREE 3           /* P_IBTREE */
#define PAGE_LBTREE 5           /* P_LBTREE */
#define PAGE_BTREEMETA 9        /* P_BTREEMETA */
#define LEVEL_LEAF 1
#define FILE_ID_LEN 20

/* Metadata page offsets (DBMETA, then BTMETA). */
#define META_MAGIC 12
#define META_VERSION 16
#define META_PAGESIZE 20
#define META_TYPE 25
#define META_LAST_PGNO 32
#define META_KEY_COUNT 40
#define META_RECORD_COUNT 44
#define META_UID 52
#define META_MINKEY 76
#define META_RE_PAD 84
#define META_ROOT 88

#define WRITE_CHUNK (1u << 20)  /* bytes per write() */

static inline size_t
align4(size_t n)
{
    return (n + 3) & ~(size_t) 3;
}

static inline void
put16(unsigned char *p, size_t v)
{
    uint16_t x = (uint16_t) v;

    memcpy(p, &x, sizeof(x));
}

static inline void
put32(unsigned char *p, size_t v)
{
    uint32_t x = (uint32_t) v;

    memcpy(p, &x, sizeof(x));
}

/* The largest key or value libdb keeps on a leaf page (its
 * B_MINKEY_TO_OVFLSIZE with minkey 2). */
static size_t
overflow_limit(unsigned pagesize)
{
    return (pagesize - PAGE_HEADER) / (MINKEY * 2)
        - (align4(LEAF_ITEM) + 2 + align4(1));
}

int
am_bdb_btree_fits(const struct am_record *recs, size_t n, unsigned pagesize)
{
    size_t limit = overflow_limit(pagesize), i;

    for (i = 0; i < n; i++)
        if (am_record_ksize(&recs[i]) > limit
            || am_record_vsize(&recs[i]) > limit)
            return 0;
    return 1;
}

/* Space a record takes on a leaf: two offsets and two items. */
static inline size_t
leaf_cost(const struct am_record *r)
{
    return 2 * 2 + align4(LEAF_ITEM + am_record_ksize(r))
        + align4(LEAF_ITEM + am_record_vsize(r));
}

/* Byte i of r's stored key (text, then the NUL if any). */
static inline unsigned
stored_byte(const struct am_record *r, size_t i)
{
    return i < r->klen ? (unsigned char) r->key[i] : 0;
}

/* Length of the shortest prefix of b's stored key that sorts after a's
 * (a < b), as libdb's default bt_prefix computes it. */
static uint32_t
separator_len(const struct am_record *a, const struct am_record *b)
{
    size_t al = am_record_ksize(a), bl = am_record_ksize(b);
    size_t n = al < bl ? al : bl, i;

    for (i = 0; i < n; i++)
        if (stored_byte(a, i) != stored_byte(b, i))
            return (uint32_t) i + 1;
    return (uint32_t) (al < bl ? al + 1 : bl);
}

/* One item of an internal level: the child page and the key that leads
 * there, a prefix of recs[rec]'s stored key. */
struct sep {
    size_t rec;
    uint32_t len;
    uint32_t child;
};

static inline size_t
internal_cost(const struct sep *s, int first)
{
    return 2 + align4(INTERNAL_ITEM + (first ? 0 : s->len));
}

struct plan {
    size_t *leaf_start;         /* first record of each leaf, then n */
    size_t nleaves;
    unsigned char *inner;       /* internal pages but the root, pgno order */
    size_t ninner;
    unsigned char *root;        /* internal root page, or NULL */
    size_t npages;
};

static void
page_header(unsigned char *pg, size_t pgno, size_t prev, size_t next,
            size_t entries, size_t hoff, unsigned level, unsigned type)
{
    put32(pg + 4, 1);           /* LSN {0, 1}: not logged */
    put32(pg + 8, pgno);
    put32(pg + 12, prev);
    put32(pg + 16, next);
    put16(pg + 20, entries);
    put16(pg + 22, hoff);
    pg[24] = (unsigned char) level;
    pg[25] = (unsigned char) type;
}

/* Fill the zeroed page pg with the internal items s[0..n). */
static void
fill_internal(unsigned char *pg, unsigned pagesize, size_t pgno,
              unsigned level, const struct am_record *recs,
              const struct sep *s, size_t n)
{
    size_t off = pagesize, i;

    for (i = 0; i < n; i++) {
        const struct am_record *r = &recs[s[i].rec];
        size_t len = i == 0 ? 0 : s[i].len;
        unsigned char *it;

        off -= align4(INTERNAL_ITEM + len);
        it = pg + off;
        put16(it, len);
        it[2] = TYPE_KEYDATA;
        put32(it + 4, s[i].child);
        /* nrecs (it + 8) stays 0; the NUL of a stored key is a 0 too. */
        memcpy(it + INTERNAL_ITEM, r->key, len < r->klen ? len : r->klen);
        put16(pg + PAGE_HEADER + 2 * i, off);
    }
    page_header(pg, pgno, 0, 0, n, off, level, PAGE_IBTREE);
}

/* Plan the leaves and build the internal pages, bottom up. */
static int
make_plan(struct plan *p, const struct am_record *recs, size_t n,
          unsigned pagesize, struct am_error *err)
{
    size_t room = pagesize - PAGE_HEADER, used = 0, cap = 64, i;
    struct sep *level = NULL, *up;
    size_t nlevel, next_pgno, ninner_cap = 0;
    unsigned depth;

    if ((p->leaf_start = malloc(cap * sizeof(size_t))) == NULL)
        goto nomem;
    p->leaf_start[0] = 0;
    p->nleaves = 1;
    for (i = 0; i < n; i++) {
        size_t c = leaf_cost(&recs[i]);

        if (used + c > room && used > 0) {
            if (p->nleaves + 2 > cap) {
                size_t *ns = realloc(p->leaf_start, 2 * cap * sizeof(size_t));

                if (ns == NULL)
                    goto nomem;
                p->leaf_start = ns;
                cap *= 2;
            }
            p->leaf_start[p->nleaves++] = i;
            used = 0;
        }
        used += c;
    }
    p->leaf_start[p->nleaves] = n;
    if (p->nleaves == 1) {
        p->npages = 2;
        return 0;
    }

    /* Level 2 items: one per leaf. */
    if ((level = malloc(p->nleaves * sizeof(*level))) == NULL)
        goto nomem;
    for (i = 0; i < p->nleaves; i++) {
        size_t s = p->leaf_start[i];

        level[i].rec = s;
        level[i].len = i == 0 ? 0 : separator_len(&recs[s - 1], &recs[s]);
        level[i].child = (uint32_t) (2 + i);
    }
    nlevel = p->nleaves;
    next_pgno = 2 + p->nleaves;
    for (depth = LEVEL_LEAF + 1;; depth++) {
        size_t npg = 0, first, j;

        /* Count this level's pages: the items each page takes. */
        for (first = 0; first < nlevel; npg++) {
            used = internal_cost(&level[first], 1);
            for (j = first + 1; j < nlevel
                 && used + internal_cost(&level[j], 0) <= room; j++)
                used += internal_cost(&level[j], 0);
            first = j;
        }
        if (npg == 1) {
            if ((p->root = calloc(1, pagesize)) == NULL)
                goto nomem;
            fill_internal(p->root, pagesize, 1, depth, recs, level, nlevel);
            break;
        }
        if (p->ninner + npg > ninner_cap) {
            size_t nc = (p->ninner + npg) * 2;
            unsigned char *ni = realloc(p->inner, nc * pagesize);

            if (ni == NULL)
                goto nomem;
            p->inner = ni;
            ninner_cap = nc;
        }
        if ((up = malloc(npg * sizeof(*up))) == NULL)
            goto nomem;
        for (first = 0, npg = 0; first < nlevel; npg++) {
            unsigned char *pg = p->inner + p->ninner * pagesize;

            used = internal_cost(&level[first], 1);
            for (j = first + 1; j < nlevel
                 && used + internal_cost(&level[j], 0) <= room; j++)
                used += internal_cost(&level[j], 0);
            memset(pg, 0, pagesize);
            fill_internal(pg, pagesize, next_pgno, depth, recs, level + first,
                          j - first);
            up[npg] = level[first];
            up[npg].child = (uint32_t) next_pgno++;
            p->ninner++;
            first = j;
        }
        free(level);
        level = up;
        nlevel = npg;
    }
    free(level);
    p->npages = next_pgno;
    return 0;
nomem:
    free(level);
    return am_error_set(err, AM_ERR_NOMEM, "out of memory planning a btree "
                        "of %zu records", n);
}

/* Pages are assembled in a buffer and written out in large pieces. */
struct out {
    int fd;
    unsigned char *buf;
    size_t used, cap;
    unsigned pagesize;
};

static int
flush(struct out *o, struct am_error *err)
{
    size_t done = 0;
    ssize_t w;

    while (done < o->used) {
        w = write(o->fd, o->buf + done, o->used - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return am_error_sys(err, "write");
        done += (size_t) w;
    }
    o->used = 0;
    return 0;
}

/* The next page of the file, zeroed; NULL after an error. */
static unsigned char *
next_page(struct out *o, struct am_error *err)
{
    unsigned char *pg;

    if (o->used + o->pagesize > o->cap && flush(o, err) < 0)
        return NULL;
    pg = o->buf + o->used;
    o->used += o->pagesize;
    memset(pg, 0, o->pagesize);
    return pg;
}

static int
write_meta(struct out *o, const struct plan *p, size_t n,
           struct am_error *err)
{
    unsigned char *pg = next_page(o, err);
    unsigned char *uid;
    struct stat st;
    uint32_t salt = 0;

    if (pg == NULL)
        return AM_ERR_IO;
    put32(pg + 4, 1);           /* LSN {0, 1} */
    put32(pg + META_MAGIC, AM_BDB_BTREE_MAGIC);
    put32(pg + META_VERSION, AM_BDB_BTREE_VERSION);
    put32(pg + META_PAGESIZE, o->pagesize);
    pg[24] = 0;                 /* level */
    pg[META_TYPE] = PAGE_BTREEMETA;
    put32(pg + META_LAST_PGNO, p->npages - 1);
    put32(pg + META_KEY_COUNT, n);
    put32(pg + META_RECORD_COUNT, n);
    /* A file id like libdb's: inode, device, time, and a random salt for
     * two files made in the same second on a reused inode. */
    uid = pg + META_UID;
    if (fstat(o->fd, &st) == 0) {
        put32(uid, (size_t) st.st_ino);
        put32(uid + 4, (size_t) st.st_dev);
    }
    put32(uid + 8, (size_t) time(NULL));
    if (getrandom(&salt, sizeof(salt), GRND_NONBLOCK) != (ssize_t) sizeof(salt))
        salt = (uint32_t) getpid();
    put32(uid + 12, salt);
    put32(pg + META_MINKEY, MINKEY);
    put32(pg + META_RE_PAD, ' ');       /* libdb's default pad byte */
    put32(pg + META_ROOT, 1);
    return 0;
}

/* Write leaf k: records [leaf_start[k], leaf_start[k + 1]). */
static int
write_leaf(struct out *o, const struct plan *p, size_t k,
           const struct am_record *recs, size_t n,
           void (*progress)(void *, size_t, size_t), void *progress_ctx,
           struct am_error *err)
{
    size_t from = p->leaf_start[k], to = p->leaf_start[k + 1];
    size_t off = o->pagesize, i, e = 0, pgno, prev, next;
    unsigned char *pg = next_page(o, err), *it;

    if (pg == NULL)
        return AM_ERR_IO;
    for (i = from; i < to; i++) {
        const struct am_record *r = &recs[i];

        /* Sorted records point all over the source: fetch ahead. */
        if (i + 16 < n) {
            __builtin_prefetch(recs[i + 16].key);
            __builtin_prefetch(recs[i + 16].val);
        }
        if (i > 0 && am_record_keycmp(&recs[i - 1], r) >= 0)
            return am_error_set(err, AM_ERR_INVALID,
                                "btree records out of order or repeated "
                                "at \"%.*s\"", r->klen > 200 ? 200 :
                                (int) r->klen, r->key);
        off -= align4(LEAF_ITEM + am_record_ksize(r));
        it = pg + off;
        put16(it, am_record_ksize(r));
        it[2] = TYPE_KEYDATA;
        memcpy(it + LEAF_ITEM, r->key, r->klen);        /* NUL: zeroed */
        put16(pg + PAGE_HEADER + 2 * e++, off);
        off -= align4(LEAF_ITEM + am_record_vsize(r));
        it = pg + off;
        put16(it, am_record_vsize(r));
        it[2] = TYPE_KEYDATA;
        memcpy(it + LEAF_ITEM, r->val, r->vlen);
        put16(pg + PAGE_HEADER + 2 * e++, off);
        if (progress != NULL && (i & 0xffff) == 0)
            progress(progress_ctx, i, n);
    }
    if (p->nleaves == 1) {
        pgno = 1;
        prev = next = 0;
    } else {
        pgno = 2 + k;
        prev = k == 0 ? 0 : pgno - 1;
        next = k + 1 == p->nleaves ? 0 : pgno + 1;
    }
    page_header(pg, pgno, prev, next, e, off, LEVEL_LEAF, PAGE_LBTREE);
    return 0;
}

int
am_bdb_btree_write(int fd, const struct am_record *recs, size_t n,
                   unsigned pagesize,
                   void (*progress)(void *ctx, size_t done, size_t total),
                   void *progress_ctx, struct am_error *err)
{
    struct plan p = { NULL, 0, NULL, 0, NULL, 0 };
    struct out o = { fd, NULL, 0, 0, pagesize };
    size_t k;
    int rc;

    if (pagesize < 512 || pagesize > 65536 || (pagesize & (pagesize - 1)) != 0)
        return am_error_set(err, AM_ERR_INVALID, "bad page size %u", pagesize);
    if (n >= UINT32_MAX)
        return am_error_set(err, AM_ERR_LIMIT, "too many records for a btree");
    if (!am_bdb_btree_fits(recs, n, pagesize))
        return am_error_set(err, AM_ERR_INVALID,
                            "btree record too long for a page");
    if ((rc = make_plan(&p, recs, n, pagesize, err)) < 0)
        goto out;
    if (p.npages > UINT32_MAX) {
        rc = am_error_set(err, AM_ERR_LIMIT, "btree too large");
        goto out;
    }
    o.cap = WRITE_CHUNK > pagesize ? WRITE_CHUNK : pagesize;
    if ((o.buf = malloc(o.cap)) == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = write_meta(&o, &p, n, err)) < 0)
        goto out;
    if (p.root != NULL) {
        unsigned char *pg = next_page(&o, err);

        if (pg == NULL) {
            rc = AM_ERR_IO;
            goto out;
        }
        memcpy(pg, p.root, pagesize);
    }
    for (k = 0; k < p.nleaves; k++)
        if ((rc = write_leaf(&o, &p, k, recs, n, progress, progress_ctx,
                             err)) < 0)
            goto out;
    for (k = 0; k < p.ninner; k++) {
        unsigned char *pg = next_page(&o, err);

        if (pg == NULL) {
            rc = AM_ERR_IO;
            goto out;
        }
        memcpy(pg, p.inner + k * pagesize, pagesize);
    }
    rc = flush(&o, err);
out:
    free(o.buf);
    free(p.leaf_start);
    free(p.inner);
    free(p.root);
    return rc;
}
