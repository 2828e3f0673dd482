/* store.c: central's store over either engine (store_lite.c, store_pg.c): the SQL of every
 * statement for each dialect (the table below), the statement layer the rest of central
 * calls (bind, step, column), write transactions, and the chain head each node has. */
#include "central/central_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Each statement's SQL: lite for SQLite, and for PostgreSQL the same text with ?N read as
 * $N, or pg where the dialects differ. Write new statements in the SQL both accept. */
static const struct {
	const char *lite, *pg;
} sql[ST_COUNT] = {
    [ST_TOKEN_INSERT] = {"INSERT INTO tokens(id, hash, agency, role, created_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5)"},
    [ST_TOKEN_REVOKE] = {"UPDATE tokens SET revoked_at = coalesce(revoked_at, ?2) "
                         "WHERE id = ?1 RETURNING id"},
    [ST_TOKEN_LIST] = {"SELECT id, agency, role, created_at, revoked_at FROM tokens "
                       "ORDER BY rowid",
                       "SELECT id, agency, role, created_at, revoked_at FROM tokens "
                       "ORDER BY n"},
    [ST_TOKEN_BY_HASH] = {"SELECT id, agency, role FROM tokens "
                          "WHERE hash = ?1 AND revoked_at IS NULL"},
    [ST_NODE_GET] = {"SELECT coalesce(token_id, ''), last_seq, last_hash, "
                     "coalesce(agency, '') FROM nodes WHERE node = ?1"},
    [ST_NODE_INSERT] = {"INSERT INTO nodes(node, token_id, agency, last_seq, last_hash, "
                        "created_at) VALUES (?1, ?2, ?3, 0, ?4, ?5)"},
    [ST_NODE_ADVANCE] = {"UPDATE nodes SET last_seq = ?2, last_hash = ?3 WHERE node = ?1"},
    [ST_OP_GET] = {"SELECT hash, result, version, reason, code FROM ops "
                   "WHERE node = ?1 AND seq = ?2"},
    [ST_OP_INSERT] = {"INSERT INTO ops(node, seq, op_id, code, kind, entry, hash, result, "
                      "version, reason, received_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"},
    [ST_DOSSIER_GET] = {"SELECT agency, version, last_op, body FROM dossiers "
                        "WHERE code = ?1"},
    [ST_DOSSIER_PUT] = {"INSERT INTO dossiers(code, agency, status, due_at, body, version, "
                        "last_op, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                        "ON CONFLICT(code) DO UPDATE SET agency = ?2, status = ?3, "
                        "due_at = ?4, body = ?5, version = ?6, last_op = ?7, updated_at = ?8"},
    [ST_DOSSIER_LIST] = {"SELECT code, agency, status, version, due_at FROM dossiers "
                         "WHERE (?1 IS NULL OR agency = ?1) AND (?2 = 0 OR status = ?2) "
                         "ORDER BY code",
                         "SELECT code, agency, status, version, due_at FROM dossiers "
                         "WHERE ($1::text IS NULL OR agency = $1::text) AND "
                         "($2::bigint = 0 OR status = $2::bigint) ORDER BY code"},
    /* SQLite: the cursor is the new rowid (central_insert_cursor; no RETURNING, which
     * costs SQLite an ephemeral table per row). PostgreSQL: the next after the highest,
     * assigned under the writer lock every write transaction holds until it commits
     * (docs/DESIGN-NOTES.md), and returned. */
    [ST_FEED_INSERT] = {"INSERT INTO feed(code, agency, version, op_id, node, state, at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        "INSERT INTO feed(cursor, code, agency, version, op_id, node, state, "
                        "at) VALUES ((SELECT coalesce(max(cursor), 0) + 1 FROM feed), "
                        "$1, $2, $3, $4, $5, $6, $7) RETURNING cursor"},
    [ST_FEED_STATE] = {"SELECT state FROM feed WHERE code = ?1 AND version = ?2"},
    /* the last change a token sees before a cursor: the receipts' cursor_before */
    [ST_FEED_BEFORE_ALL] = {"SELECT coalesce(max(cursor), 0) FROM feed WHERE cursor < ?1"},
    [ST_FEED_BEFORE_AGENCY] = {"SELECT coalesce(max(cursor), 0) FROM feed "
                               "WHERE agency = ?2 AND cursor < ?1"},
    /* with the kind and true time of the op behind each change (two PCs of one office) */
    [ST_PULL_ALL] = {"SELECT f.cursor, f.code, f.version, f.op_id, f.node, f.state, o.kind, "
                     "json_extract(o.entry, '$.occurred_at') FROM feed f LEFT JOIN ops o "
                     "ON o.op_id = f.op_id WHERE f.cursor > ?1 ORDER BY f.cursor LIMIT ?2",
                     "SELECT f.cursor, f.code, f.version, f.op_id, f.node, f.state, o.kind, "
                     "o.entry::json ->> 'occurred_at' FROM feed f LEFT JOIN ops o "
                     "ON o.op_id = f.op_id WHERE f.cursor > $1 ORDER BY f.cursor LIMIT $2"},
    [ST_PULL_AGENCY] = {"SELECT f.cursor, f.code, f.version, f.op_id, f.node, f.state, "
                        "o.kind, json_extract(o.entry, '$.occurred_at') FROM feed f "
                        "LEFT JOIN ops o ON o.op_id = f.op_id WHERE f.agency = ?3 AND "
                        "f.cursor > ?1 ORDER BY f.cursor LIMIT ?2",
                        "SELECT f.cursor, f.code, f.version, f.op_id, f.node, f.state, "
                        "o.kind, o.entry::json ->> 'occurred_at' FROM feed f "
                        "LEFT JOIN ops o ON o.op_id = f.op_id WHERE f.agency = $3 AND "
                        "f.cursor > $1 ORDER BY f.cursor LIMIT $2"},
    [ST_PUSH_SAVEPOINT] = {"SAVEPOINT push"},
    [ST_PUSH_RELEASE] = {"RELEASE push"},
    [ST_PUSH_ROLLBACK_TO] = {"ROLLBACK TO push"},
    [ST_CODE_CLAIM] = {"INSERT INTO code_taken (agency, day, seq) VALUES (?1, ?2, ?3) "
                       "ON CONFLICT DO NOTHING"},
    [ST_TOKEN_GET] = {"SELECT agency, role, CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END "
                      "FROM tokens WHERE id = ?1"},
    [ST_NODE_MOVE] = {"UPDATE nodes SET token_id = ?2 WHERE node = ?1"},
    /* schema/code.c's next_sql: one past the highest number of the block [?3, ?4] of
     * agency ?1 on day ?2, or else its lowest free number; 0 when all are taken. */
    [ST_CODE_NEXT] = {"SELECT CASE WHEN m IS NULL THEN ?3 WHEN m < ?4 THEN m + 1 ELSE "
                      "(SELECT coalesce(min(x), 0) FROM (SELECT ?3 AS x UNION ALL SELECT "
                      "seq + 1 FROM code_taken WHERE agency = ?1 AND day = ?2 AND seq "
                      "BETWEEN ?3 AND ?4 - 1) y WHERE NOT EXISTS (SELECT 1 FROM code_taken "
                      "WHERE agency = ?1 AND day = ?2 AND seq = x)) END "
                      "FROM (SELECT max(seq) AS m FROM code_taken WHERE agency = ?1 AND "
                      "day = ?2 AND seq BETWEEN ?3 AND ?4) z",
                      "SELECT CASE WHEN m IS NULL THEN $3::int WHEN m < $4::int THEN m + 1 "
                      "ELSE (SELECT coalesce(min(x), 0) FROM (SELECT $3::int AS x UNION ALL "
                      "SELECT seq + 1 FROM code_taken WHERE agency = $1 AND day = $2 AND seq "
                      "BETWEEN $3::int AND $4::int - 1) y WHERE NOT EXISTS (SELECT 1 FROM "
                      "code_taken WHERE agency = $1 AND day = $2 AND seq = x)) END "
                      "FROM (SELECT max(seq) AS m FROM code_taken WHERE agency = $1 AND "
                      "day = $2 AND seq BETWEEN $3::int AND $4::int) z"},
    [ST_DATA_HELD] = {"SELECT sha256 FROM data_files WHERE kind = ?1 AND version = ?2"},
    [ST_DATA_INSERT] = {"INSERT INTO data_files(kind, version, body, sha256, published_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)"},
    /* the file published last of each kind */
    [ST_DATA_NEWEST] = {"SELECT kind, version, body FROM data_files d WHERE rowid = "
                        "(SELECT max(rowid) FROM data_files WHERE kind = d.kind)",
                        "SELECT kind, version, body FROM data_files d WHERE n = "
                        "(SELECT max(n) FROM data_files WHERE kind = d.kind)"},
    /* the operator's tools (ops.c; migrations central/0004, central_pg/0002) */
    [ST_TOKEN_LINE] = {"SELECT coalesce(lineage, id), revoked_at IS NOT NULL FROM tokens "
                       "WHERE id = ?1",
                       "SELECT coalesce(lineage, id), CASE WHEN revoked_at IS NULL THEN 0 "
                       "ELSE 1 END FROM tokens WHERE id = $1"},
    [ST_TOKEN_ROTATE] = {"INSERT INTO tokens(id, hash, agency, role, created_at, lineage) "
                         "SELECT ?1, ?2, agency, role, ?3, coalesce(lineage, id) FROM tokens "
                         "WHERE id = ?4 AND revoked_at IS NULL"},
    [ST_NODES_RETOKEN] = {"UPDATE nodes SET token_id = ?2 WHERE token_id = ?1"},
    [ST_NODE_CONTACT] = {"UPDATE nodes SET last_contact = ?2, "
                         "last_error = coalesce(?3, last_error), "
                         "pull_cursor = coalesce(?4, pull_cursor), "
                         "pull_behind = coalesce(?5, pull_behind) WHERE node = ?1",
                         "UPDATE nodes SET last_contact = $2::text, "
                         "last_error = coalesce($3::text, last_error), "
                         "pull_cursor = coalesce($4::bigint, pull_cursor), "
                         "pull_behind = coalesce($5::bigint, pull_behind) WHERE node = $1"},
    [ST_NODE_LIST] = {"SELECT node, coalesce(agency, ''), coalesce(token_id, ''), last_seq, "
                      "last_contact, last_error, pull_cursor, pull_behind FROM nodes "
                      "ORDER BY node"},
    [ST_FEED_HEAD] = {"SELECT coalesce(max(cursor), 0) FROM feed"},
    [ST_FEED_BEHIND] = {"SELECT count(*) FROM feed WHERE cursor > ?1 AND "
                        "(?2 IS NULL OR agency = ?2)",
                        "SELECT count(*) FROM feed WHERE cursor > $1 AND "
                        "($2::text IS NULL OR agency = $2::text)"},
    /* attachments (files.c; migrations central/0005, central_pg/0003) */
    [ST_FILE_GET] = {"SELECT size, received, verified FROM files WHERE sha256 = ?1"},
    [ST_FILE_INSERT] = {"INSERT INTO files(sha256, size, received, verified, agency, "
                        "created_at) VALUES (?1, ?2, 0, 0, ?3, ?4)"},
    [ST_FILE_RECEIVED] = {"UPDATE files SET received = ?2 WHERE sha256 = ?1"},
    [ST_FILE_VERIFIED] = {"UPDATE files SET verified = 1, verified_at = ?2 WHERE sha256 = ?1"},
    [ST_FILE_USED] = {"SELECT coalesce(sum(size), 0) FROM files WHERE agency = ?1"},
};

int central_where_pg(const char *where)
{
	return where &&
	       (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0);
}

int central_store_open(central_store **out, const char *where, int create)
{
	central_store *s = ds_calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	s->e = central_where_pg(where) ? &central_engine_pg : &central_engine_lite;
	s->where = ds_strdup(where);
	for (int i = 0; i < ST_COUNT; i++) {
		s->q[i].s = s;
		s->q[i].id = (enum central_stmt_id)i;
		s->q[i].row = -1;
	}
	if ((rc = s->e->open(s, where, create))) {
		central_store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void central_store_writer_tune(central_store *s)
{
	if (s->db && ds_db_exec(s->db, "PRAGMA cache_size=-65536"))
		ds_log(DS_LOG_WARN, "the writer keeps the default page cache: %s", ds_error_msg());
}

void central_store_free(central_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++) {
		s->e->reset(&s->q[i]);
		s->e->finalize(&s->q[i]);
	}
	s->e->close(s);
	free(s->where);
	free(s);
}

sqlite3 *central_store_db(central_store *s)
{
	return s->db;
}

const char *central_store_engine(const central_store *s)
{
	return s->e->name;
}

central_q *central_stmt(central_store *s, enum central_stmt_id id)
{
	central_q *q = &s->q[id];

	s->e->reset(q);
	if (!q->sql)
		q->sql = s->e == &central_engine_pg && sql[id].pg ? sql[id].pg : sql[id].lite;
	if (!q->lite && !q->prepared && s->e->prepare(q, q->sql))
		return NULL;
	return q;
}

int central_step(central_q *q, const char *what)
{
	return q->s->e->step(q, what);
}

int central_insert_cursor(central_store *s, central_q *q, const char *what, int64_t *key)
{
	int rc = s->e->step(q, what);

	if (rc == 1)
		*key = s->e->col_int(q, 0);
	else if (rc == 0 && s->db)
		*key = sqlite3_last_insert_rowid(s->db);
	s->e->reset(q);
	if (rc == 0 && !s->db)
		rc = ds_error_set(DS_ERROR, "%s: no key came back", what);
	return rc < 0 ? rc : 0;
}

int central_step_done(central_store *s, central_q *q, const char *what)
{
	int rc = s->e->step(q, what);

	s->e->reset(q);
	return rc < 0 ? rc : 0;
}

void central_reset(central_q *q)
{
	q->s->e->reset(q);
}

void central_bind_text(central_q *q, int i, const char *v)
{
	q->s->e->bind_text(q, i, v, (size_t)-1);
}

void central_bind_text_ref(central_q *q, int i, const char *v)
{
	if (q->lite && v)
		sqlite3_bind_text(q->lite, i, v, -1, SQLITE_STATIC);
	else
		q->s->e->bind_text(q, i, v, (size_t)-1);
}

void central_bind_textn(central_q *q, int i, const char *v, size_t n)
{
	q->s->e->bind_text(q, i, v, n);
}

void central_bind_int(central_q *q, int i, int64_t v)
{
	q->s->e->bind_int(q, i, v);
}

const char *central_col_text(central_q *q, int i)
{
	return q->s->e->col_text(q, i);
}

size_t central_col_bytes(central_q *q, int i)
{
	return q->s->e->col_bytes(q, i);
}

int64_t central_col_int(central_q *q, int i)
{
	return q->s->e->col_int(q, i);
}

int central_col_null(central_q *q, int i)
{
	return q->s->e->col_null(q, i);
}

int central_txn_lost(central_store *s)
{
	return s->e->txn_lost(s);
}

int central_write_begin(central_store *s)
{
	int rc;

	if (s->write_lock)
		pthread_mutex_lock(s->write_lock);
	rc = s->e->begin(s);
	if (rc && s->write_lock)
		pthread_mutex_unlock(s->write_lock);
	return rc;
}

int central_write_end(central_store *s, int rc)
{
	if (rc == 0)
		rc = s->e->commit(s); /* rolls back by itself when the commit fails */
	else
		s->e->rollback(s);
	if (s->write_lock)
		pthread_mutex_unlock(s->write_lock);
	return rc;
}

void central_now(char out[DS_TIME_LEN])
{
	/* formatted once a second per thread: a push stamps every op it stores */
	static _Thread_local int64_t at = INT64_MIN;
	static _Thread_local char text[DS_TIME_LEN];
	int64_t now = ds_time_now();

	if (now != at) {
		ds_time_format(now, DS_TZ_VN, text);
		at = now;
	}
	memcpy(out, text, DS_TIME_LEN);
}

int central_head_get(central_store *s, const char *node, central_head *h)
{
	central_q *st = central_stmt(s, ST_NODE_GET);
	int rc;

	memset(h, 0, sizeof(*h));
	memcpy(h->last_hash, schema_genesis_hash, DS_SHA256_HEX);
	if (!st)
		return ds_error_code();
	central_bind_text(st, 1, node);
	rc = central_step(st, "reading the node");
	if (rc == 1) {
		h->found = 1;
		snprintf(h->token_id, sizeof(h->token_id), "%s", central_col_text(st, 0));
		h->last_seq = central_col_int(st, 1);
		snprintf(h->last_hash, sizeof(h->last_hash), "%s", central_col_text(st, 2));
		snprintf(h->agency, sizeof(h->agency), "%s", central_col_text(st, 3));
		rc = 0;
	}
	central_reset(st);
	return rc;
}

int central_head_bind(central_store *s, const char *node, const char *token_id, const char *agency)
{
	central_q *st = central_stmt(s, ST_NODE_INSERT);
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
	central_q *st = central_stmt(s, ST_NODE_ADVANCE);

	if (!st)
		return ds_error_code();
	central_bind_text(st, 1, node);
	central_bind_int(st, 2, seq);
	central_bind_text(st, 3, hash);
	return central_step_done(s, st, "advancing the node");
}

/* Records seq of agency on day as taken. */
static int claim_seq(central_store *s, const char *agency, const char *day, int seq)
{
	central_q *st = central_stmt(s, ST_CODE_CLAIM);

	if (!st)
		return ds_error_code();
	central_bind_text(st, 1, agency);
	central_bind_text(st, 2, day);
	central_bind_int(st, 3, seq);
	return central_step_done(s, st, "code allocation");
}

/* The yyMMdd day of a code ("AGENCY-yyMMdd-NNNN"). */
static void code_day(const char *code, char day[7])
{
	const char *dash = strrchr(code, '-');

	snprintf(day, 7, "%.6s", dash - 6);
}

int central_code_claim(central_store *s, const char *code)
{
	char agency[SCHEMA_CODE_MAX], day[7];
	int y, m, d, seq, rc;

	if ((rc = schema_code_parse(code, agency, &y, &m, &d, &seq)))
		return rc;
	code_day(code, day);
	return claim_seq(s, agency, day, seq);
}

int central_code_alloc(central_store *s, const char *agency, int64_t when,
                       char code[SCHEMA_CODE_MAX])
{
	char first[SCHEMA_CODE_MAX], day[7];
	central_q *st = NULL;
	int y, m, d, seq, next = 0, rc;

	code[0] = '\0';
	if ((rc = schema_code_format(first, agency, when, CENTRAL_CODE_LO)) ||
	    (rc = schema_code_parse(first, NULL, &y, &m, &d, &seq)))
		return rc;
	code_day(first, day);
	if (!(st = central_stmt(s, ST_CODE_NEXT)))
		return ds_error_code();
	central_bind_text(st, 1, agency);
	central_bind_text(st, 2, day);
	central_bind_int(st, 3, CENTRAL_CODE_LO);
	central_bind_int(st, 4, CENTRAL_CODE_HI);
	rc = central_step(st, "code allocation");
	if (rc == 1)
		next = (int)central_col_int(st, 0);
	central_reset(st);
	if (rc < 0)
		return rc;
	if (next == 0)
		return ds_error_set(DS_ETOOBIG,
		                    "no dossier codes left for %s on %04d-%02d-%02d (block %d-%d "
		                    "used up)",
		                    agency, y, m, d, CENTRAL_CODE_LO, CENTRAL_CODE_HI);
	if ((rc = claim_seq(s, agency, day, next)))
		return rc;
	snprintf(code, SCHEMA_CODE_MAX, "%s-%s-%04d", agency, day, next);
	return 0;
}
