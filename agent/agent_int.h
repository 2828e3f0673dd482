/* agent_int.h: what the agent's files share inside the module: loading and saving
 * dossier rows, journal internals, and the sync label of a dossier. */
#ifndef DOSSYNC_AGENT_INT_H
#define DOSSYNC_AGENT_INT_H

#include "agent/agent.h"
#include "sync/sync.h"

#include <pthread.h>

/* ---------------------------------------------------------------- the store
 * agent.db and every statement the agent runs on it (stmt.c): the SQL text is one table
 * indexed by this enum, each prepared on first use and cached for the connection. */
enum agent_stmt_id {
	ST_STATE_GET,
	ST_STATE_SET,
	ST_JOURNAL_LAST,
	ST_JOURNAL_INSERT,
	ST_JOURNAL_UNACKED_PARENT,
	ST_JOURNAL_LIST,
	ST_JOURNAL_ALL,
	ST_JOURNAL_MAX,
	ST_JOURNAL_FROM,
	ST_JOURNAL_CODE,
	ST_JOURNAL_HASH,
	ST_JOURNAL_BY_OP_ID,
	ST_PENDING_COUNT,
	ST_PENDING_OLDEST,
	ST_FIRST_UNPUSHED,
	ST_SYNC_LABEL,
	ST_SETTLED,
	ST_RECEIPT_PUT,
	ST_ROW_VERSION_ACK,
	ST_OPS_REJECTED,
	ST_OPS_CONFLICT,
	ST_SUPERSEDE,
	ST_CONFLICTED_CODES,
	ST_CONFLICT_FACTS,
	ST_ACTS_JOURNAL,
	ST_LOCAL_MOVE_TIME,
	ST_REPLAY_OPS,
	ST_DOSSIER_GET,
	ST_DOSSIER_VERSION,
	ST_DOSSIER_PUT,
	ST_SEARCH_ID,
	ST_SEARCH_PUT,
	ST_DOSSIER_COUNT,
	ST_OWN_ROW,
	ST_ALL_CODES,
	ST_CHANGED_CODES,
	ST_CHANGED_STEP,
	ST_INBOX_INSERT,
	ST_INBOX_NEWEST,
	ST_INBOX_AT,
	ST_INBOX_STATE,
	ST_INBOX_FROM,
	ST_INBOX_MAX_CURSOR,
	ST_INBOX_CODE_CURSOR,
	ST_INBOX_COUNT,
	ST_INBOX_MAX_VERSION,
	ST_ACTS_INBOX,
	ST_CONFLICTS_OPEN_COUNT,
	ST_CONFLICT_QUEUE,
	ST_CONFLICT_LIST,
	ST_CONFLICT_GET,
	ST_CONFLICT_CLOSE,
	ST_REPORT_ROWS,
	ST_FILE_GET,
	ST_FILE_ADD,
	ST_FILE_UP_LIST,
	ST_FILE_ACKED,
	ST_FILE_DONE,
	ST_FILE_ERROR,
	ST_FILE_BACKLOG,
	ST_FILE_MISSING,
	ST_FILE_REFUSED,
	ST_COUNT
};

struct agent_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
};

/* Opens agent.db at path and migrates it to the newest schema; *out: agent_store_free. */
int agent_store_open(struct agent_store **out, const char *path);
/* Finalizes every cached statement and closes the connection; NULL-safe. */
void agent_store_free(struct agent_store *s);
/* The connection (borrowed): for transactions, schema_code_* and tests. */
sqlite3 *agent_db(agent *a);
/* The statement id, reset with its bindings cleared, in *st (borrowed from the cache; the
 * caller gives it back with agent_stmt_put when done). DS_EINVALID when id is out of range
 * or the statement is still in use (a caller forgot agent_stmt_put, or nested the same
 * statement); the SQLite error when it cannot be prepared. */
int agent_stmt_get(agent *a, enum agent_stmt_id id, sqlite3_stmt **st);
/* Resets st and clears its bindings, so it holds no read snapshot; NULL-safe. */
void agent_stmt_put(sqlite3_stmt *st);
/* The parts of list's query (agent_find_prepare): FIND_TEXT matches :text in the search
 * index; each other part adds one condition (its named parameters in brackets). */
enum agent_find_part {
	FIND_TEXT = 1u << 0,     /* [:text] an FTS5 phrase */
	FIND_STATUS = 1u << 1,   /* [:status] */
	FIND_ENDED = 1u << 2,    /* status 9 or 10: the only ones that can be late */
	FIND_OVERDUE = 1u << 3,  /* [:now] open and due before now */
	FIND_DUE_SOON = 1u << 4, /* [:now, :due_by] open and due between the two */
	FIND_FROM = 1u << 5,     /* [:from] received at or after */
	FIND_TO = 1u << 6,       /* [:to] received before */
	FIND_PENDING = 1u << 7,  /* a change not yet pushed to central */
};
/* Prepares list's SELECT of dossier codes in code order, with the given parts, in *st
 * (the caller's: sqlite3_finalize). */
int agent_find_prepare(agent *a, unsigned parts, sqlite3_stmt **st);

/* The create path inside the caller's write transaction (agent_create, agent_import):
 * fills the office's defaults into dossier (which it changes), claims or allocates the
 * code (written to code), refuses a code already in the store, appends the create op. */
int agent_create_local(agent *a, json_t *dossier, char code[SCHEMA_CODE_MAX], int64_t *seq_out);
/* For a new dossier without due_at (agent_create_local): computes it with the installed
 * calendar and catalogue, loaded on first need (agent/deadline.c). */
int agent_deadline_fill(agent *a, json_t *dossier);
/* After a move 5 -> 4 inside the caller's transaction (*state already at 4): moves due_at by
 * the working time since the dossier entered 5, keeping the first due date in
 * original_due_at, as one more patch op on base. Nothing when no calendar is installed or
 * no working time passed. */
int agent_deadline_resume(agent *a, const char *code, json_t **state, int64_t base);
/* The working calendar in *cal (borrowed, NULL when none is installed), loaded on first
 * need as for due dates (agent/deadline.c). */
int agent_calendar(agent *a, const schema_calendar **cal);
/* ---------------------------------------------------------------- data files
 * The calendar and catalogue (agent/deadline.c reads them; agent/data.c keeps central's
 * copies in DIR/data). */
#define AGENT_DATA_FILE_MAX (4 << 20)
/* DIR/data/name, malloc'd. */
char *agent_data_path(const agent *a, const char *name);
/* Drops the loaded calendar and catalogue; the next use reads the files again. */
void agent_data_forget(agent *a);
/* After a pull: when the last page names versions DIR/data does not hold, fetches the
 * files from central, checks and installs them. Failures are logged, never fatal: the
 * next pull tries again. */
struct agent_wire;
void agent_data_refresh(agent *a, const struct agent_wire *w);

/* Loads a dossier row: *state (caller decrefs) and its central version.
 * DS_ENOTFOUND "no dossier CODE" when absent. */
int agent_load(agent *a, const char *code, json_t **state, int64_t *version);
/* Inserts or replaces a dossier row from its state. version < 0 keeps the stored one. */
int agent_save(agent *a, const json_t *state, int64_t version, int64_t seq);
/* The last journal entry: seq (0 when empty) and hash (genesis when empty). */
int journal_last(agent *a, int64_t *seq, char hash[DS_SHA256_HEX]);
/* Appends a complete op (seq, op_id, ... as in schema.h) with its hash. */
int journal_insert(agent *a, const json_t *op, const char *prev_hash, char hash[DS_SHA256_HEX]);
/* The op_id of the newest op on code that has no receipt yet, or NULL (caller frees). */
int journal_unacked_parent(agent *a, const char *code, char **op_id);
/* Reads one journal row as an op object (the nine canonical fields). */
json_t *journal_row_to_op(sqlite3_stmt *st);
/* "synced", "pending", "conflict", "rejected" or "local" for a dossier (at central version
 * `version`) in *label (static text); a failed query is an error. */
int agent_sync_label(agent *a, const char *code, int64_t version, const char **label);
/* After a round on c whose result is rc: records the clock skew c measured (and warns
 * past SYNC_CLOCK_TOLERANCE_S). Returns rc, keeping its message; when rc is 0, a failure
 * to record is the result. */
struct sync_client;
int agent_clock_note(agent *a, struct sync_client *c, int rc);
/* Writes a round's outcome where `status` reads it (last_sync_at, last_success_at or
 * last_error and last_error_at; the daemon adds daemon_state and daemon_next_try_at when
 * daemon_state is not NULL), under the writer lock. Any failure is returned. */
int agent_record_outcome(agent *a, int rc, const char *error, const char *daemon_state,
                         const char *next_try_at);
/* Runs fn inside BEGIN IMMEDIATE ... COMMIT, rolling back on failure. */
int agent_tx(agent *a, int (*fn)(agent *a, void *arg), void *arg);
/* The integer in the first column of the first row of statement id (no parameters) in *out,
 * or dflt when there is no row or it is NULL; a failed query is an error, never dflt. */
int agent_query_int(agent *a, enum agent_stmt_id id, int64_t dflt, int64_t *out);
/* An op's receipt: the wire words of a push receipt (docs/PROTOCOL.md) as op_state stores
 * them, and "superseded" for a conflicted op a merge has settled (agent only). */
enum agent_result {
	AGENT_PENDING = 0, /* no receipt: "" or NULL */
	AGENT_APPLIED = SYNC_APPLIED,
	AGENT_DUPLICATE = SYNC_DUPLICATE,
	AGENT_CONFLICT = SYNC_CONFLICT,
	AGENT_REJECTED = SYNC_REJECTED,
	AGENT_SUPERSEDED,
};
/* The result named by text (NULL or "": AGENT_PENDING) in *out; DS_EINVALID naming the
 * word for any other text. */
int agent_result_parse(const char *text, enum agent_result *out);
/* The seq of the first journal op with no receipt (1 when none has one). Receipts arrive
 * per batch in seq order, so the ops with a receipt are a prefix of the journal and the
 * pending ops are exactly those from this seq on: push, status and the parent rule all
 * use this one definition. */
int journal_first_pending(agent *a, int64_t *seq);
/* The highest journal seq (0 when empty). */
int journal_max_seq(agent *a, int64_t *seq);
/* Stores central's receipt for op seq: result (the wire word), version (< 0: none) and
 * reason (NULL: none), received at `at`. */
int journal_receipt_put(agent *a, int64_t seq, const char *result, int64_t version,
                        const char *reason, const char *at);

/* How long a lock is waited for: DOSSYNC_LOCK_WAIT seconds (default 10), in ms. */
int agent_lock_wait_ms(void);
/* Takes an exclusive file lock (ds_os_lock_file) on DIR/name, waiting up to wait_ms.
 * DS_ERETRY (no message) when another process holds it; *holder is that process's pid
 * when known. */
int agent_lock_file(agent *a, const char *name, int wait_ms, int *fd_out, long *holder);
void agent_unlock_file(int *fd);
/* 1 when another process waits for the writer lock this process holds (store.c). */
int agent_lock_wanted(agent *a);
/* Between the steps of a long write that holds the writer lock and a transaction: when
 * another process waits for the lock, commits what is done, lets the waiter in, then takes
 * the lock and begins a transaction again. 0 and nothing done when nobody waits. */
int agent_tx_yield(agent *a);
#define AGENT_STEP 64 /* changes or receipts written between two agent_tx_yield */

/* 1 in *settled when the dossier has no op waiting for central (no receipt, or a
 * conflict not yet merged). */
int agent_settled(agent *a, const char *code, int *settled);
/* Checks a page of central's feed asked after since before any of it is stored: each
 * change a valid dossier of this office under its own code, its version newer than the
 * inbox's and below 2^53, cursors past since, next not behind them. DS_EINVALID naming
 * the change and the check (pull_check.c). */
int agent_pull_check(agent *a, const json_t *changes, int64_t since, int64_t next);
/* The same for the receipts' echo, whose changes carry no state (their texts are this
 * node's own, rebuilt by own.c and hashing to central's): cursors and versions only. */
int agent_echo_check(agent *a, const json_t *changes, int64_t since, int64_t next);
/* What the row of code must hold, from the journal, its receipts and the inbox alone
 * (replay.c). *want: the state history takes (the row's when the replay allows it, else
 * the replay's; NULL: no dossier; caller decrefs). *is_central (may be NULL): 1 when
 * *want is central's newest state in the inbox. *why: NULL when the row agrees, else one
 * line naming the code and the first differing field (caller frees). */
int agent_replay(agent *a, const char *code, json_t **want, int *is_central, char **why);
/* Resets a settled dossier's row to the newest central state in the inbox, if any. */
int agent_settle_from_inbox(agent *a, const char *code);
/* Stores checked changes of the feed in the inbox, applies them to the settled rows and
 * moves the pull cursor to next; the caller holds the writer lock and a transaction. */
int agent_page_store(agent *a, const json_t *changes, int64_t next);
/* Makes the row of state's dossier central's state at version unless the row holds that
 * version or a newer one already (pull.c); the caller holds a transaction. */
int agent_take_central(agent *a, const json_t *state, int64_t version);
/* The version of code's row in *version; *found 0 when there is no row (stmt.c). */
int agent_row_version(agent *a, const char *code, int *found, int64_t *version);
/* Gives every change of list sent without its state the state this node rebuilds for it
 * (own.c): *ok 1 when each was rebuilt and their canonical bytes, in order, each followed
 * by "\n", hash to want (hex SHA-256). Storage errors only; a change that cannot be rebuilt
 * is *ok 0. */
int agent_own_fill(agent *a, json_t *list, const char *want, int *ok);
/* The same without parsing (own.c): the canonical texts of the states rebuilt for the
 * changes of list that lack one, in one buffer. Release with agent_own_release. */
typedef struct agent_own {
	ds_buf bytes;      /* each rebuilt state followed by "\n", in list order */
	size_t *off, *len; /* change i's text is bytes.ptr[off[i]..]; len (size_t)-1: none */
	int64_t *row;      /* the row's version when the text is the row's, else -1 */
	size_t n;          /* the changes of list */
} agent_own;
int agent_own_texts(agent *a, const json_t *list, const char *want, agent_own *out, int *ok);
/* Change i's rebuilt text (borrowed) and its length, and in *row (may be NULL) the
 * version of the row it was read from (-1: replayed); NULL when it carried its state. */
const char *agent_own_text(const agent_own *o, size_t i, size_t *len, int64_t *row);
void agent_own_release(agent_own *o);
/* The receipts' echo (echo.c, docs/PROTOCOL.md "Receipts carry the echo"): when central
 * says where its feed holds the ops of a batch it applied (e, from the receipts of ops),
 * the feed before them is where this node's pull cursor stands, and the states rebuilt
 * here hash to e->sha256, those changes go into the inbox now and the cursor past them,
 * so the next pull does not bring them again. Anything else leaves them to the pull.
 * st->echo_taken counts the changes taken. Storage errors only. */
int agent_echo_take(agent *a, const json_t *ops, const json_t *receipts, const sync_echo *e,
                    agent_sync_stats *st);

struct conflict_history;
/* history.git of this agent, opened (or created) on first use; borrowed. */
int agent_history(agent *a, struct conflict_history **out);
/* Dossiers (local branch) or feed changes (central branch) one catch-up step commits. A
 * step's pack of new dossiers is then about 1.2 MB, over half of
 * CONFLICT_HISTORY_MERGE_CAP, so a catch-up's packs are not merged again (docs/HISTORY.md). */
#define AGENT_HISTORY_STEP 1000
/* Records what a round pass leaves for the history catch-up (history_marks.c): the journal
 * seq and feed cursor reached now, note for the local commit's message, merge when the
 * local branch may merge central there. Takes the writer lock for one transaction. */
int agent_history_mark(agent *a, const char *note, int merge);
/* The marks waiting, oldest first: [{seq, cursor, merge, note}] (caller decrefs). */
int agent_history_marks(agent *a, json_t **marks);
/* The integer member key of a mark (0 when absent). */
int64_t agent_mark_int(const json_t *mark, const char *key);
/* The oldest mark is written: drops it and records its seq and cursor as done. */
int agent_history_mark_done(agent *a);
/* The central branch holds the feed up to cursor (for agent_history_behind). */
int agent_history_central_done(agent *a, int64_t cursor);
/* Where the last partial step of the oldest mark stopped: the code in *code (caller frees;
 * NULL when none), only while the local head is still head, the commit that step wrote. */
int agent_history_resume_get(agent *a, const char *head, char **code);
int agent_history_resume_set(agent *a, const char *head, const char *code);

/* Who made each side's value of a field a merge of code found changed on both sides
 * (acts.c), as a conflict_acts_fn: ctx is an agent_acts, ancestor the merge's ancestor,
 * read from the inbox at version `at` (0: not from the inbox, nothing is known). */
struct conflict_acts;
typedef struct agent_acts {
	agent *a;
	const char *code;
	const json_t *ancestor;
	int64_t at;
} agent_acts;
int agent_acts_of(void *ctx, const char *path, struct conflict_acts *out);

/* ---------------------------------------------------------------- the wire of a round
 * Every call a round makes to central goes through this table (wire.c): each member has
 * the contract of the sync.h function it stands for, with ctx passed through.
 *   push      sync_client_push_head      pull  sync_client_pull_head
 *   page_data sync_client_page_data      data  sync_client_data
 * agent_wire_client fills it from a real client; tests fill it with a fake central. */
typedef struct agent_wire {
	void *ctx;
	int (*push)(void *ctx, const ds_buf *body, json_t **receipts, int64_t *expected_seq,
	            sync_head *head);
	int (*pull)(void *ctx, int64_t since, int limit, const char *node, json_t **changes,
	            int64_t *next, int *more, char own_sha256[DS_SHA256_HEX], sync_head *head);
	int (*page_data)(void *ctx, json_t **data);
	int (*data)(void *ctx, const json_t *have, json_t **files);
	/* attachments (sync_client_file_*); NULL: the round sends and fetches no files */
	int (*file_state)(void *ctx, const char *sha256, const char *code, sync_file_state *st);
	int (*file_put)(void *ctx, const char *sha256, const char *code, int64_t offset,
	                const void *p, size_t n, sync_file_state *st);
	int (*file_get)(void *ctx, const char *sha256, const char *code, int64_t from, size_t max,
	                ds_buf *out);
	/* a second connection to the same central, for a second push in flight (push called
	 * with ctx2 for ctx); NULL (left out of an initializer): one push at a time */
	void *ctx2;
} agent_wire;

/* One request on its way (flight.c), one at a time per flight. agent_flight_send hands
 * body (borrowed until the wait) to a thread that calls w->push on ctx (w->ctx or
 * w->ctx2: two flights never share a connection); agent_flight_wait joins it and
 * gives its answer as w->push would have, error message included (*receipts the
 * caller's). agent_flight_pull asks w->pull for the page after since (node borrowed);
 * agent_flight_page gives it as w->pull would have. agent_flight_land waits for and drops
 * an answer still due, keeping this thread's error. */
typedef struct agent_flight {
	const agent_wire *w;
	void *ctx;          /* the connection the request goes on */
	const ds_buf *body; /* a push; NULL: a pull of since, limit, node */
	int64_t since;
	int limit;
	const char *node;
	pthread_t thread;
	int busy, threaded;
	json_t *doc; /* the receipts or the changes */
	int64_t expected, next;
	int more;
	char want[DS_SHA256_HEX];
	sync_head head;
	int rc;
	char msg[1024];
	int64_t ms; /* how long the request took */
} agent_flight;
void agent_flight_send(agent_flight *f, const agent_wire *w, void *ctx, const ds_buf *body);
int agent_flight_wait(agent_flight *f, json_t **receipts, int64_t *expected_seq, sync_head *head);
void agent_flight_pull(agent_flight *f, const agent_wire *w, int64_t since, int limit,
                       const char *node);
int agent_flight_page(agent_flight *f, json_t **changes, int64_t *next, int *more,
                      char want[DS_SHA256_HEX], sync_head *head);
void agent_flight_land(agent_flight *f);

/* The size of the round's next push batch from the exchanges so far (pace.c): init with
 * the largest batch (batch_bytes) and the ops pending, note each batch's canonical bytes
 * and the milliseconds from sending it to its receipts, and ask agent_pace_next before
 * making each batch. */
typedef struct agent_pace {
	long cap;
	int n;
	long ramp;               /* the next batch while the line is unknown, 0: the floor */
	long last;               /* the size asked last */
	double sx, sy, sxx, sxy; /* sums of bytes (x) and milliseconds (y) */
} agent_pace;
void agent_pace_init(agent_pace *p, long cap, int64_t pending);
void agent_pace_note(agent_pace *p, long bytes, int64_t ms);
long agent_pace_next(agent_pace *p);

/* w's calls become c's (c stays the caller's). */
void agent_wire_client(agent_wire *w, struct sync_client *c);
/* agent_push, agent_pull and agent_sync over any wire. agent_sync_over takes sync.lock,
 * runs the rounds over w and records the outcome, as agent_sync does over a client made
 * from the config. */
int agent_push_over(agent *a, const agent_wire *w, agent_sync_stats *st);
int agent_pull_over(agent *a, const agent_wire *w, agent_sync_stats *st);
int agent_sync_over(agent *a, const agent_wire *w, agent_sync_stats *st);

/* After the records: sends the files waiting in `files` chunk by chunk (upload.c), each
 * resumed at the first byte central lacks, until none is left, a->cfg.attach_round_s has
 * passed or a failure repeats; a clerk's change made meanwhile is pushed before the next
 * chunk. Files central refuses (cap, quota, not listed yet) keep their error and wait. */
int agent_upload_over(agent *a, const agent_wire *w, agent_sync_stats *st);
/* Brings every file dossier code lists that DIR/files lacks from central (fetch.c),
 * resumable, each checked against its SHA-256 before it lands; *got: files brought. */
int agent_fetch_over(agent *a, const agent_wire *w, const char *code, int64_t *got);
/* prefetch = own: agent_fetch_over for every dossier of the store; failures are logged. */
void agent_prefetch(agent *a, const agent_wire *w);

/* DS_ERETRY "cancelled" when a->cancel is raised, else 0. */
int agent_cancelled(agent *a);

#endif
