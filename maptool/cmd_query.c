/* cmd_query.c - accessmap query. */
#include <stdio.h>

#include "maptool/cmd.h"

int
cmd_query(int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf(stderr, "accessmap query: not yet available\n");
    return AM_EXIT_ERROR;
}
