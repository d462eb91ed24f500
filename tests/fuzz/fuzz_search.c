/* fuzz_search.c - the keys smtpd looks up for one check and one input.
 *
 * Input: one byte choosing the check and settings, then the text, then
 * optionally a NUL and a hostname.  Every probe must be a NUL-terminated
 * key of the length it claims, and the build must be repeatable.
 */
#include <string.h>

#include "engine/check.h"
#include "engine/search.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct am_check_conf conf;
    struct am_search_input in;
    struct am_error err;
    am_search *s;
    char *text, *host;
    size_t i, n;
    int rc, again;

    if (size < 1 || size > 2 * AM_SEARCH_INPUT_MAX)
        return 0;
    am_check_conf_init(&conf);
    conf.rcpt_delim = (data[0] & 0x08) ? "+-" : "";
    conf.parent_style = (data[0] & 0x10) != 0;
    conf.smtputf8 = (data[0] & 0x20) != 0;
    conf.swap_bangpath = (data[0] & 0x40) != 0;
    conf.percent_hack = (data[0] & 0x80) != 0;
    conf.myorigin = "origin.example";
    conf.myhostname = "mx.example";
    if ((text = malloc(size)) == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    host = memchr(text, '\0', size) + 1;
    in.text = text;
    in.hostname = host < text + size ? host : NULL;
    /* The length picks which half of a client search runs (most inputs:
     * both, as smtpd runs them). */
    in.half = size % 4 == 1 ? AM_SEARCH_NAME_HALF
        : size % 4 == 2 ? AM_SEARCH_ADDRESS_HALF : AM_SEARCH_BOTH;
    if ((s = am_search_new(&err)) == NULL) {
        free(text);
        return 0;
    }
    rc = am_search_build(s, (data[0] & 0x07) % AM_CHECK_COUNT, &in, &conf,
                         &err);
    if (rc >= 0) {
        n = am_search_count(s);
        fuzz_assert((size_t) rc == n);
        for (i = 0; i < n; i++) {
            const struct am_probe *p = am_search_probe(s, i);

            fuzz_assert(p->key != NULL && strlen(p->key) == p->len);
            fuzz_assert(am_search_step_name(p->step) != NULL);
        }
        fuzz_assert(am_search_reply_name(s) != NULL);
        again = am_search_build(s, (data[0] & 0x07) % AM_CHECK_COUNT, &in,
                                &conf, &err);
        fuzz_assert(again == rc);
    } else {
        fuzz_assert(rc == AM_ERR_SYNTAX || rc == AM_ERR_LIMIT
                    || rc == AM_ERR_NOMEM);
    }
    am_search_free(s);
    free(text);
    return 0;
}
