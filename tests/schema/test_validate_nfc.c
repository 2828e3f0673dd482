/* test_validate_nfc.c: how schema_dossier_validate normalises text, for its fast paths:
 * a dossier already in NFC and held only by the caller is kept as it is; one that shares
 * a part with another value comes back as a new copy and leaves that value alone; text
 * outside Latin and Vietnamese (Greek, Hangul, combining marks) still gets NFC; a
 * decomposed key is composed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/schema/fixture.h"

static const char *name_of(const json_t *d)
{
	return json_string_value(json_object_get(json_object_get(d, "applicant"), "name"));
}

static void set_name(json_t *d, const char *name)
{
	json_object_set_new(json_object_get(d, "applicant"), "name", json_string(name));
}

/* Already NFC and owned by the caller alone: the same object, the same bytes. */
static void nfc_dossier_kept(void **state)
{
	json_t *d = fixture_dossier(), *keep = d;
	char *before, *after;

	set_name(d, "\xc4\x90\xe1\xba\xb7ng Th\xe1\xbb\x8b \xc6\xaf\xc6\xa1ng"); /* Đặng Thị Ương */
	before = fixture_canon(d);
	assert_int_equal(schema_dossier_validate(&d), 0);
	assert_ptr_equal(d, keep);
	after = fixture_canon(d);
	assert_string_equal(before, after);
	free(before);
	free(after);
	json_decref(d);
}

/* A part shared with another value: the result is a copy, the other value untouched. */
static void shared_part_copied(void **state)
{
	json_t *d = fixture_dossier(), *other = json_object();
	json_t *applicant = json_object_get(d, "applicant");

	json_object_set(other, "applicant", applicant);
	assert_int_equal(schema_dossier_validate(&d), 0);
	assert_ptr_not_equal(json_object_get(d, "applicant"), applicant);
	assert_ptr_equal(json_object_get(other, "applicant"), applicant);
	assert_true(json_equal(json_object_get(d, "applicant"), applicant));
	json_decref(other);
	json_decref(d);
}

/* Decomposed text anywhere (Latin with marks, Greek, Hangul jamo) comes back NFC. */
static void decomposed_text_composed(void **state)
{
	static const char *const in[][2] = {
	    {"Nguye\xcc\x82\xcc\x83n", "Nguy\xe1\xbb\x85n"},          /* e + ^ + ~ -> ễ */
	    {"\xce\xb1\xcc\x81", "\xce\xac"},                         /* α + ´ -> ά */
	    {"\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", "\xed\x95\x9c"}, /* ᄒ ᅡ ᆫ -> 한 */
	    {"\xe2\x84\xab", "\xc3\x85"},                             /* Å (Angstrom) -> Å */
	    {"\xc3\xa9\xcc\x81", "\xc3\xa9\xcc\x81"},                 /* é + ´ stays */
	};

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		json_t *d = fixture_dossier();

		set_name(d, in[i][0]);
		assert_int_equal(schema_dossier_validate(&d), 0);
		assert_string_equal(name_of(d), in[i][1]);
		json_decref(d);
	}
}

/* A key typed decomposed is composed, so an unknown field is named in NFC. */
static void decomposed_key_composed(void **state)
{
	json_t *d = fixture_dossier();

	json_object_set_new(d, "ghi cho\xcc\x81", json_string("x"));
	assert_int_equal(schema_dossier_validate(&d), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "unknown field 'ghi ch\xc3\xb3'"));
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(nfc_dossier_kept),
	    cmocka_unit_test(shared_part_copied),
	    cmocka_unit_test(decomposed_text_composed),
	    cmocka_unit_test(decomposed_key_composed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
