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

#include "engine/table.h"
#include "formats/pfconf.h"
#include "formats/store.h"
#include "maptool/cmd.h"
#include "maptool/common.h"
#include "maptool/report.h"

#define QUERY_USAGE "[-fNnu] [-c config_dir] KEY|- TABLE..."

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

int
cmd_query(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "config", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
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
        default: return usage_error("query", QUERY_USAGE);
        }
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
