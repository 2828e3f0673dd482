/* test_op.c: journal ops: their shape, their hash against canonical bytes written out by
 * hand, the chain, and how create, patch, transition, merge change a dossier state
 * (progress rows, prior_status, finished_at/returned_at, refusals leave the state as is). */
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

/* The op of docs/PROTOCOL.md, keys deliberately out of order. */
static const char op1_text[] =
    "{\"seq\": 12, \"op_id\": \"xa1:12\", \"code\": \"000.00.12.H22-251129-0007\",\n"
    " \"kind\": \"patch\", \"payload\": {\"applicant\": {\"phone\": \"0963060905\"}},\n"
    " \"base\": 3, \"parent\": \"xa1:11\", \"actor\": \"lan\",\n"
    " \"occurred_at\": \"2025-11-29T08:01:02+07:00\"}";
static const char op1_canon[] =
    "{\"actor\":\"lan\",\"base\":3,\"code\":\"000.00.12.H22-251129-0007\",\"kind\":\"patch\","
    "\"occurred_at\":\"2025-11-29T08:01:02+07:00\",\"op_id\":\"xa1:12\",\"parent\":\"xa1:11\","
    "\"payload\":{\"applicant\":{\"phone\":\"0963060905\"}},\"seq\":12}";
/* printf '%s\n%s' "$(64 zeros)" "$op1_canon" | sha256sum */
static const char op1_hash[] = "e873422ddb07a8730309a4263c2bb9c39a9886675e80ec39081e5cf3bd221807";

static const char op2_text[] =
    "{\"occurred_at\": \"2025-11-29T09:00:00+07:00\", \"seq\": 13, \"op_id\": \"xa1:13\",\n"
    " \"code\": \"000.00.12.H22-251129-0007\", \"kind\": \"transition\",\n"
    " \"payload\": {\"to\": 4, \"note\": \"Chuyển xử lý\"}, \"base\": 3,\n"
    " \"parent\": \"xa1:12\", \"actor\": \"Nguyễn Hữu Phước\"}";
static const char op2_canon[] =
    "{\"actor\":\"Nguyễn Hữu Phước\",\"base\":3,\"code\":\"000.00.12.H22-251129-0007\","
    "\"kind\":\"transition\",\"occurred_at\":\"2025-11-29T09:00:00+07:00\",\"op_id\":"
    "\"xa1:13\",\"parent\":\"xa1:12\",\"payload\":{\"note\":\"Chuyển xử lý\",\"to\":4},"
    "\"seq\":13}";
/* printf '%s\n%s' "$op1_hash" "$op2_canon" | sha256sum */
static const char op2_hash[] = "2c52a52d9513eddc517cbf5ad40db2bed83ceab6615bac85b045909e6fc84dbb";

/* An op of node xa1 on CODE; payload is JSON text. */
static json_t *mkop(int seq, const char *kind, const char *payload, const char *when)
{
	char id[32];
	json_t *op;

	snprintf(id, sizeof(id), "xa1:%d", seq);
	op = json_pack("{s:i, s:s, s:s, s:s, s:o, s:i, s:n, s:s, s:s}", "seq", seq, "op_id", id,
	               "code", CODE, "kind", kind, "payload", fixture_json(payload), "base", 0,
	               "parent", "actor", "lan", "occurred_at",
	               when ? when : "2024-04-14T08:00:00+07:00");
	assert_non_null(op);
	return op;
}

static void apply_ok(json_t **state, int seq, const char *kind, const char *payload,
                     const char *when)
{
	json_t *op = mkop(seq, kind, payload, when);

	if (schema_op_apply(state, op) != 0)
		fail_msg("op %d (%s %s) refused: %s", seq, kind, payload, ds_error_msg());
	json_decref(op);
}

/* Applies an op that must be refused; the state must stay byte for byte the same. */
static void apply_refused(json_t **state, int seq, const char *kind, const char *payload,
                          const char *needle)
{
	json_t *op = mkop(seq, kind, payload, NULL), *keep = *state;
	char *before = *state ? fixture_canon(*state) : NULL, *after;

	assert_int_equal(schema_op_apply(state, op), DS_EINVALID);
	if (!strstr(ds_error_msg(), needle))
		fail_msg("message \"%s\" lacks \"%s\"", ds_error_msg(), needle);
	assert_ptr_equal(*state, keep);
	if (before) {
		after = fixture_canon(*state);
		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	json_decref(op);
}

static json_t *created(void)
{
	json_t *state = NULL, *d = fixture_dossier(), *op;
	char *text;

	text = fixture_canon(d);
	op = mkop(1, "create", text, NULL);
	assert_int_equal(schema_op_apply(&state, op), 0);
	free(text);
	json_decref(op);
	json_decref(d);
	return state;
}

static int status_of(const json_t *d)
{
	return (int)json_integer_value(json_object_get(d, "status"));
}

static const json_t *last_progress(const json_t *d)
{
	const json_t *list = json_object_get(d, "progress");

	return json_array_get(list, json_array_size(list) - 1);
}

/* ---------------------------------------------------------------- shape and hash */
static void kinds(void **state)
{
	static const char *const names[] = {"create", "patch", "transition", "merge", "resolve"};

	for (int i = 0; i < 5; i++) {
		assert_string_equal(schema_op_kind_name(i), names[i]);
		assert_int_equal(schema_op_kind_parse(names[i]), i);
	}
	assert_int_equal(SCHEMA_OP_TRANSITION, 2);
	assert_int_equal(schema_op_kind_parse("delete"), -1);
	assert_int_equal(schema_op_kind_parse(NULL), -1);
	assert_string_equal(schema_op_kind_name(5), "");
}

static void check_good_and_bad(void **state)
{
	static const char *const bad[][2] = {
	    {"{\"seq\": 0, \"op_id\": \"xa1:0\"}", "seq"},
	    {"{\"seq\": 1.5}", "seq"},
	    {"{\"op_id\": \"xa1:13\"}", "op_id"},
	    {"{\"op_id\": \"xa 1:12\"}", "op_id"},
	    {"{\"op_id\": \"xa1:012\"}", "op_id"},
	    {"{\"op_id\": \"12\"}", "op_id"},
	    {"{\"code\": \"000.00.12.H22-251129-07\"}", "code"},
	    {"{\"kind\": \"delete\"}", "kind"},
	    {"{\"payload\": [1]}", "payload"},
	    {"{\"base\": -1}", "base"},
	    {"{\"base\": \"3\"}", "base"},
	    {"{\"parent\": 11}", "parent"},
	    {"{\"parent\": \"xa1\"}", "parent"},
	    {"{\"actor\": \"\"}", "actor"},
	    {"{\"occurred_at\": \"2025-11-29T08:01:02\"}", "occurred_at"},
	    {"{\"occurred_at\": null}", "occurred_at"},
	    {"{\"actor\": null}", "actor"}, /* a merge patch null: no actor at all */
	    {"{\"actor\": 5}", "actor"},
	    {"{\"note\": \"x\"}", "op: unknown member 'note'"},
	};
	json_t *good = fixture_json(op1_text);

	assert_int_equal(schema_op_check(good), 0);
	for (size_t i = 0; i < DS_ARRAY_LEN(bad); i++) {
		json_t *op = json_deep_copy(good), *patch = fixture_json(bad[i][0]);

		assert_int_equal(ds_json_merge_patch(&op, patch), 0);
		if (schema_op_check(op) != DS_EINVALID)
			fail_msg("op patched with %s was accepted", bad[i][0]);
		if (!strstr(ds_error_msg(), bad[i][1]))
			fail_msg("%s: message \"%s\" lacks \"%s\"", bad[i][0], ds_error_msg(),
			         bad[i][1]);
		json_decref(patch);
		json_decref(op);
	}
	/* parent null is fine; a missing parent is not. */
	json_object_set_new(good, "parent", json_null());
	assert_int_equal(schema_op_check(good), 0);
	json_object_del(good, "parent");
	assert_int_equal(schema_op_check(good), DS_EINVALID);
	json_decref(good);
}

static void hash_known(void **state)
{
	json_t *op = fixture_json(op1_text);
	char h[DS_SHA256_HEX], want[DS_SHA256_HEX];
	char *canon = fixture_canon(op);
	ds_buf msg = DS_BUF_INIT;

	assert_string_equal(canon, op1_canon);
	assert_int_equal(strlen(schema_genesis_hash), 64);
	assert_int_equal(strspn(schema_genesis_hash, "0"), 64);
	ds_buf_printf(&msg, "%s\n%s", schema_genesis_hash, op1_canon);
	ds_sha256_hex(msg.ptr, msg.len, want);
	assert_string_equal(want, op1_hash);

	assert_int_equal(schema_op_hash(schema_genesis_hash, op, h), 0);
	assert_string_equal(h, op1_hash);
	/* The chain's own members are not hashed; any other member is refused, never dropped
	 * from the hash unseen. */
	json_object_set_new(op, "hash", json_string(op1_hash));
	json_object_set_new(op, "prev_hash", json_string(schema_genesis_hash));
	assert_int_equal(schema_op_hash(schema_genesis_hash, op, h), 0);
	assert_string_equal(h, op1_hash);
	json_object_set_new(op, "received_at", json_string("2025-11-29T10:00:00+07:00"));
	assert_int_equal(schema_op_hash(schema_genesis_hash, op, h), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "received_at"));
	json_object_del(op, "received_at");
	/* Any change to a hashed member changes it. */
	json_object_set_new(op, "actor", json_string("lan2"));
	assert_int_equal(schema_op_hash(schema_genesis_hash, op, h), 0);
	assert_string_not_equal(h, op1_hash);
	/* A bad prev_hash or op gives no hash. */
	assert_int_equal(schema_op_hash("abc", op, h), DS_EINVALID);
	json_object_del(op, "payload");
	assert_int_equal(schema_op_hash(schema_genesis_hash, op, h), DS_EINVALID);
	ds_buf_release(&msg);
	free(canon);
	json_decref(op);
}

static void hash_chain(void **state)
{
	json_t *a = fixture_json(op1_text), *b = fixture_json(op2_text);
	char h1[DS_SHA256_HEX], h2[DS_SHA256_HEX], other[DS_SHA256_HEX];
	char *canon = fixture_canon(b);

	assert_string_equal(canon, op2_canon);
	assert_int_equal(schema_op_hash(schema_genesis_hash, a, h1), 0);
	assert_int_equal(schema_op_hash(h1, b, h2), 0);
	assert_string_equal(h2, op2_hash);
	/* The same op on another chain hashes differently. */
	assert_int_equal(schema_op_hash(schema_genesis_hash, b, other), 0);
	assert_string_not_equal(other, h2);
	free(canon);
	json_decref(a);
	json_decref(b);
}

/* ---------------------------------------------------------------- apply */
static void create_and_twice(void **state)
{
	json_t *s = created(), *d = fixture_dossier();
	char *text = fixture_canon(d), *a, *b;

	assert_int_equal(status_of(s), 2);
	a = fixture_canon(s);
	b = fixture_canon(d);
	assert_string_equal(a, b);
	apply_refused(&s, 2, "create", text, "already has a state");
	free(a);
	free(b);
	free(text);
	json_decref(d);
	json_decref(s);
}

static void create_refusals(void **state)
{
	json_t *s = NULL, *d = fixture_dossier();
	char *text;

	json_object_set_new(d, "code", json_string("000.00.12.H22-240414-0002"));
	text = fixture_canon(d);
	apply_refused(&s, 1, "create", text, "differs from the op's code");
	free(text);
	json_object_set_new(d, "code", json_string(CODE));
	json_object_set_new(d, "status", json_integer(4));
	text = fixture_canon(d);
	apply_refused(&s, 1, "create", text, "a new dossier starts at 1, 2 or 3");
	free(text);
	json_object_set_new(d, "status", json_integer(2));
	json_object_set_new(d, "colour", json_string("red"));
	text = fixture_canon(d);
	apply_refused(&s, 1, "create", text, "unknown field 'colour'");
	free(text);
	assert_null(s);
	json_decref(d);
}

static void patch_apply(void **state)
{
	json_t *s = created();
	json_t *app;

	apply_ok(&s, 2, "patch", "{\"applicant\": {\"phone\": \"0912345678\", \"email\": null}}",
	         NULL);
	app = json_object_get(s, "applicant");
	assert_string_equal(json_string_value(json_object_get(app, "phone")), "0912345678");
	assert_null(json_object_get(app, "email"));
	assert_string_equal(json_string_value(json_object_get(app, "name")), "Phạm Ngọc Giang");
	/* Decomposed text in a patch is stored in NFC. */
	apply_ok(&s, 3, "patch", "{\"summary\": \"Pha\\u0323m\"}", NULL);
	assert_string_equal(json_string_value(json_object_get(s, "summary")), "Phạm");
	json_decref(s);
}

static void patch_refusals(void **state)
{
	json_t *s = created(), *none = NULL;

	apply_refused(&s, 2, "patch", "{\"status\": 4}", "status changes go through a transition");
	apply_refused(&s, 2, "patch", "{\"prior_status\": 2}", "prior_status");
	apply_refused(&s, 2, "patch", "{\"code\": \"000.00.12.H22-240414-0009\"}", "code");
	apply_refused(&s, 2, "patch", "{\"applicant\": {\"id_number\": \"06833786198\"}}",
	              "applicant.id_number: must be 12 digits (CCCD)");
	apply_refused(&s, 2, "patch", "{\"received_at\": null}", "received_at: is required");
	apply_refused(&none, 2, "patch", "{\"summary\": \"x\"}", "has no state");
	json_decref(s);
}

static void transition_progress(void **state)
{
	json_t *s = created();
	const json_t *row;
	char *row_text;

	apply_ok(&s, 3, "transition", "{\"to\": 4}", "2024-04-14T09:30:00+07:00");
	assert_int_equal(status_of(s), 4);
	assert_int_equal(json_array_size(json_object_get(s, "progress")), 2);
	row = last_progress(s);
	row_text = fixture_canon(row);
	assert_string_equal(row_text, "{\"id\":\"s-xa1-3\",\"status\":4,\"what\":\"Đang xử lý\","
	                              "\"when\":\"2024-04-14T09:30:00+07:00\",\"who\":\"lan\"}");
	free(row_text);
	/* A note becomes the row's text; 4 -> 4 is a step change. */
	apply_ok(&s, 4, "transition", "{\"to\": 4, \"note\": \"Chuyển phòng Tư pháp\"}", NULL);
	row = last_progress(s);
	assert_string_equal(json_string_value(json_object_get(row, "what")),
	                    "Chuyển phòng Tư pháp");
	assert_string_equal(json_string_value(json_object_get(row, "id")), "s-xa1-4");
	json_decref(s);
}

static void transition_withdrawal(void **state)
{
	json_t *s = created();

	apply_ok(&s, 2, "transition", "{\"to\": 4}", NULL);
	apply_ok(&s, 3, "transition", "{\"to\": 7}", NULL);
	assert_int_equal(status_of(s), 7);
	assert_int_equal(json_integer_value(json_object_get(s, "prior_status")), 4);
	apply_refused(&s, 4, "transition", "{\"to\": 5}", "illegal status move 7 -> 5");
	apply_ok(&s, 4, "transition", "{\"to\": 4, \"note\": \"Không chấp nhận rút\"}", NULL);
	assert_int_equal(status_of(s), 4);
	assert_null(json_object_get(s, "prior_status"));
	/* Granted this time. */
	apply_ok(&s, 5, "transition", "{\"to\": 7}", NULL);
	apply_ok(&s, 6, "transition", "{\"to\": 8}", NULL);
	assert_int_equal(status_of(s), 8);
	assert_null(json_object_get(s, "prior_status"));
	json_decref(s);
}

static void transition_times(void **state)
{
	json_t *s = created();

	apply_ok(&s, 2, "transition", "{\"to\": 4}", NULL);
	apply_ok(&s, 3, "transition", "{\"to\": 9}", "2024-04-15T10:00:00+07:00");
	assert_string_equal(json_string_value(json_object_get(s, "finished_at")),
	                    "2024-04-15T10:00:00+07:00");
	apply_ok(&s, 4, "transition", "{\"to\": 6}", "2024-04-15T11:00:00+07:00");
	apply_ok(&s, 5, "transition", "{\"to\": 9}", "2024-04-15T15:00:00+07:00");
	/* finished_at is kept from the first time. */
	assert_string_equal(json_string_value(json_object_get(s, "finished_at")),
	                    "2024-04-15T10:00:00+07:00");
	assert_null(json_object_get(s, "returned_at"));
	apply_ok(&s, 6, "transition", "{\"to\": 10}", "2024-04-16T08:00:00+07:00");
	assert_string_equal(json_string_value(json_object_get(s, "returned_at")),
	                    "2024-04-16T08:00:00+07:00");
	assert_int_equal(json_array_size(json_object_get(s, "progress")), 6);
	json_decref(s);
}

static void transition_refusals(void **state)
{
	json_t *s = created(), *none = NULL;

	apply_refused(&s, 2, "transition", "{\"to\": 3}", "illegal status move 2 -> 3");
	apply_refused(&s, 2, "transition", "{\"to\": 11}", "\"to\" must be a status code");
	apply_refused(&s, 2, "transition", "{\"to\": \"4\"}", "\"to\" must be a status code");
	apply_refused(&s, 2, "transition", "{\"to\": 4, \"by\": \"lan\"}", "unknown field 'by'");
	apply_refused(&s, 2, "transition", "{\"to\": 4, \"note\": 5}", "\"note\" must be text");
	apply_refused(&none, 2, "transition", "{\"to\": 4}", "has no state");
	apply_ok(&s, 2, "transition", "{\"to\": 9}", NULL);
	apply_ok(&s, 3, "transition", "{\"to\": 10}", NULL);
	apply_refused(&s, 4, "transition", "{\"to\": 4}", "illegal status move 10 -> 4");
	/* The same seq twice would repeat a progress id. */
	json_decref(s);
	s = created();
	apply_ok(&s, 2, "transition", "{\"to\": 4}", NULL);
	apply_refused(&s, 2, "transition", "{\"to\": 4}", "progress[s-xa1-2]");
	json_decref(s);
}

static void merge_apply(void **state)
{
	json_t *s = created();

	/* A merge may carry a status (the conflict module decided it) but never a code. */
	apply_ok(&s, 2, "merge", "{\"status\": 4, \"summary\": \"Đã hợp nhất\"}", NULL);
	assert_int_equal(status_of(s), 4);
	apply_ok(&s, 3, "resolve", "{\"applicant\": {\"phone\": \"0912345678\"}}", NULL);
	apply_refused(&s, 4, "merge", "{\"code\": \"000.00.12.H22-240414-0009\"}",
	              "code: cannot be changed");
	apply_refused(&s, 4, "resolve", "{\"agency\": \"000.00.13.H22\"}", "code");
	json_decref(s);
}

/* The one builder of ops gives a canonical entry schema_op_check accepts. */
static void op_new_is_canonical(void **state)
{
	json_t *payload = json_pack("{s:i}", "to", 4);
	json_t *op = schema_op_new("pc-1", 12, "000.00.12.H22-250101-0001", SCHEMA_OP_TRANSITION,
	                           payload, 3, NULL, "Nguyễn Văn An");
	int64_t at;

	(void)state;
	assert_non_null(op);
	assert_int_equal(schema_op_check(op), 0);
	assert_string_equal(json_string_value(json_object_get(op, "op_id")), "pc-1:12");
	assert_string_equal(json_string_value(json_object_get(op, "kind")), "transition");
	assert_true(json_is_null(json_object_get(op, "parent")));
	assert_int_equal(
	    ds_time_parse(json_string_value(json_object_get(op, "occurred_at")), &at, NULL), 0);
	assert_true(llabs(at - ds_time_now()) < 5);
	json_decref(op);
	op = schema_op_new("central", 1, "000.00.12.H22-250101-0001", SCHEMA_OP_PATCH, payload, 0,
	                   "pc-1:11", "province");
	assert_string_equal(json_string_value(json_object_get(op, "parent")), "pc-1:11");
	json_decref(op);
	json_decref(payload);
}

/* Two nodes holding the same state with keys in another order end up with the same
 * bytes after the same ops. */
static void deterministic(void **state)
{
	json_t *a = created(), *b = NULL;
	char *ca, *cb, *text = fixture_canon(a);
	json_t *rev = json_object();
	const char *key;
	json_t *v;
	void *tmp;

	/* Rebuild b with keys inserted in reverse order. */
	json_t *src = fixture_json(text);
	const char *keys[64];
	size_t n = 0;
	json_object_foreach_safe(src, tmp, key, v) keys[n++] = key;
	while (n--)
		json_object_set(rev, keys[n], json_object_get(src, keys[n]));
	b = rev;
	apply_ok(&a, 2, "transition", "{\"to\": 4}", NULL);
	apply_ok(&b, 2, "transition", "{\"to\": 4}", NULL);
	apply_ok(&a, 3, "patch", "{\"fees\": [{\"id\": \"lp2\", \"amount\": 5000}]}", NULL);
	apply_ok(&b, 3, "patch", "{\"fees\": [{\"id\": \"lp2\", \"amount\": 5000}]}", NULL);
	ca = fixture_canon(a);
	cb = fixture_canon(b);
	assert_string_equal(ca, cb);
	free(ca);
	free(cb);
	free(text);
	json_decref(src);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kinds),
	    cmocka_unit_test(check_good_and_bad),
	    cmocka_unit_test(hash_known),
	    cmocka_unit_test(hash_chain),
	    cmocka_unit_test(create_and_twice),
	    cmocka_unit_test(create_refusals),
	    cmocka_unit_test(patch_apply),
	    cmocka_unit_test(patch_refusals),
	    cmocka_unit_test(transition_progress),
	    cmocka_unit_test(transition_withdrawal),
	    cmocka_unit_test(transition_times),
	    cmocka_unit_test(transition_refusals),
	    cmocka_unit_test(merge_apply),
	    cmocka_unit_test(deterministic),
	    cmocka_unit_test(op_new_is_canonical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
