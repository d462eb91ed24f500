/* texthash.c - source tables loaded into memory; see texthash.h. */
#include "formats/texthash.h"

#include <stdlib.h>
#include <string.h>

#include "formats/fold.h"
#include "formats/kvmap.h"
#include "formats/lines.h"
#include "formats/tablebuild.h"

struct am_texthash {
    am_lines *lines;            /* kept open: entries point into it */
    am_tablebuild *tb;          /* owns the records */
    am_kvmap *map;
    am_fold *fold;
    int flags;
};

am_texthash *
am_texthash_open(const char *path, int flags, struct am_diag_sink *diags,
                 struct am_error *err)
{
    return am_texthash_open_with(path, flags, NULL, NULL, diags, err);
}

am_texthash *
am_texthash_open_with(const char *path, int flags, am_texthash_step *step,
                      void *ctx, struct am_diag_sink *diags,
                      struct am_error *err)
{
    struct am_tablebuild_opts opts = { 0 };
    am_texthash *t = calloc(1, sizeof(*t));
    struct am_record *recs;
    size_t n;

    if (t == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->flags = flags;
    opts.fold = (flags & AM_TEXTHASH_FOLD) != 0;
    opts.utf8 = (flags & AM_TEXTHASH_UTF8) != 0;
    opts.dups = AM_DUP_FIRST_WARN;
    if ((t->lines = am_lines_open(path, err)) == NULL
        || (t->tb = am_tablebuild_new(&opts, err)) == NULL
        || (t->fold = am_fold_new(opts.utf8 ? AM_FOLD_UTF8 : 0, err)) == NULL
        || am_tablebuild_add_source(t->tb, t->lines, diags, err) < 0
        || am_tablebuild_resolve(t->tb, AM_ORDER_INPUT, diags, err) < 0
        || (step != NULL && step(t->tb, ctx, err) < 0))
        goto fail;
    recs = am_tablebuild_records(t->tb, &n);
    if ((t->map = am_kvmap_build(recs, n, err)) == NULL)
        goto fail;
    return t;
fail:
    am_texthash_close(t);
    return NULL;
}

int
am_texthash_get(am_texthash *t, const char *key, size_t klen,
                const struct am_record **rec, struct am_error *err)
{
    const char *k = key;
    size_t kl = klen;
    int rc;

    if (t->flags & AM_TEXTHASH_FOLD) {
        if ((rc = am_fold_key(t->fold, key, klen, &k, &kl, err)) < 0)
            return rc;
    }
    *rec = am_kvmap_get(t->map, k, kl);
    return *rec != NULL;
}

const struct am_record *
am_texthash_records(const am_texthash *t, size_t *n)
{
    return am_tablebuild_records(t->tb, n);
}

const char *
am_texthash_path(const am_texthash *t)
{
    return am_lines_name(t->lines);
}

void
am_texthash_close(am_texthash *t)
{
    if (t == NULL)
        return;
    am_kvmap_free(t->map);
    am_tablebuild_free(t->tb);
    am_fold_free(t->fold);
    am_lines_close(t->lines);
    free(t);
}
