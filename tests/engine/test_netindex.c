/* test_netindex.c - am_netindex against a brute-force scan of the rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/netindex.h"

/* xorshift64*: reproducible and fast. */
static uint64_t rng_state;

static uint64_t
rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

/* A rule kept for the brute-force answer. */
struct rule {
    struct am_range r[3];
    size_t n;
    uint64_t prio;
    uint32_t payload;
};

static int
naive(const struct rule *rules, size_t nrules, int family, struct am_u128 v,
      uint32_t *payload)
{
    size_t i, j, best = SIZE_MAX;

    for (i = 0; i < nrules; i++) {
        for (j = 0; j < rules[i].n; j++)
            if (rules[i].r[j].family == family
                && am_range_contains(&rules[i].r[j], v))
                break;
        if (j == rules[i].n)
            continue;
        if (best == SIZE_MAX || rules[i].prio < rules[best].prio)
            best = i;
    }
    *payload = best == SIZE_MAX ? AM_NETINDEX_NONE : rules[best].payload;
    return best != SIZE_MAX;
}

static int
index_lookup(const am_netindex *ix, int family, struct am_u128 v,
             uint32_t *payload)
{
    struct am_addr a;
    uint32_t p2;
    int r, r2;

    if (family == AM_ADDR_V4) {
        r = am_netindex_lookup4(ix, (uint32_t) v.lo, payload);
    } else {
        r = am_netindex_lookup6(ix, v, payload);
    }
    /* The address form gives the same answer. */
    am_addr_from_u128(family, v, &a);
    r2 = am_netindex_lookup(ix, &a, &p2);
    assert_int_equal(r, r2);
    assert_int_equal(*payload, p2);
    return r;
}

/* A random network of the family, prefix biased to the interesting end. */
static struct am_range
random_net(int family, struct am_u128 cluster, unsigned cluster_bits)
{
    unsigned bits = am_addr_bits(family), prefix;
    struct am_u128 v, keep;
    struct am_range r;
    struct am_addr a;

    v.hi = family == AM_ADDR_V6 ? rnd() : 0;
    v.lo = family == AM_ADDR_V6 ? rnd() : rnd() & 0xffffffffu;
    if (cluster_bits > 0) {
        keep = am_u128_low_mask(bits - cluster_bits);
        v.hi = (v.hi & keep.hi) | (cluster.hi & ~keep.hi);
        v.lo = (v.lo & keep.lo) | (cluster.lo & ~keep.lo);
    }
    switch (rnd() % 4) {
    case 0:
        prefix = (unsigned) (rnd() % (bits + 1));
        break;
    case 1:
        prefix = bits;
        break;
    default:
        prefix = bits - (unsigned) (rnd() % (bits / 4 + 1));
        break;
    }
    if (prefix < cluster_bits)
        prefix = cluster_bits;
    am_addr_from_u128(family, v, &a);
    am_range_of_prefix(&a, prefix, &r);
    return r;
}

/* Build an index from random rules and compare it with brute force at
 * every rule boundary and at random addresses. */
static void
compare_random(uint64_t seed, size_t nrules, int v6_share,
               unsigned cluster_bits, int prio_mode)
{
    struct rule *rules = calloc(nrules, sizeof(*rules));
    am_netindex_builder *b;
    am_netindex *ix;
    struct am_error err;
    struct am_range out[2];
    struct am_u128 cluster = { 0x20010db8ULL << 32, 0 }, v;
    uint32_t got, want;
    size_t i, j, k;
    int family, rg, rw;

    rng_state = seed;
    assert_non_null(rules);
    b = am_netindex_builder_new(&err);
    assert_non_null(b);
    for (i = 0; i < nrules; i++) {
        family = (int) (rnd() % 100) < v6_share ? AM_ADDR_V6 : AM_ADDR_V4;
        rules[i].r[0] = random_net(family,
                                   family == AM_ADDR_V6 ? cluster
                                   : (struct am_u128){ 0, 0x0a000000 },
                                   family == AM_ADDR_V6 ? cluster_bits
                                   : (cluster_bits ? 8 : 0));
        rules[i].n = 1;
        if (rnd() % 8 == 0) {           /* a negated network */
            rules[i].n = am_range_complement(&rules[i].r[0], out);
            memcpy(rules[i].r, out, sizeof(out));
        } else if (rnd() % 8 == 0) {    /* plus a range of the other family */
            rules[i].r[1] = random_net(family == AM_ADDR_V4 ? AM_ADDR_V6
                                       : AM_ADDR_V4, cluster, 0);
            rules[i].n = 2;
        }
        switch (prio_mode) {
        case 0:                         /* file order */
            rules[i].prio = i;
            break;
        case 1:                         /* reverse order */
            rules[i].prio = nrules - i;
            break;
        default:                        /* many ties: first added wins */
            rules[i].prio = rnd() % 4;
            break;
        }
        rules[i].payload = (uint32_t) (rnd() % (nrules / 2 + 1));
        if (seed % 2 && rnd() % 2)      /* payloads at the edges of the
                                         * slot encodings */
            rules[i].payload = rnd() % 2 ? 0x3ffffffeu + (uint32_t) (rnd() % 4)
                : AM_NETINDEX_NONE - 1 - (uint32_t) (rnd() % 2);
        assert_int_equal(am_netindex_add(b, rules[i].r, rules[i].n,
                                         rules[i].prio, rules[i].payload,
                                         &err), 0);
    }
    if (prio_mode == 2) {
        /* Ties go to the rule added first: make the brute force agree. */
        for (i = 0; i < nrules; i++)
            rules[i].prio = rules[i].prio * nrules + i;
    }
    ix = am_netindex_build(b, &err);
    assert_non_null(ix);

    for (i = 0; i < nrules; i++) {
        for (j = 0; j < rules[i].n; j++) {
            const struct am_range *r = &rules[i].r[j];
            struct am_u128 probe[4];

            probe[0] = r->lo;
            probe[1] = r->hi;
            probe[2] = am_u128_dec(r->lo);
            probe[3] = am_u128_inc(r->hi);
            for (k = 0; k < 4; k++) {
                v = probe[k];
                if (am_u128_cmp(v, am_range_family_max(r->family)) > 0)
                    continue;
                rw = naive(rules, nrules, r->family, v, &want);
                rg = index_lookup(ix, r->family, v, &got);
                if (rg != rw || got != want)
                    fail_msg("seed %llu rule %zu probe %zu: got %d/%u, "
                             "want %d/%u", (unsigned long long) seed, i, k,
                             rg, got, rw, want);
            }
        }
    }
    for (i = 0; i < 2000; i++) {
        family = i % 2 ? AM_ADDR_V6 : AM_ADDR_V4;
        v = random_net(family, cluster, family == AM_ADDR_V6
                       ? cluster_bits : 0).lo;
        rw = naive(rules, nrules, family, v, &want);
        rg = index_lookup(ix, family, v, &got);
        assert_int_equal(rg, rw);
        assert_int_equal(got, want);
    }
    am_netindex_free(ix);
    free(rules);
}

static void
small_random_tables_match_brute_force(void **state)
{
    uint64_t seed;

    (void) state;
    for (seed = 1; seed <= 40; seed++)
        compare_random(seed * 7919, 1 + seed % 13, 40, 0, (int) (seed % 3));
}

static void
medium_random_tables_match_brute_force(void **state)
{
    (void) state;
    compare_random(11, 3000, 30, 0, 0);
    compare_random(12, 3000, 70, 0, 1);
    compare_random(13, 3000, 50, 0, 2);
}

static void
clustered_tables_match_brute_force(void **state)
{
    (void) state;
    /* Everything inside 2001:db8::/32 and 10.0.0.0/8: the tree must skip
     * the shared prefix rather than index it. */
    compare_random(21, 3000, 50, 32, 0);
    compare_random(22, 3000, 80, 96, 0);
    compare_random(23, 500, 80, 120, 2);
}

/* Walk the painted segments: ordered, covering, neighbours distinct, and
 * each agreeing with lookups at both ends. */
static void
check_segments(const am_netindex *ix, int family)
{
    size_t n = am_netindex_segments(ix, family), i;
    struct am_range r, prev = { 0, { 0, 0 }, { 0, 0 } };
    uint32_t p, prevp = 0, got;

    assert_true(n >= 1);
    for (i = 0; i < n; i++) {
        am_netindex_segment(ix, family, i, &r, &p);
        assert_int_equal(r.family, family);
        assert_true(am_u128_cmp(r.lo, r.hi) <= 0);
        if (i == 0) {
            assert_true(r.lo.hi == 0 && r.lo.lo == 0);
        } else {
            assert_true(am_u128_eq(am_u128_inc(prev.hi), r.lo));
            assert_int_not_equal(p, prevp);
        }
        assert_int_equal(index_lookup(ix, family, r.lo, &got),
                         p != AM_NETINDEX_NONE);
        assert_int_equal(got, p);
        assert_int_equal(index_lookup(ix, family, r.hi, &got),
                         p != AM_NETINDEX_NONE);
        assert_int_equal(got, p);
        prev = r;
        prevp = p;
    }
    assert_true(am_u128_eq(prev.hi, am_range_family_max(family)));
}

static void
large_table_segments_are_consistent(void **state)
{
    am_netindex_builder *b = am_netindex_builder_new(NULL);
    struct am_netindex_stats st;
    struct am_error err;
    struct am_range r;
    am_netindex *ix;
    uint32_t i;

    (void) state;
    rng_state = 99;
    for (i = 0; i < 60000; i++) {
        unsigned host = 0;
        struct am_u128 m;

        r = random_net(i % 3 ? AM_ADDR_V4 : AM_ADDR_V6,
                       (struct am_u128){ 0, 0 }, 0);
        /* Most specific first, so that small networks show through. */
        for (;;) {
            m = am_u128_low_mask(host + 1);
            if (host == am_addr_bits(r.family)
                || (r.hi.hi & m.hi) != m.hi || (r.hi.lo & m.lo) != m.lo)
                break;
            host++;
        }
        assert_int_equal(am_netindex_add(b, &r, 1, (uint64_t) host << 32 | i,
                                         i, &err), 0);
    }
    ix = am_netindex_build(b, &err);
    assert_non_null(ix);
    am_netindex_stats(ix, &st);
    assert_true(st.segments[0] > 40000);
    assert_true(st.segments[1] > 20000);
    assert_true(st.nodes[0] > 1);   /* a real tree, not one leaf */
    assert_true(st.nodes[1] > 1);
    assert_true(st.depth[1] > 1);
    check_segments(ix, AM_ADDR_V4);
    check_segments(ix, AM_ADDR_V6);
    am_netindex_free(ix);
}

static struct am_range
net(const char *text)
{
    struct am_net n;
    struct am_error err;

    assert_int_equal(am_net_parse(text, strlen(text), AM_NET_ALLOW_RANGE, &n,
                                  &err), 0);
    return n.range;
}

static uint32_t
look(const am_netindex *ix, const char *text)
{
    struct am_addr a;
    uint32_t p;

    assert_int_equal(am_addr_parse(text, strlen(text), &a), 1);
    if (!am_netindex_lookup(ix, &a, &p))
        assert_int_equal(p, AM_NETINDEX_NONE);
    return p;
}

static void
edges_of_the_address_space(void **state)
{
    am_netindex_builder *b = am_netindex_builder_new(NULL);
    struct am_range r[2];
    am_netindex *ix;

    (void) state;
    r[0] = net("255.255.255.255");
    assert_int_equal(am_netindex_add(b, r, 1, 5, 1, NULL), 0);
    r[0] = net("0.0.0.0");
    r[1] = net("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    assert_int_equal(am_netindex_add(b, r, 2, 5, 2, NULL), 0);
    r[0] = net("::");
    assert_int_equal(am_netindex_add(b, r, 1, 5, 3, NULL), 0);
    r[0] = net("0.0.0.0/0");
    assert_int_equal(am_netindex_add(b, r, 1, 9, 4, NULL), 0);
    assert_int_equal(am_netindex_add(b, r, 0, 0, 5, NULL), 0);  /* empty */
    ix = am_netindex_build(b, NULL);
    assert_non_null(ix);
    assert_int_equal(look(ix, "255.255.255.255"), 1);
    assert_int_equal(look(ix, "255.255.255.254"), 4);
    assert_int_equal(look(ix, "0.0.0.0"), 2);
    assert_int_equal(look(ix, "0.0.0.1"), 4);
    assert_int_equal(look(ix, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 2);
    assert_int_equal(look(ix, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
                     AM_NETINDEX_NONE);
    assert_int_equal(look(ix, "::"), 3);
    assert_int_equal(look(ix, "::1"), AM_NETINDEX_NONE);
    assert_int_equal(am_netindex_segments(ix, AM_ADDR_V4), 3);
    assert_int_equal(am_netindex_segments(ix, AM_ADDR_V6), 3);
    check_segments(ix, AM_ADDR_V4);
    check_segments(ix, AM_ADDR_V6);
    am_netindex_free(ix);
}

static void
priorities_decide_not_order(void **state)
{
    am_netindex_builder *b = am_netindex_builder_new(NULL);
    struct am_range r;
    am_netindex *ix;

    (void) state;
    /* Most specific first, as an ordinary table orders them. */
    r = net("10.0.0.0/8");
    assert_int_equal(am_netindex_add(b, &r, 1, 1u << 24, 8, NULL), 0);
    r = net("10.1.0.0/16");
    assert_int_equal(am_netindex_add(b, &r, 1, 1u << 16, 16, NULL), 0);
    r = net("10.1.2.10-10.1.2.20");
    assert_int_equal(am_netindex_add(b, &r, 1, 11, 99, NULL), 0);
    r = net("10.1.2.15");
    assert_int_equal(am_netindex_add(b, &r, 1, 1, 32, NULL), 0);
    r = net("10.1.2.16");                       /* tie: first one wins */
    assert_int_equal(am_netindex_add(b, &r, 1, 1, 33, NULL), 0);
    assert_int_equal(am_netindex_add(b, &r, 1, 1, 34, NULL), 0);
    ix = am_netindex_build(b, NULL);
    assert_int_equal(look(ix, "10.9.9.9"), 8);
    assert_int_equal(look(ix, "10.1.9.9"), 16);
    assert_int_equal(look(ix, "10.1.2.10"), 99);
    assert_int_equal(look(ix, "10.1.2.15"), 32);
    assert_int_equal(look(ix, "10.1.2.16"), 33);
    assert_int_equal(look(ix, "10.1.2.20"), 99);
    assert_int_equal(look(ix, "10.1.2.21"), 16);
    assert_int_equal(look(ix, "11.0.0.0"), AM_NETINDEX_NONE);
    am_netindex_free(ix);
}

static void
empty_index_finds_nothing(void **state)
{
    am_netindex *ix = am_netindex_build(am_netindex_builder_new(NULL), NULL);
    struct am_addr a = { 9, { 0 } };
    uint32_t p;

    (void) state;
    assert_non_null(ix);
    assert_int_equal(look(ix, "1.2.3.4"), AM_NETINDEX_NONE);
    assert_int_equal(look(ix, "::1"), AM_NETINDEX_NONE);
    assert_int_equal(am_netindex_lookup(ix, &a, &p), 0);   /* bad family */
    assert_int_equal(am_netindex_segments(ix, AM_ADDR_V4), 1);
    assert_int_equal(am_netindex_segments(ix, 9), 0);
    am_netindex_free(ix);
    am_netindex_free(NULL);
    am_netindex_builder_free(NULL);
}

/* Wide networks fill whole slots, which may hold their payload directly;
 * payloads of every size must come back unchanged. */
static void
any_payload_comes_back(void **state)
{
    static const uint32_t pays[] = { 0, 1, 0x3ffffffeu, 0x3fffffffu,
        0x40000000u, 0x7fffffffu, 0x80000000u, AM_NETINDEX_NONE - 1 };
    static const char *const wide[] = { "10.0.0.0/8", "11.0.0.0/8",
        "12.0.0.0/8", "13.0.0.0/8", "14.0.0.0/8", "15.0.0.0/8",
        "16.0.0.0/8", "17.0.0.0/8" };
    static const char *const inside[] = { "10.1.2.3", "11.200.0.1",
        "12.0.0.0", "13.255.255.255", "14.9.9.9", "15.1.1.1", "16.2.2.2",
        "17.3.3.3" };
    am_netindex_builder *b = am_netindex_builder_new(NULL);
    am_netindex *ix;
    struct am_error err;
    struct am_range r;
    char text[32];
    size_t i;

    (void) state;
    for (i = 0; i < 8; i++) {
        r = net(wide[i]);
        assert_int_equal(am_netindex_add(b, &r, 1, i, pays[i], &err), 0);
    }
    /* Many small networks elsewhere, so the index has inner nodes. */
    for (i = 0; i < 3000; i++) {
        snprintf(text, sizeof(text), "20.%zu.%zu.0/24", i / 200, i % 200);
        r = net(text);
        assert_int_equal(am_netindex_add(b, &r, 1, 100 + i, (uint32_t) i,
                                         &err), 0);
    }
    ix = am_netindex_build(b, &err);
    assert_non_null(ix);
    for (i = 0; i < 8; i++)
        assert_int_equal(look(ix, inside[i]), pays[i]);
    assert_int_equal(look(ix, "20.3.7.9"), 607);
    assert_int_equal(look(ix, "9.255.255.255"), AM_NETINDEX_NONE);
    assert_int_equal(look(ix, "18.0.0.0"), AM_NETINDEX_NONE);
    am_netindex_free(ix);
}

static void
bad_rules_are_refused(void **state)
{
    am_netindex_builder *b = am_netindex_builder_new(NULL);
    struct am_error err;
    struct am_range r = net("10.0.0.0/8"), bad;

    (void) state;
    assert_int_equal(am_netindex_add(b, &r, 1, 0, AM_NETINDEX_NONE, &err),
                     AM_ERR_INVALID);
    bad = r;
    bad.lo = am_u128_inc(bad.hi);
    assert_int_equal(am_netindex_add(b, &bad, 1, 0, 1, &err),
                     AM_ERR_INVALID);
    bad = r;
    bad.hi.lo = 1ULL << 32;                 /* beyond IPv4 */
    assert_int_equal(am_netindex_add(b, &bad, 1, 0, 1, &err),
                     AM_ERR_INVALID);
    bad.family = 5;
    assert_int_equal(am_netindex_add(b, &bad, 1, 0, 1, &err),
                     AM_ERR_INVALID);
    /* Those left the builder usable. */
    assert_int_equal(am_netindex_add(b, &r, 1, 0, 1, &err), 0);
    am_netindex_free(am_netindex_build(b, &err));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_random_tables_match_brute_force),
        cmocka_unit_test(medium_random_tables_match_brute_force),
        cmocka_unit_test(clustered_tables_match_brute_force),
        cmocka_unit_test(large_table_segments_are_consistent),
        cmocka_unit_test(edges_of_the_address_space),
        cmocka_unit_test(priorities_decide_not_order),
        cmocka_unit_test(empty_index_finds_nothing),
        cmocka_unit_test(any_payload_comes_back),
        cmocka_unit_test(bad_rules_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
