/* test_claim_stmt.c: schema_code_claim_stmt, the claim on a statement the caller keeps
 * prepared (central's cache): the same effect as schema_code_claim, over many calls on
 * one statement, and the same refusal of a bad code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema/schema.h"

#define AG "000.00.12.H22"

static sqlite3 *mem_db(const char *which)
{
	sqlite3 *db = NULL;

	assert_int_equal(ds_db_open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db),
	                 0);
	assert_int_equal(schema_migrate(db, which), 0);
	return db;
}

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;

	assert_int_equal(ds_time_parse(rfc3339, &t, NULL), 0);
	return t;
}

/* The last number of AG on 2025-11-29, as the next allocation shows it. */
static void next_is(sqlite3 *db, const char *want)
{
	char out[SCHEMA_CODE_MAX];

	assert_int_equal(schema_code_alloc(db, AG, at("2025-11-29T08:00:00+07:00"), 1, 9999, out),
	                 0);
	assert_string_equal(out, want);
}

static void claims_like_schema_code_claim(void **state)
{
	static const char *const which[] = {"agent", "central"};

	for (size_t w = 0; w < 2; w++) {
		sqlite3 *db = mem_db(which[w]);
		sqlite3_stmt *st = NULL;

		assert_int_equal(ds_db_prepare(db, schema_code_claim_sql, &st), 0);
		assert_int_equal(ds_db_begin(db), 0);
		assert_int_equal(schema_code_claim_stmt(st, AG "-251129-0005"), 0);
		/* A lower number does not lower it; another day is its own counter. */
		assert_int_equal(schema_code_claim_stmt(st, AG "-251129-0002"), 0);
		assert_int_equal(schema_code_claim_stmt(st, AG "-251130-0042"), 0);
		assert_int_equal(ds_db_commit(db), 0);
		next_is(db, AG "-251129-0006");
		assert_int_equal(schema_code_claim_stmt(st, AG "-251129-0100"), 0);
		next_is(db, AG "-251129-0101");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
}

static void bad_code_refused(void **state)
{
	sqlite3 *db = mem_db("central");
	sqlite3_stmt *st = NULL;

	assert_int_equal(ds_db_prepare(db, schema_code_claim_sql, &st), 0);
	assert_int_equal(schema_code_claim_stmt(st, AG "-251129-00x5"), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "00x5"));
	assert_int_equal(schema_code_claim_stmt(st, NULL), DS_EINVALID);
	assert_int_equal(schema_code_claim_stmt(st, AG "-251329-0001"), DS_EINVALID);
	/* Nothing was recorded by the refused claims. */
	next_is(db, AG "-251129-0001");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(claims_like_schema_code_claim),
	    cmocka_unit_test(bad_code_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
