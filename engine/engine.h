/* engine.h - am_engine: a check kind plus an ordered list of tables.
 *
 * The question an engine answers is the one Postfix answers when main.cf
 * says "check_client_access TABLE1, check_client_access TABLE2": which
 * table entry decides for this client, HELO name, sender or recipient?
 * Each table is searched with smtpd's keys in smtpd's order (engine/
 * search.h); the first hit ends that table's search.  Tables are consulted
 * like consecutive restrictions: a hit whose action lets evaluation go on
 * (DUNNO, WARN, INFO, HOLD, DISCARD, FILTER, REDIRECT, BCC, PREPEND,
 * DEFER_IF_*) passes on to the next table; the first final action (OK,
 * REJECT, DEFER, 4NN/5NN text, restriction names) decides.  When no table
 * gives a final action, the first non-final hit is the answer.  For the
 * exact kind (postmap -q) the first hit in table order is the answer.
 *
 * am_engine_query() takes a whole check input (client address and name,
 * HELO name, sender, recipient) and can record a trace; am_engine_lookup()
 * takes one key the way Postfix sends it to a tcp: or socketmap: table and
 * applies the kind's search itself (parent domains, partial addresses).
 * One thread at a time may use an engine; answers are borrowed until the
 * next query or lookup on it.
 */
#ifndef AM_ENGINE_ENGINE_H
#define AM_ENGINE_ENGINE_H

#include <stddef.h>

#include "engine/action.h"
#include "engine/check.h"
#include "engine/search.h"
#include "engine/trace.h"
#include "formats/diag.h"
#include "formats/error.h"
#include "formats/pfconf.h"

struct am_engine_opts {
    int kind;                   /* enum am_check */
    const am_pfconf *conf;      /* main.cf; NULL: defaults.  Borrowed: must
                                 * outlive the engine */
    int nofold;                 /* do not fold keys (postmap -f) */
    int preload;                /* read compiled tables into memory */
    struct am_diag_sink *diags; /* warnings while loading; may be NULL */
};

/* Which entry decided. */
struct am_answer {
    size_t table;               /* index of the table that answered */
    const char *table_name;     /* its "type:name" */
    const char *key;            /* the key that matched */
    int step;                   /* enum am_probe_step of that key */
    const char *value;          /* NUL-terminated */
    size_t vlen;
    struct am_loc loc;          /* source line of the entry, when known */
    int final;                  /* the action ends the restriction list */
    struct am_action action;    /* the value, parsed for the check kind */
};

typedef struct am_engine am_engine;

/* Open the tables named by specs ("type:name") for a check kind.  On
 * failure nothing is left open. */
am_engine *am_engine_open(const char *const *specs, size_t nspecs,
                          const struct am_engine_opts *opts,
                          struct am_error *err);

/* Answer a whole check input.  trace (may be NULL) receives every probe,
 * and then keeps probing to show entries shadowed by the decision.
 * Returns 1 (ans filled), 0 (no entry applies), or <0 on a lookup error
 * (smtpd would answer 451 4.3.5) or an input the check cannot take
 * (AM_ERR_SYNTAX: e.g. a client address that is not an IP address). */
int am_engine_query(am_engine *e, const struct am_search_input *in,
                    struct am_answer *ans, am_trace *trace,
                    struct am_error *err);

/* Answer one key as a tcp:/socketmap: table receives it: for client
 * checks a hostname (domain search) or an address (address search), for
 * HELO the HELO argument, for sender/recipient the address, for exact the
 * key.  Keys the check cannot use (malformed addresses, invalid UTF-8)
 * match nothing.  Same returns as am_engine_query(). */
int am_engine_lookup(am_engine *e, const char *key, size_t klen,
                     struct am_answer *ans, struct am_error *err);

/* The reply name and reply smtpd would send for the last answer
 * (see am_action_reply); returns as am_action_reply. */
int am_engine_reply(am_engine *e, const struct am_answer *ans,
                    struct am_reply *reply, struct am_error *err);

int am_engine_kind(const am_engine *e);
size_t am_engine_ntables(const am_engine *e);
const char *am_engine_table_name(const am_engine *e, size_t i);
/* The search of the last query (probes, reply name), owned by the engine. */
const am_search *am_engine_search(const am_engine *e);
void am_engine_close(am_engine *e);             /* accepts NULL */

#endif
