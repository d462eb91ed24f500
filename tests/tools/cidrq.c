/* cidrq.c - query a cidr table with am_cidrtable, like `postmap -q -`.
 *
 *   cidrq [-l] [-s] FILE < keys
 *
 * Reads one key per line (the newline removed, nothing else) and prints
 * "key<TAB>value" for each key found, as `postmap -q - cidr:FILE` does.
 * -l appends "<TAB>line" of the deciding rule; -s also appends the lines
 * of the rules it shadows.  Warnings go to standard error, one per line:
 * "warning<TAB>LINE<TAB>ID<TAB>MESSAGE".  Exit 0, or 2 if the table
 * cannot be loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/cidrtable.h"

static void
print_diag(void *ctx, const struct am_diag *d)
{
    (void) ctx;
    fprintf(stderr, "%s\t%u\t%s\t%s\n",
            d->level == AM_DIAG_WARNING ? "warning"
            : d->level == AM_DIAG_ERROR ? "error" : "note",
            d->loc.line, d->id ? d->id : "", d->msg);
}

int
main(int argc, char **argv)
{
    struct am_diag_sink sink = { print_diag, NULL, { 0, 0, 0 } };
    const struct am_cidrrule *rule, *other;
    struct am_error err;
    am_cidrtable *t;
    char *line = NULL;
    size_t cap = 0, pos;
    ssize_t n;
    int c, lines = 0, shadow = 0;
    struct am_addr a;

    while ((c = getopt(argc, argv, "ls")) != -1) {
        switch (c) {
        case 'l':
            lines = 1;
            break;
        case 's':
            lines = shadow = 1;
            break;
        default:
            fprintf(stderr, "usage: cidrq [-l] [-s] FILE < keys\n");
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: cidrq [-l] [-s] FILE < keys\n");
        return 2;
    }
    if ((t = am_cidrtable_open(argv[optind], &sink, &err)) == NULL) {
        fprintf(stderr, "cidrq: %s\n", err.msg);
        return 2;
    }
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (!am_cidrtable_lookup(t, line, (size_t) n, &rule))
            continue;
        printf("%s\t%s", line, rule->value);
        if (lines)
            printf("\t%u", rule->line);
        if (shadow && am_addr_parse(line, (size_t) n, &a)) {
            pos = 0;
            while (am_cidrtable_next_match(t, &a, &pos, &other))
                if (other != rule)
                    printf(" %u", other->line);
        }
        putchar('\n');
    }
    free(line);
    am_cidrtable_close(t);
    return ferror(stdout) ? 1 : 0;
}
