/* test_json_fast.c: ds_json_parse_fast gives what ds_json_parse gives, value for value and
 * error for error: on hand-picked texts, on random values written canonical and indented,
 * and on those texts with bytes changed at random. */
#include "base/base.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Both readers on the same n bytes: both fail with the same message, or both give equal
 * values. */
static void same(const char *s, size_t n)
{
	json_t *a = NULL, *b = NULL;
	char msg[512];
	int ra = ds_json_parse(s, n, &a), rb;

	snprintf(msg, sizeof(msg), "%s", ra ? ds_error_msg() : "");
	rb = ds_json_parse_fast(s, n, &b);
	assert_int_equal(ra, rb);
	if (ra) {
		assert_string_equal(msg, ds_error_msg());
		assert_null(b);
	} else {
		assert_true(json_equal(a, b));
		assert_int_equal(json_typeof(a), json_typeof(b));
	}
	json_decref(a);
	json_decref(b);
}

static void same_str(const char *s)
{
	same(s, strlen(s));
}

static void picked(void **state)
{
	static const char *const texts[] = {
	    "{}",
	    "[]",
	    "0",
	    "-0",
	    "12",
	    "-12",
	    "9223372036854775807",
	    "-9223372036854775808",
	    "9223372036854775808",
	    "1.5",
	    "1e3",
	    "-",
	    "01",
	    "true",
	    "false",
	    "null",
	    "tru",
	    "\"\"",
	    "\"a\"",
	    "\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"",
	    "\"\\u00e9\"",
	    "\"\\u0000\"",
	    "\"\xc3\xa9\"",
	    "\"\xc3\"",
	    "\"\xff\"",
	    "{\"a\":1,\"a\":2}",
	    "{\"a\":1,}",
	    "[1,]",
	    "[1 2]",
	    "{\"a\" 1}",
	    "{\"a\":}",
	    " {\"a\" : [ 1 , {\"b\":null} ] } ",
	    "{\"\":0}",
	    "{\"k\\n\":\"v\"}",
	    "{\"\xff\":1}",
	    "[1]x",
	    "\"abc",
	    "\"a\x01\"",
	    "[[[[[[]]]]]]",
	    "{\"code\":\"000.00.12.H22-251129-0001\",\"fee\":150000,\"tags\":[],\"x\":{}}",
	    "",
	    " ",
	    "[",
	    "]",
	    "{",
	    "nul",
	    "falsey",
	    "[true,false,null,\"\",0,-1]",
	};
	size_t i;
	char deep[300];

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		same_str(texts[i]);
	memset(deep, '[', 150);
	memset(deep + 150, ']', 150);
	same(deep, sizeof(deep)); /* past the quick reader's depth */
	same("[1]\0[2]", 7);      /* a NUL byte inside the text */
	same("12345", 3);         /* digits past n are not read */
}

static json_t *random_value(int depth);

static json_t *random_string(void)
{
	static const char *const parts[] = {
	    "a", "Nguy\xe1\xbb\x85n", "\"", "\\", "/", "\n", "\x01", "\x1f", " ",
	    "0", "\xc3\xa9",          "\t"};
	char buf[64] = "";
	int i, n = rand() % 6;

	for (i = 0; i < n; i++)
		strncat(buf, parts[rand() % 12], sizeof(buf) - strlen(buf) - 1);
	return json_string(buf);
}

static json_t *random_container(int depth)
{
	json_t *v = rand() % 2 ? json_object() : json_array();
	int i, n = rand() % 5;

	for (i = 0; i < n; i++) {
		json_t *e = random_value(depth + 1);
		if (json_is_object(v)) {
			json_t *k = random_string();
			json_object_set_new(v, json_string_value(k), e);
			json_decref(k);
		} else {
			json_array_append_new(v, e);
		}
	}
	return v;
}

static json_t *random_value(int depth)
{
	static const json_int_t ints[] = {
	    0, 1, -1, 42, 1000000007, -9223372036854775807LL - 1, 9223372036854775807LL};

	switch (rand() % (depth > 4 ? 5 : 7)) {
	case 0:
		return json_integer(ints[rand() % 7]);
	case 1:
		return random_string();
	case 2:
		return rand() % 2 ? json_true() : json_false();
	case 3:
		return json_null();
	case 4:
		return json_real((double)(rand() % 1000) / 8);
	default:
		return random_container(depth);
	}
}

static void random_texts(void **state)
{
	int i, j;

	(void)state;
	srand(13);
	for (i = 0; i < 3000; i++) {
		json_t *v = random_value(0);
		char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *pretty = json_dumps(v, JSON_INDENT(1) | JSON_ENCODE_ANY);
		size_t n = strlen(text);

		same(text, n);
		same(pretty, strlen(pretty));
		for (j = 0; j < 4 && n; j++) {
			text[rand() % n] = "\"\\{}[],:0-e.tx \xc3\xff"[rand() % 18];
			same(text, n);
		}
		free(text);
		free(pretty);
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(picked),
	    cmocka_unit_test(random_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
