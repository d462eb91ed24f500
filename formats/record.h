/* record.h - am_record: one key/value pair on its way into a compiled table.
 *
 * Records point at text owned by someone else (a mapped source file, an
 * arena).  Lengths exclude the trailing NUL that Postfix stores by default;
 * AM_REC_NUL says whether this record is stored with one.  Sorting helpers
 * order records the way the storage engines want them.
 */
#ifndef AM_FORMATS_RECORD_H
#define AM_FORMATS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "formats/error.h"

enum {
    AM_REC_NUL = 1 << 0,        /* key and value stored with a trailing NUL */
};

struct am_record {
    const char *key;
    const char *val;
    uint32_t klen;              /* bytes, without the optional NUL */
    uint32_t vlen;
    uint32_t line;              /* source line, 0 when unknown */
    uint16_t src;               /* caller's index of the source file */
    uint16_t flags;             /* AM_REC_* */
};

/* Stored size of the key and value (with the NUL when AM_REC_NUL). */
static inline size_t am_record_ksize(const struct am_record *r)
{ return r->klen + (r->flags & AM_REC_NUL ? 1u : 0u); }
static inline size_t am_record_vsize(const struct am_record *r)
{ return r->vlen + (r->flags & AM_REC_NUL ? 1u : 0u); }

/* Compare stored keys as LMDB and Berkeley DB do: bytes, then length. */
int am_record_keycmp(const struct am_record *a, const struct am_record *b);

/* Sort by stored key, stable (records with equal keys keep their order).
 * Radix sort on an 8-byte prefix, then comparison sort of ties. */
int am_record_sort_keys(struct am_record *recs, size_t n, struct am_error *err);
/* The same; from (n entries, or NULL) receives for each position the
 * index its record had before the sort. */
int am_record_sort_keys_from(struct am_record *recs, size_t n, uint32_t *from,
                             struct am_error *err);

/* Stable sort by a 32-bit value computed per record by fn. */
int am_record_sort_u32(struct am_record *recs, size_t n,
                       uint32_t (*fn)(const struct am_record *, void *),
                       void *ctx, struct am_error *err);

#endif
