/* check.c - check kinds and their main.cf parameters; see check.h. */
#include "engine/check.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    const char *class;
} checks[AM_CHECK_COUNT] = {
    [AM_CHECK_EXACT] = { "exact", NULL },
    [AM_CHECK_CLIENT] = { "client", "Client host" },
    [AM_CHECK_REVERSE_CLIENT] = { "reverse_client", "Unverified Client host" },
    [AM_CHECK_HELO] = { "helo", "Helo command" },
    [AM_CHECK_SENDER] = { "sender", "Sender address" },
    [AM_CHECK_RECIPIENT] = { "recipient", "Recipient address" },
};

void
am_check_conf_init(struct am_check_conf *c)
{
    c->parent_style = 1;
    c->rcpt_delim = "";
    c->null_sender_key = "<>";
    c->smtputf8 = 1;
    c->myorigin = "localhost";
    c->myhostname = "localhost";
    c->append_at_myorigin = 1;
    c->swap_bangpath = 1;
    c->percent_hack = 1;
    c->owner_request_special = 1;
    c->double_bounce = "double-bounce";
    c->ipv4 = 1;
    c->map_reject_code = 554;
    c->map_defer_code = 450;
    c->reject_code = 554;
    c->defer_code = 450;
    c->soft_bounce = 0;
    c->delay_reject = 1;
    c->restriction_classes = "";
}

/* A main.cf integer: optional sign and decimal digits, as Postfix's
 * get_mail_conf_int() accepts them. */
static int
get_int(const am_pfconf *pf, const char *name, int *out, struct am_error *err)
{
    const char *v = am_pfconf_get(pf, name);
    char *end;
    long n;

    if (v == NULL)
        return 0;
    n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < -1000000 || n > 1000000)
        return am_error_set(err, AM_ERR_INVALID,
                            "bad numerical configuration: %s = \"%s\"",
                            name, v);
    *out = (int) n;
    return 0;
}

static const char *
get_str(const am_pfconf *pf, const char *name, const char *dflt)
{
    const char *v = am_pfconf_get(pf, name);

    return v != NULL ? v : dflt;
}

int
am_check_conf_load(struct am_check_conf *c, const am_pfconf *pf,
                   struct am_error *err)
{
    struct am_check_conf n;
    const char *protos;
    int rc;

    am_check_conf_init(&n);
    n.parent_style = am_pfconf_list_has(pf, "parent_domain_matches_subdomains",
                                        "smtpd_access_maps");
    n.rcpt_delim = get_str(pf, "recipient_delimiter", n.rcpt_delim);
    n.null_sender_key = get_str(pf, "smtpd_null_access_lookup_key",
                                n.null_sender_key);
    n.smtputf8 = am_pfconf_bool(pf, "smtputf8_enable", n.smtputf8);
    n.myorigin = get_str(pf, "myorigin", n.myorigin);
    n.myhostname = get_str(pf, "myhostname", n.myhostname);
    n.append_at_myorigin = am_pfconf_bool(pf, "append_at_myorigin",
                                          n.append_at_myorigin);
    n.swap_bangpath = am_pfconf_bool(pf, "swap_bangpath", n.swap_bangpath);
    n.percent_hack = am_pfconf_bool(pf, "allow_percent_hack", n.percent_hack);
    n.owner_request_special = am_pfconf_bool(pf, "owner_request_special",
                                             n.owner_request_special);
    n.double_bounce = get_str(pf, "double_bounce_sender", n.double_bounce);
    if ((protos = am_pfconf_get(pf, "inet_protocols")) != NULL)
        n.ipv4 = am_pfconf_list_has(pf, "inet_protocols", "all")
            || am_pfconf_list_has(pf, "inet_protocols", "ipv4");
    n.soft_bounce = am_pfconf_bool(pf, "soft_bounce", n.soft_bounce);
    n.delay_reject = am_pfconf_bool(pf, "smtpd_delay_reject", n.delay_reject);
    n.restriction_classes = get_str(pf, "smtpd_restriction_classes",
                                    n.restriction_classes);
    if ((rc = get_int(pf, "access_map_reject_code", &n.map_reject_code,
                      err)) < 0
        || (rc = get_int(pf, "access_map_defer_code", &n.map_defer_code,
                         err)) < 0
        || (rc = get_int(pf, "reject_code", &n.reject_code, err)) < 0
        || (rc = get_int(pf, "defer_code", &n.defer_code, err)) < 0) {
        am_check_conf_init(c);
        return rc;
    }
    *c = n;
    return 0;
}

int
am_check_parse(const char *name)
{
    char buf[32];
    size_t i, len = strlen(name);

    if (len >= sizeof(buf))
        return -1;
    for (i = 0; i <= len; i++)
        buf[i] = name[i] == '-' ? '_' : name[i];
    if (strcasecmp(buf, "rcpt") == 0)
        return AM_CHECK_RECIPIENT;
    for (i = 0; i < AM_CHECK_COUNT; i++)
        if (strcasecmp(buf, checks[i].name) == 0)
            return (int) i;
    return -1;
}

const char *
am_check_name(int check)
{
    if (check < 0 || check >= AM_CHECK_COUNT)
        return "unknown";
    return checks[check].name;
}

const char *
am_check_class(int check)
{
    if (check < 0 || check >= AM_CHECK_COUNT)
        return NULL;
    return checks[check].class;
}
