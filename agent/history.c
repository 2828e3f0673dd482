/* history.c: keeps DATA/history.git in step with the store. The central branch mirrors
 * the inbox (trailer Central-Cursor), the local branch the replay of the journal and the
 * inbox after each round (trailers Journal-Seq and Central-Cursor, second parent: the
 * central head it merged), never the rows, which a shell can edit (replay.c). Both are
 * caught up from the database alone, so a crash or a deleted history.git is repaired on
 * the next round; `verify` only reads. */
#include "agent/agent_int.h"
#include "conflict/conflict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 500

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

/* Commits one chunk of states on a branch and writes it out as its own pack, so memory
 * stays bounded by the chunk however far behind history is. Every chunk carries
 * trailers that are true of it, so a crash between chunks resumes from the last one. */
static int commit_chunk(agent *a, conflict_history *h, const char *branch, json_t *changes,
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
	if (!rc)
		rc = conflict_history_begin(h);
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

static int catch_up_central(agent *a, conflict_history *h)
{
	int64_t from = trailer_num(h, "central", "Central-Cursor"), last = from;
	sqlite3_stmt *st = NULL;
	json_t *changes = json_object();
	int rows = 0, rc;

	rc = agent_stmt_get(a, ST_INBOX_FROM, &st);
	if (rc)
		goto done;
	sqlite3_bind_int64(st, 1, from);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = inbox_change(st, changes, &last)))
			break;
		if (++rows % CHUNK == 0) {
			char msg[128], cur[32];
			json_t *tr;
			snprintf(msg, sizeof(msg), "central: %d changes to cursor %lld", rows,
			         (long long)last);
			snprintf(cur, sizeof(cur), "%lld", (long long)last);
			tr = json_pack("{s:s}", "Central-Cursor", cur);
			rc = commit_chunk(a, h, "central", changes, msg, tr, NULL, NULL);
			json_decref(tr);
			json_object_clear(changes);
		}
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = ds_error_sqlite(agent_db(a), rc, "inbox");
	if (!rc && json_object_size(changes)) {
		char msg[128], cur[32];
		json_t *tr;
		snprintf(msg, sizeof(msg), "central: changes %lld-%lld of the feed",
		         (long long)from + 1, (long long)last);
		snprintf(cur, sizeof(cur), "%lld", (long long)last);
		tr = json_pack("{s:s}", "Central-Cursor", cur);
		rc = commit_chunk(a, h, "central", changes, msg, tr, NULL, NULL);
		json_decref(tr);
	}
done:
	agent_stmt_put(st);
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

/* Commits changes as a chunk that is not the last: its trailers keep the old values, as
 * not every change is in yet. */
static int commit_partial(agent *a, conflict_history *h, json_t *changes, json_t *same,
                          const char *msg, int64_t j0, int64_t c0)
{
	json_t *old = local_trailers(j0, c0);
	int rc = commit_chunk(a, h, "local", changes, msg, old, NULL, same);

	json_decref(old);
	json_object_clear(changes);
	json_object_clear(same);
	return rc;
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

/* Adds the replayed state of code to changes; when it is central's newest, which the
 * central branch (caught up first) has, its tree is reused (same). A row that differs
 * from the replay is logged, never committed; a dossier the replay cannot rebuild (an op
 * today's rules refuse) keeps what history holds. */
static int add_replayed(agent *a, const char *code, json_t *changes, json_t *same)
{
	json_t *state = NULL;
	char *why = NULL;
	int central = 0;
	int rc = agent_replay(a, code, &state, &central, &why);

	if (rc)
		return rc;
	if (why)
		ds_log(DS_LOG_WARN, "history takes the replay, not the row: %s", why);
	if (central)
		json_object_set_new(same, code, json_true());
	if (state)
		json_object_set_new(changes, code, state);
	free(why);
	return 0;
}

static int catch_up_local(agent *a, conflict_history *h, const char *note, int merge)
{
	int64_t j0 = trailer_num(h, "local", "Journal-Seq");
	int64_t c0 = trailer_num(h, "local", "Central-Cursor");
	int64_t c1 = trailer_num(h, "central", "Central-Cursor"), j1 = 0;
	char head[CONFLICT_OID_HEX], *msg = NULL;
	json_t *changes = json_object(), *same = json_object(), *tr = NULL;
	int has_central = conflict_history_head(h, "central", head) == 0;
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc;

	if ((rc = journal_max_seq(a, &j1)))
		goto done;
	msg = local_message(a, j0, j1, merge ? c1 : c0, note);
	if ((rc = changed_codes(a, j0, c0, &st)))
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);
		if (json_object_size(changes) >= CHUNK &&
		    (rc = commit_partial(a, h, changes, same, msg, j0, c0)))
			goto done;
		if ((rc = add_replayed(a, code, changes, same)))
			goto done;
		n++;
	}
	if (rc != SQLITE_DONE) {
		rc = ds_error_sqlite(agent_db(a), rc, "history");
		goto done;
	}
	rc = 0;
	if (n == 0 && (c1 == c0 || !merge || !has_central))
		goto done;
	tr = local_trailers(j1, merge ? c1 : c0);
	rc = commit_chunk(a, h, "local", changes, msg, tr, merge && has_central ? "central" : NULL,
	                  same);
done:
	agent_stmt_put(st);
	json_decref(same);
	free(msg);
	json_decref(tr);
	json_decref(changes);
	return rc;
}

int agent_history_catch_up(agent *a, const char *note, int merge)
{
	conflict_history *h;
	int held = a->lock_fd >= 0, rc;

	if ((rc = agent_lock(a, -1)))
		return rc;
	if ((rc = agent_history(a, &h)) || (rc = conflict_history_begin(h)))
		goto done;
	rc = catch_up_central(a, h);
	if (!rc)
		rc = catch_up_local(a, h, note, merge);
	if (!rc)
		rc = conflict_history_flush(h);
	else
		conflict_history_flush(h); /* what was committed before the failure stays */
done:
	if (!held)
		agent_unlock(a);
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
