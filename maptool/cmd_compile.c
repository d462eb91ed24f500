/* cmd_compile.c - accessmap compile. */
#include <stdio.h>

#include "maptool/cmd.h"

int
cmd_compile(int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf(stderr, "accessmap compile: not yet available\n");
    return AM_EXIT_ERROR;
}
