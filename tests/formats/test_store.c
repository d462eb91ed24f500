/* test_store.c - am_store: write every type, read it back, and fail cleanly.
 *
 * Round trips with and without the trailing NUL, Postfix's NUL-convention
 * rule for readers, the final file mode, and the error paths: a missing
 * or damaged table, an unwritable place, an LMDB key over the limit.  A
 * failed build must leave the old table byte-identical and no temporary
 * file.  Runs in the test's private working directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "formats/store.h"
#include "tests/formats/files.h"

static const int types[] = { AM_STORE_HASH, AM_STORE_BTREE, AM_STORE_LMDB,
                             AM_STORE_CDB };
#define NTYPES (sizeof(types) / sizeof(types[0]))

static struct am_record
rec(const char *k, const char *v, int nul)
{
    struct am_record r = { k, v, (uint32_t) strlen(k), (uint32_t) strlen(v),
                           0, 0, (uint16_t) (nul ? AM_REC_NUL : 0) };
    return r;
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t) n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t) n, f), (size_t) n);
    fclose(f);
    *len = (size_t) n;
    return buf;
}

static void
check_value(am_store *s, const char *key, const char *want)
{
    struct am_error err = { 0 };
    const char *val;
    size_t vlen;
    int rc = am_store_get(s, key, strlen(key), &val, &vlen, &err);

    if (want == NULL) {
        if (rc != 0)
            fail_msg("%s: \"%s\": got %d (%s), want not found",
                     am_store_path(s), key, rc, err.msg);
        return;
    }
    if (rc != 1)
        fail_msg("%s: \"%s\": got %d (%s), want \"%s\"", am_store_path(s),
                 key, rc, err.msg, want);
    if (vlen != strlen(want) || memcmp(val, want, vlen) != 0)
        fail_msg("%s: \"%s\": got \"%.*s\", want \"%s\"", am_store_path(s),
                 key, (int) vlen, val, want);
}

struct seen {
    size_t n, nul;
    int bad;
};

static int
count_each(void *ctx, const char *key, size_t klen, const char *val, size_t vlen)
{
    struct seen *s = ctx;
    int kn = klen > 0 && key[klen - 1] == '\0';
    int vn = vlen > 0 && val[vlen - 1] == '\0';

    s->n++;
    s->nul += (size_t) kn;
    if (kn != vn)
        s->bad = 1;             /* the value carries the NUL when the key does */
    return 0;
}

static void
round_trip(void **state)
{
    struct am_store_build_opts bo = { .mode = 0640, .uid = (uid_t) -1,
                                      .gid = (gid_t) -1 };
    char big[5000];
    size_t i;

    (void) state;
    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (i = 0; i < NTYPES; i++) {
        for (int nul = 0; nul < 2; nul++) {
            struct am_record recs[] = {
                rec("b.example", "REJECT two", nul),
                rec("a.example", "OK", nul),
                rec("c.example", big, nul),
                rec("stra\xc3\x9f" "e.example", "UTF8", nul),
            };
            struct am_error err = { 0 };
            struct seen seen = { 0 };
            struct stat st;
            char path[64], file[80];
            am_store *s;

            snprintf(path, sizeof(path), "rt_%s_%d", am_store_type_name(types[i]), nul);
            snprintf(file, sizeof(file), "%s%s", path, am_store_suffix(types[i]));
            if (am_store_build(types[i], path, recs, 4, &bo, &err) < 0)
                fail_msg("build %s: %s", path, err.msg);
            assert_int_equal(stat(file, &st), 0);
            assert_int_equal(st.st_mode & 07777, 0640);
            s = am_store_open(types[i], path, AM_STORE_NUL_AUTO, &err);
            if (s == NULL)
                fail_msg("open %s: %s", path, err.msg);
            assert_int_equal(am_store_type(s), types[i]);
            check_value(s, "a.example", "OK");
            check_value(s, "b.example", "REJECT two");
            check_value(s, "c.example", big);
            check_value(s, "stra\xc3\x9f" "e.example", "UTF8");
            check_value(s, "A.example", NULL);     /* stores do not fold */
            check_value(s, "d.example", NULL);
            check_value(s, "", NULL);
            assert_int_equal(am_store_each(s, count_each, &seen, &err), 0);
            assert_int_equal(seen.n, 4);
            assert_int_equal(seen.nul, nul ? 4 : 0);
            assert_false(seen.bad);
            am_store_close(s);
            /* -N / -n readers find only their convention. */
            s = am_store_open(types[i], path, nul ? AM_STORE_NUL_WITHOUT
                                                  : AM_STORE_NUL_WITH, &err);
            assert_non_null(s);
            check_value(s, "a.example", NULL);
            am_store_close(s);
        }
    }
    assert_int_equal(count_files(".tmp"), 0);
    am_store_close(NULL);
}

/* A reader's first hit fixes the NUL convention for the handle. */
static void
nul_convention_sticks(void **state)
{
    struct am_store_build_opts bo = { .mode = 0644, .uid = (uid_t) -1,
                                      .gid = (gid_t) -1 };
    size_t i;

    (void) state;
    for (i = 0; i < NTYPES; i++) {
        struct am_record recs[] = { rec("withnul", "A", 1), rec("nonul", "B", 0) };
        struct am_error err = { 0 };
        am_store *s;

        if (am_store_build(types[i], "mix", recs, 2, &bo, &err) < 0)
            fail_msg("build: %s", err.msg);
        s = am_store_open(types[i], "mix", AM_STORE_NUL_AUTO, &err);
        assert_non_null(s);
        check_value(s, "withnul", "A");
        check_value(s, "nonul", NULL);
        am_store_close(s);
        s = am_store_open(types[i], "mix", AM_STORE_NUL_AUTO, &err);
        assert_non_null(s);
        check_value(s, "nonul", "B");
        check_value(s, "withnul", NULL);
        am_store_close(s);
    }
}

static void
empty_table(void **state)
{
    struct am_store_build_opts bo = { .mode = 0644, .uid = (uid_t) -1,
                                      .gid = (gid_t) -1 };
    size_t i;

    (void) state;
    for (i = 0; i < NTYPES; i++) {
        struct am_error err = { 0 };
        struct seen seen = { 0 };
        am_store *s;

        assert_int_equal(am_store_build(types[i], "empty", NULL, 0, &bo, &err), 0);
        s = am_store_open(types[i], "empty", AM_STORE_NUL_AUTO, &err);
        assert_non_null(s);
        check_value(s, "x", NULL);
        assert_int_equal(am_store_each(s, count_each, &seen, &err), 0);
        assert_int_equal(seen.n, 0);
        am_store_close(s);
    }
}

static void
open_errors(void **state)
{
    size_t i;

    (void) state;
    for (i = 0; i < NTYPES; i++) {
        struct am_error err = { 0 };
        char file[64];
        FILE *f;

        assert_null(am_store_open(types[i], "nothere", AM_STORE_NUL_AUTO, &err));
        assert_int_equal(err.code, AM_ERR_IO);
        assert_int_equal(err.sys_errno, ENOENT);
        if (strstr(err.msg, "nothere") == NULL)
            fail_msg("%s: message does not name the file: %s",
                     am_store_type_name(types[i]), err.msg);

        /* Not a table of this type: an error, never a crash. */
        snprintf(file, sizeof(file), "junk%s", am_store_suffix(types[i]));
        f = fopen(file, "w");
        assert_non_null(f);
        for (int j = 0; j < 1000; j++)
            fputs("this is not a database file\n", f);
        fclose(f);
        memset(&err, 0, sizeof(err));
        {
            am_store *s = am_store_open(types[i], "junk", AM_STORE_NUL_AUTO, &err);
            const char *val;
            size_t vlen;

            /* cdb has no header to check: the first lookup must fail. */
            if (s != NULL) {
                int rc = am_store_get(s, "this is not", 11, &val, &vlen, &err);
                am_store_close(s);
                if (rc >= 0 && types[i] != AM_STORE_CDB)
                    fail_msg("%s: junk opened and looked up (%d)",
                             am_store_type_name(types[i]), rc);
                continue;
            }
            assert_true(err.code < 0);
            if (err.code != AM_ERR_CORRUPT && err.code != AM_ERR_DB
                && err.code != AM_ERR_IO)
                fail_msg("%s: junk gave %s", am_store_type_name(types[i]),
                         am_error_text(err.code));
            if (strstr(err.msg, "junk") == NULL)
                fail_msg("%s: message does not name the file: %s",
                         am_store_type_name(types[i]), err.msg);
        }
    }
    {
        struct am_error err = { 0 };

        assert_null(am_store_open(AM_STORE_NTYPES, "x", 0, &err));
        assert_int_equal(err.code, AM_ERR_INVALID);
    }
}

static void
build_errors_keep_old(void **state)
{
    struct am_store_build_opts bo = { .mode = 0644, .uid = (uid_t) -1,
                                      .gid = (gid_t) -1 };
    struct am_record old[] = { rec("old.example", "OLD", 1) };
    char longkey[600];
    size_t i, n1, n2;
    char *before, *after;

    (void) state;
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    for (i = 0; i < NTYPES; i++) {
        struct am_error err = { 0 };
        char file[64];

        /* A directory that does not exist. */
        assert_int_equal(am_store_build(types[i], "no/such/dir/t", old, 1, &bo,
                                        &err), AM_ERR_IO);
        assert_int_equal(err.sys_errno, ENOENT);
        if (strstr(err.msg, "no/such/dir/t") == NULL
            || strstr(err.msg, "temporary") == NULL)
            fail_msg("%s: message lacks context: %s",
                     am_store_type_name(types[i]), err.msg);
        memset(&err, 0, sizeof(err));
        assert_int_equal(am_store_build(-1, "x", old, 1, &bo, &err), AM_ERR_INVALID);

        /* The target is a directory: the rename fails, nothing is left. */
        snprintf(file, sizeof(file), "isdir_%s%s", am_store_type_name(types[i]),
                 am_store_suffix(types[i]));
        assert_int_equal(mkdir(file, 0755), 0);
        file[strlen(file) - strlen(am_store_suffix(types[i]))] = '\0';
        memset(&err, 0, sizeof(err));
        assert_true(am_store_build(types[i], file, old, 1, &bo, &err) < 0);
        if (strstr(err.msg, "rename") == NULL)
            fail_msg("%s: %s", am_store_type_name(types[i]), err.msg);
        assert_int_equal(count_files(".tmp"), 0);
    }

    /* LMDB refuses a key over its limit in the middle of a build. */
    {
        struct am_record recs[] = { rec("a.example", "A", 1),
                                    rec(longkey, "long", 1),
                                    rec("z.example", "Z", 1) };
        struct am_error err = { 0 };

        recs[1].line = 2;
        assert_int_equal(am_store_build(AM_STORE_LMDB, "lim", old, 1, &bo, &err), 0);
        before = slurp("lim.lmdb", &n1);
        assert_non_null(before);
        assert_int_equal(am_store_build(AM_STORE_LMDB, "lim", recs, 3, &bo, &err),
                         AM_ERR_LIMIT);
        assert_int_equal(err.loc.line, 2);
        if (strstr(err.msg, "lim.lmdb") == NULL || strstr(err.msg, "511") == NULL)
            fail_msg("lmdb limit: %s", err.msg);
        after = slurp("lim.lmdb", &n2);
        assert_non_null(after);
        assert_int_equal(n1, n2);
        assert_memory_equal(before, after, n1);
        free(before);
        free(after);
        assert_int_equal(count_files(".tmp"), 0);
        assert_int_equal(am_store_max_key(AM_STORE_LMDB), 511);
    }
}

static void
type_names(void **state)
{
    (void) state;
    assert_int_equal(am_store_type_parse("hash", 4), AM_STORE_HASH);
    assert_int_equal(am_store_type_parse("btree", 5), AM_STORE_BTREE);
    assert_int_equal(am_store_type_parse("lmdb", 4), AM_STORE_LMDB);
    assert_int_equal(am_store_type_parse("cdb", 3), AM_STORE_CDB);
    assert_int_equal(am_store_type_parse("hashx", 4), AM_STORE_HASH);
    assert_int_equal(am_store_type_parse("has", 3), -1);
    assert_int_equal(am_store_type_parse("texthash", 8), -1);
    assert_string_equal(am_store_suffix(AM_STORE_HASH), ".db");
    assert_string_equal(am_store_suffix(AM_STORE_BTREE), ".db");
    assert_string_equal(am_store_suffix(AM_STORE_LMDB), ".lmdb");
    assert_string_equal(am_store_suffix(AM_STORE_CDB), ".cdb");
    assert_true(am_store_default_nul(AM_STORE_HASH));
    assert_true(am_store_default_nul(AM_STORE_LMDB));
    assert_false(am_store_default_nul(AM_STORE_CDB));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_names),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(nul_convention_sticks),
        cmocka_unit_test(empty_table),
        cmocka_unit_test(open_errors),
        cmocka_unit_test(build_errors_keep_old),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
