/* tablebuild.c - collecting and resolving table records; see tablebuild.h. */
#include "formats/tablebuild.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/arena.h"
#include "formats/bigmem.h"
#include "formats/fold.h"
#include "formats/srctable.h"

struct am_tablebuild {
    struct am_tablebuild_opts opts;
    am_arena *arena;            /* copies of keys and unstable values */
    am_fold *fold;
    struct am_record *recs;
    size_t n, cap;
    const char **names;         /* source names, indexed by am_record.src */
    size_t nnames;
    int key_ordered;            /* recs sorted by key since the last resolve */
};

am_tablebuild *
am_tablebuild_new(const struct am_tablebuild_opts *opts, struct am_error *err)
{
    am_tablebuild *tb = calloc(1, sizeof(*tb));

    if (tb == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    tb->opts = *opts;
    if ((tb->arena = am_arena_new()) == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        am_tablebuild_free(tb);
        return NULL;
    }
    if ((tb->fold = am_fold_new(opts->utf8 ? AM_FOLD_UTF8 : 0, err)) == NULL) {
        am_tablebuild_free(tb);
        return NULL;
    }
    return tb;
}

void
am_tablebuild_free(am_tablebuild *tb)
{
    if (tb == NULL)
        return;
    am_arena_free(tb->arena);
    am_fold_free(tb->fold);
    free(tb->recs);
    free(tb->names);
    free(tb);
}

/* Index of name in the names table, adding it if new. */
static int
source_index(am_tablebuild *tb, const char *name, struct am_error *err)
{
    const char **nn;
    size_t i;

    for (i = 0; i < tb->nnames; i++)
        if (tb->names[i] == name)
            return (int) i;
    if (tb->nnames >= 65535)
        return am_error_set(err, AM_ERR_LIMIT, "too many sources");
    if ((nn = realloc(tb->names, (tb->nnames + 1) * sizeof(*nn))) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    tb->names = nn;
    tb->names[tb->nnames] = name;
    return (int) tb->nnames++;
}

static struct am_record *
new_record(am_tablebuild *tb, struct am_error *err)
{
    struct am_record *nr;

    tb->key_ordered = 0;
    if (tb->n == tb->cap) {
        size_t ncap = tb->cap ? tb->cap * 2 : 1024;
        if ((nr = am_bigmem_realloc(tb->recs, ncap, sizeof(*nr))) == NULL) {
            am_error_set(err, AM_ERR_NOMEM, "out of memory");
            return NULL;
        }
        tb->recs = nr;
        tb->cap = ncap;
    }
    return &tb->recs[tb->n++];
}

/* Room for n records in all, when it can be had: an array sized once is
 * never copied while it grows (a failure here only defers to growth). */
static void
reserve(am_tablebuild *tb, size_t n)
{
    struct am_record *nr;

    if (n <= tb->cap || n > SIZE_MAX / 2 / sizeof(*nr))
        return;
    if ((nr = am_bigmem_realloc(tb->recs, n, sizeof(*nr))) != NULL) {
        tb->recs = nr;
        tb->cap = n;
    }
}

static int
too_long(size_t len, struct am_error *err)
{
    if (len >= 0xffffffffu)
        return am_error_set(err, AM_ERR_LIMIT, "entry longer than 4 GiB");
    return 0;
}

/* Add with explicit stability: stable text is referenced, not copied. */
static int
add_entry(am_tablebuild *tb, const char *key, size_t klen, int key_stable,
          const char *val, size_t vlen, int val_stable,
          const struct am_loc *loc, struct am_error *err)
{
    struct am_record *r;
    const char *k = key;
    size_t kl = klen;
    int src, rc;

    if ((rc = too_long(klen, err)) < 0 || (rc = too_long(vlen, err)) < 0)
        return rc;
    if ((src = source_index(tb, loc->file, err)) < 0)
        return src;
    /* A key that folds to itself (most) stays where it is, uncopied. */
    if (tb->opts.fold && am_fold_changes(key, klen)) {
        if ((rc = am_fold_key(tb->fold, key, klen, &k, &kl, err)) < 0)
            return rc;
        key_stable = 0;
    }
    if (!key_stable && (k = am_arena_strndup(tb->arena, k, kl)) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    if (!val_stable && (val = am_arena_strndup(tb->arena, val, vlen)) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    if ((r = new_record(tb, err)) == NULL)
        return AM_ERR_NOMEM;
    r->key = k;
    r->klen = (uint32_t) kl;
    r->val = val;
    r->vlen = (uint32_t) vlen;
    r->line = loc->line;
    r->src = (uint16_t) src;
    r->flags = tb->opts.nul ? AM_REC_NUL : 0;
    return 0;
}

int
am_tablebuild_add(am_tablebuild *tb, const char *key, size_t klen,
                  const char *val, size_t vlen, const struct am_loc *loc,
                  struct am_error *err)
{
    return add_entry(tb, key, klen, 0, val, vlen, 0, loc, err);
}

int
am_tablebuild_add_source(am_tablebuild *tb, am_lines *lr,
                         struct am_diag_sink *diags, struct am_error *err)
{
    am_srctable *st;
    struct am_entry e;
    int rc, stable;

    if ((st = am_srctable_open(lr, tb->opts.utf8 ? AM_SRC_UTF8 : 0, err)) == NULL)
        return err ? err->code : AM_ERR_NOMEM;
    reserve(tb, tb->n + am_lines_left(lr));
    while ((rc = am_srctable_next(st, &e, diags, err)) > 0) {
        if (tb->opts.progress != NULL && (tb->n & 0xffff) == 0)
            tb->opts.progress(tb->opts.progress_ctx, am_lines_offset(lr),
                              am_lines_size(lr));
        stable = am_srctable_stable(st, &e);
        rc = add_entry(tb, e.key, e.klen, stable, e.value, e.vlen, stable,
                       &e.loc, err);
        if (rc == AM_ERR_SYNTAX) {
            /* A key the folder rejects: warn and skip, like bad UTF-8. */
            am_diag_emit(diags, AM_DIAG_WARNING, &e.loc, "bad-key",
                         "%s; line ignored", err->msg);
            continue;
        }
        if (rc < 0) {
            am_error_at(err, e.loc.file, e.loc.line, 1);
            break;
        }
    }
    am_srctable_close(st);
    return rc < 0 ? rc : 0;
}

struct existing_ctx {
    am_tablebuild *tb;
    int src;
    struct am_error *err;
};

static int
add_existing(void *ctx, const char *key, size_t klen, const char *val,
             size_t vlen)
{
    struct existing_ctx *ec = ctx;
    am_tablebuild *tb = ec->tb;
    struct am_record *r;
    int nul = 0;

    if (too_long(klen, ec->err) < 0 || too_long(vlen, ec->err) < 0)
        return ec->err->code;
    /* Keep the record's own convention: NUL on both, or raw bytes. */
    if (klen > 0 && vlen > 0 && key[klen - 1] == '\0' && val[vlen - 1] == '\0') {
        nul = 1;
        klen--;
        vlen--;
    }
    if ((r = new_record(tb, ec->err)) == NULL)
        return AM_ERR_NOMEM;
    r->key = am_arena_strndup(tb->arena, key, klen);
    r->val = am_arena_strndup(tb->arena, val, vlen);
    if (r->key == NULL || r->val == NULL) {
        tb->n--;
        return am_error_set(ec->err, AM_ERR_NOMEM, "out of memory");
    }
    r->klen = (uint32_t) klen;
    r->vlen = (uint32_t) vlen;
    r->line = 0;
    r->src = (uint16_t) ec->src;
    r->flags = nul ? AM_REC_NUL : 0;
    return 0;
}

int
am_tablebuild_add_store(am_tablebuild *tb, am_store *s, struct am_error *err)
{
    struct existing_ctx ec = { tb, 0, err };

    if ((ec.src = source_index(tb, am_store_path(s), err)) < 0)
        return ec.src;
    return am_store_each(s, add_existing, &ec, err);
}

static void
warn_duplicate(am_tablebuild *tb, const struct am_record *kept,
               const struct am_record *dup, struct am_diag_sink *diags)
{
    struct am_loc loc = { tb->names[dup->src], dup->line, 1 };
    int shown = dup->klen > 200 ? 200 : (int) dup->klen;

    if (kept->line != 0)
        am_diag_emit(diags, AM_DIAG_WARNING, &loc, "duplicate-key",
                     "duplicate entry \"%.*s\" ignored; the entry at %s:%u "
                     "wins", shown, dup->key, tb->names[kept->src], kept->line);
    else
        am_diag_emit(diags, AM_DIAG_WARNING, &loc, "duplicate-key",
                     "duplicate entry \"%.*s\" ignored; the entry already in "
                     "%s wins", shown, dup->key, tb->names[kept->src]);
}

/* FNV-1a over the stored key (text, then the NUL if any). */
static uint64_t
stored_key_hash(const struct am_record *r)
{
    uint64_t h = 1469598103934665603ULL;
    uint32_t i;

    for (i = 0; i < r->klen; i++) {
        h ^= (unsigned char) r->key[i];
        h *= 1099511628211ULL;
    }
    if (r->flags & AM_REC_NUL)
        h *= 1099511628211ULL;
    return h ^ (h >> 31);
}

#define DROPPED 0x8000          /* record flag private to resolve */

/* A slot of resolve_by_hash's table: the record's index + 1 (0: empty) and
 * 32 more bits of its key's hash, so that a probe compares keys (two cache
 * misses away) only when the hashes agree. */
struct key_slot {
    uint32_t rec;
    uint32_t tag;
};

#define HASH_AHEAD 8            /* records hashed and prefetched ahead */

/* Input order: one pass with a hash table of the keys seen. */
static int
resolve_by_hash(am_tablebuild *tb, struct am_diag_sink *diags,
                struct am_error *err)
{
    struct key_slot *slot;
    uint64_t ahead[HASH_AHEAD];
    size_t nslots = 16, mask, i, j;

    while (nslots < tb->n * 2)
        nslots *= 2;
    mask = nslots - 1;
    if ((slot = am_bigmem_alloc(nslots, sizeof(*slot))) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    memset(slot, 0, nslots * sizeof(*slot));
    for (i = 0; i < tb->n && i < HASH_AHEAD; i++) {
        ahead[i] = stored_key_hash(&tb->recs[i]);
        __builtin_prefetch(&slot[ahead[i] & mask], 1);
    }
    /* One pass in input order: the first record with a key owns its slot;
     * later ones are dropped, or (-r) replace it. */
    for (i = 0; i < tb->n; i++) {
        struct am_record *r = &tb->recs[i];
        uint64_t h = ahead[i % HASH_AHEAD];
        uint32_t tag = (uint32_t) (h >> 32);

        if (i + HASH_AHEAD < tb->n) {
            uint64_t next = stored_key_hash(&tb->recs[i + HASH_AHEAD]);

            ahead[i % HASH_AHEAD] = next;
            __builtin_prefetch(&slot[next & mask], 1);
        }
        for (j = h & mask; slot[j].rec != 0; j = (j + 1) & mask)
            if (slot[j].tag == tag
                && am_record_keycmp(&tb->recs[slot[j].rec - 1], r) == 0)
                break;
        if (slot[j].rec == 0) {
            slot[j].rec = (uint32_t) i + 1;
            slot[j].tag = tag;
            continue;
        }
        if (tb->opts.dups == AM_DUP_LAST) {
            tb->recs[slot[j].rec - 1].flags |= DROPPED;
            slot[j].rec = (uint32_t) i + 1;
        } else {
            if (tb->opts.dups == AM_DUP_FIRST_WARN)
                warn_duplicate(tb, &tb->recs[slot[j].rec - 1], r, diags);
            r->flags |= DROPPED;
        }
    }
    free(slot);
    return 0;
}

/* A repeated key found by the sort: where it was in the input, and the
 * positions (after the sort) of it and of the record that wins. */
struct dup {
    uint32_t input, at, kept;
};

static int
dup_cmp(const void *a, const void *b)
{
    const struct dup *x = a, *y = b;

    return x->input < y->input ? -1 : x->input > y->input;
}

/* Key order: a stable sort puts the records of one key together, in input
 * order; all but the first (-r: the last) of each run are dropped.  The
 * warnings are then given in input order, as resolve_by_hash gives them. */
static int
resolve_by_sort(am_tablebuild *tb, struct am_diag_sink *diags,
                struct am_error *err)
{
    struct am_record *recs = tb->recs;
    uint32_t *from = NULL;
    struct dup *dups = NULL;
    size_t ndups = 0, cap = 0, i, head;
    int warn = tb->opts.dups == AM_DUP_FIRST_WARN, rc = 0;

    if (warn && (from = malloc((tb->n ? tb->n : 1) * sizeof(*from))) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    if ((rc = am_record_sort_keys_from(recs, tb->n, from, err)) < 0)
        goto out;
    for (i = 1, head = 0; i < tb->n; i++) {
        /* Sorted records point all over the source: fetch ahead. */
        if (i + 16 < tb->n)
            __builtin_prefetch(recs[i + 16].key);
        if (am_record_keycmp(&recs[i - 1], &recs[i]) != 0) {
            head = i;
            continue;
        }
        if (tb->opts.dups == AM_DUP_LAST) {
            recs[i - 1].flags |= DROPPED;
            continue;
        }
        recs[i].flags |= DROPPED;
        if (!warn)
            continue;
        if (ndups == cap) {
            struct dup *nd;

            cap = cap ? 2 * cap : 64;
            if ((nd = realloc(dups, cap * sizeof(*dups))) == NULL) {
                rc = am_error_set(err, AM_ERR_NOMEM, "out of memory");
                goto out;
            }
            dups = nd;
        }
        dups[ndups].input = from[i];
        dups[ndups].at = (uint32_t) i;
        dups[ndups].kept = (uint32_t) head;
        ndups++;
    }
    if (ndups > 0)
        qsort(dups, ndups, sizeof(*dups), dup_cmp);
    for (i = 0; i < ndups; i++)
        warn_duplicate(tb, &recs[dups[i].kept], &recs[dups[i].at], diags);
out:
    free(from);
    free(dups);
    return rc;
}

int
am_tablebuild_resolve(am_tablebuild *tb, int order, struct am_diag_sink *diags,
                      struct am_error *err)
{
    size_t i, out = 0;
    int rc;

    if (tb->n >= UINT32_MAX)
        return am_error_set(err, AM_ERR_LIMIT, "too many entries");
    if (tb->opts.dups == AM_DUP_KEEP_ALL)
        return 0;
    if (order == AM_ORDER_KEY)
        rc = resolve_by_sort(tb, diags, err);
    else
        rc = resolve_by_hash(tb, diags, err);
    if (rc < 0) {
        for (i = 0; i < tb->n; i++)
            tb->recs[i].flags &= (uint16_t) ~DROPPED;
        return rc;
    }
    for (i = 0; i < tb->n; i++)
        if (!(tb->recs[i].flags & DROPPED))
            tb->recs[out++] = tb->recs[i];
    tb->n = out;
    tb->key_ordered = order == AM_ORDER_KEY;
    return 0;
}

struct am_record *
am_tablebuild_records(am_tablebuild *tb, size_t *n)
{
    *n = tb->n;
    return tb->recs;
}

void
am_tablebuild_keep(am_tablebuild *tb, const unsigned char *keep)
{
    size_t i, out = 0;

    for (i = 0; i < tb->n; i++)
        if (keep[i])
            tb->recs[out++] = tb->recs[i];
    tb->n = out;
}

const char *
am_tablebuild_source_name(const am_tablebuild *tb, const struct am_record *r)
{
    return r->src < tb->nnames ? tb->names[r->src] : "";
}

static int
by_place(const void *a, const void *b)
{
    const struct am_record *x = *(const struct am_record *const *) a;
    const struct am_record *y = *(const struct am_record *const *) b;

    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

int
am_tablebuild_check(am_tablebuild *tb, int type, struct am_diag_sink *diags,
                    struct am_error *err)
{
    size_t max = am_store_max_key(type), i, bad = 0;
    const struct am_record **offenders;

    if (max == 0)
        return 0;
    for (i = 0; i < tb->n; i++)
        if (am_record_ksize(&tb->recs[i]) > max)
            bad++;
    if (bad == 0)
        return 0;
    /* Reported in source order, also when the records are in key order. */
    if ((offenders = malloc(bad * sizeof(*offenders))) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    for (i = 0, bad = 0; i < tb->n; i++)
        if (am_record_ksize(&tb->recs[i]) > max)
            offenders[bad++] = &tb->recs[i];
    if (tb->key_ordered)
        qsort(offenders, bad, sizeof(*offenders), by_place);
    for (i = 0; i < bad; i++) {
        const struct am_record *r = offenders[i];
        struct am_loc loc = { tb->names[r->src], r->line, 1 };

        am_diag_emit(diags, AM_DIAG_ERROR, &loc, "key-too-long",
                     "key of %zu bytes%s is longer than %s allows (%zu)",
                     am_record_ksize(r), r->flags & AM_REC_NUL ? " with its NUL" : "",
                     am_store_type_name(type), max);
    }
    free(offenders);
    return am_error_set(err, AM_ERR_LIMIT,
                        "%zu key%s too long for %s tables", bad,
                        bad == 1 ? "" : "s", am_store_type_name(type));
}

int
am_tablebuild_write(am_tablebuild *tb, int type, const char *path,
                    const struct am_store_build_opts *opts,
                    struct am_error *err)
{
    struct am_store_build_opts o = *opts;

    o.sorted = tb->key_ordered;
    return am_store_build(type, path, tb->recs, tb->n, &o, err);
}
