/* netexpand.c - fewest Postfix keys for painted network answers; see
 * netexpand.h.
 *
 * IPv4 blocks form a 256-ary tree: the whole space (no key possible), the
 * /8s ("10"), /16s ("10.1"), /24s ("10.1.2") and addresses.  Postfix
 * answers an address with the deepest key on its path, so the problem is
 * the one ORTC solves for routing tables, with 256 children per node: a
 * bottom-up pass gives each block the cost of covering it and the set of
 * values worth inheriting into it, a top-down pass places the keys.  Only
 * blocks where the answer changes are visited; a run of children with one
 * answer is counted in a single step, so the work follows the number of
 * painted segments, not the size of the address space.
 *
 * Cost of a block B given the value u a key above it gives: g_B(u).  With
 * h_B(v) = sum over children of g_c(v), and m_B = min h_B, a block that may
 * hold a key has g_B(u) = min(h_B(u), 1 + m_B): m_B when u is one of the
 * minimising values (the set M_B), else m_B + 1.  So (m_B, M_B) describes
 * g_B completely, and M_B is the set of values inherited by most children.
 * Without a filler key, "no answer" cannot be written below a key, so a
 * block holding such an address can have no key (and no ancestor can).
 */
#include "engine/netexpand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/buf.h"

#define NONE AM_NETINDEX_NONE

struct am_netexpand {
    struct am_netexpand_key *keys;
    size_t nkeys, capkeys;
    struct {                    /* IPv4 keys per level 1..4, ascending */
        uint32_t *base;
        uint32_t *payload;
        size_t n;
    } level[5];
    size_t nkeys4;              /* keys[0..nkeys4) are IPv4 */
};

/* A run of children of one node: uniform ones with one answer, or one
 * child that is itself a node. */
struct run {
    uint16_t first, last;       /* child numbers, 0..255 */
    uint8_t uniform;
    uint32_t value;             /* uniform: the answer; else node number */
};

/* A block where the answer changes. */
struct node {
    uint32_t base;
    uint8_t level;              /* 0 = whole space .. 3 = a /24 */
    uint8_t hasnone;            /* holds an unanswered address, no filler */
    size_t run0, nruns;
    size_t set0, nset;          /* M: sorted answers, in sets[] */
    uint64_t m;                 /* keys needed when inheriting from M */
    uint64_t cnone;             /* keys needed when inheriting nothing */
};

struct pair {
    uint32_t value;
    uint32_t weight;
};

struct work {
    const uint32_t *start;      /* painted IPv4 segments */
    const uint32_t *pay;
    size_t nseg;
    int filler;                 /* a filler payload exists */
    struct node *nodes;
    size_t nnodes, capnodes;
    struct run *runs;
    size_t nruns, capruns;
    uint32_t *sets;
    size_t nsets, capsets;
    struct pair *pairs;         /* scratch for counting */
    size_t cappairs;
};

static int
cmp_pair(const void *pa, const void *pb)
{
    const struct pair *a = pa, *b = pb;

    return a->value < b->value ? -1 : a->value > b->value;
}

static int
in_set(const struct work *w, const struct node *n, uint32_t v)
{
    size_t lo = n->set0, hi = n->set0 + n->nset, mid;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (w->sets[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n->set0 + n->nset && w->sets[lo] == v;
}

/* g_c(NONE) of a uniform child with answer v. */
static uint64_t
uniform_cnone(uint32_t v)
{
    return v == NONE ? 0 : 1;
}

/* Index of the segment holding address a (segments start at 0). */
static size_t
find_segment(const struct work *w, uint32_t a)
{
    size_t lo = 0, hi = w->nseg, mid;

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;
        if (w->start[mid] <= a)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Pass 1: describe the block at level with the given base, which is known
 * not to be uniform; returns its node number through *out.  A node's runs
 * are gathered locally and stored together once its children (which store
 * theirs first) are done. */
static int
build(struct work *w, unsigned level, uint32_t base, size_t *out)
{
    unsigned shift = 24 - 8 * level, c, last;
    uint64_t cs = (uint64_t) 1 << shift, cb, ce, segend, sum_m = 0;
    struct run local[256], *r, *runs;
    size_t nlocal = 0, idx, j, i, k, np = 0, nd;
    uint32_t maxw = 0, *sets;
    struct node *n, *nodes;
    struct pair *pairs;

    j = find_segment(w, base);
    for (c = 0; c < 256;) {
        cb = base + c * cs;
        ce = cb + cs - 1;
        while (j + 1 < w->nseg && w->start[j + 1] <= cb)
            j++;
        segend = j + 1 < w->nseg ? (uint64_t) w->start[j + 1] - 1
            : 0xffffffffu;
        r = &local[nlocal++];
        r->first = (uint16_t) c;
        if (segend >= ce) {
            /* Uniform children, as far as segment j reaches. */
            last = (unsigned) ((segend - base + 1) / cs - 1);
            r->last = (uint16_t) (last > 255 ? 255 : last);
            r->uniform = 1;
            r->value = w->pay[j];
        } else {
            if (build(w, level + 1, (uint32_t) cb, &nd) < 0)
                return -1;
            r->last = (uint16_t) c;
            r->uniform = 0;
            r->value = (uint32_t) nd;
        }
        c = r->last + 1u;
    }

    if ((nodes = am_array_grow(w->nodes, &w->capnodes, w->nnodes + 1,
                      sizeof(*nodes))) == NULL)
        return -1;
    w->nodes = nodes;
    if ((runs = am_array_grow(w->runs, &w->capruns, w->nruns + nlocal,
                     sizeof(*runs))) == NULL)
        return -1;
    w->runs = runs;
    idx = w->nnodes++;
    n = &w->nodes[idx];
    memset(n, 0, sizeof(*n));
    n->base = base;
    n->level = (uint8_t) level;
    n->run0 = w->nruns;
    n->nruns = nlocal;
    memcpy(w->runs + w->nruns, local, nlocal * sizeof(*local));
    w->nruns += nlocal;
    *out = idx;

    /* Without a filler, a block holding an unanswered address can have no
     * key, and neither can any block around it. */
    for (i = 0; i < nlocal; i++)
        if (local[i].uniform ? local[i].value == NONE && !w->filler
            : w->nodes[local[i].value].hasnone)
            n->hasnone = 1;
    if (n->hasnone || level == 0) {
        /* No key here: every child inherits what is above (nothing). */
        for (i = 0; i < nlocal; i++)
            n->cnone += local[i].uniform
                ? (uint64_t) (local[i].last - local[i].first + 1)
                * uniform_cnone(local[i].value)
                : w->nodes[local[i].value].cnone;
        n->m = n->cnone;
        return 0;
    }

    /* Count, per answer, the children that would inherit it for free. */
    for (i = 0; i < nlocal; i++) {
        const struct node *cn;

        if (local[i].uniform) {
            if ((pairs = am_array_grow(w->pairs, &w->cappairs, np + 1,
                              sizeof(*pairs))) == NULL)
                return -1;
            w->pairs = pairs;
            w->pairs[np].value = local[i].value;
            w->pairs[np++].weight = (uint32_t) (local[i].last
                                                - local[i].first + 1);
            continue;
        }
        cn = &w->nodes[local[i].value];
        sum_m += cn->m;
        if ((pairs = am_array_grow(w->pairs, &w->cappairs, np + cn->nset,
                          sizeof(*pairs))) == NULL)
            return -1;
        w->pairs = pairs;
        for (k = 0; k < cn->nset; k++) {
            w->pairs[np].value = w->sets[cn->set0 + k];
            w->pairs[np++].weight = 1;
        }
    }
    qsort(w->pairs, np, sizeof(*w->pairs), cmp_pair);
    for (i = k = 0; i < np; k++) {      /* sum equal answers */
        uint32_t v = w->pairs[i].value, sum = 0;

        for (; i < np && w->pairs[i].value == v; i++)
            sum += w->pairs[i].weight;
        w->pairs[k].value = v;
        w->pairs[k].weight = sum;
        if (sum > maxw)
            maxw = sum;
    }
    np = k;
    if ((sets = am_array_grow(w->sets, &w->capsets, w->nsets + np,
                     sizeof(*sets))) == NULL)
        return -1;
    w->sets = sets;
    n = &w->nodes[idx];
    n->set0 = w->nsets;
    for (i = 0; i < np; i++)
        if (w->pairs[i].weight == maxw)
            w->sets[w->nsets++] = w->pairs[i].value;
    n->nset = w->nsets - n->set0;
    n->m = sum_m + 256 - maxw;
    n->cnone = n->m + !in_set(w, n, NONE);
    return 0;
}

/* Key text of the block of level (1..4) at base. */
static void
v4_key_text(uint32_t base, unsigned level, char *buf, size_t size)
{
    switch (level) {
    case 1:
        snprintf(buf, size, "%u", base >> 24);
        break;
    case 2:
        snprintf(buf, size, "%u.%u", base >> 24, (base >> 16) & 255);
        break;
    case 3:
        snprintf(buf, size, "%u.%u.%u", base >> 24, (base >> 16) & 255,
                 (base >> 8) & 255);
        break;
    default:
        snprintf(buf, size, "%u.%u.%u.%u", base >> 24, (base >> 16) & 255,
                 (base >> 8) & 255, base & 255);
        break;
    }
}

static int
emit_key(am_netexpand *x, uint32_t base, unsigned level, uint32_t payload,
         uint32_t filler)
{
    struct am_netexpand_key *k;
    uint64_t size = (uint64_t) 1 << (32 - 8 * level);

    if ((k = am_array_grow(x->keys, &x->capkeys, x->nkeys + 1, sizeof(*k))) == NULL)
        return -1;
    x->keys = k;
    k = &x->keys[x->nkeys++];
    v4_key_text(base, level, k->text, sizeof(k->text));
    k->payload = payload == NONE ? filler : payload;
    k->range.family = AM_ADDR_V4;
    k->range.lo.hi = k->range.hi.hi = 0;
    k->range.lo.lo = base;
    k->range.hi.lo = base + size - 1;
    return 0;
}

/* Pass 2: place the keys below node idx, whose block inherits u. */
static int
emit(am_netexpand *x, const struct work *w, size_t idx, uint32_t u,
     uint32_t filler)
{
    const struct node *n = &w->nodes[idx];
    unsigned shift = 24 - 8 * n->level, c;
    uint32_t v = u;
    size_t i, k;

    if (!n->hasnone && n->level > 0 && !in_set(w, n, u)) {
        /* A key here pays off: take a best answer, "none" last. */
        v = w->sets[n->set0];
        for (k = 0; k < n->nset; k++)
            if (w->sets[n->set0 + k] != NONE) {
                v = w->sets[n->set0 + k];
                break;
            }
        if (emit_key(x, n->base, n->level, v, filler) < 0)
            return -1;
    }
    for (i = n->run0; i < n->run0 + n->nruns; i++) {
        const struct run *r = &w->runs[i];

        if (!r->uniform) {
            if (emit(x, w, r->value, v, filler) < 0)
                return -1;
            continue;
        }
        if (r->value == v)
            continue;
        for (c = r->first; c <= r->last; c++)
            if (emit_key(x, n->base + ((uint32_t) c << shift), n->level + 1,
                         r->value, filler) < 0)
                return -1;
    }
    return 0;
}

/* Per-level arrays for simulating Postfix on the IPv4 keys. */
static int
index_levels(am_netexpand *x)
{
    size_t i, lv;

    for (lv = 1; lv <= 4; lv++) {
        x->level[lv].base = malloc((x->nkeys4 + 1) * sizeof(uint32_t));
        x->level[lv].payload = malloc((x->nkeys4 + 1) * sizeof(uint32_t));
        if (x->level[lv].base == NULL || x->level[lv].payload == NULL)
            return -1;
    }
    for (i = 0; i < x->nkeys4; i++) {
        const struct am_netexpand_key *k = &x->keys[i];
        uint64_t size = k->range.hi.lo - k->range.lo.lo + 1;

        lv = size == 1 ? 4 : size == 256 ? 3 : size == 65536 ? 2 : 1;
        x->level[lv].base[x->level[lv].n] = (uint32_t) k->range.lo.lo;
        x->level[lv].payload[x->level[lv].n++] = k->payload;
    }
    return 0;
}

static int
lookup_level(const am_netexpand *x, unsigned lv, uint32_t base, uint32_t *p)
{
    size_t lo = 0, hi = x->level[lv].n, mid;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (x->level[lv].base[mid] < base)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < x->level[lv].n && x->level[lv].base[lo] == base) {
        *p = x->level[lv].payload[lo];
        return 1;
    }
    return 0;
}

static int
cmp_key_text(const void *pa, const void *pb)
{
    const struct am_netexpand_key *a = pa, *b = pb;

    return strcmp(a->text, b->text);
}

int
am_netexpand_postfix_answer(const am_netexpand *x, const struct am_addr *a,
                            uint32_t *payload)
{
    char keys[8][AM_ADDR_STRLEN];
    struct am_netexpand_key probe;
    const struct am_netexpand_key *hit;
    uint32_t v;
    size_t n, i;
    unsigned lv;

    if (a->family == AM_ADDR_V4) {
        v = (uint32_t) am_addr_to_u128(a).lo;
        for (lv = 4; lv >= 1; lv--)
            if (lookup_level(x, lv, v & (uint32_t) (0xffffffffULL
                                                     << (32 - 8 * lv)),
                             payload))
                return 1;
        return 0;
    }
    /* IPv6 keys are sorted by text after the IPv4 ones. */
    n = am_netexpand_search_keys(a, keys, 8);
    for (i = 0; i < n; i++) {
        memcpy(probe.text, keys[i], sizeof(probe.text));
        hit = bsearch(&probe, x->keys + x->nkeys4, x->nkeys - x->nkeys4,
                      sizeof(*x->keys), cmp_key_text);
        if (hit != NULL) {
            *payload = hit->payload;
            return 1;
        }
    }
    return 0;
}

size_t
am_netexpand_search_keys(const struct am_addr *a, char keys[][AM_ADDR_STRLEN],
                         size_t max)
{
    char text[AM_ADDR_STRLEN], *cut;
    int delim = a->family == AM_ADDR_V6 ? ':' : '.';
    size_t n = 0;

    if (am_addr_format(a, text, sizeof(text)) == 0)
        return 0;
    for (;;) {
        if (n < max)
            memcpy(keys[n], text, sizeof(text));
        n++;
        if ((cut = strrchr(text, delim)) == NULL)
            break;
        *cut = '\0';
    }
    return n;
}

/* Is Postfix's answer the painted one at every address?  Both are constant
 * between segment starts and key block edges, so checking each of those
 * points covers the whole space. */
/* Compare Postfix's answer with the painted one at address v. */
static int
check_point(const am_netexpand *x, const am_netindex *ix, int family,
            struct am_u128 v, uint32_t filler, struct am_error *err)
{
    char text[AM_ADDR_STRLEN];
    struct am_addr a;
    uint32_t want, got;

    am_addr_from_u128(family, v, &a);
    if (!am_netindex_lookup(ix, &a, &want))
        want = NONE;
    if (!am_netexpand_postfix_answer(x, &a, &got) || got == filler)
        got = NONE;
    if (got == want)
        return 0;
    am_addr_format(&a, text, sizeof(text));
    return am_error_set(err, AM_ERR_INVALID, "internal error: the keys give "
                        "%s another answer than the table", text);
}

/* Is Postfix's answer the painted one at every address?  Both are constant
 * between segment starts and key block edges, so checking at each of those
 * covers the whole space.  (IPv6 keys are single addresses.) */
static int
verify(const am_netexpand *x, const am_netindex *ix, uint32_t filler,
       struct am_error *err)
{
    size_t n4 = am_netindex_segments(ix, AM_ADDR_V4), i;
    const struct am_netexpand_key *k;
    struct am_range r;
    uint32_t p;

    for (i = 0; i < n4; i++) {
        am_netindex_segment(ix, AM_ADDR_V4, i, &r, &p);
        if (check_point(x, ix, AM_ADDR_V4, r.lo, filler, err) < 0)
            return AM_ERR_INVALID;
    }
    for (i = 0; i < x->nkeys; i++) {
        k = &x->keys[i];
        if (check_point(x, ix, k->range.family, k->range.lo, filler, err) < 0
            || (!am_u128_eq(k->range.hi, am_range_family_max(k->range.family))
                && check_point(x, ix, k->range.family,
                               am_u128_inc(k->range.hi), filler, err) < 0)
            || (k->range.family == AM_ADDR_V6
                && check_point(x, ix, AM_ADDR_V6, am_u128_dec(k->range.lo),
                               filler, err) < 0))
            return AM_ERR_INVALID;
    }
    return 0;
}

/* Is there an address whose canonical text starts with text(a) + ":"?
 * Postfix cuts IPv6 texts at ':', so the key text(a) would answer for it
 * too: "2001:db8::1" is also tried for 2001:db8::1:0:0:1.  Only a text
 * "A::B" with B not empty can be extended, by groups after B that keep the
 * "::" where it is.  If any such address exists, one ending in one to
 * three groups of 1 does (fewer new groups leave a longer zero run, and
 * the extra groups only avoid inet_ntop's dotted-quad forms), so those are
 * the witnesses tried.  Writes one into witness and returns 1, or 0. */
static int
v6_extension(const struct am_addr *a, char *witness, size_t size)
{
    char text[AM_ADDR_STRLEN], want[AM_ADDR_STRLEN + 1];
    const char *dc;
    struct am_addr y;
    unsigned before, after, run, k, i, g;
    size_t len;

    am_addr_format(a, text, sizeof(text));
    len = strlen(text);
    if ((dc = strstr(text, "::")) == NULL || dc[2] == '\0'
        || strchr(text, '.') != NULL)
        return 0;
    /* Groups before and after the "::". */
    for (before = 0, i = 0; text + i < dc; i++)
        before += text[i] == ':';
    before += dc != text;
    for (after = 1, i = (unsigned) (dc - text) + 2; i < len; i++)
        after += text[i] == ':';
    run = 8 - before - after;
    snprintf(want, sizeof(want), "%s:", text);
    for (k = 1; k <= 3 && run >= k + 2; k++) {
        memset(&y, 0, sizeof(y));
        y.family = AM_ADDR_V6;
        for (g = 0; g < before; g++) {
            y.b[2 * g] = a->b[2 * g];
            y.b[2 * g + 1] = a->b[2 * g + 1];
        }
        for (g = 0; g < after; g++) {
            unsigned from = 8 - after + g, to = before + run - k + g;

            y.b[2 * to] = a->b[2 * from];
            y.b[2 * to + 1] = a->b[2 * from + 1];
        }
        for (g = 8 - k; g < 8; g++)
            y.b[2 * g + 1] = 1;
        am_addr_format(&y, witness, size);
        if (strncmp(witness, want, strlen(want)) == 0)
            return 1;
    }
    return 0;
}

static int
expand_v6(am_netexpand *x, const am_netindex *ix, struct am_error *err)
{
    size_t n = am_netindex_segments(ix, AM_ADDR_V6), i;
    char lo[AM_ADDR_STRLEN], hi[AM_ADDR_STRLEN];
    struct am_netexpand_key *k;
    struct am_range r;
    struct am_addr a;
    uint32_t p;

    for (i = 0; i < n; i++) {
        am_netindex_segment(ix, AM_ADDR_V6, i, &r, &p);
        if (p == NONE)
            continue;
        if (!am_u128_eq(r.lo, r.hi)) {
            am_addr_from_u128(AM_ADDR_V6, r.lo, &a);
            am_addr_format(&a, lo, sizeof(lo));
            am_addr_from_u128(AM_ADDR_V6, r.hi, &a);
            am_addr_format(&a, hi, sizeof(hi));
            return am_error_set(err, AM_ERR_UNSUPPORTED, "IPv6 addresses %s "
                                "to %s share an answer, but Postfix's IPv6 "
                                "partial keys cannot express networks; put "
                                "IPv6 networks in a cidr table", lo, hi);
        }
        am_addr_from_u128(AM_ADDR_V6, r.lo, &a);
        if (v6_extension(&a, hi, sizeof(hi))) {
            am_addr_format(&a, lo, sizeof(lo));
            return am_error_set(err, AM_ERR_UNSUPPORTED, "a key %s would "
                                "also answer for %s and every address "
                                "written \"%s:...\" (Postfix cuts IPv6 "
                                "addresses at ':'); put it in a cidr table",
                                lo, hi, lo);
        }
        if ((k = am_array_grow(x->keys, &x->capkeys, x->nkeys + 1, sizeof(*k)))
            == NULL)
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        x->keys = k;
        k = &x->keys[x->nkeys++];
        am_addr_format(&a, k->text, sizeof(k->text));
        k->payload = p;
        k->range = r;
    }
    qsort(x->keys + x->nkeys4, x->nkeys - x->nkeys4, sizeof(*x->keys),
          cmp_key_text);
    return 0;
}

am_netexpand *
am_netexpand_new(const am_netindex *ix, uint32_t filler, size_t max_keys,
                 struct am_error *err)
{
    struct work w;
    am_netexpand *x = NULL;
    uint32_t *start = NULL, *pay = NULL;
    struct am_range r;
    size_t i, root, n6, nv6 = 0;
    uint32_t p;

    memset(&w, 0, sizeof(w));
    w.nseg = am_netindex_segments(ix, AM_ADDR_V4);
    w.filler = filler != NONE;
    if ((x = calloc(1, sizeof(*x))) == NULL
        || (start = malloc(w.nseg * sizeof(*start))) == NULL
        || (pay = malloc(w.nseg * sizeof(*pay))) == NULL)
        goto nomem;
    for (i = 0; i < w.nseg; i++) {
        am_netindex_segment(ix, AM_ADDR_V4, i, &r, &pay[i]);
        start[i] = (uint32_t) r.lo.lo;
    }
    w.start = start;
    w.pay = pay;

    /* The whole space is never uniform as a block: it has no key. */
    if (build(&w, 0, 0, &root) < 0)
        goto nomem;
    n6 = am_netindex_segments(ix, AM_ADDR_V6);
    for (i = 0; i < n6; i++) {
        am_netindex_segment(ix, AM_ADDR_V6, i, &r, &p);
        nv6 += p != NONE;
    }
    if (w.nodes[root].cnone + nv6 > max_keys) {
        am_error_set(err, AM_ERR_LIMIT, "the networks need %llu Postfix "
                     "keys, more than the limit of %zu",
                     (unsigned long long) (w.nodes[root].cnone + nv6),
                     max_keys);
        goto fail;
    }
    if (emit(x, &w, root, NONE, filler) < 0)
        goto nomem;
    if (x->nkeys != w.nodes[root].cnone) {
        am_error_set(err, AM_ERR_INVALID, "internal error: %zu keys placed, "
                     "%llu counted", x->nkeys,
                     (unsigned long long) w.nodes[root].cnone);
        goto fail;
    }
    for (i = 0; i < x->nkeys; i++) {
        if (x->keys[i].payload == NONE) {
            am_error_set(err, AM_ERR_UNSUPPORTED, "internal error: key %s "
                         "without an answer", x->keys[i].text);
            goto fail;
        }
    }
    x->nkeys4 = x->nkeys;
    if (expand_v6(x, ix, err) < 0)
        goto fail;
    if (index_levels(x) < 0)
        goto nomem;
    if (verify(x, ix, filler, err) < 0)
        goto fail;
    free(start);
    free(pay);
    free(w.nodes);
    free(w.runs);
    free(w.sets);
    free(w.pairs);
    return x;
nomem:
    am_error_set(err, AM_ERR_NOMEM, "out of memory");
fail:
    free(start);
    free(pay);
    free(w.nodes);
    free(w.runs);
    free(w.sets);
    free(w.pairs);
    am_netexpand_free(x);
    return NULL;
}

void
am_netexpand_free(am_netexpand *x)
{
    unsigned lv;

    if (x == NULL)
        return;
    for (lv = 1; lv <= 4; lv++) {
        free(x->level[lv].base);
        free(x->level[lv].payload);
    }
    free(x->keys);
    free(x);
}

size_t
am_netexpand_count(const am_netexpand *x)
{
    return x->nkeys;
}

const struct am_netexpand_key *
am_netexpand_key(const am_netexpand *x, size_t i)
{
    return i < x->nkeys ? &x->keys[i] : NULL;
}
