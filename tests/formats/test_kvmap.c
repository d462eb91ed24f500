/* test_kvmap.c - the in-memory map: every key found, no absent key found,
 * whatever the size (the absence filter must never hide a present key). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "formats/kvmap.h"

/* Keys "k<i>" for i in [0, n): the map holds the even ones. */
static void
key_of(size_t i, char *buf, size_t *len)
{
    *len = (size_t) snprintf(buf, 32, "k%zu", i);
}

static void
every_key_found_no_absent_one(void **state)
{
    size_t sizes[] = { 0, 1, 3, 4, 5, 100, 4097, 300000 }, s, i, len;
    struct am_error err;
    char buf[32];

    (void) state;
    for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        struct am_record *recs = calloc(n + 1, sizeof(*recs));
        char *text = malloc(32 * (n + 1));
        am_kvmap *m;

        assert_non_null(recs);
        assert_non_null(text);
        for (i = 0; i < n; i++) {
            key_of(2 * i, text + 32 * i, &len);
            recs[i].key = text + 32 * i;
            recs[i].klen = (uint32_t) len;
            recs[i].val = "v";
            recs[i].vlen = 1;
        }
        m = am_kvmap_build(recs, n, &err);
        assert_non_null(m);
        assert_int_equal(am_kvmap_count(m), n);
        for (i = 0; i < 2 * n + 100; i++) {
            const struct am_record *r;

            key_of(i, buf, &len);
            r = am_kvmap_get(m, buf, len);
            if (i % 2 == 0 && i / 2 < n) {
                assert_ptr_equal(r, &recs[i / 2]);
            } else {
                assert_null(r);
            }
        }
        /* A prefix of a key, and a key with one byte more, are other keys. */
        if (n > 0) {
            assert_null(am_kvmap_get(m, "k", 1));
            assert_null(am_kvmap_get(m, "k00", 3));
            assert_null(am_kvmap_get(m, "", 0));
        }
        am_kvmap_free(m);
        free(recs);
        free(text);
    }
}

static void
empty_and_binary_keys(void **state)
{
    struct am_record recs[3];
    struct am_error err;
    am_kvmap *m;

    (void) state;
    memset(recs, 0, sizeof(recs));
    recs[0].key = "";
    recs[0].klen = 0;
    recs[1].key = "a\0b";
    recs[1].klen = 3;
    recs[2].key = "a";
    recs[2].klen = 1;
    m = am_kvmap_build(recs, 3, &err);
    assert_non_null(m);
    assert_ptr_equal(am_kvmap_get(m, "", 0), &recs[0]);
    assert_ptr_equal(am_kvmap_get(m, "a\0b", 3), &recs[1]);
    assert_ptr_equal(am_kvmap_get(m, "a", 1), &recs[2]);
    assert_null(am_kvmap_get(m, "a\0", 2));
    assert_null(am_kvmap_get(m, "b", 1));
    am_kvmap_free(m);
    am_kvmap_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_key_found_no_absent_one),
        cmocka_unit_test(empty_and_binary_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
