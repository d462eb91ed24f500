/* cmd_serve.c - accessmap serve: tcp_table and socketmap server.
 *
 *   accessmap serve -c FILE
 *   accessmap serve --listen tcp:HOST:PORT --kind KIND TABLE...
 *   accessmap serve --listen socketmap:inet:HOST:PORT --map NAME=KIND:TABLE[,TABLE...]...
 *
 * Runs in the foreground; logs to stderr or, with --syslog, to syslog.
 * SIGTERM/SIGINT stop, SIGHUP reloads the tables, SIGUSR1 logs the
 * counters.  Signals arrive through a signalfd, so every handler runs on
 * the event loop's thread.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "engine/check.h"
#include "engine/loop.h"
#include "engine/server.h"
#include "engine/servconf.h"
#include "formats/buf.h"
#include "maptool/cmd.h"
#include "maptool/common.h"
#include "maptool/report.h"

#define SERVE_USAGE "[options] -c FILE | --listen ENDPOINT " \
    "(--kind KIND TABLE... | --map NAME=KIND:TABLE[,TABLE...]...)"

static const char serve_help[] =
    "usage: accessmap serve " SERVE_USAGE "\n"
    "\n"
    "Answer Postfix tcp_table and socketmap lookups from access tables,\n"
    "applying the check's search (parent domains, partial addresses, cidr\n"
    "tables) to the full key Postfix sends.  Foreground; logs to stderr.\n"
    "SIGTERM/SIGINT stop, SIGHUP reloads, SIGUSR1 logs the counters.\n"
    "\n"
    "  -c FILE               listeners and settings from FILE (see accessmap(1))\n"
    "  --listen ENDPOINT     tcp:HOST:PORT, socketmap:inet:HOST:PORT or\n"
    "                        socketmap:unix:PATH\n"
    "  --kind KIND           tcp listener: client, reverse_client, helo,\n"
    "                        sender, recipient or exact\n"
    "  --map NAME=KIND:TABLE[,TABLE...]   socketmap map (repeatable)\n"
    "  --allow CIDR          accept clients from this network only\n"
    "  --allow-remote        allow non-loopback addresses (needs --allow)\n"
    "  --mode OCTAL          unix socket permissions (default 0666)\n"
    "  -u USER               drop privileges to USER after binding\n"
    "  --syslog              log to syslog (mail facility)\n"
    "  --log-queries         log each query and its deciding entry\n"
    "  --max-connections N   default 1000\n"
    "  --max-request BYTES   default 16384 (at most 100000)\n"
    "  --idle-timeout S      close idle connections (default 600, 0 never)\n"
    "  --read-timeout S      limit for a started request (default 10)\n"
    "  --no-watch            reload on SIGHUP only, not on file changes\n"
    "  -C DIR                Postfix configuration directory (main.cf)\n"
    "  --port-file FILE      write \"ENDPOINT PORT\" per listener once bound\n";

struct serve_state {
    int use_syslog;
    am_server *server;
    am_loop *loop;
    int stop;
    struct am_loop_watch sigw;
};

static void
log_line(void *ctx, int level, const char *msg)
{
    struct serve_state *st = ctx;

    if (st->use_syslog) {
        syslog(level, "%s", msg);
    } else {
        struct timespec ts;
        struct tm tm;
        char when[32];
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(stderr, "%s accessmap[%ld]: %s%s\n", when, (long)getpid(),
                level <= AM_SERVER_LOG_ERR ? "error: "
                : level == AM_SERVER_LOG_WARNING ? "warning: " : "", msg);
    }
}

static void
log_stats(struct serve_state *st)
{
    struct am_buf b;
    struct am_error err;
    char *p, *nl;

    am_buf_init(&b, 0);
    if (am_server_stats(st->server, &b, &err) == 0 && b.data) {
        for (p = b.data; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
            *nl = 0;
            log_line(st, AM_SERVER_LOG_INFO, p);
        }
    }
    am_buf_free(&b);
}

static void
on_signal(struct am_loop_watch *w, unsigned events)
{
    struct serve_state *st = w->ctx;
    struct signalfd_siginfo si;

    (void)events;
    while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            st->stop = 1;
            break;
        case SIGHUP:
            log_line(st, AM_SERVER_LOG_INFO, "SIGHUP: reloading tables");
            am_server_reload(st->server);
            break;
        case SIGUSR1:
            log_stats(st);
            break;
        }
    }
}

static int
drop_privileges(const char *user)
{
    struct passwd *pw;

    errno = 0;
    if ((pw = getpwnam(user)) == NULL) {
        report_fail("unknown user \"%s\"", user);
        return -1;
    }
    if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0
        || setuid(pw->pw_uid) < 0) {
        report_fail("cannot become user \"%s\": %s", user, strerror(errno));
        return -1;
    }
    if (pw->pw_uid != 0 && setuid(0) == 0) {
        report_fail("privileges were not dropped");
        return -1;
    }
    return 0;
}

static int
read_file(const char *path, struct am_buf *b)
{
    FILE *fp = fopen(path, "r");
    char chunk[4096];
    size_t n;
    struct am_error err;

    if (fp == NULL) {
        report_fail("open %s: %s", path, strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        if (am_buf_append(b, chunk, n, &err) < 0) {
            fclose(fp);
            report_error(&err);
            return -1;
        }
    if (ferror(fp)) {
        report_fail("read %s: %s", path, strerror(errno));
        fclose(fp);
        return -1;
    }
    fclose(fp);
    return 0;
}

static int
parse_count(const char *opt, const char *arg, unsigned long max,
            unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(arg, &end, 10);
    if (*arg < '0' || *arg > '9' || *end || errno || *out > max) {
        report_fail("%s: bad number \"%s\"", opt, arg);
        return -1;
    }
    return 0;
}

/* Room for max_connections descriptors plus the server's own: raise the
 * soft limit, or lower max_connections to what the hard limit allows. */
static void
fit_fd_limit(struct am_servconf *conf)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)conf->max_connections + conf->nlistens + 32;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want
                  ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
        size_t room = rl.rlim_cur > conf->nlistens + 32
                      ? (size_t)rl.rlim_cur - conf->nlistens - 32 : 1;
        report_warn("max_connections lowered from %zu to %zu: open file "
                    "limit %lu", conf->max_connections, room,
                    (unsigned long)rl.rlim_cur);
        conf->max_connections = room;
    }
}

enum {
    OPT_LISTEN = 256, OPT_KIND, OPT_MAP, OPT_ALLOW, OPT_ALLOW_REMOTE, OPT_MODE,
    OPT_SYSLOG, OPT_LOG_QUERIES, OPT_MAXCONN, OPT_MAXREQ, OPT_IDLE, OPT_READ,
    OPT_NOWATCH, OPT_PORTFILE,
};

int
cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "listen", required_argument, NULL, OPT_LISTEN },
        { "kind", required_argument, NULL, OPT_KIND },
        { "map", required_argument, NULL, OPT_MAP },
        { "allow", required_argument, NULL, OPT_ALLOW },
        { "allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE },
        { "mode", required_argument, NULL, OPT_MODE },
        { "user", required_argument, NULL, 'u' },
        { "syslog", no_argument, NULL, OPT_SYSLOG },
        { "log-queries", no_argument, NULL, OPT_LOG_QUERIES },
        { "max-connections", required_argument, NULL, OPT_MAXCONN },
        { "max-request", required_argument, NULL, OPT_MAXREQ },
        { "idle-timeout", required_argument, NULL, OPT_IDLE },
        { "read-timeout", required_argument, NULL, OPT_READ },
        { "no-watch", no_argument, NULL, OPT_NOWATCH },
        { "port-file", required_argument, NULL, OPT_PORTFILE },
        { "config-directory", required_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct am_servconf conf;
    struct serve_state st;
    struct am_server_opts so;
    struct am_error err;
    struct report rep;
    struct am_buf text;
    const char *file = NULL, *listen_ep = NULL, *kind_name = NULL;
    const char *port_file = NULL, *user = NULL, *pfdir = NULL;
    char **maps = NULL;
    size_t nmaps = 0, i;
    unsigned long mode = 0;
    am_pfconf *pf = NULL;
    sigset_t mask;
    int c, rc = AM_EXIT_ERROR, idx, kind;

    memset(&st, 0, sizeof(st));
    st.sigw.fd = -1;
    am_servconf_init(&conf);
    am_buf_init(&text, 1 << 20);
    if ((maps = calloc((size_t)argc + 1, sizeof(*maps))) == NULL) {
        report_fail("out of memory");
        return AM_EXIT_ERROR;
    }
    /* command-line settings are applied after the file, so they win */
    {
        int allow_remote = -1, log_queries = -1, watch = -1;
        unsigned long maxconn = 0, maxreq = 0, idle = ~0ul, rdt = ~0ul;
        char **allow = calloc((size_t)argc + 1, sizeof(*allow));
        size_t nallow = 0;

        if (allow == NULL) {
            free(maps);
            report_fail("out of memory");
            return AM_EXIT_ERROR;
        }
        while ((c = getopt_long(argc, argv, "c:C:hu:", longopts, NULL)) != -1) {
            switch (c) {
            case 'c': file = optarg; break;
            case 'C': pfdir = optarg; break;
            case 'u': user = optarg; break;
            case OPT_LISTEN: listen_ep = optarg; break;
            case OPT_KIND: kind_name = optarg; break;
            case OPT_MAP: maps[nmaps++] = optarg; break;
            case OPT_ALLOW: allow[nallow++] = optarg; break;
            case OPT_ALLOW_REMOTE: allow_remote = 1; break;
            case OPT_SYSLOG: st.use_syslog = 1; break;
            case OPT_LOG_QUERIES: log_queries = 1; break;
            case OPT_NOWATCH: watch = 0; break;
            case OPT_PORTFILE: port_file = optarg; break;
            case OPT_MODE: {
                char *end;
                mode = strtoul(optarg, &end, 8);
                if (*end || !*optarg || mode > 0777) {
                    report_fail("--mode: bad mode \"%s\"", optarg);
                    goto usage_out;
                }
                break;
            }
            case OPT_MAXCONN:
                if (parse_count("--max-connections", optarg, 1000000, &maxconn) < 0
                    || maxconn == 0)
                    goto usage_out;
                break;
            case OPT_MAXREQ:
                if (parse_count("--max-request", optarg, 100000, &maxreq) < 0
                    || maxreq < 64)
                    goto usage_out;
                break;
            case OPT_IDLE:
                if (parse_count("--idle-timeout", optarg, 86400, &idle) < 0)
                    goto usage_out;
                break;
            case OPT_READ:
                if (parse_count("--read-timeout", optarg, 86400, &rdt) < 0)
                    goto usage_out;
                break;
            case 'h':
                fputs(serve_help, stdout);
                free(allow);
                free(maps);
                return AM_EXIT_OK;
            default:
                goto usage_out;
            }
        }
        if ((file != NULL) == (listen_ep != NULL)) {
            report_fail("give either -c FILE or --listen");
            goto usage_out;
        }
        if (file != NULL) {
            if (read_file(file, &text) < 0) {
                free(allow);
                goto out;
            }
            am_error_clear(&err);
            if (am_servconf_parse(&conf, file, text.data ? text.data : "",
                                  text.len, &err) < 0) {
                report_error(&err);
                free(allow);
                goto out;
            }
            if (optind < argc || nmaps || kind_name) {
                report_fail("tables come from the configuration file");
                goto usage_out;
            }
        } else {
            if ((idx = am_servconf_add_listen(&conf, listen_ep, &err)) < 0) {
                report_error(&err);
                free(allow);
                goto out;
            }
            if (mode)
                conf.listens[idx].mode = (unsigned)mode;
            if (conf.listens[idx].proto == AM_SERVCONF_TCP) {
                if (kind_name == NULL || nmaps || optind >= argc) {
                    report_fail("a tcp listener needs --kind KIND and tables");
                    goto usage_out;
                }
                if ((kind = am_check_parse(kind_name)) < 0) {
                    report_fail("unknown check kind \"%s\"", kind_name);
                    goto usage_out;
                }
                if (am_servconf_add_tables(&conf, (size_t)idx, kind,
                                           (const char *const *)argv + optind,
                                           (size_t)(argc - optind), &err) < 0) {
                    report_error(&err);
                    free(allow);
                    goto out;
                }
            } else {
                if (nmaps == 0 || optind < argc || kind_name) {
                    report_fail("a socketmap listener takes --map "
                                "NAME=KIND:TABLE[,TABLE...] options only");
                    goto usage_out;
                }
                for (i = 0; i < nmaps; i++)
                    if (am_servconf_add_map(&conf, (size_t)idx, maps[i],
                                            &err) < 0) {
                        report_error(&err);
                        free(allow);
                        goto out;
                    }
            }
        }
        for (i = 0; i < nallow; i++)
            if (am_servconf_add_allow(&conf, allow[i], &err) < 0) {
                report_error(&err);
                free(allow);
                goto out;
            }
        free(allow);
        if (allow_remote >= 0)
            conf.allow_remote = allow_remote;
        if (log_queries >= 0)
            conf.log_queries = log_queries;
        if (watch >= 0)
            conf.watch = watch;
        if (maxconn)
            conf.max_connections = maxconn;
        if (maxreq)
            conf.max_request = maxreq;
        if (idle != ~0ul)
            conf.idle_timeout = (unsigned)idle;
        if (rdt != ~0ul)
            conf.read_timeout = (unsigned)rdt;
        if (user == NULL)
            user = conf.user;
        if (pfdir == NULL)
            pfdir = conf.config_dir;
        goto parsed;
usage_out:
        free(allow);
        rc = usage_error("serve", SERVE_USAGE);
        goto out;
    }
parsed:
    if (am_servconf_check(&conf, &err) < 0) {
        report_error(&err);
        goto out;
    }
    report_init(&rep, 0);
    if ((pf = load_config(pfdir, &rep.sink)) == NULL)
        goto out;
    fit_fd_limit(&conf);
    if (st.use_syslog)
        openlog("accessmap", LOG_PID, LOG_MAIL);

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((st.loop = am_loop_new(&err)) == NULL) {
        report_error(&err);
        goto out;
    }
    so.conf = &conf;
    so.pfconf = pf;
    so.log = log_line;
    so.log_ctx = &st;
    if ((st.server = am_server_open(st.loop, &so, &err)) == NULL) {
        report_error(&err);
        goto out;
    }
    if ((st.sigw.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        report_fail("signalfd: %s", strerror(errno));
        goto out;
    }
    st.sigw.fn = on_signal;
    st.sigw.ctx = &st;
    if (am_loop_watch_add(st.loop, &st.sigw, AM_LOOP_IN, &err) < 0) {
        report_error(&err);
        goto out;
    }
    if (port_file != NULL) {
        char tmp[4096];
        FILE *fp;
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        if ((fp = fopen(tmp, "w")) == NULL) {
            report_fail("open %s: %s", tmp, strerror(errno));
            goto out;
        }
        for (i = 0; i < conf.nlistens; i++)
            fprintf(fp, "%s %d\n", conf.listens[i].endpoint,
                    am_server_port(st.server, i));
        if (fclose(fp) != 0 || rename(tmp, port_file) < 0) {
            report_fail("write %s: %s", port_file, strerror(errno));
            goto out;
        }
    }
    /* the port file is written as the starting user, then root goes */
    if (user != NULL && drop_privileges(user) < 0)
        goto out;
    for (i = 0; i < conf.nlistens; i++) {
        char line[600];
        if (conf.listens[i].proto == AM_SERVCONF_SOCKMAP_UNIX)
            snprintf(line, sizeof(line), "listening on %s",
                     conf.listens[i].endpoint);
        else
            snprintf(line, sizeof(line), "listening on %s (port %d)",
                     conf.listens[i].endpoint, am_server_port(st.server, i));
        log_line(&st, AM_SERVER_LOG_INFO, line);
    }
    while (!st.stop) {
        if (am_loop_run_once(st.loop, -1, &err) < 0) {
            report_error(&err);
            goto out;
        }
    }
    log_line(&st, AM_SERVER_LOG_INFO, "stopping");
    rc = AM_EXIT_OK;
out:
    am_server_close(st.server);
    if (st.sigw.fd >= 0) {
        am_loop_watch_del(st.loop, &st.sigw);
        close(st.sigw.fd);
    }
    am_loop_free(st.loop);
    am_pfconf_close(pf);
    am_servconf_free(&conf);
    am_buf_free(&text);
    free(maps);
    return rc;
}
