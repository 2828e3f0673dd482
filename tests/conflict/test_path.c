/* test_path.c: units for field paths (reading, setting and removing a field for
 * `dossync resolve`, the list of changed fields) and for building a policy from config
 * lines, with every malformed input refused on its own. */
#include "fixture.h"

static void get_fields(void **state)
{
	json_t *d = fixture_dossier();

	assert_json(conflict_field_get(d, "applicant.phone"), "\"0963060905\"");
	assert_json(conflict_field_get(d, "fees[lp1].amount"), "10000");
	assert_json(conflict_field_get(d, "components[tp2].digitised"), "false");
	assert_null(conflict_field_get(d, "fees[lp9].amount"));
	assert_null(conflict_field_get(d, "applicant.fax"));
	assert_null(conflict_field_get(d, "applicant.phone.x"));
	assert_null(conflict_field_get(d, "fees[lp1"));
	assert_null(conflict_field_get(NULL, "code"));
	json_decref(d);
}

static void resolve_sets_and_removes(void **state)
{
	json_t *d = fixture_dossier(), *v = J("\"0911111111\"");

	assert_int_equal(conflict_apply_resolution(&d, "applicant.phone", v), 0);
	assert_json(conflict_field_get(d, "applicant.phone"), "\"0911111111\"");
	json_decref(v);
	v = J("true");
	assert_int_equal(conflict_apply_resolution(&d, "fees[lp1].paid", v), 0);
	assert_json(conflict_field_get(d, "fees[lp1]"),
	            "{\"id\":\"lp1\",\"code\":\"LP\",\"amount\":10000,\"paid\":true}");
	json_decref(v);
	/* A whole new item: appended, with its id from the path. */
	v = J("{\"code\":\"PHI\",\"amount\":5000}");
	assert_int_equal(conflict_apply_resolution(&d, "fees[lp2]", v), 0);
	assert_json(conflict_field_get(d, "fees"),
	            "[{\"id\":\"lp1\",\"code\":\"LP\",\"amount\":10000,\"paid\":true},"
	            "{\"id\":\"lp2\",\"code\":\"PHI\",\"amount\":5000}]");
	json_decref(v);
	/* Missing objects on the way are created. */
	v = J("\"QĐ-12\"");
	assert_int_equal(conflict_apply_resolution(&d, "result.number", v), 0);
	assert_json(conflict_field_get(d, "result"), "{\"number\":\"QĐ-12\"}");
	json_decref(v);
	/* NULL removes; removing what is absent does nothing. */
	assert_int_equal(conflict_apply_resolution(&d, "fees[lp1]", NULL), 0);
	assert_null(conflict_field_get(d, "fees[lp1]"));
	assert_int_equal(conflict_apply_resolution(&d, "summary", NULL), 0);
	assert_null(conflict_field_get(d, "summary"));
	assert_int_equal(conflict_apply_resolution(&d, "representative.name", NULL), 0);
	assert_null(json_object_get(d, "representative"));
	assert_int_equal(conflict_apply_resolution(&d, "supplements[bs9]", NULL), 0);
	json_decref(d);
}

static void resolve_copies_shared_state(void **state)
{
	json_t *d = fixture_dossier(), *held = json_incref(d), *v = J("\"x\"");

	assert_int_equal(conflict_apply_resolution(&d, "summary", v), 0);
	assert_true(d != held);
	assert_json(conflict_field_get(held, "summary"), "\"Đăng ký khai sinh cho con\"");
	json_decref(held);
	json_decref(d);
	json_decref(v);
}

static void resolve_bad_paths(void **state)
{
	json_t *d = fixture_dossier(), *v = J("1"), *arr = json_array();

	assert_int_equal(conflict_apply_resolution(&d, "", v), DS_EINVALID);
	assert_int_equal(conflict_apply_resolution(&d, ".summary", v), DS_EINVALID);
	assert_int_equal(conflict_apply_resolution(&d, "summary.", v), DS_EINVALID);
	assert_int_equal(conflict_apply_resolution(&d, "applicant..phone", v), DS_EINVALID);
	assert_int_equal(conflict_apply_resolution(&d, "fees[lp1", v), DS_EINVALID);
	assert_int_equal(conflict_apply_resolution(&d, "fees[]", v), DS_EINVALID);
	assert_int_equal(conflict_apply_resolution(&d, "fees]", v), DS_EINVALID);
	assert_int_equal(conflict_apply_resolution(&d, "fees[lp1]x", v), DS_EINVALID);
	assert_int_equal(conflict_apply_resolution(&d, "fees[a[b]]", v), DS_EINVALID);
	/* Through a value that is not an object or a list. */
	assert_int_equal(conflict_apply_resolution(&d, "applicant.name.first", v), DS_EINVALID);
	assert_int_equal(conflict_apply_resolution(&d, "summary[x].y", v), DS_EINVALID);
	/* A list item must be an object. */
	assert_int_equal(conflict_apply_resolution(&d, "fees[lp1]", v), DS_EINVALID);
	/* The state must be an object. */
	assert_int_equal(conflict_apply_resolution(&arr, "x", v), DS_EINVALID);
	/* None of it changed anything. */
	{
		json_t *f = fixture_dossier();
		assert_true(ds_json_same(d, f));
		json_decref(f);
	}
	json_decref(d);
	json_decref(v);
	json_decref(arr);
}

/* update --set and resolve read paths with one grammar; only resolve's message says so. */
static void field_set_names_the_path(void **state)
{
	json_t *d = fixture_dossier(), *v = J("{\"amount\": 5000}");

	(void)state;
	assert_int_equal(conflict_field_set(&d, "fees[new1]", v), 0);
	assert_json(conflict_field_get(d, "fees[new1].amount"), "5000");
	assert_int_equal(conflict_field_set(&d, "fees[new1", v), DS_EINVALID);
	assert_string_equal(ds_error_msg(), "field path \"fees[new1\": bad [id]");
	assert_int_equal(conflict_apply_resolution(&d, "fees[new1", v), DS_EINVALID);
	assert_string_equal(ds_error_msg(),
	                    "resolve fees[new1: field path \"fees[new1\": bad [id]");
	json_decref(d);
	json_decref(v);
}

static void diff_lists_changed_fields(void **state)
{
	json_t *a = fixture_dossier(), *b = json_deep_copy(a), *paths;

	set(&b, "applicant.phone", "\"0911111111\"");
	set(&b, "fees[lp1].paid", "true");
	set(&b, "fees[lp2]", "{\"amount\":1}");
	set(&b, "components[tp1]", NULL);
	set(&b, "summary", NULL);
	set(&b, "status", "9");
	assert_int_equal(conflict_diff_fields(a, b, &paths), 0);
	assert_json(paths, "[\"applicant.phone\",\"components[tp1]\",\"fees[lp1].paid\","
	                   "\"fees[lp2]\",\"status\",\"summary\"]");
	json_decref(paths);
	assert_int_equal(conflict_diff_fields(a, a, &paths), 0);
	assert_json(paths, "[]");
	json_decref(paths);
	/* From nothing: every top-level field. */
	assert_int_equal(conflict_diff_fields(NULL, json_object_get(a, "applicant"), &paths), 0);
	assert_json(paths, "[\"address\",\"email\",\"id_number\",\"name\",\"phone\"]");
	json_decref(paths);
	assert_int_equal(conflict_diff_fields(json_object_get(a, "fees"), a, &paths), DS_EINVALID);
	json_decref(a);
	json_decref(b);
}

static void policy_lines(void **state)
{
	conflict_policy *p;

	assert_int_equal(conflict_policy_new(&p), 0);
	assert_int_equal(conflict_policy_set(p, "applicant.phone", "theirs"), 0);
	assert_int_equal(conflict_policy_set(p, "policy.due_at", "ours"), 0);
	assert_int_equal(conflict_policy_set(p, "summary", "manual"), 0);
	assert_int_equal(conflict_policy_set(p, "summary", "owner"), 0); /* replaced */
	assert_int_equal(conflict_policy_set(p, "applicant.phone", "mine"), DS_EINVALID);
	assert_int_equal(conflict_policy_set(p, "applicant.phone", ""), DS_EINVALID);
	assert_int_equal(conflict_policy_set(p, "applicant.phone", "Theirs"), DS_EINVALID);
	assert_int_equal(conflict_policy_set(p, "", "ours"), DS_EINVALID);
	assert_int_equal(conflict_policy_set(p, "policy.", "ours"), DS_EINVALID);
	assert_int_equal(conflict_policy_set(p, "applicant..phone", "ours"), DS_EINVALID);
	assert_int_equal(conflict_policy_set(p, ".phone", "ours"), DS_EINVALID);
	assert_int_equal(conflict_policy_set(p, "phone.", "ours"), DS_EINVALID);
	assert_int_equal(conflict_policy_set(p, "fees[lp1].paid", "ours"), DS_EINVALID);
	assert_int_equal(conflict_policy_set(p, "applicant phone", "ours"), DS_EINVALID);
	assert_int_equal(conflict_policy_set(p, NULL, "ours"), DS_EINVALID);
	assert_int_equal(conflict_policy_set(p, "summary", NULL), DS_EINVALID);
	conflict_policy_free(p);
	conflict_policy_free(NULL);
}

static void policy_rules_apply(void **state)
{
	json_t *a = fixture_dossier(), *o = json_deep_copy(a), *t = json_deep_copy(a);
	json_t *m, *d, *op;
	conflict_policy *p;

	/* A bad line leaves the earlier rule in place. */
	conflict_policy_new(&p);
	assert_int_equal(conflict_policy_set(p, "summary", "theirs"), 0);
	assert_int_equal(conflict_policy_set(p, "summary", "bogus"), DS_EINVALID);
	set(&o, "summary", "\"O\"");
	set(&t, "summary", "\"T\"");
	assert_int_equal(conflict_merge_dossier(a, o, t, p, &m, &d, &op), 0);
	assert_json(conflict_field_get(m, "summary"), "\"T\"");
	assert_json(json_object_get(json_array_get(d, 0), "policy"), "\"theirs\"");
	json_decref(m);
	json_decref(d);
	json_decref(op);
	conflict_policy_free(p);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(get_fields),
	    cmocka_unit_test(resolve_sets_and_removes),
	    cmocka_unit_test(resolve_copies_shared_state),
	    cmocka_unit_test(resolve_bad_paths),
	    cmocka_unit_test(field_set_names_the_path),
	    cmocka_unit_test(diff_lists_changed_fields),
	    cmocka_unit_test(policy_lines),
	    cmocka_unit_test(policy_rules_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
