/* netindex.c - painted address segments and a lookup tree; see netindex.h.
 *
 * Build: every interval becomes a start and an end event; the events are
 * radix-sorted and swept with a heap of the rules in force, which gives the
 * disjoint segments of each family with the winning payload.  Lookup: a
 * tree of direct-indexed tables over the segment starts.  Each inner node
 * checks the key against the bits all its segments share (so clustered
 * data such as one /32 of IPv6 costs no empty levels), then indexes a table
 * of child slots by the next few bits, sized to about two segments per
 * slot.  A leaf slot names the segment covering its first address, and the
 * answer is found by a three-step search, without branches, among the next
 * seven segment starts; a slot that lies inside one segment holds
 * that segment's answer itself, which spares the lookup a second read.
 */
#include "engine/netindex.h"

#include <stdlib.h>
#include <string.h>

#include "formats/bigmem.h"
#include "formats/buf.h"

/* A slot value is a node number, or (LEAF_FLAG) the first of the
 * segments to scan, or (LEAF_FLAG | DIRECT_FLAG) when one segment covers
 * the slot's whole block, the answer itself: DIRECT_NONE for none. */
#define LEAF_FLAG 0x80000000u
#define DIRECT_FLAG 0x40000000u
#define DIRECT_NONE 0x3fffffffu
#define MAX_SEGMENTS DIRECT_FLAG
/* Segments a leaf may add to its first: 7, so that the answer is found in
 * three halving steps (see leaf_step()). */
#define LEAF4 7
#define LEAF6 7
#define SLACK 1                 /* aim at 2^SLACK segments per slot */
#define MAX_STRIDE 20           /* bits indexed by one node at most */
#define SMALL_SORT 2048         /* below this, sort events with qsort */

/* ---- builder ---- */

struct interval {
    struct am_u128 lo, hi;
    uint32_t rule;
};

struct am_netindex_builder {
    uint64_t *prio;             /* per rule */
    uint32_t *payload;          /* per rule */
    size_t nrules, caprules;
    struct interval *iv[2];     /* per family: [0] IPv4, [1] IPv6 */
    size_t niv[2], capiv[2];
    int failed;                 /* an add failed: refuse to build */
};

/* ---- index ---- */

struct seg4 {
    uint32_t start;
    uint32_t payload;
};

struct seg6 {
    uint64_t hi, lo;            /* start */
    uint32_t payload;
};

struct node4 {
    uint32_t prefix, mask;      /* bits every key below this node shares */
    uint32_t below, above;      /* answers for keys outside the prefix */
    uint32_t slots;             /* first child slot */
    uint32_t imask;             /* (1 << bits) - 1 */
    uint32_t shift;             /* child index = (key >> shift) & imask */
};

struct node6 {
    struct am_u128 prefix, mask;
    uint32_t below, above;
    uint32_t slots;
    uint32_t imask;
    uint32_t shift;
};

struct am_netindex {
    struct seg4 *seg4;          /* nseg4 segments + LEAF4 padding */
    struct node4 *node4;
    uint32_t *slot4;
    struct seg6 *seg6;          /* nseg6 segments + LEAF6 padding */
    struct node6 *node6;
    uint32_t *slot6;
    size_t nseg[2], nnode[2], nslot[2];
    uint32_t root[2];           /* slot value for the whole family */
    unsigned depth[2];
};

/* The generic form of the tree while it is built. */
struct tree {
    const uint32_t *payload;    /* per segment */
    struct node6 *nodes;
    size_t nnodes, capnodes;
    uint32_t *slots;
    size_t nslots, capslots;
    unsigned depth;
};

static int
fam_index(int family)
{
    return family == AM_ADDR_V4 ? 0 : family == AM_ADDR_V6 ? 1 : -1;
}

am_netindex_builder *
am_netindex_builder_new(struct am_error *err)
{
    am_netindex_builder *b = calloc(1, sizeof(*b));

    if (b == NULL)
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
    return b;
}

void
am_netindex_builder_free(am_netindex_builder *b)
{
    if (b == NULL)
        return;
    free(b->prio);
    free(b->payload);
    free(b->iv[0]);
    free(b->iv[1]);
    free(b);
}

int
am_netindex_add(am_netindex_builder *b, const struct am_range *ranges,
                size_t n, uint64_t priority, uint32_t payload,
                struct am_error *err)
{
    size_t i;
    int f;

    if (b->failed)
        return am_error_set(err, AM_ERR_INVALID,
                            "index builder already failed");
    if (payload == AM_NETINDEX_NONE)
        return am_error_set(err, AM_ERR_INVALID,
                            "payload %u is reserved", AM_NETINDEX_NONE);
    for (i = 0; i < n; i++) {
        f = fam_index(ranges[i].family);
        if (f < 0 || am_u128_cmp(ranges[i].lo, ranges[i].hi) > 0
            || am_u128_cmp(ranges[i].hi,
                           am_range_family_max(ranges[i].family)) > 0)
            return am_error_set(err, AM_ERR_INVALID,
                                "bad interval for the address index");
    }
    if (b->nrules >= AM_NETINDEX_MAX_RULES
        || b->niv[0] + b->niv[1] + n >= AM_NETINDEX_MAX_RULES) {
        b->failed = 1;
        return am_error_set(err, AM_ERR_LIMIT,
                            "too many rules for the address index");
    }
    if (b->nrules == b->caprules) {
        size_t ncap = b->caprules ? 2 * b->caprules : 16;
        uint64_t *np;
        uint32_t *nq;

        if ((np = realloc(b->prio, ncap * sizeof(*np))) == NULL)
            goto nomem;
        b->prio = np;
        if ((nq = realloc(b->payload, ncap * sizeof(*nq))) == NULL)
            goto nomem;
        b->payload = nq;
        b->caprules = ncap;
    }
    for (i = 0; i < n; i++) {
        f = fam_index(ranges[i].family);
        struct interval *nv = am_array_grow(b->iv[f], &b->capiv[f], b->niv[f] + 1,
                                   sizeof(*nv));

        if (nv == NULL)
            goto nomem;
        b->iv[f] = nv;
        b->iv[f][b->niv[f]].lo = ranges[i].lo;
        b->iv[f][b->niv[f]].hi = ranges[i].hi;
        b->iv[f][b->niv[f]].rule = (uint32_t) b->nrules;
        b->niv[f]++;
    }
    b->prio[b->nrules] = priority;
    b->payload[b->nrules] = payload;
    b->nrules++;
    return 0;
nomem:
    b->failed = 1;
    return am_error_set(err, AM_ERR_NOMEM, "out of memory");
}

/* ---- painting ---- */

struct event {
    struct am_u128 at;
    uint32_t tag;               /* rule << 1 | 1 for a start */
};

static int
cmp_event(const void *pa, const void *pb)
{
    const struct event *a = pa, *b = pb;

    return am_u128_cmp(a->at, b->at);
}

/* 16-bit digit d (0 = lowest) of v. */
static inline unsigned
digit(struct am_u128 v, unsigned d)
{
    return (unsigned) ((d < 4 ? v.lo >> (16 * d) : v.hi >> (16 * (d - 4)))
                       & 0xffff);
}

/* Sort events by position: LSD radix on 16-bit digits, skipping digits
 * that no two events differ in.  tmp has room for n events. */
static int
sort_events(struct event *ev, size_t n, struct event **out)
{
    struct event *src = ev, *dst, *t;
    struct am_u128 vary = { 0, 0 };
    size_t *count, i, sum, c;
    unsigned d;

    *out = ev;
    if (n < SMALL_SORT) {
        qsort(ev, n, sizeof(*ev), cmp_event);
        return 0;
    }
    for (i = 1; i < n; i++) {
        vary.hi |= ev[i].at.hi ^ ev[0].at.hi;
        vary.lo |= ev[i].at.lo ^ ev[0].at.lo;
    }
    if ((dst = malloc(n * sizeof(*dst))) == NULL)
        return -1;
    if ((count = malloc(65536 * sizeof(*count))) == NULL) {
        free(dst);
        return -1;
    }
    for (d = 0; d < 8; d++) {
        if (digit(vary, d) == 0)
            continue;
        memset(count, 0, 65536 * sizeof(*count));
        for (i = 0; i < n; i++)
            count[digit(src[i].at, d)]++;
        for (sum = 0, i = 0; i < 65536; i++) {
            c = count[i];
            count[i] = sum;
            sum += c;
        }
        for (i = 0; i < n; i++)
            dst[count[digit(src[i].at, d)]++] = src[i];
        t = src;
        src = dst;
        dst = t;
    }
    free(count);
    /* src holds the result; free whichever buffer is the other one. */
    if (src == ev) {
        free(dst);
    } else {
        free(ev);
        *out = src;
    }
    return 0;
}

/* Binary min-heap of rule numbers ordered by (priority, rule). */
struct heap {
    uint32_t *v;
    size_t n;
    const uint64_t *prio;
};

static inline int
heap_less(const struct heap *h, uint32_t a, uint32_t b)
{
    return h->prio[a] != h->prio[b] ? h->prio[a] < h->prio[b] : a < b;
}

static void
heap_push(struct heap *h, uint32_t r)
{
    size_t i = h->n++, up;

    while (i > 0) {
        up = (i - 1) / 2;
        if (!heap_less(h, r, h->v[up]))
            break;
        h->v[i] = h->v[up];
        i = up;
    }
    h->v[i] = r;
}

static void
heap_pop(struct heap *h)
{
    uint32_t last = h->v[--h->n];
    size_t i = 0, c;

    for (;;) {
        c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && heap_less(h, h->v[c + 1], h->v[c]))
            c++;
        if (!heap_less(h, h->v[c], last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0)
        h->v[i] = last;
}

/* Paint family f: fills *starts and *pays with *nseg segments (the first
 * starts at 0), neighbours differing in payload. */
static int
paint(const am_netindex_builder *b, int f, struct am_u128 **starts,
      uint32_t **pays, size_t *nseg)
{
    const struct interval *iv = b->iv[f];
    struct am_u128 max = am_range_family_max(f == 0 ? AM_ADDR_V4
                                             : AM_ADDR_V6);
    struct event *ev = NULL;
    uint32_t *cnt = NULL, best;
    unsigned char *inheap = NULL;
    struct heap h = { NULL, 0, b->prio };
    size_t nev = 0, i, j, n = 0, cap = 0;
    struct am_u128 *st = NULL;
    uint32_t *py = NULL;
    int rc = -1;

    if ((ev = malloc((2 * b->niv[f] + 1) * sizeof(*ev))) == NULL
        || (cnt = calloc(b->nrules + 1, sizeof(*cnt))) == NULL
        || (inheap = calloc(b->nrules + 1, 1)) == NULL
        || (h.v = malloc((b->nrules + 1) * sizeof(*h.v))) == NULL)
        goto out;
    for (i = 0; i < b->niv[f]; i++) {
        ev[nev].at = iv[i].lo;
        ev[nev++].tag = iv[i].rule << 1 | 1;
        if (!am_u128_eq(iv[i].hi, max)) {
            ev[nev].at = am_u128_inc(iv[i].hi);
            ev[nev++].tag = iv[i].rule << 1;
        }
    }
    if (sort_events(ev, nev, &ev) < 0)
        goto out;

    cap = 64;
    if ((st = malloc(cap * sizeof(*st))) == NULL
        || (py = malloc(cap * sizeof(*py))) == NULL)
        goto out;
    st[0].hi = st[0].lo = 0;
    py[0] = AM_NETINDEX_NONE;
    n = 1;
    for (i = 0; i < nev; i = j) {
        for (j = i; j < nev && am_u128_eq(ev[j].at, ev[i].at); j++) {
            uint32_t r = ev[j].tag >> 1;

            if (ev[j].tag & 1) {
                if (cnt[r]++ == 0 && !inheap[r]) {
                    inheap[r] = 1;
                    heap_push(&h, r);
                }
            } else {
                cnt[r]--;
            }
        }
        while (h.n > 0 && cnt[h.v[0]] == 0) {
            inheap[h.v[0]] = 0;
            heap_pop(&h);
        }
        best = h.n > 0 ? b->payload[h.v[0]] : AM_NETINDEX_NONE;
        if (am_u128_eq(st[n - 1], ev[i].at)) {
            py[n - 1] = best;           /* only ever at address 0 */
            continue;
        }
        if (py[n - 1] == best)
            continue;
        if (n == cap) {
            struct am_u128 *nst;
            uint32_t *npy;

            if ((nst = realloc(st, 2 * cap * sizeof(*st))) == NULL)
                goto out;
            st = nst;
            if ((npy = realloc(py, 2 * cap * sizeof(*py))) == NULL)
                goto out;
            py = npy;
            cap *= 2;
        }
        if (n >= MAX_SEGMENTS)
            goto out;
        st[n] = ev[i].at;
        py[n] = best;
        n++;
    }
    *starts = st;
    *pays = py;
    *nseg = n;
    st = NULL;
    py = NULL;
    rc = 0;
out:
    free(ev);
    free(cnt);
    free(inheap);
    free(h.v);
    free(st);
    free(py);
    return rc;
}

/* ---- the lookup tree ---- */

/* v << s for s < 128. */
static struct am_u128
shl(struct am_u128 v, unsigned s)
{
    struct am_u128 r;

    if (s == 0)
        return v;
    if (s >= 64) {
        r.hi = v.lo << (s - 64);
        r.lo = 0;
    } else {
        r.hi = v.hi << s | v.lo >> (64 - s);
        r.lo = v.lo << s;
    }
    return r;
}

/* Leading bits that a and b (w-bit values) share. */
static unsigned
common_prefix(struct am_u128 a, struct am_u128 b, unsigned w)
{
    uint64_t hi = a.hi ^ b.hi, lo = a.lo ^ b.lo;

    if (w == 32)
        return lo == 0 ? 32 : (unsigned) __builtin_clzll(lo) - 32;
    if (hi != 0)
        return (unsigned) __builtin_clzll(hi);
    return lo == 0 ? 128 : 64 + (unsigned) __builtin_clzll(lo);
}

static unsigned
ceil_log2(size_t m)
{
    unsigned k = 0;

    while (((size_t) 1 << k) < m)
        k++;
    return k;
}

/* Build the slot value for an aligned block of a w-bit space, whose
 * segments are s0 (covering the block's first address) to s1 (the last
 * one starting inside it). */
static int
build_node(struct tree *t, const struct am_u128 *st, size_t n, unsigned w,
           unsigned leafmax, size_t s0, size_t s1,
           unsigned level, uint32_t *out)
{
    struct am_u128 first, last, lowmask, cb, ce;
    struct node6 *nodes;
    uint32_t *slots;
    size_t m = s1 - s0, j, k, c, nslots, node, slot0;
    unsigned p, bits, shift;
    uint32_t v;

    if (m == 0 && (t->payload[s0] < DIRECT_NONE
                   || t->payload[s0] == AM_NETINDEX_NONE)) {
        *out = LEAF_FLAG | DIRECT_FLAG | (t->payload[s0] & DIRECT_NONE);
        return 0;
    }
    if (m <= leafmax) {
        *out = LEAF_FLAG | (uint32_t) s0;
        return 0;
    }
    if (level + 1 > t->depth)
        t->depth = level + 1;
    first = st[s0 + 1];
    last = st[s1];
    p = common_prefix(first, last, w);
    bits = ceil_log2(m);
    bits = bits > SLACK + 1 ? bits - SLACK : 1;
    if (bits > MAX_STRIDE)
        bits = MAX_STRIDE;
    if (bits > w - p)
        bits = w - p;
    shift = w - p - bits;
    nslots = (size_t) 1 << bits;
    if ((nodes = am_array_grow(t->nodes, &t->capnodes, t->nnodes + 1,
                      sizeof(*nodes))) == NULL)
        return -1;
    t->nodes = nodes;
    if ((slots = am_array_grow(t->slots, &t->capslots, t->nslots + nslots,
                      sizeof(*slots))) == NULL)
        return -1;
    t->slots = slots;
    if (t->nnodes >= LEAF_FLAG || t->nslots + nslots >= UINT32_MAX)
        return -1;
    node = t->nnodes++;
    slot0 = t->nslots;
    t->nslots += nslots;
    lowmask = am_u128_low_mask(w - p);
    t->nodes[node].prefix.hi = first.hi & ~lowmask.hi;
    t->nodes[node].prefix.lo = first.lo & ~lowmask.lo;
    t->nodes[node].mask.hi = ~lowmask.hi & am_u128_low_mask(w).hi;
    t->nodes[node].mask.lo = ~lowmask.lo & am_u128_low_mask(w).lo;
    t->nodes[node].below = (uint32_t) s0;
    t->nodes[node].above = (uint32_t) s1;
    t->nodes[node].slots = (uint32_t) slot0;
    t->nodes[node].imask = (uint32_t) (nslots - 1);
    t->nodes[node].shift = shift;

    lowmask = am_u128_low_mask(shift);
    j = s0;
    for (c = 0; c < nslots; c++) {
        cb = shl((struct am_u128){ 0, c }, shift);
        cb.hi |= t->nodes[node].prefix.hi;
        cb.lo |= t->nodes[node].prefix.lo;
        ce.hi = cb.hi | lowmask.hi;
        ce.lo = cb.lo | lowmask.lo;
        while (j + 1 < n && am_u128_cmp(st[j + 1], cb) <= 0)
            j++;
        k = j;
        while (k + 1 < n && am_u128_cmp(st[k + 1], ce) <= 0)
            k++;
        if (build_node(t, st, n, w, leafmax, j, k, level + 1, &v) < 0)
            return -1;
        t->slots[slot0 + c] = v;
        j = k;
    }
    *out = (uint32_t) node;
    return 0;
}

static int
build_family(am_netindex *ix, const am_netindex_builder *b, int f)
{
    unsigned w = f == 0 ? 32 : 128, leafmax = f == 0 ? LEAF4 : LEAF6;
    struct tree t = { NULL, NULL, 0, 0, NULL, 0, 0, 0 };
    struct am_u128 *st = NULL;
    uint32_t *py = NULL;
    size_t n = 0, i;
    int rc = -1;

    if (paint(b, f, &st, &py, &n) < 0)
        goto out;
    t.payload = py;
    if (build_node(&t, st, n, w, leafmax, 0, n - 1, 0, &ix->root[f]) < 0)
        goto out;
    ix->nseg[f] = n;
    ix->nnode[f] = t.nnodes;
    ix->nslot[f] = t.nslots;
    ix->depth[f] = t.depth;
    if (f == 0) {
        if ((ix->seg4 = am_bigmem_alloc(n + LEAF4, sizeof(*ix->seg4))) == NULL
            || (ix->node4 = malloc((t.nnodes + 1) * sizeof(*ix->node4)))
            == NULL
            || (ix->slot4 = am_bigmem_alloc(t.nslots, sizeof(*ix->slot4)))
            == NULL)
            goto out;
        for (i = 0; i < n + LEAF4; i++) {
            ix->seg4[i].start = i < n ? (uint32_t) st[i].lo : UINT32_MAX;
            ix->seg4[i].payload = py[i < n ? i : n - 1];
        }
        for (i = 0; i < t.nnodes; i++) {
            ix->node4[i].prefix = (uint32_t) t.nodes[i].prefix.lo;
            ix->node4[i].mask = (uint32_t) t.nodes[i].mask.lo;
            ix->node4[i].below = t.nodes[i].below;
            ix->node4[i].above = t.nodes[i].above;
            ix->node4[i].slots = t.nodes[i].slots;
            ix->node4[i].imask = t.nodes[i].imask;
            ix->node4[i].shift = t.nodes[i].shift;
        }
        if (t.nslots > 0)
            memcpy(ix->slot4, t.slots, t.nslots * sizeof(*t.slots));
    } else {
        if ((ix->seg6 = am_bigmem_alloc(n + LEAF6, sizeof(*ix->seg6))) == NULL
            || (ix->slot6 = am_bigmem_alloc(t.nslots, sizeof(*ix->slot6)))
            == NULL)
            goto out;
        for (i = 0; i < n + LEAF6; i++) {
            ix->seg6[i].hi = i < n ? st[i].hi : UINT64_MAX;
            ix->seg6[i].lo = i < n ? st[i].lo : UINT64_MAX;
            ix->seg6[i].payload = py[i < n ? i : n - 1];
        }
        ix->node6 = t.nodes;
        t.nodes = NULL;
        if (t.nslots > 0)
            memcpy(ix->slot6, t.slots, t.nslots * sizeof(*t.slots));
    }
    rc = 0;
out:
    free(t.nodes);
    free(t.slots);
    free(st);
    free(py);
    return rc;
}

am_netindex *
am_netindex_build(am_netindex_builder *b, struct am_error *err)
{
    am_netindex *ix = NULL;

    if (b->failed) {
        am_error_set(err, AM_ERR_INVALID, "index builder already failed");
        goto fail;
    }
    if ((ix = calloc(1, sizeof(*ix))) == NULL
        || build_family(ix, b, 0) < 0 || build_family(ix, b, 1) < 0) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory building the "
                     "address index");
        goto fail;
    }
    am_netindex_builder_free(b);
    return ix;
fail:
    am_netindex_free(ix);
    am_netindex_builder_free(b);
    return NULL;
}

void
am_netindex_free(am_netindex *ix)
{
    if (ix == NULL)
        return;
    free(ix->seg4);
    free(ix->node4);
    free(ix->slot4);
    free(ix->seg6);
    free(ix->node6);
    free(ix->slot6);
    free(ix);
}

/* ---- lookup ----
 *
 * A leaf's answer is segment first + j, j in 0..7 the number of the seven
 * following starts that are <= the key.  The starts ascend, so j is found
 * in three halving steps, each a compare whose result becomes an offset:
 * no branch to mispredict, and few instructions, which matters more than
 * it seems.  A lookup waits on memory twice (slot, then segments); the
 * processor overlaps the waits of consecutive lookups only as far as their
 * instructions fit in its reorder window, so a short lookup runs several
 * at once.  (Counting all seven starts took half again as long at 1M
 * rules.) */

static inline int
direct_answer(uint32_t s, uint32_t *payload)
{
    s &= DIRECT_NONE;
    *payload = s == DIRECT_NONE ? AM_NETINDEX_NONE : s;
    return s != DIRECT_NONE;
}

int
am_netindex_lookup4(const am_netindex *ix, uint32_t key, uint32_t *payload)
{
    const struct node4 *nd;
    const struct seg4 *g;
    uint32_t s = ix->root[0];
    unsigned j;

    while (!(s & LEAF_FLAG)) {
        nd = &ix->node4[s];
        if ((key ^ nd->prefix) & nd->mask) {
            s = key < nd->prefix ? nd->below : nd->above;
            *payload = ix->seg4[s].payload;
            return *payload != AM_NETINDEX_NONE;
        }
        s = ix->slot4[nd->slots + ((key >> nd->shift) & nd->imask)];
    }
    if (s & DIRECT_FLAG)
        return direct_answer(s, payload);
    g = ix->seg4 + (s & ~LEAF_FLAG);
    j = (unsigned) (g[4].start <= key) << 2;
    j += (unsigned) (g[j + 2].start <= key) << 1;
    j += g[j + 1].start <= key;
    *payload = g[j].payload;
    return *payload != AM_NETINDEX_NONE;
}

/* Is the start of segment g <= key?  One 128-bit compare where the
 * compiler has the type: it keeps that free of branches. */
static inline int
start6_le(const struct seg6 *g, struct am_u128 key)
{
#ifdef __SIZEOF_INT128__
    return ((unsigned __int128) g->hi << 64 | g->lo)
        <= ((unsigned __int128) key.hi << 64 | key.lo);
#else
    return (g->hi < key.hi) | ((g->hi == key.hi) & (g->lo <= key.lo));
#endif
}

/* Bits [shift, shift + bits) of a 128-bit key, bits <= 32. */
static inline uint32_t
index6(uint64_t hi, uint64_t lo, unsigned shift, uint32_t imask)
{
    if (shift >= 64)
        return (uint32_t) (hi >> (shift - 64)) & imask;
    if (shift == 0)
        return (uint32_t) lo & imask;
    return (uint32_t) (hi << (64 - shift) | lo >> shift) & imask;
}

int
am_netindex_lookup6(const am_netindex *ix, struct am_u128 key,
                    uint32_t *payload)
{
    const struct node6 *nd;
    const struct seg6 *g;
    uint32_t s = ix->root[1];
    unsigned j;

    while (!(s & LEAF_FLAG)) {
        nd = &ix->node6[s];
        if (((key.hi ^ nd->prefix.hi) & nd->mask.hi)
            | ((key.lo ^ nd->prefix.lo) & nd->mask.lo)) {
            s = am_u128_cmp(key, nd->prefix) < 0 ? nd->below : nd->above;
            *payload = ix->seg6[s].payload;
            return *payload != AM_NETINDEX_NONE;
        }
        s = ix->slot6[nd->slots + index6(key.hi, key.lo, nd->shift,
                                         nd->imask)];
    }
    if (s & DIRECT_FLAG)
        return direct_answer(s, payload);
    g = ix->seg6 + (s & ~LEAF_FLAG);
    j = (unsigned) start6_le(&g[4], key) << 2;
    j += (unsigned) start6_le(&g[j + 2], key) << 1;
    j += start6_le(&g[j + 1], key);
    *payload = g[j].payload;
    return *payload != AM_NETINDEX_NONE;
}

int
am_netindex_lookup(const am_netindex *ix, const struct am_addr *a,
                   uint32_t *payload)
{
    struct am_u128 v = am_addr_to_u128(a);

    if (a->family == AM_ADDR_V4)
        return am_netindex_lookup4(ix, (uint32_t) v.lo, payload);
    if (a->family == AM_ADDR_V6)
        return am_netindex_lookup6(ix, v, payload);
    *payload = AM_NETINDEX_NONE;
    return 0;
}

/* ---- inspection ---- */

size_t
am_netindex_segments(const am_netindex *ix, int family)
{
    int f = fam_index(family);

    return f < 0 ? 0 : ix->nseg[f];
}

void
am_netindex_segment(const am_netindex *ix, int family, size_t i,
                    struct am_range *r, uint32_t *payload)
{
    int f = fam_index(family);
    size_t n;

    r->family = (unsigned char) family;
    if (f < 0)
        return;
    n = ix->nseg[f];
    if (f == 0) {
        r->lo.hi = 0;
        r->lo.lo = ix->seg4[i].start;
        *payload = ix->seg4[i].payload;
        r->hi.hi = 0;
        r->hi.lo = i + 1 < n ? (uint64_t) ix->seg4[i + 1].start - 1
            : UINT32_MAX;
    } else {
        r->lo.hi = ix->seg6[i].hi;
        r->lo.lo = ix->seg6[i].lo;
        *payload = ix->seg6[i].payload;
        if (i + 1 < n) {
            r->hi.hi = ix->seg6[i + 1].hi;
            r->hi.lo = ix->seg6[i + 1].lo;
            r->hi = am_u128_dec(r->hi);
        } else {
            r->hi = am_range_family_max(AM_ADDR_V6);
        }
    }
}

void
am_netindex_stats(const am_netindex *ix, struct am_netindex_stats *st)
{
    int f;

    for (f = 0; f < 2; f++) {
        st->segments[f] = ix->nseg[f];
        st->nodes[f] = ix->nnode[f];
        st->slots[f] = ix->nslot[f];
        st->depth[f] = ix->depth[f];
    }
    st->bytes = sizeof(*ix)
        + (ix->nseg[0] + LEAF4) * sizeof(*ix->seg4)
        + ix->nnode[0] * sizeof(*ix->node4)
        + ix->nslot[0] * sizeof(*ix->slot4)
        + (ix->nseg[1] + LEAF6) * sizeof(*ix->seg6)
        + ix->nnode[1] * sizeof(*ix->node6)
        + ix->nslot[1] * sizeof(*ix->slot6);
}
