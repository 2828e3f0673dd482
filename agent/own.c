/* own.c: this node's own changes rebuilt from what it holds, for a pull page asked with
 * node= (its own changes come without their state) and for the receipts' echo (echo.c):
 * each state comes from the dossier row while that op is still its last local change,
 * else from the op replayed on central's state before it (earlier in the list or in the
 * inbox). The rebuilt bytes are used only when they hash to the SHA-256 central sent, so
 * nothing is stored that central did not have (docs/PROTOCOL.md). The row's bytes are
 * taken as they are (agent_save wrote them canonical): only a replay parses. */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>

#define NOT_REBUILT ((size_t)-1) /* a change that came with its state */

typedef struct own {
	sqlite3_stmt *row, *op, *prev;
	agent_own *out;
} own;

void agent_own_release(agent_own *o)
{
	ds_buf_release(&o->bytes);
	free(o->off);
	free(o->len);
	free(o->row);
	memset(o, 0, sizeof(*o));
}

static void own_close(own *o)
{
	agent_stmt_put(o->row);
	agent_stmt_put(o->op);
	agent_stmt_put(o->prev);
}

static int own_open(agent *a, own *o, agent_own *out, size_t n)
{
	size_t i;
	int rc;

	memset(o, 0, sizeof(*o));
	memset(out, 0, sizeof(*out));
	ds_buf_init(&out->bytes, 0);
	out->off = ds_calloc(n + 1, sizeof(*out->off));
	out->len = ds_calloc(n + 1, sizeof(*out->len));
	out->row = ds_calloc(n + 1, sizeof(*out->row));
	out->n = n;
	for (i = 0; i < n; i++) {
		out->len[i] = NOT_REBUILT;
		out->row[i] = -1;
	}
	o->out = out;
	rc = agent_stmt_get(a, ST_OWN_ROW, &o->row);
	if (!rc)
		rc = agent_stmt_get(a, ST_JOURNAL_BY_OP_ID, &o->op);
	if (!rc)
		rc = agent_stmt_get(a, ST_INBOX_AT, &o->prev);
	return rc;
}

/* Takes n bytes of canonical text as change i's state and adds them to the bytes to
 * check, followed by "\n". */
static int own_take(own *o, size_t i, const char *text, size_t n)
{
	size_t at = o->out->bytes.len;
	int rc = ds_buf_add(&o->out->bytes, text, n);

	if (!rc)
		rc = ds_buf_add(&o->out->bytes, "\n", 1);
	if (!rc) {
		o->out->off[i] = at;
		o->out->len[i] = n;
	}
	return rc;
}

/* The dossier row, when change i's op is the last local change on it; *found 1. */
static int from_row(agent *a, own *o, const json_t *ch, size_t i, int *found)
{
	int rc;

	*found = 0;
	sqlite3_bind_text(o->row, 1, json_string_value(json_object_get(ch, "code")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(o->row, 2, json_string_value(json_object_get(ch, "op_id")), -1,
	                  SQLITE_STATIC);
	rc = sqlite3_step(o->row);
	if (rc == SQLITE_ROW) {
		*found = 1;
		rc = own_take(o, i, (const char *)sqlite3_column_text(o->row, 0),
		              (size_t)sqlite3_column_bytes(o->row, 0));
		o->out->row[i] = sqlite3_column_int64(o->row, 1);
	} else {
		rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "dossier row");
	}
	sqlite3_reset(o->row);
	return rc;
}

/* A copy of central's state of code at version v: from the changes before i in the
 * page (carried or rebuilt), else the inbox. *out NULL when none has it. */
static int state_before(agent *a, own *o, const json_t *page, size_t i, const char *code, int64_t v,
                        json_t **out)
{
	const json_t *ch, *state;
	int rc;

	*out = NULL;
	while (i-- > 0) {
		ch = json_array_get(page, i);
		if (json_integer_value(json_object_get(ch, "version")) != v ||
		    strcmp(json_string_value(json_object_get(ch, "code")), code))
			continue;
		if ((state = json_object_get(ch, "state")))
			*out = json_deep_copy(state);
		else if (o->out->len[i] != NOT_REBUILT)
			return ds_json_parse(o->out->bytes.ptr + o->out->off[i], o->out->len[i],
			                     out);
		return 0;
	}
	sqlite3_bind_text(o->prev, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_int64(o->prev, 2, v);
	rc = sqlite3_step(o->prev);
	if (rc == SQLITE_ROW)
		rc = ds_json_parse((const char *)sqlite3_column_text(o->prev, 0),
		                   (size_t)sqlite3_column_bytes(o->prev, 0), out);
	else
		rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "inbox");
	sqlite3_reset(o->prev);
	return rc;
}

/* This node's op of change i replayed on central's state before it; *found 1 when the
 * op and that state are here and the op applies. */
static int from_replay(agent *a, own *o, const json_t *page, size_t i, int *found)
{
	const json_t *ch = json_array_get(page, i);
	const char *code = json_string_value(json_object_get(ch, "code"));
	int64_t v = json_integer_value(json_object_get(ch, "version"));
	json_t *state = NULL, *op = NULL;
	char *text = NULL;
	size_t n = 0;
	int rc = 0;

	*found = 0;
	if (v > 1 && ((rc = state_before(a, o, page, i, code, v - 1, &state)) || !state))
		goto done;
	sqlite3_bind_text(o->op, 1, json_string_value(json_object_get(ch, "op_id")), -1,
	                  SQLITE_STATIC);
	if ((rc = sqlite3_step(o->op)) == SQLITE_ROW)
		op = journal_row_to_op(o->op);
	rc =
	    rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
	sqlite3_reset(o->op);
	/* An op that does not apply here rebuilds nothing: the page is asked again whole. */
	if (rc || !op || schema_op_apply(&state, op))
		goto done;
	if ((rc = ds_json_canonical(state, &text, &n)) == 0 && (rc = own_take(o, i, text, n)) == 0)
		*found = 1;
done:
	json_decref(state);
	json_decref(op);
	free(text);
	return rc;
}

int agent_own_texts(agent *a, const json_t *page, const char *want, agent_own *out, int *ok)
{
	char got[DS_SHA256_HEX];
	int found = 1, rc;
	const json_t *ch;
	size_t i;
	own o;

	*ok = 0;
	if ((rc = own_open(a, &o, out, json_array_size(page))))
		goto done;
	json_array_foreach(page, i, ch)
	{
		if (json_object_get(ch, "state"))
			continue;
		if ((rc = from_row(a, &o, ch, i, &found)) == 0 && !found)
			rc = from_replay(a, &o, page, i, &found);
		if (rc || !found)
			goto done;
	}
	ds_sha256_hex(out->bytes.ptr, out->bytes.len, got);
	*ok = strcmp(got, want) == 0;
done:
	own_close(&o);
	return rc;
}

const char *agent_own_text(const agent_own *o, size_t i, size_t *len, int64_t *row)
{
	if (i >= o->n || o->len[i] == NOT_REBUILT)
		return NULL;
	*len = o->len[i];
	if (row)
		*row = o->row[i];
	return o->bytes.ptr + o->off[i];
}

int agent_own_fill(agent *a, json_t *page, const char *want, int *ok)
{
	agent_own texts;
	json_t *ch, *state;
	const char *text;
	size_t i, n = 0;
	int rc = agent_own_texts(a, page, want, &texts, ok);

	json_array_foreach(page, i, ch)
	{
		if (rc || !*ok)
			break;
		if (!(text = agent_own_text(&texts, i, &n, NULL)))
			continue;
		if ((rc = ds_json_parse(text, n, &state)) == 0)
			json_object_set_new(ch, "state", state);
	}
	if (rc)
		*ok = 0;
	agent_own_release(&texts);
	return rc;
}
