/* fold.c - case folding of lookup keys; see fold.h. */
#include "formats/fold.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/ucasemap.h>
#include <unicode/utypes.h>

#include "formats/buf.h"
#include "formats/utf8.h"

struct am_fold {
    int flags;
    UCaseMap *csm;              /* opened on first non-ASCII key */
    struct am_buf out;
};

am_fold *
am_fold_new(int flags, struct am_error *err)
{
    am_fold *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    f->flags = flags;
    am_buf_init(&f->out, 0);
    return f;
}

void
am_fold_free(am_fold *f)
{
    if (f == NULL)
        return;
    if (f->csm != NULL)
        ucasemap_close(f->csm);
    am_buf_free(&f->out);
    free(f);
}

void
am_fold_ascii(char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] += 'a' - 'A';
}

static int
fold_icu(am_fold *f, const char *in, size_t len, struct am_error *err)
{
    UErrorCode uerr = U_ZERO_ERROR;
    int32_t need;
    int rc;

    if (len > INT32_MAX / 4)
        return am_error_set(err, AM_ERR_LIMIT, "key too long to fold");
    if (f->csm == NULL) {
        /* Postfix folds with the en_US locale and default options. */
        f->csm = ucasemap_open("en_US", U_FOLD_CASE_DEFAULT, &uerr);
        if (U_FAILURE(uerr))
            return am_error_set(err, AM_ERR_DB, "ICU ucasemap_open: %s",
                                u_errorName(uerr));
    }
    if ((rc = am_buf_reserve(&f->out, len * 3 + 1, err)) < 0)
        return rc;
    for (;;) {
        uerr = U_ZERO_ERROR;
        need = ucasemap_utf8FoldCase(f->csm, f->out.data,
                                     (int32_t) (f->out.cap - 1), in,
                                     (int32_t) len, &uerr);
        if (uerr == U_BUFFER_OVERFLOW_ERROR) {
            if ((rc = am_buf_reserve(&f->out, (size_t) need + 1, err)) < 0)
                return rc;
            continue;
        }
        if (U_FAILURE(uerr))
            return am_error_set(err, AM_ERR_SYNTAX, "case folding failed: %s",
                                u_errorName(uerr));
        break;
    }
    f->out.len = (size_t) need;
    f->out.data[need] = '\0';
    return 0;
}

int
am_fold_changes(const char *in, size_t len)
{
    const uint64_t ones = 0x0101010101010101ULL, high = ones << 7;
    const unsigned char *p = (const unsigned char *) in, *end = p + len;
    uint64_t w;

    /* Eight bytes at a time: any with the high bit, or (all being below
     * 0x80, so no carry crosses a byte) any in 'A'..'Z'. */
    for (; end - p >= 8; p += 8) {
        memcpy(&w, p, 8);
        if ((w & high)
            || ((w + ones * (0x80 - 'A')) & ~(w + ones * (0x7f - 'Z'))
                & high))
            return 1;
    }
    for (; p < end; p++)
        if (*p >= 0x80 || (*p >= 'A' && *p <= 'Z'))
            return 1;
    return 0;
}

int
am_fold_key(am_fold *f, const char *in, size_t len, const char **out,
            size_t *outlen, struct am_error *err)
{
    int rc;

    am_buf_reset(&f->out);
    if ((f->flags & AM_FOLD_UTF8) && !am_utf8_is_ascii(in, len)) {
        if (!am_utf8_valid(in, len))
            return am_error_set(err, AM_ERR_SYNTAX,
                                "malformed UTF-8 or invalid code point");
        if ((rc = fold_icu(f, in, len, err)) < 0)
            return rc;
    } else {
        if ((rc = am_buf_append(&f->out, in, len, err)) < 0)
            return rc;
        am_fold_ascii(f->out.data, f->out.len);
    }
    *out = f->out.data;
    *outlen = f->out.len;
    return 0;
}
