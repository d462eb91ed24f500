/* bigmem.h - large working arrays offered to transparent huge pages.
 *
 * A compile touches a few hundred bytes per entry exactly once (records,
 * sort keys, copies of folded keys), and with 4 kB pages each first touch
 * of a page is a page fault: a large share of the work at a million
 * entries, more on virtual machines, where faults are dear.  These
 * allocate with malloc and ask the kernel to back blocks of 2 MB and more
 * with huge pages (advice only: where transparent huge pages are off
 * nothing changes).  Free the result with free().
 */
#ifndef AM_FORMATS_BIGMEM_H
#define AM_FORMATS_BIGMEM_H

#include <stddef.h>

/* n elements of size bytes; NULL on overflow or when out of memory. */
void *am_bigmem_alloc(size_t n, size_t size);
/* Resize p (NULL: allocate) to n elements of size bytes; NULL on overflow
 * or when out of memory, p untouched. */
void *am_bigmem_realloc(void *p, size_t n, size_t size);

#endif
