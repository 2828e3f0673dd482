/* db.c: SQLite conventions shared by the agent and central stores: WAL, synchronous=FULL
 * (an acknowledged change survives power loss), a busy timeout, IMMEDIATE transactions. */
#include "base/base.h"

int ds_db_open(const char *path, int flags, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = ds_error_sqlite(db, rc, path);
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_extended_result_codes(db, 1);
	rc = ds_db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                    "PRAGMA foreign_keys=ON;");
	if (rc) {
		sqlite3_close(db);
		return ds_error_wrap(rc, "cannot open %s", path);
	}
	*out = db;
	return 0;
}

int ds_db_exec(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : ds_error_sqlite(db, rc, "database");
}

int ds_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, out, NULL);

	return rc == SQLITE_OK ? 0 : ds_error_sqlite(db, rc, "database");
}

int ds_db_begin(sqlite3 *db)
{
	return ds_db_exec(db, "BEGIN IMMEDIATE");
}

int ds_db_commit(sqlite3 *db)
{
	int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		rc = ds_error_sqlite(db, rc, "commit");
		ds_db_rollback(db);
	}
	return rc;
}

void ds_db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}
