/* check.h - the smtpd access checks accessmap models, and the main.cf
 * parameters that decide how they look keys up and what they reply.
 *
 * struct am_check_conf is plain data.  am_check_conf_init() fills in Postfix
 * 3.7's defaults; am_check_conf_load() reads a main.cf through am_pfconf.
 * String members are borrowed: from static storage after init, from the
 * am_pfconf handle after load (keep the handle open while the conf is used).
 */
#ifndef AM_ENGINE_CHECK_H
#define AM_ENGINE_CHECK_H

#include "formats/error.h"
#include "formats/pfconf.h"

/* Which smtpd restriction does the lookup. */
enum am_check {
    AM_CHECK_EXACT = 0,         /* no smtpd context: one lookup of the key
                                 * as given, no reply class */
    AM_CHECK_CLIENT,            /* check_client_access */
    AM_CHECK_REVERSE_CLIENT,    /* check_reverse_client_hostname_access */
    AM_CHECK_HELO,              /* check_helo_access */
    AM_CHECK_SENDER,            /* check_sender_access */
    AM_CHECK_RECIPIENT,         /* check_recipient_access */
};
#define AM_CHECK_COUNT 6

struct am_check_conf {
    int parent_style;           /* 1: "smtpd_access_maps" is listed in
                                 * parent_domain_matches_subdomains, so
                                 * example.com matches subdomains; 0: the
                                 * parents are looked up as .example.com */
    const char *rcpt_delim;     /* recipient_delimiter: a SET of characters,
                                 * "" for none */
    const char *null_sender_key; /* smtpd_null_access_lookup_key */
    int smtputf8;               /* smtputf8_enable: ICU case folding and
                                 * UTF-8-aware printable() */
    const char *myorigin;       /* appended to unqualified addresses */
    const char *myhostname;     /* used when nothing else qualifies one */
    int append_at_myorigin;     /* append_at_myorigin */
    int swap_bangpath;          /* swap_bangpath: site!user -> user@site */
    int percent_hack;           /* allow_percent_hack: user%site */
    int owner_request_special;  /* owner_request_special */
    const char *double_bounce;  /* double_bounce_sender (never split) */
    int ipv4;                   /* inet_protocols enables IPv4: a client
                                 * ::ffff:a.b.c.d is seen as a.b.c.d */
    int map_reject_code;        /* access_map_reject_code (REJECT) */
    int map_defer_code;         /* access_map_defer_code (DEFER, DEFER_IF_*) */
    int reject_code;            /* smtpd reject_code (restriction "reject") */
    int defer_code;             /* smtpd defer_code (restriction "defer") */
    int soft_bounce;            /* soft_bounce: 5xx replies become 4xx */
    int delay_reject;           /* smtpd_delay_reject */
    const char *restriction_classes; /* smtpd_restriction_classes: names
                                      * usable as restrictions, "" if none */
};

/* Postfix 3.7 defaults as a main.cf with compatibility_level >= 1 gives
 * them (smtputf8_enable = yes), recipient_delimiter empty, myorigin
 * "localhost". */
void am_check_conf_init(struct am_check_conf *c);

/* Defaults, then every parameter pf knows.  A numeric parameter that is
 * not a number is AM_ERR_INVALID (Postfix refuses to start).  On error c
 * holds the defaults. */
int am_check_conf_load(struct am_check_conf *c, const am_pfconf *pf,
                       struct am_error *err);

/* "client", "reverse_client", "helo", "sender", "recipient", "exact"
 * (case-insensitive; "-" may stand for "_", "rcpt" for recipient) to
 * enum am_check; -1 if unknown. */
int am_check_parse(const char *name);

/* The short name above, for output. */
const char *am_check_name(int check);

/* The reply class smtpd prints ("Client host", "Unverified Client host",
 * "Helo command", "Sender address", "Recipient address"); NULL for
 * AM_CHECK_EXACT or an unknown value. */
const char *am_check_class(int check);

#endif
