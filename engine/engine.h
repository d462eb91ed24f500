/* engine.h - am_engine: a check kind plus an ordered list of tables.
 *
 * The question an engine answers is the one Postfix asks when main.cf says
 * "check_client_access TABLE1, TABLE2": which table entry decides for this
 * client, HELO name, sender or recipient?  am_engine_lookup() takes one key
 * the way Postfix sends it to a tcp: or socketmap: table and applies the
 * kind's whole search itself (parent domains, networks, partial keys).
 *
 * An engine is loaded once and then only read.  Answers are borrowed from
 * the engine and stay valid until am_engine_close().  One thread at a time
 * may use an engine; a server loads a new engine to reload and swaps it in.
 */
#ifndef AM_ENGINE_ENGINE_H
#define AM_ENGINE_ENGINE_H

#include <stddef.h>

#include "engine/check.h"
#include "formats/diag.h"
#include "formats/error.h"
#include "formats/pfconf.h"

struct am_engine_opts {
    int kind;                   /* enum am_check */
    const am_pfconf *conf;      /* search-order parameters; NULL: defaults */
    int nofold;                 /* do not fold keys (postmap -f) */
    struct am_diag_sink *diags; /* warnings while loading; may be NULL */
};

/* Which entry decided. */
struct am_answer {
    const char *value;          /* NUL-terminated */
    size_t vlen;
    const char *table;          /* "type:name" of the table that answered */
    const char *key;            /* the key (or network) that matched */
    struct am_loc loc;          /* its source line, when known */
};

typedef struct am_engine am_engine;

/* Load the tables named by specs ("type:name") for a check kind.  Every
 * table is read completely into memory, so later lookups never touch the
 * disk and see one consistent version of each table. */
am_engine *am_engine_open(const char *const *specs, size_t nspecs,
                          const struct am_engine_opts *opts,
                          struct am_error *err);
/* 1 found (ans filled), 0 no entry applies, <0 error. */
int am_engine_lookup(am_engine *e, const char *key, size_t klen,
                     struct am_answer *ans, struct am_error *err);
int am_engine_kind(const am_engine *e);
size_t am_engine_ntables(const am_engine *e);
const char *am_engine_table_name(const am_engine *e, size_t i);
void am_engine_close(am_engine *e);             /* accepts NULL */

#endif
