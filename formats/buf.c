/* buf.c - am_buf growable byte strings; see buf.h. */
#include "formats/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
am_buf_init(struct am_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : SIZE_MAX / 2;
}

void
am_buf_free(struct am_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int
am_buf_reserve(struct am_buf *b, size_t extra, struct am_error *err)
{
    size_t need, ncap;
    char *p;

    if (extra > b->max - b->len)
        return am_error_set(err, AM_ERR_LIMIT,
                            "text longer than %zu bytes", b->max);
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap *= 2;
    if ((p = realloc(b->data, ncap)) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    b->data = p;
    b->cap = ncap;
    return 0;
}

int
am_buf_append(struct am_buf *b, const void *p, size_t n, struct am_error *err)
{
    int rc;

    if ((rc = am_buf_reserve(b, n, err)) < 0)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
am_buf_putc(struct am_buf *b, int c, struct am_error *err)
{
    char ch = (char) c;

    return am_buf_append(b, &ch, 1, err);
}

int
am_buf_printf(struct am_buf *b, struct am_error *err, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return am_error_set(err, AM_ERR_INVALID, "bad format");
    if ((rc = am_buf_reserve(b, (size_t) n, err)) < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t) n;
    return 0;
}

void
am_buf_truncate(struct am_buf *b, size_t n)
{
    if (n < b->len) {
        b->len = n;
        b->data[n] = '\0';
    }
}

void *
am_array_grow(void *p, size_t *cap, size_t need, size_t elem_size)
{
    size_t ncap = *cap ? *cap : 16;
    void *np;

    if (need <= *cap)
        return p;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem_size)
            return NULL;
        ncap *= 2;
    }
    if ((np = realloc(p, ncap * elem_size)) == NULL)
        return NULL;
    *cap = ncap;
    return np;
}
