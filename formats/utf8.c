/* utf8.c - strict UTF-8 validation; see utf8.h. */
#include "formats/utf8.h"

int
am_utf8_is_ascii(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t i;

    for (i = 0; i < len; i++)
        if (p[i] & 0x80)
            return 0;
    return 1;
}

/* Each lead byte allows a narrower range for the first continuation byte;
 * that is how overlong forms, surrogates and values above U+10FFFF are
 * excluded. */
int
am_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s, *end = p + len;
    unsigned char c, lo, hi;
    int tail;

    while (p < end) {
        c = *p++;
        if (c < 0x80)
            continue;
        lo = 0x80;
        hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            tail = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            tail = 2;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            tail = 3;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else {
            return 0;
        }
        if (end - p < tail || *p < lo || *p > hi)
            return 0;
        p++;
        while (--tail > 0) {
            if ((*p & 0xc0) != 0x80)
                return 0;
            p++;
        }
    }
    return 1;
}
