/* atomic.h - am_atomic: replace a file so readers see the old or the new one.
 *
 * am_atomic_begin() creates a temporary file beside the target (same
 * directory, so rename() is atomic; O_EXCL and O_NOFOLLOW, mode 0600, never
 * following a symlink).  The writer fills it; am_atomic_commit() sets the
 * final mode and owner, fsyncs the file, renames it over the target and
 * fsyncs the directory.  am_atomic_abort() unlinks the temporary file.  The
 * target is never modified before commit, so a failed or killed build
 * leaves the old file byte-identical.
 */
#ifndef AM_FORMATS_ATOMIC_H
#define AM_FORMATS_ATOMIC_H

#include <sys/types.h>

#include "formats/error.h"

struct am_atomic {
    char *target;               /* final path */
    char *tmp;                  /* temporary path, NULL when done */
    int fd;                     /* open on tmp, or -1 */
    mode_t mode;                /* mode to give the file at commit */
    uid_t uid;                  /* owner at commit, (uid_t) -1 to keep */
    gid_t gid;
};

/* Create the temporary file.  mode is applied at commit.  On failure
 * nothing is left behind. */
int am_atomic_begin(struct am_atomic *a, const char *target, mode_t mode,
                    struct am_error *err);
/* Close our descriptor and unlink the file, leaving only its unused name:
 * for libraries that must create the file themselves (they should use
 * O_EXCL, which fails rather than follow a symlink planted there). */
void am_atomic_release_name(struct am_atomic *a);
/* fsync, chmod/chown, rename over the target, fsync the directory.  Always
 * finishes a: on failure the temporary file is removed. */
int am_atomic_commit(struct am_atomic *a, struct am_error *err);
/* Remove the temporary file; accepts a finished or zeroed struct. */
void am_atomic_abort(struct am_atomic *a);

#endif
