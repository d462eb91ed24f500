/* fuzz_sockmap.c - the socketmap codec: request netstrings, reply
 * netstrings.
 *
 * The input is a client's byte stream, decoded request by request as the
 * server does: name and key must lie inside the input.  The input is also
 * sent as reply data: the netstring must be well formed (decoding it gives
 * "OK" and the data) and no longer than Postfix accepts.
 */
#include <string.h>

#include "engine/sockmap.h"
#include "tests/fuzz/fuzz.h"

static char reply[AM_SOCKMAP_REPLY_MAX];

static int
inside(const char *p, size_t len, const char *buf, size_t size)
{
    return p >= buf && p + len <= buf + size;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *) data;
    struct am_sockmap_req req;
    struct am_error err;
    size_t off = 0, consumed, len;
    int rc, cut;

    while (off < size) {
        consumed = 0;
        rc = am_sockmap_decode(buf + off, size - off, 0, &req, &consumed, &err);
        if (rc == 0)
            break;
        if (rc < 0) {
            fuzz_assert(rc == AM_ERR_LIMIT || rc == AM_ERR_SYNTAX);
            break;              /* cannot resynchronise */
        }
        fuzz_assert(consumed > 0 && consumed <= size - off);
        fuzz_assert(inside(req.name, req.nlen, buf + off, consumed));
        fuzz_assert(inside(req.key, req.klen, buf + off, consumed));
        off += consumed;
    }

    len = am_sockmap_reply(reply, "OK", buf, size, &cut);
    fuzz_assert(len > 0 && len <= AM_SOCKMAP_REPLY_MAX);
    rc = am_sockmap_decode(reply, len, 0, &req, &consumed, &err);
    fuzz_assert(rc == 1 && consumed == len);
    fuzz_assert(req.nlen == 2 && memcmp(req.name, "OK", 2) == 0);
    if (!cut)
        fuzz_assert(req.klen == size && memcmp(req.key, buf, size) == 0);
    else
        fuzz_assert(req.klen < size && memcmp(req.key, buf, req.klen) == 0);
    len = am_sockmap_reply(reply, "NOTFOUND", NULL, 0, NULL);
    fuzz_assert(len == 11 && memcmp(reply, "8:NOTFOUND,", 11) == 0);
    return 0;
}
