/* lines.h - am_lines: a Postfix source file as a stream of logical lines.
 *
 * Follows the rules every Postfix table source uses: a line that starts with
 * whitespace continues the previous one (the newline is dropped, the leading
 * whitespace kept); empty, all-whitespace and '#' comment lines are skipped,
 * even inside a continued entry; the last line needs no newline.  A logical
 * line is numbered by its first physical line.  Text is raw bytes and may
 * contain NULs and CRs; callers decide what they mean.
 *
 * The whole input is held in memory (mapped for regular files), so a line
 * returned by am_lines_next() is borrowed: valid until the next call.
 */
#ifndef AM_FORMATS_LINES_H
#define AM_FORMATS_LINES_H

#include <stddef.h>

#include "formats/diag.h"
#include "formats/error.h"

typedef struct am_lines am_lines;

/* Open a file; name "-" reads standard input to its end.  The path is
 * copied and used as the file name in locations. */
am_lines *am_lines_open(const char *path, struct am_error *err);
/* Read from a buffer the caller keeps alive; name is used in locations. */
am_lines *am_lines_open_mem(const char *name, const char *data, size_t len,
                            struct am_error *err);
/* Read a file descriptor to its end (not closed); name as above. */
am_lines *am_lines_open_fd(int fd, const char *name, struct am_error *err);

/* Next logical line.  Returns 1 and sets *text, *len and *lineno (the first
 * physical line), 0 at end of input, <0 on error.  A continuation with
 * nothing before it is skipped with a warning sent to diags (may be NULL). */
int am_lines_next(am_lines *lr, const char **text, size_t *len,
                  unsigned *lineno, struct am_diag_sink *diags,
                  struct am_error *err);

/* Does text returned by am_lines_next() stay valid until am_lines_close()?
 * True for lines that were not assembled from several physical lines. */
int am_lines_stable(const am_lines *lr, const char *text);

/* The name given at open (borrowed). */
const char *am_lines_name(const am_lines *lr);
/* Size of the whole input in bytes, and bytes consumed so far (progress). */
size_t am_lines_size(const am_lines *lr);
size_t am_lines_offset(const am_lines *lr);
/* Physical lines from the current position to the end (a bound on the
 * entries still to come, for sizing arrays once). */
size_t am_lines_left(const am_lines *lr);

void am_lines_close(am_lines *lr);              /* accepts NULL */

/* Postfix's notion of whitespace: ASCII space, \t, \n, \v, \f, \r. */
static inline int
am_is_space(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

#endif
