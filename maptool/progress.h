/* progress.h - a one-line progress indicator on stderr, for terminals only.
 *
 * Shown when stderr is a terminal and the work is large; updated at most
 * five times a second; erased when done.  Silent otherwise, so logs and
 * pipes never see it.
 */
#ifndef AM_MAPTOOL_PROGRESS_H
#define AM_MAPTOOL_PROGRESS_H

#include <stddef.h>

struct progress {
    const char *label;          /* e.g. the table name */
    const char *phase;          /* "reading", "writing" */
    int enabled;
    int shown;                  /* something is on the line */
    double last;                /* time of the last update */
};

/* Enable when stderr is a tty and size (bytes of input) is large. */
void progress_init(struct progress *p, const char *label, size_t size);
void progress_phase(struct progress *p, const char *phase);
/* Callback shape used by formats/: done out of total. */
void progress_update(void *ctx, size_t done, size_t total);
void progress_done(struct progress *p);

#endif
