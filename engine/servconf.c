/* servconf.c - parse and build `accessmap serve` configurations.
 *
 * Every string is a private copy owned by the configuration; growth of the
 * arrays is all-or-nothing, so a failed call leaves c consistent for
 * am_servconf_free().
 */
#include "engine/servconf.h"

#include <stdlib.h>
#include <string.h>

#include "engine/check.h"
#include "formats/lines.h"

void
am_servconf_init(struct am_servconf *c)
{
    memset(c, 0, sizeof(*c));
    c->max_connections = 1000;
    c->max_request = 16384;
    c->idle_timeout = 600;
    c->read_timeout = 10;
    c->watch = 1;
}

static void
free_map(struct am_servconf_map *m)
{
    size_t i;

    for (i = 0; i < m->nspecs; i++)
        free(m->specs[i]);
    free(m->specs);
    free(m->name);
}

void
am_servconf_free(struct am_servconf *c)
{
    size_t i, j;

    for (i = 0; i < c->nlistens; i++) {
        struct am_servconf_listen *l = &c->listens[i];
        for (j = 0; j < l->nmaps; j++)
            free_map(&l->maps[j]);
        free(l->maps);
        free(l->endpoint);
        free(l->host);
        free(l->port);
        free(l->path);
    }
    free(c->listens);
    free(c->allow);
    free(c->user);
    free(c->config_dir);
    am_servconf_init(c);
}

static char *
dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

/* Make room for one more element in *arr of *n elements. */
static int
grow(void *arrp, size_t n, size_t size, struct am_error *err)
{
    void **arr = arrp;
    void *p = realloc(*arr, (n + 1) * size);

    if (p == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    memset((char *)p + n * size, 0, size);
    *arr = p;
    return 0;
}

int
am_servconf_add_listen(struct am_servconf *c, const char *endpoint,
                       struct am_error *err)
{
    struct am_servconf_listen l;
    const char *rest, *colon;

    memset(&l, 0, sizeof(l));
    if (strncmp(endpoint, "tcp:", 4) == 0) {
        l.proto = AM_SERVCONF_TCP;
        rest = endpoint + 4;
    } else if (strncmp(endpoint, "socketmap:inet:", 15) == 0) {
        l.proto = AM_SERVCONF_SOCKMAP_INET;
        rest = endpoint + 15;
    } else if (strncmp(endpoint, "socketmap:unix:", 15) == 0) {
        l.proto = AM_SERVCONF_SOCKMAP_UNIX;
        rest = endpoint + 15;
    } else {
        return am_error_set(err, AM_ERR_SYNTAX,
                            "listen address \"%.200s\" is not tcp:HOST:PORT, "
                            "socketmap:inet:HOST:PORT or socketmap:unix:PATH",
                            endpoint);
    }
    if (l.proto == AM_SERVCONF_SOCKMAP_UNIX) {
        if (*rest != '/' || strlen(rest) >= 108)
            return am_error_set(err, AM_ERR_SYNTAX,
                                "unix socket path \"%.200s\" must be absolute "
                                "and shorter than 108 bytes", rest);
        l.path = strdup(rest);
    } else {
        const char *h = rest, *hend;
        colon = strrchr(rest, ':');
        if (colon == NULL || colon[1] == 0 || colon == rest)
            return am_error_set(err, AM_ERR_SYNTAX,
                                "listen address \"%.200s\" needs HOST:PORT",
                                endpoint);
        hend = colon;
        if (*h == '[' && hend > h + 1 && hend[-1] == ']') {
            h++;
            hend--;
        }
        l.host = dup_n(h, (size_t)(hend - h));
        l.port = strdup(colon + 1);
        if (l.host == NULL || l.port == NULL) {
            free(l.host);
            free(l.port);
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        }
    }
    l.endpoint = strdup(endpoint);
    if (l.endpoint == NULL || (l.path == NULL && l.host == NULL)
        || grow(&c->listens, c->nlistens, sizeof(l), err) < 0) {
        free(l.endpoint);
        free(l.host);
        free(l.port);
        free(l.path);
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    }
    c->listens[c->nlistens] = l;
    return (int)c->nlistens++;
}

/* Append the comma-separated tables of text[0..n) to m. */
static int
add_specs(struct am_servconf_map *m, const char *text, size_t n,
          struct am_error *err)
{
    size_t i = 0;

    while (i < n) {
        size_t j = i;
        char *s;
        while (j < n && text[j] != ',')
            j++;
        if (j > i) {
            if (memchr(text + i, ':', j - i) == NULL) {
                char *bad = dup_n(text + i, j - i);
                am_error_set(err, AM_ERR_SYNTAX,
                             "table \"%.200s\" is not type:name",
                             bad ? bad : "?");
                free(bad);
                return AM_ERR_SYNTAX;
            }
            if (grow(&m->specs, m->nspecs, sizeof(char *), err) < 0
                || (s = dup_n(text + i, j - i)) == NULL)
                return am_error_set(err, AM_ERR_NOMEM, "out of memory");
            m->specs[m->nspecs++] = s;
        }
        i = j + 1;
    }
    return 0;
}

static int
new_map(struct am_servconf_listen *l, const char *name, size_t nlen,
        int kind, struct am_error *err)
{
    if (grow(&l->maps, l->nmaps, sizeof(*l->maps), err) < 0)
        return AM_ERR_NOMEM;
    if (name != NULL
        && (l->maps[l->nmaps].name = dup_n(name, nlen)) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    l->maps[l->nmaps].kind = kind;
    l->nmaps++;
    return 0;
}

int
am_servconf_add_tables(struct am_servconf *c, size_t listen, int kind,
                       const char *const *specs, size_t nspecs,
                       struct am_error *err)
{
    struct am_servconf_listen *l = &c->listens[listen];
    size_t i;
    int rc;

    if (l->proto != AM_SERVCONF_TCP)
        return am_error_set(err, AM_ERR_INVALID,
                            "%s: socketmap listeners take NAME=KIND:TABLE maps",
                            l->endpoint);
    if (l->nmaps == 0 && (rc = new_map(l, NULL, 0, kind, err)) < 0)
        return rc;
    if (l->maps[0].kind != kind)
        return am_error_set(err, AM_ERR_INVALID,
                            "%s: a tcp listener has one check kind",
                            l->endpoint);
    for (i = 0; i < nspecs; i++)
        if ((rc = add_specs(&l->maps[0], specs[i], strlen(specs[i]), err)) < 0)
            return rc;
    return 0;
}

int
am_servconf_add_map(struct am_servconf *c, size_t listen, const char *text,
                    struct am_error *err)
{
    struct am_servconf_listen *l = &c->listens[listen];
    const char *eq = strchr(text, '='), *colon;
    char kname[32];
    size_t i;
    int kind, rc;

    if (l->proto == AM_SERVCONF_TCP)
        return am_error_set(err, AM_ERR_INVALID,
                            "%s: tcp listeners take KIND TABLE..., "
                            "not named maps", l->endpoint);
    if (eq == NULL || eq == text || (colon = strchr(eq + 1, ':')) == NULL
        || (size_t)(colon - eq - 1) >= sizeof(kname))
        return am_error_set(err, AM_ERR_SYNTAX,
                            "map \"%.200s\" is not NAME=KIND:TABLE[,TABLE...]",
                            text);
    for (i = 0; text + i < eq; i++)
        if ((unsigned char)text[i] <= ' ' || text[i] == ':')
            return am_error_set(err, AM_ERR_SYNTAX,
                                "bad map name in \"%.200s\"", text);
    memcpy(kname, eq + 1, (size_t)(colon - eq - 1));
    kname[colon - eq - 1] = 0;
    if ((kind = am_check_parse(kname)) < 0)
        return am_error_set(err, AM_ERR_SYNTAX,
                            "unknown check kind \"%s\" in \"%.200s\"",
                            kname, text);
    for (i = 0; i < l->nmaps; i++)
        if (strlen(l->maps[i].name) == (size_t)(eq - text)
            && memcmp(l->maps[i].name, text, (size_t)(eq - text)) == 0)
            return am_error_set(err, AM_ERR_INVALID,
                                "%s: map \"%s\" defined twice", l->endpoint,
                                l->maps[i].name);
    if ((rc = new_map(l, text, (size_t)(eq - text), kind, err)) < 0)
        return rc;
    if ((rc = add_specs(&l->maps[l->nmaps - 1], colon + 1, strlen(colon + 1),
                        err)) < 0)
        return rc;
    if (l->maps[l->nmaps - 1].nspecs == 0)
        return am_error_set(err, AM_ERR_SYNTAX, "map \"%.200s\" has no tables",
                            text);
    return 0;
}

int
am_servconf_add_allow(struct am_servconf *c, const char *cidr,
                      struct am_error *err)
{
    struct am_net net;
    int rc;

    if ((rc = am_net_parse(cidr, strlen(cidr), 0, &net, err)) < 0)
        return rc;
    if (grow(&c->allow, c->nallow, sizeof(net), err) < 0)
        return AM_ERR_NOMEM;
    c->allow[c->nallow++] = net;
    return 0;
}

static int
is_loopback_host(const char *host)
{
    struct am_addr a;

    if (strcmp(host, "localhost") == 0)
        return 1;
    if (!am_addr_parse(host, strlen(host), &a))
        return 0;
    if (a.family == AM_ADDR_V4)
        return a.b[0] == 127;
    {
        static const unsigned char one[16] = { [15] = 1 };
        return memcmp(a.b, one, 16) == 0;
    }
}

int
am_servconf_check(const struct am_servconf *c, struct am_error *err)
{
    size_t i;

    if (c->nlistens == 0)
        return am_error_set(err, AM_ERR_INVALID, "nothing to listen on");
    for (i = 0; i < c->nlistens; i++) {
        const struct am_servconf_listen *l = &c->listens[i];
        size_t j;
        if (l->nmaps == 0 || l->maps[0].nspecs == 0)
            return am_error_set(err, AM_ERR_INVALID, "%s: no tables",
                                l->endpoint);
        for (j = 0; j < c->nlistens; j++)
            if (j != i && strcmp(l->endpoint, c->listens[j].endpoint) == 0
                && !(l->port && strcmp(l->port, "0") == 0))
                return am_error_set(err, AM_ERR_INVALID,
                                    "%s: listed twice", l->endpoint);
        if (l->host != NULL && !is_loopback_host(l->host)) {
            if (!c->allow_remote)
                return am_error_set(err, AM_ERR_INVALID,
                                    "%s: not a loopback address; listening "
                                    "on it needs allow_remote and an allow "
                                    "list", l->endpoint);
            if (c->nallow == 0)
                return am_error_set(err, AM_ERR_INVALID,
                                    "%s: allow_remote needs a client allow "
                                    "list", l->endpoint);
        }
    }
    return 0;
}

/* ---- the file parser ---- */

#define MAX_WORDS 256

/* Split line into words (copies, NUL-terminated, in buf). */
static size_t
split(char *line, char **words)
{
    size_t n = 0;
    char *p = line;

    while (*p) {
        while (*p && am_is_space((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (n == MAX_WORDS)
            return n + 1;
        words[n++] = p;
        while (*p && !am_is_space((unsigned char)*p))
            p++;
        if (*p)
            *p++ = 0;
    }
    return n;
}

static int
parse_bool(const char *w, int *out, struct am_error *err)
{
    if (strcmp(w, "yes") == 0)
        *out = 1;
    else if (strcmp(w, "no") == 0)
        *out = 0;
    else
        return am_error_set(err, AM_ERR_SYNTAX,
                            "expected yes or no, not \"%.100s\"", w);
    return 0;
}

static int
parse_num(const char *w, unsigned long max, unsigned long *out,
          struct am_error *err)
{
    unsigned long v = 0;
    const char *p = w;

    if (!*p)
        return am_error_set(err, AM_ERR_SYNTAX, "expected a number");
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return am_error_set(err, AM_ERR_SYNTAX,
                                "expected a number, not \"%.100s\"", w);
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > max)
            return am_error_set(err, AM_ERR_SYNTAX,
                                "number \"%.100s\" larger than %lu", w, max);
    }
    *out = v;
    return 0;
}

static int
parse_listen(struct am_servconf *c, char **w, size_t n, unsigned line,
             struct am_error *err)
{
    int idx, rc, kind;
    size_t i = 1;
    struct am_servconf_listen *l;

    if (n < 2)
        return am_error_set(err, AM_ERR_SYNTAX,
                            "listen needs an address and tables");
    if ((idx = am_servconf_add_listen(c, w[0], err)) < 0)
        return idx;
    l = &c->listens[idx];
    l->line = line;
    if (strncmp(w[i], "mode=", 5) == 0) {
        unsigned long m = 0;
        const char *p;
        if (l->proto != AM_SERVCONF_SOCKMAP_UNIX)
            return am_error_set(err, AM_ERR_SYNTAX,
                                "mode= applies to unix sockets only");
        for (p = w[i] + 5; *p >= '0' && *p <= '7'; p++)
            m = m * 8 + (unsigned long)(*p - '0');
        if (*p || p == w[i] + 5 || m > 0777)
            return am_error_set(err, AM_ERR_SYNTAX,
                                "bad mode \"%.100s\"", w[i]);
        l->mode = (unsigned)m;
        i++;
    }
    if (i >= n)
        return am_error_set(err, AM_ERR_SYNTAX, "listen needs tables");
    if (l->proto == AM_SERVCONF_TCP) {
        if ((kind = am_check_parse(w[i])) < 0)
            return am_error_set(err, AM_ERR_SYNTAX,
                                "unknown check kind \"%.100s\"", w[i]);
        if (i + 1 >= n)
            return am_error_set(err, AM_ERR_SYNTAX, "listen needs tables");
        return am_servconf_add_tables(c, (size_t)idx, kind,
                                      (const char *const *)w + i + 1,
                                      n - i - 1, err);
    }
    for (; i < n; i++)
        if ((rc = am_servconf_add_map(c, (size_t)idx, w[i], err)) < 0)
            return rc;
    return 0;
}

static int
parse_line(struct am_servconf *c, char **w, size_t n, unsigned line,
           struct am_error *err)
{
    const char *d = w[0];
    unsigned long v;
    size_t i;
    int rc;

    if (strcmp(d, "listen") == 0)
        return parse_listen(c, w + 1, n - 1, line, err);
    if (strcmp(d, "allow") == 0) {
        if (n < 2)
            return am_error_set(err, AM_ERR_SYNTAX, "allow needs networks");
        for (i = 1; i < n; i++)
            if ((rc = am_servconf_add_allow(c, w[i], err)) < 0)
                return rc;
        return 0;
    }
    if (n != 2)
        return am_error_set(err, AM_ERR_SYNTAX,
                            "\"%.100s\" takes one value", d);
    if (strcmp(d, "allow_remote") == 0)
        return parse_bool(w[1], &c->allow_remote, err);
    if (strcmp(d, "log_queries") == 0)
        return parse_bool(w[1], &c->log_queries, err);
    if (strcmp(d, "watch") == 0)
        return parse_bool(w[1], &c->watch, err);
    if (strcmp(d, "user") == 0 || strcmp(d, "config_directory") == 0) {
        char **slot = d[0] == 'u' ? &c->user : &c->config_dir;
        free(*slot);
        if ((*slot = strdup(w[1])) == NULL)
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return 0;
    }
    if (strcmp(d, "max_connections") == 0) {
        if ((rc = parse_num(w[1], 1000000, &v, err)) < 0)
            return rc;
        if (v == 0)
            return am_error_set(err, AM_ERR_SYNTAX, "max_connections is 0");
        c->max_connections = v;
        return 0;
    }
    if (strcmp(d, "max_request") == 0) {
        if ((rc = parse_num(w[1], 100000, &v, err)) < 0)
            return rc;
        if (v < 64)
            return am_error_set(err, AM_ERR_SYNTAX,
                                "max_request below 64 bytes");
        c->max_request = v;
        return 0;
    }
    if (strcmp(d, "idle_timeout") == 0 || strcmp(d, "read_timeout") == 0) {
        if ((rc = parse_num(w[1], 86400, &v, err)) < 0)
            return rc;
        if (d[0] == 'i')
            c->idle_timeout = (unsigned)v;
        else
            c->read_timeout = (unsigned)v;
        return 0;
    }
    return am_error_set(err, AM_ERR_SYNTAX, "unknown directive \"%.100s\"", d);
}

int
am_servconf_parse(struct am_servconf *c, const char *name, const char *text,
                  size_t len, struct am_error *err)
{
    am_lines *lr;
    const char *t;
    size_t tlen, n;
    unsigned lineno = 0;
    char *copy = NULL, *words[MAX_WORDS + 1];
    int rc = 0;

    if ((lr = am_lines_open_mem(name, text, len, err)) == NULL)
        return err ? err->code : AM_ERR_NOMEM;
    while ((rc = am_lines_next(lr, &t, &tlen, &lineno, NULL, err)) > 0) {
        free(copy);
        if ((copy = dup_n(t, tlen)) == NULL) {
            rc = am_error_set(err, AM_ERR_NOMEM, "out of memory");
            break;
        }
        if (memchr(t, 0, tlen) != NULL) {
            rc = am_error_set(err, AM_ERR_SYNTAX, "NUL byte in line");
            break;
        }
        n = split(copy, words);
        if (n == 0)
            continue;
        if (n > MAX_WORDS) {
            rc = am_error_set(err, AM_ERR_SYNTAX, "more than %d words",
                              MAX_WORDS);
            break;
        }
        if ((rc = parse_line(c, words, n, lineno, err)) < 0)
            break;
    }
    if (rc < 0)
        am_error_at(err, name, lineno, 0);
    free(copy);
    am_lines_close(lr);
    return rc < 0 ? rc : 0;
}
