/* reconcile.c: settling what central answered `conflict` to. For each such dossier, once
 * every op on it has a receipt and central's newest state is in the inbox: a three-way
 * merge of the ancestor (central's newest state the local row already holds: see
 * conflict_facts), ours (the local row) and theirs (central's newest state) under the
 * configured policies, told who made each value for two PCs of one office (acts.c).
 * The result goes up as one `merge` op based on central's version, the settled ops are
 * marked superseded, and every field left to a person opens a row in the review queue.
 * No local change is dropped: it is in the merged state, overridden by a recorded
 * decision, or waiting in the queue. */
#include "agent/agent_int.h"
#include "conflict/conflict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The newest inbox state of code (or the one at `version` when version > 0). */
static int inbox_state(agent *a, const char *code, int64_t version, json_t **state, int64_t *got)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*state = NULL;
	*got = 0;
	rc = agent_stmt_get(a, ST_INBOX_STATE, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*got = sqlite3_column_int64(st, 1);
		rc = ds_json_parse((const char *)sqlite3_column_text(st, 0),
		                   (size_t)sqlite3_column_bytes(st, 0), state);
	} else {
		rc = rc == SQLITE_DONE ? DS_ENOTFOUND : ds_error_sqlite(agent_db(a), rc, "inbox");
	}
	agent_stmt_put(st);
	return rc;
}

/* What the merge of code needs to know from the receipts.
 *   base     the newest base among the conflicted ops. Every base is a central version
 *            the local row had taken in when the op was made: its version then, or for
 *            a merge op the version it merged (ops made while that merge was in flight
 *            still carry the row's older version, hence the newest and not the first).
 *   seen     central's newest version when they were decided
 *   applied  the newest version made by this node's own ops on code that central applied
 *            before the first conflicted one (receipts `applied` or `duplicate`; 0: none).
 * Ops of one chain apply at central one after the other with nothing between them (the
 * parent rule), so central's state at `applied` is the chain's start plus exactly those
 * ops: a state the local row already contains. */
struct facts {
	int64_t base, seen, applied;
};

static int conflict_facts(agent *a, const char *code, struct facts *f)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = agent_stmt_get(a, ST_CONFLICT_FACTS, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f->base = sqlite3_column_int64(st, 0);
		f->seen = sqlite3_column_int64(st, 1);
		f->applied = sqlite3_column_int64(st, 2);
		rc = 0;
	} else {
		rc = ds_error_sqlite(agent_db(a), rc, "journal");
	}
	agent_stmt_put(st);
	return rc;
}

/* The merge's ancestor: central's state at the newest version the local row already holds
 * (f->applied or f->base, whichever is newer); the history's merge base when the inbox
 * lacks it. *ancestor is NULL when nothing is known, and *at the version it was read at
 * (0: from history or none). */
static int ancestor_of(agent *a, const char *code, const struct facts *f, json_t **ancestor,
                       int64_t *at)
{
	int64_t want = f->applied > f->base ? f->applied : f->base, got = 0;
	conflict_history *h;
	int rc = DS_ENOTFOUND;

	*at = 0;
	if (want > 0 && (rc = inbox_state(a, code, want, ancestor, &got)) == 0) {
		*at = got;
		return 0;
	}
	json_decref(*ancestor);
	*ancestor = NULL;
	if (rc != DS_ENOTFOUND)
		return rc; /* the inbox could not be read: not the same as "not in the inbox" */
	ds_error_clear();
	if (agent_history(a, &h) == 0)
		conflict_history_ancestor(h, code, ancestor);
	return 0;
}

/* 1 in *yes when an op on code still waits for its receipt. */
static int has_unacked(agent *a, const char *code, int *yes)
{
	char *parent = NULL;
	int rc = journal_unacked_parent(a, code, &parent);

	*yes = rc == 0 && parent;
	free(parent);
	return rc;
}

static char *canon_or_null(const json_t *v)
{
	char *s = NULL;

	if (v && !json_is_null(v))
		ds_json_canonical(v, &s, NULL);
	return s;
}

static int queue_open(agent *a, const char *code, const json_t *open)
{
	sqlite3_stmt *st = NULL;
	char now[DS_TIME_LEN];
	const json_t *o;
	size_t i;
	int rc;

	ds_time_format(ds_time_now(), DS_TZ_VN, now);
	rc = agent_stmt_get(a, ST_CONFLICT_QUEUE, &st);
	json_array_foreach(open, i, o)
	{
		char *an = canon_or_null(json_object_get(o, "ancestor"));
		char *ou = canon_or_null(json_object_get(o, "ours"));
		char *th = canon_or_null(json_object_get(o, "theirs"));
		const char *reason = json_string_value(json_object_get(o, "reason"));
		if (rc)
			break;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, json_string_value(json_object_get(o, "field")), -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(st, 3, an, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, ou, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, th, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, reason ? reason : "left to a person", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, ds_time_now());
		rc = sqlite3_step(st) == SQLITE_DONE
		         ? 0
		         : ds_error_sqlite(agent_db(a), rc, "conflicts");
		free(an);
		free(ou);
		free(th);
	}
	agent_stmt_put(st);
	return rc;
}

static int supersede(agent *a, const char *code)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = agent_stmt_get(a, ST_SUPERSEDE, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "op state");
	agent_stmt_put(st);
	return rc;
}

/* Records the outcome: the merge op (when central lacks something), superseded ops and
 * the queue, in one transaction. Takes theirs (frees it). */
static int record_merge(agent *a, const char *code, json_t *theirs, int64_t version,
                        const json_t *merged, const json_t *open)
{
	json_t *patch = NULL;
	int rc;

	if ((rc = agent_lock(a, -1)) || (rc = ds_db_begin(agent_db(a))))
		goto done;
	if ((rc = supersede(a, code)) || (rc = queue_open(a, code, open)))
		goto done;
	if ((rc = ds_json_diff(theirs, merged, &patch)))
		goto done;
	if (json_object_size(patch)) {
		/* The merge is the agent's own act, not the clerk's who happens to sync. */
		char *clerk = a->actor;
		a->actor = "dossync";
		rc = agent_apply_local(a, code, SCHEMA_OP_MERGE, patch, version, &theirs, NULL);
		a->actor = clerk;
	} else
		rc = agent_save(a, theirs, version, 0);
	if (!rc)
		rc = ds_db_commit(agent_db(a));
done:
	if (rc)
		ds_db_rollback(agent_db(a));
	agent_unlock(a);
	json_decref(patch);
	json_decref(theirs); /* ours now: the merged state after agent_apply_local */
	return rc;
}

static void describe(ds_buf *note, const char *code, const json_t *decisions, const json_t *open)
{
	const json_t *d;
	size_t i;

	json_array_foreach(decisions, i, d)
	{
		char *o = canon_or_null(json_object_get(d, "ours"));
		char *t = canon_or_null(json_object_get(d, "theirs"));
		char *r = canon_or_null(json_object_get(d, "replaced"));
		ds_buf_printf(note, "%s %s: %s (ours %s, theirs %s", code,
		              json_string_value(json_object_get(d, "field")),
		              json_string_value(json_object_get(d, "policy")), o ? o : "absent",
		              t ? t : "absent");
		if (json_object_get(d, "replaced")) /* later-act names the value it replaced */
			ds_buf_printf(note, "; replaced %s", r ? r : "absent");
		ds_buf_puts(note, ")\n");
		free(o);
		free(t);
		free(r);
	}
	json_array_foreach(open, i, d)
	    ds_buf_printf(note, "%s %s: left to a person (%s)\n", code,
	                  json_string_value(json_object_get(d, "field")),
	                  json_string_value(json_object_get(d, "reason")));
}

static int merge_one(agent *a, const char *code, conflict_policy *pol, ds_buf *note,
                     agent_sync_stats *st, int *deferred)
{
	json_t *ancestor = NULL, *ours = NULL, *theirs = NULL, *merged = NULL;
	json_t *decisions = NULL, *open = NULL;
	struct facts f = {0, 0, 0};
	agent_acts acts;
	int64_t version = 0, at = 0;
	int unacked = 0, rc;

	if ((rc = has_unacked(a, code, &unacked)))
		goto done;
	if (!unacked && !(rc = conflict_facts(a, code, &f)))
		rc = inbox_state(a, code, 0, &theirs, &version);
	if (rc && rc != DS_ENOTFOUND)
		goto done;
	if (unacked || rc == DS_ENOTFOUND || version < f.seen) {
		*deferred = 1; /* receipts or central's newest state not here yet */
		rc = 0;
		goto done;
	}
	if ((rc = agent_load(a, code, &ours, NULL)))
		goto done;
	if ((rc = ancestor_of(a, code, &f, &ancestor, &at)))
		goto done;
	acts = (agent_acts){a, code, ancestor, at};
	conflict_policy_set_acts(pol, agent_acts_of, &acts, a->cfg.peer_edits_manual);
	rc = conflict_merge_dossier(ancestor, ours, theirs, pol, &merged, &decisions, &open);
	conflict_policy_set_acts(pol, NULL, NULL, 0);
	if (!rc)
		rc = record_merge(a, code, theirs, version, merged, open);
	theirs = NULL; /* record_merge took it */
	if (!rc) {
		describe(note, code, decisions, open);
		st->merged++;
		st->queued += (int64_t)json_array_size(open);
	}
done:
	json_decref(ancestor);
	json_decref(ours);
	json_decref(theirs);
	json_decref(merged);
	json_decref(decisions);
	json_decref(open);
	return rc;
}

static int policy_from_config(agent *a, conflict_policy **out)
{
	const char *k;
	json_t *v;
	int rc = conflict_policy_new(out);

	json_object_foreach(a->cfg.policies, k, v)
	{
		if (rc || (rc = conflict_policy_set(*out, k, json_string_value(v))))
			break;
	}
	return rc;
}

static int conflicted_codes(agent *a, json_t **codes)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*codes = json_array();
	rc = agent_stmt_get(a, ST_CONFLICTED_CODES, &st);
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(*codes,
		                      json_string((const char *)sqlite3_column_text(st, 0)));
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
	agent_stmt_put(st);
	return rc;
}

int agent_unmerged(agent *a, int64_t *n)
{
	return agent_query_int(a, ST_OPS_CONFLICT, 0, n);
}

int agent_reconcile(agent *a, agent_sync_stats *st)
{
	conflict_policy *pol = NULL;
	json_t *codes = NULL, *code;
	ds_buf note = DS_BUF_INIT;
	int deferred = 0, rc;
	size_t i;

	if ((rc = policy_from_config(a, &pol)) || (rc = conflicted_codes(a, &codes)))
		goto done;
	json_array_foreach(codes, i, code)
	{
		if ((rc = merge_one(a, json_string_value(code), pol, &note, st, &deferred)))
			goto done;
	}
	/* The local branch merges central only when every diverged dossier was merged, so
	 * the merge base never passes a dossier whose merge is still to come. */
	rc = agent_history_mark(a, note.ptr, !deferred);
done:
	conflict_policy_free(pol);
	json_decref(codes);
	ds_buf_release(&note);
	return rc;
}

/* ---------------------------------------------------------------- the review queue */

int agent_conflicts(agent *a, json_t **out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = json_array();
	rc = agent_stmt_get(a, ST_CONFLICT_LIST, &st);
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row =
		    json_pack("{s:s,s:s,s:s,s:s}", "code", sqlite3_column_text(st, 0), "field",
		              sqlite3_column_text(st, 1), "reason", sqlite3_column_text(st, 5),
		              "since", sqlite3_column_text(st, 6));
		static const char *const sides[] = {"ancestor", "ours", "theirs"};
		int k;
		for (k = 0; k < 3; k++) {
			const char *s = (const char *)sqlite3_column_text(st, 2 + k);
			json_t *v = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
			json_object_set_new(row, sides[k], v ? v : json_null());
		}
		json_array_append_new(*out, row);
	}
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "conflicts");
	agent_stmt_put(st);
	return rc;
}

struct resolution {
	const char *code, *field, *how;
	const json_t *value; /* for how == "value" */
};

static int open_conflict(agent *a, const struct resolution *r, int64_t *id, json_t **ours)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = agent_stmt_get(a, ST_CONFLICT_GET, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, r->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->field, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 1);
		*id = sqlite3_column_int64(st, 0);
		*ours = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? ds_error_set(DS_ENOTFOUND, "no open conflict on %s %s",
		                                      r->code, r->field)
		                       : ds_error_sqlite(agent_db(a), rc, "conflicts");
	}
	agent_stmt_put(st);
	return rc;
}

static int close_conflict(agent *a, int64_t id, const char *how, int64_t seq)
{
	sqlite3_stmt *st = NULL;
	char now[DS_TIME_LEN];
	int rc;

	ds_time_format(ds_time_now(), DS_TZ_VN, now);
	rc = agent_stmt_get(a, ST_CONFLICT_CLOSE, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, how, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, seq);
	sqlite3_bind_int64(st, 5, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "conflicts");
	agent_stmt_put(st);
	return rc;
}

/* When the journal of this office moved the dossier to `to`, the real time it did. */
static int local_move_time(agent *a, const char *code, int to, int64_t *when)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*when = 0;
	if ((rc = agent_stmt_get(a, ST_LOCAL_MOVE_TIME, &st)))
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, to);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		ds_time_parse((const char *)sqlite3_column_text(st, 0), when, NULL);
	rc =
	    rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
	agent_stmt_put(st);
	return rc;
}

static int set_time_if_absent(agent *a, json_t *next, const char *key, const char *code, int to)
{
	char t[DS_TIME_LEN];
	int64_t when;
	int rc;

	if (json_object_get(next, key))
		return 0;
	if ((rc = local_move_time(a, code, to, &when)))
		return rc;
	ds_time_format(when ? when : ds_time_now(), DS_TZ_VN, t);
	json_object_set_new(next, key, json_string(t));
	return 0;
}

/* A status chosen by a person brings what a transition to it brings: finished_at on 9,
 * returned_at on 10 (at the real time of the office's move when it made one), and
 * prior_status only while the status is 7. */
static int status_consequences(agent *a, const char *code, const json_t *state, json_t *next)
{
	json_t *s = json_object_get(next, "status");
	int to = json_is_integer(s) ? (int)json_integer_value(s) : 0;
	int cur = (int)json_integer_value(json_object_get(state, "status")), rc = 0;

	if (to == 9)
		rc = set_time_if_absent(a, next, "finished_at", code, 9);
	if (to == 10)
		rc = set_time_if_absent(a, next, "returned_at", code, 10);
	if (rc)
		return rc;
	if (to != 7)
		json_object_del(next, "prior_status");
	else if (!json_object_get(next, "prior_status") && schema_status_legal(cur, 7, 0))
		json_object_set_new(next, "prior_status", json_integer(cur));
	return 0;
}

static int resolve_tx(agent *a, void *arg)
{
	const struct resolution *r = arg;
	json_t *ours = NULL, *state = NULL, *next = NULL, *patch = NULL;
	const json_t *value;
	int64_t id = 0, version = 0, seq = 0;
	int rc;

	if ((rc = open_conflict(a, r, &id, &ours)) ||
	    (rc = agent_load(a, r->code, &state, &version)))
		goto done;
	value = !strcmp(r->how, "ours")     ? ours
	        : !strcmp(r->how, "theirs") ? conflict_field_get(state, r->field)
	                                    : r->value;
	next = json_deep_copy(state);
	if ((rc = conflict_apply_resolution(&next, r->field, value)))
		goto done;
	if (!strcmp(r->field, "status") && (rc = status_consequences(a, r->code, state, next)))
		goto done;
	if ((rc = ds_json_diff(state, next, &patch)))
		goto done;
	if ((rc = agent_apply_local(a, r->code, SCHEMA_OP_RESOLVE, patch, version, &state, &seq)))
		goto done;
	rc = close_conflict(a, id, r->how, seq);
done:
	json_decref(ours);
	json_decref(state);
	json_decref(next);
	json_decref(patch);
	return rc;
}

int agent_resolve(agent *a, const char *code, const char *field, const char *how,
                  const json_t *value)
{
	struct resolution r = {code, field, how, value};

	return agent_tx(a, resolve_tx, &r);
}
