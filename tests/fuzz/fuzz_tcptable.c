/* fuzz_tcptable.c - the tcp_table(5) codec: request decoder, key quoting,
 * reply encoder.
 *
 * The input is a client's byte stream, decoded request by request as the
 * server does: every request must lie inside the input and its key must
 * survive a round trip (quote it as Postfix's client does, decode again).
 * The input is also sent as a reply text: the line must fit Postfix's
 * 4095 bytes, hold one LF at its end, and decode back to the text unless
 * it was cut.
 */
#include <string.h>

#include "engine/tcptable.h"
#include "tests/fuzz/fuzz.h"

static struct am_tcptable_req req, again;
static char line[4 + 3 * AM_TCPTABLE_LINE_MAX + 1];
static char reply[AM_TCPTABLE_REPLY_MAX];
static char plain[AM_TCPTABLE_REPLY_MAX];

static void
round_trip(void)
{
    struct am_error err;
    size_t q = am_tcptable_quoted_len(req.key, req.klen), used, n, consumed;

    if (4 + q + 1 > AM_TCPTABLE_LINE_MAX)
        return;
    memcpy(line, "get ", 4);
    n = am_tcptable_quote(req.key, req.klen, line + 4, q, &used);
    fuzz_assert(n == q && used == req.klen);
    line[4 + n] = '\n';
    fuzz_assert(am_tcptable_decode(line, 4 + n + 1, 0, &again, &consumed, &err) == 1);
    fuzz_assert(consumed == 4 + n + 1);
    fuzz_assert(again.klen == req.klen && memcmp(again.key, req.key, req.klen) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *) data;
    struct am_error err;
    size_t off = 0, consumed, n, len;
    int rc, cut;

    while (off < size) {
        consumed = 0;
        rc = am_tcptable_decode(buf + off, size - off, 0, &req, &consumed, &err);
        if (rc == 0)
            break;
        fuzz_assert(consumed <= size - off);
        if (rc == 1) {
            fuzz_assert(consumed > 0 && req.klen < AM_TCPTABLE_LINE_MAX);
            fuzz_assert(req.key[req.klen] == '\0');
            if (req.op == AM_TCPTABLE_GET)
                round_trip();
        } else {
            fuzz_assert(rc == AM_ERR_LIMIT || rc == AM_ERR_SYNTAX
                        || rc == AM_ERR_UNSUPPORTED);
            if (consumed == 0)
                break;          /* cannot resynchronise */
        }
        off += consumed;
    }

    len = am_tcptable_reply(reply, 200, buf, size, &cut);
    fuzz_assert(len >= 5 && len <= AM_TCPTABLE_REPLY_MAX);
    fuzz_assert(memcmp(reply, "200 ", 4) == 0 && reply[len - 1] == '\n');
    fuzz_assert(memchr(reply, '\n', len - 1) == NULL);
    fuzz_assert(am_tcptable_unquote(reply + 4, len - 5, plain, &n, &err) == 0);
    if (!cut)
        fuzz_assert(n == size && memcmp(plain, buf, size) == 0);
    else
        fuzz_assert(n < size && memcmp(plain, buf, n) == 0);

    /* Quoting into a small buffer stops at a whole escape. */
    {
        char small[64];
        size_t outsz = size % sizeof(small), used;

        n = am_tcptable_quote(buf, size, small, outsz, &used);
        fuzz_assert(n <= outsz && used <= size);
    }
    return 0;
}
