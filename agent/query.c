/* query.c: what a clerk or an operator reads: one dossier, the list (by status, overdue),
 * and the agent's status (pending ops and their age, last sync, errors, conflicts). */
#include "agent/agent_int.h"
#include "sync/sync.h"

#include <stdio.h>
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

int agent_get(agent *a, const char *code, json_t **dossier, int64_t *version, const char **sync)
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

/* The time field name of d as Unix seconds in *t; -1 when absent or malformed. */
static int time_of(const json_t *d, const char *name, int64_t *t)
{
	const char *s = json_string_value(json_object_get(d, name));

	return s && ds_time_parse(s, t, NULL) == 0 ? 0 : -1;
}

void agent_verdict_fields(json_t *obj, const json_t *dossier, int64_t now)
{
	int v = schema_dossier_verdict(dossier, now), n = schema_supplement_requests(dossier);
	int64_t due = 0, end = 0;

	json_object_set_new(obj, "verdict", json_string(schema_verdict_name(v)));
	if (v == SCHEMA_VERDICT_LATE && !time_of(dossier, "due_at", &due) &&
	    (!time_of(dossier, "finished_at", &end) || !time_of(dossier, "returned_at", &end)) &&
	    end > due)
		json_object_set_new(obj, "late_by_s", json_integer(end - due));
	if (n > 0)
		json_object_set_new(obj, "supplement_requests", json_integer(n));
}

/* 1 when d passes the filters of f that are checked per row (late, overdue). */
static int row_wanted(const agent_find *f, const json_t *d, int64_t now)
{
	int v = schema_dossier_verdict(d, now);

	return (!f->late || v == SCHEMA_VERDICT_LATE) &&
	       (!f->overdue || v == SCHEMA_VERDICT_OVERDUE);
}

/* The list's row for dossier d (at central version), in *out. */
static int list_row(agent *a, const json_t *d, int64_t version, int64_t now, json_t **out)
{
	const char *code = json_string_value(json_object_get(d, "code")), *sync = NULL;
	json_t *row, *name, *proc;
	int rc;

	*out = NULL;
	if ((rc = agent_sync_label(a, code, version, &sync)))
		return rc;
	row = json_pack("{s:s,s:O,s:O,s:O,s:s,s:b}", "code", code, "status",
	                json_object_get(d, "status"), "received_at",
	                json_object_get(d, "received_at"), "due_at", json_object_get(d, "due_at"),
	                "sync", sync, "overdue", schema_dossier_overdue(d, now));
	if (!row)
		return ds_error_set(DS_ERROR, "out of memory");
	agent_verdict_fields(row, d, now);
	name = json_object_get(json_object_get(d, "applicant"), "name");
	proc = json_object_get(json_object_get(d, "procedure"), "name");
	if (name)
		json_object_set(row, "applicant", name);
	if (proc)
		json_object_set(row, "procedure", proc);
	*out = row;
	return 0;
}

/* The number of characters of UTF-8 text s: bytes that do not continue a character. */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* The search as an FTS5 phrase in *phrase (caller frees): folded, quotes doubled.
 * DS_EINVALID when fewer than 3 characters remain (the trigram index cannot find them). */
static int search_phrase(const char *search, char **phrase)
{
	char *folded = NULL;
	ds_buf b = DS_BUF_INIT;
	const char *p;
	int rc;

	*phrase = NULL;
	if ((rc = ds_text_fold(search, &folded)))
		return ds_error_wrap(rc, "--search");
	if (chars(folded) < 3) {
		free(folded);
		return ds_error_set(DS_EINVALID,
		                    "--search: give at least 3 characters (\"%s\" "
		                    "has fewer)",
		                    search);
	}
	ds_buf_puts(&b, "\"");
	for (p = folded; *p; p++)
		ds_buf_add(&b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
	ds_buf_puts(&b, "\"");
	free(folded);
	*phrase = ds_buf_detach(&b, NULL);
	return 0;
}

/* Binds value to the named parameter of st when the statement has it. */
static void bind_named(sqlite3_stmt *st, const char *name, int64_t value)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, value);
}

/* Prepares the SELECT for f in *st with its parameters bound; *phrase holds the search
 * text st reads (the caller frees it after st). */
static int find_statement(agent *a, const agent_find *f, int64_t now, sqlite3_stmt **st,
                          char **phrase)
{
	unsigned parts = (f->search ? FIND_TEXT : 0) | (f->status ? FIND_STATUS : 0) |
	                 (f->late ? FIND_ENDED : 0) | (f->overdue ? FIND_OVERDUE : 0) |
	                 (f->due_by ? FIND_DUE_SOON : 0) | (f->received_from ? FIND_FROM : 0) |
	                 (f->received_to ? FIND_TO : 0) | (f->pending ? FIND_PENDING : 0);
	int rc;

	*st = NULL;
	*phrase = NULL;
	if (f->search && (rc = search_phrase(f->search, phrase)))
		return rc;
	if ((rc = agent_find_prepare(a, parts, st)))
		return rc;
	if (*phrase)
		sqlite3_bind_text(*st, sqlite3_bind_parameter_index(*st, ":text"), *phrase, -1,
		                  SQLITE_STATIC);
	bind_named(*st, ":status", f->status);
	bind_named(*st, ":now", now);
	bind_named(*st, ":due_by", f->due_by);
	bind_named(*st, ":from", f->received_from);
	bind_named(*st, ":to", f->received_to);
	return 0;
}

/* Steps st, appending the dossiers that pass the per-row filters from f->offset on, at
 * most f->limit of them, to list. A dossier is read only when a filter needs it or it is
 * shown. */
static int find_rows(agent *a, const agent_find *f, sqlite3_stmt *st, int64_t now, json_t *list)
{
	int64_t skipped = 0, version = 0;
	int per_row = f->late || f->overdue, rc = SQLITE_DONE;
	json_t *d = NULL, *row = NULL;

	while ((!f->limit || (int64_t)json_array_size(list) < f->limit) &&
	       (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);

		if (!per_row && skipped < f->offset) {
			skipped++;
			continue;
		}
		if ((rc = agent_load(a, code, &d, &version)) ||
		    (rc = json_is_string(json_object_get(d, "code"))
		              ? 0
		              : ds_error_set(DS_EINVALID, "it has no code"))) {
			rc = ds_error_wrap(rc, "the dossier row of %s", code);
			goto done;
		}
		if (row_wanted(f, d, now) && skipped++ >= f->offset) {
			if ((rc = list_row(a, d, version, now, &row)))
				goto done;
			json_array_append_new(list, row);
		}
		json_decref(d);
		d = NULL;
	}
	if (f->limit && (int64_t)json_array_size(list) >= f->limit)
		return 0;
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "dossiers");
done:
	json_decref(d);
	return rc;
}

/* The start of calendar day `date` (YYYY-MM-DD) in +07:00, in *t. */
static int parse_day(const char *opt, const char *date, int64_t *t)
{
	char s[32];

	if (strlen(date) != 10 || date[4] != '-' || date[7] != '-')
		return ds_error_set(DS_EINVALID, "%s: '%s' is not a date like 2026-12-07", opt,
		                    date);
	snprintf(s, sizeof(s), "%sT00:00:00+07:00", date);
	if (ds_time_parse(s, t, NULL))
		return ds_error_set(DS_EINVALID, "%s: '%s' is not a date like 2026-12-07", opt,
		                    date);
	return 0;
}

/* The last second of the day `days` after today, in +07:00. */
static int64_t end_of_day(int64_t now, long long days)
{
	int64_t local = now + DS_TZ_VN * 60;

	return local - local % 86400 - DS_TZ_VN * 60 + (days + 1) * 86400 - 1;
}

/* A whole number >= 0 given to opt, in *n. */
static int opt_number(const char *opt, const char *arg, long long *n)
{
	char *end = NULL;

	*n = arg && *arg >= '0' && *arg <= '9' ? strtoll(arg, &end, 10) : -1;
	if (*n < 0 || !end || *end)
		return ds_error_set(DS_EINVALID, "%s: '%s' is not a whole number", opt,
		                    arg ? arg : "");
	return 0;
}

/* A flag's value: absent (the command line), 1/true or 0/false (a query parameter). */
static int flag_value(const char *name, const char *value, int *on)
{
	if (!value || !strcmp(value, "1") || !strcmp(value, "true"))
		*on = 1;
	else if (!strcmp(value, "0") || !strcmp(value, "false"))
		*on = 0;
	else
		return ds_error_set(DS_EINVALID, "--%s: '%s' is not 1 or 0", name, value);
	return 0;
}

int agent_find_option(agent_find *f, const char *name, const char *value, int64_t now)
{
	long long n = 0;
	char opt[32];
	int rc = 0;

	snprintf(opt, sizeof(opt), "--%s", name);
	if (!strcmp(name, "late") || !strcmp(name, "overdue") || !strcmp(name, "pending"))
		return flag_value(name, value,
		                  name[0] == 'l'   ? &f->late
		                  : name[0] == 'o' ? &f->overdue
		                                   : &f->pending);
	if (!value)
		return ds_error_set(DS_EUSAGE, "%s needs a value", opt);
	if (!strcmp(name, "search")) {
		f->search = value;
	} else if (!strcmp(name, "status")) {
		if (!(rc = opt_number(opt, value, &n)) && (n < 1 || n > 10))
			rc = ds_error_set(DS_EINVALID, "--status: '%s' is not 1-10", value);
		f->status = (int)n;
	} else if (!strcmp(name, "due-within")) {
		if (!(rc = opt_number(opt, value, &n)) && n > 3660)
			rc = ds_error_set(DS_EINVALID, "--due-within: '%s' days is too far", value);
		f->due_by = end_of_day(now, n);
	} else if (!strcmp(name, "received-from")) {
		rc = parse_day(opt, value, &f->received_from);
	} else if (!strcmp(name, "received-to")) {
		if (!(rc = parse_day(opt, value, &f->received_to)))
			f->received_to += 86400;
	} else if (!strcmp(name, "limit") || !strcmp(name, "offset")) {
		rc = opt_number(opt, value, &n);
		*(name[0] == 'l' ? &f->limit : &f->offset) = n;
	} else {
		rc = ds_error_set(DS_EUSAGE, "unknown filter '%s'", name);
	}
	return rc;
}

int agent_find_check(const agent_find *f)
{
	if (f->received_from && f->received_to && f->received_to <= f->received_from)
		return ds_error_set(DS_EINVALID, "--received-to is before --received-from");
	return 0;
}

int agent_find_list(agent *a, const agent_find *f, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	int64_t now = ds_time_now();
	char *phrase = NULL;
	int rc;

	*out = NULL;
	if (f->status < 0 || f->status > 10 || f->limit < 0 || f->offset < 0)
		rc = ds_error_set(DS_EINVALID, "list: status, limit or offset out of range");
	else if (!(rc = find_statement(a, f, now, &st, &phrase)))
		rc = find_rows(a, f, st, now, list);
	sqlite3_finalize(st);
	free(phrase);
	if (rc)
		json_decref(list);
	else
		*out = list;
	return rc;
}

int agent_list(agent *a, int status_filter, int overdue_only, json_t **out)
{
	agent_find f = {.status = status_filter, .overdue = overdue_only};

	return agent_find_list(a, &f, out);
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
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
	                                           : ds_error_sqlite(agent_db(a), rc, "conflicts");
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
	rc =
	    rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
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
	    (rc = agent_query_int(a, ST_PENDING_COUNT, 0, &c->pending)) ||
	    (rc = oldest_pending(a, &c->first)) ||
	    (rc = agent_query_int(a, ST_OPS_REJECTED, 0, &c->rejected)) ||
	    (rc = agent_query_int(a, ST_OPS_CONFLICT, 0, &c->conflict)) ||
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
	json_object_set_new(
	    o, "clock_ok",
	    json_boolean(!skew || (s <= SYNC_CLOCK_TOLERANCE_S && s >= -SYNC_CLOCK_TOLERANCE_S)));
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

/* history_behind: journal entries and feed changes the rounds left that history.git does
 * not hold yet (agent_history_behind). */
static int status_add_history(agent *a, json_t *o)
{
	int64_t n = 0;
	int rc = agent_history_behind(a, &n, NULL);

	if (!rc)
		json_object_set_new(o, "history_behind", json_integer(n));
	return rc;
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
	if ((rc = status_add_states(a, o)) || (rc = status_add_history(a, o)))
		goto done;
	if (agent_daemon_status(a, &d) == 0)
		json_object_set_new(o, "daemon", d);
	if ((rc = agent_attach_backlog(a, &d)))
		goto done;
	json_object_set_new(o, "attachments", d);
	*out = o;
	o = NULL;
done:
	json_decref(o);
	return rc;
}
