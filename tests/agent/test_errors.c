/* test_errors.c: a failed query or a broken store is an error the caller sees, never a
 * count of 0 or a "nothing to do": the agent store is made in a scratch folder, then a
 * table a function needs is dropped (or the database interrupted) and the function must
 * answer a negative DS_E* code with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "tests/agent/fixture.h"

typedef store_fx fx;

/* Runs sql on the agent's own connection: how a test breaks the store under it. */
static void break_store(fx *f, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(agent_db(f->a), sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* rc is a DS_E* error (negative) and its message names what failed. */
static void assert_error(int rc, const char *want)
{
	assert_true(rc < 0);
	if (!strstr(ds_error_msg(), want))
		fail_msg("message \"%s\" does not name \"%s\"", ds_error_msg(), want);
}

static void test_pending_ops(void **state)
{
	fx *f = *state;
	int64_t n = -1;

	assert_int_equal(agent_pending_ops(f->a, &n), 0);
	assert_int_equal(n, 0);
	break_store(f, "DROP TABLE op_state");
	assert_error(agent_pending_ops(f->a, &n), "op_state");
}

/* The push starts at the first op without a receipt: when that cannot be read, the push
 * fails before it touches the client, instead of pushing from seq 1. */
static void test_push_first_unpushed(void **state)
{
	fx *f = *state;
	agent_sync_stats st;

	memset(&st, 0, sizeof(st));
	break_store(f, "DROP TABLE op_state");
	assert_error(agent_push(f->a, NULL, &st), "op_state");
	assert_int_equal(st.pushed, 0);
}

static void test_unmerged(void **state)
{
	fx *f = *state;
	int64_t n = -1;

	assert_int_equal(agent_unmerged(f->a, &n), 0);
	assert_int_equal(n, 0);
	break_store(f, "DROP TABLE op_state");
	assert_error(agent_unmerged(f->a, &n), "op_state");
}

static void test_status(void **state)
{
	fx *f = *state;
	json_t *s = NULL;

	assert_int_equal(agent_status(f->a, &s), 0);
	assert_int_equal(json_integer_value(json_object_get(s, "pending_ops")), 0);
	assert_true(json_is_null(json_object_get(s, "last_error")));
	json_decref(s);
	break_store(f, "DROP TABLE op_state");
	assert_error(agent_status(f->a, &s), "op_state");
	assert_null(s);
}

/* The sync state (last error, cursor, journal tail) is part of the answer too. */
static void test_status_sync_state(void **state)
{
	fx *f = *state;
	json_t *s = NULL;

	break_store(f, "DROP TABLE sync_state");
	assert_error(agent_status(f->a, &s), "sync_state");
	assert_null(s);
}

/* A damaged inbox state is an error, not the deletion of the dossier in history. */
static void test_catch_up_bad_state(void **state)
{
	fx *f = *state;

	break_store(f, "INSERT INTO inbox(cursor, code, version, op_id, node, state, received_at) "
	               "VALUES (1, '000.00.12.H22-240414-0001', 1, 'central:1', 'central', "
	               "'{\"code\": tru', '2024-04-14T07:00:00+07:00')");
	assert_int_equal(agent_history_mark(f->a, "test", 1), 0);
	assert_error(agent_history_catch_up(f->a), "cursor 1");
}

static void test_catch_up_not_object(void **state)
{
	fx *f = *state;

	break_store(f, "INSERT INTO inbox(cursor, code, version, op_id, node, state, received_at) "
	               "VALUES (1, '000.00.12.H22-240414-0001', 1, 'central:1', 'central', "
	               "'null', '2024-04-14T07:00:00+07:00')");
	assert_int_equal(agent_history_mark(f->a, "test", 1), 0);
	assert_error(agent_history_catch_up(f->a), "cursor 1");
}

/* Interrupts the catch-up's read of the inbox, and only that statement. */
static int interrupt(void *arg)
{
	sqlite3_stmt *st = NULL;

	while ((st = sqlite3_next_stmt(arg, st)))
		if (sqlite3_stmt_busy(st) && strstr(sqlite3_sql(st), "FROM inbox WHERE cursor >"))
			return 1;
	return 0;
}

/* A query that fails while it steps gives a DS_E* code, not SQLite's positive one. */
static void test_catch_up_interrupted(void **state)
{
	fx *f = *state;

	break_store(f, "INSERT INTO inbox(cursor, code, version, op_id, node, state, received_at) "
	               "VALUES (1, '000.00.12.H22-240414-0001', 1, 'central:1', 'central', "
	               "'{}', '2024-04-14T07:00:00+07:00')");
	assert_int_equal(agent_history_mark(f->a, "test", 1), 0);
	sqlite3_progress_handler(agent_db(f->a), 1, interrupt, agent_db(f->a));
	assert_error(agent_history_catch_up(f->a), "inbox");
	sqlite3_progress_handler(agent_db(f->a), 0, NULL, NULL);
}

#define ROW_SQL                                                                                    \
	"INSERT INTO dossiers(code, agency, status, due_at, body, version, updated_seq) "          \
	"VALUES ('000.00.12.H22-240414-0001', '000.00.12.H22', 1, NULL, %s, 0, 0)"

static void add_row(fx *f, const char *body_sql)
{
	char sql[512];

	snprintf(sql, sizeof(sql), ROW_SQL, body_sql);
	break_store(f, sql);
}

/* The sync label of a dossier (get, list) is read from the receipts: when they cannot be
 * read, the answer is an error, not the label "synced" or "local". */
static void test_sync_label(void **state)
{
	fx *f = *state;
	json_t *d = NULL, *list = NULL;
	const char *sync = NULL;

	add_row(f, "'{\"code\":\"000.00.12.H22-240414-0001\",\"status\":1}'");
	assert_int_equal(agent_get(f->a, "000.00.12.H22-240414-0001", &d, NULL, &sync), 0);
	assert_string_equal(sync, "local");
	json_decref(d);
	break_store(f, "DROP TABLE op_state");
	assert_error(agent_get(f->a, "000.00.12.H22-240414-0001", &d, NULL, &sync), "op_state");
	assert_null(d);
	assert_error(agent_list(f->a, 0, 0, &list), "op_state");
	assert_null(list);
}

/* A dossier row whose body is not JSON fails the list instead of being left out. */
static void test_list_bad_body(void **state)
{
	fx *f = *state;
	json_t *list = NULL;

	add_row(f, "'{\"code\": tru'");
	assert_error(agent_list(f->a, 0, 0, &list), "dossier row");
	assert_null(list);
}

/* A round's outcome that cannot be written to the sync state is part of the error. */
static void test_sync_outcome(void **state)
{
	fx *f = *state;
	agent_sync_stats st;

	break_store(f, "DROP TABLE sync_state");
	assert_error(agent_sync(f->a, &st), "no token");
	if (!strstr(ds_error_msg(), "sync_state"))
		fail_msg("message \"%s\" does not say the outcome was not recorded",
		         ds_error_msg());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pending_ops, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_push_first_unpushed, fixture_setup,
	                                    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_unmerged, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_status, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_status_sync_state, fixture_setup,
	                                    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_catch_up_bad_state, fixture_setup,
	                                    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_catch_up_not_object, fixture_setup,
	                                    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_catch_up_interrupted, fixture_setup,
	                                    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_sync_label, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_list_bad_body, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_sync_outcome, fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
