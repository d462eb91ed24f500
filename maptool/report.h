/* report.h - how accessmap prints diagnostics: compiler style on stderr.
 *
 *   FILE:LINE: warning: duplicate entry "a.example" ignored; ...
 *   accessmap: error: open helo_access: No such file or directory
 *
 * Non-printable bytes in quoted text are shown as '?'.
 */
#ifndef AM_MAPTOOL_REPORT_H
#define AM_MAPTOOL_REPORT_H

#include "formats/diag.h"
#include "formats/error.h"

/* A sink that prints every finding; strict promotes warnings to errors. */
struct report {
    struct am_diag_sink sink;
    int strict;                 /* print warnings as errors */
    int quiet;                  /* count, do not print warnings */
};

void report_init(struct report *r, int strict);
/* Print "accessmap: error: MSG" with the error's location if it has one. */
void report_error(const struct am_error *err);
/* printf-style "accessmap: error: ..." for problems found by maptool. */
void report_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Findings so far that make the operation fail (errors, and warnings when
 * strict). */
unsigned long report_failures(const struct report *r);

#endif
