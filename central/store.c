/* store.c: central.db: opening and migrating it, the per-connection cache of prepared
 * statements (all of central's SQL is in the table below), write transactions, and the
 * chain head each node has on central. */
#include "central/central_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const sql[ST_COUNT] = {
    [ST_TOKEN_INSERT] = "INSERT INTO tokens(id, hash, agency, role, created_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?2) "
                        "WHERE id = ?1",
    [ST_TOKEN_LIST] = "SELECT id, agency, role, created_at, revoked_at FROM tokens "
                      "ORDER BY rowid",
    [ST_TOKEN_BY_HASH] = "SELECT id, agency, role FROM tokens "
                         "WHERE hash = ?1 AND revoked_at IS NULL",
    [ST_NODE_GET] = "SELECT coalesce(token_id, ''), last_seq, last_hash, "
                    "coalesce(agency, '') FROM nodes WHERE node = ?1",
    [ST_NODE_INSERT] = "INSERT INTO nodes(node, token_id, agency, last_seq, last_hash, "
                       "created_at) VALUES (?1, ?2, ?3, 0, ?4, ?5)",
    [ST_NODE_ADVANCE] = "UPDATE nodes SET last_seq = ?2, last_hash = ?3 WHERE node = ?1",
    [ST_OP_GET] = "SELECT hash, result, version, reason, code FROM ops "
                  "WHERE node = ?1 AND seq = ?2",
    [ST_OP_INSERT] = "INSERT INTO ops(node, seq, op_id, code, kind, entry, hash, result, "
                     "version, reason, received_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_DOSSIER_GET] = "SELECT agency, version, last_op, body FROM dossiers "
                       "WHERE code = ?1",
    [ST_DOSSIER_PUT] = "INSERT INTO dossiers(code, agency, status, due_at, body, version, "
                       "last_op, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                       "ON CONFLICT(code) DO UPDATE SET agency = ?2, status = ?3, "
                       "due_at = ?4, body = ?5, version = ?6, last_op = ?7, updated_at = ?8",
    [ST_DOSSIER_LIST] = "SELECT code, agency, status, version, due_at FROM dossiers "
                        "WHERE (?1 IS NULL OR agency = ?1) AND (?2 = 0 OR status = ?2) "
                        "ORDER BY code",
    [ST_FEED_INSERT] = "INSERT INTO feed(code, agency, version, op_id, node, state, at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_FEED_STATE] = "SELECT state FROM feed WHERE code = ?1 AND version = ?2",
    /* with the kind and true time of the op behind each change (two PCs of one office) */
    [ST_PULL_ALL] = "SELECT f.cursor, f.code, f.version, f.op_id, f.node, f.state, o.kind, "
                    "json_extract(o.entry, '$.occurred_at') FROM feed f LEFT JOIN ops o "
                    "ON o.op_id = f.op_id WHERE f.cursor > ?1 ORDER BY f.cursor LIMIT ?2",
    [ST_PULL_AGENCY] = "SELECT f.cursor, f.code, f.version, f.op_id, f.node, f.state, "
                       "o.kind, json_extract(o.entry, '$.occurred_at') FROM feed f "
                       "LEFT JOIN ops o ON o.op_id = f.op_id WHERE f.agency = ?3 AND "
                       "f.cursor > ?1 ORDER BY f.cursor LIMIT ?2",
    [ST_SAVEPOINT] = "SAVEPOINT op",
    [ST_RELEASE] = "RELEASE op",
    [ST_ROLLBACK_TO] = "ROLLBACK TO op",
    [ST_PUSH_SAVEPOINT] = "SAVEPOINT push",
    [ST_PUSH_RELEASE] = "RELEASE push",
    [ST_PUSH_ROLLBACK_TO] = "ROLLBACK TO push",
    [ST_CODE_CLAIM] = schema_code_claim_sql,
    [ST_TOKEN_GET] = "SELECT agency, role, revoked_at IS NOT NULL FROM tokens WHERE id = ?1",
    [ST_NODE_MOVE] = "UPDATE nodes SET token_id = ?2 WHERE node = ?1",
    /* the operator's tools (ops.c; migration 0004) */
    [ST_TOKEN_LINE] = "SELECT coalesce(lineage, id), revoked_at IS NOT NULL FROM tokens "
                      "WHERE id = ?1",
    [ST_TOKEN_ROTATE] = "INSERT INTO tokens(id, hash, agency, role, created_at, lineage) "
                        "SELECT ?1, ?2, agency, role, ?3, coalesce(lineage, id) FROM tokens "
                        "WHERE id = ?4 AND revoked_at IS NULL",
    [ST_NODES_RETOKEN] = "UPDATE nodes SET token_id = ?2 WHERE token_id = ?1",
    [ST_NODE_CONTACT] = "UPDATE nodes SET last_contact = ?2, "
                        "last_error = coalesce(?3, last_error), "
                        "pull_cursor = coalesce(?4, pull_cursor), "
                        "pull_behind = coalesce(?5, pull_behind) WHERE node = ?1",
    [ST_NODE_LIST] = "SELECT node, coalesce(agency, ''), coalesce(token_id, ''), last_seq, "
                     "last_contact, last_error, pull_cursor, pull_behind FROM nodes "
                     "ORDER BY node",
    [ST_FEED_HEAD] = "SELECT coalesce(max(cursor), 0) FROM feed",
    [ST_FEED_BEHIND] = "SELECT count(*) FROM feed WHERE cursor > ?1 AND "
                       "(?2 IS NULL OR agency = ?2)",
};

static int check_version(sqlite3 *db, const char *path)
{
	sqlite3_stmt *st = NULL;
	int rc, have, want = schema_version_latest("central");

	rc = ds_db_prepare(db, "PRAGMA user_version", &st);
	if (rc)
		return rc;
	have = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (have > want)
		return ds_error_set(DS_EINVALID,
		                    "%s has schema version %d, newer than this build knows (%d)",
		                    path, have, want);
	if (have < want)
		return ds_error_set(DS_EINVALID,
		                    "%s is not initialised to schema version %d "
		                    "(run dossync-central init)",
		                    path, want);
	return 0;
}

int central_store_open(central_store **out, const char *path, int create)
{
	central_store *s = NULL;
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int rc;

	*out = NULL;
	if (!create && access(path, F_OK) != 0)
		return ds_error_set(DS_ENOTFOUND,
		                    "no central database at %s (run dossync-central init)", path);
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	rc = ds_db_open(path, flags, &db);
	if (rc)
		goto done;
	rc = create ? schema_migrate(db, "central") : check_version(db, path);
	if (rc)
		goto done;
	s = ds_calloc(1, sizeof(*s));
	s->db = db;
	db = NULL;
	*out = s;
done:
	sqlite3_close(db);
	return rc;
}

void central_store_free(central_store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

sqlite3 *central_store_db(central_store *s)
{
	return s->db;
}

sqlite3_stmt *central_stmt(central_store *s, enum central_stmt_id id)
{
	sqlite3_stmt *st = s->st[id];

	if (!st) {
		if (ds_db_prepare(s->db, sql[id], &s->st[id]))
			return NULL;
		return s->st[id];
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int central_step_done(central_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	rc = ds_error_sqlite(s->db, rc, what);
	sqlite3_reset(st);
	return rc;
}

void central_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

const char *central_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

int central_write_begin(central_store *s)
{
	int rc;

	if (s->write_lock)
		pthread_mutex_lock(s->write_lock);
	rc = ds_db_begin(s->db);
	if (rc && s->write_lock)
		pthread_mutex_unlock(s->write_lock);
	return rc;
}

int central_write_end(central_store *s, int rc)
{
	if (rc == 0)
		rc = ds_db_commit(s->db); /* rolls back by itself when the commit fails */
	else
		ds_db_rollback(s->db);
	if (s->write_lock)
		pthread_mutex_unlock(s->write_lock);
	return rc;
}

void central_now(char out[DS_TIME_LEN])
{
	ds_time_format(ds_time_now(), DS_TZ_VN, out);
}

int central_head_get(central_store *s, const char *node, central_head *h)
{
	sqlite3_stmt *st = central_stmt(s, ST_NODE_GET);
	int rc;

	memset(h, 0, sizeof(*h));
	memcpy(h->last_hash, schema_genesis_hash, DS_SHA256_HEX);
	if (!st)
		return ds_error_code();
	central_bind_text(st, 1, node);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		h->found = 1;
		snprintf(h->token_id, sizeof(h->token_id), "%s", central_col_text(st, 0));
		h->last_seq = sqlite3_column_int64(st, 1);
		snprintf(h->last_hash, sizeof(h->last_hash), "%s", central_col_text(st, 2));
		snprintf(h->agency, sizeof(h->agency), "%s", central_col_text(st, 3));
		rc = SQLITE_DONE;
	}
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(s->db, rc, "reading the node");
	sqlite3_reset(st);
	return rc;
}

int central_head_bind(central_store *s, const char *node, const char *token_id, const char *agency)
{
	sqlite3_stmt *st = central_stmt(s, ST_NODE_INSERT);
	char now[DS_TIME_LEN];

	if (!st)
		return ds_error_code();
	central_now(now);
	central_bind_text(st, 1, node);
	central_bind_text(st, 2, token_id);
	central_bind_text(st, 3, agency);
	central_bind_text(st, 4, schema_genesis_hash);
	central_bind_text(st, 5, now);
	return central_step_done(s, st, "binding the node");
}

int central_head_advance(central_store *s, const char *node, int64_t seq, const char *hash)
{
	sqlite3_stmt *st = central_stmt(s, ST_NODE_ADVANCE);

	if (!st)
		return ds_error_code();
	central_bind_text(st, 1, node);
	sqlite3_bind_int64(st, 2, seq);
	central_bind_text(st, 3, hash);
	return central_step_done(s, st, "advancing the node");
}
