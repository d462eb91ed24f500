/* fuzz_addr.c - address, network, range and partial-key parsing.
 *
 * The input is one text.  An address must parse exactly when inet_pton()
 * takes it, to the same bytes.  Whatever parses must format to text that
 * parses back to the same value; a network's interval must be well formed and its
 * CIDR decomposition must cover exactly that interval.
 */
#include <arpa/inet.h>
#include <string.h>

#include "formats/addr.h"
#include "tests/fuzz/fuzz.h"

static void
check_range(const struct am_range *r)
{
    struct am_net cidrs[AM_RANGE_MAX_CIDRS];
    struct am_u128 next = r->lo;
    size_t n, i;

    fuzz_assert(r->family == AM_ADDR_V4 || r->family == AM_ADDR_V6);
    fuzz_assert(am_u128_cmp(r->lo, r->hi) <= 0);
    fuzz_assert(am_u128_cmp(r->hi, am_range_family_max(r->family)) <= 0);
    n = am_range_to_cidrs(r, cidrs, AM_RANGE_MAX_CIDRS);
    fuzz_assert(n >= 1 && n <= AM_RANGE_MAX_CIDRS);
    for (i = 0; i < n; i++) {
        fuzz_assert(cidrs[i].range.family == r->family);
        fuzz_assert(am_u128_eq(cidrs[i].range.lo, next));
        next = am_u128_inc(cidrs[i].range.hi);
    }
    fuzz_assert(am_u128_eq(cidrs[n - 1].range.hi, r->hi));
}

static void
check_addr(const char *text, size_t len)
{
    struct am_addr a, b;
    char buf[AM_ADDR_STRLEN], z[64];
    unsigned char want[16];
    size_t n;
    int ok = am_addr_parse(text, len, &a), lib;

    if (len < sizeof(z) && memchr(text, '\0', len) == NULL) {
        memcpy(z, text, len);
        z[len] = '\0';
        lib = inet_pton(memchr(z, ':', len) ? AF_INET6 : AF_INET, z, want);
        fuzz_assert(ok == (lib == 1));
        fuzz_assert(!ok || memcmp(a.b, want, a.family == AM_ADDR_V4 ? 4 : 16)
                    == 0);
    }
    if (!ok)
        return;
    n = am_addr_format(&a, buf, sizeof(buf));
    fuzz_assert(n > 0 && n < sizeof(buf) && strlen(buf) == n);
    fuzz_assert(am_addr_parse(buf, n, &b));
    fuzz_assert(a.family == b.family && memcmp(a.b, b.b, 16) == 0);
    am_addr_from_u128(a.family, am_addr_to_u128(&a), &b);
    fuzz_assert(memcmp(a.b, b.b, 16) == 0);
}

static void
check_net(const char *text, size_t len, unsigned flags)
{
    struct am_net net, again;
    struct am_error err;
    char buf[AM_ADDR_STRLEN];
    size_t n;

    if (am_net_parse(text, len, flags, &net, &err) != 0) {
        fuzz_assert(net.problem != AM_NET_OK);
        fuzz_assert(err.msg[0] != '\0');
        return;
    }
    fuzz_assert(net.problem == AM_NET_OK);
    check_range(&net.range);
    if (net.kind == AM_NET_RANGE)
        return;
    fuzz_assert(net.prefix <= am_addr_bits(net.range.family));
    n = am_net_format(&net.range, net.prefix, buf, sizeof(buf));
    fuzz_assert(n > 0 && n < sizeof(buf));
    fuzz_assert(am_net_parse(buf, n, 0, &again, &err) == 0);
    fuzz_assert(again.range.family == net.range.family);
    fuzz_assert(am_u128_eq(again.range.lo, net.range.lo));
    fuzz_assert(am_u128_eq(again.range.hi, net.range.hi));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    struct am_net net;
    unsigned flags;

    if (size > 256)
        return 0;
    check_addr(text, size);
    for (flags = 0; flags < 8; flags++)
        check_net(text, size, flags);
    if (am_net_parse_partial(text, size, &net)) {
        fuzz_assert(net.kind == AM_NET_PREFIX && net.range.family == AM_ADDR_V4);
        fuzz_assert(net.prefix == 8 || net.prefix == 16 || net.prefix == 24);
        check_range(&net.range);
    }
    return 0;
}
