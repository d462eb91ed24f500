/* addr.c - IP addresses, networks and ranges; see addr.h.
 *
 * Addresses are read exactly as the C library's inet_pton() reads them and
 * written with its inet_ntop(), because those are what Postfix uses: any
 * other parser would accept or reject different texts (libcidr, for one,
 * takes "1.2.3" and octal "010.1.1.1") and any other formatter would
 * produce keys Postfix never looks up.  The parsing is done by hand, since
 * every lookup of a client parses an address and the library's parser
 * costs several times more; the tests hold it to inet_pton() on millions
 * of texts.  Network syntax is checked in the order of Postfix's
 * cidr_match_parse(), so that the first problem reported is the same.
 */
#include "formats/addr.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Longest text inet_pton() can accept, with room to spare:
 * "0000:0000:0000:0000:0000:0000:255.255.255.255" is 45 bytes. */
#define ADDR_TEXT_MAX 63

/* How much of an offending text a message quotes. */
#define QUOTE_MAX 120

/* A dotted quad as inet_pton(AF_INET) takes it: four decimal octets up to
 * 255, no leading zeros, nothing else.  By hand because every client
 * lookup parses one, and the library call costs several times more. */
static int
parse_ipv4(const char *p, const char *end, unsigned char *out)
{
    unsigned octet, v, d;

    for (octet = 0; octet < 4; octet++) {
        if (octet > 0 && (p == end || *p++ != '.'))
            return 0;
        if (p == end || (v = (unsigned) (unsigned char) *p - '0') > 9)
            return 0;
        p++;
        if (p < end && (d = (unsigned) (unsigned char) *p - '0') <= 9) {
            if (v == 0)
                return 0;       /* a leading zero */
            v = v * 10 + d;
            p++;
            if (p < end && (d = (unsigned) (unsigned char) *p - '0') <= 9) {
                v = v * 10 + d;
                p++;
                if (v > 255)
                    return 0;
            }
        }
        out[octet] = (unsigned char) v;
    }
    return p == end;
}

/* Hex digit values, and 16 for anything else: one load per character
 * instead of range tests the processor would mispredict. */
#define NOT_HEX 16
#define H16 NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, \
    NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, \
    NOT_HEX
static const unsigned char hex_value[256] = {
    H16, H16, H16,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX,
    NOT_HEX, NOT_HEX,
    NOT_HEX, 10, 11, 12, 13, 14, 15, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX,
    NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, H16,
    NOT_HEX, 10, 11, 12, 13, 14, 15, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX,
    NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, NOT_HEX, H16,
    H16, H16, H16, H16, H16, H16, H16, H16,
};

/* IPv6 text as inet_pton(AF_INET6) takes it: groups of one to four hex
 * digits separated by colons, one "::" at most standing for one or more
 * zero groups, and an optional dotted quad in place of the last two
 * groups. */
static int
parse_ipv6(const char *p, const char *end, unsigned char *out)
{
    unsigned char b[16];
    const char *group = p;      /* where the current group began */
    size_t n = 0, gap = SIZE_MAX, tail;
    unsigned v = 0, digits = 0, d;

    if (p < end && *p == ':') {
        if (end - p < 2 || p[1] != ':')
            return 0;           /* one leading colon */
        p++;                    /* the other opens the gap below */
    }
    while (p < end) {
        char c = *p++;

        if ((d = hex_value[(unsigned char) c]) != NOT_HEX) {
            if (digits == 4)
                return 0;
            v = v << 4 | d;
            digits++;
        } else if (c == ':') {
            group = p;
            if (digits == 0) {
                if (gap != SIZE_MAX)
                    return 0;   /* a second "::" */
                gap = n;
                continue;
            }
            if (p == end || n + 2 > 16)
                return 0;       /* a trailing colon, or too many groups */
            b[n++] = (unsigned char) (v >> 8);
            b[n++] = (unsigned char) v;
            v = digits = 0;
        } else if (c == '.' && n + 4 <= 16 && parse_ipv4(group, end, b + n)) {
            n += 4;
            digits = 0;
            break;
        } else {
            return 0;
        }
    }
    if (digits > 0) {
        if (n + 2 > 16)
            return 0;
        b[n++] = (unsigned char) (v >> 8);
        b[n++] = (unsigned char) v;
    }
    if (gap != SIZE_MAX) {
        if (n == 16)
            return 0;           /* "::" must stand for something */
        tail = n - gap;
        memmove(b + 16 - tail, b + gap, tail);
        memset(b + gap, 0, 16 - tail - gap);
        n = 16;
    }
    if (n != 16)
        return 0;
    memcpy(out, b, 16);
    return 1;
}

int
am_addr_parse(const char *text, size_t len, struct am_addr *a)
{
    if (len == 0 || len > ADDR_TEXT_MAX || memchr(text, '\0', len) != NULL)
        return 0;
    if (memchr(text, ':', len) == NULL) {
        memset(a, 0, sizeof(*a));
        if (!parse_ipv4(text, text + len, a->b))
            return 0;
        a->family = AM_ADDR_V4;
        return 1;
    }
    memset(a, 0, sizeof(*a));
    if (!parse_ipv6(text, text + len, a->b))
        return 0;
    a->family = AM_ADDR_V6;
    return 1;
}

size_t
am_addr_format(const struct am_addr *a, char *buf, size_t size)
{
    int family;

    if (a->family == AM_ADDR_V4)
        family = AF_INET;
    else if (a->family == AM_ADDR_V6)
        family = AF_INET6;
    else
        return 0;
    if (size > (size_t) 0x7fffffff)
        size = 0x7fffffff;
    if (inet_ntop(family, a->b, buf, (socklen_t) size) == NULL)
        return 0;
    return strlen(buf);
}

struct am_u128
am_addr_to_u128(const struct am_addr *a)
{
    struct am_u128 v = { 0, 0 };
    int i;

    if (a->family == AM_ADDR_V4) {
        v.lo = (uint64_t) a->b[0] << 24 | (uint64_t) a->b[1] << 16
            | (uint64_t) a->b[2] << 8 | a->b[3];
    } else {
        for (i = 0; i < 8; i++)
            v.hi = v.hi << 8 | a->b[i];
        for (i = 8; i < 16; i++)
            v.lo = v.lo << 8 | a->b[i];
    }
    return v;
}

void
am_addr_from_u128(int family, struct am_u128 v, struct am_addr *a)
{
    int i;

    memset(a, 0, sizeof(*a));
    a->family = (unsigned char) family;
    if (family == AM_ADDR_V4) {
        for (i = 3; i >= 0; i--, v.lo >>= 8)
            a->b[i] = (unsigned char) v.lo;
    } else {
        for (i = 15; i >= 8; i--, v.lo >>= 8)
            a->b[i] = (unsigned char) v.lo;
        for (i = 7; i >= 0; i--, v.hi >>= 8)
            a->b[i] = (unsigned char) v.hi;
    }
}

struct am_u128
am_range_family_max(int family)
{
    return am_u128_low_mask(am_addr_bits(family));
}

void
am_range_of_prefix(const struct am_addr *addr, unsigned prefix,
                   struct am_range *r)
{
    unsigned bits = am_addr_bits(addr->family);
    struct am_u128 v = am_addr_to_u128(addr);
    struct am_u128 host = am_u128_low_mask(bits - prefix);

    r->family = addr->family;
    r->lo.hi = v.hi & ~host.hi;
    r->lo.lo = v.lo & ~host.lo;
    r->hi.hi = r->lo.hi | host.hi;
    r->hi.lo = r->lo.lo | host.lo;
}

int
am_range_contains(const struct am_range *r, struct am_u128 v)
{
    return am_u128_cmp(r->lo, v) <= 0 && am_u128_cmp(v, r->hi) <= 0;
}

size_t
am_range_complement(const struct am_range *r, struct am_range out[2])
{
    struct am_u128 max = am_range_family_max(r->family);
    size_t n = 0;

    if (r->lo.hi != 0 || r->lo.lo != 0) {
        out[n].family = r->family;
        out[n].lo.hi = out[n].lo.lo = 0;
        out[n].hi = am_u128_dec(r->lo);
        n++;
    }
    if (!am_u128_eq(r->hi, max)) {
        out[n].family = r->family;
        out[n].lo = am_u128_inc(r->hi);
        out[n].hi = max;
        n++;
    }
    return n;
}

int
am_range_intersect(const struct am_range *a, const struct am_range *b,
                   struct am_range *out)
{
    if (a->family != b->family)
        return 0;
    out->family = a->family;
    out->lo = am_u128_cmp(a->lo, b->lo) >= 0 ? a->lo : b->lo;
    out->hi = am_u128_cmp(a->hi, b->hi) <= 0 ? a->hi : b->hi;
    return am_u128_cmp(out->lo, out->hi) <= 0;
}

/* Number of trailing zero bits of v; 128 for zero. */
static unsigned
count_trailing_zeros(struct am_u128 v)
{
    if (v.lo != 0)
        return (unsigned) __builtin_ctzll(v.lo);
    if (v.hi != 0)
        return 64 + (unsigned) __builtin_ctzll(v.hi);
    return 128;
}

/* floor(log2(v)) for v != 0. */
static unsigned
floor_log2(struct am_u128 v)
{
    if (v.hi != 0)
        return 127 - (unsigned) __builtin_clzll(v.hi);
    return 63 - (unsigned) __builtin_clzll(v.lo);
}

size_t
am_range_to_cidrs(const struct am_range *r, struct am_net *out, size_t max)
{
    unsigned bits = am_addr_bits(r->family);
    struct am_u128 lo = r->lo, span, end;
    unsigned k, fit;
    size_t n = 0;

    if (bits == 0 || am_u128_cmp(r->lo, r->hi) > 0)
        return 0;
    for (;;) {
        /* The biggest block that starts at lo and ends by hi: aligned on
         * lo's trailing zeros and no larger than hi - lo + 1. */
        k = count_trailing_zeros(lo);
        if (k > bits)
            k = bits;
        span = am_u128_inc(am_u128_sub(r->hi, lo));
        fit = (span.hi == 0 && span.lo == 0) ? 128 : floor_log2(span);
        if (fit < k)
            k = fit;
        if (n < max) {
            out[n].kind = AM_NET_PREFIX;
            out[n].prefix = (unsigned char) (bits - k);
            out[n].problem = AM_NET_OK;
            out[n].mask_wrapped = 0;
            out[n].range.family = r->family;
            out[n].range.lo = lo;
            end = am_u128_low_mask(k);
            out[n].range.hi.hi = lo.hi | end.hi;
            out[n].range.hi.lo = lo.lo | end.lo;
        }
        n++;
        end = am_u128_low_mask(k);
        end.hi |= lo.hi;
        end.lo |= lo.lo;
        if (am_u128_cmp(end, r->hi) >= 0)
            break;
        lo = am_u128_inc(end);
    }
    return n;
}

int
am_net_parse_partial(const char *text, size_t len, struct am_net *net)
{
    unsigned parts = 0, octet, digits;
    uint32_t v = 0;
    size_t i = 0;
    struct am_addr a;

    for (;;) {
        for (octet = 0, digits = 0; i < len && text[i] >= '0'
             && text[i] <= '9'; i++, digits++) {
            if (digits > 0 && octet == 0)
                return 0;                       /* leading zero */
            octet = octet * 10 + (unsigned) (text[i] - '0');
            if (octet > 255)
                return 0;
        }
        if (digits == 0 || ++parts > 3)
            return 0;
        v = v << 8 | octet;
        if (i == len)
            break;
        if (text[i++] != '.')
            return 0;
    }
    memset(net, 0, sizeof(*net));
    am_addr_from_u128(AM_ADDR_V4, (struct am_u128){ 0, (uint64_t) v
                                                     << (8 * (4 - parts)) },
                      &a);
    net->kind = AM_NET_PREFIX;
    net->prefix = (unsigned char) (8 * parts);
    am_range_of_prefix(&a, net->prefix, &net->range);
    return 1;
}

size_t
am_net_format(const struct am_range *r, unsigned prefix, char *buf,
              size_t size)
{
    struct am_addr a;
    size_t n;
    int m;

    am_addr_from_u128(r->family, r->lo, &a);
    if ((n = am_addr_format(&a, buf, size)) == 0)
        return 0;
    m = snprintf(buf + n, size - n, "/%u", prefix);
    if (m < 0 || (size_t) m >= size - n)
        return 0;
    return n + (size_t) m;
}

/* Copy text into dst for quoting in a message: printable ASCII kept, other
 * bytes shown as '?', long texts cut with "...". */
static const char *
quote(char *dst, size_t size, const char *text, size_t len)
{
    size_t i, show = len;

    if (show > QUOTE_MAX)
        show = QUOTE_MAX;
    if (show > size - 4)
        show = size - 4;
    for (i = 0; i < show; i++) {
        unsigned char c = (unsigned char) text[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
    }
    if (show < len) {
        memcpy(dst + show, "...", 3);
        show += 3;
    }
    dst[show] = '\0';
    return dst;
}

/* Read a mask of digits into *val, saturating at INT64_MAX (a stand-in for
 * strtol()'s LONG_MAX).  Returns -1 if the text is empty or has a
 * non-digit, as Postfix's alldig() test. */
static int
parse_mask(const char *p, size_t len, uint64_t *val)
{
    uint64_t v = 0;
    size_t i;

    if (len == 0)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned d = (unsigned) ((unsigned char) p[i] - '0');

        if (d > 9)
            return -1;
        v = v > ((uint64_t) INT64_MAX - d) / 10 ? (uint64_t) INT64_MAX
            : v * 10 + d;
    }
    *val = v;
    return 0;
}

static int
fail(struct am_net *net, int problem, struct am_error *err, const char *fmt,
     ...) __attribute__((format(printf, 4, 5)));

static int
fail(struct am_net *net, int problem, struct am_error *err, const char *fmt,
     ...)
{
    va_list ap;

    net->problem = (unsigned char) problem;
    va_start(ap, fmt);
    am_error_vset(err, AM_ERR_SYNTAX, fmt, ap);
    va_end(ap);
    return AM_ERR_SYNTAX;
}

static int
parse_range(const char *text, size_t len, const char *dash,
            struct am_net *net, const char *shown, struct am_error *err)
{
    struct am_addr first, last;

    if (!am_addr_parse(text, (size_t) (dash - text), &first)
        || !am_addr_parse(dash + 1, len - (size_t) (dash + 1 - text), &last))
        return fail(net, AM_NET_BAD_RANGE, err,
                    "bad range \"%s\": expected two IPv4 or two IPv6 "
                    "addresses joined by \"-\"", shown);
    if (first.family != last.family)
        return fail(net, AM_NET_RANGE_FAMILY, err,
                    "range \"%s\" mixes IPv4 and IPv6", shown);
    net->range.family = first.family;
    net->range.lo = am_addr_to_u128(&first);
    net->range.hi = am_addr_to_u128(&last);
    if (am_u128_cmp(net->range.lo, net->range.hi) > 0)
        return fail(net, AM_NET_RANGE_ORDER, err,
                    "range \"%s\" starts above its end", shown);
    net->kind = AM_NET_RANGE;
    net->prefix = 0;
    return 0;
}

int
am_net_parse(const char *text, size_t len, unsigned flags,
             struct am_net *net, struct am_error *err)
{
    char shown[QUOTE_MAX + 4], suggest[AM_ADDR_STRLEN];
    const char *addr = text, *mask = NULL, *close, *slash, *dash;
    size_t addr_len = len, mask_len = 0;
    struct am_addr a;
    struct am_range exact;
    unsigned bits, prefix;
    uint64_t raw;
    int family;

    memset(net, 0, sizeof(*net));
    quote(shown, sizeof(shown), text, len);

    /* Brackets: "[addr]", "[addr/N]" or "[addr]/N"; the mask is looked for
     * after the ']' when a '/' follows it, else inside the brackets. */
    if ((flags & AM_NET_ALLOW_BRACKETS) && len > 0 && text[0] == '[') {
        addr = text + 1;
        close = memchr(addr, ']', len - 1);
        if (close == NULL)
            return fail(net, AM_NET_NO_BRACKET, err,
                        "missing \"]\" in \"%s\"", shown);
        addr_len = (size_t) (close - addr);
        if (close + 1 < text + len && close[1] == '/') {
            mask = close + 2;
            mask_len = len - (size_t) (mask - text);
        } else if (close + 1 < text + len) {
            return fail(net, AM_NET_AFTER_BRACKET, err,
                        "unexpected text after \"]\" in \"%s\"", shown);
        }
    }
    if (mask == NULL && (slash = memchr(addr, '/', addr_len)) != NULL) {
        mask = slash + 1;
        mask_len = addr_len - (size_t) (mask - addr);
        addr_len = (size_t) (slash - addr);
    }

    if (mask == NULL) {
        if ((flags & AM_NET_ALLOW_RANGE) && addr == text
            && (dash = memchr(text, '-', len)) != NULL)
            return parse_range(text, len, dash, net, shown, err);
        if (!am_addr_parse(addr, addr_len, &a))
            return fail(net, AM_NET_BAD_ADDRESS, err,
                        "bad address \"%s\": expected an IPv4 or IPv6 "
                        "address or network", shown);
        net->kind = AM_NET_ADDR;
        net->prefix = (unsigned char) am_addr_bits(a.family);
        am_range_of_prefix(&a, net->prefix, &net->range);
        return 0;
    }

    /* address/mask, checked in Postfix's order. */
    family = memchr(addr, ':', addr_len) != NULL ? AM_ADDR_V6 : AM_ADDR_V4;
    bits = am_addr_bits(family);
    if (parse_mask(mask, mask_len, &raw) < 0)
        return fail(net, AM_NET_BAD_MASK, err,
                    "bad mask in \"%s\": expected a decimal prefix length "
                    "after \"/\"", shown);
    /* Postfix stores atoi()'s result in an unsigned char: the number is
     * taken modulo 256, and strtol() saturates one beyond LONG_MAX, whose
     * low byte is 255. */
    if (flags & AM_NET_MASK_WRAP)
        prefix = (unsigned) (raw & 0xff);
    else
        prefix = raw > 255 ? 256 : (unsigned) raw;
    if (prefix > bits)
        return fail(net, AM_NET_MASK_TOO_LONG, err,
                    "prefix length in \"%s\" is more than %u bits for an "
                    "%s network", shown, bits,
                    family == AM_ADDR_V6 ? "IPv6" : "IPv4");
    if (!am_addr_parse(addr, addr_len, &a) || a.family != family)
        return fail(net, AM_NET_BAD_NETWORK, err,
                    "bad network address in \"%s\": expected an IPv4 or "
                    "IPv6 address before \"/\"", shown);
    net->kind = AM_NET_PREFIX;
    net->prefix = (unsigned char) prefix;
    net->mask_wrapped = raw != prefix;
    am_range_of_prefix(&a, prefix, &net->range);
    exact.lo = am_addr_to_u128(&a);
    if (!am_u128_eq(exact.lo, net->range.lo)) {
        if (am_net_format(&net->range, prefix, suggest, sizeof(suggest)) == 0)
            suggest[0] = '\0';
        return fail(net, AM_NET_HOST_BITS, err,
                    "\"%s\" has host bits set after the /%u prefix; use "
                    "\"%s\"", shown, prefix, suggest);
    }
    return 0;
}
