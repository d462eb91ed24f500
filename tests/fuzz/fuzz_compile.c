/* fuzz_compile.c - a source table through compile's and check's steps,
 * without the write: parse, fold, resolve duplicates, lint (as `accessmap
 * check` does, for a check kind chosen by the first byte), expand networks
 * into Postfix keys, check LMDB's key limit.
 *
 * The input is the source.  After resolving, keys are unique; after
 * expansion they still are, and none is empty.  The expansion is capped
 * at 4096 keys so one input stays fast; the cap must give AM_ERR_LIMIT,
 * not a partial table.
 */
#include <string.h>

#include "engine/lint.h"
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct am_tablebuild_opts opts = { 0 };
    struct am_diag_sink diags = { 0 };
    struct am_error err;
    am_tablebuild *tb;
    am_lines *lr;
    int rc;

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
        || am_tablebuild_resolve(tb, &diags, &err) < 0)
        goto out;
    check_unique(tb);
    {
        struct am_lint_opts lo = { 0 };
        struct am_record *recs;
        size_t n;

        lo.check = size > 0 ? (data[0] >> 1) % AM_CHECK_COUNT : 0;
        lo.networks_expanded = size > 0 && (data[0] & 0x10);
        recs = am_tablebuild_records(tb, &n);
        rc = am_lint_records(recs, n, "fuzz", &lo, &diags, &err);
        fuzz_assert(rc == 0 || rc == AM_ERR_NOMEM);
    }
    rc = am_tableexpand(tb, 4096, &err);
    if (rc < 0) {
        fuzz_assert(rc == AM_ERR_UNSUPPORTED || rc == AM_ERR_LIMIT
                    || rc == AM_ERR_NOMEM);
        goto out;
    }
    check_unique(tb);
    (void) am_tablebuild_check(tb, AM_STORE_LMDB, &diags, &err);
out:
    am_tablebuild_free(tb);
    am_lines_close(lr);
    return 0;
}
