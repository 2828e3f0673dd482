/* dsproxy_conn.c: the client connections of dsproxy. A forwarded connection has two
 * pipes, up (client->target) and down (target->client); each reads its source into a
 * bounded queue of chunks stamped with a due time (latency), then sends them on through
 * the direction's token bucket (bandwidth) and reset budget. A 503 connection reads the
 * request headers, answers 503 and closes, without touching the target.
 *
 *   accept --conn_start--> connecting --connected()--> forwarding --both FINs--> closed
 *                              |                          |  budget spent, I/O error,
 *                              +---- connect failed ------+--- drop: conn_reset() ----> reset
 */
#include "dsproxy_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char resp503[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n";

static int would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* ---------------------------------------------------------------- queue and bucket */

/* How many bytes a pipe may hold: 1 MiB, or under a bandwidth cap about what the link
 * carries in latency + 250 ms, so a capped link does not hide a large buffer. */
static size_t queue_cap(const struct dsp_proxy *px)
{
	uint64_t cap;

	if (!px->f.rate)
		return DSP_QUEUE_MAX;
	cap = px->f.rate * (uint64_t)(px->f.latency_ms + 250) / 1000;
	if (cap < DSP_QUEUE_MIN)
		return DSP_QUEUE_MIN;
	return cap > DSP_QUEUE_MAX ? DSP_QUEUE_MAX : (size_t)cap;
}

/* Appends n bytes (n 0: the end marker) due at due_us; -1 when out of memory. */
static int push(struct dsp_pipe *p, const char *data, size_t n, int64_t due_us)
{
	struct dsp_chunk *k = malloc(sizeof(*k) + n);

	if (!k)
		return -1;
	k->next = NULL;
	k->due_us = due_us;
	k->len = n;
	k->off = 0;
	memcpy(k->data, data, n);
	if (p->tail)
		p->tail->next = k;
	else
		p->head = k;
	p->tail = k;
	p->queued += n;
	return 0;
}

static void pop(struct dsp_pipe *p)
{
	struct dsp_chunk *k = p->head;

	p->head = k->next;
	if (!p->head)
		p->tail = NULL;
	free(k);
}

static void pipe_release(struct dsp_pipe *p)
{
	while (p->head)
		pop(p);
	p->queued = 0;
}

/* How many of want bytes direction d may send now (0: wait until *wake). A send of at
 * least min(want, burst) bytes is waited for, so a slow cap still sends useful chunks. */
static size_t bucket_allow(struct dsp_proxy *px, int d, size_t want, int64_t now, int64_t *wake)
{
	struct dsp_bucket *b = &px->bucket[d];
	double rate = (double)px->f.rate, burst = rate / 20 < 1 ? 1 : rate / 20;
	double need = (double)want < burst ? (double)want : burst;

	if (!px->f.rate)
		return want;
	if (now > b->last_us) {
		b->tokens += rate * (double)(now - b->last_us) / 1e6;
		if (b->tokens > burst)
			b->tokens = burst;
		b->last_us = now;
	}
	if (b->tokens >= need)
		return (double)want < b->tokens ? want : (size_t)b->tokens;
	*wake = now + (int64_t)((need - b->tokens) * 1e6 / rate) + 1;
	return 0;
}

/* ---------------------------------------------------------------- lifecycle */

static void reset_fd(int fd)
{
	struct linger lg = {1, 0};

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

void dsp_conn_close(struct dsp_proxy *px, int i, int reset)
{
	struct dsp_conn *c = px->conns[i];

	for (int s = 0; s < 2; s++) {
		if (reset)
			reset_fd(c->fd[s]);
		else if (c->fd[s] >= 0)
			close(c->fd[s]);
	}
	pipe_release(&c->pipe[DSP_UP]);
	pipe_release(&c->pipe[DSP_DOWN]);
	free(c->req);
	free(c);
	px->conns[i] = px->conns[--px->nconns];
	dsp_log(px, "connection closed%s, %d open", reset ? " with a reset" : "", px->nconns);
}

void dsp_conn_budget_all(struct dsp_proxy *px, int d, int64_t n)
{
	for (int i = 0; i < px->nconns; i++)
		px->conns[i]->pipe[d].budget = n;
}

/* Starts the non-blocking connect() to the target; -1 when it failed at once. */
static int conn_start(struct dsp_proxy *px, struct dsp_conn *c)
{
	int one = 1;

	c->fd[DSP_TARGET] =
	    socket(px->target_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd[DSP_TARGET] < 0)
		return -1;
	setsockopt(c->fd[DSP_TARGET], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd[DSP_TARGET], (struct sockaddr *)&px->target_addr, px->target_len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	c->connecting = 1;
	return 0;
}

void dsp_conn_accept(struct dsp_proxy *px, int64_t now)
{
	int one = 1, fd = accept4(px->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct dsp_conn *c = NULL;

	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		reset_fd(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd[DSP_CLIENT] = fd;
	c->fd[DSP_TARGET] = -1;
	c->pidx[0] = c->pidx[1] = -1;
	c->pipe[DSP_UP].budget = px->f.reset[DSP_UP];
	c->pipe[DSP_DOWN].budget = px->f.reset[DSP_DOWN];
	px->conns[px->nconns++] = c;
	px->connections++;
	if (px->f.admit == DSP_ADMIT_503) {
		c->kind = DSP_KIND_503;
		c->deadline_us = now + DSP_503_WAIT_US;
	} else if (conn_start(px, c) < 0) {
		dsp_log(px, "connect to the target failed: resetting the client");
		dsp_conn_close(px, px->nconns - 1, 1);
		return;
	}
	dsp_log(px, "connection accepted (%s), %d open",
	        c->kind == DSP_KIND_503 ? "503" : "forward", px->nconns);
}

/* ---------------------------------------------------------------- forwarding */

/* Reads what the source offers into the queue; -1 on a read error (reset). */
static int pipe_read(struct dsp_proxy *px, struct dsp_pipe *p, int src, int64_t now)
{
	static char buf[DSP_READ_MAX];
	size_t cap = queue_cap(px), room;
	ssize_t n;

	if (p->eof_read || p->queued >= cap)
		return 0;
	room = cap - p->queued < sizeof(buf) ? cap - p->queued : sizeof(buf);
	n = recv(src, buf, room, 0);
	if (n < 0)
		return would_block() ? 0 : -1;
	if (n == 0)
		p->eof_read = 1;
	return push(p, buf, (size_t)n, now + px->f.latency_ms * 1000);
}

/* The flip fault: when the byte it waits for is among the want bytes about to go out of k,
 * that byte is changed (its lowest bit inverted), once. */
static void flip_due(struct dsp_proxy *px, struct dsp_chunk *k, size_t want, int d)
{
	int64_t *f = &px->f.flip[d];

	if (*f >= 0 && (uint64_t)*f < want) {
		k->data[k->off + (size_t)*f] ^= 0x01;
		*f = -1;
	}
}

/* Sends the due chunks of direction d; -1 asks for a reset (write error, or the reset
 * budget is spent and one more byte would go out). */
static int pipe_write(struct dsp_proxy *px, struct dsp_conn *c, int d, int dst_ready, int64_t now)
{
	struct dsp_pipe *p = &c->pipe[d];
	int dst = c->fd[d == DSP_UP ? DSP_TARGET : DSP_CLIENT];

	p->wake_us = 0;
	if (p->blocked && !dst_ready)
		return 0;
	p->blocked = 0;
	while (p->head && p->head->due_us <= now) {
		struct dsp_chunk *k = p->head;
		size_t want = k->len - k->off;
		ssize_t n;

		if (k->len == 0) { /* the end marker: forward the FIN */
			shutdown(dst, SHUT_WR);
			p->done = 1;
			pop(p);
			return 0;
		}
		if (p->budget == 0)
			return -1;
		if (p->budget > 0 && want > (uint64_t)p->budget)
			want = (size_t)p->budget;
		want = bucket_allow(px, d, want, now, &p->wake_us);
		if (want == 0)
			return 0;
		flip_due(px, k, want, d);
		n = send(dst, k->data + k->off, want, MSG_NOSIGNAL);
		if (n < 0 && would_block()) {
			p->blocked = 1; /* POLLOUT says when to go on */
			return 0;
		}
		if (n < 0)
			return -1;
		k->off += (size_t)n;
		p->queued -= (size_t)n;
		px->bytes[d] += (uint64_t)n;
		px->bucket[d].tokens -= px->f.rate ? (double)n : 0;
		if (p->budget > 0)
			p->budget -= n;
		if (px->f.flip[d] > 0)
			px->f.flip[d] -= n;
		if (k->off == k->len)
			pop(p);
	}
	if (p->head)
		p->wake_us = p->head->due_us;
	return 0;
}

/* The target connect() finished: 0 when it succeeded. */
static int connected(struct dsp_conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd[DSP_TARGET], SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
		return -1;
	c->connecting = 0;
	return 0;
}

/* Returns 1 when the connection must be reset, 2 when it ended cleanly, else 0. */
static int step_forward(struct dsp_proxy *px, struct dsp_conn *c, const short rev[2], int64_t now)
{
	const short any = POLLIN | POLLHUP | POLLERR, out = POLLOUT | POLLHUP | POLLERR;

	if (c->connecting && (rev[DSP_TARGET] & out) && connected(c) < 0)
		return 1;
	for (int d = DSP_UP; d <= DSP_DOWN; d++) {
		int src = d == DSP_UP ? DSP_CLIENT : DSP_TARGET, dst = !src;

		if (c->connecting && d == DSP_DOWN)
			continue;
		if ((rev[src] & any) && pipe_read(px, &c->pipe[d], c->fd[src], now) < 0)
			return 1;
		if (!c->connecting && pipe_write(px, c, d, rev[dst] & out, now) < 0)
			return 1;
	}
	return c->pipe[DSP_UP].done && c->pipe[DSP_DOWN].done ? 2 : 0;
}

static void poll_forward(const struct dsp_proxy *px, struct dsp_conn *c, short ev[2], int64_t *wake)
{
	size_t cap = queue_cap(px);

	if (px->f.hold)
		return;
	if (c->connecting) {
		ev[DSP_TARGET] |= POLLOUT;
		if (!c->pipe[DSP_UP].eof_read && c->pipe[DSP_UP].queued < cap)
			ev[DSP_CLIENT] |= POLLIN;
		return;
	}
	for (int d = DSP_UP; d <= DSP_DOWN; d++) {
		const struct dsp_pipe *p = &c->pipe[d];
		int src = d == DSP_UP ? DSP_CLIENT : DSP_TARGET;

		if (!p->eof_read && p->queued < cap)
			ev[src] |= POLLIN;
		if (p->blocked)
			ev[!src] |= POLLOUT;
		else if (p->wake_us && p->wake_us < *wake)
			*wake = p->wake_us;
	}
}

/* ---------------------------------------------------------------- 503 */

/* Reads request headers until the blank line (or the cap, or the deadline). Returns -1
 * when the client went away. */
static int read_request(struct dsp_conn *c)
{
	ssize_t n;

	if (!c->req && !(c->req = malloc(DSP_REQ_MAX + 1)))
		return -1;
	n = recv(c->fd[DSP_CLIENT], c->req + c->req_len, DSP_REQ_MAX - c->req_len, 0);
	if (n == 0 || (n < 0 && !would_block()))
		return -1;
	if (n > 0)
		c->req_len += (size_t)n;
	c->req[c->req_len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") || c->req_len == DSP_REQ_MAX)
		c->answered = 1;
	return 0;
}

/* Returns 1 to reset, 2 to close, else 0. */
static int step_503(struct dsp_conn *c, const short rev[2], int64_t now)
{
	int fd = c->fd[DSP_CLIENT];
	char sink[4096];
	ssize_t n;

	if (!c->answered && (rev[DSP_CLIENT] & (POLLIN | POLLHUP | POLLERR)) && read_request(c) < 0)
		return 2;
	if (c->answered && !c->draining) {
		n = send(fd, resp503 + c->resp_off, sizeof(resp503) - 1 - c->resp_off,
		         MSG_NOSIGNAL);
		if (n < 0)
			return would_block() ? 0 : 1;
		c->resp_off += (size_t)n;
		if (c->resp_off < sizeof(resp503) - 1)
			return 0;
		shutdown(fd, SHUT_WR); /* then read what follows, so close() sends no RST */
		c->draining = 1;
		c->deadline_us = now + DSP_DRAIN_US;
	}
	while (c->draining && (rev[DSP_CLIENT] & (POLLIN | POLLHUP | POLLERR))) {
		n = recv(fd, sink, sizeof(sink), 0);
		if (n == 0 || (n < 0 && !would_block()))
			return 2;
		if (n < 0)
			break;
	}
	return now >= c->deadline_us ? 2 : 0;
}

static void poll_503(struct dsp_conn *c, short ev[2], int64_t *wake)
{
	if (!c->answered || c->draining)
		ev[DSP_CLIENT] |= POLLIN;
	else
		ev[DSP_CLIENT] |= POLLOUT;
	if (c->deadline_us < *wake)
		*wake = c->deadline_us;
}

/* ---------------------------------------------------------------- the loop's hooks */

void dsp_conn_poll(const struct dsp_proxy *px, struct dsp_conn *c, struct pollfd *pfd, int *n,
                   int64_t *wake)
{
	short ev[2] = {0, 0};

	if (c->kind == DSP_KIND_503)
		poll_503(c, ev, wake);
	else
		poll_forward(px, c, ev, wake);
	for (int s = 0; s < 2; s++) {
		c->pidx[s] = -1;
		if (c->fd[s] < 0 || !ev[s])
			continue; /* not polled at all: a hang-up cannot make poll() spin */
		pfd[*n].fd = c->fd[s];
		pfd[*n].events = ev[s];
		pfd[*n].revents = 0;
		c->pidx[s] = (*n)++;
	}
}

int dsp_conn_step(struct dsp_proxy *px, int i, const struct pollfd *pfd, int64_t now)
{
	struct dsp_conn *c = px->conns[i];
	short rev[2];
	int rc;

	for (int s = 0; s < 2; s++)
		rev[s] = c->pidx[s] < 0 ? 0 : pfd[c->pidx[s]].revents;
	if (c->kind == DSP_KIND_503)
		rc = step_503(c, rev, now);
	else if (px->f.hold)
		return 0;
	else
		rc = step_forward(px, c, rev, now);
	if (rc)
		dsp_conn_close(px, i, rc == 1);
	return rc != 0;
}
