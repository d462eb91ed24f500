/* fuzz_servconf.c - the `accessmap serve` configuration file parser.
 *
 * The input is a configuration file.  Parsing and checking must give 0 or
 * an error with a message; whatever was parsed is freed; every listener
 * keeps its strings and maps consistent with its protocol.
 */
#include <string.h>

#include "engine/servconf.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct am_servconf c;
    struct am_error err;
    size_t i, j;
    int rc;

    am_servconf_init(&c);
    rc = am_servconf_parse(&c, "fuzz", (const char *) data, size, &err);
    if (rc < 0) {
        fuzz_assert(err.msg[0] != '\0');
    } else {
        for (i = 0; i < c.nlistens; i++) {
            const struct am_servconf_listen *l = &c.listens[i];

            fuzz_assert(l->endpoint != NULL);
            if (l->proto == AM_SERVCONF_SOCKMAP_UNIX)
                fuzz_assert(l->path != NULL);
            else
                fuzz_assert(l->host != NULL && l->port != NULL);
            for (j = 0; j < l->nmaps; j++)
                fuzz_assert(l->maps[j].nspecs == 0 || l->maps[j].specs != NULL);
        }
        if (am_servconf_check(&c, &err) < 0)
            fuzz_assert(err.msg[0] != '\0');
    }
    am_servconf_free(&c);
    return 0;
}
