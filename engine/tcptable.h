/* tcptable.h - am_tcptable: the tcp_table(5) protocol as bytes in, bytes out.
 *
 * Postfix's tcp: client sends "get SP key LF" with the key %XX-encoded
 * (%, whitespace, controls and bytes >= 0x80 become upper-case %XX) and
 * reads one reply line "NNN SP text LF" of at most 4095 bytes before the
 * LF.  The decoder looks at a buffer and says: need more, here is one
 * request, or protocol error; it never allocates and never reads past len.
 * The encoder writes one reply line into a caller buffer.  No state is kept
 * between calls: a request structure is owned by the caller.
 */
#ifndef AM_ENGINE_TCPTABLE_H
#define AM_ENGINE_TCPTABLE_H

#include <stddef.h>

#include "formats/error.h"

/* Longest request line accepted, LF included; the key after decoding is
 * never longer than this. */
#define AM_TCPTABLE_LINE_MAX 16384
/* Longest reply line Postfix reads: 4095 bytes plus LF. */
#define AM_TCPTABLE_REPLY_MAX 4096

enum am_tcptable_op {
    AM_TCPTABLE_GET = 1,
    AM_TCPTABLE_PUT = 2,        /* decoded but never served */
};

struct am_tcptable_req {
    int op;                     /* enum am_tcptable_op */
    size_t klen;                /* decoded key length (may contain NULs) */
    char key[AM_TCPTABLE_LINE_MAX]; /* decoded key, NUL-terminated */
};

/* Decode the first request in buf[0..len).  max bounds the line, LF
 * included (0 or more than AM_TCPTABLE_LINE_MAX: AM_TCPTABLE_LINE_MAX).
 * Returns 1 with *consumed = bytes of the line (LF included) and req
 * filled; 0 when the line is not complete yet (and still within max); or
 * a protocol error:
 *   AM_ERR_LIMIT        no LF within max bytes (*consumed = 0: the stream
 *                       cannot be resynchronised);
 *   AM_ERR_SYNTAX       a whole line that is not "get|put SP ...", or a %
 *                       not followed by two hex digits (*consumed = line);
 *   AM_ERR_UNSUPPORTED  a well-formed "put" (req->op is set, *consumed =
 *                       line), which this server does not serve.
 * One CR before the LF is ignored, for people typing at the server;
 * Postfix itself sends CR as %0D.  Other raw bytes are taken as they are,
 * as Postfix's own decoder does. */
int am_tcptable_decode(const char *buf, size_t len, size_t max,
                       struct am_tcptable_req *req, size_t *consumed,
                       struct am_error *err);

/* Bytes of %XX encoding of text: the length am_tcptable_quote() would
 * produce without a bound. */
size_t am_tcptable_quoted_len(const char *text, size_t tlen);

/* %XX-encode text into out (at most outsz bytes, no NUL added), encoding
 * exactly the bytes Postfix's client encodes.  Stops before an escape or
 * a UTF-8 sequence that would not fit whole.  Returns the bytes written;
 * *used (may be NULL) gets the bytes of text consumed. */
size_t am_tcptable_quote(const char *text, size_t tlen, char *out,
                         size_t outsz, size_t *used);

/* Write one reply line "code SP encoded-text LF" into out, which must
 * hold AM_TCPTABLE_REPLY_MAX bytes; code is 200, 400 or 500 (100..599).
 * A text whose encoding does not fit the 4095-byte line is cut at an
 * escape and UTF-8 boundary so Postfix can still read the reply; *cut
 * (may be NULL) is set to 1 then, else 0.  Returns the line length,
 * LF included. */
size_t am_tcptable_reply(char *out, int code, const char *text, size_t tlen,
                         int *cut);

/* Percent-decode text as Postfix's client decodes a reply: %XX in either
 * case, other bytes as they are.  out must hold tlen bytes; *outlen gets
 * the decoded length.  Returns 0, or AM_ERR_SYNTAX on a bad escape. */
int am_tcptable_unquote(const char *text, size_t tlen, char *out,
                        size_t *outlen, struct am_error *err);

#endif
