/* test_text.c: units for base/text.c: ds_json_nfc keeps a value that is NFC already and
 * held by the caller alone, copies one that is shared or not NFC; ds_json_nfc_strict never
 * changes its input and names the field of a NUL character or of invalid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base.h"

#define VIET "\xc4\x90\xe1\xba\xb7ng Th\xe1\xbb\x8b \xc6\xaf\xc6\xa1ng" /* Đặng Thị Ương */
#define NFD "Nguye\xcc\x82\xcc\x83n"                                    /* e + ^ + ~ */
#define NFC "Nguy\xe1\xbb\x85n"                                         /* ễ */

static char *canon(const json_t *v)
{
	char *s = NULL;

	assert_int_equal(ds_json_canonical(v, &s, NULL), 0);
	return s;
}

/* NFC already (ASCII, Vietnamese, numbers, null) and unshared: the same object. */
static void nfc_kept_when_already(void **state)
{
	json_t *v = json_pack("{s:s, s:[s, i, n, b], s:{s:f}}", "name", VIET, "list", "abc", 1, 1,
	                      "sub", "x\xc3\xa9", 1.5);
	json_t *keep = v;
	char *before = canon(v), *after;

	assert_int_equal(ds_json_nfc(&v), 0);
	assert_ptr_equal(v, keep);
	after = canon(v);
	assert_string_equal(before, after);
	free(before);
	free(after);
	json_decref(v);
}

/* A part held by someone else: a new copy, the other holder's value untouched. */
static void nfc_copies_shared(void **state)
{
	json_t *part = json_string(NFD), *v = json_pack("{s:O}", "k", part);
	json_t *keep = v, *part2 = json_string("plain"), *w = json_pack("{s:O}", "k", part2);

	assert_int_equal(ds_json_nfc(&v), 0);
	assert_ptr_not_equal(v, keep);
	assert_string_equal(json_string_value(json_object_get(v, "k")), NFC);
	assert_string_equal(json_string_value(part), NFD);
	keep = w;
	assert_int_equal(ds_json_nfc(&w), 0); /* NFC but shared: copied all the same */
	assert_ptr_not_equal(w, keep);
	assert_ptr_not_equal(json_object_get(w, "k"), part2);
	json_decref(part);
	json_decref(part2);
	json_decref(v);
	json_decref(w);
}

/* Strict: an unshared NFC value comes back itself (one more reference), untouched. */
static void strict_kept_when_already(void **state)
{
	json_t *v = json_pack("{s:s}", "name", VIET), *out = NULL;

	assert_int_equal(ds_json_nfc_strict(v, &out), 0);
	assert_ptr_equal(out, v);
	json_decref(out);
	json_decref(v);
}

/* Strict: decomposed text and keys give a new NFC copy; the input keeps its bytes. */
static void strict_composes(void **state)
{
	json_t *v = json_pack("{s:[s], s:i}", "k", NFD, "cho\xcc\x81", 1), *out = NULL;
	char *s;

	assert_int_equal(ds_json_nfc_strict(v, &out), 0);
	assert_ptr_not_equal(out, v);
	s = canon(out);
	assert_string_equal(s, "{\"ch\xc3\xb3\":1,\"k\":[\"" NFC "\"]}");
	free(s);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "k"), 0)), NFD);
	json_decref(out);
	json_decref(v);
}

/* Strict: a NUL character is refused, named by its path. */
static void strict_refuses_nul(void **state)
{
	json_t *v = json_pack("{s:{s:s%}}", "a", "summary", "x\0y", (size_t)3), *out = NULL;

	assert_int_equal(ds_json_nfc_strict(v, &out), DS_EINVALID);
	assert_null(out);
	assert_string_equal(ds_error_msg(), "a.summary: text must not contain NUL characters");
	json_decref(v);
}

/* Strict: invalid UTF-8 in a list item, in a key, at the top; each named. */
static void strict_names_bad_utf8(void **state)
{
	json_t *v = json_pack("{s:[s, {s:s}]}", "list", "ok", "name", "ok");
	json_t *top = json_stringn_nocheck("\xc4", 1), *out = NULL;

	json_object_set_new(json_array_get(json_object_get(v, "list"), 1), "name",
	                    json_stringn_nocheck("bad \xff", 5));
	assert_int_equal(ds_json_nfc_strict(v, &out), DS_EINVALID);
	assert_null(out);
	assert_string_equal(ds_error_msg(), "list[1].name: text is not valid UTF-8");
	json_decref(v);

	v = json_object();
	json_object_set_new_nocheck(v, "k\xe1\xbb", json_true());
	assert_int_equal(ds_json_nfc_strict(v, &out), DS_EINVALID);
	assert_string_equal(ds_error_msg(), "k\xe1\xbb: text is not valid UTF-8");
	json_decref(v);

	assert_int_equal(ds_json_nfc_strict(top, &out), DS_EINVALID);
	assert_string_equal(ds_error_msg(), "(top): text is not valid UTF-8");
	json_decref(top);
}

/* Search keys: what a clerk types without diacritics finds the name as written. */
static void fold_for_search(void **state)
{
	static const char *const cases[][2] = {
	    {"Nguyễn Văn An", "nguyen van an"},
	    {"  ĐẶNG   thị\tHỒNG  ", "dang thi hong"},
	    {"Nguye\xcc\x82\xcc\x83n", "nguyen"}, /* decomposed ễ */
	    {"Lê Đức Thọ 0963060905", "le duc tho 0963060905"},
	    {"000.00.12.H22-250101-0001", "000.00.12.h22-250101-0001"},
	    {"", ""},
	};
	size_t i;
	char *out;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ds_text_fold(cases[i][0], &out), 0);
		assert_string_equal(out, cases[i][1]);
		free(out);
	}
	assert_int_equal(ds_text_fold("bad \xff text", &out), DS_EINVALID);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(nfc_kept_when_already),    cmocka_unit_test(nfc_copies_shared),
	    cmocka_unit_test(strict_kept_when_already), cmocka_unit_test(strict_composes),
	    cmocka_unit_test(strict_refuses_nul),       cmocka_unit_test(strict_names_bad_utf8),
	    cmocka_unit_test(fold_for_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
