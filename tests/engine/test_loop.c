/* test_loop.c - am_loop: fd events, removal of watches mid-round, timers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/loop.h"

static am_loop *loop;
static int calls[4];
static struct am_loop_watch watches[2];
static int pipes[2][2];

static void
on_read(struct am_loop_watch *w, unsigned events)
{
    int i = (int)(w - watches);
    char c;

    assert_true(events & AM_LOOP_IN);
    calls[i]++;
    assert_int_equal(read(w->fd, &c, 1), 1);
    /* the first one to run removes the other, whose event is pending */
    am_loop_watch_del(loop, &watches[1 - i]);
}

static void
test_watch_removed_mid_round(void **state)
{
    struct am_error err;
    int i;

    (void)state;
    assert_non_null(loop = am_loop_new(&err));
    for (i = 0; i < 2; i++) {
        assert_int_equal(pipe(pipes[i]), 0);
        watches[i].fd = pipes[i][0];
        watches[i].fn = on_read;
        assert_int_equal(am_loop_watch_add(loop, &watches[i], AM_LOOP_IN, &err), 0);
        assert_int_equal(write(pipes[i][1], "x", 1), 1);
    }
    calls[0] = calls[1] = 0;
    assert_true(am_loop_run_once(loop, 1000, &err) >= 1);
    /* exactly one callback ran: the other watch was removed before its turn */
    assert_int_equal(calls[0] + calls[1], 1);
    for (i = 0; i < 2; i++) {
        close(pipes[i][0]);
        close(pipes[i][1]);
    }
    am_loop_free(loop);
}

static int order[8], norder;

static void
on_timer(struct am_loop_timer *t)
{
    order[norder++] = (int)(intptr_t)t->ctx;
}

static void
test_timers(void **state)
{
    struct am_loop_timer t[3];
    struct am_error err;
    int i;

    (void)state;
    assert_non_null(loop = am_loop_new(&err));
    memset(t, 0, sizeof(t));
    for (i = 0; i < 3; i++) {
        t[i].fn = on_timer;
        t[i].ctx = (void *)(intptr_t)i;
    }
    norder = 0;
    am_loop_timer_set(loop, &t[0], 30);
    am_loop_timer_set(loop, &t[1], 10);
    am_loop_timer_set(loop, &t[2], 20);
    am_loop_timer_cancel(loop, &t[2]);
    am_loop_timer_set(loop, &t[0], 5);      /* re-arming moves it */
    while (norder < 2)
        assert_true(am_loop_run_once(loop, -1, &err) >= 0);
    assert_int_equal(order[0], 0);
    assert_int_equal(order[1], 1);
    /* nothing else is due: a bounded wait returns with no timer run */
    assert_int_equal(am_loop_run_once(loop, 30, &err), 0);
    assert_int_equal(norder, 2);
    am_loop_timer_cancel(loop, &t[0]);      /* cancelling twice is fine */
    am_loop_free(loop);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watch_removed_mid_round),
        cmocka_unit_test(test_timers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
