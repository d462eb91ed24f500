/* arena.c - am_arena bump allocator; see arena.h. */
#include "formats/arena.h"
#include "formats/bigmem.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
    struct chunk *next;
    size_t size;                /* usable bytes in data[] */
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

struct am_arena {
    struct chunk *head;         /* current chunk; older ones follow */
    size_t next_size;           /* size of the next chunk to allocate */
    size_t used;                /* bytes handed out */
};

am_arena *
am_arena_new(void)
{
    am_arena *a = calloc(1, sizeof(*a));

    if (a != NULL)
        a->next_size = 64 * 1024;
    return a;
}

void
am_arena_free(am_arena *a)
{
    struct chunk *c, *next;

    if (a == NULL)
        return;
    for (c = a->head; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

void *
am_arena_alloc(am_arena *a, size_t size)
{
    const size_t align = alignof(max_align_t);
    struct chunk *c = a->head;
    size_t off, csize;
    void *p;

    if (size > SIZE_MAX / 2)
        return NULL;
    if (c != NULL) {
        off = (c->used + align - 1) & ~(align - 1);
        if (off <= c->size && size <= c->size - off) {
            p = c->data + off;
            c->used = off + size;
            a->used += size;
            return p;
        }
    }
    csize = a->next_size;
    while (csize < size)
        csize *= 2;
    if ((c = am_bigmem_alloc(1, sizeof(*c) + csize)) == NULL)
        return NULL;
    c->size = csize;
    c->used = size;
    c->next = a->head;
    a->head = c;
    if (a->next_size < 64 * 1024 * 1024)
        a->next_size *= 2;
    a->used += size;
    return c->data;
}

char *
am_arena_strndup(am_arena *a, const char *s, size_t n)
{
    char *p = am_arena_alloc(a, n + 1);

    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

size_t
am_arena_used(const am_arena *a)
{
    return a->used;
}
