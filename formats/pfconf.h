/* pfconf.h - am_pfconf: the main.cf parameters accessmap needs.
 *
 * Reads DIR/main.cf the way Postfix does (logical lines, "name = value",
 * $name / ${name} / $(name) expansion) and falls back to Postfix 3.7's
 * built-in defaults for the parameters accessmap knows.  With no directory
 * (NULL) only the defaults apply.  Returned strings are owned by the handle.
 */
#ifndef AM_FORMATS_PFCONF_H
#define AM_FORMATS_PFCONF_H

#include "formats/diag.h"
#include "formats/error.h"

typedef struct am_pfconf am_pfconf;

/* Open DIR/main.cf; dir NULL means defaults only.  A missing main.cf in a
 * given directory is an error (as for every Postfix command).  Warnings
 * about malformed lines go to diags (may be NULL). */
am_pfconf *am_pfconf_open(const char *config_dir, struct am_diag_sink *diags,
                          struct am_error *err);
void am_pfconf_close(am_pfconf *c);             /* accepts NULL */

/* Set (or override) a parameter as if main.cf said "name = value". */
int am_pfconf_set(am_pfconf *c, const char *name, const char *value,
                  struct am_error *err);

/* Longest expanded value.  "a = $b$b$b$b", "b = $c$c$c$c", ... grows
 * exponentially with the chain; text that would take a value beyond this
 * is left out of it. */
#define AM_PFCONF_VALUE_MAX (1024 * 1024)

/* Expanded value, or the built-in default, or NULL if unknown.  A name
 * used inside its own expansion ("a = $a", or a longer loop) stands for
 * nothing there; Postfix refuses such a main.cf. */
const char *am_pfconf_get(const am_pfconf *c, const char *name);
/* yes/true/1 -> 1, no/false/0 -> 0, anything else or unset -> dflt. */
int am_pfconf_bool(const am_pfconf *c, const char *name, int dflt);
/* Is word in the comma/whitespace separated list value of name? */
int am_pfconf_list_has(const am_pfconf *c, const char *name, const char *word);
/* The directory given at open, or NULL. */
const char *am_pfconf_dir(const am_pfconf *c);

#endif
