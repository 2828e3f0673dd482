/* stmt.c: agent.db's statements: every SQL text the agent runs is in the table below,
 * indexed by enum agent_stmt_id (agent_int.h), prepared on first use and cached for the
 * connection; the journal's column list and the reader of a journal row; the typed
 * accessors the other files share (sync state, pending ops, receipts). */
#include "agent/agent_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The nine canonical columns of a journal entry, in the order journal_row_to_op reads
 * them: OP_NAMES to write them, OP_COLUMNS to read them from `journal j`. */
#define OP_NAMES "seq, op_id, code, kind, payload, base, parent, actor, occurred_at"
#define OP_COLUMNS                                                                                 \
	"j.seq, j.op_id, j.code, j.kind, j.payload, j.base, j.parent, j.actor, j.occurred_at"
/* The one definition of a pending op (no receipt yet): receipts arrive per batch in seq
 * order, so the ops with one are a prefix of the journal. */
#define PENDING "j.seq > (SELECT coalesce(max(seq), 0) FROM op_state)"

static const char *const sql[ST_COUNT] = {
    [ST_STATE_GET] = "SELECT value FROM sync_state WHERE key = ?",
    [ST_STATE_SET] = "INSERT INTO sync_state(key, value) VALUES (?, ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [ST_JOURNAL_LAST] = "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
    [ST_JOURNAL_INSERT] = "INSERT INTO journal(" OP_NAMES ", prev_hash, hash) "
                          "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    [ST_JOURNAL_UNACKED_PARENT] =
        "SELECT op_id FROM journal j WHERE code = ? AND " PENDING " ORDER BY seq DESC LIMIT 1",
    [ST_JOURNAL_LIST] = "SELECT " OP_COLUMNS ", j.prev_hash, j.hash, s.result, s.version, "
                        "s.reason FROM journal j LEFT JOIN op_state s ON s.seq = j.seq "
                        "WHERE j.seq > ? ORDER BY j.seq",
    [ST_JOURNAL_ALL] = "SELECT " OP_COLUMNS ", prev_hash, hash FROM journal j ORDER BY rowid",
    [ST_JOURNAL_MAX] = "SELECT coalesce(max(seq), 0) FROM journal",
    [ST_JOURNAL_FROM] = "SELECT " OP_COLUMNS ", prev_hash, hash FROM journal j "
                        "WHERE seq >= ? ORDER BY seq LIMIT ?",
    [ST_JOURNAL_CODE] = "SELECT code FROM journal WHERE seq = ?",
    [ST_JOURNAL_HASH] = "SELECT hash FROM journal WHERE seq = ?",
    [ST_JOURNAL_BY_OP_ID] = "SELECT " OP_COLUMNS " FROM journal j WHERE op_id = ?",
    [ST_PENDING_COUNT] = "SELECT count(*) FROM journal j WHERE " PENDING,
    [ST_PENDING_OLDEST] =
        "SELECT occurred_at FROM journal j WHERE " PENDING " ORDER BY seq LIMIT 1",
    [ST_FIRST_UNPUSHED] = "SELECT coalesce(max(seq), 0) + 1 FROM op_state",
    [ST_SYNC_LABEL] = "SELECT s.result FROM journal j LEFT JOIN op_state s ON s.seq = j.seq "
                      "WHERE j.code = ? ORDER BY j.seq DESC LIMIT 1",
    [ST_SETTLED] = "SELECT count(*) FROM journal j LEFT JOIN op_state s ON s.seq = j.seq "
                   "WHERE j.code = ? AND (s.seq IS NULL OR s.result = 'conflict')",
    [ST_RECEIPT_PUT] = "INSERT INTO op_state(seq, result, version, reason, at) VALUES "
                       "(?, ?, ?, ?, ?) ON CONFLICT(seq) DO UPDATE SET result = "
                       "excluded.result, version = excluded.version, reason = "
                       "excluded.reason, at = excluded.at",
    [ST_ROW_VERSION_ACK] = "UPDATE dossiers SET version = ?1 WHERE updated_seq = ?2 AND "
                           "version < ?1 AND code = (SELECT code FROM journal WHERE seq = ?2)",
    [ST_OPS_REJECTED] = "SELECT count(*) FROM op_state WHERE result = 'rejected'",
    [ST_OPS_CONFLICT] = "SELECT count(*) FROM op_state WHERE result = 'conflict'",
    [ST_SUPERSEDE] = "UPDATE op_state SET result = 'superseded' WHERE result = 'conflict' "
                     "AND seq IN (SELECT seq FROM journal WHERE code = ?)",
    [ST_CONFLICTED_CODES] = "SELECT DISTINCT j.code FROM journal j JOIN op_state s ON s.seq "
                            "= j.seq WHERE s.result = 'conflict' ORDER BY 1",
    [ST_CONFLICT_FACTS] =
        "WITH c AS (SELECT max(j.base) AS base, max(s.version) AS seen, min(j.seq) AS first "
        "FROM journal j JOIN op_state s ON s.seq = j.seq WHERE j.code = ?1 AND s.result = "
        "'conflict') SELECT c.base, c.seen, (SELECT max(s.version) FROM journal j JOIN "
        "op_state s ON s.seq = j.seq WHERE j.code = ?1 AND j.seq < c.first AND s.result IN "
        "('applied', 'duplicate')) FROM c",
    [ST_ACTS_JOURNAL] = "SELECT " OP_COLUMNS " FROM journal j JOIN op_state s ON s.seq = "
                        "j.seq WHERE j.code = ? AND s.result = 'conflict' ORDER BY j.seq",
    [ST_LOCAL_MOVE_TIME] = "SELECT occurred_at FROM journal WHERE code = ? AND kind = "
                           "'transition' AND json_extract(payload, '$.to') = ? "
                           "ORDER BY seq DESC LIMIT 1",
    [ST_REPLAY_OPS] = "SELECT " OP_COLUMNS ", coalesce(s.result, ''), coalesce(s.version, "
                      "0) FROM journal j LEFT JOIN op_state s ON s.seq = j.seq "
                      "WHERE j.code = ? ORDER BY j.seq",
    [ST_DOSSIER_GET] = "SELECT body, version FROM dossiers WHERE code = ?",
    [ST_DOSSIER_VERSION] = "SELECT version FROM dossiers WHERE code = ?",
    [ST_DOSSIER_PUT] = "INSERT INTO dossiers(code, agency, status, due_at, body, version, "
                       "updated_seq, received_at) VALUES (?1, ?2, ?3, ?4, ?5, max(?6, 0), ?7, "
                       "?8) ON CONFLICT(code) DO UPDATE SET status = ?3, due_at = ?4, "
                       "body = ?5, version = CASE WHEN ?6 < 0 THEN version ELSE ?6 END, "
                       "updated_seq = max(updated_seq, ?7), received_at = ?8",
    [ST_SEARCH_ID] = "INSERT INTO search_ids(code) VALUES (?1) ON CONFLICT(code) DO NOTHING",
    [ST_SEARCH_PUT] = "INSERT OR REPLACE INTO dossier_search(rowid, text) "
                      "SELECT id, ?2 FROM search_ids WHERE code = ?1",
    [ST_DOSSIER_COUNT] = "SELECT count(*) FROM dossiers",
    [ST_OWN_ROW] = "SELECT d.body, d.version FROM dossiers d JOIN journal j ON j.op_id = ?2 "
                   "WHERE d.code = ?1 AND d.updated_seq = j.seq",
    [ST_ALL_CODES] = "SELECT code FROM dossiers UNION SELECT code FROM journal UNION "
                     "SELECT code FROM inbox ORDER BY 1",
    [ST_CHANGED_CODES] = "SELECT code FROM journal WHERE seq > ?1 UNION SELECT code FROM "
                         "inbox WHERE cursor > ?2 ORDER BY 1",
    [ST_CHANGED_STEP] = "SELECT code FROM journal WHERE seq > ?1 AND seq <= ?2 AND code > ?5 "
                        "UNION SELECT code FROM inbox WHERE cursor > ?3 AND cursor <= ?4 AND "
                        "code > ?5 ORDER BY 1 LIMIT ?6",
    [ST_INBOX_INSERT] = "INSERT OR IGNORE INTO inbox(cursor, code, version, op_id, node, "
                        "state, received_at, kind, occurred_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_INBOX_NEWEST] = "SELECT state, version FROM inbox WHERE code = ? "
                        "ORDER BY version DESC LIMIT 1",
    [ST_INBOX_AT] = "SELECT state FROM inbox WHERE code = ? AND version = ? "
                    "ORDER BY cursor DESC LIMIT 1",
    [ST_INBOX_STATE] = "SELECT state, version FROM inbox WHERE code = ?1 AND (?2 = 0 OR "
                       "version = ?2) ORDER BY version DESC LIMIT 1",
    [ST_INBOX_FROM] = "SELECT cursor, code, state FROM inbox WHERE cursor > ?1 AND cursor <= ?2 "
                      "ORDER BY cursor LIMIT ?3",
    [ST_INBOX_MAX_CURSOR] = "SELECT coalesce(max(cursor), 0) FROM inbox",
    [ST_INBOX_CODE_CURSOR] = "SELECT coalesce(max(cursor), 0) FROM inbox WHERE code = ?",
    [ST_INBOX_COUNT] = "SELECT count(*) FROM inbox WHERE cursor > ?1 AND cursor <= ?2",
    [ST_INBOX_MAX_VERSION] = "SELECT coalesce(max(version), 0) FROM inbox WHERE code = ?",
    [ST_ACTS_INBOX] = "SELECT node, kind, occurred_at, state FROM inbox WHERE code = ? AND "
                      "version > ? ORDER BY version",
    [ST_CONFLICTS_OPEN_COUNT] = "SELECT count(*), min(since_epoch) FROM conflicts WHERE "
                                "resolved_at IS NULL AND (?1 IS NULL OR code = ?1)",
    [ST_CONFLICT_QUEUE] = "INSERT INTO conflicts(code, field, ancestor, ours, theirs, reason, "
                          "since, since_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT(code, field) WHERE resolved_at IS NULL DO UPDATE SET "
                          "ours = excluded.ours, theirs = excluded.theirs, "
                          "reason = excluded.reason",
    [ST_CONFLICT_LIST] = "SELECT code, field, ancestor, ours, theirs, reason, since FROM "
                         "conflicts WHERE resolved_at IS NULL ORDER BY since_epoch, id",
    [ST_CONFLICT_GET] = "SELECT id, ours FROM conflicts WHERE code = ? AND field = ? AND "
                        "resolved_at IS NULL",
    [ST_CONFLICT_CLOSE] = "UPDATE conflicts SET resolved_at = ?, resolution = ?, "
                          "resolved_by = ?, resolve_seq = ? WHERE id = ?",
    [ST_REPORT_ROWS] = "SELECT body, version, code FROM dossiers WHERE (?1 IS NULL OR "
                       "substr(json_extract(body, '$.received_at'), 1, 10) >= ?1) AND (?2 IS "
                       "NULL OR substr(json_extract(body, '$.received_at'), 1, 10) <= ?2) "
                       "ORDER BY code",
    /* attachments (attach.c, upload.c, fetch.c; migration 0006) */
    [ST_FILE_GET] = "SELECT size, state, acked, code FROM files WHERE sha256 = ?",
    [ST_FILE_ADD] = "INSERT INTO files(sha256, size, code, state, added_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(sha256) DO NOTHING",
    [ST_FILE_UP_LIST] = "SELECT sha256, size, code FROM files WHERE state = 'up' "
                        "ORDER BY added_at, sha256 LIMIT 1000",
    [ST_FILE_ACKED] = "UPDATE files SET acked = ?2 WHERE sha256 = ?1",
    [ST_FILE_DONE] = "UPDATE files SET state = 'sent', acked = size, done_at = ?2, error = NULL "
                     "WHERE sha256 = ?1 AND state = 'up'",
    [ST_FILE_ERROR] = "UPDATE files SET error = ?2 WHERE sha256 = ?1",
    [ST_FILE_BACKLOG] = "SELECT count(*), coalesce(sum(size - acked), 0), min(added_at), "
                        "count(error) FROM files WHERE state = 'up'",
    [ST_FILE_REFUSED] = "SELECT sha256, code, error FROM files WHERE state = 'up' AND error IS "
                        "NOT NULL ORDER BY added_at LIMIT 10",
    /* the files the store's dossiers list that DIR/files lacks (prefetch) */
    [ST_FILE_MISSING] = "SELECT DISTINCT d.code FROM dossiers d, json_each(d.body, "
                        "'$.attachments') x WHERE json_extract(x.value, '$.sha256') NOT IN "
                        "(SELECT sha256 FROM files) ORDER BY d.code LIMIT 1000",
};

/* The parts of `list`'s SELECT of codes (agent_find_prepare), in the order of enum
 * agent_find_part: the search drives the query through the trigram index when given
 * (joining dossiers only when a filter needs its columns), else the dossiers table; each
 * filter adds its condition, with named parameters. Only codes are selected and sorted:
 * the bodies are read for the rows shown. */
static const char find_from[] = "SELECT d.code FROM dossiers d WHERE 1";
static const char find_text[] = "SELECT f.code FROM dossier_search s JOIN search_ids f ON "
                                "f.id = s.rowid";
static const char find_join[] = " JOIN dossiers d ON d.code = f.code";
static const char find_match[] = " WHERE dossier_search MATCH :text";
static const char *const find_where[] = {
    " AND d.status = :status",
    " AND d.status IN (9, 10)",
    " AND d.status NOT IN (3, 8, 9, 10) AND d.due_at < :now",
    " AND d.status NOT IN (3, 8, 9, 10) AND d.due_at BETWEEN :now AND :due_by",
    " AND d.received_at >= :from",
    " AND d.received_at < :to",
    " AND d.code IN (SELECT j.code FROM journal j WHERE " PENDING ")",
};

int agent_find_prepare(agent *a, unsigned parts, sqlite3_stmt **st)
{
	ds_buf q = DS_BUF_INIT;
	size_t i;
	int rc;

	*st = NULL;
	if (parts & FIND_TEXT) {
		ds_buf_puts(&q, find_text);
		if (parts & ~(unsigned)FIND_TEXT)
			ds_buf_puts(&q, find_join);
		ds_buf_puts(&q, find_match);
	} else {
		ds_buf_puts(&q, find_from);
	}
	for (i = 0; i < DS_ARRAY_LEN(find_where); i++)
		if (parts & (2u << i))
			ds_buf_puts(&q, find_where[i]);
	ds_buf_puts(&q, parts & FIND_TEXT ? " ORDER BY f.code" : " ORDER BY d.code");
	rc = ds_db_prepare(a->store->db, q.ptr, st);
	ds_buf_release(&q);
	return rc;
}

int agent_store_open(struct agent_store **out, const char *path)
{
	struct agent_store *s = ds_calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if ((rc = ds_db_open(path, SQLITE_OPEN_READWRITE, &s->db)) == 0 &&
	    (rc = schema_migrate(s->db, "agent")) == 0) {
		*out = s;
		return 0;
	}
	agent_store_free(s);
	return rc;
}

void agent_store_free(struct agent_store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

sqlite3 *agent_db(agent *a)
{
	assert(a && a->store);
	return a->store->db;
}

int agent_stmt_get(agent *a, enum agent_stmt_id id, sqlite3_stmt **st)
{
	struct agent_store *s = a->store;

	*st = NULL;
	if ((int)id < 0 || id >= ST_COUNT)
		return ds_error_set(DS_EINVALID, "no agent statement %d", (int)id);
	assert(sql[id] != NULL);
	if (!s->st[id]) {
		int rc = ds_db_prepare(s->db, sql[id], &s->st[id]);

		*st = s->st[id];
		return rc;
	}
	if (sqlite3_stmt_busy(s->st[id]))
		return ds_error_set(DS_EINVALID, "agent statement %d is already in use", (int)id);
	sqlite3_reset(s->st[id]);
	sqlite3_clear_bindings(s->st[id]);
	*st = s->st[id];
	return 0;
}

void agent_stmt_put(sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int agent_query_int(agent *a, enum agent_stmt_id id, int64_t dflt, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = dflt;
	if ((rc = agent_stmt_get(a, id, &st)))
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(st, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ds_error_sqlite(a->store->db, rc, "query");
	agent_stmt_put(st);
	return rc;
}

int agent_state_get(agent *a, const char *key, char **value)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*value = NULL;
	if (!key)
		return ds_error_set(DS_EINVALID, "sync state: no key");
	if ((rc = agent_stmt_get(a, ST_STATE_GET, &st)))
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
		*value = ds_strdup((const char *)sqlite3_column_text(st, 0));
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE
	         ? 0
	         : ds_error_sqlite(a->store->db, rc, "sync state");
	agent_stmt_put(st);
	return rc;
}

int agent_state_set(agent *a, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!key)
		return ds_error_set(DS_EINVALID, "sync state: no key");
	if ((rc = agent_stmt_get(a, ST_STATE_SET, &st)))
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(a->store->db, rc, "sync state");
	agent_stmt_put(st);
	return rc;
}

/* Sets obj[key] = v (taken over); 0 when v is NULL (a column that is not text). */
static int member(json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new_nocheck(obj, key, v) == 0;
}

/* Column i of st as a JSON string, checked as json_pack would (NULL when not text). */
static json_t *text_at(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? json_string(s) : NULL;
}

json_t *journal_row_to_op(sqlite3_stmt *st)
{
	const char *payload = (const char *)sqlite3_column_text(st, 4);
	json_t *op = json_object(), *p = NULL;

	/* written canonical (journal_insert): the quick reader takes it; any other text is
	 * read as it always was */
	if (payload && ds_json_parse_fast(payload, (size_t)sqlite3_column_bytes(st, 4), &p)) {
		ds_error_clear();
		p = json_loads(payload, JSON_DECODE_ANY, NULL);
	}
	/* the members one by one, not json_pack: this runs for every op of every push */
	if (member(op, "seq", json_integer((json_int_t)sqlite3_column_int64(st, 0))) &&
	    member(op, "op_id", text_at(st, 1)) && member(op, "code", text_at(st, 2)) &&
	    member(op, "kind", text_at(st, 3)) && member(op, "payload", p ? p : json_null()) &&
	    member(op, "base", json_integer((json_int_t)sqlite3_column_int64(st, 5))) &&
	    member(op, "parent",
	           sqlite3_column_type(st, 6) == SQLITE_NULL ? json_null() : text_at(st, 6)) &&
	    member(op, "actor", text_at(st, 7)) && member(op, "occurred_at", text_at(st, 8)))
		return op;
	json_decref(op);
	return NULL;
}

int agent_result_parse(const char *text, enum agent_result *out)
{
	int wire = sync_result_parse(text);

	*out = AGENT_PENDING;
	if (!text || !*text)
		return 0;
	if (wire) {
		*out = (enum agent_result)wire;
		return 0;
	}
	if (!strcmp(text, "superseded")) {
		*out = AGENT_SUPERSEDED;
		return 0;
	}
	return ds_error_set(DS_EINVALID, "unknown op result \"%.40s\"", text);
}

int agent_row_version(agent *a, const char *code, int *found, int64_t *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*found = 0;
	*version = 0;
	if ((rc = agent_stmt_get(a, ST_DOSSIER_VERSION, &st)))
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		*version = sqlite3_column_int64(st, 0);
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
	                                           : ds_error_sqlite(a->store->db, rc, "dossiers");
	agent_stmt_put(st);
	return rc;
}

int journal_first_pending(agent *a, int64_t *seq)
{
	return agent_query_int(a, ST_FIRST_UNPUSHED, 1, seq);
}

int journal_max_seq(agent *a, int64_t *seq)
{
	return agent_query_int(a, ST_JOURNAL_MAX, 0, seq);
}

int agent_pending_ops(agent *a, int64_t *n)
{
	return agent_query_int(a, ST_PENDING_COUNT, 0, n);
}

int journal_receipt_put(agent *a, int64_t seq, const char *result, int64_t version,
                        const char *reason, const char *at)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (seq < 1 || !result || !at)
		return ds_error_set(DS_EINVALID, "receipts: op %lld needs a result and a time",
		                    (long long)seq);
	if ((rc = agent_stmt_get(a, ST_RECEIPT_PUT, &st)))
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, result, -1, SQLITE_STATIC);
	if (version >= 0)
		sqlite3_bind_int64(st, 3, version);
	if (reason)
		sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(a->store->db, rc, "receipts");
	agent_stmt_put(st);
	return rc;
}
