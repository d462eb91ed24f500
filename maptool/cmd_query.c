/* cmd_query.c - accessmap query: look keys up, like postmap -q.
 *
 *   accessmap query KEY TABLE...     print the first value found
 *   accessmap query - TABLE...       keys from stdin, "key<TAB>value" lines
 *
 * Exit 0 when something was found, 1 when nothing was, 2 on error -- unlike
 * postmap, an error is never mistaken for "not found".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/table.h"
#include "formats/pfconf.h"
#include "formats/store.h"
#include "maptool/cmd.h"
#include "maptool/common.h"
#include "maptool/explain.h"
#include "maptool/report.h"

#define QUERY_USAGE "[-fNnu] [-c config_dir] KEY|- TABLE...\n" \
    "       accessmap query [-c config_dir] [--explain|--json] CHECK TABLE...\n" \
    "         CHECK: --client ADDR [--client-name NAME] | --helo NAME |\n" \
    "                --sender ADDR | --recipient ADDR"

static const char query_help[] =
    "usage: accessmap query " QUERY_USAGE "\n"
    "\n"
    "Look KEY up in each TABLE in turn and print the first value found, as\n"
    "postmap -q does: one exact lookup per table (case folded for fixed\n"
    "tables), no partial keys.  With KEY '-', read keys from stdin, one per\n"
    "line, and print KEY<TAB>VALUE for each key found.\n"
    "TABLE is TYPE:NAME with TYPE hash, btree, lmdb, cdb (compiled tables,\n"
    "built by accessmap or postmap), texthash (read from source) or cidr;\n"
    "without TYPE, default_database_type applies.\n"
    "\n"
    "\n"
    "With a CHECK option, answer what Postfix's smtpd decides with the TABLEs\n"
    "as check_client_access, check_helo_access, check_sender_access or\n"
    "check_recipient_access: the keys smtpd tries, in its order (parent\n"
    "domains, partial addresses, user@domain forms), the first hit of each\n"
    "table, and tables taken as consecutive restrictions (DUNNO and other\n"
    "non-final actions pass on to the next one).  Prints the deciding value.\n"
    "  --client ADDR       client IP address (check_client_access)\n"
    "  --client-name NAME  its verified hostname (default: unknown)\n"
    "  --reverse           check_reverse_client_hostname_access instead,\n"
    "                      with --client-name as the unverified name\n"
    "  --helo NAME         HELO/EHLO argument (check_helo_access)\n"
    "  --sender ADDR       MAIL FROM address; \"\" or <> for the null sender\n"
    "  --recipient ADDR    RCPT TO address\n"
    "  --explain           show every key tried per table, the deciding\n"
    "                      entry with its source line, shadowed entries,\n"
    "                      and the SMTP reply smtpd would send\n"
    "  --json              the same as one JSON object\n"
    "\n"
    "  -c DIR   read DIR/main.cf (default: $MAIL_CONFIG, /etc/postfix)\n"
    "  -f       do not fold the key to lower case\n"
    "  -N / -n  look keys up only with / only without a trailing NUL\n"
    "  -u       no UTF-8 checks; fold ASCII letters only\n"
    "\n"
    "Exit status: 0 found, 1 not found, 2 error.\n";

struct query {
    am_table **tables;
    int ntables;
    struct report rep;
};

/* 1 found (printed by the caller), 0 not found, -1 error (reported). */
static int
lookup(struct query *q, const char *key, size_t klen,
       struct am_table_result *res, int *which)
{
    struct am_error err;
    int i, rc;

    for (i = 0; i < q->ntables; i++) {
        rc = am_table_get(q->tables[i], key, klen, res, &err);
        if (rc < 0) {
            report_error(&err);
            return -1;
        }
        if (rc > 0) {
            *which = i;
            if (res->vlen == 0)
                report_warn("%s: lookup of \"%.*s\" returns an empty value; "
                            "Postfix treats that as a table error",
                            am_table_name(q->tables[i]), (int) klen, key);
            return 1;
        }
    }
    return 0;
}

static int
query_stdin(struct query *q)
{
    struct am_table_result res;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int which, rc, found = 0;

    while ((len = getline(&line, &cap, stdin)) >= 0) {
        /* Keys end at the newline only; a CR stays part of the key. */
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        rc = lookup(q, line, (size_t) len, &res, &which);
        if (rc < 0) {
            free(line);
            return AM_EXIT_ERROR;
        }
        if (rc > 0) {
            found = 1;
            fwrite(line, 1, (size_t) len, stdout);
            putchar('\t');
            fwrite(res.value, 1, res.vlen, stdout);
            putchar('\n');
        }
    }
    free(line);
    if (ferror(stdin)) {
        report_fail("read stdin failed");
        return AM_EXIT_ERROR;
    }
    return found ? AM_EXIT_OK : AM_EXIT_NOTFOUND;
}

struct check_args {
    int check;                  /* -1: exact mode */
    const char *client, *client_name, *helo, *sender, *recipient;
    int reverse, explain, json;
};

/* One input per stdin line ("-" as the --client/--helo/... argument):
 * print INPUT<TAB>VALUE for each one something applies to. */
static int
query_check_stdin(am_engine *e, struct am_search_input *in)
{
    struct am_answer ans;
    struct am_error err;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc, found = 0;

    while ((len = getline(&line, &cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        in->text = line;
        rc = am_engine_query(e, in, &ans, NULL, &err);
        if (rc == AM_ERR_SYNTAX) {
            report_warn("\"%s\": %s", line, err.msg);
            continue;
        }
        if (rc < 0) {
            report_error(&err);
            free(line);
            return AM_EXIT_ERROR;
        }
        if (rc > 0) {
            found = 1;
            printf("%s\t%s\n", line, ans.value);
        }
    }
    free(line);
    return found ? AM_EXIT_OK : AM_EXIT_NOTFOUND;
}

/* accessmap query --client/--helo/--sender/--recipient ... TABLE... */
static int
query_check(const struct check_args *ca, char **specs, int nspecs,
            const char *config_dir, const struct am_table_opts *to)
{
    struct am_engine_opts eo = { 0 };
    struct am_search_input in = { NULL, NULL, AM_SEARCH_BOTH };
    struct explain_input x;
    struct am_answer ans;
    struct am_error err;
    struct report rep;
    am_pfconf *conf;
    am_engine *e = NULL;
    am_trace *trace = NULL;
    int rc = AM_EXIT_ERROR, found;

    report_init(&rep, 0);
    if ((conf = load_config(config_dir, &rep.sink)) == NULL)
        return AM_EXIT_ERROR;
    eo.kind = ca->check;
    eo.conf = conf;
    eo.nofold = to->nofold;
    eo.diags = &rep.sink;
    switch (ca->check) {
    case AM_CHECK_CLIENT:
    case AM_CHECK_REVERSE_CLIENT:
        in.text = ca->client;
        in.hostname = ca->client_name;
        break;
    case AM_CHECK_HELO:
        in.text = ca->helo;
        break;
    case AM_CHECK_SENDER:
        in.text = ca->sender;
        break;
    default:
        in.text = ca->recipient;
        break;
    }
    if ((e = am_engine_open((const char *const *) specs, (size_t) nspecs, &eo,
                            &err)) == NULL) {
        report_error(&err);
        goto out;
    }
    if ((ca->explain || ca->json) && (trace = am_trace_new(&err)) == NULL) {
        report_error(&err);
        goto out;
    }
    if (strcmp(in.text, "-") == 0 && !ca->explain && !ca->json) {
        rc = query_check_stdin(e, &in);
        goto out;
    }
    found = am_engine_query(e, &in, &ans, trace, &err);
    if (found < 0) {
        report_error(&err);
        goto out;
    }
    x.check = ca->check;
    x.in = &in;
    if (ca->json)
        explain_json(stdout, e, &x, found, &ans, trace);
    else if (ca->explain)
        explain_text(stdout, e, &x, found, &ans, trace);
    else if (found)
        printf("%s\n", ans.value);
    rc = found ? AM_EXIT_OK : AM_EXIT_NOTFOUND;
    if (fflush(stdout) != 0) {
        report_fail("write to stdout failed");
        rc = AM_EXIT_ERROR;
    }
out:
    am_trace_free(trace);
    am_engine_close(e);
    am_pfconf_close(conf);
    return rc;
}

static int
set_check(struct check_args *ca, int check, const char **slot, const char *arg)
{
    if (ca->check >= 0 && ca->check != check) {
        report_fail("give one of --client, --helo, --sender, --recipient");
        return -1;
    }
    ca->check = check;
    *slot = arg;
    return 0;
}

int
cmd_query(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "config", required_argument, NULL, 'c' },
        { "client", required_argument, NULL, 'C' },
        { "client-name", required_argument, NULL, 'H' },
        { "reverse", no_argument, NULL, 'R' },
        { "helo", required_argument, NULL, 'E' },
        { "sender", required_argument, NULL, 'S' },
        { "recipient", required_argument, NULL, 'T' },
        { "explain", no_argument, NULL, 'X' },
        { "json", no_argument, NULL, 'J' },
        { NULL, 0, NULL, 0 },
    };
    struct check_args ca = { .check = -1 };
    struct am_table_opts to = { 0 };
    struct am_table_result res;
    struct am_error err;
    struct query q;
    am_pfconf *conf = NULL;
    const char *config_dir = NULL, *key;
    int c, i, which, rc = AM_EXIT_ERROR, no_utf8 = 0;

    memset(&q, 0, sizeof(q));
    to.nul_mode = AM_STORE_NUL_AUTO;
    while ((c = getopt_long(argc, argv, "c:fhNnuU", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config_dir = optarg; break;
        case 'f': to.nofold = 1; break;
        case 'h': fputs(query_help, stdout); return AM_EXIT_OK;
        case 'N': to.nul_mode = AM_STORE_NUL_WITH; break;
        case 'n': to.nul_mode = AM_STORE_NUL_WITHOUT; break;
        case 'u': no_utf8 = 1; break;
        case 'U': no_utf8 = 0; break;
        case 'C':
            if (set_check(&ca, AM_CHECK_CLIENT, &ca.client, optarg) < 0)
                return AM_EXIT_ERROR;
            break;
        case 'H': ca.client_name = optarg; break;
        case 'R': ca.reverse = 1; break;
        case 'E':
            if (set_check(&ca, AM_CHECK_HELO, &ca.helo, optarg) < 0)
                return AM_EXIT_ERROR;
            break;
        case 'S':
            if (set_check(&ca, AM_CHECK_SENDER, &ca.sender, optarg) < 0)
                return AM_EXIT_ERROR;
            break;
        case 'T':
            if (set_check(&ca, AM_CHECK_RECIPIENT, &ca.recipient, optarg) < 0)
                return AM_EXIT_ERROR;
            break;
        case 'X': ca.explain = 1; break;
        case 'J': ca.json = 1; break;
        default: return usage_error("query", QUERY_USAGE);
        }
    }
    if ((ca.client_name != NULL || ca.reverse) && ca.check != AM_CHECK_CLIENT) {
        report_fail("--client-name and --reverse go with --client");
        return AM_EXIT_ERROR;
    }
    if (ca.check >= 0) {
        if (ca.reverse)
            ca.check = AM_CHECK_REVERSE_CLIENT;
        if (argc - optind < 1)
            return usage_error("query", QUERY_USAGE);
        return query_check(&ca, argv + optind, argc - optind, config_dir, &to);
    }
    if (ca.explain || ca.json) {
        /* Exact lookups explained: the engine's exact kind. */
        if (argc - optind < 2)
            return usage_error("query", QUERY_USAGE);
        ca.check = AM_CHECK_EXACT;
        ca.recipient = argv[optind];
        return query_check(&ca, argv + optind + 1, argc - optind - 1,
                           config_dir, &to);
    }
    if (argc - optind < 2)
        return usage_error("query", QUERY_USAGE);
    key = argv[optind++];
    report_init(&q.rep, 0);
    if ((conf = load_config(config_dir, &q.rep.sink)) == NULL)
        return AM_EXIT_ERROR;
    to.utf8 = !no_utf8 && am_pfconf_bool(conf, "smtputf8_enable", 0);
    to.default_type = am_pfconf_get(conf, "default_database_type");
    to.diags = &q.rep.sink;
    q.ntables = argc - optind;
    if ((q.tables = calloc((size_t) q.ntables, sizeof(*q.tables))) == NULL)
        goto out;
    for (i = 0; i < q.ntables; i++) {
        if ((q.tables[i] = am_table_open(argv[optind + i], &to, &err)) == NULL) {
            report_error(&err);
            goto out;
        }
    }
    if (strcmp(key, "-") == 0) {
        rc = query_stdin(&q);
    } else {
        rc = lookup(&q, key, strlen(key), &res, &which);
        if (rc > 0) {
            fwrite(res.value, 1, res.vlen, stdout);
            putchar('\n');
        }
        rc = rc < 0 ? AM_EXIT_ERROR : rc > 0 ? AM_EXIT_OK : AM_EXIT_NOTFOUND;
    }
    if (fflush(stdout) != 0) {
        report_fail("write to stdout failed");
        rc = AM_EXIT_ERROR;
    }
out:
    for (i = 0; q.tables != NULL && i < q.ntables; i++)
        am_table_close(q.tables[i]);
    free(q.tables);
    am_pfconf_close(conf);
    return rc;
}
