/* test_validate.c: dossier validation. The birth-registration example passes; each bad case below
 * is its own named test that must be refused with DS_EINVALID and a message naming the
 * field. Also NFC normalisation, patch checks, the overdue rule and the check of a dossier
 * already in normal form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/schema/fixture.h"

static void example_passes(void **state)
{
	json_t *d = fixture_dossier();
	char *before = fixture_canon(d), *after;

	if (schema_dossier_validate(&d) != 0)
		fail_msg("the example dossier was refused: %s", ds_error_msg());
	after = fixture_canon(d);
	assert_string_equal(before, after); /* already NFC: nothing changes */
	free(before);
	free(after);
	json_decref(d);
}

/* Optional fields the example leaves out, all filled in. */
static void full_dossier_passes(void **state)
{
	json_t *d = fixture_dossier();
	json_t *more = fixture_json(
	    "{\"handling_unit\": \"UBND xã Phúc Hòa\", \"submitted_at\": "
	    "\"2024-04-13T21:00:00+07:00\", \"original_due_at\": \"2024-04-16T17:00:00+07:00\","
	    " \"finished_at\": \"2024-04-15T10:00:00+07:00\", \"returned_at\": "
	    "\"2024-04-16T09:00:00+07:00\", \"status\": 7, \"prior_status\": 4,"
	    " \"applicant\": {\"email\": null, \"phone\": \"+84963060905\", \"representative\":"
	    " {\"name\": \"Phạm Văn Nam\", \"id_number\": \"068337861985\", \"phone\": "
	    "\"0912345678\", \"relation\": \"Cha\"}},"
	    " \"supplements\": [{\"id\": \"bs1\", \"requested_at\": "
	    "\"2024-04-14T09:00:00+07:00\", \"reason\": \"Thiếu giấy chứng sinh\", \"due_at\": "
	    "\"2024-04-20T17:00:00+07:00\", \"received_at\": \"2024-04-15T08:00:00+07:00\", "
	    "\"by\": \"Lan\"}],"
	    " \"result\": {\"number\": \"123/2024\", \"name\": \"Giấy khai sinh\", "
	    "\"issued_at\": \"2024-04-15T10:00:00Z\", \"note\": \"\"},"
	    " \"attachments\": [{\"id\": \"a1\", \"name\": \"to-khai.pdf\", \"mime\": "
	    "\"application/pdf\", \"size\": 204800, \"sha256\": "
	    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}],"
	    " \"fees\": [{\"id\": \"lp1\", \"code\": \"LP\", \"amount\": 1000000000000}]}");

	assert_int_equal(ds_json_merge_patch(&d, more), 0);
	if (schema_dossier_validate(&d) != 0)
		fail_msg("a full dossier was refused: %s", ds_error_msg());
	json_decref(more);
	json_decref(d);
}

/* ---------------------------------------------------------------- bad cases */
typedef struct bad_case {
	const char *name;
	const char *patch; /* a merge patch on the example, or NULL when set() builds it */
	void (*set)(json_t *d);
	const char *needle; /* the message must contain this */
} bad_case;

static void set_null_summary(json_t *d)
{
	json_object_set_new(d, "summary", json_null());
}

static void set_null_email(json_t *d)
{
	json_object_set_new(json_object_get(d, "applicant"), "email", json_null());
}

static void set_bad_utf8(json_t *d)
{
	/* "Ph\xe1m": a 3-byte sequence cut short. */
	json_object_set_new(json_object_get(d, "applicant"), "name",
	                    json_stringn_nocheck("Ph\xe1m Giang", 10));
}

static void set_bad_utf8_item(json_t *d)
{
	json_t *item = json_array_get(json_object_get(d, "components"), 0);

	json_object_set_new(item, "name", json_stringn_nocheck("T\xc0 khai", 7));
}

static void set_nul(json_t *d)
{
	json_object_set_new(d, "summary", json_stringn("ab\0cd", 5));
}

static void del_code(json_t *d)
{
	json_object_del(d, "code");
}

static void del_agency(json_t *d)
{
	json_object_del(d, "agency");
}

static void set_name_201(json_t *d)
{
	char name[256 * 2];

	memset(name, 0, sizeof(name));
	for (int i = 0; i < 201; i++)
		memcpy(name + 2 * i, "\xc3\xa0", 2); /* "à" x 201: 402 bytes, 201 characters */
	json_object_set_new(json_object_get(d, "applicant"), "name", json_string(name));
}

/* Initialiser macros stay one line each. */
/* clang-format off */
#define P(name, patch, needle) {name, patch, NULL, needle}
#define S(name, fn, needle) {name, NULL, fn, needle}
/* clang-format on */
#define FEE(amount) "{\"fees\": [{\"id\": \"lp1\", \"code\": \"LP\", \"amount\": " amount "}]}"

static const bad_case cases[] = {
    P("unknown top-level field", "{\"colour\": \"red\"}", "unknown field 'colour'"),
    P("unknown applicant field", "{\"applicant\": {\"nickname\": \"G\"}}",
      "unknown field 'applicant.nickname'"),
    P("unknown fee field", "{\"fees\": [{\"id\": \"lp1\", \"discount\": 5}]}",
      "unknown field 'fees[lp1].discount'"),
    P("unknown procedure field", "{\"procedure\": {\"level\": 4}}",
      "unknown field 'procedure.level'"),
    P("channel as text", "{\"channel\": \"1\"}", "channel: must be 1 (in person)"),
    P("channel 4", "{\"channel\": 4}", "channel: must be 1"),
    P("applicant as text", "{\"applicant\": \"Giang\"}", "applicant: must be an object"),
    P("components as object", "{\"components\": {}}", "components: must be a list"),
    P("digitised as text",
      "{\"components\": [{\"id\": \"tp1\", \"name\": \"Tờ khai\", \"digitised\": \"yes\"}]}",
      "components[tp1].digitised: must be true or false"),
    P("summary as number", "{\"summary\": 5}", "summary: must be text"),
    P("11-digit CCCD", "{\"applicant\": {\"id_number\": \"06833786198\"}}",
      "applicant.id_number: must be 12 digits (CCCD)"),
    P("CCCD with a letter", "{\"applicant\": {\"id_number\": \"06833786198A\"}}",
      "applicant.id_number: must be 12 digits (CCCD)"),
    P("CCCD as number", "{\"applicant\": {\"id_number\": 168337861984}}",
      "applicant.id_number: must be 12 digits (CCCD) (got a whole number)"),
    P("phone too short", "{\"applicant\": {\"phone\": \"09630609\"}}", "applicant.phone"),
    P("phone without 0", "{\"applicant\": {\"phone\": \"9963060905\"}}", "applicant.phone"),
    P("phone +84 too long", "{\"applicant\": {\"phone\": \"+84963060905123\"}}", "applicant.phone"),
    P("email without @", "{\"applicant\": {\"email\": \"congdan0.example.vn\"}}",
      "applicant.email"),
    P("email with a space", "{\"applicant\": {\"email\": \"cong dan@example.vn\"}}",
      "applicant.email"),
    P("email without a dot", "{\"applicant\": {\"email\": \"congdan@localhost\"}}",
      "applicant.email"),
    P("email with two @", "{\"applicant\": {\"email\": \"a@b@example.vn\"}}", "applicant.email"),
    P("real amount", FEE("10000.5"), "fees[lp1].amount: must be a whole number of VND ≥ 0"),
    P("negative amount", FEE("-1"), "fees[lp1].amount: must be a whole number of VND ≥ 0"),
    P("amount as text", FEE("\"10000\""), "fees[lp1].amount: must be a whole number of VND ≥ 0"),
    P("amount over 10^12", FEE("1000000000001"), "fees[lp1].amount"),
    P("time without offset", "{\"received_at\": \"2024-04-14T07:00:00\"}",
      "received_at: must be a time with its offset"),
    P("time not a date", "{\"fees\": [{\"id\": \"lp1\", \"paid_at\": \"hôm qua\"}]}",
      "fees[lp1].paid_at"),
    P("due before received", "{\"due_at\": \"2024-04-14T06:59:59+07:00\"}",
      "due_at: must not be before received_at"),
    P("duplicate item ids",
      "{\"components\": [{\"id\": \"tp1\", \"name\": \"A\"}, {\"id\": \"tp1\", \"name\": "
      "\"B\"}]}",
      "components[tp1]: the id is used by another item"),
    P("item id with a space", "{\"components\": [{\"id\": \"tp 1\", \"name\": \"A\"}]}",
      "components[0].id"),
    P("item without id", "{\"attachments\": [{\"name\": \"a.pdf\"}]}", "attachments[0].id"),
    P("item not an object", "{\"components\": [1]}", "components[0]"),
    S("null value", set_null_summary, "summary: null is not allowed"),
    S("null nested value", set_null_email, "applicant.email: null is not allowed"),
    S("invalid UTF-8", set_bad_utf8, "applicant.name: text is not valid UTF-8"),
    S("invalid UTF-8 in an item", set_bad_utf8_item, "components[0].name"),
    S("NUL in text", set_nul, "summary"),
    S("missing code", del_code, "code: is required"),
    S("missing agency", del_agency, "agency: is required"),
    P("missing applicant name", "{\"applicant\": {\"name\": null}}", "applicant.name: is required"),
    P("missing received_at", "{\"received_at\": null}", "received_at: is required"),
    P("missing progress time", "{\"progress\": [{\"id\": \"p0\", \"what\": \"Mới tiếp nhận\"}]}",
      "progress[p0].when: is required"),
    P("empty applicant name", "{\"applicant\": {\"name\": \"\"}}", "applicant.name"),
    S("applicant name of 201 characters", set_name_201, "applicant.name"),
    P("status 11", "{\"status\": 11}", "status: must be a status code 1 to 10"),
    P("status 0", "{\"status\": 0}", "status: must be a status code 1 to 10"),
    P("status as real", "{\"status\": 2.0}", "status"),
    P("progress status 11",
      "{\"progress\": [{\"id\": \"p0\", \"when\": \"2024-04-14T07:00:00+07:00\", "
      "\"status\": 11}]}",
      "progress[p0].status"),
    P("prior_status when status is not 7", "{\"prior_status\": 4}",
      "prior_status: allowed only while status is 7"),
    P("prior_status 3", "{\"status\": 7, \"prior_status\": 3}", "prior_status"),
    P("code of another agency", "{\"code\": \"000.00.13.H22-240414-0001\"}",
      "code: its agency part '000.00.13.H22' differs from agency '000.00.12.H22'"),
    P("malformed code", "{\"code\": \"000.00.12.H22-240431-0001\"}", "code: must be"),
    P("bad agency", "{\"agency\": \"000.00.12.h22\"}", "agency: must be"),
    P("procedure code with a letter", "{\"procedure\": {\"code\": \"1.001193a\"}}",
      "procedure.code"),
    P("empty procedure name", "{\"procedure\": {\"name\": \"\"}}", "procedure.name"),
    P("field with a space", "{\"field\": \"H T\"}", "field: must be"),
    P("negative originals",
      "{\"components\": [{\"id\": \"tp1\", \"name\": \"A\", \"originals\": -1}]}",
      "components[tp1].originals"),
    P("bad sha256", "{\"attachments\": [{\"id\": \"a1\", \"sha256\": \"E3B0\"}]}",
      "attachments[a1].sha256"),
    P("negative size", "{\"attachments\": [{\"id\": \"a1\", \"size\": -5}]}",
      "attachments[a1].size"),
    P("bad attachment kind", "{\"attachments\": [{\"id\": \"a1\", \"kind\": \"photo\"}]}",
      "attachments[a1].kind"),
    P("representative without name",
      "{\"applicant\": {\"representative\": {\"relation\": \"Cha\"}}}",
      "applicant.representative.name: is required"),
    P("unknown representative field",
      "{\"applicant\": {\"representative\": {\"name\": \"A\", \"age\": 40}}}",
      "unknown field 'applicant.representative.age'"),
    P("supplement without requested_at", "{\"supplements\": [{\"id\": \"bs1\"}]}",
      "supplements[bs1].requested_at: is required"),
    P("unknown result field", "{\"result\": {\"number\": \"1\", \"signer\": \"A\"}}",
      "unknown field 'result.signer'"),
};

static void bad_one(void **state)
{
	const bad_case *c = *state;
	json_t *d = fixture_dossier(), *keep, *before;

	if (c->patch) {
		json_t *patch = fixture_json(c->patch);
		assert_int_equal(ds_json_merge_patch(&d, patch), 0);
		json_decref(patch);
	} else {
		c->set(d);
	}
	keep = d;
	before = json_deep_copy(d); /* not canonical bytes: those refuse invalid UTF-8 */
	ds_error_clear();
	assert_int_equal(schema_dossier_validate(&d), DS_EINVALID);
	if (!strstr(ds_error_msg(), c->needle))
		fail_msg("%s: message \"%s\" does not name \"%s\"", c->name, ds_error_msg(),
		         c->needle);
	/* A refused dossier is left as it was. */
	assert_ptr_equal(d, keep);
	assert_true(json_equal(before, d));
	json_decref(before);
	json_decref(d);
}

static void not_an_object(void **state)
{
	json_t *d = fixture_json("[1, 2]");

	assert_int_equal(schema_dossier_validate(&d), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "must be a JSON object"));
	json_decref(d);
}

/* The same name typed precomposed (NFC) and decomposed (NFD) gives the same bytes. */
static void nfc_same_bytes(void **state)
{
	json_t *a = fixture_dossier(), *b = fixture_dossier();
	char *ca, *cb;

	json_object_set_new(json_object_get(a, "applicant"), "name",
	                    json_string("Ph\xe1\xba\xa1m Ng\xe1\xbb\x8d\x63 Giang"));
	json_object_set_new(json_object_get(b, "applicant"), "name",
	                    json_string("Pha\xcc\xa3m Ngo\xcc\xa3\x63 Giang"));
	assert_false(ds_json_same(a, b));
	assert_int_equal(schema_dossier_validate(&a), 0);
	assert_int_equal(schema_dossier_validate(&b), 0);
	ca = fixture_canon(a);
	cb = fixture_canon(b);
	assert_string_equal(ca, cb);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(b, "applicant"), "name")),
	    "Phạm Ngọc Giang");
	free(ca);
	free(cb);
	json_decref(a);
	json_decref(b);
}

static void patch_check(void **state)
{
	static const char *const refused[][2] = {
	    {"{\"code\": \"000.00.12.H22-240414-0002\"}", "code"},
	    {"{\"agency\": \"000.00.13.H22\"}", "agency"},
	    {"{\"status\": 4}", "status changes go through a transition"},
	    {"{\"prior_status\": null}", "prior_status"},
	};
	json_t *ok = fixture_json("{\"applicant\": {\"phone\": \"0912345678\"}, \"email\": null}");

	for (size_t i = 0; i < DS_ARRAY_LEN(refused); i++) {
		json_t *p = fixture_json(refused[i][0]);
		assert_int_equal(schema_patch_check(p), DS_EINVALID);
		assert_non_null(strstr(ds_error_msg(), refused[i][1]));
		json_decref(p);
	}
	assert_int_equal(schema_patch_check(ok), 0);
	json_decref(ok);
	ok = fixture_json("[]");
	assert_int_equal(schema_patch_check(ok), DS_EINVALID);
	json_decref(ok);
}

static void overdue(void **state)
{
	static const int ended[] = {3, 8, 9, 10};
	json_t *d = fixture_dossier(); /* due 2024-04-16T17:00:00+07:00 = 10:00Z */
	int64_t due = 0;

	assert_int_equal(ds_time_parse("2024-04-16T10:00:00Z", &due, NULL), 0);
	assert_false(schema_dossier_overdue(d, due));
	assert_true(schema_dossier_overdue(d, due + 1));
	json_object_set_new(d, "status", json_integer(5));
	assert_true(schema_dossier_overdue(d, due + 1));
	for (size_t i = 0; i < DS_ARRAY_LEN(ended); i++) {
		json_object_set_new(d, "status", json_integer(ended[i]));
		assert_false(schema_dossier_overdue(d, due + 86400));
	}
	json_decref(d);
}

/* A time given at another offset is stored at +07:00, the same instant; fractions go. */
static void times_stored_at_vn(void **state)
{
	json_t *d = fixture_dossier(), *sup;

	(void)state;
	json_object_set_new(d, "received_at", json_string("2024-04-14T00:15:00Z"));
	json_object_set_new(d, "due_at", json_string("2024-04-16T05:00:00.500-05:00"));
	sup = fixture_json("[{\"id\": \"s1\", \"requested_at\": \"2024-04-14T01:00:00Z\"}]");
	json_object_set_new(d, "supplements", sup);
	assert_int_equal(schema_dossier_validate(&d), 0);
	assert_string_equal(json_string_value(json_object_get(d, "received_at")),
	                    "2024-04-14T07:15:00+07:00");
	assert_string_equal(json_string_value(json_object_get(d, "due_at")),
	                    "2024-04-16T17:00:00+07:00");
	sup = json_array_get(json_object_get(d, "supplements"), 0);
	assert_string_equal(json_string_value(json_object_get(sup, "requested_at")),
	                    "2024-04-14T08:00:00+07:00");
	json_decref(d);
}

/* schema_dossier_check_normal answers 1 for a dossier whose times validation would
 * rewrite (another offset, a fraction, a lower-case t, second 60), 0 when they are all
 * as stored: the same answer as validating and comparing. */
static void check_normal_times(void **state)
{
	static const struct {
		const char *received_at;
		int off;
	} times[] = {
	    {"2024-04-14T07:15:00+07:00", 0},     {"2024-04-14T00:15:00Z", 1},
	    {"2024-04-14T07:15:00.000+07:00", 1}, {"2024-04-14t07:15:00+07:00", 1},
	    {"2024-04-14T07:15:60+07:00", 1},     {"2024-04-14T07:15:00+06:00", 1},
	    {"2024-04-14T07:15:59+07:00", 0},     {"2024-04-14T08:15:00+08:00", 1},
	};
	json_t *d, *v;

	(void)state;
	for (size_t i = 0; i < DS_ARRAY_LEN(times); i++) {
		d = fixture_dossier();
		json_object_set_new(d, "received_at", json_string(times[i].received_at));
		assert_int_equal(schema_dossier_check_normal(d), times[i].off);
		v = json_deep_copy(d);
		assert_int_equal(schema_dossier_validate(&v), 0);
		assert_int_equal(strcmp(json_string_value(json_object_get(v, "received_at")),
		                        times[i].received_at) != 0,
		                 times[i].off);
		json_decref(v);
		json_decref(d);
	}
	d = fixture_dossier();
	json_object_set_new(
	    d, "supplements",
	    fixture_json("[{\"id\": \"s1\", \"requested_at\": \"2024-04-14T01:00:00Z\"}]"));
	assert_int_equal(schema_dossier_check_normal(d), 1);
	json_decref(d);
}

int main(void)
{
	struct CMUnitTest tests[DS_ARRAY_LEN(cases) + 8];
	size_t n = 0;

	tests[n++] = (struct CMUnitTest)cmocka_unit_test(example_passes);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(full_dossier_passes);
	for (size_t i = 0; i < DS_ARRAY_LEN(cases); i++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(bad_one, (void *)&cases[i]);
		tests[n++].name = cases[i].name;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(not_an_object);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(nfc_same_bytes);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(patch_check);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(overdue);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(times_stored_at_vn);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(check_normal_times);
	return _cmocka_run_group_tests("test_schema_validate", tests, n, NULL, NULL);
}
