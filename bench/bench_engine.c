/* bench_engine.c - in-process lookup speed of the access engine.
 *
 * Opens TABLEs with am_engine_open() for one check kind and answers the
 * keys of KEYFILE over and over for about SECONDS, through
 * am_engine_lookup() (one key as a tcp:/socketmap: server receives it) or,
 * with -q, am_engine_query() (a whole client: address from the key file,
 * hostname from -N NAMEFILE, line by line).  Prints one tab-separated
 * line: kind, mode, keys, lookups, hits, ns per lookup.  A standalone
 * program, not a test: it asserts nothing.
 *
 *   bench_engine -k client|helo|sender|recipient|exact [-q -N NAMEFILE]
 *                [-c CONFIG_DIR] [-t SECONDS] [-p] KEYFILE TABLE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "formats/pfconf.h"

struct keys {
    char **v;
    size_t *len;
    size_t n;
};

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int
read_keys(const char *path, struct keys *k)
{
    FILE *fp = fopen(path, "r");
    size_t cap = 0, llen = 0;
    char *line = NULL;
    ssize_t len;

    if (fp == NULL) {
        perror(path);
        return -1;
    }
    memset(k, 0, sizeof *k);
    while ((len = getline(&line, &llen, fp)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (k->n == cap) {
            cap = cap ? 2 * cap : 1024;
            k->v = realloc(k->v, cap * sizeof *k->v);
            k->len = realloc(k->len, cap * sizeof *k->len);
            if (k->v == NULL || k->len == NULL) {
                perror("realloc");
                return -1;
            }
        }
        k->v[k->n] = strdup(line);
        k->len[k->n++] = (size_t) len;
    }
    free(line);
    fclose(fp);
    if (k->n == 0) {
        fprintf(stderr, "%s: no keys\n", path);
        return -1;
    }
    return 0;
}

static int
kind_of(const char *s)
{
    static const struct { const char *name; int kind; } kinds[] = {
        { "exact", AM_CHECK_EXACT }, { "client", AM_CHECK_CLIENT },
        { "helo", AM_CHECK_HELO }, { "sender", AM_CHECK_SENDER },
        { "recipient", AM_CHECK_RECIPIENT },
    };
    size_t i;

    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(s, kinds[i].name) == 0)
            return kinds[i].kind;
    return -1;
}

int
main(int argc, char **argv)
{
    const char *kindname = "exact", *confdir = NULL, *namefile = NULL;
    struct am_engine_opts opts;
    struct am_error err;
    struct keys keys, names;
    am_pfconf *conf = NULL;
    am_engine *e;
    double secs = 1, t0, t;
    size_t lookups = 0, hits = 0, i;
    int c, query = 0;

    memset(&err, 0, sizeof err);
    memset(&opts, 0, sizeof opts);
    memset(&names, 0, sizeof names);
    while ((c = getopt(argc, argv, "k:qN:c:t:p")) != -1) {
        switch (c) {
        case 'k': kindname = optarg; break;
        case 'q': query = 1; break;
        case 'N': namefile = optarg; break;
        case 'c': confdir = optarg; break;
        case 't': secs = strtod(optarg, NULL); break;
        case 'p': opts.preload = 1; break;
        default: goto usage;
        }
    }
    if (argc - optind < 2 || (opts.kind = kind_of(kindname)) < 0
        || (query && (namefile == NULL || opts.kind != AM_CHECK_CLIENT)))
        goto usage;
    if (read_keys(argv[optind], &keys) < 0
        || (namefile && read_keys(namefile, &names) < 0))
        return 1;
    if (confdir) {
        conf = am_pfconf_open(confdir, NULL, &err);
        if (conf == NULL) {
            fprintf(stderr, "%s: %s\n", confdir, err.msg);
            return 1;
        }
        opts.conf = conf;
    }
    e = am_engine_open((const char *const *) argv + optind + 1,
                       (size_t) (argc - optind - 1), &opts, &err);
    if (e == NULL) {
        fprintf(stderr, "bench_engine: %s\n", err.msg);
        return 1;
    }
    t0 = now();
    do {
        for (i = 0; i < keys.n; i++) {
            struct am_answer ans;
            int r;

            if (query) {
                struct am_search_input in;

                memset(&in, 0, sizeof in);
                in.text = keys.v[i];
                in.hostname = names.v[i % names.n];
                r = am_engine_query(e, &in, &ans, NULL, &err);
            } else {
                r = am_engine_lookup(e, keys.v[i], keys.len[i], &ans, &err);
            }
            if (r < 0 && r != AM_ERR_SYNTAX) {
                fprintf(stderr, "bench_engine: %s: %s\n", keys.v[i], err.msg);
                return 1;
            }
            hits += r == 1;
        }
        lookups += keys.n;
        t = now();
    } while (t - t0 < secs);
    printf("%s\t%s\t%zu\t%zu\t%zu\t%.1f\n", kindname,
           query ? "query" : "lookup", keys.n, lookups, hits,
           (t - t0) * 1e9 / (double) lookups);
    am_engine_close(e);
    am_pfconf_close(conf);
    for (i = 0; i < keys.n; i++)
        free(keys.v[i]);
    for (i = 0; i < names.n; i++)
        free(names.v[i]);
    free(keys.v);
    free(keys.len);
    free(names.v);
    free(names.len);
    return 0;
usage:
    fprintf(stderr, "usage: bench_engine -k KIND [-q -N NAMEFILE] "
            "[-c CONFIG_DIR] [-t SECONDS] [-p] KEYFILE TABLE...\n");
    return 2;
}
