/* echo.c: no echo. Central's receipts for a push of protocol 2 say where its feed holds
 * the ops it applied (their cursors, the cursor the feed held before them for this
 * office, and one SHA-256 of the states they made). When this node's pull cursor stands
 * exactly there, nothing of anyone else lies between, so the node writes those changes
 * into its inbox itself, with the states it rebuilds (own.c) and only when they hash to
 * central's, and moves its cursor past them: the next pull does not bring them back.
 * In every other case (a change of another PC or of the province in between, a lost
 * receipt, a state rebuilt differently) nothing is written and the pull brings them, as
 * before (docs/PROTOCOL.md "Receipts carry the echo"). */
#include "agent/agent_int.h"
#include "sync/sync.h"

#include <stdlib.h>

/* The applied ops of the batch as feed changes without their state: {cursor, code,
 * version, op_id, node}, in cursor order; *last gets the last cursor. */
static json_t *echo_changes(agent *a, const json_t *ops, const json_t *receipts, int64_t *last)
{
	json_t *list = json_array(), *r;
	size_t i;

	json_array_foreach(receipts, i, r)
	{
		json_t *cur = json_object_get(r, "cursor");
		if (!json_is_integer(cur))
			continue;
		*last = json_integer_value(cur);
		json_array_append_new(list,
		                      json_pack("{s:O, s:O, s:O, s:O, s:s}", "cursor", cur, "code",
		                                json_object_get(json_array_get(ops, i), "code"),
		                                "version", json_object_get(r, "version"), "op_id",
		                                json_object_get(r, "op_id"), "node", a->cfg.node));
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

/* Inside the writer lock and a transaction: stores list when the cursor, the rebuilt
 * states and the page checks all agree; *taken 1 then. */
static int take(agent *a, json_t *list, const sync_echo *e, int64_t last, int *taken)
{
	int yes = 0, ok = 0, rc;

	*taken = 0;
	if ((rc = cursor_is(a, e->before, &yes)) || !yes)
		return rc;
	if ((rc = agent_own_fill(a, list, e->sha256, &ok)))
		return rc;
	if (!ok) {
		ds_log(DS_LOG_INFO,
		       "the states of %zu applied ops differ from central's: the pull "
		       "brings them",
		       json_array_size(list));
		return 0;
	}
	if (agent_pull_check(a, list, e->before, last)) {
		ds_log(DS_LOG_WARN, "the receipts' echo is left to the pull: %s", ds_error_msg());
		ds_error_clear();
		return 0;
	}
	if ((rc = agent_page_store(a, list, last)) == 0)
		*taken = 1;
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
	list = echo_changes(a, ops, receipts, &last);
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
