/* tcptable.c - tcp_table(5) request decoder and reply encoder.
 *
 * Pure functions on caller buffers: nothing is allocated, nothing is kept.
 * The byte classes follow Postfix 3.7's hex_quote(): a client encodes %,
 * ASCII whitespace and controls, DEL and every byte >= 0x80.
 */
#include "engine/tcptable.h"

#include <string.h>

static const char hexdigits[] = "0123456789ABCDEF";

static int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int
needs_quote(unsigned char c)
{
    return c == '%' || c <= 0x20 || c >= 0x7f;
}

/* Printable excerpt of s for messages: at most 40 bytes, others as '_'. */
static void
excerpt(char *out, size_t outsz, const char *s, size_t n)
{
    size_t i, k = 0;

    for (i = 0; i < n && k + 1 < outsz && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '_';
    }
    out[k] = 0;
}

int
am_tcptable_unquote(const char *text, size_t tlen, char *out,
                    size_t *outlen, struct am_error *err)
{
    size_t i, k = 0;

    for (i = 0; i < tlen; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '%') {
            int hi, lo;
            if (tlen - i < 3 || (hi = hexval((unsigned char)text[i + 1])) < 0
                || (lo = hexval((unsigned char)text[i + 2])) < 0) {
                char ex[48];
                excerpt(ex, sizeof(ex), text + i, tlen - i < 3 ? tlen - i : 3);
                return am_error_set(err, AM_ERR_SYNTAX,
                                    "bad %%XX escape \"%s\" at byte %zu",
                                    ex, i + 1);
            }
            out[k++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[k++] = (char)c;
        }
    }
    *outlen = k;
    return 0;
}

int
am_tcptable_decode(const char *buf, size_t len, size_t max,
                   struct am_tcptable_req *req, size_t *consumed,
                   struct am_error *err)
{
    const char *lf;
    size_t scan, line, body, klen;
    int rc;

    *consumed = 0;
    if (max == 0 || max > AM_TCPTABLE_LINE_MAX)
        max = AM_TCPTABLE_LINE_MAX;
    scan = len < max ? len : max;
    lf = memchr(buf, '\n', scan);
    if (lf == NULL) {
        if (len >= max)
            return am_error_set(err, AM_ERR_LIMIT,
                                "request line longer than %zu bytes", max);
        return 0;
    }
    line = (size_t)(lf - buf) + 1;
    *consumed = line;
    body = line - 1;
    if (body > 0 && buf[body - 1] == '\r')
        body--;
    if (body >= 4 && memcmp(buf, "get ", 4) == 0) {
        req->op = AM_TCPTABLE_GET;
        klen = body - 4;
    } else if (body >= 4 && memcmp(buf, "put ", 4) == 0) {
        const char *sp = memchr(buf + 4, ' ', body - 4);
        req->op = AM_TCPTABLE_PUT;
        klen = sp ? (size_t)(sp - (buf + 4)) : body - 4;
    } else {
        char ex[48];
        excerpt(ex, sizeof(ex), buf, body);
        return am_error_set(err, AM_ERR_SYNTAX,
                            "request is not \"get KEY\": \"%s\"", ex);
    }
    rc = am_tcptable_unquote(buf + 4, klen, req->key, &req->klen, err);
    if (rc < 0)
        return rc;
    req->key[req->klen] = 0;
    if (req->op == AM_TCPTABLE_PUT)
        return am_error_set(err, AM_ERR_UNSUPPORTED,
                            "put requests are not supported");
    return 1;
}

size_t
am_tcptable_quoted_len(const char *text, size_t tlen)
{
    size_t i, n = 0;

    for (i = 0; i < tlen; i++)
        n += needs_quote((unsigned char)text[i]) ? 3 : 1;
    return n;
}

/* Length of the UTF-8 sequence led by c, 1 for anything else. */
static size_t
utf8_seqlen(unsigned char c)
{
    if (c >= 0xf0 && c < 0xf8)
        return 4;
    if (c >= 0xe0)
        return c < 0xf0 ? 3 : 1;
    if (c >= 0xc0)
        return 2;
    return 1;
}

size_t
am_tcptable_quote(const char *text, size_t tlen, char *out, size_t outsz,
                  size_t *used)
{
    size_t i = 0, k = 0;

    while (i < tlen) {
        const unsigned char *p = (const unsigned char *)text + i;
        size_t seq, need = 0, j;

        /* The common case, a byte that stands for itself, first. */
        if (!needs_quote(p[0])) {
            if (k == outsz)
                break;
            out[k++] = (char)p[0];
            i++;
            continue;
        }
        seq = utf8_seqlen(p[0]);

        if (seq > tlen - i)
            seq = 1;
        for (j = 1; j < seq; j++)
            if ((p[j] & 0xc0) != 0x80)
                break;
        if (j < seq)
            seq = 1;            /* not a whole sequence: bytes one by one */
        for (j = 0; j < seq; j++)
            need += needs_quote(p[j]) ? 3 : 1;
        if (need > outsz - k)
            break;
        for (j = 0; j < seq; j++) {
            if (needs_quote(p[j])) {
                out[k++] = '%';
                out[k++] = hexdigits[p[j] >> 4];
                out[k++] = hexdigits[p[j] & 15];
            } else {
                out[k++] = (char)p[j];
            }
        }
        i += seq;
    }
    if (used)
        *used = i;
    return k;
}

size_t
am_tcptable_reply(char *out, int code, const char *text, size_t tlen,
                  int *cut)
{
    size_t k, used;

    if (code < 100 || code > 599)
        code = 400;
    out[0] = (char)('0' + code / 100);
    out[1] = (char)('0' + code / 10 % 10);
    out[2] = (char)('0' + code % 10);
    out[3] = ' ';
    k = 4 + am_tcptable_quote(text, tlen, out + 4,
                              AM_TCPTABLE_REPLY_MAX - 1 - 4, &used);
    out[k++] = '\n';
    if (cut)
        *cut = used < tlen;
    return k;
}
