/* engine.c - loading tables and answering lookups; see engine.h.
 *
 * XXX Provisional: exact lookups in each table, in order.  The Postfix
 * search order per check kind, networks and cidr tables plug in here.
 */
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/table.h"
#include "formats/store.h"

struct am_engine {
    int kind;
    am_table **tables;
    size_t ntables;
};

am_engine *
am_engine_open(const char *const *specs, size_t nspecs,
               const struct am_engine_opts *opts, struct am_error *err)
{
    struct am_table_opts to = { 0 };
    am_engine *e = calloc(1, sizeof(*e));
    size_t i;

    if (e == NULL || (e->tables = calloc(nspecs ? nspecs : 1, sizeof(*e->tables))) == NULL) {
        free(e);
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    e->kind = opts->kind;
    to.nofold = opts->nofold;
    to.utf8 = opts->conf ? am_pfconf_bool(opts->conf, "smtputf8_enable", 1) : 1;
    to.nul_mode = AM_STORE_NUL_AUTO;
    to.default_type = opts->conf ? am_pfconf_get(opts->conf, "default_database_type") : "hash";
    to.diags = opts->diags;
    for (i = 0; i < nspecs; i++) {
        if ((e->tables[i] = am_table_open(specs[i], &to, err)) == NULL) {
            am_engine_close(e);
            return NULL;
        }
        e->ntables++;
    }
    return e;
}

int
am_engine_lookup(am_engine *e, const char *key, size_t klen,
                 struct am_answer *ans, struct am_error *err)
{
    struct am_table_result res;
    size_t i;
    int rc;

    for (i = 0; i < e->ntables; i++) {
        rc = am_table_get(e->tables[i], key, klen, &res, err);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            ans->value = res.value;
            ans->vlen = res.vlen;
            ans->table = am_table_name(e->tables[i]);
            ans->key = NULL;
            ans->loc = res.loc;
            return 1;
        }
    }
    return 0;
}

int
am_engine_kind(const am_engine *e)
{
    return e->kind;
}

size_t
am_engine_ntables(const am_engine *e)
{
    return e->ntables;
}

const char *
am_engine_table_name(const am_engine *e, size_t i)
{
    return i < e->ntables ? am_table_name(e->tables[i]) : NULL;
}

void
am_engine_close(am_engine *e)
{
    size_t i;

    if (e == NULL)
        return;
    for (i = 0; i < e->ntables; i++)
        am_table_close(e->tables[i]);
    free(e->tables);
    free(e);
}
