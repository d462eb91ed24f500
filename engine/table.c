/* table.c - one "type:name" table behind one interface; see table.h. */
#include "engine/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/buf.h"
#include "formats/fold.h"
#include "formats/store.h"
#include "formats/texthash.h"
#include "formats/utf8.h"

struct am_table {
    int type;
    char *name;                 /* "type:name" */
    int utf8;
    int fold;
    am_fold *folder;
    am_store *store;            /* hash, btree, lmdb, cdb */
    am_texthash *text;          /* texthash */
    struct am_buf val;          /* NUL-terminated copy of a texthash value */
    struct am_diag_sink *diags;
};

static const char *const type_names[] = {
    [AM_TABLE_HASH] = "hash",
    [AM_TABLE_BTREE] = "btree",
    [AM_TABLE_LMDB] = "lmdb",
    [AM_TABLE_CDB] = "cdb",
    [AM_TABLE_TEXTHASH] = "texthash",
    [AM_TABLE_CIDR] = "cidr",
};

/* Postfix table types accessmap does not read itself. */
static const char *const foreign_types[] = {
    "regexp", "pcre", "tcp", "socketmap", "inline", "static", "unionmap",
    "pipemap", "proxy", "ldap", "mysql", "pgsql", "sqlite", "memcache",
    "nis", "environ", "internal", "fail", "randmap", "unix", "dbm", "sdbm",
    NULL,
};

void
am_table_split_spec(const char *spec, size_t *type_len, const char **name)
{
    const char *colon = strchr(spec, ':');

    if (colon == NULL) {
        *type_len = 0;
        *name = spec;
    } else {
        *type_len = (size_t) (colon - spec);
        *name = colon + 1;
    }
}

static int
type_by_name(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strlen(type_names[i]) == len && memcmp(type_names[i], s, len) == 0)
            return (int) i;
    return -1;
}

am_table *
am_table_open(const char *spec, const struct am_table_opts *opts,
              struct am_error *err)
{
    const char *name, *tname;
    size_t tlen, i;
    am_table *t;
    int flags;

    am_table_split_spec(spec, &tlen, &name);
    tname = tlen ? spec : (opts->default_type ? opts->default_type : "hash");
    if (tlen == 0)
        tlen = strlen(tname);
    if (*name == '\0') {
        am_error_set(err, AM_ERR_INVALID, "table \"%s\" has no name", spec);
        return NULL;
    }
    if ((t = calloc(1, sizeof(*t))) == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    am_buf_init(&t->val, 0);
    t->type = type_by_name(tname, tlen);
    t->utf8 = opts->utf8;
    t->diags = opts->diags;
    if (asprintf(&t->name, "%.*s:%s", (int) tlen, tname, name) < 0) {
        t->name = NULL;
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (t->type < 0) {
        for (i = 0; foreign_types[i] != NULL; i++)
            if (strlen(foreign_types[i]) == tlen
                && memcmp(foreign_types[i], tname, tlen) == 0)
                break;
        am_error_set(err, foreign_types[i] ? AM_ERR_UNSUPPORTED : AM_ERR_INVALID,
                     "%s table type \"%.*s\" in \"%s\"",
                     foreign_types[i] ? "unsupported" : "unknown", (int) tlen,
                     tname, spec);
        goto fail;
    }
    t->fold = !opts->nofold && t->type != AM_TABLE_CIDR;
    switch (t->type) {
    case AM_TABLE_HASH:
    case AM_TABLE_BTREE:
    case AM_TABLE_LMDB:
    case AM_TABLE_CDB:
        t->store = am_store_open(am_store_type_parse(tname, tlen), name,
                                 opts->nul_mode, err);
        if (t->store == NULL)
            goto fail;
        break;
    case AM_TABLE_TEXTHASH:
        flags = (t->fold ? AM_TEXTHASH_FOLD : 0) | (t->utf8 ? AM_TEXTHASH_UTF8 : 0);
        if ((t->text = am_texthash_open(name, flags, opts->diags, err)) == NULL)
            goto fail;
        break;
    default:
        am_error_set(err, AM_ERR_UNSUPPORTED, "table type \"%s\" is not "
                     "available yet", type_names[t->type]);
        goto fail;
    }
    if (t->fold && (t->folder = am_fold_new(t->utf8 ? AM_FOLD_UTF8 : 0, err)) == NULL)
        goto fail;
    return t;
fail:
    if (err != NULL && t->name != NULL && strstr(err->msg, t->name) == NULL)
        am_error_prefix(err, "table %s", t->name);
    am_table_close(t);
    return NULL;
}

int
am_table_get(am_table *t, const char *key, size_t klen,
             struct am_table_result *res, struct am_error *err)
{
    const struct am_record *rec;
    const char *k = key;
    size_t kl = klen;
    int rc;

    memset(res, 0, sizeof(*res));
    if (t->utf8 && !am_utf8_is_ascii(key, klen) && !am_utf8_valid(key, klen)) {
        am_diag_emit(t->diags, AM_DIAG_WARNING, NULL, "bad-utf8-key",
                     "%s: key is not valid UTF-8; treated as not found",
                     t->name);
        return 0;
    }
    if (t->text != NULL) {
        /* texthash folds by itself. */
        if ((rc = am_texthash_get(t->text, key, klen, &rec, err)) <= 0)
            return rc;
        am_buf_reset(&t->val);
        if ((rc = am_buf_append(&t->val, rec->val, rec->vlen, err)) < 0)
            return rc;
        res->value = t->val.data;
        res->vlen = rec->vlen;
        res->loc.file = am_texthash_path(t->text);
        res->loc.line = rec->line;
        return 1;
    }
    if (t->fold && (rc = am_fold_key(t->folder, key, klen, &k, &kl, err)) < 0)
        return rc;
    if (t->store != NULL) {
        rc = am_store_get(t->store, k, kl, &res->value, &res->vlen, err);
        if (rc < 0)
            am_error_prefix(err, "table %s", t->name);
        return rc;
    }
    return am_error_set(err, AM_ERR_UNSUPPORTED, "no lookup for %s", t->name);
}

int
am_table_is_fixed(const am_table *t)
{
    return t->type != AM_TABLE_CIDR;
}

int
am_table_type(const am_table *t)
{
    return t->type;
}

const char *
am_table_name(const am_table *t)
{
    return t->name;
}

void
am_table_close(am_table *t)
{
    if (t == NULL)
        return;
    am_store_close(t->store);
    am_texthash_close(t->text);
    am_fold_free(t->folder);
    am_buf_free(&t->val);
    free(t->name);
    free(t);
}
