/* history.c: keeps DATA/history.git in step with the store, after the sync rounds and in
 * small steps towards the marks the rounds left (history_marks.c). A step holds
 * DIR/history.lock (one writer of history.git), reads agent.db in one read transaction,
 * writes one commit as one pack, and takes the writer lock only to record how far it got. The
 * central branch mirrors the inbox (trailer Central-Cursor), the local branch the replay of the
 * journal and the inbox at each mark (trailers Journal-Seq and Central-Cursor, second parent: the
 * central commit it merged), never the rows, which a shell can edit (replay.c). Both are caught up
 * from the database alone, so a crash or a deleted history.git is repaired by the next catch-up. */
#include "agent/agent_int.h"
#include "conflict/conflict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int agent_history(agent *a, conflict_history **out)
{
	char *p;
	int rc = 0;

	if (!a->hist) {
		p = ds_path_join(a->dir, "history.git");
		rc = conflict_history_open(&a->hist, p);
		free(p);
	}
	*out = a->hist;
	return rc;
}

static int64_t trailer_num(conflict_history *h, const char *branch, const char *key)
{
	char *v = NULL;
	int64_t n = 0;

	if (conflict_history_trailer(h, branch, key, &v) == 0 && v)
		n = atoll(v);
	free(v);
	return n;
}

/* A step reads the store in one read transaction (one snapshot, no writer lock: clerks go
 * on writing meanwhile) and ends it before it writes history.git. */
static int read_begin(agent *a)
{
	return ds_db_exec(agent_db(a), "BEGIN DEFERRED");
}

static int read_end(agent *a, int rc)
{
	if (rc)
		ds_db_rollback(agent_db(a));
	else
		rc = ds_db_commit(agent_db(a));
	return rc;
}

/* Commits one step's states on a branch and writes it out as its own pack, so memory and
 * the writer lock's hold stay bounded by the step however far behind history is. Every
 * commit carries trailers that are true of it, so a crash between steps resumes there. */
static int commit_step(agent *a, conflict_history *h, const char *branch, json_t *changes,
                       const char *message, json_t *trailers, const char *merge_parent,
                       const json_t *same)
{
	conflict_commit c = {
	    branch,   changes,      message,
	    trailers, merge_parent, strcmp(branch, "central") ? a->cfg.node : "central",
	    0,        same};
	int rc = agent_cancelled(a);

	if (!rc)
		rc = conflict_history_commit(h, &c, NULL);
	if (!rc)
		rc = conflict_history_flush(h);
	return rc;
}

/* Adds the inbox row at st to changes as {code: state}; *last: its cursor. The inbox holds
 * only objects: anything else is a damaged store, never a deletion. */
static int inbox_change(sqlite3_stmt *st, json_t *changes, int64_t *last)
{
	const char *s = (const char *)sqlite3_column_text(st, 2);
	json_t *state = NULL;
	int rc;

	*last = sqlite3_column_int64(st, 0);
	rc = ds_json_parse(s ? s : "", s ? strlen(s) : 0, &state);
	if (!rc && !json_is_object(state))
		rc = ds_error_set(DS_ERROR, "not an object");
	if (rc) {
		json_decref(state);
		return ds_error_wrap(DS_ERROR, "the inbox state at cursor %lld is damaged",
		                     (long long)*last);
	}
	json_object_set_new(changes, (const char *)sqlite3_column_text(st, 1), state);
	return 0;
}

/* One step of the central branch: the next AGENT_HISTORY_STEP changes of the inbox after
 * cursor `from`, up to `to`, as one commit. *did: 0 when there were none. */
static int central_step(agent *a, conflict_history *h, int64_t from, int64_t to, int *did)
{
	int64_t last = from;
	sqlite3_stmt *st = NULL;
	json_t *changes = json_object(), *tr = NULL;
	char msg[128], cur[32];
	int rc;

	*did = 0;
	if ((rc = read_begin(a)) || (rc = agent_stmt_get(a, ST_INBOX_FROM, &st)))
		goto done;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int(st, 3, AGENT_HISTORY_STEP);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = inbox_change(st, changes, &last)))
			goto done;
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "inbox");
done:
	agent_stmt_put(st);
	rc = read_end(a, rc);
	if (!rc && last > from) {
		*did = 1;
		snprintf(msg, sizeof(msg), "central: changes %lld-%lld of the feed",
		         (long long)from + 1, (long long)last);
		snprintf(cur, sizeof(cur), "%lld", (long long)last);
		tr = json_pack("{s:s}", "Central-Cursor", cur);
		if (!(rc = commit_step(a, h, "central", changes, msg, tr, NULL, NULL)))
			rc = agent_history_central_done(a, last);
	}
	json_decref(tr);
	json_decref(changes);
	return rc;
}

/* The codes whose dossiers changed since the local head (journal seqs > j0, inbox > c0),
 * one row each, streamed: a backlog of 100,000 dossiers is not held in memory. */
static int changed_codes(agent *a, int64_t j0, int64_t c0, sqlite3_stmt **st)
{
	int rc = agent_stmt_get(a, ST_CHANGED_CODES, st);

	if (rc)
		return rc;
	sqlite3_bind_int64(*st, 1, j0);
	sqlite3_bind_int64(*st, 2, c0);
	return 0;
}

/* The local branch's trailers: the journal seq and central cursor a commit covers. */
static json_t *local_trailers(int64_t seq, int64_t cursor)
{
	char js[32], cs[32];

	snprintf(js, sizeof(js), "%lld", (long long)seq);
	snprintf(cs, sizeof(cs), "%lld", (long long)cursor);
	return json_pack("{s:s,s:s}", "Journal-Seq", js, "Central-Cursor", cs);
}

static char *local_message(agent *a, int64_t j0, int64_t j1, int64_t c, const char *note)
{
	const char *sep = note && *note ? "\n\n" : "";

	if (j1 > j0)
		return ds_asprintf("office %s: journal %lld-%lld, central feed to %lld%s%s",
		                   a->cfg.node, (long long)j0 + 1, (long long)j1, (long long)c, sep,
		                   note ? note : "");
	return ds_asprintf("office %s: central feed to %lld%s%s", a->cfg.node, (long long)c, sep,
	                   note ? note : "");
}

/* What one step of the local branch works on: the mark's range beyond the local head
 * (journal (j0, j1], feed (c0, c1]), the central branch's cursor cc, and where the step
 * before stopped. */
struct local_range {
	int64_t j0, j1, c0, c1, cc, inbox_max;
	const char *after; /* codes after this one ("" for all) */
};

/* 1 in *yes when the central branch holds code's newest inbox state, so its tree can be
 * taken from there: always when the branch holds the whole inbox. */
static int central_has(agent *a, const struct local_range *r, const char *code, int *yes)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*yes = 1;
	if (r->inbox_max <= r->cc)
		return 0;
	if ((rc = agent_stmt_get(a, ST_INBOX_CODE_CURSOR, &st)))
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*yes = sqlite3_column_int64(st, 0) <= r->cc;
	rc = rc == SQLITE_ROW ? 0 : ds_error_sqlite(agent_db(a), rc, "inbox");
	agent_stmt_put(st);
	return rc;
}

/* Adds the replayed state of code to changes; when it is central's newest, which the
 * central branch (caught up first) has, its tree is reused (same). A row that differs
 * from the replay is logged, never committed; a dossier the replay cannot rebuild (an op
 * today's rules refuse) keeps what history holds. */
static int add_replayed(agent *a, const struct local_range *r, const char *code, json_t *changes,
                        json_t *same)
{
	json_t *state = NULL;
	char *why = NULL;
	int central = 0;
	int rc = agent_replay(a, code, &state, &central, &why);

	if (!rc && central)
		rc = central_has(a, r, code, &central);
	if (rc) {
		json_decref(state);
		free(why);
		return rc;
	}
	if (why)
		ds_log(DS_LOG_WARN, "history takes the replay, not the row: %s", why);
	if (central)
		json_object_set_new(same, code, json_true());
	if (state)
		json_object_set_new(changes, code, state);
	free(why);
	return 0;
}

/* Replays the next AGENT_HISTORY_STEP codes of r into changes; *more when codes remain,
 * *last the last code taken (caller frees). */
static int step_codes(agent *a, const struct local_range *r, json_t *changes, json_t *same,
                      int *more, char **last)
{
	sqlite3_stmt *st = NULL;
	int n = 0, rc = agent_stmt_get(a, ST_CHANGED_STEP, &st);

	*more = 0;
	*last = NULL;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, r->j0);
	sqlite3_bind_int64(st, 2, r->j1);
	sqlite3_bind_int64(st, 3, r->c0);
	sqlite3_bind_int64(st, 4, r->c1);
	sqlite3_bind_text(st, 5, r->after, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, AGENT_HISTORY_STEP + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);
		if (n++ == AGENT_HISTORY_STEP) {
			*more = 1;
			break;
		}
		free(*last);
		*last = ds_strdup(code);
		if ((rc = add_replayed(a, r, code, changes, same)))
			break;
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = ds_error_sqlite(agent_db(a), rc, "history");
	agent_stmt_put(st);
	return rc;
}

/* Fills r from the branches' trailers and the mark; *after: where the last step stopped
 * (caller frees), valid only while the local head is the commit that step wrote. */
static int local_range_get(agent *a, conflict_history *h, const json_t *m, struct local_range *r,
                           char **after)
{
	char head[CONFLICT_OID_HEX] = "";
	int rc;

	r->j0 = trailer_num(h, "local", "Journal-Seq");
	r->c0 = trailer_num(h, "local", "Central-Cursor");
	r->cc = trailer_num(h, "central", "Central-Cursor");
	r->j1 = agent_mark_int(m, "seq") > r->j0 ? agent_mark_int(m, "seq") : r->j0;
	r->c1 = agent_mark_int(m, "cursor") > r->c0 ? agent_mark_int(m, "cursor") : r->c0;
	if (r->cc > r->c1)
		r->c1 = r->cc;
	if ((rc = agent_query_int(a, ST_INBOX_MAX_CURSOR, 0, &r->inbox_max)))
		return rc;
	if (conflict_history_head(h, "local", head) != 0)
		ds_error_clear();
	rc = agent_history_resume_get(a, head, after);
	r->after = *after ? *after : "";
	return rc;
}

/* The step's commit: a partial one keeps the old trailers, as not every change is in
 * yet, and records where it stopped; the last one moves the trailers and, when the mark
 * allows it, merges central. *finished: the mark is written. */
static int local_commit(agent *a, conflict_history *h, const json_t *m, const struct local_range *r,
                        json_t *changes, json_t *same, int more, const char *last, int *finished)
{
	char head[CONFLICT_OID_HEX] = "";
	int merge = json_is_true(json_object_get(m, "merge"));
	int has_central = conflict_history_head(h, "central", head) == 0;
	char *msg = local_message(a, r->j0, r->j1, merge ? r->c1 : r->c0,
	                          json_string_value(json_object_get(m, "note")));
	json_t *tr =
	    more ? local_trailers(r->j0, r->c0) : local_trailers(r->j1, merge ? r->c1 : r->c0);
	int rc = 0;

	ds_error_clear();
	if (more || json_object_size(changes) || (r->c1 != r->c0 && merge && has_central))
		rc = commit_step(a, h, "local", changes, msg, tr,
		                 !more && merge && has_central ? "central" : NULL, same);
	if (!rc && more && conflict_history_head(h, "local", head) == 0)
		rc = agent_history_resume_set(a, head, last);
	else if (!rc && !more && !(rc = agent_history_mark_done(a)))
		*finished = 1;
	free(msg);
	json_decref(tr);
	return rc;
}

/* One step of the local branch towards mark m. */
static int local_step(agent *a, conflict_history *h, const json_t *m, int *finished)
{
	json_t *changes = json_object(), *same = json_object();
	struct local_range r;
	char *after = NULL, *last = NULL;
	int more = 0, rc;

	if (!(rc = read_begin(a))) {
		if (!(rc = local_range_get(a, h, m, &r, &after)))
			rc = step_codes(a, &r, changes, same, &more, &last);
		rc = read_end(a, rc);
	}
	if (!rc)
		rc = local_commit(a, h, m, &r, changes, same, more, last, finished);
	free(after);
	free(last);
	json_decref(changes);
	json_decref(same);
	return rc;
}

/* One step towards the oldest mark: the central branch up to its cursor first, then the
 * local branch up to its journal seq. */
static int step_in(agent *a, conflict_history *h, const json_t *m, int *finished)
{
	int64_t cc = trailer_num(h, "central", "Central-Cursor");
	int did = 0, rc = 0;

	*finished = 0;
	if (cc < agent_mark_int(m, "cursor") &&
	    (rc = central_step(a, h, cc, agent_mark_int(m, "cursor"), &did)))
		return rc;
	return did ? 0 : local_step(a, h, m, finished);
}

int agent_history_step(agent *a, int *more)
{
	conflict_history *h;
	json_t *marks = NULL;
	long holder = 0;
	int fd = -1, finished = 0, rc;

	*more = 0;
	/* Nothing to do takes no lock: a reader of a store it may not write is not bothered. */
	if ((rc = agent_history_marks(a, &marks)) || json_array_size(marks) == 0)
		goto done;
	json_decref(marks);
	marks = NULL;
	rc = agent_lock_file(a, "history.lock", agent_lock_wait_ms(), &fd, &holder);
	if (rc == DS_ERETRY)
		rc = ds_error_set(DS_ERETRY,
		                  "history.git of %s is being caught up by another process (pid "
		                  "%ld); try again",
		                  a->dir, holder);
	/* Read again under the lock: another process may have written them meanwhile. */
	if (rc || (rc = agent_history_marks(a, &marks)) || json_array_size(marks) == 0)
		goto done;
	if ((rc = agent_history(a, &h)) || (rc = conflict_history_begin(h)))
		goto done;
	rc = step_in(a, h, json_array_get(marks, 0), &finished);
	conflict_history_flush(h); /* closes the batch a failed step left open */
	*more = !rc && (!finished || json_array_size(marks) > 1);
done:
	/* Opened again next step: another process may write history between two steps. */
	conflict_history_free(a->hist);
	a->hist = NULL;
	json_decref(marks);
	agent_unlock_file(&fd);
	return rc;
}

/* What is left for the progress line; a failed count only leaves the line unchanged (the
 * step itself reports its own errors). */
static int64_t history_left(agent *a, int64_t dflt)
{
	int64_t left = 0, marks = 0;

	return agent_history_behind(a, &left, &marks) == 0 ? left : dflt;
}

int agent_history_catch_up(agent *a)
{
	int64_t total = a->progress ? history_left(a, 0) : 0, done = 0;
	int more = 1, rc = 0;

	if (total > 0)
		ds_progress_begin(a->progress, "history", total);
	while (!rc && more) {
		rc = agent_history_step(a, &more);
		if (!rc && total > 0) {
			int64_t now = total - history_left(a, total - done);
			ds_progress_add(a->progress, now - done);
			done = now;
		}
	}
	if (total > 0)
		ds_progress_end(a->progress);
	return rc;
}

int agent_history_ready(agent *a)
{
	int rc = agent_history_catch_up(a);

	if (rc)
		ds_log(DS_LOG_WARN, "history.git is not caught up with the last sync: %s",
		       ds_error_msg());
	return rc;
}

int agent_history_log(agent *a, const char *code, json_t **out)
{
	conflict_history *h;
	int rc = agent_history(a, &h);

	*out = NULL;
	return rc ? rc : conflict_history_log(h, code, out);
}

/* 1 in *current when history holds every change of the store: the trailers are at the
 * newest journal entry and feed cursor, and no dossier changed after the local head. */
static int history_current(agent *a, conflict_history *h, int *current)
{
	int64_t j0 = trailer_num(h, "local", "Journal-Seq");
	int64_t c0 = trailer_num(h, "local", "Central-Cursor");
	sqlite3_stmt *st = NULL;
	int64_t j1 = 0;
	int rc;

	*current = 0;
	if ((rc = journal_max_seq(a, &j1)))
		return rc;
	if (j0 != j1 || trailer_num(h, "central", "Central-Cursor") != c0)
		return 0;
	if ((rc = changed_codes(a, j0, c0, &st)))
		return rc;
	rc = sqlite3_step(st);
	*current = rc == SQLITE_DONE;
	rc =
	    rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "history");
	agent_stmt_put(st);
	return rc;
}

int agent_history_check(agent *a, const json_t *states, const char **note)
{
	char *p = ds_path_join(a->dir, "history.git"), *head = ds_path_join(p, "HEAD");
	conflict_history *h = NULL;
	int current = 0, rc = 0;

	*note = "history.git is missing: the next sync rebuilds it";
	if (access(head, F_OK) != 0)
		goto done;
	if ((rc = conflict_history_open(&h, p)) || (rc = history_current(a, h, &current)))
		goto done;
	*note = "history.git is behind the store: the next sync catches it up";
	if (current && (rc = conflict_history_verify(h, states, NULL)) == 0)
		*note = "history agrees with the replay of the journal and inbox";
done:
	conflict_history_free(h);
	free(head);
	free(p);
	return rc;
}
