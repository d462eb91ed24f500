/* bigmem.c - large working arrays offered to huge pages; see bigmem.h. */
#include "formats/bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE ((size_t) 2 << 20)

/* Advise the whole pages inside [p, p + bytes). */
static void
advise(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    static uintptr_t page;
    uintptr_t start, end;

    if (p == NULL || bytes < HUGE_PAGE)
        return;
    if (page == 0) {
        long ps = sysconf(_SC_PAGESIZE);
        page = ps > 0 ? (uintptr_t) ps : 4096;
    }
    start = ((uintptr_t) p + page - 1) & ~(page - 1);
    end = ((uintptr_t) p + bytes) & ~(page - 1);
    if (end > start)
        (void) madvise((void *) start, end - start, MADV_HUGEPAGE);
#else
    (void) p;
    (void) bytes;
#endif
}

void *
am_bigmem_alloc(size_t n, size_t size)
{
    size_t bytes;
    void *p;

    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    bytes = n * size;
    if (bytes < 2 * HUGE_PAGE)
        return malloc(bytes != 0 ? bytes : 1);
    /* Aligned to and a multiple of a huge page: every page of it can be
     * huge, not only those that happen to fall on a 2 MB boundary. */
    if (bytes > SIZE_MAX - HUGE_PAGE)
        return NULL;
    bytes = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
        return NULL;
    advise(p, bytes);
    return p;
}

void *
am_bigmem_realloc(void *p, size_t n, size_t size)
{
    size_t bytes;
    void *np;

    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    bytes = n * size;
    np = realloc(p, bytes != 0 ? bytes : 1);
    advise(np, bytes);
    return np;
}
