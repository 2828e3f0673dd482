/* serve_int.h: what central's HTTP server shares between its files: the server and the
 * request it answers (server.c: the pool of stores, dispatch and serving), and the
 * replies and endpoint handlers (serve_handlers.c). */
#ifndef DOSSYNC_CENTRAL_SERVE_INT_H
#define DOSSYNC_CENTRAL_SERVE_INT_H

#include "central/central_int.h"

#include <microhttpd.h>
#include <stdatomic.h>

typedef struct server {
	const char *db_path;
	pthread_mutex_t pool_lock;
	pthread_mutex_t write_lock;
	central_group group;
	central_store **stores; /* every store opened, to close at the end */
	size_t nstores;
	central_store **idle; /* the ones not lent out */
	size_t nidle;
	size_t cap;
	atomic_int inflight;
	central_contacts *contacts;
	central_files files; /* attachments: files.dir NULL when none are kept */
	/* chunks being received now (their files' SHA-256, "" for a free slot), so that a
	 * state asked right after a cut waits for the cut chunk's prefix to be kept */
	pthread_mutex_t chunk_lock;
	pthread_cond_t chunk_done;
	char chunks[32][65];
} server;

enum route { R_NONE, R_HEALTH, R_PUSH, R_PULL, R_DOSSIER, R_DATA, R_METRICS, R_FILE };
typedef struct request {
	enum route route;
	int answered;   /* a response was queued before the body was read */
	int too_big;    /* the body went past SYNC_MAX_BODY: dropped */
	int takes_body; /* a push or a chunk: the body is kept */
	int chunk;      /* a PUT of an attachment chunk: its prefix is kept if cut */
	central_auth auth;
	ds_buf body;
	/* for the access line, the counters and the node's contact */
	int64_t started_us;
	size_t bytes_in, bytes_out;
	unsigned status; /* 0: no answer was queued */
	char node[65];   /* the node it came from, when it said */
	char error[CENTRAL_CONTACT_ERROR_MAX + 1];
	int64_t pull_cursor, pull_behind; /* -1: not a pull with node= */
	char file_sha[65], file_code[65]; /* a chunk's file and dossier, for a cut */
	int64_t file_offset;
	int chunk_slot; /* its slot in server.chunks while it is received, else -1 */
} request;

/* The request the calling thread is answering: libmicrohttpd calls on_request and the
 * replies it queues on one thread, so the replies note status and size here. */
extern _Thread_local request *serve_current;

/* server.c: a monotonic clock in microseconds, and a store lent from the pool. */
int64_t serve_now_us(void);
int serve_pool_get(server *sv, central_store **out);
void serve_pool_put(server *sv, central_store *s);

/* serve_handlers.c: the HTTP status of an error code, an error reply, and one handler per
 * endpoint (docs/PROTOCOL.md). */
unsigned serve_http_status(int rc);
enum MHD_Result serve_on_pull(server *sv, struct MHD_Connection *c, request *r);
enum MHD_Result serve_on_metrics(server *sv, struct MHD_Connection *c);
enum MHD_Result serve_on_dossier(server *sv, struct MHD_Connection *c, request *r,
                                 const char *code);
enum MHD_Result serve_on_data(server *sv, struct MHD_Connection *c);
enum MHD_Result serve_reply_error(struct MHD_Connection *c, unsigned status, const char *msg,
                                  int64_t expected_seq);
/* Queues body (an encoded document: JSON, deflated) with status; takes the bytes. */
enum MHD_Result serve_reply_body(struct MHD_Connection *c, unsigned status, ds_buf *body);
/* Encodes doc (taken) as serve_reply_body sends it and queues it. */
enum MHD_Result serve_reply_json(struct MHD_Connection *c, unsigned status, json_t *doc);
enum MHD_Result serve_on_health(server *sv, struct MHD_Connection *c);
enum MHD_Result serve_on_push(server *sv, struct MHD_Connection *c, request *r);
/* serve_files.c: /v1/files/SHA256 (GET, PUT) and /v1/files/SHA256/state (GET); rest is
 * the URL after /v1/files/. */
enum MHD_Result serve_on_file(server *sv, struct MHD_Connection *c, request *r, const char *rest,
                              const char *method);
/* A chunk whose connection was cut: the bytes that did arrive are appended when they
 * start at the length held (the whole file's SHA-256 still decides). rest and the
 * arguments are the request's, copied when it began. */
void serve_file_keep_cut(server *sv, request *r);
/* A chunk of r->file_sha begins to arrive, or is done (answered, kept or dropped). */
void serve_chunk_begin(server *sv, request *r);
void serve_chunk_end(server *sv, request *r);

#endif
