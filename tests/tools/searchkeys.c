/* searchkeys.c - print the keys smtpd would look up, as engine/search.c
 * generates them, one per line: "all<TAB>KEY" (every table) or
 * "fixed<TAB>KEY" (fixed-key tables only).
 *
 *   searchkeys [-c CONFIG_DIR] [-r] [-s] CHECK TEXT [HOSTNAME]
 *
 * CHECK is client, reverse_client, helo, sender, recipient or exact.
 * -c reads CONFIG_DIR/main.cf; -r prints the reply name first as
 * "reply<TAB>NAME"; -s adds the step name as a third column.
 * Exit 0, or 2 on a usage or input error (message on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine/check.h"
#include "engine/search.h"
#include "formats/pfconf.h"

int
main(int argc, char **argv)
{
    struct am_check_conf conf;
    struct am_search_input in = { NULL, NULL, AM_SEARCH_BOTH };
    struct am_error err;
    const char *dir = NULL;
    am_pfconf *pf = NULL;
    am_search *s;
    int ch, check, n, i, show_reply = 0, show_step = 0, status = 0;

    while ((ch = getopt(argc, argv, "c:rs")) != -1) {
        switch (ch) {
        case 'c':
            dir = optarg;
            break;
        case 'r':
            show_reply = 1;
            break;
        case 's':
            show_step = 1;
            break;
        default:
            goto usage;
        }
    }
    if (argc - optind < 2 || argc - optind > 3)
        goto usage;
    if ((check = am_check_parse(argv[optind])) < 0)
        goto usage;
    in.text = argv[optind + 1];
    if (argc - optind == 3)
        in.hostname = argv[optind + 2];
    am_check_conf_init(&conf);
    if (dir != NULL) {
        if ((pf = am_pfconf_open(dir, NULL, &err)) == NULL
            || am_check_conf_load(&conf, pf, &err) < 0) {
            fprintf(stderr, "searchkeys: %s\n", err.msg);
            am_pfconf_close(pf);
            return 2;
        }
    }
    if ((s = am_search_new(&err)) == NULL
        || (n = am_search_build(s, check, &in, &conf, &err)) < 0) {
        fprintf(stderr, "searchkeys: %s\n", err.msg);
        status = 2;
    } else {
        if (show_reply)
            printf("reply\t%s\n", am_search_reply_name(s));
        for (i = 0; i < n; i++) {
            const struct am_probe *p = am_search_probe(s, (size_t) i);

            printf("%s\t%s", p->fixed_only ? "fixed" : "all", p->key);
            if (show_step)
                printf("\t%s%s", am_search_step_name(p->step),
                       p->quoted ? " (quoted)" : "");
            putchar('\n');
        }
    }
    am_search_free(s);
    am_pfconf_close(pf);
    return status;

usage:
    fprintf(stderr, "usage: searchkeys [-c CONFIG_DIR] [-r] [-s] "
            "client|reverse_client|helo|sender|recipient|exact TEXT "
            "[HOSTNAME]\n");
    return 2;
}
