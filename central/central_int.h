/* central_int.h: what the files of central/ share: the store's struct and its cache of
 * prepared statements, the write transaction (with the server's in-process write lock),
 * node chain heads, and the one function that gives a new op its receipt.
 */
#ifndef DOSSYNC_CENTRAL_INT_H
#define DOSSYNC_CENTRAL_INT_H

#include "central/central.h"

#include <pthread.h>
#include <stdarg.h>

/* Every statement central runs; the SQL text of each, for each engine, is in store.c,
 * prepared on first use. A new statement: an id here and its text in store.c's table
 * (portable SQL with ?1..?N serves both engines; a PostgreSQL text only where the
 * dialects differ). */
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
	ST_FEED_BEFORE_ALL,
	ST_FEED_BEFORE_AGENCY,
	ST_PULL_ALL,
	ST_PULL_AGENCY,
	ST_PUSH_SAVEPOINT,
	ST_PUSH_RELEASE,
	ST_PUSH_ROLLBACK_TO,
	ST_CODE_CLAIM,
	ST_TOKEN_GET,
	ST_NODE_MOVE,
	ST_CODE_NEXT,
	ST_DATA_HELD,
	ST_DATA_INSERT,
	ST_DATA_NEWEST,
	ST_TOKEN_LINE,
	ST_TOKEN_ROTATE,
	ST_NODES_RETOKEN,
	ST_NODE_CONTACT,
	ST_NODE_LIST,
	ST_FEED_HEAD,
	ST_FEED_BEHIND,
	ST_FILE_GET,
	ST_FILE_INSERT,
	ST_FILE_RECEIVED,
	ST_FILE_VERIFIED,
	ST_FILE_USED,
	ST_COUNT
};

/* Group commit (server only): pushes that arrive while another is being written wait
 * here; the next writer takes every waiting push and writes them all in one transaction,
 * each inside its own savepoint, then commits once and answers them all. The writes go
 * through one connection of the group's own (writer), so its page cache stays warm: a
 * connection that finds the database changed by another drops its whole cache. */
typedef struct central_job central_job;
typedef struct central_group {
	pthread_mutex_t lock;
	pthread_cond_t done;
	int busy;          /* a writer holds the group */
	central_job *head; /* pushes waiting, in arrival order */
	central_job *tail;
	central_store *writer; /* opened by the first writer; used only while busy */
} central_group;

#define CENTRAL_MAX_PARAMS 12 /* bound parameters of one statement at most */

/* One statement of the table on one store: the engine's prepared handle and, for
 * PostgreSQL, the bound values and the result being stepped through. */
typedef struct central_q {
	central_store *s;
	enum central_stmt_id id;
	sqlite3_stmt *lite;            /* SQLite: the prepared statement */
	const char *sql;               /* its text, for this engine */
	int prepared;                  /* PostgreSQL: prepared on this connection */
	int nparams;                   /* PostgreSQL: the highest $N of the text */
	char *val[CENTRAL_MAX_PARAMS]; /* PostgreSQL: bound values (NULL: SQL NULL) */
	struct pg_result *res;         /* PostgreSQL: the result, once run */
	int row;                       /* PostgreSQL: the current row, -1 before */
} central_q;

/* What differs between SQLite and PostgreSQL (store_lite.c, store_pg.c): a connection,
 * its statements, and transactions. Steps return 1 (a row), 0 (done) or a DS_E* error
 * with its message set. */
typedef struct central_engine {
	const char *name; /* "sqlite" or "postgresql" */
	int (*open)(central_store *s, const char *where, int create);
	void (*close)(central_store *s);
	int (*prepare)(central_q *q, const char *sql);
	void (*bind_text)(central_q *q, int i, const char *v, size_t n);
	void (*bind_int)(central_q *q, int i, int64_t v);
	int (*step)(central_q *q, const char *what);
	void (*reset)(central_q *q);
	void (*finalize)(central_q *q);
	const char *(*col_text)(central_q *q, int i);
	size_t (*col_bytes)(central_q *q, int i);
	int (*col_null)(central_q *q, int i);
	int64_t (*col_int)(central_q *q, int i);
	int (*begin)(central_store *s);
	int (*commit)(central_store *s);
	void (*rollback)(central_store *s);
	int (*txn_lost)(central_store *s); /* 1: an error ended the write transaction */
} central_engine;

extern const central_engine central_engine_lite;
extern const central_engine central_engine_pg;

struct central_store {
	const central_engine *e;
	sqlite3 *db;        /* SQLite: the connection */
	struct pg_conn *pg; /* PostgreSQL: the connection */
	char *where;        /* the file or the URL */
	int in_txn;         /* PostgreSQL: a write transaction is open */
	central_q q[ST_COUNT];
	/* Set by the server: one writer at a time inside the process, so worker threads queue
	 * on a mutex instead of sleeping in SQLite's busy handler. NULL for the CLI. */
	pthread_mutex_t *write_lock;
	central_group *group; /* set by the server: pushes are group-committed */
	/* During a push: code -> {"agency", "version", "last_op", "state"} of the dossiers the
	 * batch has changed so far, so a batch touching a dossier many times reads and parses
	 * it once. NULL outside a push. */
	json_t *cache;
	/* During a push of protocol 2: the canonical states of the ops applied so far, each
	 * followed by "\n" (the receipts' own_sha256). NULL otherwise. */
	ds_buf *own;
};

/* Settings for the group's writer connection (SQLite: a page cache of 64 MiB, held by
 * the one connection that writes; the others keep the default). */
void central_store_writer_tune(central_store *s);

/* 1 when where names a PostgreSQL database (postgresql:// or postgres://). */
int central_where_pg(const char *where);

/* The statement id, reset and with its bindings cleared; borrowed from the store.
 * NULL (error set) when it cannot be prepared. */
central_q *central_stmt(central_store *s, enum central_stmt_id id);
/* Steps: 1 a row, 0 done, or a DS_E* error (message names what). */
int central_step(central_q *q, const char *what);
/* Steps a statement expected to finish (INSERT, UPDATE...) and resets it; 0 or a DS_E*
 * error. */
int central_step_done(central_store *s, central_q *q, const char *what);
/* Steps an INSERT of one row and resets it; *key: the new row's INTEGER PRIMARY KEY
 * (SQLite: its rowid, the SQL returning nothing; PostgreSQL: the row the SQL returns).
 * 0 or a DS_E* error. */
int central_insert_cursor(central_store *s, central_q *q, const char *what, int64_t *key);
/* Ends a statement's run early (frees its result); the next central_stmt does too. */
void central_reset(central_q *q);
/* Binds text (NULL binds SQL NULL), copied; n bytes, or (size_t)-1 up to the NUL. */
void central_bind_text(central_q *q, int i, const char *v);
void central_bind_textn(central_q *q, int i, const char *v, size_t n);
/* Binds text the caller keeps unchanged until the statement is reset (central_step_done,
 * central_insert_cursor, central_reset or the next central_stmt): SQLite reads it in place
 * instead of copying it (PostgreSQL copies it, as central_bind_text). */
void central_bind_text_ref(central_q *q, int i, const char *v);
void central_bind_int(central_q *q, int i, int64_t v);
/* Column text as a C string, "" for NULL; borrowed until the next step. */
const char *central_col_text(central_q *q, int i);
size_t central_col_bytes(central_q *q, int i);
int64_t central_col_int(central_q *q, int i);
int central_col_null(central_q *q, int i);
/* 1 when an error has ended the write transaction (nothing to roll back to). */
int central_txn_lost(central_store *s);

/* Begins a write transaction (after taking the write lock when there is one): BEGIN
 * IMMEDIATE on SQLite; on PostgreSQL BEGIN and the database-wide writer lock (store_pg.c,
 * docs/DESIGN-NOTES.md). end commits when rc is 0 and rolls back otherwise, releases the
 * lock and returns rc (or the commit's error). */
int central_write_begin(central_store *s);
int central_write_end(central_store *s, int rc);

/* Issues the next free code of agency in central's block on the day of when, inside the
 * caller's write transaction (schema_code_alloc's rule, on either engine). */
int central_code_alloc(central_store *s, const char *agency, int64_t when,
                       char code[SCHEMA_CODE_MAX]);
/* Records code as taken (schema_code_claim's rule), inside the caller's transaction. */
int central_code_claim(central_store *s, const char *code);

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

/* Gives a new op (never received before, checked by schema_op_check) of node its receipt inside the
 * caller's write transaction: decides applied / conflict / rejected by the rules of
 * docs/PROTOCOL.md, applies it (dossier row, feed row) and stores the op with its receipt and hash.
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

#endif
