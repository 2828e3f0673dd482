/* test_deadline.c: due dates against a table computed by hand from docs/DOMAIN.md
 * "Deadlines" and the shipped data/calendar.json: working hours 07:00-11:30 and
 * 13:30-17:00 (a working day = 8 h), weekends, Tết, make-up days, supplement pauses.
 * Every row says how its answer was reached; all times are +07:00. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/schema/fixture.h"

#define WD SCHEMA_UNIT_WORKING_DAYS
#define WH SCHEMA_UNIT_WORKING_HOURS
#define CD SCHEMA_UNIT_CALENDAR_DAYS

static schema_calendar *cal;
static schema_catalogue *cat;

static int64_t at(const char *s)
{
	int64_t t = 0;

	assert_int_equal(ds_time_parse(s, &t, NULL), 0);
	return t;
}

static void assert_time(int64_t got, const char *want)
{
	char text[DS_TIME_LEN];

	ds_time_format(got, DS_TZ_VN, text);
	assert_string_equal(text, want);
}

static const struct due_case {
	const char *received;
	int amount, unit;
	const char *due;
} due_cases[] = {
    /* 1. Fri 16:30, 3 working days = 24 h: Fri 0.5 h (23.5 left), Mon 30/11 8 (15.5),
     * Tue 8 (7.5), Wed 07:00-11:30 4.5 (3), 13:30 + 3 h = Wed 16:30. */
    {"2026-11-27T16:30:00+07:00", 3, WD, "2026-12-02T16:30:00+07:00"},
    /* 2. Mon 07:00, 1 day: the whole of Monday, ending at the close, 17:00. */
    {"2026-11-30T07:00:00+07:00", 1, WD, "2026-11-30T17:00:00+07:00"},
    /* 3. Mon 08:15, 1 day: Mon 3.25 + 3.5 = 6.75 h (1.25 left), Tue 07:00 + 1:15. */
    {"2026-11-30T08:15:00+07:00", 1, WD, "2026-12-01T08:15:00+07:00"},
    /* 4. After 17:00 (Mon 17:30): counts from Tue 07:00; 1 day ends Tue 17:00. */
    {"2026-11-30T17:30:00+07:00", 1, WD, "2026-12-01T17:00:00+07:00"},
    /* 5. At 17:00 sharp: nothing left that day, same as after hours. */
    {"2026-11-30T17:00:00+07:00", 1, WD, "2026-12-01T17:00:00+07:00"},
    /* 6. Before opening (Tue 06:00): counts from Tue 07:00, ends Tue 17:00. */
    {"2026-12-01T06:00:00+07:00", 1, WD, "2026-12-01T17:00:00+07:00"},
    /* 7. Saturday intake: counts from Mon 07:00, 1 day ends Mon 17:00. */
    {"2026-11-28T09:00:00+07:00", 1, WD, "2026-11-30T17:00:00+07:00"},
    /* 8. Sunday intake, 3 days: Mon, Tue, Wed in full, Wed 17:00. */
    {"2026-11-29T10:00:00+07:00", 3, WD, "2026-12-02T17:00:00+07:00"},
    /* 9. Hours over lunch: Tue 10:00 + 4 h: 10:00-11:30 1.5 (2.5 left), 13:30 + 2.5. */
    {"2026-12-01T10:00:00+07:00", 4, WH, "2026-12-01T16:00:00+07:00"},
    /* 10. Intake at lunch (12:00), 2 h: counts from 13:30, ends 15:30. */
    {"2026-12-01T12:00:00+07:00", 2, WH, "2026-12-01T15:30:00+07:00"},
    /* 11. Chứng thực, 8 h from Thu 15:30: Thu 1.5 (6.5 left), Fri morning 4.5 (2),
     * 13:30 + 2 = Fri 15:30. */
    {"2026-12-03T15:30:00+07:00", 8, WH, "2026-12-04T15:30:00+07:00"},
    /* 12. Seconds survive: Mon 09:10:30 + 4 h: to 11:30 is 2:19:30 (1:40:30 left),
     * 13:30 + 1:40:30. */
    {"2026-11-30T09:10:30+07:00", 4, WH, "2026-11-30T15:10:30+07:00"},
    /* 13. Calendar days: Mon 30/11 + 15 days = Tue 15/12, at the close. */
    {"2026-11-30T09:00:00+07:00", 15, CD, "2026-12-15T17:00:00+07:00"},
    /* 14. Calendar days ending on a Saturday: Wed 2/12 + 10 = Sat 12/12, moved to the next
     * working day, Mon 14/12. */
    {"2026-12-02T10:00:00+07:00", 10, CD, "2026-12-14T17:00:00+07:00"},
    /* 15. Calendar days across Tết 2026: Fri 6/2 + 15 = Sat 21/2; Sun 22 off; Mon 23/2. */
    {"2026-02-06T09:00:00+07:00", 15, CD, "2026-02-23T17:00:00+07:00"},
    /* 16. Calendar days after hours: Fri 18:00 counts from Mon 30/11; + 15 = Tue 15/12. */
    {"2026-11-27T18:00:00+07:00", 15, CD, "2026-12-15T17:00:00+07:00"},
    /* 17. Across Tết 2026 (off Sat 14/2 to Sun 22/2): Fri 13/2 16:00, 3 days = 24 h:
     * Fri 1 (23 left), Mon 23/2 8 (15), Tue 8 (7), Wed morning 4.5 (2.5), 13:30 + 2.5. */
    {"2026-02-13T16:00:00+07:00", 3, WD, "2026-02-25T16:00:00+07:00"},
    /* 18. Across Tết 2025 (off Sat 25/1 to Sun 2/2): Fri 24/1 10:00, 1 day: Fri 1.5 + 3.5
     * = 5 (3 left), Mon 3/2 07:00 + 3 = 10:00. */
    {"2025-01-24T10:00:00+07:00", 1, WD, "2025-02-03T10:00:00+07:00"},
    /* 19. Make-up Saturday 26/4/2025 counts: Fri 25/4 14:00, 1 day: Fri 3 (5 left),
     * Sat 07:00-11:30 4.5 (0.5), 13:30 + 0.5 = Sat 14:00. */
    {"2025-04-25T14:00:00+07:00", 1, WD, "2025-04-26T14:00:00+07:00"},
    /* 20. Intake on that Saturday, 3 days = 24 h: Sat 08:00 3.5 + 3.5 = 7 (17 left), Mon
     * 28/4 8 (9), Tue 29/4 8 (1); 30/4, 1/5, Fri 2/5 (swapped) and the weekend off;
     * Mon 5/5 07:00 + 1. */
    {"2025-04-26T08:00:00+07:00", 3, WD, "2025-05-05T08:00:00+07:00"},
    /* 21. Hùng Kings 2026 falls on Sunday 26/4, so Mon 27/4 is off: Fri 24/4 09:00, 2 days
     * = 16 h: Fri 2.5 + 3.5 = 6 (10 left), Tue 28/4 8 (2), Wed 29/4 07:00 + 2. */
    {"2026-04-24T09:00:00+07:00", 2, WD, "2026-04-29T09:00:00+07:00"},
    /* 22. Quốc khánh 2025 (Mon 1/9 and Tue 2/9 off): Fri 29/8 15:00, 7 days = 56 h: Fri 2
     * (54), Wed 3/9 .. Wed 10/9 six days 48 (6), Thu 11/9 morning 4.5 (1.5), 13:30 + 1.5. */
    {"2025-08-29T15:00:00+07:00", 7, WD, "2025-09-11T15:00:00+07:00"},
    /* 23. Tết 2027 as expected (off Fri 5/2 to Thu 11/2): Thu 4/2 09:00, 1 day: Thu 2.5 +
     * 3.5 = 6 (2 left), Fri 12/2 07:00 + 2. */
    {"2027-02-04T09:00:00+07:00", 1, WD, "2027-02-12T09:00:00+07:00"},
    /* 24. New Year 2026 (Thu 1/1 off): Wed 31/12/2025 13:30, 1 day: Wed 3.5 (4.5 left),
     * Fri 2/1 07:00 + 4.5 = 11:30, the close of the morning. */
    {"2025-12-31T13:30:00+07:00", 1, WD, "2026-01-02T11:30:00+07:00"},
};

static void due_table(void **state)
{
	size_t i;
	int64_t due;

	for (i = 0; i < DS_ARRAY_LEN(due_cases); i++) {
		const struct due_case *c = &due_cases[i];

		print_message("case %zu: %s + %d\n", i + 1, c->received, c->amount);
		assert_int_equal(
		    schema_deadline_add(cal, at(c->received), c->amount, c->unit, &due), 0);
		assert_time(due, c->due);
	}
}

/* The supplement pause: the due date moves by the working time spent waiting. */
static void one_pause(void **state)
{
	int64_t due;

	/* Due Wed 2/12 16:30 (case 1); waiting Mon 30/11 10:00-14:00 held 1.5 + 0.5 = 2 h:
	 * Wed 16:30-17:00 0.5 (1.5 left), Thu 3/12 07:00 + 1.5 = 08:30. */
	assert_int_equal(schema_deadline_pause(cal, at("2026-12-02T16:30:00+07:00"),
	                                       at("2026-11-30T10:00:00+07:00"),
	                                       at("2026-11-30T14:00:00+07:00"), &due),
	                 0);
	assert_time(due, "2026-12-03T08:30:00+07:00");
}

static void two_pauses(void **state)
{
	int64_t due, moved;

	/* 5 days = 40 h from Mon 30/11 08:00: Mon 7 (33), Tue-Fri 32 (1), Mon 7/12 08:00. */
	assert_int_equal(schema_deadline_add(cal, at("2026-11-30T08:00:00+07:00"), 5, WD, &due), 0);
	assert_time(due, "2026-12-07T08:00:00+07:00");
	/* Pause 1, Tue 1/12 16:00 to Wed 2/12 09:00: Tue 1 + Wed 2 = 3 h -> Mon 7/12 11:00. */
	assert_int_equal(schema_deadline_pause(cal, due, at("2026-12-01T16:00:00+07:00"),
	                                       at("2026-12-02T09:00:00+07:00"), &moved),
	                 0);
	assert_time(moved, "2026-12-07T11:00:00+07:00");
	/* Pause 2, Fri 4/12 11:00 to Mon 7/12 07:30: Fri 0.5 + 3.5, Mon 0.5 = 4.5 h: Mon
	 * 11:00-11:30 0.5 (4), 13:30-17:00 3.5 (0.5), Tue 8/12 07:30. */
	assert_int_equal(schema_deadline_pause(cal, moved, at("2026-12-04T11:00:00+07:00"),
	                                       at("2026-12-07T07:30:00+07:00"), &moved),
	                 0);
	assert_time(moved, "2026-12-08T07:30:00+07:00");
}

static void pause_off_hours(void **state)
{
	int64_t due;

	/* Requested Fri 27/11 17:30, papers back Mon 30/11 06:45: no working time passed,
	 * the due date stays, even at a close of hours. */
	assert_int_equal(schema_deadline_pause(cal, at("2026-12-02T11:30:00+07:00"),
	                                       at("2026-11-27T17:30:00+07:00"),
	                                       at("2026-11-30T06:45:00+07:00"), &due),
	                 0);
	assert_time(due, "2026-12-02T11:30:00+07:00");
	/* Over Tết 2026, Fri 13/2 15:00 to Mon 23/2 08:00: Fri 2 + Mon 1 = 3 h; due Wed 25/2
	 * 16:00 moves: 16:00-17:00 1 (2 left), Thu 26/2 07:00 + 2. */
	assert_int_equal(schema_deadline_pause(cal, at("2026-02-25T16:00:00+07:00"),
	                                       at("2026-02-13T15:00:00+07:00"),
	                                       at("2026-02-23T08:00:00+07:00"), &due),
	                 0);
	assert_time(due, "2026-02-26T09:00:00+07:00");
}

static void working_days(void **state)
{
	assert_int_equal(schema_calendar_working_day(cal, 2025, 4, 26), 1); /* make-up Sat */
	assert_int_equal(schema_calendar_working_day(cal, 2025, 5, 2), 0);  /* swapped Fri */
	assert_int_equal(schema_calendar_working_day(cal, 2026, 2, 17), 0); /* mùng 1 Tết */
	assert_int_equal(schema_calendar_working_day(cal, 2026, 4, 27), 0); /* compensatory */
	assert_int_equal(schema_calendar_working_day(cal, 2026, 4, 28), 1);
	assert_int_equal(schema_calendar_working_day(cal, 2027, 4, 16), 0); /* 10/3 lunar */
	assert_int_equal(schema_calendar_working_day(cal, 2027, 2, 12), 1);
	assert_int_equal(schema_calendar_working_day(cal, 2026, 12, 5), 0); /* Saturday */
	assert_int_equal(schema_calendar_working_day(cal, 2028, 1, 3), DS_ENOTFOUND);
	assert_int_equal(schema_calendar_day_seconds(cal), 8 * 3600);
}

static void outside_the_calendar(void **state)
{
	int64_t due;

	/* Thu 30/12/2027 + 5 days walks into 2028, which the calendar does not know. */
	assert_int_equal(schema_deadline_add(cal, at("2027-12-30T09:00:00+07:00"), 5, WD, &due),
	                 DS_ENOTFOUND);
	assert_non_null(strstr(ds_error_msg(), "covers 2025-2027"));
	assert_int_equal(schema_deadline_add(cal, at("2024-12-30T09:00:00+07:00"), 1, WD, &due),
	                 DS_ENOTFOUND);
}

/* Every procedure dsgen and the demo use has a time for each channel. */
static void shipped_catalogue(void **state)
{
	static const char *const codes[] = {"1.001193", "1.000894", "1.001022", "1.004194",
	                                    "2.000908", "1.004873", "1.003005", "1.001612"};
	int amount, unit, ch;
	size_t i;
	int64_t due;

	for (i = 0; i < DS_ARRAY_LEN(codes); i++)
		for (ch = 1; ch <= 3; ch++)
			assert_int_equal(schema_catalogue_time(cat, codes[i], ch, &amount, &unit),
			                 0);
	/* Đăng ký thường trú: 7 working days, as case 22. */
	assert_int_equal(
	    schema_deadline_due(cal, cat, "1.004194", 2, at("2025-08-29T15:00:00+07:00"), &due), 0);
	assert_time(due, "2025-09-11T15:00:00+07:00");
	assert_int_equal(schema_catalogue_time(cat, "9.999999", 1, &amount, &unit), DS_ENOTFOUND);
	assert_int_equal(schema_catalogue_time(cat, "1.001193", 4, &amount, &unit), DS_ENOTFOUND);
}

static void fill_new_dossier(void **state)
{
	json_t *d = json_pack("{s:{s:s, s:s}, s:i, s:s}", "procedure", "code", "1.004873", "name",
	                      "Cấp giấy xác nhận tình trạng hôn nhân", "channel", 1, "received_at",
	                      "2026-11-27T16:30:00+07:00");
	json_t *explicit_due = json_pack("{s:s, s:s}", "received_at", "2026-11-27T16:30:00+07:00",
	                                 "due_at", "2026-12-31T17:00:00+07:00");

	/* 3 working days from Fri 16:30: case 1. */
	assert_int_equal(schema_deadline_fill(d, cal, cat), 0);
	assert_string_equal(json_string_value(json_object_get(d, "due_at")),
	                    "2026-12-02T16:30:00+07:00");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(d, "due_basis"), "calendar")),
	    "vn-2026.1");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(d, "due_basis"), "catalogue")),
	    "2026.1");
	/* An explicit due_at is kept, with no due_basis. */
	assert_int_equal(schema_deadline_fill(explicit_due, cal, cat), 0);
	assert_string_equal(json_string_value(json_object_get(explicit_due, "due_at")),
	                    "2026-12-31T17:00:00+07:00");
	assert_null(json_object_get(explicit_due, "due_basis"));
	/* Without data files a missing due_at is refused. */
	json_object_del(d, "due_at");
	assert_int_equal(schema_deadline_fill(d, NULL, NULL), DS_EINVALID);
	json_decref(d);
	json_decref(explicit_due);
}

/* The move 5 -> 4 as a patch: the newest uncounted supplement, counted once; without one,
 * the time between the moves into 5 and into 4. */
static void resume_patch(void **state)
{
	json_t *d = fixture_json(
	    "{\"due_at\": \"2026-12-07T08:00:00+07:00\", \"progress\": ["
	    "{\"id\": \"s-n-2\", \"when\": \"2026-12-01T15:00:00+07:00\", \"status\": 5},"
	    "{\"id\": \"s-n-3\", \"when\": \"2026-12-02T10:00:00+07:00\", \"status\": 4}],"
	    "\"supplements\": [{\"id\": \"bs1\", \"requested_at\": \"2026-12-01T16:00:00+07:00\","
	    "\"received_at\": \"2026-12-02T09:00:00+07:00\"}]}");
	json_t *patch = NULL;

	/* bs1: Tue 16:00-17:00 + Wed 07:00-09:00 = 3 h (two_pauses): Mon 7/12 11:00. */
	assert_int_equal(schema_deadline_resume(d, cal, "lan", &patch), 0);
	assert_string_equal(json_string_value(json_object_get(patch, "due_at")),
	                    "2026-12-07T11:00:00+07:00");
	assert_string_equal(json_string_value(json_object_get(patch, "original_due_at")),
	                    "2026-12-07T08:00:00+07:00");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(patch, "progress"), 2), "id")),
	                    "due-bs1");
	assert_int_equal(ds_json_merge_patch(&d, patch), 0);
	json_decref(patch);
	/* bs1 is counted now: the moves into 5 (Tue 15:00) and 4 (Wed 10:00) count instead,
	 * Tue 2 h + Wed 3 h = 5 h: Mon 7/12 11:00-11:30 0.5 (4.5 left), 13:30-17:00 3.5 (1), Tue
	 * 8/12 07:00 + 1. */
	assert_int_equal(schema_deadline_resume(d, cal, "lan", &patch), 0);
	assert_string_equal(json_string_value(json_object_get(patch, "due_at")),
	                    "2026-12-08T08:00:00+07:00");
	assert_null(json_object_get(patch, "original_due_at"));
	assert_int_equal(ds_json_merge_patch(&d, patch), 0);
	json_decref(patch);
	/* Both counted: nothing left to move. */
	assert_int_equal(schema_deadline_resume(d, cal, "lan", &patch), 0);
	assert_null(patch);
	json_decref(d);
}

/* due_basis is part of the format: two versions, nothing else. */
static void basis_validates(void **state)
{
	json_t *d = fixture_dossier();

	json_object_set_new(
	    d, "due_basis",
	    json_pack("{s:s, s:s}", "calendar", "vn-2026.1", "catalogue", "2026.1"));
	assert_int_equal(schema_dossier_validate(&d), 0);
	json_object_set_new(json_object_get(d, "due_basis"), "calendar", json_string("vn 2026"));
	assert_int_equal(schema_dossier_validate(&d), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "due_basis.calendar"));
	json_object_set_new(d, "due_basis", json_pack("{s:s}", "calendar", "vn-2026.1"));
	assert_int_equal(schema_dossier_validate(&d), DS_EINVALID);
	json_decref(d);
}

static int load_text(schema_calendar **c, const char *text)
{
	schema_calendar_free(*c);
	*c = NULL;
	return schema_calendar_load(c, text, strlen(text));
}

static void bad_calendars(void **state)
{
	schema_calendar *c = NULL;
	const char *head = "{\"version\": \"t.1\", \"timezone\": \"+07:00\", \"weekend\": [6, 7], "
	                   "\"hours\": [[\"07:00\", \"11:30\"], [\"13:30\", \"17:00\"]], ";
	char text[1024];

	snprintf(text, sizeof(text),
	         "%s\"years\": [{\"year\": 2025, \"holidays\": [], "
	         "\"workdays\": []}]}",
	         head);
	assert_int_equal(load_text(&c, text), 0);
	/* A gap between years leaves days unknown. */
	snprintf(text, sizeof(text),
	         "%s\"years\": [{\"year\": 2025, \"holidays\": [], "
	         "\"workdays\": []}, {\"year\": 2027, \"holidays\": [], "
	         "\"workdays\": []}]}",
	         head);
	assert_int_equal(load_text(&c, text), DS_EINVALID);
	/* A holiday of another year, and a date listed twice. */
	snprintf(text, sizeof(text),
	         "%s\"years\": [{\"year\": 2025, \"holidays\": [{\"date\": "
	         "\"2026-01-01\", \"name\": \"x\"}], \"workdays\": []}]}",
	         head);
	assert_int_equal(load_text(&c, text), DS_EINVALID);
	snprintf(text, sizeof(text),
	         "%s\"years\": [{\"year\": 2025, \"holidays\": [{\"date\": "
	         "\"2025-05-01\", \"name\": \"x\"}], \"workdays\": [{\"date\": "
	         "\"2025-05-01\", \"name\": \"y\"}]}]}",
	         head);
	assert_int_equal(load_text(&c, text), DS_EINVALID);
	/* Overlapping hours. */
	assert_int_equal(load_text(&c, "{\"version\": \"t.1\", \"timezone\": \"+07:00\", "
	                               "\"weekend\": [], \"hours\": [[\"07:00\", \"12:00\"], "
	                               "[\"11:30\", \"17:00\"]], \"years\": []}"),
	                 DS_EINVALID);
	schema_calendar_free(c);
}

static void bad_catalogues(void **state)
{
	static const char *const bad[] = {
	    "{\"version\": \"c.1\", \"procedures\": [{\"code\": \"1.1\", \"name\": \"x\", "
	    "\"processing\": {\"4\": {\"amount\": 1, \"unit\": \"working_days\"}}}]}",
	    "{\"version\": \"c.1\", \"procedures\": [{\"code\": \"1.1\", \"name\": \"x\", "
	    "\"processing\": {\"1\": {\"amount\": 0, \"unit\": \"working_days\"}}}]}",
	    "{\"version\": \"c.1\", \"procedures\": [{\"code\": \"1.1\", \"name\": \"x\", "
	    "\"processing\": {\"1\": {\"amount\": 2, \"unit\": \"weeks\"}}}]}",
	    "{\"version\": \"c 1\", \"procedures\": []}",
	    "{\"version\": \"c.1\", \"procedures\": [{\"code\": \"1.1\", \"name\": \"x\", "
	    "\"processing\": {}}, {\"code\": \"1.1\", \"name\": \"y\", \"processing\": {}}]}",
	};
	schema_catalogue *c = NULL;
	size_t i;

	for (i = 0; i < DS_ARRAY_LEN(bad); i++) {
		assert_int_equal(schema_catalogue_load(&c, bad[i], strlen(bad[i])), DS_EINVALID);
		assert_null(c);
	}
}

static char *slurp(const char *name)
{
	char *path = ds_asprintf("%s/%s", DOSSYNC_DATA_SRC, name);
	ds_buf b = DS_BUF_INIT;

	assert_int_equal(ds_file_read(path, 0, &b), 0);
	free(path);
	return ds_buf_detach(&b, NULL);
}

static int setup(void **state)
{
	char *c = slurp("calendar.json"), *p = slurp("procedures.json");
	int rc =
	    schema_calendar_load(&cal, c, strlen(c)) || schema_catalogue_load(&cat, p, strlen(p));

	free(c);
	free(p);
	return rc;
}

static int teardown(void **state)
{
	schema_calendar_free(cal);
	schema_catalogue_free(cat);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(due_table),         cmocka_unit_test(one_pause),
	    cmocka_unit_test(two_pauses),        cmocka_unit_test(pause_off_hours),
	    cmocka_unit_test(working_days),      cmocka_unit_test(outside_the_calendar),
	    cmocka_unit_test(shipped_catalogue), cmocka_unit_test(fill_new_dossier),
	    cmocka_unit_test(bad_calendars),     cmocka_unit_test(bad_catalogues),
	    cmocka_unit_test(basis_validates),   cmocka_unit_test(resume_patch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
