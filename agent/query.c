/* query.c: what a clerk or an operator reads: one dossier, the list (by status, overdue),
 * and the agent's status (pending ops and their age, last sync, errors, conflicts). */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>

static int open_conflicts(agent *a, const char *code, int64_t *count, int64_t *oldest);

const char *agent_sync_label(agent *a, const char *code, int64_t version)
{
	sqlite3_stmt *st = NULL;
	const char *label = version > 0 ? "synced" : "local";
	int64_t conflicts = 0;

	if (open_conflicts(a, code, &conflicts, NULL) == 0 && conflicts > 0)
		return "conflict";
	if (ds_db_prepare(a->db,
			  "SELECT s.result FROM journal j LEFT JOIN op_state s ON s.seq = j.seq "
			  "WHERE j.code = ? ORDER BY j.seq DESC LIMIT 1",
			  &st))
		return label;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		if (!r)
			label = "pending";
		else if (!strcmp(r, "rejected"))
			label = "rejected";
		else if (!strcmp(r, "conflict"))
			label = "conflict";
	}
	sqlite3_finalize(st);
	return label;
}

int agent_get(agent *a, const char *code, json_t **dossier, int64_t *version,
	      const char **sync)
{
	int64_t v = 0;
	int rc = agent_load(a, code, dossier, &v);

	if (rc)
		return rc;
	if (version)
		*version = v;
	if (sync)
		*sync = agent_sync_label(a, code, v);
	return 0;
}

static json_t *list_row(agent *a, sqlite3_stmt *st, int64_t now)
{
	const char *body = (const char *)sqlite3_column_text(st, 0);
	const char *code;
	json_t *d = json_loads(body, 0, NULL), *row;

	if (!d)
		return NULL;
	code = json_string_value(json_object_get(d, "code"));
	row = json_pack("{s:s,s:O,s:O,s:s,s:b}", "code", code, "status",
			json_object_get(d, "status"), "due_at", json_object_get(d, "due_at"),
			"sync", agent_sync_label(a, code, sqlite3_column_int64(st, 1)), "overdue",
			schema_dossier_overdue(d, now));
	if (row) {
		json_t *name = json_object_get(json_object_get(d, "applicant"), "name");
		json_t *proc = json_object_get(json_object_get(d, "procedure"), "name");
		if (name)
			json_object_set(row, "applicant", name);
		if (proc)
			json_object_set(row, "procedure", proc);
	}
	json_decref(d);
	return row;
}

int agent_list(agent *a, int status_filter, int overdue_only, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array(), *row;
	int64_t now = ds_time_now();
	int rc;

	*out = NULL;
	rc = ds_db_prepare(a->db,
			   "SELECT body, version FROM dossiers WHERE (?1 = 0 OR status = ?1) "
			   "AND (?2 = 0 OR (status NOT IN (3, 8, 9, 10) AND due_at < ?3)) "
			   "ORDER BY code",
			   &st);
	if (rc)
		goto done;
	sqlite3_bind_int(st, 1, status_filter);
	sqlite3_bind_int(st, 2, overdue_only);
	sqlite3_bind_int64(st, 3, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((row = list_row(a, st, now)) != NULL)
			json_array_append_new(list, row);
	}
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(a->db, rc, "dossiers");
done:
	sqlite3_finalize(st);
	if (rc)
		json_decref(list);
	else
		*out = list;
	return rc;
}

static int64_t scalar(agent *a, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st = NULL;
	int64_t v = dflt;

	if (ds_db_prepare(a->db, sql, &st))
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Open conflicts for one dossier (code) or all (NULL), and the oldest one's start. The
 * conflicts table arrives with a later schema step; without it there are none. */
static int open_conflicts(agent *a, const char *code, int64_t *count, int64_t *oldest)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*count = 0;
	if (oldest)
		*oldest = 0;
	if (sqlite3_table_column_metadata(a->db, NULL, "conflicts", "code", NULL, NULL, NULL,
					  NULL, NULL) != SQLITE_OK)
		return 0;
	rc = ds_db_prepare(a->db,
			   "SELECT count(*), min(since_epoch) FROM conflicts WHERE resolved_at IS "
			   "NULL AND (?1 IS NULL OR code = ?1)",
			   &st);
	if (rc)
		return rc;
	if (code)
		sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		if (oldest)
			*oldest = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return 0;
}

static void add_state(agent *a, json_t *o, const char *key)
{
	char *v = NULL;

	agent_state_get(a, key, &v);
	json_object_set_new(o, key, v ? json_string(v) : json_null());
	free(v);
}

static int64_t oldest_pending(agent *a)
{
	sqlite3_stmt *st = NULL;
	int64_t when = 0;

	if (ds_db_prepare(a->db,
			  "SELECT occurred_at FROM journal j WHERE NOT EXISTS (SELECT 1 FROM "
			  "op_state s WHERE s.seq = j.seq) ORDER BY seq LIMIT 1",
			  &st))
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		ds_time_parse((const char *)sqlite3_column_text(st, 0), &when, NULL);
	sqlite3_finalize(st);
	return when;
}

/* {"state": "ok" | "behind" | "forked" | "unknown", "central_seq", "message"}: what the
 * last answer from central said of this node's journal (tail.c). */
static json_t *tail_status(agent *a)
{
	char *state = NULL, *seq = NULL, *msg = NULL;
	json_t *o;

	agent_state_get(a, "tail_state", &state);
	agent_state_get(a, "tail_central_seq", &seq);
	agent_state_get(a, "tail_message", &msg);
	o = json_pack("{s:s, s:o, s:o}", "state", state ? state : "unknown", "central_seq",
	              seq ? json_integer(atoll(seq)) : json_null(), "message",
	              msg ? json_string(msg) : json_null());
	free(state);
	free(seq);
	free(msg);
	return o;
}

int agent_status(agent *a, json_t **out)
{
	int64_t now = ds_time_now(), first = oldest_pending(a), nconf, oldest_conf;
	json_t *o, *d = NULL;
	char *cursor = NULL;

	open_conflicts(a, NULL, &nconf, &oldest_conf);
	agent_state_get(a, "cursor", &cursor);
	o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:o}", "office", a->cfg.office,
		      "node", a->cfg.node, "central", a->cfg.central, "journal_seq",
		      (json_int_t)scalar(a, "SELECT max(seq) FROM journal", 0), "pending_ops",
		      (json_int_t)scalar(a,
					 "SELECT count(*) FROM journal j WHERE NOT EXISTS "
					 "(SELECT 1 FROM op_state s WHERE s.seq = j.seq)",
					 0),
		      "oldest_pending_age_s",
		      first ? json_integer(now - first > 0 ? now - first : 0) : json_null(),
		      "rejected_ops",
		      (json_int_t)scalar(a, "SELECT count(*) FROM op_state WHERE result = 'rejected'",
					 0),
		      "conflict_ops",
		      (json_int_t)scalar(a, "SELECT count(*) FROM op_state WHERE result = 'conflict'",
					 0),
		      "dossiers", (json_int_t)scalar(a, "SELECT count(*) FROM dossiers", 0),
		      "open_conflicts", (json_int_t)nconf, "oldest_conflict_age_s",
		      nconf ? json_integer(now - oldest_conf) : json_null());
	json_object_set_new(o, "central_cursor", json_integer(cursor ? atoll(cursor) : 0));
	free(cursor);
	add_state(a, o, "last_sync_at");
	add_state(a, o, "last_success_at");
	add_state(a, o, "last_error");
	add_state(a, o, "last_error_at");
	json_object_set_new(o, "journal_tail", tail_status(a));
	if (agent_daemon_status(a, &d) == 0)
		json_object_set_new(o, "daemon", d);
	*out = o;
	return 0;
}
