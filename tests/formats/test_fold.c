/* test_fold.c - case folding and UTF-8 validity as Postfix applies them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "formats/fold.h"
#include "formats/utf8.h"

static const struct {
    const char *in;
    int flags;
    const char *want;
} fold_cases[] = {
    { "Foo.Example", AM_FOLD_UTF8, "foo.example" },
    { "Stra\xc3\x9f" "e.example", AM_FOLD_UTF8, "strasse.example" },
    { "\xc3\x84RGER.example", AM_FOLD_UTF8, "\xc3\xa4rger.example" },
    { "\xce\xa3\xce\x99\xce\xa3", AM_FOLD_UTF8, "\xcf\x83\xce\xb9\xcf\x83" },  /* ΣΙΣ -> σισ */
    { "Stra\xc3\x9f" "e.example", 0, "stra\xc3\x9f" "e.example" },
    { "\xc3\x84RGER", 0, "\xc3\x84rger" },
    { "\xff\xfeX", 0, "\xff\xfex" },
    { "", AM_FOLD_UTF8, "" },
};

static void
folding(void **state)
{
    struct am_error err;
    const char *out;
    size_t n, i;

    (void) state;
    for (i = 0; i < sizeof(fold_cases) / sizeof(fold_cases[0]); i++) {
        am_fold *f = am_fold_new(fold_cases[i].flags, &err);

        assert_non_null(f);
        assert_int_equal(am_fold_key(f, fold_cases[i].in,
                                     strlen(fold_cases[i].in), &out, &n, &err), 0);
        if (n != strlen(fold_cases[i].want) || memcmp(out, fold_cases[i].want, n))
            fail_msg("case %zu: got \"%s\"", i, out);
        am_fold_free(f);
    }
}

static void
invalid_utf8_is_rejected_in_utf8_mode(void **state)
{
    struct am_error err;
    am_fold *f = am_fold_new(AM_FOLD_UTF8, &err);
    const char *out;
    size_t n;

    (void) state;
    assert_int_equal(am_fold_key(f, "k\xff", 2, &out, &n, &err), AM_ERR_SYNTAX);
    am_fold_free(f);
}

static const struct {
    const char *s;
    int want;
} utf8_cases[] = {
    { "plain", 1 },
    { "\xc3\xa9", 1 },
    { "\xc2\x80", 1 },
    { "\xc1\xbf", 0 },                  /* overlong */
    { "\xe0\x9f\xbf", 0 },              /* overlong 3-byte */
    { "\xe0\xa0\x80", 1 },
    { "\xed\x9f\xbf", 1 },              /* U+D7FF */
    { "\xed\xa0\x80", 0 },              /* surrogate */
    { "\xf0\x8f\xbf\xbf", 0 },          /* overlong 4-byte */
    { "\xf0\x90\x80\x80", 1 },
    { "\xf4\x8f\xbf\xbf", 1 },          /* U+10FFFF */
    { "\xf4\x90\x80\x80", 0 },          /* above U+10FFFF */
    { "\xf5\x80\x80\x80", 0 },
    { "\xc3", 0 },                      /* truncated */
    { "\xe2\x82", 0 },
    { "\x80", 0 },                      /* stray continuation */
    { "\xc3\x28", 0 },
};

static void
utf8_validity(void **state)
{
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++)
        if (am_utf8_valid(utf8_cases[i].s, strlen(utf8_cases[i].s)) != utf8_cases[i].want)
            fail_msg("case %zu: want %d", i, utf8_cases[i].want);
}

/* am_fold_changes() says 1 exactly when a byte is a capital letter or
 * not ASCII, at every length and alignment. */
static void
fold_changes_spots_capitals_and_high_bytes(void **state)
{
    static const char pool[] = "az09.-@AZ[`{@\x7f\x80\xc3\xff";
    uint32_t x = 2463534242u;
    char buf[40];
    size_t i, j, len, off;
    int want;

    (void) state;
    for (i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        len = x % 33;
        off = (x >> 8) % 7;
        want = 0;
        for (j = 0; j < len; j++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            /* Mostly lower case, so that the answer is often 0. */
            buf[off + j] = x % 8 ? "abcz09.-"[x % 8]
                : pool[(x >> 3) % (sizeof(pool) - 1)];
            want |= (unsigned char) buf[off + j] >= 0x80
                || (buf[off + j] >= 'A' && buf[off + j] <= 'Z');
        }
        assert_int_equal(am_fold_changes(buf + off, len), want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(folding),
        cmocka_unit_test(invalid_utf8_is_rejected_in_utf8_mode),
        cmocka_unit_test(utf8_validity),
        cmocka_unit_test(fold_changes_spots_capitals_and_high_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
