/* test_netexpand.c - Postfix keys for network answers (netexpand.h).
 *
 * The answers Postfix would give with the emitted keys are simulated here
 * independently of the module (search keys looked up in a table of key
 * texts) and compared with the painted answers at random addresses and at
 * every boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/netexpand.h"

#define FILLER 999999u

/* Build an index from "network-or-range payload" lines, most specific
 * first (ties: earlier line), as an ordinary table orders them. */
static am_netindex *
index_of(const char *const *rules, size_t n)
{
    am_netindex_builder *b = am_netindex_builder_new(NULL);
    struct am_error err;
    struct am_net net;
    size_t i;

    assert_non_null(b);
    for (i = 0; i < n; i++) {
        const char *sp = strchr(rules[i], ' ');
        uint64_t size;

        assert_non_null(sp);
        assert_int_equal(am_net_parse(rules[i], (size_t) (sp - rules[i]),
                                      AM_NET_ALLOW_RANGE, &net, &err), 0);
        size = net.range.hi.lo - net.range.lo.lo;
        if (net.range.family == AM_ADDR_V6)
            size = net.range.hi.hi - net.range.lo.hi;
        assert_int_equal(am_netindex_add(b, &net.range, 1, size << 20 | i,
                                         (uint32_t) atoi(sp + 1), &err), 0);
    }
    return am_netindex_build(b, &err);
}

/* An independent Postfix: the emitted keys looked up by text. */
static int
fake_lookup(const am_netexpand *x, const char *key, uint32_t *payload)
{
    size_t i, n = am_netexpand_count(x);

    for (i = 0; i < n; i++)
        if (strcmp(am_netexpand_key(x, i)->text, key) == 0) {
            *payload = am_netexpand_key(x, i)->payload;
            return 1;
        }
    return 0;
}

static int
fake_postfix(const am_netexpand *x, const struct am_addr *a, uint32_t *p)
{
    char keys[8][AM_ADDR_STRLEN];
    size_t n = am_netexpand_search_keys(a, keys, 8), i;

    for (i = 0; i < n; i++)
        if (fake_lookup(x, keys[i], p))
            return 1;
    return 0;
}

/* Keys as one string, "text=payload" separated by spaces. */
static void
keys_text(const am_netexpand *x, char *buf, size_t size)
{
    size_t i, len = 0;

    buf[0] = '\0';
    for (i = 0; i < am_netexpand_count(x) && len < size; i++)
        len += (size_t) snprintf(buf + len, size - len, "%s%s=%u",
                                 i ? " " : "", am_netexpand_key(x, i)->text,
                                 am_netexpand_key(x, i)->payload);
}

static void
check_answers(const am_netexpand *x, const am_netindex *ix,
              const struct am_addr *a)
{
    uint32_t want, got, got2;
    int f, f2;
    char text[AM_ADDR_STRLEN];

    if (!am_netindex_lookup(ix, a, &want))
        want = AM_NETINDEX_NONE;
    f = fake_postfix(x, a, &got);
    f2 = am_netexpand_postfix_answer(x, a, &got2);
    assert_int_equal(f, f2);
    if (f)
        assert_int_equal(got, got2);
    if (!f || got == FILLER)
        got = AM_NETINDEX_NONE;
    if (got != want) {
        am_addr_format(a, text, sizeof(text));
        fail_msg("%s: postfix %u, table %u", text, got, want);
    }
}

static void
expect_keys(const char *const *rules, size_t n, uint32_t filler,
            const char *want)
{
    am_netindex *ix = index_of(rules, n);
    struct am_error err;
    am_netexpand *x;
    char got[8192];

    assert_non_null(ix);
    x = am_netexpand_new(ix, filler, 100000, &err);
    if (x == NULL)
        fail_msg("expand: %s", err.msg);
    keys_text(x, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("got  %s\nwant %s", got, want);
    am_netexpand_free(x);
    am_netindex_free(ix);
}

static void
simple_networks(void **state)
{
    static const char *const net24[] = { "192.0.2.0/24 7" };
    static const char *const nested[] = { "10.1.0.0/16 2", "10.0.0.0/8 1" };
    static const char *const wide[] = { "10.0.0.0/7 3" };
    static const char *const host[] = { "192.0.2.1 5", "192.0.2.0/24 6" };
    static const char *const cover[] = { "10.0.0.0/8 1", "10.1.2.3 1" };

    (void) state;
    expect_keys(net24, 1, AM_NETINDEX_NONE, "192.0.2=7");
    expect_keys(nested, 2, AM_NETINDEX_NONE, "10=1 10.1=2");
    expect_keys(wide, 1, AM_NETINDEX_NONE, "10=3 11=3");
    expect_keys(host, 2, AM_NETINDEX_NONE, "192.0.2=6 192.0.2.1=5");
    /* A host with the answer of its network needs no key of its own. */
    expect_keys(cover, 2, AM_NETINDEX_NONE, "10=1");
}

static void
ranges_and_fillers(void **state)
{
    static const char *const r90[] = { "192.0.2.10-192.0.2.99 8" };
    static const char *const r246[] = { "192.0.2.5-192.0.2.250 9" };
    static const char *const half[] = { "192.0.2.0/25 4" };
    am_netindex *ix;
    am_netexpand *x;
    struct am_error err;
    size_t i;

    (void) state;
    /* 90 of 256: addresses are cheaper than a /24 key plus holes. */
    ix = index_of(r90, 1);
    x = am_netexpand_new(ix, FILLER, 1000, &err);
    assert_non_null(x);
    assert_int_equal(am_netexpand_count(x), 90);
    assert_string_equal(am_netexpand_key(x, 0)->text, "192.0.2.10");
    assert_string_equal(am_netexpand_key(x, 89)->text, "192.0.2.99");
    am_netexpand_free(x);
    am_netindex_free(ix);

    /* 246 of 256: a /24 key and ten fillers, if fillers are allowed. */
    ix = index_of(r246, 1);
    x = am_netexpand_new(ix, FILLER, 1000, &err);
    assert_non_null(x);
    assert_int_equal(am_netexpand_count(x), 11);
    assert_string_equal(am_netexpand_key(x, 0)->text, "192.0.2");
    assert_int_equal(am_netexpand_key(x, 0)->payload, 9);
    for (i = 1; i < 11; i++)
        assert_int_equal(am_netexpand_key(x, i)->payload, FILLER);
    am_netexpand_free(x);
    x = am_netexpand_new(ix, AM_NETINDEX_NONE, 1000, &err);
    assert_non_null(x);
    assert_int_equal(am_netexpand_count(x), 246);
    am_netexpand_free(x);
    am_netindex_free(ix);

    /* Half a /24: a tie, and no key is the better start. */
    ix = index_of(half, 1);
    x = am_netexpand_new(ix, FILLER, 1000, &err);
    assert_non_null(x);
    assert_int_equal(am_netexpand_count(x), 128);
    assert_string_equal(am_netexpand_key(x, 127)->text, "192.0.2.127");
    am_netexpand_free(x);
    am_netindex_free(ix);
}

static void
limits_and_refusals(void **state)
{
    static const char *const all[] = { "0.0.0.0/0 1" };
    static const char *const v6net[] = { "2001:db8::/32 1" };
    static const char *const v6hosts[] = { "2001:db8::1 1",
                                           "2001:DB8:0:0:1::0 2" };
    static const char *const v6safe[] = { "2001:DB8:0:0:1::0 2",
                                          "2001:db8:1:2:3:4:5:6 3",
                                          "::ffff:192.0.2.1 4" };
    am_netindex *ix;
    am_netexpand *x;
    struct am_error err;

    (void) state;
    ix = index_of(all, 1);
    x = am_netexpand_new(ix, AM_NETINDEX_NONE, 300, &err);
    assert_non_null(x);                 /* "0" to "255": no key for /0 */
    assert_int_equal(am_netexpand_count(x), 256);
    assert_string_equal(am_netexpand_key(x, 255)->text, "255");
    am_netexpand_free(x);
    am_error_clear(&err);
    assert_null(am_netexpand_new(ix, AM_NETINDEX_NONE, 255, &err));
    assert_int_equal(err.code, AM_ERR_LIMIT);
    assert_non_null(strstr(err.msg, "256"));
    am_netindex_free(ix);

    ix = index_of(v6net, 1);
    assert_null(am_netexpand_new(ix, FILLER, 1000, &err));
    assert_int_equal(err.code, AM_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "2001:db8::"));
    am_netindex_free(ix);

    /* "2001:db8::1" would also be tried for 2001:db8::1:0:0:1. */
    ix = index_of(v6hosts, 2);
    assert_null(am_netexpand_new(ix, FILLER, 1000, &err));
    assert_int_equal(err.code, AM_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "2001:db8::1:"));
    am_netindex_free(ix);

    ix = index_of(v6safe, 3);
    x = am_netexpand_new(ix, FILLER, 1000, &err);
    if (x == NULL)
        fail_msg("%s", err.msg);
    assert_int_equal(am_netexpand_count(x), 3);
    assert_string_equal(am_netexpand_key(x, 0)->text, "2001:db8:0:0:1::");
    assert_string_equal(am_netexpand_key(x, 1)->text, "2001:db8:1:2:3:4:5:6");
    assert_string_equal(am_netexpand_key(x, 2)->text, "::ffff:192.0.2.1");
    am_netexpand_free(x);
    am_netindex_free(ix);
}

static int
cmp_text(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Which IPv6 keys does Postfix also try for other addresses?  Over every
 * address made of the groups 0, 1 and ffff, the module must refuse exactly
 * those whose text starts some other address's text plus ':'. */
static void
v6_keys_that_cut_others_are_refused(void **state)
{
    enum { N = 6561 };
    static char texts[N][AM_ADDR_STRLEN];
    static const unsigned char vals[3][2] = { { 0, 0 }, { 0, 1 },
                                              { 0xff, 0xff } };
    char probe[AM_ADDR_STRLEN + 1];
    struct am_error err;
    struct am_addr a;
    am_netindex_builder *b;
    am_netindex *ix;
    am_netexpand *x;
    size_t i, lo, hi, mid, len, refused = 0;
    unsigned g, d;
    int brute;

    (void) state;
    for (i = 0; i < N; i++) {
        a.family = AM_ADDR_V6;
        for (g = 0, d = (unsigned) i; g < 8; g++, d /= 3) {
            a.b[2 * g] = vals[d % 3][0];
            a.b[2 * g + 1] = vals[d % 3][1];
        }
        am_addr_format(&a, texts[i], AM_ADDR_STRLEN);
    }
    qsort(texts, N, AM_ADDR_STRLEN, cmp_text);
    for (i = 0; i < N; i++) {
        len = strlen(texts[i]);
        memcpy(probe, texts[i], len);
        probe[len] = ':';
        probe[len + 1] = '\0';
        for (lo = 0, hi = N; lo < hi;) {        /* first text >= probe */
            mid = lo + (hi - lo) / 2;
            if (strcmp(texts[mid], probe) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        brute = lo < N && strncmp(texts[lo], probe, strlen(probe)) == 0;
        assert_int_equal(am_addr_parse(texts[i], strlen(texts[i]), &a), 1);
        b = am_netindex_builder_new(NULL);
        {
            struct am_range r;

            am_range_of_prefix(&a, 128, &r);
            assert_int_equal(am_netindex_add(b, &r, 1, 0, 1, NULL), 0);
        }
        ix = am_netindex_build(b, NULL);
        x = am_netexpand_new(ix, FILLER, 10, &err);
        if ((x == NULL) != brute)
            fail_msg("%s: refused %d, extendable %d", texts[i], x == NULL,
                     brute);
        refused += x == NULL;
        am_netexpand_free(x);
        am_netindex_free(ix);
    }
    assert_true(refused > 100 && refused < N - 100);
}

static void
search_keys_follow_smtpd(void **state)
{
    static const struct {
        const char *addr, *want;
    } cases[] = {
        { "1.2.3.4", "1.2.3.4 1.2.3 1.2 1" },
        { "2001:DB8::1", "2001:db8::1 2001:db8: 2001:db8 2001" },
        { "::1", "::1 : " },
        { "::ffff:1.2.3.4", "::ffff:1.2.3.4 ::ffff : " },
        { "2001:db8:1:2:3:4:5:6",
          "2001:db8:1:2:3:4:5:6 2001:db8:1:2:3:4:5 2001:db8:1:2:3:4 "
          "2001:db8:1:2:3 2001:db8:1:2 2001:db8:1 2001:db8 2001" },
    };
    char keys[8][AM_ADDR_STRLEN], got[512];
    struct am_addr a;
    size_t i, n, k, len;

    (void) state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(am_addr_parse(cases[i].addr, strlen(cases[i].addr),
                                       &a), 1);
        n = am_netexpand_search_keys(&a, keys, 8);
        for (k = len = 0; k < n; k++)
            len += (size_t) snprintf(got + len, sizeof(got) - len, "%s%s",
                                     k ? " " : "", keys[k]);
        assert_string_equal(got, cases[i].want);
    }
}

/* Random tables of IPv4 networks, ranges and hosts: Postfix's simulated
 * answer must be the table's everywhere we look. */
static uint64_t rng_state;

static uint64_t
rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static void
random_tables_agree(void **state)
{
    int round;

    (void) state;
    for (round = 0; round < 40; round++) {
        am_netindex_builder *b = am_netindex_builder_new(NULL);
        uint32_t filler = round % 2 ? FILLER : AM_NETINDEX_NONE;
        struct am_range *rs;
        size_t nr = 5 + (size_t) (rnd() % 60), i, nseg;
        struct am_error err;
        am_netindex *ix;
        am_netexpand *x;
        struct am_addr a;
        struct am_range seg;
        uint32_t p;

        rng_state = 77 + (uint64_t) round;
        rs = calloc(nr, sizeof(*rs));
        for (i = 0; i < nr; i++) {
            uint32_t base = 0x0a000000u | ((uint32_t) rnd() & 0x0003ffffu);
            unsigned prefix = 14 + (unsigned) (rnd() % 19);
            struct am_addr na;

            if (rnd() % 4 == 0) {
                rs[i].family = AM_ADDR_V4;
                rs[i].lo.lo = base;
                rs[i].hi.lo = base + (rnd() % 3000);
            } else {
                am_addr_from_u128(AM_ADDR_V4, (struct am_u128){ 0, base },
                                  &na);
                am_range_of_prefix(&na, prefix, &rs[i]);
            }
            assert_int_equal(am_netindex_add(b, &rs[i], 1,
                                             (rs[i].hi.lo - rs[i].lo.lo)
                                             << 20 | i,
                                             (uint32_t) (rnd() % 5), &err),
                             0);
        }
        ix = am_netindex_build(b, &err);
        assert_non_null(ix);
        x = am_netexpand_new(ix, filler, 1000000, &err);
        if (x == NULL)
            fail_msg("round %d: %s", round, err.msg);
        /* Every painted boundary, its neighbours, and random addresses;
         * the fake Postfix is slow, so sample. */
        nseg = am_netindex_segments(ix, AM_ADDR_V4);
        for (i = 0; i < nseg; i += 1 + nseg / 200) {
            am_netindex_segment(ix, AM_ADDR_V4, i, &seg, &p);
            am_addr_from_u128(AM_ADDR_V4, seg.lo, &a);
            check_answers(x, ix, &a);
            am_addr_from_u128(AM_ADDR_V4, seg.hi, &a);
            check_answers(x, ix, &a);
        }
        for (i = 0; i < 300; i++) {
            uint32_t v = 0x0a000000u | ((uint32_t) rnd() & 0x0003ffffu);

            if (i % 10 == 0)
                v = (uint32_t) rnd();
            am_addr_from_u128(AM_ADDR_V4, (struct am_u128){ 0, v }, &a);
            check_answers(x, ix, &a);
        }
        am_netexpand_free(x);
        am_netindex_free(ix);
        free(rs);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simple_networks),
        cmocka_unit_test(ranges_and_fillers),
        cmocka_unit_test(limits_and_refusals),
        cmocka_unit_test(search_keys_follow_smtpd),
        cmocka_unit_test(v6_keys_that_cut_others_are_refused),
        cmocka_unit_test(random_tables_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
