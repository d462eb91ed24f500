/* bench_netindex.c - build time and lookup speed of am_netindex.
 *
 * A standalone program, not a test: it prints a table and asserts nothing
 * about time.  For 1k, 10k, 100k and 1M random rules of each family,
 * ordered most specific first (so every rule shows through: the most
 * segments), it measures the build, the average lookup over random keys
 * (half of them rule boundaries) and the latency of dependent lookups.
 * With -p it also writes a 50k-rule cidr table and times am_cidrtable and
 * real `postmap -q - cidr:FILE` on the same keys in the same run.  Build
 * and run with bench/netindex.sh.
 *
 *   bench_netindex [-q] [-p -c CONFIG_DIR] [-n KEYS] [-k POSTMAP_KEYS]
 *       -q  quick: stop at 100k rules
 *       -p  compare with postmap in the Postfix config dir given by -c
 *       -n  keys per lookup measurement (default 2000000)
 *       -k  keys for the postmap comparison (default 20000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/cidrtable.h"
#include "engine/netindex.h"
#include "formats/addr.h"
#include "formats/buf.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t
rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* A random network as a cidr table would hold one: mostly long prefixes
 * (hosts and small nets), some big ones. */
static struct am_range
random_rule(int family, unsigned *prefix_out)
{
    unsigned bits = am_addr_bits(family), prefix;
    struct am_u128 v;
    struct am_range r;
    struct am_addr a;
    uint64_t x = rnd() % 100;

    v.hi = family == AM_ADDR_V6 ? rnd() : 0;
    v.lo = family == AM_ADDR_V6 ? rnd() : rnd() & 0xffffffffu;
    if (family == AM_ADDR_V4)
        prefix = x < 40 ? 32 : x < 90 ? 24 + (unsigned) (rnd() % 8)
            : 8 + (unsigned) (rnd() % 16);
    else
        prefix = x < 40 ? 128 : x < 70 ? 64 : x < 90
            ? 48 + (unsigned) (rnd() % 16) : 16 + (unsigned) (rnd() % 32);
    am_addr_from_u128(family, v, &a);
    am_range_of_prefix(&a, prefix, &r);
    *prefix_out = prefix;
    (void) bits;
    return r;
}

struct run {
    struct am_range *rules;
    unsigned *prefix;
    size_t nrules;
    struct am_u128 *keys;
    size_t nkeys;
};

static void
make_run(struct run *run, int family, size_t nrules, size_t nkeys)
{
    size_t i;

    run->rules = malloc(nrules * sizeof(*run->rules));
    run->prefix = malloc(nrules * sizeof(*run->prefix));
    run->keys = malloc(nkeys * sizeof(*run->keys));
    if (run->rules == NULL || run->prefix == NULL || run->keys == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    run->nrules = nrules;
    run->nkeys = nkeys;
    for (i = 0; i < nrules; i++)
        run->rules[i] = random_rule(family, &run->prefix[i]);
    for (i = 0; i < nkeys; i++) {
        const struct am_range *r = &run->rules[rnd() % nrules];

        switch (rnd() % 4) {
        case 0:
            run->keys[i] = r->lo;
            break;
        case 1:
            run->keys[i] = am_u128_inc(r->hi);
            break;
        default:
            run->keys[i].hi = family == AM_ADDR_V6 ? rnd() : 0;
            run->keys[i].lo = family == AM_ADDR_V6 ? rnd()
                : rnd() & 0xffffffffu;
            break;
        }
        if (family == AM_ADDR_V4)
            run->keys[i].lo &= 0xffffffffu;
    }
}

static void
free_run(struct run *run)
{
    free(run->rules);
    free(run->prefix);
    free(run->keys);
}

/* Build with most-specific-first priorities (longest prefix, then file
 * order), as an ordinary table with networks has them: every rule then
 * shows through, which gives the most segments. */
static am_netindex *
build(const struct run *run, double *secs)
{
    struct am_error err;
    am_netindex_builder *b;
    am_netindex *ix;
    double t0 = now();
    size_t i;

    if ((b = am_netindex_builder_new(&err)) == NULL)
        goto fail;
    for (i = 0; i < run->nrules; i++)
        if (am_netindex_add(b, &run->rules[i], 1,
                            (uint64_t) (128 - run->prefix[i]) << 32 | i,
                            (uint32_t) i, &err) < 0)
            goto fail;
    if ((ix = am_netindex_build(b, &err)) == NULL)
        goto fail;
    *secs = now() - t0;
    return ix;
fail:
    fprintf(stderr, "build: %s\n", err.msg);
    exit(2);
}

static volatile uint32_t sink;


static double
lookup_ns(const am_netindex *ix, const struct run *run, int family)
{
    uint32_t p, acc = 0, *keys4 = NULL;
    double t0, best = 1e9, t;
    int rep;
    size_t i;

    /* IPv4 keys as a server holds them, 4 bytes each: streaming the
     * 16-byte form through the cache would crowd out the index. */
    if (family == AM_ADDR_V4) {
        if ((keys4 = malloc(run->nkeys * sizeof(*keys4))) == NULL) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
        for (i = 0; i < run->nkeys; i++)
            keys4[i] = (uint32_t) run->keys[i].lo;
    }
    for (rep = 0; rep < 3; rep++) {
        t0 = now();
        if (family == AM_ADDR_V4) {
            for (i = 0; i < run->nkeys; i++) {
                am_netindex_lookup4(ix, keys4[i], &p);
                acc += p;
            }
        } else {
            for (i = 0; i < run->nkeys; i++) {
                am_netindex_lookup6(ix, run->keys[i], &p);
                acc += p;
            }
        }
        t = (now() - t0) * 1e9 / (double) run->nkeys;
        if (t < best)
            best = t;
    }
    free(keys4);
    sink = acc;
    return best;
}

/* Dependent lookups: each key depends on the previous answer, so the
 * memory latency is not hidden by overlapping lookups. */
static double
lookup_latency_ns(const am_netindex *ix, const struct run *run, int family)
{
    uint32_t p = 0;
    double t0;
    size_t i;

    t0 = now();
    for (i = 0; i < run->nkeys; i++) {
        struct am_u128 k = run->keys[(i + (p & 1)) % run->nkeys];

        if (family == AM_ADDR_V4)
            am_netindex_lookup4(ix, (uint32_t) k.lo, &p);
        else
            am_netindex_lookup6(ix, k, &p);
    }
    sink = p;
    return (now() - t0) * 1e9 / (double) run->nkeys;
}

static int
write_cidr(const char *path, const struct run *run)
{
    FILE *fp = fopen(path, "w");
    char text[AM_ADDR_STRLEN];
    size_t i;

    if (fp == NULL)
        return -1;
    for (i = 0; i < run->nrules; i++) {
        am_net_format(&run->rules[i], run->prefix[i], text, sizeof(text));
        fprintf(fp, "%s rule%zu\n", text, i);
    }
    return fclose(fp);
}

/* Run postmap on a key file; returns seconds, output in *out (malloc'ed). */
static double
run_postmap(const char *confdir, const char *cidr, const char *keys,
            char **out, size_t *outlen)
{
    char cmd[1024];
    double t0 = now();
    size_t cap = 1 << 16, n;
    FILE *fp;

    snprintf(cmd, sizeof(cmd), "postmap -c %s -q - cidr:%s < %s", confdir,
             cidr, keys);
    *outlen = 0;
    if ((*out = malloc(cap)) == NULL || (fp = popen(cmd, "r")) == NULL) {
        perror("postmap");
        exit(2);
    }
    while ((n = fread(*out + *outlen, 1, cap - *outlen, fp)) > 0) {
        *outlen += n;
        if (*outlen == cap && (*out = realloc(*out, cap *= 2)) == NULL)
            exit(2);
    }
    pclose(fp);
    return now() - t0;
}

/* The same table through am_cidrtable and through real postmap, on the
 * same keys in the same run.  postmap's start-up (reading the table) is
 * measured with a single key and subtracted. */
static void
compare_postmap(const char *confdir, int family, size_t n)
{
    char dir[] = "/tmp/bench-netindex.XXXXXX", cidr[64], keys[64], one[64];
    char text[AM_ADDR_STRLEN], **ktext;
    struct am_error err;
    struct run run;
    struct am_buf ours;
    am_cidrtable *t;
    const struct am_cidrrule *rule;
    double load_s, t0, ours_ns, parse_ns, pm1, pmn, pm_ns;
    size_t i, rep, reps, found = 0, pmlen;
    char *pmout;
    struct am_addr a;
    FILE *fp;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    make_run(&run, family, 50000, n);
    snprintf(cidr, sizeof(cidr), "%s/t.cidr", dir);
    snprintf(keys, sizeof(keys), "%s/keys", dir);
    snprintf(one, sizeof(one), "%s/one", dir);
    ktext = malloc(n * sizeof(*ktext));
    if (write_cidr(cidr, &run) < 0 || ktext == NULL
        || (fp = fopen(keys, "w")) == NULL) {
        perror("write");
        exit(2);
    }
    for (i = 0; i < n; i++) {
        am_addr_from_u128(family, run.keys[i], &a);
        am_addr_format(&a, text, sizeof(text));
        ktext[i] = strdup(text);
        fprintf(fp, "%s\n", text);
    }
    fclose(fp);
    if ((fp = fopen(one, "w")) == NULL) {
        perror("write");
        exit(2);
    }
    fprintf(fp, "%s\n", ktext[0]);
    fclose(fp);

    t0 = now();
    if ((t = am_cidrtable_open(cidr, NULL, &err)) == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
    load_s = now() - t0;
    /* Our answers, in postmap's output format. */
    am_buf_init(&ours, 0);
    for (i = 0; i < n; i++)
        if (am_cidrtable_lookup(t, ktext[i], strlen(ktext[i]), &rule)) {
            am_buf_printf(&ours, NULL, "%s\t%s\n", ktext[i], rule->value);
            found++;
        }
    reps = 1 + 4000000 / n;
    t0 = now();
    for (rep = 0; rep < reps; rep++)
        for (i = 0; i < n; i++)
            if (am_cidrtable_lookup(t, ktext[i], strlen(ktext[i]), &rule))
                sink += rule->line;
    ours_ns = (now() - t0) * 1e9 / (double) (reps * n);
    t0 = now();
    for (rep = 0; rep < reps; rep++)
        for (i = 0; i < n; i++)
            sink += (uint32_t) am_addr_parse(ktext[i], strlen(ktext[i]), &a);
    parse_ns = (now() - t0) * 1e9 / (double) (reps * n);

    pm1 = run_postmap(confdir, cidr, one, &pmout, &pmlen);
    free(pmout);
    pmn = run_postmap(confdir, cidr, keys, &pmout, &pmlen);
    pm_ns = (pmn - pm1) * 1e9 / (double) (n - 1);
    printf("%s, 50000 rules, %zu keys (%zu found): load %.0f ms; "
           "accessmap %.0f ns/lookup (%.0f of it parsing the key); postmap "
           "%.0f ns/lookup (start-up %.2f s subtracted) -> %.0fx, "
           "%.0fx without parsing; answers %s\n",
           family == AM_ADDR_V4 ? "IPv4" : "IPv6", n,
           found, load_s * 1e3, ours_ns, parse_ns, pm_ns, pm1,
           pmn > pm1 ? pm_ns / ours_ns : 0.0,
           pmn > pm1 && ours_ns > parse_ns ? pm_ns / (ours_ns - parse_ns)
           : 0.0, pmlen == ours.len
           && memcmp(pmout, ours.data, pmlen) == 0 ? "identical"
           : "DIFFER");
    free(pmout);
    am_buf_free(&ours);
    am_cidrtable_close(t);
    for (i = 0; i < n; i++)
        free(ktext[i]);
    free(ktext);
    free_run(&run);
    unlink(cidr);
    unlink(keys);
    unlink(one);
    rmdir(dir);
}

/* How fast this machine's memory answers right now: random 8-byte reads
 * over 64 MB, independent (overlapping) and dependent (one at a time).
 * Shared machines vary by a factor of two or more; read the table with
 * this line in mind. */
static void
calibrate(void)
{
    size_t n = (64u << 20) / sizeof(uint64_t), k = 4000000, i;
    uint64_t *a = malloc(n * sizeof(*a)), s = 0, p = 0;
    double t0, ind, dep;

    if (a == NULL)
        return;
    for (i = 0; i < n; i++)
        a[i] = i * 2654435761u;
    t0 = now();
    for (i = 0; i < k; i++)
        s += a[rnd() % n];
    ind = (now() - t0) * 1e9 / (double) k;
    t0 = now();
    for (i = 0; i < k; i++)
        p = a[(rnd() + (p & 1)) % n];
    dep = (now() - t0) * 1e9 / (double) k;
    sink = (uint32_t) (s + p);
    printf("memory: random 8-byte reads over 64 MB: %.1f ns independent, "
           "%.1f ns dependent\n", ind, dep);
    free(a);
}

int
main(int argc, char **argv)
{
    static const size_t sizes[] = { 1000, 10000, 100000, 1000000 };
    const char *confdir = NULL;
    size_t nkeys = 2000000, s, nsizes = 4, pm_keys = 20000;
    int quick = 0, postmap = 0, c, fam;

    while ((c = getopt(argc, argv, "qpn:c:k:")) != -1) {
        switch (c) {
        case 'q':
            quick = 1;
            break;
        case 'p':
            postmap = 1;
            break;
        case 'n':
            nkeys = strtoul(optarg, NULL, 10);
            break;
        case 'k':
            pm_keys = strtoul(optarg, NULL, 10);
            break;
        case 'c':
            confdir = optarg;
            break;
        default:
            fprintf(stderr, "usage: bench_netindex [-q] [-p -c DIR] "
                    "[-n KEYS] [-k POSTMAP_KEYS]\n");
            return 2;
        }
    }
    if (quick)
        nsizes = 3;
    calibrate();
    printf("%-6s %9s %10s %10s %9s %12s %12s %6s\n", "family", "rules",
           "segments", "build ms", "MB", "lookup ns", "latency ns",
           "depth");
    for (fam = 0; fam < 2; fam++) {
        int family = fam ? AM_ADDR_V6 : AM_ADDR_V4;

        for (s = 0; s < nsizes; s++) {
            struct am_netindex_stats st;
            struct run run;
            am_netindex *ix;
            double bs, ns, lat;

            make_run(&run, family, sizes[s], nkeys);
            ix = build(&run, &bs);
            ns = lookup_ns(ix, &run, family);
            lat = lookup_latency_ns(ix, &run, family);
            am_netindex_stats(ix, &st);
            printf("%-6s %9zu %10zu %10.1f %9.1f %12.1f %12.1f %6u\n",
                   fam ? "IPv6" : "IPv4", sizes[s], st.segments[fam],
                   bs * 1e3, (double) st.bytes / 1e6, ns, lat,
                   st.depth[fam]);
            am_netindex_free(ix);
            free_run(&run);
        }
    }
    if (postmap) {
        if (confdir == NULL) {
            fprintf(stderr, "-p needs -c CONFIG_DIR\n");
            return 2;
        }
        compare_postmap(confdir, AM_ADDR_V4, pm_keys);
        compare_postmap(confdir, AM_ADDR_V6, pm_keys);
    }
    return 0;
}
