/* history_marks.c: what the sync rounds leave for the history catch-up (history.c). Each
 * round pass records a mark: the journal seq and feed cursor it reached, whether the local
 * branch may merge central there (every diverged dossier was merged) and the merge note.
 * The marks wait in sync_state under "history_marks" (a JSON array, oldest first) until the
 * catch-up has written them; "history_done" holds the seq of the last mark written and
 * the feed cursor the central branch has reached. Marks are bookkeeping: a lost one costs a merge
 * note, never a change, since the catch-up works from the journal and the inbox. */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>

#define MARKS_KEY "history_marks"
#define DONE_KEY "history_done"
#define RESUME_KEY "history_resume"

/* The JSON object stored under key in *out (a new empty object or array, per want_array,
 * when the key is absent); DS_ERROR when it holds anything else. */
static int state_json(agent *a, const char *key, int want_array, json_t **out)
{
	char *text = NULL;
	int rc = agent_state_get(a, key, &text);

	*out = NULL;
	if (!rc && text && ds_json_parse(text, strlen(text), out) == 0 &&
	    (want_array ? json_is_array(*out) : json_is_object(*out)))
		goto done;
	json_decref(*out);
	*out = NULL;
	if (!rc && text)
		rc = ds_error_set(DS_ERROR, "sync state %s is damaged", key);
	else if (!rc)
		*out = want_array ? json_array() : json_object();
done:
	free(text);
	return rc;
}

static int state_put_json(agent *a, const char *key, const json_t *v)
{
	char *text = NULL;
	int rc = ds_json_canonical(v, &text, NULL);

	if (!rc)
		rc = agent_state_set(a, key, text);
	free(text);
	return rc;
}

int64_t agent_mark_int(const json_t *mark, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(mark, key));
}

int agent_history_marks(agent *a, json_t **marks)
{
	return state_json(a, MARKS_KEY, 1, marks);
}

/* Adds the note of `from` to `to`'s. */
static void note_add(json_t *to, const json_t *from)
{
	const char *a = json_string_value(json_object_get(to, "note"));
	const char *b = json_string_value(json_object_get(from, "note"));
	char *both;

	if (!b || !*b)
		return;
	both = ds_asprintf("%s%s", a ? a : "", b);
	json_object_set_new(to, "note", json_string(both));
	free(both);
}

/* Appends mark m (taken) to marks. The first mark may be under way and is never changed;
 * behind it, a merging mark takes in every later one (merging central there is safe: every
 * dossier had been merged), and a mark that does not merge joins a last one that does not
 * merge either. So at most three marks wait, however many rounds run. */
static void marks_add(json_t *marks, json_t *m)
{
	size_t n = json_array_size(marks), i;
	json_t *last = n >= 2 ? json_array_get(marks, n - 1) : NULL;

	if (last && json_is_true(json_object_get(m, "merge"))) {
		json_t *all = json_object();
		for (i = 1; i < n; i++)
			note_add(all, json_array_get(marks, i));
		note_add(all, m);
		if (json_object_get(all, "note"))
			json_object_set(m, "note", json_object_get(all, "note"));
		json_decref(all);
		while (json_array_size(marks) > 1)
			json_array_remove(marks, json_array_size(marks) - 1);
	} else if (last && !json_is_true(json_object_get(last, "merge"))) {
		note_add(last, m);
		json_object_set(last, "seq", json_object_get(m, "seq"));
		json_object_set(last, "cursor", json_object_get(m, "cursor"));
		json_decref(m);
		return;
	}
	if (!json_object_get(m, "note"))
		json_object_set_new(m, "note", json_string(""));
	json_array_append_new(marks, m);
}

/* Runs fn in one transaction under the writer lock (taken here unless held). */
static int locked_tx(agent *a, int (*fn)(agent *a, void *arg), void *arg)
{
	int held = a->lock_fd >= 0, rc = agent_lock(a, -1);

	if (!rc)
		rc = agent_tx(a, fn, arg);
	if (!held)
		agent_unlock(a);
	return rc;
}

static int mark_tx(agent *a, void *arg)
{
	json_t *m = arg, *marks = NULL;
	int64_t seq = 0, cursor = 0;
	int rc;

	if ((rc = journal_max_seq(a, &seq)) ||
	    (rc = agent_query_int(a, ST_INBOX_MAX_CURSOR, 0, &cursor)) ||
	    (rc = agent_history_marks(a, &marks)))
		goto done;
	json_object_set_new(m, "seq", json_integer(seq));
	json_object_set_new(m, "cursor", json_integer(cursor));
	marks_add(marks, json_incref(m));
	rc = state_put_json(a, MARKS_KEY, marks);
done:
	json_decref(marks);
	return rc;
}

int agent_history_mark(agent *a, const char *note, int merge)
{
	json_t *m = json_pack("{s:b}", "merge", merge);
	int rc;

	if (note && *note)
		json_object_set_new(m, "note", json_string(note));
	rc = locked_tx(a, mark_tx, m);
	json_decref(m);
	return rc;
}

static int done_tx(agent *a, void *arg)
{
	json_t *marks = NULL, *done = NULL;
	int rc;

	(void)arg;
	if ((rc = agent_history_marks(a, &marks)) || json_array_size(marks) == 0)
		goto out;
	done = json_pack("{s:O,s:O}", "seq", json_object_get(json_array_get(marks, 0), "seq"),
	                 "cursor", json_object_get(json_array_get(marks, 0), "cursor"));
	json_array_remove(marks, 0);
	if ((rc = json_array_size(marks) ? state_put_json(a, MARKS_KEY, marks)
	                                 : agent_state_set(a, MARKS_KEY, NULL)) ||
	    (rc = agent_state_set(a, RESUME_KEY, NULL)))
		goto out;
	rc = state_put_json(a, DONE_KEY, done);
out:
	json_decref(marks);
	json_decref(done);
	return rc;
}

int agent_history_mark_done(agent *a)
{
	return locked_tx(a, done_tx, NULL);
}

static int central_tx(agent *a, void *arg)
{
	int64_t cursor = *(const int64_t *)arg;
	json_t *done = NULL;
	int rc = state_json(a, DONE_KEY, 0, &done);

	if (!rc && agent_mark_int(done, "cursor") < cursor) {
		json_object_set_new(done, "cursor", json_integer(cursor));
		rc = state_put_json(a, DONE_KEY, done);
	}
	json_decref(done);
	return rc;
}

int agent_history_central_done(agent *a, int64_t cursor)
{
	return locked_tx(a, central_tx, &cursor);
}

int agent_history_resume_get(agent *a, const char *head, char **code)
{
	char *v = NULL;
	size_t n = strlen(head);
	int rc = agent_state_get(a, RESUME_KEY, &v);

	*code = NULL;
	if (!rc && v && strncmp(v, head, n) == 0 && v[n] == ' ')
		*code = ds_strdup(v + n + 1);
	free(v);
	return rc;
}

static int resume_tx(agent *a, void *arg)
{
	return agent_state_set(a, RESUME_KEY, arg);
}

int agent_history_resume_set(agent *a, const char *head, const char *code)
{
	char *v = ds_asprintf("%s %s", head, code);
	int rc = locked_tx(a, resume_tx, v);

	free(v);
	return rc;
}

/* Journal entries the marks cover beyond the last one written, plus the feed's changes. */
static int behind(agent *a, const json_t *last, const json_t *done, int64_t *n)
{
	int64_t seq = agent_mark_int(last, "seq") - agent_mark_int(done, "seq");
	sqlite3_stmt *st = NULL;
	int rc = agent_stmt_get(a, ST_INBOX_COUNT, &st);

	*n = seq > 0 ? seq : 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, agent_mark_int(done, "cursor"));
	sqlite3_bind_int64(st, 2, agent_mark_int(last, "cursor"));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n += sqlite3_column_int64(st, 0);
	rc = rc == SQLITE_ROW ? 0 : ds_error_sqlite(agent_db(a), rc, "inbox");
	agent_stmt_put(st);
	return rc;
}

int agent_history_behind(agent *a, int64_t *changes, int64_t *marks_n)
{
	json_t *marks = NULL, *done = NULL;
	int rc;

	*changes = 0;
	if (marks_n)
		*marks_n = 0;
	if ((rc = agent_history_marks(a, &marks)) || json_array_size(marks) == 0)
		goto out;
	if (marks_n)
		*marks_n = (int64_t)json_array_size(marks);
	if (!(rc = state_json(a, DONE_KEY, 0, &done)))
		rc = behind(a, json_array_get(marks, json_array_size(marks) - 1), done, changes);
out:
	json_decref(marks);
	json_decref(done);
	return rc;
}
