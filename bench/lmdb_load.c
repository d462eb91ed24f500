/* lmdb_load.c - the least an LMDB table build can cost: a reference.
 *
 * Reads KEY<TAB>VALUE lines from stdin, sorts them by key, and appends
 * them (MDB_APPEND), with the trailing NUL Postfix stores, to a fresh
 * single-file LMDB database (as Postfix's lmdb: tables are laid out) in
 * one write transaction, committed once.  No parsing beyond the tab, no
 * case folding, no duplicate checks (duplicate keys make MDB_APPEND fail).
 * mdb_load is no reference for this: it commits (and syncs) every 100
 * records.  A standalone program, not a test.
 *
 *   lmdb_load FILE.lmdb < SOURCE
 */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
    char *key;                  /* NUL-terminated; the value follows */
    size_t klen, vlen;
};

static int
by_key(const void *a, const void *b)
{
    return strcmp(((const struct rec *) a)->key,
                  ((const struct rec *) b)->key);
}

static int
fail(const char *what, int rc)
{
    fprintf(stderr, "lmdb_load: %s: %s\n", what, mdb_strerror(rc));
    return 1;
}

int
main(int argc, char **argv)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    struct rec *recs = NULL;
    size_t n = 0, nalloc = 0, i;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: lmdb_load FILE.lmdb < SOURCE\n");
        return 2;
    }
    if ((rc = mdb_env_create(&env)) != 0
        || (rc = mdb_env_set_mapsize(env, (size_t) 1 << 36)) != 0
        || (rc = mdb_env_open(env, argv[1], MDB_NOSUBDIR | MDB_NOLOCK,
                              0644)) != 0)
        return fail(argv[1], rc);
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0
        || (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0)
        return fail("begin", rc);
    while ((len = getline(&line, &cap, stdin)) > 0) {
        char *tab = memchr(line, '\t', (size_t) len);

        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (tab == NULL)
            continue;
        *tab = '\0';
        if (n == nalloc) {
            nalloc = nalloc ? 2 * nalloc : 65536;
            recs = realloc(recs, nalloc * sizeof *recs);
            if (recs == NULL)
                return fail("realloc", ENOMEM);
        }
        recs[n].key = line;
        recs[n].klen = (size_t) (tab - line) + 1;
        recs[n].vlen = (size_t) (line + len - tab);
        n++;
        line = NULL;            /* the record owns it now */
        cap = 0;
    }
    free(line);
    qsort(recs, n, sizeof *recs, by_key);
    for (i = 0; i < n; i++) {
        MDB_val k, v;

        k.mv_data = recs[i].key;
        k.mv_size = recs[i].klen;
        v.mv_data = recs[i].key + recs[i].klen;
        v.mv_size = recs[i].vlen;
        if ((rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND)) != 0)
            return fail("put", rc);
    }
    if ((rc = mdb_txn_commit(txn)) != 0)
        return fail("commit", rc);
    mdb_env_close(env);
    for (i = 0; i < n; i++)
        free(recs[i].key);
    free(recs);
    return 0;
}
