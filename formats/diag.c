/* diag.c - delivering findings to a sink; see diag.h. */
#include "formats/diag.h"

#include <stdio.h>

void
am_diag_emit(struct am_diag_sink *sink, int level, const struct am_loc *loc,
             const char *id, const char *fmt, ...)
{
    char msg[1024];
    struct am_diag d;
    va_list ap;

    if (sink == NULL)
        return;
    if (level >= AM_DIAG_NOTE && level <= AM_DIAG_ERROR)
        sink->count[level]++;
    if (sink->fn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    d.level = level;
    if (loc != NULL)
        d.loc = *loc;
    else
        d.loc = (struct am_loc){ NULL, 0, 0 };
    d.id = id;
    d.msg = msg;
    sink->fn(sink->ctx, &d);
}

void
am_diag_error(struct am_diag_sink *sink, int level, const struct am_error *err,
              const char *id)
{
    am_diag_emit(sink, level, &err->loc, id, "%s", err->msg);
}
