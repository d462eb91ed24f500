/* tableexpand.c - expanding network keys for Postfix; see tableexpand.h. */
#include "engine/tableexpand.h"

#include <stdlib.h>
#include <string.h>

#include "engine/lint.h"
#include "engine/netexpand.h"
#include "engine/netindex.h"
#include "formats/addr.h"

/* Interval size as a sortable number: smaller networks first.  Sizes up
 * to 2^32 for IPv4 fit in 64 bits. */
static uint64_t
size_of(const struct am_range *r)
{
    return r->hi.lo - r->lo.lo;
}

int
am_tableexpand_needed(am_tablebuild *tb)
{
    struct am_record *recs;
    size_t n, i;

    recs = am_tablebuild_records(tb, &n);
    for (i = 0; i < n; i++)
        if (am_lint_is_network_key(recs[i].key, recs[i].klen))
            return 1;
    return 0;
}

int
am_tableexpand(am_tablebuild *tb, size_t max_keys, struct am_error *err)
{
    am_netindex_builder *b = NULL;
    am_netindex *ix = NULL;
    am_netexpand *x = NULL;
    struct am_record *recs;
    unsigned char *keep = NULL;
    size_t n, i, nkeys = 0, filler;
    struct am_net net;
    struct am_addr a;
    int rc = 0;

    if (!am_tableexpand_needed(tb))
        return 0;               /* a plain Postfix table: leave it alone */
    recs = am_tablebuild_records(tb, &n);
    filler = n;                 /* payload for DUNNO fillers */
    if ((keep = malloc(n)) == NULL || (b = am_netindex_builder_new(err)) == NULL) {
        rc = am_error_set(err, AM_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < n; i++) {
        const struct am_record *r = &recs[i];
        int is_net = am_lint_is_network_key(r->key, r->klen);

        keep[i] = 1;
        if (is_net) {
            if (am_net_parse(r->key, r->klen, AM_NET_ALLOW_RANGE, &net, err) < 0)
                goto fail_at;
        } else if (am_net_parse_partial(r->key, r->klen, &net)) {
            /* "10.1": a /16, as Postfix's octet stripping reads it. */
        } else if (memchr(r->key, ':', r->klen) == NULL
                   && am_addr_parse(r->key, r->klen, &a) && a.family == AM_ADDR_V4) {
            am_range_of_prefix(&a, 32, &net.range);
        } else {
            continue;           /* hostnames, IPv6 addresses: unchanged */
        }
        if (net.range.family == AM_ADDR_V6) {
            rc = am_error_set(err, AM_ERR_UNSUPPORTED,
                              "IPv6 network \"%.*s\" cannot be written as keys "
                              "Postfix looks up; use a cidr table (or accessmap "
                              "serve) for IPv6 networks", (int) r->klen, r->key);
            goto fail_at;
        }
        /* Most specific first; among equals, the earlier line. */
        if ((rc = am_netindex_add(b, &net.range, 1,
                                  (size_of(&net.range) << 24) | (i & 0xffffff),
                                  (uint32_t) i, err)) < 0)
            goto out;
        keep[i] = 0;
    }
    ix = am_netindex_build(b, err);
    b = NULL;
    if (ix == NULL) {
        rc = err->code;
        goto out;
    }
    if ((x = am_netexpand_new(ix, (uint32_t) filler, max_keys, err)) == NULL) {
        rc = err->code;
        goto out;
    }
    /* New records are appended after the old ones: the old array may move,
     * so take origins from a copy of what they point to. */
    nkeys = am_netexpand_count(x);
    {
        struct am_record *origin = malloc(n * sizeof(*origin));

        if (origin == NULL) {
            rc = am_error_set(err, AM_ERR_NOMEM, "out of memory");
            goto out;
        }
        memcpy(origin, recs, n * sizeof(*origin));
        am_tablebuild_keep(tb, keep);
        for (i = 0; i < nkeys && rc == 0; i++) {
            const struct am_netexpand_key *k = am_netexpand_key(x, i);
            const struct am_record *o = k->payload == filler ? NULL : &origin[k->payload];
            struct am_loc loc = { o ? am_tablebuild_source_name(tb, o) : "", o ? o->line : 0, 0 };

            if (o == NULL)
                rc = am_tablebuild_add(tb, k->text, strlen(k->text), "DUNNO", 5,
                                       &loc, err);
            else
                rc = am_tablebuild_add(tb, k->text, strlen(k->text), o->val,
                                       o->vlen, &loc, err);
        }
        free(origin);
    }
    if (rc == 0)
        rc = (int) (nkeys > (size_t) 0x7fffffff ? 0x7fffffff : nkeys);
    goto out;
fail_at:
    if (rc == 0)
        rc = err->code;
    am_error_at(err, am_tablebuild_source_name(tb, &recs[i]), recs[i].line, 1);
out:
    am_netindex_builder_free(b);
    am_netexpand_free(x);
    am_netindex_free(ix);
    free(keep);
    return rc;
}
