/* agent.h: the office side of dossync.
 *
 * An agent owns one data directory (agent.db, history.git, config, lock). It records
 * every dossier change as one transaction (validate, append to the hash-chained journal,
 * update the dossier row), answers queries, and runs sync rounds against central.
 * Nothing imports this module; the CLI (main.c) and the daemon are its users.
 */
#ifndef DOSSYNC_AGENT_H
#define DOSSYNC_AGENT_H

#include <signal.h>

#include "base/base.h"
#include "schema/schema.h"

/* ---------------------------------------------------------------- config */
typedef struct agent_config {
	char *office;          /* agency code of this office */
	char *node;            /* this agent's node name, unique per office PC */
	char *central;         /* central base URL */
	char *token_file;      /* file holding the bearer token */
	char *ca_file;         /* extra CA bundle for https, or NULL */
	char *actor;           /* default actor */
	char *data_dir;        /* calendar.json and procedures.json, or NULL (agent/deadline.c) */
	int code_lo, code_hi;  /* dossier code block (default 1-8999) */
	int pull_interval_s;   /* daemon: pull every N seconds (default 30) */
	int backoff_base_ms;   /* daemon: first retry delay (default 1000) */
	int backoff_cap_ms;    /* daemon: longest retry delay (default 300000) */
	long batch_bytes;      /* push batch size in canonical bytes */
	long max_send_bytes_s; /* upload cap, 0: none */
	long connect_timeout_s, total_timeout_s, low_speed_bytes, low_speed_time_s;
	json_t *policies;      /* object: field path -> rule, from "policy.X = rule" */
	char *http;            /* "http = 127.0.0.1:PORT": the daemon serves the local API there */
	int peer_edits_manual; /* "peer_edits = manual": two PCs' edits of one field wait
	                          for a person instead of the later act winning */
	long attach_max_bytes; /* bytes of one attachment at most (AGENT_ATTACH_MAX) */
	int attach_round_s;    /* seconds of a round's uploads at most (default 120) */
	int prefetch_own;      /* "prefetch = own": the daemon fetches its agency's files */
} agent_config;
#define AGENT_ATTACH_MAX (32L << 20)

void agent_config_init(agent_config *c);
void agent_config_release(agent_config *c);
/* Parses "key = value" lines; unknown keys and bad values are DS_EINVALID naming the line. */
int agent_config_parse(agent_config *c, const char *text, const char *path);
/* Serialises c into "key = value" text (caller frees). */
char *agent_config_format(const agent_config *c);

/* ---------------------------------------------------------------- the agent */
struct conflict_history;
struct agent_store;

typedef struct agent {
	char *dir;                     /* the data directory */
	struct conflict_history *hist; /* history.git, opened on first use */
	struct agent_store *store;     /* agent.db and its statements (agent_int.h) */
	agent_config cfg;
	int lock_fd; /* -1 when the writer lock is not held */
	char *actor; /* who acts in this process (--actor, config, login name) */
	/* When set and non-zero (the daemon's stop flag), long work stops between steps:
	 * push batches, pull pages and history chunks return DS_ERETRY "cancelled". */
	const volatile sig_atomic_t *cancel;
	ds_progress *progress;       /* long work reports here (base.h "progress"); NULL: silent */
	int pull_limit;              /* changes per pull page; adapts to the link (0: 1000) */
	struct schema_calendar *cal; /* loaded on first need (agent/deadline.c), or NULL */
	struct schema_catalogue *cat;
} agent;

enum {
	AGENT_READ = 0,  /* queries only: no writer lock */
	AGENT_WRITE = 1, /* take the writer lock (waits up to DOSSYNC_LOCK_WAIT seconds) */
};

/* Creates a data directory: config, agent.db at the newest schema, history.git later.
 * DS_EINVALID when it already holds a store or an argument is bad. */
int agent_init_dir(const char *dir, const agent_config *cfg);
/* Opens an existing data directory. mode AGENT_WRITE takes the writer lock: a second
 * writer gets DS_ERETRY "DIR is in use by another dossync process (pid N)". */
int agent_open(agent **out, const char *dir, int mode, const char *actor);
void agent_close(agent *a);
/* Takes or drops the writer lock of an open agent; wait_ms < 0 waits DOSSYNC_LOCK_WAIT
 * seconds (default 10). */
int agent_lock(agent *a, int wait_ms);
void agent_unlock(agent *a);

/* ---------------------------------------------------------------- changes
 * Each is one SQLite transaction: validate, append the journal entry, update the dossier
 * row. Invalid input writes nothing (DS_EINVALID, message naming the field). */
/* Records a new dossier; allocates its code when absent; *code_out: caller frees. */
int agent_create(agent *a, json_t *dossier, char **code_out);
/* Applies a merge patch a person asked for (no status change). */
int agent_update(agent *a, const char *code, const json_t *patch);
/* Builds a merge patch from "path=JSON" settings (dotted paths, list items as [id]). */
int agent_patch_from_sets(agent *a, const char *code, char *const *sets, int n, json_t **patch);
/* Moves a dossier to status `to` if that move is legal. */
int agent_transition(agent *a, const char *code, int to, const char *note);
/* Extends a dossier's due date (gia hạn) to due (a time), or by working_days from the
 * current one, for a reason: one patch op that sets due_at, keeps the first due date in
 * original_due_at and adds a progress row "x-<node>-<seq>" whose text is the reason. The
 * new date must be later. agent/deadline.c. */
int agent_extend(agent *a, const char *code, const char *due, int working_days, const char *reason);
/* Appends an op of any kind made by the agent itself (merge, resolve): the same
 * transaction rules. base is the central version it rests on. */
int agent_record(agent *a, const char *code, int kind, const json_t *payload, int64_t base,
                 int64_t *seq_out);
/* Core of every change, for callers that already hold a transaction: appends the op and
 * updates the dossier row. *state is the dossier before (NULL for create) and after. */
int agent_apply_local(agent *a, const char *code, int kind, const json_t *payload, int64_t base,
                      json_t **state, int64_t *seq_out);

/* ---------------------------------------------------------------- queries */
/* The dossier as stored (canonical JSON object, caller decrefs) with its version and sync
 * state ("synced", "pending", "conflict", "rejected", "local"). */
int agent_get(agent *a, const char *code, json_t **dossier, int64_t *version, const char **sync);
/* What `list` asks for (agent_find); all zero: every dossier. Times are Unix seconds. */
typedef struct agent_find {
	const char *search; /* a piece of the code, a name, CCCD or phone (schema_search_text),
	                       3 characters or more once folded; NULL: none */
	int status;         /* 1-10; 0: any */
	int late;           /* only those ended late (verdict late) */
	int overdue;        /* only those open past their due date (verdict overdue) */
	int pending;        /* only those with a change not yet pushed to central */
	int64_t due_by;     /* only those open, not overdue, due at or before; 0: none */
	int64_t received_from, received_to; /* received in [from, to); 0: no bound */
	int64_t limit, offset; /* after the filters, in code order; limit 0: no limit */
} agent_find;
/* Dossiers matching every filter of f, as an array of {code, status, received_at, due_at,
 * sync, overdue, verdict, late_by_s?, supplement_requests?, applicant, procedure}, in code
 * order. The search
 * goes through the trigram index, the other filters through the dossiers table's
 * indexes; late and overdue are confirmed per row by schema_dossier_verdict. DS_EINVALID
 * for a search shorter than 3 characters once folded. */
int agent_find_list(agent *a, const agent_find *f, json_t **out);
/* Sets one filter of f by its `list` option name without the dashes ("search", "status",
 * "late", "overdue", "pending", "due-within", "received-from", "received-to", "limit",
 * "offset") from its text value (NULL for a flag given bare; flags also take 1/true and
 * 0/false), as `list` and the local API both read them; value is borrowed. DS_EINVALID
 * naming the option for a bad value, DS_EUSAGE for an unknown name. */
int agent_find_option(agent_find *f, const char *name, const char *value, int64_t now);
/* DS_EINVALID when f's filters contradict each other (received-to before -from). */
int agent_find_check(const agent_find *f);
/* agent_find_list with only a status (0: any) and overdue filter. */
int agent_list(agent *a, int status_filter, int overdue_only, json_t **out);
/* Sets obj's "verdict" (schema_verdict_name of dossier at now) and, where they apply,
 * "late_by_s" (an ended dossier's seconds past due_at) and "supplement_requests" (when
 * any): values that stay put once the dossier has ended. */
void agent_verdict_fields(json_t *obj, const json_t *dossier, int64_t now);
/* Journal entries with seq > since, as an array of op objects with prev_hash, hash and
 * their sync result. */
int agent_journal(agent *a, int64_t since, json_t **out);
/* Walks the hash chain; DS_EINVALID naming the first bad entry. *count: entries checked. */
int agent_verify_journal(agent *a, int64_t *count);
/* The office's indicators (schema_report_json) over every dossier of the store received
 * between the days from and to ("YYYY-MM-DD", NULL: open), judged now, each counted as
 * synced when its sync state is "synced"; plus "office" and a note on what "synced" means
 * here (agent/report.c). DS_EINVALID naming a bad day. */
int agent_report(agent *a, const char *from, const char *to, json_t **out);
/* Writes report (agent_report) as one self-contained HTML page with Vietnamese labels to
 * path (through a temporary file and a rename). */
int agent_report_html(const json_t *report, const char *path);
/* The status object (pending_ops, oldest_pending_age_s, journal_seq, sync fields...). */
int agent_status(agent *a, json_t **out);

/* ---------------------------------------------------------------- sync state */
int agent_state_get(agent *a, const char *key, char **value);
int agent_state_set(agent *a, const char *key, const char *value);

/* ---------------------------------------------------------------- sync */
typedef struct agent_sync_stats {
	int64_t pushed, batches, applied, duplicate, conflict, rejected;
	int64_t pulled, pages, merged, queued;
	int64_t echo_taken; /* own applied ops taken into the inbox from receipts, not pulled */
	uint64_t bytes_up, bytes_down, requests;
	int64_t files_sent, file_bytes; /* attachments central acknowledged whole; their bytes */
} agent_sync_stats;

struct sync_client;
/* One sync round: push every pending op, pull until central has no more, merge what
 * diverged, and repeat while new ops appeared (a few times at most). Records
 * last_sync_at / last_error in the sync state. DS_ERETRY when central cannot be reached
 * (nothing lost), DS_EPERM when it refuses the token. */
int agent_sync(agent *a, agent_sync_stats *st);
/* The pieces of a round, for the daemon and tests: a client from the config, push, pull. */
int agent_client_new(agent *a, struct sync_client **out);
int agent_push(agent *a, struct sync_client *c, agent_sync_stats *st);
/* The round's second client (*out NULL when max_send_bytes is set, or it cannot be made):
 * agent_push_two's c2. */
void agent_client_second(agent *a, struct sync_client **out);
/* agent_push with c2 (NULL: none) as a second connection, for a second push in flight. */
int agent_push_two(agent *a, struct sync_client *c, struct sync_client *c2, agent_sync_stats *st);
int agent_pull(agent *a, struct sync_client *c, agent_sync_stats *st);
/* After push and pull: the waiting attachments up, then (prefetch = own) the office's
 * files down, within the round's upload time (upload.c, fetch.c). */
int agent_upload(agent *a, struct sync_client *c, agent_sync_stats *st);
/* Compares what central holds of this node's journal (its last seq and that entry's hash,
 * sent in push and pull answers) with the local journal, and records the verdict for
 * `status` (tail_state "ok", "behind" or "forked"). DS_EINVALID when the journal ends
 * before central_seq (behind: cut, or an old backup restored) or its entry there has
 * another hash (forked), with a message naming the restore procedure. */
int agent_check_tail(agent *a, int64_t central_seq, const char *central_hash);
/* The number of journal ops without a receipt, in *n. */
int agent_pending_ops(agent *a, int64_t *n);
/* Merges every dossier central answered `conflict` for (receipts and central's newest
 * state at hand), appends the merge ops, opens review-queue rows, and leaves a mark for
 * the history catch-up (agent_history_step). */
int agent_reconcile(agent *a, agent_sync_stats *st);

/* ---------------------------------------------------------------- conflicts, history */
/* The number of journal ops central answered `conflict` to that are not merged yet, in
 * *n. */
int agent_unmerged(agent *a, int64_t *n);
/* Open conflicts: [{code, field, ancestor, ours, theirs, reason, since}]. */
int agent_conflicts(agent *a, json_t **out);
/* Settles one open conflict: how is "ours", "theirs" or "value" (then value is used; NULL
 * removes the field). Recorded as a journal op of kind resolve. */
int agent_resolve(agent *a, const char *code, const char *field, const char *how,
                  const json_t *value);
/* history.git is derived data, written after the sync rounds: each round pass leaves a
 * mark (the journal seq and feed cursor it reached, its merge note), and the catch-up
 * brings history.git up to the marks in steps of at most AGENT_HISTORY_STEP dossiers (or
 * feed changes), each one commit and one pack under the writer lock, never longer. The
 * central branch follows the inbox, the local branch the replay of the journal and the
 * inbox (never the rows); a mark whose round merged every diverged dossier makes the local
 * commit a merge of central. One step in *more: 1 when work is left. */
int agent_history_step(agent *a, int *more);
/* Steps until no mark is left (each step takes and drops the writer lock). */
int agent_history_catch_up(agent *a);
/* The catch-up of a reader (log, verify) before it reads history.git: a failure (a busy
 * store, a full disk, a directory it may not write) is logged as a warning and returned;
 * the reader goes on with the history there is. */
int agent_history_ready(agent *a);
/* How far history.git is behind what the rounds have left: journal entries and feed
 * changes not yet written in *changes, marks waiting in *marks (may be NULL). */
int agent_history_behind(agent *a, int64_t *changes, int64_t *marks);
/* Checks every dossier row against the replay of the journal and the inbox, writing
 * nothing. *bad: one line per dossier whose row is not what the replay allows, naming
 * the code and the first differing field; *states: {code: replayed state} (both the
 * caller's). */
int agent_verify_rows(agent *a, json_t **bad, json_t **states);
/* Read-only: when history.git holds every change of the store, checks that its local
 * branch holds exactly states (DS_ECONFLICT naming the first code that differs). *note
 * says what was found: missing, behind (the next sync catches it up), or agreeing. */
int agent_history_check(agent *a, const json_t *states, const char **note);
/* A dossier's versions from history: [{commit, branch, when, who, message, fields}]. */
int agent_history_log(agent *a, const char *code, json_t **out);

/* ---------------------------------------------------------------- attachments
 * A scan is part of its dossier's record from the moment it is attached: its item in
 * `attachments` travels as a journal op like any change, and its bytes follow, after the
 * records, in chunks (docs/PROTOCOL.md "Attachments", docs/OPERATIONS.md). */
/* Copies the file at path into DIR/files/ab/SHA256 (atomically, fsynced) and records one
 * patch op adding {id "a-<node>-<seq>", name, mime, size, sha256, kind, component?} to
 * code's attachments, in one transaction with the file's upload row. kind: "scan"
 * (default) or "result"; component (may be NULL) must be an id of the dossier's
 * components. DS_EINVALID for a missing, unreadable or too large file (attach_max_bytes),
 * a file the dossier lists already, or a bad kind or component; DS_ENOTFOUND for an
 * unknown code. Nothing is written on error. *item: the item added (caller decrefs). */
int agent_attach(agent *a, const char *code, const char *path, const char *component,
                 const char *kind, json_t **item);
/* The same for n bytes at p named name (a file name: not empty, no '/' or '\\'), as the
 * local API receives them. */
int agent_attach_bytes(agent *a, const char *code, const char *name, const void *p, size_t n,
                       const char *component, const char *kind, json_t **item);
/* DIR/files/ab/SHA256 (malloc'd). */
char *agent_file_path(const agent *a, const char *sha256);
/* {files, bytes, oldest_age_s, refused, refusals, rate_bps, eta_s}: the files waiting to
 * go up, their bytes central still lacks, the age of the oldest, how many central refused
 * last time and why ([{sha256, code, error}], ten at most), the upload rate last measured
 * and the time to drain at it (null: unknown). */
int agent_attach_backlog(agent *a, json_t **out);
/* dossync fetch: brings code's files that DIR/files lacks from central and copies every
 * file code lists into out_dir (NULL: none) under its item's name. *got: files
 * downloaded. DS_ERETRY when central cannot be reached (what arrived is kept). */
int agent_fetch(agent *a, const char *code, const char *out_dir, int64_t *got);

/* ---------------------------------------------------------------- bulk import */
/* Records each JSON line of text as a new dossier, in large transactions; a bad line is
 * reported by number and nothing of the file is written. *count: dossiers recorded. */
int agent_import(agent *a, const char *text, size_t len, int64_t *count);

/* ---------------------------------------------------------------- daemon
 * The background service (daemon.c): one per data directory, in the foreground (systemd
 * supervises it). It takes DIR/daemon.lock and keeps it, then loops: a sync round soon
 * after each new journal entry and every pull_interval seconds, backoff with full jitter
 * (backoff_base_ms, backoff_cap_ms) on failure, no retry after a token refusal until
 * SIGHUP or a new token file. SIGHUP re-reads DIR/config; SIGTERM and SIGINT stop it within
 * about two seconds. One log line per round (ds_log). */
typedef struct agent_daemon_opts {
	int use_syslog;        /* log to syslog (ident "dossync") instead of stderr */
	int verbose;           /* debug lines too */
	const char *http;      /* the local API's address (--http), else the config's, or NULL */
	const char *port_file; /* where the API's port is written once it listens, or NULL */
} agent_daemon_opts;

/* Runs the service on an open agent (AGENT_READ: it takes the writer lock only for each
 * store write) until SIGTERM or SIGINT; 0 then. DS_ERETRY "a dossync daemon already
 * runs on DIR (pid N)" when another process holds DIR/daemon.lock. */
int agent_daemon_run(agent *a, const agent_daemon_opts *o);
/* Whether a daemon holds DIR/daemon.lock, and its pid (0 when unknown or not running).
 * Never blocks and never creates the file. */
int agent_daemon_probe(agent *a, int *running, long *pid);
/* {"running", "pid", "state" ("idle", "backoff", "refused"), "next_try_at"} for
 * `status`; pid, state and next_try_at are null when no daemon runs. *out: decref. */
int agent_daemon_status(agent *a, json_t **out);

/* ---------------------------------------------------------------- local API (http.c)
 * The daemon's loopback HTTP listener: the JSON calls of docs/LOCAL-API.md and the status
 * page, answered in libmicrohttpd's threads, each call opening the store as the CLI does. */
typedef struct agent_http agent_http;

/* DS_EINVALID unless addr is "127.x.y.z:PORT" or "[::1]:PORT". */
int agent_http_addr_check(const char *addr);
/* The key of DIR/api.key (64 hex digits and a NUL in key); with create, a missing file is
 * made (random, mode 0600). DS_EPERM when the file is readable by others. */
int agent_api_key(const char *dir, int create, char key[65]);
/* Listens on addr (checked as above; creates DIR/api.key when missing) and writes the port
 * to port_file when given. actor: who acts when a call names no one (NULL: as the CLI).
 * *out: agent_http_stop. DS_ERETRY when the address is taken. */
int agent_http_start(agent_http **out, const char *dir, const char *actor, const char *addr,
                     const char *port_file);
/* Stops listening, waiting for the calls in flight; NULL-safe. */
void agent_http_stop(agent_http *h);

#endif
