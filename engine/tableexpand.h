/* tableexpand.h - networks in an ordinary table, rewritten for Postfix.
 *
 * accessmap reads keys like "192.0.2.0/24", "192.0.2.10-192.0.2.99" and
 * Postfix's own partial keys ("10.1") in a source table as the networks
 * they denote, most specific first.  Postfix only looks up fixed keys (for
 * client 1.2.3.4: "1.2.3.4", "1.2.3", "1.2", "1").  This step replaces the
 * table's IPv4 address-like entries by the fewest fixed keys with which
 * Postfix's search gives every address the same answer (engine/
 * netexpand.h), each new entry carrying the source line of the entry it
 * stands for.  Addresses no entry covers but that sit inside a key's block
 * get a DUNNO entry (the same outcome as "not found").
 */
#ifndef AM_ENGINE_TABLEEXPAND_H
#define AM_ENGINE_TABLEEXPAND_H

#include <stddef.h>

#include "formats/diag.h"
#include "formats/error.h"
#include "formats/tablebuild.h"

/* Default cap on the keys one table's networks may expand into. */
#define AM_TABLEEXPAND_MAX_KEYS 1000000

/* Rewrite the resolved records of tb.  A table without network or range
 * keys is left exactly as it is (and 0 returned).  Otherwise returns the
 * number of entries written for its addresses.  Errors, with file:line
 * where one entry is to blame: AM_ERR_UNSUPPORTED (an IPv6 network or
 * range: Postfix's IPv6 partial keys cannot express one), AM_ERR_LIMIT
 * (more than max_keys keys), AM_ERR_NOMEM. */
int am_tableexpand(am_tablebuild *tb, size_t max_keys, struct am_error *err);
/* 1 if tb has a network or range key, which am_tableexpand rewrites. */
int am_tableexpand_needed(am_tablebuild *tb);

#endif
