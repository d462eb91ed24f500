/* bigmem.h - large working arrays offered to transparent huge pages.
 *
 * A compile touches a few hundred bytes per entry exactly once (records,
 * sort keys, copies of folded keys), and with 4 kB pages each first touch
 * of a page is a page fault: a large share of the work at a million
 * entries, more on virtual machines, where faults are dear; and an array
 * read at random (the address index) misses the TLB on most reads.  These
 * allocate with malloc (large blocks aligned to 2 MB) and ask the kernel
 * to back them with huge pages (advice only: where transparent huge pages
 * are off nothing changes).  Free the result with free().
 */
#ifndef AM_FORMATS_BIGMEM_H
#define AM_FORMATS_BIGMEM_H

#include <stddef.h>

/* n elements of size bytes; NULL on overflow or when out of memory.
 * Blocks of 4 MB and more are 2 MB aligned and rounded up to 2 MB. */
void *am_bigmem_alloc(size_t n, size_t size);
/* Resize p (NULL: allocate) to n elements of size bytes; NULL on overflow
 * or when out of memory, p untouched. */
void *am_bigmem_realloc(void *p, size_t n, size_t size);

#endif
