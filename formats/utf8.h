/* utf8.h - strict UTF-8 validation (RFC 3629), as Postfix applies it.
 *
 * Rejects overlong forms, surrogates (U+D800..U+DFFF), code points above
 * U+10FFFF and truncated sequences.  NUL bytes count as ASCII.
 */
#ifndef AM_FORMATS_UTF8_H
#define AM_FORMATS_UTF8_H

#include <stddef.h>

/* 1 if [s, s+len) is valid UTF-8, else 0. */
int am_utf8_valid(const char *s, size_t len);
/* 1 if every byte is below 0x80. */
int am_utf8_is_ascii(const char *s, size_t len);

#endif
