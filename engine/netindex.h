/* netindex.h - am_netindex: which rule covers an address, in a few reads.
 *
 * An immutable index over rules.  A rule is a set of address intervals (of
 * either family), a priority and a 32-bit payload; a lookup returns the
 * payload of the covering rule with the lowest priority number, ties going
 * to the rule added first.  The index does not know what priorities mean:
 * a cidr table uses file order (first match wins), an ordinary table with
 * networks uses specificity.  Rules are painted into disjoint segments once
 * at build time, so the cost of a lookup does not grow with the number of
 * rules.  A built index is read-only and may be shared between threads.
 */
#ifndef AM_ENGINE_NETINDEX_H
#define AM_ENGINE_NETINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "formats/addr.h"
#include "formats/error.h"

typedef struct am_netindex am_netindex;
typedef struct am_netindex_builder am_netindex_builder;

/* The payload no rule may use: it stands for "no rule covers this". */
#define AM_NETINDEX_NONE UINT32_MAX

/* At most this many rules and intervals per builder. */
#define AM_NETINDEX_MAX_RULES ((size_t) 1 << 30)

/* A new, empty builder; NULL (err set) when out of memory. */
am_netindex_builder *am_netindex_builder_new(struct am_error *err);

/* Discard a builder that will not be built (accepts NULL). */
void am_netindex_builder_free(am_netindex_builder *b);

/* Add a rule covering the union of ranges[0..n) (any families, may
 * overlap; n may be 0), with the given priority and payload.  The ranges
 * are copied.  Returns 0, AM_ERR_INVALID (payload AM_NETINDEX_NONE, or a
 * range with lo > hi or an unknown family), AM_ERR_LIMIT or AM_ERR_NOMEM.
 * After an error the builder refuses further rules and fails to build. */
int am_netindex_add(am_netindex_builder *b, const struct am_range *ranges,
                    size_t n, uint64_t priority, uint32_t payload,
                    struct am_error *err);

/* Build the index from the rules added so far.  The builder is consumed:
 * it is freed whether the build succeeds or not.  NULL (err set) on
 * failure. */
am_netindex *am_netindex_build(am_netindex_builder *b, struct am_error *err);

void am_netindex_free(am_netindex *ix);            /* accepts NULL */

/* Look an address up.  Returns 1 and sets *payload when a rule covers it,
 * 0 when none does (or the family is unknown). */
int am_netindex_lookup(const am_netindex *ix, const struct am_addr *a,
                       uint32_t *payload);

/* The same for an address already in number form (see struct am_u128):
 * an IPv4 address as a 32-bit value, an IPv6 address as 128 bits. */
int am_netindex_lookup4(const am_netindex *ix, uint32_t a, uint32_t *payload);
int am_netindex_lookup6(const am_netindex *ix, struct am_u128 a,
                        uint32_t *payload);

/* The painted map of a family: segment i covers r (inclusive) and carries
 * *payload (AM_NETINDEX_NONE when no rule covers it).  Segments are in
 * ascending order, cover the whole family, and neighbours differ in
 * payload.  i must be below am_netindex_segments(). */
size_t am_netindex_segments(const am_netindex *ix, int family);
void am_netindex_segment(const am_netindex *ix, int family, size_t i,
                         struct am_range *r, uint32_t *payload);

/* Sizes, for benchmarks and tuning. */
struct am_netindex_stats {
    size_t segments[2];         /* IPv4, IPv6 */
    size_t nodes[2];            /* inner nodes of the lookup tree */
    size_t slots[2];            /* child slots of those nodes */
    unsigned depth[2];          /* deepest chain of inner nodes */
    size_t bytes;               /* memory held by the index */
};
void am_netindex_stats(const am_netindex *ix, struct am_netindex_stats *st);

#endif
