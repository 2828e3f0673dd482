/* sync.h: the wire between an office agent and central (docs/PROTOCOL.md).
 *
 * The column codec that lays a list of records out by field, zlib bodies with an inflate
 * cap, the push/receipt/pull documents, the libcurl client with its timeouts and counters,
 * and the retry policy (exponential backoff with full jitter). It knows ops and receipts
 * as JSON, never the store: the agent hands it ops and takes back receipts, and central
 * uses the same codec on the other side.
 */
#ifndef DOSSYNC_SYNC_H
#define DOSSYNC_SYNC_H

#include "base/base.h"

#include <signal.h>

/* The protocol version this build speaks (docs/PROTOCOL.md): a push says which it was
 * written for ("v"), and central answers it in that version's form; 2 adds the receipts'
 * echo members (sync_echo); 3 the column value forms, lists laid out by element and the
 * preset dictionary SYNC_DICT_NAME. Central accepts pushes from SYNC_PROTOCOL_MIN on. */
#define SYNC_PROTOCOL_VERSION 3
#define SYNC_PROTOCOL_MIN 3
/* The preset zlib dictionary of the documents (data/wire-dict-1.txt), named on the wire by
 * its Adler-32 in the zlib header (docs/PROTOCOL.md "Preset dictionary"). */
#define SYNC_DICT_NAME "wire-dict-1"
/* Limits both sides enforce (docs/PROTOCOL.md "Limits"). */
#define SYNC_MAX_BODY (8u << 20)              /* compressed request or response body */
#define SYNC_MAX_INFLATED (64u << 20)         /* inflated body: the zip-bomb cap */
#define SYNC_MAX_BATCH_OPS 5000               /* ops in one push */
#define SYNC_DEFAULT_BATCH_BYTES (512u << 10) /* canonical op bytes per push, agent side */
#define SYNC_MAX_PULL_LIMIT 5000
/* Decode budgets: what one document of a peer may become in memory. Each endpoint caps
 * its inflated text, the tree jansson would build from it (estimated before parsing,
 * sync_json_weigh), and the objects the column layout makes (sync_cols_decode_budget).
 * With them a single request never costs central more than about 64 MiB. */
#define SYNC_MAX_PUSH_INFLATED (8u << 20) /* agents send at most 6 MiB of ops */
#define SYNC_MAX_PUSH_TREE (32u << 20)
#define SYNC_MAX_RECEIPTS_INFLATED (8u << 20) /* conflict receipts carry states */
#define SYNC_MAX_RECEIPTS_TREE (32u << 20)
/* A pull page: central ends a page before its states pass SYNC_PAGE_STATE_BYTES (its first
 * change always goes; one dossier is at most 256 KiB canonical, SCHEMA_DOSSIER_MAX_BYTES),
 * and 5,000 change headers add under 1 MiB. A page of dossiers full of short progress rows
 * (about 15 bytes of tree per byte of state) and 5,000 headers weighs about 18 MiB. */
#define SYNC_PAGE_STATE_BYTES ((size_t)1 << 20)
#define SYNC_MAX_PULL_INFLATED (4u << 20)
#define SYNC_MAX_PULL_TREE (24u << 20)
/* GET /v1/data: a calendar and a catalogue are a few KiB each; room for decades of them. */
#define SYNC_MAX_DATA_INFLATED (1u << 20)
#define SYNC_MAX_DATA_TREE (4u << 20)
#define SYNC_TREE_PER_BYTE 4   /* sync_body_decode: the tree budget per inflated byte */
#define SYNC_MAX_PATH_DEPTH 32 /* keys in one column path */

/* ---------------------------------------------------------------- column codec
 * records: an array of JSON objects. Each record is flattened into key paths (nested
 * non-empty objects, and non-empty lists of non-empty objects by index, recurse; everything
 * else is a leaf); the document holds, for each path, the rows that have it (as deltas)
 * and their values, in one of the value forms of docs/PROTOCOL.md "Columns":
 *   {"n": 3, "cols": [{"p": ["applicant","name"], "r": [0,1,1], "v": ["A","B","C"]}, ...]}
 * decode(encode(x)) gives records with the same canonical bytes as x. The decoded records
 * hold doc's values by reference: a caller that keeps doc must not change a record in place
 * (copy it first). */
int sync_cols_encode(const json_t *records, json_t **out);
int sync_cols_decode(const json_t *doc, json_t **records);
/* The same, making at most max_objects new objects (the records and the objects and lists
 * their paths run through; values taken from doc are shared, not counted) and at most
 * max_objects KiB of built values (times, fixed-width and numbered text, further uses of a
 * dictionary value, each 96 bytes plus its size): DS_ETOOBIG past either. Paths of more
 * than SYNC_MAX_PATH_DEPTH keys and indexes are DS_EINVALID either way (sync_cols_decode
 * has no other bound). */
int sync_cols_decode_budget(const json_t *doc, size_t max_objects, json_t **records);

/* ---------------------------------------------------------------- zlib bodies */
/* zlib-format (RFC 1950, "Content-Encoding: deflate") compression at level 0..9. */
int sync_deflate(const void *p, size_t n, int level, ds_buf *out);
/* Inflates at most max bytes: DS_ETOOBIG past it (a zip bomb), DS_EINVALID when the data
 * is corrupt or truncated. */
int sync_inflate(const void *p, size_t n, size_t max, ds_buf *out);
/* A JSON document as a body: deflate(canonical JSON), level 6. */
int sync_body_encode(const json_t *doc, ds_buf *out);
/* The same, deflated with the preset dictionary SYNC_DICT_NAME (the push, receipts and pull
 * documents; errors and the other answers go without, so any version can read them).
 * sync_inflate reads both, and refuses a body that asks for any other dictionary. */
int sync_body_encode_dict(const json_t *doc, ds_buf *out);
/* The inverse, with the inflate cap; DS_EINVALID for bad zlib or bad JSON. The tree
 * budget is SYNC_TREE_PER_BYTE times max_inflated (0: SYNC_MAX_INFLATED). */
int sync_body_decode(const void *p, size_t n, size_t max_inflated, json_t **out);
/* The same with an explicit tree budget: DS_ETOOBIG, before any tree is built, when the
 * inflated text would take more than max_tree bytes as a jansson tree. */
int sync_body_decode_budget(const void *p, size_t n, size_t max_inflated, size_t max_tree,
                            json_t **out);
/* An upper estimate of the bytes jansson allocates to parse s[0..n) as JSON, in one pass
 * without allocating: DS_ETOOBIG as soon as it passes max. *weight (may be NULL) gets the
 * estimate (so far). */
int sync_json_weigh(const char *s, size_t n, size_t max, size_t *weight);

/* ---------------------------------------------------------------- documents
 * Push request: {"v":2, "node":N, "first_seq":S, "prev_hash":H0, "hash":Hn,
 *                "ops": <cols of the ops without seq and op_id>}
 * ops (in): canonical op entries (schema.h) of one node, consecutive seqs. */
int sync_push_encode(const char *node, const char *prev_hash, const char *final_hash,
                     const json_t *ops, ds_buf *body);
/* Decodes a push body into {"v", "node", "first_seq", "prev_hash", "hash", "ops": [full op
 * entries with seq and op_id restored]}. DS_EINVALID for any malformed part (a "v" other
 * than SYNC_PROTOCOL_MIN to SYNC_PROTOCOL_VERSION included). */
int sync_push_decode(const void *body, size_t n, json_t **out);

/* Push response: {"receipts": [{"op_id", "result", "version", "reason"?, "state"?}]}
 * result: "applied" | "duplicate" | "conflict" | "rejected". For a conflict, "version" is
 * central's current version and "state" its current dossier. */
int sync_receipts_encode(const json_t *receipts, ds_buf *body);
int sync_receipts_decode(const void *body, size_t n, json_t **receipts);

/* Pull response: {"changes": [{"cursor", "code", "version", "op_id", "node", "state"}],
 * "next": C, "more": true|false}. */
int sync_changes_encode(const json_t *changes, int64_t next, int more, ds_buf *body);
int sync_changes_decode(const void *body, size_t n, json_t **changes, int64_t *next, int *more);

/* ---------------------------------------------------------------- HTTP client */
typedef struct sync_client sync_client;

typedef struct sync_opts {
	const char *url;        /* central base URL, "http://127.0.0.1:7070", or several
	                         * separated by commas: the client fails over (below) */
	const char *token;      /* bearer token */
	const char *ca_file;    /* extra CA bundle for https; NULL: the system's */
	long connect_timeout_s; /* 0: 10 */
	long total_timeout_s;   /* 0: 120 */
	long low_speed_bytes;   /* stall: under this many bytes/s ... (0: 100) */
	long low_speed_time_s;  /* ... for this long aborts the request (0: 30) */
	long max_send_bytes_s;  /* upload cap in bytes/s; 0: none */
} sync_opts;

typedef struct sync_counters {
	uint64_t requests;
	uint64_t bytes_up;   /* request bodies as sent (compressed) */
	uint64_t bytes_down; /* response bodies as received (compressed) */
} sync_counters;

/* 0 when list is one or more comma-separated http:// or https:// URLs; else
 * DS_EINVALID naming the bad one. */
int sync_url_list_check(const char *list);
/* Creates a client that keeps one connection alive across requests. With several central
 * URLs, a request that cannot reach the central in use, or gets a 5xx from it, is sent
 * to the next one (each once at most), and the client, and the next client of the same
 * list in this process, stays on the one that answered. */
int sync_client_new(sync_client **out, const sync_opts *opts);
void sync_client_free(sync_client *c);
const sync_counters *sync_client_counters(const sync_client *c);
/* Makes every request of c give up within about a second once *flag is non-zero (the
 * request fails with DS_ERETRY "cancelled"; being a request that is safe to repeat, nothing
 * is lost). flag is typically set by a signal handler; NULL turns the check off. */
void sync_client_set_cancel(sync_client *c, const volatile sig_atomic_t *flag);

/* POST /v1/push with an encoded push body; *receipts is the caller's.
 * Errors: DS_ERETRY (unreachable, timeout, stall, 5xx, 429), DS_EPERM (401, 403),
 * DS_EINVALID (400, 413), DS_ECONFLICT (409: central's journal position differs; then
 * *expected_seq is the seq central expects next). The message names the cause. */
int sync_client_push(sync_client *c, const ds_buf *body, json_t **receipts, int64_t *expected_seq);
/* GET /v1/pull?since=C&limit=L. */
int sync_client_pull(sync_client *c, int64_t since, int limit, json_t **changes, int64_t *next,
                     int *more);
/* GET /v1/health: 0 when central answers. */
int sync_client_health(sync_client *c);

/* ---------------------------------------------------------------- retry policy
 * Exponential backoff with full jitter: the n-th failure waits a uniformly random time
 * in [0, min(cap, base * 2^n)]. */
typedef struct sync_backoff {
	int64_t base_ms;
	int64_t cap_ms;
	int failures;
	uint64_t rng;
} sync_backoff;

void sync_backoff_init(sync_backoff *b, int64_t base_ms, int64_t cap_ms, uint64_t seed);
/* Records a failure and returns the delay before the next try, in ms. */
int64_t sync_backoff_fail(sync_backoff *b);
void sync_backoff_reset(sync_backoff *b);

/* ---------------------------------------------------------------- pull as a node
 * GET /v1/pull?since=C&limit=L&node=N (docs/PROTOCOL.md): the changes N made itself come
 * without their state, and the page carries "own_sha256", the hex SHA-256 of those
 * states' canonical bytes in cursor order, each followed by "\n". N rebuilds them from
 * what it holds and checks them against own_sha256. */
/* own_sha256 NULL or "": every change must carry its state (as sync_changes_encode). */
int sync_changes_encode_own(const json_t *changes, int64_t next, int more, const char *own_sha256,
                            ds_buf *body);
/* own_sha256 (DS_SHA256_HEX bytes) receives the page's own_sha256, "" when it has none;
 * changes without state are accepted only then. own_sha256 NULL: sync_changes_decode. */
int sync_changes_decode_own(const void *body, size_t n, json_t **changes, int64_t *next, int *more,
                            char *own_sha256);
/* node NULL: exactly sync_client_pull. DS_EINVALID for a bad node name. */
int sync_client_pull_node(sync_client *c, int64_t since, int limit, const char *node,
                          json_t **changes, int64_t *next, int *more,
                          char own_sha256[DS_SHA256_HEX]);
/* ---------------------------------------------------------------- central's head of a node
 * Push answers (200), and pull pages asked with node=N, carry the last seq and its hash
 * that central holds for the node: "node_seq" and "node_hash" (docs/PROTOCOL.md). A node
 * whose own journal ends before node_seq lost entries central has (a restored backup). */
/* The echo members of a push answer (protocol 2, docs/PROTOCOL.md "Receipts carry the
 * echo"): where central's feed holds the ops of the batch it applied, so the node can
 * write those changes into its inbox itself instead of pulling them back. On the wire,
 * "cursors" (the applied receipts' feed cursors as runs [first, count]), "cursor_before"
 * and "own_sha256"; decoded, each applied receipt gets its "cursor" member. */
typedef struct sync_echo {
	int known;                  /* 0: the answer carried none */
	int64_t before;             /* the last feed cursor the token sees before the first */
	char sha256[DS_SHA256_HEX]; /* SHA-256 of the applied states, each followed by "\n" */
} sync_echo;

typedef struct sync_head {
	int known;                /* 0: the answer carried none (an older central) */
	int64_t seq;              /* the last seq central holds for the node (0: none) */
	char hash[DS_SHA256_HEX]; /* the hash of that entry (the genesis hash for 0) */
	sync_echo echo;           /* receipts only: the echo members */
} sync_head;

/* head NULL or not known: exactly sync_receipts_encode / sync_changes_encode_own. */
int sync_receipts_encode_head(const json_t *receipts, const sync_head *head, ds_buf *body);
int sync_changes_encode_head(const json_t *changes, int64_t next, int more, const char *own_sha256,
                             const sync_head *head, ds_buf *body);
/* head (may be NULL) gets the document's node_seq and node_hash; known 0 when it has
 * none. DS_EINVALID when they are malformed or only one of them is there. Receipts: when
 * head->echo.known, the encoder lays out the applied receipts' "cursor" members as the
 * echo members (every applied receipt must have one; "cursor" is never sent per receipt),
 * and the decoder reads them back into head->echo and each applied receipt's "cursor". */
int sync_receipts_decode_head(const void *body, size_t n, json_t **receipts, sync_head *head);
int sync_changes_decode_head(const void *body, size_t n, json_t **changes, int64_t *next, int *more,
                             char *own_sha256, sync_head *head);
/* The receipts document's echo members (echo.c): put adds them to doc from receipts'
 * "cursor" members; get reads them into e (known 0 when absent) and gives each applied
 * receipt its "cursor". DS_EINVALID when malformed or not one cursor per applied receipt. */
int sync_echo_put(json_t *doc, const json_t *receipts, const sync_echo *e);
int sync_echo_get(const json_t *doc, json_t *receipts, sync_echo *e);
/* sync_client_push and sync_client_pull_node, with central's head of the node (head may be
 * NULL; known 0 when the answer had none, or for a pull without node). */
int sync_client_push_head(sync_client *c, const ds_buf *body, json_t **receipts,
                          int64_t *expected_seq, sync_head *head);
int sync_client_pull_head(sync_client *c, int64_t since, int limit, const char *node,
                          json_t **changes, int64_t *next, int *more,
                          char own_sha256[DS_SHA256_HEX], sync_head *head);

/* How far this PC's clock is ahead of central's (negative: behind), in seconds, from the
 * Date header of the last response (HTTP dates have whole seconds: the figure is good to
 * about 2 s). DS_ENOTFOUND when the last request got no dated answer. */
int sync_client_clock_skew(const sync_client *c, int64_t *skew_s);
/* A clock further from central's than this is wrong enough to warn about, and a received
 * time further than this in the future is refused. */
#define SYNC_CLOCK_TOLERANCE_S 120

/* What central did with one pushed op: a receipt's "result" (docs/PROTOCOL.md). 0 is
 * none of them (no receipt, or a word that is not one). */
enum sync_result {
	SYNC_APPLIED = 1,
	SYNC_DUPLICATE,
	SYNC_CONFLICT,
	SYNC_REJECTED,
};
#define SYNC_RESULT_COUNT 4
/* The wire word of result ("applied", "duplicate", "conflict", "rejected"). */
const char *sync_result_name(int result);
/* The result a wire word names, or 0 for anything else (NULL included). */
int sync_result_parse(const char *word);

/* 1 when s is a node name: 1 to 64 of A-Z a-z 0-9 . _ - */
int sync_node_ok(const char *s);
/* The node name of the province's own edits at central; no office PC may take it. */
#define SYNC_NODE_CENTRAL "central"
/* 1 when s may name an office PC: a node name other than SYNC_NODE_CENTRAL. */
int sync_office_node_ok(const char *s);

/* ---------------------------------------------------------------- data versions
 * The working calendar and procedure catalogue central distributes (docs/PROTOCOL.md
 * "GET /v1/data"). A pull page may carry "data": {"calendar": V, "procedures": V}, the
 * current versions; an agent holding others asks GET /v1/data for the files. */
/* 0 when v is {kind: version} with kinds "calendar"/"procedures" and versions of 1-40
 * of A-Z a-z 0-9 . _ -; DS_EINVALID otherwise. */
int sync_data_versions_check(const json_t *v);
/* sync_changes_encode_own with the page's "data" member (data NULL: none). */
int sync_changes_encode_data(const json_t *changes, int64_t next, int more, const char *own_sha256,
                             const json_t *data, ds_buf *body);
/* The whole pull page: own_sha256, head and data each optional (NULL: left out). */
int sync_changes_encode_page(const json_t *changes, int64_t next, int more, const char *own_sha256,
                             const sync_head *head, const json_t *data, ds_buf *body);
/* The "data" member of the last response c received (a pull page): *data a new
 * reference, NULL when the page has none. DS_EINVALID when malformed. */
int sync_client_page_data(sync_client *c, json_t **data);
/* GET /v1/data?calendar=V&procedures=V: the current files whose version differs from
 * have ({kind: version}, NULL: none held): *files {kind: {"version", "body"}}, {} when up
 * to date. DS_ENOTFOUND (404) from a central that distributes nothing. */
int sync_client_data(sync_client *c, const json_t *have, json_t **files);

/* ---------------------------------------------------------------- attachments
 * Scanned files, content addressed by SHA-256 (docs/PROTOCOL.md "Attachments"): central
 * takes a file in chunks, each appended only at the length it holds, checks each chunk's
 * SHA-256 and the whole file's before it keeps it, and serves it back by byte range to
 * whoever may see a dossier listing it. Every call names the dossier (code) whose
 * attachments list the file. */
#define SYNC_MAX_CHUNK (1u << 20) /* bytes of one chunk, up or down */
#define SYNC_MIN_CHUNK (16u << 10)

typedef struct sync_file_state {
	int64_t size; /* the file's size, from the dossier's attachment item */
	int64_t have; /* the bytes central holds, from the first on */
	int complete; /* 1: central holds the whole file, verified */
} sync_file_state;

/* 1 when s is 64 lower-case hex digits. */
int sync_sha256_ok(const char *s);
/* GET /v1/files/SHA256/state?code=CODE. */
int sync_client_file_state(sync_client *c, const char *sha256, const char *code,
                           sync_file_state *st);
/* PUT /v1/files/SHA256?code=CODE&offset=N with the n bytes at p; *st: central's state
 * after it. Errors, besides the transport's DS_ERETRY: DS_ECONFLICT (409: central holds
 * another length, in st->have), DS_ERETRY (422: the chunk or the whole file did not match
 * its SHA-256 and was not kept; st->have is what central holds), DS_ENOTFOUND (404: no
 * such dossier, or it lists no such file yet), DS_ETOOBIG (413: over central's file size
 * cap), DS_ENOSPC (507: the office's quota is used up), DS_EPERM (401, 403). */
int sync_client_file_put(sync_client *c, const char *sha256, const char *code, int64_t offset,
                         const void *p, size_t n, sync_file_state *st);
/* GET /v1/files/SHA256?code=CODE with Range: bytes=from-(from+max-1): appends the bytes
 * central sends (at most max, at least 1 unless from is the size) to out. Errors as
 * above; DS_ENOTFOUND also when central does not hold the whole file yet. */
int sync_client_file_get(sync_client *c, const char *sha256, const char *code, int64_t from,
                         size_t max, ds_buf *out);

#endif
