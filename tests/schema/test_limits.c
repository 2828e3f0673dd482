/* test_limits.c: the size limits of a dossier (schema/limits.c), as schema_dossier_validate
 * applies them: a value at its limit passes, one character or item more is refused with a
 * message naming the field, and a dossier over 256 KiB of canonical JSON is refused naming
 * its largest field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/schema/fixture.h"

/* n times "ạ" (one character, three bytes), malloc'd. */
static char *viet(size_t n)
{
	char *s = malloc(3 * n + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(s + 3 * i, "\xe1\xba\xa1", 3);
	s[3 * n] = '\0';
	return s;
}

static void set_text(json_t *obj, const char *key, size_t n)
{
	char *s = viet(n);

	json_object_set_new(obj, key, json_string(s));
	free(s);
}

static void passes(json_t *d)
{
	if (schema_dossier_validate(&d) != 0)
		fail_msg("refused: %s", ds_error_msg());
	json_decref(d);
}

static void refused(json_t *d, const char *needle)
{
	assert_int_equal(schema_dossier_validate(&d), DS_EINVALID);
	if (!strstr(ds_error_msg(), needle))
		fail_msg("message \"%s\" lacks \"%s\"", ds_error_msg(), needle);
	json_decref(d);
}

static void text_fields(void **state)
{
	json_t *d = fixture_dossier();

	set_text(d, "summary", 2000);
	passes(json_deep_copy(d));
	set_text(d, "summary", 2001);
	refused(json_deep_copy(d), "summary: at most 2000 characters (got 2001)");
	set_text(d, "summary", 4 << 20); /* the review's 4 MB summary */
	refused(json_deep_copy(d), "summary: at most 2000 characters");
	json_object_del(d, "summary");
	set_text(json_object_get(d, "applicant"), "address", 500);
	passes(json_deep_copy(d));
	set_text(json_object_get(d, "applicant"), "address", 501);
	refused(json_deep_copy(d), "applicant.address: at most 500 characters (got 501)");
	json_decref(d);
}

static void item_fields(void **state)
{
	json_t *d = fixture_dossier();
	json_t *row = json_array_get(json_object_get(d, "progress"), 0);

	set_text(row, "what", 2001);
	refused(json_deep_copy(d), "progress[p0].what: at most 2000 characters");
	set_text(row, "what", 10);
	set_text(json_array_get(json_object_get(d, "components"), 0), "name", 501);
	refused(json_deep_copy(d), "components[tp1].name: at most 500 characters");
	json_decref(d);
}

/* d with n progress rows "r0".."r<n-1>". */
static json_t *with_rows(size_t n)
{
	json_t *d = fixture_dossier(), *list = json_array();
	char id[16];

	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "r%zu", i);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:i}", "id", id, "when",
		                                      "2024-04-14T07:00:00+07:00", "what",
		                                      "Chuyển bước", "status", 4));
	}
	json_object_set_new(d, "progress", list);
	return d;
}

static void lists(void **state)
{
	json_t *d = fixture_dossier(), *list = json_array();
	char id[16];

	passes(with_rows(1000));
	refused(with_rows(1001), "progress: at most 1000 items (got 1001)");
	for (int i = 0; i < 101; i++) {
		snprintf(id, sizeof(id), "lp%d", i);
		json_array_append_new(list, json_pack("{s:s, s:i}", "id", id, "amount", 1000));
	}
	json_object_set_new(d, "fees", list);
	refused(d, "fees: at most 100 items (got 101)");
}

/* n components, each named with 500 three-byte characters: about 1.5 KB each. */
static json_t *with_components(int n)
{
	json_t *d = fixture_dossier(), *list = json_array(), *item;
	char id[16];

	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "tp%d", i);
		item = json_pack("{s:s}", "id", id);
		set_text(item, "name", 500);
		json_array_append_new(list, item);
	}
	json_object_set_new(d, "components", list);
	return d;
}

static void whole_dossier(void **state)
{
	json_t *d = with_components(150); /* about 226 KB */
	char *text = fixture_canon(d);

	assert_true(strlen(text) < SCHEMA_DOSSIER_MAX_BYTES);
	free(text);
	passes(d);
	d = with_components(200); /* about 301 KB: every field within its own limit */
	text = fixture_canon(d);
	assert_true(strlen(text) > SCHEMA_DOSSIER_MAX_BYTES);
	free(text);
	refused(d, "components: the dossier is ");
	refused(with_components(200), "more than the 262144 allowed (components holds ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(text_fields),
	    cmocka_unit_test(item_fields),
	    cmocka_unit_test(lists),
	    cmocka_unit_test(whole_dossier),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
