/* pull.c: bringing central's changes in. Each page of the change feed is stored in the
 * append-only inbox and applied, in one transaction, to the rows of dossiers that have
 * nothing local waiting; the cursor moves only with the page, so a repeated page is
 * harmless. Dossiers with local ops in flight wait for their receipts (or a merge). */
#include "agent/agent_int.h"
#include "sync/sync.h"

#include <stdlib.h>
#include <string.h>

#define PULL_PAGE 1000   /* changes per page on a good link */
#define PULL_PAGE_MIN 20 /* the smallest page after failures */

int agent_settled(agent *a, const char *code, int *settled)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*settled = 0;
	rc = ds_db_prepare(a->db,
			   "SELECT count(*) FROM journal j LEFT JOIN op_state s ON s.seq = j.seq "
			   "WHERE j.code = ? AND (s.seq IS NULL OR s.result = 'conflict')",
			   &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*settled = sqlite3_column_int64(st, 0) == 0;
	rc = rc == SQLITE_ROW ? 0 : ds_error_sqlite(a->db, rc, "journal");
	sqlite3_finalize(st);
	return rc;
}

/* Makes a settled dossier's row central's state at version (never going back). */
/* A dossier this node did not create arrives: if its code is in this node's block (an
 * office PC restored from central under a new name, or a misconfigured twin), the
 * allocator must never issue it again. */
static int learn_code(agent *a, const char *code)
{
	char agency[SCHEMA_CODE_MAX];
	int seq;

	if (schema_code_parse(code, agency, NULL, NULL, NULL, &seq) || strcmp(agency, a->cfg.office) ||
	    seq < a->cfg.code_lo || seq > a->cfg.code_hi)
		return 0;
	return schema_code_claim(a->db, code);
}

static int take_central(agent *a, const json_t *state, int64_t version)
{
	const char *code = json_string_value(json_object_get(state, "code"));
	json_t *cur = NULL;
	int64_t have = 0;
	int rc = agent_load(a, code, &cur, &have);

	json_decref(cur);
	if (rc && rc != DS_ENOTFOUND)
		return rc;
	if (rc == 0 && have >= version)
		return 0;
	if (rc == DS_ENOTFOUND && (rc = learn_code(a, code)))
		return rc;
	return agent_save(a, state, version, 0);
}

int agent_settle_from_inbox(agent *a, const char *code)
{
	sqlite3_stmt *st = NULL;
	json_t *state = NULL;
	int settled, rc;

	if ((rc = agent_settled(a, code, &settled)) || !settled)
		return rc;
	rc = ds_db_prepare(a->db,
			   "SELECT state, version FROM inbox WHERE code = ? ORDER BY version DESC "
			   "LIMIT 1",
			   &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		rc = ds_json_parse(s, strlen(s), &state);
		if (!rc)
			rc = agent_save(a, state, sqlite3_column_int64(st, 1), 0);
	} else {
		rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(a->db, rc, "inbox");
	}
	json_decref(state);
	sqlite3_finalize(st);
	return rc;
}

static int inbox_add(agent *a, sqlite3_stmt *ins, const json_t *ch, const char *now)
{
	json_t *state = json_object_get(ch, "state");
	char *s = NULL;
	int rc;

	if (!json_is_integer(json_object_get(ch, "cursor")) ||
	    !json_is_string(json_object_get(ch, "code")) ||
	    !json_is_integer(json_object_get(ch, "version")) || !json_is_object(state) ||
	    !json_is_string(json_object_get(ch, "op_id")))
		return ds_error_set(DS_EINVALID, "central sent a change without its fields");
	if ((rc = ds_json_canonical(state, &s, NULL)))
		return rc;
	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, json_integer_value(json_object_get(ch, "cursor")));
	sqlite3_bind_text(ins, 2, json_string_value(json_object_get(ch, "code")), -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 3, json_integer_value(json_object_get(ch, "version")));
	sqlite3_bind_text(ins, 4, json_string_value(json_object_get(ch, "op_id")), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(ins, 5,
			  json_is_string(json_object_get(ch, "node"))
				  ? json_string_value(json_object_get(ch, "node"))
				  : "central",
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 6, s, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 7, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(ins);
	free(s);
	return rc == SQLITE_DONE ? 0 : ds_error_sqlite(a->db, rc, "inbox");
}

/* Stores one page and applies it; the caller holds a transaction. */
static int apply_changes(agent *a, const json_t *changes)
{
	sqlite3_stmt *ins = NULL;
	char now[DS_TIME_LEN];
	const json_t *ch;
	size_t i;
	int settled, rc;

	ds_time_format(ds_time_now(), DS_TZ_VN, now);
	rc = ds_db_prepare(a->db,
			   "INSERT OR IGNORE INTO inbox(cursor, code, version, op_id, node, state, "
			   "received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			   &ins);
	json_array_foreach(changes, i, ch)
	{
		const char *code = json_string_value(json_object_get(ch, "code"));
		if (rc || (rc = inbox_add(a, ins, ch, now)))
			break;
		if ((rc = agent_settled(a, code, &settled)))
			break;
		if (settled)
			rc = take_central(a, json_object_get(ch, "state"),
					  json_integer_value(json_object_get(ch, "version")));
	}
	sqlite3_finalize(ins);
	return rc;
}

static int apply_page(agent *a, const json_t *changes, int64_t next)
{
	char cursor[32];
	int rc;

	if ((rc = agent_lock(a, -1)) || (rc = ds_db_begin(a->db)))
		goto done;
	rc = apply_changes(a, changes);
	snprintf(cursor, sizeof(cursor), "%lld", (long long)next);
	if (!rc)
		rc = agent_state_set(a, "cursor", cursor);
	if (!rc)
		rc = ds_db_commit(a->db);
done:
	if (rc)
		ds_db_rollback(a->db);
	agent_unlock(a);
	return rc;
}

int agent_pull(agent *a, sync_client *c, agent_sync_stats *st)
{
	char *cur = NULL;
	int64_t since, next = 0;
	int more = 1, rc = 0;

	while (!rc && more) {
		json_t *changes = NULL;
		if ((rc = agent_cancelled(a)) || (rc = agent_state_get(a, "cursor", &cur)))
			break;
		since = cur ? atoll(cur) : 0;
		free(cur);
		cur = NULL;
		if (a->pull_limit <= 0)
			a->pull_limit = PULL_PAGE;
		rc = sync_client_pull(c, since, a->pull_limit, &changes, &next, &more);
		/* A page that dies on the way is too big for this link: ask for smaller ones
		 * (a link that never moves a page would never catch up); grow back after. */
		if (rc == DS_ERETRY && a->pull_limit > PULL_PAGE_MIN)
			a->pull_limit /= 2;
		else if (!rc && a->pull_limit < PULL_PAGE)
			a->pull_limit = a->pull_limit * 2 > PULL_PAGE ? PULL_PAGE : a->pull_limit * 2;
		if (!rc && next < since)
			rc = ds_error_set(DS_ERROR, "central moved the feed cursor back (%lld < %lld)",
					  (long long)next, (long long)since);
		if (!rc)
			rc = apply_page(a, changes, next);
		if (!rc) {
			st->pulled += (int64_t)json_array_size(changes);
			st->pages++;
		}
		json_decref(changes);
		if (!rc && more && next == since)
			rc = ds_error_set(DS_ERROR, "central says more changes remain but sent none");
	}
	return rc;
}
