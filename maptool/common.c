/* common.c - configuration lookup shared by the commands; see common.h. */
#include "maptool/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "maptool/cmd.h"
#include "maptool/report.h"

am_pfconf *
load_config(const char *dir, struct am_diag_sink *diags)
{
    struct am_error err;
    am_pfconf *c;

    if (dir == NULL)
        dir = getenv("MAIL_CONFIG");
    if (dir == NULL && access("/etc/postfix/main.cf", R_OK) == 0)
        dir = "/etc/postfix";
    if ((c = am_pfconf_open(dir, diags, &err)) == NULL) {
        report_error(&err);
        return NULL;
    }
    if (dir == NULL && am_pfconf_set(c, "compatibility_level", "3.6", &err) < 0) {
        report_error(&err);
        am_pfconf_close(c);
        return NULL;
    }
    return c;
}

int
usage_error(const char *cmd, const char *usage)
{
    fprintf(stderr, "usage: accessmap %s %s\n"
            "'accessmap %s --help' for details\n", cmd, usage, cmd);
    return AM_EXIT_ERROR;
}
