/* test_head.c: units for central's head of a node in answers (node_seq, node_hash): it
 * round trips through receipts and pull pages, is "not known" when absent (an older
 * central), is refused when malformed, and the old decoders still read such documents.
 * The receipts' echo members (protocol 2) round trip the same way: each applied receipt's
 * cursor, laid out as runs, and refused when they do not fit the receipts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync/sync.h"

#define H1 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static json_t *receipts(void)
{
	return json_pack("[{s:s, s:s, s:i}]", "op_id", "xa1:7", "result", "applied", "version", 3);
}

static void receipts_carry_the_head(void **state)
{
	sync_head head = {1, 7, H1, {0, 0, ""}}, back = {0, 0, "", {0, 0, ""}};
	json_t *list = receipts(), *out = NULL;
	ds_buf z = DS_BUF_INIT;

	assert_int_equal(sync_receipts_encode_head(list, &head, &z), 0);
	assert_int_equal(sync_receipts_decode_head(z.ptr, z.len, &out, &back), 0);
	assert_int_equal(back.known, 1);
	assert_int_equal(back.seq, 7);
	assert_string_equal(back.hash, H1);
	json_decref(out);
	/* the old decoder reads it */
	assert_int_equal(sync_receipts_decode(z.ptr, z.len, &out), 0);
	assert_int_equal(json_array_size(out), 1);
	json_decref(out);
	/* without a head: not known */
	ds_buf_reset(&z);
	assert_int_equal(sync_receipts_encode(list, &z), 0);
	back.known = 1;
	assert_int_equal(sync_receipts_decode_head(z.ptr, z.len, &out, &back), 0);
	assert_int_equal(back.known, 0);
	json_decref(out);
	/* a malformed head is refused on both sides */
	head.seq = -1;
	assert_int_equal(sync_receipts_encode_head(list, &head, &z), DS_EINVALID);
	json_decref(list);
	ds_buf_release(&z);
}

/* A receipts document with the given extra members is refused by the head decoder. */
static void refused(const char *extra)
{
	char text[512];
	json_t *doc = NULL, *out = NULL;
	ds_buf z = DS_BUF_INIT;
	sync_head back;

	snprintf(text, sizeof(text), "{\"receipts\":{\"n\":0,\"cols\":[]}%s}", extra);
	assert_int_equal(ds_json_parse(text, strlen(text), &doc), 0);
	assert_int_equal(sync_body_encode(doc, &z), 0);
	assert_int_equal(sync_receipts_decode_head(z.ptr, z.len, &out, &back), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "node_seq"));
	assert_null(out);
	json_decref(doc);
	ds_buf_release(&z);
}

static void malformed_heads(void **state)
{
	refused(",\"node_seq\":3");
	refused(",\"node_hash\":\"" H1 "\"");
	refused(",\"node_seq\":-1,\"node_hash\":\"" H1 "\"");
	refused(",\"node_seq\":\"3\",\"node_hash\":\"" H1 "\"");
	refused(",\"node_seq\":3,\"node_hash\":\"ABC\"");
}

static void pages_carry_the_head(void **state)
{
	json_t *changes = json_pack("[{s:i, s:s, s:i, s:s, s:s}]", "cursor", 4, "code",
	                            "000.00.12.H22-251129-0007", "version", 2, "op_id", "xa1:7",
	                            "node", "xa1"),
	       *out = NULL;
	sync_head head = {1, 7, H1, {0, 0, ""}}, back = {0, 0, "", {0, 0, ""}};
	char own[DS_SHA256_HEX];
	ds_buf z = DS_BUF_INIT;
	int64_t next = 0;
	int more = 1;

	assert_int_equal(sync_changes_encode_head(changes, 4, 0, H1, &head, &z), 0);
	assert_int_equal(sync_changes_decode_head(z.ptr, z.len, &out, &next, &more, own, &back), 0);
	assert_int_equal(back.known, 1);
	assert_int_equal(back.seq, 7);
	assert_string_equal(back.hash, H1);
	assert_string_equal(own, H1);
	assert_int_equal(next, 4);
	assert_int_equal(more, 0);
	json_decref(out);
	assert_int_equal(sync_changes_decode_own(z.ptr, z.len, &out, &next, &more, own), 0);
	json_decref(out);
	json_decref(changes);
	ds_buf_release(&z);
}

/* Two applied, a conflict, one more applied: cursors 11, 12 and 15. */
static json_t *echo_receipts(void)
{
	return json_pack("[{s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:{}},"
	                 " {s:s, s:s, s:i, s:i}]",
	                 "op_id", "xa1:7", "result", "applied", "version", 3, "cursor", 11, "op_id",
	                 "xa1:8", "result", "applied", "version", 1, "cursor", 12, "op_id", "xa1:9",
	                 "result", "conflict", "version", 4, "state", "op_id", "xa1:10", "result",
	                 "applied", "version", 5, "cursor", 15);
}

static void receipts_carry_the_echo(void **state)
{
	sync_head head = {1, 10, H1, {1, 9, H1}}, back;
	json_t *list = echo_receipts(), *out = NULL, *wire = NULL;
	ds_buf z = DS_BUF_INIT;
	char *runs = NULL;

	assert_int_equal(sync_receipts_encode_head(list, &head, &z), 0);
	/* on the wire: runs, and no cursor per receipt */
	assert_int_equal(sync_body_decode(z.ptr, z.len, 0, &wire), 0);
	assert_int_equal(ds_json_canonical(json_object_get(wire, "cursors"), &runs, NULL), 0);
	assert_string_equal(runs, "[[11,2],[15,1]]");
	free(runs);
	assert_int_equal(ds_json_canonical(json_object_get(wire, "receipts"), &runs, NULL), 0);
	assert_null(strstr(runs, "cursor"));
	free(runs);
	assert_int_equal(sync_receipts_decode_head(z.ptr, z.len, &out, &back), 0);
	assert_int_equal(back.echo.known, 1);
	assert_int_equal(back.echo.before, 9);
	assert_string_equal(back.echo.sha256, H1);
	assert_true(ds_json_same(out, list));
	json_decref(out);
	/* the old decoder reads it, without the cursors */
	assert_int_equal(sync_receipts_decode(z.ptr, z.len, &out), 0);
	assert_null(json_object_get(json_array_get(out, 0), "cursor"));
	json_decref(out);
	/* an applied receipt without a cursor cannot be laid out */
	json_object_del(json_array_get(list, 1), "cursor");
	ds_buf_reset(&z);
	assert_int_equal(sync_receipts_encode_head(list, &head, &z), DS_EINVALID);
	json_decref(wire);
	json_decref(list);
	ds_buf_release(&z);
}

/* The document of echo_receipts with the echo members set to runs and before. */
static void echo_refused(const char *runs, int before, const char *why)
{
	sync_head head = {1, 10, H1, {0, 0, ""}}, back;
	json_t *list = echo_receipts(), *doc = NULL, *out = (json_t *)1;
	ds_buf z = DS_BUF_INIT;

	assert_int_equal(sync_receipts_encode_head(list, &head, &z), 0);
	assert_int_equal(sync_body_decode(z.ptr, z.len, 0, &doc), 0);
	assert_int_equal(ds_json_parse(runs, strlen(runs), &out), 0);
	json_object_set_new(doc, "cursors", out);
	json_object_set_new(doc, "cursor_before", json_integer(before));
	json_object_set_new(doc, "own_sha256", json_string(H1));
	ds_buf_reset(&z);
	assert_int_equal(sync_body_encode(doc, &z), 0);
	assert_int_equal(sync_receipts_decode_head(z.ptr, z.len, &out, &back), DS_EINVALID);
	if (!strstr(ds_error_msg(), why))
		fail_msg("%s: message \"%s\" lacks \"%s\"", runs, ds_error_msg(), why);
	json_decref(doc);
	json_decref(list);
	ds_buf_release(&z);
}

static void malformed_echoes(void **state)
{
	echo_refused("[[11,2]]", 9, "fewer cursors than applied receipts");
	echo_refused("[[11,4]]", 9, "more cursors than applied receipts");
	echo_refused("[[11,2],[15,1],[20,1]]", 9, "more cursors than applied receipts");
	echo_refused("[[11,2],[12,1]]", 9, "cursors must increase past 12");
	echo_refused("[[11,3]]", 11, "cursors must increase past 11");
	echo_refused("[[11,2],[15]]", 9, "cursors[1] must be [first, count]");
	echo_refused("[[11,0],[15,1]]", 9, "cursors[0] must be [first, count]");
	echo_refused("{}", 9, "come together");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(receipts_carry_the_head), cmocka_unit_test(receipts_carry_the_echo),
	    cmocka_unit_test(malformed_echoes),        cmocka_unit_test(malformed_heads),
	    cmocka_unit_test(pages_carry_the_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
