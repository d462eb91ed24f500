/* netexpand.h - fixed keys that make Postfix's address search agree with
 * a most-specific-first network table.
 *
 * An ordinary (hash, lmdb, ...) table may hold networks and ranges in its
 * source, which accessmap answers most specific first.  Postfix only looks
 * up fixed keys: for an IPv4 client 1.2.3.4 it tries "1.2.3.4", "1.2.3",
 * "1.2" and "1", and the first key present wins.  This module takes the
 * painted answers (an am_netindex) and computes the fewest such keys, level
 * by level, so that Postfix's search reaches the same answer for every
 * address; then it proves it by simulating that search across every piece
 * of the address space.  The result owns its keys; free it with
 * am_netexpand_free().
 *
 * IPv6 is limited to single addresses: Postfix's IPv6 partial keys are cut
 * from the compressed text, so the addresses one covers do not form
 * networks.  An IPv6 network or range is refused (AM_ERR_UNSUPPORTED).
 */
#ifndef AM_ENGINE_NETEXPAND_H
#define AM_ENGINE_NETEXPAND_H

#include <stddef.h>
#include <stdint.h>

#include "engine/netindex.h"
#include "formats/addr.h"
#include "formats/error.h"

typedef struct am_netexpand am_netexpand;

/* One key for the Postfix table. */
struct am_netexpand_key {
    char text[AM_ADDR_STRLEN];  /* "10", "10.1", "10.1.2", "10.1.2.3", or
                                 * an IPv6 address in canonical form */
    uint32_t payload;           /* the answer it stands for */
    struct am_range range;      /* the addresses whose search reaches it */
};

/* Compute the keys for the painted answers in ix (payload
 * AM_NETINDEX_NONE meaning "no answer").
 *
 * Where an address without an answer lies inside a block that needs a key,
 * Postfix must be stopped with a key whose payload is filler (for an access
 * table, an entry saying DUNNO).  filler AM_NETINDEX_NONE means there is
 * none: such a table fails with AM_ERR_UNSUPPORTED.
 *
 * More than max_keys keys fails with AM_ERR_LIMIT, saying how many were
 * needed, before any is made.  Other errors: AM_ERR_UNSUPPORTED for IPv6
 * networks (see above), AM_ERR_NOMEM.  Returns NULL with err set on
 * failure; the result has already been verified on success. */
am_netexpand *am_netexpand_new(const am_netindex *ix, uint32_t filler,
                               size_t max_keys, struct am_error *err);

void am_netexpand_free(am_netexpand *x);          /* accepts NULL */

/* The keys: IPv4 first, in ascending order of their blocks (a shorter key
 * before a longer one at the same start), then IPv6 in order of text. */
size_t am_netexpand_count(const am_netexpand *x);
const struct am_netexpand_key *am_netexpand_key(const am_netexpand *x,
                                                size_t i);

/* What Postfix would answer for a with these keys: the payload of the
 * first key of its search that exists.  Returns 1 and sets *payload (which
 * may be the filler), or 0 when no key of the search exists. */
int am_netexpand_postfix_answer(const am_netexpand *x,
                                const struct am_addr *a, uint32_t *payload);

/* Postfix's search keys for an address, most specific first, as smtpd
 * makes them (facts: check_addr_access): the canonical text, then the text
 * cut at each last '.' (IPv4) or ':' (IPv6).  Writes up to max keys of
 * AM_ADDR_STRLEN bytes into keys[] and returns how many there are (at most
 * 4 for IPv4, at most 8 for IPv6). */
size_t am_netexpand_search_keys(const struct am_addr *a,
                                char keys[][AM_ADDR_STRLEN], size_t max);

#endif
