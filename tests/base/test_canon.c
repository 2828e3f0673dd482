/* test_canon.c: base/canon.c writes the very bytes jansson's sorted compact dump gives
 * (the bytes every journal hash and every stored state rests on): the escapes, key order
 * by bytes (a key that is a prefix of another, a NUL inside a key), numbers at their
 * limits, reals, big and deep values, and thousands of random values; and it refuses
 * what jansson refuses (text that is not UTF-8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base.h"

#define FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

/* ds_json_canonical(v) and jansson's dump agree: both fail, or the same bytes. */
static void same_as_jansson(const json_t *v)
{
	char *want = json_dumps(v, FLAGS), *got = NULL;
	size_t n = 0;
	int rc = ds_json_canonical(v, &got, &n);

	if (!want) {
		assert_int_not_equal(rc, 0);
		assert_null(got);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, strlen(want));
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void escapes_and_keys(void **state)
{
	static const char text[] = "a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f é ễ 𝄞 ";
	json_t *o = json_object();

	json_object_set_new(o, "text", json_stringn(text, sizeof(text) - 1));
	json_object_set_new(o, "nul", json_stringn("x\0y", 3));
	json_object_setn_new(o, "a\0b", 3, json_integer(1));
	json_object_set_new(o, "a", json_integer(2));
	json_object_set_new(o, "ab", json_integer(3));
	json_object_set_new(o, "", json_null());
	json_object_set_new(o, "é", json_true());
	json_object_set_new(o, "Z", json_false());
	json_object_set_new(o, "max", json_integer(INT64_MAX));
	json_object_set_new(o, "min", json_integer(INT64_MIN));
	json_object_set_new(o, "zero", json_integer(0));
	json_object_set_new(o, "reals", json_pack("[f,f,f,f]", 0.1, -2.5e300, 1.0, 123456789.0));
	json_object_set_new(o, "empty", json_pack("{s:{},s:[],s:s}", "o", "a", "s", ""));
	same_as_jansson(o);
	same_as_jansson(json_object_get(o, "text"));
	same_as_jansson(json_object_get(o, "min"));
	json_decref(o);
	(void)state;
}

static void not_utf8_refused(void **state)
{
	static const char *const bad[] = {"\xc3",         "\xc0\x80",         "\xe0\x80\x80",
	                                  "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
	                                  "ok\x80"};
	json_t *o;
	char *s = (char *)"untouched";
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = json_pack("{s:[o]}", "k", json_stringn_nocheck(bad[i], strlen(bad[i])));
		same_as_jansson(o);
		assert_int_not_equal(ds_json_canonical(o, &s, NULL), 0);
		assert_null(s);
		json_decref(o);
	}
	(void)state;
}

static void big_and_deep(void **state)
{
	json_t *o = json_object(), *deep = json_string("bottom");
	char key[16];
	int i;

	for (i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "k%d", (i * 7919) % 1000);
		json_object_set_new(o, key, json_integer(i));
	}
	same_as_jansson(o);
	for (i = 0; i < 400; i++)
		deep = i % 2 ? json_pack("[o]", deep) : json_pack("{s:o}", "d", deep);
	same_as_jansson(deep);
	json_decref(deep);
	json_decref(o);
	(void)state;
}

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Random text from a small alphabet of the interesting bytes and characters. */
static json_t *rnd_text(char *buf, size_t *n)
{
	static const char *const bits[] = {"a", "z",  "A",    "0",    " ",    "\"", "\\",
	                                   "/", "\n", "\x01", "\x1f", "\x7f", "é",  "ễ",
	                                   "Đ", "𝄞",  "",     "ab",   "a"};
	size_t k = rnd() % 8, i, len = 0, l;

	for (i = 0; i < k; i++) {
		const char *b =
		    rnd() % 40 == 0 ? "\0" : bits[rnd() % (sizeof(bits) / sizeof(bits[0]))];
		l = b[0] ? strlen(b) : 1;
		memcpy(buf + len, b, l);
		len += l;
	}
	*n = len;
	return json_stringn(buf, len);
}

static json_t *rnd_value(int depth)
{
	char buf[64];
	size_t n, i, k;
	json_t *v;

	switch (depth > 4 ? rnd() % 5 : rnd() % 8) {
	case 0:
		return json_integer((json_int_t)(rnd() % 3 ? rnd() % 2000 : rnd()) - 1000);
	case 1:
		return rnd_text(buf, &n);
	case 2:
		return rnd() % 2 ? json_true() : rnd() % 2 ? json_false() : json_null();
	case 3:
		return json_real((double)(int64_t)(rnd() % 100000) / 64.0);
	case 4:
		return json_integer(rnd() % 2 ? INT64_MIN + (json_int_t)(rnd() % 3) : -1);
	case 5:
		v = json_array();
		for (i = 0, k = rnd() % 6; i < k; i++)
			json_array_append_new(v, rnd_value(depth + 1));
		return v;
	default:
		v = json_object();
		for (i = 0, k = rnd() % (depth ? 5 : 40); i < k; i++) {
			json_decref(rnd_text(buf, &n));
			json_object_setn_new(v, buf, n, rnd_value(depth + 1));
		}
		return v;
	}
}

static void random_values(void **state)
{
	json_t *v;
	int i;

	for (i = 0; i < 3000; i++) {
		v = rnd_value(0);
		same_as_jansson(v);
		json_decref(v);
	}
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(escapes_and_keys),
	    cmocka_unit_test(not_utf8_refused),
	    cmocka_unit_test(big_and_deep),
	    cmocka_unit_test(random_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
