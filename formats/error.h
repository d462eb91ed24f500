/* error.h - how accessmap's libraries report failure.
 *
 * A library call returns 0 (or a count, or 1/0 for yes/no questions) on
 * success and a negative AM_ERR_* code on failure; the details go into a
 * caller-supplied struct am_error, always the last parameter.  Filling an
 * am_error never allocates.  "Not found" is never an error.
 */
#ifndef AM_FORMATS_ERROR_H
#define AM_FORMATS_ERROR_H

#include <stdarg.h>

enum am_err_code {
    AM_OK = 0,
    AM_ERR_NOMEM = -1,          /* out of memory */
    AM_ERR_IO = -2,             /* system call failed; see sys_errno */
    AM_ERR_SYNTAX = -3,         /* malformed input text */
    AM_ERR_CORRUPT = -4,        /* a compiled file is damaged or not ours */
    AM_ERR_UNSUPPORTED = -5,    /* operation not available for this type */
    AM_ERR_LIMIT = -6,          /* a size or count limit was exceeded */
    AM_ERR_INVALID = -7,        /* bad argument or option */
    AM_ERR_DB = -8,             /* error from a storage library */
    AM_ERR_RETRY = -9,          /* temporary: try again later */
};

/* Where something is: file, 1-based line and column; 0 means unknown.
 * The file name is borrowed and must outlive the struct. */
struct am_loc {
    const char *file;
    unsigned line;
    unsigned col;
};

#define AM_ERROR_MSG_MAX 512

struct am_error {
    int code;                   /* AM_ERR_*, 0 when unset */
    int sys_errno;              /* errno for AM_ERR_IO, else 0 */
    struct am_loc loc;          /* where, when known */
    char msg[AM_ERROR_MSG_MAX]; /* what, lower case, no trailing period */
};

/* Reset to "no error". */
void am_error_clear(struct am_error *err);

/* Record code and a formatted message; returns code so callers can write
 * "return am_error_set(err, AM_ERR_SYNTAX, ...)".  err may be NULL. */
int am_error_set(struct am_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int am_error_vset(struct am_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Like am_error_set with AM_ERR_IO, but appends ": strerror(errno)" and
 * saves errno (read before anything else happens). */
int am_error_sys(struct am_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Attach a location if none is set yet (the lower layer says what, the
 * caller says where). */
void am_error_at(struct am_error *err, const char *file, unsigned line,
                 unsigned col);

/* Prefix the message with "context: " (e.g. the table name). */
void am_error_prefix(struct am_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Short description of a code, like strerror(). */
const char *am_error_text(int code);

#endif
