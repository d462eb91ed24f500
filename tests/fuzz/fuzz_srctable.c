/* fuzz_srctable.c - postmap source syntax: logical lines, then key/value.
 *
 * The input is a table source.  Every entry must lie inside the input (or
 * inside a joined continuation line) and have a non-empty key and value;
 * a line that am_srctable_split() accepts must split the same way again.
 * Runs once with and once without UTF-8 checks.
 */
#include <string.h>

#include "formats/lines.h"
#include "formats/srctable.h"
#include "tests/fuzz/fuzz.h"

static void
run(const char *data, size_t size, int flags)
{
    struct am_error err;
    struct am_diag_sink diags = { 0 };
    struct am_entry e, again;
    const char *why;
    am_lines *lr;
    am_srctable *st;
    int rc;

    if ((lr = am_lines_open_mem("fuzz", data, size, &err)) == NULL)
        return;
    if ((st = am_srctable_open(lr, flags, &err)) == NULL) {
        am_lines_close(lr);
        return;
    }
    while ((rc = am_srctable_next(st, &e, &diags, &err)) == 1) {
        fuzz_assert(e.klen > 0 && e.vlen > 0);
        fuzz_assert(e.loc.line >= 1);
        fuzz_assert(memchr(e.key, '\n', e.klen) == NULL);
        if (am_srctable_stable(st, &e)) {
            fuzz_assert(e.key >= data && e.key + e.klen <= data + size);
            fuzz_assert(e.value >= data && e.value + e.vlen <= data + size);
        }
        /* The value is the rest of the line: splitting "key value" again
         * gives the same entry. */
        {
            size_t n = e.klen + 1 + e.vlen;
            char *line = malloc(n);

            if (line == NULL)
                break;
            memcpy(line, e.key, e.klen);
            line[e.klen] = ' ';
            memcpy(line + e.klen + 1, e.value, e.vlen);
            if (am_srctable_split(line, n, &again, &why) == 1) {
                fuzz_assert(again.klen == e.klen
                            && memcmp(again.key, e.key, e.klen) == 0);
                fuzz_assert(again.vlen == e.vlen
                            && memcmp(again.value, e.value, e.vlen) == 0);
            }
            free(line);
        }
    }
    fuzz_assert(rc == 0 || rc < 0);
    am_srctable_close(st);
    am_lines_close(lr);
}

/* The split core alone, on the raw input as one line. */
static void
split(const char *data, size_t size)
{
    struct am_entry e;
    const char *why = NULL;

    if (am_srctable_split(data, size, &e, &why) == 1) {
        fuzz_assert(e.klen > 0 && e.vlen > 0);
        fuzz_assert(e.key >= data && e.key + e.klen <= data + size);
        fuzz_assert(e.value >= data && e.value + e.vlen <= data + size);
    } else {
        fuzz_assert(why != NULL);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run((const char *) data, size, 0);
    run((const char *) data, size, AM_SRC_UTF8);
    split((const char *) data, size);
    return 0;
}
