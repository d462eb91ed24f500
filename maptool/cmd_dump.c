/* cmd_dump.c - accessmap dump: every entry of a table, like postmap -s.
 *
 * Prints KEY<TAB>VALUE per entry in the file's own order (hash order for
 * hash, byte order for btree and lmdb, insertion order for cdb), without
 * the trailing NULs Postfix stores.  Unlike postmap -s, cdb tables can be
 * listed too, and every TABLE given is printed, in turn.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "engine/table.h"
#include "formats/pfconf.h"
#include "formats/store.h"
#include "formats/texthash.h"
#include "maptool/cmd.h"
#include "maptool/common.h"
#include "maptool/report.h"

#define DUMP_USAGE "[-c config_dir] TABLE..."

static const char dump_help[] =
    "usage: accessmap dump " DUMP_USAGE "\n"
    "\n"
    "Print every entry of each TABLE as KEY<TAB>VALUE, like postmap -s.\n"
    "TABLE is TYPE:NAME with TYPE hash, btree, lmdb, cdb or texthash.\n"
    "\n"
    "Exit status: 0 success, 2 error.\n";

/* Print one record without the NUL that Postfix stores after key and value;
 * like a C-string reader, stop at the first NUL. */
static int
print_record(void *ctx, const char *key, size_t klen, const char *val,
             size_t vlen)
{
    (void) ctx;
    fwrite(key, 1, strnlen(key, klen), stdout);
    putchar('\t');
    fwrite(val, 1, strnlen(val, vlen), stdout);
    putchar('\n');
    return 0;
}

static int
dump_one(const char *spec, am_pfconf *conf, struct report *rep)
{
    struct am_error err;
    const char *name, *tname;
    size_t tlen, n, i;
    int type, rc;

    am_table_split_spec(spec, &tlen, &name);
    tname = tlen ? spec : am_pfconf_get(conf, "default_database_type");
    if (tlen == 0)
        tlen = strlen(tname);
    if (tlen == 8 && strncmp(tname, "texthash", 8) == 0) {
        int flags = AM_TEXTHASH_FOLD
            | (am_pfconf_bool(conf, "smtputf8_enable", 0) ? AM_TEXTHASH_UTF8 : 0);
        am_texthash *t = am_texthash_open(name, flags, &rep->sink, &err);
        const struct am_record *r;

        if (t == NULL) {
            report_error(&err);
            return -1;
        }
        r = am_texthash_records(t, &n);
        for (i = 0; i < n; i++)
            print_record(NULL, r[i].key, r[i].klen, r[i].val, r[i].vlen);
        am_texthash_close(t);
        return 0;
    }
    if ((type = am_store_type_parse(tname, tlen)) < 0) {
        report_fail("%s: cannot list tables of type \"%.*s\"", spec, (int) tlen,
                    tname);
        return -1;
    }
    am_store *s = am_store_open(type, name, AM_STORE_NUL_AUTO, &err);
    if (s == NULL) {
        report_error(&err);
        return -1;
    }
    rc = am_store_each(s, print_record, NULL, &err);
    if (rc < 0)
        report_error(&err);
    am_store_close(s);
    return rc < 0 ? -1 : 0;
}

int
cmd_dump(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "config", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    const char *config_dir = NULL;
    struct report rep;
    am_pfconf *conf;
    int c, i, rc = AM_EXIT_OK;

    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config_dir = optarg; break;
        case 'h': fputs(dump_help, stdout); return AM_EXIT_OK;
        default: return usage_error("dump", DUMP_USAGE);
        }
    }
    if (optind >= argc)
        return usage_error("dump", DUMP_USAGE);
    report_init(&rep, 0);
    if ((conf = load_config(config_dir, &rep.sink)) == NULL)
        return AM_EXIT_ERROR;
    for (i = optind; i < argc && rc == AM_EXIT_OK; i++)
        if (dump_one(argv[i], conf, &rep) < 0)
            rc = AM_EXIT_ERROR;
    if (fflush(stdout) != 0) {
        report_fail("write to stdout failed");
        rc = AM_EXIT_ERROR;
    }
    am_pfconf_close(conf);
    return rc;
}
