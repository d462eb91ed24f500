/* test_bdb_btree.c - btree files written without libdb, checked by libdb.
 *
 * Tables of many shapes (empty, one entry, a leaf filled to the last
 * byte, trees several levels deep, keys at the overflow limit, keys that
 * are prefixes of each other, with and without the stored NUL) are written
 * by am_bdb_btree_write() at several page sizes.  Each file must pass
 * libdb's own verifier with key-order checks on and open with accessmap's
 * reader; a libdb cursor walk must return exactly the records written, in
 * order, and a search must find each key.  libdb must also be
 * able to update such a file in place.  Runs in the test's private
 * working directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <db.h>
#include <fcntl.h>
#include <unistd.h>

#include "formats/bdb_btree_write.h"
#include "formats/store.h"
#include "tests/formats/files.h"

/* Records whose text lives in one growing pool of separate blocks. */
struct table {
    struct am_record *recs;
    size_t n, cap;
};

static void
add(struct table *t, const char *key, size_t klen, const char *val,
    size_t vlen, int nul)
{
    char *k = malloc(klen + 1), *v = malloc(vlen + 1);

    assert_non_null(k);
    assert_non_null(v);
    memcpy(k, key, klen);
    memcpy(v, val, vlen);
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->recs = realloc(t->recs, t->cap * sizeof(*t->recs));
        assert_non_null(t->recs);
    }
    t->recs[t->n].key = k;
    t->recs[t->n].klen = (uint32_t) klen;
    t->recs[t->n].val = v;
    t->recs[t->n].vlen = (uint32_t) vlen;
    t->recs[t->n].line = 0;
    t->recs[t->n].src = 0;
    t->recs[t->n].flags = nul ? AM_REC_NUL : 0;
    t->n++;
}

static void
adds(struct table *t, const char *key, const char *val, int nul)
{
    add(t, key, strlen(key), val, strlen(val), nul);
}

static void
table_free(struct table *t)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        free((char *) t->recs[i].key);
        free((char *) t->recs[i].val);
    }
    free(t->recs);
    memset(t, 0, sizeof(*t));
}

/* Sort by stored key and keep the first record of each key. */
static void
sort_unique(struct table *t)
{
    struct am_error err = { 0 };
    size_t r, w = 1;

    assert_int_equal(am_record_sort_keys(t->recs, t->n, &err), 0);
    for (r = 1; r < t->n; r++) {
        if (am_record_keycmp(&t->recs[w - 1], &t->recs[r]) == 0) {
            free((char *) t->recs[r].key);
            free((char *) t->recs[r].val);
            continue;
        }
        t->recs[w++] = t->recs[r];
    }
    if (t->n > 0)
        t->n = w;
}

static int
write_file(const char *path, const struct table *t, unsigned pagesize,
           struct am_error *err)
{
    int fd, rc;

    unlink(path);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    rc = am_bdb_btree_write(fd, t->recs, t->n, pagesize, NULL, NULL, err);
    close(fd);
    return rc;
}

static int
stored_equal(const DBT *d, const char *text, size_t len, int nul)
{
    return d->size == len + (nul ? 1u : 0u)
        && (len == 0 || memcmp(d->data, text, len) == 0)
        && (!nul || ((const char *) d->data)[len] == '\0');
}

static int
count_record(void *ctx, const char *key, size_t klen, const char *val,
             size_t vlen)
{
    (void) key;
    (void) klen;
    (void) val;
    (void) vlen;
    ++*(size_t *) ctx;
    return 0;
}

/* accessmap's own reader takes the file too (its page checks, then
 * libdb's verifier, then a walk). */
static void
check_reader(const char *path, size_t n)
{
    struct am_error err = { 0 };
    char base[64];
    size_t seen = 0;
    am_store *s;

    assert_true(strlen(path) > 3 && strlen(path) < sizeof(base));
    snprintf(base, sizeof(base), "%.*s", (int) (strlen(path) - 3), path);
    s = am_store_open(AM_STORE_BTREE, base, AM_STORE_NUL_AUTO, &err);
    if (s == NULL)
        fail_msg("%s: am_store_open: %s", path, err.msg);
    assert_int_equal(am_store_each(s, count_record, &seen, &err), 0);
    assert_int_equal(seen, n);
    am_store_close(s);
}

/* libdb's verifier with order checks, a full cursor walk against t (in
 * order), and the tree's shape; returns the number of levels. */
static unsigned
check_file(const char *path, const struct table *t)
{
    DB *db;
    DBC *cur;
    DBT k, v;
    DB_BTREE_STAT *st;
    size_t i = 0;
    unsigned levels;
    int rc;

    assert_int_equal(db_create(&db, NULL, 0), 0);
    rc = db->verify(db, path, NULL, NULL, 0);
    if (rc != 0)
        fail_msg("%s: verify: %s", path, db_strerror(rc));
    assert_int_equal(db_create(&db, NULL, 0), 0);
    rc = db->open(db, NULL, path, NULL, DB_BTREE, DB_RDONLY, 0);
    if (rc != 0)
        fail_msg("%s: open: %s", path, db_strerror(rc));
    assert_int_equal(db->cursor(db, NULL, &cur, 0), 0);
    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    while ((rc = cur->get(cur, &k, &v, DB_NEXT)) == 0) {
        const struct am_record *r;
        int nul;

        if (i >= t->n)
            fail_msg("%s: more than %zu records", path, t->n);
        r = &t->recs[i];
        nul = r->flags & AM_REC_NUL;
        if (!stored_equal(&k, r->key, r->klen, nul)
            || !stored_equal(&v, r->val, r->vlen, nul))
            fail_msg("%s: record %zu differs (key \"%.*s\")", path, i,
                     (int) r->klen, r->key);
        i++;
    }
    assert_int_equal(rc, DB_NOTFOUND);
    assert_int_equal(i, t->n);
    cur->close(cur);
    /* Every key is found by a search from the root, too. */
    for (i = 0; i < t->n; i++) {
        const struct am_record *r = &t->recs[i];
        char *kb = malloc(r->klen + 1);

        assert_non_null(kb);
        memcpy(kb, r->key, r->klen);
        kb[r->klen] = '\0';
        memset(&k, 0, sizeof(k));
        memset(&v, 0, sizeof(v));
        k.data = kb;
        k.size = (u_int32_t) am_record_ksize(r);
        rc = db->get(db, NULL, &k, &v, 0);
        if (rc != 0)
            fail_msg("%s: get \"%.*s\": %s", path, (int) r->klen, r->key,
                     db_strerror(rc));
        assert_true(stored_equal(&v, r->val, r->vlen, r->flags & AM_REC_NUL));
        free(kb);
    }
    assert_int_equal(db->stat(db, NULL, &st, 0), 0);
    assert_int_equal(st->bt_nkeys, t->n);
    assert_int_equal(st->bt_ndata, t->n);
    levels = st->bt_levels;
    free(st);
    db->close(db, 0);
    check_reader(path, t->n);
    return levels;
}

static const unsigned pagesizes[] = { 512, 4096, 65536 };
#define NSIZES (sizeof(pagesizes) / sizeof(pagesizes[0]))

static void
empty_and_one(void **state)
{
    struct table t = { 0 };
    struct am_error err = { 0 };
    size_t i;

    (void) state;
    for (i = 0; i < NSIZES; i++) {
        assert_int_equal(write_file("e.db", &t, pagesizes[i], &err), 0);
        assert_int_equal(check_file("e.db", &t), 1);
    }
    adds(&t, "only.example", "OK", 1);
    for (i = 0; i < NSIZES; i++) {
        assert_int_equal(write_file("one.db", &t, pagesizes[i], &err), 0);
        assert_int_equal(check_file("one.db", &t), 1);
    }
    table_free(&t);
    /* An empty key and value, stored without NUL: zero-length items. */
    add(&t, "", 0, "", 0, 0);
    adds(&t, "a", "", 0);
    assert_int_equal(write_file("z.db", &t, 4096, &err), 0);
    assert_int_equal(check_file("z.db", &t), 1);
    table_free(&t);
}

/* A leaf holds 26 header bytes, then per record two 2-byte offsets and
 * two items of 3 + size bytes rounded up to 4.  Records of 28 bytes
 * (5-byte keys and values, with NUL 6) fill a 4096-byte page up to 4060;
 * one of 36 bytes makes 4096 - 26 - 2: no room for more. */
static void
page_exactly_full(void **state)
{
    struct table t = { 0 };
    struct am_error err = { 0 };
    char key[16];
    int i;

    (void) state;
    for (i = 0; i < 144; i++) {
        snprintf(key, sizeof(key), "k%04d", i);
        adds(&t, key, "v0000", 1);
    }
    adds(&t, "k0144", "a 13-byte val", 1);
    assert_int_equal(write_file("full.db", &t, 4096, &err), 0);
    assert_int_equal(check_file("full.db", &t), 1);
    /* One more byte of value still fits in the rounding ... */
    table_free(&t);
    for (i = 0; i < 144; i++) {
        snprintf(key, sizeof(key), "k%04d", i);
        adds(&t, key, "v0000", 1);
    }
    adds(&t, "k0144", "a 16-byte value", 1);
    assert_int_equal(write_file("full.db", &t, 4096, &err), 0);
    assert_int_equal(check_file("full.db", &t), 1);
    /* ... and the smallest record more needs a second leaf. */
    adds(&t, "k0145", "", 1);
    assert_int_equal(write_file("full.db", &t, 4096, &err), 0);
    assert_int_equal(check_file("full.db", &t), 2);
    table_free(&t);
}

/* Deep trees: many records on small pages, keys sharing long prefixes so
 * the separators on internal pages are long too. */
static void
many_levels(void **state)
{
    struct table t = { 0 };
    struct am_error err = { 0 };
    char key[128], val[64];
    unsigned levels;
    int i;

    (void) state;
    for (i = 0; i < 200000; i++) {
        snprintf(key, sizeof(key), "%u.%u.%u.%u", (unsigned) (i * 2654435761u) >> 24,
                 (i >> 8) & 255, i & 255, i % 7);
        snprintf(val, sizeof(val), "REJECT entry %d", i);
        adds(&t, key, val, 1);
    }
    sort_unique(&t);          /* the generated keys repeat now and then */
    assert_int_equal(write_file("deep4k.db", &t, 4096, &err), 0);
    assert_int_equal(check_file("deep4k.db", &t), 3);
    assert_int_equal(write_file("deep512.db", &t, 512, &err), 0);
    levels = check_file("deep512.db", &t);
    assert_true(levels >= 5);
    table_free(&t);

    /* Long shared prefixes: 100-byte keys differing near the end. */
    memset(key, 'p', 100);
    for (i = 0; i < 20000; i++) {
        snprintf(key + 90, sizeof(key) - 90, "%010d", i);
        adds(&t, key, "v", 1);
    }
    assert_int_equal(write_file("long512.db", &t, 512, &err), 0);
    assert_true(check_file("long512.db", &t) >= 4);
    assert_int_equal(write_file("long4k.db", &t, 4096, &err), 0);
    check_file("long4k.db", &t);
    table_free(&t);
}

/* Keys and values of exactly the largest size libdb keeps on a page,
 * and one byte more (which the writer declines). */
static void
overflow_limit(void **state)
{
    /* libdb's "Overflow key/data size" for minkey 2. */
    static const struct { unsigned pagesize; size_t limit; } lim[] = {
        { 512, 111 }, { 4096, 1007 }, { 65536, 16367 },
    };
    struct table t = { 0 };
    struct am_error err = { 0 };
    size_t i, j;
    char *big;

    (void) state;
    for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
        size_t text = lim[i].limit - 1;       /* + NUL */

        big = malloc(lim[i].limit + 2);
        assert_non_null(big);
        memset(big, 'x', lim[i].limit + 1);
        for (j = 0; j < 50; j++) {
            big[text - 3] = (char) ('a' + j / 26);
            big[text - 2] = (char) ('a' + j % 26);
            big[text - 1] = '0';
            add(&t, big, text, big, text, 1);
        }
        assert_int_equal(am_bdb_btree_fits(t.recs, t.n, lim[i].pagesize), 1);
        assert_int_equal(write_file("lim.db", &t, lim[i].pagesize, &err), 0);
        check_file("lim.db", &t);
        add(&t, "zz", 2, big, text + 1, 1);
        assert_int_equal(am_bdb_btree_fits(t.recs, t.n, lim[i].pagesize), 0);
        assert_int_equal(write_file("lim.db", &t, lim[i].pagesize, &err),
                         AM_ERR_INVALID);
        table_free(&t);
        free(big);
    }
}

/* Keys that are prefixes of each other, bytes above 0x7f, the NUL
 * convention on and off: separators must sort as libdb compares. */
static void
key_shapes(void **state)
{
    static const char *const keys[] = {
        "a", "ab", "abc", "abd", "ac", "b", "\x01", "\x01\x01", "\x7f",
        "\x80", "\xff", "\xff\xff", "a\x01", "a\xff", "A", "Z", "0", "9",
    };
    struct table t = { 0 };
    struct am_error err = { 0 };
    char key[32];
    size_t i;
    int nul, rep;

    (void) state;
    for (nul = 0; nul < 2; nul++) {
        for (rep = 0; rep < 300; rep++)
            for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                snprintf(key, sizeof(key), "%s%.*s", keys[i], rep % 5,
                         "\x01\x02\xfe\xff\x01");
                if (rep >= 5)
                    snprintf(key, sizeof(key), "%s%d%s", keys[i], rep,
                             keys[(i + (size_t) rep) % 18]);
                adds(&t, key, keys[i], nul);
            }
        sort_unique(&t);
        for (i = 0; i < NSIZES; i++) {
            assert_int_equal(write_file("shapes.db", &t, pagesizes[i], &err), 0);
            check_file("shapes.db", &t);
        }
        table_free(&t);
    }
}

/* Unsorted or repeated keys are refused, not written as a broken tree. */
static void
refuses_bad_order(void **state)
{
    struct table t = { 0 };
    struct am_error err = { 0 };

    (void) state;
    adds(&t, "b", "1", 1);
    adds(&t, "a", "2", 1);
    assert_int_equal(write_file("bad.db", &t, 4096, &err), AM_ERR_INVALID);
    table_free(&t);
    adds(&t, "a", "1", 1);
    adds(&t, "a", "2", 1);
    assert_int_equal(write_file("bad.db", &t, 4096, &err), AM_ERR_INVALID);
    table_free(&t);
    assert_int_equal(write_file("bad.db", &t, 1000, &err), AM_ERR_INVALID);
}

/* libdb updates a file written here: new keys everywhere (leaf and
 * internal splits), changed values, deletes; then it still verifies. */
static void
libdb_updates(void **state)
{
    struct table t = { 0 }, all = { 0 };
    struct am_error err = { 0 };
    char key[32], val[32];
    DB *db;
    DBT k, v;
    int i;

    (void) state;
    for (i = 0; i < 20000; i += 2) {
        snprintf(key, sizeof(key), "host%06d.example", i);
        adds(&t, key, "OK", 1);
    }
    assert_int_equal(write_file("upd.db", &t, 4096, &err), 0);
    assert_int_equal(db_create(&db, NULL, 0), 0);
    assert_int_equal(db->open(db, NULL, "upd.db", NULL, DB_BTREE, 0, 0), 0);
    for (i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "host%06d.example", i);
        snprintf(val, sizeof(val), "%s", i % 2 ? "NEW" : i % 3 ? "OK" : "CHANGED");
        memset(&k, 0, sizeof(k));
        memset(&v, 0, sizeof(v));
        k.data = key;
        k.size = (u_int32_t) strlen(key) + 1;
        if (i % 1000 == 500) {
            assert_int_equal(db->del(db, NULL, &k, 0), 0);
            continue;
        }
        if (i % 2 == 0 && i % 3 != 0) {
            adds(&all, key, val, 1);
            continue;
        }
        v.data = val;
        v.size = (u_int32_t) strlen(val) + 1;
        assert_int_equal(db->put(db, NULL, &k, &v, 0), 0);
        adds(&all, key, val, 1);
    }
    assert_int_equal(db->close(db, 0), 0);
    check_file("upd.db", &all);
    table_free(&t);
    table_free(&all);
}

/* Through am_store_build: written here when it fits, by libdb when a
 * value needs an overflow page; both read back the same way. */
static void
store_build_paths(void **state)
{
    struct am_store_build_opts bo = { .mode = 0644, .uid = (uid_t) -1,
                                      .gid = (gid_t) -1 };
    struct table t = { 0 };
    struct am_error err = { 0 };
    char key[32], *big = malloc(3000);
    int i, pass;

    (void) state;
    assert_non_null(big);
    memset(big, 'B', 2999);
    big[2999] = '\0';
    for (pass = 0; pass < 2; pass++) {
        for (i = 5000; i > 0; i--) {
            snprintf(key, sizeof(key), "k%d", i);
            adds(&t, key, pass && i == 77 ? big : "v", 1);
        }
        if (am_store_build(AM_STORE_BTREE, "sb", t.recs, t.n, &bo, &err) < 0)
            fail_msg("build: %s", err.msg);
        /* am_store_build sorted t.recs in place. */
        check_file("sb.db", &t);
        table_free(&t);
    }
    free(big);
    assert_int_equal(count_files(".tmp"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_and_one),
        cmocka_unit_test(page_exactly_full),
        cmocka_unit_test(many_levels),
        cmocka_unit_test(overflow_limit),
        cmocka_unit_test(key_shapes),
        cmocka_unit_test(refuses_bad_order),
        cmocka_unit_test(libdb_updates),
        cmocka_unit_test(store_build_paths),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
