/* store_cdb.c - CDB tables (tinycdb), as Postfix reads them.
 *
 * The only file that includes cdb.h.  A .cdb file is immutable: Postfix
 * replaces it by renaming, so readers need no locks.  tinycdb maps the file
 * and checks every offset against its size, so a damaged file gives an
 * error (EPROTO) rather than a wild read.
 */
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/store_impl.h"

struct cdbh {
    struct cdb cdb;
    int fd;
};

static void
cdb_close_handle(void *handle)
{
    struct cdbh *c = handle;

    if (c == NULL)
        return;
    cdb_free(&c->cdb);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

static int
cdb_open_handle(int type, const char *file, void **handle, struct am_error *err)
{
    struct cdbh *c = calloc(1, sizeof(*c));

    (void) type;
    if (c == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    if ((c->fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
        am_error_sys(err, "open");
        free(c);
        return AM_ERR_IO;
    }
    if (cdb_init(&c->cdb, c->fd) < 0) {
        int rc = errno == EPROTO
            ? am_error_set(err, AM_ERR_CORRUPT, "not a CDB file")
            : am_error_sys(err, "map");
        close(c->fd);
        free(c);
        return rc;
    }
    *handle = c;
    return 0;
}

static int
cdb_get_handle(void *handle, const char *key, size_t klen, const char **val,
               size_t *vlen, struct am_error *err)
{
    struct cdbh *c = handle;
    int rc;

    if (klen > 0xffffffffu)
        return 0;
    rc = cdb_find(&c->cdb, key, (unsigned) klen);
    if (rc == 0)
        return 0;
    if (rc < 0)
        return am_error_set(err, AM_ERR_CORRUPT, "lookup: damaged CDB file");
    *val = cdb_get(&c->cdb, cdb_datalen(&c->cdb), cdb_datapos(&c->cdb));
    if (*val == NULL)
        return am_error_set(err, AM_ERR_CORRUPT, "lookup: damaged CDB file");
    *vlen = cdb_datalen(&c->cdb);
    return 1;
}

static int
cdb_each_handle(void *handle, am_store_each_fn *fn, void *ctx,
                struct am_error *err)
{
    struct cdbh *c = handle;
    unsigned pos;
    const char *k, *v;
    int rc, stop;

    cdb_seqinit(&pos, &c->cdb);
    while ((rc = cdb_seqnext(&pos, &c->cdb)) > 0) {
        k = cdb_get(&c->cdb, cdb_keylen(&c->cdb), cdb_keypos(&c->cdb));
        v = cdb_get(&c->cdb, cdb_datalen(&c->cdb), cdb_datapos(&c->cdb));
        if (k == NULL || v == NULL)
            return am_error_set(err, AM_ERR_CORRUPT, "read: damaged CDB file");
        if ((stop = fn(ctx, k, cdb_keylen(&c->cdb), v,
                       cdb_datalen(&c->cdb))) != 0)
            return stop;
    }
    if (rc < 0)
        return am_error_set(err, AM_ERR_CORRUPT, "read: damaged CDB file");
    return 0;
}

static int
cdb_build(int type, struct am_atomic *a, struct am_record *recs, size_t n,
          const struct am_store_build_opts *opts, struct am_error *err)
{
    struct cdb_make cm;
    char *kbuf = NULL, *vbuf = NULL;
    size_t ksize = 0, vsize = 0, i;
    int rc = 0;

    (void) type;
    if (cdb_make_start(&cm, a->fd) < 0)
        return am_error_sys(err, "write");
    for (i = 0; i < n; i++) {
        const struct am_record *r = &recs[i];
        int nul = r->flags & AM_REC_NUL;
        const char *k = am_store_stored(r->key, r->klen, nul, &kbuf, &ksize);
        const char *v = am_store_stored(r->val, r->vlen, nul, &vbuf, &vsize);

        if (k == NULL || v == NULL) {
            rc = am_error_set(err, AM_ERR_NOMEM, "out of memory");
            break;
        }
        if (cdb_make_add(&cm, k, (unsigned) am_record_ksize(r), v,
                         (unsigned) am_record_vsize(r)) < 0) {
            rc = errno == ENOMEM
                ? am_error_set(err, AM_ERR_NOMEM, "out of memory")
                : am_error_sys(err, "write");
            break;
        }
        if (opts->progress != NULL && (i & 0xffff) == 0)
            opts->progress(opts->progress_ctx, i, n);
    }
    if (rc == 0 && cdb_make_finish(&cm) < 0)
        rc = errno == E2BIG
            ? am_error_set(err, AM_ERR_LIMIT, "table larger than 4 GiB")
            : am_error_sys(err, "write");
    else if (rc != 0)
        (void) cdb_make_finish(&cm);    /* frees its lists; file is dropped */
    free(kbuf);
    free(vbuf);
    return rc;
}

const struct am_store_ops am_store_cdb_ops = {
    "cdb", ".cdb", 0, 0, 0, cdb_open_handle, cdb_get_handle, cdb_each_handle,
    cdb_close_handle, cdb_build,
};
