/* error.c - filling struct am_error; see error.h. */
#include "formats/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void
am_error_clear(struct am_error *err)
{
    if (err == NULL)
        return;
    err->code = 0;
    err->sys_errno = 0;
    err->loc.file = NULL;
    err->loc.line = 0;
    err->loc.col = 0;
    err->msg[0] = '\0';
}

int
am_error_vset(struct am_error *err, int code, const char *fmt, va_list ap)
{
    if (err == NULL)
        return code;
    am_error_clear(err);
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    return code;
}

int
am_error_set(struct am_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    am_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int
am_error_sys(struct am_error *err, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    size_t len;

    if (err == NULL)
        return AM_ERR_IO;
    va_start(ap, fmt);
    am_error_vset(err, saved == ENOMEM ? AM_ERR_NOMEM : AM_ERR_IO, fmt, ap);
    va_end(ap);
    err->sys_errno = saved;
    len = strlen(err->msg);
    if (len < sizeof(err->msg))
        snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
                 strerror(saved));
    errno = saved;
    return err->code;
}

void
am_error_at(struct am_error *err, const char *file, unsigned line,
            unsigned col)
{
    if (err == NULL || err->loc.file != NULL)
        return;
    err->loc.file = file;
    err->loc.line = line;
    err->loc.col = col;
}

void
am_error_prefix(struct am_error *err, const char *fmt, ...)
{
    char head[AM_ERROR_MSG_MAX];
    size_t hlen, mlen, room;
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head) - 2, fmt, ap);
    va_end(ap);
    strcat(head, ": ");
    hlen = strlen(head);
    mlen = strlen(err->msg);
    room = sizeof(err->msg) - 1;
    if (hlen > room)
        hlen = room;
    if (mlen > room - hlen)
        mlen = room - hlen;
    memmove(err->msg + hlen, err->msg, mlen);
    memcpy(err->msg, head, hlen);
    err->msg[hlen + mlen] = '\0';
}

const char *
am_error_text(int code)
{
    switch (code) {
    case AM_OK:               return "success";
    case AM_ERR_NOMEM:        return "out of memory";
    case AM_ERR_IO:           return "input/output error";
    case AM_ERR_SYNTAX:       return "syntax error";
    case AM_ERR_CORRUPT:      return "corrupt or unrecognised file";
    case AM_ERR_UNSUPPORTED:  return "operation not supported";
    case AM_ERR_LIMIT:        return "limit exceeded";
    case AM_ERR_INVALID:      return "invalid argument";
    case AM_ERR_DB:           return "database library error";
    case AM_ERR_RETRY:        return "temporary failure";
    default:                  return "unknown error";
    }
}
