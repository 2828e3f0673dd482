/* test_rules.c: the rule book (schema/rules.c) as schema_op_apply enforces it for every op
 * kind: merge and resolve move the status only by legal moves (directly, or through the
 * progress rows they append), nothing leaves a terminal status, progress rows are only
 * appended, and finished_at/returned_at come only with a move to 9/10 and never change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/schema/fixture.h"

#define CODE "000.00.12.H22-240414-0001"
#define P0                                                                                         \
	"{\"id\":\"p0\",\"who\":\"Nguyễn Hữu Phước\",\"role\":\"Cán bộ xử lý\","      \
	"\"unit\":\"Bộ phận một cửa\",\"when\":\"2024-04-14T07:00:00+07:00\","             \
	"\"what\":\"Mới tiếp nhận\",\"status\":2}"
#define ROW(id, st) "{\"id\":\"" id "\",\"when\":\"2024-04-15T08:00:00+07:00\",\"status\":" st "}"

static json_t *mkop(int seq, const char *kind, const char *payload)
{
	char id[32];
	json_t *op;

	snprintf(id, sizeof(id), "xa1:%d", seq);
	op = json_pack("{s:i, s:s, s:s, s:s, s:o, s:i, s:n, s:s, s:s}", "seq", seq, "op_id", id,
	               "code", CODE, "kind", kind, "payload", fixture_json(payload), "base", 0,
	               "parent", "actor", "lan", "occurred_at", "2024-04-15T09:00:00+07:00");
	assert_non_null(op);
	return op;
}

static void ok(json_t **s, int seq, const char *kind, const char *payload)
{
	json_t *op = mkop(seq, kind, payload);

	if (schema_op_apply(s, op) != 0)
		fail_msg("%s %s refused: %s", kind, payload, ds_error_msg());
	json_decref(op);
}

/* Must be refused with needle in the message, the state left byte for byte. */
static void no(json_t **s, const char *kind, const char *payload, const char *needle)
{
	json_t *op = mkop(90, kind, payload);
	char *before = *s ? fixture_canon(*s) : NULL, *after;

	assert_int_equal(schema_op_apply(s, op), DS_EINVALID);
	if (!strstr(ds_error_msg(), needle))
		fail_msg("%s %s: message \"%s\" lacks \"%s\"", kind, payload, ds_error_msg(),
		         needle);
	if (before) {
		after = fixture_canon(*s);
		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	json_decref(op);
}

static json_t *created(void)
{
	json_t *s = NULL, *d = fixture_dossier();
	char *text = fixture_canon(d);

	ok(&s, 1, "create", text);
	free(text);
	json_decref(d);
	return s;
}

static int status_of(const json_t *d)
{
	return (int)json_integer_value(json_object_get(d, "status"));
}

/* The review's attack: a merge or resolve jumping 2 -> 10, then leaving 10. */
static void merge_resolve_status_jumps(void **state)
{
	json_t *s = created();

	no(&s, "merge", "{\"status\": 10}", "status: illegal status move 2 -> 10");
	no(&s, "resolve", "{\"status\": 10}", "status: illegal status move 2 -> 10");
	no(&s, "merge", "{\"status\": 5}", "illegal status move 2 -> 5");
	ok(&s, 2, "transition", "{\"to\": 9}");
	ok(&s, 3, "transition", "{\"to\": 10}");
	no(&s, "merge", "{\"status\": 2}", "status: illegal status move 10 -> 2");
	no(&s, "resolve", "{\"status\": 2}", "status: illegal status move 10 -> 2");
	json_decref(s);
}

/* What reconcile sends when only the office moved: its rows attest each step. */
static void merge_moves_through_rows(void **state)
{
	json_t *s = created();

	no(&s, "merge", "{\"status\": 5, \"progress\": [" P0 "," ROW("o2", "6") "]}",
	   "illegal status move 2 -> 5");
	ok(&s, 2, "merge",
	   "{\"status\": 5, \"progress\": [" P0 "," ROW("o2", "4") "," ROW("o3", "5") "]}");
	assert_int_equal(status_of(s), 5);
	/* One move beyond the rows, without a row: as a resolve may make. */
	ok(&s, 3, "resolve", "{\"status\": 4}");
	ok(&s, 4, "merge", "{\"status\": 9, \"finished_at\": \"2024-04-15T08:00:00+07:00\"}");
	json_decref(s);
}

static void withdrawal_prior(void **state)
{
	json_t *s = created();

	no(&s, "merge", "{\"status\": 7, \"prior_status\": 4}", "prior_status: must be 2");
	ok(&s, 2, "merge", "{\"status\": 7, \"prior_status\": 2}");
	no(&s, "merge", "{\"prior_status\": 4}", "prior_status: cannot change while the status");
	no(&s, "resolve", "{\"status\": 4, \"prior_status\": null}",
	   "illegal status move 7 -> 4 (a refused withdrawal goes back to 2");
	ok(&s, 3, "resolve", "{\"status\": 2, \"prior_status\": null}");
	assert_int_equal(status_of(s), 2);
	json_decref(s);
}

static void progress_only_appended(void **state)
{
	json_t *s = created();

	no(&s, "patch", "{\"progress\": null}", "progress[p0]: cannot be removed");
	no(&s, "patch", "{\"progress\": []}", "progress[p0]: cannot be removed");
	no(&s, "merge",
	   "{\"progress\": [{\"id\": \"p0\", \"when\": \"2020-01-01T07:00:00+07:00\"}]}",
	   "progress[p0]: cannot be changed");
	ok(&s, 2, "patch", "{\"progress\": [" P0 "," ROW("x1", "2") "]}");
	assert_int_equal(json_array_size(json_object_get(s, "progress")), 2);
	no(&s, "resolve", "{\"progress\": [" ROW("x1", "2") "," P0 "]}",
	   "progress[p0]: cannot be removed or moved");
	/* The merge of conflict/ puts the office's rows before central's new ones: fine. */
	ok(&s, 3, "merge", "{\"progress\": [" P0 "," ROW("o1", "2") "," ROW("x1", "2") "]}");
	json_decref(s);
}

static void times_come_with_moves(void **state)
{
	json_t *s = created(), *none = NULL, *d = fixture_dossier();
	char *text;

	/* The review's patch: erase the rows and backdate the finish. */
	no(&s, "patch", "{\"progress\": null, \"finished_at\": \"2020-01-01T07:00:00+07:00\"}",
	   "finished_at: set by the transition to 9, not by a patch");
	no(&s, "patch", "{\"returned_at\": \"2024-04-15T07:00:00+07:00\"}", "returned_at");
	no(&s, "merge", "{\"finished_at\": \"2024-04-15T07:00:00+07:00\"}",
	   "finished_at: set only by a move to 9");
	no(&s, "resolve", "{\"status\": 4, \"finished_at\": \"2024-04-15T07:00:00+07:00\"}",
	   "finished_at: set only by a move to 9");
	ok(&s, 2, "resolve", "{\"status\": 9, \"finished_at\": \"2024-04-15T07:00:00+07:00\"}");
	no(&s, "merge", "{\"finished_at\": \"2020-01-01T07:00:00+07:00\"}",
	   "finished_at: cannot change once set");
	no(&s, "merge", "{\"finished_at\": null}", "finished_at: cannot change once set");
	no(&s, "merge", "{\"status\": 6, \"returned_at\": \"2024-04-16T07:00:00+07:00\"}",
	   "returned_at: set only by a move to 10");
	ok(&s, 3, "merge", "{\"status\": 10, \"returned_at\": \"2024-04-16T07:00:00+07:00\"}");
	/* A create carries no times: it starts at 1, 2 or 3. */
	json_object_set_new(d, "finished_at", json_string("2024-04-14T08:00:00+07:00"));
	text = fixture_canon(d);
	no(&none, "create", text, "finished_at: set only by a move to 9");
	assert_null(none);
	free(text);
	json_decref(d);
	json_decref(s);
}

/* The check on its own, as conflict/ uses it on a merged dossier. */
static void change_check_direct(void **state)
{
	json_t *cur = fixture_dossier(), *next = json_deep_copy(cur);

	assert_int_equal(schema_change_check(cur, next), 0);
	json_object_set_new(next, "status", json_integer(3));
	assert_int_equal(schema_change_check(cur, next), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "illegal status move 2 -> 3"));
	assert_int_equal(schema_change_check(NULL, next), 0); /* a new dossier may start at 3 */
	json_decref(cur);
	json_decref(next);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(merge_resolve_status_jumps),
	    cmocka_unit_test(merge_moves_through_rows),
	    cmocka_unit_test(withdrawal_prior),
	    cmocka_unit_test(progress_only_appended),
	    cmocka_unit_test(times_come_with_moves),
	    cmocka_unit_test(change_check_direct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
