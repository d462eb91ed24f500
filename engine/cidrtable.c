/* cidrtable.c - loading and querying cidr_table(5) files; see cidrtable.h.
 *
 * Parsing mirrors Postfix's dict_cidr_parse_rule(): the same keyword tests,
 * the same order of checks, the same rules skipped.  Lookups do not walk
 * the rules as Postfix does.  A rule is reached for an address exactly when
 * every enclosing IF matches it, so each MATCH rule's pattern set is
 * intersected with its IF blocks' sets and the result painted into an
 * am_netindex with file order as priority: the first match wins, in a few
 * memory reads.  The rule list is kept for explanations.
 */
#include "engine/cidrtable.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/netindex.h"
#include "formats/arena.h"
#include "formats/lines.h"

struct am_cidrtable {
    char *name;
    am_arena *arena;            /* rule texts and IF interval sets */
    struct am_cidrrule *rules;
    size_t nrules, caprules;
    am_netindex *index;         /* payload: rule number */
};

/* A set of addresses: sorted disjoint intervals of one family. */
struct ivset {
    const struct am_range *r;
    size_t n;
};

/* Loading state. */
struct loader {
    am_cidrtable *t;
    struct am_diag_sink *diags;
    struct ivset *ifsets;       /* per rule: the set an IF block admits */
    long *stack;                /* open IF rules, innermost last */
    size_t depth, capstack;
    am_netindex_builder *builder;
    struct am_range *scratch;   /* work space for set intersections */
    size_t capscratch;
};

static const char *const problem_id[] = {
    [AM_NET_BAD_MASK] = "bad-mask",
    [AM_NET_MASK_TOO_LONG] = "mask-too-long",
    [AM_NET_BAD_NETWORK] = "bad-network",
    [AM_NET_BAD_ADDRESS] = "bad-address",
    [AM_NET_HOST_BITS] = "host-bits",
    [AM_NET_NO_BRACKET] = "missing-bracket",
    [AM_NET_AFTER_BRACKET] = "text-after-bracket",
};

static int
is_alnum(int c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Postfix's keyword test: the word, in any case, not followed by a letter
 * or digit. */
static int
is_keyword(const char *p, size_t len, const char *word)
{
    size_t n = strlen(word);

    return len >= n && strncasecmp(p, word, n) == 0
        && (len == n || !is_alnum((unsigned char) p[n]));
}

/* Up to 40 bytes of text for a message, non-printable bytes as '?'. */
static const char *
excerpt(char *buf, const char *text, size_t len)
{
    size_t i, n = len > 40 ? 40 : len;

    for (i = 0; i < n; i++)
        buf[i] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
    strcpy(buf + n, len > n ? "..." : "");
    return buf;
}

static void
warn(struct loader *ld, unsigned line, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
warn(struct loader *ld, unsigned line, const char *id, const char *fmt, ...)
{
    struct am_loc loc = { ld->t->name, line, 0 };
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    am_diag_emit(ld->diags, AM_DIAG_WARNING, &loc, id, "%s", msg);
}

/* The set a pattern matches on its own: the network, or for '!' the rest
 * of its family.  Writes at most 2 intervals. */
static size_t
pattern_set(const struct am_cidrrule *r, struct am_range out[2])
{
    if (!r->negated) {
        out[0] = r->net.range;
        return 1;
    }
    return am_range_complement(&r->net.range, out);
}

/* out = a (at most 2 intervals) intersected with b; out has room for
 * b.n + 2.  Binary search finds where a's intervals start in b, so a rule
 * inside many nested negations costs only what its result holds. */
static size_t
intersect(const struct am_range *a, size_t na, struct ivset b,
          struct am_range *out)
{
    size_t i, lo, hi, mid, n = 0;

    if (b.n == 0 || na == 0 || b.r[0].family != a[0].family)
        return 0;
    for (i = 0; i < na; i++) {
        lo = 0;
        hi = b.n;
        while (lo < hi) {               /* first b interval ending >= start */
            mid = lo + (hi - lo) / 2;
            if (am_u128_cmp(b.r[mid].hi, a[i].lo) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < b.n && am_u128_cmp(b.r[lo].lo, a[i].hi) <= 0; lo++)
            if (am_range_intersect(&a[i], &b.r[lo], &out[n]))
                n++;
    }
    return n;
}

static int
reserve_scratch(struct loader *ld, size_t n, struct am_error *err)
{
    struct am_range *p;
    size_t cap = ld->capscratch ? ld->capscratch : 16;

    if (n <= ld->capscratch)
        return 0;
    while (cap < n)
        cap *= 2;
    if ((p = realloc(ld->scratch, cap * sizeof(*p))) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    ld->scratch = p;
    ld->capscratch = cap;
    return 0;
}

/* Append a parsed rule; returns its index or <0. */
static long
add_rule(struct loader *ld, const struct am_cidrrule *rule,
         struct am_error *err)
{
    am_cidrtable *t = ld->t;
    struct am_range own[2];
    struct ivset parent = { NULL, 0 };
    size_t n, idx = t->nrules;
    int rc;

    if (t->nrules >= AM_NETINDEX_MAX_RULES - 1)
        return am_error_set(err, AM_ERR_LIMIT, "%s: too many rules",
                            t->name);
    if (t->nrules == t->caprules) {
        size_t cap = t->caprules ? 2 * t->caprules : 64;
        struct am_cidrrule *nr = realloc(t->rules, cap * sizeof(*nr));
        struct ivset *ns = realloc(ld->ifsets, cap * sizeof(*ns));

        if (nr != NULL)
            t->rules = nr;
        if (ns != NULL)
            ld->ifsets = ns;
        if (nr == NULL || ns == NULL)
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        t->caprules = cap;
    }
    t->rules[idx] = *rule;
    t->rules[idx].parent = ld->depth > 0 ? ld->stack[ld->depth - 1] : -1;
    ld->ifsets[idx].r = NULL;
    ld->ifsets[idx].n = 0;
    t->nrules++;

    /* What this rule admits: its own set within its IF blocks. */
    n = pattern_set(rule, own);
    if (ld->depth > 0) {
        parent = ld->ifsets[ld->stack[ld->depth - 1]];
        if ((rc = reserve_scratch(ld, parent.n + 2, err)) < 0)
            return rc;
        n = intersect(own, n, parent, ld->scratch);
    } else {
        if ((rc = reserve_scratch(ld, 2, err)) < 0)
            return rc;
        memcpy(ld->scratch, own, n * sizeof(*own));
    }
    if (rule->op == AM_CIDR_IF) {
        struct am_range *keep = am_arena_alloc(t->arena,
                                               (n ? n : 1) * sizeof(*keep));

        if (keep == NULL)
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        memcpy(keep, ld->scratch, n * sizeof(*keep));
        ld->ifsets[idx].r = keep;
        ld->ifsets[idx].n = n;
    } else if ((rc = am_netindex_add(ld->builder, ld->scratch, n, idx,
                                     (uint32_t) idx, err)) < 0) {
        return rc;
    }
    return (long) idx;
}

/* Parse a pattern into r->net, or warn and return 0. */
static int
parse_pattern(struct loader *ld, unsigned line, const char *p, size_t len,
              struct am_cidrrule *r)
{
    struct am_error perr;

    am_error_clear(&perr);
    if (am_net_parse(p, len, AM_NET_ALLOW_BRACKETS | AM_NET_MASK_WRAP,
                     &r->net, &perr) < 0) {
        warn(ld, line, problem_id[r->net.problem], "%s; rule skipped",
             perr.msg);
        return 0;
    }
    if (r->net.mask_wrapped)
        warn(ld, line, "mask-wraps", "Postfix reads the mask in \"%.*s\" as "
             "/%u (the number modulo 256); rule kept", (int) len, p,
             r->net.prefix);
    return 1;
}

static int
push_if(struct loader *ld, long idx, struct am_error *err)
{
    if (ld->depth == ld->capstack) {
        size_t cap = ld->capstack ? 2 * ld->capstack : 16;
        long *ns = realloc(ld->stack, cap * sizeof(*ns));

        if (ns == NULL)
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        ld->stack = ns;
        ld->capstack = cap;
    }
    ld->stack[ld->depth++] = idx;
    return 0;
}

/* One logical line, cut at a NUL as Postfix's C strings cut it. */
static int
parse_line(struct loader *ld, const char *text, size_t len, unsigned line,
           struct am_error *err)
{
    struct am_cidrrule r;
    const char *nul = memchr(text, '\0', len);
    size_t p = 0, pat, patlen, val, end;
    long idx;

    if (nul != NULL) {
        len = (size_t) (nul - text);
        warn(ld, line, "nul-byte", "NUL byte in the line: Postfix ignores "
             "the rest of it");
    }
    memset(&r, 0, sizeof(r));
    r.line = line;

    if (is_keyword(text, len, "if")) {
        for (p = 2; p < len && (text[p] == '!'
                                || am_is_space((unsigned char) text[p])); p++)
            if (text[p] == '!')
                r.negated ^= 1;
        end = len;
        while (end > p && am_is_space((unsigned char) text[end - 1]))
            end--;
        if (p == end) {
            warn(ld, line, "no-pattern", "\"if\" without an address "
                 "pattern; rule skipped");
            return 0;
        }
        if (!parse_pattern(ld, line, text + p, end - p, &r))
            return 0;
        r.op = AM_CIDR_IF;
        if ((r.pattern = am_arena_strndup(ld->t->arena, text + p, end - p))
            == NULL)
            return am_error_set(err, AM_ERR_NOMEM, "out of memory");
        r.value = "";
        if ((idx = add_rule(ld, &r, err)) < 0)
            return (int) idx;
        return push_if(ld, idx, err);
    }

    if (is_keyword(text, len, "endif")) {
        for (p = 5; p < len && am_is_space((unsigned char) text[p]); p++)
            ;
        if (p < len) {
            char buf[44];

            warn(ld, line, "text-after-endif", "unexpected text after "
                 "\"endif\": \"%s\"; rule skipped",
                 excerpt(buf, text + p, len - p));
            return 0;
        }
        if (ld->depth == 0) {
            warn(ld, line, "endif-without-if", "\"endif\" without an open "
                 "\"if\"; rule skipped");
            return 0;
        }
        ld->t->rules[ld->stack[--ld->depth]].endif_line = line;
        return 0;
    }

    /* [!...] pattern value */
    for (; p < len && (text[p] == '!' || am_is_space((unsigned char) text[p]));
         p++)
        if (text[p] == '!')
            r.negated ^= 1;
    pat = p;
    while (p < len && !am_is_space((unsigned char) text[p]))
        p++;
    patlen = p - pat;
    while (p < len && am_is_space((unsigned char) text[p]))
        p++;
    val = p;
    end = len;
    while (end > val && am_is_space((unsigned char) text[end - 1]))
        end--;
    if (patlen == 0) {
        warn(ld, line, "no-pattern", "no address pattern; rule skipped");
        return 0;
    }
    if (!parse_pattern(ld, line, text + pat, patlen, &r))
        return 0;
    if (end == val) {
        warn(ld, line, "no-result", "no lookup result after \"%.*s\"; "
             "rule skipped", (int) patlen, text + pat);
        return 0;
    }
    r.op = AM_CIDR_MATCH;
    if ((r.pattern = am_arena_strndup(ld->t->arena, text + pat, patlen))
        == NULL
        || (r.value = am_arena_strndup(ld->t->arena, text + val, end - val))
        == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    idx = add_rule(ld, &r, err);
    return idx < 0 ? (int) idx : 0;
}

static am_cidrtable *
load(am_lines *lr, const char *name, struct am_diag_sink *diags,
     struct am_error *err)
{
    struct loader ld;
    const char *text;
    size_t len, i;
    unsigned line;
    int rc;

    memset(&ld, 0, sizeof(ld));
    ld.diags = diags;
    if ((ld.t = calloc(1, sizeof(*ld.t))) == NULL
        || (ld.t->name = strdup(name)) == NULL
        || (ld.t->arena = am_arena_new()) == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((ld.builder = am_netindex_builder_new(err)) == NULL)
        goto fail;
    while ((rc = am_lines_next(lr, &text, &len, &line, diags, err)) > 0)
        if (parse_line(&ld, text, len, line, err) < 0)
            goto fail;
    if (rc < 0)
        goto fail;
    /* Postfix names the open blocks innermost first. */
    for (i = ld.depth; i-- > 0;)
        warn(&ld, ld.t->rules[ld.stack[i]].line, "if-without-endif",
             "\"if\" has no matching \"endif\": its block runs to the end "
             "of the file");
    ld.t->index = am_netindex_build(ld.builder, err);
    ld.builder = NULL;
    if (ld.t->index == NULL)
        goto fail;
    free(ld.ifsets);
    free(ld.stack);
    free(ld.scratch);
    return ld.t;
fail:
    am_netindex_builder_free(ld.builder);
    free(ld.ifsets);
    free(ld.stack);
    free(ld.scratch);
    am_cidrtable_close(ld.t);
    return NULL;
}

am_cidrtable *
am_cidrtable_open(const char *path, struct am_diag_sink *diags,
                  struct am_error *err)
{
    am_lines *lr = am_lines_open(path, err);
    am_cidrtable *t;

    if (lr == NULL)
        return NULL;
    t = load(lr, am_lines_name(lr), diags, err);
    am_lines_close(lr);
    return t;
}

am_cidrtable *
am_cidrtable_open_mem(const char *name, const char *data, size_t len,
                      struct am_diag_sink *diags, struct am_error *err)
{
    am_lines *lr = am_lines_open_mem(name, data, len, err);
    am_cidrtable *t;

    if (lr == NULL)
        return NULL;
    t = load(lr, name, diags, err);
    am_lines_close(lr);
    return t;
}

void
am_cidrtable_close(am_cidrtable *t)
{
    if (t == NULL)
        return;
    am_netindex_free(t->index);
    am_arena_free(t->arena);
    free(t->rules);
    free(t->name);
    free(t);
}

int
am_cidrtable_lookup_addr(const am_cidrtable *t, const struct am_addr *a,
                         const struct am_cidrrule **rule)
{
    uint32_t idx;

    if (!am_netindex_lookup(t->index, a, &idx))
        return 0;
    *rule = &t->rules[idx];
    return 1;
}

int
am_cidrtable_lookup(const am_cidrtable *t, const char *key, size_t len,
                    const struct am_cidrrule **rule)
{
    struct am_addr a;

    if (!am_addr_parse(key, len, &a))
        return 0;
    return am_cidrtable_lookup_addr(t, &a, rule);
}

/* Does rule r's own pattern match a? */
static int
pattern_matches(const struct am_cidrrule *r, const struct am_addr *a,
                struct am_u128 v)
{
    if (r->net.range.family != a->family)
        return 0;
    return am_range_contains(&r->net.range, v) != r->negated;
}

int
am_cidrtable_next_match(const am_cidrtable *t, const struct am_addr *a,
                        size_t *pos, const struct am_cidrrule **rule)
{
    struct am_u128 v = am_addr_to_u128(a);
    const struct am_cidrrule *r;
    long up;

    for (; *pos < t->nrules; (*pos)++) {
        r = &t->rules[*pos];
        if (r->op != AM_CIDR_MATCH || !pattern_matches(r, a, v))
            continue;
        for (up = r->parent; up >= 0; up = t->rules[up].parent)
            if (!pattern_matches(&t->rules[up], a, v))
                break;
        if (up < 0) {
            *rule = r;
            (*pos)++;
            return 1;
        }
    }
    return 0;
}

size_t
am_cidrtable_count(const am_cidrtable *t)
{
    return t->nrules;
}

const struct am_cidrrule *
am_cidrtable_rule(const am_cidrtable *t, size_t i)
{
    return i < t->nrules ? &t->rules[i] : NULL;
}

const char *
am_cidrtable_name(const am_cidrtable *t)
{
    return t->name;
}
