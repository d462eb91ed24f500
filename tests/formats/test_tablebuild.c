/* test_tablebuild.c - am_tablebuild: source text to the records postmap
 * would store, and safe writes.
 *
 * Folding (ASCII, UTF-8, none), the NUL option, the three duplicate
 * policies with their warnings, entries from an existing table first (-i),
 * the format limit check with file:line, a round trip through every store
 * type, and builds that fail or are abandoned leaving no file behind.
 * Runs in the test's private working directory.
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
#include <sys/stat.h>

#include "formats/tablebuild.h"
#include "tests/formats/files.h"

struct collect {
    char text[4096];            /* "LINE id|" for each finding */
    char msgs[4096];            /* messages, one per line */
};

static void
collect_fn(void *ctx, const struct am_diag *d)
{
    struct collect *c = ctx;
    size_t n = strlen(c->text), m = strlen(c->msgs);

    snprintf(c->text + n, sizeof(c->text) - n, "%u %s|", d->loc.line, d->id);
    snprintf(c->msgs + m, sizeof(c->msgs) - m, "%s:%u: %s\n",
             d->loc.file ? d->loc.file : "-", d->loc.line, d->msg);
}

/* Build from text; returns the builder (resolved in input order). */
static am_tablebuild *
build_in(const char *text, const struct am_tablebuild_opts *o, int order,
         am_lines **lr, struct am_diag_sink *sink)
{
    struct am_error err = { 0 };
    am_tablebuild *tb = am_tablebuild_new(o, &err);

    assert_non_null(tb);
    *lr = am_lines_open_mem("src", text, strlen(text), &err);
    assert_non_null(*lr);
    if (am_tablebuild_add_source(tb, *lr, sink, &err) < 0)
        fail_msg("add_source: %s", err.msg);
    if (am_tablebuild_resolve(tb, order, sink, &err) < 0)
        fail_msg("resolve: %s", err.msg);
    return tb;
}

static am_tablebuild *
build(const char *text, const struct am_tablebuild_opts *o, am_lines **lr,
      struct am_diag_sink *sink)
{
    return build_in(text, o, AM_ORDER_INPUT, lr, sink);
}

/* "key=value;..." of the records in order, NUL flag shown as "+". */
static void
records_text(am_tablebuild *tb, char *out, size_t size)
{
    size_t n, i, len = 0;
    struct am_record *r = am_tablebuild_records(tb, &n);

    out[0] = '\0';
    for (i = 0; i < n; i++)
        len += (size_t) snprintf(out + len, size - len, "%.*s=%.*s%s;",
                                 (int) r[i].klen, r[i].key, (int) r[i].vlen,
                                 r[i].val, r[i].flags & AM_REC_NUL ? "+" : "");
}

static void
expect_records(const char *src, const struct am_tablebuild_opts *o,
               const char *want, const char *want_diags)
{
    struct collect c = { "", "" };
    struct am_diag_sink sink = { collect_fn, &c, { 0, 0, 0 } };
    char got[4096];
    am_lines *lr;
    am_tablebuild *tb = build(src, o, &lr, &sink);

    records_text(tb, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("records:\n  got  %s\n  want %s", got, want);
    if (want_diags != NULL && strcmp(c.text, want_diags) != 0)
        fail_msg("findings:\n  got  %s\n  want %s\n%s", c.text, want_diags, c.msgs);
    am_tablebuild_free(tb);
    am_lines_close(lr);
}

static void
folding_and_nul(void **state)
{
    struct am_tablebuild_opts o = { .fold = 1, .utf8 = 1, .nul = 1 };
    const char *src = "Example.COM REJECT  Go Away  \n"
                      "# comment\n"
                      "\n"
                      "long.example first\n"
                      "  second\n"
                      "Stra\xc3\x9f" "e.example B\n"
                      "\xc3\x84RGER.example C\n";

    (void) state;
    expect_records(src, &o,
                   "example.com=REJECT  Go Away+;long.example=first  second+;"
                   "strasse.example=B+;\xc3\xa4rger.example=C+;", "");
    o.utf8 = 0;                 /* -u: ASCII letters only */
    o.nul = 0;
    expect_records(src, &o,
                   "example.com=REJECT  Go Away;long.example=first  second;"
                   "stra\xc3\x9f" "e.example=B;\xc3\x84rger.example=C;", "");
    o.fold = 0;                 /* -f */
    expect_records(src, &o,
                   "Example.COM=REJECT  Go Away;long.example=first  second;"
                   "Stra\xc3\x9f" "e.example=B;\xc3\x84RGER.example=C;", "");
}

static void
skipped_lines(void **state)
{
    struct am_tablebuild_opts o = { .fold = 1, .utf8 = 1, .nul = 1 };

    (void) state;
    /* Each bad line is skipped with a warning at its line; the rest is kept. */
    expect_records("  lead OK\nkeyonly\n\"open quote\nbad\xff key\ngood OK\n", &o,
                   "good=OK+;", NULL);
    {
        struct collect c = { "", "" };
        struct am_diag_sink sink = { collect_fn, &c, { 0, 0, 0 } };
        am_lines *lr;
        am_tablebuild *tb = build("keyonly\n\"open quote\nbad\xff key\ngood OK\n",
                                  &o, &lr, &sink);

        assert_int_equal(sink.count[AM_DIAG_WARNING], 3);
        assert_int_equal(sink.count[AM_DIAG_ERROR], 0);
        if (strstr(c.msgs, "src:1: ") == NULL || strstr(c.msgs, "src:2: ") == NULL
            || strstr(c.msgs, "src:3: ") == NULL || strstr(c.msgs, "\"keyonly\"") == NULL)
            fail_msg("findings lack place or text:\n%s", c.msgs);
        am_tablebuild_free(tb);
        am_lines_close(lr);
    }
}

static void
duplicate_policies(void **state)
{
    const char *src = "a.example FIRST\nA.EXAMPLE SECOND\nb.example one\n"
                      "a.example THIRD\n";
    struct am_tablebuild_opts o = { .fold = 1, .utf8 = 1, .nul = 1 };

    (void) state;
    o.dups = AM_DUP_FIRST_WARN;
    expect_records(src, &o, "a.example=FIRST+;b.example=one+;",
                   "2 duplicate-key|4 duplicate-key|");
    o.dups = AM_DUP_FIRST;
    expect_records(src, &o, "a.example=FIRST+;b.example=one+;", "");
    o.dups = AM_DUP_LAST;
    expect_records(src, &o, "b.example=one+;a.example=THIRD+;", "");
    /* postmap -w on cdb: every entry kept, in input order, silently. */
    o.dups = AM_DUP_KEEP_ALL;
    expect_records(src, &o, "a.example=FIRST+;a.example=SECOND+;b.example=one+;"
                   "a.example=THIRD+;", "");
    /* The warning names both places. */
    {
        struct collect c = { "", "" };
        struct am_diag_sink sink = { collect_fn, &c, { 0, 0, 0 } };
        am_lines *lr;
        am_tablebuild *tb;

        o.dups = AM_DUP_FIRST_WARN;
        tb = build(src, &o, &lr, &sink);
        if (strstr(c.msgs, "src:2: duplicate entry \"a.example\" ignored; the "
                   "entry at src:1 wins") == NULL)
            fail_msg("%s", c.msgs);
        am_tablebuild_free(tb);
        am_lines_close(lr);
    }
    /* Without folding, case variants are different keys. */
    o.fold = 0;
    o.dups = AM_DUP_FIRST_WARN;
    expect_records(src, &o, "a.example=FIRST+;A.EXAMPLE=SECOND+;b.example=one+;",
                   "4 duplicate-key|");
}

/* A collector of every message, however many. */
struct collect_all {
    char *msgs;
    size_t len, cap;
};

static void
collect_all_fn(void *ctx, const struct am_diag *d)
{
    struct collect_all *c = ctx;
    char line[512];
    int n = snprintf(line, sizeof(line), "%s:%u: %s: %s\n",
                     d->loc.file ? d->loc.file : "-", d->loc.line, d->id,
                     d->msg);

    assert_true(n > 0 && (size_t) n < sizeof(line));
    if (c->len + (size_t) n + 1 > c->cap) {
        c->cap = (c->len + (size_t) n + 1) * 2;
        c->msgs = realloc(c->msgs, c->cap);
        assert_non_null(c->msgs);
    }
    memcpy(c->msgs + c->len, line, (size_t) n + 1);
    c->len += (size_t) n;
}

/* Resolve src in the given order; the records as text (sorted by key
 * when sort is set) and the warnings, both malloc'd. */
static void
resolve_text(const char *src, const struct am_tablebuild_opts *o, int order,
             int sort, char **records, char **msgs)
{
    struct collect_all c = { NULL, 0, 0 };
    struct am_diag_sink sink = { collect_all_fn, &c, { 0, 0, 0 } };
    struct am_error err = { 0 };
    am_tablebuild *tb = am_tablebuild_new(o, &err);
    am_lines *lr = am_lines_open_mem("src", src, strlen(src), &err);
    struct am_record *r;
    size_t n, i, size;

    assert_non_null(tb);
    assert_non_null(lr);
    assert_int_equal(am_tablebuild_add_source(tb, lr, &sink, &err), 0);
    assert_int_equal(am_tablebuild_resolve(tb, order, &sink, &err), 0);
    r = am_tablebuild_records(tb, &n);
    if (order == AM_ORDER_KEY && o->dups != AM_DUP_KEEP_ALL)
        for (i = 1; i < n; i++)
            assert_true(am_record_keycmp(&r[i - 1], &r[i]) < 0);
    if (sort)
        assert_int_equal(am_record_sort_keys(r, n, &err), 0);
    size = 2 * strlen(src) + 64;
    *records = malloc(size);
    assert_non_null(*records);
    records_text(tb, *records, size);
    *msgs = c.msgs != NULL ? c.msgs : strdup("");
    am_tablebuild_free(tb);
    am_lines_close(lr);
}

/* Resolving in key order (for btree and lmdb) keeps the same records and
 * gives the same warnings, in the same order, as in input order. */
static void
key_order_resolve(void **state)
{
    static const int policies[] = { AM_DUP_FIRST_WARN, AM_DUP_FIRST,
                                    AM_DUP_LAST, AM_DUP_KEEP_ALL };
    struct am_tablebuild_opts o = { .fold = 1, .utf8 = 1, .nul = 1 };
    size_t cap = 400000, len = 0, i, p;
    char *src = malloc(cap);
    unsigned x = 12345;

    (void) state;
    assert_non_null(src);
    /* 5000 lines over 700 keys in varying case: runs of two to many
     * entries per key, scattered through the file. */
    for (i = 0; i < 5000; i++) {
        unsigned k, v;

        x = x * 1103515245u + 12345u;
        k = (x >> 8) % 700;
        v = (x >> 4) & 15;
        len += (size_t) snprintf(src + len, cap - len, "%s%u.Example value%zu\n",
                                 v & 1 ? "HOST" : "host", k, i);
        if (i % 97 == 0)
            len += (size_t) snprintf(src + len, cap - len, "bad\xff key\n");
    }
    for (p = 0; p < sizeof(policies) / sizeof(policies[0]); p++) {
        char *rec_in, *msg_in, *rec_key, *msg_key;

        o.dups = policies[p];
        resolve_text(src, &o, AM_ORDER_INPUT, o.dups != AM_DUP_KEEP_ALL,
                     &rec_in, &msg_in);
        resolve_text(src, &o, AM_ORDER_KEY, 0, &rec_key, &msg_key);
        if (o.dups == AM_DUP_KEEP_ALL)
            assert_string_equal(rec_in, rec_key);   /* untouched */
        else if (strcmp(rec_in, rec_key) != 0)
            fail_msg("policy %d: records differ", policies[p]);
        if (strcmp(msg_in, msg_key) != 0)
            fail_msg("policy %d: warnings differ:\n%.300s\n--\n%.300s",
                     policies[p], msg_in, msg_key);
        if (o.dups == AM_DUP_FIRST_WARN)
            assert_non_null(strstr(msg_in, "duplicate-key"));
        free(rec_in);
        free(msg_in);
        free(rec_key);
        free(msg_key);
    }
    free(src);
}

static void
write_and_read_back(void **state)
{
    static const int types[] = { AM_STORE_HASH, AM_STORE_BTREE, AM_STORE_LMDB,
                                 AM_STORE_CDB };
    struct am_store_build_opts bo = { .mode = 0644, .uid = (uid_t) -1,
                                      .gid = (gid_t) -1 };
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct am_tablebuild_opts o = { .fold = 1, .utf8 = 1,
                                        .nul = am_store_default_nul(types[i]),
                                        .dups = AM_DUP_FIRST };
        struct am_error err = { 0 };
        char path[32];
        const char *val;
        size_t vlen;
        am_lines *lr;
        /* Key order where the store writes in key order, as compile does:
         * the write then takes the records as they are. */
        int order = am_store_key_order(types[i]) ? AM_ORDER_KEY : AM_ORDER_INPUT;
        am_tablebuild *tb = build_in("One.Example 1\ntwo.example 2\n"
                                     "ONE.example x\nb 3\n", &o, order, &lr,
                                     NULL);
        am_store *s;

        snprintf(path, sizeof(path), "wr_%s", am_store_type_name(types[i]));
        assert_int_equal(am_tablebuild_check(tb, types[i], NULL, &err), 0);
        if (am_tablebuild_write(tb, types[i], path, &bo, &err) < 0)
            fail_msg("write %s: %s", path, err.msg);
        am_tablebuild_free(tb);
        am_lines_close(lr);

        s = am_store_open(types[i], path, AM_STORE_NUL_AUTO, &err);
        assert_non_null(s);
        assert_int_equal(am_store_get(s, "one.example", 11, &val, &vlen, &err), 1);
        assert_int_equal(vlen, 1);
        assert_memory_equal(val, "1", 1);
        assert_int_equal(am_store_get(s, "two.example", 11, &val, &vlen, &err), 1);
        assert_int_equal(am_store_get(s, "One.Example", 11, &val, &vlen, &err), 0);

        /* -i: the existing table first; a new value for an old key loses
         * (with a warning naming the table) unless the last one wins. */
        for (int last = 0; last < 2; last++) {
            struct collect c = { "", "" };
            struct am_diag_sink sink = { collect_fn, &c, { 0, 0, 0 } };
            const char *more = "one.example NEW\nthree.example 3\n";
            char got[512];
            am_lines *lr2 = am_lines_open_mem("stdin", more, strlen(more), &err);

            o.dups = last ? AM_DUP_LAST : AM_DUP_FIRST_WARN;
            tb = am_tablebuild_new(&o, &err);
            assert_non_null(tb);
            assert_int_equal(am_tablebuild_add_store(tb, s, &err), 0);
            assert_int_equal(am_tablebuild_add_source(tb, lr2, &sink, &err), 0);
            assert_int_equal(am_tablebuild_resolve(tb, order, &sink, &err), 0);
            records_text(tb, got, sizeof(got));
            if (strstr(got, last ? "one.example=NEW" : "one.example=1") == NULL
                || strstr(got, "three.example=3") == NULL
                || strstr(got, "two.example=2") == NULL)
                fail_msg("%s -i%s: %s", path, last ? " -r" : "", got);
            if (!last && (strstr(c.msgs, "stdin:1: duplicate entry \"one.example\"") == NULL
                          || strstr(c.msgs, path) == NULL))
                fail_msg("%s -i: %s", path, c.msgs);
            if (last)
                assert_int_equal(sink.count[AM_DIAG_WARNING], 0);
            am_tablebuild_free(tb);
            am_lines_close(lr2);
        }
        am_store_close(s);
    }
    assert_int_equal(count_files(".tmp"), 0);
}

static void
limits_and_aborts(void **state)
{
    struct am_tablebuild_opts o = { .fold = 1, .utf8 = 1, .nul = 1 };
    struct am_store_build_opts bo = { .mode = 0644, .uid = (uid_t) -1,
                                      .gid = (gid_t) -1 };
    struct collect c = { "", "" };
    struct am_diag_sink sink = { collect_fn, &c, { 0, 0, 0 } };
    struct am_error err = { 0 };
    char *src = malloc(2000);
    struct stat st;
    am_lines *lr;
    am_tablebuild *tb;

    (void) state;
    assert_non_null(src);
    strcpy(src, "ok.example OK\n");
    memset(src + strlen(src), 'k', 600);
    strcpy(src + 14 + 600, " long\nz.example Z\n");

    /* The LMDB limit: an error at the line, an AM_ERR_LIMIT, no file. */
    tb = build(src, &o, &lr, &sink);
    assert_int_equal(am_tablebuild_check(tb, AM_STORE_LMDB, &sink, &err), AM_ERR_LIMIT);
    assert_int_equal(sink.count[AM_DIAG_ERROR], 1);
    if (strstr(c.text, "2 key-too-long|") == NULL || strstr(err.msg, "lmdb") == NULL)
        fail_msg("%s / %s", c.text, err.msg);
    /* The other formats take it. */
    memset(&err, 0, sizeof(err));
    assert_int_equal(am_tablebuild_check(tb, AM_STORE_HASH, NULL, &err), 0);
    assert_int_equal(am_tablebuild_check(tb, AM_STORE_CDB, NULL, &err), 0);
    /* Writing it anyway fails inside the store, leaving nothing. */
    assert_int_equal(am_tablebuild_write(tb, AM_STORE_LMDB, "lim", &bo, &err),
                     AM_ERR_LIMIT);
    assert_int_equal(stat("lim.lmdb", &st), -1);
    /* An unwritable place: AM_ERR_IO naming the file. */
    memset(&err, 0, sizeof(err));
    assert_int_equal(am_tablebuild_write(tb, AM_STORE_HASH, "no/dir/t", &bo, &err),
                     AM_ERR_IO);
    if (strstr(err.msg, "no/dir/t.db") == NULL)
        fail_msg("%s", err.msg);
    am_tablebuild_free(tb);
    am_lines_close(lr);
    /* Several offenders, records in key order: still reported by line. */
    memset(src, 'z', 600);
    strcpy(src + 600, " 1\nm.example M\n");       /* 615 bytes */
    memset(src + 615, 'b', 600);
    strcpy(src + 1215, " 3\n");
    c.text[0] = '\0';
    tb = build_in(src, &o, AM_ORDER_KEY, &lr, &sink);
    memset(&err, 0, sizeof(err));
    assert_int_equal(am_tablebuild_check(tb, AM_STORE_LMDB, &sink, &err), AM_ERR_LIMIT);
    assert_string_equal(c.text, "1 key-too-long|3 key-too-long|");
    am_tablebuild_free(tb);
    am_lines_close(lr);

    /* A builder freed without writing leaves nothing either. */
    tb = build("a b\n", &o, &lr, NULL);
    am_tablebuild_free(tb);
    am_lines_close(lr);
    am_tablebuild_free(NULL);
    assert_int_equal(count_files(".tmp"), 0);
    assert_int_equal(count_files("lim"), 0);

    free(src);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(folding_and_nul),
        cmocka_unit_test(skipped_lines),
        cmocka_unit_test(duplicate_policies),
        cmocka_unit_test(key_order_resolve),
        cmocka_unit_test(write_and_read_back),
        cmocka_unit_test(limits_and_aborts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
