/* explain.h - printing an engine decision: plain, --explain text, --json. */
#ifndef AM_MAPTOOL_EXPLAIN_H
#define AM_MAPTOOL_EXPLAIN_H

#include <stdio.h>

#include "engine/engine.h"
#include "engine/search.h"
#include "engine/trace.h"

struct explain_input {
    int check;                  /* enum am_check */
    const struct am_search_input *in;
};

/* found: engine result (1 found, 0 none).  trace may be NULL. */
void explain_text(FILE *fp, am_engine *e, const struct explain_input *x,
                  int found, const struct am_answer *ans, const am_trace *trace);
void explain_json(FILE *fp, am_engine *e, const struct explain_input *x,
                  int found, const struct am_answer *ans, const am_trace *trace);

#endif
