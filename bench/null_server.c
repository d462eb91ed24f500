/* null_server.c - the fastest tcp_table server there can be: one epoll
 * loop that answers every request line with "500 not%20found" without
 * reading it.
 *
 * A reference for the server benchmark, not a server: it shows what the
 * kernel's TCP work and one event loop cost on the machine, the ceiling of
 * any server that receives and answers each request, accessmap's and
 * Redis's alike.  It runs until killed.
 *
 *   null_server PORT
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define REPLY "500 not%20found\n"
#define REPLY_LEN (sizeof(REPLY) - 1)
#define READ_MAX 65536

/* Replies not yet taken by the kernel, per descriptor. */
struct pending {
    size_t replies;             /* whole replies owed */
    size_t sent;                /* bytes of the first of them already sent */
    int watching_out;           /* EPOLLOUT is on */
};

static struct pending *pend;
static int npend;

static void
die(const char *what)
{
    perror(what);
    exit(2);
}

static int
send_owed(int fd)
{
    static char out[READ_MAX * REPLY_LEN / 2];
    struct pending *p = &pend[fd];

    while (p->replies > 0) {
        size_t n = p->replies, bytes, i;
        ssize_t w;

        if (n > sizeof(out) / REPLY_LEN)
            n = sizeof(out) / REPLY_LEN;
        for (i = 0; i < n; i++)
            memcpy(out + i * REPLY_LEN, REPLY, REPLY_LEN);
        bytes = n * REPLY_LEN - p->sent;
        w = send(fd, out + p->sent, bytes, MSG_NOSIGNAL);
        if (w < 0)
            return errno == EAGAIN ? 0 : -1;
        p->sent += (size_t) w;
        p->replies -= p->sent / REPLY_LEN;
        p->sent %= REPLY_LEN;
        if ((size_t) w < bytes)
            return 0;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    struct sockaddr_in sa;
    struct epoll_event ev, evs[256];
    static char buf[READ_MAX];
    int ls, ep, one = 1, n, i;

    if (argc != 2) {
        fprintf(stderr, "usage: null_server PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short) atoi(argv[1]));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
        die("socket");
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(ls, (struct sockaddr *) &sa, sizeof(sa)) < 0
        || listen(ls, 4096) < 0)
        die("bind");
    if ((ep = epoll_create1(0)) < 0)
        die("epoll_create1");
    ev.events = EPOLLIN;
    ev.data.fd = ls;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0)
        die("epoll_ctl");
    for (;;) {
        if ((n = epoll_wait(ep, evs, 256, -1)) < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (i = 0; i < n; i++) {
            int fd = evs[i].data.fd, c;
            ssize_t r, j;

            if (fd == ls) {
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= npend) {
                        int nn = c * 2 + 64;
                        struct pending *np = realloc(pend, (size_t) nn
                                                     * sizeof(*np));
                        if (np == NULL)
                            die("realloc");
                        memset(np + npend, 0, (size_t) (nn - npend)
                               * sizeof(*np));
                        pend = np;
                        npend = nn;
                    }
                    memset(&pend[c], 0, sizeof(pend[c]));
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one,
                               sizeof(one));
                    ev.events = EPOLLIN;
                    ev.data.fd = c;
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0)
                        close(c);
                }
                continue;
            }
            /* One read per event, as a real server does it. */
            if (evs[i].events & EPOLLIN) {
                r = recv(fd, buf, sizeof(buf), 0);
                if (r == 0 || (r < 0 && errno != EAGAIN)) {
                    close(fd);
                    continue;
                }
                for (j = 0; j < r; j++)
                    pend[fd].replies += buf[j] == '\n';
            }
            if (send_owed(fd) < 0) {
                close(fd);
                continue;
            }
            /* Wait for room only while replies are owed. */
            if ((pend[fd].replies > 0) != pend[fd].watching_out) {
                pend[fd].watching_out = pend[fd].replies > 0;
                ev.events = pend[fd].watching_out ? EPOLLIN | EPOLLOUT
                    : EPOLLIN;
                ev.data.fd = fd;
                epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
            }
        }
    }
}
