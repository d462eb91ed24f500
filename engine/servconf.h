/* servconf.h - am_servconf: what `accessmap serve` serves, and its parser.
 *
 * A configuration is a list of listeners, each with the maps it answers
 * (a tcp_table listener has exactly one, unnamed; a socketmap listener
 * has one or more, by name), plus limits and the client allowlist.  The
 * same structure is filled from a configuration file (am_servconf_parse,
 * a pure function of the text, so it can be fuzzed) or piece by piece
 * from the command line.  All strings are owned by the configuration and
 * freed by am_servconf_free().
 *
 * File syntax: Postfix-style logical lines ('#' comments, a line that
 * starts with whitespace continues the previous one); each line is a
 * directive and its words:
 *
 *   listen tcp:HOST:PORT KIND TABLE...
 *   listen socketmap:inet:HOST:PORT NAME=KIND:TABLE[,TABLE...]...
 *   listen socketmap:unix:PATH [mode=0660] NAME=KIND:TABLE[,TABLE...]...
 *   allow CIDR...                 clients allowed to connect (default:
 *                                 loopback and unix sockets only)
 *   allow_remote yes|no           allow listening on non-loopback addresses
 *   max_connections N             default 1000
 *   max_request BYTES             default 16384
 *   idle_timeout SECONDS          default 600 (0: never)
 *   read_timeout SECONDS          default 10: a request must be complete
 *                                 (and replies read) within this time
 *   log_queries yes|no            default no
 *   watch yes|no                  reload when table files change (yes)
 *   user NAME                     drop privileges after binding
 *   config_directory DIR          Postfix main.cf directory (parameters
 *                                 that change matching)
 *
 * KIND is client, reverse_client, helo, sender, recipient or exact.
 * TABLE is "type:name" as Postfix writes it; in a tcp listener tables may
 * also be separated by commas.
 */
#ifndef AM_ENGINE_SERVCONF_H
#define AM_ENGINE_SERVCONF_H

#include <stddef.h>

#include "formats/addr.h"
#include "formats/error.h"

enum am_servconf_proto {
    AM_SERVCONF_TCP = 1,        /* tcp_table: tcp:HOST:PORT */
    AM_SERVCONF_SOCKMAP_INET,   /* socketmap:inet:HOST:PORT */
    AM_SERVCONF_SOCKMAP_UNIX,   /* socketmap:unix:PATH */
};

struct am_servconf_map {
    char *name;                 /* socketmap map name; NULL for tcp */
    int kind;                   /* enum am_check */
    char **specs;               /* "type:name" */
    size_t nspecs;
};

struct am_servconf_listen {
    int proto;                  /* enum am_servconf_proto */
    char *endpoint;             /* as written */
    char *host;                 /* inet: host (brackets removed) */
    char *port;                 /* inet: port */
    char *path;                 /* unix: socket path */
    unsigned mode;              /* unix: permissions; 0: 0666 */
    struct am_servconf_map *maps;
    size_t nmaps;
    unsigned line;              /* where it was configured, 0 on argv */
};

struct am_servconf {
    struct am_servconf_listen *listens;
    size_t nlistens;
    struct am_net *allow;       /* client allowlist */
    size_t nallow;
    int allow_remote;
    size_t max_connections;
    size_t max_request;
    unsigned idle_timeout;      /* seconds, 0: never */
    unsigned read_timeout;      /* seconds, 0: never */
    int log_queries;
    int watch;
    char *user;
    char *config_dir;
};

/* Defaults, no listeners. */
void am_servconf_init(struct am_servconf *c);
void am_servconf_free(struct am_servconf *c);   /* leaves it empty */

/* Parse a whole configuration text; name is used in error locations
 * (err->loc gets file and line).  Directives add to c (call
 * am_servconf_init first).  On error c may hold part of the text; free
 * it. */
int am_servconf_parse(struct am_servconf *c, const char *name,
                      const char *text, size_t len, struct am_error *err);

/* Add a listener for an endpoint ("tcp:HOST:PORT", "socketmap:inet:HOST:
 * PORT", "socketmap:unix:PATH"); returns its index or <0. */
int am_servconf_add_listen(struct am_servconf *c, const char *endpoint,
                           struct am_error *err);
/* Give a tcp listener its kind and tables (specs may hold several tables
 * separated by commas). */
int am_servconf_add_tables(struct am_servconf *c, size_t listen, int kind,
                           const char *const *specs, size_t nspecs,
                           struct am_error *err);
/* Add "NAME=KIND:TABLE[,TABLE...]" to a socketmap listener. */
int am_servconf_add_map(struct am_servconf *c, size_t listen,
                        const char *text, struct am_error *err);
/* Add a CIDR (or address) to the allowlist. */
int am_servconf_add_allow(struct am_servconf *c, const char *cidr,
                          struct am_error *err);
/* Check the whole: every listener has maps, map names are unique per
 * listener, non-loopback inet listeners need allow_remote and a non-empty
 * allowlist. */
int am_servconf_check(const struct am_servconf *c, struct am_error *err);

#endif
