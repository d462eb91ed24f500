/* test_addr.c - addresses, networks, ranges and 128-bit helpers (addr.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "formats/addr.h"

/* Texts and what inet_pton/inet_ntop (and so Postfix) make of them:
 * want NULL means "not an address". */
static const struct {
    const char *text;
    const char *want;
} addr_cases[] = {
    { "0.0.0.0", "0.0.0.0" },
    { "255.255.255.255", "255.255.255.255" },
    { "192.0.2.1", "192.0.2.1" },
    { "01.2.3.4", NULL },               /* leading zero */
    { "1.2.3.04", NULL },
    { "0.0.0.00", NULL },
    { "010.1.1.1", NULL },              /* not octal, just refused */
    { "1.2.3", NULL },                  /* short forms are not addresses */
    { "10", NULL },
    { "1.2.3.4.5", NULL },
    { "256.1.1.1", NULL },
    { "0x1.2.3.4", NULL },
    { " 1.2.3.4", NULL },
    { "1.2.3.4 ", NULL },
    { "1.2.3.4/", NULL },
    { "[1.2.3.4]", NULL },
    { "", NULL },
    { "::", "::" },
    { "::1", "::1" },
    { "0:0:0:0:0:0:0:0", "::" },
    { "2001:DB8::A", "2001:db8::a" },   /* upper case is fine */
    { "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
    { "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },  /* one 0 field */
    { "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0" },
    { "::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8" },
    { "1:0:0:2:0:0:3:4", "1::2:0:0:3:4" },  /* first longest run */
    { "1:0:0:0:1:0:0:0", "1::1:0:0:0" },
    { "::ffff:1.2.3.4", "::ffff:1.2.3.4" },
    { "::FFFF:1.2.3.4", "::ffff:1.2.3.4" },
    { "0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4" },
    { "::ffff:0:0", "::ffff:0.0.0.0" },
    { "::1.2.3.4", "::1.2.3.4" },
    { "0:0:0:0:0:0:1.2.3.4", "::1.2.3.4" },
    { "::0.0.0.1", "::1" },
    { "::ffff:0:1.2.3.4", "::ffff:0:102:304" },
    { "1::ffff:1.2.3.4", "1::ffff:102:304" },
    { "::ffff:1.2.3", NULL },
    { "::ffff:01.2.3.4", NULL },
    { "::ffff:256.1.1.1", NULL },
    { "1:2:3:4:5:6:7:8:9", NULL },
    { "1:2:3:4:5:6:7::8", NULL },
    { "00000::1", NULL },
    { "1::2::3", NULL },
    { "fe80::1%eth0", NULL },
    { "::%1", NULL },
    { ":1::", NULL },
    { "1::2:", NULL },
    { "1.2.3.4:", NULL },
    { "::g", NULL },
    { "[::1]", NULL },
};

static void
addresses_parse_and_format_like_inet_ntop(void **state)
{
    char out[AM_ADDR_STRLEN];
    struct am_addr a, back;
    size_t i, n;
    int r;

    (void) state;
    for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
        const char *text = addr_cases[i].text;

        r = am_addr_parse(text, strlen(text), &a);
        if (addr_cases[i].want == NULL) {
            if (r != 0)
                fail_msg("\"%s\" parsed as an address", text);
            continue;
        }
        if (r != 1)
            fail_msg("\"%s\" not parsed", text);
        n = am_addr_format(&a, out, sizeof(out));
        assert_int_equal(n, strlen(addr_cases[i].want));
        assert_string_equal(out, addr_cases[i].want);
        assert_int_equal(a.family, strchr(text, ':') ? AM_ADDR_V6
                         : AM_ADDR_V4);
        /* The number form round-trips. */
        am_addr_from_u128(a.family, am_addr_to_u128(&a), &back);
        assert_memory_equal(&a, &back, sizeof(a));
    }
}

/* The hand-made IPv4 parser takes exactly what inet_pton takes, on random
 * texts made of the characters that matter. */
static void
ipv4_parse_agrees_with_inet_pton(void **state)
{
    static const char alphabet[] = "0123456789....:x 00255256";
    uint32_t x = 2463534242u;
    char text[24];
    unsigned char want[16];
    struct am_addr a;
    size_t i, j, len;
    int r, w;

    (void) state;
    for (i = 0; i < 400000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        len = x % 17;
        for (j = 0; j < len; j++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            text[j] = alphabet[x % (sizeof(alphabet) - 1)];
        }
        text[len] = '\0';
        if (strchr(text, ':') != NULL)
            continue;
        w = inet_pton(AF_INET, text, want) == 1;
        r = am_addr_parse(text, len, &a);
        if (r != w)
            fail_msg("\"%s\": am_addr_parse %d, inet_pton %d", text, r, w);
        if (r) {
            assert_int_equal(a.family, AM_ADDR_V4);
            assert_memory_equal(a.b, want, 4);
        }
    }
    /* The edges by name. */
    assert_int_equal(am_addr_parse("0.0.0.0", 7, &a), 1);
    assert_int_equal(am_addr_parse("255.255.255.255", 15, &a), 1);
    assert_int_equal(am_addr_parse("256.1.1.1", 9, &a), 0);
    assert_int_equal(am_addr_parse("01.1.1.1", 8, &a), 0);
    assert_int_equal(am_addr_parse("1.1.1.1.", 8, &a), 0);
    assert_int_equal(am_addr_parse(".1.1.1", 6, &a), 0);
    assert_int_equal(am_addr_parse("1..1.1", 6, &a), 0);
    assert_int_equal(am_addr_parse("1.1.1", 5, &a), 0);
}

static uint32_t
next6(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* A text shaped like an IPv6 address, with the mistakes a parser must
 * catch: groups of 0 to 5 digits (some not hex), single and double
 * colons, too few or too many groups, dotted quads, stray dots. */
static size_t
make_ipv6ish(uint32_t *x, char *out, size_t size)
{
    static const char digits[] = "0123456789abcdefABCDEF0000g";
    size_t len = 0, groups = next6(x) % 10, i, j, k;
    char quad[20];

    if (next6(x) % 4 == 0 && len + 2 < size) {
        out[len++] = ':';
        if (next6(x) % 4)
            out[len++] = ':';
    }
    for (i = 0; i < groups && len + 8 < size; i++) {
        k = next6(x) % 6;
        for (j = 0; j < k; j++)
            out[len++] = digits[next6(x) % (sizeof(digits) - 1)];
        if (i + 1 < groups || next6(x) % 8 == 0) {
            out[len++] = ':';
            if (next6(x) % 9 == 0)
                out[len++] = ':';
        }
    }
    if (next6(x) % 3 == 0) {
        k = (size_t) snprintf(quad, sizeof(quad), "%u.%u.%u.%u",
                              next6(x) % 300, next6(x) % 256, next6(x) % 256,
                              next6(x) % 260);
        if (next6(x) % 5 == 0)
            quad[next6(x) % k] = next6(x) % 2 ? '.' : '0';
        if (len + k < size) {
            memcpy(out + len, quad, k);
            len += k;
        }
    }
    out[len] = '\0';
    return len;
}

/* The hand-made IPv6 parser takes exactly what inet_pton takes. */
static void
ipv6_parse_agrees_with_inet_pton(void **state)
{
    static const char alphabet[] = "0123456789abcdefF::::...g";
    uint32_t x = 88675123u;
    char text[64];
    unsigned char want[16];
    struct am_addr a;
    size_t i, j, len;
    int r, w, valid = 0;

    (void) state;
    for (i = 0; i < 1000000; i++) {
        if (i % 4 == 0) {
            len = next6(&x) % 20;
            for (j = 0; j < len; j++)
                text[j] = alphabet[next6(&x) % (sizeof(alphabet) - 1)];
            text[len] = '\0';
        } else {
            len = make_ipv6ish(&x, text, sizeof(text));
        }
        if (strchr(text, ':') == NULL)
            continue;
        w = inet_pton(AF_INET6, text, want) == 1;
        r = am_addr_parse(text, len, &a);
        if (r != w)
            fail_msg("\"%s\": am_addr_parse %d, inet_pton %d", text, r, w);
        if (r) {
            valid++;
            assert_int_equal(a.family, AM_ADDR_V6);
            assert_memory_equal(a.b, want, 16);
        }
    }
    /* Enough valid texts to mean something. */
    assert_true(valid > 10000);
}

static void
address_text_is_bounded_by_length(void **state)
{
    char big[200];
    struct am_addr a;

    (void) state;
    /* The length argument, not a NUL, ends the text. */
    assert_int_equal(am_addr_parse("1.2.3.4xyz", 7, &a), 1);
    assert_int_equal(a.b[3], 4);
    assert_int_equal(am_addr_parse("1.2.3.4\0", 8, &a), 0);
    memset(big, '0', sizeof(big));
    memcpy(big + sizeof(big) - 3, "::1", 3);
    assert_int_equal(am_addr_parse(big, sizeof(big), &a), 0);
    /* A buffer too small fails rather than truncating. */
    am_addr_parse("2001:db8::1", 11, &a);
    assert_int_equal(am_addr_format(&a, big, 5), 0);
    assert_int_equal(am_addr_format(&a, big, 12), 11);
}

static void
u128_helpers(void **state)
{
    struct am_u128 z = { 0, 0 }, m = { UINT64_MAX, UINT64_MAX };
    struct am_u128 a = { 0, UINT64_MAX }, b = { 1, 0 };

    (void) state;
    assert_true(am_u128_eq(am_u128_inc(a), b));
    assert_true(am_u128_eq(am_u128_dec(b), a));
    assert_true(am_u128_eq(am_u128_inc(m), z));
    assert_true(am_u128_eq(am_u128_dec(z), m));
    assert_int_equal(am_u128_cmp(a, b), -1);
    assert_int_equal(am_u128_cmp(b, a), 1);
    assert_int_equal(am_u128_cmp(b, b), 0);
    assert_true(am_u128_eq(am_u128_low_mask(0), z));
    assert_true(am_u128_eq(am_u128_low_mask(128), m));
    assert_true(am_u128_eq(am_u128_low_mask(64), a));
    assert_int_equal(am_u128_low_mask(65).hi, 1);
    assert_int_equal(am_u128_low_mask(32).lo, 0xffffffffu);
    assert_int_equal(am_range_family_max(AM_ADDR_V4).lo, 0xffffffffu);
    assert_int_equal(am_range_family_max(AM_ADDR_V4).hi, 0);
    assert_true(am_u128_eq(am_range_family_max(AM_ADDR_V6), m));
}

/* Network texts: flags, the problem (AM_NET_OK or which check failed), and
 * for success or AM_NET_HOST_BITS the network it denotes as text. */
#define BR AM_NET_ALLOW_BRACKETS
#define RG AM_NET_ALLOW_RANGE
#define WR AM_NET_MASK_WRAP
#define PF (BR | WR)                    /* what a cidr table uses */

static const struct {
    const char *text;
    unsigned flags;
    int want_problem;
    const char *want_net;               /* "lo/prefix" or "lo-hi" */
    int want_kind;
} net_cases[] = {
    { "192.0.2.0/24", 0, AM_NET_OK, "192.0.2.0/24", AM_NET_PREFIX },
    { "192.0.2.1", 0, AM_NET_OK, "192.0.2.1/32", AM_NET_ADDR },
    { "0.0.0.0/0", 0, AM_NET_OK, "0.0.0.0/0", AM_NET_PREFIX },
    { "::/0", 0, AM_NET_OK, "::/0", AM_NET_PREFIX },
    { "2001:db8::/32", 0, AM_NET_OK, "2001:db8::/32", AM_NET_PREFIX },
    { "2001:0DB8:0000::/48", 0, AM_NET_OK, "2001:db8::/48", AM_NET_PREFIX },
    { "2001:db8::1", 0, AM_NET_OK, "2001:db8::1/128", AM_NET_ADDR },
    { "10.0.0.0/08", 0, AM_NET_OK, "10.0.0.0/8", AM_NET_PREFIX },
    { "192.168.1.1/24", PF, AM_NET_HOST_BITS, "192.168.1.0/24", 0 },
    { "2001:db8::1/64", PF, AM_NET_HOST_BITS, "2001:db8::/64", 0 },
    { "::FFFF:1.2.3.0/116", PF, AM_NET_HOST_BITS, "::ffff:1.2.0.0/116", 0 },
    { "1.2.3.4/33", PF, AM_NET_MASK_TOO_LONG, NULL, 0 },
    { "::/129", PF, AM_NET_MASK_TOO_LONG, NULL, 0 },
    { "1.2.3.0/x", PF, AM_NET_BAD_MASK, NULL, 0 },
    { "1.2.3.0/", PF, AM_NET_BAD_MASK, NULL, 0 },
    { "1.2.3.0/+4", PF, AM_NET_BAD_MASK, NULL, 0 },
    { "1.2.3.0/24/5", PF, AM_NET_BAD_MASK, NULL, 0 },
    { "bad/x", PF, AM_NET_BAD_MASK, NULL, 0 },   /* mask checked first */
    { "bad/99", PF, AM_NET_MASK_TOO_LONG, NULL, 0 },
    { "if10.0.0.0/8", PF, AM_NET_BAD_NETWORK, NULL, 0 },
    { "01.2.3.0/24", PF, AM_NET_BAD_NETWORK, NULL, 0 },
    { "999.1.1.1", PF, AM_NET_BAD_ADDRESS, NULL, 0 },
    { "nokey", PF, AM_NET_BAD_ADDRESS, NULL, 0 },
    { "", PF, AM_NET_BAD_ADDRESS, NULL, 0 },
    /* Brackets. */
    { "[192.0.2.1]", PF, AM_NET_OK, "192.0.2.1/32", AM_NET_ADDR },
    { "[2001:db8:1::]/48", PF, AM_NET_OK, "2001:db8:1::/48", AM_NET_PREFIX },
    { "[192.0.2.0/24]", PF, AM_NET_OK, "192.0.2.0/24", AM_NET_PREFIX },
    { "[1.2.3.0/24]/8", PF, AM_NET_BAD_NETWORK, NULL, 0 },
    { "[1.2.3.0]/24/5", PF, AM_NET_BAD_MASK, NULL, 0 },
    { "[1.2.3.4", PF, AM_NET_NO_BRACKET, NULL, 0 },
    { "[1.2.3.4]x", PF, AM_NET_AFTER_BRACKET, NULL, 0 },
    { "[1.2.3.4]]", PF, AM_NET_AFTER_BRACKET, NULL, 0 },
    { "[]", PF, AM_NET_BAD_ADDRESS, NULL, 0 },
    { "[192.0.2.1]", 0, AM_NET_BAD_ADDRESS, NULL, 0 },  /* not allowed */
    /* Postfix's mask arithmetic, and the strict default. */
    { "10.0.0.0/264", PF, AM_NET_OK, "10.0.0.0/8", AM_NET_PREFIX },
    { "0.0.0.0/256", PF, AM_NET_OK, "0.0.0.0/0", AM_NET_PREFIX },
    { "1.2.3.4/256", PF, AM_NET_HOST_BITS, "0.0.0.0/0", 0 },
    { "1.2.3.0/4294967304", PF, AM_NET_HOST_BITS, "1.0.0.0/8", 0 },
    { "1.2.3.0/99999999999999999999", PF, AM_NET_MASK_TOO_LONG, NULL, 0 },
    { "10.0.0.0/264", 0, AM_NET_MASK_TOO_LONG, NULL, 0 },
    { "10.0.0.0/99999999999999999999", 0, AM_NET_MASK_TOO_LONG, NULL, 0 },
    /* Ranges. */
    { "192.0.2.10-192.0.2.99", RG, AM_NET_OK, "192.0.2.10-192.0.2.99",
      AM_NET_RANGE },
    { "2001:db8::-2001:db8::ff", RG, AM_NET_OK, "2001:db8::-2001:db8::ff",
      AM_NET_RANGE },
    { "1.2.3.4-1.2.3.4", RG, AM_NET_OK, "1.2.3.4-1.2.3.4", AM_NET_RANGE },
    { "1.2.3.5-1.2.3.4", RG, AM_NET_RANGE_ORDER, NULL, 0 },
    { "1.2.3.4-::1", RG, AM_NET_RANGE_FAMILY, NULL, 0 },
    { "1.2.3.4-", RG, AM_NET_BAD_RANGE, NULL, 0 },
    { "-1.2.3.4", RG, AM_NET_BAD_RANGE, NULL, 0 },
    { "1.2.3.4-1.2.3.5-1.2.3.6", RG, AM_NET_BAD_RANGE, NULL, 0 },
    { "1.2.3.4-1.2.3.5", 0, AM_NET_BAD_ADDRESS, NULL, 0 },
    { "1.2.3.0-1.2.3.9/24", RG, AM_NET_BAD_NETWORK, NULL, 0 },
};

/* The text of a parsed network, as the table above writes it. */
static void
describe(const struct am_net *net, char *buf, size_t size)
{
    struct am_addr lo, hi;
    size_t n;

    if (net->kind == AM_NET_RANGE) {
        am_addr_from_u128(net->range.family, net->range.lo, &lo);
        am_addr_from_u128(net->range.family, net->range.hi, &hi);
        n = am_addr_format(&lo, buf, size);
        buf[n++] = '-';
        am_addr_format(&hi, buf + n, size - n);
    } else {
        assert_int_not_equal(am_net_format(&net->range, net->prefix, buf,
                                           size), 0);
    }
}

static void
networks_parse_with_postfix_checks(void **state)
{
    char got[2 * AM_ADDR_STRLEN];
    struct am_net net;
    struct am_error err;
    size_t i;
    int r;

    (void) state;
    for (i = 0; i < sizeof(net_cases) / sizeof(net_cases[0]); i++) {
        const char *text = net_cases[i].text;

        am_error_clear(&err);
        r = am_net_parse(text, strlen(text), net_cases[i].flags, &net, &err);
        if (net.problem != net_cases[i].want_problem)
            fail_msg("\"%s\": problem %d, want %d (%s)", text, net.problem,
                     net_cases[i].want_problem, err.msg);
        if (net_cases[i].want_problem == AM_NET_OK) {
            assert_int_equal(r, 0);
            assert_int_equal(net.kind, net_cases[i].want_kind);
        } else {
            assert_int_equal(r, AM_ERR_SYNTAX);
            assert_int_equal(err.code, AM_ERR_SYNTAX);
            /* The message quotes the text. */
            if (strstr(err.msg, text) == NULL)
                fail_msg("\"%s\": message does not quote it: %s", text,
                         err.msg);
        }
        if (net_cases[i].want_net != NULL) {
            describe(&net, got, sizeof(got));
            if (strcmp(got, net_cases[i].want_net) != 0)
                fail_msg("\"%s\": got %s, want %s", text, got,
                         net_cases[i].want_net);
        }
        if (net.problem == AM_NET_HOST_BITS && strstr(err.msg, got) == NULL)
            fail_msg("\"%s\": suggestion missing: %s", text, err.msg);
    }
}

static void
wrapped_masks_are_flagged(void **state)
{
    struct am_net net;
    struct am_error err;

    (void) state;
    assert_int_equal(am_net_parse("10.0.0.0/264", 12, PF, &net, &err), 0);
    assert_int_equal(net.prefix, 8);
    assert_int_equal(net.mask_wrapped, 1);
    assert_int_equal(am_net_parse("10.0.0.0/008", 12, PF, &net, &err), 0);
    assert_int_equal(net.prefix, 8);
    assert_int_equal(net.mask_wrapped, 0);
}

static void
messages_quote_safely(void **state)
{
    char text[400];
    struct am_net net;
    struct am_error err;

    (void) state;
    memset(text, 'x', sizeof(text));
    text[5] = '\n';
    text[6] = '\0';
    assert_int_equal(am_net_parse(text, sizeof(text), PF, &net, &err),
                     AM_ERR_SYNTAX);
    assert_int_equal(net.problem, AM_NET_BAD_ADDRESS);
    assert_non_null(strstr(err.msg, "xxxxx??xxx"));
    assert_non_null(strstr(err.msg, "...\""));
    assert_true(strlen(err.msg) < 250);
}

static void
partial_keys_are_octet_prefixes(void **state)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        { "10", "10.0.0.0/8" },
        { "10.1", "10.1.0.0/16" },
        { "192.0.2", "192.0.2.0/24" },
        { "0", "0.0.0.0/8" },
        { "255.255.255", "255.255.255.0/24" },
        { "1.2.3.4", NULL },            /* a whole address, not partial */
        { "010", NULL },
        { "10.01", NULL },
        { "256", NULL },
        { "10.", NULL },
        { ".10", NULL },
        { "10..1", NULL },
        { "", NULL },
        { "2001:db8", NULL },
        { "10.1/16", NULL },
        { "a", NULL },
    };
    char got[AM_ADDR_STRLEN];
    struct am_net net;
    size_t i;
    int r;

    (void) state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = am_net_parse_partial(cases[i].text, strlen(cases[i].text), &net);
        if (r != (cases[i].want != NULL))
            fail_msg("\"%s\": %d", cases[i].text, r);
        if (r) {
            am_net_format(&net.range, net.prefix, got, sizeof(got));
            assert_string_equal(got, cases[i].want);
        }
    }
}

static struct am_range
v4range(uint32_t lo, uint32_t hi)
{
    struct am_range r;

    r.family = AM_ADDR_V4;
    r.lo.hi = r.hi.hi = 0;
    r.lo.lo = lo;
    r.hi.lo = hi;
    return r;
}

static void
complement_and_intersection(void **state)
{
    struct am_range out[2], x, a, b;
    struct am_addr addr;

    (void) state;
    a = v4range(10, 20);
    assert_int_equal(am_range_complement(&a, out), 2);
    assert_int_equal(out[0].lo.lo, 0);
    assert_int_equal(out[0].hi.lo, 9);
    assert_int_equal(out[1].lo.lo, 21);
    assert_int_equal(out[1].hi.lo, 0xffffffffu);
    a = v4range(0, 0xffffffffu);
    assert_int_equal(am_range_complement(&a, out), 0);
    a = v4range(0, 5);
    assert_int_equal(am_range_complement(&a, out), 1);
    assert_int_equal(out[0].lo.lo, 6);

    /* IPv6 complement crosses the 64-bit halves. */
    am_addr_parse("::1:0:0:0:0", 11, &addr);
    am_range_of_prefix(&addr, 64, &a);
    assert_int_equal(am_range_complement(&a, out), 2);
    assert_int_equal(out[0].hi.hi, 0);
    assert_int_equal(out[0].hi.lo, UINT64_MAX);
    assert_int_equal(out[1].lo.hi, 2);
    assert_int_equal(out[1].lo.lo, 0);

    a = v4range(10, 20);
    b = v4range(15, 30);
    assert_int_equal(am_range_intersect(&a, &b, &x), 1);
    assert_int_equal(x.lo.lo, 15);
    assert_int_equal(x.hi.lo, 20);
    b = v4range(21, 30);
    assert_int_equal(am_range_intersect(&a, &b, &x), 0);
    b = a;
    b.family = AM_ADDR_V6;
    assert_int_equal(am_range_intersect(&a, &b, &x), 0);
    assert_int_equal(am_range_contains(&a, (struct am_u128){ 0, 10 }), 1);
    assert_int_equal(am_range_contains(&a, (struct am_u128){ 0, 21 }), 0);
}

/* Check a decomposition: ascending, contiguous, aligned, exact cover, and
 * no two neighbours that could merge into one block. */
static void
check_cidrs(const struct am_range *r, const struct am_net *b, size_t n)
{
    unsigned bits = am_addr_bits(r->family);
    struct am_u128 next = r->lo, mask;
    size_t i;

    assert_true(n >= 1);
    for (i = 0; i < n; i++) {
        assert_int_equal(b[i].range.family, r->family);
        assert_true(am_u128_eq(b[i].range.lo, next));
        mask = am_u128_low_mask(bits - b[i].prefix);
        assert_int_equal(b[i].range.lo.hi & mask.hi, 0);
        assert_int_equal(b[i].range.lo.lo & mask.lo, 0);
        assert_int_equal(b[i].range.hi.hi, b[i].range.lo.hi | mask.hi);
        assert_int_equal(b[i].range.hi.lo, b[i].range.lo.lo | mask.lo);
        if (i > 0 && b[i].prefix == b[i - 1].prefix && b[i].prefix > 0) {
            /* Siblings of one parent would have been merged. */
            struct am_u128 pm = am_u128_low_mask(bits - b[i].prefix + 1);
            assert_false((b[i - 1].range.lo.hi & pm.hi) == 0
                         && (b[i - 1].range.lo.lo & pm.lo) == 0);
        }
        next = am_u128_inc(b[i].range.hi);
    }
    assert_true(am_u128_eq(b[n - 1].range.hi, r->hi));
}

static void
ranges_decompose_into_fewest_cidrs(void **state)
{
    struct am_net blocks[AM_RANGE_MAX_CIDRS];
    struct am_range r;
    struct am_addr a, z;
    unsigned seed = 12345;
    size_t n;
    int i;

    (void) state;
    r = v4range(0, 0xffffffffu);
    assert_int_equal(am_range_to_cidrs(&r, blocks, AM_RANGE_MAX_CIDRS), 1);
    assert_int_equal(blocks[0].prefix, 0);
    r = v4range(1, 0xfffffffeu);        /* worst case for IPv4 */
    n = am_range_to_cidrs(&r, blocks, AM_RANGE_MAX_CIDRS);
    assert_int_equal(n, 62);
    check_cidrs(&r, blocks, n);
    r = v4range(0xc000020a, 0xc0000263);  /* 192.0.2.10-192.0.2.99 */
    n = am_range_to_cidrs(&r, blocks, AM_RANGE_MAX_CIDRS);
    check_cidrs(&r, blocks, n);
    assert_int_equal(n, 6);   /* 10/31 12/30 16/28 32/27 64/27 96/30 */
    /* Writing stops at max but the count is complete. */
    assert_int_equal(am_range_to_cidrs(&r, blocks, 2), 6);
    /* Whole and worst-case IPv6. */
    am_addr_parse("::", 2, &z);
    am_range_of_prefix(&z, 0, &r);
    assert_int_equal(am_range_to_cidrs(&r, blocks, AM_RANGE_MAX_CIDRS), 1);
    r.lo = am_u128_inc(r.lo);
    r.hi = am_u128_dec(r.hi);
    n = am_range_to_cidrs(&r, blocks, AM_RANGE_MAX_CIDRS);
    assert_int_equal(n, AM_RANGE_MAX_CIDRS);
    check_cidrs(&r, blocks, n);
    r.lo = r.hi;
    assert_int_equal(am_range_to_cidrs(&r, blocks, AM_RANGE_MAX_CIDRS), 1);
    assert_int_equal(blocks[0].prefix, 128);
    /* Random ranges of both families. */
    for (i = 0; i < 2000; i++) {
        struct am_u128 x, y;

        x.hi = ((uint64_t) rand_r(&seed) << 33) ^ (uint64_t) rand_r(&seed);
        x.lo = ((uint64_t) rand_r(&seed) << 33) ^ (uint64_t) rand_r(&seed);
        y = x;
        y.lo += (uint64_t) rand_r(&seed) << (rand_r(&seed) % 40);
        if (y.lo < x.lo)
            y.hi++;
        if (i % 2 == 0) {
            x.hi = y.hi = 0;
            x.lo &= 0xffffffffu;
            y.lo = x.lo + (y.lo & 0xffffff);
            if (y.lo > 0xffffffffu)
                y.lo = 0xffffffffu;
            r.family = AM_ADDR_V4;
        } else {
            r.family = AM_ADDR_V6;
            if (am_u128_cmp(y, x) < 0)
                y = x;
        }
        r.lo = x;
        r.hi = y;
        n = am_range_to_cidrs(&r, blocks, AM_RANGE_MAX_CIDRS);
        assert_true(n <= AM_RANGE_MAX_CIDRS);
        check_cidrs(&r, blocks, n);
    }
    /* A prefix's interval is itself a single block. */
    am_addr_parse("2001:db8::", 10, &a);
    am_range_of_prefix(&a, 32, &r);
    assert_int_equal(am_range_to_cidrs(&r, blocks, 1), 1);
    assert_int_equal(blocks[0].prefix, 32);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addresses_parse_and_format_like_inet_ntop),
        cmocka_unit_test(address_text_is_bounded_by_length),
        cmocka_unit_test(ipv4_parse_agrees_with_inet_pton),
        cmocka_unit_test(ipv6_parse_agrees_with_inet_pton),
        cmocka_unit_test(u128_helpers),
        cmocka_unit_test(networks_parse_with_postfix_checks),
        cmocka_unit_test(wrapped_masks_are_flagged),
        cmocka_unit_test(messages_quote_safely),
        cmocka_unit_test(partial_keys_are_octet_prefixes),
        cmocka_unit_test(complement_and_intersection),
        cmocka_unit_test(ranges_decompose_into_fewest_cidrs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
