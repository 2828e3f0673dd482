/* query.c: what a clerk or an operator reads: one dossier, the list (by status, overdue),
 * and the agent's status (pending ops and their age, last sync, errors, conflicts). */
#include "agent/agent_int.h"
#include "sync/sync.h"

#include <stdlib.h>
#include <string.h>

static int open_conflicts(agent *a, const char *code, int64_t *count, int64_t *oldest);

int agent_sync_label(agent *a, const char *code, int64_t version, const char **label)
{
	sqlite3_stmt *st = NULL;
	int64_t conflicts = 0;
	int rc;

	*label = version > 0 ? "synced" : "local";
	if ((rc = open_conflicts(a, code, &conflicts, NULL)))
		return rc;
	if (conflicts > 0) {
		*label = "conflict";
		return 0;
	}
	if ((rc = agent_stmt_get(a, ST_SYNC_LABEL, &st)))
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum agent_result k;
		rc = agent_result_parse((const char *)sqlite3_column_text(st, 0), &k);
		if (!rc && k == AGENT_PENDING)
			*label = "pending";
		else if (!rc && k == AGENT_REJECTED)
			*label = "rejected";
		else if (!rc && k == AGENT_CONFLICT)
			*label = "conflict";
	} else {
		rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
	}
	agent_stmt_put(st);
	return rc;
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
	if (sync && (rc = agent_sync_label(a, code, v, sync))) {
		json_decref(*dossier);
		*dossier = NULL;
	}
	return rc;
}

/* The list's row for the dossier row st is on, in *out. A body that does not parse or
 * has no code is an error naming the dossier, never a row left out. */
static int list_row(agent *a, sqlite3_stmt *st, int64_t now, json_t **out)
{
	const char *body = (const char *)sqlite3_column_text(st, 0);
	const char *code, *sync = NULL;
	json_t *d = NULL, *row;
	int rc;

	*out = NULL;
	if ((rc = ds_json_parse(body ? body : "", body ? strlen(body) : 0, &d)))
		return ds_error_set(DS_EINVALID, "a dossier row does not hold JSON: %s",
				    ds_error_msg());
	if (!(code = json_string_value(json_object_get(d, "code")))) {
		json_decref(d);
		return ds_error_set(DS_EINVALID, "a dossier row has no code");
	}
	if ((rc = agent_sync_label(a, code, sqlite3_column_int64(st, 1), &sync))) {
		json_decref(d);
		return rc;
	}
	row = json_pack("{s:s,s:O,s:O,s:s,s:b}", "code", code, "status",
			json_object_get(d, "status"), "due_at", json_object_get(d, "due_at"),
			"sync", sync, "overdue", schema_dossier_overdue(d, now));
	if (row) {
		json_t *name = json_object_get(json_object_get(d, "applicant"), "name");
		json_t *proc = json_object_get(json_object_get(d, "procedure"), "name");
		if (name)
			json_object_set(row, "applicant", name);
		if (proc)
			json_object_set(row, "procedure", proc);
	}
	json_decref(d);
	*out = row;
	return row ? 0 : ds_error_set(DS_ERROR, "out of memory");
}

int agent_list(agent *a, int status_filter, int overdue_only, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array(), *row;
	int64_t now = ds_time_now();
	int rc;

	*out = NULL;
	rc = agent_stmt_get(a, ST_DOSSIER_LIST, &st);
	if (rc)
		goto done;
	sqlite3_bind_int(st, 1, status_filter);
	sqlite3_bind_int(st, 2, overdue_only);
	sqlite3_bind_int64(st, 3, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = list_row(a, st, now, &row)))
			goto done;
		json_array_append_new(list, row);
	}
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "dossiers");
done:
	agent_stmt_put(st);
	if (rc)
		json_decref(list);
	else
		*out = list;
	return rc;
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
	if (sqlite3_table_column_metadata(agent_db(a), NULL, "conflicts", "code", NULL, NULL, NULL,
					  NULL, NULL) != SQLITE_OK)
		return 0;
	rc = agent_stmt_get(a, ST_CONFLICTS_OPEN_COUNT, &st);
	if (rc)
		return rc;
	if (code)
		sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		if (oldest)
			*oldest = sqlite3_column_int64(st, 1);
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "conflicts");
	agent_stmt_put(st);
	return rc;
}

/* Sets o[key] to the sync state value of key, or null when there is none. */
static int add_state(agent *a, json_t *o, const char *key)
{
	char *v = NULL;
	int rc = agent_state_get(a, key, &v);

	json_object_set_new(o, key, v ? json_string(v) : json_null());
	free(v);
	return rc;
}

/* The time of the oldest op without a receipt in *when, 0 when there is none. */
static int oldest_pending(agent *a, int64_t *when)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*when = 0;
	rc = agent_stmt_get(a, ST_PENDING_OLDEST, &st);
	if (rc)
		goto done;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		ds_time_parse((const char *)sqlite3_column_text(st, 0), when, NULL);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
done:
	agent_stmt_put(st);
	return rc;
}

/* {"state": "ok" | "behind" | "forked" | "unknown", "central_seq", "message"}: what the
 * last answer from central said of this node's journal (tail.c), in *out. */
static int tail_status(agent *a, json_t **out)
{
	char *state = NULL, *seq = NULL, *msg = NULL;
	int rc;

	*out = NULL;
	if ((rc = agent_state_get(a, "tail_state", &state)) ||
	    (rc = agent_state_get(a, "tail_central_seq", &seq)) ||
	    (rc = agent_state_get(a, "tail_message", &msg)))
		goto done;
	*out = json_pack("{s:s, s:o, s:o}", "state", state ? state : "unknown", "central_seq",
	                 seq ? json_integer(atoll(seq)) : json_null(), "message",
	                 msg ? json_string(msg) : json_null());
done:
	free(state);
	free(seq);
	free(msg);
	return rc;
}

/* The counts behind `status`; any failed query is the caller's error. */
typedef struct status_counts {
	int64_t seq, pending, first, rejected, conflict, dossiers, nconf, oldest_conf, cursor;
} status_counts;

static int status_counts_read(agent *a, status_counts *c)
{
	char *cursor = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = agent_query_int(a, ST_JOURNAL_MAX, 0, &c->seq)) ||
	    (rc = agent_query_int(a, ST_PENDING_COUNT,
	                          0, &c->pending)) ||
	    (rc = oldest_pending(a, &c->first)) ||
	    (rc = agent_query_int(a, ST_OPS_REJECTED, 0,
	                          &c->rejected)) ||
	    (rc = agent_query_int(a, ST_OPS_CONFLICT, 0,
	                          &c->conflict)) ||
	    (rc = agent_query_int(a, ST_DOSSIER_COUNT, 0, &c->dossiers)) ||
	    (rc = open_conflicts(a, NULL, &c->nconf, &c->oldest_conf)) ||
	    (rc = agent_state_get(a, "cursor", &cursor)))
		goto done;
	c->cursor = cursor ? atoll(cursor) : 0;
done:
	free(cursor);
	return rc;
}

/* clock_skew_s: how far this PC's clock is ahead of central's (negative: behind) as the
 * last sync measured, null when never measured; clock_ok: false past the tolerance. */
static int status_add_clock(agent *a, json_t *o)
{
	char *skew = NULL;
	int rc = agent_state_get(a, "clock_skew_s", &skew);
	long long s = skew ? atoll(skew) : 0;

	if (rc)
		return rc;
	json_object_set_new(o, "clock_skew_s", skew ? json_integer(s) : json_null());
	json_object_set_new(o, "clock_ok", json_boolean(!skew || (s <= SYNC_CLOCK_TOLERANCE_S &&
								  s >= -SYNC_CLOCK_TOLERANCE_S)));
	free(skew);
	return 0;
}

/* The sync state keys `status` shows as they are, and the journal tail verdict. */
static int status_add_states(agent *a, json_t *o)
{
	static const char *keys[] = {"last_sync_at", "last_success_at", "last_error",
	                             "last_error_at", "clock_checked_at"};
	json_t *tail = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < sizeof(keys) / sizeof(keys[0]); i++)
		rc = add_state(a, o, keys[i]);
	if (!rc && !(rc = tail_status(a, &tail)))
		json_object_set_new(o, "journal_tail", tail);
	return rc ? rc : status_add_clock(a, o);
}

int agent_status(agent *a, json_t **out)
{
	int64_t now = ds_time_now();
	json_t *o = NULL, *d = NULL;
	status_counts c;
	int rc;

	*out = NULL;
	if ((rc = status_counts_read(a, &c)))
		goto done;
	o = json_pack(
	    "{s:s,s:s,s:s,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:o,s:I}", "office", a->cfg.office, "node",
	    a->cfg.node, "central", a->cfg.central, "journal_seq", (json_int_t)c.seq, "pending_ops",
	    (json_int_t)c.pending, "oldest_pending_age_s",
	    c.first ? json_integer(now - c.first > 0 ? now - c.first : 0) : json_null(),
	    "rejected_ops", (json_int_t)c.rejected, "conflict_ops", (json_int_t)c.conflict,
	    "dossiers", (json_int_t)c.dossiers, "open_conflicts", (json_int_t)c.nconf,
	    "oldest_conflict_age_s", c.nconf ? json_integer(now - c.oldest_conf) : json_null(),
	    "central_cursor", (json_int_t)c.cursor);
	if ((rc = status_add_states(a, o)))
		goto done;
	if (agent_daemon_status(a, &d) == 0)
		json_object_set_new(o, "daemon", d);
	*out = o;
	o = NULL;
done:
	json_decref(o);
	return rc;
}
