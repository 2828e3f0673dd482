/* test_apply.c: central's apply rules and chain checks without HTTP: the base and parent
 * rules, duplicates, conflicts, every reason for a rejection, the agency rules, node
 * binding, and gap and fork detection (docs/PROTOCOL.md "POST /v1/push"). */
#include "tests/central/fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define C1 AG1 "-240414-0001"
#define C2 AG2 "-240414-0001"

static json_t *one(json_t *op)
{
	json_t *a = json_array();

	json_array_append_new(a, op);
	return a;
}

static json_t *phone(const char *p)
{
	return json_pack("{s:{s:s}}", "applicant", "phone", p);
}

/* xa1 creates C1: version 1. */
static void create_c1(fx *f)
{
	json_t *r = NULL;
	int64_t exp;

	assert_int_equal(fx_push(f, &f->office1, "xa1",
	                         one(fx_op(C1, "create", fx_dossier(C1, AG1), 0, NULL)), &r, &exp),
	                 0);
	assert_string_equal(fx_result(r, 0), "applied");
	assert_int_equal(fx_version(r, 0), 1);
	json_decref(r);
}

static void test_create_then_duplicate(void **state)
{
	fx *f = *state;
	char final[DS_SHA256_HEX];
	json_t *r = NULL, *doc, *ops;
	int64_t exp;

	create_c1(f);
	/* The same batch again: the stored receipt, nothing applied twice. */
	ops = one(fx_op(C1, "create", fx_dossier(C1, AG1), 0, NULL));
	doc = fx_push_doc("xa1", 1, schema_genesis_hash, ops, final);
	assert_int_equal(central_push(f->s, &f->office1, doc, &r, &exp), 0);
	assert_string_equal(fx_result(r, 0), "duplicate");
	assert_int_equal(fx_version(r, 0), 1);
	assert_int_equal(fx_dossier_version(f, C1), 1);
	assert_int_equal(fx_count(f, "feed"), 1);
	assert_int_equal(fx_count(f, "ops"), 1);
	json_decref(r);
	json_decref(doc);
}

static void test_base_rule_and_conflict(void **state)
{
	fx *f = *state;
	json_t *r = NULL, *ops = json_array();
	int64_t exp;

	create_c1(f);
	json_array_append_new(ops, fx_op(C1, "patch", phone("0911111111"), 1, NULL));
	/* made on version 1 too, by someone who had not seen the first patch */
	json_array_append_new(ops, fx_op(C1, "patch", phone("0922222222"), 1, NULL));
	assert_int_equal(fx_push(f, &f->office1, "xa1", ops, &r, &exp), 0);
	assert_string_equal(fx_result(r, 0), "applied");
	assert_int_equal(fx_version(r, 0), 2);
	assert_string_equal(fx_result(r, 1), "conflict");
	assert_int_equal(fx_version(r, 1), 2);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(json_array_get(r, 1), "state"), "applicant"),
	        "phone")),
	    "0911111111");
	assert_int_equal(fx_dossier_version(f, C1), 2);
	json_decref(r);
}

static void test_parent_rule(void **state)
{
	fx *f = *state;
	json_t *r = NULL, *ops = json_array();
	int64_t exp;

	create_c1(f); /* xa1:1 */
	/* Two local changes on version 1 before any receipt: the second names the first. */
	json_array_append_new(ops, fx_op(C1, "patch", phone("0911111111"), 1, NULL));
	json_array_append_new(ops, fx_op(C1, "patch", phone("0933333333"), 1, "xa1:2"));
	assert_int_equal(fx_push(f, &f->office1, "xa1", ops, &r, &exp), 0);
	assert_string_equal(fx_result(r, 0), "applied");
	assert_string_equal(fx_result(r, 1), "applied");
	assert_int_equal(fx_version(r, 1), 3);
	json_decref(r);
	/* A parent that is not the last applied op, on an old base: conflict. */
	assert_int_equal(fx_push(f, &f->office1, "xa1",
	                         one(fx_op(C1, "patch", phone("0944444444"), 1, "xa1:2")), &r,
	                         &exp),
	                 0);
	assert_string_equal(fx_result(r, 0), "conflict");
	assert_int_equal(fx_version(r, 0), 3);
	json_decref(r);
}

static void test_conflict_replayed(void **state)
{
	fx *f = *state;
	char h1[DS_SHA256_HEX], final[DS_SHA256_HEX];
	json_t *r = NULL, *doc, *ops = json_array();
	int64_t exp;

	create_c1(f);
	memcpy(h1, f->head, sizeof(h1)); /* the hash of entry 1 */
	json_array_append_new(ops, fx_op(C1, "patch", phone("0911111111"), 1, NULL));
	json_array_append_new(ops, fx_op(C1, "patch", phone("0922222222"), 1, NULL));
	assert_int_equal(fx_push(f, &f->office1, "xa1", json_deep_copy(ops), &r, &exp), 0);
	assert_string_equal(fx_result(r, 1), "conflict");
	json_decref(r);
	/* Central moves on; a replay still answers what was decided then. */
	assert_int_equal(central_edit_transition(f->s, "tu", C1, 4, NULL), 0);
	doc = fx_push_doc("xa1", 2, h1, ops, final);
	assert_int_equal(central_push(f->s, &f->office1, doc, &r, &exp), 0);
	assert_string_equal(fx_result(r, 0), "duplicate");
	assert_int_equal(fx_version(r, 0), 2);
	assert_string_equal(fx_result(r, 1), "conflict");
	assert_int_equal(fx_version(r, 1), 2);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_array_get(r, 1), "state"), "status")),
	                 2);
	assert_int_equal(fx_dossier_version(f, C1), 3);
	json_decref(r);
	json_decref(doc);
}

static void expect_rejected(fx *f, const central_auth *a, json_t *op, const char *reason)
{
	json_t *r = NULL;
	int64_t exp;
	int feed = fx_count(f, "feed");

	assert_int_equal(fx_push(f, a, "xa1", one(op), &r, &exp), 0);
	assert_string_equal(fx_result(r, 0), "rejected");
	if (!strstr(fx_reason(r, 0), reason))
		fail_msg("reason \"%s\" lacks \"%s\"", fx_reason(r, 0), reason);
	assert_int_equal(fx_count(f, "feed"), feed);
	json_decref(r);
}

static void test_rejected_reasons(void **state)
{
	fx *f = *state;

	create_c1(f);
	expect_rejected(f, &f->office1, fx_op(C1, "create", fx_dossier(C1, AG1), 0, NULL),
	                "dossier " C1 " already exists");
	expect_rejected(f, &f->office1,
	                fx_op(AG1 "-240414-0099", "patch", phone("0911111111"), 1, NULL),
	                "does not exist");
	expect_rejected(f, &f->office1,
	                fx_op(C1, "transition", json_pack("{s:i}", "to", 10), 1, NULL),
	                "illegal status move 2 -> 10");
	expect_rejected(f, &f->office1, fx_op(C1, "patch", phone("12"), 1, NULL),
	                "applicant.phone");
	/* a create whose dossier is invalid */
	{
		json_t *d = fx_dossier(AG1 "-240414-0002", AG1);

		json_object_set_new(d, "channel", json_integer(9));
		expect_rejected(f, &f->office1, fx_op(AG1 "-240414-0002", "create", d, 0, NULL),
		                "channel");
	}
	assert_int_equal(fx_dossier_version(f, C1), 1);
	/* every op is held with its receipt, applied or not */
	assert_int_equal(fx_count(f, "ops"), 6);
}

static void test_agency_rules(void **state)
{
	fx *f = *state;
	json_t *r = NULL;
	int64_t exp;

	create_c1(f);
	/* office2's nodes, bound at issue (a batch of refused ops binds no new node) */
	assert_int_equal(central_node_bind(f->s, &f->office2, "xa2"), 0);
	assert_int_equal(central_node_bind(f->s, &f->office2, "xa3"), 0);
	/* office2's node may not touch office1's dossier, nor create one for AG1 */
	assert_int_equal(fx_push(f, &f->office2, "xa2",
	                         one(fx_op(C1, "patch", phone("0911111111"), 1, NULL)), &r, &exp),
	                 0);
	assert_string_equal(fx_result(r, 0), "rejected");
	assert_non_null(strstr(fx_reason(r, 0), AG1));
	assert_non_null(strstr(fx_reason(r, 0), AG2));
	json_decref(r);
	assert_int_equal(fx_push(f, &f->office2, "xa3",
	                         one(fx_op(AG1 "-240414-0005", "create",
	                                   fx_dossier(AG1 "-240414-0005", AG1), 0, NULL)),
	                         &r, &exp),
	                 0);
	assert_string_equal(fx_result(r, 0), "rejected");
	assert_non_null(strstr(fx_reason(r, 0), AG2));
	json_decref(r);
	/* a province token may change any agency's dossier */
	assert_int_equal(fx_push(f, &f->province, "so-tu-phap",
	                         one(fx_op(C1, "patch", phone("0911111111"), 1, NULL)), &r, &exp),
	                 0);
	assert_string_equal(fx_result(r, 0), "applied");
	json_decref(r);
	assert_int_equal(fx_dossier_version(f, C1), 2);
}

static void test_bad_op_does_not_block(void **state)
{
	fx *f = *state;
	json_t *r = NULL, *ops = json_array();
	int64_t exp;

	json_array_append_new(ops, fx_op(C1, "create", fx_dossier(C1, AG1), 0, NULL));
	json_array_append_new(ops, fx_op(C1, "transition", json_pack("{s:i}", "to", 10), 1, NULL));
	json_array_append_new(ops, fx_op(C1, "transition", json_pack("{s:i}", "to", 4), 1, NULL));
	assert_int_equal(fx_push(f, &f->office1, "xa1", ops, &r, &exp), 0);
	assert_string_equal(fx_result(r, 0), "applied");
	assert_string_equal(fx_result(r, 1), "rejected");
	assert_string_equal(fx_result(r, 2), "applied");
	assert_int_equal(fx_version(r, 2), 2);
	json_decref(r);
}

static void test_node_binding(void **state)
{
	fx *f = *state;
	json_t *r = NULL;
	int64_t exp;

	create_c1(f);
	/* another token (same agency even) may not push as xa1 */
	assert_int_equal(fx_push(f, &f->province, "xa1",
	                         one(fx_op(C1, "patch", phone("0911111111"), 1, NULL)), &r, &exp),
	                 DS_EPERM);
	assert_null(r);
	assert_int_equal(fx_push(f, &f->province, CENTRAL_NODE,
	                         one(fx_op(C1, "patch", phone("0911111111"), 1, NULL)), &r, &exp),
	                 DS_EPERM);
	assert_int_equal(fx_count(f, "ops"), 1);
	/* a new node is not bound by a batch whose ops are all refused: nothing is kept */
	assert_int_equal(fx_push(f, &f->office2, "zz",
	                         one(fx_op(C1, "patch", phone("0911111111"), 1, NULL)), &r, &exp),
	                 DS_EPERM);
	assert_non_null(strstr(ds_error_msg(), "no op of the batch was accepted"));
	assert_int_equal(fx_count(f, "ops"), 1);
	assert_int_equal(fx_count(f, "nodes"), 1);
	/* the office whose op applies gets it */
	assert_int_equal(fx_push(f, &f->office1, "zz",
	                         one(fx_op(C1, "patch", phone("0911111111"), 1, NULL)), &r, &exp),
	                 0);
	assert_string_equal(fx_result(r, 0), "applied");
	json_decref(r);
}

static void test_chain_gap(void **state)
{
	fx *f = *state;
	char final[DS_SHA256_HEX];
	json_t *r = NULL, *doc;
	int64_t exp = 0;

	create_c1(f);
	doc = fx_push_doc("xa1", 3, f->head, one(fx_op(C1, "patch", phone("0911111111"), 1, NULL)),
	                  final);
	assert_int_equal(central_push(f->s, &f->office1, doc, &r, &exp), DS_ECONFLICT);
	assert_int_equal(exp, 2);
	assert_null(r);
	assert_int_equal(fx_count(f, "ops"), 1);
	assert_int_equal(fx_dossier_version(f, C1), 1);
	json_decref(doc);
}

static void test_chain_fork(void **state)
{
	fx *f = *state;
	char final[DS_SHA256_HEX], other[DS_SHA256_HEX];
	json_t *r = NULL, *doc;
	int64_t exp = 0;

	create_c1(f);
	/* prev_hash that is not the hash central holds for entry 1 */
	memset(other, 'a', 64);
	other[64] = '\0';
	doc = fx_push_doc("xa1", 2, other, one(fx_op(C1, "patch", phone("0911111111"), 1, NULL)),
	                  final);
	assert_int_equal(central_push(f->s, &f->office1, doc, &r, &exp), DS_ECONFLICT);
	assert_non_null(strstr(ds_error_msg(), "journal chain mismatch at seq 2"));
	assert_int_equal(exp, 2);
	json_decref(doc);
	/* entry 1 rewritten: same seq, other content */
	doc = fx_push_doc("xa1", 1, schema_genesis_hash,
	                  one(fx_op(C1, "create", fx_dossier(C1, AG1), 0, "xa1:7")), final);
	assert_int_equal(central_push(f->s, &f->office1, doc, &r, &exp), DS_ECONFLICT);
	assert_non_null(strstr(ds_error_msg(), "journal chain mismatch at seq 1"));
	json_decref(doc);
	/* a batch whose final hash does not follow from its ops */
	doc = fx_push_doc("xa1", 2, f->head, one(fx_op(C1, "patch", phone("0911111111"), 1, NULL)),
	                  final);
	json_object_set_new(doc, "hash", json_string(other));
	assert_int_equal(central_push(f->s, &f->office1, doc, &r, &exp), DS_ECONFLICT);
	json_decref(doc);
	assert_int_equal(fx_count(f, "ops"), 1);
	assert_int_equal(fx_dossier_version(f, C1), 1);
}

static void test_malformed_op(void **state)
{
	fx *f = *state;
	char final[DS_SHA256_HEX];
	json_t *r = NULL, *doc, *ops = json_array();
	int64_t exp;

	json_array_append_new(ops, fx_op(C1, "create", fx_dossier(C1, AG1), 0, NULL));
	json_array_append_new(ops, fx_op(C1, "patch", phone("0911111111"), 1, NULL));
	doc = fx_push_doc("xa1", 1, schema_genesis_hash, ops, final);
	/* the second entry is not a well-formed op: the whole batch is refused */
	json_object_set_new(json_array_get(ops, 1), "kind", json_string("explode"));
	assert_int_equal(central_push(f->s, &f->office1, doc, &r, &exp), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "kind"));
	assert_null(r);
	assert_int_equal(fx_count(f, "ops"), 0);
	assert_int_equal(fx_count(f, "nodes"), 0);
	assert_int_equal(fx_count(f, "dossiers"), 0);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_then_duplicate, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_base_rule_and_conflict, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_parent_rule, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_conflict_replayed, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_rejected_reasons, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_agency_rules, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_op_does_not_block, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_node_binding, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_chain_gap, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_chain_fork, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_op, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
