/* pfconf.c - reading main.cf; see pfconf.h.
 *
 * Only what accessmap uses is modelled: the raw "name = value" pairs, simple
 * $name expansion with Postfix's ${name?text} and ${name:text} forms, and
 * the defaults of the parameters below.  smtputf8_enable's default depends
 * on compatibility_level (yes from level 1 on), as in Postfix 3.7.
 */
#include "formats/pfconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/buf.h"
#include "formats/lines.h"

struct param {
    char *name;
    char *raw;                  /* as written in main.cf */
    char *value;                /* expanded, computed on first use */
    int busy;                   /* being expanded: a reference to it now
                                 * is a loop */
};

struct am_pfconf {
    char *dir;
    struct param *params;
    size_t nparams;
    struct param *defaults;     /* expanded defaults, filled lazily */
    size_t ndefaults;
};

static const struct {
    const char *name;
    const char *value;
} builtin[] = {
    { "compatibility_level", "0" },
    { "default_database_type", "hash" },
    { "parent_domain_matches_subdomains",
      "debug_peer_list,fast_flush_domains,mynetworks,permit_mx_backup_networks,"
      "qmqpd_authorized_clients,relay_domains,smtpd_access_maps" },
    { "recipient_delimiter", "" },
    { "smtpd_null_access_lookup_key", "<>" },
    { "access_map_reject_code", "554" },
    { "access_map_defer_code", "450" },
    { "soft_bounce", "no" },
    { "myhostname", "localhost" },
    { "mydomain", "localdomain" },
    { "myorigin", "$myhostname" },
    { "lmdb_map_size", "16777216" },
    { "berkeley_db_create_buffer_size", "16777216" },
    { "berkeley_db_read_buffer_size", "131072" },
    { "allow_untrusted_routing", "no" },
    { "smtputf8_enable", NULL },        /* depends on compatibility_level */
};

static void free_params(struct param *p, size_t n);

static int
add_param(am_pfconf *c, const char *name, size_t nlen, const char *val,
          size_t vlen, struct am_error *err)
{
    struct param *p;
    size_t i;

    /* A later setting replaces an earlier one, as in Postfix. */
    for (i = 0; i < c->nparams; i++) {
        if (strlen(c->params[i].name) == nlen
            && memcmp(c->params[i].name, name, nlen) == 0) {
            char *raw = strndup(val, vlen);
            if (raw == NULL)
                return am_error_set(err, AM_ERR_NOMEM, "out of memory");
            free(c->params[i].raw);
            c->params[i].raw = raw;
            return 0;
        }
    }
    p = realloc(c->params, (c->nparams + 1) * sizeof(*p));
    if (p == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    c->params = p;
    p = &c->params[c->nparams];
    p->name = strndup(name, nlen);
    p->raw = strndup(val, vlen);
    p->value = NULL;
    p->busy = 0;
    if (p->name == NULL || p->raw == NULL) {
        free(p->name);
        free(p->raw);
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    }
    c->nparams++;
    return 0;
}

static int
read_main_cf(am_pfconf *c, const char *path, struct am_diag_sink *diags,
             struct am_error *err)
{
    am_lines *lr;
    const char *text, *eq, *name_end, *v, *vend;
    size_t len;
    unsigned lineno;
    int rc;

    if ((lr = am_lines_open(path, err)) == NULL)
        return err ? err->code : AM_ERR_IO;
    while ((rc = am_lines_next(lr, &text, &len, &lineno, diags, err)) > 0) {
        struct am_loc loc = { path, lineno, 1 };

        eq = memchr(text, '=', len);
        name_end = eq;
        while (name_end != NULL && name_end > text
               && am_is_space((unsigned char) name_end[-1]))
            name_end--;
        if (eq == NULL || name_end == text) {
            am_diag_emit(diags, AM_DIAG_WARNING, &loc, "main-cf-syntax",
                         "expected \"name = value\"; line ignored");
            continue;
        }
        v = eq + 1;
        vend = text + len;
        while (v < vend && am_is_space((unsigned char) *v))
            v++;
        while (vend > v && am_is_space((unsigned char) vend[-1]))
            vend--;
        if ((rc = add_param(c, text, (size_t) (name_end - text), v,
                            (size_t) (vend - v), err)) < 0)
            break;
    }
    am_lines_close(lr);
    return rc < 0 ? rc : 0;
}

am_pfconf *
am_pfconf_open(const char *config_dir, struct am_diag_sink *diags,
               struct am_error *err)
{
    am_pfconf *c = calloc(1, sizeof(*c));
    char *path = NULL;

    if (c == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (config_dir != NULL) {
        if ((c->dir = strdup(config_dir)) == NULL
            || asprintf(&path, "%s/main.cf", config_dir) < 0) {
            am_error_set(err, AM_ERR_NOMEM, "out of memory");
            am_pfconf_close(c);
            return NULL;
        }
        if (read_main_cf(c, path, diags, err) < 0) {
            free(path);
            am_pfconf_close(c);
            return NULL;
        }
        free(path);
    }
    return c;
}

static void
free_params(struct param *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].raw);
        free(p[i].value);
    }
    free(p);
}

int
am_pfconf_set(am_pfconf *c, const char *name, const char *value,
              struct am_error *err)
{
    size_t i;
    int rc;

    if ((rc = add_param(c, name, strlen(name), value, strlen(value), err)) < 0)
        return rc;
    /* Values already expanded may depend on this one: expand again. */
    for (i = 0; i < c->nparams; i++) {
        free(c->params[i].value);
        c->params[i].value = NULL;
    }
    free_params(c->defaults, c->ndefaults);
    c->defaults = NULL;
    c->ndefaults = 0;
    return 0;
}

void
am_pfconf_close(am_pfconf *c)
{
    if (c == NULL)
        return;
    free_params(c->params, c->nparams);
    free_params(c->defaults, c->ndefaults);
    free(c->dir);
    free(c);
}

const char *
am_pfconf_dir(const am_pfconf *c)
{
    return c->dir;
}

static struct param *find_param(am_pfconf *c, const char *name, size_t len,
                                int depth);

/* Expand $name, ${name}, $(name), ${name?text}, ${name:text} and $$. */
static void
expand(am_pfconf *c, const char *s, struct am_buf *out, int depth)
{
    const char *p = s, *name, *end;
    struct param *prm;
    char open, close;
    size_t nlen;

    while (*p) {
        if (*p != '$' || depth > 20) {
            am_buf_putc(out, *p++, NULL);
            continue;
        }
        p++;
        if (*p == '$') {
            am_buf_putc(out, '$', NULL);
            p++;
            continue;
        }
        if (*p == '{' || *p == '(') {
            open = *p;
            close = open == '{' ? '}' : ')';
            name = ++p;
            while (*p && *p != close && *p != '?' && *p != ':')
                p++;
            nlen = (size_t) (p - name);
            prm = find_param(c, name, nlen, depth + 1);
            if (*p == '?' || *p == ':') {
                /* ${name?text}: text if name is non-empty;
                 * ${name:text}: text if name is empty. */
                int want_set = *p == '?';
                int level = 1;
                const char *t = ++p;
                struct am_buf sub;

                while (*p && level > 0) {
                    if (*p == open)
                        level++;
                    else if (*p == close)
                        level--;
                    if (level > 0)
                        p++;
                }
                end = p;
                int isset = prm != NULL && prm->value != NULL && *prm->value;
                if (isset == want_set) {
                    am_buf_init(&sub, 0);
                    am_buf_append(&sub, t, (size_t) (end - t), NULL);
                    if (sub.data != NULL)
                        expand(c, sub.data, out, depth + 1);
                    am_buf_free(&sub);
                }
            } else if (prm != NULL && prm->value != NULL) {
                am_buf_append(out, prm->value, strlen(prm->value), NULL);
            }
            if (*p == close)
                p++;
            continue;
        }
        name = p;
        while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
               || (*p >= '0' && *p <= '9'))
            p++;
        prm = find_param(c, name, (size_t) (p - name), depth + 1);
        if (prm != NULL && prm->value != NULL)
            am_buf_append(out, prm->value, strlen(prm->value), NULL);
    }
}

static char *
expand_value(am_pfconf *c, const char *raw, int depth)
{
    struct am_buf out;
    char *v;

    am_buf_init(&out, AM_PFCONF_VALUE_MAX);
    expand(c, raw, &out, depth);
    v = strdup(out.data ? out.data : "");
    am_buf_free(&out);
    return v;
}

/* compatibility_level compared as Postfix's "level" numbers (3.6 >= 1). */
static int
compat_at_least_1(am_pfconf *c, int depth)
{
    struct param *p = find_param(c, "compatibility_level", 19, depth + 1);

    return p != NULL && p->value != NULL && atof(p->value) >= 1.0;
}

static struct param *
find_param(am_pfconf *c, const char *name, size_t len, int depth)
{
    struct param *p, *np;
    const char *dflt = NULL;
    size_t i;
    int known = 0;

    for (i = 0; i < c->nparams; i++) {
        p = &c->params[i];
        if (strlen(p->name) == len && memcmp(p->name, name, len) == 0) {
            if (p->value == NULL) {
                /* "a = $a" or "a = $b", "b = $a": Postfix refuses to
                 * start ("unreasonable macro call nesting"); here the
                 * name inside its own expansion stands for nothing.
                 * Without this each level of the loop would expand the
                 * value again (exponential time) and overwrite it. */
                if (p->busy)
                    return NULL;
                p->busy = 1;
                p->value = expand_value(c, p->raw, depth);
                p->busy = 0;
            }
            return p;
        }
    }
    for (i = 0; i < c->ndefaults; i++) {
        p = &c->defaults[i];
        if (strlen(p->name) == len && memcmp(p->name, name, len) == 0)
            return p;
    }
    for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
        if (strlen(builtin[i].name) == len
            && memcmp(builtin[i].name, name, len) == 0) {
            dflt = builtin[i].value;
            known = 1;
            break;
        }
    }
    if (!known)
        return NULL;
    if (dflt == NULL)       /* smtputf8_enable */
        dflt = compat_at_least_1(c, depth) ? "yes" : "no";
    /* Expand before appending: expansion may add other defaults. */
    char *value = expand_value(c, dflt, depth);
    char *pname = strndup(name, len);
    char *raw = strdup(dflt);

    np = realloc(c->defaults, (c->ndefaults + 1) * sizeof(*np));
    if (np == NULL || value == NULL || pname == NULL || raw == NULL) {
        if (np != NULL)
            c->defaults = np;
        free(value);
        free(pname);
        free(raw);
        return NULL;
    }
    c->defaults = np;
    p = &c->defaults[c->ndefaults++];
    p->name = pname;
    p->raw = raw;
    p->value = value;
    p->busy = 0;
    return p;
}

const char *
am_pfconf_get(const am_pfconf *cc, const char *name)
{
    /* Values are computed lazily; the handle is logically const. */
    struct param *p = find_param((am_pfconf *) cc, name, strlen(name), 0);

    return p != NULL ? p->value : NULL;
}

int
am_pfconf_bool(const am_pfconf *c, const char *name, int dflt)
{
    const char *v = am_pfconf_get(c, name);

    if (v == NULL)
        return dflt;
    if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0
        || strcmp(v, "1") == 0)
        return 1;
    if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0
        || strcmp(v, "0") == 0)
        return 0;
    return dflt;
}

int
am_pfconf_list_has(const am_pfconf *c, const char *name, const char *word)
{
    const char *v = am_pfconf_get(c, name), *p, *start;
    size_t wlen = strlen(word);

    if (v == NULL)
        return 0;
    for (p = v; *p;) {
        while (*p == ',' || am_is_space((unsigned char) *p))
            p++;
        start = p;
        while (*p && *p != ',' && !am_is_space((unsigned char) *p))
            p++;
        if ((size_t) (p - start) == wlen && strncasecmp(start, word, wlen) == 0)
            return 1;
    }
    return 0;
}
