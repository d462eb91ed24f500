/* server.c - am_server: listeners, connections, requests, reloads.
 *
 * Ownership: the server owns its listeners, connections, engines and the
 * reload thread; the configuration and Postfix parameters are borrowed.
 * Everything but the reload thread runs on the loop's thread.  The reload
 * thread only reads the configuration and builds new engines into the
 * reload record; the loop thread swaps them in when the thread has said
 * it is done (through an eventfd), so a lookup never sees a half-built
 * engine and an old engine is closed only after its last lookup.
 *
 * Buffers: a request that arrives whole is decoded straight from the
 * server's read buffer and its reply written to the server's write
 * buffer; a connection gets buffers of its own only for a partial request
 * or for replies the peer has not taken yet.  Both are bounded (the
 * request limit, OUT_HIGH), so idle connections cost no buffers.
 */
#include "engine/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/check.h"
#include "engine/engine.h"
#include "engine/sockmap.h"
#include "engine/tcptable.h"

#define READ_MAX    (AM_SOCKMAP_MAX + 64)   /* one read; >= any request */
#define OUT_HIGH    (128 * 1024)            /* stop answering above this */
#define SOUT_SIZE   (OUT_HIGH + AM_SOCKMAP_REPLY_MAX)
#define SWEEP_MS    1000
#define RELOAD_DELAY_MS 200
#define LOG_BURST   20                      /* rate-limited messages ... */
#define LOG_WINDOW_MS 10000                 /* ... per window */

struct bytes {
    char *p;
    size_t len, cap;
};

/* Hits of one table entry, known by table and matched key. */
struct entry_hits {
    char *key;                  /* NULL: free slot */
    size_t table;
    unsigned long hits;
};

#define ENTRY_SLOTS 8192        /* power of two */
#define ENTRY_MAX   4096        /* entries counted per map; more: "other" */

struct map {
    const struct am_servconf_map *conf;
    struct entry_hits *entries; /* ENTRY_SLOTS, open addressing */
    size_t nentries;
    unsigned long other_hits;   /* hits beyond ENTRY_MAX entries */
    char *label;                /* "endpoint" or "endpoint name" for logs */
    am_engine *engine;
    unsigned long requests, hits, misses, errors, cut;
    unsigned long *table_hits;  /* per table of the map */
};

struct listener {
    struct am_loop_watch w;
    struct am_loop_timer resume;    /* after running out of descriptors */
    am_server *s;
    const struct am_servconf_listen *conf;
    struct map *maps;
    size_t nmaps;
    int port;
    int is_unix;
};

struct conn {
    struct am_loop_watch w;
    struct listener *ls;
    struct conn *prev, *next;
    struct bytes in, out;       /* partial request, unsent replies */
    uint64_t last;              /* last activity, ms */
    uint64_t pending_since;     /* partial request or unsent replies */
    int eof;                    /* the peer has shut down its side */
    int closing;                /* close once replies are sent */
    char peer[64];
};

struct reload {
    pthread_t thread;
    int running;
    int again;                  /* asked for while running */
    size_t n;                   /* = total maps */
    am_engine **fresh;          /* per map: new engine or NULL */
    char **why;                 /* per map: error text or NULL */
    struct am_buf notes;        /* warnings while loading */
    const struct am_servconf *conf;
    const am_pfconf *pfconf;
    struct map **maps;          /* flat view, borrowed */
    int efd;                    /* eventfd: the thread is done */
};

struct ratelimit {
    uint64_t start;
    unsigned count;
    unsigned long dropped;
};

struct am_server {
    am_loop *loop;
    const struct am_servconf *conf;
    const am_pfconf *pfconf;
    am_server_log_fn *log;
    void *log_ctx;
    struct listener *ls;
    size_t nls;
    struct map **allmaps;
    size_t nallmaps;
    struct conn *conns;
    size_t nconns;
    struct am_loop_timer sweep;
    struct am_loop_timer reload_timer;
    int reload_armed;           /* reload_timer set by a file change */
    struct am_loop_watch reload_w;
    struct am_loop_watch inotify_w;
    struct reload rl;
    struct ratelimit rate;
    char *rbuf;                 /* READ_MAX */
    struct bytes sout;          /* SOUT_SIZE */
    struct am_tcptable_req treq;
    unsigned long accepted, rejected, refused_full, proto_errors, timeouts;
    unsigned long reloads_ok, reloads_failed, reloads_done;
};

/* ---- logging ---- */

static void __attribute__((format(printf, 3, 4)))
logf_(am_server *s, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (s->log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s->log(s->log_ctx, level, msg);
}

/* May a rate-limited message be logged now? */
static int
rate_ok(am_server *s)
{
    uint64_t now = am_loop_now(s->loop);

    if (now - s->rate.start >= LOG_WINDOW_MS) {
        if (s->rate.dropped)
            logf_(s, AM_SERVER_LOG_WARNING,
                  "%lu more client problems not logged", s->rate.dropped);
        s->rate.start = now;
        s->rate.count = 0;
        s->rate.dropped = 0;
    }
    if (s->rate.count >= LOG_BURST) {
        s->rate.dropped++;
        return 0;
    }
    s->rate.count++;
    return 1;
}

/* Printable excerpt: at most 60 bytes, others as '_'. */
static const char *
sanitize(char *out, size_t outsz, const char *p, size_t n)
{
    size_t i, k = 0;

    for (i = 0; i < n && k + 4 < outsz && i < 60; i++) {
        unsigned char c = (unsigned char)p[i];
        out[k++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
                   ? (char)c : '_';
    }
    if (i < n && k + 4 < outsz) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = 0;
    return out;
}

/* ---- byte buffers ---- */

static int
bytes_reserve(struct bytes *b, size_t extra)
{
    size_t want = b->len + extra, cap;
    char *p;

    if (want <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 512;
    while (cap < want)
        cap *= 2;
    if ((p = realloc(b->p, cap)) == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static void
bytes_free(struct bytes *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- connections ---- */

static void conn_event(struct am_loop_watch *w, unsigned events);

static void
conn_free(am_server *s, struct conn *c)
{
    am_loop_watch_del(s->loop, &c->w);
    close(c->w.fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    bytes_free(&c->in);
    bytes_free(&c->out);
    free(c);
}

static void
count_entry(struct map *m, const struct am_answer *ans)
{
    const unsigned char *k = (const unsigned char *)ans->key;
    uint64_t h = 1469598103934665603ull ^ ans->table;
    size_t i;

    if (k == NULL || m->entries == NULL)
        return;
    for (; *k; k++)
        h = (h ^ *k) * 1099511628211ull;
    for (i = (size_t)h & (ENTRY_SLOTS - 1);; i = (i + 1) & (ENTRY_SLOTS - 1)) {
        struct entry_hits *e = &m->entries[i];
        if (e->key == NULL) {
            if (m->nentries >= ENTRY_MAX
                || (e->key = strdup(ans->key)) == NULL) {
                m->other_hits++;
                return;
            }
            e->table = ans->table;
            e->hits = 1;
            m->nentries++;
            return;
        }
        if (e->table == ans->table && strcmp(e->key, ans->key) == 0) {
            e->hits++;
            return;
        }
    }
}

static void
count_hit(struct map *m, const struct am_answer *ans)
{
    m->hits++;
    if (ans->table < am_engine_ntables(m->engine))
        m->table_hits[ans->table]++;
    count_entry(m, ans);
}

static void
log_query(am_server *s, struct map *m, const char *key, size_t klen,
          int found, const struct am_answer *ans)
{
    char k[80], v[80];

    sanitize(k, sizeof(k), key, klen);
    if (found > 0) {
        char where[600], ek[80];
        if (ans->loc.file && ans->loc.line)
            snprintf(where, sizeof(where), "%s:%u", ans->loc.file,
                     ans->loc.line);
        else
            snprintf(where, sizeof(where), "%s", ans->table_name);
        logf_(s, AM_SERVER_LOG_INFO, "query %s key=\"%s\" found %s "
              "key=\"%s\" value=\"%s\"", m->label, k, where,
              ans->key ? sanitize(ek, sizeof(ek), ans->key, strlen(ans->key))
                       : "",
              sanitize(v, sizeof(v), ans->value, ans->vlen));
    }
    else if (found == 0)
        logf_(s, AM_SERVER_LOG_INFO, "query %s key=\"%s\" not found",
              m->label, k);
}

/* Look key up in m; returns 1 found, 0 not found, <0 error (err set). */
static int
lookup(am_server *s, struct map *m, const char *key, size_t klen,
       struct am_answer *ans, struct am_error *err)
{
    int rc;

    m->requests++;
    am_error_clear(err);
    rc = am_engine_lookup(m->engine, key, klen, ans, err);
    if (rc > 0)
        count_hit(m, ans);
    else if (rc == 0)
        m->misses++;
    else {
        m->errors++;
        if (rate_ok(s))
            logf_(s, AM_SERVER_LOG_WARNING, "%s: lookup error: %s",
                  m->label, err->msg);
    }
    if (s->conf->log_queries)
        log_query(s, m, key, klen, rc, ans);
    return rc;
}

static void
protocol_error(am_server *s, struct conn *c, const struct am_error *err,
               const char *data, size_t len)
{
    char ex[80];

    s->proto_errors++;
    if (rate_ok(s))
        logf_(s, AM_SERVER_LOG_WARNING, "%s: client %s: %s (request \"%s\")",
              c->ls->conf->endpoint, c->peer, err->msg,
              sanitize(ex, sizeof(ex), data, len));
}

/* Answer one tcp_table request or error; returns bytes used, 0 need more,
 * or (size_t)-1 after a protocol error (reply written, close). */
static size_t
serve_tcp(am_server *s, struct conn *c, const char *data, size_t len,
          struct bytes *o)
{
    struct am_tcptable_req *r = &s->treq;
    struct map *m = &c->ls->maps[0];
    struct am_error err;
    struct am_answer ans;
    size_t used;
    int rc, cut;

    am_error_clear(&err);
    rc = am_tcptable_decode(data, len, s->conf->max_request, r, &used, &err);
    if (rc == 0)
        return 0;
    if (rc > 0) {
        rc = lookup(s, m, r->key, r->klen, &ans, &err);
        if (rc > 0) {
            o->len += am_tcptable_reply(o->p + o->len, 200, ans.value,
                                        ans.vlen, &cut);
            if (cut) {
                m->cut++;
                if (rate_ok(s))
                    logf_(s, AM_SERVER_LOG_WARNING, "%s: value of %s:%u "
                          "cut to fit tcp_table's 4096-byte reply limit",
                          m->label, ans.loc.file ? ans.loc.file : "?",
                          ans.loc.line);
            }
        } else if (rc == 0) {
            o->len += am_tcptable_reply(o->p + o->len, 500, "not found", 9,
                                        NULL);
        } else {
            o->len += am_tcptable_reply(o->p + o->len, 400, err.msg,
                                        strlen(err.msg), NULL);
        }
        return used;
    }
    protocol_error(s, c, &err, data, used ? used : len);
    if (rc == AM_ERR_UNSUPPORTED) {
        /* well framed: say no, keep the connection */
        o->len += am_tcptable_reply(o->p + o->len, 500, err.msg,
                                    strlen(err.msg), NULL);
        return used;
    }
    o->len += am_tcptable_reply(o->p + o->len, 400, err.msg, strlen(err.msg),
                                NULL);
    return (size_t)-1;
}

static size_t
stats_reply(am_server *s, struct bytes *o)
{
    struct am_buf b;
    struct am_error err;
    size_t i, n;

    am_buf_init(&b, AM_SOCKMAP_MAX - 8);
    if (am_server_stats(s, &b, &err) < 0 && b.len == 0)
        return am_sockmap_reply(o->p + o->len, "TEMP", "out of memory", 13,
                                NULL);
    for (i = 0; i < b.len; i++)
        if (b.data[i] == '\n')
            b.data[i] = ';';
    n = am_sockmap_reply(o->p + o->len, "OK", b.data ? b.data : "", b.len,
                         NULL);
    am_buf_free(&b);
    return n;
}

static size_t
serve_sockmap(am_server *s, struct conn *c, const char *data, size_t len,
              struct bytes *o)
{
    struct am_sockmap_req r;
    struct am_error err;
    struct am_answer ans;
    struct listener *ls = c->ls;
    struct map *m = NULL;
    size_t used, i;
    int rc, cut;

    am_error_clear(&err);
    rc = am_sockmap_decode(data, len, s->conf->max_request, &r, &used, &err);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        protocol_error(s, c, &err, data, len);
        o->len += am_sockmap_reply(o->p + o->len, "PERM", err.msg,
                                   strlen(err.msg), NULL);
        return (size_t)-1;
    }
    for (i = 0; i < ls->nmaps; i++)
        if (strlen(ls->maps[i].conf->name) == r.nlen
            && memcmp(ls->maps[i].conf->name, r.name, r.nlen) == 0) {
            m = &ls->maps[i];
            break;
        }
    if (m == NULL) {
        if (r.nlen == 5 && memcmp(r.name, "stats", 5) == 0) {
            o->len += stats_reply(s, o);
            return used;
        }
        am_error_set(&err, AM_ERR_INVALID, "unknown map name");
        protocol_error(s, c, &err, r.name, r.nlen);
        o->len += am_sockmap_reply(o->p + o->len, "PERM", "unknown map name",
                                   16, NULL);
        return used;
    }
    rc = lookup(s, m, r.key, r.klen, &ans, &err);
    if (rc > 0) {
        o->len += am_sockmap_reply(o->p + o->len, "OK", ans.value, ans.vlen,
                                   &cut);
        if (cut)
            m->cut++;
    } else if (rc == 0) {
        o->len += am_sockmap_reply(o->p + o->len, "NOTFOUND", NULL, 0, NULL);
    } else {
        o->len += am_sockmap_reply(o->p + o->len, "TEMP", err.msg,
                                   strlen(err.msg), NULL);
    }
    return used;
}

/* Answer the whole requests in data[0..len) into o while o has room;
 * returns the bytes consumed, or (size_t)-1 after a protocol error. */
static size_t
serve_batch(am_server *s, struct conn *c, const char *data, size_t len,
            struct bytes *o)
{
    size_t off = 0, n;
    int tcp = c->ls->conf->proto == AM_SERVCONF_TCP;

    while (off < len && o->len < OUT_HIGH) {
        if (bytes_reserve(o, AM_SOCKMAP_REPLY_MAX) < 0)
            break;
        n = tcp ? serve_tcp(s, c, data + off, len - off, o)
                : serve_sockmap(s, c, data + off, len - off, o);
        if (n == (size_t)-1)
            return n;
        if (n == 0)
            break;
        off += n;
    }
    return off;
}

/* Send what o holds; the unsent rest goes to c->out.  -1: connection
 * broken. */
static int
flush(am_server *s, struct conn *c, struct bytes *o)
{
    size_t off = 0;
    ssize_t n;

    while (off < o->len) {
        n = send(c->w.fd, o->p + off, o->len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (o != &c->out)
                o->len = 0;     /* the shared buffer serves the next client */
            return -1;
        }
        off += (size_t)n;
    }
    if (o == &c->out) {
        memmove(o->p, o->p + off, o->len - off);
        o->len -= off;
        if (o->len == 0)
            bytes_free(o);
    } else {
        if (off < o->len) {
            if (bytes_reserve(&c->out, o->len - off) < 0)
                return -1;
            memcpy(c->out.p + c->out.len, o->p + off, o->len - off);
            c->out.len += o->len - off;
        }
        o->len = 0;
    }
    (void)s;
    return 0;
}

/* Decide what to wait for, or close.  Returns 0, or -1 if c was freed. */
static int
conn_settle(am_server *s, struct conn *c)
{
    unsigned want = 0;
    struct am_error err;

    if (c->out.len == 0 && (c->closing || c->eof)) {
        conn_free(s, c);
        return -1;
    }
    if (c->out.len)
        want |= AM_LOOP_OUT;
    else if (c->in.len == 0 && c->in.cap)
        bytes_free(&c->in);
    if (!c->closing && !c->eof && c->out.len < OUT_HIGH)
        want |= AM_LOOP_IN;
    if (c->in.len || c->out.len) {
        if (c->pending_since == 0)
            c->pending_since = am_loop_now(s->loop);
    } else {
        c->pending_since = 0;
    }
    if (am_loop_watch_set(s->loop, &c->w, want, &err) < 0) {
        conn_free(s, c);
        return -1;
    }
    return 0;
}

/* Answer what c->in holds (after a pause for output). */
static int
conn_drain_input(am_server *s, struct conn *c)
{
    struct bytes *o = c->out.len ? &c->out : &s->sout;
    size_t used;

    if (c->in.len == 0 || c->closing)
        return 0;
    used = serve_batch(s, c, c->in.p, c->in.len, o);
    if (used == (size_t)-1) {
        c->closing = 1;
        c->in.len = 0;
    } else {
        memmove(c->in.p, c->in.p + used, c->in.len - used);
        c->in.len -= used;
    }
    return flush(s, c, o);
}

static void
conn_read(am_server *s, struct conn *c)
{
    struct bytes *o = c->out.len ? &c->out : &s->sout;
    size_t limit = s->conf->max_request + 32, used;
    ssize_t n;
    const char *data;
    size_t len;

    if (c->in.len == 0) {
        n = recv(c->w.fd, s->rbuf, READ_MAX, 0);
        data = s->rbuf;
    } else {
        if (bytes_reserve(&c->in, limit > c->in.len ? limit - c->in.len : 1) < 0) {
            conn_free(s, c);
            return;
        }
        n = recv(c->w.fd, c->in.p + c->in.len, c->in.cap - c->in.len, 0);
        data = c->in.p;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return;
        conn_free(s, c);
        return;
    }
    if (n == 0) {
        c->eof = 1;
        if (c->in.len)
            c->closing = 1;     /* a request cut short */
        conn_settle(s, c);
        return;
    }
    c->last = am_loop_now(s->loop);
    len = data == s->rbuf ? (size_t)n : c->in.len + (size_t)n;
    used = serve_batch(s, c, data, len, o);
    if (used > 0)
        c->pending_since = 0;   /* progress: the read timer starts again */
    if (used == (size_t)-1) {
        c->closing = 1;
        c->in.len = 0;
    } else if (data == s->rbuf) {
        if (used < len) {
            if (bytes_reserve(&c->in, len - used) < 0) {
                conn_free(s, c);
                return;
            }
            memcpy(c->in.p, data + used, len - used);
            c->in.len = len - used;
        }
    } else {
        memmove(c->in.p, c->in.p + used, len - used);
        c->in.len = len - used;
    }
    if (flush(s, c, o) < 0) {
        conn_free(s, c);
        return;
    }
    conn_settle(s, c);
}

static void
conn_event(struct am_loop_watch *w, unsigned events)
{
    struct conn *c = w->ctx;
    am_server *s = c->ls->s;

    if (events & AM_LOOP_OUT) {
        size_t before = c->out.len;
        if (flush(s, c, &c->out) < 0) {
            conn_free(s, c);
            return;
        }
        if (c->out.len < before)
            c->pending_since = 0;   /* the peer reads: progress */
        c->last = am_loop_now(s->loop);
        if (c->out.len == 0 && c->in.len && !c->closing) {
            if (conn_drain_input(s, c) < 0) {
                conn_free(s, c);
                return;
            }
        }
        if (conn_settle(s, c) < 0)
            return;
    }
    if ((events & AM_LOOP_IN) && (c->w.events & AM_LOOP_IN))
        conn_read(s, c);
    else if ((events & AM_LOOP_IN) && !(c->w.events & AM_LOOP_OUT)) {
        /* hangup or error while not reading: nothing more to do */
        conn_free(s, c);
    }
}

/* ---- accepting ---- */

static int
peer_allowed(const am_server *s, const struct sockaddr_storage *ss)
{
    struct am_addr a;
    struct am_u128 v;
    size_t i;

    if (s->conf->nallow == 0)
        return 1;
    memset(&a, 0, sizeof(a));
    if (ss->ss_family == AF_INET) {
        a.family = AM_ADDR_V4;
        memcpy(a.b, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        const unsigned char *b =
            ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
        if (memcmp(b, mapped, 12) == 0) {
            a.family = AM_ADDR_V4;
            memcpy(a.b, b + 12, 4);
        } else {
            a.family = AM_ADDR_V6;
            memcpy(a.b, b, 16);
        }
    } else {
        return 1;               /* unix sockets: the file mode decides */
    }
    v = am_addr_to_u128(&a);
    for (i = 0; i < s->conf->nallow; i++)
        if (s->conf->allow[i].range.family == a.family
            && am_range_contains(&s->conf->allow[i].range, v))
            return 1;
    return 0;
}

static void
format_peer(char *out, size_t outsz, const struct sockaddr_storage *ss)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (ss->ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host,
                  sizeof(host));
        snprintf(out, outsz, "%s:%u", host,
                 ntohs(((const struct sockaddr_in *)ss)->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr,
                  host, sizeof(host));
        snprintf(out, outsz, "[%s]:%u", host,
                 ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
    } else {
        snprintf(out, outsz, "unix");
    }
}

static void
listener_event(struct am_loop_watch *w, unsigned events)
{
    struct listener *ls = w->ctx;
    am_server *s = ls->s;
    int i;

    (void)events;
    for (i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        struct am_error err;
        struct conn *c;
        char peer[64];
        int fd = accept4(w->fd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            int e = errno;
            if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR
                || e == ECONNABORTED)
                return;
            if (rate_ok(s))
                logf_(s, AM_SERVER_LOG_WARNING, "%s: accept: %s",
                      ls->conf->endpoint, strerror(e));
            /* out of descriptors or memory: the pending connection would
             * wake us at once, forever; stop listening for a moment */
            if (am_loop_watch_set(s->loop, &ls->w, 0, &err) == 0)
                am_loop_timer_set(s->loop, &ls->resume, 100);
            return;
        }
        format_peer(peer, sizeof(peer), &ss);
        if (!peer_allowed(s, &ss)) {
            s->rejected++;
            if (rate_ok(s))
                logf_(s, AM_SERVER_LOG_WARNING,
                      "%s: client %s not in the allow list",
                      ls->conf->endpoint, peer);
            close(fd);
            continue;
        }
        if (s->nconns >= s->conf->max_connections) {
            s->refused_full++;
            if (rate_ok(s))
                logf_(s, AM_SERVER_LOG_WARNING,
                      "%s: client %s refused: %zu connections already",
                      ls->conf->endpoint, peer, s->nconns);
            close(fd);
            continue;
        }
        if ((c = calloc(1, sizeof(*c))) == NULL) {
            close(fd);
            continue;
        }
        if (!ls->is_unix) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
        c->w.fd = fd;
        c->w.fn = conn_event;
        c->w.ctx = c;
        c->ls = ls;
        c->last = am_loop_now(s->loop);
        memcpy(c->peer, peer, sizeof(peer));
        if (am_loop_watch_add(s->loop, &c->w, AM_LOOP_IN, &err) < 0) {
            close(fd);
            free(c);
            continue;
        }
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->nconns++;
        s->accepted++;
    }
}

static void
listener_resume(struct am_loop_timer *t)
{
    struct listener *ls = t->ctx;
    struct am_error err;

    am_loop_watch_set(ls->s->loop, &ls->w, AM_LOOP_IN, &err);
}

/* ---- timeouts ---- */

static void
sweep(struct am_loop_timer *t)
{
    am_server *s = t->ctx;
    uint64_t now = am_loop_now(s->loop);
    uint64_t rt = (uint64_t)s->conf->read_timeout * 1000;
    uint64_t it = (uint64_t)s->conf->idle_timeout * 1000;
    struct conn *c, *next;

    for (c = s->conns; c; c = next) {
        next = c->next;
        if (rt && c->pending_since && now - c->pending_since >= rt) {
            s->timeouts++;
            if (rate_ok(s))
                logf_(s, AM_SERVER_LOG_WARNING, "%s: client %s: %s timed out",
                      c->ls->conf->endpoint, c->peer,
                      c->out.len ? "reading replies" : "request");
            conn_free(s, c);
        } else if (it && !c->pending_since && now - c->last >= it) {
            conn_free(s, c);
        }
    }
    am_loop_timer_set(s->loop, &s->sweep, SWEEP_MS);
}

/* ---- engines and reloads ---- */

static void
collect_note(void *ctx, const struct am_diag *d)
{
    struct am_buf *b = ctx;

    if (d->level == AM_DIAG_NOTE || b->len > 4000)
        return;
    am_buf_printf(b, NULL, "%s%s:%u: %s\n",
                  d->level == AM_DIAG_ERROR ? "error: " : "warning: ",
                  d->loc.file ? d->loc.file : "?", d->loc.line, d->msg);
}

static am_engine *
open_engine(const struct am_servconf_map *mc, const am_pfconf *pf,
            struct am_buf *notes, struct am_error *err)
{
    struct am_engine_opts eo;
    struct am_diag_sink sink = { collect_note, notes, { 0, 0, 0 } };

    memset(&eo, 0, sizeof(eo));
    eo.kind = mc->kind;
    eo.conf = pf;
    eo.preload = 1;
    eo.diags = &sink;
    return am_engine_open((const char *const *)mc->specs, mc->nspecs, &eo,
                          err);
}

static void *
reload_thread(void *arg)
{
    struct reload *rl = arg;
    uint64_t one = 1;
    size_t i;

    for (i = 0; i < rl->n; i++) {
        struct am_error err;
        am_error_clear(&err);
        rl->fresh[i] = open_engine(rl->maps[i]->conf, rl->pfconf, &rl->notes,
                                   &err);
        if (rl->fresh[i] == NULL)
            rl->why[i] = strdup(err.msg[0] ? err.msg : "cannot open tables");
    }
    if (write(rl->efd, &one, sizeof(one)) < 0) {
        /* the loop then never learns; cannot happen with an eventfd */
    }
    return NULL;
}

static void
reload_start(am_server *s)
{
    if (s->rl.running) {
        s->rl.again = 1;
        return;
    }
    am_buf_reset(&s->rl.notes);
    if (pthread_create(&s->rl.thread, NULL, reload_thread, &s->rl) != 0) {
        logf_(s, AM_SERVER_LOG_ERR, "reload: cannot start a thread: %s",
              strerror(errno));
        return;
    }
    s->rl.running = 1;
    s->rl.again = 0;
}

static void
reload_timer_fired(struct am_loop_timer *t)
{
    am_server *s = t->ctx;

    s->reload_armed = 0;
    reload_start(s);
}

void
am_server_reload(am_server *s)
{
    am_loop_timer_set(s->loop, &s->reload_timer, 0);
}

static void
reload_done(struct am_loop_watch *w, unsigned events)
{
    am_server *s = w->ctx;
    uint64_t v;
    size_t i;
    int failed = 0;

    (void)events;
    if (read(w->fd, &v, sizeof(v)) < 0 || !s->rl.running)
        return;
    pthread_join(s->rl.thread, NULL);
    s->rl.running = 0;
    for (i = 0; i < s->rl.n; i++) {
        struct map *m = s->allmaps[i];
        if (s->rl.fresh[i] != NULL) {
            am_engine_close(m->engine);
            m->engine = s->rl.fresh[i];
            s->rl.fresh[i] = NULL;
        } else {
            failed = 1;
            logf_(s, AM_SERVER_LOG_ERR, "%s: reload failed, still serving "
                  "the previous tables: %s", m->label,
                  s->rl.why[i] ? s->rl.why[i] : "?");
            free(s->rl.why[i]);
            s->rl.why[i] = NULL;
        }
    }
    if (s->rl.notes.len) {
        char *p = s->rl.notes.data, *nl;
        while ((nl = strchr(p, '\n')) != NULL) {
            *nl = 0;
            logf_(s, AM_SERVER_LOG_WARNING, "reload: %s", p);
            p = nl + 1;
        }
    }
    if (failed)
        s->reloads_failed++;
    else {
        s->reloads_ok++;
        logf_(s, AM_SERVER_LOG_INFO, "reloaded %zu map(s)", s->rl.n);
    }
    s->reloads_done++;
    if (s->rl.again)
        reload_start(s);
}

unsigned long
am_server_reloads(const am_server *s)
{
    return s->reloads_done;
}

/* Table files: "type:name" -> the file or files it reads live next to
 * name, so watch name's directory for names starting with its base. */
static int
table_base(const char *spec, char *dir, size_t dsz, const char **base)
{
    const char *name = strchr(spec, ':'), *slash;

    if (name == NULL || strncmp(spec, "inline:", 7) == 0
        || strncmp(spec, "static:", 7) == 0)
        return 0;
    name++;
    slash = strrchr(name, '/');
    if (slash == NULL) {
        snprintf(dir, dsz, ".");
        *base = name;
    } else {
        if ((size_t)(slash - name) + 1 >= dsz)
            return 0;
        memcpy(dir, name, (size_t)(slash - name));
        dir[slash == name ? 1 : slash - name] = 0;
        if (slash == name)
            dir[0] = '/';
        *base = slash + 1;
    }
    return **base != 0;
}

static void
inotify_event(struct am_loop_watch *w, unsigned events)
{
    am_server *s = w->ctx;
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    int hit = 0;

    (void)events;
    while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
        char *p = buf;
        while (p < buf + n) {
            const struct inotify_event *ev = (const void *)p;
            size_t i, j;
            for (i = 0; ev->len && !hit && i < s->nallmaps; i++)
                for (j = 0; j < s->allmaps[i]->conf->nspecs; j++) {
                    char dir[PATH_MAX];
                    const char *base;
                    if (table_base(s->allmaps[i]->conf->specs[j], dir,
                                   sizeof(dir), &base)
                        && strncmp(ev->name, base, strlen(base)) == 0)
                        hit = 1;
                }
            p += sizeof(*ev) + ev->len;
        }
    }
    /* The first change of a burst arms the timer; later ones do not push
     * it back, so tables rebuilt back to back are still reloaded. */
    if (hit && !s->reload_armed) {
        s->reload_armed = 1;
        am_loop_timer_set(s->loop, &s->reload_timer, RELOAD_DELAY_MS);
    }
}

static int
watch_tables(am_server *s, struct am_error *err)
{
    size_t i, j;
    int fd;

    if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
        return am_error_sys(err, "inotify_init1");
    s->inotify_w.fd = fd;
    s->inotify_w.fn = inotify_event;
    s->inotify_w.ctx = s;
    for (i = 0; i < s->nallmaps; i++)
        for (j = 0; j < s->allmaps[i]->conf->nspecs; j++) {
            char dir[PATH_MAX];
            const char *base;
            if (!table_base(s->allmaps[i]->conf->specs[j], dir, sizeof(dir),
                            &base))
                continue;
            /* the same directory twice gives the same watch */
            if (inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO
                                  | IN_MOVED_FROM | IN_CREATE | IN_DELETE
                                  | IN_ATTRIB) < 0)
                return am_error_sys(err, "watch directory %s", dir);
        }
    return am_loop_watch_add(s->loop, &s->inotify_w, AM_LOOP_IN, err);
}

/* ---- listeners ---- */

static int
bind_inet(struct listener *ls, struct am_error *err)
{
    struct addrinfo hints, *res = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int fd, rc, one = 1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(ls->conf->host[0] ? ls->conf->host : NULL,
                     ls->conf->port, &hints, &res);
    if (rc != 0)
        return am_error_set(err, AM_ERR_INVALID, "%s: %s", ls->conf->endpoint,
                            gai_strerror(rc));
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        return am_error_sys(err, "%s: socket", ls->conf->endpoint);
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
        am_error_sys(err, "%s: bind", ls->conf->endpoint);
        freeaddrinfo(res);
        close(fd);
        return AM_ERR_IO;
    }
    freeaddrinfo(res);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        ls->port = ntohs(ss.ss_family == AF_INET
                         ? ((struct sockaddr_in *)&ss)->sin_port
                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
    ls->w.fd = fd;
    return 0;
}

static int
bind_unix(struct listener *ls, struct am_error *err)
{
    struct sockaddr_un sun;
    struct stat st;
    int fd;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ls->conf->path);
    if (lstat(ls->conf->path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return am_error_set(err, AM_ERR_INVALID,
                                "%s: exists and is not a socket",
                                ls->conf->path);
        unlink(ls->conf->path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return am_error_sys(err, "%s: socket", ls->conf->endpoint);
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        am_error_sys(err, "%s: bind", ls->conf->endpoint);
        close(fd);
        return AM_ERR_IO;
    }
    if (chmod(ls->conf->path, ls->conf->mode ? ls->conf->mode : 0666) < 0
        || listen(fd, 1024) < 0) {
        am_error_sys(err, "%s: listen", ls->conf->endpoint);
        close(fd);
        unlink(ls->conf->path);
        return AM_ERR_IO;
    }
    ls->is_unix = 1;
    ls->w.fd = fd;
    return 0;
}

static int
setup_maps(am_server *s, struct listener *ls, struct am_error *err)
{
    size_t i;

    ls->nmaps = ls->conf->nmaps;
    if ((ls->maps = calloc(ls->nmaps, sizeof(*ls->maps))) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    for (i = 0; i < ls->nmaps; i++) {
        struct map *m = &ls->maps[i];
        const char *name = ls->conf->maps[i].name;
        struct am_buf notes;
        size_t len;

        m->conf = &ls->conf->maps[i];
        len = strlen(ls->conf->endpoint) + (name ? strlen(name) + 2 : 1);
        if ((m->label = malloc(len)) == NULL)
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        snprintf(m->label, len, "%s%s%s", ls->conf->endpoint,
                 name ? ":" : "", name ? name : "");
        am_buf_init(&notes, 0);
        m->engine = open_engine(m->conf, s->pfconf, &notes, err);
        if (notes.len) {
            char *p = notes.data, *nl;
            while ((nl = strchr(p, '\n')) != NULL) {
                *nl = 0;
                logf_(s, AM_SERVER_LOG_WARNING, "%s", p);
                p = nl + 1;
            }
        }
        am_buf_free(&notes);
        if (m->engine == NULL) {
            am_error_prefix(err, "%s", m->label);
            return err ? err->code : AM_ERR_INVALID;
        }
        m->table_hits = calloc(am_engine_ntables(m->engine) + 1,
                               sizeof(*m->table_hits));
        m->entries = calloc(ENTRY_SLOTS, sizeof(*m->entries));
        if (m->table_hits == NULL || m->entries == NULL)
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    }
    return 0;
}

am_server *
am_server_open(am_loop *loop, const struct am_server_opts *opts,
               struct am_error *err)
{
    am_server *s;
    size_t i, j, k;
    int rc;

    if ((rc = am_servconf_check(opts->conf, err)) < 0)
        return NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->loop = loop;
    s->conf = opts->conf;
    s->pfconf = opts->pfconf;
    s->log = opts->log;
    s->log_ctx = opts->log_ctx;
    s->rl.efd = -1;
    s->inotify_w.fd = -1;
    am_buf_init(&s->rl.notes, 0);
    s->sweep.fn = sweep;
    s->sweep.ctx = s;
    s->reload_timer.fn = reload_timer_fired;
    s->reload_timer.ctx = s;
    s->nls = opts->conf->nlistens;
    s->rbuf = malloc(READ_MAX);
    s->sout.p = malloc(SOUT_SIZE);
    s->sout.cap = SOUT_SIZE;
    s->ls = calloc(s->nls, sizeof(*s->ls));
    if (s->rbuf == NULL || s->sout.p == NULL || s->ls == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (i = 0; i < s->nls; i++) {
        s->ls[i].w.fd = -1;
        s->ls[i].s = s;
        s->ls[i].conf = &opts->conf->listens[i];
        if ((rc = setup_maps(s, &s->ls[i], err)) < 0)
            goto fail;
        s->nallmaps += s->ls[i].nmaps;
    }
    s->allmaps = calloc(s->nallmaps, sizeof(*s->allmaps));
    s->rl.fresh = calloc(s->nallmaps, sizeof(*s->rl.fresh));
    s->rl.why = calloc(s->nallmaps, sizeof(*s->rl.why));
    if (s->allmaps == NULL || s->rl.fresh == NULL || s->rl.why == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (i = k = 0; i < s->nls; i++)
        for (j = 0; j < s->ls[i].nmaps; j++)
            s->allmaps[k++] = &s->ls[i].maps[j];
    s->rl.n = s->nallmaps;
    s->rl.maps = s->allmaps;
    s->rl.conf = s->conf;
    s->rl.pfconf = s->pfconf;
    if ((s->rl.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        am_error_sys(err, "eventfd");
        goto fail;
    }
    s->reload_w.fd = s->rl.efd;
    s->reload_w.fn = reload_done;
    s->reload_w.ctx = s;
    if (am_loop_watch_add(loop, &s->reload_w, AM_LOOP_IN, err) < 0)
        goto fail;
    if (s->conf->watch && watch_tables(s, err) < 0)
        goto fail;
    for (i = 0; i < s->nls; i++) {
        struct listener *ls = &s->ls[i];
        rc = ls->conf->proto == AM_SERVCONF_SOCKMAP_UNIX
             ? bind_unix(ls, err) : bind_inet(ls, err);
        if (rc < 0)
            goto fail;
        ls->w.fn = listener_event;
        ls->w.ctx = ls;
        ls->resume.fn = listener_resume;
        ls->resume.ctx = ls;
        if (am_loop_watch_add(loop, &ls->w, AM_LOOP_IN, err) < 0)
            goto fail;
    }
    am_loop_timer_set(loop, &s->sweep, SWEEP_MS);
    return s;
fail:
    am_server_close(s);
    return NULL;
}

int
am_server_port(const am_server *s, size_t listen)
{
    return listen < s->nls ? s->ls[listen].port : 0;
}

int
am_server_stats(const am_server *s, struct am_buf *out, struct am_error *err)
{
    size_t i, t;
    int rc;

    rc = am_buf_printf(out, err, "connections current %zu accepted %lu "
                       "rejected %lu refused_full %lu protocol_errors %lu "
                       "timeouts %lu\n", s->nconns, s->accepted, s->rejected,
                       s->refused_full, s->proto_errors, s->timeouts);
    if (rc == 0)
        rc = am_buf_printf(out, err, "reloads ok %lu failed %lu\n",
                           s->reloads_ok, s->reloads_failed);
    for (i = 0; rc == 0 && i < s->nallmaps; i++) {
        const struct map *m = s->allmaps[i];
        rc = am_buf_printf(out, err, "map %s kind %s requests %lu hits %lu "
                           "misses %lu errors %lu cut %lu\n", m->label,
                           am_check_name(m->conf->kind), m->requests,
                           m->hits, m->misses, m->errors, m->cut);
        for (t = 0; rc == 0 && t < am_engine_ntables(m->engine); t++)
            rc = am_buf_printf(out, err, "table %s %s hits %lu\n", m->label,
                               am_engine_table_name(m->engine, t),
                               m->table_hits[t]);
        for (t = 0; rc == 0 && t < ENTRY_SLOTS; t++) {
            const struct entry_hits *e = &m->entries[t];
            char k[80];
            if (e->key == NULL)
                continue;
            rc = am_buf_printf(out, err, "entry %s %s key \"%s\" hits %lu\n",
                               m->label,
                               am_engine_table_name(m->engine, e->table),
                               sanitize(k, sizeof(k), e->key,
                                        strlen(e->key)), e->hits);
        }
        if (rc == 0 && m->other_hits)
            rc = am_buf_printf(out, err, "entry %s other hits %lu\n",
                               m->label, m->other_hits);
    }
    return rc;
}

void
am_server_close(am_server *s)
{
    size_t i, j;

    if (s == NULL)
        return;
    if (s->rl.running) {
        pthread_join(s->rl.thread, NULL);
        for (i = 0; i < s->rl.n; i++) {
            am_engine_close(s->rl.fresh[i]);
            free(s->rl.why[i]);
        }
    }
    while (s->conns)
        conn_free(s, s->conns);
    am_loop_timer_cancel(s->loop, &s->sweep);
    am_loop_timer_cancel(s->loop, &s->reload_timer);
    for (i = 0; s->ls && i < s->nls; i++) {
        struct listener *ls = &s->ls[i];
        am_loop_timer_cancel(s->loop, &ls->resume);
        if (ls->w.fd >= 0) {
            am_loop_watch_del(s->loop, &ls->w);
            close(ls->w.fd);
            if (ls->is_unix)
                unlink(ls->conf->path);
        }
        for (j = 0; j < ls->nmaps; j++) {
            am_engine_close(ls->maps[j].engine);
            free(ls->maps[j].label);
            free(ls->maps[j].table_hits);
            if (ls->maps[j].entries != NULL) {
                size_t e;
                for (e = 0; e < ENTRY_SLOTS; e++)
                    free(ls->maps[j].entries[e].key);
                free(ls->maps[j].entries);
            }
        }
        free(ls->maps);
    }
    if (s->inotify_w.fd >= 0) {
        am_loop_watch_del(s->loop, &s->inotify_w);
        close(s->inotify_w.fd);
    }
    if (s->rl.efd >= 0) {
        am_loop_watch_del(s->loop, &s->reload_w);
        close(s->rl.efd);
    }
    am_buf_free(&s->rl.notes);
    free(s->rl.fresh);
    free(s->rl.why);
    free(s->allmaps);
    free(s->ls);
    free(s->rbuf);
    free(s->sout.p);
    free(s);
}
