/* cmd_compile.c - accessmap compile: build tables from source, like postmap.
 *
 * For each [TYPE:]FILE: read FILE (or stdin with -i, on top of the existing
 * table), fold keys, resolve duplicates, check the format's limits, and
 * write FILE.db / FILE.lmdb / FILE.cdb through a temporary file that is
 * renamed into place only when complete.  Exit 0 on success (warnings
 * included, as postmap), 1 on failure (as postmap), with the old table
 * untouched.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/check.h"
#include "engine/lint.h"
#include "engine/tableexpand.h"
#include "formats/lines.h"
#include "formats/pfconf.h"
#include "formats/store.h"
#include "formats/tablebuild.h"
#include "maptool/cmd.h"
#include "maptool/common.h"
#include "maptool/progress.h"
#include "maptool/report.h"

#define COMPILE_USAGE "[-NfinoprUuvw] [-c config_dir] [--strict [--kind K]] [TYPE:]FILE..."

struct compile_opts {
    int nul;                    /* -1 type default, 0 -n, 1 -N */
    int nofold;                 /* -f */
    int dups;                   /* -r / -w, last one wins */
    int incremental;            /* -i */
    int as_owner;               /* not -o */
    int save_perm;              /* not -p */
    int no_utf8;                /* -u */
    int verbose;                /* -v */
    int strict;                 /* --strict: warnings fail, and lint runs */
    int kind;                   /* --kind, -1: guess from the file name */
    int no_expand;              /* --no-expand: network keys stay text */
    size_t max_expand;          /* --max-expand */
    const char *config_dir;     /* -c */
};

static const char compile_help[] =
    "usage: accessmap compile " COMPILE_USAGE "\n"
    "\n"
    "Build Postfix lookup tables from source files, as postmap does: the same\n"
    "syntax, case folding, NUL convention and duplicate policy, and files that\n"
    "Postfix reads unchanged.  TYPE is hash (default: default_database_type),\n"
    "btree, lmdb or cdb; the result is FILE.db, FILE.lmdb or FILE.cdb.  The new\n"
    "table is written beside the old one and renamed into place when complete:\n"
    "readers never see a partial table and a failed build keeps the old one.\n"
    "\n"
    "  -c DIR    read DIR/main.cf (default: $MAIL_CONFIG, /etc/postfix)\n"
    "  -f        do not fold keys to lower case\n"
    "  -i        add entries read from stdin to the existing table\n"
    "  -N / -n   store keys and values with / without a trailing NUL\n"
    "  -o        as root, do not build as the owner of the source file\n"
    "  -p        new files get mode 0644, not the source file's read bits\n"
    "  -r / -w   on duplicate keys the last entry wins / the first wins,\n"
    "            silently (default: first wins, with a warning)\n"
    "  -u        no UTF-8 checks; fold ASCII letters only\n"
    "  -v        report what was written\n"
    "  --strict  also check the entries as an access table (as accessmap\n"
    "            check does) and treat every warning as an error: then\n"
    "            nothing is written\n"
    "  --kind K  with --strict: the check the table serves (client, helo,\n"
    "            sender, recipient; default: guessed from the file name)\n"
    "  --no-expand     store network and range keys as text, as postmap\n"
    "                  does (Postfix then never matches them)\n"
    "  --max-expand N  fail when networks need more than N keys (1000000)\n"
    "\n"
    "Keys such as 192.0.2.0/24 or 192.0.2.10-192.0.2.99 in a source table\n"
    "are IPv4 networks, most specific first (with the table's addresses and\n"
    "partial keys such as 10.1); they are written as the keys Postfix's\n"
    "client address search tries (10.1, 192.0.2, 192.0.2.10, ...), so Postfix\n"
    "answers as the source means.  IPv6 networks need a cidr table.\n"
    "\n"
    "Exit status: 0 written (possibly with warnings), 1 failed (as postmap).\n";

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Mode and owner of the output, as postmap would leave them: an existing
 * table keeps its own; a new one gets 0644 without the group/other read
 * bits the source lacks (unless -p). */
static void
output_perms(const char *target, const struct stat *src, int src_ok,
             const struct compile_opts *o, struct am_store_build_opts *bo)
{
    struct stat st;

    bo->uid = (uid_t) -1;
    bo->gid = (gid_t) -1;
    if (stat(target, &st) == 0) {
        bo->mode = st.st_mode & 07777;
        if (geteuid() == 0) {
            bo->uid = st.st_uid;
            bo->gid = st.st_gid;
        }
        return;
    }
    bo->mode = 0644;
    if (o->save_perm && src_ok && S_ISREG(src->st_mode))
        bo->mode &= ~(mode_t) (022 | (~src->st_mode & 077));
}

/* As root, build as the source file's owner (postmap's default), so the
 * result belongs to that owner and a hostile directory gains nothing. */
static int
become_owner(const struct stat *src, int src_ok, const struct compile_opts *o,
             int *switched)
{
    *switched = 0;
    if (!o->as_owner || !src_ok || getuid() != 0
        || (src->st_uid == geteuid() && src->st_gid == getegid()))
        return 0;
    if (setegid(src->st_gid) < 0 || seteuid(src->st_uid) < 0) {
        report_fail("cannot switch to the owner of the source (uid %ld): %s",
                    (long) src->st_uid, strerror(errno));
        return -1;
    }
    *switched = 1;
    return 0;
}

static void
become_root(int switched)
{
    if (switched && (seteuid(0) < 0 || setegid(0) < 0))
        report_warn("cannot return to root privileges: %s", strerror(errno));
}

static int
compile_one(const char *arg, const struct compile_opts *o, am_pfconf *conf)
{
    struct am_tablebuild_opts to = { 0 };
    struct am_store_build_opts bo = { 0 };
    struct report rep;
    struct progress prog;
    struct am_error err;
    struct stat src;
    am_tablebuild *tb = NULL;
    am_lines *lines = NULL;
    am_store *old = NULL;
    const char *name, *tname;
    char *target = NULL;
    size_t tlen, n;
    int type, rc = -1, src_ok = 0, switched = 0, expanded = 0, expand, order;
    double t0 = now(), t_read, t_resolved;

    report_init(&rep, o->strict);
    tname = strchr(arg, ':') ? arg : am_pfconf_get(conf, "default_database_type");
    name = strchr(arg, ':') ? strchr(arg, ':') + 1 : arg;
    tlen = strchr(arg, ':') ? (size_t) (strchr(arg, ':') - arg) : strlen(tname);
    if ((type = am_store_type_parse(tname, tlen)) < 0) {
        if (tlen == 8 && strncmp(tname, "texthash", 8) == 0)
            report_fail("%s: texthash tables are read from source; there is "
                        "nothing to compile", arg);
        else
            report_fail("%s: cannot build tables of type \"%.*s\" (hash, btree, "
                        "lmdb and cdb can be built)", arg, (int) tlen, tname);
        return -1;
    }
    if (*name == '\0') {
        report_fail("%s: no file name", arg);
        return -1;
    }
    if (asprintf(&target, "%s%s", name, am_store_suffix(type)) < 0)
        return -1;

    /* The source: FILE, or stdin with -i. */
    if (o->incremental) {
        src_ok = fstat(STDIN_FILENO, &src) == 0;
        lines = am_lines_open("-", &err);
    } else {
        if (stat(name, &src) < 0) {
            report_fail("open %s: %s", name, strerror(errno));
            goto out;
        }
        src_ok = 1;
        lines = am_lines_open(name, &err);
    }
    if (lines == NULL) {
        report_error(&err);
        goto out;
    }
    progress_init(&prog, name, am_lines_size(lines));

    to.fold = !o->nofold;
    to.utf8 = !o->no_utf8 && am_pfconf_bool(conf, "smtputf8_enable", 0);
    to.nul = o->nul >= 0 ? o->nul : am_store_default_nul(type);
    /* postmap -w on cdb adds every duplicate (tinycdb's CDB_PUT_ADD);
     * readers find the first, so answers are those of "first wins". */
    to.dups = type == AM_STORE_CDB && o->dups == AM_DUP_FIRST
        ? AM_DUP_KEEP_ALL : o->dups;
    to.progress = progress_update;
    to.progress_ctx = &prog;
    if ((tb = am_tablebuild_new(&to, &err)) == NULL) {
        report_error(&err);
        goto out;
    }
    if (o->incremental && access(target, F_OK) == 0) {
        if ((old = am_store_open(type, name, AM_STORE_NUL_AUTO, &err)) == NULL
            || am_tablebuild_add_store(tb, old, &err) < 0) {
            report_error(&err);
            goto out;
        }
    }
    if (am_tablebuild_add_source(tb, lines, &rep.sink, &err) < 0) {
        progress_done(&prog);
        report_error(&err);
        goto out;
    }
    t_read = now();
    /* btree and lmdb are written in key order: duplicates then fall out
     * of the sort the write needs anyway.  Network expansion and --strict
     * read the records in input order (the earlier of two lines for one
     * network wins; findings come in line order), so they keep it. */
    expand = !o->no_expand && am_tableexpand_needed(tb);
    order = am_store_key_order(type) && !o->strict && !expand
        ? AM_ORDER_KEY : AM_ORDER_INPUT;
    if (am_tablebuild_resolve(tb, order, &rep.sink, &err) < 0) {
        progress_done(&prog);
        report_error(&err);
        goto out;
    }
    if (expand && (expanded = am_tableexpand(tb, o->max_expand, &err)) < 0) {
        progress_done(&prog);
        report_error(&err);
        report_fail("%s: the table was not written", target);
        goto out;
    }
    progress_done(&prog);
    if (o->strict) {
        struct am_check_conf cc;
        struct am_lint_opts lo = { 0 };
        struct am_record *recs = am_tablebuild_records(tb, &n);

        am_check_conf_init(&cc);
        lo.check = o->kind >= 0 ? o->kind : guess_check_kind(name);
        lo.conf = &cc;
        lo.networks_expanded = !o->no_expand;
        if (am_check_conf_load(&cc, conf, &err) < 0
            || am_lint_records(recs, n, name, &lo, &rep.sink, &err) < 0) {
            report_error(&err);
            goto out;
        }
    }
    if (am_tablebuild_check(tb, type, &rep.sink, &err) < 0) {
        report_fail("%s: %s; the table was not written", target, err.msg);
        goto out;
    }
    if (report_failures(&rep) > 0) {
        report_fail("%s: %lu problem%s found with --strict; the "
                    "table was not written", target, report_failures(&rep),
                    report_failures(&rep) == 1 ? "" : "s");
        goto out;
    }

    t_resolved = now();
    output_perms(target, &src, src_ok, o, &bo);
    bo.cache_bytes = (size_t) strtoul(am_pfconf_get(conf,
                                      "berkeley_db_create_buffer_size"), NULL, 10);
    bo.progress = progress_update;
    bo.progress_ctx = &prog;
    progress_phase(&prog, "writing");
    am_tablebuild_records(tb, &n);
    if (become_owner(&src, src_ok, o, &switched) < 0)
        goto out;
    rc = am_tablebuild_write(tb, type, name, &bo, &err);
    become_root(switched);
    progress_done(&prog);
    if (rc < 0) {
        report_error(&err);
        rc = -1;
        goto out;
    }
    if (o->verbose && expanded > 0)
        fprintf(stderr, "accessmap: %s: network and address keys written as "
                "%d keys Postfix looks up\n", name, expanded);
    if (o->verbose)
        fprintf(stderr, "accessmap: wrote %s:%s (%s): %zu entries in %.2f s "
                "(read %.2f, resolve %.2f, write %.2f)\n",
                am_store_type_name(type), name, target, n, now() - t0,
                t_read - t0, t_resolved - t_read, now() - t_resolved);
    rc = 0;
out:
    am_store_close(old);
    am_tablebuild_free(tb);
    am_lines_close(lines);
    free(target);
    return rc;
}

int
cmd_compile(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "strict", no_argument, NULL, 'S' },
        { "kind", required_argument, NULL, 'K' },
        { "no-expand", no_argument, NULL, 'E' },
        { "max-expand", required_argument, NULL, 'M' },
        { "help", no_argument, NULL, 'h' },
        { "config", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    struct compile_opts o = { .nul = -1, .as_owner = 1, .save_perm = 1,
                              .dups = AM_DUP_FIRST_WARN, .kind = -1,
                              .max_expand = AM_TABLEEXPAND_MAX_KEYS };
    struct report rep;
    am_pfconf *conf;
    int c, i, rc = AM_EXIT_OK;

    while ((c = getopt_long(argc, argv, "c:fhiNnoprUuvw", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o.config_dir = optarg; break;
        case 'f': o.nofold = 1; break;
        case 'h': fputs(compile_help, stdout); return AM_EXIT_OK;
        case 'i': o.incremental = 1; break;
        case 'N': o.nul = 1; break;
        case 'n': o.nul = 0; break;
        case 'o': o.as_owner = 0; break;
        case 'p': o.save_perm = 0; break;
        case 'r': o.dups = AM_DUP_LAST; break;
        case 'w': o.dups = AM_DUP_FIRST; break;
        case 'u': o.no_utf8 = 1; break;
        case 'U': o.no_utf8 = 0; break;
        case 'v': o.verbose = 1; break;
        case 'S': o.strict = 1; break;
        case 'E': o.no_expand = 1; break;
        case 'M': {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v == 0) {
                report_fail("--max-expand needs a positive number");
                return 1;
            }
            o.max_expand = (size_t) v;
            break;
        }
        case 'K':
            if ((o.kind = am_check_parse(optarg)) < 0) {
                report_fail("unknown check kind \"%s\"", optarg);
                return 1;
            }
            break;
        default: return usage_error("compile", COMPILE_USAGE);
        }
    }
    if (optind >= argc)
        return usage_error("compile", COMPILE_USAGE);
    if (o.incremental && argc - optind > 1) {
        report_fail("-i reads one set of entries from stdin; give one table");
        return 1;
    }
    report_init(&rep, o.strict);
    if ((conf = load_config(o.config_dir, &rep.sink)) == NULL)
        return 1;
    for (i = optind; i < argc; i++) {
        if (compile_one(argv[i], &o, conf) < 0) {
            rc = 1;
            break;
        }
    }
    am_pfconf_close(conf);
    return rc;
}
