/* test_admin.c: central's tokens (only a hash kept, verify, revoke), the change feed
 * (visibility per token, paging, repeatable pages) and the province's own edits on node
 * "central" (codes from the reserved block, one transaction each, nothing written when
 * invalid). No HTTP. */
#include "tests/central/fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_token_hash_verify_revoke(void **state)
{
	fx *f = *state;
	char token[CENTRAL_TOKEN_LEN], hash[DS_SHA256_HEX], id[CENTRAL_TOKEN_ID_LEN + 1];
	central_auth a;
	json_t *list = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(central_token_add(f->s, AG1, "office", token), 0);
	assert_int_equal(strlen(token), 5 + 8 + 1 + 32);
	assert_memory_equal(token, "dst1.", 5);
	memcpy(id, token + 5, 8);
	id[8] = '\0';
	/* only the hash of the whole token is stored */
	ds_sha256_hex(token, strlen(token), hash);
	assert_int_equal(
	    ds_db_prepare(central_store_db(f->s), "SELECT hash FROM tokens WHERE id = ?1", &st), 0);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), hash);
	sqlite3_finalize(st);
	assert_int_equal(central_token_verify(f->s, token, &a), 0);
	assert_string_equal(a.agency, AG1);
	assert_string_equal(a.token_id, id);
	assert_int_equal(a.province, 0);
	/* a wrong secret, a malformed token, nothing */
	token[20] = token[20] == 'a' ? 'b' : 'a';
	assert_int_equal(central_token_verify(f->s, token, &a), DS_EPERM);
	token[20] = token[20] == 'a' ? 'b' : 'a';
	assert_int_equal(central_token_verify(f->s, "dst1.garbage", &a), DS_EPERM);
	assert_int_equal(central_token_verify(f->s, NULL, &a), DS_EPERM);
	/* revoked: refused; revoking an unknown id: not found */
	assert_int_equal(central_token_revoke(f->s, id), 0);
	assert_int_equal(central_token_verify(f->s, token, &a), DS_EPERM);
	assert_int_equal(central_token_revoke(f->s, "ffffffff"), DS_ENOTFOUND);
	assert_int_equal(central_token_list(f->s, &list), 0);
	assert_int_equal(json_array_size(list), 4);
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *t = json_array_get(list, i);
		int is = strcmp(json_string_value(json_object_get(t, "id")), id) == 0;

		assert_int_equal(json_is_string(json_object_get(t, "revoked_at")), is);
		assert_null(json_object_get(t, "hash"));
	}
	json_decref(list);
	/* bad agency or role */
	assert_int_equal(central_token_add(f->s, "not an agency", "office", token), DS_EINVALID);
	assert_int_equal(central_token_add(f->s, AG1, "king", token), DS_EINVALID);
}

/* Five changes: AG1 dossiers 1..3 by xa1, an AG2 dossier by xa2, a patch by xa1. */
static void five_changes(fx *f)
{
	const char *codes[] = {AG1 "-240414-0001", AG1 "-240414-0002", AG1 "-240414-0003"};
	json_t *ops = json_array(), *r = NULL, *a2 = json_array();
	int64_t exp;

	for (size_t i = 0; i < 3; i++)
		json_array_append_new(
		    ops, fx_op(codes[i], "create", fx_dossier(codes[i], AG1), 0, NULL));
	json_array_append_new(
	    ops, fx_op(codes[0], "patch", json_pack("{s:s}", "summary", "Sửa"), 1, NULL));
	assert_int_equal(fx_push(f, &f->office1, "xa1", ops, &r, &exp), 0);
	json_decref(r);
	json_array_append_new(
	    a2, fx_op(AG2 "-240414-0001", "create", fx_dossier(AG2 "-240414-0001", AG2), 0, NULL));
	assert_int_equal(fx_push(f, &f->office2, "xa2", a2, &r, &exp), 0);
	json_decref(r);
}

static void test_feed_visibility(void **state)
{
	fx *f = *state;
	json_t *ch = NULL;
	int64_t next;
	int more;

	five_changes(f);
	assert_int_equal(central_pull(f->s, &f->province, 0, 100, &ch, &next, &more), 0);
	assert_int_equal(json_array_size(ch), 5);
	assert_int_equal(next, 5);
	assert_int_equal(more, 0);
	json_decref(ch);
	assert_int_equal(central_pull(f->s, &f->office1, 0, 100, &ch, &next, &more), 0);
	assert_int_equal(json_array_size(ch), 4);
	json_decref(ch);
	assert_int_equal(central_pull(f->s, &f->office2, 0, 100, &ch, &next, &more), 0);
	assert_int_equal(json_array_size(ch), 1);
	assert_int_equal(next, 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ch, 0), "node")),
	                    "xa2");
	json_decref(ch);
	/* nothing after the end: next stays, no more */
	assert_int_equal(central_pull(f->s, &f->office2, 5, 100, &ch, &next, &more), 0);
	assert_int_equal(json_array_size(ch), 0);
	assert_int_equal(next, 5);
	json_decref(ch);
	assert_int_equal(central_pull(f->s, &f->office1, 0, 0, &ch, &next, &more), DS_EINVALID);
	assert_int_equal(central_pull(f->s, &f->office1, -1, 10, &ch, &next, &more), DS_EINVALID);
}

static void test_feed_paging(void **state)
{
	fx *f = *state;
	json_t *p1 = NULL, *again = NULL, *p2 = NULL, *p3 = NULL;
	int64_t next = 0, n2 = 0, n3 = 0, na = 0;
	int more = 0, more2 = 0, more3 = 1, morea = 0;

	five_changes(f);
	assert_int_equal(central_pull(f->s, &f->province, 0, 2, &p1, &next, &more), 0);
	assert_int_equal(json_array_size(p1), 2);
	assert_int_equal(next, 2);
	assert_int_equal(more, 1);
	assert_int_equal(central_pull(f->s, &f->province, 0, 2, &again, &na, &morea), 0);
	assert_true(ds_json_same(p1, again));
	assert_int_equal(na, next);
	assert_int_equal(morea, more);
	assert_int_equal(central_pull(f->s, &f->province, next, 2, &p2, &n2, &more2), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(p2, 0), "cursor")), 3);
	assert_int_equal(more2, 1);
	assert_int_equal(central_pull(f->s, &f->province, n2, 2, &p3, &n3, &more3), 0);
	assert_int_equal(json_array_size(p3), 1);
	assert_int_equal(n3, 5);
	assert_int_equal(more3, 0);
	json_decref(p1);
	json_decref(again);
	json_decref(p2);
	json_decref(p3);
}

static void test_edits(void **state)
{
	fx *f = *state;
	char code[SCHEMA_CODE_MAX], code2[SCHEMA_CODE_MAX];
	json_t *d = fx_dossier("x", AG1), *ch = NULL, *patch;
	int64_t next;
	int more;

	/* no code: allocated in central's block, on the date of receipt */
	json_object_del(d, "code");
	assert_int_equal(central_edit_create(f->s, "tu", d, code), 0);
	assert_string_equal(code, AG1 "-240414-9000");
	assert_int_equal(central_edit_create(f->s, "tu", d, code2), 0);
	assert_string_equal(code2, AG1 "-240414-9001");
	/* no code and no agency */
	json_object_del(d, "agency");
	assert_int_equal(central_edit_create(f->s, "tu", d, code2), DS_EINVALID);
	json_decref(d);
	/* an explicit code; then the same again */
	d = fx_dossier(AG2 "-240414-0042", AG2);
	assert_int_equal(central_edit_create(f->s, "tu", d, code2), 0);
	assert_int_equal(central_edit_create(f->s, "tu", d, code2), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "already exists"));
	json_decref(d);
	patch = json_pack("{s:{s:s}}", "applicant", "phone", "0911111111");
	assert_int_equal(central_edit_patch(f->s, "tu", code, patch), 0);
	assert_int_equal(central_edit_patch(f->s, "tu", AG1 "-240414-0777", patch), DS_ENOTFOUND);
	json_decref(patch);
	patch = json_pack("{s:i}", "status", 4);
	assert_int_equal(central_edit_patch(f->s, "tu", code, patch), DS_EINVALID);
	json_decref(patch);
	assert_int_equal(central_edit_transition(f->s, "tu", code, 4, "thụ lý"), 0);
	assert_int_equal(central_edit_transition(f->s, "tu", code, 2, NULL), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "illegal status move 4 -> 2"));
	assert_int_equal(fx_dossier_version(f, code), 3);
	/* five edits applied, on central's own chain, all in the feed */
	assert_int_equal(fx_count(f, "feed"), 5);
	assert_int_equal(fx_count(f, "ops"), 5);
	assert_int_equal(central_pull(f->s, &f->office1, 0, 100, &ch, &next, &more), 0);
	assert_int_equal(json_array_size(ch), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ch, 3), "op_id")),
	                    "central:5");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ch, 3), "node")),
	                    CENTRAL_NODE);
	json_decref(ch);
}

static void test_dossier_get_and_list(void **state)
{
	fx *f = *state;
	json_t *d = NULL, *list = NULL;

	five_changes(f);
	assert_int_equal(central_dossier_get(f->s, &f->office1, AG1 "-240414-0001", &d), 0);
	assert_int_equal(json_integer_value(json_object_get(d, "version")), 2);
	json_decref(d);
	assert_int_equal(central_dossier_get(f->s, &f->office2, AG1 "-240414-0001", &d),
	                 DS_ENOTFOUND);
	assert_int_equal(central_dossier_get(f->s, &f->province, AG1 "-240414-0404", &d),
	                 DS_ENOTFOUND);
	assert_int_equal(central_dossier_list(f->s, NULL, 0, &list), 0);
	assert_int_equal(json_array_size(list), 4);
	json_decref(list);
	assert_int_equal(central_dossier_list(f->s, AG2, 0, &list), 0);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	assert_int_equal(central_dossier_list(f->s, NULL, 4, &list), 0);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

static void test_open_missing(void **state)
{
	central_store *s = NULL;

	(void)state;
	assert_int_equal(central_store_open(&s, "/tmp/no-such-dir-dossync/central.db", 0),
	                 DS_ENOTFOUND);
	assert_non_null(strstr(ds_error_msg(), "run dossync-central init"));
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_token_hash_verify_revoke, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_feed_visibility, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_feed_paging, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_edits, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_dossier_get_and_list, fx_setup, fx_teardown),
	    cmocka_unit_test(test_open_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
