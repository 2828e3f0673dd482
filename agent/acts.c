/* acts.c: who made each side's value of a field both sides of a merge changed, and when
 * (the true time of the act), for two PCs of one office (docs/DESIGN-NOTES.md "Two PCs
 * of one office"). Theirs: the inbox change after the ancestor that last set the field,
 * with its node, kind and occurred_at from the feed. Ours: the conflicted local op that
 * last set it, found by replaying them on the ancestor. A merge op hides the act behind
 * the value, so its time counts as unknown (a person decides). */
#include "agent/agent_int.h"
#include "conflict/conflict.h"

#include <stdlib.h>
#include <string.h>

static int same(const json_t *x, const json_t *y)
{
	if (!x || !y)
		return x == y;
	return json_equal((json_t *)x, (json_t *)y);
}

/* The true time of an act of kind at text; 0 when unknown (a merge, no time). */
static int64_t act_time(const char *kind, const char *text)
{
	int64_t when = 0;

	if (!kind || !text || !strcmp(kind, "merge") || ds_time_parse(text, &when, NULL))
		return 0;
	return when;
}

/* Keeps in *last a copy of the field's value in state when it differs from *last; 1 then. */
static int changed(const json_t *state, const char *path, json_t **last)
{
	const json_t *v = conflict_field_get(state, path);

	if (same(v, *last))
		return 0;
	json_decref(*last);
	*last = v ? json_deep_copy(v) : NULL;
	return 1;
}

/* Theirs: the inbox change after x->at that last set path. *peer when another node of the
 * office made it (not central, not this node). */
static int theirs_act(const agent_acts *x, const char *path, int *peer, int64_t *when)
{
	json_t *last = json_deep_copy(conflict_field_get(x->ancestor, path)), *state = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	rc = agent_stmt_get(x->a, ST_ACTS_INBOX, &st);
	if (rc)
		goto done;
	sqlite3_bind_text(st, 1, x->code, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, x->at);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *node = (const char *)sqlite3_column_text(st, 0);
		if ((rc = ds_json_parse((const char *)sqlite3_column_text(st, 3),
		                        (size_t)sqlite3_column_bytes(st, 3), &state)))
			goto done;
		if (changed(state, path, &last)) {
			*peer = strcmp(node, "central") != 0 && strcmp(node, x->a->cfg.node) != 0;
			*when = act_time((const char *)sqlite3_column_text(st, 1),
			                 (const char *)sqlite3_column_text(st, 2));
		}
		json_decref(state);
		state = NULL;
	}
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(x->a), rc, "inbox");
done:
	agent_stmt_put(st);
	json_decref(state);
	json_decref(last);
	return rc;
}

/* Ours: the conflicted local op on the dossier that last set path, replayed in seq order
 * on the ancestor (the local row is the ancestor plus exactly these ops). */
static int ours_act(const agent_acts *x, const char *path, int64_t *when)
{
	json_t *last = json_deep_copy(conflict_field_get(x->ancestor, path));
	json_t *state = json_deep_copy(x->ancestor), *op = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	rc = agent_stmt_get(x->a, ST_ACTS_JOURNAL, &st);
	if (rc)
		goto done;
	sqlite3_bind_text(st, 1, x->code, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		op = journal_row_to_op(st);
		if ((rc = schema_op_apply(&state, op)))
			goto done;
		if (changed(state, path, &last))
			*when = act_time(json_string_value(json_object_get(op, "kind")),
			                 json_string_value(json_object_get(op, "occurred_at")));
		json_decref(op);
		op = NULL;
	}
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(x->a), rc, "journal");
done:
	agent_stmt_put(st);
	json_decref(op);
	json_decref(state);
	json_decref(last);
	return rc;
}

int agent_acts_of(void *ctx, const char *path, conflict_acts *out)
{
	const agent_acts *x = ctx;
	int rc;

	if (!x->ancestor || x->at <= 0)
		return DS_ENOTFOUND; /* no inbox ancestor: nothing to compare the acts from */
	if ((rc = theirs_act(x, path, &out->peer, &out->theirs_at)) || !out->peer)
		return rc;
	if (ours_act(x, path, &out->ours_at))
		out->ours_at = 0; /* not known: a person decides */
	return 0;
}
