/* store_lite.c: the SQLite engine of central's store (the default): one connection to a
 * central.db file, migrated by schema_migrate, its statements prepared once and stepped
 * in place, write transactions as BEGIN IMMEDIATE.
 */
#include "central/central_int.h"

#include <unistd.h>

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

static int lite_open(central_store *s, const char *path, int create)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int rc;

	if (!create && access(path, F_OK) != 0)
		return ds_error_set(DS_ENOTFOUND,
		                    "no central database at %s (run dossync-central init)", path);
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if ((rc = ds_db_open(path, flags, &s->db)))
		return rc;
	/* Savepoint journals in memory: a push's savepoint spans every page its ops touch,
	 * which otherwise spills past 64 KiB into a temporary file written page by page. */
	if ((rc = ds_db_exec(s->db, "PRAGMA temp_store=MEMORY")))
		return rc;
	return create ? schema_migrate(s->db, "central") : check_version(s->db, path);
}

static void lite_close(central_store *s)
{
	sqlite3_close(s->db);
	s->db = NULL;
}

static int lite_prepare(central_q *q, const char *sql)
{
	return ds_db_prepare(q->s->db, sql, &q->lite);
}

static void lite_bind_text(central_q *q, int i, const char *v, size_t n)
{
	if (v)
		sqlite3_bind_text(q->lite, i, v, n == (size_t)-1 ? -1 : (int)n, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q->lite, i);
}

static void lite_bind_int(central_q *q, int i, int64_t v)
{
	sqlite3_bind_int64(q->lite, i, v);
}

static int lite_step(central_q *q, const char *what)
{
	int rc = sqlite3_step(q->lite);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return ds_error_sqlite(q->s->db, rc, what);
}

static void lite_reset(central_q *q)
{
	if (!q->lite)
		return;
	sqlite3_reset(q->lite);
	sqlite3_clear_bindings(q->lite);
}

static void lite_finalize(central_q *q)
{
	sqlite3_finalize(q->lite);
	q->lite = NULL;
}

static const char *lite_col_text(central_q *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q->lite, i);

	return t ? (const char *)t : "";
}

static size_t lite_col_bytes(central_q *q, int i)
{
	return (size_t)sqlite3_column_bytes(q->lite, i);
}

static int lite_col_null(central_q *q, int i)
{
	return sqlite3_column_type(q->lite, i) == SQLITE_NULL;
}

static int64_t lite_col_int(central_q *q, int i)
{
	return sqlite3_column_int64(q->lite, i);
}

static int lite_begin(central_store *s)
{
	return ds_db_begin(s->db);
}

static int lite_commit(central_store *s)
{
	return ds_db_commit(s->db);
}

static void lite_rollback(central_store *s)
{
	ds_db_rollback(s->db);
}

static int lite_txn_lost(central_store *s)
{
	return sqlite3_get_autocommit(s->db); /* SQLite rolled the transaction back */
}

const central_engine central_engine_lite = {
    .name = "sqlite",
    .open = lite_open,
    .close = lite_close,
    .prepare = lite_prepare,
    .bind_text = lite_bind_text,
    .bind_int = lite_bind_int,
    .step = lite_step,
    .reset = lite_reset,
    .finalize = lite_finalize,
    .col_text = lite_col_text,
    .col_bytes = lite_col_bytes,
    .col_null = lite_col_null,
    .col_int = lite_col_int,
    .begin = lite_begin,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .txn_lost = lite_txn_lost,
};
