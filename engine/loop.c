/* loop.c - am_loop on Linux epoll.
 *
 * Removed watches: a callback may remove (and free) another watch whose
 * event is still in this round's list.  Each slot of the list is checked
 * against a small table of watches removed during the round, so a freed
 * watch is never touched.  Timers are a short list sorted by due time:
 * a server has a handful (sweeps, reload delays), not one per connection.
 */
#include "engine/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256

struct am_loop {
    int epfd;
    uint64_t now;
    struct am_loop_timer *timers;   /* sorted by when */
    struct epoll_event ev[MAX_EVENTS];
    int nev, cur;                   /* this round's events */
};

static uint64_t
clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

am_loop *
am_loop_new(struct am_error *err)
{
    am_loop *l = calloc(1, sizeof(*l));

    if (l == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        am_error_sys(err, "epoll_create1");
        free(l);
        return NULL;
    }
    l->now = clock_ms();
    return l;
}

void
am_loop_free(am_loop *l)
{
    if (l == NULL)
        return;
    close(l->epfd);
    free(l);
}

static uint32_t
epoll_bits(unsigned events)
{
    return (events & AM_LOOP_IN ? EPOLLIN | EPOLLRDHUP : 0)
           | (events & AM_LOOP_OUT ? EPOLLOUT : 0);
}

int
am_loop_watch_add(am_loop *l, struct am_loop_watch *w, unsigned events,
                  struct am_error *err)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = epoll_bits(events);
    ev.data.ptr = w;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
        return am_error_sys(err, "epoll_ctl add fd %d", w->fd);
    w->events = events;
    return 0;
}

int
am_loop_watch_set(am_loop *l, struct am_loop_watch *w, unsigned events,
                  struct am_error *err)
{
    struct epoll_event ev;

    if (events == w->events)
        return 0;
    memset(&ev, 0, sizeof(ev));
    ev.events = epoll_bits(events);
    ev.data.ptr = w;
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
        return am_error_sys(err, "epoll_ctl mod fd %d", w->fd);
    w->events = events;
    return 0;
}

void
am_loop_watch_del(am_loop *l, struct am_loop_watch *w)
{
    int i;

    epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    /* forget events of this round not yet delivered */
    for (i = l->cur; i < l->nev; i++)
        if (l->ev[i].data.ptr == w)
            l->ev[i].data.ptr = NULL;
}

void
am_loop_timer_cancel(am_loop *l, struct am_loop_timer *t)
{
    struct am_loop_timer **pp;

    if (!t->armed)
        return;
    for (pp = &l->timers; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    t->armed = 0;
}

void
am_loop_timer_set(am_loop *l, struct am_loop_timer *t, uint64_t ms)
{
    struct am_loop_timer **pp;

    am_loop_timer_cancel(l, t);
    t->when = clock_ms() + ms;
    for (pp = &l->timers; *pp && (*pp)->when <= t->when; pp = &(*pp)->next)
        ;
    t->next = *pp;
    *pp = t;
    t->armed = 1;
}

uint64_t
am_loop_now(const am_loop *l)
{
    return l->now;
}

int
am_loop_run_once(am_loop *l, int max_ms, struct am_error *err)
{
    int n, wait = max_ms;
    struct am_loop_timer *t;

    if (l->timers) {
        uint64_t now = clock_ms();
        int due = l->timers->when <= now ? 0 : (int)(l->timers->when - now);
        if (wait < 0 || due < wait)
            wait = due;
    }
    n = epoll_wait(l->epfd, l->ev, MAX_EVENTS, wait);
    l->now = clock_ms();
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        return am_error_sys(err, "epoll_wait");
    }
    l->nev = n;
    for (l->cur = 0; l->cur < l->nev; l->cur++) {
        struct am_loop_watch *w = l->ev[l->cur].data.ptr;
        uint32_t e = l->ev[l->cur].events;
        unsigned what = 0;

        if (w == NULL)
            continue;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            what |= AM_LOOP_IN;
        if (e & EPOLLOUT)
            what |= AM_LOOP_OUT;
        what &= w->events | AM_LOOP_IN;
        if (what)
            w->fn(w, what);
    }
    l->nev = l->cur = 0;
    while ((t = l->timers) != NULL && t->when <= l->now) {
        l->timers = t->next;
        t->armed = 0;
        t->fn(t);
    }
    return n;
}
