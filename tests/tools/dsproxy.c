/* dsproxy.c: a loopback-only TCP proxy that injects faults (latency, bandwidth cap,
 * refused connections, resets, silent holds, HTTP 503) for dossync's tests and
 * benchmarks, switched at run time over a line-based control port. This file holds the
 * command line, the sockets and the single-threaded poll() loop; see docs/TESTING-PROXY.md.
 */
#include "dsproxy_int.h"
#include "base/version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
static int pidfile_written; /* only a pidfile we wrote is removed at exit */

static const char usage[] =
    "usage: dsproxy --listen 127.0.0.1:PORT --target 127.0.0.1:PORT --control 127.0.0.1:PORT\n"
    "               [--pidfile FILE] [--portfile FILE] [--verbose]\n"
    "       dsproxy --version\n"
    "Forwards TCP from --listen to --target and injects faults switched by text commands\n"
    "on --control (pass, latency MS, bandwidth B/S, refuse, reset up|down N, hold,\n"
    "http503, flip up|down N, drop, stats, zero, quit). Every address must be on loopback\n"
    "(127.0.0.0/8, [::1]); PORT 0 on --listen and --control picks a free port, and --portfile "
    "then\n"
    "receives \"LISTENPORT CONTROLPORT\". See docs/TESTING-PROXY.md.\n";

struct opts {
	const char *listen, *target, *control, *pidfile, *portfile;
	int verbose;
};

int64_t dsp_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void dsp_log(const struct dsp_proxy *px, const char *fmt, ...)
{
	va_list ap;

	if (!px->verbose)
		return;
	va_start(ap, fmt);
	fputs("dsproxy: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

/* Fills ss from the numeric host (an IPv4 or IPv6 literal, or "localhost") and port. */
static int fill_addr(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

/* Parses "HOST:PORT" or "[V6]:PORT" for option opt; only loopback passes. On error
 * prints one line naming the option and returns -1. */
static int parse_addr(const char *opt, const char *s, int port0_ok, struct sockaddr_storage *ss,
                      socklen_t *len)
{
	char host[64];
	const char *arg = s, *colon = strrchr(s, ':');
	char *end = NULL;
	size_t hl;
	unsigned long port;

	if (!colon || colon == s || colon[1] == '\0')
		goto bad;
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']')
		s++, hl -= 2;
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || colon[1] < '0' || colon[1] > '9' || port > 65535 ||
	    (!port && !port0_ok))
		goto bad;
	if (fill_addr(host, (unsigned)port, ss, len) < 0)
		goto bad;
	if (!is_loopback(ss)) {
		fprintf(stderr,
		        "dsproxy: %s %s: not a loopback address; only 127.0.0.0/8 and [::1] "
		        "are allowed\n",
		        opt, host);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr,
	        "dsproxy: %s '%s': expected HOST:PORT with a numeric loopback HOST and "
	        "PORT %s\n",
	        opt, arg, port0_ok ? "0-65535" : "1-65535");
	return -1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			exit(0);
		}
		if (strcmp(a, "--version") == 0) {
			printf("dsproxy %s\n", DOSSYNC_VERSION);
			exit(0);
		}
		if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			o->verbose = 1;
			continue;
		}
		slot = !strcmp(a, "--listen")     ? &o->listen
		       : !strcmp(a, "--target")   ? &o->target
		       : !strcmp(a, "--control")  ? &o->control
		       : !strcmp(a, "--pidfile")  ? &o->pidfile
		       : !strcmp(a, "--portfile") ? &o->portfile
		                                  : NULL;
		if (!slot) {
			fprintf(stderr, "dsproxy: unknown option '%s'\n%s", a, usage);
			return -1;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "dsproxy: %s needs a value\n", a);
			return -1;
		}
		*slot = argv[++i];
	}
	if (!o->listen || !o->target || !o->control) {
		fprintf(stderr, "dsproxy: --listen, --target and --control are required\n%s",
		        usage);
		return -1;
	}
	return 0;
}

/* A non-blocking listening socket bound to *ss; the chosen port is written back. */
static int open_listener(struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, saved;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)ss, len) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)ss, &len) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int dsp_listen_open(struct dsp_proxy *px)
{
	if (px->listen_fd >= 0)
		return 0;
	px->listen_fd = open_listener(&px->listen_addr, px->listen_len);
	return px->listen_fd < 0 ? -1 : 0;
}

static unsigned port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* Writes text to path through a temporary name, so a reader never sees half of it. */
static int write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f = NULL;
	int rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		goto done;
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0)
		goto done;
	if (fclose(f) != 0) {
		f = NULL;
		goto done;
	}
	f = NULL;
	rc = rename(tmp, path);
done:
	if (f)
		fclose(f);
	if (rc < 0) {
		fprintf(stderr, "dsproxy: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
	return rc;
}

/* Binds both listeners and writes the pid and port files. Returns 0 or an exit code. */
static int setup(struct dsp_proxy *px, const struct opts *o)
{
	struct sockaddr_storage ctl;
	socklen_t ctl_len;
	char text[64];

	if (parse_addr("--listen", o->listen, 1, &px->listen_addr, &px->listen_len) < 0 ||
	    parse_addr("--target", o->target, 0, &px->target_addr, &px->target_len) < 0 ||
	    parse_addr("--control", o->control, 1, &ctl, &ctl_len) < 0)
		return EX_USAGE;
	px->control_fd = open_listener(&ctl, ctl_len);
	if (px->control_fd < 0 || dsp_listen_open(px) < 0) {
		fprintf(stderr, "dsproxy: cannot listen on %s: %s\n",
		        px->control_fd < 0 ? o->control : o->listen, strerror(errno));
		return errno == EADDRINUSE ? EX_TEMPFAIL : EX_OSERR;
	}
	snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (o->pidfile && write_file(o->pidfile, text) < 0)
		return EX_CANTCREAT;
	pidfile_written = o->pidfile != NULL;
	snprintf(text, sizeof(text), "%u %u\n", port_of(&px->listen_addr), port_of(&ctl));
	if (o->portfile && write_file(o->portfile, text) < 0)
		return EX_CANTCREAT;
	dsp_log(px, "listening on port %u, control on port %u", port_of(&px->listen_addr),
	        port_of(&ctl));
	return 0;
}

static short revents(const struct pollfd *pfd, int idx)
{
	return idx < 0 ? 0 : pfd[idx].revents;
}

static int add_fd(struct pollfd *pfd, int *n, int fd, short events)
{
	pfd[*n].fd = fd;
	pfd[*n].events = events;
	pfd[*n].revents = 0;
	return (*n)++;
}

/* Fills pfd for one round; returns the poll() timeout in milliseconds. */
static int build_poll(struct dsp_proxy *px, struct pollfd *pfd, int *n, int64_t now)
{
	int64_t wake = now + DSP_TICK_MS * 1000LL;

	*n = 0;
	px->control_pidx = add_fd(pfd, n, px->control_fd, POLLIN);
	px->listen_pidx = -1;
	if (px->listen_fd >= 0 && px->nconns < DSP_MAX_CONNS)
		px->listen_pidx = add_fd(pfd, n, px->listen_fd, POLLIN);
	for (int i = 0; i < px->nctls; i++) {
		struct dsp_ctl *c = px->ctls[i];
		c->pidx = add_fd(pfd, n, c->fd, (c->eof ? 0 : POLLIN) | (c->out_len ? POLLOUT : 0));
	}
	for (int i = 0; i < px->nconns; i++)
		dsp_conn_poll(px, px->conns[i], pfd, n, &wake);
	if (wake <= now)
		return 0;
	return (int)((wake - now + 999) / 1000);
}

/* One round: poll, then control first (so a command applies before data moves on). */
static void run_round(struct dsp_proxy *px, struct pollfd *pfd)
{
	int n, timeout = build_poll(px, pfd, &n, dsp_now_us());
	int64_t now;

	if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
		fprintf(stderr, "dsproxy: poll: %s\n", strerror(errno));
		px->quit = 1;
		return;
	}
	if (revents(pfd, px->control_pidx) & POLLIN)
		dsp_ctl_accept(px);
	for (int i = px->nctls - 1; i >= 0 && !px->quit; i--)
		dsp_ctl_step(px, i, pfd);
	if (px->quit)
		return;
	now = dsp_now_us();
	if (px->listen_fd >= 0 && (revents(pfd, px->listen_pidx) & POLLIN))
		dsp_conn_accept(px, now);
	for (int i = px->nconns - 1; i >= 0; i--)
		dsp_conn_step(px, i, pfd, now);
}

static void shutdown_all(struct dsp_proxy *px)
{
	while (px->nconns > 0)
		dsp_conn_close(px, px->nconns - 1, 0);
	while (px->nctls > 0)
		dsp_ctl_close(px, px->nctls - 1);
	if (px->listen_fd >= 0)
		close(px->listen_fd);
	if (px->control_fd >= 0)
		close(px->control_fd);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
	static struct pollfd pfd[2 + DSP_MAX_CTLS + 2 * DSP_MAX_CONNS];
	static struct dsp_proxy px;
	struct opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	px.listen_fd = px.control_fd = -1;
	px.f.reset[DSP_UP] = px.f.reset[DSP_DOWN] = -1;
	px.f.flip[DSP_UP] = px.f.flip[DSP_DOWN] = -1;
	if (parse_opts(argc, argv, &o) < 0)
		return EX_USAGE;
	px.verbose = o.verbose;
	install_signals();
	rc = setup(&px, &o);
	while (rc == 0 && !px.quit && !stop_signal)
		run_round(&px, pfd);
	if (stop_signal)
		dsp_log(&px, "signal %d: exiting", (int)stop_signal);
	shutdown_all(&px);
	if (pidfile_written)
		unlink(o.pidfile);
	return rc;
}
