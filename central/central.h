/* central.h: the reference central one-stop sync server (docs/PROTOCOL.md).
 *
 * A store over central.db (tokens, node chains, every received op with its receipt,
 * dossiers with versions, the change feed), the push/pull logic on top of it, the
 * province's own edits (acting as node "central"), and the HTTP server (libmicrohttpd).
 * The HTTP layer only moves bytes: everything a test needs to check runs without it.
 */
#ifndef DOSSYNC_CENTRAL_H
#define DOSSYNC_CENTRAL_H

#include "base/base.h"
#include "schema/schema.h"
#include "sync/sync.h"

#define CENTRAL_NODE SYNC_NODE_CENTRAL /* the node name of the province's own edits */
#define CENTRAL_CODE_LO 9000           /* central allocates codes in this reserved block */
#define CENTRAL_CODE_HI 9999
#define CENTRAL_TOKEN_ID_LEN 8 /* hex digits of a token's id */
#define CENTRAL_TOKEN_LEN 64   /* "dst1." + id + "." + 32 hex + NUL fits */
#define CENTRAL_PULL_DEFAULT 1000
/* Connections (docs/CENTRAL.md "Connections"): a connection has HEADER_TIMEOUT_S of
 * silence to send a request with a valid token, then the long timeout. */
#define CENTRAL_MAX_CONNECTIONS 4096
#define CENTRAL_MAX_PER_IP 64
#define CENTRAL_HEADER_TIMEOUT_S 10
#define CENTRAL_IDLE_TIMEOUT_S 120

/* ---------------------------------------------------------------- the store
 * One connection, to central.db (SQLite, the default) or to a PostgreSQL database, with
 * its prepared statements. A store is used by one thread at a time; the server keeps a
 * pool of them. */
typedef struct central_store central_store;

/* Opens the store at where: a PostgreSQL URL (postgresql://USER@HOST:PORT/DB or
 * postgres://..., any libpq connection URI) or else a SQLite file. create: make the file if
 * missing and migrate it (schema "central"; "central_pg" on PostgreSQL); otherwise a
 * missing file is DS_ENOTFOUND ("no central database at X (run dossync-central init)")
 * and an unmigrated one DS_EINVALID. A PostgreSQL server that cannot be reached is
 * DS_ERETRY. *out is the caller's. */
int central_store_open(central_store **out, const char *where, int create);
void central_store_free(central_store *s);
/* The SQLite connection, borrowed (tests read tables through it); NULL on PostgreSQL. */
sqlite3 *central_store_db(central_store *s);
/* "sqlite" or "postgresql". */
const char *central_store_engine(const central_store *s);

/* Who a request acts for: the token's id, agency and role. */
typedef struct central_auth {
	char token_id[CENTRAL_TOKEN_ID_LEN + 1];
	char agency[SCHEMA_CODE_MAX];
	int province; /* 1: every agency; 0: only dossiers of agency */
} central_auth;

/* ---------------------------------------------------------------- tokens */
/* Creates a token for agency with role "office" or "province". token gets the text
 * ("dst1.<8 hex id>.<32 hex secret>"), shown once; only its SHA-256 is stored. */
int central_token_add(central_store *s, const char *agency, const char *role,
                      char token[CENTRAL_TOKEN_LEN]);
/* Marks a token revoked. DS_ENOTFOUND for an unknown id; revoking twice is harmless. */
int central_token_revoke(central_store *s, const char *id);
/* [{"id", "agency", "role", "created_at", "revoked_at"}] in creation order. */
int central_token_list(central_store *s, json_t **out);
/* Checks a presented token: DS_EPERM when unknown, revoked or malformed. */
int central_token_verify(central_store *s, const char *token, central_auth *out);

/* central_token_add, binding each of nodes[0..n) to the new token in the same
 * transaction (docs/CENTRAL.md "Nodes"). DS_EINVALID for a bad name, "central", or a
 * node already bound (central_node_move moves it); then no token is made. */
int central_token_add_nodes(central_store *s, const char *agency, const char *role,
                            const char *const *nodes, size_t n, char token[CENTRAL_TOKEN_LEN]);
/* Binds a node central does not know yet to a's token (as token add --node does). */
int central_node_bind(central_store *s, const central_auth *a, const char *node);
/* Binds node to the token token_id, which must act for the node's agency (a province
 * token for a province token's node); a node central does not know yet is bound as
 * central_node_bind would. DS_ENOTFOUND for an unknown token, DS_EINVALID for a revoked
 * token, another agency's token, a bad node name or central's own node. */
int central_node_move(central_store *s, const char *node, const char *token_id);

/* ---------------------------------------------------------------- the operator's tools
 * (ops.c; docs/CENTRAL.md "Tokens", "Monitoring") */
/* A new token of the same agency and role as old_id, acting for the same nodes: they are
 * moved to it, and old_id still pushes as them until it is revoked. DS_ENOTFOUND for an
 * unknown id, DS_EINVALID for a revoked one. token as for central_token_add. */
int central_token_rotate(central_store *s, const char *old_id, char token[CENTRAL_TOKEN_LEN]);

#define CENTRAL_CONTACT_ERROR_MAX 200
/* What the server saw of a node's last request. */
typedef struct central_contact {
	char node[65];
	char at[DS_TIME_LEN];                      /* when */
	char error[CENTRAL_CONTACT_ERROR_MAX + 1]; /* "" or "STATUS message" of its last error */
	int64_t pull_cursor;                       /* where its last pull ended; -1: no pull */
	int64_t pull_behind;                       /* feed rows visible to it after that then */
} central_contact;
/* Records c on the node's row (nothing when central does not know the node). */
int central_node_contact(central_store *s, const central_contact *c);
/* [{"node", "office", "token", "last_seq", "last_contact", "last_error", "pull_cursor",
 * "pull_behind"}] ordered by node; office "" for a province token's node; the last four
 * null until the server has seen the node. */
int central_node_list(central_store *s, json_t **out);
/* The cursor of the last feed row (0: empty feed). */
int central_feed_head(central_store *s, int64_t *head);
/* How many feed rows after cursor a can see. */
int central_feed_behind(central_store *s, const central_auth *a, int64_t cursor, int64_t *n);

/* ---------------------------------------------------------------- push and pull
 * push: a decoded push document (sync_push_decode). Checks the node binding and the
 * journal chain, then gives every op a receipt in one write transaction, durable before
 * this returns. *receipts: [{"op_id", "result", "version", "reason"?, "state"?}].
 * Errors: DS_EPERM (node bound to another token: 403), DS_ECONFLICT (chain gap or fork:
 * 409, *expected_seq set), DS_EINVALID (an op that is not a well-formed entry: 400),
 * DS_ETOOBIG (too many ops: 413), DS_ERETRY (database busy: 503). */
int central_push(central_store *s, const central_auth *a, const json_t *push, json_t **receipts,
                 int64_t *expected_seq);
/* central_push, and *node_seq and node_hash get the last seq and its hash central holds
 * for the batch's node once the batch is written (docs/PROTOCOL.md "node_seq"). */
int central_push_head(central_store *s, const central_auth *a, const json_t *push,
                      json_t **receipts, int64_t *expected_seq, int64_t *node_seq,
                      char node_hash[DS_SHA256_HEX]);
/* central_push_head, with the whole answer beside the receipts: head->seq and hash as
 * above (known 1 when rc is 0) and, for a push of protocol 2 that applied ops, head->echo
 * (docs/PROTOCOL.md "Receipts carry the echo"); each applied receipt then has "cursor". */
int central_push_answer(central_store *s, const central_auth *a, const json_t *push,
                        json_t **receipts, int64_t *expected_seq, sync_head *head);
/* The last seq and hash central holds for node (0 and the genesis hash when it holds
 * none). DS_EPERM when the node is bound to another token than a's. */
int central_node_head(central_store *s, const central_auth *a, const char *node, int64_t *seq,
                      char hash[DS_SHA256_HEX]);
/* The feed after since visible to a, at most limit rows (1..SYNC_MAX_PULL_LIMIT):
 * *changes [{"cursor", "code", "version", "op_id", "node", "state"}], *next the cursor to
 * ask from next time, *more 1 when rows remain. */
int central_pull(central_store *s, const central_auth *a, int64_t since, int limit,
                 json_t **changes, int64_t *next, int *more);
/* The current dossier with "version" added. a NULL: the province. DS_ENOTFOUND when
 * absent or not visible to a. */
int central_dossier_get(central_store *s, const central_auth *a, const char *code, json_t **out);
/* [{"code", "agency", "status", "version", "due_at"}] ordered by code; agency NULL and
 * status 0 mean any. */
int central_dossier_list(central_store *s, const char *agency, int status, json_t **out);

/* ---------------------------------------------------------------- province edits
 * Each edit is one transaction on central's own chain (node "central", op_id
 * "central:<n>"), validated by schema_op_apply, appended to the feed like any pushed op.
 * DS_EINVALID (nothing written) with one clear line when the edit does not apply;
 * DS_ENOTFOUND for an unknown code. actor: who acts (recorded in the op). */
/* dossier: the dossier JSON (taken as is; not consumed). Without "code", central
 * allocates one in its reserved block (then "agency" is required). code gets the code. */
int central_edit_create(central_store *s, const char *actor, const json_t *dossier,
                        char code[SCHEMA_CODE_MAX]);
/* An RFC 7396 merge patch (schema_patch_check rules). */
int central_edit_patch(central_store *s, const char *actor, const char *code, const json_t *patch);
/* A status move; note may be NULL. */
int central_edit_transition(central_store *s, const char *actor, const char *code, int to,
                            const char *note);

/* ---------------------------------------------------------------- data files
 * The working calendar and the procedure catalogue the province publishes (data.c,
 * data/README.md): every version is kept; the newest of each kind is current. */
#define CENTRAL_DATA_VERSION_MAX 40
/* Publishes a calendar or a catalogue file (told apart by its members, checked by the
 * schema loaders): *kind "calendar" or "procedures", version its version. 0 when
 * published, 1 when the same bytes were already (nothing written); other bytes under a
 * published version are DS_ECONFLICT. */
int central_data_publish(central_store *s, const char *text, size_t n, const char **kind,
                         char version[CENTRAL_DATA_VERSION_MAX + 1]);
/* The current versions, {"calendar": V, "procedures": V} (the kinds published), or NULL
 * in *out when nothing is published. */
int central_data_versions(central_store *s, json_t **out);
/* The current files whose version differs from have's ({"calendar": V, ...}, NULL: none):
 * {"calendar": {"version", "body"}, ...}; {} when the asker is up to date. */
int central_data_files(central_store *s, const json_t *have, json_t **out);
/* For a dossier the province creates without due_at: computes it with the current
 * calendar and catalogue, as an office would (schema_deadline_fill), and records
 * due_basis. Nothing when the dossier has due_at or nothing is published. */
int central_data_fill_due(central_store *s, json_t *dossier);
/* The current calendar, parsed (schema_calendar_free it); NULL when none is published. */
int central_data_calendar(central_store *s, schema_calendar **out);
/* The indicators (schema_report_json) of the dossiers of agency (NULL: every office, with
 * "offices", the breakdown per office) received between the days from and to
 * ("YYYY-MM-DD", NULL: open), judged now, with the current calendar; every dossier central
 * holds counts as synced; plus "office" (null for the province) (central/report.c). */
int central_report(central_store *s, const char *agency, const char *from, const char *to,
                   json_t **out);

/* ---------------------------------------------------------------- the server */
typedef struct central_serve_opts {
	const char *db_path;
	const char *host;         /* "127.0.0.1" */
	int port;                 /* 0: any free port */
	int threads;              /* worker threads (and database connections) */
	const char *port_file;    /* when set, the bound port is written there */
	unsigned max_connections; /* open connections at most; 0: CENTRAL_MAX_CONNECTIONS */
	unsigned max_per_ip;      /* from one address at most; 0: CENTRAL_MAX_PER_IP */
	const char *tls_cert;     /* PEM files: serve HTTPS; both NULL: plain HTTP */
	const char *tls_key;
	const char *metrics_host; /* NULL: GET /metrics only on the main address, with a
	                           * province token; else also here, plain HTTP, no token */
	int metrics_port;
	const char *files_dir; /* attachments' folder; NULL: DIR/files beside a SQLite file,
	                        * none on PostgreSQL (the file endpoints answer 501) */
	int64_t file_max;      /* bytes of one attachment at most; 0: CENTRAL_FILE_MAX */
	int64_t office_quota;  /* bytes of attachments per office at most; 0: no quota */
} central_serve_opts;

/* ---------------------------------------------------------------- attachments
 * Files content addressed by SHA-256, sent in chunks for a dossier that lists them
 * (files.c, docs/PROTOCOL.md "Attachments"). */
#define CENTRAL_FILE_MAX ((int64_t)32 << 20)
typedef struct central_files {
	char *dir;     /* where the files are: DIR/ab/SHA256, partial ones in DIR/tmp */
	int64_t max;   /* bytes of one file at most */
	int64_t quota; /* bytes per office at most; 0: none */
} central_files;

/* What a file request ended with beyond its DS_* code: the HTTP status of a refusal
 * particular to files (409 another length held, 422 a chunk or file that does not
 * match its SHA-256, 413 over the size cap, 507 over the quota; 0: the usual map), and
 * central's state of the file. */
typedef struct central_file_res {
	unsigned status;
	int64_t size, have;
	int complete;
} central_file_res;

/* What central holds of file sha256, listed by dossier code the token may see
 * (DS_ENOTFOUND otherwise, the same whether or not the dossier exists). A file whose
 * every byte is in but not yet checked (a crash in between) is checked now. */
int central_file_state(central_store *s, const central_auth *a, const central_files *f,
                       const char *sha256, const char *code, central_file_res *res);
/* Appends the chunk p[0..n) at offset when it matches its SHA-256 chunk_sha256 and offset
 * is the length held; once the file is whole, checks its SHA-256 and keeps it (else
 * discards it, res->status 422). Durable before it returns 0. chunk_sha256 NULL: the
 * prefix of a chunk whose connection was cut, kept unchecked (the whole file's SHA-256
 * still decides). */
int central_file_put(central_store *s, const central_auth *a, const central_files *f,
                     const char *sha256, const char *code, int64_t offset, const char *chunk_sha256,
                     const void *p, size_t n, central_file_res *res);
/* The path of the verified file (caller frees) and its size, for a download.
 * DS_ENOTFOUND when not visible or not whole yet. */
int central_file_path(central_store *s, const central_auth *a, const central_files *f,
                      const char *sha256, const char *code, char **path, int64_t *size);

/* Serves until SIGTERM or SIGINT, then finishes the requests in flight, writes the nodes'
 * last contacts, closes the database and returns 0. Prints "dossync-central listening on
 * HOST:PORT" (and "dossync-central metrics on HOST:PORT") to stderr once ready. */
int central_serve(const central_serve_opts *o);

/* ---------------------------------------------------------------- pull as a node
 * central_pull for the node that asks (node NULL: exactly central_pull). The changes
 * whose node is node come without "state"; own_sha256 receives the hex SHA-256 of their
 * stored canonical states in cursor order, each followed by "\n" ("" when the page has
 * none). DS_EINVALID for a node that is not 1 to 64 of A-Z a-z 0-9 . _ - */
int central_pull_node(central_store *s, const central_auth *a, int64_t since, int limit,
                      const char *node, json_t **changes, int64_t *next, int *more,
                      char own_sha256[DS_SHA256_HEX]);

#endif
