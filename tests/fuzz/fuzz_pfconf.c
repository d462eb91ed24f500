/* fuzz_pfconf.c - main.cf: logical lines, "name = value", $name expansion,
 * then the access-check settings read from it.
 *
 * The input is written as TMPDIR/am-fuzz-PID/main.cf and opened the way
 * the CLI does.  Every name the input assigns is looked up (so every
 * expansion path runs, self-references and loops included), as are the
 * parameters accessmap uses; am_check_conf_load() then reads them all.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/check.h"
#include "formats/lines.h"
#include "formats/pfconf.h"
#include "tests/fuzz/fuzz.h"

static void
look_up(const am_pfconf *c, const char *name)
{
    const char *v = am_pfconf_get(c, name);

    if (v != NULL)
        fuzz_assert(strlen(v) < (size_t) 1 << 30);
    (void) am_pfconf_bool(c, name, 1);
    (void) am_pfconf_list_has(c, name, "smtpd_access_maps");
}

static char dir[256], file[300];

static void
remove_dir(void)
{
    rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *known[] = {
        "parent_domain_matches_subdomains", "recipient_delimiter",
        "myorigin", "myhostname", "mydomain", "smtputf8_enable",
        "access_map_reject_code", "soft_bounce", "smtpd_restriction_classes",
        "inet_protocols", "compatibility_level", "undefined_name",
    };
    struct am_diag_sink diags = { 0 };
    struct am_check_conf conf;
    struct am_error err;
    const char *p, *end = (const char *) data + size;
    am_pfconf *c;
    size_t off = 0, i, names = 0;
    ssize_t n;
    int fd;

    if (dir[0] == '\0') {
        const char *tmp = getenv("TMPDIR");

        snprintf(dir, sizeof(dir), "%s/am-fuzz-%ld",
                 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", (long) getpid());
        snprintf(file, sizeof(file), "%s/main.cf", dir);
        if (mkdir(dir, 0700) < 0)
            fuzz_fail("cannot create the config directory");
        atexit(remove_dir);
    }
    if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        fuzz_fail("cannot create main.cf");
    while (off < size) {
        if ((n = write(fd, data + off, size - off)) <= 0)
            fuzz_fail("cannot write main.cf");
        off += (size_t) n;
    }
    close(fd);
    if ((c = am_pfconf_open(dir, &diags, &err)) == NULL)
        goto out;
    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        look_up(c, known[i]);
    /* The name at the start of each line, up to 32 of them. */
    for (p = (const char *) data; p < end && names < 32; names++) {
        const char *eol = memchr(p, '\n', (size_t) (end - p)), *q = p;
        char name[64];
        size_t len;

        if (eol == NULL)
            eol = end;
        while (q < eol && !am_is_space((unsigned char) *q) && *q != '=' && *q != '\0')
            q++;
        len = (size_t) (q - p);
        if (len > 0 && len < sizeof(name)) {
            memcpy(name, p, len);
            name[len] = '\0';
            look_up(c, name);
        }
        p = eol + 1;
    }
    if (am_check_conf_load(&conf, c, &err) < 0)
        fuzz_assert(err.code == AM_ERR_INVALID || err.code == AM_ERR_NOMEM);
    am_pfconf_close(c);
out:
    unlink(file);
    return 0;
}
