/* cmd_check.c - accessmap check: lint access tables before Postfix uses them.
 *
 * Reads each source file as compile would (same syntax warnings,
 * duplicates with both lines), then checks its entries as an access table
 * for one smtpd check (engine/lint.h).  cidr:FILE checks a cidr table.
 * Exit 0 when no errors were found (warnings are printed), 1 when some
 * were, 2 when a file could not be read.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "engine/check.h"
#include "engine/cidrtable.h"
#include "engine/lint.h"
#include "formats/lines.h"
#include "formats/pfconf.h"
#include "formats/tablebuild.h"
#include "maptool/cmd.h"
#include "maptool/common.h"
#include "maptool/report.h"

#define CHECK_USAGE "[-c config_dir] [--kind KIND] [--no-expand] [--strict] [cidr:]FILE..."

static const char check_help[] =
    "usage: accessmap check " CHECK_USAGE "\n"
    "\n"
    "Check access table sources for what Postfix would get wrong: actions\n"
    "smtpd refuses or misreads, keys that can never match (\".domain\" keys in\n"
    "parent-domain style, \"@domain\", non-canonical IPv6, leading zeros,\n"
    "networks not expanded for Postfix), duplicates, overlapping networks\n"
    "with conflicting actions, values too long for a tcp_table reply, and in\n"
    "cidr tables the rules earlier rules make unreachable.\n"
    "\n"
    "  -c DIR       read DIR/main.cf (default: $MAIL_CONFIG, /etc/postfix)\n"
    "  --kind KIND  the check the table serves: client, helo, sender,\n"
    "               recipient (default: guessed from the file name, else\n"
    "               only checks that hold for every kind)\n"
    "  --no-expand  network keys are compiled by postmap, not expanded\n"
    "  --strict     warnings count as errors\n"
    "\n"
    "Exit status: 0 no errors, 1 errors found, 2 a file could not be read.\n";

int
guess_check_kind(const char *path)
{
    const char *base = strrchr(path, '/');

    base = base ? base + 1 : path;
    if (strstr(base, "helo"))
        return AM_CHECK_HELO;
    if (strstr(base, "reverse"))
        return AM_CHECK_REVERSE_CLIENT;
    if (strstr(base, "client"))
        return AM_CHECK_CLIENT;
    if (strstr(base, "sender"))
        return AM_CHECK_SENDER;
    if (strstr(base, "recipient") || strstr(base, "rcpt"))
        return AM_CHECK_RECIPIENT;
    return AM_CHECK_EXACT;
}

static int
check_one(const char *arg, int kind, int expanded, const am_pfconf *pf,
          const struct am_check_conf *conf, struct report *rep)
{
    struct am_tablebuild_opts to = { 0 };
    struct am_lint_opts lo = { 0 };
    struct am_error err;
    am_tablebuild *tb = NULL;
    am_lines *lines = NULL;
    struct am_record *recs;
    size_t n;
    int rc = -1;

    lo.check = kind >= 0 ? kind : guess_check_kind(arg);
    lo.conf = conf;
    lo.networks_expanded = expanded;
    if (strncmp(arg, "cidr:", 5) == 0) {
        am_cidrtable *t = am_cidrtable_open(arg + 5, &rep->sink, &err);

        if (t == NULL) {
            report_error(&err);
            return -1;
        }
        rc = am_lint_cidr(t, &lo, &rep->sink, &err);
        if (rc < 0)
            report_error(&err);
        am_cidrtable_close(t);
        return rc;
    }
    if (strchr(arg, ':') != NULL) {
        report_fail("%s: give the source file (or cidr:FILE), not a table", arg);
        return -1;
    }
    to.fold = 1;
    to.utf8 = am_pfconf_bool(pf, "smtputf8_enable", 0);
    to.dups = AM_DUP_FIRST_WARN;
    if ((lines = am_lines_open(arg, &err)) == NULL
        || (tb = am_tablebuild_new(&to, &err)) == NULL
        || am_tablebuild_add_source(tb, lines, &rep->sink, &err) < 0
        || am_tablebuild_resolve(tb, AM_ORDER_INPUT, &rep->sink, &err) < 0) {
        report_error(&err);
        goto out;
    }
    recs = am_tablebuild_records(tb, &n);
    if ((rc = am_lint_records(recs, n, arg, &lo, &rep->sink, &err)) < 0)
        report_error(&err);
out:
    am_tablebuild_free(tb);
    am_lines_close(lines);
    return rc;
}

int
cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "config", required_argument, NULL, 'c' },
        { "kind", required_argument, NULL, 'k' },
        { "no-expand", no_argument, NULL, 'E' },
        { "strict", no_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    struct am_check_conf conf;
    struct am_error err;
    struct report rep;
    const char *config_dir = NULL;
    am_pfconf *pf;
    int c, i, kind = -1, expanded = 1, strict = 0, rc = 0;

    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config_dir = optarg; break;
        case 'h': fputs(check_help, stdout); return AM_EXIT_OK;
        case 'k':
            if ((kind = am_check_parse(optarg)) < 0) {
                report_fail("unknown check kind \"%s\"", optarg);
                return AM_EXIT_ERROR;
            }
            break;
        case 'E': expanded = 0; break;
        case 'S': strict = 1; break;
        default: return usage_error("check", CHECK_USAGE);
        }
    }
    if (optind >= argc)
        return usage_error("check", CHECK_USAGE);
    report_init(&rep, strict);
    if ((pf = load_config(config_dir, &rep.sink)) == NULL)
        return AM_EXIT_ERROR;
    am_check_conf_init(&conf);
    if (am_check_conf_load(&conf, pf, &err) < 0) {
        report_error(&err);
        am_pfconf_close(pf);
        return AM_EXIT_ERROR;
    }
    for (i = optind; i < argc; i++)
        if (check_one(argv[i], kind, expanded, pf, &conf, &rep) < 0)
            rc = AM_EXIT_ERROR;
    am_pfconf_close(pf);
    if (rc == 0 && report_failures(&rep) > 0)
        rc = 1;
    return rc;
}
