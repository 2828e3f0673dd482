/* pull_check.c: the agent believes no page of central's feed it has not checked. Every
 * change of a page must be a valid dossier of this office under its own code, newer than
 * anything the inbox holds for that code, at a cursor past the one asked from; one bad
 * change refuses the whole page before anything of it is stored (docs/PROTOCOL.md).
 * The receipts' echo (echo.c) is checked the same way but for its states: they are this
 * node's own rows, made by schema_op_apply, and byte for byte central's. */
#include "agent/agent_int.h"

#include <string.h>

#define VERSION_MAX ((int64_t)1 << 53) /* versions stay exact in every JSON reader */

/* The newest version the inbox holds for code, 0 when none. */
static int stored_version(agent *a, sqlite3_stmt *st, const char *code, int64_t *out)
{
	int rc;

	*out = 0;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	return rc == SQLITE_ROW ? 0 : ds_error_sqlite(agent_db(a), rc, "inbox");
}

/* The state of a change: this office's dossier under the change's code, valid. */
static int state_check(agent *a, const char *code, const json_t *state)
{
	const char *scode = json_string_value(json_object_get(state, "code"));
	const char *agency = json_string_value(json_object_get(state, "agency"));
	json_t *copy;
	int rc;

	if (!json_is_object(state))
		return ds_error_set(DS_EINVALID, "it carries no dossier state");
	if (!scode || strcmp(scode, code))
		return ds_error_set(DS_EINVALID, "its state is dossier %s, not %s",
		                    scode ? scode : "(no code)", code);
	if (!agency || strcmp(agency, a->cfg.office))
		return ds_error_set(DS_EINVALID,
		                    "its dossier belongs to agency %s, not this office (%s)",
		                    agency ? agency : "(none)", a->cfg.office);
	copy = json_deep_copy(state);
	rc = schema_dossier_validate(&copy);
	json_decref(copy);
	return rc ? ds_error_wrap(DS_EINVALID, "its state is not a valid dossier") : 0;
}

/* One change: cursor past *cursor, version newer than the inbox and the page so far
 * (seen: code -> version in this page). */
static int change_check(agent *a, sqlite3_stmt *st, const json_t *ch, json_t *seen, int64_t *cursor,
                        int states)
{
	const char *code = json_string_value(json_object_get(ch, "code"));
	int64_t cur = json_integer_value(json_object_get(ch, "cursor"));
	int64_t v = json_integer_value(json_object_get(ch, "version")), have = 0;
	const json_t *prev;
	int rc;

	if (!code || !json_is_integer(json_object_get(ch, "cursor")) ||
	    !json_is_integer(json_object_get(ch, "version")))
		return ds_error_set(DS_EINVALID, "it lacks its code, cursor or version");
	if (cur <= *cursor)
		return ds_error_set(DS_EINVALID, "its cursor %lld is not after %lld",
		                    (long long)cur, (long long)*cursor);
	if (v < 1 || v >= VERSION_MAX)
		return ds_error_set(DS_EINVALID, "its version %lld is out of range (1 to 2^53)",
		                    (long long)v);
	if (states && (rc = state_check(a, code, json_object_get(ch, "state"))))
		return rc;
	if ((prev = json_object_get(seen, code)))
		have = json_integer_value(prev);
	else if ((rc = stored_version(a, st, code, &have)))
		return rc;
	if (v <= have)
		return ds_error_set(DS_EINVALID,
		                    "its version %lld is not newer than version %lld "
		                    "already received",
		                    (long long)v, (long long)have);
	json_object_set_new(seen, code, json_integer(v));
	*cursor = cur;
	return 0;
}

static int check(agent *a, const json_t *changes, int64_t since, int64_t next, int states)
{
	sqlite3_stmt *st = NULL;
	json_t *seen = json_object();
	int64_t cursor = since;
	const json_t *ch;
	size_t i;
	int rc;

	if ((rc = agent_stmt_get(a, ST_INBOX_MAX_VERSION, &st)))
		goto done;
	json_array_foreach(changes, i, ch)
	{
		if ((rc = change_check(a, st, ch, seen, &cursor, states)) == 0)
			continue;
		rc = ds_error_wrap(rc, "change %zu of the page (%s, cursor %lld)", i + 1,
		                   json_string_value(json_object_get(ch, "code")),
		                   (long long)json_integer_value(json_object_get(ch, "cursor")));
		goto done;
	}
	if (next < cursor)
		rc = ds_error_set(DS_EINVALID,
		                  "its next cursor %lld is behind its last change (%lld)",
		                  (long long)next, (long long)cursor);
done:
	if (rc)
		ds_error_wrap(rc,
		              "central sent a bad page after cursor %lld; nothing of it was stored",
		              (long long)since);
	agent_stmt_put(st);
	json_decref(seen);
	return rc;
}

int agent_pull_check(agent *a, const json_t *changes, int64_t since, int64_t next)
{
	return check(a, changes, since, next, 1);
}

int agent_echo_check(agent *a, const json_t *changes, int64_t since, int64_t next)
{
	return check(a, changes, since, next, 0);
}
