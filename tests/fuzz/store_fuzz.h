/* store_fuzz.h - the body of the compiled-table harnesses (fuzz_store_*).
 *
 * The input is written as a compiled table (TMPDIR/am-fuzz-PID.db, .lmdb
 * or .cdb) and read through the am_store API the way the CLI and server
 * do: open, look up some keys, visit every record, look each visited key
 * up again.  A damaged or hostile file may give errors; it must not crash,
 * hang or read outside what the library returns.  Every byte handed back
 * is read, so a bad length shows up under ASan or valgrind.
 */
#ifndef AM_TESTS_STORE_FUZZ_H
#define AM_TESTS_STORE_FUZZ_H

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "formats/store.h"
#include "tests/fuzz/fuzz.h"

#define STORE_FUZZ_KEYS 32

struct visit {
    unsigned sum;               /* touches every byte */
    size_t nkeys;
    char *keys[STORE_FUZZ_KEYS];
    size_t klens[STORE_FUZZ_KEYS];
};

static unsigned
touch(const char *p, size_t len)
{
    unsigned s = 0;
    size_t i;

    for (i = 0; i < len; i++)
        s = s * 31 + (unsigned char) p[i];
    return s;
}

static int
visit_one(void *ctx, const char *key, size_t klen, const char *val,
          size_t vlen)
{
    struct visit *v = ctx;

    v->sum += touch(key, klen) + touch(val, vlen);
    if (v->nkeys < STORE_FUZZ_KEYS
        && (v->keys[v->nkeys] = malloc(klen > 0 ? klen : 1)) != NULL) {
        memcpy(v->keys[v->nkeys], key, klen);
        v->klens[v->nkeys++] = klen;
    }
    return 0;
}

static void
lookup(am_store *s, const char *key, size_t klen, unsigned *sum)
{
    struct am_error err;
    const char *val;
    size_t vlen;

    if (am_store_get(s, key, klen, &val, &vlen, &err) == 1)
        *sum += touch(val, vlen);
}

static void
read_table(int type, const char *base)
{
    static const char *keys[] = { "example.com", "1.2.3.4", "a", "" };
    struct am_error err;
    struct visit v;
    am_store *s;
    size_t i;
    int flags;

    for (flags = AM_STORE_NUL_AUTO; flags <= AM_STORE_NUL_WITHOUT; flags++) {
        memset(&v, 0, sizeof(v));
        if ((s = am_store_open(type, base, flags, &err)) == NULL) {
            fuzz_assert(err.code < 0 && err.msg[0] != '\0');
            return;
        }
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            lookup(s, keys[i], strlen(keys[i]), &v.sum);
        if (am_store_each(s, visit_one, &v, &err) < 0)
            fuzz_assert(err.msg[0] != '\0');
        for (i = 0; i < v.nkeys; i++) {
            /* Stored keys may carry the NUL; look them up as given. */
            size_t klen = v.klens[i];

            if (klen > 0 && v.keys[i][klen - 1] == '\0')
                klen--;
            lookup(s, v.keys[i], klen, &v.sum);
            free(v.keys[i]);
        }
        am_store_close(s);
    }
}

static int
store_fuzz(int type, const uint8_t *data, size_t size)
{
    static char base[256], file[300];
    size_t off = 0;
    ssize_t n;
    int fd;

    if (base[0] == '\0') {
        const char *tmp = getenv("TMPDIR");

        snprintf(base, sizeof(base), "%s/am-fuzz-%ld",
                 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", (long) getpid());
    }
    snprintf(file, sizeof(file), "%s%s", base, am_store_suffix(type));
    if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        fuzz_fail("cannot create the table file");
    while (off < size) {
        if ((n = write(fd, data + off, size - off)) <= 0)
            fuzz_fail("cannot write the table file");
        off += (size_t) n;
    }
    close(fd);
    read_table(type, base);
    unlink(file);
    return 0;
}

#endif
