/* fuzz_action.c - access(5) values: parse for every check kind and reply.
 *
 * The input is a table value.  It is parsed for each check (exact, client,
 * reverse client, helo, sender, recipient), with default settings and with
 * a variant (smtputf8 off, soft_bounce on, a restriction class), and the
 * SMTP reply is rendered.  Every pointer a parsed action returns must lie
 * inside the value; a reply must be a 4xx/5xx line with no CR or LF.
 */
#include <string.h>

#include "engine/action.h"
#include "engine/check.h"
#include "tests/fuzz/fuzz.h"

static int
inside(const char *p, size_t len, const char *v, size_t vlen)
{
    return p == NULL ? len == 0 : p >= v && p + len <= v + vlen;
}

static void
run(const char *v, size_t len, int check, const struct am_check_conf *conf,
    struct am_reply *reply)
{
    struct am_diag_sink diags = { 0 };
    struct am_loc loc = { "fuzz", 1, 1 };
    struct am_action a;
    struct am_error err;
    int rc;

    am_action_parse(v, len, check, conf, &a, &diags, &loc);
    fuzz_assert(a.kind >= 0 && a.kind < AM_ACTION_KIND_COUNT);
    fuzz_assert(a.acts_as >= 0 && a.acts_as < AM_ACTION_KIND_COUNT);
    fuzz_assert(am_action_kind_name(a.kind) != NULL);
    fuzz_assert(inside(a.word, a.word_len, v, len));
    fuzz_assert(inside(a.args, a.args_len, v, len));
    fuzz_assert(inside(a.dsn, a.dsn_len, v, len));
    fuzz_assert(inside(a.text, a.text_len, v, len));
    rc = am_action_reply(&a, check, "host.example[192.0.2.1]", conf, reply,
                         &err);
    if (check == AM_CHECK_EXACT) {
        fuzz_assert(rc == AM_ERR_INVALID);
        return;
    }
    fuzz_assert(rc == AM_REPLY_NONE || rc == AM_REPLY_SENT
                || rc == AM_REPLY_DEPENDS || rc == AM_ERR_NOMEM);
    if (rc == AM_REPLY_SENT) {
        fuzz_assert(reply->code >= 400 && reply->code <= 599);
        fuzz_assert(reply->line.len >= 3);
        fuzz_assert(memchr(reply->line.data, '\n', reply->line.len) == NULL);
        fuzz_assert(memchr(reply->line.data, '\r', reply->line.len) == NULL);
        fuzz_assert(memchr(reply->dsn, '\0', sizeof(reply->dsn)) != NULL);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *v = (const char *) data;
    struct am_check_conf dflt, other;
    struct am_reply reply;
    const char *cur, *word;
    size_t wlen;
    int check;

    am_check_conf_init(&dflt);
    am_check_conf_init(&other);
    other.smtputf8 = 0;
    other.soft_bounce = 1;
    other.restriction_classes = "myclass other_class";
    am_reply_init(&reply);
    for (check = 0; check < AM_CHECK_COUNT; check++) {
        run(v, size, check, &dflt, &reply);
        run(v, size, check, &other, &reply);
    }
    am_reply_free(&reply);
    cur = v;
    while (am_action_restriction_next(&cur, v + size, &word, &wlen) == 1) {
        fuzz_assert(wlen > 0 && word >= v && word + wlen <= v + size);
        (void) am_action_restriction_find(word, wlen);
    }
    return 0;
}
