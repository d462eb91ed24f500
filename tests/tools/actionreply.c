/* actionreply.c - what engine/action.c makes of an access table value: the
 * SMTP reply smtpd would send, and the findings.
 *
 *   actionreply [-c CONFIG_DIR] CHECK REPLY_NAME VALUE
 *
 * Prints "kind<TAB>K", "acts<TAB>K", then "reply<TAB>LINE" (with
 * "when<TAB>now|if_reject|if_permit", "disconnect<TAB>0|1" and
 * "uncertain<TAB>0|1"), or "reply<TAB>none" / "reply<TAB>depends", then one
 * "finding<TAB>LEVEL<TAB>ID<TAB>MESSAGE" line per finding.
 * CHECK is client, reverse_client, helo, sender, recipient or exact.
 * Exit 0, or 2 on a usage error.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/action.h"
#include "engine/check.h"
#include "formats/pfconf.h"

static void
print_finding(void *ctx, const struct am_diag *d)
{
    static const char *const level[] = { "note", "warning", "error" };

    (void) ctx;
    printf("finding\t%s\t%s\t%s\n", level[d->level], d->id, d->msg);
}

int
main(int argc, char **argv)
{
    static const char *const when[] = { "now", "if_reject", "if_permit" };
    struct am_check_conf conf;
    struct am_diag_sink sink = { print_finding, NULL, { 0, 0, 0 } };
    struct am_action a;
    struct am_reply r;
    struct am_error err;
    const char *dir = NULL, *value;
    am_pfconf *pf = NULL;
    int ch, check, rc;

    while ((ch = getopt(argc, argv, "c:")) != -1) {
        if (ch != 'c')
            goto usage;
        dir = optarg;
    }
    if (argc - optind != 3 || (check = am_check_parse(argv[optind])) < 0)
        goto usage;
    am_check_conf_init(&conf);
    if (dir != NULL
        && ((pf = am_pfconf_open(dir, NULL, &err)) == NULL
            || am_check_conf_load(&conf, pf, &err) < 0)) {
        fprintf(stderr, "actionreply: %s\n", err.msg);
        am_pfconf_close(pf);
        return 2;
    }
    value = argv[optind + 2];
    am_reply_init(&r);
    /* Findings come first from the parser; print them after the reply. */
    am_action_parse(value, strlen(value), check, &conf, &a, NULL, NULL);
    printf("kind\t%s\nacts\t%s\n", am_action_kind_name(a.kind),
           am_action_kind_name(a.acts_as));
    rc = am_action_reply(&a, check, argv[optind + 1], &conf, &r, &err);
    if (rc == AM_REPLY_SENT)
        printf("reply\t%s\nwhen\t%s\ndisconnect\t%d\nuncertain\t%d\n",
               r.line.data, when[r.when], r.disconnect, r.uncertain);
    else if (rc == AM_REPLY_NONE)
        printf("reply\tnone\n");
    else if (rc == AM_REPLY_DEPENDS)
        printf("reply\tdepends\n");
    else
        printf("reply\terror: %s\n", err.msg);
    am_action_parse(value, strlen(value), check, &conf, &a, &sink, NULL);
    am_reply_free(&r);
    am_pfconf_close(pf);
    return 0;

usage:
    fprintf(stderr, "usage: actionreply [-c CONFIG_DIR] "
            "client|reverse_client|helo|sender|recipient|exact REPLY_NAME "
            "VALUE\n");
    return 2;
}
