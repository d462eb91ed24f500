/* atomic.c - temporary file, fsync, rename; see atomic.h. */
#include "formats/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <unistd.h>

static void
finish(struct am_atomic *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    free(a->tmp);
    free(a->target);
    a->tmp = NULL;
    a->target = NULL;
}

int
am_atomic_begin(struct am_atomic *a, const char *target, mode_t mode,
                struct am_error *err)
{
    const char *slash = strrchr(target, '/');
    size_t dirlen = slash ? (size_t) (slash - target + 1) : 0;
    unsigned char rnd[6];
    int tries;

    a->fd = -1;
    a->mode = mode;
    a->uid = (uid_t) -1;
    a->gid = (gid_t) -1;
    a->tmp = NULL;
    if ((a->target = strdup(target)) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    /* ".NAME.XXXXXXXXXXXX.tmp" in the target's directory. */
    for (tries = 0; tries < 100; tries++) {
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd)) {
            for (size_t i = 0; i < sizeof(rnd); i++)
                rnd[i] = (unsigned char) (rand() ^ getpid() ^ tries);
        }
        free(a->tmp);
        if (asprintf(&a->tmp, "%.*s.%s.%02x%02x%02x%02x%02x%02x.tmp",
                     (int) dirlen, target, target + dirlen, rnd[0], rnd[1],
                     rnd[2], rnd[3], rnd[4], rnd[5]) < 0) {
            a->tmp = NULL;
            finish(a);
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        }
        a->fd = open(a->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     0600);
        if (a->fd >= 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    am_error_sys(err, "create temporary file %s", a->tmp);
    finish(a);
    return AM_ERR_IO;
}

void
am_atomic_release_name(struct am_atomic *a)
{
    if (a->fd >= 0) {
        close(a->fd);
        a->fd = -1;
    }
    if (a->tmp != NULL)
        unlink(a->tmp);
}

static int
fsync_dir(const char *target, struct am_error *err)
{
    const char *slash = strrchr(target, '/');
    char *dir;
    int fd, rc = 0;

    if (slash == NULL)
        dir = strdup(".");
    else if (slash == target)
        dir = strdup("/");
    else
        dir = strndup(target, (size_t) (slash - target));
    if (dir == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0
        || fsync(fd) < 0)
        rc = am_error_sys(err, "fsync directory %s", dir);
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

int
am_atomic_commit(struct am_atomic *a, struct am_error *err)
{
    int rc = 0;

    if (a->tmp == NULL)
        return am_error_set(err, AM_ERR_INVALID, "nothing to commit");
    /* The library that wrote the file may have closed and recreated it. */
    if (a->fd < 0
        && (a->fd = open(a->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        rc = am_error_sys(err, "open %s", a->tmp);
        goto fail;
    }
    if (a->uid != (uid_t) -1 || a->gid != (gid_t) -1) {
        if (fchown(a->fd, a->uid, a->gid) < 0) {
            rc = am_error_sys(err, "chown %s", a->tmp);
            goto fail;
        }
    }
    if (fchmod(a->fd, a->mode) < 0) {
        rc = am_error_sys(err, "chmod %s", a->tmp);
        goto fail;
    }
    if (fsync(a->fd) < 0) {
        rc = am_error_sys(err, "fsync %s", a->tmp);
        goto fail;
    }
    if (rename(a->tmp, a->target) < 0) {
        rc = am_error_sys(err, "rename %s to %s", a->tmp, a->target);
        goto fail;
    }
    free(a->tmp);
    a->tmp = NULL;
    rc = fsync_dir(a->target, err);
    finish(a);
    return rc;
fail:
    am_atomic_abort(a);
    return rc;
}

void
am_atomic_abort(struct am_atomic *a)
{
    if (a->tmp != NULL)
        unlink(a->tmp);
    finish(a);
}
