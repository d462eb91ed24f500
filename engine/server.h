/* server.h - am_server: tcp_table and socketmap service on an am_loop.
 *
 * A server binds the listeners of an am_servconf, opens one engine per map
 * (tables preloaded into memory) and answers requests on the loop's
 * thread: bytes are decoded by am_tcptable/am_sockmap, answered by
 * am_engine_lookup() and encoded back, one send per batch of pipelined
 * replies.  Connections have bounded buffers and idle and read time
 * limits.  Reloads build new engines on a background thread and swap them
 * in between requests; a map whose tables fail to load keeps its old
 * engine.  The server never prints: it reports through a log callback.
 * The configuration and Postfix parameters are borrowed and must outlive
 * the server.
 */
#ifndef AM_ENGINE_SERVER_H
#define AM_ENGINE_SERVER_H

#include <stddef.h>

#include "engine/loop.h"
#include "engine/servconf.h"
#include "formats/buf.h"
#include "formats/error.h"
#include "formats/pfconf.h"

/* Log levels, numerically the syslog(3) priorities. */
enum am_server_log_level {
    AM_SERVER_LOG_ERR = 3,
    AM_SERVER_LOG_WARNING = 4,
    AM_SERVER_LOG_INFO = 6,
};

/* msg is one line without newline, borrowed for the call. */
typedef void am_server_log_fn(void *ctx, int level, const char *msg);

struct am_server_opts {
    const struct am_servconf *conf;
    const am_pfconf *pfconf;    /* may be NULL: Postfix defaults */
    am_server_log_fn *log;      /* may be NULL: nothing is logged */
    void *log_ctx;
};

typedef struct am_server am_server;

/* Load every map, then bind and listen on every endpoint and register
 * with loop.  All-or-nothing. */
am_server *am_server_open(am_loop *loop, const struct am_server_opts *opts,
                          struct am_error *err);

/* The port an inet listener is bound to (useful with port 0), or 0. */
int am_server_port(const am_server *s, size_t listen);

/* Ask for a reload of every map (coalesced with one under way).  Table
 * file changes trigger this by themselves when conf->watch is set. */
void am_server_reload(am_server *s);

/* Number of reloads finished (swapped or failed), for callers that wait. */
unsigned long am_server_reloads(const am_server *s);

/* Append the counters as text lines to out: connections, reloads, and per
 * map requests, hits, misses, errors, hits per table and per entry (table
 * and matched key; the first 4096 entries hit per map, later ones counted
 * together as "other"). */
int am_server_stats(const am_server *s, struct am_buf *out,
                    struct am_error *err);

/* Stop accepting and close every connection, wait for a reload under
 * way, free everything; unix socket files are removed.  Accepts NULL. */
void am_server_close(am_server *s);

#endif
