/* test_srctable.c - postmap's key/value split and skipped lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "formats/srctable.h"

static const struct {
    const char *line;
    int want_ok;
    const char *want_key;
    const char *want_value;
} split_cases[] = {
    { "BAR.Example   REJECT  go away  ", 1, "BAR.Example", "REJECT  go away" },
    { "a\\ b value1", 1, "a\\ b", "value1" },
    { "\"x y\"@example.com value2", 1, "\"x y\"@example.com", "value2" },
    { "k\\\"q v5", 1, "k\\\"q", "v5" },
    { "\"unbalanced value3", 0, NULL, NULL },
    { "keyonly", 0, NULL, NULL },
    { "keyonly   ", 0, NULL, NULL },
    { "a\r", 0, NULL, NULL },
    { "key: value4", 1, "key:", "value4" },
    { "tab\tseparated\tvalue", 1, "tab", "separated\tvalue" },
    { "trailing\\", 0, NULL, NULL },
    { "k v\r", 1, "k", "v" },
    { "k b\r  c\r", 1, "k", "b\r  c" },
};

static void
split(void **state)
{
    struct am_entry e;
    const char *why;
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
        const char *line = split_cases[i].line;
        int ok = am_srctable_split(line, strlen(line), &e, &why);

        if (ok != split_cases[i].want_ok)
            fail_msg("\"%s\": split returned %d", line, ok);
        if (!ok)
            continue;
        if (e.klen != strlen(split_cases[i].want_key)
            || memcmp(e.key, split_cases[i].want_key, e.klen) != 0
            || e.vlen != strlen(split_cases[i].want_value)
            || memcmp(e.value, split_cases[i].want_value, e.vlen) != 0)
            fail_msg("\"%s\": got key \"%.*s\" value \"%.*s\"", line,
                     (int) e.klen, e.key, (int) e.vlen, e.value);
    }
}

struct ids {
    char list[512];
};

static void
collect_ids(void *ctx, const struct am_diag *d)
{
    struct ids *ids = ctx;
    size_t n = strlen(ids->list);

    snprintf(ids->list + n, sizeof(ids->list) - n, "%s%u:%s",
             n ? " " : "", d->loc.line, d->id);
}

static void
stream_with_warnings(void **state)
{
    static const char src[] =
        "good OK\n"
        "keyonly\n"
        "\"open quote x\n"
        "\xff\xfe.example D\n"
        "alias: x\n"
        "k v # not a comment\n"
        "nul v\0tail\n"
        "last value";
    struct ids ids = { "" };
    struct am_diag_sink sink = { collect_ids, &ids, { 0 } };
    struct am_error err;
    am_lines *lr = am_lines_open_mem("src", src, sizeof(src) - 1, &err);
    am_srctable *st = am_srctable_open(lr, AM_SRC_UTF8, &err);
    struct am_entry e;
    char keys[256] = "";
    int rc;

    (void) state;
    while ((rc = am_srctable_next(st, &e, &sink, &err)) > 0) {
        size_t n = strlen(keys);
        snprintf(keys + n, sizeof(keys) - n, "%s%u:%.*s=%.*s", n ? " " : "",
                 e.loc.line, (int) e.klen, e.key, (int) e.vlen, e.value);
    }
    assert_int_equal(rc, 0);
    assert_string_equal(keys, "1:good=OK 5:alias:=x 6:k=v # not a comment "
                        "7:nul=v 8:last=value");
    assert_string_equal(ids.list, "2:bad-line 3:bad-line 4:bad-utf8 "
                        "5:alias-format 6:hash-in-value 7:nul-byte");
    am_srctable_close(st);
    am_lines_close(lr);
}

static void
utf8_checks_off(void **state)
{
    static const char src[] = "\xff.example D\n";
    struct am_error err;
    am_lines *lr = am_lines_open_mem("src", src, sizeof(src) - 1, &err);
    am_srctable *st = am_srctable_open(lr, 0, &err);
    struct am_entry e;

    (void) state;
    assert_int_equal(am_srctable_next(st, &e, NULL, &err), 1);
    assert_int_equal(e.klen, 9);
    am_srctable_close(st);
    am_lines_close(lr);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split),
        cmocka_unit_test(stream_with_warnings),
        cmocka_unit_test(utf8_checks_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
