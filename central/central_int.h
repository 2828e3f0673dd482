/* central_int.h: what the files of central/ share: the store's struct and its cache of
 * prepared statements, the write transaction (with the server's in-process write lock),
 * node chain heads, and the one function that gives a new op its receipt.
 */
#ifndef DOSSYNC_CENTRAL_INT_H
#define DOSSYNC_CENTRAL_INT_H

#include "central/central.h"

#include <pthread.h>
#include <stdarg.h>

/* Every statement central runs; the SQL text is in store.c, prepared on first use. */
enum central_stmt_id {
	ST_TOKEN_INSERT,
	ST_TOKEN_REVOKE,
	ST_TOKEN_LIST,
	ST_TOKEN_BY_HASH,
	ST_NODE_GET,
	ST_NODE_INSERT,
	ST_NODE_ADVANCE,
	ST_OP_GET,
	ST_OP_INSERT,
	ST_DOSSIER_GET,
	ST_DOSSIER_PUT,
	ST_DOSSIER_LIST,
	ST_FEED_INSERT,
	ST_FEED_STATE,
	ST_PULL_ALL,
	ST_PULL_AGENCY,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_PUSH_SAVEPOINT,
	ST_PUSH_RELEASE,
	ST_PUSH_ROLLBACK_TO,
	ST_CODE_CLAIM,
	ST_TOKEN_GET,
	ST_NODE_MOVE,
	ST_TOKEN_LINE,
	ST_TOKEN_ROTATE,
	ST_NODES_RETOKEN,
	ST_NODE_CONTACT,
	ST_NODE_LIST,
	ST_FEED_HEAD,
	ST_FEED_BEHIND,
	ST_COUNT
};

/* Group commit (server only): pushes that arrive while another is being written wait
 * here; the next writer takes every waiting push and writes them all in one transaction,
 * each inside its own savepoint, then commits once and answers them all. */
typedef struct central_job central_job;
typedef struct central_group {
	pthread_mutex_t lock;
	pthread_cond_t done;
	int busy;          /* a writer holds the group */
	central_job *head; /* pushes waiting, in arrival order */
	central_job *tail;
} central_group;

struct central_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	/* Set by the server: one writer at a time inside the process, so worker threads queue
	 * on a mutex instead of sleeping in SQLite's busy handler. NULL for the CLI. */
	pthread_mutex_t *write_lock;
	central_group *group; /* set by the server: pushes are group-committed */
	/* During a push: code -> {"agency", "version", "last_op", "state"} of the dossiers the
	 * batch has changed so far, so a batch touching a dossier many times reads and parses
	 * it once. NULL outside a push. */
	json_t *cache;
};

/* The statement id, reset and with its bindings cleared; borrowed from the cache.
 * NULL (error set) when it cannot be prepared. */
sqlite3_stmt *central_stmt(central_store *s, enum central_stmt_id id);
/* Steps a statement expected to finish (INSERT, UPDATE...); 0 or a DS_E* error. */
int central_step_done(central_store *s, sqlite3_stmt *st, const char *what);
/* Binds text (NULL binds SQL NULL). */
void central_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Column text as a C string, "" for NULL; borrowed until the next step. */
const char *central_col_text(sqlite3_stmt *st, int i);

/* BEGIN IMMEDIATE (after taking the write lock when there is one); end commits when rc is
 * 0 and rolls back otherwise, releases the lock and returns rc (or the commit's error). */
int central_write_begin(central_store *s);
int central_write_end(central_store *s, int rc);

/* Now as RFC 3339 text in +07:00. */
void central_now(char out[DS_TIME_LEN]);

/* A node's chain head. found 0: the node has pushed nothing (last_seq 0, genesis). */
typedef struct central_head {
	int found;
	char token_id[CENTRAL_TOKEN_ID_LEN + 1]; /* "" for central's own chain */
	int64_t last_seq;
	char last_hash[DS_SHA256_HEX];
	char agency[SCHEMA_CODE_MAX]; /* the office agency it acts for; "" for a province
	                               * token's node and central's own */
} central_head;

int central_head_get(central_store *s, const char *node, central_head *h);
/* Creates the node's row bound to token_id (NULL: central's chain) and agency. */
int central_head_bind(central_store *s, const char *node, const char *token_id, const char *agency);
int central_head_advance(central_store *s, const char *node, int64_t seq, const char *hash);

/* What can be worked out about an op before the write transaction, because it does not
 * depend on what central holds: its chain hash, its canonical entry bytes, and for a
 * create the dossier it makes (schema_op_apply on no state) or why it cannot. */
typedef struct central_prep {
	char hash[DS_SHA256_HEX];
	char *entry;   /* canonical bytes of the entry (the nine members) */
	int create;    /* 1: the fields below are set */
	json_t *state; /* the created dossier, NULL when it does not apply */
	char *body;    /* its canonical bytes */
	char *why;     /* why it does not apply (state NULL) */
} central_prep;

/* Fills p for op (already checked by schema_op_check) chained after prev_hash. */
int central_op_prepare(const json_t *op, const char *prev_hash, central_prep *p);
void central_prep_release(central_prep *p);

/* Gives a new op (never received before) of node its receipt inside the caller's write
 * transaction: decides applied / conflict / rejected by the rules of docs/PROTOCOL.md,
 * applies it (dossier row, feed row) and stores the op with its receipt and hash.
 * p: what central_op_prepare worked out for it (hash and entry bytes). *receipt: {"op_id",
 * "result", "version", "reason"?, "state"?}. Errors are only storage failures; every
 * verdict about the op itself is a receipt. */
int central_op_receive(central_store *s, const central_auth *a, const char *node, const json_t *op,
                       const central_prep *p, json_t **receipt);
/* The stored receipt of a held op, as it is answered to a replay ("applied" becomes
 * "duplicate"), and its stored hash. receipt NULL: only the hash. DS_ENOTFOUND when the
 * op is not held. */
int central_op_receipt(central_store *s, const char *node, int64_t seq, json_t **receipt,
                       char hash[DS_SHA256_HEX]);

/* A fresh random token: its text, its id and the SHA-256 hex of the text (token.c). */
int central_token_make(char token[CENTRAL_TOKEN_LEN], char id[CENTRAL_TOKEN_ID_LEN + 1],
                       char hash[DS_SHA256_HEX]);
/* 0 when a may push as a node bound to the token bound: the same token, or one of the
 * same line of rotations (token rotate); DS_EPERM otherwise (ops.c). */
int central_node_token_check(central_store *s, const central_auth *a, const char *bound,
                             const char *node);

/* ---------------------------------------------------------------- the server's counters
 * (metrics.c): process-wide, safe from any thread. endpoint: the path counted ("/v1/push",
 * "/v1/dossiers"...; others count as "other"). */
void central_metrics_request(const char *endpoint, unsigned status);
/* Counts the receipts of a push by result. */
void central_metrics_receipts(const json_t *receipts);
/* A push's time from its full body to its answer, in microseconds. */
void central_metrics_push(int64_t us);
void central_metrics_db_error(void);
/* Appends the whole exposition (counters, then the gauges read from s) to out. On a
 * database error the counters are still there (and the error counted). */
int central_metrics_render(central_store *s, ds_buf *out);

/* Each node's last request, noted in memory by the request threads and written to the
 * nodes table about once a second by a thread of its own (contact.c). */
typedef struct central_contacts central_contacts;
/* Opens its own store on db_path (writes take write_lock); *out is the caller's. */
int central_contacts_start(central_contacts **out, const char *db_path,
                           pthread_mutex_t *write_lock);
/* Keeps c (copied) for the next write; a later note of the same node replaces it, keeping
 * the earlier error and pull when it has none. */
void central_contacts_note(central_contacts *cs, const central_contact *c);
/* Writes what is pending, stops the thread, frees cs. NULL-safe. */
void central_contacts_stop(central_contacts *cs);

/* One access line per request at DS_LOG_INFO, at most CENTRAL_ACCESS_LINES a second;
 * the rest are counted and said in one line (serve_log.c). */
#define CENTRAL_ACCESS_LINES 100
void central_access_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---------------------------------------------------------------- listening (serve_net.c) */
struct MHD_Daemon;
struct sockaddr_storage;
/* host and port as a socket address; *ipv6 1 for an IPv6 one. DS_EUSAGE when unknown. */
int central_resolve(const char *host, int port, struct sockaddr_storage *ss, int *ipv6);
/* Lets the process hold max_connections sockets (and its database files) when the hard
 * limit allows; says so in the log when it cannot. */
void central_raise_nofile(unsigned max_connections);
/* The PEM texts the server serves TLS with (NUL-terminated, the caller's). */
typedef struct central_tls {
	char *cert;
	char *key;
} central_tls;
/* Reads both files, or neither when both paths are NULL (plain HTTP). DS_EUSAGE when only
 * one is given, a file is missing or not PEM, or the key does not fit the certificate. */
int central_tls_load(central_tls *t, const char *cert_path, const char *key_path);
void central_tls_release(central_tls *t);
/* Writes the bound port to port_file (when set) and "dossync-central WHAT on HOST:PORT"
 * to stderr. */
int central_announce(struct MHD_Daemon *d, const char *what, const char *host, int port,
                     const char *port_file);

/* libmicrohttpd's logger (MHD_OPTION_EXTERNAL_LOGGER): its messages, at most 20 a
 * minute, the rest counted (serve_log.c). */
void central_http_log(void *cls, const char *fmt, va_list ap);

/* ---------------------------------------------------------------- the command line
 * dossync-central's commands (main.c, cli_token.c, cli_edit.c; in the executable, not
 * the library). Each takes its own argv (argv[0] is the command's name) and returns an
 * exit code. */
typedef struct cli_ctx {
	const char *db_path;
	const char *actor;
} cli_ctx;

/* Prints "usage: ..." for a usage error (64) or to stdout for --help (0). */
int cli_usage(const char *text, int help);
/* Opens the store for a command; prints the error and returns the exit code on failure. */
int cli_open(const cli_ctx *ctx, central_store **out);
/* Prints the current error message and returns the exit code for rc. */
int cli_fail(int rc);
int cli_token(const cli_ctx *ctx, int argc, char **argv);
int cli_node(const cli_ctx *ctx, int argc, char **argv);
int cli_nodes(const cli_ctx *ctx, int argc, char **argv);
int cli_create(const cli_ctx *ctx, int argc, char **argv);
int cli_update(const cli_ctx *ctx, int argc, char **argv);
int cli_transition(const cli_ctx *ctx, int argc, char **argv);
int cli_show(const cli_ctx *ctx, int argc, char **argv);
int cli_list(const cli_ctx *ctx, int argc, char **argv);
int cli_data(const cli_ctx *ctx, int argc, char **argv);
int cli_report(const cli_ctx *ctx, int argc, char **argv);

#endif
