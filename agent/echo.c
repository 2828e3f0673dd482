/* echo.c: no echo. Central's receipts for a push of protocol 2 say where its feed holds
 * the ops it applied (their cursors, the cursor the feed held before them for this
 * office, and one SHA-256 of the states they made). When this node's pull cursor stands
 * exactly there, nothing of anyone else lies between, so the node writes those changes
 * into its inbox itself, with the states it rebuilds (own.c) and only when they hash to
 * central's, and moves its cursor past them: the next pull does not bring them back.
 * In every other case (a change of another PC or of the province in between, a lost
 * receipt, a state rebuilt differently) nothing is written and the pull brings them, as
 * before (docs/PROTOCOL.md "Receipts carry the echo").
 * The states are stored as the bytes in hand (the rows' canonical text, byte for byte
 * central's): nothing is parsed, validated or applied again unless a row lags behind. */
#include "agent/agent_int.h"
#include "sync/sync.h"

#include <stdio.h>
#include <stdlib.h>

/* The change {cursor, code, version, op_id} of receipt r for op (members by reference,
 * set one by one: one per applied op); NULL when one is missing, as json_pack would. */
static json_t *echo_change(json_t *cur, const json_t *op, const json_t *r)
{
	json_t *code = json_object_get(op, "code"), *v = json_object_get(r, "version"),
	       *id = json_object_get(r, "op_id"), *ch;

	if (!code || !v || !id)
		return NULL;
	ch = json_object();
	json_object_set_nocheck(ch, "cursor", cur);
	json_object_set_nocheck(ch, "code", code);
	json_object_set_nocheck(ch, "version", v);
	json_object_set_nocheck(ch, "op_id", id);
	return ch;
}

/* The applied ops of the batch as feed changes without their state: {cursor, code,
 * version, op_id}, in cursor order; *last gets the last cursor. */
static json_t *echo_changes(const json_t *ops, const json_t *receipts, int64_t *last)
{
	json_t *list = json_array(), *r;
	size_t i;

	json_array_foreach(receipts, i, r)
	{
		json_t *cur = json_object_get(r, "cursor");
		if (!json_is_integer(cur))
			continue;
		*last = json_integer_value(cur);
		json_array_append_new(list, echo_change(cur, json_array_get(ops, i), r));
	}
	return list;
}

/* *yes 1 when the pull cursor is before (0 when none is stored). */
static int cursor_is(agent *a, int64_t before, int *yes)
{
	char *cur = NULL;
	int rc = agent_state_get(a, "cursor", &cur);

	*yes = rc == 0 && (cur ? atoll(cur) : 0) == before;
	free(cur);
	return rc;
}

/* A settled row that lags behind the change takes its state (parsed only then). */
static int settle(agent *a, const char *code, const char *text, size_t n, int64_t v)
{
	json_t *state = NULL;
	int64_t have = 0;
	int settled = 0, found = 0, rc;

	if ((rc = agent_settled(a, code, &settled)) || !settled ||
	    (rc = agent_row_version(a, code, &found, &have)) || (found && have >= v))
		return rc;
	if ((rc = ds_json_parse(text, n, &state)) == 0)
		rc = agent_take_central(a, state, v);
	json_decref(state);
	return rc;
}

/* Stores one change with its text in the inbox (ins: ST_INBOX_INSERT) and settles its row
 * (nothing to settle when the text is the row's and the row holds version v already). */
static int store_one(agent *a, sqlite3_stmt *ins, const json_t *ch, const char *text, size_t n,
                     int64_t row, const char *now)
{
	const char *code = json_string_value(json_object_get(ch, "code"));
	int64_t v = json_integer_value(json_object_get(ch, "version"));
	int rc;

	if (!text)
		return ds_error_set(DS_ERROR, "the echo of %s has no state", code);
	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, json_integer_value(json_object_get(ch, "cursor")));
	sqlite3_bind_text(ins, 2, code, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 3, v);
	sqlite3_bind_text(ins, 4, json_string_value(json_object_get(ch, "op_id")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, a->cfg.node, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 6, text, (int)n, SQLITE_STATIC);
	sqlite3_bind_text(ins, 7, now, -1, SQLITE_STATIC);
	/* kind and occurred_at stay NULL: the journal says who acted when (acts.c) */
	rc = sqlite3_step(ins);
	if (rc != SQLITE_DONE)
		return ds_error_sqlite(agent_db(a), rc, "inbox");
	return row >= v ? 0 : settle(a, code, text, n, v);
}

static int cursor_set(agent *a, int64_t at)
{
	char cursor[32];

	snprintf(cursor, sizeof(cursor), "%lld", (long long)at);
	return agent_state_set(a, "cursor", cursor);
}

/* A clerk waits for the lock: what is stored so far is committed with the cursor after
 * it (at), and the clerk gets in (agent_tx_yield). The texts in hand stay central's. */
static int step(agent *a, int64_t at)
{
	int rc = cursor_set(a, at);

	return rc ? rc : agent_tx_yield(a);
}

/* Stores the checked changes of list with their texts and moves the cursor to last; the
 * caller holds the writer lock and a transaction, which may be committed in steps when a
 * clerk waits (step). */
static int store(agent *a, const json_t *list, const agent_own *texts, int64_t last)
{
	sqlite3_stmt *ins = NULL;
	char now[DS_TIME_LEN];
	const json_t *ch;
	const char *text;
	size_t i, n = 0;
	int64_t row = -1;
	int rc;

	ds_time_format(ds_time_now(), DS_TZ_VN, now);
	rc = agent_stmt_get(a, ST_INBOX_INSERT, &ins);
	json_array_foreach(list, i, ch)
	{
		if (rc)
			break;
		text = agent_own_text(texts, i, &n, &row);
		if ((rc = store_one(a, ins, ch, text, n, row, now)) == 0 &&
		    i % AGENT_STEP == AGENT_STEP - 1 && agent_lock_wanted(a))
			rc = step(a, json_integer_value(json_object_get(ch, "cursor")));
	}
	agent_stmt_put(ins);
	return rc ? rc : cursor_set(a, last);
}

/* Inside the writer lock and a transaction: stores list when the cursor, the rebuilt
 * states and the checks all agree; *taken 1 then. */
static int take(agent *a, json_t *list, const sync_echo *e, int64_t last, int *taken)
{
	agent_own texts;
	int yes = 0, ok = 0, rc;

	*taken = 0;
	if ((rc = cursor_is(a, e->before, &yes)) || !yes)
		return rc;
	if ((rc = agent_own_texts(a, list, e->sha256, &texts, &ok)))
		goto done;
	if (!ok) {
		ds_log(DS_LOG_INFO,
		       "the states of %zu applied ops differ from central's: the pull "
		       "brings them",
		       json_array_size(list));
		goto done;
	}
	if (agent_echo_check(a, list, e->before, last)) {
		ds_log(DS_LOG_WARN, "the receipts' echo is left to the pull: %s", ds_error_msg());
		ds_error_clear();
		goto done;
	}
	if ((rc = store(a, list, &texts, last)) == 0)
		*taken = 1;
done:
	agent_own_release(&texts);
	return rc;
}

int agent_echo_take(agent *a, const json_t *ops, const json_t *receipts, const sync_echo *e,
                    agent_sync_stats *st)
{
	json_t *list = NULL;
	int64_t last = 0;
	int taken = 0, rc = 0;

	if (!e || !e->known)
		return 0;
	list = echo_changes(ops, receipts, &last);
	if (json_array_size(list) == 0)
		goto out;
	if ((rc = agent_lock(a, -1)) == 0 && (rc = ds_db_begin(agent_db(a))) == 0 &&
	    (rc = take(a, list, e, last, &taken)) == 0 && taken)
		rc = ds_db_commit(agent_db(a));
	if (rc || !taken)
		ds_db_rollback(agent_db(a));
	agent_unlock(a);
	if (rc == 0 && taken)
		st->echo_taken += (int64_t)json_array_size(list);
out:
	json_decref(list);
	return rc;
}
