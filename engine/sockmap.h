/* sockmap.h - am_sockmap: the socketmap protocol as bytes in, bytes out.
 *
 * A request is one netstring "LEN:NAME SP KEY," with the key raw (no
 * encoding, no folding); a reply is one netstring "LEN:STATUS SP DATA,"
 * with STATUS one of OK, NOTFOUND, TEMP, TIMEOUT, PERM.  Postfix's client
 * refuses replies longer than 100000 bytes.  The decoder points into the
 * caller's buffer (borrowed: valid while the buffer is); nothing is
 * allocated and nothing is kept between calls.
 */
#ifndef AM_ENGINE_SOCKMAP_H
#define AM_ENGINE_SOCKMAP_H

#include <stddef.h>

#include "formats/error.h"

/* Postfix's netstring limit for socketmap replies; also the largest
 * request payload accepted. */
#define AM_SOCKMAP_MAX 100000
/* Room for a reply netstring around AM_SOCKMAP_MAX payload bytes. */
#define AM_SOCKMAP_REPLY_MAX (AM_SOCKMAP_MAX + 8)

struct am_sockmap_req {
    const char *name;           /* map name, into the buffer */
    size_t nlen;
    const char *key;            /* raw key, into the buffer */
    size_t klen;
};

/* Decode the first request netstring in buf[0..len).  max bounds the
 * payload (0 or more than AM_SOCKMAP_MAX: AM_SOCKMAP_MAX), checked as soon
 * as the length is read, before any payload is buffered.  Returns 1 with
 * *consumed = bytes of the netstring and req filled; 0 when incomplete; or
 * a protocol error (the stream cannot be resynchronised):
 *   AM_ERR_LIMIT   the announced length exceeds max;
 *   AM_ERR_SYNTAX  not digits then ':', no ',' after the payload, or a
 *                  payload without the space between name and key. */
int am_sockmap_decode(const char *buf, size_t len, size_t max,
                      struct am_sockmap_req *req, size_t *consumed,
                      struct am_error *err);

/* Write the reply netstring "LEN:status[ SP data]," into out, which must
 * hold AM_SOCKMAP_REPLY_MAX bytes.  status is "OK", "NOTFOUND", "TEMP",
 * "TIMEOUT" or "PERM"; data (may be NULL with dlen 0) is sent raw.  With
 * a NULL data, no space is written ("NOTFOUND" alone is a valid reply, but
 * "OK" alone would mean not found, so OK always gets its space).  Data
 * that would exceed AM_SOCKMAP_MAX is cut at a UTF-8 boundary; *cut (may
 * be NULL) is set to 1 then, else 0.  Returns the netstring length. */
size_t am_sockmap_reply(char *out, const char *status, const char *data,
                        size_t dlen, int *cut);

#endif
