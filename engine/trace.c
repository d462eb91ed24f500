/* trace.c - recording the probes of a query; see trace.h. */
#include "engine/trace.h"

#include <stdlib.h>
#include <string.h>

#include "formats/arena.h"

struct am_trace {
    am_arena *arena;            /* copies of keys, values, file names */
    struct am_trace_step *steps;
    size_t n, cap;
};

am_trace *
am_trace_new(struct am_error *err)
{
    am_trace *tr = calloc(1, sizeof(*tr));

    if (tr == NULL || (tr->arena = am_arena_new()) == NULL) {
        free(tr);
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return tr;
}

void
am_trace_free(am_trace *tr)
{
    if (tr == NULL)
        return;
    am_arena_free(tr->arena);
    free(tr->steps);
    free(tr);
}

void
am_trace_reset(am_trace *tr)
{
    am_arena_free(tr->arena);
    tr->arena = am_arena_new();
    tr->n = 0;
}

static const char *
copy(am_trace *tr, const char *s)
{
    return s == NULL ? NULL : am_arena_strndup(tr->arena, s, strlen(s));
}

int
am_trace_add(am_trace *tr, const struct am_trace_step *step)
{
    struct am_trace_step *s;

    if (tr->arena == NULL)
        return AM_ERR_NOMEM;
    if (tr->n == tr->cap) {
        size_t ncap = tr->cap ? tr->cap * 2 : 32;
        if ((s = realloc(tr->steps, ncap * sizeof(*s))) == NULL)
            return AM_ERR_NOMEM;
        tr->steps = s;
        tr->cap = ncap;
    }
    s = &tr->steps[tr->n];
    *s = *step;
    s->key = copy(tr, step->key);
    s->value = copy(tr, step->value);
    s->loc.file = copy(tr, step->loc.file);
    if ((step->key && !s->key) || (step->value && !s->value)
        || (step->loc.file && !s->loc.file))
        return AM_ERR_NOMEM;
    tr->n++;
    return 0;
}

size_t
am_trace_count(const am_trace *tr)
{
    return tr->n;
}

const struct am_trace_step *
am_trace_step(const am_trace *tr, size_t i)
{
    return i < tr->n ? &tr->steps[i] : NULL;
}
