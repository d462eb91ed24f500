/* loadgen.c - a load generator for lookup servers: tcp_table, socketmap,
 * redis.
 *
 * One thread, one epoll loop, N connections.  Each connection keeps up to
 * DEPTH requests in flight (1: send, wait for the reply, send again, as
 * Postfix's clients do; more: pipelined).  Keys come from a file, one a
 * line, and are drawn in a seeded pseudo-random order.  After a warm-up
 * the run counts replies for a fixed time and records each request's
 * latency (send to complete reply) in a log-linear histogram.  Extra idle
 * connections can be held open to show what they cost the server.
 *
 *   loadgen -P tcp|socketmap|redis [-h HOST] -p PORT -k KEYFILE [-m MAP]
 *           [-c CONNS] [-d DEPTH] [-t SECONDS] [-w WARMUP] [-i IDLE]
 *           [-s SEED] [-H]
 *
 * Prints one tab-separated line (with -H, a header line first):
 * proto conns depth idle seconds requests rps hits misses errors
 * p50_us p99_us p999_us max_us.  Exits 1 when a connection cannot be made
 * or nothing was answered, 2 on usage errors.  A standalone program, not a
 * test: it asserts nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum proto { P_TCP, P_SOCKETMAP, P_REDIS };

#define INBUF 65536
#define SUB_BITS 5                       /* 32 buckets per power of two */
#define NBUCKETS (64 << SUB_BITS)

struct req {                             /* one key, already encoded */
    char *data;
    size_t len;
};

struct conn {
    int fd;
    char *out;                           /* pending bytes to write */
    size_t outlen, outoff, outcap;
    char in[INBUF];
    size_t inlen;
    uint64_t *sent;                      /* ring of send times, DEPTH long */
    unsigned head, inflight;
    int want_out;
};

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t hist[NBUCKETS];
static uint64_t n_hits, n_misses, n_errors, n_done;
static int counting;

static uint64_t
rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static void
die(const char *what)
{
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        die("malloc");
    return p;
}

/* Bucket of a latency: exact below 2^SUB_BITS ns, then SUB_BITS bits of
 * mantissa per power of two (about 3% resolution). */
static unsigned
bucket_of(uint64_t v)
{
    unsigned msb;

    if (v < (1u << SUB_BITS))
        return (unsigned) v;
    msb = 63u - (unsigned) __builtin_clzll(v);
    return ((msb - SUB_BITS + 1) << SUB_BITS)
        | (unsigned) ((v >> (msb - SUB_BITS)) & ((1u << SUB_BITS) - 1));
}

/* The middle of bucket b. */
static double
bucket_value(unsigned b)
{
    unsigned e = b >> SUB_BITS, m = b & ((1u << SUB_BITS) - 1);

    if (e == 0)
        return m;
    return ((double) ((1u << SUB_BITS) | m) + 0.5)
        * (double) (1ULL << (e - 1));
}

static double
percentile_us(double q)
{
    uint64_t total = 0, want, seen = 0;
    unsigned b;

    for (b = 0; b < NBUCKETS; b++)
        total += hist[b];
    if (total == 0)
        return 0;
    want = (uint64_t) (q * (double) total);
    if (want >= total)
        want = total - 1;
    for (b = 0; b < NBUCKETS; b++) {
        seen += hist[b];
        if (seen > want)
            return bucket_value(b) / 1000.0;
    }
    return 0;
}

/* tcp_table quotes space, %, and anything not printable ASCII as %XX. */
static void
encode_key(enum proto p, const char *key, size_t klen, const char *map,
           struct req *r)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, n = 0, cap = 3 * klen + strlen(map) + 64;
    char *d = xmalloc(cap);

    switch (p) {
    case P_TCP:
        memcpy(d, "get ", 4);
        n = 4;
        for (i = 0; i < klen; i++) {
            unsigned char c = (unsigned char) key[i];

            if (c <= ' ' || c == '%' || c >= 0x7f) {
                d[n++] = '%';
                d[n++] = hex[c >> 4];
                d[n++] = hex[c & 15];
            } else {
                d[n++] = (char) c;
            }
        }
        d[n++] = '\n';
        break;
    case P_SOCKETMAP:
        n = (size_t) sprintf(d, "%zu:%s ", strlen(map) + 1 + klen, map);
        memcpy(d + n, key, klen);
        n += klen;
        d[n++] = ',';
        break;
    case P_REDIS:
        n = (size_t) sprintf(d, "*2\r\n$3\r\nGET\r\n$%zu\r\n", klen);
        memcpy(d + n, key, klen);
        n += klen;
        memcpy(d + n, "\r\n", 2);
        n += 2;
        break;
    }
    r->data = d;
    r->len = n;
}

static struct req *
load_keys(const char *path, enum proto p, const char *map, size_t *nkeys)
{
    FILE *fp = fopen(path, "r");
    struct req *v = NULL;
    size_t n = 0, cap = 0, llen = 0;
    char *line = NULL;
    ssize_t len;

    if (fp == NULL)
        die(path);
    while ((len = getline(&line, &llen, fp)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            v = realloc(v, cap * sizeof *v);
            if (v == NULL)
                die("realloc");
        }
        encode_key(p, line, (size_t) len, map, &v[n++]);
    }
    free(line);
    fclose(fp);
    if (n == 0) {
        fprintf(stderr, "loadgen: %s: no keys\n", path);
        exit(2);
    }
    *nkeys = n;
    return v;
}

static int
connect_to(const struct addrinfo *ai)
{
    int fd, one = 1;

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        die("connect");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Length of the first complete reply in buf, 0 if incomplete, -1 if the
 * stream cannot be parsed.  *kind: 1 hit, 0 miss, -1 error reply. */
static long
parse_reply(enum proto p, const char *buf, size_t len, int *kind)
{
    const char *nl, *colon;
    size_t i, n;
    long bulk;

    switch (p) {
    case P_TCP:
        nl = memchr(buf, '\n', len);
        if (nl == NULL)
            return len > 8192 ? -1 : 0;
        *kind = len >= 3 && memcmp(buf, "200", 3) == 0 ? 1
            : len >= 3 && memcmp(buf, "500", 3) == 0 ? 0 : -1;
        return nl - buf + 1;
    case P_SOCKETMAP:
        colon = memchr(buf, ':', len < 12 ? len : 12);
        if (colon == NULL)
            return len >= 12 ? -1 : 0;
        for (n = 0, i = 0; buf + i < colon; i++) {
            if (buf[i] < '0' || buf[i] > '9')
                return -1;
            n = n * 10 + (size_t) (buf[i] - '0');
        }
        i = (size_t) (colon - buf) + 1;
        if (len < i + n + 1)
            return n > 100000 ? -1 : 0;
        if (buf[i + n] != ',')
            return -1;
        *kind = n >= 2 && memcmp(buf + i, "OK", 2) == 0 ? 1
            : n >= 8 && memcmp(buf + i, "NOTFOUND", 8) == 0 ? 0 : -1;
        return (long) (i + n + 1);
    case P_REDIS:
        nl = memchr(buf, '\n', len);
        if (nl == NULL)
            return len > 8192 ? -1 : 0;
        if (buf[0] != '$') {
            *kind = buf[0] == '-' ? -1 : 1;
            return nl - buf + 1;
        }
        bulk = strtol(buf + 1, NULL, 10);
        if (bulk < 0) {
            *kind = 0;
            return nl - buf + 1;
        }
        i = (size_t) (nl - buf) + 1 + (size_t) bulk + 2;
        if (len < i)
            return 0;
        *kind = 1;
        return (long) i;
    }
    return -1;
}

static void
queue(struct conn *c, const struct req *r)
{
    if (c->outlen + r->len > c->outcap) {
        c->outcap = 2 * (c->outlen + r->len) + 256;
        c->out = realloc(c->out, c->outcap);
        if (c->out == NULL)
            die("realloc");
    }
    memcpy(c->out + c->outlen, r->data, r->len);
    c->outlen += r->len;
}

static int
flush(struct conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);

        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            return -1;
        }
        c->outoff += (size_t) w;
    }
    c->outoff = c->outlen = 0;
    return 0;
}

static void
usage(void)
{
    fprintf(stderr, "usage: loadgen -P tcp|socketmap|redis [-h HOST] -p PORT"
            " -k KEYFILE [-m MAP] [-c CONNS] [-d DEPTH] [-t SECONDS]"
            " [-w WARMUP] [-i IDLE] [-s SEED] [-H]\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = NULL, *keyfile = NULL;
    const char *map = "map", *pname = NULL;
    unsigned nconn = 1, depth = 1, nidle = 0, i;
    double secs = 5, warm = 1;
    int opt, ep, header = 0, gai, sending = 1;
    enum proto p = P_TCP;
    struct addrinfo hints, *ai;
    struct req *keys;
    size_t nkeys;
    struct conn *conns;
    struct epoll_event ev, evs[256];
    struct rlimit rl;
    uint64_t t0, t_count = 0, t_stop, t_end = 0, maxlat = 0;
    unsigned open_conns;

    while ((opt = getopt(argc, argv, "P:h:p:k:m:c:d:t:w:i:s:H")) != -1) {
        switch (opt) {
        case 'P': pname = optarg; break;
        case 'h': host = optarg; break;
        case 'p': port = optarg; break;
        case 'k': keyfile = optarg; break;
        case 'm': map = optarg; break;
        case 'c': nconn = (unsigned) strtoul(optarg, NULL, 10); break;
        case 'd': depth = (unsigned) strtoul(optarg, NULL, 10); break;
        case 't': secs = strtod(optarg, NULL); break;
        case 'w': warm = strtod(optarg, NULL); break;
        case 'i': nidle = (unsigned) strtoul(optarg, NULL, 10); break;
        case 's': rng ^= strtoull(optarg, NULL, 10) * 0xD6E8FEB86659FD93ULL;
                  break;
        case 'H': header = 1; break;
        default: usage();
        }
    }
    if (pname == NULL || port == NULL || keyfile == NULL || nconn == 0
        || depth == 0 || secs <= 0 || warm < 0)
        usage();
    if (strcmp(pname, "tcp") == 0)
        p = P_TCP;
    else if (strcmp(pname, "socketmap") == 0)
        p = P_SOCKETMAP;
    else if (strcmp(pname, "redis") == 0)
        p = P_REDIS;
    else
        usage();
    signal(SIGPIPE, SIG_IGN);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    keys = load_keys(keyfile, p, map, &nkeys);

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((gai = getaddrinfo(host, port, &hints, &ai)) != 0) {
        fprintf(stderr, "loadgen: %s:%s: %s\n", host, port, gai_strerror(gai));
        return 1;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    for (i = 0; i < nidle; i++)
        (void) connect_to(ai);           /* held open, never used, closed
                                          * at exit */

    conns = calloc(nconn, sizeof *conns);
    if (conns == NULL)
        die("calloc");
    for (i = 0; i < nconn; i++) {
        struct conn *c = &conns[i];

        c->fd = connect_to(ai);
        c->sent = xmalloc(depth * sizeof *c->sent);
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
            die("epoll_ctl");
    }
    freeaddrinfo(ai);
    open_conns = nconn;

    t0 = now_ns();
    t_stop = t0 + (uint64_t) ((warm + secs) * 1e9);
    /* Fill every pipeline. */
    for (i = 0; i < nconn; i++) {
        struct conn *c = &conns[i];
        uint64_t t = now_ns();

        while (c->inflight < depth) {
            queue(c, &keys[rnd() % nkeys]);
            c->sent[(c->head + c->inflight) % depth] = t;
            c->inflight++;
        }
        if (flush(c) < 0)
            die("write");
        if (c->outlen) {
            ev.events = EPOLLIN | EPOLLOUT;
            ev.data.ptr = c;
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            c->want_out = 1;
        }
    }

    while (open_conns > 0) {
        int n = epoll_wait(ep, evs, 256, 100), k;
        uint64_t t = now_ns();

        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        if (!counting && sending && t >= t0 + (uint64_t) (warm * 1e9)) {
            counting = 1;
            t_count = t;
        }
        if (sending && t >= t_stop) {
            sending = 0;
            counting = 0;
            t_end = t;
        }
        if (!sending && t >= t_stop + 2000000000ULL)
            break;                      /* give up on stragglers */
        for (k = 0; k < n; k++) {
            struct conn *c = evs[k].data.ptr;
            int dead = 0;

            if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                ssize_t r = read(c->fd, c->in + c->inlen, INBUF - c->inlen);

                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                    n_errors += c->inflight;
                    dead = 1;
                } else if (r > 0) {
                    size_t off = 0;

                    c->inlen += (size_t) r;
                    t = now_ns();
                    for (;;) {
                        int kind = 0;
                        long used = parse_reply(p, c->in + off,
                                                c->inlen - off, &kind);

                        if (used < 0 || (used > 0 && c->inflight == 0)) {
                            n_errors++;
                            dead = 1;
                            break;
                        }
                        if (used == 0)
                            break;
                        off += (size_t) used;
                        if (counting) {
                            uint64_t lat = t - c->sent[c->head];

                            hist[bucket_of(lat)]++;
                            if (lat > maxlat)
                                maxlat = lat;
                            n_done++;
                            if (kind > 0)
                                n_hits++;
                            else if (kind == 0)
                                n_misses++;
                            else
                                n_errors++;
                        }
                        c->head = (c->head + 1) % depth;
                        c->inflight--;
                        if (sending) {
                            queue(c, &keys[rnd() % nkeys]);
                            c->sent[(c->head + c->inflight) % depth] = t;
                            c->inflight++;
                        }
                    }
                    memmove(c->in, c->in + off, c->inlen - off);
                    c->inlen -= off;
                    if (!dead && flush(c) < 0)
                        dead = 1;
                }
            }
            if (!dead && (evs[k].events & EPOLLOUT) && flush(c) < 0)
                dead = 1;
            if (!dead && (c->outlen != 0) != c->want_out) {
                c->want_out = c->outlen != 0;
                ev.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0);
                ev.data.ptr = c;
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            }
            if (!dead && !sending && c->inflight == 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                open_conns--;
                c->inflight = (unsigned) -1;   /* finished, not counted again */
                continue;
            }
            if (dead) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = -1;
                c->inflight = 0;
                open_conns--;
                if (sending)
                    fprintf(stderr, "loadgen: connection lost\n");
            }
        }
    }
    if (t_end == 0)
        t_end = now_ns();
    {
        double span = t_count ? (double) (t_end - t_count) / 1e9 : 0;

        if (header)
            printf("proto\tconns\tdepth\tidle\tseconds\trequests\trps\thits"
                   "\tmisses\terrors\tp50_us\tp99_us\tp999_us\tmax_us\n");
        printf("%s\t%u\t%u\t%u\t%.2f\t%llu\t%.0f\t%llu\t%llu\t%llu"
               "\t%.1f\t%.1f\t%.1f\t%.1f\n", pname, nconn, depth, nidle, span,
               (unsigned long long) n_done,
               span > 0 ? (double) n_done / span : 0,
               (unsigned long long) n_hits, (unsigned long long) n_misses,
               (unsigned long long) n_errors, percentile_us(0.50),
               percentile_us(0.99), percentile_us(0.999),
               (double) maxlat / 1000.0);
    }
    for (i = 0; i < nconn; i++) {
        if (conns[i].fd >= 0)
            close(conns[i].fd);
        free(conns[i].out);
        free(conns[i].sent);
    }
    free(conns);
    for (i = 0; i < nkeys; i++)
        free(keys[i].data);
    free(keys);
    close(ep);
    return n_done > 0 ? 0 : 1;
}
