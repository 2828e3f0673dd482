/* test_peers.c: units for two PCs of one office changing the same field (issue 11): the
 * later act by its true time wins whoever owns the field, the decision names the value it
 * replaced; `manual`, an unknown time or equal times leave it to a person; a value central
 * wrote and an explicit rule keep the owner table. */
#include "fixture.h"

/* What the fake callback answers for every path; calls counts how often it was asked. */
typedef struct fake {
	conflict_acts acts;
	int calls;
} fake;

static int fake_acts(void *ctx, const char *path, conflict_acts *out)
{
	fake *f = ctx;

	(void)path;
	f->calls++;
	*out = f->acts;
	return 0;
}

/* Merges summary (office-owned) and due_at (central-owned), each changed on both sides. */
static void merge_both(fake *f, int manual, const char *rule, result *r)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "summary", "\"X của máy b\"");
	json_t *t = with(a, "summary", "\"Y của máy a\"");
	conflict_policy *p = NULL;

	set(&o, "due_at", "\"2099-01-01T17:00:00+07:00\"");
	set(&t, "due_at", "\"2099-02-01T17:00:00+07:00\"");
	assert_int_equal(conflict_policy_new(&p), 0);
	if (rule)
		assert_int_equal(conflict_policy_set(p, "summary", rule), 0);
	conflict_policy_set_acts(p, fake_acts, f, manual);
	if (conflict_merge_dossier(a, o, t, p, &r->merged, &r->decisions, &r->open))
		fail_msg("merge: %s", ds_error_msg());
	conflict_policy_free(p);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void later_ours_wins_and_names_the_replaced(void **state)
{
	fake f = {{1, 200, 100}, 0};
	result r;

	merge_both(&f, 0, NULL, &r);
	assert_json(conflict_field_get(r.merged, "summary"), "\"X của máy b\"");
	assert_json(conflict_field_get(r.merged, "due_at"), "\"2099-01-01T17:00:00+07:00\"");
	assert_json(r.decisions,
	            "[{\"field\":\"due_at\",\"policy\":\"later-act\",\"ancestor\":"
	            "\"2024-04-16T17:00:00+07:00\",\"ours\":\"2099-01-01T17:00:00+07:00\","
	            "\"theirs\":\"2099-02-01T17:00:00+07:00\",\"result\":"
	            "\"2099-01-01T17:00:00+07:00\",\"replaced\":\"2099-02-01T17:00:00+07:00\","
	            "\"ours_at\":200,\"theirs_at\":100},"
	            "{\"field\":\"summary\",\"policy\":\"later-act\",\"ancestor\":"
	            "\"Đăng ký khai sinh cho con\",\"ours\":\"X của máy b\",\"theirs\":"
	            "\"Y của máy a\",\"result\":\"X của máy b\",\"replaced\":\"Y của máy a\","
	            "\"ours_at\":200,\"theirs_at\":100}]");
	assert_json(r.open, "[]");
	assert_int_equal(f.calls, 2);
	result_free(&r);
}

static void later_theirs_wins_over_the_office_owner(void **state)
{
	fake f = {{1, 100, 200}, 0};
	result r;

	merge_both(&f, 0, NULL, &r);
	/* owner:office would keep ours: the older act of the merging PC */
	assert_json(conflict_field_get(r.merged, "summary"), "\"Y của máy a\"");
	assert_json(conflict_field_get(r.merged, "due_at"), "\"2099-02-01T17:00:00+07:00\"");
	assert_json(json_object_get(json_array_get(r.decisions, 1), "replaced"), "\"X của máy b\"");
	assert_json(r.open, "[]");
	result_free(&r);
}

static void manual_setting_asks_a_person(void **state)
{
	fake f = {{1, 200, 100}, 0};
	result r;

	merge_both(&f, 1, NULL, &r);
	assert_json(conflict_field_get(r.merged, "summary"), "\"Y của máy a\"");
	assert_json(r.decisions, "[]");
	assert_int_equal(json_array_size(r.open), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(r.open, 1), "field")),
	                    "summary");
	assert_non_null(strstr(
	    json_string_value(json_object_get(json_array_get(r.open, 1), "reason")), "two PCs"));
	result_free(&r);
}

static void unknown_or_equal_time_asks_a_person(void **state)
{
	fake unknown = {{1, 0, 100}, 0}, equal = {{1, 100, 100}, 0};
	result r;

	merge_both(&unknown, 0, NULL, &r);
	assert_json(r.decisions, "[]");
	assert_int_equal(json_array_size(r.open), 2);
	result_free(&r);
	merge_both(&equal, 0, NULL, &r);
	assert_json(r.decisions, "[]");
	assert_int_equal(json_array_size(r.open), 2);
	result_free(&r);
}

static void central_value_keeps_the_owner_table(void **state)
{
	fake f = {{0, 200, 100}, 0};
	result r;

	merge_both(&f, 0, NULL, &r);
	assert_json(conflict_field_get(r.merged, "summary"), "\"X của máy b\"");
	assert_json(conflict_field_get(r.merged, "due_at"), "\"2099-02-01T17:00:00+07:00\"");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(r.decisions, 0), "policy")),
	    "owner:central");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(r.decisions, 1), "policy")),
	    "owner:office");
	result_free(&r);
}

static void explicit_rule_wins_over_peers(void **state)
{
	fake f = {{1, 100, 200}, 0};
	result r;

	merge_both(&f, 0, "ours", &r);
	assert_json(conflict_field_get(r.merged, "summary"), "\"X của máy b\"");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(r.decisions, 1), "policy")), "ours");
	assert_int_equal(f.calls, 1); /* asked for due_at only */
	result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(later_ours_wins_and_names_the_replaced),
	    cmocka_unit_test(later_theirs_wins_over_the_office_owner),
	    cmocka_unit_test(manual_setting_asks_a_person),
	    cmocka_unit_test(unknown_or_equal_time_asks_a_person),
	    cmocka_unit_test(central_value_keeps_the_owner_table),
	    cmocka_unit_test(explicit_rule_wins_over_peers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
