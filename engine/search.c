/* search.c - smtpd's access table search order; see search.h.
 *
 * The rules follow Postfix 3.7: check_domain_access(), check_addr_access()
 * and check_namadr_access() in smtpd/smtpd_check.c for client and HELO
 * checks; for sender and recipient checks, the trivial-rewrite steps that
 * qualify an address (rewrite.c), the case folding in smtpd_resolve.c, and
 * mail_addr_find_opt() with FULL | NOEXT | DOMAIN | LOCALPART_AT and the
 * parent-domain style (global/mail_addr_find.c, strip_addr.c, split_addr.c,
 * quote_822_local.c).
 *
 * XXX trivial-rewrite's resolver re-resolves an address whose domain is
 * local (mydestination, inet_interfaces, ...) when its local part holds
 * routing operators (user%site@local, "a@b"@local); that needs the local
 * domain list and is not modelled.  append_dot_mydomain (default no since
 * compatibility_level 1) is not modelled either.
 */
#include "engine/search.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/addr.h"
#include "formats/buf.h"
#include "formats/fold.h"

struct am_search {
    am_fold *fold_utf8;         /* ICU folding, made on first use */
    am_fold *fold_ascii;        /* ASCII-only folding, made on first use */
    struct am_buf keys;         /* every key, each followed by a NUL */
    struct am_probe *probes;    /* key pointers set when a build ends */
    size_t *offs;               /* key offsets into keys during a build */
    size_t count, cap;
    struct am_buf reply;        /* am_search_reply_name() */
    struct am_buf subject;      /* am_search_subject() */
    int has_subject;
    struct am_buf w1, w2, w3;   /* scratch */
};

static const char *const step_names[] = {
    [AM_STEP_EXACT] = "exact key",
    [AM_STEP_HOSTNAME] = "hostname",
    [AM_STEP_PARENT] = "parent domain",
    [AM_STEP_ADDRESS] = "address",
    [AM_STEP_NETWORK] = "network",
    [AM_STEP_NULL_SENDER] = "null sender",
    [AM_STEP_MAIL_FULL] = "address",
    [AM_STEP_MAIL_NOEXT] = "address without extension",
    [AM_STEP_MAIL_DOMAIN] = "domain",
    [AM_STEP_MAIL_LOCAL] = "localpart@",
    [AM_STEP_MAIL_LOCAL_NOEXT] = "localpart@ without extension",
};

const char *
am_search_step_name(int step)
{
    if (step < 0 || (size_t) step >= sizeof(step_names) / sizeof(step_names[0]))
        return "unknown";
    return step_names[step];
}

am_search *
am_search_new(struct am_error *err)
{
    am_search *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    am_buf_init(&s->keys, 0);
    am_buf_init(&s->reply, 0);
    am_buf_init(&s->subject, 0);
    am_buf_init(&s->w1, 0);
    am_buf_init(&s->w2, 0);
    am_buf_init(&s->w3, 0);
    return s;
}

void
am_search_free(am_search *s)
{
    if (s == NULL)
        return;
    am_fold_free(s->fold_utf8);
    am_fold_free(s->fold_ascii);
    am_buf_free(&s->keys);
    am_buf_free(&s->reply);
    am_buf_free(&s->subject);
    am_buf_free(&s->w1);
    am_buf_free(&s->w2);
    am_buf_free(&s->w3);
    free(s->probes);
    free(s->offs);
    free(s);
}

size_t
am_search_count(const am_search *s)
{
    return s->count;
}

const struct am_probe *
am_search_probe(const am_search *s, size_t i)
{
    return i < s->count ? &s->probes[i] : NULL;
}

const char *
am_search_reply_name(const am_search *s)
{
    return s->reply.data != NULL ? s->reply.data : "";
}

const char *
am_search_subject(const am_search *s)
{
    return s->has_subject ? (s->subject.data ? s->subject.data : "") : NULL;
}

/* Record one probe.  maps_find() never looks up an empty key, so neither
 * do we. */
static int
add_probe(am_search *s, const char *key, size_t len, int fixed_only,
          int step, int quoted, struct am_error *err)
{
    int rc;

    if (len == 0)
        return 0;
    if (s->count == s->cap) {
        size_t ncap = s->cap ? 2 * s->cap : 16;
        struct am_probe *np = realloc(s->probes, ncap * sizeof(*np));
        size_t *no;

        if (np == NULL)
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        s->probes = np;
        if ((no = realloc(s->offs, ncap * sizeof(*no))) == NULL)
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        s->offs = no;
        s->cap = ncap;
    }
    s->offs[s->count] = s->keys.len;
    if ((rc = am_buf_reserve(&s->keys, len + 1, err)) < 0)
        return rc;
    memcpy(s->keys.data + s->keys.len, key, len);
    s->keys.len += len;
    s->keys.data[s->keys.len++] = '\0';
    s->probes[s->count] = (struct am_probe){ NULL, len, fixed_only, step,
                                             quoted };
    s->count++;
    return 0;
}

static int
set_text(struct am_buf *b, const char *text, size_t len, struct am_error *err)
{
    int rc;

    am_buf_reset(b);
    if ((rc = am_buf_reserve(b, len, err)) < 0)
        return rc;
    b->data[0] = '\0';
    return am_buf_append(b, text, len, err);
}

/* --- numeric addresses (util/valid_hostname.c rules) --- */

/* valid_ipv4_hostaddr(): four decimal octets up to 255, no empty parts,
 * and a first octet of 0 only in 0.0.0.0. */
static int
is_ipv4_text(const char *a)
{
    int in_octet = 0, octets = 0, val = 0;
    const char *p;

    for (p = a; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9') {
            if (!in_octet) {
                in_octet = 1;
                val = 0;
                octets++;
            }
            val = val * 10 + (*p - '0');
            if (val > 255)
                return 0;
        } else if (*p == '.') {
            if (!in_octet || p[1] == '\0')
                return 0;
            if (octets == 1 && val == 0 && a[strspn(a, "0.")] != '\0')
                return 0;
            in_octet = 0;
        } else {
            return 0;
        }
    }
    return octets == 4;
}

/* valid_ipv6_hostaddr(): hex fields of at most 4 digits, 2..7 colons, one
 * "::" at most, an optional trailing IPv4 part. */
static int
is_ipv6_text(const char *a)
{
    const char *p = a;
    int fields = 0, null_field = 0;
    size_t len = 0;

    for (;;) {
        if (*p == '\0') {
            if (fields < 2)
                return 0;
            return !(len == 0 && null_field != fields - 1);
        }
        if (*p == '.') {
            if (fields < 2 || fields > 6)
                return 0;
            return is_ipv4_text(p - len);
        }
        if (*p == ':') {
            if (fields == 0 && len == 0
                && ((p[1] >= '0' && p[1] <= '9') || (p[1] >= 'a' && p[1] <= 'z')
                    || (p[1] >= 'A' && p[1] <= 'Z')))
                return 0;
            if (++fields > 7)
                return 0;
            p++;
            len = 0;
            if (*p == ':') {
                if (null_field > 0)
                    return 0;
                null_field = fields;
            }
            continue;
        }
        len = strspn(p, "0123456789abcdefABCDEF");
        if (len == 0 || len > 4)
            return 0;
        p += len;
    }
}

static int
is_hostaddr_text(const char *a)
{
    if (*a == '\0')
        return 0;
    return strchr(a, ':') != NULL ? is_ipv6_text(a) : is_ipv4_text(a);
}

/* --- client and HELO checks --- */

/* check_domain_access(): the name, then (fixed tables only) each parent
 * domain -- "b.c" in parent style, ".b.c" in dot style -- unless the whole
 * name is a numeric address.  A trailing dot stays; an empty key is never
 * made. */
static int
search_domain(am_search *s, const char *domain, int parent_style,
              struct am_error *err)
{
    const char *name = domain, *next;
    int rc, first = 1;

    while (*name != '\0') {
        if ((rc = add_probe(s, name, strlen(name), !first,
                            first ? AM_STEP_HOSTNAME : AM_STEP_PARENT, 0,
                            err)) < 0)
            return rc;
        if (first && is_hostaddr_text(domain))
            break;
        first = 0;
        if ((next = strchr(name + 1, '.')) == NULL)
            break;
        if (parent_style)
            next++;
        name = next;
    }
    return 0;
}

/* check_addr_access(): the address, then (fixed tables only) the address
 * cut at its last '.' (IPv4) or ':' (IPv6), repeatedly. */
static int
search_addr(am_search *s, const char *addr, struct am_error *err)
{
    char delim = strchr(addr, ':') != NULL ? ':' : '.';
    size_t len = strlen(addr);
    const char *cut;
    int rc, first = 1;

    for (;;) {
        if ((rc = add_probe(s, addr, len, !first,
                            first ? AM_STEP_ADDRESS : AM_STEP_NETWORK, 0,
                            err)) < 0)
            return rc;
        first = 0;
        for (cut = addr + len; cut > addr && cut[-1] != delim; cut--)
            ;
        if (cut == addr)
            break;
        len = (size_t) (cut - 1 - addr);
    }
    return 0;
}

/* text into out (size bytes), cut to fit; returns 0. */
static int
copy_text(char *out, size_t size, const char *text)
{
    size_t n = strlen(text);

    if (n >= size)
        n = size - 1;
    memcpy(out, text, n);
    out[n] = '\0';
    return 0;
}

/* Dotted quad of 4 bytes into out (16 bytes), as inet_ntop writes it but
 * without its printf: this runs for every client lookup. */
static void
format_ipv4(const unsigned char *b, char *out)
{
    int i;

    for (i = 0; i < 4; i++) {
        unsigned v = b[i];

        if (v >= 100)
            *out++ = (char) ('0' + v / 100);
        if (v >= 10)
            *out++ = (char) ('0' + v / 10 % 10);
        *out++ = (char) ('0' + v % 10);
        *out++ = i < 3 ? '.' : '\0';
    }
}

/* The client address as smtpd keeps it: compressed lower-case IPv6,
 * IPv4-mapped IPv6 as IPv4 when IPv4 is on, an "IPv6:" prefix accepted
 * (XCLIENT), "unknown" for an unavailable address. */
static int
normalize_addr(const char *in, int ipv4, char *out, size_t size,
               struct am_error *err)
{
    struct am_addr bin;
    char text[INET6_ADDRSTRLEN];
    const char *a = in;
    int ok;

    if (strcmp(in, "unknown") == 0)
        return copy_text(out, size, "unknown");
    if (strncasecmp(a, "IPv6:", 5) == 0)
        a += 5;
    ok = am_addr_parse(a, strlen(a), &bin);
    if (ok && bin.family == AM_ADDR_V4 && a == in) {
        format_ipv4(bin.b, text);
    } else if (ok && bin.family == AM_ADDR_V6) {
        inet_ntop(AF_INET6, bin.b, text, sizeof(text));
        if (ipv4 && strncmp(text, "::ffff:", 7) == 0 && strchr(text + 7, '.'))
            memmove(text, text + 7, strlen(text + 7) + 1);
    } else {
        return am_error_set(err, AM_ERR_SYNTAX,
                            "\"%.100s\" is not an IP address", in);
    }
    return copy_text(out, size, text);
}

static int
build_client(am_search *s, int check, const struct am_search_input *in,
             const struct am_check_conf *conf, struct am_error *err)
{
    char addr[INET6_ADDRSTRLEN + 8];
    const char *name = in->hostname != NULL ? in->hostname : "unknown";
    int rc;

    if (*name == '\0')
        return am_error_set(err, AM_ERR_SYNTAX, "empty client hostname");
    rc = normalize_addr(in->text, conf->ipv4, addr, sizeof(addr), err);
    if (rc < 0)
        return rc;
    if ((rc = set_text(&s->subject, addr, strlen(addr), err)) < 0)
        return rc;
    s->has_subject = 1;
    /* Client host replies show "name[addr]"; the reverse-name check shows
     * the reverse name alone. */
    if (check == AM_CHECK_CLIENT)
    {
        am_buf_reset(&s->reply);
        if ((rc = am_buf_append(&s->reply, name, strlen(name), err)) == 0
            && (rc = am_buf_putc(&s->reply, '[', err)) == 0
            && (rc = am_buf_append(&s->reply, addr, strlen(addr), err)) == 0)
            rc = am_buf_putc(&s->reply, ']', err);
    }
    else
        rc = set_text(&s->reply, name, strlen(name), err);
    if (rc < 0)
        return rc;
    /* check_namadr_access(): the name search, then the address search;
     * both start with a lookup in every table. */
    if (in->half != AM_SEARCH_ADDRESS_HALF
        && (rc = search_domain(s, name, conf->parent_style, err)) < 0)
        return rc;
    if (in->half == AM_SEARCH_NAME_HALF)
        return 0;
    return search_addr(s, addr, err);
}

/* What smtpd keeps of a HELO argument: printable() with '?' (UTF-8 kept
 * when smtputf8_enable), then the characters " <>()\\\";@" neutered. */
static int
build_helo(am_search *s, const struct am_search_input *in,
           const struct am_check_conf *conf, struct am_error *err)
{
    unsigned char *p;
    int rc;

    if ((rc = set_text(&s->reply, in->text, strlen(in->text), err)) < 0)
        return rc;
    for (p = (unsigned char *) s->reply.data; *p != '\0'; p++) {
        if (*p >= 0x20 && *p < 0x7f) {
            if (strchr(" <>()\\\";@", *p) != NULL)
                *p = '?';
        } else if (conf->smtputf8 && *p >= 194 && *p <= 254 && p[1] >= 128
                   && p[1] < 192) {
            while (p[1] >= 128 && p[1] < 192)
                p++;
        } else {
            *p = '?';
        }
    }
    if (s->reply.len == 0)
        return am_error_set(err, AM_ERR_SYNTAX, "empty HELO name");
    return search_domain(s, s->reply.data, conf->parent_style, err);
}

/* --- sender and recipient checks --- */

/* is_822_dot_string() with 8-bit characters allowed: does the local part
 * [p, end) need no quoting? */
static int
is_dot_string(const char *p, const char *end)
{
    const char *q;
    unsigned char c;

    if (p == end || *p == '.')
        return 0;
    for (q = p; q < end; q++) {
        c = (unsigned char) *q;
        if (c == '.' && q + 1 < end && q[1] == '.')
            return 0;
        if (c == ' ' || c < 0x20 || c == 0x7f)
            return 0;
        if (strchr("()<>@,;:\\\"[]", c) != NULL)
            return 0;
    }
    return end[-1] != '.';
}

/* quote_822_local() with QUOTE_FLAG_8BITCLEAN: quote the local part (up to
 * the last '@', after any source route) unless it is a dot-string. */
static int
quote_local(struct am_buf *out, const char *addr, struct am_error *err)
{
    const char *start = addr, *end, *colon, *p;
    int rc;

    if (addr[0] == '@' && (colon = strchr(addr, ':')) != NULL)
        start = colon + 1;
    if ((end = strrchr(start, '@')) == NULL)
        end = start + strlen(start);
    am_buf_reset(out);
    if (is_dot_string(start, end))
        return am_buf_append(out, addr, strlen(addr), err);
    if ((rc = am_buf_append(out, addr, (size_t) (start - addr), err)) < 0
        || (rc = am_buf_putc(out, '"', err)) < 0)
        return rc;
    for (p = start; p < end; p++) {
        if ((*p == '"' || *p == '\\' || *p == '\r')
            && (rc = am_buf_putc(out, '\\', err)) < 0)
            return rc;
        if ((rc = am_buf_putc(out, *p, err)) < 0)
            return rc;
    }
    if ((rc = am_buf_putc(out, '"', err)) < 0)
        return rc;
    return am_buf_append(out, end, strlen(end), err);
}

/* unquote_822_local(): the internal form of an address as sent.  Quotes
 * and backslashes are removed up to the last unquoted '@'; the domain and
 * a source route are copied as they are. */
static int
unquote_local(struct am_buf *out, const char *addr, size_t len,
              struct am_error *err)
{
    const char *start = addr, *end = addr + len, *p, *colon;
    const char *at_src = NULL;
    size_t at_dst = 0;
    int in_quote = 0, rc;

    am_buf_reset(out);
    if ((rc = am_buf_reserve(out, len + 1, err)) < 0)
        return rc;
    out->data[0] = '\0';
    if (len > 0 && addr[0] == '@' && (colon = memchr(addr, ':', len)) != NULL) {
        start = colon + 1;
        am_buf_append(out, addr, (size_t) (start - addr), NULL);
    }
    for (p = start; p < end; p++) {
        if (*p == '"') {
            in_quote = !in_quote;
            continue;
        }
        if (*p == '@' && !in_quote) {
            at_dst = out->len;
            at_src = p;
        } else if (*p == '\\') {
            if (p + 1 >= end)
                continue;
            p++;
        }
        am_buf_putc(out, *p, NULL);
    }
    if (at_src != NULL) {
        am_buf_truncate(out, at_dst);
        am_buf_append(out, at_src, (size_t) (end - at_src), NULL);
    }
    return 0;
}

/* trivial-rewrite's "local" rewriting of an internal-form address: strip a
 * source route; give an address without '@' a domain (site!user, then
 * user%site, then @$myorigin); drop one trailing dot.  The resolver then
 * adds @$myhostname if there is still no domain. */
static int
rewrite_addr(am_search *s, const char *addr, const struct am_check_conf *conf,
             struct am_error *err)
{
    struct am_buf *b = &s->w2;
    const char *colon, *bang, *pct;
    size_t len;
    int rc;

    if (addr[0] == '@' && (colon = strchr(addr, ':')) != NULL
        && colon[1] != '\0')
        addr = colon + 1;
    am_buf_reset(b);
    if (strchr(addr, '@') == NULL) {
        /* Routing operators count only outside quotes, i.e. when the whole
         * local part is a dot-string. */
        int plain = is_dot_string(addr, addr + strlen(addr));

        if (plain && conf->swap_bangpath && (bang = strchr(addr, '!')) != NULL)
            rc = am_buf_printf(b, err, "%s@%.*s", bang + 1,
                               (int) (bang - addr), addr);
        else if (plain && conf->percent_hack
                 && (pct = strrchr(addr, '%')) != NULL)
            rc = am_buf_printf(b, err, "%.*s@%s", (int) (pct - addr), addr,
                               pct + 1);
        else if (conf->append_at_myorigin && *conf->myorigin != '\0')
            rc = am_buf_printf(b, err, "%s@%s", addr, conf->myorigin);
        else
            rc = am_buf_append(b, addr, strlen(addr), err);
    } else {
        rc = am_buf_append(b, addr, strlen(addr), err);
    }
    if (rc < 0)
        return rc;
    len = b->len;
    if (len >= 2 && b->data[len - 1] == '.' && b->data[len - 2] != '.'
        && b->data[len - 2] != '@')
        am_buf_truncate(b, len - 1);
    if (strchr(b->data, '@') == NULL
        && (rc = am_buf_printf(b, err, "@%s", conf->myhostname)) < 0)
        return rc;
    return 0;
}

/* split_addr(): where the extension of local part [local, end) starts
 * (the delimiter's offset), or 0 if the address is not split. */
static size_t
split_ext(const char *local, size_t len, const struct am_check_conf *conf)
{
    size_t n;

    if ((len == 10 && strncasecmp(local, "postmaster", 10) == 0)
        || (len == 13 && strncasecmp(local, "mailer-daemon", 13) == 0)
        || (len == strlen(conf->double_bounce)
            && strncasecmp(local, conf->double_bounce, len) == 0))
        return 0;
    if (strchr(conf->rcpt_delim, '-') != NULL && conf->owner_request_special) {
        if (len >= 6 && strncasecmp(local, "owner-", 6) == 0)
            return 0;
        if (len > 8 && strncasecmp(local + len - 8, "-request", 8) == 0)
            return 0;
    }
    for (n = 0; n < len && strchr(conf->rcpt_delim, local[n]) == NULL; n++)
        ;
    if (n == 0 || n == len || local[n] == '\0')
        return 0;
    return n;
}

/* find_addr() with the external-first query form: the quoted form, then
 * the internal form if it differs, both with the same scope. */
static int
find_addr(am_search *s, const char *addr, size_t len, int fixed_only,
          int step, struct am_error *err)
{
    int rc;

    if ((rc = set_text(&s->w3, addr, len, err)) < 0
        || (rc = quote_local(&s->w1, s->w3.data, err)) < 0)
        return rc;
    if (s->w1.len == len && memcmp(s->w1.data, addr, len) == 0)
        return add_probe(s, addr, len, fixed_only, step, 0, err);
    rc = add_probe(s, s->w1.data, s->w1.len, fixed_only, step, 1, err);
    if (rc < 0)
        return rc;
    return add_probe(s, addr, len, fixed_only, step, 0, err);
}

/* mail_addr_find_opt() with FULL | NOEXT | DOMAIN | LOCALPART_AT and PDMS
 * (parent style) or PDDMDS (dot style). */
static int
search_mail(am_search *s, const char *full, const struct am_check_conf *conf,
            struct am_error *err)
{
    const char *at = strrchr(full, '@'), *name, *next;
    size_t local_len = (size_t) (at - full), ext, flen = strlen(full);
    char *bare = NULL;
    size_t bare_local = 0, bare_len = 0;
    int rc;

    ext = *conf->rcpt_delim != '\0' ? split_ext(full, local_len, conf) : 0;
    if (ext > 0) {
        /* user@domain: the local part up to the delimiter, then @domain. */
        bare_local = ext;
        bare_len = ext + (flen - local_len);
        if ((bare = malloc(bare_len + 1)) == NULL)
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        memcpy(bare, full, ext);
        memcpy(bare + ext, at, flen - local_len + 1);
    }
    if ((rc = find_addr(s, full, flen, 0, AM_STEP_MAIL_FULL, err)) < 0)
        goto out;
    if (bare != NULL
        && (rc = find_addr(s, bare, bare_len, 1, AM_STEP_MAIL_NOEXT, err)) < 0)
        goto out;
    for (name = at + 1; *name != '\0'; name = next) {
        if ((rc = add_probe(s, name, strlen(name), 1, AM_STEP_MAIL_DOMAIN, 0,
                            err)) < 0)
            goto out;
        if ((next = strchr(name + 1, '.')) == NULL)
            break;
        if (conf->parent_style)
            next++;
    }
    rc = find_addr(s, full, local_len + 1, 1, AM_STEP_MAIL_LOCAL, err);
    if (rc < 0)
        goto out;
    if (bare != NULL)
        rc = find_addr(s, bare, bare_local + 1, 1, AM_STEP_MAIL_LOCAL_NOEXT,
                       err);
out:
    free(bare);
    return rc < 0 ? rc : 0;
}

static int
build_mail(am_search *s, int check, const struct am_search_input *in,
           const struct am_check_conf *conf, struct am_error *err)
{
    const char *text = in->text, *folded;
    size_t len = strlen(text), flen;
    am_fold **fp = conf->smtputf8 ? &s->fold_utf8 : &s->fold_ascii;
    int rc;

    if (len >= 2 && text[0] == '<' && text[len - 1] == '>') {
        text++;
        len -= 2;
    }
    if ((rc = unquote_local(&s->reply, text, len, err)) < 0)
        return rc;
    s->has_subject = 1;
    if (s->reply.len == 0) {
        if (check == AM_CHECK_RECIPIENT)
            return am_error_set(err, AM_ERR_SYNTAX,
                                "the null address is not a recipient");
        /* The null sender: one lookup of the configured key. */
        if ((rc = set_text(&s->subject, "", 0, err)) < 0)
            return rc;
        return add_probe(s, conf->null_sender_key,
                         strlen(conf->null_sender_key), 0,
                         AM_STEP_NULL_SENDER, 0, err);
    }
    if ((rc = rewrite_addr(s, s->reply.data, conf, err)) < 0)
        return rc;
    if (*fp == NULL
        && (*fp = am_fold_new(conf->smtputf8 ? AM_FOLD_UTF8 : 0, err)) == NULL)
        return err ? err->code : AM_ERR_NOMEM;
    rc = am_fold_key(*fp, s->w2.data, s->w2.len, &folded, &flen, err);
    if (rc < 0) {
        am_error_prefix(err, "address \"%.100s\"", s->reply.data);
        return rc;
    }
    if ((rc = set_text(&s->subject, folded, flen, err)) < 0)
        return rc;
    return search_mail(s, s->subject.data, conf, err);
}

int
am_search_build(am_search *s, int check, const struct am_search_input *in,
                const struct am_check_conf *conf, struct am_error *err)
{
    struct am_check_conf dflt;
    size_t i;
    int rc;

    if (conf == NULL) {
        am_check_conf_init(&dflt);
        conf = &dflt;
    }
    s->count = 0;
    s->has_subject = 0;
    am_buf_reset(&s->keys);
    am_buf_reset(&s->reply);
    am_buf_reset(&s->subject);
    if (in == NULL || in->text == NULL)
        return am_error_set(err, AM_ERR_INVALID, "no input text");
    if (strlen(in->text) > AM_SEARCH_INPUT_MAX
        || (in->hostname != NULL && strlen(in->hostname) > AM_SEARCH_INPUT_MAX))
        return am_error_set(err, AM_ERR_LIMIT,
                            "input longer than %d bytes", AM_SEARCH_INPUT_MAX);
    switch (check) {
    case AM_CHECK_EXACT:
        if ((rc = set_text(&s->reply, in->text, strlen(in->text), err)) < 0)
            break;
        rc = add_probe(s, in->text, strlen(in->text), 0, AM_STEP_EXACT, 0,
                       err);
        break;
    case AM_CHECK_CLIENT:
    case AM_CHECK_REVERSE_CLIENT:
        rc = build_client(s, check, in, conf, err);
        break;
    case AM_CHECK_HELO:
        rc = build_helo(s, in, conf, err);
        break;
    case AM_CHECK_SENDER:
    case AM_CHECK_RECIPIENT:
        rc = build_mail(s, check, in, conf, err);
        break;
    default:
        rc = am_error_set(err, AM_ERR_INVALID, "unknown check kind %d", check);
        break;
    }
    if (rc < 0) {
        s->count = 0;
        return rc;
    }
    for (i = 0; i < s->count; i++)
        s->probes[i].key = s->keys.data + s->offs[i];
    return (int) s->count;
}
