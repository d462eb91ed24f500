/* test_record.c - record ordering: key sort and 32-bit sort, stability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "formats/record.h"

static uint32_t rng = 12345;

static uint32_t
next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Keys with long shared prefixes, so ties reach deep levels of the sort. */
static char *
make_key(size_t *len)
{
    static const char *const prefixes[] = { "", "a", "host", "mail.example.",
        "very-long-common-prefix.example.com.", "\xc3\xa4" };
    const char *p = prefixes[next_rand() % 6];
    char buf[128];
    int n = snprintf(buf, sizeof(buf), "%s%u", p, next_rand() % 500);
    char *k = malloc((size_t) n + 1);

    memcpy(k, buf, (size_t) n + 1);
    *len = (size_t) n;
    return k;
}

static int
cmp_ref(const void *x, const void *y)
{
    const struct am_record *a = x, *b = y;
    int c = am_record_keycmp(a, b);

    return c ? c : (a->line > b->line) - (a->line < b->line);
}

static void
sort_keys_matches_reference(void **state)
{
    size_t sizes[] = { 0, 1, 2, 31, 33, 1000, 150000 }, s, i, n, len;
    struct am_error err;

    (void) state;
    for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        n = sizes[s];
        struct am_record *a = calloc(n + 1, sizeof(*a));
        struct am_record *b = calloc(n + 1, sizeof(*b));

        for (i = 0; i < n; i++) {
            a[i].key = make_key(&len);
            a[i].klen = (uint32_t) len;
            a[i].val = "v";
            a[i].vlen = 1;
            a[i].line = (uint32_t) i + 1;       /* input order */
            a[i].flags = (next_rand() % 4 == 0) ? AM_REC_NUL : 0;
        }
        memcpy(b, a, n * sizeof(*a));
        assert_int_equal(am_record_sort_keys(a, n, &err), 0);
        qsort(b, n, sizeof(*b), cmp_ref);
        for (i = 0; i < n; i++)
            if (a[i].key != b[i].key)
                fail_msg("n=%zu: position %zu differs", n, i);
        for (i = 0; i < n; i++)
            free((char *) a[i].key);
        free(a);
        free(b);
    }
}

static void
nul_orders_like_stored_bytes(void **state)
{
    /* "a" < "a\0" (longer) and "a\0" < "a0": a NUL is the smallest byte. */
    struct am_record r[3] = {
        { "a0", "v", 2, 1, 1, 0, 0 },
        { "a", "v", 1, 1, 2, 0, AM_REC_NUL },
        { "a", "v", 1, 1, 3, 0, 0 },
    };
    struct am_error err;

    (void) state;
    assert_int_equal(am_record_sort_keys(r, 3, &err), 0);
    assert_int_equal(r[0].line, 3);
    assert_int_equal(r[1].line, 2);
    assert_int_equal(r[2].line, 1);
}

static uint32_t
by_val(const struct am_record *r, void *ctx)
{
    (void) ctx;
    return (uint32_t) r->vlen;
}

static void
sort_u32_is_stable(void **state)
{
    enum { N = 70000 };
    struct am_record *r = calloc(N, sizeof(*r));
    struct am_error err;
    size_t i;

    (void) state;
    for (i = 0; i < N; i++) {
        r[i].vlen = next_rand() % 1000 * 70001;
        r[i].line = (uint32_t) i;
    }
    assert_int_equal(am_record_sort_u32(r, N, by_val, NULL, &err), 0);
    for (i = 1; i < N; i++) {
        assert_true(r[i - 1].vlen <= r[i].vlen);
        if (r[i - 1].vlen == r[i].vlen)
            assert_true(r[i - 1].line < r[i].line);
    }
    free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sort_keys_matches_reference),
        cmocka_unit_test(nul_orders_like_stored_bytes),
        cmocka_unit_test(sort_u32_is_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
