/* loop.h - am_loop: a small epoll event loop (file descriptors and timers).
 *
 * Watches and timers are owned by the caller, usually embedded in the
 * object they serve, so adding one never allocates.  Callbacks run on the
 * thread that calls am_loop_run_once(); a callback may add, change or
 * remove any watch or timer, its own included.  The loop owns only its
 * epoll descriptor.
 */
#ifndef AM_ENGINE_LOOP_H
#define AM_ENGINE_LOOP_H

#include <stdint.h>

#include "formats/error.h"

enum {
    AM_LOOP_IN = 1,             /* readable (or EOF, or error) */
    AM_LOOP_OUT = 2,            /* writable */
};

typedef struct am_loop am_loop;
struct am_loop_watch;
struct am_loop_timer;

/* events: AM_LOOP_IN/OUT that are ready; errors and hangups are reported
 * as AM_LOOP_IN so that the reader sees them. */
typedef void am_loop_fd_fn(struct am_loop_watch *w, unsigned events);
typedef void am_loop_timer_fn(struct am_loop_timer *t);

struct am_loop_watch {
    int fd;
    unsigned events;            /* what is asked for; managed by the loop */
    am_loop_fd_fn *fn;
    void *ctx;                  /* for the callback */
};

struct am_loop_timer {
    uint64_t when;              /* loop-private: due time, ms */
    am_loop_timer_fn *fn;
    void *ctx;
    struct am_loop_timer *next; /* loop-private */
    int armed;                  /* loop-private */
};

am_loop *am_loop_new(struct am_error *err);
void am_loop_free(am_loop *l);                  /* accepts NULL */

/* Start watching w->fd for events (AM_LOOP_IN|AM_LOOP_OUT, may be 0). */
int am_loop_watch_add(am_loop *l, struct am_loop_watch *w, unsigned events,
                      struct am_error *err);
/* Change the events of a watch; a no-op when they are unchanged. */
int am_loop_watch_set(am_loop *l, struct am_loop_watch *w, unsigned events,
                      struct am_error *err);
/* Stop watching (before closing the descriptor).  Events already
 * collected for w in this round are dropped. */
void am_loop_watch_del(am_loop *l, struct am_loop_watch *w);

/* Run t->fn once, after ms milliseconds (re-arming moves it). */
void am_loop_timer_set(am_loop *l, struct am_loop_timer *t, uint64_t ms);
void am_loop_timer_cancel(am_loop *l, struct am_loop_timer *t);

/* Monotonic milliseconds, as cached at the start of the current round. */
uint64_t am_loop_now(const am_loop *l);

/* Wait for events for at most max_ms (-1: until a timer or event), then
 * run their callbacks and the due timers.  Returns the number of events
 * handled, or AM_ERR_IO (EINTR is not an error: returns 0). */
int am_loop_run_once(am_loop *l, int max_ms, struct am_error *err);

#endif
