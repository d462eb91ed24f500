/* fuzz_cidrtable.c - cidr_table(5) syntax and the lookup index.
 *
 * The input is a cidr table.  Loading must never fail for syntax (only
 * warnings); every lookup through the index must give the same rule as
 * the slow walk of the rule list (am_cidrtable_next_match), for fixed
 * addresses and for the edges of every network in the table.  The table
 * is then linted as `accessmap check` does.
 */
#include <string.h>

#include "engine/cidrtable.h"
#include "engine/lint.h"
#include "tests/fuzz/fuzz.h"

static void
check_addr(const am_cidrtable *t, const struct am_addr *a)
{
    const struct am_cidrrule *fast = NULL, *slow = NULL;
    size_t pos = 0;
    int hit = am_cidrtable_lookup_addr(t, a, &fast);
    int walk = am_cidrtable_next_match(t, a, &pos, &slow);

    fuzz_assert(hit == walk);
    if (hit)
        fuzz_assert(fast == slow);
}

static void
check_text(const am_cidrtable *t, const char *text)
{
    const struct am_cidrrule *rule;
    struct am_addr a;

    if (am_addr_parse(text, strlen(text), &a))
        check_addr(t, &a);
    (void) am_cidrtable_lookup(t, text, strlen(text), &rule);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *fixed[] = {
        "0.0.0.0", "1.2.3.4", "10.0.0.1", "127.0.0.1", "192.168.1.255",
        "255.255.255.255", "::", "::1", "::ffff:1.2.3.4", "2001:db8::1",
        "fe80::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "example.com",
        "[1.2.3.4]", "01.2.3.4",
    };
    struct am_error err;
    struct am_diag_sink diags = { 0 };
    am_cidrtable *t;
    size_t i, n;

    t = am_cidrtable_open_mem("fuzz", (const char *) data, size, &diags, &err);
    if (t == NULL) {
        /* Only resource limits fail a load. */
        fuzz_assert(err.code == AM_ERR_NOMEM || err.code == AM_ERR_LIMIT);
        return 0;
    }
    for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check_text(t, fixed[i]);
    n = am_cidrtable_count(t);
    for (i = 0; i < n && i < 64; i++) {
        const struct am_cidrrule *r = am_cidrtable_rule(t, i);
        const struct am_range *rg = &r->net.range;
        struct am_addr a;

        fuzz_assert(r->pattern != NULL && r->value != NULL);
        if (rg->family != AM_ADDR_V4 && rg->family != AM_ADDR_V6)
            continue;
        am_addr_from_u128(rg->family, rg->lo, &a);
        check_addr(t, &a);
        am_addr_from_u128(rg->family, rg->hi, &a);
        check_addr(t, &a);
        am_addr_from_u128(rg->family, am_u128_dec(rg->lo), &a);
        if (!am_u128_eq(rg->lo, (struct am_u128) { 0, 0 }))
            check_addr(t, &a);
        if (!am_u128_eq(rg->hi, am_range_family_max(rg->family))) {
            am_addr_from_u128(rg->family, am_u128_inc(rg->hi), &a);
            check_addr(t, &a);
        }
    }
    {
        struct am_lint_opts lo = { 0 };

        lo.check = size > 0 ? data[0] % AM_CHECK_COUNT : 0;
        fuzz_assert(am_lint_cidr(t, &lo, &diags, &err) == 0
                    || err.code == AM_ERR_NOMEM);
    }
    am_cidrtable_close(t);
    return 0;
}
