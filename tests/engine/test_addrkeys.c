/* test_addrkeys.c - networks and ranges in ordinary tables (addrkeys.h),
 * alone and through the engine: the query path and the one-key path a
 * tcp_table server uses must agree, most specific entry first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/addrkeys.h"
#include "engine/engine.h"

static struct am_record
rec(const char *key, const char *val, uint32_t line)
{
    struct am_record r;

    memset(&r, 0, sizeof(r));
    r.key = key;
    r.klen = (uint32_t) strlen(key);
    r.val = val;
    r.vlen = (uint32_t) strlen(val);
    r.line = line;
    return r;
}

/* The value of the entry covering text, or NULL. */
static const char *
covering(const am_addrkeys *k, const char *text)
{
    const struct am_record *r;
    struct am_range covers;
    struct am_addr a;

    assert_true(am_addr_parse(text, strlen(text), &a));
    return am_addrkeys_lookup(k, &a, &r, &covers) ? r->val : NULL;
}

static void
test_no_networks_no_index(void **state)
{
    struct am_record recs[2];
    am_addrkeys *k = (am_addrkeys *) 1;

    (void) state;
    recs[0] = rec("192.0.2.1", "REJECT", 1);
    recs[1] = rec("example.com", "OK", 2);
    assert_int_equal(am_addrkeys_build(recs, 2, &k, NULL), 0);
    assert_null(k);
}

static void
test_most_specific_wins(void **state)
{
    struct am_record recs[8];
    struct am_error err;
    am_addrkeys *k;

    (void) state;
    recs[0] = rec("10.0.0.0/8", "wide", 1);
    recs[1] = rec("10.1", "partial16", 2);
    recs[2] = rec("10.1.2.0/24", "net24", 3);
    recs[3] = rec("10.1.2.7", "addr", 4);
    recs[4] = rec("10.1.2.100-10.1.2.110", "range", 5);
    recs[5] = rec("10.1.0.0/16", "net16-later", 6);   /* ties with line 2 */
    recs[6] = rec("2001:db8::/32", "v6net", 7);
    recs[7] = rec("2001:DB8::1", "not-canonical", 8);
    assert_int_equal(am_addrkeys_build(recs, 8, &k, &err), 0);
    assert_non_null(k);
    assert_string_equal(covering(k, "10.1.2.7"), "addr");
    assert_string_equal(covering(k, "10.1.2.8"), "net24");
    assert_string_equal(covering(k, "10.1.2.105"), "range");
    assert_string_equal(covering(k, "10.1.3.1"), "partial16");
    assert_string_equal(covering(k, "10.2.0.1"), "wide");
    assert_null(covering(k, "11.0.0.1"));
    assert_string_equal(covering(k, "2001:db8::1"), "v6net");
    assert_null(covering(k, "2001:db9::1"));
    am_addrkeys_free(k);
}

static void
test_range_within(void **state)
{
    struct am_net net;

    (void) state;
    assert_int_equal(am_net_parse("10.0.0.0/24", 11, 0, &net, NULL), 0);
    assert_true(am_addrkeys_range_within(&net.range, 8));
    assert_false(am_addrkeys_range_within(&net.range, 7));
    assert_int_equal(am_net_parse("10.0.0.0-10.0.1.0", 17, AM_NET_ALLOW_RANGE,
                                  &net, NULL), 0);
    assert_false(am_addrkeys_range_within(&net.range, 8));
    assert_true(am_addrkeys_range_within(&net.range, 9));
}

/* A texthash table through the engine: query and one-key lookup agree. */
static void
test_engine_paths_agree(void **state)
{
    static const char *const cases[][2] = {
        { "192.0.2.9", "REJECT net25" },
        { "192.0.2.200", "REJECT prefix24" },
        { "192.0.2.7", "OK exact" },
        { "198.51.100.50", "DUNNO range" },
        { "2001:db8::5", "REJECT v6" },
        { "2001:db8:0:1::5", "OK v6-64" },
        { "203.0.113.1", NULL },
    };
    char dir[] = "/tmp/test_addrkeys.XXXXXX", path[64], spec[80];
    const char *specs[1] = { spec };
    struct am_engine_opts opts = { 0 };
    struct am_answer ans;
    struct am_error err;
    am_engine *e;
    FILE *f;
    size_t i;

    (void) state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/client_access", dir);
    snprintf(spec, sizeof(spec), "texthash:%s", path);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("192.0.2       REJECT prefix24\n"
          "192.0.2.0/25  REJECT net25\n"
          "192.0.2.7     OK exact\n"
          "198.51.100.10-198.51.100.99 DUNNO range\n"
          "2001:db8::/32 REJECT v6\n"
          "2001:db8:0:1::/64 OK v6-64\n", f);
    assert_int_equal(fclose(f), 0);
    opts.kind = AM_CHECK_CLIENT;
    opts.preload = 1;
    e = am_engine_open(specs, 1, &opts, &err);
    assert_non_null(e);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct am_search_input in = { cases[i][0], NULL, AM_SEARCH_BOTH };
        int rc = am_engine_query(e, &in, &ans, NULL, &err);

        if (cases[i][1] == NULL) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, 1);
            assert_string_equal(ans.value, cases[i][1]);
        }
        rc = am_engine_lookup(e, cases[i][0], strlen(cases[i][0]), &ans, &err);
        if (cases[i][1] == NULL) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, 1);
            assert_string_equal(ans.value, cases[i][1]);
        }
    }
    am_engine_close(e);
    unlink(path);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_networks_no_index),
        cmocka_unit_test(test_most_specific_wins),
        cmocka_unit_test(test_range_within),
        cmocka_unit_test(test_engine_paths_agree),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
