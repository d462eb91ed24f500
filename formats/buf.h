/* buf.h - am_buf, a growable byte string with a hard size cap.
 *
 * The contents are always followed by a NUL byte (not counted in len), so
 * text can be used as a C string; binary data may contain NULs.  A buffer
 * that would grow beyond its cap fails with AM_ERR_LIMIT and is unchanged.
 */
#ifndef AM_FORMATS_BUF_H
#define AM_FORMATS_BUF_H

#include <stddef.h>

#include "formats/error.h"

struct am_buf {
    char *data;                 /* NUL-terminated when non-NULL */
    size_t len;                 /* bytes used, excluding the NUL */
    size_t cap;                 /* bytes allocated */
    size_t max;                 /* hard cap on len; 0 means SIZE_MAX/2 */
};

void am_buf_init(struct am_buf *b, size_t max);
void am_buf_free(struct am_buf *b);               /* leaves an empty buffer */
static inline void am_buf_reset(struct am_buf *b) { b->len = 0; if (b->data) b->data[0] = 0; }
/* Make room for extra more bytes; 0 or AM_ERR_NOMEM / AM_ERR_LIMIT. */
int am_buf_reserve(struct am_buf *b, size_t extra, struct am_error *err);
int am_buf_append(struct am_buf *b, const void *p, size_t n, struct am_error *err);
int am_buf_putc(struct am_buf *b, int c, struct am_error *err);
int am_buf_printf(struct am_buf *b, struct am_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* p, an array of *cap elements of size elem_size, grown (doubling, from
 * 16) to hold at least need elements: returns the array, possibly moved,
 * with *cap updated; NULL when out of memory, with p untouched. */
void *am_array_grow(void *p, size_t *cap, size_t need, size_t elem_size);
/* Drop bytes from the end so that len becomes n (n <= len). */
void am_buf_truncate(struct am_buf *b, size_t n);

#endif
