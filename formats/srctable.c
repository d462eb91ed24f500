/* srctable.c - postmap source lines -> entries; see srctable.h. */
#include "formats/srctable.h"

#include <stdlib.h>
#include <string.h>

#include "formats/utf8.h"

struct am_srctable {
    am_lines *lines;            /* borrowed */
    int flags;
};

am_srctable *
am_srctable_open(am_lines *lr, int flags, struct am_error *err)
{
    am_srctable *st = calloc(1, sizeof(*st));

    if (st == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    st->lines = lr;
    st->flags = flags;
    return st;
}

void
am_srctable_close(am_srctable *st)
{
    free(st);
}

int
am_srctable_stable(const am_srctable *st, const struct am_entry *entry)
{
    return am_lines_stable(st->lines, entry->key);
}

int
am_srctable_split(const char *text, size_t len, struct am_entry *entry,
                  const char **why)
{
    const char *p = text, *end = text + len, *v, *vend;
    int in_quotes = 0;

    /* The key ends at the first whitespace outside quotes. */
    for (; p < end; p++) {
        if (*p == '\\') {
            if (++p == end)
                break;
        } else if (am_is_space((unsigned char) *p)) {
            if (!in_quotes)
                break;
        } else if (*p == '"') {
            in_quotes = !in_quotes;
        }
    }
    if (in_quotes) {
        *why = "unbalanced '\"'";
        return 0;
    }
    entry->key = text;
    entry->klen = (size_t) (p - text);
    v = p < end ? p + 1 : end;
    while (v < end && am_is_space((unsigned char) *v))
        v++;
    vend = end;
    while (vend > v && am_is_space((unsigned char) vend[-1]))
        vend--;
    entry->value = v;
    entry->vlen = (size_t) (vend - v);
    if (entry->klen == 0 || entry->vlen == 0) {
        *why = "expected format: key whitespace value";
        return 0;
    }
    return 1;
}

/* Up to 60 bytes of text with non-printable bytes shown as '?'. */
static void
excerpt(char *out, size_t size, const char *text, size_t len)
{
    size_t i, n = len < size - 4 ? len : size - 4;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char) text[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
    }
    if (n < len)
        memcpy(out + n, "...", 4);
    else
        out[n] = '\0';
}

int
am_srctable_next(am_srctable *st, struct am_entry *entry,
                 struct am_diag_sink *diags, struct am_error *err)
{
    const char *text, *why, *nul, *hash;
    size_t len;
    unsigned lineno;
    char ex[64];
    int rc;

    for (;;) {
        rc = am_lines_next(st->lines, &text, &len, &lineno, diags, err);
        if (rc <= 0)
            return rc;
        struct am_loc loc = { am_lines_name(st->lines), lineno, 1 };

        /* Postfix keeps lines in C strings: a NUL ends the line.  Its UTF-8
         * check looks at the text before the NUL to decide whether the line
         * is ASCII, and at the whole line to decide whether it is valid. */
        size_t full = len;

        if ((nul = memchr(text, '\0', len)) != NULL)
            len = (size_t) (nul - text);
        if ((st->flags & AM_SRC_UTF8) && !am_utf8_is_ascii(text, len)
            && !am_utf8_valid(text, full)) {
            excerpt(ex, sizeof(ex), text, len);
            am_diag_emit(diags, AM_DIAG_WARNING, &loc, "bad-utf8",
                         "non-UTF-8 input \"%s\"; line ignored", ex);
            continue;
        }
        if (nul != NULL)
            am_diag_emit(diags, AM_DIAG_WARNING, &loc, "nul-byte",
                         "NUL byte in line; the rest of the line is ignored");
        if (!am_srctable_split(text, len, entry, &why)) {
            excerpt(ex, sizeof(ex), text, len);
            am_diag_emit(diags, AM_DIAG_WARNING, &loc, "bad-line",
                         "%s in \"%s\"; line ignored", why, ex);
            continue;
        }
        entry->loc = loc;
        if (entry->key[entry->klen - 1] == ':')
            am_diag_emit(diags, AM_DIAG_WARNING, &loc, "alias-format",
                         "key \"%.*s\" ends in ':'; is this an aliases file?",
                         (int) (entry->klen > 60 ? 60 : entry->klen),
                         entry->key);
        if ((hash = memchr(entry->value, '#', entry->vlen)) != NULL
            && hash > entry->value && am_is_space((unsigned char) hash[-1]))
            am_diag_emit(diags, AM_DIAG_WARNING, &loc, "hash-in-value",
                         "'#' after the key does not start a comment; it is "
                         "stored as part of the value");
        if (memchr(entry->value, '\r', entry->vlen) != NULL)
            am_diag_emit(diags, AM_DIAG_WARNING, &loc, "cr-in-value",
                         "value contains a carriage return (CRLF line endings "
                         "with continuation lines?)");
        return 1;
    }
}
