/* test_buf.c - am_buf, am_arena and am_error basics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "formats/arena.h"
#include "formats/buf.h"
#include "formats/error.h"

static void
buf_appends_and_terminates(void **state)
{
    struct am_buf b;
    struct am_error err;

    (void) state;
    am_buf_init(&b, 0);
    assert_int_equal(am_buf_append(&b, "abc", 3, &err), 0);
    assert_int_equal(am_buf_putc(&b, 'd', &err), 0);
    assert_int_equal(am_buf_printf(&b, &err, "-%d", 42), 0);
    assert_string_equal(b.data, "abcd-42");
    assert_int_equal(b.len, 7);
    am_buf_truncate(&b, 2);
    assert_string_equal(b.data, "ab");
    am_buf_free(&b);
}

static void
buf_cap_is_enforced(void **state)
{
    struct am_buf b;
    struct am_error err;

    (void) state;
    am_buf_init(&b, 4);
    assert_int_equal(am_buf_append(&b, "abcd", 4, &err), 0);
    assert_int_equal(am_buf_putc(&b, 'e', &err), AM_ERR_LIMIT);
    assert_int_equal(err.code, AM_ERR_LIMIT);
    assert_string_equal(b.data, "abcd");
    am_buf_free(&b);
}

static void
arena_allocations_are_aligned_and_distinct(void **state)
{
    am_arena *a = am_arena_new();
    char *s, *big;
    void *p;
    int i;

    (void) state;
    assert_non_null(a);
    for (i = 0; i < 10000; i++) {
        p = am_arena_alloc(a, (size_t) (i % 37) + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t) p % _Alignof(max_align_t), 0);
    }
    s = am_arena_strndup(a, "hello world", 5);
    assert_string_equal(s, "hello");
    big = am_arena_alloc(a, 1 << 20);
    assert_non_null(big);
    memset(big, 'x', 1 << 20);
    assert_string_equal(s, "hello");
    am_arena_free(a);
}

static void
error_prefix_and_location(void **state)
{
    struct am_error err;

    (void) state;
    am_error_set(&err, AM_ERR_SYNTAX, "bad mask %d", 33);
    am_error_at(&err, "t.cidr", 3, 7);
    am_error_at(&err, "other", 9, 9);           /* first location sticks */
    am_error_prefix(&err, "table %s", "cidr:t");
    assert_string_equal(err.msg, "table cidr:t: bad mask 33");
    assert_string_equal(err.loc.file, "t.cidr");
    assert_int_equal(err.loc.line, 3);
    assert_string_equal(am_error_text(AM_ERR_CORRUPT),
                        "corrupt or unrecognised file");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_appends_and_terminates),
        cmocka_unit_test(buf_cap_is_enforced),
        cmocka_unit_test(arena_allocations_are_aligned_and_distinct),
        cmocka_unit_test(error_prefix_and_location),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
