/* test_cols.c: units for the column codec (sync/cols.c): exact layout of small inputs,
 * round trips through the wire text (hand-written and 500 seeded random records),
 * determinism, and every malformed document refused with DS_EINVALID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

/* Encodes records, sends the document through its canonical text as the wire would,
 * decodes it, and checks the result has the same canonical bytes. */
static void roundtrip(const json_t *records)
{
	json_t *doc = NULL, *wire, *back = NULL;
	char *text, *a, *b;

	assert_int_equal(sync_cols_encode(records, &doc), 0);
	text = canon(doc);
	wire = parse(text);
	assert_int_equal(sync_cols_decode(wire, &back), 0);
	a = canon(records);
	b = canon(back);
	assert_string_equal(a, b);
	free(text);
	free(a);
	free(b);
	json_decref(doc);
	json_decref(wire);
	json_decref(back);
}

static void expect_encoding(const char *records, const char *want)
{
	json_t *in = parse(records), *doc = NULL;
	char *got;

	assert_int_equal(sync_cols_encode(in, &doc), 0);
	got = canon(doc);
	assert_string_equal(got, want);
	free(got);
	json_decref(doc);
	json_decref(in);
}

static void layout(void **state)
{
	/* The protocol's example: row deltas, the first from 0. */
	expect_encoding("[{\"kind\":\"create\"},{\"kind\":\"patch\"},{\"kind\":\"patch\"}]",
	                "{\"cols\":[{\"p\":[\"kind\"],\"r\":[0,1,1],\"v\":[\"create\",\"patch\","
	                "\"patch\"]}],\"n\":3}");
	/* Missing in some rows: only the rows that have the path are listed. */
	expect_encoding("[{\"x\":1},{},{},{\"x\":2}]",
	                "{\"cols\":[{\"p\":[\"x\"],\"r\":[0,3],\"v\":[1,2]}],\"n\":4}");
	/* First appearance, records in order and keys sorted; empty objects are values. */
	expect_encoding("[{\"b\":1,\"a\":{\"z\":1,\"c\":{}}},{\"d\":[1],\"a\":{\"y\":null}}]",
	                "{\"cols\":[{\"p\":[\"a\",\"c\"],\"r\":[0],\"v\":[{}]},"
	                "{\"p\":[\"a\",\"z\"],\"r\":[0],\"v\":[1]},"
	                "{\"p\":[\"b\"],\"r\":[0],\"v\":[1]},"
	                "{\"p\":[\"a\",\"y\"],\"r\":[1],\"v\":[null]},"
	                "{\"p\":[\"d\"],\"r\":[1],\"v\":[[1]]}],\"n\":2}");
	expect_encoding("[]", "{\"cols\":[],\"n\":0}");
}

static void roundtrip_handwritten(void **state)
{
	json_t *in = parse(
	    "[{\"code\":\"000.00.12.H22-251129-0007\",\"kind\":\"create\","
	    "  \"applicant\":{\"name\":\"Phạm Ngọc Giang\",\"id_number\":\"068337861984\","
	    "    \"address\":{\"street\":\"Số 239, đường Nguyễn Huệ\",\"city\":\"Vinh\"}},"
	    "  \"meta\":{},\"tags\":[\"x\",{\"y\":1},[]],\"note\":null,\"base\":0,"
	    "  \"amount\":-10000,\"big\":9007199254740993,\"paid\":true,\"ratio\":1.5},"
	    " {\"code\":\"A-2\",\"applicant\":{\"name\":\"Nguyễn Hữu Phước\"},\"a\":1},"
	    " {},"
	    " {\"a\":{\"b\":2},\"code\":\"A-4\",\"meta\":{\"x\":{}},"
	    "  \"components\":[{\"id\":\"tp1\",\"name\":\"Tờ khai theo mẫu\",\"digitised\":true}]},"
	    " {\"code\":\"A-5\",\"note\":\"Đăng ký khai sinh cho con\","
	    "  \"applicant\":{\"address\":{}},\"\":\"empty key\",\"a.b\":\"dotted\"},"
	    " {\"a\":[],\"payload\":{\"applicant\":{\"phone\":\"0963060905\"}},\"parent\":null}]");

	roundtrip(in);
	json_decref(in);
}

static void determinism(void **state)
{
	json_t *a = parse("[{\"x\":{\"q\":1,\"p\":\"Huế\"},\"b\":[1,2]},{\"b\":3,\"z\":null}]");
	json_t *b = json_array(), *r0 = json_object(), *x = json_object(), *r1 = json_object();
	json_t *da = NULL, *da2 = NULL, *db = NULL;
	char *sa, *sa2, *sb;

	/* The same records built with keys inserted in another order. */
	json_object_set_new(r1, "z", json_null());
	json_object_set_new(r1, "b", json_integer(3));
	json_object_set_new(x, "p", json_string("Huế"));
	json_object_set_new(x, "q", json_integer(1));
	json_object_set_new(r0, "b", json_pack("[i,i]", 1, 2));
	json_object_set_new(r0, "x", x);
	json_array_append_new(b, r0);
	json_array_append_new(b, r1);
	assert_int_equal(sync_cols_encode(a, &da), 0);
	assert_int_equal(sync_cols_encode(a, &da2), 0);
	assert_int_equal(sync_cols_encode(b, &db), 0);
	sa = canon(da);
	sa2 = canon(da2);
	sb = canon(db);
	assert_string_equal(sa, sa2);
	assert_string_equal(sa, sb);
	free(sa);
	free(sa2);
	free(sb);
	json_decref(da);
	json_decref(da2);
	json_decref(db);
	json_decref(a);
	json_decref(b);
}

/* ---------------------------------------------------------------- random records */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static json_t *random_value(int depth);

static json_t *random_object(int depth)
{
	static const char *const keys[] = {"a", "b", "code", "tên", "địa_chỉ", "x.y", "", "z"};
	json_t *o = json_object();
	size_t i, n = rnd() % 5;

	for (i = 0; i < n; i++)
		json_object_set_new(o, keys[rnd() % DS_ARRAY_LEN(keys)], random_value(depth + 1));
	return o;
}

static json_t *random_value(int depth)
{
	static const char *const words[] = {
	    "Nguyễn",     "Trần Thị Hoa",    "Đăng ký khai sinh", "",
	    "0963060905", "Phường Bến Nghé", "\"quoted\"\n"};
	json_t *a;
	size_t i, n;

	switch (rnd() % (depth < 4 ? 9 : 6)) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(rnd() & 1);
	case 2:
		return json_integer((json_int_t)(rnd() % 2000000) - 1000000);
	case 3:
		return json_string(words[rnd() % DS_ARRAY_LEN(words)]);
	case 4:
		return json_real((double)(rnd() % 1000) / 8.0);
	case 5:
		return json_object(); /* empty */
	case 6:
		a = json_array();
		n = rnd() % 4;
		for (i = 0; i < n; i++)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	default:
		return random_object(depth);
	}
}

static void roundtrip_random(void **state)
{
	json_t *records = json_array();
	int i;

	rng_state = 20251129;
	for (i = 0; i < 500; i++)
		json_array_append_new(records, random_object(0));
	roundtrip(records);
	json_decref(records);
}

/* ---------------------------------------------------------------- refusals */
static void refused(const char *doc, const char *why)
{
	json_t *d = parse(doc), *out = (json_t *)1;

	assert_int_equal(sync_cols_decode(d, &out), DS_EINVALID);
	assert_null(out);
	if (!strstr(ds_error_msg(), why))
		fail_msg("decoding %s: message \"%s\" lacks \"%s\"", doc, ds_error_msg(), why);
	json_decref(d);
}

static void refuse_malformed(void **state)
{
	refused("[]", "exactly the members n and cols");
	refused("{\"n\":1}", "exactly the members n and cols");
	refused("{\"n\":1,\"cols\":[],\"x\":1}", "exactly the members n and cols");
	refused("{\"n\":-1,\"cols\":[]}", "n must be an integer from 0 to 1000000");
	refused("{\"n\":1.0,\"cols\":[]}", "n must be an integer");
	refused("{\"n\":\"2\",\"cols\":[]}", "n must be an integer");
	refused("{\"n\":1000001,\"cols\":[]}", "n must be an integer from 0 to 1000000");
	refused("{\"n\":1,\"cols\":{}}", "cols must be an array");
	refused("{\"n\":1,\"cols\":[7]}", "cols[0] is not an object");
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\"],\"r\":[0]}]}", "exactly one of v, d and i, "
	                                                          "t, w and s");
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\"],\"r\":[0],\"v\":[1],\"w\":[]}]}",
	        "exactly one of v, d and i, t, w and s");
	refused("{\"n\":1,\"cols\":[{\"p\":[],\"r\":[0],\"v\":[1]}]}", "cols[0].p must be a "
	                                                               "non-empty array");
	refused("{\"n\":1,\"cols\":[{\"p\":\"a\",\"r\":[0],\"v\":[1]}]}", "cols[0].p must be");
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\",3],\"r\":[0],\"v\":[1]}]}",
	        "cols[0].p[1] must be a key, or an index");
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\"],\"r\":0,\"v\":[1]}]}", "r must be an "
	                                                                  "array");
	refused("{\"n\":2,\"cols\":[{\"p\":[\"a\"],\"r\":[0,1],\"v\":[1]}]}",
	        "2 rows in r but 1 in v");
	refused("{\"n\":2,\"cols\":[{\"p\":[\"a\"],\"r\":[0],\"v\":[1,2]}]}",
	        "1 rows in r but 2 in v");
	refused("{\"n\":2,\"cols\":[{\"p\":[\"a\"],\"r\":[2],\"v\":[1]}]}", "r[0]: row out of "
	                                                                    "range");
	refused("{\"n\":2,\"cols\":[{\"p\":[\"a\"],\"r\":[1,1],\"v\":[1,2]}]}",
	        "r[1]: row out of range");
	refused("{\"n\":0,\"cols\":[{\"p\":[\"a\"],\"r\":[0],\"v\":[1]}]}", "row out of range");
	refused("{\"n\":3,\"cols\":[{\"p\":[\"a\"],\"r\":[0,0],\"v\":[1,2]}]}",
	        "r[1]: rows must be strictly increasing");
	refused("{\"n\":3,\"cols\":[{\"p\":[\"a\"],\"r\":[1,-1],\"v\":[1,2]}]}",
	        "r[1] must be a non-negative integer");
	refused("{\"n\":3,\"cols\":[{\"p\":[\"a\"],\"r\":[-1],\"v\":[1]}]}",
	        "r[0] must be a non-negative integer");
	refused("{\"n\":3,\"cols\":[{\"p\":[\"a\"],\"r\":[\"0\"],\"v\":[1]}]}",
	        "r[0] must be a non-negative integer");
	refused("{\"n\":3,\"cols\":[{\"p\":[\"a\"],\"r\":[0.5],\"v\":[1]}]}",
	        "r[0] must be a non-negative integer");
	refused("{\"n\":3,\"cols\":[{\"p\":[\"a\"],\"r\":[9223372036854775807],\"v\":[1]}]}",
	        "row out of range");
	refused("{\"n\":2,\"cols\":[{\"p\":[\"a\"],\"r\":[0],\"v\":[1]},"
	        "{\"p\":[\"a\"],\"r\":[1],\"v\":[2]}]}",
	        "cols[1] repeats the column a");
	/* a and a.b in the same row cannot both hold. */
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\"],\"r\":[0],\"v\":[1]},"
	        "{\"p\":[\"a\",\"b\"],\"r\":[0],\"v\":[2]}]}",
	        "cols[1]: the path a.b clashes with another path of row 0");
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\",\"b\"],\"r\":[0],\"v\":[2]},"
	        "{\"p\":[\"a\"],\"r\":[0],\"v\":[1]}]}",
	        "cols[1]: the path a clashes with another path of row 0");
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\"],\"r\":[0],\"v\":[{}]},"
	        "{\"p\":[\"a\",\"b\"],\"r\":[0],\"v\":[2]}]}",
	        "the path a.b clashes");
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\",\"b\",\"c\"],\"r\":[0],\"v\":[1]},"
	        "{\"p\":[\"a\",\"b\"],\"r\":[0],\"v\":[null]}]}",
	        "the path a.b clashes");
	refused("{\"n\":1,\"cols\":[{\"p\":[\"a\"],\"r\":[0],\"v\":[{\"b\":1}]}]}",
	        "a non-empty object must be split into paths");
}

static void accept_edges(void **state)
{
	json_t *d = parse("{\"n\":2,\"cols\":[{\"p\":[\"a\"],\"r\":[0],\"v\":[1]},"
	                  "{\"p\":[\"a\",\"b\"],\"r\":[1],\"v\":[2]},"
	                  "{\"p\":[\"e\"],\"r\":[],\"v\":[]}]}");
	json_t *out = NULL;
	char *s;

	/* a and a.b in different rows are fine; a column with no rows adds nothing. */
	assert_int_equal(sync_cols_decode(d, &out), 0);
	s = canon(out);
	assert_string_equal(s, "[{\"a\":1},{\"a\":{\"b\":2}}]");
	free(s);
	json_decref(out);
	json_decref(d);
	d = parse("{\"n\":3,\"cols\":[]}");
	assert_int_equal(sync_cols_decode(d, &out), 0);
	s = canon(out);
	assert_string_equal(s, "[{},{},{}]");
	free(s);
	json_decref(out);
	json_decref(d);
}

static void refuse_bad_records(void **state)
{
	json_t *in = parse("[{\"a\":1},2]"), *out = (json_t *)1;

	assert_int_equal(sync_cols_encode(in, &out), DS_EINVALID);
	assert_null(out);
	assert_non_null(strstr(ds_error_msg(), "records[1] is not an object"));
	json_decref(in);
	in = parse("{\"a\":1}");
	assert_int_equal(sync_cols_encode(in, &out), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "must be an array"));
	json_decref(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(layout),
	    cmocka_unit_test(roundtrip_handwritten),
	    cmocka_unit_test(determinism),
	    cmocka_unit_test(roundtrip_random),
	    cmocka_unit_test(refuse_malformed),
	    cmocka_unit_test(accept_edges),
	    cmocka_unit_test(refuse_bad_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
