/* kvmap.h - am_kvmap: an immutable in-memory map from byte keys to records.
 *
 * Built once from an array of am_records with unique keys (open addressing,
 * power-of-two table, FNV-1a hashing), then only read, so it can be shared
 * between threads.  The map borrows the records and their text: the caller
 * keeps them alive until am_kvmap_free().
 */
#ifndef AM_FORMATS_KVMAP_H
#define AM_FORMATS_KVMAP_H

#include <stddef.h>

#include "formats/error.h"
#include "formats/record.h"

typedef struct am_kvmap am_kvmap;

/* Index recs[0..n) by their text key (klen bytes, NUL flag ignored). */
am_kvmap *am_kvmap_build(const struct am_record *recs, size_t n,
                         struct am_error *err);
/* The record with this key, or NULL. */
const struct am_record *am_kvmap_get(const am_kvmap *m, const char *key,
                                     size_t klen);
/* A hint that key will be looked up soon: starts fetching the memory its
 * lookup reads first, so that several lookups wait for memory together. */
void am_kvmap_prefetch(const am_kvmap *m, const char *key, size_t klen);
size_t am_kvmap_count(const am_kvmap *m);
void am_kvmap_free(am_kvmap *m);                /* accepts NULL */

#endif
