/* lint.c - checking access tables; see lint.h. */
#include "engine/lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/action.h"
#include "engine/netindex.h"
#include "formats/addr.h"

/* A network-like key (explicit network, range or partial IPv4 address),
 * for the overlap check. */
struct netkey {
    struct am_range range;
    unsigned line;
    int acts_as;                /* enum am_action_kind, as smtpd acts */
    const char *key;
    size_t klen;
};

int
am_lint_is_network_key(const char *key, size_t len)
{
    struct am_net net;
    size_t i;

    /* Most keys have neither: one pass over the short key decides. */
    for (i = 0; i < len && key[i] != '/' && key[i] != '-'; i++)
        ;
    if (i == len)
        return 0;
    return am_net_parse(key, len, AM_NET_ALLOW_RANGE, &net, NULL) == 0
        && net.kind != AM_NET_ADDR;
}

/* Findings about the key alone.  Returns 1 when the key is a network or
 * partial address (filled into *nk). */
static int
lint_key(const struct am_record *r, const struct am_loc *loc,
         const struct am_lint_opts *o, const struct am_check_conf *conf,
         struct am_diag_sink *diags, struct am_range *range)
{
    const char *k = r->key;
    size_t len = r->klen;
    char canon[AM_ADDR_STRLEN];
    struct am_addr a;
    struct am_net net;
    int address_check = o->check == AM_CHECK_CLIENT
        || o->check == AM_CHECK_REVERSE_CLIENT;
    int domain_check = address_check || o->check == AM_CHECK_HELO;
    int mail_check = o->check == AM_CHECK_SENDER || o->check == AM_CHECK_RECIPIENT;

    if (memchr(k, ':', len) != NULL && am_addr_parse(k, len, &a)) {
        size_t n = am_addr_format(&a, canon, sizeof(canon));
        if (n != len || memcmp(canon, k, len) != 0)
            am_diag_emit(diags, AM_DIAG_ERROR, loc, "ipv6-form",
                         "IPv6 key \"%.*s\" never matches: smtpd looks up "
                         "the compressed lower-case form \"%s\"", (int) len, k,
                         canon);
        return 0;
    }
    if (am_lint_is_network_key(k, len)) {
        if (am_net_parse(k, len, AM_NET_ALLOW_RANGE, &net, NULL) != 0)
            return 0;
        if (!o->networks_expanded)
            am_diag_emit(diags, AM_DIAG_ERROR, loc, "network-key",
                         "network key \"%.*s\" never matches in Postfix unless "
                         "expanded (accessmap compile expands it; postmap "
                         "stores it as text)", (int) len, k);
        else if (!address_check && o->check != AM_CHECK_EXACT)
            am_diag_emit(diags, AM_DIAG_WARNING, loc, "network-key",
                         "network key \"%.*s\" only matches client addresses; "
                         "this table is used for %s checks", (int) len, k,
                         am_check_name(o->check));
        *range = net.range;
        return 1;
    }
    if (am_net_parse_partial(k, len, &net)) {
        *range = net.range;
        return 1;
    }
    /* Looks like an IPv4 address but inet_pton refuses it. */
    if (len > 0 && k[0] >= '0' && k[0] <= '9' && strspn(k, "0123456789.") == len
        && memchr(k, '.', len) != NULL && !am_addr_parse(k, len, &a))
        am_diag_emit(diags, AM_DIAG_ERROR, loc, "ipv4-form",
                     "\"%.*s\" is not an address smtpd looks up (leading zeros "
                     "or an octet above 255)", (int) len, k);
    if ((domain_check || mail_check) && k[0] == '.' && conf->parent_style)
        am_diag_emit(diags, AM_DIAG_ERROR, loc, "dot-domain",
                     "\".domain\" key \"%.*s\" never matches: with "
                     "smtpd_access_maps in parent_domain_matches_subdomains, "
                     "\"%.*s\" already matches its subdomains", (int) len, k,
                     (int) len - 1, k + 1);
    if ((mail_check || o->check == AM_CHECK_EXACT) && k[0] == '@' && len > 1)
        am_diag_emit(diags, AM_DIAG_ERROR, loc, "at-domain",
                     "\"@domain\" key \"%.*s\" never matches in an access "
                     "table: use \"%.*s\" for the whole domain", (int) len, k,
                     (int) len - 1, k + 1);
    if (address_check && k[0] == '[')
        am_diag_emit(diags, AM_DIAG_ERROR, loc, "address-literal",
                     "address literal \"%.*s\" never matches a client: write "
                     "the address without brackets", (int) len, k);
    return 0;
}

static int
cmp_netkey(const void *x, const void *y)
{
    const struct netkey *a = x, *b = y;
    int c;

    if (a->range.family != b->range.family)
        return a->range.family < b->range.family ? -1 : 1;
    if ((c = am_u128_cmp(a->range.lo, b->range.lo)) != 0)
        return c;
    return -am_u128_cmp(a->range.hi, b->range.hi);     /* wider first */
}

/* Broad outcome of an action, to tell conflicting overlaps from agreeing
 * ones: accept, reject/defer, or neutral. */
static int
outcome(int acts_as)
{
    switch (acts_as) {
    case AM_ACTION_OK:
    case AM_ACTION_RELAY:
    case AM_ACTION_NUMERIC:
        return 1;
    case AM_ACTION_REJECT:
    case AM_ACTION_DEFER:
    case AM_ACTION_CODE:
        return 2;
    default:
        return 0;
    }
}

/* Report networks inside networks with a different outcome: a sweep over
 * intervals sorted by start (wider first), keeping the chain of
 * enclosing ones. */
static int
lint_overlaps(struct netkey *nk, size_t n, const char *file,
              struct am_diag_sink *diags, struct am_error *err)
{
    size_t *stack, depth = 0, i, reported = 0;

    if (n < 2)
        return 0;
    qsort(nk, n, sizeof(*nk), cmp_netkey);
    if ((stack = malloc(n * sizeof(*stack))) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        while (depth > 0) {
            struct netkey *top = &nk[stack[depth - 1]];
            if (top->range.family == nk[i].range.family
                && am_u128_cmp(nk[i].range.lo, top->range.hi) <= 0)
                break;
            depth--;
        }
        if (depth > 0) {
            struct netkey *outer = &nk[stack[depth - 1]];
            int a = outcome(outer->acts_as), b = outcome(nk[i].acts_as);

            if (a != 0 && b != 0 && a != b && reported++ < 100) {
                struct am_loc loc = { file, nk[i].line, 1 };
                am_diag_emit(diags, AM_DIAG_NOTE, &loc, "network-overlap",
                             "\"%.*s\" (%s) lies inside \"%.*s\" (%s, line %u): "
                             "the more specific entry wins",
                             (int) nk[i].klen, nk[i].key,
                             am_action_kind_name(nk[i].acts_as),
                             (int) outer->klen, outer->key,
                             am_action_kind_name(outer->acts_as), outer->line);
            }
        }
        stack[depth++] = i;
    }
    free(stack);
    return 0;
}

int
am_lint_records(const struct am_record *recs, size_t n, const char *file,
                const struct am_lint_opts *opts, struct am_diag_sink *diags,
                struct am_error *err)
{
    struct am_check_conf defaults;
    const struct am_check_conf *conf = opts->conf;
    struct netkey *nk;
    struct am_action act;
    size_t i, nnk = 0;
    int rc;

    if (conf == NULL) {
        am_check_conf_init(&defaults);
        conf = &defaults;
    }
    if ((nk = malloc((n ? n : 1) * sizeof(*nk))) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        const struct am_record *r = &recs[i];
        struct am_loc loc = { file, r->line, 1 };
        struct am_loc vloc = { file, r->line, 0 };
        struct am_range range;

        am_action_parse(r->val, r->vlen, opts->check, conf, &act, diags, &vloc);
        if (lint_key(r, &loc, opts, conf, diags, &range)) {
            nk[nnk].range = range;
            nk[nnk].line = r->line;
            nk[nnk].acts_as = act.acts_as;
            nk[nnk].key = r->key;
            nk[nnk].klen = r->klen;
            nnk++;
        }
        /* %XX encoding triples some bytes; count what the reply needs. */
        {
            size_t j, bytes = 0;
            for (j = 0; j < r->vlen; j++) {
                unsigned char c = (unsigned char) r->val[j];
                bytes += (c <= 0x20 || c == '%' || c >= 0x7f) ? 3 : 1;
            }
            if (bytes > AM_LINT_TCP_REPLY_MAX)
                am_diag_emit(diags, AM_DIAG_WARNING, &loc, "value-too-long",
                             "value of %u bytes needs %zu bytes in a tcp_table "
                             "reply; Postfix accepts at most %d",
                             r->vlen, bytes, AM_LINT_TCP_REPLY_MAX);
        }
    }
    rc = lint_overlaps(nk, nnk, file, diags, err);
    free(nk);
    return rc;
}

/* The addresses a rule can match: its pattern (or the rest of its family
 * when negated), within every enclosing IF.  At most 2 intervals per
 * level; out must hold 2 intervals. */
static size_t
rule_ranges(const am_cidrtable *t, const struct am_cidrrule *r,
            struct am_range out[2])
{
    struct am_range mine[2], acc[2];
    size_t n, m, i, j, k;
    const struct am_cidrrule *up;

    if (r->negated)
        n = am_range_complement(&r->net.range, mine);
    else {
        mine[0] = r->net.range;
        n = 1;
    }
    for (up = r->parent >= 0 ? am_cidrtable_rule(t, (size_t) r->parent) : NULL;
         up != NULL && n > 0;
         up = up->parent >= 0 ? am_cidrtable_rule(t, (size_t) up->parent) : NULL) {
        struct am_range theirs[2];

        if (up->negated)
            m = am_range_complement(&up->net.range, theirs);
        else {
            theirs[0] = up->net.range;
            m = 1;
        }
        for (i = 0, k = 0; i < n; i++)
            for (j = 0; j < m; j++)
                if (k < 2 && am_range_intersect(&mine[i], &theirs[j], &acc[k]))
                    k++;
        memcpy(mine, acc, sizeof(acc));
        n = k;
    }
    memcpy(out, mine, sizeof(mine));
    return n;
}

int
am_lint_cidr(const am_cidrtable *t, const struct am_lint_opts *opts,
             struct am_diag_sink *diags, struct am_error *err)
{
    struct am_check_conf defaults;
    const struct am_check_conf *conf = opts->conf;
    am_netindex_builder *b;
    am_netindex *ix;
    unsigned char *reached;
    size_t i, n = am_cidrtable_count(t), s, fam;
    struct am_action act;
    static const int families[2] = { AM_ADDR_V4, AM_ADDR_V6 };

    if (conf == NULL) {
        am_check_conf_init(&defaults);
        conf = &defaults;
    }
    if ((b = am_netindex_builder_new(err)) == NULL)
        return err->code;
    for (i = 0; i < n; i++) {
        const struct am_cidrrule *r = am_cidrtable_rule(t, i);
        struct am_loc vloc = { am_cidrtable_name(t), r->line, 0 };
        struct am_range ranges[2];
        size_t nr;

        if (r->op != AM_CIDR_MATCH)
            continue;
        am_action_parse(r->value, strlen(r->value), opts->check, conf, &act,
                        diags, &vloc);
        nr = rule_ranges(t, r, ranges);
        if (am_netindex_add(b, ranges, nr, i, (uint32_t) i, err) < 0) {
            am_netindex_builder_free(b);
            return err->code;
        }
    }
    if ((ix = am_netindex_build(b, err)) == NULL)
        return err->code;
    if ((reached = calloc(n ? n : 1, 1)) == NULL) {
        am_netindex_free(ix);
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    }
    for (fam = 0; fam < 2; fam++) {
        for (s = 0; s < am_netindex_segments(ix, families[fam]); s++) {
            struct am_range r;
            uint32_t payload;

            am_netindex_segment(ix, families[fam], s, &r, &payload);
            if (payload != AM_NETINDEX_NONE)
                reached[payload] = 1;
        }
    }
    for (i = 0; i < n; i++) {
        const struct am_cidrrule *r = am_cidrtable_rule(t, i);
        struct am_range ranges[2];
        struct am_loc loc = { am_cidrtable_name(t), r->line, 1 };
        struct am_addr a;
        uint32_t by;

        if (r->op != AM_CIDR_MATCH || reached[i])
            continue;
        if (rule_ranges(t, r, ranges) == 0) {
            am_diag_emit(diags, AM_DIAG_ERROR, &loc, "unreachable-rule",
                         "rule \"%s\" can never match: its IF blocks exclude "
                         "every address it covers", r->pattern);
            continue;
        }
        am_addr_from_u128(ranges[0].family, ranges[0].lo, &a);
        if (am_netindex_lookup(ix, &a, &by) && by != AM_NETINDEX_NONE)
            am_diag_emit(diags, AM_DIAG_ERROR, &loc, "unreachable-rule",
                         "rule \"%s\" can never match: earlier rules cover "
                         "every address it covers (for example line %u, \"%s\")",
                         r->pattern, am_cidrtable_rule(t, by)->line,
                         am_cidrtable_rule(t, by)->pattern);
    }
    free(reached);
    am_netindex_free(ix);
    return 0;
}
