/* report.c - printing diagnostics; see report.h. */
#include "maptool/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const level_names[] = { "note", "warning", "error" };

static void
print_loc(const struct am_loc *loc)
{
    if (loc->file != NULL && loc->line > 0)
        fprintf(stderr, "%s:%u: ", loc->file, loc->line);
    else if (loc->file != NULL)
        fprintf(stderr, "%s: ", loc->file);
    else
        fprintf(stderr, "accessmap: ");
}

static void
print_diag(void *ctx, const struct am_diag *d)
{
    struct report *r = ctx;
    int level = d->level;

    if (level == AM_DIAG_WARNING && r->strict)
        level = AM_DIAG_ERROR;
    if (level < AM_DIAG_ERROR && r->quiet)
        return;
    print_loc(&d->loc);
    fprintf(stderr, "%s: %s\n", level_names[level], d->msg);
}

void
report_init(struct report *r, int strict)
{
    memset(r, 0, sizeof(*r));
    r->strict = strict;
    r->sink.fn = print_diag;
    r->sink.ctx = r;
}

void
report_error(const struct am_error *err)
{
    print_loc(&err->loc);
    fprintf(stderr, "error: %s\n", err->msg[0] ? err->msg : am_error_text(err->code));
}

void
report_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "accessmap: error: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void
report_warn(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "accessmap: warning: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

unsigned long
report_failures(const struct report *r)
{
    return r->sink.count[AM_DIAG_ERROR]
        + (r->strict ? r->sink.count[AM_DIAG_WARNING] : 0);
}
