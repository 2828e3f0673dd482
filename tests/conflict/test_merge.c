/* test_merge.c: units for the three-way dossier merge: one-side and both-side changes,
 * every policy, nested objects, lists with ids, and the exact decisions and open entries.
 * The status rule and the repair of a merged state are in test_merge_status.c. */
#include "fixture.h"

static void one_side_each_way(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "applicant.phone", "\"0911111111\"");
	json_t *t = with(a, "due_at", "\"2024-04-18T17:00:00+07:00\"");
	result r;

	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "applicant.phone"), "\"0911111111\"");
	assert_json(conflict_field_get(r.merged, "due_at"), "\"2024-04-18T17:00:00+07:00\"");
	set(&o, "due_at", "\"2024-04-18T17:00:00+07:00\"");
	assert_true(ds_json_same(r.merged, o)); /* nothing else moved */
	assert_json(r.decisions, "[]");
	assert_json(r.open, "[]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void both_same_no_conflict(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "summary", "\"Khai sinh\"");
	json_t *t = with(a, "summary", "\"Khai sinh\"");
	result r;

	merge3(a, o, t, NULL, &r);
	assert_true(ds_json_same(r.merged, t));
	assert_json(r.decisions, "[]");
	assert_json(r.open, "[]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void owner_office_field_takes_ours(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "applicant.phone", "\"0911111111\"");
	json_t *t = with(a, "applicant.phone", "\"0922222222\"");
	result r;

	merge3(a, o, t, NULL, &r);
	assert_true(ds_json_same(r.merged, o));
	assert_json(r.decisions, "[{\"field\":\"applicant.phone\",\"policy\":\"owner:office\","
	                         "\"ancestor\":\"0963060905\",\"ours\":\"0911111111\","
	                         "\"theirs\":\"0922222222\",\"result\":\"0911111111\"}]");
	assert_json(r.open, "[]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void owner_central_field_takes_theirs(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "due_at", "\"2024-04-17T17:00:00+07:00\"");
	json_t *t = with(a, "due_at", "\"2024-04-19T17:00:00+07:00\"");
	result r;

	merge3(a, o, t, NULL, &r);
	assert_true(ds_json_same(r.merged, t));
	assert_json(r.decisions, "[{\"field\":\"due_at\",\"policy\":\"owner:central\","
	                         "\"ancestor\":\"2024-04-16T17:00:00+07:00\","
	                         "\"ours\":\"2024-04-17T17:00:00+07:00\","
	                         "\"theirs\":\"2024-04-19T17:00:00+07:00\","
	                         "\"result\":\"2024-04-19T17:00:00+07:00\"}]");
	assert_json(r.open, "[]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void explicit_policies_override_owner(void **state)
{
	json_t *a = fixture_dossier(), *o = json_deep_copy(a), *t = json_deep_copy(a);
	conflict_policy *p;
	result r;

	assert_int_equal(conflict_policy_new(&p), 0);
	assert_int_equal(conflict_policy_set(p, "policy.applicant.phone", "theirs"), 0);
	assert_int_equal(conflict_policy_set(p, "due_at", "ours"), 0);
	assert_int_equal(conflict_policy_set(p, "summary", "manual"), 0);
	set(&o, "applicant.phone", "\"0911111111\"");
	set(&t, "applicant.phone", "\"0922222222\"");
	set(&o, "due_at", "\"2024-04-17T17:00:00+07:00\"");
	set(&t, "due_at", "\"2024-04-19T17:00:00+07:00\"");
	set(&o, "summary", "\"Ours\"");
	set(&t, "summary", "\"Theirs\"");
	merge3(a, o, t, p, &r);
	assert_json(conflict_field_get(r.merged, "applicant.phone"), "\"0922222222\"");
	assert_json(conflict_field_get(r.merged, "due_at"), "\"2024-04-17T17:00:00+07:00\"");
	assert_json(conflict_field_get(r.merged, "summary"), "\"Theirs\"");
	assert_json(
	    r.decisions,
	    "[{\"field\":\"applicant.phone\",\"policy\":\"theirs\",\"ancestor\":"
	    "\"0963060905\",\"ours\":\"0911111111\",\"theirs\":\"0922222222\",\"result\":"
	    "\"0922222222\"},"
	    "{\"field\":\"due_at\",\"policy\":\"ours\",\"ancestor\":"
	    "\"2024-04-16T17:00:00+07:00\",\"ours\":\"2024-04-17T17:00:00+07:00\",\"theirs\":"
	    "\"2024-04-19T17:00:00+07:00\",\"result\":\"2024-04-17T17:00:00+07:00\"}]");
	assert_json(r.open, "[{\"field\":\"summary\",\"ancestor\":\"Đăng ký khai sinh cho con\","
	                    "\"ours\":\"Ours\",\"theirs\":\"Theirs\","
	                    "\"reason\":\"the policy for summary is manual\"}]");
	result_free(&r);
	conflict_policy_free(p);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void most_specific_policy_wins(void **state)
{
	json_t *a = fixture_dossier(), *o = json_deep_copy(a), *t = json_deep_copy(a);
	conflict_policy *p;
	result r;

	conflict_policy_new(&p);
	assert_int_equal(conflict_policy_set(p, "applicant", "theirs"), 0);
	assert_int_equal(conflict_policy_set(p, "applicant.phone", "owner"), 0);
	assert_int_equal(conflict_policy_set(p, "fees.amount", "theirs"), 0);
	set(&o, "applicant.name", "\"Phạm Ngọc A\"");
	set(&t, "applicant.name", "\"Phạm Ngọc B\"");
	set(&o, "applicant.phone", "\"0911111111\"");
	set(&t, "applicant.phone", "\"0922222222\"");
	set(&o, "fees[lp1].amount", "20000");
	set(&t, "fees[lp1].amount", "30000");
	merge3(a, o, t, p, &r);
	assert_json(conflict_field_get(r.merged, "applicant"),
	            "{\"name\":\"Phạm Ngọc B\",\"id_number\":\"068337861984\",\"phone\":"
	            "\"0911111111\",\"email\":\"congdan0@example.vn\",\"address\":"
	            "\"Số 239, đường Nguyễn Huệ, Vinh, Nghệ An\"}");
	assert_json(conflict_field_get(r.merged, "fees[lp1].amount"), "30000");
	assert_int_equal(json_array_size(r.decisions), 3);
	assert_json(json_object_get(json_array_get(r.decisions, 0), "policy"), "\"theirs\"");
	assert_json(json_object_get(json_array_get(r.decisions, 0), "field"), "\"applicant.name\"");
	assert_json(json_object_get(json_array_get(r.decisions, 1), "policy"), "\"owner:office\"");
	assert_json(json_object_get(json_array_get(r.decisions, 2), "field"),
	            "\"fees[lp1].amount\"");
	assert_json(json_object_get(json_array_get(r.decisions, 2), "policy"), "\"theirs\"");
	result_free(&r);
	conflict_policy_free(p);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void nested_fields_merge(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "applicant.name", "\"Phạm Ngọc Giang Anh\"");
	json_t *t = with(a, "applicant.email", "\"giang@example.vn\"");
	result r;

	set(&o, "applicant.representative", "{\"name\":\"Lê Văn Tám\",\"relation\":\"cha\"}");
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "applicant"),
	            "{\"name\":\"Phạm Ngọc Giang Anh\",\"id_number\":\"068337861984\","
	            "\"phone\":\"0963060905\",\"email\":\"giang@example.vn\","
	            "\"address\":\"Số 239, đường Nguyễn Huệ, Vinh, Nghệ An\","
	            "\"representative\":{\"name\":\"Lê Văn Tám\",\"relation\":\"cha\"}}");
	assert_json(r.decisions, "[]");
	assert_json(r.open, "[]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void field_added_one_side_removed_other(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "original_due_at", "\"2024-04-16T17:00:00+07:00\"");
	json_t *t = with(a, "summary", NULL);
	result r;

	/* Added on one side, another field removed on the other: both happen. */
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "original_due_at"),
	            "\"2024-04-16T17:00:00+07:00\"");
	assert_null(conflict_field_get(r.merged, "summary"));
	assert_json(r.decisions, "[]");
	result_free(&r);
	json_decref(o);
	json_decref(t);
	/* The same field removed here and changed at central: the owner (office) decides. */
	o = with(a, "applicant.email", NULL);
	t = with(a, "applicant.email", "\"moi@example.vn\"");
	merge3(a, o, t, NULL, &r);
	assert_null(conflict_field_get(r.merged, "applicant.email"));
	assert_json(r.decisions, "[{\"field\":\"applicant.email\",\"policy\":\"owner:office\","
	                         "\"ancestor\":\"congdan0@example.vn\",\"ours\":null,"
	                         "\"theirs\":\"moi@example.vn\",\"result\":null}]");
	result_free(&r);
	json_decref(o);
	json_decref(t);
	/* Added on both sides with different values: the owner (central) decides. */
	o = with(a, "handling_unit", "\"Phòng Tư pháp\"");
	t = with(a, "handling_unit", "\"UBND xã\"");
	merge3(a, o, t, NULL, &r);
	assert_json(r.decisions, "[{\"field\":\"handling_unit\",\"policy\":\"owner:central\","
	                         "\"ancestor\":null,\"ours\":\"Phòng Tư pháp\","
	                         "\"theirs\":\"UBND xã\",\"result\":\"UBND xã\"}]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void lists_union_added_items(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "components[tp3]", "{\"code\":\"CC\",\"name\":\"CCCD cha\"}");
	json_t *t = with(a, "components[tp5]", "{\"code\":\"HN\",\"name\":\"Giấy kết hôn\"}");
	result r;

	set(&t, "components[tp4]", "{\"code\":\"CM\",\"name\":\"CCCD mẹ\"}");
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "components"),
	            "[{\"id\":\"tp1\",\"code\":\"TK\",\"name\":\"Tờ khai\",\"originals\":1,"
	            "\"copies\":0,\"digitised\":true},"
	            "{\"id\":\"tp2\",\"code\":\"GCS\",\"name\":\"Giấy chứng sinh\",\"originals\":1,"
	            "\"copies\":0,\"digitised\":false},"
	            "{\"id\":\"tp3\",\"code\":\"CC\",\"name\":\"CCCD cha\"},"
	            "{\"id\":\"tp5\",\"code\":\"HN\",\"name\":\"Giấy kết hôn\"},"
	            "{\"id\":\"tp4\",\"code\":\"CM\",\"name\":\"CCCD mẹ\"}]");
	assert_json(r.decisions, "[]");
	assert_json(r.open, "[]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void list_item_added_both_sides_differently(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "fees[lp2]", "{\"code\":\"PHI\",\"amount\":5000}");
	json_t *t = with(a, "fees[lp2]", "{\"code\":\"PHI\",\"amount\":7000,\"paid\":true}");
	result r;

	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "fees[lp2]"),
	            "{\"id\":\"lp2\",\"code\":\"PHI\",\"amount\":5000,\"paid\":true}");
	assert_json(r.decisions,
	            "[{\"field\":\"fees[lp2].amount\",\"policy\":\"owner:office\","
	            "\"ancestor\":null,\"ours\":5000,\"theirs\":7000,\"result\":5000}]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void list_item_changed_both_sides(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "fees[lp1].paid", "true");
	json_t *t = with(a, "fees[lp1].amount", "15000");
	result r;

	/* Different fields of the same item: both kept. */
	set(&o, "fees[lp1].paid_at", "\"2024-04-14T08:00:00+07:00\"");
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "fees"),
	            "[{\"id\":\"lp1\",\"code\":\"LP\",\"amount\":15000,\"paid\":true,"
	            "\"paid_at\":\"2024-04-14T08:00:00+07:00\"}]");
	assert_json(r.decisions, "[]");
	result_free(&r);
	json_decref(o);
	json_decref(t);
	/* The same field: the policy (fees belong to the office). */
	o = with(a, "fees[lp1].amount", "20000");
	t = with(a, "fees[lp1].amount", "30000");
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "fees[lp1].amount"), "20000");
	assert_json(r.decisions, "[{\"field\":\"fees[lp1].amount\",\"policy\":\"owner:office\","
	                         "\"ancestor\":10000,\"ours\":20000,\"theirs\":30000,"
	                         "\"result\":20000}]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void list_item_removed_one_side(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "components[tp2]", NULL);
	json_t *t = with(a, "summary", "\"Khai sinh\"");
	result r;

	/* Removed here, untouched at central: removed. */
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "components"),
	            "[{\"id\":\"tp1\",\"code\":\"TK\",\"name\":\"Tờ khai\",\"originals\":1,"
	            "\"copies\":0,\"digitised\":true}]");
	assert_json(r.decisions, "[]");
	assert_json(r.open, "[]");
	result_free(&r);
	json_decref(o);
	json_decref(t);
	/* Untouched here, removed at central: removed. */
	o = with(a, "summary", "\"Khai sinh\"");
	t = with(a, "supplements[bs1]", NULL);
	merge3(a, o, t, NULL, &r);
	assert_null(conflict_field_get(r.merged, "supplements[bs1]"));
	assert_json(r.open, "[]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void list_item_removed_one_side_changed_other(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "fees[lp1]", NULL);
	json_t *t = with(a, "fees[lp1].paid", "true");
	conflict_policy *p;
	result r;

	/* A conflict on the whole item; fees belong to the office: removed. */
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "fees"), "[]");
	assert_json(r.decisions,
	            "[{\"field\":\"fees[lp1]\",\"policy\":\"owner:office\",\"ancestor\":"
	            "{\"id\":\"lp1\",\"code\":\"LP\",\"amount\":10000,\"paid\":false},"
	            "\"ours\":null,\"theirs\":{\"id\":\"lp1\",\"code\":\"LP\",\"amount\":10000,"
	            "\"paid\":true},\"result\":null}]");
	result_free(&r);
	/* The same under a manual rule: open, theirs' item kept. */
	conflict_policy_new(&p);
	conflict_policy_set(p, "fees", "manual");
	merge3(a, o, t, p, &r);
	assert_json(conflict_field_get(r.merged, "fees[lp1]"),
	            "{\"id\":\"lp1\",\"code\":\"LP\",\"amount\":10000,\"paid\":true}");
	assert_json(r.decisions, "[]");
	assert_json(r.open,
	            "[{\"field\":\"fees[lp1]\",\"ancestor\":"
	            "{\"id\":\"lp1\",\"code\":\"LP\",\"amount\":10000,\"paid\":false},"
	            "\"ours\":null,\"theirs\":{\"id\":\"lp1\",\"code\":\"LP\",\"amount\":10000,"
	            "\"paid\":true},\"reason\":\"the policy for fees is manual\"}]");
	result_free(&r);
	conflict_policy_free(p);
	json_decref(o);
	json_decref(t);
	/* Supplements belong to central: central removed it, the office changed it: removed. */
	o = with(a, "supplements[bs1].reason", "\"Thiếu bản sao CCCD\"");
	t = with(a, "supplements[bs1]", NULL);
	merge3(a, o, t, NULL, &r);
	assert_null(conflict_field_get(r.merged, "supplements[bs1]"));
	assert_int_equal(json_array_size(r.decisions), 1);
	assert_json(json_object_get(json_array_get(r.decisions, 0), "policy"), "\"owner:central\"");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void progress_rows_union(void **state)
{
	json_t *a = fixture_dossier();
	json_t *o = with(a, "progress[p1]",
	                 "{\"when\":\"2024-04-14T09:00:00+07:00\","
	                 "\"what\":\"Chuyển xử lý\",\"status\":4}");
	json_t *t = with(a, "progress[s-central-7]",
	                 "{\"when\":\"2024-04-14T10:00:00+07:00\","
	                 "\"what\":\"Thụ lý\",\"status\":4}");
	result r;

	set(&o, "progress[p0].what", "\"Tiếp nhận\"");
	set(&t, "progress[p0].what", "\"Đã tiếp nhận\"");
	merge3(a, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "progress"),
	            "[{\"id\":\"p0\",\"who\":\"Nguyễn Hữu Phước\",\"role\":\"Cán bộ\","
	            "\"unit\":\"Một cửa\",\"when\":\"2024-04-14T07:00:00+07:00\","
	            "\"what\":\"Đã tiếp nhận\",\"status\":2},"
	            "{\"id\":\"p1\",\"when\":\"2024-04-14T09:00:00+07:00\","
	            "\"what\":\"Chuyển xử lý\",\"status\":4},"
	            "{\"id\":\"s-central-7\",\"when\":\"2024-04-14T10:00:00+07:00\","
	            "\"what\":\"Thụ lý\",\"status\":4}]");
	assert_json(r.decisions, "[{\"field\":\"progress[p0].what\",\"policy\":\"union\","
	                         "\"ancestor\":\"Mới tiếp nhận\",\"ours\":\"Tiếp nhận\","
	                         "\"theirs\":\"Đã tiếp nhận\",\"result\":\"Đã tiếp nhận\"}]");
	result_free(&r);
	json_decref(a);
	json_decref(o);
	json_decref(t);
}

static void no_ancestor(void **state)
{
	json_t *o = fixture_dossier();
	json_t *t = with(o, "applicant.phone", "\"0922222222\"");
	result r;

	set(&o, "applicant.phone", "\"0911111111\"");
	set(&t, "due_at", "\"2024-04-19T17:00:00+07:00\"");
	merge3(NULL, o, t, NULL, &r);
	assert_json(conflict_field_get(r.merged, "applicant.phone"), "\"0911111111\"");
	assert_json(conflict_field_get(r.merged, "due_at"), "\"2024-04-19T17:00:00+07:00\"");
	assert_json(r.decisions,
	            "[{\"field\":\"applicant.phone\",\"policy\":\"owner:office\",\"ancestor\":null,"
	            "\"ours\":\"0911111111\",\"theirs\":\"0922222222\",\"result\":\"0911111111\"},"
	            "{\"field\":\"due_at\",\"policy\":\"owner:central\",\"ancestor\":null,"
	            "\"ours\":\"2024-04-16T17:00:00+07:00\",\"theirs\":"
	            "\"2024-04-19T17:00:00+07:00\",\"result\":\"2024-04-19T17:00:00+07:00\"}]");
	result_free(&r);
	json_decref(o);
	json_decref(t);
}

static void merge_bad_input(void **state)
{
	json_t *a = fixture_dossier(), *arr = json_array(), *m = NULL, *d = NULL, *op = NULL;

	assert_int_equal(conflict_merge_dossier(a, arr, a, NULL, &m, &d, &op), DS_EINVALID);
	assert_null(m);
	assert_int_equal(conflict_merge_dossier(a, a, NULL, NULL, &m, &d, &op), DS_EINVALID);
	assert_int_equal(conflict_merge_dossier(arr, a, a, NULL, &m, &d, &op), DS_EINVALID);
	json_decref(a);
	json_decref(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_side_each_way),
	    cmocka_unit_test(both_same_no_conflict),
	    cmocka_unit_test(owner_office_field_takes_ours),
	    cmocka_unit_test(owner_central_field_takes_theirs),
	    cmocka_unit_test(explicit_policies_override_owner),
	    cmocka_unit_test(most_specific_policy_wins),
	    cmocka_unit_test(nested_fields_merge),
	    cmocka_unit_test(field_added_one_side_removed_other),
	    cmocka_unit_test(lists_union_added_items),
	    cmocka_unit_test(list_item_added_both_sides_differently),
	    cmocka_unit_test(list_item_changed_both_sides),
	    cmocka_unit_test(list_item_removed_one_side),
	    cmocka_unit_test(list_item_removed_one_side_changed_other),
	    cmocka_unit_test(progress_rows_union),
	    cmocka_unit_test(no_ancestor),
	    cmocka_unit_test(merge_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
