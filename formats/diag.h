/* diag.h - findings of a whole-file pass (warnings and errors with a place).
 *
 * Parsers never print: they hand each finding to a caller-supplied sink,
 * which may print it (maptool), collect it (tests, lint) or ignore it.  The
 * sink counts findings per level, so "were there warnings?" is one read.
 * The message and location passed to the callback are borrowed for the
 * duration of the call only.
 */
#ifndef AM_FORMATS_DIAG_H
#define AM_FORMATS_DIAG_H

#include "formats/error.h"

enum am_diag_level {
    AM_DIAG_NOTE = 0,           /* extra context for the finding before */
    AM_DIAG_WARNING = 1,        /* postmap would warn and go on */
    AM_DIAG_ERROR = 2,          /* the operation will fail */
};

struct am_diag {
    int level;                  /* enum am_diag_level */
    struct am_loc loc;          /* file:line:col, 0 parts unknown */
    const char *id;             /* short stable name, e.g. "duplicate-key" */
    const char *msg;            /* lower case, no trailing period */
};

typedef void am_diag_fn(void *ctx, const struct am_diag *diag);

struct am_diag_sink {
    am_diag_fn *fn;             /* may be NULL: findings are only counted */
    void *ctx;
    unsigned long count[3];     /* findings seen, per level */
};

/* Report one finding.  sink may be NULL (then nothing happens). */
void am_diag_emit(struct am_diag_sink *sink, int level, const struct am_loc *loc,
                  const char *id, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Report an am_error as a finding of the given level. */
void am_diag_error(struct am_diag_sink *sink, int level,
                   const struct am_error *err, const char *id);

#endif
