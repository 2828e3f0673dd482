/* test_forms.c: units for the column value forms and lists by element (sync/cols_pack.c,
 * cols_num.c, cols_dec.c) and the preset dictionary (sync/body.c): the exact layout each
 * form takes, round trips of edge values, every hostile form refused with a clear error
 * (index out of range, a delta that overflows, a built value past the budget), and a body
 * asking for a dictionary this build does not have. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "sync/sync.h"

static json_t *parse(const char *text)
{
	json_t *v = NULL;

	assert_int_equal(ds_json_parse(text, strlen(text), &v), 0);
	return v;
}

static char *canon(const json_t *v)
{
	char *s = NULL;

	assert_int_equal(ds_json_canonical(v, &s, NULL), 0);
	return s;
}

/* records encode to want (canonical), and want decodes back to records. */
static void layout_is(const char *records, const char *want)
{
	json_t *in = parse(records), *doc = NULL, *wire = parse(want), *back = NULL;
	char *got, *a, *b;

	assert_int_equal(sync_cols_encode(in, &doc), 0);
	got = canon(doc);
	if (strcmp(got, want))
		fail_msg("%s\n encodes to %s\n not %s", records, got, want);
	assert_int_equal(sync_cols_decode(wire, &back), 0);
	a = canon(in);
	b = canon(back);
	assert_string_equal(a, b);
	free(got);
	free(a);
	free(b);
	json_decref(in);
	json_decref(doc);
	json_decref(wire);
	json_decref(back);
}

static void forms_layout(void **state)
{
	/* Times: the first, then seconds after the one before (across a month and a year). */
	layout_is("[{\"t\":\"2025-12-31T23:59:30+07:00\"},{\"t\":\"2026-01-01T00:00:10+07:00\"},"
	          "{\"t\":\"2025-12-31T23:00:00+07:00\"}]",
	          "{\"cols\":[{\"p\":[\"t\"],\"r\":[0,1,1],\"t\":[\"2025-12-31T23:59:30+07:00\",40,"
	          "-3610]}],\"n\":3}");
	/* A dictionary: at most half distinct, any JSON value. */
	layout_is(
	    "[{\"k\":\"patch\"},{\"k\":\"patch\"},{\"k\":[1]},{\"k\":[1]}]",
	    "{\"cols\":[{\"d\":[\"patch\",[1]],\"i\":[0,0,1,1],\"p\":[\"k\"],\"r\":[0,1,1,1]}],"
	    "\"n\":4}");
	/* Numbered text: templates and deltas, leading zeros as [delta, width]. */
	layout_is(
	    "[{\"c\":\"H22-251129-0007\"},{\"c\":\"H22-251129-0008\"},"
	    "{\"c\":\"H22-251129-0009\"},{\"c\":\"H22-251129-0010\"}]",
	    "{\"cols\":[{\"i\":[0,0,0,0],\"n\":[[22,0,0,0],[251129,0,0,0],[[7,4],[1,4],[1,4],"
	    "[1,4]]],\"p\":[\"c\"],\"r\":[0,1,1,1],\"x\":[[\"H\",\"-\",\"-\",\"\"]]}],\"n\":4}");
	/* Fixed width: printable ASCII of one width, mostly distinct. */
	layout_is(
	    "[{\"p\":\"0963060905\"},{\"p\":\"0382714459\"},{\"p\":\"0917203388\"}]",
	    "{\"cols\":[{\"p\":[\"p\"],\"r\":[0,1,1],\"s\":\"096306090503827144590917203388\","
	    "\"w\":10}],\"n\":3}");
	/* A list of non-empty objects goes by element; other lists are values. */
	layout_is("[{\"l\":[{\"a\":1},{\"a\":2,\"b\":true}],\"m\":[{}],\"o\":[1,{\"a\":1}]}]",
	          "{\"cols\":[{\"p\":[\"l\",0,\"a\"],\"r\":[0],\"v\":[1]},"
	          "{\"p\":[\"l\",1,\"a\"],\"r\":[0],\"v\":[2]},{\"p\":[\"l\",1,\"b\"],\"r\":[0],"
	          "\"v\":[true]},{\"p\":[\"m\"],\"r\":[0],\"v\":[[{}]]},{\"p\":[\"o\"],\"r\":[0],"
	          "\"v\":[[1,{\"a\":1}]]}],\"n\":1}");
}

/* Encodes records and decodes them through the wire text: the same canonical bytes. */
static void roundtrip(const char *records)
{
	json_t *in = parse(records), *doc = NULL, *wire, *back = NULL;
	char *text, *a, *b;

	assert_int_equal(sync_cols_encode(in, &doc), 0);
	text = canon(doc);
	wire = parse(text);
	assert_int_equal(sync_cols_decode(wire, &back), 0);
	a = canon(in);
	b = canon(back);
	if (strcmp(a, b))
		fail_msg("%s\n via %s\n came back as %s", a, text, b);
	free(text);
	free(a);
	free(b);
	json_decref(in);
	json_decref(doc);
	json_decref(wire);
	json_decref(back);
}

static void forms_roundtrip(void **state)
{
	/* Times at the ends of the range, a negative offset, and one that is not a time. */
	roundtrip("[{\"t\":\"0001-01-01T00:00:00-12:00\"},{\"t\":\"9999-12-31T23:59:59-12:00\"}]");
	roundtrip("[{\"t\":\"2024-02-29T12:00:00+07:00\"},{\"t\":\"2025-02-30T12:00:00+07:00\"}]");
	roundtrip("[{\"t\":\"2025-01-01T00:00:00+07:00\"},{\"t\":\"2025-01-01T00:00:00+08:00\"}]");
	/* Runs at the start and the end, zeros, 18 digits, going down. */
	roundtrip("[{\"x\":\"7a0\"},{\"x\":\"8a00\"},{\"x\":\"9a000\"},{\"x\":\"10a0\"}]");
	roundtrip("[{\"x\":\"999999999999999999\"},{\"x\":\"000000000000000001\"},{\"x\":\"5\"},"
	          "{\"x\":\"6\"}]");
	roundtrip(
	    "[{\"x\":\"Số 9, đường A\"},{\"x\":\"Số 8, đường A\"},{\"x\":\"Số 7, đường A\"}]");
	/* 19 digits and 17 runs are not numbered text. */
	roundtrip("[{\"x\":\"1000000000000000000\"},{\"x\":\"1000000000000000001\"}]");
	roundtrip("[{\"x\":\"a33333333333333333333333333333333333333333\"},{\"x\":\"a1\"}]");
	roundtrip("[{\"x\":\"1.2.3.4.5.6.7.8.9.1.2.3.4.5.6.7.8\"},"
	          "{\"x\":\"1.2.3.4.5.6.7.8.9.1.2.3.4.5.6.7.9\"}]");
	/* Dictionary values that repeat are copies, mixed types, and a fixed width of spaces. */
	roundtrip("[{\"d\":null},{\"d\":null},{\"d\":1},{\"d\":\"1\"},{\"d\":1},{\"d\":{}}]");
	roundtrip("[{\"w\":\"  \"},{\"w\":\"a \"},{\"w\":\" b\"}]");
	/* Lists by element of different lengths, nested, in some rows only. */
	roundtrip("[{\"l\":[{\"a\":{\"b\":[{\"c\":1}]}},{\"a\":2}]},{},{\"l\":[{\"z\":[]}]},"
	          "{\"l\":[]},{\"l\":[{\"a\":1},{},{\"a\":2}]}]");
}

static void refused(const char *doc, int code, const char *why)
{
	json_t *d = parse(doc), *out = (json_t *)1;

	assert_int_equal(sync_cols_decode_budget(d, 64, &out), code);
	assert_null(out);
	if (!strstr(ds_error_msg(), why))
		fail_msg("decoding %s: message \"%s\" lacks \"%s\"", doc, ds_error_msg(), why);
	json_decref(d);
}

#define COL(members) "{\"n\":2,\"cols\":[{\"p\":[\"a\"],\"r\":[0,1]," members "}]}"
#define COLS1(p, members) "{\"n\":1,\"cols\":[{\"p\":" p ",\"r\":[0]," members "}]}"

static void forms_refused(void **state)
{
	refused(COL("\"v\":[1,2],\"t\":[\"2025-01-01T00:00:00+07:00\",1]"), DS_EINVALID,
	        "exactly one of");
	refused(COL("\"d\":[1]"), DS_EINVALID, "exactly one of");
	refused(COL("\"d\":[1],\"i\":[0,1]"), DS_EINVALID, "i[1] is not an index into d");
	refused(COL("\"d\":[1],\"i\":[0,-1]"), DS_EINVALID, "i[1] is not an index into d");
	refused(COL("\"d\":[],\"i\":[0,0]"), DS_EINVALID, "i[0] is not an index into d");
	refused(COL("\"d\":[1],\"i\":[0]"), DS_EINVALID, "2 rows in r but 1 in i");
	refused(COL("\"t\":[\"2025-02-30T00:00:00+07:00\",1]"), DS_EINVALID, "t[0] must be a time");
	refused(COL("\"t\":[1,1]"), DS_EINVALID, "t[0] must be a time");
	refused(COL("\"t\":[\"9999-12-31T23:59:59+07:00\",1]"), DS_EINVALID,
	        "t[1] must be a number of seconds");
	refused(COL("\"t\":[\"2025-01-01T00:00:00+07:00\",-9223372036854775807]"), DS_EINVALID,
	        "t[1] must be a number of seconds");
	refused(COL("\"t\":[\"2025-01-01T00:00:00+07:00\",\"1\"]"), DS_EINVALID,
	        "t[1] must be a number of seconds");
	refused(COL("\"w\":0,\"s\":\"\""), DS_EINVALID, "w must be 1 to 64");
	refused(COL("\"w\":65,\"s\":\"\""), DS_EINVALID, "w must be 1 to 64");
	refused(COL("\"w\":2,\"s\":\"abc\""), DS_EINVALID, "s must be text of 4 bytes");
	refused(COL("\"w\":1,\"s\":\"\\u0001b\""), DS_EINVALID, "s must be printable ASCII");
	refused(COL("\"w\":2,\"s\":\"\xc3\xa9\xc3\xa9\""), DS_EINVALID, "printable ASCII");
	refused(COL("\"x\":[[\"a\",\"b\"]],\"i\":[0,1],\"n\":[[1,1]]"), DS_EINVALID,
	        "i[1] is not an index into x");
	refused(COL("\"x\":[[\"a\"]],\"i\":[0,0],\"n\":[[1,1]]"), DS_EINVALID,
	        "x[0] must be 2 texts");
	refused(COL("\"x\":[[\"a\",1]],\"i\":[0,0],\"n\":[[1,1]]"), DS_EINVALID, "is not text");
	refused(COL("\"x\":[[\"a\",\"\"]],\"i\":[0,0],\"n\":[[1]]"), DS_EINVALID,
	        "n[0] must be an array of 2 deltas");
	refused(COL("\"x\":[[\"a\",\"\"]],\"i\":[0,0],\"n\":[]"), DS_EINVALID, "1 to 16 runs");
	refused(COL("\"x\":[[\"a\",\"\"]],\"i\":[0],\"n\":[[1,1]]"), DS_EINVALID, "2 indexes");
	refused(COL("\"x\":[[\"a\",\"\"]],\"i\":[0,0],\"n\":[[1,-2]]"), DS_EINVALID,
	        "row 1's numbers must stay within 0");
	refused(COL("\"x\":[[\"a\",\"\"]],\"i\":[0,0],\"n\":[[999999999999999999,1]]"), DS_EINVALID,
	        "row 1's numbers must stay within 0");
	refused(COL("\"x\":[[\"a\",\"\"]],\"i\":[0,0],\"n\":[[[100,2],1]]"), DS_EINVALID,
	        "row 0's numbers must stay within 0 to 10^18 and fit their widths");
	refused(COL("\"x\":[[\"a\",\"\"]],\"i\":[0,0],\"n\":[[[1,19],1]]"), DS_EINVALID,
	        "fit their widths");
	/* Paths through lists: an index between two keys, no holes, never through a value. */
	refused(COLS1("[0,\"a\"]", "\"v\":[1]"), DS_EINVALID, "p[0] must be a key, or an index");
	refused(COLS1("[\"a\",0]", "\"v\":[1]"), DS_EINVALID, "p[1] must be a key, or an index");
	refused(COLS1("[\"a\",0,0,\"b\"]", "\"v\":[1]"), DS_EINVALID, "p[1] must be a key");
	refused(COLS1("[\"a\",-1,\"b\"]", "\"v\":[1]"), DS_EINVALID, "p[1] must be a key");
	refused(COLS1("[\"a\",1,\"b\"]", "\"v\":[1]"), DS_EINVALID, "clashes with another path");
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\"],\"r\":[0],\"v\":[[]]},"
	        "{\"p\":[\"a\",0,\"b\"],\"r\":[0],\"v\":[1]}]}",
	        DS_EINVALID, "clashes with another path");
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\"],\"r\":[0],\"v\":[[{\"c\":1},2]]},"
	        "{\"p\":[\"a\",2,\"b\"],\"r\":[0],\"v\":[1]}]}",
	        DS_EINVALID, "clashes with another path");
	refused(COLS1("[\"a\"]", "\"d\":[{\"b\":1}],\"i\":[0]"), DS_EINVALID,
	        "a non-empty object must be split into paths");
	/* A list of objects sent as a value (as a version 2 encoder did) is taken as it is, but
	 * no path may run through it. */
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\"],\"r\":[0],\"v\":[[{\"c\":1}]]},"
	        "{\"p\":[\"a\",1,\"b\"],\"r\":[0],\"v\":[1]}]}",
	        DS_EINVALID, "clashes with another path");
}

/* Built values count against the budget: 64 objects allow 64 KiB of them. */
static void forms_budget(void **state)
{
	ds_buf doc = DS_BUF_INIT;
	size_t i, c;

	/* 10 columns of 60 times: 600 built values of 121 bytes each. */
	ds_buf_puts(&doc, "{\"n\":60,\"cols\":[");
	for (c = 0; c < 10; c++) {
		ds_buf_printf(&doc, "%s{\"p\":[\"a%zu\"],\"r\":[0", c ? "," : "", c);
		for (i = 1; i < 60; i++)
			ds_buf_puts(&doc, ",1");
		ds_buf_puts(&doc, "],\"t\":[\"2025-01-01T00:00:00+07:00\"");
		for (i = 1; i < 60; i++)
			ds_buf_puts(&doc, ",1");
		ds_buf_puts(&doc, "]}");
	}
	ds_buf_puts(&doc, "]}");
	refused(doc.ptr, DS_ETOOBIG, "the values would take more than 65536 bytes");
	ds_buf_reset(&doc);
	/* A big dictionary value used many times is copied: each copy counts. */
	ds_buf_puts(&doc, "{\"n\":50,\"cols\":[{\"p\":[\"a\"],\"r\":[0");
	for (i = 1; i < 50; i++)
		ds_buf_puts(&doc, ",1");
	ds_buf_puts(&doc, "],\"d\":[[");
	for (i = 0; i < 1000; i++)
		ds_buf_printf(&doc, "%s%zu", i ? "," : "", i);
	ds_buf_puts(&doc, "]],\"i\":[0");
	for (i = 1; i < 50; i++)
		ds_buf_puts(&doc, ",0");
	ds_buf_puts(&doc, "]}]}");
	refused(doc.ptr, DS_ETOOBIG, "the values would take more than 65536 bytes");
	ds_buf_release(&doc);
}

/* The documents deflate with the preset dictionary; inflate sets it, and refuses another. */
static void preset_dictionary(void **state)
{
	static const char other[] = "not the wire dictionary";
	json_t *doc = parse("{\"kind\":\"Đã tiếp nhận\"}"), *back = NULL;
	ds_buf plain = DS_BUF_INIT, dict = DS_BUF_INIT;
	unsigned char z[256];
	z_stream s = {0};
	const char *text = "{\"a\":1}";

	assert_int_equal(sync_body_encode(doc, &plain), 0);
	assert_int_equal(sync_body_encode_dict(doc, &dict), 0);
	assert_true(dict.len < plain.len);
	assert_true((unsigned char)dict.ptr[1] & 0x20); /* FDICT */
	assert_int_equal(sync_body_decode(dict.ptr, dict.len, 0, &back), 0);
	assert_true(json_equal(doc, back));
	json_decref(back);
	assert_int_equal(sync_body_decode(plain.ptr, plain.len, 0, &back), 0);
	json_decref(back);
	/* A body made with another dictionary: named by its Adler-32, nothing decoded. */
	assert_int_equal(deflateInit(&s, 9), Z_OK);
	assert_int_equal(deflateSetDictionary(&s, (const Bytef *)other, sizeof(other)), Z_OK);
	s.next_in = (Bytef *)text;
	s.avail_in = (uInt)strlen(text);
	s.next_out = z;
	s.avail_out = sizeof(z);
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	back = (json_t *)1;
	assert_int_equal(sync_body_decode(z, sizeof(z) - s.avail_out, 0, &back), DS_EINVALID);
	assert_null(back);
	assert_non_null(strstr(ds_error_msg(), "needs a preset dictionary with Adler-32"));
	assert_non_null(strstr(ds_error_msg(), SYNC_DICT_NAME));
	deflateEnd(&s);
	ds_buf_release(&plain);
	ds_buf_release(&dict);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(forms_layout),      cmocka_unit_test(forms_roundtrip),
	    cmocka_unit_test(forms_refused),     cmocka_unit_test(forms_budget),
	    cmocka_unit_test(preset_dictionary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
