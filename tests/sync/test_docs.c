/* test_docs.c: units for the wire documents (sync/docs.c): a push batch round trips with
 * seq and op_id restored, bad batches are refused on encode and on decode, receipts and
 * pull pages round trip, and their wrong shapes are refused. */
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

static json_t *parse(const char *text)
{
	json_t *v = NULL;

	assert_int_equal(ds_json_parse(text, strlen(text), &v), 0);
	return v;
}

/* count journal entries of node from seq first, with hash members as the store has. */
static json_t *make_ops(const char *node, int first, int count)
{
	json_t *ops = json_array();
	char id[80], parent[80];
	int i;

	for (i = 0; i < count; i++) {
		int seq = first + i;

		snprintf(id, sizeof(id), "%s:%d", node, seq);
		snprintf(parent, sizeof(parent), "%s:%d", node, seq - 1);
		json_array_append_new(
		    ops,
		    json_pack("{s:i, s:s, s:s, s:s, s:o, s:i, s:o, s:s, s:s, s:s, s:s}", "seq", seq,
		              "op_id", id, "code", "000.00.12.H22-251129-0007", "kind",
		              i == 0 ? "create" : (i % 3 ? "patch" : "transition"), "payload",
		              i % 3 == 0 ? json_pack("{s:i, s:s}", "to", 4, "note", "Chuyển xử lý")
		                         : json_pack("{s:{s:s}, s:{}}", "applicant", "phone",
		                                     "0963060905", "extra"),
		              "base", i, "parent", i ? json_string(parent) : json_null(), "actor",
		              "lan", "occurred_at", "2025-11-29T08:01:02+07:00", "prev_hash", H0,
		              "hash", H1));
	}
	return ops;
}

static void push_roundtrip(void **state)
{
	json_t *ops = make_ops("xa-phuc-hoa.1", 12, 7), *out = NULL, *wire = NULL, *op;
	ds_buf body = DS_BUF_INIT;
	char *cols;
	size_t i;

	assert_int_equal(sync_push_encode("xa-phuc-hoa.1", H0, H1, ops, &body), 0);
	assert_int_equal(sync_push_decode(body.ptr, body.len, &out), 0);
	assert_string_equal(json_string_value(json_object_get(out, "node")), "xa-phuc-hoa.1");
	assert_int_equal(json_integer_value(json_object_get(out, "first_seq")), 12);
	assert_string_equal(json_string_value(json_object_get(out, "prev_hash")), H0);
	assert_string_equal(json_string_value(json_object_get(out, "hash")), H1);
	assert_int_equal(json_array_size(json_object_get(out, "ops")), 7);
	/* Every op comes back whole, seq and op_id restored, hash members gone. */
	json_array_foreach(ops, i, op)
	{
		json_object_del(op, "hash");
		json_object_del(op, "prev_hash");
	}
	assert_true(ds_json_same(ops, json_object_get(out, "ops")));

	/* On the wire: v is this build's and neither seq nor op_id nor a hash is sent per op. */
	assert_int_equal(sync_body_decode(body.ptr, body.len, 0, &wire), 0);
	assert_int_equal(json_integer_value(json_object_get(wire, "v")), SYNC_PROTOCOL_VERSION);
	assert_int_equal(ds_json_canonical(json_object_get(wire, "ops"), &cols, NULL), 0);
	assert_null(strstr(cols, "[\"seq\"]"));
	assert_null(strstr(cols, "[\"op_id\"]"));
	assert_null(strstr(cols, "hash"));
	assert_null(strstr(cols, "xa-phuc-hoa.1:18")); /* the last op_id; no parent names it */
	free(cols);
	json_decref(wire);
	json_decref(out);
	json_decref(ops);
	ds_buf_release(&body);
}

static void push_encode_refusals(void **state)
{
	json_t *ops = make_ops("xa1", 5, 3), *big;
	ds_buf body = DS_BUF_INIT;

	/* A gap in the seqs. */
	json_object_set_new(json_array_get(ops, 2), "seq", json_integer(8));
	assert_int_equal(sync_push_encode("xa1", H0, H1, ops, &body), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "ops[2].seq must be 7"));
	json_object_set_new(json_array_get(ops, 2), "seq", json_integer(7));
	/* An op of another node. */
	json_object_set_new(json_array_get(ops, 1), "op_id", json_string("xa2:6"));
	assert_int_equal(sync_push_encode("xa1", H0, H1, ops, &body), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "ops[1].op_id must be \"xa1:6\""));
	json_object_set_new(json_array_get(ops, 1), "op_id", json_string("xa1:6"));
	assert_int_equal(sync_push_encode("xa1", H0, H1, ops, &body), 0);
	ds_buf_reset(&body);
	/* A node name of 64 characters is the longest there is. */
	json_decref(ops);
	ops = make_ops("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", 5, 3);
	assert_int_equal(sync_push_encode("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	                                  "nnnnnnnn",
	                                  H0, H1, ops, &body),
	                 0);
	ds_buf_reset(&body);
	json_decref(ops);
	ops = make_ops("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", 5, 3);
	assert_int_equal(sync_push_encode("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	                                  "nnnnnnnnn",
	                                  H0, H1, ops, &body),
	                 DS_EINVALID);
	json_decref(ops);
	ops = make_ops("xa1", 5, 3);
	/* Bad node names and hashes. */
	assert_int_equal(sync_push_encode("xa 1", H0, H1, ops, &body), DS_EINVALID);
	assert_int_equal(sync_push_encode("", H0, H1, ops, &body), DS_EINVALID);
	assert_int_equal(sync_push_encode("xa1", "ABC", H1, ops, &body), DS_EINVALID);
	assert_int_equal(sync_push_encode("xa1", H0, NULL, ops, &body), DS_EINVALID);
	/* seq 0, an empty batch, a batch over the limit. */
	json_object_set_new(json_array_get(ops, 0), "seq", json_integer(0));
	assert_int_equal(sync_push_encode("xa1", H0, H1, ops, &body), DS_EINVALID);
	json_decref(ops);
	ops = json_array();
	assert_int_equal(sync_push_encode("xa1", H0, H1, ops, &body), DS_EINVALID);
	big = make_ops("xa1", 1, SYNC_MAX_BATCH_OPS + 1);
	assert_int_equal(sync_push_encode("xa1", H0, H1, big, &body), DS_EINVALID);
	assert_int_equal(body.len, 0);
	json_decref(big);
	json_decref(ops);
	ds_buf_release(&body);
}

/* A valid push document as it travels, to be broken one member at a time. */
static json_t *push_doc(void)
{
	return parse("{\"v\":3,\"node\":\"xa1\",\"first_seq\":3,\"prev_hash\":\"" H0 "\","
	             "\"hash\":\"" H1 "\",\"ops\":{\"n\":2,\"cols\":[{\"p\":[\"kind\"],"
	             "\"r\":[0,1],\"v\":[\"patch\",\"patch\"]}]}}");
}

static void decode_with(const char *key, json_t *value, const char *why)
{
	json_t *doc = push_doc(), *out = (json_t *)1;
	ds_buf body = DS_BUF_INIT;

	if (value)
		json_object_set_new(doc, key, value);
	else
		json_object_del(doc, key);
	assert_int_equal(sync_body_encode(doc, &body), 0);
	assert_int_equal(sync_push_decode(body.ptr, body.len, &out), DS_EINVALID);
	assert_null(out);
	if (!strstr(ds_error_msg(), why))
		fail_msg("%s: message \"%s\" lacks \"%s\"", key, ds_error_msg(), why);
	json_decref(doc);
	ds_buf_release(&body);
}

static void push_decode_refusals(void **state)
{
	json_t *doc = push_doc(), *out = NULL;
	ds_buf body = DS_BUF_INIT;
	char long_node[66];

	/* The untouched document is fine. */
	assert_int_equal(sync_body_encode(doc, &body), 0);
	assert_int_equal(sync_push_decode(body.ptr, body.len, &out), 0);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(out, "ops"), 1), "op_id")),
	                    "xa1:4");
	json_decref(out);
	json_decref(doc);
	ds_buf_release(&body);

	decode_with("v", json_integer(4), "v must be 3 to 3");
	decode_with("v", json_integer(2), "v must be 3 to 3");
	decode_with("v", json_integer(0), "v must be 3 to 3");
	decode_with("v", NULL, "v must be 3 to 3");
	decode_with("v", json_string("1"), "v must be 3 to 3");
	decode_with("node", json_string("xa 1"), "node must be");
	decode_with("node", json_string(""), "node must be");
	decode_with("node", json_string("xa1/../x"), "node must be");
	memset(long_node, 'a', 65);
	long_node[65] = '\0';
	decode_with("node", json_string(long_node), "node must be");
	decode_with("node", NULL, "node must be");
	decode_with("first_seq", json_integer(0), "first_seq must be an integer of at least 1");
	decode_with("first_seq", json_string("3"), "first_seq must be");
	decode_with("first_seq", json_integer(INT64_MAX), "first_seq is too large");
	decode_with("prev_hash", json_string("0000"), "prev_hash must be 64 lowercase hex");
	decode_with("prev_hash",
	            json_string("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822"
	                        "CD15D6C15B0F00A08"),
	            "prev_hash must be 64");
	decode_with("hash", json_string(H1 "0"), "hash must be 64 lowercase hex");
	decode_with("hash", json_integer(1), "hash must be 64 lowercase hex");
	decode_with("ops", parse("{\"n\":0,\"cols\":[]}"), "a batch holds 1 to 5000 ops");
	decode_with("ops", parse("{\"n\":5001,\"cols\":[]}"), "a batch holds 1 to 5000 ops");
	decode_with("ops", parse("[]"), "push: ops: columns:");
	decode_with("ops", NULL, "push: ops: columns:");
	decode_with("ops", parse("{\"n\":1,\"cols\":[{\"p\":[\"seq\"],\"r\":[0],\"v\":[9]}]}"),
	            "ops[0] carries \"seq\"");
	decode_with("ops",
	            parse("{\"n\":1,\"cols\":[{\"p\":[\"op_id\"],\"r\":[0],"
	                  "\"v\":[\"xa1:9\"]}]}"),
	            "carries \"op_id\"");
	decode_with("ops",
	            parse("{\"n\":2,\"cols\":[{\"p\":[\"kind\"],\"r\":[0,0],"
	                  "\"v\":[\"a\",\"b\"]}]}"),
	            "strictly increasing");

	/* Not a JSON object; not zlib. */
	doc = parse("[1]");
	assert_int_equal(sync_body_encode(doc, &body), 0);
	assert_int_equal(sync_push_decode(body.ptr, body.len, &out), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "not a JSON object"));
	assert_int_equal(sync_push_decode("{\"v\":1}", 7, &out), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "push: corrupt zlib body"));
	json_decref(doc);
	ds_buf_release(&body);
}

/* ---------------------------------------------------------------- receipts */
static const char *receipts_text =
    "[{\"op_id\":\"xa1:12\",\"result\":\"applied\",\"version\":4},"
    " {\"op_id\":\"xa1:13\",\"result\":\"duplicate\",\"version\":5},"
    " {\"op_id\":\"xa1:14\",\"result\":\"conflict\",\"version\":6,"
    "  \"state\":{\"status\":4,\"applicant\":{\"name\":\"Lê Thị Hoa\"},\"fees\":[]}},"
    " {\"op_id\":\"xa1:15\",\"result\":\"rejected\",\"reason\":\"illegal move 10 -> 4\"}]";

static void receipts_roundtrip(void **state)
{
	json_t *in = parse(receipts_text), *out = NULL, *wire = NULL;
	ds_buf body = DS_BUF_INIT;

	assert_int_equal(sync_receipts_encode(in, &body), 0);
	assert_int_equal(sync_receipts_decode(body.ptr, body.len, &out), 0);
	assert_true(ds_json_same(in, out));
	/* The list travels as columns under "receipts". */
	assert_int_equal(sync_body_decode(body.ptr, body.len, 0, &wire), 0);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(wire, "receipts"), "n")), 4);
	json_decref(wire);
	json_decref(out);
	json_decref(in);
	ds_buf_release(&body);
}

static void receipt_refused(const char *receipt, const char *why)
{
	json_t *list = json_array(), *cols = NULL, *doc, *out = (json_t *)1;
	ds_buf body = DS_BUF_INIT;

	json_array_append_new(list, parse(receipt));
	/* The encoder refuses it... */
	assert_int_equal(sync_receipts_encode(list, &body), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), why));
	/* ...and so does the decoder when another server sends it. */
	assert_int_equal(sync_cols_encode(list, &cols), 0);
	doc = json_pack("{s:o}", "receipts", cols);
	assert_int_equal(sync_body_encode(doc, &body), 0);
	assert_int_equal(sync_receipts_decode(body.ptr, body.len, &out), DS_EINVALID);
	assert_null(out);
	if (!strstr(ds_error_msg(), why))
		fail_msg("%s: message \"%s\" lacks \"%s\"", receipt, ds_error_msg(), why);
	json_decref(doc);
	json_decref(list);
	ds_buf_release(&body);
}

static void receipts_refusals(void **state)
{
	json_t *doc, *out = NULL;
	ds_buf body = DS_BUF_INIT;

	receipt_refused("{\"result\":\"applied\",\"version\":1}", "op_id must be a string");
	receipt_refused("{\"op_id\":\"a:1\",\"result\":\"ok\",\"version\":1}",
	                "result must be applied, duplicate, conflict or rejected");
	receipt_refused("{\"op_id\":\"a:1\",\"version\":1}", "result must be");
	receipt_refused("{\"op_id\":\"a:1\",\"result\":\"applied\"}", "version must be");
	receipt_refused("{\"op_id\":\"a:1\",\"result\":\"applied\",\"version\":-1}",
	                "version must be");
	receipt_refused("{\"op_id\":\"a:1\",\"result\":\"conflict\",\"version\":3}",
	                "state must be an object");
	receipt_refused("{\"op_id\":\"a:1\",\"result\":\"rejected\"}", "reason must be a string");
	receipt_refused("{\"op_id\":\"a:1\",\"result\":\"rejected\",\"reason\":\"x\","
	                "\"version\":\"2\"}",
	                "version must be");

	doc = parse("{\"receipts\":{\"n\":1000000,\"cols\":[]}}");
	assert_int_equal(sync_body_encode(doc, &body), 0);
	assert_int_equal(sync_receipts_decode(body.ptr, body.len, &out), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "1000000 receipts, at most 5000"));
	json_decref(doc);
	ds_buf_reset(&body);
	doc = parse("{\"receipts\":[{\"op_id\":\"a:1\"}]}");
	assert_int_equal(sync_body_encode(doc, &body), 0);
	assert_int_equal(sync_receipts_decode(body.ptr, body.len, &out), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "receipts: columns:"));
	json_decref(doc);
	ds_buf_release(&body);
}

/* ---------------------------------------------------------------- pull pages */
static const char *changes_text =
    "[{\"cursor\":41,\"code\":\"000.00.12.H22-251129-0007\",\"version\":5,"
    "  \"op_id\":\"xa2:9\",\"node\":\"xa2\",\"state\":{\"status\":4,\"fees\":[{\"id\":\"lp1\"}],"
    "  \"applicant\":{\"name\":\"Phạm Ngọc Giang\",\"address\":{}}}},"
    " {\"cursor\":42,\"code\":\"000.00.12.H22-251129-0008\",\"version\":1,"
    "  \"op_id\":\"xa1:3\",\"node\":\"xa1\",\"state\":{\"status\":2}},"
    " {\"cursor\":45,\"code\":\"000.00.12.H22-251129-0007\",\"version\":6,"
    "  \"op_id\":null,\"node\":null,\"state\":{\"status\":9}}]";

static void changes_roundtrip(void **state)
{
	json_t *in = parse(changes_text), *out = NULL, *empty = json_array();
	ds_buf body = DS_BUF_INIT;
	int64_t next = 0;
	int more = 0;

	assert_int_equal(sync_changes_encode(in, 45, 1, &body), 0);
	assert_int_equal(sync_changes_decode(body.ptr, body.len, &out, &next, &more), 0);
	assert_true(ds_json_same(in, out));
	assert_int_equal(next, 45);
	assert_int_equal(more, 1);
	json_decref(out);
	/* An empty last page. */
	ds_buf_reset(&body);
	assert_int_equal(sync_changes_encode(empty, 45, 0, &body), 0);
	assert_int_equal(sync_changes_decode(body.ptr, body.len, &out, &next, &more), 0);
	assert_int_equal(json_array_size(out), 0);
	assert_int_equal(next, 45);
	assert_int_equal(more, 0);
	json_decref(out);
	json_decref(empty);
	json_decref(in);
	ds_buf_release(&body);
}

/* Sends a page document as given and expects the decoder to refuse it. */
static void page_refused(json_t *doc, const char *why)
{
	ds_buf body = DS_BUF_INIT;
	json_t *out = (json_t *)1;
	int64_t next = -7;
	int more = -7;

	assert_int_equal(sync_body_encode(doc, &body), 0);
	assert_int_equal(sync_changes_decode(body.ptr, body.len, &out, &next, &more), DS_EINVALID);
	assert_null(out);
	assert_int_equal(next, -7);
	if (!strstr(ds_error_msg(), why))
		fail_msg("message \"%s\" lacks \"%s\"", ds_error_msg(), why);
	json_decref(doc);
	ds_buf_release(&body);
}

static json_t *page(const char *changes, json_t *next, json_t *more)
{
	json_t *list = parse(changes), *cols = NULL, *doc;

	assert_int_equal(sync_cols_encode(list, &cols), 0);
	doc = json_pack("{s:o}", "changes", cols);
	if (next)
		json_object_set_new(doc, "next", next);
	if (more)
		json_object_set_new(doc, "more", more);
	json_decref(list);
	return doc;
}

#define ONE(c, v)                                                                                  \
	"[{\"cursor\":" #c ",\"code\":\"X\",\"version\":" #v ",\"op_id\":\"a:1\","                 \
	"\"node\":\"a\",\"state\":{}}]"

static void changes_refusals(void **state)
{
	json_t *in = parse(changes_text);
	ds_buf body = DS_BUF_INIT;

	page_refused(page(ONE(1, 1), json_integer(1), NULL), "more must be true or false");
	page_refused(page(ONE(1, 1), json_integer(1), json_integer(1)), "more must be true");
	page_refused(page(ONE(1, 1), NULL, json_false()), "next must be an integer");
	page_refused(page(ONE(1, 1), json_integer(-1), json_false()), "next must be");
	page_refused(page(ONE(5, 1), json_integer(4), json_false()), "next (4) is behind");
	page_refused(page(ONE(0, 1), json_integer(4), json_false()), "cursor must be");
	page_refused(page(ONE(1, 0), json_integer(4), json_false()), "version must be");
	page_refused(page("[{\"cursor\":3,\"code\":\"X\",\"version\":1,\"op_id\":null,"
	                  "\"node\":null,\"state\":{}},{\"cursor\":3,\"code\":\"X\",\"version\":"
	                  "2,\"op_id\":null,\"node\":null,\"state\":{}}]",
	                  json_integer(4), json_false()),
	             "changes[1]: cursor must be an integer of at least 4");
	page_refused(page("[{\"cursor\":3,\"version\":1,\"op_id\":null,\"node\":null,"
	                  "\"state\":{}}]",
	                  json_integer(4), json_false()),
	             "changes[0].code must be a string");
	page_refused(page("[{\"cursor\":3,\"code\":\"X\",\"version\":1,\"op_id\":1,"
	                  "\"node\":null,\"state\":{}}]",
	                  json_integer(4), json_false()),
	             "changes[0].op_id must be a string or null");
	page_refused(page("[{\"cursor\":3,\"code\":\"X\",\"version\":1,\"op_id\":null,"
	                  "\"state\":{}}]",
	                  json_integer(4), json_false()),
	             "changes[0].node must be a string or null");
	page_refused(page("[{\"cursor\":3,\"code\":\"X\",\"version\":1,\"op_id\":null,"
	                  "\"node\":null,\"state\":[]}]",
	                  json_integer(4), json_false()),
	             "changes[0].state must be an object");
	page_refused(parse("{\"changes\":[],\"next\":1,\"more\":false}"), "pull: changes: "
	                                                                  "columns:");
	page_refused(parse("{\"changes\":{\"n\":5001,\"cols\":[]},\"next\":1,"
	                   "\"more\":false}"),
	             "pull: 5001 changes, at most 5000");
	/* The encoder checks the same. */
	assert_int_equal(sync_changes_encode(in, 44, 0, &body), DS_EINVALID);
	assert_int_equal(sync_changes_encode(in, -1, 0, &body), DS_EINVALID);
	assert_int_equal(body.len, 0);
	json_decref(in);
	ds_buf_release(&body);
}

/* The receipt words have one home: the enum and its two functions agree both ways. */
static void result_words(void **state)
{
	int r;

	(void)state;
	for (r = SYNC_APPLIED; r <= SYNC_REJECTED; r++)
		assert_int_equal(sync_result_parse(sync_result_name(r)), r);
	assert_string_equal(sync_result_name(SYNC_CONFLICT), "conflict");
	assert_int_equal(sync_result_parse("superseded"), 0);
	assert_int_equal(sync_result_parse(NULL), 0);
	assert_string_equal(sync_result_name(0), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(push_roundtrip),       cmocka_unit_test(push_encode_refusals),
	    cmocka_unit_test(push_decode_refusals), cmocka_unit_test(receipts_roundtrip),
	    cmocka_unit_test(receipts_refusals),    cmocka_unit_test(changes_roundtrip),
	    cmocka_unit_test(changes_refusals),     cmocka_unit_test(result_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
