/* record.c - ordering am_records for the storage engines; see record.h.
 *
 * Tables of millions of entries are sorted once per compile, so the sort is
 * an LSD radix sort on (prefix, index) pairs: four passes of 16 bits over a
 * 64-bit key prefix, then a comparison sort only inside runs of records
 * whose first 8 bytes are equal.
 */
#include "formats/record.h"
#include "formats/bigmem.h"

#include <stdlib.h>
#include <string.h>

struct sortkey {
    uint64_t prefix;
    uint32_t idx;
};

/* Byte i of the stored key: the text, then the NUL if any, then 0. */
static inline unsigned
stored_byte(const struct am_record *r, size_t i)
{
    return i < r->klen ? (unsigned char) r->key[i] : 0;
}

int
am_record_keycmp(const struct am_record *a, const struct am_record *b)
{
    size_t al = am_record_ksize(a), bl = am_record_ksize(b);
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);

    if (c != 0)
        return c;
    /* Past the common text: remaining text bytes or a NUL (0). */
    for (size_t i = n; i < al && i < bl; i++) {
        unsigned x = stored_byte(a, i), y = stored_byte(b, i);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return al < bl ? -1 : al > bl;
}

/* Stable LSD radix sort of sk[0..n) on the low `bits` bits of prefix. */
static int
radix_sort(struct sortkey *sk, size_t n, int bits, struct am_error *err)
{
    const unsigned width = 16;
    struct sortkey *tmp = am_bigmem_alloc(n, sizeof(*tmp));
    size_t *count = malloc(sizeof(size_t) << width);
    int shift;

    if (tmp == NULL || count == NULL) {
        free(tmp);
        free(count);
        return am_error_set(err, AM_ERR_NOMEM,
                            "out of memory sorting %zu records", n);
    }
    for (shift = 0; shift < bits; shift += width) {
        size_t i, sum = 0, c;

        memset(count, 0, sizeof(size_t) << width);
        for (i = 0; i < n; i++)
            count[(sk[i].prefix >> shift) & 0xffff]++;
        if (count[(sk[0].prefix >> shift) & 0xffff] == n)
            continue;               /* all equal in this digit */
        for (i = 0; i < (1u << width); i++) {
            c = count[i];
            count[i] = sum;
            sum += c;
        }
        for (i = 0; i < n; i++)
            tmp[count[(sk[i].prefix >> shift) & 0xffff]++] = sk[i];
        memcpy(sk, tmp, n * sizeof(*sk));
    }
    free(count);
    free(tmp);
    return 0;
}

/* Reorder recs so that recs[i] becomes the old recs[sk[i].idx].  With
 * room for a copy, gather into it reading ahead (the reads are random, the
 * writes sequential); otherwise in place by following cycles.  sk is
 * consumed. */
static void
permute(struct am_record *recs, struct sortkey *sk, size_t n)
{
    size_t i, j, k;
    struct am_record tmp, *out = am_bigmem_alloc(n, sizeof(*out));

    if (out != NULL) {
        for (i = 0; i < n; i++) {
            if (i + 8 < n)
                __builtin_prefetch(&recs[sk[i + 8].idx]);
            out[i] = recs[sk[i].idx];
        }
        memcpy(recs, out, n * sizeof(*out));
        free(out);
        return;
    }

    for (i = 0; i < n; i++) {
        if (sk[i].idx == UINT32_MAX || sk[i].idx == i)
            continue;
        tmp = recs[i];
        j = i;
        while ((k = sk[j].idx) != i) {
            recs[j] = recs[k];
            sk[j].idx = UINT32_MAX;
            j = k;
        }
        recs[j] = tmp;
        sk[j].idx = UINT32_MAX;
    }
}

/* The 8 stored bytes of r starting at depth, big-endian, zero padded. */
static inline uint64_t
prefix_at(const struct am_record *r, size_t depth)
{
    uint64_t p = 0;
    size_t j;

    if (depth + 8 <= r->klen) {
        const unsigned char *k = (const unsigned char *) r->key + depth;
        for (j = 0; j < 8; j++)
            p = (p << 8) | k[j];
        return p;
    }
    for (j = 0; j < 8; j++)
        p = (p << 8) | stored_byte(r, depth + j);
    return p;
}

static inline int
sk_less(const struct sortkey *a, const struct sortkey *b)
{
    return a->prefix < b->prefix || (a->prefix == b->prefix && a->idx < b->idx);
}

/* Sort a small run by (prefix, idx): insertion sort. */
static void
insertion_sort(struct sortkey *sk, size_t n)
{
    size_t i, j;
    struct sortkey x;

    for (i = 1; i < n; i++) {
        x = sk[i];
        for (j = i; j > 0 && sk_less(&x, &sk[j - 1]); j--)
            sk[j] = sk[j - 1];
        sk[j] = x;
    }
}

/* Quicksort on (prefix, idx), a total order, so stability is implied. */
static void
quick_sort(struct sortkey *sk, size_t n)
{
    while (n > 32) {
        struct sortkey pivot, t;
        size_t i = 0, j = n - 1, mid = n / 2;

        /* Median of three as the pivot. */
        if (sk_less(&sk[mid], &sk[0])) { t = sk[mid]; sk[mid] = sk[0]; sk[0] = t; }
        if (sk_less(&sk[n - 1], &sk[0])) { t = sk[n - 1]; sk[n - 1] = sk[0]; sk[0] = t; }
        if (sk_less(&sk[n - 1], &sk[mid])) { t = sk[n - 1]; sk[n - 1] = sk[mid]; sk[mid] = t; }
        pivot = sk[mid];
        for (;;) {
            while (sk_less(&sk[i], &pivot))
                i++;
            while (sk_less(&pivot, &sk[j]))
                j--;
            if (i >= j)
                break;
            t = sk[i]; sk[i] = sk[j]; sk[j] = t;
            i++;
            j--;
        }
        /* Recurse into the smaller side, loop on the larger. */
        if (j + 1 < n - j - 1) {
            quick_sort(sk, j + 1);
            sk += j + 1;
            n -= j + 1;
        } else {
            quick_sort(sk + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    insertion_sort(sk, n);
}

/* Within a run of equal padded prefixes at depth, a key that ends inside
 * the 8-byte window is a prefix of every longer one and sorts first; keys
 * ending inside it sort by length.  Stable counting sort on the length
 * class (0..8 bytes into the window, or 9: goes on); returns the index
 * where the keys that go on begin. */
static size_t
order_by_length(const struct am_record *recs, struct sortkey *sk, size_t n,
                size_t depth, struct sortkey *tmp)
{
    size_t count[11] = { 0 }, i, c;

    for (i = 0; i < n; i++) {
        size_t len = am_record_ksize(&recs[sk[i].idx]);
        c = len <= depth ? 0 : len - depth > 8 ? 9 : len - depth;
        count[c + 1]++;
    }
    if (count[10] == n)
        return 0;
    for (c = 1; c < 11; c++)
        count[c] += count[c - 1];
    for (i = 0; i < n; i++) {
        size_t len = am_record_ksize(&recs[sk[i].idx]);
        c = len <= depth ? 0 : len - depth > 8 ? 9 : len - depth;
        tmp[count[c]++] = sk[i];
    }
    memcpy(sk, tmp, n * sizeof(*sk));
    return count[8];
}

/* MSD refinement: sk[0..n) share their first `depth` stored bytes and are
 * in input order; order them by the rest of the key, stably.  Each level
 * sorts on the next 8 bytes, then recurses into runs that still tie. */
static int
sort_tail(const struct am_record *recs, struct sortkey *sk, size_t n,
          size_t depth, struct am_error *err)
{
    struct sortkey *tmp = NULL;
    size_t i, j, k;
    int rc = 0;

    for (i = 0; i < n; i++) {
        if (i + 8 < n)
        {
            const struct am_record *ahead = &recs[sk[i + 8].idx];

            __builtin_prefetch(ahead->key + (depth < ahead->klen ? depth : 0));
        }
        sk[i].prefix = prefix_at(&recs[sk[i].idx], depth);
    }
    if (n < 100000)
        quick_sort(sk, n);
    else if ((rc = radix_sort(sk, n, 64, err)) < 0)
        return rc;
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && sk[j].prefix == sk[i].prefix; j++)
            ;
        if (j - i < 2)
            continue;
        if (tmp == NULL && (tmp = am_bigmem_alloc(n, sizeof(*tmp))) == NULL)
            return am_error_set(err, AM_ERR_NOMEM,
                                "out of memory sorting %zu records", n);
        /* Short keys first, then the ones that go on, sorted deeper. */
        k = i + order_by_length(recs, sk + i, j - i, depth, tmp);
        if (j - k > 1 && (rc = sort_tail(recs, sk + k, j - k, depth + 8, err)) < 0)
            break;
    }
    free(tmp);
    return rc;
}

int
am_record_sort_keys(struct am_record *recs, size_t n, struct am_error *err)
{
    return am_record_sort_keys_from(recs, n, NULL, err);
}

int
am_record_sort_keys_from(struct am_record *recs, size_t n, uint32_t *from,
                         struct am_error *err)
{
    struct sortkey *sk;
    size_t i;
    int rc;

    if (n >= UINT32_MAX)
        return am_error_set(err, AM_ERR_LIMIT, "too many records to sort");
    if (from != NULL)
        for (i = 0; i < n; i++)
            from[i] = (uint32_t) i;
    if (n < 2)
        return 0;
    for (i = 1; i < n && am_record_keycmp(&recs[i - 1], &recs[i]) <= 0; i++)
        ;
    if (i == n)
        return 0;               /* already in order (and stable) */
    if ((sk = am_bigmem_alloc(n, sizeof(*sk))) == NULL)
        return am_error_set(err, AM_ERR_NOMEM,
                            "out of memory sorting %zu records", n);
    for (i = 0; i < n; i++)
        sk[i].idx = (uint32_t) i;
    if ((rc = sort_tail(recs, sk, n, 0, err)) == 0) {
        if (from != NULL)
            for (i = 0; i < n; i++)
                from[i] = sk[i].idx;
        permute(recs, sk, n);
    }
    free(sk);
    return rc;
}

int
am_record_sort_u32(struct am_record *recs, size_t n,
                   uint32_t (*fn)(const struct am_record *, void *),
                   void *ctx, struct am_error *err)
{
    struct sortkey *sk;
    size_t i;
    int rc;

    if (n < 2)
        return 0;
    if ((sk = am_bigmem_alloc(n, sizeof(*sk))) == NULL)
        return am_error_set(err, AM_ERR_NOMEM,
                            "out of memory sorting %zu records", n);
    for (i = 0; i < n; i++) {
        sk[i].prefix = fn(&recs[i], ctx);
        sk[i].idx = (uint32_t) i;
    }
    if ((rc = radix_sort(sk, n, 32, err)) == 0)
        permute(recs, sk, n);
    free(sk);
    return rc;
}
