/* schema.h: the dossier model shared by the agent and central.
 *
 * The ten national status codes and their legal moves, validation and NFC normalisation of
 * dossier JSON, the journal op (its kinds, its canonical form and hash, and how it applies
 * to a dossier state), dossier code allocation, and the SQL schemas with their migrations.
 * Everything here is deterministic: the agent and central apply the same op to the same
 * state and get the same bytes.
 */
#ifndef DOSSYNC_SCHEMA_H
#define DOSSYNC_SCHEMA_H

#include "base/base.h"

/* ---------------------------------------------------------------- statuses */
#define SCHEMA_STATUS_NEW 0 /* "no dossier yet": the from-status of a create */
#define SCHEMA_STATUS_MAX 10

/* 1 when s is one of the ten national codes. */
int schema_status_valid(int s);
/* 1 for 3 (refused), 8 (stopped) and 10 (handed over): nothing leaves them. */
int schema_status_terminal(int s);
/* 1 when from -> to is a legal move (docs/DOMAIN.md). prior is the status held before the
 * dossier moved to 7; it matters only when from == 7 (7 -> prior is the refusal of a
 * withdrawal request). from == SCHEMA_STATUS_NEW asks about a new dossier. */
int schema_status_legal(int from, int to, int prior);
/* The Vietnamese meaning of a status ("Đang xử lý"); "" for an invalid code. */
const char *schema_status_name(int s);

/* ---------------------------------------------------------------- codes */
#define SCHEMA_CODE_MAX 64
/* Agency electronic IDs (Decision 20/2020): dot-separated upper-case/digit segments,
 * e.g. "000.00.12.H22". */
int schema_agency_check(const char *agency);
/* "{agency}-{yyMMdd}-{NNNN}". Splits a code; agency gets SCHEMA_CODE_MAX bytes.
 * DS_EINVALID (with a message) when it does not match. Any out pointer may be NULL. */
int schema_code_parse(const char *code, char *agency, int *y, int *m, int *d, int *seq);
/* Writes the code for agency, the +07:00 date of received, and seq (1..9999). */
int schema_code_format(char out[SCHEMA_CODE_MAX], const char *agency, int64_t received, int seq);
/* Allocates the next free code for agency on the +07:00 date of received, with a sequence
 * in [lo, hi], using the code_taken table of db (agent and central schemas both have it):
 * one past the highest number the block holds, else its lowest free number; numbers taken
 * outside the block never use it up. Run it inside the caller's write transaction so an
 * allocation and the dossier that uses it commit together. DS_ETOOBIG with a clear message
 * when every number of the day's block is taken. */
int schema_code_alloc(sqlite3 *db, const char *agency, int64_t received, int lo, int hi,
                      char out[SCHEMA_CODE_MAX]);
/* Records that an explicitly given code is taken, so allocation never issues it again. */
int schema_code_claim(sqlite3 *db, const char *code);

/* ---------------------------------------------------------------- dossiers */
/* Size limits (limits.c), checked by schema_dossier_validate: the whole dossier as canonical
 * JSON; a text field in characters (summary, progress "what", supplement "reason" and result
 * "note" may be long; a person's name stays within 200); items per list: components 200,
 * fees 100, progress 1,000, supplements 100, attachments 200. */
#define SCHEMA_DOSSIER_MAX_BYTES (256 * 1024)
#define SCHEMA_TEXT_MAX 500
#define SCHEMA_LONG_TEXT_MAX 2000
/* Validates a whole dossier and normalises it in place (every string to NFC, every time
 * to +07:00, the same instant without a fraction of a second). The
 * dossier must carry "code" and "agency" and keep within the size limits above.
 * DS_EINVALID with a message naming the field ("applicant.id_number: must be 12 digits",
 * "summary: at most 2000 characters (got 4194304)"). */
int schema_dossier_validate(json_t **dossier);
/* schema_dossier_validate without a copy, for a dossier that may be shared: 0 when d is
 * valid and already normal (schema_dossier_validate would keep it as it is), 1 when it
 * needs normalising (call schema_dossier_validate on a copy), DS_EINVALID with the same
 * message otherwise. d is not changed. */
int schema_dossier_check_normal(const json_t *d);
/* Checks a merge patch a person asked for (update): it may not touch code, agency,
 * status or prior_status (status moves go through a transition), nor finished_at or
 * returned_at (the moves to 9 and 10 set them). */
int schema_patch_check(const json_t *patch);
/* The rule book of one op, whatever its kind (rules.c): may next follow cur (NULL: no
 * dossier yet)? (1) Every progress row of cur is still there, unchanged and in its order:
 * rows are only appended. (2) The status is unchanged, or reaches next's status by legal
 * moves (schema_status_legal, 7 -> prior included): through the statuses of the rows next
 * appends, in order (each such row attests one move, as a transition's row does), with at
 * most one more move without a row; next's prior_status is the status the last move into 7
 * left. (3) finished_at and returned_at never change once set, and appear only with a move
 * to 9 (resp. 10) found in (2). DS_EINVALID with a message naming the field. */
int schema_change_check(const json_t *cur, const json_t *next);
/* 1 when the dossier has not ended (status not 3, 8, 9, 10: 9 means processing is
 * finished) and now is past due_at. */
int schema_dossier_overdue(const json_t *dossier, int64_t now);

/* On time or late by the rule of the national service index (verdict.c, where the table
 * is drawn): none for 3 and 8, on_time or late once ended (9, 10), in_time or overdue
 * while open (overdue exactly when schema_dossier_overdue). */
enum schema_verdict {
	SCHEMA_VERDICT_NONE,
	SCHEMA_VERDICT_IN_TIME,
	SCHEMA_VERDICT_OVERDUE,
	SCHEMA_VERDICT_ON_TIME,
	SCHEMA_VERDICT_LATE,
};
int schema_dossier_verdict(const json_t *dossier, int64_t now);
/* "none", "in_time", "overdue", "on_time", "late"; schema_verdict_parse gives -1 for
 * anything else. */
const char *schema_verdict_name(int verdict);
int schema_verdict_parse(const char *name);
/* How many times more papers were asked for: the moves into 5 in the progress rows or
 * the items of supplements[], whichever is more (a request may be recorded either way). */
int schema_supplement_requests(const json_t *dossier);

/* What `list --search` looks in (search.c): the dossier's code, its applicant's and
 * representative's name, CCCD number and phone (a +84 phone also as 0...), each folded by
 * ds_text_fold and one per line, so a search never matches across two fields. *out:
 * free(). DS_EINVALID when a text is not valid UTF-8. */
int schema_search_text(const json_t *dossier, char **out);
/* Registers the SQL function dossync_search_text(body): schema_search_text of the JSON
 * text body (NULL for a body that does not parse), for the agent migration that fills
 * the search index. schema_migrate registers it on every connection it migrates. */
int schema_search_register(sqlite3 *db);

/* ---------------------------------------------------------------- ops
 * A journal op as JSON (the canonical entry that is hashed and pushed):
 *   {"seq":12, "op_id":"node1:12", "code":"...", "kind":"patch", "payload":{...},
 *    "base":3, "parent":"node1:11" or null, "actor":"lan",
 *    "occurred_at":"2026-11-29T08:00:00+07:00"}
 * Payloads: create = the whole dossier; patch, merge, resolve = an RFC 7396 merge patch;
 * transition = {"to":4, "note":"..."} (note optional). */
enum schema_op_kind {
	SCHEMA_OP_CREATE,
	SCHEMA_OP_PATCH,
	SCHEMA_OP_TRANSITION,
	SCHEMA_OP_MERGE,
	SCHEMA_OP_RESOLVE,
};
const char *schema_op_kind_name(int kind);
/* The kind for a name, or -1. */
int schema_op_kind_parse(const char *name);
/* A new op entry (caller decrefs): op_id "node:seq", occurred_at now at +07:00, parent
 * NULL for none. NULL when a text is not valid UTF-8 (jansson refuses it). The one
 * builder of ops: the agent's journal and central's own edits use it. */
json_t *schema_op_new(const char *node, int64_t seq, const char *code, int kind,
                      const json_t *payload, int64_t base, const char *parent, const char *actor);
/* Checks that op has every field of the canonical entry with the right type, and no other
 * member than "hash" and "prev_hash" (DS_EINVALID naming an unknown member). */
int schema_op_check(const json_t *op);
/* hash = SHA-256 hex of prev_hash, "\n", and the canonical bytes of op (only the fields
 * listed above; any "hash" or "prev_hash" member is ignored). */
int schema_op_hash(const char *prev_hash, const json_t *op, char out[DS_SHA256_HEX]);
/* The prev_hash of the first entry of a journal: 64 zeros. */
extern const char schema_genesis_hash[DS_SHA256_HEX];
/* Applies op to *state (NULL for a create; replaced in place otherwise) and validates
 * the result. Deterministic: the same op on the same state gives the same bytes on every
 * node. A transition checks the legal moves, sets prior_status when moving to 7 (and
 * drops it when leaving 7), sets finished_at on 9 and returned_at on 10 when absent, and
 * appends a progress row with id "s-<node>-<seq>". Every kind then obeys the rule book
 * (schema_change_check): a merge or resolve moves the status only by legal moves and sets
 * finished_at/returned_at only with a move to 9/10. DS_EINVALID (state untouched) when
 * the op does not apply. */
int schema_op_apply(json_t **state, const json_t *op);
/* schema_op_apply for an op its caller has already passed through schema_op_check: the
 * op's shape is not checked a second time. */
int schema_op_apply_checked(json_t **state, const json_t *op);

/* ---------------------------------------------------------------- deadlines
 * Working time and due dates (docs/DOMAIN.md "Deadlines"; the files' format is
 * data/README.md). The caller reads the calendar and catalogue files and passes their
 * text; everything here is pure, so a replay with the same versions gives the same dates.
 * Times are Unix seconds; days and hours are those of the calendar's own timezone.
 *
 * schema/calendar.c: the working calendar. */
typedef struct schema_calendar schema_calendar;
/* Parses a calendar (data/calendar.json) into *out (schema_calendar_free it).
 * DS_EINVALID naming what is wrong. */
int schema_calendar_load(schema_calendar **out, const char *text, size_t n);
void schema_calendar_free(schema_calendar *cal);
/* Its "version" ("vn-2026.1"); borrowed. */
const char *schema_calendar_version(const schema_calendar *cal);
/* 1 for a working day, 0 for a day off; DS_ENOTFOUND outside the calendar's years. */
int schema_calendar_working_day(const schema_calendar *cal, int y, int m, int d);
/* The working seconds of one working day (8 hours for 07:00-11:30 and 13:30-17:00). */
int64_t schema_calendar_day_seconds(const schema_calendar *cal);
/* The first instant at which secs seconds of working time have passed since from; from
 * outside working hours counts from the next working instant (so secs == 0 gives that
 * instant). A sum ending exactly at the close of a span ends there (11:30, 17:00).
 * DS_ENOTFOUND when the walk leaves the calendar's years. */
int schema_calendar_add(const schema_calendar *cal, int64_t from, int64_t secs, int64_t *out);
/* The working seconds between from and to (0 when to <= from). */
int schema_calendar_between(const schema_calendar *cal, int64_t from, int64_t to, int64_t *secs);
/* days calendar days from the day work can start after from; the period ends at the close
 * of working hours of its last day, moved to the next working day when that day is off. */
int schema_calendar_add_days(const schema_calendar *cal, int64_t from, int days, int64_t *out);

/* schema/deadline.c: the procedure catalogue and due dates. */
typedef struct schema_catalogue schema_catalogue;
enum schema_unit {
	SCHEMA_UNIT_WORKING_DAYS,  /* "working_days": each one day's working seconds */
	SCHEMA_UNIT_WORKING_HOURS, /* "working_hours" */
	SCHEMA_UNIT_CALENDAR_DAYS, /* "calendar_days": schema_calendar_add_days */
};
/* Parses a catalogue (data/procedures.json) into *out (schema_catalogue_free it). */
int schema_catalogue_load(schema_catalogue **out, const char *text, size_t n);
void schema_catalogue_free(schema_catalogue *cat);
const char *schema_catalogue_version(const schema_catalogue *cat);
/* A procedure's processing time for a channel (1-3): amount in unit (enum schema_unit).
 * DS_ENOTFOUND naming the procedure or channel the catalogue lacks. */
int schema_catalogue_time(const schema_catalogue *cat, const char *procedure, int channel,
                          int *amount, int *unit);
/* The due time of amount units of processing received at received. */
int schema_deadline_add(const schema_calendar *cal, int64_t received, int amount, int unit,
                        int64_t *due);
/* The due time of a dossier of procedure, channel, received at received. */
int schema_deadline_due(const schema_calendar *cal, const schema_catalogue *cat,
                        const char *procedure, int channel, int64_t received, int64_t *due);
/* due moved by the working time between from and to (a wait for a supplement). */
int schema_deadline_pause(const schema_calendar *cal, int64_t due, int64_t from, int64_t to,
                          int64_t *out);
/* schema/move.c: moving a due date. The merge patch that sets due_at to due: keeps the
 * first due date in original_due_at when that is absent, and appends to progress the row
 * {"id": row_id, "when", "what", "who" (when not NULL)} saying why. A new reference. */
json_t *schema_deadline_move(const json_t *state, int64_t due, int64_t when, const char *row_id,
                             const char *what, const char *who);
/* After a move 5 -> 4 (state already at 4): the patch that moves due_at past the wait
 * just ended, or NULL in *patch when there is none to count. The wait is the newest
 * supplement request with requested_at and received_at not counted yet, else the time
 * between the last moves into 5 and into 4; its progress row "due-<id>" marks it counted.
 * DS_ENOTFOUND when the calendar does not cover it. */
int schema_deadline_resume(const json_t *state, const schema_calendar *cal, const char *who,
                           json_t **patch);
/* For a new dossier without due_at: computes it from procedure.code, channel (default 1)
 * and received_at, and records the versions in due_basis {"calendar", "catalogue"}. A
 * dossier that has due_at is left as it is. cal and cat may be NULL (not installed): then
 * a missing due_at is DS_EINVALID, as before the calendar existed. */
int schema_deadline_fill(json_t *dossier, const schema_calendar *cal, const schema_catalogue *cat);

/* ---------------------------------------------------------------- indicators
 * schema/report.c: the office's indicators for a period (docs/DOMAIN.md "Indicators"). One
 * accumulator, fed one dossier at a time, so the agent and central compute them alike:
 *   schema_report_new(&r, from, to, now, cal, by_office);
 *   for each dossier: schema_report_add(r, dossier, synced);
 *   doc = schema_report_json(r); schema_report_free(r);
 * from and to are days "YYYY-MM-DD" (both included; NULL: open) matched against the +07:00
 * date of received_at; now judges the dossiers still open (schema_dossier_verdict); cal
 * (borrowed, NULL when none is installed) measures processing time in working days.
 * by_office adds a breakdown per receiving agency. DS_EINVALID naming a bad day. */
typedef struct schema_report schema_report;
int schema_report_new(schema_report **out, const char *from, const char *to, int64_t now,
                      const schema_calendar *cal, int by_office);
/* Counts dossier when it was received in the period; synced: 1 when central holds its
 * newest op. Dossiers outside the period are skipped (0). */
int schema_report_add(schema_report *r, const json_t *dossier, int synced);
/* The report (caller decrefs): "period", "calendar", "total", "procedures" (sorted by
 * code), "offices" when by_office, and "notes" (what could not be measured). */
json_t *schema_report_json(const schema_report *r);
void schema_report_free(schema_report *r);
/* schema/report_out.c: the columns every rendering of a report shows, in order: the member
 * of a tally, its Vietnamese label, and how it is printed (an integer, a percentage with one
 * decimal, working days with two; an absent or null value is an empty cell). */
enum { SCHEMA_COL_COUNT, SCHEMA_COL_PCT, SCHEMA_COL_DAYS };
struct schema_report_column {
	const char *key, *label;
	int kind;
};
extern const struct schema_report_column schema_report_columns[]; /* ends with key NULL */
/* The cell of column c for a tally row, in out. */
void schema_report_cell(const json_t *row, const struct schema_report_column *c, char out[32]);
/* Appends the report as CSV (RFC 4180, CRLF) to out: a header, one row per item of the
 * report's group ("procedures" or "offices": key, name, then the columns) and a row
 * "TOTAL". DS_EINVALID when the report has no such group. */
int schema_report_csv(const json_t *report, const char *group, ds_buf *out);
/* Appends the report as a text table to out: a header line, one line per item of the
 * report's group (its key in a column width characters wide, then the columns), a line
 * "TOTAL" and a line "note: ..." per note. DS_EINVALID when the report has no such group. */
int schema_report_text(const json_t *report, const char *group, int width, ds_buf *out);

/* ---------------------------------------------------------------- SQL schemas
 * "agent" (agent.db), "central" (central.db) and "central_pg" (central on PostgreSQL), each an
 * ordered list of steps in schema/sql/<which>/NNNN_name.sql; PRAGMA user_version holds the last
 * step applied. */
int schema_version_latest(const char *which);
/* Applies the missing steps, each in its own transaction. A database whose user_version
 * is newer than this build knows is refused (DS_EINVALID) and left untouched. */
int schema_migrate(sqlite3 *db, const char *which);
/* For an engine that runs the steps itself (central on PostgreSQL: "central_pg"): the SQL
 * of step number (1..schema_version_latest) and its file name; NULL (error set) past the
 * last or for an unknown schema. Borrowed, static. */
const char *schema_step_sql(const char *which, int number, const char **name);

/* ---------------------------------------------------------------- prepared once
 * For a caller that keeps its prepared statements per connection (central's cache): the
 * SQL that records a claimed code, and schema_code_claim run on a statement prepared from
 * it (reset here after its step), inside the caller's write transaction. */
extern const char schema_code_claim_sql[];
int schema_code_claim_stmt(sqlite3_stmt *st, const char *code);

#endif
