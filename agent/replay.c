/* replay.c: what a dossier row may hold, worked out from the canonical tables alone (the
 * journal, its receipts and the inbox), never from the row. Each local op is applied with
 * schema_op_apply to the state it was made on: the state after the op before it, or
 * central's state at the op's base when the row had taken it from the inbox since. When
 * the tables cannot tell which (a receipt's timing), both are kept: a small set of states. */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CANDIDATES 16

typedef struct replay {
	agent *a;
	const char *code;
	sqlite3_stmt *at; /* inbox state of code at a version */
} replay;

/* Adds a copy of state to set unless an equal one is there (or the set is full). */
static void set_add(json_t *set, const json_t *state)
{
	const json_t *s;
	size_t i;

	if (!state || json_array_size(set) >= MAX_CANDIDATES)
		return;
	json_array_foreach(set, i, s) if (ds_json_same(s, state)) return;
	json_array_append_new(set, json_deep_copy(state));
}

static void set_extend(json_t *set, const json_t *more)
{
	const json_t *s;
	size_t i;

	json_array_foreach(more, i, s) set_add(set, s);
}

/* Central's state of the code at version v from the inbox, or NULL (caller decrefs). */
static json_t *inbox_at(replay *r, int64_t v)
{
	json_t *state = NULL;

	if (v <= 0)
		return NULL;
	sqlite3_reset(r->at);
	sqlite3_bind_text(r->at, 1, r->code, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->at, 2, v);
	if (sqlite3_step(r->at) == SQLITE_ROW &&
	    ds_json_parse((const char *)sqlite3_column_text(r->at, 0),
	                  (size_t)sqlite3_column_bytes(r->at, 0), &state))
		state = NULL;
	sqlite3_reset(r->at);
	return state;
}

/* The states op may have been made on. prev: the set after the op before it on the code
 * (NULL for the first); result, v: that op's receipt (AGENT_PENDING when none) and its
 * version. */
static json_t *priors(replay *r, const json_t *op, const json_t *prev, enum agent_result result,
                      int64_t v)
{
	const char *kind = json_string_value(json_object_get(op, "kind"));
	int64_t base = json_integer_value(json_object_get(op, "base"));
	int acked = result == AGENT_APPLIED || result == AGENT_DUPLICATE;
	int dropped = result == AGENT_REJECTED || result == AGENT_SUPERSEDED;
	json_t *set = json_array(), *central = NULL;
	int keep_prev = 1;

	if (!strcmp(kind, "create"))
		return set;
	if (!strcmp(kind, "merge") || !prev) {
		/* A merge rests on central's state, and so does a first op. */
		central = inbox_at(r, base);
		keep_prev = !central;
	} else if ((acked && base >= v) || dropped) {
		/* The row may have taken central's state at base once the op before had its
		 * receipt (at v; equal to it when base == v). */
		central = inbox_at(r, base);
		keep_prev = !central || base == v || dropped;
	}
	set_add(set, central);
	json_decref(central);
	if (keep_prev && prev)
		set_extend(set, prev);
	return set;
}

/* The states after op: op applied to each state it may have been made on. */
static json_t *apply_all(const json_t *op, const json_t *before)
{
	json_t *after = json_array(), *s;
	const json_t *b;
	size_t i;

	if (!strcmp(json_string_value(json_object_get(op, "kind")), "create")) {
		s = NULL;
		if (schema_op_apply(&s, op) == 0)
			set_add(after, s);
		json_decref(s);
		return after;
	}
	json_array_foreach(before, i, b)
	{
		s = json_deep_copy(b);
		if (schema_op_apply(&s, op) == 0)
			set_add(after, s);
		json_decref(s);
	}
	return after;
}

/* Every state the local ops of the code may have left; *settled 1 when every op has a
 * receipt that is not an unmerged conflict (the row may then hold central's newest). */
static int replay_ops(replay *r, json_t **out, int *settled)
{
	sqlite3_stmt *st = NULL;
	json_t *cur = NULL, *before, *op;
	enum agent_result result = AGENT_PENDING;
	int64_t v = 0;
	int rc;

	*out = NULL;
	*settled = 1;
	rc = agent_stmt_get(r->a, ST_REPLAY_OPS, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, r->code, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		op = journal_row_to_op(st);
		before = priors(r, op, cur, result, v);
		json_decref(cur);
		cur = apply_all(op, before);
		json_decref(before);
		json_decref(op);
		if ((rc = agent_result_parse((const char *)sqlite3_column_text(st, 9), &result)))
			break;
		v = sqlite3_column_int64(st, 10);
		*settled = *settled && result != AGENT_PENDING && result != AGENT_CONFLICT;
	}
	if (rc >= 0)
		rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(r->a), rc, "journal");
	agent_stmt_put(st);
	if (rc)
		json_decref(cur);
	else
		*out = cur ? cur : json_array();
	return rc;
}

/* The newest state of the code in the inbox in *state, NULL when there is none (caller
 * decrefs); a failed query or a state that does not parse is an error. */
static int inbox_newest(replay *r, json_t **state)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*state = NULL;
	if ((rc = agent_stmt_get(r->a, ST_INBOX_NEWEST, &st)))
		return rc;
	sqlite3_bind_text(st, 1, r->code, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = ds_json_parse((const char *)sqlite3_column_text(st, 0),
		                   (size_t)sqlite3_column_bytes(st, 0), state);
	else
		rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(r->a), rc, "inbox");
	agent_stmt_put(st);
	return rc;
}

/* The row of the code as stored in *state, NULL when there is none (caller decrefs). */
static int row_of(replay *r, json_t **state)
{
	int rc = agent_load(r->a, r->code, state, NULL);

	if (rc == DS_ENOTFOUND) {
		ds_error_clear();
		rc = 0;
	}
	return rc;
}

static const char *first_key(const json_t *obj)
{
	const char *key, *first = NULL;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) if (!first || strcmp(key, first) < 0) first =
	    key;
	return first;
}

/* The first field path (keys sorted) where row leaves want, "applicant.phone" (free()). */
static char *first_field(const json_t *want, const json_t *row)
{
	const json_t *p, *w = want;
	json_t *patch = NULL;
	ds_buf path = DS_BUF_INIT;

	if (ds_json_diff(want, row, &patch) == 0)
		for (p = patch; json_is_object(p) && json_object_size(p) && json_is_object(w);) {
			const char *key = first_key(p);
			ds_buf_printf(&path, "%s%s", path.len ? "." : "", key);
			p = json_object_get(p, key);
			w = json_object_get(w, key);
		}
	json_decref(patch);
	return ds_buf_detach(&path, NULL);
}

/* Every state the row may hold: the replayed ones, and central's newest (may be NULL)
 * when nothing local waits (no local op at all, or each with its receipt). */
static int candidates(replay *r, const json_t *central, json_t **set)
{
	int settled = 1, rc;

	if ((rc = replay_ops(r, set, &settled)))
		return rc;
	if (settled && central)
		set_add(*set, central);
	return 0;
}

/* The common case without a replay: the row is central's newest and nothing local waits. */
static int is_settled_central(replay *r, const json_t *row, const json_t *central, int *yes)
{
	*yes = 0;
	if (!row || !central || !ds_json_same(row, central))
		return 0;
	return agent_settled(r->a, r->code, yes);
}

/* The candidate history takes when the row is none of them: central's newest when it is
 * one, else the last replayed (borrowed; NULL when the set is empty). */
static const json_t *pick(const json_t *set, const json_t *central)
{
	const json_t *s;
	size_t i;

	json_array_foreach(set, i, s) if (central && ds_json_same(s, central)) return s;
	return json_array_get(set, json_array_size(set) - 1);
}

/* Compares the row with the set: *want and *why as agent_replay says. */
static void judge(replay *r, const json_t *row, const json_t *set, const json_t *central,
                  json_t **want, char **why)
{
	const json_t *s, *best = pick(set, central);
	char *field;
	size_t i;

	json_array_foreach(set, i, s) if (row && ds_json_same(s, row))
	{
		*want = json_incref((json_t *)row);
		return;
	}
	*want = best ? json_deep_copy(best) : NULL;
	if (!row && !best)
		return;
	if (!row) {
		*why = ds_asprintf("%s: no row, though the journal and inbox hold the dossier",
		                   r->code);
	} else if (!best) {
		*why =
		    ds_asprintf("%s: the row has no source in the journal or the inbox", r->code);
	} else {
		field = first_field(best, row);
		*why = ds_asprintf("%s: the row differs from the journal and inbox at %s", r->code,
		                   field && *field ? field : "(the whole dossier)");
		free(field);
	}
}

int agent_replay(agent *a, const char *code, json_t **want, int *is_central, char **why)
{
	replay r = {a, code, NULL};
	json_t *set = NULL, *central = NULL, *row = NULL;
	int fast = 0, rc;

	*want = NULL;
	*why = NULL;
	if (is_central)
		*is_central = 0;
	if ((rc = inbox_newest(&r, &central)) || (rc = row_of(&r, &row)))
		goto done;
	if ((rc = is_settled_central(&r, row, central, &fast)) || fast) {
		*want = rc ? NULL : json_incref(row);
		goto done;
	}
	if ((rc = agent_stmt_get(a, ST_INBOX_AT, &r.at)) || (rc = candidates(&r, central, &set)))
		goto done;
	judge(&r, row, set, central, want, why);
done:
	if (is_central)
		*is_central = *want && central && ds_json_same(*want, central);
	agent_stmt_put(r.at);
	json_decref(set);
	json_decref(central);
	json_decref(row);
	return rc;
}

int agent_verify_rows(agent *a, json_t **bad, json_t **states)
{
	sqlite3_stmt *st = NULL;
	int64_t total = 0;
	int rc;

	*bad = json_array();
	*states = json_object();
	if ((rc = agent_query_int(a, ST_DOSSIER_COUNT, 0, &total)))
		return rc;
	ds_progress_begin(a->progress, "verify dossiers", total);
	rc = agent_stmt_get(a, ST_ALL_CODES, &st);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);
		json_t *want = NULL;
		char *why = NULL;
		if ((rc = agent_replay(a, code, &want, NULL, &why)))
			break;
		if (want)
			json_object_set_new(*states, code, want);
		if (why)
			json_array_append_new(*bad, json_string(why));
		free(why);
		ds_progress_add(a->progress, 1);
	}
	ds_progress_end(a->progress);
	rc = rc == SQLITE_DONE ? 0 : rc > 0 ? ds_error_sqlite(agent_db(a), rc, "dossiers") : rc;
	agent_stmt_put(st);
	return rc;
}
