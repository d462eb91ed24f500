/* test_tcptable.c - am_tcptable: tcp_table(5) requests and replies.
 *
 * Encodings are the ones Postfix 3.7's tcp: client was seen to send and
 * accept (postfix-facts 7.1, 7.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/tcptable.h"

static struct am_tcptable_req req;

static int
decode(const char *s, size_t len, size_t max, size_t *used)
{
    struct am_error err;

    am_error_clear(&err);
    return am_tcptable_decode(s, len, max, &req, used, &err);
}

static void
test_get(void **state)
{
    static const struct { const char *in; const char *key; size_t klen; } t[] = {
        { "get found\n", "found", 5 },
        { "get a%20b%09c%25d%01e%7Ff!\"#$&()*+,-./:;<=>?@[\\]^_`{|}~'\n",
          "a b\tc%d\001e\177f!\"#$&()*+,-./:;<=>?@[\\]^_`{|}~'", 0 },
        { "get Mixed%20Case%20%25key/%C3%A9\n", "Mixed Case %key/\xc3\xa9", 0 },
        { "get lower%c3%a9\n", "lower\xc3\xa9", 0 },
        { "get nul%00byte\n", "nul\0byte", 8 },
        { "get crlf\r\n", "crlf", 4 },
        { "get \n", "", 0 },
        { "get raw space kept\n", "raw space kept", 0 },
    };
    size_t i, used;

    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        size_t klen = t[i].klen ? t[i].klen : strlen(t[i].key);
        assert_int_equal(decode(t[i].in, strlen(t[i].in), 0, &used), 1);
        assert_int_equal(used, strlen(t[i].in));
        assert_int_equal(req.op, AM_TCPTABLE_GET);
        assert_int_equal(req.klen, klen);
        assert_memory_equal(req.key, t[i].key, klen);
        assert_int_equal(req.key[klen], 0);
    }
}

static void
test_pipelined_and_partial(void **state)
{
    const char *in = "get a\nget b%41\nget c";
    size_t used, off = 0, i;

    (void)state;
    assert_int_equal(decode(in, strlen(in), 0, &used), 1);
    assert_string_equal(req.key, "a");
    off += used;
    assert_int_equal(decode(in + off, strlen(in) - off, 0, &used), 1);
    assert_string_equal(req.key, "bA");
    off += used;
    assert_int_equal(decode(in + off, strlen(in) - off, 0, &used), 0);
    assert_int_equal(used, 0);
    /* every prefix of a request is "need more" */
    for (i = 0; i < 10; i++)
        assert_int_equal(decode("get %41%42\n", i, 0, &used), 0);
}

static void
test_errors(void **state)
{
    static const struct { const char *in; int rc; int consumed; } t[] = {
        { "get bad%zz\n", AM_ERR_SYNTAX, 1 },
        { "get bad%4\n", AM_ERR_SYNTAX, 1 },
        { "get bad%\n", AM_ERR_SYNTAX, 1 },
        { "GET upper\n", AM_ERR_SYNTAX, 1 },
        { "get\n", AM_ERR_SYNTAX, 1 },
        { "\n", AM_ERR_SYNTAX, 1 },
        { "\x01\xff\x80garbage\n", AM_ERR_SYNTAX, 1 },
        { "put key value\n", AM_ERR_UNSUPPORTED, 1 },
    };
    size_t i, used;

    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_int_equal(decode(t[i].in, strlen(t[i].in), 0, &used), t[i].rc);
        assert_int_equal(used, t[i].consumed ? strlen(t[i].in) : 0);
    }
    assert_int_equal(req.op, AM_TCPTABLE_PUT);
}

static void
test_limit(void **state)
{
    static char big[AM_TCPTABLE_LINE_MAX + 10];
    size_t used;

    (void)state;
    memset(big, 'x', sizeof(big));
    memcpy(big, "get ", 4);
    /* 16 bytes max: a 16-byte line with its LF fits, 17 does not */
    big[15] = '\n';
    assert_int_equal(decode(big, 16, 16, &used), 1);
    assert_int_equal(req.klen, 11);
    big[15] = 'x';
    assert_int_equal(decode(big, 15, 16, &used), 0);
    assert_int_equal(decode(big, 16, 16, &used), AM_ERR_LIMIT);
    assert_int_equal(decode(big, 100, 16, &used), AM_ERR_LIMIT);
    assert_int_equal(used, 0);
    /* the built-in bound applies when max is 0 or too large */
    assert_int_equal(decode(big, sizeof(big), 0, &used), AM_ERR_LIMIT);
    assert_int_equal(decode(big, sizeof(big), (size_t)-1, &used), AM_ERR_LIMIT);
    big[AM_TCPTABLE_LINE_MAX - 1] = '\n';
    assert_int_equal(decode(big, sizeof(big), 0, &used), 1);
    assert_int_equal(req.klen, AM_TCPTABLE_LINE_MAX - 5);
}

static void
test_reply(void **state)
{
    static char out[AM_TCPTABLE_REPLY_MAX];
    static char text[8000];
    size_t n;
    int cut;

    (void)state;
    n = am_tcptable_reply(out, 200, "REJECT go away", 14, &cut);
    assert_int_equal(cut, 0);
    assert_memory_equal(out, "200 REJECT%20go%20away\n", n);
    n = am_tcptable_reply(out, 500, "", 0, &cut);
    assert_memory_equal(out, "500 \n", n);
    n = am_tcptable_reply(out, 200, "100%\t\r\xc3\xa9\x7f~", 10, &cut);
    assert_memory_equal(out, "200 100%25%09%0D%C3%A9%7F~\n", n);

    /* 4091 plain bytes fit exactly (4095 before the LF) */
    memset(text, 'a', sizeof(text));
    n = am_tcptable_reply(out, 200, text, 4091, &cut);
    assert_int_equal(n, 4096);
    assert_int_equal(cut, 0);
    n = am_tcptable_reply(out, 200, text, 4092, &cut);
    assert_int_equal(n, 4096);
    assert_int_equal(cut, 1);
    assert_int_equal(out[4095], '\n');
    /* escapes and UTF-8 sequences are never split */
    memset(text, ' ', sizeof(text));
    n = am_tcptable_reply(out, 200, text, sizeof(text), &cut);
    assert_int_equal(cut, 1);
    assert_int_equal(n, 4 + 4089 + 1);
    assert_memory_equal(out + n - 4, "%20\n", 4);
    for (n = 0; n + 2 <= sizeof(text); n += 2)
        memcpy(text + n, "\xc3\xa9", 2);
    text[0] = 'x';              /* shift the sequences by one byte */
    n = am_tcptable_reply(out, 200, text + 0, sizeof(text) - 1, &cut);
    assert_int_equal(cut, 1);
    assert_true(n <= AM_TCPTABLE_REPLY_MAX);
    assert_memory_equal(out + n - 7, "%C3%A9\n", 7);
}

static void
test_roundtrip(void **state)
{
    static char out[AM_TCPTABLE_REPLY_MAX];
    char key[256], line[1024];
    size_t i, n, used;
    int cut;

    (void)state;
    for (i = 0; i < 256; i++)
        key[i] = (char)i;
    n = am_tcptable_quote(key, 256, line + 4, sizeof(line) - 5, &used);
    assert_int_equal(used, 256);
    assert_int_equal(n, am_tcptable_quoted_len(key, 256));
    memcpy(line, "get ", 4);
    line[4 + n] = '\n';
    assert_int_equal(decode(line, n + 5, 0, &used), 1);
    assert_int_equal(req.klen, 256);
    assert_memory_equal(req.key, key, 256);
    /* a reply decodes back to the text */
    n = am_tcptable_reply(out, 200, key, 256, &cut);
    {
        char dec[AM_TCPTABLE_REPLY_MAX];
        size_t dlen;
        struct am_error err;
        assert_int_equal(am_tcptable_unquote(out + 4, n - 5, dec, &dlen, &err), 0);
        assert_int_equal(dlen, 256);
        assert_memory_equal(dec, key, 256);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_pipelined_and_partial),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
