/* trace.h - am_trace: every probe of one query, for "why was it decided so".
 *
 * The engine records one step per key it tries in each table, with what it
 * found; steps after the decision that would also have matched are marked
 * shadowed.  The trace copies all text it keeps (one arena, emptied by
 * am_trace_reset), so it outlives the lookups that filled it.
 */
#ifndef AM_ENGINE_TRACE_H
#define AM_ENGINE_TRACE_H

#include <stddef.h>

#include "formats/error.h"

enum am_trace_result {
    AM_TRACE_MISS,              /* key not in this table */
    AM_TRACE_HIT,               /* found: this entry decides for the table */
    AM_TRACE_SKIPPED,           /* partial key: not sent to a pattern table */
    AM_TRACE_SHADOWED,          /* would match, but an earlier hit decided */
    AM_TRACE_ERROR,             /* the lookup failed */
};

struct am_trace_step {
    size_t table;               /* index of the table in the engine */
    const char *key;            /* the key tried */
    int step;                   /* enum am_probe_step */
    int fixed_only;             /* partial key */
    int result;                 /* enum am_trace_result */
    const char *value;          /* HIT/SHADOWED: the value; ERROR: why */
    struct am_loc loc;          /* HIT/SHADOWED: source line when known */
};

typedef struct am_trace am_trace;

am_trace *am_trace_new(struct am_error *err);
void am_trace_free(am_trace *tr);               /* accepts NULL */
void am_trace_reset(am_trace *tr);
/* Record a step (text copied).  0 or AM_ERR_NOMEM. */
int am_trace_add(am_trace *tr, const struct am_trace_step *step);
size_t am_trace_count(const am_trace *tr);
const struct am_trace_step *am_trace_step(const am_trace *tr, size_t i);

#endif
