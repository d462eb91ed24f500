/* engine.c - searching tables in smtpd's order; see engine.h. */
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

#include "engine/addrkeys.h"
#include "engine/table.h"
#include "formats/addr.h"
#include "formats/buf.h"
#include "formats/store.h"

struct am_engine {
    int kind;
    struct am_check_conf conf;
    am_table **tables;
    size_t ntables;
    am_search *search;
    /* Answers of the running query: [0] the final one, [1] the first hit
     * that lets evaluation go on, [2] scratch for the latest hit.  Each owns
     * copies of its key and value; slots are swapped, never copied. */
    struct slot {
        struct am_buf value;
        struct am_buf key;
        struct am_answer ans;
    } slot[3];
    struct am_buf netkey;       /* key of a network entry being tried */
};

am_engine *
am_engine_open(const char *const *specs, size_t nspecs,
               const struct am_engine_opts *opts, struct am_error *err)
{
    struct am_table_opts to = { 0 };
    am_engine *e = calloc(1, sizeof(*e));
    size_t i;

    if (e == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (i = 0; i < 3; i++) {
        am_buf_init(&e->slot[i].value, 0);
        am_buf_init(&e->slot[i].key, 0);
    }
    am_buf_init(&e->netkey, 0);
    e->kind = opts->kind;
    am_check_conf_init(&e->conf);
    if (am_check_name(opts->kind) == NULL) {
        am_error_set(err, AM_ERR_INVALID, "unknown check kind %d", opts->kind);
        goto fail;
    }
    if (opts->conf != NULL && am_check_conf_load(&e->conf, opts->conf, err) < 0)
        goto fail;
    if ((e->search = am_search_new(err)) == NULL)
        goto fail;
    if ((e->tables = calloc(nspecs ? nspecs : 1, sizeof(*e->tables))) == NULL) {
        am_error_set(err, AM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    to.nofold = opts->nofold;
    to.utf8 = e->conf.smtputf8;
    to.nul_mode = AM_STORE_NUL_AUTO;
    to.default_type = opts->conf ? am_pfconf_get(opts->conf, "default_database_type")
                                 : "hash";
    to.diags = opts->diags;
    to.preload = opts->preload;
    for (i = 0; i < nspecs; i++) {
        if ((e->tables[i] = am_table_open(specs[i], &to, err)) == NULL)
            goto fail;
        e->ntables++;
    }
    return e;
fail:
    am_engine_close(e);
    return NULL;
}

/* Does this action end the restriction list (vs. "go on")? */
static int
is_final(const struct am_action *a)
{
    switch (a->acts_as) {
    case AM_ACTION_OK:
    case AM_ACTION_RELAY:
    case AM_ACTION_NUMERIC:
    case AM_ACTION_REJECT:
    case AM_ACTION_DEFER:
    case AM_ACTION_CODE:
    case AM_ACTION_RESTRICTIONS:
    case AM_ACTION_INVALID:
    case AM_ACTION_HANGUP:
        return 1;
    default:
        return 0;
    }
}

static int
trace_step(am_trace *trace, size_t table, const struct am_probe *p, int result,
           const char *value, const struct am_loc *loc, struct am_error *err)
{
    struct am_trace_step st;

    if (trace == NULL)
        return 0;
    memset(&st, 0, sizeof(st));
    st.table = table;
    st.key = p->key;
    st.step = p->step;
    st.fixed_only = p->fixed_only;
    st.result = result;
    st.value = value;
    if (loc != NULL)
        st.loc = *loc;
    if (am_trace_add(trace, &st) < 0)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    return 0;
}

static void
swap_slots(struct slot *a, struct slot *b)
{
    struct slot t = *a;

    *a = *b;
    *b = t;
}

/* Copy a hit into a slot and parse its action. */
static int
keep_answer(am_engine *e, struct slot *sl, size_t table,
            const struct am_probe *p, const struct am_table_result *res,
            struct am_error *err)
{
    struct am_answer *ans = &sl->ans;
    int rc;

    am_buf_reset(&sl->value);
    am_buf_reset(&sl->key);
    if ((rc = am_buf_append(&sl->value, res->value, res->vlen, err)) < 0
        || (rc = am_buf_append(&sl->key, p->key, p->len, err)) < 0)
        return rc;
    memset(ans, 0, sizeof(*ans));
    ans->table = table;
    ans->table_name = am_table_name(e->tables[table]);
    ans->key = sl->key.data;
    ans->step = p->step;
    ans->value = sl->value.data;
    ans->vlen = res->vlen;
    ans->loc = res->loc;
    am_action_parse(ans->value, ans->vlen, e->kind, &e->conf, &ans->action,
                    NULL, NULL);
    /* An exact lookup is postmap -q: the first hit is the answer. */
    ans->final = e->kind == AM_CHECK_EXACT || is_final(&ans->action);
    return 0;
}

/* Host bits of the addresses an address probe stands for: 0 for the
 * address; for Postfix's shortened forms, what the remaining octets (IPv4)
 * or leading 16-bit fields before any "::" (IPv6) leave open. */
static unsigned
probe_host_bits(const struct am_probe *p)
{
    size_t i, fields = 1;
    int v6 = memchr(p->key, ':', p->len) != NULL;

    if (p->step == AM_STEP_ADDRESS)
        return 0;
    for (i = 0; i < p->len; i++) {
        if (v6 && p->key[i] == ':' && i + 1 < p->len && p->key[i + 1] == ':')
            break;
        if (p->key[i] == (v6 ? ':' : '.') && i + 1 < p->len)
            fields++;
    }
    return v6 ? (fields >= 8 ? 0 : 128 - 16 * (unsigned) fields)
              : (fields >= 4 ? 0 : 32 - 8 * (unsigned) fields);
}

/* One table's walk over the probes, and the state of the whole search. */
struct walk {
    am_engine *e;
    am_trace *trace;
    size_t table;
    int hit;                    /* this table has answered */
    int decided;                /* a final answer exists */
    int have_open;              /* a non-final answer exists */
    /* A network entry of this table waiting for its turn (see below). */
    int net_pending;
    struct am_table_result net_res;
    struct am_range net_covers;
    struct am_probe net_probe;
};

/* Record a hit of probe p: the first hit of a table is its answer; later
 * ones (only walked with a trace) are shadowed. */
static int
take_hit(struct walk *w, const struct am_probe *p, struct am_table_result *res,
         struct am_error *err)
{
    am_engine *e = w->e;
    int rc;

    if (w->trace != NULL && res->loc.line == 0)
        am_table_locate(e->tables[w->table], p->key, p->len, res);
    if (w->hit || w->decided)
        return trace_step(w->trace, w->table, p, AM_TRACE_SHADOWED, res->value,
                          &res->loc, err);
    w->hit = 1;
    if ((rc = trace_step(w->trace, w->table, p, AM_TRACE_HIT, res->value,
                         &res->loc, err)) < 0)
        return rc;
    if ((rc = keep_answer(e, &e->slot[2], w->table, p, res, err)) < 0)
        return rc;
    if (e->slot[2].ans.final && !w->decided) {
        swap_slots(&e->slot[0], &e->slot[2]);
        w->decided = 1;
    } else if (!e->slot[2].ans.final && !w->have_open && !w->decided) {
        swap_slots(&e->slot[1], &e->slot[2]);
        w->have_open = 1;
    }
    return 0;
}

/* A table with network keys: find the most specific entry covering the
 * client address once, at the address probe.  It then takes its turn
 * before the first probe that stands for more addresses than it covers,
 * so an address beats any network and a longer prefix a shorter one, as
 * compile's expansion makes Postfix do. */
static int
find_network(struct walk *w, const struct am_probe *p, struct am_error *err)
{
    am_engine *e = w->e;
    struct am_addr addr;
    const char *key;
    size_t klen;
    int rc;

    w->net_pending = 0;
    if (!am_addr_parse(p->key, p->len, &addr))
        return 0;
    rc = am_table_match_address(e->tables[w->table], &addr, &w->net_res, &key,
                                &klen, &w->net_covers, err);
    if (rc <= 0)
        return rc;
    am_buf_reset(&e->netkey);
    if ((rc = am_buf_append(&e->netkey, key, klen, err)) < 0)
        return rc;
    memset(&w->net_probe, 0, sizeof(w->net_probe));
    w->net_probe.key = e->netkey.data;
    w->net_probe.len = klen;
    w->net_probe.fixed_only = 1;
    w->net_probe.step = AM_STEP_NETWORK;
    w->net_pending = 1;
    return 0;
}

/* Give a pending network entry its turn before probe p (NULL: the end). */
static int
network_turn(struct walk *w, const struct am_probe *p, struct am_error *err)
{
    if (!w->net_pending)
        return 0;
    if (p != NULL) {
        if (p->step != AM_STEP_ADDRESS && p->step != AM_STEP_NETWORK)
            return 0;
        if (p->len == w->net_probe.len && memcmp(p->key, w->net_probe.key, p->len) == 0) {
            w->net_pending = 0;          /* the probe itself finds it */
            return 0;
        }
        if (!am_addrkeys_range_within(&w->net_covers, probe_host_bits(p)))
            return 0;
    }
    w->net_pending = 0;
    return take_hit(w, &w->net_probe, &w->net_res, err);
}

/* Walk the probes over every table;
 * see engine.h for how hits combine.  With a trace, keep probing after the
 * decision to show what it shadows. */
static int
run_search(am_engine *e, struct am_answer *ans, am_trace *trace,
           struct am_error *err)
{
    struct am_table_result res;
    size_t i, nprobes = am_search_count(e->search);
    struct walk w;
    int rc;

    memset(&w, 0, sizeof(w));
    w.e = e;
    w.trace = trace;
    for (w.table = 0; w.table < e->ntables && (!w.decided || trace != NULL); w.table++) {
        am_table *tab = e->tables[w.table];
        int networks = am_table_has_networks(tab);

        w.hit = 0;
        w.net_pending = 0;
        /* Most probes miss: let their memory reads overlap. */
        for (i = 0; i < nprobes; i++) {
            const struct am_probe *p = am_search_probe(e->search, i);

            am_table_prefetch(tab, p->key, p->len);
        }
        for (i = 0; i < nprobes && (!w.hit || trace != NULL); i++) {
            const struct am_probe *p = am_search_probe(e->search, i);

            if (p->fixed_only && !am_table_is_fixed(tab)) {
                if ((rc = trace_step(trace, w.table, p, AM_TRACE_SKIPPED, NULL, NULL, err)) < 0)
                    return rc;
                continue;
            }
            if (networks && p->step == AM_STEP_ADDRESS
                && (rc = find_network(&w, p, err)) < 0)
                return rc;
            if ((rc = network_turn(&w, p, err)) < 0)
                return rc;
            rc = am_table_get(tab, p->key, p->len, &res, err);
            if (rc < 0) {
                if (trace_step(trace, w.table, p, AM_TRACE_ERROR, err->msg, NULL, err) < 0)
                    return AM_ERR_NOMEM;
                return rc;
            }
            if (rc == 0) {
                if ((rc = trace_step(trace, w.table, p, AM_TRACE_MISS, NULL, NULL, err)) < 0)
                    return rc;
                continue;
            }
            if ((rc = take_hit(&w, p, &res, err)) < 0)
                return rc;
        }
        if ((rc = network_turn(&w, NULL, err)) < 0)
            return rc;
    }
    if (w.decided) {
        *ans = e->slot[0].ans;
        return 1;
    }
    if (w.have_open) {
        *ans = e->slot[1].ans;
        return 1;
    }
    return 0;
}

int
am_engine_query(am_engine *e, const struct am_search_input *in,
                struct am_answer *ans, am_trace *trace, struct am_error *err)
{
    int rc;

    if (trace != NULL)
        am_trace_reset(trace);
    if ((rc = am_search_build(e->search, e->kind, in, &e->conf, err)) < 0)
        return rc;
    return run_search(e, ans, trace, err);
}

int
am_engine_lookup(am_engine *e, const char *key, size_t klen,
                 struct am_answer *ans, struct am_error *err)
{
    struct am_search_input in = { NULL, NULL, AM_SEARCH_BOTH };
    struct am_addr addr;
    char small[256], *text = small;
    int rc;

    if (memchr(key, '\0', klen) != NULL)
        return 0;               /* Postfix never sends such a key */
    if (klen >= sizeof(small) && (text = malloc(klen + 1)) == NULL)
        return am_error_set(err, AM_ERR_NOMEM, "out of memory");
    memcpy(text, key, klen);
    text[klen] = '\0';
    in.text = text;
    if (e->kind == AM_CHECK_CLIENT || e->kind == AM_CHECK_REVERSE_CLIENT) {
        /* smtpd sends the client's name and its address as two requests:
         * search each the way check_namadr_access() would. */
        if (am_addr_parse(text, klen, &addr)) {
            in.half = AM_SEARCH_ADDRESS_HALF;
        } else {
            in.text = "0.0.0.0";
            in.hostname = text;
            in.half = AM_SEARCH_NAME_HALF;
        }
    }
    rc = am_search_build(e->search, e->kind, &in, &e->conf, err);
    if (rc >= 0)
        rc = run_search(e, ans, NULL, err);
    else if (rc == AM_ERR_SYNTAX)
        rc = 0;                 /* not a key this check can look up */
    if (text != small)
        free(text);
    return rc;
}

int
am_engine_reply(am_engine *e, const struct am_answer *ans,
                struct am_reply *reply, struct am_error *err)
{
    return am_action_reply(&ans->action, e->kind,
                           am_search_reply_name(e->search), &e->conf, reply,
                           err);
}

int
am_engine_kind(const am_engine *e)
{
    return e->kind;
}

size_t
am_engine_ntables(const am_engine *e)
{
    return e->ntables;
}

const char *
am_engine_table_name(const am_engine *e, size_t i)
{
    return i < e->ntables ? am_table_name(e->tables[i]) : NULL;
}

const am_search *
am_engine_search(const am_engine *e)
{
    return e->search;
}

void
am_engine_close(am_engine *e)
{
    size_t i;

    if (e == NULL)
        return;
    for (i = 0; i < e->ntables; i++)
        am_table_close(e->tables[i]);
    free(e->tables);
    am_search_free(e->search);
    am_buf_free(&e->netkey);
    for (i = 0; i < 3; i++) {
        am_buf_free(&e->slot[i].value);
        am_buf_free(&e->slot[i].key);
    }
    free(e);
}
