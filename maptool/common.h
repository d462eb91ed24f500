/* common.h - what several accessmap commands share: finding the Postfix
 * configuration, and the table options postmap users know. */
#ifndef AM_MAPTOOL_COMMON_H
#define AM_MAPTOOL_COMMON_H

#include "formats/diag.h"
#include "formats/pfconf.h"

/* The main.cf to use: -c DIR if given, else $MAIL_CONFIG, else
 * /etc/postfix when it has a main.cf; with none, a current Postfix's
 * defaults (compatibility_level 3.6, so smtputf8_enable = yes).  Prints
 * an error and returns NULL on failure. */
am_pfconf *load_config(const char *dir, struct am_diag_sink *diags);

/* Print "accessmap CMD: ..." usage text and return the exit status 2. */
int usage_error(const char *cmd, const char *usage);

#endif
