/* lines.c - logical lines of a Postfix source file; see lines.h.
 *
 * The input is one contiguous buffer (mmap or read), so the common case -- a
 * logical line made of one physical line -- is returned without copying.
 * Only a line that really continues is assembled in a side buffer.
 */
#include "formats/lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/buf.h"

struct am_lines {
    char *name;                 /* for locations */
    const char *data;           /* the whole input */
    size_t size;
    size_t pos;                 /* next unread byte */
    unsigned lineno;            /* physical lines read so far */
    void *map;                  /* mmap'ed region, or NULL */
    char *owned;                /* malloc'ed input, or NULL */
    struct am_buf joined;       /* assembly of continued lines */
};

static am_lines *
lines_new(const char *name, struct am_error *err)
{
    am_lines *lr = calloc(1, sizeof(*lr));

    if (lr == NULL || (lr->name = strdup(name)) == NULL) {
        free(lr);
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    am_buf_init(&lr->joined, 0);
    return lr;
}

am_lines *
am_lines_open_mem(const char *name, const char *data, size_t len,
                  struct am_error *err)
{
    am_lines *lr = lines_new(name, err);

    if (lr != NULL) {
        lr->data = data;
        lr->size = len;
    }
    return lr;
}

am_lines *
am_lines_open_fd(int fd, const char *name, struct am_error *err)
{
    am_lines *lr;
    struct stat st;
    size_t cap = 0, len = 0;
    char *buf = NULL, *nbuf;
    ssize_t n;

    if ((lr = lines_new(name, err)) == NULL)
        return NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        lr->map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE,
                       fd, 0);
        if (lr->map != MAP_FAILED) {
            madvise(lr->map, (size_t) st.st_size, MADV_SEQUENTIAL);
            lr->data = lr->map;
            lr->size = (size_t) st.st_size;
            return lr;
        }
        lr->map = NULL;
    }
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            if ((nbuf = realloc(buf, cap)) == NULL) {
                free(buf);
                am_lines_close(lr);
                am_error_set(err, AM_ERR_NOMEM, "out of memory reading %s",
                             name);
                return NULL;
            }
            buf = nbuf;
        }
        n = read(fd, buf + len, cap - len);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            am_error_sys(err, "read %s", name);
            free(buf);
            am_lines_close(lr);
            return NULL;
        }
        len += (size_t) n;
    }
    lr->owned = buf;
    lr->data = buf;
    lr->size = len;
    return lr;
}

am_lines *
am_lines_open(const char *path, struct am_error *err)
{
    am_lines *lr;
    int fd;

    if (strcmp(path, "-") == 0)
        return am_lines_open_fd(0, "stdin", err);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        am_error_sys(err, "open %s", path);
        return NULL;
    }
    lr = am_lines_open_fd(fd, path, err);
    close(fd);
    return lr;
}

/* Is [p, p+n) empty, all whitespace, or a comment? */
static int
is_skippable(const char *p, size_t n)
{
    size_t i = 0;

    while (i < n && am_is_space((unsigned char) p[i]))
        i++;
    return i == n || p[i] == '#';
}

int
am_lines_next(am_lines *lr, const char **text, size_t *len, unsigned *lineno,
              struct am_diag_sink *diags, struct am_error *err)
{
    const char *first = NULL, *eol, *line;
    size_t first_len = 0, n;
    unsigned first_line = 0;
    int joining = 0, next;

    for (;;) {
        /* Gather one logical line: its physical lines, minus skippable ones. */
        first = NULL;
        joining = 0;
        am_buf_reset(&lr->joined);
        while (lr->pos < lr->size) {
            line = lr->data + lr->pos;
            eol = memchr(line, '\n', lr->size - lr->pos);
            n = eol ? (size_t) (eol - line) : lr->size - lr->pos;
            lr->pos += n + (eol != NULL);
            lr->lineno++;
            if (!is_skippable(line, n)) {
                if (first == NULL) {
                    first = line;
                    first_len = n;
                    first_line = lr->lineno;
                } else {
                    if (!joining && am_buf_append(&lr->joined, first,
                                                  first_len, err) < 0)
                        return err ? err->code : AM_ERR_NOMEM;
                    joining = 1;
                    if (am_buf_append(&lr->joined, line, n, err) < 0)
                        return err ? err->code : AM_ERR_NOMEM;
                }
            }
            if (first != NULL) {
                /* The entry goes on while the next line starts with
                 * whitespace or '#'. */
                if (lr->pos >= lr->size)
                    break;
                next = (unsigned char) lr->data[lr->pos];
                if (next != '#' && !am_is_space(next))
                    break;
            }
        }
        if (first == NULL)
            return 0;
        if (joining) {
            *text = lr->joined.data;
            *len = lr->joined.len;
        } else {
            *text = first;
            *len = first_len;
        }
        *lineno = first_line;
        if (!am_is_space((unsigned char) **text))
            return 1;
        /* A continuation with nothing to continue: Postfix drops it. */
        {
            struct am_loc loc = { lr->name, first_line, 1 };
            size_t show = *len > 30 ? 30 : *len, i;
            char excerpt[31];

            for (i = 0; i < show; i++) {
                unsigned char c = (unsigned char) (*text)[i];
                excerpt[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
            }
            excerpt[show] = '\0';
            am_diag_emit(diags, AM_DIAG_WARNING, &loc, "leading-whitespace",
                         "line starts with whitespace but there is no entry "
                         "before it to continue; ignoring \"%s%s\"",
                         excerpt, *len > 30 ? "..." : "");
        }
    }
}

int
am_lines_stable(const am_lines *lr, const char *text)
{
    return text >= lr->data && text < lr->data + lr->size;
}

const char *
am_lines_name(const am_lines *lr)
{
    return lr->name;
}

size_t
am_lines_size(const am_lines *lr)
{
    return lr->size;
}

size_t
am_lines_offset(const am_lines *lr)
{
    return lr->pos;
}

size_t
am_lines_left(const am_lines *lr)
{
    const char *p = lr->data + lr->pos, *end = lr->data + lr->size, *nl;
    size_t n = p < end;

    while (p < end && (nl = memchr(p, '\n', (size_t) (end - p))) != NULL) {
        n += nl + 1 < end;
        p = nl + 1;
    }
    return n;
}

void
am_lines_close(am_lines *lr)
{
    if (lr == NULL)
        return;
    if (lr->map != NULL)
        munmap(lr->map, lr->size);
    free(lr->owned);
    am_buf_free(&lr->joined);
    free(lr->name);
    free(lr);
}
