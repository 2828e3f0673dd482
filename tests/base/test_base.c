/* test_base.c: units for base/: buffers and their cap, time parsing and formatting in
 * +07:00, canonical JSON, NFC normalisation, merge patch and diff, SHA-256. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base.h"

static void buf_cap(void **state)
{
	ds_buf b;

	ds_buf_init(&b, 8);
	assert_int_equal(ds_buf_puts(&b, "12345678"), 0);
	assert_int_equal(ds_buf_puts(&b, "9"), DS_ETOOBIG);
	assert_string_equal(b.ptr, "12345678");
	ds_buf_release(&b);
	assert_string_equal(b.ptr, "");
}

/* Decimal without printf, as printf writes it; the cap still holds. */
static void buf_add_uint(void **state)
{
	ds_buf b = DS_BUF_INIT, small;

	(void)state;
	assert_int_equal(ds_buf_add_uint(&b, 0), 0);
	assert_int_equal(ds_buf_add(&b, ",", 1), 0);
	assert_int_equal(ds_buf_add_uint(&b, 1234567890), 0);
	assert_int_equal(ds_buf_add(&b, ",", 1), 0);
	assert_int_equal(ds_buf_add_uint(&b, UINT64_MAX), 0);
	assert_string_equal(b.ptr, "0,1234567890,18446744073709551615");
	ds_buf_release(&b);
	ds_buf_init(&small, 3);
	assert_int_equal(ds_buf_add_uint(&small, 999), 0);
	assert_int_equal(ds_buf_add_uint(&small, 1), DS_ETOOBIG);
	assert_string_equal(small.ptr, "999");
	ds_buf_release(&small);
}

static void time_roundtrip(void **state)
{
	int64_t t;
	int off;
	char out[DS_TIME_LEN];

	assert_int_equal(ds_time_parse("2024-04-14T07:00:00+07:00", &t, &off), 0);
	assert_int_equal(t, 1713052800);
	assert_int_equal(off, 420);
	ds_time_format(t, DS_TZ_VN, out);
	assert_string_equal(out, "2024-04-14T07:00:00+07:00");
	ds_time_format(t, 0, out);
	assert_string_equal(out, "2024-04-14T00:00:00+00:00");
	assert_int_equal(ds_time_parse("2024-04-14T00:00:00Z", &t, NULL), 0);
	assert_int_equal(t, 1713052800);
	assert_int_equal(ds_time_parse("2024-04-14T00:00:00.123-01:30", &t, &off), 0);
	assert_int_equal(off, -90);
}

static void time_bad(void **state)
{
	const char *bad[] = {"2024-04-14T07:00:00",
	                     "2024-02-30T07:00:00+07:00",
	                     "2024-04-14 07:00:00+07:00",
	                     "24-04-14T07:00:00+07:00",
	                     "2024-04-14T25:00:00+07:00",
	                     "2024-04-14T07:00:00+0700",
	                     ""};
	size_t i;

	for (i = 0; i < DS_ARRAY_LEN(bad); i++)
		assert_int_equal(ds_time_parse(bad[i], NULL, NULL), DS_EINVALID);
}

static void time_date_vn(void **state)
{
	int y, m, d;

	/* 2024-04-13T17:30:00Z is already the 14th in Vietnam. */
	ds_time_date(1713029400, DS_TZ_VN, &y, &m, &d);
	assert_int_equal(y * 10000 + m * 100 + d, 20240414);
	ds_time_date(1713029400, 0, &y, &m, &d);
	assert_int_equal(y * 10000 + m * 100 + d, 20240413);
}

/* One table of month lengths serves RFC 3339 times, dossier codes and the calendar. */
static void days_in_month_gregorian(void **state)
{
	(void)state;
	assert_int_equal(ds_time_days_in_month(2024, 2), 29);
	assert_int_equal(ds_time_days_in_month(2025, 2), 28);
	assert_int_equal(ds_time_days_in_month(2000, 2), 29);
	assert_int_equal(ds_time_days_in_month(2100, 2), 28);
	assert_int_equal(ds_time_days_in_month(2025, 4), 30);
	assert_int_equal(ds_time_days_in_month(2025, 12), 31);
	assert_int_equal(ds_time_parse("2025-02-29T08:00:00+07:00", NULL, NULL), DS_EINVALID);
	assert_int_equal(ds_time_parse("2024-02-29T08:00:00+07:00", NULL, NULL), 0);
}

static void canonical_sorted(void **state)
{
	json_t *a, *b;
	char *s;

	const char *x = "{\"b\":1,\"a\":{\"d\":[1,2],\"c\":\"x\"}}";
	const char *y = "{ \"a\" : {\"c\":\"x\", \"d\":[1, 2]}, \"b\":1 }";

	assert_int_equal(ds_json_parse(x, strlen(x), &a), 0);
	assert_int_equal(ds_json_parse(y, strlen(y), &b), 0);
	assert_int_equal(ds_json_canonical(a, &s, NULL), 0);
	assert_string_equal(s, "{\"a\":{\"c\":\"x\",\"d\":[1,2]},\"b\":1}");
	assert_true(ds_json_same(a, b));
	free(s);
	json_decref(a);
	json_decref(b);
}

/* ds_json_same is "same canonical bytes": 1 and 1.0, -0.0 and 0.0, "a" and "A" differ;
 * key order and a deep copy do not. */
static void same_is_canonical_bytes(void **state)
{
	static const char *const pairs[][3] = {
	    {"{\"a\":[1,{\"b\":2.5}],\"c\":\"x\"}", "{\"c\":\"x\",\"a\":[1,{\"b\":2.5}]}", "1"},
	    {"[1]", "[1.0]", "0"},
	    {"{\"t\":-0.0}", "{\"t\":0.0}", "0"},
	    {"{\"t\":[0.0]}", "{\"t\":[0.0]}", "1"},
	    {"\"a\"", "\"A\"", "0"},
	    {"{\"a\":1}", "{\"a\":1,\"b\":null}", "0"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		json_t *a = NULL, *b = NULL, *c;
		char *x = NULL, *y = NULL;

		assert_int_equal(ds_json_parse(pairs[i][0], strlen(pairs[i][0]), &a), 0);
		assert_int_equal(ds_json_parse(pairs[i][1], strlen(pairs[i][1]), &b), 0);
		assert_int_equal(ds_json_canonical(a, &x, NULL), 0);
		assert_int_equal(ds_json_canonical(b, &y, NULL), 0);
		assert_int_equal(ds_json_same(a, b), strcmp(x, y) == 0);
		assert_int_equal(ds_json_same(a, b), pairs[i][2][0] == '1');
		c = json_deep_copy(a);
		assert_true(ds_json_same(a, c));
		assert_false(ds_json_same(a, NULL));
		json_decref(c);
		json_decref(a);
		json_decref(b);
		free(x);
		free(y);
	}
}

/* ds_json_canonical_buf writes what ds_json_canonical writes, whichever path it takes. */
static void canonical_buf_same_bytes(void **state)
{
	static const char *const values[] = {
	    "\"plain\"",
	    "\"Nguyễn Văn Ánh\"",
	    "\"a\\\"b\"",
	    "\"back\\\\slash\"",
	    "\"tab\\there\"",
	    "\"ctl\\u0001x\"",
	    "\"del\\u007f\"",
	    "\"sep\\u2028\"",
	    "\"a/b\"",
	    "\"\"",
	    "0",
	    "-9223372036854775808",
	    "9223372036854775807",
	    "true",
	    "false",
	    "null",
	    "1.5",
	    "-0.0",
	    "[\"tp1\",\"tp2\"]",
	    "{\"b\":1,\"a\":[]}",
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char buf[64], small[2];
		char *want = NULL;
		size_t wn;
		json_t *v = NULL;

		assert_int_equal(ds_json_parse(values[i], strlen(values[i]), &v), 0);
		assert_int_equal(ds_json_canonical(v, &want, &wn), 0);
		assert_int_equal(ds_json_canonical_buf(v, buf, sizeof(buf), &n), 0);
		assert_int_equal(n, wn);
		assert_memory_equal(buf, want, n);
		assert_int_equal(ds_json_canonical_buf(v, small, sizeof(small), &n), 0);
		assert_int_equal(n, wn); /* the size even when it does not fit */
		free(want);
		json_decref(v);
	}
}

static void nfc_same_bytes(void **state)
{
	/* "Nguyễn" typed precomposed and as e + circumflex + tilde. */
	const char *composed = "Nguy\xe1\xbb\x85n";
	const char *decomposed = "Nguye\xcc\x82\xcc\x83n";
	char *x, *y;

	assert_int_equal(ds_text_nfc(composed, &x), 0);
	assert_int_equal(ds_text_nfc(decomposed, &y), 0);
	assert_string_equal(x, y);
	assert_string_equal(x, composed);
	free(x);
	free(y);
	assert_int_equal(ds_text_nfc("bad \xff byte", &x), DS_EINVALID);
}

static void json_nfc_keys_and_values(void **state)
{
	json_t *v = json_pack("{s:[s]}", "k", "Nguye\xcc\x82\xcc\x83n");
	char *s;

	assert_int_equal(ds_json_nfc(&v), 0);
	assert_int_equal(ds_json_canonical(v, &s, NULL), 0);
	assert_string_equal(s, "{\"k\":[\"Nguy\xe1\xbb\x85n\"]}");
	free(s);
	json_decref(v);
}

static void merge_patch_rfc7396(void **state)
{
	json_t *t = json_pack("{s:s,s:{s:s,s:s}}", "a", "b", "c", "d", "e", "f", "g");
	json_t *p = json_pack("{s:s,s:{s:n}}", "a", "z", "c", "f");
	json_t *want = json_pack("{s:s,s:{s:s}}", "a", "z", "c", "d", "e");

	assert_int_equal(ds_json_merge_patch(&t, p), 0);
	assert_true(ds_json_same(t, want));
	json_decref(t);
	json_decref(p);
	json_decref(want);
}

static void diff_then_patch(void **state)
{
	json_t *from =
	    json_pack("{s:i,s:{s:s,s:s},s:[i]}", "x", 1, "o", "a", "1", "b", "2", "l", 1);
	json_t *to =
	    json_pack("{s:{s:s,s:s},s:[i,i],s:b}", "o", "a", "1", "c", "3", "l", 1, 2, "n", 1);
	json_t *d, *t = json_deep_copy(from);
	char *s;

	assert_int_equal(ds_json_diff(from, to, &d), 0);
	assert_int_equal(ds_json_canonical(d, &s, NULL), 0);
	assert_string_equal(s,
	                    "{\"l\":[1,2],\"n\":true,\"o\":{\"b\":null,\"c\":\"3\"},\"x\":null}");
	free(s);
	assert_int_equal(ds_json_merge_patch(&t, d), 0);
	assert_true(ds_json_same(t, to));
	json_decref(from);
	json_decref(to);
	json_decref(d);
	json_decref(t);
}

static void sha256_known(void **state)
{
	char out[DS_SHA256_HEX];

	ds_sha256_hex("abc", 3, out);
	assert_string_equal(out,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ds_sha256_hex2("a", 1, "bc", 2, out);
	assert_string_equal(out,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void exit_codes(void **state)
{
	assert_int_equal(ds_exit_code(DS_OK), 0);
	assert_int_equal(ds_exit_code(DS_EUSAGE), 64);
	assert_int_equal(ds_exit_code(DS_EINVALID), 65);
	assert_int_equal(ds_exit_code(DS_ERETRY), 75);
	assert_int_equal(ds_exit_code(DS_EPERM), 77);
	assert_int_equal(ds_exit_code(DS_ERROR), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(buf_cap),
	    cmocka_unit_test(buf_add_uint),
	    cmocka_unit_test(time_roundtrip),
	    cmocka_unit_test(time_bad),
	    cmocka_unit_test(time_date_vn),
	    cmocka_unit_test(canonical_sorted),
	    cmocka_unit_test(nfc_same_bytes),
	    cmocka_unit_test(json_nfc_keys_and_values),
	    cmocka_unit_test(same_is_canonical_bytes),
	    cmocka_unit_test(canonical_buf_same_bytes),
	    cmocka_unit_test(merge_patch_rfc7396),
	    cmocka_unit_test(diff_then_patch),
	    cmocka_unit_test(sha256_known),
	    cmocka_unit_test(exit_codes),
	    cmocka_unit_test(days_in_month_gregorian),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
