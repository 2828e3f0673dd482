/* dsproxy_ctl.c: the control port of dsproxy. A control client sends one command per
 * line and gets one line back, "ok", "error: ..." or the stats JSON; a command is in
 * force before its reply is sent. The command table is in docs/TESTING-PROXY.md. */
#include "dsproxy_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 4
#define MAX_LATENCY_MS 600000ULL /* ten minutes */
#define MAX_RATE 100000000000ULL /* 100 GB/s: more is the same as no cap */
#define MAX_RESET (1ULL << 53)

typedef void cmd_fn(struct dsp_proxy *px, char **argv, char *reply, size_t cap);

struct cmd {
	const char *name;
	int nargs;
	const char *args; /* for the usage message */
	cmd_fn *fn;
};

/* Parses a whole decimal number no larger than max; -1 otherwise. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Sets the admission mode; refuse closes the listener, the others (re)open it. */
static void admit(struct dsp_proxy *px, int mode, char *reply, size_t cap)
{
	px->f.admit = mode;
	if (mode == DSP_ADMIT_REFUSE) {
		if (px->listen_fd >= 0)
			close(px->listen_fd);
		px->listen_fd = -1;
		return;
	}
	if (dsp_listen_open(px) < 0) {
		snprintf(reply, cap, "error: cannot listen again: %s (still refusing)",
		         strerror(errno));
		px->f.admit = DSP_ADMIT_REFUSE;
	}
}

static void cmd_pass(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	px->f.latency_ms = 0;
	px->f.rate = 0;
	px->f.hold = 0;
	for (int d = DSP_UP; d <= DSP_DOWN; d++) {
		px->f.reset[d] = -1;
		px->f.flip[d] = -1;
		dsp_conn_budget_all(px, d, -1);
	}
	admit(px, DSP_ADMIT_FORWARD, reply, cap);
}

static void cmd_latency(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	uint64_t ms;

	if (parse_num(argv[1], MAX_LATENCY_MS, &ms) < 0) {
		snprintf(reply, cap, "error: latency '%s': expected milliseconds, 0 to %llu",
		         argv[1], MAX_LATENCY_MS);
		return;
	}
	px->f.latency_ms = (int64_t)ms;
}

static void cmd_bandwidth(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	uint64_t rate;
	int64_t now = dsp_now_us();

	if (parse_num(argv[1], MAX_RATE, &rate) < 0) {
		snprintf(reply, cap,
		         "error: bandwidth '%s': expected bytes per second, 0 (no cap) "
		         "to %llu",
		         argv[1], MAX_RATE);
		return;
	}
	px->f.rate = rate;
	for (int d = DSP_UP; d <= DSP_DOWN; d++) {
		px->bucket[d].tokens = 0; /* start empty: no burst hides the cap */
		px->bucket[d].last_us = now;
	}
}

static void cmd_refuse(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	admit(px, DSP_ADMIT_REFUSE, reply, cap);
}

static void cmd_http503(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	admit(px, DSP_ADMIT_503, reply, cap);
}

static void cmd_reset(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	int d = !strcmp(argv[1], "up") ? DSP_UP : !strcmp(argv[1], "down") ? DSP_DOWN : -1;
	uint64_t n;

	if (d < 0) {
		snprintf(reply, cap, "error: reset '%s': expected the direction up or down",
		         argv[1]);
		return;
	}
	if (parse_num(argv[2], MAX_RESET, &n) < 0) {
		snprintf(reply, cap, "error: reset %s '%s': expected a number of bytes", argv[1],
		         argv[2]);
		return;
	}
	px->f.reset[d] = (int64_t)n;
	dsp_conn_budget_all(px, d, (int64_t)n);
}

static void cmd_flip(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	int d = !strcmp(argv[1], "up") ? DSP_UP : !strcmp(argv[1], "down") ? DSP_DOWN : -1;
	uint64_t n;

	if (d < 0) {
		snprintf(reply, cap, "error: flip '%s': expected the direction up or down",
		         argv[1]);
		return;
	}
	if (parse_num(argv[2], MAX_RESET, &n) < 0) {
		snprintf(reply, cap, "error: flip %s '%s': expected a number of bytes", argv[1],
		         argv[2]);
		return;
	}
	px->f.flip[d] = (int64_t)n;
}

static void cmd_hold(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	px->f.hold = 1;
}

static void cmd_drop(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	while (px->nconns > 0)
		dsp_conn_close(px, px->nconns - 1, 1);
}

static void cmd_stats(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	snprintf(reply, cap,
	         "{\"connections\":%" PRIu64 ",\"bytes_up\":%" PRIu64 ",\"bytes_down\":%" PRIu64
	         ",\"active\":%d}",
	         px->connections, px->bytes[DSP_UP], px->bytes[DSP_DOWN], px->nconns);
}

static void cmd_zero(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	px->connections = 0;
	px->bytes[DSP_UP] = px->bytes[DSP_DOWN] = 0;
}

static void cmd_quit(struct dsp_proxy *px, char **argv, char *reply, size_t cap)
{
	px->quit = 1;
}

static const struct cmd cmds[] = {
    {"pass", 0, "", cmd_pass},
    {"latency", 1, " MS", cmd_latency},
    {"bandwidth", 1, " BYTES_PER_S", cmd_bandwidth},
    {"refuse", 0, "", cmd_refuse},
    {"reset", 2, " up|down N", cmd_reset},
    {"flip", 2, " up|down N", cmd_flip},
    {"hold", 0, "", cmd_hold},
    {"http503", 0, "", cmd_http503},
    {"drop", 0, "", cmd_drop},
    {"stats", 0, "", cmd_stats},
    {"zero", 0, "", cmd_zero},
    {"quit", 0, "", cmd_quit},
};

/* Runs one command line (NUL-terminated, no newline) and writes the reply line. */
static void run_line(struct dsp_proxy *px, char *line, char *reply, size_t cap)
{
	char *argv[MAX_ARGS + 1], *save = NULL;
	int argc = 0;

	for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (argc == MAX_ARGS + 1) {
			snprintf(reply, cap, "error: too many arguments");
			return;
		}
		argv[argc++] = t;
	}
	if (argc == 0) {
		snprintf(reply, cap, "error: empty command");
		return;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[0], cmds[i].name) != 0)
			continue;
		if (argc - 1 != cmds[i].nargs) {
			snprintf(reply, cap, "error: usage: %s%s", cmds[i].name, cmds[i].args);
			return;
		}
		snprintf(reply, cap, "ok");
		cmds[i].fn(px, argv, reply, cap);
		dsp_log(px, "command %s: %s", argv[0], reply);
		return;
	}
	snprintf(reply, cap, "error: unknown command '%.64s'", argv[0]);
}

/* ---------------------------------------------------------------- connections */

void dsp_ctl_accept(struct dsp_proxy *px)
{
	int fd = accept4(px->control_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct dsp_ctl *c;

	if (fd < 0)
		return;
	if (px->nctls == DSP_MAX_CTLS || !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->pidx = -1;
	px->ctls[px->nctls++] = c;
}

void dsp_ctl_close(struct dsp_proxy *px, int i)
{
	close(px->ctls[i]->fd);
	free(px->ctls[i]);
	px->ctls[i] = px->ctls[--px->nctls];
}

/* Queues one reply line; -1 when the client does not read its replies. */
static int reply(struct dsp_ctl *c, const char *text)
{
	size_t n = strlen(text);

	if (c->out_len + n + 1 > sizeof(c->out))
		return -1;
	memcpy(c->out + c->out_len, text, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	return 0;
}

static int flush(struct dsp_ctl *c)
{
	ssize_t n;

	while (c->out_len > 0) {
		n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	return 0;
}

/* Runs every complete line in the input buffer; -1 when the connection must close. */
static int run_lines(struct dsp_proxy *px, struct dsp_ctl *c)
{
	char answer[256], *nl;

	while (!px->quit && (nl = memchr(c->in, '\n', c->in_len))) {
		size_t used = (size_t)(nl - c->in) + 1;

		*nl = '\0';
		run_line(px, c->in, answer, sizeof(answer));
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		if (reply(c, answer) < 0)
			return -1;
	}
	if (c->in_len == sizeof(c->in)) {
		reply(c, "error: line too long");
		return -1;
	}
	return 0;
}

int dsp_ctl_step(struct dsp_proxy *px, int i, const struct pollfd *pfd)
{
	struct dsp_ctl *c = px->ctls[i];
	short rev = c->pidx < 0 ? 0 : pfd[c->pidx].revents;
	int bad = 0;
	ssize_t n;

	if (rev & (POLLIN | POLLHUP | POLLERR)) {
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n > 0)
			c->in_len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			c->eof = 1;
	}
	bad = run_lines(px, c) < 0;
	if (flush(c) < 0 || bad || (c->eof && c->out_len == 0)) {
		dsp_ctl_close(px, i);
		return 1;
	}
	return 0;
}
