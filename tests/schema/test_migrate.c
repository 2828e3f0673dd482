/* test_migrate.c: the SQL schemas and their migrations: a fresh agent.db reaches the
 * latest version with an append-only journal, a database from a newer build is refused
 * untouched, and a failing step rolls back to the step before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema/schema_int.h"

static sqlite3 *mem_db(void)
{
	sqlite3 *db = NULL;

	assert_int_equal(ds_db_open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db),
	                 0);
	return db;
}

static int version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int v;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int found;

	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT 1 FROM sqlite_master WHERE type = 'table' "
	                                    "AND name = ?1",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static int count_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int n;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void agent_fresh(void **state)
{
	sqlite3 *db = mem_db();
	int latest = schema_version_latest("agent");
	char *err = NULL;

	assert_true(latest >= 1);
	assert_int_equal(version(db), 0);
	if (schema_migrate(db, "agent") != 0)
		fail_msg("agent migration failed: %s", ds_error_msg());
	assert_int_equal(version(db), latest);
	assert_true(has_table(db, "journal"));
	assert_true(has_table(db, "inbox"));
	assert_true(has_table(db, "dossiers"));
	assert_true(has_table(db, "code_alloc"));
	/* Again: nothing to do. */
	assert_int_equal(schema_migrate(db, "agent"), 0);
	assert_int_equal(version(db), latest);

	/* The journal takes rows but refuses to change or lose them. */
	assert_int_equal(ds_db_exec(db, "INSERT INTO journal (seq, op_id, code, kind, payload, "
	                                "base, parent, actor, occurred_at, prev_hash, hash) VALUES "
	                                "(1, 'xa1:1', 'C', 'create', '{}', 0, NULL, 'lan', "
	                                "'2025-11-29T08:00:00+07:00', 'p', 'h')"),
	                 0);
	assert_int_not_equal(
	    sqlite3_exec(db, "UPDATE journal SET actor = 'mallory'", NULL, NULL, &err), SQLITE_OK);
	assert_non_null(strstr(err, "append-only"));
	sqlite3_free(err);
	err = NULL;
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM journal", NULL, NULL, &err), SQLITE_OK);
	assert_non_null(strstr(err, "append-only"));
	sqlite3_free(err);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM journal WHERE actor = 'lan'"), 1);
	sqlite3_close(db);
}

static void central_fresh(void **state)
{
	sqlite3 *db = mem_db();
	int latest = schema_version_latest("central");

	assert_true(latest >= 0);
	if (schema_migrate(db, "central") != 0)
		fail_msg("central migration failed: %s", ds_error_msg());
	assert_int_equal(version(db), latest);
	if (latest > 0)
		assert_true(has_table(db, "code_alloc"));
	sqlite3_close(db);
}

static void unknown_schema(void **state)
{
	sqlite3 *db = mem_db();

	assert_int_equal(schema_migrate(db, "province"), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "province"));
	assert_int_equal(schema_version_latest("province"), DS_EINVALID);
	assert_int_equal(schema_version_latest(NULL), DS_EINVALID);
	sqlite3_close(db);
}

static void newer_refused(void **state)
{
	sqlite3 *db = mem_db();
	int latest = schema_version_latest("agent");
	char sql[128], want[160];

	snprintf(sql, sizeof(sql),
	         "CREATE TABLE future (x); INSERT INTO future VALUES (42); "
	         "PRAGMA user_version = %d",
	         latest + 1);
	assert_int_equal(ds_db_exec(db, sql), 0);
	assert_int_equal(schema_migrate(db, "agent"), DS_EINVALID);
	snprintf(want, sizeof(want),
	         "database is from a newer dossync (schema version %d, this build knows %d); "
	         "refusing to touch it",
	         latest + 1, latest);
	assert_string_equal(ds_error_msg(), want);
	assert_int_equal(version(db), latest + 1);
	assert_int_equal(count_rows(db, "SELECT x FROM future"), 42);
	assert_false(has_table(db, "journal"));
	sqlite3_close(db);
}

static const schema_step good2[] = {
    {1, "test/0001_a.sql", "CREATE TABLE a (x); INSERT INTO a VALUES (1);"},
    {2, "test/0002_b.sql", "CREATE TABLE b (y); INSERT INTO b VALUES (2);"},
};
static const schema_step bad2[] = {
    {1, "test/0001_a.sql", "CREATE TABLE a (x); INSERT INTO a VALUES (1);"},
    {2, "test/0002_b.sql",
     "CREATE TABLE b (y); INSERT INTO b VALUES (2); INSERT INTO nowhere VALUES (3);"},
};

static void failing_step_rolls_back(void **state)
{
	sqlite3 *db = mem_db();

	assert_int_not_equal(schema_migrate_steps(db, bad2, 2), 0);
	assert_non_null(strstr(ds_error_msg(), "test/0002_b.sql"));
	assert_non_null(strstr(ds_error_msg(), "rolled back"));
	assert_non_null(strstr(ds_error_msg(), "nowhere"));
	assert_int_equal(version(db), 1);
	assert_true(has_table(db, "a"));
	assert_false(has_table(db, "b"));
	assert_true(sqlite3_get_autocommit(db)); /* no transaction left open */
	/* A fixed build carries on from step 2. */
	assert_int_equal(schema_migrate_steps(db, good2, 2), 0);
	assert_int_equal(version(db), 2);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM a"), 1);
	assert_int_equal(count_rows(db, "SELECT y FROM b"), 2);
	sqlite3_close(db);
}

static void step_list_checked(void **state)
{
	static const schema_step gap[] = {
	    {1, "test/0001_a.sql", "CREATE TABLE a (x);"},
	    {3, "test/0003_c.sql", "CREATE TABLE c (x);"},
	};
	sqlite3 *db = mem_db();

	assert_int_not_equal(schema_migrate_steps(db, gap, 2), 0);
	assert_non_null(strstr(ds_error_msg(), "test/0003_c.sql"));
	assert_int_equal(version(db), 0);
	assert_false(has_table(db, "a"));
	/* An empty list is a database at version 0. */
	assert_int_equal(schema_migrate_steps(db, NULL, 0), 0);
	assert_int_equal(ds_db_exec(db, "PRAGMA user_version = 1"), 0);
	assert_int_equal(schema_migrate_steps(db, NULL, 0), DS_EINVALID);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(agent_fresh),
	    cmocka_unit_test(central_fresh),
	    cmocka_unit_test(unknown_schema),
	    cmocka_unit_test(newer_refused),
	    cmocka_unit_test(failing_step_rolls_back),
	    cmocka_unit_test(step_list_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
