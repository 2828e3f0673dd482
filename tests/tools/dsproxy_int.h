/* dsproxy_int.h: the state shared by the three files of dsproxy, the loopback
 * fault-injection TCP proxy of the tests and benchmarks (docs/TESTING-PROXY.md).
 * dsproxy.c runs the event loop, dsproxy_conn.c moves bytes through the two fault
 * pipelines of each connection, dsproxy_ctl.c reads and applies control commands. */
#ifndef DSPROXY_INT_H
#define DSPROXY_INT_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DSP_MAX_CONNS 256                /* open client connections; beyond, accept waits */
#define DSP_MAX_CTLS 16                  /* open control connections */
#define DSP_QUEUE_MAX (1 << 20)          /* bytes queued per direction per connection */
#define DSP_QUEUE_MIN (16 << 10)         /* smallest queue when a bandwidth cap shrinks it */
#define DSP_READ_MAX (64 << 10)          /* one recv() */
#define DSP_LINE_MAX 512                 /* one control command line */
#define DSP_CTL_OUT 4096                 /* unsent control replies */
#define DSP_REQ_MAX (16 << 10)           /* request headers read before answering 503 */
#define DSP_TICK_MS 250                  /* longest poll(): signals and deadlines are checked */
#define DSP_503_WAIT_US (30 * 1000000LL) /* a 503 connection's life before headers */
#define DSP_DRAIN_US (1000000LL)         /* reading what follows a 503 before closing */

enum { DSP_UP = 0, DSP_DOWN = 1 };                           /* client->target, target->client */
enum { DSP_CLIENT = 0, DSP_TARGET = 1 };                     /* index into dsp_conn.fd */
enum { DSP_ADMIT_FORWARD, DSP_ADMIT_REFUSE, DSP_ADMIT_503 }; /* what a new client gets */
enum { DSP_KIND_FORWARD, DSP_KIND_503 };

/* Bytes read from one side, waiting until due_us (latency) to be sent on. len 0 marks
 * the end of the stream: when it falls due, the write side is shut (FIN forwarded). */
struct dsp_chunk {
	struct dsp_chunk *next;
	int64_t due_us;
	size_t len, off;
	char data[];
};

/* One direction of a connection: read from its source, queue, send to its sink. */
struct dsp_pipe {
	struct dsp_chunk *head, *tail;
	size_t queued;   /* unsent bytes in the chunks; reading stops at the queue cap */
	int eof_read;    /* the source said EOF (an end marker is queued) */
	int done;        /* the end marker went out: the sink's write side is shut */
	int blocked;     /* the sink said EAGAIN: wait for POLLOUT */
	int64_t budget;  /* bytes still forwarded before the reset fault fires; -1: none */
	int64_t wake_us; /* when this pipe wants to run again (latency, tokens); 0: never */
};

struct dsp_conn {
	int kind;
	int fd[2];      /* DSP_CLIENT, DSP_TARGET (-1 for a 503 connection) */
	int pidx[2];    /* slots in this round's pollfd array, -1 when not polled */
	int connecting; /* the connect() to the target is in flight */
	struct dsp_pipe pipe[2];
	/* A 503 connection: request headers read so far, then the answer, then a drain. */
	char *req;
	size_t req_len, resp_off;
	int answered, draining;
	int64_t deadline_us;
};

struct dsp_ctl {
	int fd, pidx;
	int eof;
	size_t in_len, out_len;
	char in[DSP_LINE_MAX];
	char out[DSP_CTL_OUT];
};

/* The fault settings; dsproxy_ctl.c writes them, dsproxy_conn.c obeys them. */
struct dsp_faults {
	int64_t latency_ms; /* added to every chunk, each direction */
	uint64_t rate;      /* bytes per second per direction over all connections; 0: none */
	int64_t reset[2];   /* per direction: bytes forwarded before a reset; -1: none */
	int64_t flip[2];    /* per direction, over all connections: bytes forwarded before
	                       the next byte is corrupted once; -1: none */
	int hold;           /* nothing moves until pass */
	int admit;          /* DSP_ADMIT_* for new clients */
};

/* A token bucket per direction; its size is a twentieth of a second of rate. */
struct dsp_bucket {
	double tokens;
	int64_t last_us;
};

struct dsp_proxy {
	int listen_fd, control_fd; /* listen_fd is -1 while refusing */
	int listen_pidx, control_pidx;
	struct sockaddr_storage listen_addr, target_addr;
	socklen_t listen_len, target_len;
	struct dsp_conn *conns[DSP_MAX_CONNS];
	int nconns;
	struct dsp_ctl *ctls[DSP_MAX_CTLS];
	int nctls;
	struct dsp_faults f;
	struct dsp_bucket bucket[2];
	uint64_t connections, bytes[2]; /* counters for stats; zero clears them */
	int quit, verbose;
};

/* dsproxy.c */
int64_t dsp_now_us(void);
/* Opens (again) the client listener on listen_addr; 0, or -1 with errno set. */
int dsp_listen_open(struct dsp_proxy *px);
void dsp_log(const struct dsp_proxy *px, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* dsproxy_conn.c */
/* Accepts one waiting client and starts it as the admission mode says. */
void dsp_conn_accept(struct dsp_proxy *px, int64_t now);
/* Adds the connection's fds to pfd at *n and lowers *wake to its next deadline. */
void dsp_conn_poll(const struct dsp_proxy *px, struct dsp_conn *c, struct pollfd *pfd, int *n,
                   int64_t *wake);
/* Runs one connection after poll(); returns 1 when it was closed and freed. */
int dsp_conn_step(struct dsp_proxy *px, int i, const struct pollfd *pfd, int64_t now);
/* Closes connection i (with a reset when reset is set) and removes it from the table. */
void dsp_conn_close(struct dsp_proxy *px, int i, int reset);
/* Sets the reset budget of direction d to n bytes on every open connection. */
void dsp_conn_budget_all(struct dsp_proxy *px, int d, int64_t n);

/* dsproxy_ctl.c */
void dsp_ctl_accept(struct dsp_proxy *px);
/* Reads and answers the commands of control connection i; returns 1 when it closed. */
int dsp_ctl_step(struct dsp_proxy *px, int i, const struct pollfd *pfd);
void dsp_ctl_close(struct dsp_proxy *px, int i);

#endif
