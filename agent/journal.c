/* journal.c: the append-only, hash-chained journal of every dossier change.
 * hash = SHA-256(prev_hash "\n" canonical entry) (schema_op_hash); SQLite triggers
 * refuse UPDATE and DELETE; `verify` walks the chain and names the first bad entry. */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>

int journal_last(agent *a, int64_t *seq, char hash[DS_SHA256_HEX])
{
	sqlite3_stmt *st = NULL;
	int rc;

	*seq = 0;
	memcpy(hash, schema_genesis_hash, DS_SHA256_HEX);
	if ((rc = agent_stmt_get(a, ST_JOURNAL_LAST, &st)))
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		snprintf(hash, DS_SHA256_HEX, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	rc =
	    rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
	agent_stmt_put(st);
	return rc;
}

int journal_insert(agent *a, const json_t *op, const char *prev_hash, char hash[DS_SHA256_HEX])
{
	sqlite3_stmt *st = NULL;
	char *payload = NULL;
	const char *parent = json_string_value(json_object_get(op, "parent"));
	int rc;

	if ((rc = schema_op_hash(prev_hash, op, hash)))
		return rc;
	if ((rc = ds_json_canonical(json_object_get(op, "payload"), &payload, NULL)))
		return rc;
	rc = agent_stmt_get(a, ST_JOURNAL_INSERT, &st);
	if (rc)
		goto done;
	sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(op, "seq")));
	sqlite3_bind_text(st, 2, json_string_value(json_object_get(op, "op_id")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 3, json_string_value(json_object_get(op, "code")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json_string_value(json_object_get(op, "kind")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, payload, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, json_integer_value(json_object_get(op, "base")));
	if (parent)
		sqlite3_bind_text(st, 7, parent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, json_string_value(json_object_get(op, "actor")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 9, json_string_value(json_object_get(op, "occurred_at")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 10, prev_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal append");
done:
	agent_stmt_put(st);
	free(payload);
	return rc;
}

int journal_unacked_parent(agent *a, const char *code, char **op_id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*op_id = NULL;
	rc = agent_stmt_get(a, ST_JOURNAL_UNACKED_PARENT, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*op_id = ds_strdup((const char *)sqlite3_column_text(st, 0));
	rc =
	    rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
	agent_stmt_put(st);
	return rc;
}

int agent_journal(agent *a, int64_t since, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array(), *op;
	int rc;

	*out = NULL;
	rc = agent_stmt_get(a, ST_JOURNAL_LIST, &st);
	if (rc)
		goto done;
	sqlite3_bind_int64(st, 1, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		op = journal_row_to_op(st);
		json_object_set_new(op, "prev_hash",
		                    json_string((const char *)sqlite3_column_text(st, 9)));
		json_object_set_new(op, "hash",
		                    json_string((const char *)sqlite3_column_text(st, 10)));
		if (sqlite3_column_type(st, 11) == SQLITE_NULL)
			json_object_set_new(op, "sync", json_string("pending"));
		else
			json_object_set_new(op, "sync",
			                    json_string((const char *)sqlite3_column_text(st, 11)));
		if (sqlite3_column_type(st, 12) != SQLITE_NULL)
			json_object_set_new(op, "version",
			                    json_integer(sqlite3_column_int64(st, 12)));
		if (sqlite3_column_type(st, 13) != SQLITE_NULL)
			json_object_set_new(op, "reason",
			                    json_string((const char *)sqlite3_column_text(st, 13)));
		json_array_append_new(list, op);
	}
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
done:
	agent_stmt_put(st);
	if (rc)
		json_decref(list);
	else
		*out = list;
	return rc;
}

/* Checks one row against the chain so far; names the entry when it is bad. */
static int verify_row(sqlite3_stmt *st, int64_t expect_seq, char prev[DS_SHA256_HEX])
{
	int64_t seq = sqlite3_column_int64(st, 0);
	const char *stored_prev = (const char *)sqlite3_column_text(st, 9);
	const char *stored = (const char *)sqlite3_column_text(st, 10);
	char want[DS_SHA256_HEX];
	json_t *op = journal_row_to_op(st);
	int rc = 0;

	if (seq != expect_seq)
		rc = ds_error_set(DS_EINVALID,
		                  "journal entry %lld is missing (found %lld next): entries were "
		                  "removed or reordered",
		                  (long long)expect_seq, (long long)seq);
	else if (!stored_prev || strcmp(stored_prev, prev) != 0)
		rc = ds_error_set(
		    DS_EINVALID,
		    "journal entry %lld (%s) does not follow entry %lld: its prev_hash "
		    "differs",
		    (long long)seq, json_string_value(json_object_get(op, "op_id")),
		    (long long)seq - 1);
	else if (schema_op_hash(prev, op, want) || !stored || strcmp(want, stored) != 0)
		rc = ds_error_set(DS_EINVALID,
		                  "journal entry %lld (%s) does not match its hash: it was edited",
		                  (long long)seq, json_string_value(json_object_get(op, "op_id")));
	else
		memcpy(prev, stored, DS_SHA256_HEX);
	json_decref(op);
	return rc;
}

int agent_verify_journal(agent *a, int64_t *count)
{
	sqlite3_stmt *st = NULL;
	char prev[DS_SHA256_HEX];
	int64_t n = 0;
	int rc;

	memcpy(prev, schema_genesis_hash, DS_SHA256_HEX);
	if ((rc = agent_query_int(a, ST_JOURNAL_MAX, 0, &n)))
		return rc;
	rc = agent_stmt_get(a, ST_JOURNAL_ALL, &st);
	if (rc)
		return rc;
	ds_progress_begin(a->progress, "verify journal", n);
	n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = verify_row(st, n + 1, prev)) != 0)
			break;
		n++;
		ds_progress_add(a->progress, 1);
	}
	ds_progress_end(a->progress);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = ds_error_sqlite(agent_db(a), rc, "journal");
	agent_stmt_put(st);
	if (count)
		*count = n;
	return rc;
}
