/* cmd_dump.c - accessmap dump. */
#include <stdio.h>

#include "maptool/cmd.h"

int
cmd_dump(int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf(stderr, "accessmap dump: not yet available\n");
    return AM_EXIT_ERROR;
}
