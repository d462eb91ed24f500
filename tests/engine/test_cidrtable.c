/* test_cidrtable.c - cidr_table loading and lookups (cidrtable.h).
 *
 * Expected answers come from real Postfix 3.7 (postfix-facts.md section 6
 * and tests/oracle/cidr_diff.sh, which checks the same behaviour at random).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/cidrtable.h"

/* Warnings collected as "LINE:ID" words, space separated. */
struct seen {
    char text[4096];
    unsigned long n;
};

static void
collect(void *ctx, const struct am_diag *d)
{
    struct seen *s = ctx;
    size_t len = strlen(s->text);

    snprintf(s->text + len, sizeof(s->text) - len, "%s%u:%s",
             len ? " " : "", d->loc.line, d->id);
    s->n++;
}

static am_cidrtable *
load(const char *src, struct seen *seen)
{
    struct am_diag_sink sink = { collect, seen, { 0, 0, 0 } };
    struct am_error err;
    am_cidrtable *t;

    memset(seen, 0, sizeof(*seen));
    t = am_cidrtable_open_mem("t.cidr", src, strlen(src), &sink, &err);
    if (t == NULL)
        fail_msg("load failed: %s", err.msg);
    return t;
}

/* The value for key, or NULL when not found. */
static const char *
query(const am_cidrtable *t, const char *key)
{
    const struct am_cidrrule *r;

    return am_cidrtable_lookup(t, key, strlen(key), &r) ? r->value : NULL;
}

static void
expect(const am_cidrtable *t, const char *key, const char *want)
{
    const char *got = query(t, key);

    if (want == NULL && got != NULL)
        fail_msg("%s: got \"%s\", want not found", key, got);
    if (want != NULL && (got == NULL || strcmp(got, want) != 0))
        fail_msg("%s: got %s%s%s, want \"%s\"", key, got ? "\"" : "",
                 got ? got : "not found", got ? "\"" : "", want);
}

static void
facts_table(void **state)
{
    static const char src[] =
        "192.168.1.1/24   REJECT non-canonical\n"
        "10.0.0.0/8       REJECT ten\n"
        "10.1.2.3         OK exact-after-net\n"
        "!172.16.0.0/12   DUNNO not-172\n"
        "2001:db8::/32    REJECT v6\n"
        "0.0.0.0/0        LAST\n"
        "::ffff:1.2.3.4   MAPPED\n";
    static const struct {
        const char *key, *want;
    } cases[] = {
        { "10.1.2.3", "REJECT ten" },
        { "8.8.8.8", "DUNNO not-172" },
        { "192.168.1.77", "DUNNO not-172" },
        { "172.16.5.5", "LAST" },
        { "2001:DB8::1", "REJECT v6" },
        { "[10.1.1.1]", NULL },
        { "foo.example", NULL },
        { "::1", NULL },
        { "::ffff:1.2.3.4", "MAPPED" },
        { "::ffff:10.0.0.1", NULL },
    };
    struct seen seen;
    am_cidrtable *t = load(src, &seen);
    size_t i;

    (void) state;
    assert_string_equal(seen.text, "1:host-bits");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect(t, cases[i].key, cases[i].want);
    assert_int_equal(am_cidrtable_count(t), 6);
    assert_string_equal(am_cidrtable_name(t), "t.cidr");
    am_cidrtable_close(t);
}

static void
every_warning_skips_its_rule(void **state)
{
    static const char src[] =
        "1.2.3.4/33 x\n"                        /* 1 */
        "1.2.3.0/x x\n"                         /* 2 */
        "1.2.3.0/ x\n"                          /* 3 */
        "999.1.1.1 x\n"                         /* 4 */
        "nokey\n"                               /* 5 */
        "1.2.3.4\n"                             /* 6: no value */
        "ENDIF\n"                               /* 7 */
        "endif x\n"                             /* 8 */
        "if\n"                                  /* 9 */
        "!\n"                                   /* 10 */
        "[1.2.3.4 x\n"                          /* 11 */
        "[1.2.3.4]x x\n"                        /* 12 */
        "if10.0.0.0/8\n"                        /* 13: not a keyword */
        "1.2.3.0/24/5 x\n"                      /* 14 */
        "2001:db8::1/64 x\n"                    /* 15 */
        "01.2.3.4 x\n"                          /* 16 */
        "5.6.7.8 kept\n"                        /* 17 */
        "IF 10.0.0.0/8\n"                       /* 18: never closed */
        "if !10.1.0.0/16\n"                     /* 19: never closed */
        "10.2.0.0/16 inner\n";                  /* 20 */
    struct seen seen;
    am_cidrtable *t = load(src, &seen);

    (void) state;
    assert_string_equal(seen.text,
                        "1:mask-too-long 2:bad-mask 3:bad-mask 4:bad-address "
                        "5:bad-address 6:no-result 7:endif-without-if "
                        "8:text-after-endif 9:no-pattern 10:no-pattern "
                        "11:missing-bracket 12:text-after-bracket "
                        "13:bad-network 14:bad-mask 15:host-bits "
                        "16:bad-address 19:if-without-endif "
                        "18:if-without-endif");
    assert_int_equal(am_cidrtable_count(t), 4);
    expect(t, "1.2.3.4", NULL);
    expect(t, "5.6.7.8", "kept");
    expect(t, "10.2.3.4", "inner");
    expect(t, "10.1.3.4", NULL);
    assert_int_equal(am_cidrtable_rule(t, 1)->endif_line, 0);
    assert_null(am_cidrtable_rule(t, 4));
    am_cidrtable_close(t);
}

static void
keep_message(void *ctx, const struct am_diag *d)
{
    snprintf(ctx, 512, "%s", d->msg);
}

static void
suggestion_is_the_canonical_form(void **state)
{
    static const struct {
        const char *rule, *want;
    } cases[] = {
        { "192.168.1.1/24 x", "\"192.168.1.0/24\"" },
        { "::FFFF:1.2.3.0/116 x", "\"::ffff:1.2.0.0/116\"" },
        { "2001:db8::1/64 x", "\"2001:db8::/64\"" },
        { "1.2.3.0/4294967304 x", "\"1.0.0.0/8\"" },
    };
    char msg[512];
    struct am_diag_sink sink = { keep_message, msg, { 0, 0, 0 } };
    struct am_error err;
    am_cidrtable *t;
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        msg[0] = '\0';
        t = am_cidrtable_open_mem("t", cases[i].rule, strlen(cases[i].rule),
                                  &sink, &err);
        assert_non_null(t);
        if (strstr(msg, cases[i].want) == NULL)
            fail_msg("%s: %s", cases[i].rule, msg);
        am_cidrtable_close(t);
    }
}

static void
indented_rules_continue_the_line_before(void **state)
{
    static const char src[] =
        "if 10.0.0.0/8\n"
        "  10.1.0.0/16 REJECT in-10-1\n"
        "endif\n"
        "10.1.2.3 plain\n"
        "1.1.1.1 value\n"
        "\tcontinued   \n";
    struct seen seen;
    am_cidrtable *t = load(src, &seen);

    (void) state;
    /* The IF swallowed the rule: a bad mask, and its ENDIF is unmatched. */
    assert_string_equal(seen.text, "1:bad-mask 3:endif-without-if");
    expect(t, "10.1.2.3", "plain");
    expect(t, "1.1.1.1", "value\tcontinued");
    am_cidrtable_close(t);
}

static void
first_line_indented_is_dropped(void **state)
{
    struct seen seen;
    am_cidrtable *t = load("  1.2.3.4 lost\n5.6.7.8 ok\n", &seen);

    (void) state;
    assert_string_equal(seen.text, "1:leading-whitespace");
    expect(t, "1.2.3.4", NULL);
    expect(t, "5.6.7.8", "ok");
    am_cidrtable_close(t);
}

static void
negation_and_values(void **state)
{
    static const char src[] =
        "!! 10.0.0.0/8 double-negation\n"
        "! ! !192.0.2.0/24 triple\n"
        "1.2.3.4\tTAB   value  with   spaces   \n"
        "!::/0 never\n"
        "[2001:db8:1::]/48 bracket6\n"
        "[198.51.100.0/24] bracket4\n"
        "2001:0db8:0000::/48 padded\n"
        "10.0.0.0/264 wrapped\n";
    struct seen seen;
    am_cidrtable *t = load(src, &seen);

    (void) state;
    assert_string_equal(seen.text, "8:mask-wraps");
    expect(t, "10.9.9.9", "double-negation");
    expect(t, "1.2.3.4", "triple");          /* outside 192.0.2.0/24 */
    expect(t, "192.0.2.7", NULL);
    expect(t, "2001:db8:1::5", "bracket6");
    expect(t, "2001:db8::1", "padded");
    expect(t, "198.51.100.1", "triple");     /* before its bracket rule */
    expect(t, "::1", NULL);
    am_cidrtable_close(t);

    t = load("1.2.3.4\tTAB   value  with   spaces   \n", &seen);
    expect(t, "1.2.3.4", "TAB   value  with   spaces");
    am_cidrtable_close(t);
}

static void
non_address_keys_are_not_found(void **state)
{
    static const char *const keys[] = {
        "foo.example", "[10.1.1.1]", "fe80::1%eth0", "01.2.3.4", "",
        "10.1.1.1\r", " 10.1.1.1", "10.1.1", "10.1.1.1/32", "[::1]",
    };
    struct seen seen;
    am_cidrtable *t = load("0.0.0.0/0 v4\n::/0 v6\n", &seen);
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        expect(t, keys[i], NULL);
    expect(t, "10.1.1.1", "v4");
    expect(t, "FE80::1", "v6");
    /* Only len bytes of the key count. */
    {
        const struct am_cidrrule *r;

        assert_int_equal(am_cidrtable_lookup(t, "10.1.1.1junk", 8, &r), 1);
        assert_string_equal(r->value, "v4");
    }
    am_cidrtable_close(t);
}

static void
nested_blocks(void **state)
{
    static const char src[] =
        "If 10.0.0.0/8\n"                       /* 1 */
        "iF !10.1.0.0/16\n"                     /* 2 */
        "10.2.0.0/16 ten-not-one\n"             /* 3 */
        "EndIf\n"                               /* 4 */
        "10.1.2.0/24 ten-one-two\n"             /* 5 */
        "if 2001:db8::/32\n"                    /* 6: other family */
        "10.0.0.0/8 unreachable\n"              /* 7 */
        "endif\n"                               /* 8 */
        "ENDIF   \n"                            /* 9 */
        "if 999.0.0.0/8\n"                      /* 10: bad, not a block */
        "10.3.0.0/16 after-bad-if\n"            /* 11 */
        "endif\n"                               /* 12: unmatched */
        "if ::/0\n"                             /* 13 */
        "if !2001:db8::/32\n"                   /* 14 */
        "::/0 v6-not-doc\n"                     /* 15 */
        "endif\n"                               /* 16 */
        "endif\n"                               /* 17 */
        "0.0.0.0/0 v4-default\n";               /* 18 */
    struct seen seen;
    am_cidrtable *t = load(src, &seen);
    const struct am_cidrrule *r;

    (void) state;
    assert_string_equal(seen.text, "10:bad-network 12:endif-without-if");
    expect(t, "10.2.3.4", "ten-not-one");
    expect(t, "10.1.2.3", "ten-one-two");
    expect(t, "10.1.3.3", "v4-default");
    expect(t, "10.3.1.1", "after-bad-if");
    expect(t, "11.0.0.1", "v4-default");
    expect(t, "2001:db8::1", NULL);
    expect(t, "2001:db9::1", "v6-not-doc");
    assert_int_equal(am_cidrtable_lookup(t, "10.2.3.4", 8, &r), 1);
    assert_int_equal(r->line, 3);
    assert_int_equal(r->parent, 1);
    r = am_cidrtable_rule(t, 0);
    assert_int_equal(r->op, AM_CIDR_IF);
    assert_int_equal(r->endif_line, 9);
    assert_int_equal(am_cidrtable_rule(t, 1)->endif_line, 4);
    assert_int_equal(am_cidrtable_rule(t, 1)->negated, 1);
    am_cidrtable_close(t);
}

static void
shadowed_rules_are_listed(void **state)
{
    static const char src[] =
        "10.0.0.0/8 first\n"
        "if 10.1.0.0/16\n"
        "10.1.2.0/24 second\n"
        "!192.0.2.0/24 third\n"
        "endif\n"
        "10.1.2.3 fourth\n"
        "2001:db8::/32 v6\n";
    struct seen seen;
    am_cidrtable *t = load(src, &seen);
    const struct am_cidrrule *r;
    unsigned lines[8];
    struct am_addr a;
    size_t pos = 0, n = 0;

    (void) state;
    assert_int_equal(am_addr_parse("10.1.2.3", 8, &a), 1);
    while (am_cidrtable_next_match(t, &a, &pos, &r))
        lines[n++] = r->line;
    assert_int_equal(n, 4);
    assert_int_equal(lines[0], 1);
    assert_int_equal(lines[1], 3);
    assert_int_equal(lines[2], 4);
    assert_int_equal(lines[3], 6);
    assert_int_equal(am_cidrtable_lookup_addr(t, &a, &r), 1);
    assert_int_equal(r->line, 1);
    assert_int_equal(am_addr_parse("10.2.0.1", 8, &a), 1);
    pos = n = 0;
    while (am_cidrtable_next_match(t, &a, &pos, &r))
        n++;
    assert_int_equal(n, 1);                 /* the IF keeps 4 out */
    am_cidrtable_close(t);
}

static void
nul_byte_cuts_the_line(void **state)
{
    static const char src[] = "1.2.3.4 val\0ue\n\0" "5.6.7.8 x\n9.9.9.9 y\n";
    struct am_diag_sink sink = { collect, NULL, { 0, 0, 0 } };
    struct am_error err;
    struct seen seen;
    am_cidrtable *t;

    (void) state;
    memset(&seen, 0, sizeof(seen));
    sink.ctx = &seen;
    t = am_cidrtable_open_mem("t", src, sizeof(src) - 1, &sink, &err);
    assert_non_null(t);
    assert_string_equal(seen.text, "1:nul-byte 2:nul-byte 2:no-pattern");
    expect(t, "1.2.3.4", "val");
    expect(t, "5.6.7.8", NULL);
    expect(t, "9.9.9.9", "y");
    am_cidrtable_close(t);
}

static void
open_errors(void **state)
{
    struct am_error err;

    (void) state;
    am_error_clear(&err);
    assert_null(am_cidrtable_open("/nonexistent/t.cidr", NULL, &err));
    assert_int_equal(err.code, AM_ERR_IO);
    am_cidrtable_close(NULL);
}

/* Random tables: the index must agree with the rule walk (the first rule
 * am_cidrtable_next_match finds). */
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
random_pattern(char *buf, size_t size, int v6)
{
    unsigned prefix;
    uint32_t a;

    if (!v6) {
        prefix = (unsigned) (rnd() % 33);
        a = (uint32_t) rnd();
        if (rnd() % 2)
            a = 0x0a000000u | (a & 0x00ffffffu);  /* crowd into 10/8 */
        a &= prefix ? (uint32_t) (0xffffffffULL << (32 - prefix)) : 0;
        snprintf(buf, size, "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255,
                 (a >> 8) & 255, a & 255, prefix);
    } else {
        prefix = 48 + 16 * (unsigned) (rnd() % 6);
        snprintf(buf, size, "2001:db8:%x::/%u", (unsigned) (rnd() % 4),
                 prefix > 128 ? 128 : prefix);
    }
}

static void
index_agrees_with_rule_walk(void **state)
{
    char src[65536], pat[64];
    size_t len, i, pos;
    int round, depth, k;
    struct seen seen;
    am_cidrtable *t;
    const struct am_cidrrule *r1, *r2;
    struct am_addr a;
    int f1, f2;

    (void) state;
    for (round = 0; round < 30; round++) {
        rng_state = 1000 + (uint64_t) round;
        len = 0;
        depth = 0;
        for (k = 0; k < 200; k++) {
            int kind = (int) (rnd() % 10), v6 = rnd() % 3 == 0;

            random_pattern(pat, sizeof(pat), v6);
            if (kind == 0 && depth < 6) {
                len += (size_t) snprintf(src + len, sizeof(src) - len,
                                         "if %s%s\n", rnd() % 3 ? "" : "!",
                                         pat);
                depth++;
            } else if (kind == 1 && depth > 0) {
                len += (size_t) snprintf(src + len, sizeof(src) - len,
                                         "endif\n");
                depth--;
            } else {
                len += (size_t) snprintf(src + len, sizeof(src) - len,
                                         "%s%s r%d\n", rnd() % 4 ? "" : "!",
                                         pat, k);
            }
        }
        t = load(src, &seen);
        for (i = 0; i < 3000; i++) {
            if (i % 3 == 0) {
                a.family = AM_ADDR_V6;
                memset(a.b, 0, sizeof(a.b));
                a.b[0] = 0x20;
                a.b[1] = 0x01;
                a.b[2] = 0x0d;
                a.b[3] = 0xb8;
                a.b[5] = (unsigned char) (rnd() % 4);
                a.b[6 + rnd() % 10] = (unsigned char) rnd();
            } else {
                uint32_t v = (uint32_t) rnd();

                v = (v & 0x00ffffffu) | (i % 5 ? 0x0a000000u : v);
                a.family = AM_ADDR_V4;
                memset(a.b, 0, sizeof(a.b));
                a.b[0] = (unsigned char) (v >> 24);
                a.b[1] = (unsigned char) (v >> 16);
                a.b[2] = (unsigned char) (v >> 8);
                a.b[3] = (unsigned char) v;
            }
            pos = 0;
            f1 = am_cidrtable_lookup_addr(t, &a, &r1);
            f2 = am_cidrtable_next_match(t, &a, &pos, &r2);
            assert_int_equal(f1, f2);
            if (f1)
                assert_ptr_equal(r1, r2);
        }
        am_cidrtable_close(t);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(facts_table),
        cmocka_unit_test(every_warning_skips_its_rule),
        cmocka_unit_test(suggestion_is_the_canonical_form),
        cmocka_unit_test(indented_rules_continue_the_line_before),
        cmocka_unit_test(first_line_indented_is_dropped),
        cmocka_unit_test(negation_and_values),
        cmocka_unit_test(non_address_keys_are_not_found),
        cmocka_unit_test(nested_blocks),
        cmocka_unit_test(shadowed_rules_are_listed),
        cmocka_unit_test(nul_byte_cuts_the_line),
        cmocka_unit_test(open_errors),
        cmocka_unit_test(index_agrees_with_rule_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
