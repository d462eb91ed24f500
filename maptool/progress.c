/* progress.c - progress indicator; see progress.h. */
#include "maptool/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_MIN_BYTES (16u << 20)

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void
progress_init(struct progress *p, const char *label, size_t size)
{
    p->label = label;
    p->phase = "reading";
    p->enabled = size >= PROGRESS_MIN_BYTES && isatty(STDERR_FILENO);
    p->shown = 0;
    p->last = 0;
}

void
progress_phase(struct progress *p, const char *phase)
{
    p->phase = phase;
    p->last = 0;
}

void
progress_update(void *ctx, size_t done, size_t total)
{
    struct progress *p = ctx;
    double t;

    if (!p->enabled || total == 0)
        return;
    t = now();
    if (t - p->last < 0.2)
        return;
    p->last = t;
    fprintf(stderr, "\r\033[Kaccessmap: %s: %s %3u%%", p->label, p->phase,
            (unsigned) (done * 100 / total));
    p->shown = 1;
}

void
progress_done(struct progress *p)
{
    if (p->shown)
        fprintf(stderr, "\r\033[K");
    p->shown = 0;
}
