/* addr.h - IP addresses, networks and ranges: parse, format, arithmetic.
 *
 * The one place that turns address text into values and back.  Parsing
 * follows Postfix's cidr code: the text is IPv6 when it contains ':', and is
 * read with inet_pton (so IPv4 needs four decimal parts without leading
 * zeros).  Formatting gives the form Postfix looks up (inet_ntop's).  Every
 * network or range is also an inclusive interval [lo, hi] of 128-bit
 * numbers of one family.  Everything here works on caller storage.
 */
#ifndef AM_FORMATS_ADDR_H
#define AM_FORMATS_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "formats/error.h"

#define AM_ADDR_V4 4
#define AM_ADDR_V6 6

/* Room for any text am_addr_format() or am_net_format() writes, NUL
 * included ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128"). */
#define AM_ADDR_STRLEN 52

/* An address: family 4 or 6, bytes in network order (IPv4 in b[0..3],
 * the rest zero). */
struct am_addr {
    unsigned char family;
    unsigned char b[16];
};

/* An unsigned 128-bit number.  An IPv4 address is its 32-bit value in lo
 * (hi = 0); an IPv6 address is its 128 bits, hi first. */
struct am_u128 {
    uint64_t hi;
    uint64_t lo;
};

/* An inclusive interval of addresses of one family. */
struct am_range {
    unsigned char family;
    struct am_u128 lo;
    struct am_u128 hi;
};

/* What a network text denoted. */
enum {
    AM_NET_ADDR = 1,            /* a bare address: prefix is all bits */
    AM_NET_PREFIX = 2,          /* address/prefix */
    AM_NET_RANGE = 3,           /* first-last (only with AM_NET_ALLOW_RANGE) */
};

/* Why a network text was refused (struct am_net.problem).  The first six
 * correspond one to one to the warnings of Postfix's cidr_match_parse(). */
enum {
    AM_NET_OK = 0,
    AM_NET_BAD_MASK,            /* mask empty or not all digits */
    AM_NET_MASK_TOO_LONG,       /* mask longer than the address */
    AM_NET_BAD_NETWORK,         /* text before '/' is not an address */
    AM_NET_BAD_ADDRESS,         /* no '/' and not an address */
    AM_NET_HOST_BITS,           /* bits set after the mask */
    AM_NET_NO_BRACKET,          /* '[' without ']' */
    AM_NET_AFTER_BRACKET,       /* text after ']' that is not "/mask" */
    AM_NET_BAD_RANGE,           /* a range end is not an address */
    AM_NET_RANGE_FAMILY,        /* range ends of different families */
    AM_NET_RANGE_ORDER,         /* range start above its end */
};

/* Flags for am_net_parse(). */
enum {
    AM_NET_ALLOW_BRACKETS = 1 << 0, /* [addr], [addr]/N, [addr/N] */
    AM_NET_ALLOW_RANGE = 1 << 1,    /* first-last */
    AM_NET_MASK_WRAP = 1 << 2,      /* read the mask as Postfix does (below) */
};

/* A parsed network text.  On success range is what it covers.  On failure
 * problem says which check failed; for AM_NET_HOST_BITS, range and prefix
 * describe the network the text probably meant (host bits cleared). */
struct am_net {
    unsigned char kind;         /* AM_NET_ADDR, AM_NET_PREFIX, AM_NET_RANGE */
    unsigned char prefix;       /* prefix length; all bits for ADDR, 0 RANGE */
    unsigned char problem;      /* AM_NET_OK or the failed check */
    unsigned char mask_wrapped; /* AM_NET_MASK_WRAP changed the mask */
    struct am_range range;      /* range.family is the family */
};

/* ---- addresses ---- */

/* Parse [text, text+len) as one address, IPv6 if it contains ':'.  Returns 1
 * and fills *a, or 0 when the text is not an address (no error details:
 * that is an answer, not a failure). */
int am_addr_parse(const char *text, size_t len, struct am_addr *a);

/* Write the canonical text of a (dotted quad; compressed lower-case IPv6 as
 * inet_ntop writes it, "::ffff:1.2.3.4" included) into buf, which has size
 * bytes (AM_ADDR_STRLEN is enough).  Returns the length, or 0 if it does
 * not fit or the family is unknown. */
size_t am_addr_format(const struct am_addr *a, char *buf, size_t size);

/* Number of bits of a family: 32, 128, or 0 when unknown. */
static inline unsigned
am_addr_bits(int family)
{
    return family == AM_ADDR_V4 ? 32 : family == AM_ADDR_V6 ? 128 : 0;
}

/* Conversions between an address and its number (see struct am_u128). */
struct am_u128 am_addr_to_u128(const struct am_addr *a);
void am_addr_from_u128(int family, struct am_u128 v, struct am_addr *a);

/* ---- networks and ranges ---- */

/* Parse a network text of length len: an address, "address/N" and, as
 * flags allow, bracket forms and "first-last" ranges.  Checks are made in
 * Postfix's order (mask digits, mask length, address, host bits).  Returns
 * 0 and fills *net, or AM_ERR_SYNTAX with net->problem set and err saying
 * what is wrong (quoting the text; the caller adds where).
 *
 * AM_NET_MASK_WRAP reproduces how Postfix 3.7 on LP64 reads a mask: the
 * decimal number is kept modulo 256 (a number beyond LONG_MAX counts as
 * 255), so "10.0.0.0/264" means /8.  net->mask_wrapped then says so.
 * Without the flag such masks are AM_NET_MASK_TOO_LONG. */
int am_net_parse(const char *text, size_t len, unsigned flags,
                 struct am_net *net, struct am_error *err);

/* Is [text, text+len) a Postfix partial IPv4 key, the text smtpd looks up
 * after cutting a client address at its last dots: one to three decimal
 * octets ("10", "10.1", "10.1.2"), each 0-255 with no leading zero, as in
 * the canonical address?  Returns 1 and sets *net to the /8, /16 or /24
 * the key stands for (kind AM_NET_PREFIX), else 0.  (IPv6 partial keys are
 * cut from compressed text and stand for no network; they are not taken.)
 */
int am_net_parse_partial(const char *text, size_t len, struct am_net *net);

/* Write "addr/prefix" for a network of the given family and start. */
size_t am_net_format(const struct am_range *r, unsigned prefix, char *buf,
                     size_t size);

/* The interval of addr/prefix; host bits of addr are ignored.
 * prefix must not exceed the family's bits. */
void am_range_of_prefix(const struct am_addr *addr, unsigned prefix,
                        struct am_range *r);

/* The largest address of a family as a number (the smallest is 0). */
struct am_u128 am_range_family_max(int family);

/* Is v inside r?  (Both of r's family; the caller compares families.) */
int am_range_contains(const struct am_range *r, struct am_u128 v);

/* The addresses of r's family outside r, as 0, 1 or 2 intervals in
 * ascending order; returns the count. */
size_t am_range_complement(const struct am_range *r, struct am_range out[2]);

/* a intersected with b: 1 and *out filled when they share addresses (same
 * family and overlapping), else 0. */
int am_range_intersect(const struct am_range *a, const struct am_range *b,
                       struct am_range *out);

/* The most CIDR blocks an interval can need: 2 * 128 - 2. */
#define AM_RANGE_MAX_CIDRS 254

/* Decompose r into the fewest CIDR blocks, in ascending order, written to
 * out[] as (start, prefix) pairs: out[i].range is the block, out[i].prefix
 * its length, kind AM_NET_PREFIX.  Returns the count; out needs
 * AM_RANGE_MAX_CIDRS entries in the worst case, or max if fewer (the count
 * returned is then still the full count, and only max are written). */
size_t am_range_to_cidrs(const struct am_range *r, struct am_net *out,
                         size_t max);

/* ---- 128-bit arithmetic ---- */

/* -1, 0 or 1 as a <, ==, > b. */
static inline int
am_u128_cmp(struct am_u128 a, struct am_u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

static inline int
am_u128_eq(struct am_u128 a, struct am_u128 b)
{
    return a.hi == b.hi && a.lo == b.lo;
}

/* a - b, wrapping modulo 2^128. */
static inline struct am_u128
am_u128_sub(struct am_u128 a, struct am_u128 b)
{
    struct am_u128 d;

    d.lo = a.lo - b.lo;
    d.hi = a.hi - b.hi - (a.lo < b.lo);
    return d;
}

/* a + 1 and a - 1, wrapping modulo 2^128. */
static inline struct am_u128
am_u128_inc(struct am_u128 a)
{
    a.lo++;
    if (a.lo == 0)
        a.hi++;
    return a;
}

static inline struct am_u128
am_u128_dec(struct am_u128 a)
{
    if (a.lo == 0)
        a.hi--;
    a.lo--;
    return a;
}

/* A mask of the low n bits (n <= 128). */
static inline struct am_u128
am_u128_low_mask(unsigned n)
{
    struct am_u128 m;

    if (n >= 128) {
        m.hi = m.lo = UINT64_MAX;
    } else if (n >= 64) {
        m.lo = UINT64_MAX;
        m.hi = n == 64 ? 0 : UINT64_MAX >> (128 - n);
    } else {
        m.hi = 0;
        m.lo = n == 0 ? 0 : UINT64_MAX >> (64 - n);
    }
    return m;
}

#endif
