/* test_tail.c: units for the node's tail in the wire documents (sync/docs.c): node_seq and
 * node_hash round trip in receipts and pull pages, are left out when there is nothing to
 * say, and a document with one of them, or a bad one, is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sync/sync.h"

#define H1 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static const sync_tail tail7 = {7, H1};

static void receipts_tail(void **state)
{
	json_t *r =
	    json_pack("[{s:s, s:s, s:i}]", "op_id", "a:7", "result", "applied", "version", 3);
	ds_buf body = DS_BUF_INIT;
	json_t *out = NULL;
	sync_tail t = {0, ""};

	assert_int_equal(sync_receipts_encode_tail(r, &tail7, &body), 0);
	assert_int_equal(sync_receipts_decode_tail(body.ptr, body.len, &out, &t), 0);
	assert_int_equal(t.seq, 7);
	assert_string_equal(t.hash, H1);
	assert_true(ds_json_same(r, out));
	json_decref(out);
	/* The plain decoder still reads it (unknown members are ignored). */
	assert_int_equal(sync_receipts_decode(body.ptr, body.len, &out), 0);
	json_decref(out);
	ds_buf_reset(&body);
	assert_int_equal(sync_receipts_encode(r, &body), 0);
	assert_int_equal(sync_receipts_decode_tail(body.ptr, body.len, &out, &t), 0);
	assert_int_equal(t.seq, -1);
	json_decref(out);
	json_decref(r);
	ds_buf_release(&body);
}

static void changes_tail(void **state)
{
	json_t *none = json_array(), *out = NULL;
	ds_buf body = DS_BUF_INIT;
	sync_tail t = {0, ""}, zero = {0, H1};
	char own[DS_SHA256_HEX];
	int64_t next = 0;
	int more = 0;

	assert_int_equal(sync_changes_encode_tail(none, 9, 0, NULL, &zero, &body), 0);
	assert_int_equal(sync_changes_decode_tail(body.ptr, body.len, &out, &next, &more, own, &t),
	                 0);
	assert_int_equal(t.seq, 0);
	assert_string_equal(t.hash, H1);
	assert_int_equal(next, 9);
	json_decref(out);
	json_decref(none);
	ds_buf_release(&body);
}

/* A receipts document with the members given (as JSON text) is refused naming why. */
static void refused(const char *members, const char *why)
{
	char text[400];
	json_t *doc = NULL, *out = (json_t *)1;
	ds_buf body = DS_BUF_INIT;
	sync_tail t;

	snprintf(text, sizeof(text), "{\"receipts\":{\"n\":0,\"cols\":[]}%s}", members);
	assert_int_equal(ds_json_parse(text, strlen(text), &doc), 0);
	assert_int_equal(sync_body_encode(doc, &body), 0);
	assert_int_equal(sync_receipts_decode_tail(body.ptr, body.len, &out, &t), DS_EINVALID);
	assert_null(out);
	if (!strstr(ds_error_msg(), why))
		fail_msg("message \"%s\" lacks \"%s\"", ds_error_msg(), why);
	json_decref(doc);
	ds_buf_release(&body);
}

static void tail_refusals(void **state)
{
	sync_tail bad = {3, "xyz"};
	ds_buf body = DS_BUF_INIT;
	json_t *r = json_array();

	refused(",\"node_seq\":3", "node_hash must be 64 lowercase hex digits");
	refused(",\"node_hash\":\"" H1 "\"", "node_seq must be an integer of at least 0");
	refused(",\"node_seq\":-1,\"node_hash\":\"" H1 "\"", "node_seq must be an integer");
	refused(",\"node_seq\":\"3\",\"node_hash\":\"" H1 "\"", "node_seq must be an integer");
	refused(",\"node_seq\":3,\"node_hash\":\"ABC\"", "node_hash must be 64 lowercase hex");
	assert_int_equal(sync_receipts_encode_tail(r, &bad, &body), DS_EINVALID);
	json_decref(r);
	ds_buf_release(&body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(receipts_tail),
	    cmocka_unit_test(changes_tail),
	    cmocka_unit_test(tail_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
