/* test_sockmap.c - am_sockmap: socketmap netstring requests and replies.
 *
 * Request forms are the ones Postfix 3.7's socketmap client was seen to
 * send (postfix-facts 8); replies are what it accepts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/sockmap.h"

static struct am_sockmap_req req;

static int
decode(const char *s, size_t len, size_t max, size_t *used)
{
    struct am_error err;

    am_error_clear(&err);
    return am_sockmap_decode(s, len, max, &req, used, &err);
}

static void
test_requests(void **state)
{
    const char *in = "11:mymap found,29:mymap Echo Key With Spaces \xc3\xa9,"
                     "6:m a\0b\n,2:m ,";
    size_t len = 15 + 33 + 9 + 5, used, off = 0;

    (void)state;
    assert_int_equal(decode(in, len, 0, &used), 1);
    assert_int_equal(used, 15);
    assert_int_equal(req.nlen, 5);
    assert_memory_equal(req.name, "mymap", 5);
    assert_int_equal(req.klen, 5);
    assert_memory_equal(req.key, "found", 5);
    off += used;
    assert_int_equal(decode(in + off, len - off, 0, &used), 1);
    assert_int_equal(req.klen, 23);
    assert_memory_equal(req.key, "Echo Key With Spaces \xc3\xa9", 23);
    off += used;
    assert_int_equal(decode(in + off, len - off, 0, &used), 1);
    assert_int_equal(req.klen, 4);
    assert_memory_equal(req.key, "a\0b\n", 4);
    off += used;
    assert_int_equal(decode(in + off, len - off, 0, &used), 1);
    assert_int_equal(req.klen, 0);
    assert_int_equal(off + used, len);
}

static void
test_partial(void **state)
{
    const char *in = "11:mymap found,";
    size_t i, used;

    (void)state;
    for (i = 0; i < strlen(in); i++) {
        assert_int_equal(decode(in, i, 0, &used), 0);
        assert_int_equal(used, 0);
    }
}

static void
test_errors(void **state)
{
    static const struct { const char *in; int rc; } t[] = {
        { ":m k,", AM_ERR_SYNTAX },
        { "x:m k,", AM_ERR_SYNTAX },
        { "-3:m k,", AM_ERR_SYNTAX },
        { " 3:m k,", AM_ERR_SYNTAX },
        { "3:m k;", AM_ERR_SYNTAX },
        { "3:mkk,", AM_ERR_SYNTAX },
        { "get key\n", AM_ERR_SYNTAX },
        { "100001:", AM_ERR_LIMIT },
        { "99999999999999999999999999999:", AM_ERR_LIMIT },
    };
    size_t i, used;

    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        assert_int_equal(decode(t[i].in, strlen(t[i].in), 0, &used), t[i].rc);
    /* the limit is checked on the digits alone, before the payload */
    assert_int_equal(decode("17", 2, 16, &used), AM_ERR_LIMIT);
    assert_int_equal(decode("16", 2, 16, &used), 0);
    assert_int_equal(decode("100000", 6, 0, &used), 0);
}

static void
test_reply(void **state)
{
    static char out[AM_SOCKMAP_REPLY_MAX];
    static char data[AM_SOCKMAP_MAX + 10];
    size_t n;
    int cut;

    (void)state;
    n = am_sockmap_reply(out, "OK", "REJECT go away", 14, &cut);
    assert_memory_equal(out, "17:OK REJECT go away,", n);
    assert_int_equal(cut, 0);
    n = am_sockmap_reply(out, "NOTFOUND", NULL, 0, &cut);
    assert_memory_equal(out, "8:NOTFOUND,", n);
    n = am_sockmap_reply(out, "OK", NULL, 0, &cut);
    assert_memory_equal(out, "3:OK ,", n);
    n = am_sockmap_reply(out, "TEMP", "table unreadable", 16, &cut);
    assert_memory_equal(out, "21:TEMP table unreadable,", n);

    memset(data, 'a', sizeof(data));
    n = am_sockmap_reply(out, "OK", data, AM_SOCKMAP_MAX - 3, &cut);
    assert_int_equal(cut, 0);
    assert_memory_equal(out, "100000:OK a", 11);
    assert_int_equal(n, 7 + AM_SOCKMAP_MAX + 1);
    n = am_sockmap_reply(out, "OK", data, sizeof(data), &cut);
    assert_int_equal(cut, 1);
    assert_int_equal(n, 7 + AM_SOCKMAP_MAX + 1);
    assert_int_equal(out[n - 1], ',');
    /* no cut inside a UTF-8 sequence */
    data[AM_SOCKMAP_MAX - 4] = '\xc3';
    data[AM_SOCKMAP_MAX - 3] = '\xa9';
    n = am_sockmap_reply(out, "OK", data, sizeof(data), &cut);
    assert_int_equal(cut, 1);
    assert_memory_equal(out, "99999:OK a", 10);
    assert_int_equal(out[n - 2], 'a');
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_partial),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
