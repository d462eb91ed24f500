/* fuzz_compile.c - a source table through compile's and check's steps,
 * without the write: parse, fold, resolve duplicates, lint (as `accessmap
 * check` does, for a check kind chosen by the first byte), expand networks
 * into Postfix keys, check LMDB's key limit.
 *
 * The input is the source.  Resolving in key order (as for btree and
 * lmdb) keeps the records and findings of resolving in input order.
 * After resolving, keys are unique; after
 * expansion they still are, and none is empty.  And the expansion keeps
 * its promise: for the first and last address of every IPv4 network key
 * and their neighbours, Postfix's search over the expanded keys (exact
 * lookups of the address and its shortened forms) gives the value
 * accessmap's most-specific-first index gives over the source (no entry
 * and a DUNNO filler count as the same answer).  The expansion is capped
 * at 4096 keys so one input stays fast; the cap must give AM_ERR_LIMIT,
 * not a partial table.
 */
#include <string.h>

#include "engine/addrkeys.h"
#include "engine/lint.h"
#include "engine/netexpand.h"
#include "engine/tableexpand.h"
#include "formats/lines.h"
#include "formats/tablebuild.h"
#include "tests/fuzz/fuzz.h"

static int
by_key(const void *a, const void *b)
{
    const struct am_record *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);

    return c != 0 ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

static void
check_unique(am_tablebuild *tb)
{
    struct am_record *recs, *copy;
    size_t n, i;

    recs = am_tablebuild_records(tb, &n);
    if (n == 0 || (copy = malloc(n * sizeof(*copy))) == NULL)
        return;
    memcpy(copy, recs, n * sizeof(*copy));
    qsort(copy, n, sizeof(*copy), by_key);
    for (i = 0; i < n; i++) {
        fuzz_assert(copy[i].klen > 0);
        if (i > 0)
            fuzz_assert(by_key(&copy[i - 1], &copy[i]) != 0);
    }
    free(copy);
}

/* Postfix: the value of the first search key present in recs, or NULL. */
static const struct am_record *
postfix_lookup(const struct am_record *recs, size_t n, const struct am_addr *a)
{
    char keys[8][AM_ADDR_STRLEN];
    size_t nk = am_netexpand_search_keys(a, keys, 8), i, j;

    for (i = 0; i < nk; i++) {
        size_t len = strlen(keys[i]);

        for (j = 0; j < n; j++)
            if (recs[j].klen == len && memcmp(recs[j].key, keys[i], len) == 0)
                return &recs[j];
    }
    return NULL;
}

static int
is_dunno(const struct am_record *r)
{
    return r == NULL || (r->vlen == 5 && memcmp(r->val, "DUNNO", 5) == 0);
}

static void
compare_at(const am_addrkeys *k, const struct am_record *out, size_t nout,
           struct am_u128 v)
{
    const struct am_record *want = NULL, *got;
    struct am_range covers;
    struct am_addr a;

    am_addr_from_u128(AM_ADDR_V4, v, &a);
    if (am_addrkeys_lookup(k, &a, &want, &covers) != 1)
        want = NULL;
    got = postfix_lookup(out, nout, &a);
    if (is_dunno(want) || is_dunno(got)) {
        fuzz_assert(is_dunno(want) && is_dunno(got));
        return;
    }
    fuzz_assert(got->vlen == want->vlen
                && memcmp(got->val, want->val, got->vlen) == 0);
}

/* The promise of tableexpand.h, checked at the edges of every network. */
static void
check_expansion(const struct am_record *src, size_t n, am_tablebuild *tb)
{
    struct am_record *out;
    am_addrkeys *k = NULL;
    struct am_error err;
    size_t nout, i;

    if (am_addrkeys_build(src, n, &k, &err) < 0 || k == NULL)
        return;
    out = am_tablebuild_records(tb, &nout);
    for (i = 0; i < n && i < 64; i++) {
        struct am_net net;

        if (!am_lint_is_network_key(src[i].key, src[i].klen)
            || am_net_parse(src[i].key, src[i].klen, AM_NET_ALLOW_RANGE, &net,
                            &err) < 0
            || net.range.family != AM_ADDR_V4)
            continue;
        compare_at(k, out, nout, net.range.lo);
        compare_at(k, out, nout, net.range.hi);
        if (net.range.lo.lo > 0)
            compare_at(k, out, nout, am_u128_dec(net.range.lo));
        if (net.range.hi.lo < 0xffffffffu)
            compare_at(k, out, nout, am_u128_inc(net.range.hi));
    }
    am_addrkeys_free(k);
}

/* Every finding, in order, folded into one number. */
static void
hash_diag(void *ctx, const struct am_diag *d)
{
    uint64_t *h = ctx;
    const char *p;

    *h = (*h ^ d->loc.line) * 1099511628211ULL;
    for (p = d->msg; *p != '\0'; p++)
        *h = (*h ^ (unsigned char) *p) * 1099511628211ULL;
}

/* One resolve of the source in the given order: the builder (NULL when
 * it could not be built) and the hash of its findings. */
static am_tablebuild *
resolve_source(const uint8_t *data, size_t size,
               const struct am_tablebuild_opts *opts, int order, uint64_t *h,
               am_lines **lr)
{
    struct am_diag_sink diags = { hash_diag, h, { 0, 0, 0 } };
    struct am_error err;
    am_tablebuild *tb;

    *h = 1469598103934665603ULL;
    if ((*lr = am_lines_open_mem("fuzz", (const char *) data, size, &err)) == NULL)
        return NULL;
    if ((tb = am_tablebuild_new(opts, &err)) == NULL
        || am_tablebuild_add_source(tb, *lr, &diags, &err) < 0
        || am_tablebuild_resolve(tb, order, &diags, &err) < 0) {
        am_tablebuild_free(tb);
        am_lines_close(*lr);
        *lr = NULL;
        return NULL;
    }
    return tb;
}

/* Resolving in key order (btree, lmdb) keeps the records input order
 * keeps, sorted, with the same findings in the same order. */
static void
check_key_order(const uint8_t *data, size_t size, int dups)
{
    struct am_tablebuild_opts opts = { 0 };
    struct am_error err;
    am_tablebuild *in, *key;
    am_lines *lr_in, *lr_key;
    struct am_record *a, *b;
    uint64_t h_in, h_key;
    size_t na, nb, i;

    opts.fold = 1;
    opts.utf8 = size > 0 && (data[0] & 1);
    opts.nul = 1;
    opts.dups = dups;
    in = resolve_source(data, size, &opts, AM_ORDER_INPUT, &h_in, &lr_in);
    key = resolve_source(data, size, &opts, AM_ORDER_KEY, &h_key, &lr_key);
    if (in != NULL && key != NULL) {
        fuzz_assert(h_in == h_key);
        a = am_tablebuild_records(in, &na);
        b = am_tablebuild_records(key, &nb);
        fuzz_assert(na == nb);
        if (am_record_sort_keys(a, na, &err) == 0)
            for (i = 0; i < na; i++) {
                fuzz_assert(i == 0 || am_record_keycmp(&b[i - 1], &b[i]) < 0);
                fuzz_assert(a[i].klen == b[i].klen && a[i].vlen == b[i].vlen
                            && a[i].line == b[i].line
                            && memcmp(a[i].key, b[i].key, a[i].klen) == 0
                            && memcmp(a[i].val, b[i].val, a[i].vlen) == 0);
            }
    }
    am_tablebuild_free(in);
    am_tablebuild_free(key);
    am_lines_close(lr_in);
    am_lines_close(lr_key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct am_tablebuild_opts opts = { 0 };
    struct am_diag_sink diags = { 0 };
    struct am_error err;
    struct am_record *src = NULL;
    am_tablebuild *tb;
    am_lines *lr;
    size_t n = 0;
    int rc;

    check_key_order(data, size, AM_DUP_FIRST_WARN);
    check_key_order(data, size, AM_DUP_LAST);
    opts.fold = 1;
    opts.utf8 = size > 0 && (data[0] & 1);
    opts.nul = 1;
    opts.dups = AM_DUP_FIRST_WARN;
    if ((lr = am_lines_open_mem("fuzz", (const char *) data, size, &err)) == NULL)
        return 0;
    if ((tb = am_tablebuild_new(&opts, &err)) == NULL) {
        am_lines_close(lr);
        return 0;
    }
    if (am_tablebuild_add_source(tb, lr, &diags, &err) < 0
        || am_tablebuild_resolve(tb, AM_ORDER_INPUT, &diags, &err) < 0)
        goto out;
    check_unique(tb);
    {
        struct am_lint_opts lo = { 0 };
        struct am_record *recs;
        size_t nrecs;

        lo.check = size > 0 ? (data[0] >> 1) % AM_CHECK_COUNT : 0;
        lo.networks_expanded = size > 0 && (data[0] & 0x10);
        recs = am_tablebuild_records(tb, &nrecs);
        rc = am_lint_records(recs, nrecs, "fuzz", &lo, &diags, &err);
        fuzz_assert(rc == 0 || rc == AM_ERR_NOMEM);
    }
    {
        struct am_record *recs = am_tablebuild_records(tb, &n);

        /* The source records, for the comparison after expansion (their
         * text stays where it is; only the array changes). */
        if ((src = malloc((n > 0 ? n : 1) * sizeof(*src))) == NULL)
            goto out;
        if (n > 0)
            memcpy(src, recs, n * sizeof(*src));
    }
    rc = am_tableexpand(tb, 4096, &err);
    if (rc < 0) {
        fuzz_assert(rc == AM_ERR_UNSUPPORTED || rc == AM_ERR_LIMIT
                    || rc == AM_ERR_NOMEM);
        goto out;
    }
    check_unique(tb);
    if (rc > 0)
        check_expansion(src, n, tb);
    (void) am_tablebuild_check(tb, AM_STORE_LMDB, &diags, &err);
out:
    free(src);
    am_tablebuild_free(tb);
    am_lines_close(lr);
    return 0;
}
