/* kvmap.c - open-addressing map over am_records; see kvmap.h.
 *
 * Most lookups of a server are for keys that are not there: every partial
 * key of the search order (stripped octets, parent domains) is tried in
 * turn.  In a big map each such probe would be a cache miss in the slot
 * array, so a small filter answers most of them first: one 64-bit word per
 * few keys, four bits set per key (a Bloom filter blocked to one word), at
 * 16 to 32 bits a key; a word read from it says "certainly absent" for all
 * but a fraction of a percent of absent keys.
 */
#include "formats/kvmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct am_kvmap {
    const struct am_record *recs;
    size_t n;
    size_t mask;                /* slots - 1 */
    uint64_t *slots;            /* high 32 bits: the key's hash; low 32:
                                 * record index + 1, 0 = empty.  The hash
                                 * spares most lookups a visit to a record
                                 * that is not theirs (a cache miss each) */
    uint64_t *filter;           /* 2^fbits words */
    unsigned fbits;
};

/* Eight bytes at a time, then a final mix so that the high bits (the
 * slot tag), the low bits (the slot) and the filter's bits all depend on
 * every byte.  The map lives in memory only, so the function may change. */
static uint64_t
hash_key(const char *key, size_t len)
{
    const uint64_t k = 0x9e3779b97f4a7c15ULL;
    uint64_t h = len * k, w;

    for (; len >= 8; key += 8, len -= 8) {
        memcpy(&w, key, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    if (len > 0) {
        /* The last 1-7 bytes without a call to memcpy: two overlapping
         * 4-byte reads, or first, middle and last byte. */
        const unsigned char *t = (const unsigned char *) key;
        uint32_t a, b;

        if (len >= 4) {
            memcpy(&a, t, 4);
            memcpy(&b, t + len - 4, 4);
            w = (uint64_t) a << 32 | b;
        } else {
            w = (uint64_t) t[0] << 16 | (uint64_t) t[len / 2] << 8
                | t[len - 1];
        }
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 31);
}

/* The filter word of hash h, and the four bits the key sets in it. */
static inline size_t
filter_word(const am_kvmap *m, uint64_t h)
{
    return (size_t) ((h * 0x9e3779b97f4a7c15ULL) >> (64 - m->fbits));
}

static inline uint64_t
filter_bits(uint64_t h)
{
    uint64_t g = h * 0x9e3779b97f4a7c15ULL;

    return (uint64_t) 1 << (g & 63) | (uint64_t) 1 << (g >> 6 & 63)
        | (uint64_t) 1 << (g >> 12 & 63) | (uint64_t) 1 << (g >> 18 & 63);
}

am_kvmap *
am_kvmap_build(const struct am_record *recs, size_t n, struct am_error *err)
{
    am_kvmap *m;
    size_t slots = 16, i, j;

    if (n > UINT32_MAX - 1) {
        am_error_set(err, AM_ERR_LIMIT, "too many entries");
        return NULL;
    }
    while (slots < n * 2)
        slots *= 2;
    if ((m = calloc(1, sizeof(*m))) == NULL)
        goto nomem;
    for (m->fbits = 1; ((size_t) 4 << m->fbits) < n; m->fbits++)
        ;
    if ((m->slots = calloc(slots, sizeof(*m->slots))) == NULL
        || (m->filter = calloc((size_t) 1 << m->fbits,
                               sizeof(*m->filter))) == NULL)
        goto nomem;
    m->recs = recs;
    m->n = n;
    m->mask = slots - 1;
    for (i = 0; i < n; i++) {
        uint64_t h = hash_key(recs[i].key, recs[i].klen);

        j = h & m->mask;
        while (m->slots[j] != 0)
            j = (j + 1) & m->mask;
        m->slots[j] = (h & 0xffffffff00000000ULL) | ((uint64_t) i + 1);
        m->filter[filter_word(m, h)] |= filter_bits(h);
    }
    return m;
nomem:
    am_kvmap_free(m);
    am_error_set(err, AM_ERR_NOMEM, "out of memory");
    return NULL;
}

const struct am_record *
am_kvmap_get(const am_kvmap *m, const char *key, size_t klen)
{
    uint64_t h = hash_key(key, klen), tag = h & 0xffffffff00000000ULL, slot;
    size_t j = h & m->mask;
    const struct am_record *r;
    uint64_t bits = filter_bits(h);

    if ((m->filter[filter_word(m, h)] & bits) != bits)
        return NULL;
    while ((slot = m->slots[j]) != 0) {
        if ((slot & 0xffffffff00000000ULL) == tag) {
            r = &m->recs[(uint32_t) slot - 1];
            if (r->klen == klen && memcmp(r->key, key, klen) == 0)
                return r;
        }
        j = (j + 1) & m->mask;
    }
    return NULL;
}

void
am_kvmap_prefetch(const am_kvmap *m, const char *key, size_t klen)
{
    __builtin_prefetch(&m->filter[filter_word(m, hash_key(key, klen))]);
}

size_t
am_kvmap_count(const am_kvmap *m)
{
    return m->n;
}

void
am_kvmap_free(am_kvmap *m)
{
    if (m == NULL)
        return;
    free(m->slots);
    free(m->filter);
    free(m);
}
