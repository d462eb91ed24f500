/* table.c - one "type:name" table behind one interface; see table.h. */
#include "engine/table.h"

#include "engine/addrkeys.h"
#include "engine/cidrtable.h"
#include "engine/tableexpand.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/arena.h"
#include "formats/buf.h"
#include "formats/fold.h"
#include "formats/kvmap.h"
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
    am_cidrtable *cidr;         /* cidr */
    struct am_buf val;          /* NUL-terminated copy of a texthash value */
    struct am_diag_sink *diags;
    /* Preloaded compiled table: records in an arena, indexed. */
    am_arena *arena;
    struct am_record *recs;
    size_t nrecs, caprecs;
    am_kvmap *map;
    /* Networks and ranges among the in-memory entries (texthash, preload). */
    am_addrkeys *addrkeys;
    /* The source of a compiled table, read on demand by am_table_locate. */
    am_texthash *source;
    int source_tried;
    char *path;                 /* the name part of the spec */
};

/* Copy one stored record into memory, without the NULs Postfix stores. */
static int
preload_record(void *ctx, const char *key, size_t klen, const char *val,
               size_t vlen)
{
    am_table *t = ctx;
    struct am_record *r;

    if (klen > 0 && vlen > 0 && key[klen - 1] == '\0' && val[vlen - 1] == '\0') {
        klen--;
        vlen--;
    }
    vlen = strnlen(val, vlen);
    if (klen >= 0xffffffffu || vlen >= 0xffffffffu)
        return AM_ERR_LIMIT;
    if (t->nrecs == t->caprecs) {
        size_t ncap = t->caprecs ? t->caprecs * 2 : 256;
        struct am_record *nr = realloc(t->recs, ncap * sizeof(*nr));
        if (nr == NULL)
            return AM_ERR_NOMEM;
        t->recs = nr;
        t->caprecs = ncap;
    }
    r = &t->recs[t->nrecs];
    memset(r, 0, sizeof(*r));
    if ((r->key = am_arena_strndup(t->arena, key, klen)) == NULL
        || (r->val = am_arena_strndup(t->arena, val, vlen)) == NULL)
        return AM_ERR_NOMEM;
    r->klen = (uint32_t) klen;
    r->vlen = (uint32_t) vlen;
    t->nrecs++;
    return 0;
}

/* Read every record of t->store into memory, then close the file.  When a
 * key is stored both with and without a NUL, the first one read wins. */
static int
preload(am_table *t, struct am_error *err)
{
    struct am_record *unique;
    size_t i, n = 0;
    int rc;

    if ((t->arena = am_arena_new()) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    rc = am_store_each(t->store, preload_record, t, err);
    if (rc > 0 || rc == AM_ERR_NOMEM || rc == AM_ERR_LIMIT)
        return am_error_set(err, rc > 0 ? AM_ERR_INVALID : rc,
                            "cannot load %s into memory", t->name);
    if (rc < 0)
        return rc;
    /* Drop later duplicates so the index holds unique keys. */
    if ((rc = am_record_sort_keys(t->recs, t->nrecs, err)) < 0)
        return rc;
    unique = t->recs;
    for (i = 0; i < t->nrecs; i++)
        if (n == 0 || unique[n - 1].klen != t->recs[i].klen
            || memcmp(unique[n - 1].key, t->recs[i].key, t->recs[i].klen) != 0)
            unique[n++] = t->recs[i];
    t->nrecs = n;
    if ((t->map = am_kvmap_build(t->recs, t->nrecs, err)) == NULL)
        return err ? err->code : AM_ERR_NOMEM;
    am_store_close(t->store);
    t->store = NULL;
    return 0;
}

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
    if ((t->path = strdup(name)) == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    switch (t->type) {
    case AM_TABLE_HASH:
    case AM_TABLE_BTREE:
    case AM_TABLE_LMDB:
    case AM_TABLE_CDB:
        t->store = am_store_open(am_store_type_parse(tname, tlen), name,
                                 opts->nul_mode, err);
        if (t->store == NULL || (opts->preload && preload(t, err) < 0))
            goto fail;
        if (t->map != NULL
            && am_addrkeys_build(t->recs, t->nrecs, &t->addrkeys, err) < 0)
            goto fail;
        break;
    case AM_TABLE_TEXTHASH:
        flags = (t->fold ? AM_TEXTHASH_FOLD : 0) | (t->utf8 ? AM_TEXTHASH_UTF8 : 0);
        if ((t->text = am_texthash_open(name, flags, opts->diags, err)) == NULL)
            goto fail;
        {
            size_t n;
            const struct am_record *recs = am_texthash_records(t->text, &n);

            if (am_addrkeys_build(recs, n, &t->addrkeys, err) < 0)
                goto fail;
        }
        break;
    case AM_TABLE_CIDR:
        if ((t->cidr = am_cidrtable_open(name, opts->diags, err)) == NULL)
            goto fail;
        break;
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
    int rc, plain;

    memset(res, 0, sizeof(*res));
    /* Most keys are ASCII without capitals: nothing to check or fold. */
    plain = !am_fold_changes(key, klen);
    if (!plain && t->utf8 && !am_utf8_is_ascii(key, klen)
        && !am_utf8_valid(key, klen)) {
        am_diag_emit(t->diags, AM_DIAG_WARNING, NULL, "bad-utf8-key",
                     "%s: key is not valid UTF-8; treated as not found",
                     t->name);
        return 0;
    }
    if (t->cidr != NULL) {
        const struct am_cidrrule *rule;

        if (!am_cidrtable_lookup(t->cidr, key, klen, &rule))
            return 0;
        res->value = rule->value;
        res->vlen = strlen(rule->value);
        res->loc.file = am_cidrtable_name(t->cidr);
        res->loc.line = rule->line;
        return 1;
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
    if (t->fold && !plain
        && (rc = am_fold_key(t->folder, key, klen, &k, &kl, err)) < 0)
        return rc;
    if (t->map != NULL) {
        rec = am_kvmap_get(t->map, k, kl);
        if (rec == NULL)
            return 0;
        res->value = rec->val;
        res->vlen = rec->vlen;
        return 1;
    }
    if (t->store != NULL) {
        rc = am_store_get(t->store, k, kl, &res->value, &res->vlen, err);
        if (rc < 0)
            am_error_prefix(err, "table %s", t->name);
        return rc;
    }
    return am_error_set(err, AM_ERR_UNSUPPORTED, "no lookup for %s", t->name);
}

void
am_table_prefetch(const am_table *t, const char *key, size_t klen)
{
    if (t->map != NULL)
        am_kvmap_prefetch(t->map, key, klen);
}

int
am_table_has_networks(const am_table *t)
{
    return t->addrkeys != NULL;
}

int
am_table_match_address(am_table *t, const struct am_addr *a,
                       struct am_table_result *res, const char **key,
                       size_t *klen, struct am_range *covers,
                       struct am_error *err)
{
    const struct am_record *rec;
    int rc;

    memset(res, 0, sizeof(*res));
    if (!am_addrkeys_lookup(t->addrkeys, a, &rec, covers))
        return 0;
    am_buf_reset(&t->val);
    if ((rc = am_buf_append(&t->val, rec->val, rec->vlen, err)) < 0)
        return rc;
    res->value = t->val.data;
    res->vlen = rec->vlen;
    if (t->text != NULL) {
        res->loc.file = am_texthash_path(t->text);
        res->loc.line = rec->line;
    }
    *key = rec->key;
    *klen = rec->klen;
    return 1;
}

/* Rewrite a source's networks as compile does, so expanded keys are found. */
static int
expand_step(am_tablebuild *tb, void *ctx, struct am_error *err)
{
    (void) ctx;
    return am_tableexpand(tb, AM_TABLEEXPAND_MAX_KEYS, err) < 0 ? -1 : 0;
}

int
am_table_locate(am_table *t, const char *key, size_t klen,
                struct am_table_result *res)
{
    const struct am_record *rec;
    struct am_error err;
    int flags;

    if (res->loc.line != 0)
        return 1;
    if (t->store == NULL && t->map == NULL)
        return 0;
    if (!t->source_tried) {
        t->source_tried = 1;
        flags = (t->fold ? AM_TEXTHASH_FOLD : 0) | (t->utf8 ? AM_TEXTHASH_UTF8 : 0);
        t->source = am_texthash_open_with(t->path, flags, expand_step, NULL,
                                          NULL, &err);
    }
    if (t->source == NULL || am_texthash_get(t->source, key, klen, &rec, &err) <= 0)
        return 0;
    res->loc.file = am_texthash_path(t->source);
    res->loc.line = rec->line;
    return 1;
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
    am_addrkeys_free(t->addrkeys);
    am_store_close(t->store);
    am_texthash_close(t->text);
    am_cidrtable_close(t->cidr);
    am_texthash_close(t->source);
    am_kvmap_free(t->map);
    free(t->recs);
    am_arena_free(t->arena);
    free(t->path);
    am_fold_free(t->folder);
    am_buf_free(&t->val);
    free(t->name);
    free(t);
}
