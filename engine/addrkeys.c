/* addrkeys.c - networks, ranges and addresses of a table in one index; see
 * addrkeys.h.  The index owns its netindex and a copy of each entry's
 * range; the records themselves stay the caller's. */
#include "engine/addrkeys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/lint.h"
#include "engine/netindex.h"

struct am_addrkeys {
    am_netindex *index;                 /* payload: slot in entries[] */
    const struct am_record **entries;
    struct am_range *ranges;
    size_t n;
};

static unsigned
u128_bitlen(struct am_u128 v)
{
    unsigned n = 0;

    if (v.hi != 0)
        return 128 - (unsigned) __builtin_clzll(v.hi);
    if (v.lo != 0)
        n = 64 - (unsigned) __builtin_clzll(v.lo);
    return n;
}

/* Priority of an entry: smaller ranges first, exactly for IPv4 and to 32
 * significant bits for IPv6; then the earlier line. */
static uint64_t
priority_of(const struct am_range *r, size_t order)
{
    struct am_u128 d = am_u128_sub(r->hi, r->lo);
    unsigned bits = u128_bitlen(d), shift = bits > 32 ? bits - 32 : 0;
    uint64_t mant;

    if (shift >= 64)
        mant = d.hi >> (shift - 64);
    else if (shift > 0)
        mant = (d.lo >> shift) | (d.hi << (64 - shift));
    else
        mant = d.lo;
    mant &= 0xffffffffu;
    return ((uint64_t) bits << 56) | (mant << 24)
        | (order > 0xffffff ? 0xffffff : order);
}

/* The addresses a key stands for, if it is address-shaped: an IPv4
 * address, partial key, network or range; an IPv6 address written as
 * Postfix looks it up, network or range.  Returns 1 (network or range),
 * 2 (address or partial key) or 0. */
static int
key_range(const struct am_record *r, struct am_range *out)
{
    char canon[AM_ADDR_STRLEN];
    struct am_addr a;
    struct am_net net;

    if (am_lint_is_network_key(r->key, r->klen)) {
        if (am_net_parse(r->key, r->klen, AM_NET_ALLOW_RANGE, &net, NULL) != 0)
            return 0;
        *out = net.range;
        return 1;
    }
    if (am_net_parse_partial(r->key, r->klen, &net)) {
        *out = net.range;
        return 2;
    }
    if (!am_addr_parse(r->key, r->klen, &a))
        return 0;
    if (a.family == AM_ADDR_V6
        && (am_addr_format(&a, canon, sizeof(canon)) != r->klen
            || memcmp(canon, r->key, r->klen) != 0))
        return 0;               /* Postfix never looks this text up */
    am_range_of_prefix(&a, am_addr_bits(a.family), out);
    return 2;
}

int
am_addrkeys_build(const struct am_record *recs, size_t n, am_addrkeys **out,
                  struct am_error *err)
{
    am_netindex_builder *b = NULL;
    am_addrkeys *k = NULL;
    struct am_range range;
    size_t i, networks = 0;
    int rc, kind;

    *out = NULL;
    for (i = 0; i < n; i++)
        if (am_lint_is_network_key(recs[i].key, recs[i].klen))
            networks++;
    if (networks == 0)
        return 0;
    if (n > UINT32_MAX - 1)
        return am_error_set(err, AM_ERR_LIMIT, "too many entries to index");
    if ((k = calloc(1, sizeof(*k))) == NULL
        || (k->entries = malloc(n * sizeof(*k->entries))) == NULL
        || (k->ranges = malloc(n * sizeof(*k->ranges))) == NULL
        || (b = am_netindex_builder_new(err)) == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (i = 0; i < n; i++) {
        if ((kind = key_range(&recs[i], &range)) == 0)
            continue;
        k->entries[k->n] = &recs[i];
        k->ranges[k->n] = range;
        rc = am_netindex_add(b, &range, 1,
                             priority_of(&range, recs[i].line ? recs[i].line : i),
                             (uint32_t) k->n, err);
        if (rc < 0)
            goto fail;
        k->n++;
    }
    k->index = am_netindex_build(b, err);
    b = NULL;
    if (k->index == NULL) {
        rc = err ? err->code : AM_ERR_NOMEM;
        goto fail;
    }
    *out = k;
    return 0;
fail:
    am_netindex_builder_free(b);
    am_addrkeys_free(k);
    return rc;
}

int
am_addrkeys_lookup(const am_addrkeys *k, const struct am_addr *a,
                   const struct am_record **rec, struct am_range *covers)
{
    uint32_t slot;

    if (k == NULL || !am_netindex_lookup(k->index, a, &slot))
        return 0;
    *rec = k->entries[slot];
    *covers = k->ranges[slot];
    return 1;
}

int
am_addrkeys_range_within(const struct am_range *r, unsigned host_bits)
{
    struct am_u128 d = am_u128_sub(r->hi, r->lo);

    return u128_bitlen(d) <= host_bits;
}

void
am_addrkeys_free(am_addrkeys *k)
{
    if (k == NULL)
        return;
    am_netindex_free(k->index);
    free(k->entries);
    free(k->ranges);
    free(k);
}
