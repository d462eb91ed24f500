/* cmd.h - the subcommands of accessmap; each lives in its own cmd_*.c. */
#ifndef AM_MAPTOOL_CMD_H
#define AM_MAPTOOL_CMD_H

#define AM_VERSION "0.1"

enum {
    AM_EXIT_OK = 0,             /* success; for lookups: found */
    AM_EXIT_NOTFOUND = 1,       /* lookups: nothing found */
    AM_EXIT_ERROR = 2,          /* bad usage, bad input, system failure */
};

int cmd_compile(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* The check kind a table file name suggests (helo_access -> helo). */
int guess_check_kind(const char *path);

#endif
