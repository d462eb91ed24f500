/* addrkeys.h - am_addrkeys: the address-shaped keys of one in-memory table,
 * as networks, so that an address finds its most specific entry at once.
 *
 * A source table may hold networks ("192.0.2.0/24", "2001:db8::/32") and
 * ranges ("192.0.2.10-192.0.2.99") next to addresses and Postfix's partial
 * keys ("192.0.2").  Postfix matches none of the first two; accessmap
 * matches them all, most specific first (the smallest set of addresses
 * wins; among equals, the earlier line), which is also what compile's
 * expansion writes for Postfix (engine/tableexpand.h).  An index is built
 * only for tables that hold at least one network or range.  It borrows the
 * records it was built from: they must outlive it.  Read-only once built.
 */
#ifndef AM_ENGINE_ADDRKEYS_H
#define AM_ENGINE_ADDRKEYS_H

#include <stddef.h>

#include "formats/addr.h"
#include "formats/error.h"
#include "formats/record.h"

typedef struct am_addrkeys am_addrkeys;

/* Index the address-shaped keys among recs[0..n).  Sets *out to the index,
 * or to NULL when no key is a network or range (Postfix's own search then
 * already gives accessmap's answer).  Returns 0, or AM_ERR_NOMEM /
 * AM_ERR_LIMIT with nothing built. */
int am_addrkeys_build(const struct am_record *recs, size_t n,
                      am_addrkeys **out, struct am_error *err);

/* The most specific entry covering a.  Returns 1 and sets *rec (borrowed)
 * and *covers (the addresses the entry's key stands for), or 0. */
int am_addrkeys_lookup(const am_addrkeys *k, const struct am_addr *a,
                       const struct am_record **rec, struct am_range *covers);

/* Does the range hold at most 2^host_bits addresses?  (How an entry found
 * here ranks against a Postfix partial key with that many host bits.) */
int am_addrkeys_range_within(const struct am_range *r, unsigned host_bits);

void am_addrkeys_free(am_addrkeys *k);          /* accepts NULL */

#endif
