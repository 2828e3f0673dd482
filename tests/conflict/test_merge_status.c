/* test_merge_status.c: units for the three-way merge of the status: one side's move, two
 * different or equal moves, moves out of a terminal status, explicit policies,
 * prior_status, and a merged state the rules refuse going to a person. */
#include "fixture.h"

static void status_one_side_move_wins(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "status", "9");
	json_t *t = with(a, "summary", "\"Khai sinh\"");
	result r;

	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "status"), "9");
	assert_json(r.open, "[]");
	result_free(&r);
	json_decref(o);
	json_decref(t);
	o = with(a, "summary", "\"Khai sinh\"");
	t = with(a, "status", "5");
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "status"), "5");
	assert_json(r.open, "[]");
	assert_json(r.decisions, "[]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void status_two_different_moves_open(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "status", "5");
	json_t *t = with(a, "status", "9");
	result r;

	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "status"), "9");
	assert_json(r.decisions, "[]");
	assert_json(r.open, "[{\"field\":\"status\",\"ancestor\":4,\"ours\":5,\"theirs\":9,"
	                    "\"reason\":\"both sides moved the status from 4: to 5 here, to 9 "
	                    "at central\"}]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void status_open_keeps_central_times(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "status", "9");
	json_t *t = with(a, "status", "5");
	result r;

	set(&o, "finished_at", "\"2024-04-15T09:00:00+07:00\"");
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "status"), "5");
	assert_null(conflict_field_get(r.merged, "finished_at"));
	assert_int_equal(json_array_size(r.open), 1);
	result_free(&r);
	/* Once the office's move wins, its finish time comes with it. */
	json_decref(t);
	t = json_deep_copy(a);
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "finished_at"), "\"2024-04-15T09:00:00+07:00\"");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void status_equal_moves_no_conflict(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "status", "9");
	json_t *t = with(a, "status", "9");
	result r;

	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "status"), "9");
	assert_json(r.decisions, "[]");
	assert_json(r.open, "[]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void status_out_of_terminal_open(void **state)
{
	json_t *a = fixture_with("status", "8");
	json_t *o = with(a, "summary", "\"Khai sinh\"");
	json_t *t = with(a, "status", "4");
	result r;

	/* Only central moved, but out of a terminal status: not guessed. */
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "status"), "4");
	assert_json(conflict_field_get(r.merged, "summary"), "\"Khai sinh\"");
	assert_json(r.open, "[{\"field\":\"status\",\"ancestor\":8,\"ours\":8,\"theirs\":4,"
	                    "\"reason\":\"status 8 is terminal but was moved: 8 here, 4 at "
	                    "central\"}]");
	result_free(&r);
	json_decref(o);
	json_decref(t);
	/* The office moved out of 8 (its own journal replayed wrongly): open too. */
	o = with(a, "status", "9");
	t = with(a, "summary", "\"Khai sinh\"");
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "status"), "8");
	assert_int_equal(json_array_size(r.open), 1);
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void status_explicit_policy(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "status", "9");
	json_t *t = with(a, "status", "6");
	conflict_policy *p;
	result r;

	conflict_policy_new(&p);
	assert_int_equal(conflict_policy_set(p, "status", "ours"), 0);
	merge3(a, o, t, p, &r);
	assert_json(conflict_field_get(r.merged, "status"), "9");
	assert_json(r.decisions, "[{\"field\":\"status\",\"policy\":\"ours\",\"ancestor\":4,"
	                         "\"ours\":9,\"theirs\":6,\"result\":9}]");
	assert_json(r.open, "[]");
	result_free(&r);
	/* A policy cannot make an illegal move (9 -> 5): central would refuse the merge, so
	 * the status waits for a person and central's stays. */
	json_decref(o);
	json_decref(t);
	o = with(a, "status", "5");
	t = with(a, "status", "9");
	merge3(a, o, t, p, &r);
	assert_json(conflict_field_get(r.merged, "status"), "9");
	assert_json(r.decisions, "[]");
	assert_int_equal(json_array_size(r.open), 1);
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_array_get(r.open, 0), "reason")),
	           "illegal status move 9 -> 5"));
	result_free(&r);
	/* "owner" for status is the status rule itself. */
	assert_int_equal(conflict_policy_set(p, "status", "owner"), 0);
	merge3(a, o, t, p, &r);
	assert_json(conflict_field_get(r.merged, "status"), "9");
	assert_json(r.decisions, "[]");
	assert_int_equal(json_array_size(r.open), 1);
	result_free(&r);
	conflict_policy_free(p);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void prior_status_follows_status(void **state)
{
	json_t *a = fixture_with("status", "2");
	json_t *o = with(a, "status", "7");
	json_t *t = with(a, "summary", "\"Khai sinh\"");
	result r;

	/* The office moved 2 -> 7: prior_status comes with it. */
	set(&o, "prior_status", "2");
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "status"), "7");
	assert_json(conflict_field_get(r.merged, "prior_status"), "2");
	assert_json(r.decisions, "[]");
	result_free(&r);
	json_decref(t);
	/* Central went 2 -> 4 -> 7: same status, different prior: the status rule, theirs. */
	t = with(a, "status", "7");
	set(&t, "prior_status", "4");
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "prior_status"), "4");
	assert_json(r.decisions, "[{\"field\":\"prior_status\",\"policy\":\"status-rule\","
	                         "\"ancestor\":null,\"ours\":2,\"theirs\":4,\"result\":4}]");
	assert_json(r.open, "[]");
	result_free(&r);
	json_decref(t);
	/* Central moved 2 -> 4 while the office moved to 7: status open, prior as theirs. */
	t = with(a, "status", "4");
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "status"), "4");
	assert_null(conflict_field_get(r.merged, "prior_status"));
	assert_int_equal(json_array_size(r.open), 1);
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void invalid_mix_goes_to_open(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "received_at", "\"2024-04-15T07:00:00+07:00\"");
	json_t *t = with(a, "due_at", "\"2024-04-14T17:00:00+07:00\"");
	result r;

	/* Each side alone is valid; ours' receipt after theirs' due date is not. */
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "received_at"), "\"2024-04-14T07:00:00+07:00\"");
	assert_json(conflict_field_get(r.merged, "due_at"), "\"2024-04-14T17:00:00+07:00\"");
	assert_json(r.decisions, "[]");
	assert_json(r.open,
	            "[{\"field\":\"received_at\",\"ancestor\":\"2024-04-14T07:00:00+07:00\","
	            "\"ours\":\"2024-04-15T07:00:00+07:00\",\"theirs\":"
	            "\"2024-04-14T07:00:00+07:00\",\"reason\":\"the merged dossier does not "
	            "validate (due_at: must not be before received_at); central's value kept\"}]");
	result_free(&r);
	json_decref(o);
	json_decref(t);
	/* A decision that breaks validation moves from decisions to open. */
	o = with(a, "received_at", "\"2024-04-15T09:00:00+07:00\"");
	t = with(a, "received_at", "\"2024-04-14T08:00:00+07:00\"");
	set(&t, "due_at", "\"2024-04-15T08:00:00+07:00\"");
	merge3(a, o, t, NULL, &r);
	assert_true(ds_json_same(r.merged, t));
	assert_json(r.decisions, "[]");
	assert_int_equal(json_array_size(r.open), 1);
	assert_json(json_object_get(json_array_get(r.open, 0), "field"), "\"received_at\"");
	assert_json(json_object_get(json_array_get(r.open, 0), "ours"),
	            "\"2024-04-15T09:00:00+07:00\"");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(status_one_side_move_wins),
	    cmocka_unit_test(status_two_different_moves_open),
	    cmocka_unit_test(status_open_keeps_central_times),
	    cmocka_unit_test(status_equal_moves_no_conflict),
	    cmocka_unit_test(status_out_of_terminal_open),
	    cmocka_unit_test(status_explicit_policy),
	    cmocka_unit_test(prior_status_follows_status),
	    cmocka_unit_test(invalid_mix_goes_to_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
