/* pull.c: bringing central's changes in. Each page of the change feed is stored in the
 * append-only inbox and applied, in one transaction, to the rows of dossiers that have
 * nothing local waiting; the cursor moves only with the page, so a repeated page is
 * harmless. Dossiers with local ops in flight wait for their receipts (or a merge).
 * This node's own changes come back as hashes and are rebuilt from its own rows and ops
 * (own.c), unless its receipts brought them in already (echo.c). The next page is asked
 * as soon as a page is taken, so it comes while that one is applied (flight.c). */
#include "agent/agent_int.h"
#include "sync/sync.h"

#include <stdlib.h>
#include <string.h>

#define PULL_PAGE 1000  /* changes per page on a good link */
#define PULL_PAGE_MIN 1 /* the smallest page after failures: one change */

int agent_settled(agent *a, const char *code, int *settled)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*settled = 0;
	rc = agent_stmt_get(a, ST_SETTLED, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*settled = sqlite3_column_int64(st, 0) == 0;
	rc = rc == SQLITE_ROW ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
	agent_stmt_put(st);
	return rc;
}

/* A dossier this node did not create arrives: if its code is in this node's block (an
 * office PC restored from central under a new name, or a misconfigured twin), the
 * allocator must never issue it again. */
static int learn_code(agent *a, const char *code)
{
	char agency[SCHEMA_CODE_MAX];
	int seq;

	if (schema_code_parse(code, agency, NULL, NULL, NULL, &seq) ||
	    strcmp(agency, a->cfg.office) || seq < a->cfg.code_lo || seq > a->cfg.code_hi)
		return 0;
	return schema_code_claim(agent_db(a), code);
}

/* Makes a settled dossier's row central's state at version (never going back). */
int agent_take_central(agent *a, const json_t *state, int64_t version)
{
	const char *code = json_string_value(json_object_get(state, "code"));
	int64_t have = 0;
	int found = 0, rc = agent_row_version(a, code, &found, &have);

	if (rc || (found && have >= version))
		return rc;
	if (!found && (rc = learn_code(a, code)))
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
	rc = agent_stmt_get(a, ST_INBOX_NEWEST, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		rc = ds_json_parse(s, strlen(s), &state);
		if (!rc)
			rc = agent_save(a, state, sqlite3_column_int64(st, 1), 0);
	} else {
		rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "inbox");
	}
	json_decref(state);
	agent_stmt_put(st);
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
	sqlite3_bind_text(ins, 2, json_string_value(json_object_get(ch, "code")), -1,
	                  SQLITE_STATIC);
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
	/* who acted when (absent for the echo of our own ops): acts.c */
	sqlite3_bind_text(ins, 8, json_string_value(json_object_get(ch, "kind")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(ins, 9, json_string_value(json_object_get(ch, "occurred_at")), -1,
	                  SQLITE_STATIC);
	rc = sqlite3_step(ins);
	free(s);
	return rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "inbox");
}

/* A clerk waits for the lock: what is applied so far is committed with the cursor after
 * it (at), and the clerk gets in (agent_tx_yield, store.c); the page goes on after. */
static int step(agent *a, int64_t at)
{
	char cursor[32];
	int rc;

	snprintf(cursor, sizeof(cursor), "%lld", (long long)at);
	rc = agent_state_set(a, "cursor", cursor);
	return rc ? rc : agent_tx_yield(a);
}

/* Stores one page and applies it; the caller holds a transaction, committed in steps
 * when a clerk waits (step). */
static int apply_changes(agent *a, const json_t *changes)
{
	sqlite3_stmt *ins = NULL;
	char now[DS_TIME_LEN];
	const json_t *ch;
	size_t i;
	int settled, rc;

	ds_time_format(ds_time_now(), DS_TZ_VN, now);
	rc = agent_stmt_get(a, ST_INBOX_INSERT, &ins);
	json_array_foreach(changes, i, ch)
	{
		const char *code = json_string_value(json_object_get(ch, "code"));
		if (rc || (rc = inbox_add(a, ins, ch, now)))
			break;
		if ((rc = agent_settled(a, code, &settled)))
			break;
		if (settled)
			rc = agent_take_central(a, json_object_get(ch, "state"),
			                        json_integer_value(json_object_get(ch, "version")));
		if (!rc && i % AGENT_STEP == AGENT_STEP - 1 && agent_lock_wanted(a))
			rc = step(a, json_integer_value(json_object_get(ch, "cursor")));
	}
	agent_stmt_put(ins);
	return rc;
}

int agent_page_store(agent *a, const json_t *changes, int64_t next)
{
	char cursor[32];
	int rc = apply_changes(a, changes);

	snprintf(cursor, sizeof(cursor), "%lld", (long long)next);
	return rc ? rc : agent_state_set(a, "cursor", cursor);
}

static int apply_page(agent *a, const json_t *changes, int64_t next)
{
	int rc;

	if ((rc = agent_lock(a, -1)) || (rc = ds_db_begin(agent_db(a))))
		goto done;
	rc = agent_page_store(a, changes, next);
	if (!rc)
		rc = ds_db_commit(agent_db(a));
done:
	if (rc)
		ds_db_rollback(agent_db(a));
	agent_unlock(a);
	return rc;
}

/* Asks the page after since, as this node, at the link's page size: it comes while the
 * page before it is applied (flight.c). */
static void ask(agent *a, const agent_wire *w, agent_flight *f, int64_t since)
{
	if (a->pull_limit <= 0)
		a->pull_limit = PULL_PAGE;
	agent_flight_pull(f, w, since, a->pull_limit,
	                  sync_node_ok(a->cfg.node) ? a->cfg.node : NULL);
}

/* A page that dies on the way is too big for this link: ask for smaller ones (a link that
 * never moves a page would never catch up); grow back after. */
static void adapt(agent *a, int rc)
{
	if (rc == DS_ERETRY && a->pull_limit > PULL_PAGE_MIN)
		a->pull_limit /= 2;
	else if (!rc && a->pull_limit < PULL_PAGE)
		a->pull_limit = a->pull_limit * 2 > PULL_PAGE ? PULL_PAGE : a->pull_limit * 2;
}

/* Takes the page asked after since; when its own changes cannot all be rebuilt here
 * exactly (changed here again since, or gone), the same page is asked again with every
 * state, so the inbox only ever holds central's bytes. */
static int take_page(agent *a, const agent_wire *w, agent_flight *f, int64_t since,
                     json_t **changes, int64_t *next, int *more)
{
	char want[DS_SHA256_HEX];
	int ok = 0, limit = f->limit;
	sync_head head;
	int rc = agent_flight_page(f, changes, next, more, want, &head);

	/* Central's head of this node first: a journal behind it must not take its echo. */
	if (!rc && head.known)
		rc = agent_check_tail(a, head.seq, head.hash);
	if (!rc && want[0])
		rc = agent_own_fill(a, *changes, want, &ok);
	if (!rc && want[0] && !ok) {
		json_decref(*changes);
		*changes = NULL;
		rc = w->pull(w->ctx, since, limit, NULL, changes, next, more, want, NULL);
	}
	adapt(a, rc);
	if (!rc && *next < since)
		return ds_error_set(DS_ERROR, "central moved the feed cursor back (%lld < %lld)",
		                    (long long)*next, (long long)since);
	if (!rc && *more && *next == since)
		return ds_error_set(DS_ERROR, "central says more changes remain but sent none");
	return rc;
}

/* Stores one page taken after since, in the inbox and the rows, with the cursor. */
static int store_page(agent *a, const json_t *changes, int64_t since, int64_t next,
                      agent_sync_stats *st)
{
	int rc = agent_pull_check(a, changes, since, next);

	if (!rc)
		rc = apply_page(a, changes, next);
	if (!rc) {
		st->pulled += (int64_t)json_array_size(changes);
		st->pages++;
		ds_progress_add(a->progress, (int64_t)json_array_size(changes));
	}
	return rc;
}

int agent_pull_over(agent *a, const agent_wire *w, agent_sync_stats *st)
{
	agent_flight f;
	char *cur = NULL;
	int64_t since = 0, next = 0;
	int more = 0, stop = 0, rc;

	memset(&f, 0, sizeof(f));
	ds_progress_begin(a->progress, "pull", 0);
	if (!(rc = agent_cancelled(a)) && !(rc = agent_state_get(a, "cursor", &cur))) {
		since = cur ? atoll(cur) : 0;
		ask(a, w, &f, since);
	}
	free(cur);
	while (!rc && f.busy) {
		json_t *changes = NULL;
		rc = take_page(a, w, &f, since, &changes, &next, &more);
		if (!rc && more && !(stop = agent_cancelled(a)))
			ask(a, w, &f, next); /* a cancel asks nothing more */
		if (!rc)
			rc = store_page(a, changes, since, next, st);
		json_decref(changes);
		since = next;
		if (!rc && stop)
			rc = agent_cancelled(a);
	}
	agent_flight_land(&f); /* after a failure: the page still due is dropped */
	ds_progress_end(a->progress);
	if (!rc)
		agent_data_refresh(a, w); /* the last page names central's data versions */
	return rc;
}

int agent_pull(agent *a, sync_client *c, agent_sync_stats *st)
{
	agent_wire w;

	agent_wire_client(&w, c);
	return agent_pull_over(a, &w, st);
}
