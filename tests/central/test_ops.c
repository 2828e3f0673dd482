/* test_ops.c: what the operator's tools keep (central/ops.c): token rotation (the old and
 * the new token both act for the nodes until the old is revoked), the nodes' last
 * contact, error and pull lag as `nodes` lists them, the feed head and the lag count per
 * token. No HTTP. */
#include "central/central_int.h"
#include "tests/central/fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* One create by office1 as xa1 (binds the node). */
static void push_one(fx *f, const central_auth *a, int n)
{
	char code[SCHEMA_CODE_MAX];
	json_t *ops = json_array(), *r = NULL;
	int64_t exp = 0;

	snprintf(code, sizeof(code), AG1 "-240414-%04d", n);
	json_array_append_new(ops, fx_op(code, "create", fx_dossier(code, AG1), 0, NULL));
	assert_int_equal(fx_push(f, a, "xa1", ops, &r, &exp), 0);
	assert_string_equal(fx_result(r, 0), "applied");
	json_decref(r);
}

static void test_rotate(void **state)
{
	fx *f = *state;
	char token[CENTRAL_TOKEN_LEN];
	central_auth next;
	json_t *nodes = NULL;

	push_one(f, &f->office1, 1);
	assert_int_equal(central_token_rotate(f->s, f->office1.token_id, token), 0);
	assert_int_equal(central_token_verify(f->s, token, &next), 0);
	assert_string_equal(next.agency, AG1);
	assert_int_equal(next.province, 0);
	assert_string_not_equal(next.token_id, f->office1.token_id);
	/* the node moved to the new token; both push as it */
	assert_int_equal(central_node_list(f->s, &nodes), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 0), "token")),
	                    next.token_id);
	json_decref(nodes);
	push_one(f, &f->office1, 2);
	push_one(f, &next, 3);
	assert_int_equal(central_node_token_check(f->s, &f->office1, next.token_id, "xa1"), 0);
	/* another line may not */
	assert_int_equal(central_node_token_check(f->s, &f->office2, next.token_id, "xa1"),
	                 DS_EPERM);
	assert_int_equal(central_node_token_check(f->s, &f->office1, "", "central"), DS_EPERM);
	/* revoked: no longer verified, cannot be rotated; unknown ids */
	assert_int_equal(central_token_revoke(f->s, f->office1.token_id), 0);
	assert_int_equal(central_token_rotate(f->s, f->office1.token_id, token), DS_EINVALID);
	assert_string_equal(token, "");
	assert_int_equal(central_token_rotate(f->s, "ffffffff", token), DS_ENOTFOUND);
	push_one(f, &next, 4);
}

static void test_contact_and_list(void **state)
{
	fx *f = *state;
	central_contact c = {.pull_cursor = -1};
	json_t *nodes = NULL, *row;
	int64_t head = 0, n = 0;

	assert_int_equal(central_feed_head(f->s, &head), 0);
	assert_int_equal(head, 0);
	push_one(f, &f->office1, 1);
	push_one(f, &f->office1, 2);
	assert_int_equal(central_feed_head(f->s, &head), 0);
	assert_int_equal(head, 2);
	assert_int_equal(central_feed_behind(f->s, &f->office1, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(central_feed_behind(f->s, &f->office2, 0, &n), 0);
	assert_int_equal(n, 0); /* another agency's changes are not its lag */
	/* before any contact: nulls */
	assert_int_equal(central_node_list(f->s, &nodes), 0);
	row = json_array_get(nodes, 0);
	assert_string_equal(json_string_value(json_object_get(row, "node")), "xa1");
	assert_string_equal(json_string_value(json_object_get(row, "office")), AG1);
	assert_int_equal(json_integer_value(json_object_get(row, "last_seq")), 2);
	assert_true(json_is_null(json_object_get(row, "last_contact")));
	json_decref(nodes);
	/* an error, then a pull without one: the error stays, the pull is recorded */
	snprintf(c.node, sizeof(c.node), "xa1");
	snprintf(c.at, sizeof(c.at), "2026-12-07T10:00:00+07:00");
	snprintf(c.error, sizeof(c.error), "409 gap");
	assert_int_equal(central_node_contact(f->s, &c), 0);
	snprintf(c.at, sizeof(c.at), "2026-12-07T10:00:05+07:00");
	c.error[0] = '\0';
	c.pull_cursor = 1, c.pull_behind = 1;
	assert_int_equal(central_node_contact(f->s, &c), 0);
	snprintf(c.node, sizeof(c.node), "nobody"); /* unknown node: nothing */
	assert_int_equal(central_node_contact(f->s, &c), 0);
	assert_int_equal(central_node_list(f->s, &nodes), 0);
	assert_int_equal(json_array_size(nodes), 1);
	row = json_array_get(nodes, 0);
	assert_string_equal(json_string_value(json_object_get(row, "last_contact")),
	                    "2026-12-07T10:00:05+07:00");
	assert_string_equal(json_string_value(json_object_get(row, "last_error")), "409 gap");
	assert_int_equal(json_integer_value(json_object_get(row, "pull_cursor")), 1);
	assert_int_equal(json_integer_value(json_object_get(row, "pull_behind")), 1);
	json_decref(nodes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rotate, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_contact_and_list, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
