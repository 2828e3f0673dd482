/* test_report.c: the indicators accumulator (schema/report.c) over a small table of
 * dossiers with hand-computed answers: counts per verdict, the period, the shares, and the
 * average processing time in working days with a supplement wait subtracted, by the shipped
 * calendar (2026: no holiday between 30/11 and 10/12). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/schema/fixture.h"

static schema_calendar *cal;

#define D(x) "2026-" x "+07:00"
#define A "\"procedure\":{\"code\":\"A\",\"name\":\"Thủ tục A\"}"
/* Each row: the dossier's JSON, and whether central holds its newest op. */
static const struct {
	const char *json;
	int synced;
} table[] = {
    /* A, online, Mon 08:00 -> Wed 08:00: 7 + 8 + 1 = 16 h = 2 days; on time; a scan. */
    {"{\"code\":\"c1\",\"agency\":\"X\"," A ",\"channel\":2,\"status\":9,"
     "\"received_at\":\"2026-11-30T08:00:00+07:00\",\"due_at\":\"2026-12-03T17:00:00+07:00\","
     "\"finished_at\":\"2026-12-02T08:00:00+07:00\",\"attachments\":[{\"id\":\"f1\"}]}",
     1},
    /* A, Tue 07:00 -> Thu 11:30: 8 + 8 + 4.5 = 20.5 h; late; a digitised component. */
    {"{\"code\":\"c2\",\"agency\":\"X\"," A ",\"channel\":1,\"status\":10,"
     "\"received_at\":\"2026-12-01T07:00:00+07:00\",\"due_at\":\"2026-12-02T17:00:00+07:00\","
     "\"finished_at\":\"2026-12-03T11:30:00+07:00\",\"returned_at\":\"2026-12-04T08:00:00+07:00\","
     "\"components\":[{\"id\":\"t1\",\"digitised\":true}]}",
     0},
    /* B, Wed 09:00 -> Tue 09:00: 6 + 8 + 8 + 8 + 2 = 32 h, less the wait Thu 09:00 -> Fri
     * 09:00 (2.5 + 3.5 + 2 = 8 h): 24 h = 3 days; on time (one request). */
    {"{\"code\":\"c3\",\"agency\":\"Y\",\"procedure\":{\"code\":\"B\"},\"channel\":1,"
     "\"status\":9,\"received_at\":\"2026-12-02T09:00:00+07:00\","
     "\"due_at\":\"2026-12-09T17:00:00+07:00\",\"finished_at\":\"2026-12-08T09:00:00+07:00\","
     "\"supplements\":[{\"id\":\"s1\",\"requested_at\":\"2026-12-03T09:00:00+07:00\","
     "\"received_at\":\"2026-12-04T09:00:00+07:00\"}]}",
     1},
    /* B, online, open, due Tue 8/12: overdue on Thu 10/12. */
    {"{\"code\":\"c4\",\"agency\":\"X\",\"procedure\":{\"code\":\"B\"},\"channel\":2,"
     "\"status\":4,\"received_at\":\"2026-12-03T10:00:00+07:00\","
     "\"due_at\":\"2026-12-08T17:00:00+07:00\"}",
     1},
    /* B, open, due 15/12: in time. */
    {"{\"code\":\"c5\",\"agency\":\"X\",\"procedure\":{\"code\":\"B\"},\"channel\":1,"
     "\"status\":2,\"received_at\":\"2026-12-04T10:00:00+07:00\","
     "\"due_at\":\"2026-12-15T17:00:00+07:00\"}",
     0},
    /* A, refused at intake: received, not judged. */
    {"{\"code\":\"c6\",\"agency\":\"X\",\"procedure\":{\"code\":\"A\"},\"channel\":1,"
     "\"status\":3,\"received_at\":\"2026-12-04T10:00:00+07:00\"}",
     0},
    /* A, received the day before the period (+07:00): not counted at all. */
    {"{\"code\":\"c7\",\"agency\":\"X\",\"procedure\":{\"code\":\"A\"},\"channel\":2,"
     "\"status\":9,\"received_at\":\"2026-11-29T23:59:59+07:00\","
     "\"due_at\":\"2026-12-01T17:00:00+07:00\",\"finished_at\":\"2026-12-01T08:00:00+07:00\"}",
     1},
};

/* The report of the table for the period 30/11-31/12 judged at Thu 10/12 12:00. */
static json_t *run(const schema_calendar *c, int by_office)
{
	schema_report *r = NULL;
	json_t *out;
	int64_t now;
	size_t i;

	assert_int_equal(ds_time_parse(D("12-10T12:00:00"), &now, NULL), 0);
	assert_int_equal(schema_report_new(&r, "2026-11-30", "2026-12-31", now, c, by_office), 0);
	for (i = 0; i < DS_ARRAY_LEN(table); i++) {
		json_t *d = fixture_json(table[i].json);

		assert_int_equal(schema_report_add(r, d, table[i].synced), 0);
		json_decref(d);
	}
	out = schema_report_json(r);
	schema_report_free(r);
	return out;
}

/* Compares the members of got named in want (a JSON object text). */
static void expect(const json_t *got, const char *want_text)
{
	json_t *want = fixture_json(want_text), *v;
	const char *key;

	json_object_foreach(want, key, v)
	{
		if (!json_equal(json_object_get(got, key), v))
			fail_msg("%s: got %s, want %s", key,
			         fixture_canon(json_object_get(got, key)), fixture_canon(v));
	}
	json_decref(want);
}

static void report_table(void **state)
{
	json_t *r = run(cal, 1), *procs;

	(void)state;
	/* 60.5 h / 3 = 20.17 h = 2.52 days. */
	expect(json_object_get(r, "total"),
	       "{\"received\":6,\"on_time\":2,\"late\":1,\"in_time\":1,\"overdue\":1,"
	       "\"not_judged\":1,\"finished\":3,\"on_time_pct\":66.7,\"avg_working_days\":2.52,"
	       "\"measured\":3,\"online\":2,\"digitised\":2,\"synced\":3,\"online_pct\":33.3,"
	       "\"digitised_pct\":33.3,\"synced_pct\":50.0,\"unmeasured\":0}");
	procs = json_object_get(r, "procedures");
	assert_int_equal(json_array_size(procs), 2);
	/* A: (16 + 20.5) / 2 = 18.25 h = 2.28 days. */
	expect(json_array_get(procs, 0),
	       "{\"procedure\":\"A\",\"name\":\"Thủ tục A\",\"received\":3,\"on_time\":1,"
	       "\"late\":1,\"not_judged\":1,\"avg_working_days\":2.28,\"online\":1,"
	       "\"digitised\":2,\"synced\":1}");
	expect(json_array_get(procs, 1),
	       "{\"procedure\":\"B\",\"received\":3,\"on_time\":1,\"overdue\":1,\"in_time\":1,"
	       "\"avg_working_days\":3.0,\"online\":1,\"digitised\":0,\"synced\":2}");
	expect(json_array_get(json_object_get(r, "offices"), 1),
	       "{\"office\":\"Y\",\"received\":1,\"on_time\":1}");
	expect(r, "{\"period\":{\"from\":\"2026-11-30\",\"to\":\"2026-12-31\"},"
	          "\"calendar\":\"vn-2026.1\",\"notes\":[],\"at\":\"" D("12-10T12:00:00") "\"}");
	json_decref(r);
}

/* The same wait recorded only as progress rows (into 5, back to 4) is subtracted alike. */
static void wait_from_progress(void **state)
{
	json_t *d = fixture_json(table[2].json), *r;
	schema_report *rep = NULL;

	(void)state;
	json_object_del(d, "supplements");
	json_object_set_new(
	    d, "progress",
	    fixture_json("[{\"id\":\"p1\",\"when\":\"" D(
	        "12-02T09:00:00") "\","
	                          "\"status\":4},{\"id\":\"p2\",\"when\":\"" D(
	                              "12-03T09:00:00") "\",\"status\":5},{\"id\":\"p3\","
	                                                "\"when\":\"" D(
	                                                    "12-04T09:00:00") "\",\"status\":4}]"));
	assert_int_equal(schema_report_new(&rep, NULL, NULL, 0, cal, 0), 0);
	assert_int_equal(schema_report_add(rep, d, 0), 0);
	r = schema_report_json(rep);
	expect(json_object_get(r, "total"), "{\"avg_working_days\":3.0,\"synced\":0}");
	assert_null(json_object_get(r, "offices"));
	json_decref(r);
	json_decref(d);
	schema_report_free(rep);
}

/* Without a calendar the average is null and a note says why; the counts stand. */
static void no_calendar(void **state)
{
	json_t *r = run(NULL, 0);

	(void)state;
	expect(json_object_get(r, "total"),
	       "{\"received\":6,\"on_time\":2,\"avg_working_days\":null,\"measured\":0}");
	assert_int_equal(json_array_size(json_object_get(r, "notes")), 1);
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(r, "notes"), 0)),
	                       "no working calendar"));
	json_decref(r);
}

/* A finished dossier the calendar's years (2025-2027) do not cover: counted, but left out
 * of the average, with a note. */
static void outside_calendar(void **state)
{
	json_t *d = fixture_json("{\"code\":\"c9\",\"procedure\":{\"code\":\"A\"},\"status\":9,"
	                         "\"received_at\":\"2027-12-30T08:00:00+07:00\","
	                         "\"due_at\":\"2028-01-10T17:00:00+07:00\","
	                         "\"finished_at\":\"2028-01-03T08:00:00+07:00\"}"),
	       *r;
	schema_report *rep = NULL;

	(void)state;
	assert_int_equal(schema_report_new(&rep, NULL, NULL, 0, cal, 0), 0);
	assert_int_equal(schema_report_add(rep, d, 1), 0);
	r = schema_report_json(rep);
	expect(json_object_get(r, "total"), "{\"received\":1,\"on_time\":1,\"measured\":0,"
	                                    "\"unmeasured\":1,\"avg_working_days\":null}");
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(r, "notes"), 0)),
	                       "1 finished dossier(s) fall outside the calendar's years"));
	json_decref(r);
	json_decref(d);
	schema_report_free(rep);
}

static void bad_period(void **state)
{
	schema_report *r = NULL;

	(void)state;
	assert_int_equal(schema_report_new(&r, "2026-02-30", NULL, 0, cal, 0), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "--from: '2026-02-30' is not a day"));
	assert_int_equal(schema_report_new(&r, "2026-12-01", "2026-11-30", 0, cal, 0), DS_EINVALID);
	assert_int_equal(schema_report_new(&r, NULL, "26-11-30", 0, cal, 0), DS_EINVALID);
	assert_null(r);
}

static int setup(void **state)
{
	char *path = ds_asprintf("%s/calendar.json", DOSSYNC_DATA_SRC);
	ds_buf b = DS_BUF_INIT;
	int rc = ds_file_read(path, 0, &b);

	(void)state;
	if (rc == 0)
		rc = schema_calendar_load(&cal, b.ptr, b.len);
	ds_buf_release(&b);
	free(path);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	schema_calendar_free(cal);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(report_table), cmocka_unit_test(wait_from_progress),
	    cmocka_unit_test(no_calendar),  cmocka_unit_test(outside_calendar),
	    cmocka_unit_test(bad_period),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
