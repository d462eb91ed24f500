/* sockmap.c - socketmap netstring request decoder and reply encoder.
 *
 * Pure functions on caller buffers: nothing is allocated, nothing is kept.
 * Netstring rules follow Postfix 3.7's netstring.c: decimal digits, ':',
 * exactly that many bytes, ','.
 */
#include "engine/sockmap.h"

#include <stdio.h>
#include <string.h>

int
am_sockmap_decode(const char *buf, size_t len, size_t max,
                  struct am_sockmap_req *req, size_t *consumed,
                  struct am_error *err)
{
    size_t i, n = 0, start;
    const char *p, *sp;

    *consumed = 0;
    if (max == 0 || max > AM_SOCKMAP_MAX)
        max = AM_SOCKMAP_MAX;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == ':')
            break;
        if (c < '0' || c > '9')
            return am_error_set(err, AM_ERR_SYNTAX,
                                "netstring length has a non-digit (0x%02x)",
                                c);
        n = n * 10 + (c - '0');
        if (n > max)
            return am_error_set(err, AM_ERR_LIMIT,
                                "netstring longer than %zu bytes", max);
    }
    if (i == len)
        return 0;
    if (i == 0)
        return am_error_set(err, AM_ERR_SYNTAX, "netstring has no length");
    start = i + 1;
    if (len - start < n + 1)
        return 0;
    if (buf[start + n] != ',')
        return am_error_set(err, AM_ERR_SYNTAX,
                            "netstring does not end with ','");
    p = buf + start;
    sp = memchr(p, ' ', n);
    if (sp == NULL)
        return am_error_set(err, AM_ERR_SYNTAX,
                            "request has no space between map name and key");
    req->name = p;
    req->nlen = (size_t)(sp - p);
    req->key = sp + 1;
    req->klen = n - req->nlen - 1;
    *consumed = start + n + 1;
    return 1;
}

size_t
am_sockmap_reply(char *out, const char *status, const char *data,
                 size_t dlen, int *cut)
{
    size_t slen = strlen(status), plen, k;
    int space = data != NULL || strcmp(status, "OK") == 0;

    if (slen > 16)
        slen = 16;
    if (cut)
        *cut = 0;
    if (dlen > AM_SOCKMAP_MAX - slen - 1) {
        dlen = AM_SOCKMAP_MAX - slen - 1;
        /* do not end inside a UTF-8 sequence */
        while (dlen > 0 && ((unsigned char)data[dlen] & 0xc0) == 0x80)
            dlen--;
        if (cut)
            *cut = 1;
    }
    plen = slen + (size_t)space + dlen;
    k = (size_t)snprintf(out, 16, "%zu:", plen);
    memcpy(out + k, status, slen);
    k += slen;
    if (space)
        out[k++] = ' ';
    if (dlen)
        memcpy(out + k, data, dlen);
    k += dlen;
    out[k++] = ',';
    return k;
}
