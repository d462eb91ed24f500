/* store.c - back-end table, NUL convention, atomic builds; see store.h. */
#include "formats/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/buf.h"
#include "formats/store_impl.h"

static const struct am_store_ops *const backends[AM_STORE_NTYPES] = {
    [AM_STORE_HASH] = &am_store_bdb_hash_ops,
    [AM_STORE_BTREE] = &am_store_bdb_btree_ops,
    [AM_STORE_LMDB] = &am_store_lmdb_ops,
    [AM_STORE_CDB] = &am_store_cdb_ops,
};

enum { NUL_UNKNOWN, NUL_WITH, NUL_WITHOUT };

struct am_store {
    const struct am_store_ops *ops;
    void *handle;
    int type;
    int nul_mode;               /* AM_STORE_NUL_* requested */
    int nul_state;              /* what the first hit showed */
    char *file;                 /* PATH + suffix */
    struct am_buf key;          /* key + NUL for lookups */
    struct am_buf val;          /* NUL-terminated copy of the value */
};

int
am_store_type_parse(const char *name, size_t len)
{
    int t;

    for (t = 0; t < AM_STORE_NTYPES; t++)
        if (strlen(backends[t]->name) == len
            && memcmp(backends[t]->name, name, len) == 0)
            return t;
    return -1;
}

const char *
am_store_type_name(int type)
{
    return backends[type]->name;
}

const char *
am_store_suffix(int type)
{
    return backends[type]->suffix;
}

int
am_store_default_nul(int type)
{
    return backends[type]->default_nul;
}

size_t
am_store_max_key(int type)
{
    return backends[type]->max_key;
}

int
am_store_key_order(int type)
{
    return backends[type]->key_order;
}

/* How often an open is tried again when the file was replaced meanwhile. */
#define AM_STORE_OPEN_RETRIES 20

am_store *
am_store_open(int type, const char *path, int flags, struct am_error *err)
{
    am_store *s;
    int rc, attempt;

    if (type < 0 || type >= AM_STORE_NTYPES) {
        am_error_set(err, AM_ERR_INVALID, "unknown table type");
        return NULL;
    }
    if ((s = calloc(1, sizeof(*s))) == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->ops = backends[type];
    s->type = type;
    s->nul_mode = flags & AM_STORE_NUL_MASK;
    am_buf_init(&s->key, 0);
    am_buf_init(&s->val, 0);
    if (asprintf(&s->file, "%s%s", path, s->ops->suffix) < 0) {
        s->file = NULL;
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        am_store_close(s);
        return NULL;
    }
    /* A table renamed into place while it was being opened and checked
     * is opened again: the new file is as good as the old one. */
    for (attempt = 0;; attempt++) {
        rc = s->ops->open(type, s->file, &s->handle, err);
        if (rc != AM_ERR_RETRY || attempt == AM_STORE_OPEN_RETRIES)
            break;
        am_error_clear(err);
    }
    if (rc < 0) {
        am_error_prefix(err, "open %s", s->file);
        am_store_close(s);
        return NULL;
    }
    return s;
}

/* One raw probe; on a hit keep a NUL-terminated copy of the value cut at
 * its first NUL, which is what a C-string reader like Postfix sees. */
static int
probe(am_store *s, const char *key, size_t klen, const char **val,
      size_t *vlen, struct am_error *err)
{
    const char *v;
    size_t n;
    int rc;

    rc = s->ops->get(s->handle, key, klen, &v, &n, err);
    if (rc <= 0)
        return rc;
    if (n == 0)
        v = "";                 /* a library may return NULL for no bytes */
    n = strnlen(v, n);
    am_buf_reset(&s->val);
    if ((rc = am_buf_append(&s->val, v, n, err)) < 0)
        return rc;
    *val = s->val.data;
    *vlen = n;
    return 1;
}

int
am_store_get(am_store *s, const char *key, size_t klen, const char **val,
             size_t *vlen, struct am_error *err)
{
    int rc, try_with, try_without;

    try_with = s->nul_mode == AM_STORE_NUL_WITH
        || (s->nul_mode == AM_STORE_NUL_AUTO && s->nul_state != NUL_WITHOUT);
    try_without = s->nul_mode == AM_STORE_NUL_WITHOUT
        || (s->nul_mode == AM_STORE_NUL_AUTO && s->nul_state != NUL_WITH);
    if (try_with) {
        am_buf_reset(&s->key);
        if ((rc = am_buf_append(&s->key, key, klen, err)) < 0
            || (rc = am_buf_putc(&s->key, '\0', err)) < 0)
            return rc;
        rc = probe(s, s->key.data, klen + 1, val, vlen, err);
        if (rc != 0) {
            if (rc > 0 && s->nul_mode == AM_STORE_NUL_AUTO)
                s->nul_state = NUL_WITH;
            return rc;
        }
    }
    if (try_without) {
        rc = probe(s, key, klen, val, vlen, err);
        if (rc > 0 && s->nul_mode == AM_STORE_NUL_AUTO)
            s->nul_state = NUL_WITHOUT;
        return rc;
    }
    return 0;
}

int
am_store_each(am_store *s, am_store_each_fn *fn, void *ctx,
              struct am_error *err)
{
    return s->ops->each(s->handle, fn, ctx, err);
}

int
am_store_type(const am_store *s)
{
    return s->type;
}

const char *
am_store_path(const am_store *s)
{
    return s->file;
}

void
am_store_close(am_store *s)
{
    if (s == NULL)
        return;
    if (s->handle != NULL)
        s->ops->close(s->handle);
    am_buf_free(&s->key);
    am_buf_free(&s->val);
    free(s->file);
    free(s);
}

const char *
am_store_stored(const char *text, size_t len, int nul, char **scratch,
                size_t *scratch_size)
{
    size_t need = len + 1;
    char *p;

    if (!nul)
        return text;
    if (need > *scratch_size) {
        size_t ns = *scratch_size ? *scratch_size : 256;
        while (ns < need)
            ns *= 2;
        if ((p = realloc(*scratch, ns)) == NULL)
            return NULL;
        *scratch = p;
        *scratch_size = ns;
    }
    memcpy(*scratch, text, len);
    (*scratch)[len] = '\0';
    return *scratch;
}

int
am_store_build(int type, const char *path, struct am_record *recs, size_t n,
               const struct am_store_build_opts *opts, struct am_error *err)
{
    const struct am_store_ops *ops;
    struct am_atomic a;
    char *file;
    int rc;

    if (type < 0 || type >= AM_STORE_NTYPES)
        return am_error_set(err, AM_ERR_INVALID, "unknown table type");
    ops = backends[type];
    if (asprintf(&file, "%s%s", path, ops->suffix) < 0)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    rc = am_atomic_begin(&a, file, opts->mode, err);
    if (rc == 0) {
        a.uid = opts->uid;
        a.gid = opts->gid;
        if ((rc = ops->build(type, &a, recs, n, opts, err)) < 0)
            am_atomic_abort(&a);
        else
            rc = am_atomic_commit(&a, err);
    }
    if (rc < 0)
        am_error_prefix(err, "%s", file);
    free(file);
    return rc;
}
