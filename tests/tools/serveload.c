/* serveload.c - keep a tcp_table server busy and check every answer.
 *
 *   serveload PORT SECONDS EXPECT-FILE [CONNECTIONS]
 *
 * EXPECT-FILE has one line per key: KEY TAB REPLY[TAB REPLY...], each
 * REPLY a whole reply line as the server must send it ("200 OK",
 * "500 not%20found"); a key may list several, e.g. the answers of the old
 * and the new table during a reload.  Keys must not need %XX encoding.
 * CONNECTIONS connections (default 8) each send one request at a time, as
 * Postfix does (all connections have one in flight at once), cycling
 * through the keys, until SECONDS have passed or a STOP file appears in
 * the current directory.  With SERVELOAD_RATE set, the request rate goes
 * to stderr (a sanity figure, not a benchmark: bench/ measures).  Prints
 * "requests N wrong N errors N" and exits 1 if any answer was wrong,
 * missing or a 400.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXKEYS 1024
#define MAXALT 4
#define MAXCONN 64

static char *keys[MAXKEYS], *alts[MAXKEYS][MAXALT];
static size_t nkeys;

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
load(const char *path)
{
    FILE *fp = fopen(path, "r");
    char line[8192];

    if (fp == NULL) {
        perror(path);
        exit(2);
    }
    while (fgets(line, sizeof(line), fp) && nkeys < MAXKEYS) {
        char *p = strchr(line, '\n'), *tok;
        size_t a = 0;
        if (p)
            *p = 0;
        if ((tok = strtok(line, "\t")) == NULL)
            continue;
        keys[nkeys] = strdup(tok);
        while ((tok = strtok(NULL, "\t")) != NULL && a < MAXALT)
            alts[nkeys][a++] = strdup(tok);
        if (a == 0) {
            fprintf(stderr, "%s: key %s has no reply\n", path, keys[nkeys]);
            exit(2);
        }
        nkeys++;
    }
    fclose(fp);
    if (nkeys == 0) {
        fprintf(stderr, "%s: no keys\n", path);
        exit(2);
    }
}

static int
dial(int port)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        perror("connect");
        exit(2);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Buffered reader per connection. */
struct rbuf {
    char data[65536];
    size_t off, len;
};
static struct rbuf rbufs[MAXCONN];

/* Read one line into buf (without LF); 0 on EOF or error. */
static int
read_line(int fd, struct rbuf *rb, char *buf, size_t size)
{
    size_t n = 0;

    while (n + 1 < size) {
        if (rb->off == rb->len) {
            ssize_t r = read(fd, rb->data, sizeof(rb->data));
            if (r <= 0)
                return 0;
            rb->off = 0;
            rb->len = (size_t)r;
        }
        buf[n] = rb->data[rb->off++];
        if (buf[n] == '\n') {
            buf[n] = 0;
            return 1;
        }
        n++;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    int port, fds[MAXCONN], nconn = 8, i;
    double end, t0;
    unsigned long requests = 0, wrong = 0, errors = 0;
    size_t k = 0;

    if (argc < 4) {
        fprintf(stderr, "usage: serveload PORT SECONDS EXPECT-FILE [CONNECTIONS]\n");
        return 2;
    }
    port = atoi(argv[1]);
    end = now() + atof(argv[2]);
    load(argv[3]);
    if (argc > 4)
        nconn = atoi(argv[4]);
    if (nconn < 1 || nconn > MAXCONN)
        nconn = 8;
    for (i = 0; i < nconn; i++)
        fds[i] = dial(port);
    t0 = now();
    while (now() < end && access("STOP", F_OK) != 0) {
        size_t ks[MAXCONN];
        int sent[MAXCONN];
        /* one request in flight on every connection, as busy smtpd
         * processes have; then collect the replies */
        for (i = 0; i < nconn; i++, k = (k + 1) % nkeys) {
            char req[8300];
            int n = snprintf(req, sizeof(req), "get %s\n", keys[k]);
            ks[i] = k;
            sent[i] = write(fds[i], req, (size_t)n) == n;
        }
        for (i = 0; i < nconn; i++) {
            char reply[8192];
            int a, ok = 0;
            if (!sent[i] || !read_line(fds[i], &rbufs[i], reply, sizeof(reply))) {
                fprintf(stderr, "connection %d broken at key %s\n", i, keys[ks[i]]);
                errors++;
                close(fds[i]);
                rbufs[i].off = rbufs[i].len = 0;
                fds[i] = dial(port);
                continue;
            }
            requests++;
            for (a = 0; a < MAXALT && alts[ks[i]][a]; a++)
                if (strcmp(reply, alts[ks[i]][a]) == 0)
                    ok = 1;
            if (!ok) {
                if (reply[0] == '4')
                    errors++;
                else
                    wrong++;
                if (wrong + errors <= 10)
                    fprintf(stderr, "key %s: got \"%s\"\n", keys[ks[i]], reply);
            }
        }
    }
    if (getenv("SERVELOAD_RATE"))
        fprintf(stderr, "%.0f requests/s\n", (double)requests / (now() - t0));
    printf("requests %lu wrong %lu errors %lu\n", requests, wrong, errors);
    return wrong || errors || requests == 0;
}
