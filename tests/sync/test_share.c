/* test_share.c: the column codec takes values by reference instead of copying them, so
 * what a decoder returns must belong to the caller alone once the document is gone: every
 * value of a decoded push, receipt list or pull page has one owner, changing one op or
 * state changes nothing else, and the records given to an encoder come back untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync/sync.h"

#define H0 "0000000000000000000000000000000000000000000000000000000000000000"
#define H1 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* 1 when every value inside v (v included) has exactly one holder; true, false and null
 * are jansson's shared constants and do not count. */
static int sole_owner(const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_true(v) || json_is_false(v) || json_is_null(v))
		return 1;
	if (v->refcount != 1)
		return 0;
	json_array_foreach(v, i, item) if (!sole_owner(item)) return 0;
	json_object_foreach((json_t *)v, key, item) if (!sole_owner(item)) return 0;
	return 1;
}

/* Two creates with the same lists and an empty object, as a leaf in each. */
static json_t *make_ops(void)
{
	json_t *ops = json_array();
	char id[32];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(id, sizeof(id), "xa1:%d", i + 1);
		json_array_append_new(
		    ops,
		    json_pack("{s:i, s:s, s:s, s:s, s:{s:[{s:s, s:i}], s:{}, s:s}, s:i, s:n, "
		              "s:s, s:s}",
		              "seq", i + 1, "op_id", id, "code", "000.00.12.H22-251129-0007",
		              "kind", "create", "payload", "components", "id", "tp1", "originals",
		              1, "extra", "summary", "Đăng ký", "base", 0, "parent", "actor", "lan",
		              "occurred_at", "2025-11-29T08:01:02+07:00"));
	}
	return ops;
}

static void push_ops_owned(void **state)
{
	json_t *ops = make_ops(), *out = NULL, *a, *b;
	char *before = NULL, *after = NULL;
	ds_buf body = DS_BUF_INIT;

	assert_int_equal(ds_json_canonical(ops, &before, NULL), 0);
	assert_int_equal(sync_push_encode("xa1", H0, H1, ops, &body), 0);
	assert_int_equal(ds_json_canonical(ops, &after, NULL), 0);
	assert_string_equal(before, after); /* the encoder changed nothing it was given */
	assert_true(sole_owner(ops));
	assert_int_equal(sync_push_decode(body.ptr, body.len, &out), 0);
	assert_true(sole_owner(out));
	/* Changing one op in place leaves the other alone. */
	a = json_object_get(json_array_get(json_object_get(out, "ops"), 0), "payload");
	b = json_object_get(json_array_get(json_object_get(out, "ops"), 1), "payload");
	json_array_append_new(json_object_get(a, "components"), json_integer(7));
	json_object_set_new(json_object_get(a, "extra"), "x", json_true());
	assert_int_equal(json_array_size(json_object_get(b, "components")), 1);
	assert_int_equal(json_object_size(json_object_get(b, "extra")), 0);
	free(before);
	free(after);
	json_decref(ops);
	json_decref(out);
	ds_buf_release(&body);
}

static void receipts_and_changes_owned(void **state)
{
	json_t *in = json_pack("[{s:s, s:s, s:i, s:{s:s}}]", "op_id", "xa1:1", "result", "conflict",
	                       "version", 3, "state", "code", "x");
	json_t *page = json_pack("[{s:i, s:s, s:i, s:s, s:s, s:{s:[i]}}]", "cursor", 1, "code", "x",
	                         "version", 1, "op_id", "xa1:1", "node", "xa1", "state", "list", 1);
	json_t *out = NULL;
	ds_buf body = DS_BUF_INIT;
	int64_t next = 0;
	int more = 0;

	assert_int_equal(sync_receipts_encode(in, &body), 0);
	assert_int_equal(sync_receipts_decode(body.ptr, body.len, &out), 0);
	assert_true(ds_json_same(in, out));
	assert_true(sole_owner(out));
	json_decref(out);
	ds_buf_reset(&body);
	assert_int_equal(sync_changes_encode(page, 1, 0, &body), 0);
	assert_int_equal(sync_changes_decode(body.ptr, body.len, &out, &next, &more), 0);
	assert_true(ds_json_same(page, out));
	assert_true(sole_owner(out));
	json_decref(out);
	json_decref(in);
	json_decref(page);
	ds_buf_release(&body);
}

/* A caller that keeps the column document sees the records hold its values (one more
 * reference each), so a refcount-aware change (ds_json_merge_patch) copies first and the
 * document keeps its bytes; once the document and the encoded records are gone, the
 * decoded records own everything. */
static void cols_decode_shares_with_doc(void **state)
{
	json_t *rec = json_pack("[{s:{s:s}, s:[i]}]", "a", "b", "c", "l", 1), *doc = NULL;
	json_t *back = NULL, *r0 = NULL, *patch = json_pack("{s:{s:s}}", "a", "b", "z");
	char *before = NULL, *after = NULL;

	assert_int_equal(sync_cols_encode(rec, &doc), 0);
	assert_int_equal(ds_json_canonical(doc, &before, NULL), 0);
	assert_int_equal(sync_cols_decode(doc, &back), 0);
	assert_true(ds_json_same(rec, back));
	assert_false(sole_owner(back));
	r0 = json_incref(json_array_get(back, 0));
	assert_int_equal(ds_json_merge_patch(&r0, patch), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r0, "a"), "b")), "z");
	assert_int_equal(ds_json_canonical(doc, &after, NULL), 0);
	assert_string_equal(before, after);
	assert_true(ds_json_same(rec, back));
	json_decref(doc);
	json_decref(rec); /* the encoder's document held rec's values too */
	assert_true(sole_owner(back));
	free(before);
	free(after);
	json_decref(r0);
	json_decref(back);
	json_decref(patch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(push_ops_owned),
	    cmocka_unit_test(receipts_and_changes_owned),
	    cmocka_unit_test(cols_decode_shares_with_doc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
