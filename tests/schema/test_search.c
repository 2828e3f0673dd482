/* test_search.c: the text `list --search` looks in (schema/search.c): folded fields one
 * per line, the 0... form of a +84 phone, the representative, and the SQL function the
 * agent's schema step 5 fills the index with giving the same text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema/schema.h"

static const char dossier[] =
    "{\"code\":\"000.00.12.H22-250302-0001\",\"applicant\":{\"name\":\"Nguyễn  Văn ĐỨC\","
    "\"id_number\":\"001092000111\",\"phone\":\"+84987654321\",\"email\":\"a@b.vn\","
    "\"representative\":{\"name\":\"Trần Thị Bình\",\"phone\":\"0912345678\"}}}";

static const char want[] = "000.00.12.h22-250302-0001\nnguyen van duc\n001092000111\n"
                           "+84987654321\n0987654321\ntran thi binh\n0912345678";

static void test_text(void **state)
{
	json_t *d = json_loads(dossier, 0, NULL);
	char *text = NULL;

	(void)state;
	assert_non_null(d);
	assert_int_equal(schema_search_text(d, &text), 0);
	assert_string_equal(text, want);
	free(text);
	json_decref(d);
}

static void test_only_code(void **state)
{
	json_t *d = json_pack("{s:s}", "code", "000.00.12.H22-250302-0002");
	char *text = NULL;

	(void)state;
	assert_int_equal(schema_search_text(d, &text), 0);
	assert_string_equal(text, "000.00.12.h22-250302-0002");
	free(text);
	json_decref(d);
}

static void test_sql_function(void **state)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(schema_search_register(db), 0);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT dossync_search_text(?1), "
	                                    "dossync_search_text('not json')",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, dossier, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), want);
	assert_int_equal(sqlite3_column_type(st, 1), SQLITE_NULL);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_only_code),
	    cmocka_unit_test(test_sql_function),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
