/* test_servconf.c - am_servconf: the `accessmap serve` configuration file
 * parser and the command-line builders, with file:line errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/check.h"
#include "engine/servconf.h"

static int
parse(struct am_servconf *c, const char *text, struct am_error *err)
{
    am_servconf_init(c);
    am_error_clear(err);
    return am_servconf_parse(c, "t.conf", text, strlen(text), err);
}

static void
test_full(void **state)
{
    struct am_servconf c;
    struct am_error err;
    const char *text =
        "# comment\n"
        "listen tcp:127.0.0.1:10041 client lmdb:/etc/postfix/client_checks,"
        "cidr:/etc/postfix/clients.cidr\n"
        "listen tcp:[::1]:10042 helo\n"
        "    lmdb:/etc/postfix/helo_access\n"
        "listen socketmap:unix:/var/spool/postfix/private/accessmap mode=0660\n"
        "    client_checks=client:lmdb:/a,cidr:/b helo_access=helo:hash:/c\n"
        "\n"
        "allow 127.0.0.0/8 ::1\n"
        "max_connections 2000\n"
        "max_request 4096\n"
        "idle_timeout 0\n"
        "read_timeout 5\n"
        "log_queries yes\n"
        "watch no\n"
        "user nobody\n"
        "config_directory /etc/postfix\n";

    (void)state;
    assert_int_equal(parse(&c, text, &err), 0);
    assert_int_equal(c.nlistens, 3);
    assert_int_equal(c.listens[0].proto, AM_SERVCONF_TCP);
    assert_string_equal(c.listens[0].host, "127.0.0.1");
    assert_string_equal(c.listens[0].port, "10041");
    assert_int_equal(c.listens[0].nmaps, 1);
    assert_null(c.listens[0].maps[0].name);
    assert_int_equal(c.listens[0].maps[0].kind, AM_CHECK_CLIENT);
    assert_int_equal(c.listens[0].maps[0].nspecs, 2);
    assert_string_equal(c.listens[0].maps[0].specs[1], "cidr:/etc/postfix/clients.cidr");
    assert_string_equal(c.listens[1].host, "::1");
    assert_int_equal(c.listens[1].line, 3);
    assert_int_equal(c.listens[2].proto, AM_SERVCONF_SOCKMAP_UNIX);
    assert_string_equal(c.listens[2].path, "/var/spool/postfix/private/accessmap");
    assert_int_equal(c.listens[2].mode, 0660);
    assert_int_equal(c.listens[2].nmaps, 2);
    assert_string_equal(c.listens[2].maps[0].name, "client_checks");
    assert_int_equal(c.listens[2].maps[0].nspecs, 2);
    assert_string_equal(c.listens[2].maps[1].name, "helo_access");
    assert_int_equal(c.listens[2].maps[1].kind, AM_CHECK_HELO);
    assert_int_equal(c.nallow, 2);
    assert_int_equal(c.max_connections, 2000);
    assert_int_equal(c.max_request, 4096);
    assert_int_equal(c.idle_timeout, 0);
    assert_int_equal(c.read_timeout, 5);
    assert_int_equal(c.log_queries, 1);
    assert_int_equal(c.watch, 0);
    assert_string_equal(c.user, "nobody");
    assert_string_equal(c.config_dir, "/etc/postfix");
    assert_int_equal(am_servconf_check(&c, &err), 0);
    am_servconf_free(&c);
}

static void
test_errors(void **state)
{
    static const struct { const char *text; unsigned line; const char *msg; } t[] = {
        { "frob 1\n", 1, "unknown directive \"frob\"" },
        { "\n\nmax_connections x\n", 3, "expected a number" },
        { "max_connections 0\n", 1, "max_connections is 0" },
        { "max_request 1000000\n", 1, "larger than" },
        { "max_request 10\n", 1, "below 64" },
        { "log_queries maybe\n", 1, "expected yes or no" },
        { "listen tcp:127.0.0.1:1\n", 1, "listen needs" },
        { "listen tcp:127.0.0.1:1 helo\n", 1, "listen needs" },
        { "listen tcp:127.0.0.1:1 nokind hash:/x\n", 1, "unknown check kind" },
        { "listen tcp:127.0.0.1:1 helo nocolon\n", 1, "not type:name" },
        { "listen tcp:1 helo hash:/x\n", 1, "needs HOST:PORT" },
        { "listen udp:1:2 helo hash:/x\n", 1, "is not tcp:HOST:PORT" },
        { "listen socketmap:unix:rel helo=helo:hash:/x\n", 1, "must be absolute" },
        { "listen socketmap:inet:127.0.0.1:1 helo:hash:/x\n", 1, "NAME=KIND:TABLE" },
        { "listen socketmap:inet:127.0.0.1:1 a=helo:hash:/x a=client:hash:/y\n", 1,
          "defined twice" },
        { "listen socketmap:inet:127.0.0.1:1 a=bogus:hash:/x\n", 1, "unknown check kind" },
        { "listen socketmap:inet:127.0.0.1:1 a=helo:\n", 1, "has no tables" },
        { "listen tcp:127.0.0.1:1 mode=0600 helo hash:/x\n", 1, "unix sockets only" },
        { "listen socketmap:unix:/s mode=999 a=helo:hash:/x\n", 1, "bad mode" },
        { "allow 10.0.0.0/33\n", 1, "10.0.0.0/33" },
        { "allow\n", 1, "allow needs" },
        { "user\n", 1, "takes one value" },
        { "user a\0b\n", 1, "NUL byte" },
    };
    struct am_servconf c;
    struct am_error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        size_t len = strlen(t[i].text);
        if (strcmp(t[i].text, "user a") == 0)
            len = 9;
        am_servconf_init(&c);
        am_error_clear(&err);
        if (am_servconf_parse(&c, "t.conf", t[i].text, len, &err) >= 0)
            fail_msg("accepted: %s", t[i].text);
        if (strstr(err.msg, t[i].msg) == NULL)
            fail_msg("%s: message \"%s\" lacks \"%s\"", t[i].text, err.msg, t[i].msg);
        assert_string_equal(err.loc.file, "t.conf");
        assert_int_equal(err.loc.line, t[i].line);
        am_servconf_free(&c);
    }
}

static void
test_check(void **state)
{
    struct am_servconf c;
    struct am_error err;

    (void)state;
    assert_int_equal(parse(&c, "listen tcp:0.0.0.0:1 helo hash:/x\n", &err), 0);
    assert_int_equal(am_servconf_check(&c, &err), AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "not a loopback address"));
    c.allow_remote = 1;
    assert_int_equal(am_servconf_check(&c, &err), AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "allow list"));
    assert_int_equal(am_servconf_add_allow(&c, "192.0.2.0/24", &err), 0);
    assert_int_equal(am_servconf_check(&c, &err), 0);
    am_servconf_free(&c);

    assert_int_equal(parse(&c, "listen tcp:localhost:1 helo hash:/x\n"
                               "listen tcp:[::1]:2 helo hash:/x\n"
                               "listen tcp:127.9.9.9:3 helo hash:/x\n", &err), 0);
    assert_int_equal(am_servconf_check(&c, &err), 0);
    am_servconf_free(&c);

    assert_int_equal(parse(&c, "listen tcp:127.0.0.1:1 helo hash:/x\n"
                               "listen tcp:127.0.0.1:1 helo hash:/y\n", &err), 0);
    assert_int_equal(am_servconf_check(&c, &err), AM_ERR_INVALID);
    am_servconf_free(&c);

    am_servconf_init(&c);
    assert_int_equal(am_servconf_check(&c, &err), AM_ERR_INVALID);
    am_servconf_free(&c);
}

static void
test_builders(void **state)
{
    struct am_servconf c;
    struct am_error err;
    const char *specs[] = { "hash:/a,cidr:/b", "lmdb:/c" };
    int i;

    (void)state;
    am_servconf_init(&c);
    i = am_servconf_add_listen(&c, "tcp:127.0.0.1:0", &err);
    assert_int_equal(i, 0);
    assert_int_equal(am_servconf_add_tables(&c, 0, AM_CHECK_HELO, specs, 2, &err), 0);
    assert_int_equal(c.listens[0].maps[0].nspecs, 3);
    assert_int_equal(am_servconf_add_map(&c, 0, "x=helo:hash:/a", &err), AM_ERR_INVALID);
    i = am_servconf_add_listen(&c, "socketmap:inet:127.0.0.1:0", &err);
    assert_int_equal(i, 1);
    assert_int_equal(am_servconf_add_tables(&c, 1, AM_CHECK_HELO, specs, 1, &err),
                     AM_ERR_INVALID);
    assert_int_equal(am_servconf_add_map(&c, 1, "x=rcpt:hash:/a", &err), 0);
    assert_int_equal(c.listens[1].maps[0].kind, AM_CHECK_RECIPIENT);
    assert_int_equal(am_servconf_check(&c, &err), 0);
    am_servconf_free(&c);
    am_servconf_free(&c);       /* a freed configuration is empty */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_builders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
