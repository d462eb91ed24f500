/* test_lines.c - logical lines: continuation, comments, numbering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "formats/lines.h"

struct collect {
    int warnings;
    unsigned last_line;
};

static void
collect_diag(void *ctx, const struct am_diag *d)
{
    struct collect *c = ctx;

    c->warnings += d->level == AM_DIAG_WARNING;
    c->last_line = d->loc.line;
}

/* Lines joined with '|' and their numbers, e.g. "1:a b|3:c d". */
static void
read_all(const char *input, size_t len, char *out, size_t outsize,
         struct collect *c)
{
    struct am_diag_sink sink = { collect_diag, c, { 0 } };
    struct am_error err;
    am_lines *lr = am_lines_open_mem("t", input, len, &err);
    const char *text;
    size_t n, used = 0;
    unsigned lineno;
    int rc;

    assert_non_null(lr);
    out[0] = '\0';
    while ((rc = am_lines_next(lr, &text, &n, &lineno, &sink, &err)) > 0) {
        used += (size_t) snprintf(out + used, outsize - used, "%s%u:%.*s",
                                  used ? "|" : "", lineno, (int) n, text);
    }
    assert_int_equal(rc, 0);
    am_lines_close(lr);
}

static const struct {
    const char *name;
    const char *input;
    const char *want;
    int want_warnings;
} cases[] = {
    { "plain", "a b\nc d\n", "1:a b|2:c d", 0 },
    { "no final newline", "nolf value", "1:nolf value", 0 },
    { "comments and blanks", "# c\n\n  \t\na b\n#x\nc d\n", "4:a b|6:c d", 0 },
    { "hash only at line start", "k v # x\n", "1:k v # x", 0 },
    { "continuation keeps whitespace",
      "long.example REJECT first\n  second part\n\n    third part\n",
      "1:long.example REJECT first  second part    third part", 0 },
    { "comment inside continuation", "a b\n#c\n  cont\n", "1:a b  cont", 0 },
    { "leading whitespace first line dropped",
      "  leading.example OK\nnormal OK\n", "2:normal OK", 1 },
    { "leading whitespace after comments",
      "# head\n   x y\n   z\nk v\n", "4:k v", 1 },
    { "crlf", "a b\r\n\r\nc d\r\n", "1:a b\r|3:c d\r", 0 },
    { "crlf continuation keeps cr", "a b\r\n  c\r\nd e\r\n",
      "1:a b\r  c\r|3:d e\r", 0 },
    { "empty input", "", "", 0 },
    { "only comments", "#a\n#b", "", 0 },
};

static void
logical_lines(void **state)
{
    char out[512];
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct collect c = { 0, 0 };

        read_all(cases[i].input, strlen(cases[i].input), out, sizeof(out), &c);
        if (strcmp(out, cases[i].want) != 0 || c.warnings != cases[i].want_warnings)
            fail_msg("%s: got \"%s\" (%d warnings), want \"%s\" (%d)",
                     cases[i].name, out, c.warnings, cases[i].want,
                     cases[i].want_warnings);
    }
}

static void
nul_bytes_are_kept(void **state)
{
    static const char input[] = "ke\0y value\nab cd\0ef\n";
    struct collect c = { 0, 0 };
    char out[128];

    (void) state;
    read_all(input, sizeof(input) - 1, out, sizeof(out), &c);
    /* %.*s stops at the NUL; the length is what matters to callers. */
    assert_string_equal(out, "1:ke|2:ab cd");
}

static void
stability(void **state)
{
    static const char input[] = "a b\nc d\n  e\n";
    struct am_error err;
    am_lines *lr = am_lines_open_mem("t", input, sizeof(input) - 1, &err);
    const char *text;
    size_t n;
    unsigned line;

    (void) state;
    assert_int_equal(am_lines_next(lr, &text, &n, &line, NULL, &err), 1);
    assert_true(am_lines_stable(lr, text));
    assert_int_equal(am_lines_next(lr, &text, &n, &line, NULL, &err), 1);
    assert_false(am_lines_stable(lr, text));    /* assembled */
    assert_int_equal(n, 6);
    assert_memory_equal(text, "c d  e", 6);
    am_lines_close(lr);
}

/* am_lines_left() counts the physical lines still to come, a last line
 * without a newline included. */
static void
lines_left(void **state)
{
    static const struct { const char *in; size_t left; } left_cases[] = {
        { "", 0 }, { "a", 1 }, { "a\n", 1 }, { "a\nb", 2 }, { "a\nb\n", 2 },
        { "\n\n\n", 3 }, { "a\n  b\nc\n", 3 },
    };
    struct am_error err;
    const char *text;
    size_t i, n;
    unsigned line;

    (void) state;
    for (i = 0; i < sizeof(left_cases) / sizeof(left_cases[0]); i++) {
        am_lines *lr = am_lines_open_mem("t", left_cases[i].in,
                                         strlen(left_cases[i].in), &err);

        assert_non_null(lr);
        if (am_lines_left(lr) != left_cases[i].left)
            fail_msg("case %zu: %zu lines left, want %zu", i,
                     am_lines_left(lr), left_cases[i].left);
        am_lines_close(lr);
    }
    /* After a logical line of two physical ones, one is left. */
    {
        static const char in[] = "a b\n  c\nd e\n";
        am_lines *lr = am_lines_open_mem("t", in, sizeof(in) - 1, &err);

        assert_int_equal(am_lines_next(lr, &text, &n, &line, NULL, &err), 1);
        assert_int_equal(am_lines_left(lr), 1);
        am_lines_close(lr);
    }
}

static void
missing_file_is_an_error(void **state)
{
    struct am_error err;

    (void) state;
    assert_null(am_lines_open("/nonexistent/accessmap-test", &err));
    assert_int_equal(err.code, AM_ERR_IO);
    assert_non_null(strstr(err.msg, "No such file"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logical_lines),
        cmocka_unit_test(nul_bytes_are_kept),
        cmocka_unit_test(stability),
        cmocka_unit_test(lines_left),
        cmocka_unit_test(missing_file_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
