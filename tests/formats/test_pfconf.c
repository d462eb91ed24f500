/* test_pfconf.c - main.cf parameters, expansion and defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "formats/pfconf.h"

static char dir[] = "/tmp/am-pfconf-XXXXXX";

static void
write_main_cf(const char *text)
{
    char path[64];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/main.cf", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void
defaults_without_directory(void **state)
{
    struct am_error err;
    am_pfconf *c = am_pfconf_open(NULL, NULL, &err);

    (void) state;
    assert_non_null(c);
    assert_string_equal(am_pfconf_get(c, "default_database_type"), "hash");
    assert_string_equal(am_pfconf_get(c, "smtpd_null_access_lookup_key"), "<>");
    assert_false(am_pfconf_bool(c, "smtputf8_enable", 1));     /* level 0 */
    assert_true(am_pfconf_list_has(c, "parent_domain_matches_subdomains",
                                   "smtpd_access_maps"));
    assert_null(am_pfconf_get(c, "no_such_parameter"));
    assert_int_equal(am_pfconf_set(c, "compatibility_level", "3.6", &err), 0);
    assert_true(am_pfconf_bool(c, "smtputf8_enable", 0));
    am_pfconf_close(c);
}

static void
main_cf_values_and_expansion(void **state)
{
    struct am_error err;
    am_pfconf *c;

    (void) state;
    write_main_cf("# comment\n"
                  "compatibility_level = 3.6\n"
                  "myhostname = mx.example.net\n"
                  "recipient_delimiter = +\n"
                  "parent_domain_matches_subdomains =\n"
                  "    debug_peer_list,\n"
                  "    relay_domains\n"
                  "myorigin = $myhostname\n"
                  "x = ${recipient_delimiter?set}${unset_param:empty}\n"
                  "recipient_delimiter = +-\n");
    c = am_pfconf_open(dir, NULL, &err);
    assert_non_null(c);
    assert_true(am_pfconf_bool(c, "smtputf8_enable", 0));
    assert_string_equal(am_pfconf_get(c, "myorigin"), "mx.example.net");
    assert_string_equal(am_pfconf_get(c, "recipient_delimiter"), "+-");
    assert_false(am_pfconf_list_has(c, "parent_domain_matches_subdomains",
                                    "smtpd_access_maps"));
    assert_true(am_pfconf_list_has(c, "parent_domain_matches_subdomains",
                                   "relay_domains"));
    assert_string_equal(am_pfconf_get(c, "x"), "setempty");
    am_pfconf_close(c);
}

/* A name inside its own expansion stands for nothing; each value is
 * expanded once (thirty self-references, each tripled, would otherwise
 * take 3^20 expansions). */
static void
expansion_loops_are_empty(void **state)
{
    struct am_error err;
    am_pfconf *c;

    (void) state;
    write_main_cf("a = <$a>\n"
                  "b = [$c]\n"
                  "c = ($b)\n"
                  "d = $d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d$d x\n");
    c = am_pfconf_open(dir, NULL, &err);
    assert_non_null(c);
    assert_string_equal(am_pfconf_get(c, "a"), "<>");
    assert_string_equal(am_pfconf_get(c, "b"), "[()]");
    assert_string_equal(am_pfconf_get(c, "c"), "()");
    assert_string_equal(am_pfconf_get(c, "d"), " x");
    am_pfconf_close(c);
}

/* Values that double at each of forty levels stay within the cap. */
static void
expansion_size_is_capped(void **state)
{
    char text[4096], *p = text;
    struct am_error err;
    am_pfconf *c;
    int i;

    (void) state;
    for (i = 0; i < 40; i++)
        p += sprintf(p, "p%d = $p%d$p%d\n", i, i + 1, i + 1);
    sprintf(p, "p40 = xxxxxxxx\n");
    write_main_cf(text);
    c = am_pfconf_open(dir, NULL, &err);
    assert_non_null(c);
    assert_true(strlen(am_pfconf_get(c, "p0")) <= AM_PFCONF_VALUE_MAX);
    assert_true(strlen(am_pfconf_get(c, "p30")) == 8u << 10);
    am_pfconf_close(c);
}

static void
missing_main_cf_is_an_error(void **state)
{
    struct am_error err;

    (void) state;
    assert_null(am_pfconf_open("/nonexistent-dir", NULL, &err));
    assert_int_equal(err.code, AM_ERR_IO);
}

static int
setup(void **state)
{
    (void) state;
    return mkdtemp(dir) == NULL;
}

static int
teardown(void **state)
{
    char path[64];

    (void) state;
    snprintf(path, sizeof(path), "%s/main.cf", dir);
    unlink(path);
    return rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_without_directory),
        cmocka_unit_test(main_cf_values_and_expansion),
        cmocka_unit_test(expansion_loops_are_empty),
        cmocka_unit_test(expansion_size_is_capped),
        cmocka_unit_test(missing_main_cf_is_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
