/* test_check.c - am_check_conf: defaults and reading them from main.cf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/check.h"
#include "formats/pfconf.h"

/* Write main.cf into a fresh directory; returns the directory. */
static char *
write_main_cf(const char *text)
{
    static char dir[512];
    char path[600];
    FILE *f;

    snprintf(dir, sizeof(dir), "%s/amcheckXXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/main.cf", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return dir;
}

static void
remove_dir(const char *dir)
{
    char path[600];

    snprintf(path, sizeof(path), "%s/main.cf", dir);
    unlink(path);
    rmdir(dir);
}

static void
defaults(void **state)
{
    struct am_check_conf c;

    (void) state;
    am_check_conf_init(&c);
    assert_int_equal(c.parent_style, 1);
    assert_string_equal(c.rcpt_delim, "");
    assert_string_equal(c.null_sender_key, "<>");
    assert_int_equal(c.smtputf8, 1);
    assert_int_equal(c.map_reject_code, 554);
    assert_int_equal(c.map_defer_code, 450);
    assert_int_equal(c.delay_reject, 1);
    assert_int_equal(c.soft_bounce, 0);
    assert_int_equal(c.ipv4, 1);
}

static void
load_main_cf(void **state)
{
    struct am_check_conf c;
    struct am_error err;
    am_pfconf *pf;
    char *dir;

    (void) state;
    dir = write_main_cf(
        "compatibility_level = 3.6\n"
        "parent_domain_matches_subdomains = debug_peer_list, mynetworks\n"
        "recipient_delimiter = +-\n"
        "smtpd_null_access_lookup_key = <null>\n"
        "myhostname = mx.example\n"
        "myorigin = $myhostname\n"
        "access_map_reject_code = 550\n"
        "soft_bounce = yes\n"
        "smtpd_delay_reject = no\n"
        "inet_protocols = ipv6\n"
        "smtpd_restriction_classes = a, b\n");
    pf = am_pfconf_open(dir, NULL, &err);
    assert_non_null(pf);
    assert_int_equal(am_check_conf_load(&c, pf, &err), 0);
    assert_int_equal(c.parent_style, 0);
    assert_string_equal(c.rcpt_delim, "+-");
    assert_string_equal(c.null_sender_key, "<null>");
    assert_string_equal(c.myorigin, "mx.example");
    assert_int_equal(c.smtputf8, 1);
    assert_int_equal(c.map_reject_code, 550);
    assert_int_equal(c.map_defer_code, 450);
    assert_int_equal(c.soft_bounce, 1);
    assert_int_equal(c.delay_reject, 0);
    assert_int_equal(c.ipv4, 0);
    assert_string_equal(c.restriction_classes, "a, b");
    am_pfconf_close(pf);
    remove_dir(dir);

    /* Without compatibility_level, smtputf8_enable defaults to no. */
    dir = write_main_cf("myorigin = o.example\n");
    pf = am_pfconf_open(dir, NULL, &err);
    assert_non_null(pf);
    assert_int_equal(am_check_conf_load(&c, pf, &err), 0);
    assert_int_equal(c.smtputf8, 0);
    assert_int_equal(c.parent_style, 1);
    am_pfconf_close(pf);
    remove_dir(dir);
}

static void
bad_number(void **state)
{
    struct am_check_conf c;
    struct am_error err;
    am_pfconf *pf;
    char *dir;

    (void) state;
    dir = write_main_cf("access_map_defer_code = 45x\n");
    pf = am_pfconf_open(dir, NULL, &err);
    assert_non_null(pf);
    assert_int_equal(am_check_conf_load(&c, pf, &err), AM_ERR_INVALID);
    assert_non_null(strstr(err.msg, "access_map_defer_code"));
    assert_int_equal(c.map_defer_code, 450);     /* defaults left */
    am_pfconf_close(pf);
    remove_dir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(load_main_cf),
        cmocka_unit_test(bad_number),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
