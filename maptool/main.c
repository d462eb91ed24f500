/* main.c - accessmap command line: subcommand table and exit-status policy.
 *
 * Exit status: 0 success (or "found"), 1 "not found" for lookups, 2 error.
 * Only maptool/ prints; library errors come back as struct am_error.
 */
#include <stdio.h>
#include <string.h>

#include "maptool/cmd.h"

static const struct cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "compile", cmd_compile, "build hash/btree/lmdb/cdb tables from source, like postmap" },
    { "query",   cmd_query,   "look keys up, exactly or as Postfix's access checks do" },
    { "dump",    cmd_dump,    "print every entry of a table as key<TAB>value" },
    { "check",   cmd_check,   "lint access tables: actions, dead keys, overlaps" },
    { "serve",   cmd_serve,   "answer tcp_table and socketmap lookups from tables" },
};

static void
usage(FILE *fp)
{
    size_t i;

    fprintf(fp, "usage: accessmap COMMAND [options] [args]\n\ncommands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\n'accessmap COMMAND --help' describes a command.\n"
            "exit status: 0 success/found, 1 not found, 2 error\n");
}

int
main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return AM_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("accessmap %s\n", AM_VERSION);
        return 0;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "accessmap: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return AM_EXIT_ERROR;
}
