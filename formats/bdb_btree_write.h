/* bdb_btree_write.h - a Berkeley DB btree file written page by page.
 *
 * Private to formats/store_bdb.c.  Builds the file libdb would build from
 * sorted unique records, without libdb: for a table that is written once,
 * whole, filling pages in key order is much cheaper than a million
 * DB->put() calls.  The caller owns the records and the descriptor.
 */
#ifndef AM_FORMATS_BDB_BTREE_WRITE_H
#define AM_FORMATS_BDB_BTREE_WRITE_H

#include <stddef.h>

#include "formats/error.h"
#include "formats/record.h"

/* The btree format written (libdb's DB_BTREEMAGIC, DB_BTREEVERSION). */
#define AM_BDB_BTREE_MAGIC 0x053162u
#define AM_BDB_BTREE_VERSION 9u

/* 1 if every stored key and value of recs is small enough for libdb to
 * keep it on a leaf page of pagesize bytes, 0 if some would go to an
 * overflow page (which this writer does not write). */
int am_bdb_btree_fits(const struct am_record *recs, size_t n,
                      unsigned pagesize);

/* Write recs as a complete btree file with pages of pagesize bytes (a
 * power of two, 512 to 65536) to fd, an empty file open for writing at
 * offset 0.  recs must be sorted by am_record_keycmp() with unique keys
 * (AM_ERR_INVALID otherwise, found while writing) and must fit (see
 * am_bdb_btree_fits).  progress, if not NULL, is called now and then with
 * the records written so far.  On failure the file holds garbage. */
int am_bdb_btree_write(int fd, const struct am_record *recs, size_t n,
                       unsigned pagesize,
                       void (*progress)(void *ctx, size_t done, size_t total),
                       void *progress_ctx, struct am_error *err);

#endif
