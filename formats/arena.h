/* arena.h - am_arena, a bump allocator for everything one loaded table owns.
 *
 * Allocations are never freed one by one; am_arena_free() releases them all.
 * Memory is taken from the system in growing chunks, so a table of N bytes
 * costs O(log N) mallocs.
 */
#ifndef AM_FORMATS_ARENA_H
#define AM_FORMATS_ARENA_H

#include <stddef.h>

typedef struct am_arena am_arena;

am_arena *am_arena_new(void);                       /* NULL: out of memory */
void am_arena_free(am_arena *a);                    /* accepts NULL */
/* size bytes aligned for any type; NULL when out of memory. */
void *am_arena_alloc(am_arena *a, size_t size);
/* Copy n bytes and add a NUL; NULL when out of memory. */
char *am_arena_strndup(am_arena *a, const char *s, size_t n);
/* Total bytes handed out (for statistics). */
size_t am_arena_used(const am_arena *a);

#endif
