/* calendar.c: the office's working time. A working calendar (data/calendar.json, format in
 * data/README.md) gives the working hours, the weekend, and per year the holidays and the
 * make-up working days; this file loads it and adds or measures working time over it.
 * Pure: no clock, no files, no locale; the same calendar and inputs give the same answer.
 */
#include "schema/schema_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
#define MAX_SPANS 4
#define VERSION_MAX 40

enum { D_DEFAULT, D_HOLIDAY, D_WORKDAY }; /* what a year's list says of a day */

struct schema_calendar {
	char version[VERSION_MAX + 1];
	int tz;                  /* offset east of UTC, seconds */
	int spans[MAX_SPANS][2]; /* working hours: [start, end) seconds after midnight */
	int nspans;
	int weekend;         /* bit n set: ISO weekday n (1 Monday .. 7 Sunday) is off */
	int64_t first, last; /* covered local days (days since 1970-01-01) */
	int first_year, last_year;
	unsigned char *days; /* last - first + 1 entries: D_* */
};

/* ---------------------------------------------------------------- dates */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ISO weekday of a day number: 1 Monday .. 7 Sunday (1970-01-01 was a Thursday). */
static int weekday(int64_t day)
{
	return (int)(((day % 7) + 7 + 3) % 7) + 1;
}

/* "YYYY-MM-DD" with a real date, into a day number; -1 when malformed. */
static int parse_date(const char *s, int64_t *day, int *year)
{
	int y, m, d, used = 0;

	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10 || s[10])
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > ds_time_days_in_month(y, m))
		return -1;
	*day = ds_time_day_number(y, m, d);
	*year = y;
	return 0;
}

/* "HH:MM" into seconds after midnight; -1 when malformed. */
static int parse_hm(const char *s)
{
	int h, m, used = 0;

	if (!s || sscanf(s, "%2d:%2d%n", &h, &m, &used) != 2 || used != 5 || s[5] || h < 0 ||
	    h > 24 || m < 0 || m > 59 || (h == 24 && m))
		return -1;
	return h * 3600 + m * 60;
}

/* ---------------------------------------------------------------- loading */
static int load_tz(schema_calendar *c, const json_t *root)
{
	const char *s = json_string_value(json_object_get(root, "timezone"));
	int h, m, used = 0;

	if (!s || sscanf(s + (*s == '+' || *s == '-'), "%2d:%2d%n", &h, &m, &used) != 2 ||
	    (*s != '+' && *s != '-') || used != 5 || s[6] || h > 14 || m > 59)
		return ds_error_set(DS_EINVALID, "calendar: timezone must be like \"+07:00\"");
	c->tz = (*s == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

static int load_hours(schema_calendar *c, const json_t *root)
{
	const json_t *hours = json_object_get(root, "hours"), *span;
	size_t i;
	int prev = 0;

	if (!json_is_array(hours) || json_array_size(hours) < 1 ||
	    json_array_size(hours) > MAX_SPANS)
		return ds_error_set(DS_EINVALID,
		                    "calendar: hours must list 1-%d spans like "
		                    "[\"07:00\", \"11:30\"]",
		                    MAX_SPANS);
	json_array_foreach(hours, i, span)
	{
		int s = parse_hm(json_string_value(json_array_get(span, 0)));
		int e = parse_hm(json_string_value(json_array_get(span, 1)));

		if (json_array_size(span) != 2 || s < prev || e <= s)
			return ds_error_set(DS_EINVALID,
			                    "calendar: hours[%zu]: must be "
			                    "[\"HH:MM\", \"HH:MM\"], in order, not overlapping",
			                    i);
		c->spans[i][0] = s;
		c->spans[i][1] = prev = e;
	}
	c->nspans = (int)json_array_size(hours);
	return 0;
}

static int load_weekend(schema_calendar *c, const json_t *root)
{
	const json_t *we = json_object_get(root, "weekend"), *v;
	size_t i;

	if (!json_is_array(we))
		return ds_error_set(DS_EINVALID,
		                    "calendar: weekend must be a list of ISO weekdays");
	json_array_foreach(we, i, v)
	{
		json_int_t n = json_integer_value(v);

		if (!json_is_integer(v) || n < 1 || n > 7)
			return ds_error_set(DS_EINVALID,
			                    "calendar: weekend[%zu]: must be an ISO "
			                    "weekday, 1 (Monday) to 7 (Sunday)",
			                    i);
		c->weekend |= 1 << n;
	}
	return 0;
}

/* Marks every date of one year's list ("holidays" or "workdays") as kind. */
static int load_list(schema_calendar *c, const json_t *year, int y, const char *name, int kind)
{
	const json_t *list = json_object_get(year, name), *item;
	int64_t day;
	int in_year;
	size_t i;

	if (!json_is_array(list))
		return ds_error_set(DS_EINVALID, "calendar: year %d: %s must be a list", y, name);
	json_array_foreach(list, i, item)
	{
		const char *date = json_string_value(json_object_get(item, "date"));

		if (parse_date(date, &day, &in_year) || in_year != y)
			return ds_error_set(DS_EINVALID,
			                    "calendar: year %d: %s[%zu].date: must be "
			                    "a date of %d like \"%d-04-30\"",
			                    y, name, i, y, y);
		if (!json_is_string(json_object_get(item, "name")))
			return ds_error_set(DS_EINVALID, "calendar: %s: %s needs a name", date,
			                    name);
		if (c->days[day - c->first] != D_DEFAULT)
			return ds_error_set(DS_EINVALID, "calendar: %s is listed twice", date);
		c->days[day - c->first] = (unsigned char)kind;
	}
	return 0;
}

/* The years must follow one another, so every day from the first to the last is known. */
static int load_years(schema_calendar *c, const json_t *root)
{
	const json_t *years = json_object_get(root, "years"), *year;
	size_t i, n = json_array_size(years);
	int rc = 0;

	c->first_year = (int)json_integer_value(json_object_get(json_array_get(years, 0), "year"));
	c->last_year = c->first_year + (int)n - 1;
	if (!json_is_array(years) || n < 1 || n > 100 || c->first_year < 1970 ||
	    c->last_year > 9999)
		return ds_error_set(DS_EINVALID, "calendar: years must list 1-100 years from 1970");
	c->first = ds_time_day_number(c->first_year, 1, 1);
	c->last = ds_time_day_number(c->last_year, 12, 31);
	c->days = ds_calloc((size_t)(c->last - c->first + 1), 1);
	json_array_foreach(years, i, year)
	{
		int y = (int)json_integer_value(json_object_get(year, "year"));

		if (y != c->first_year + (int)i)
			return ds_error_set(DS_EINVALID,
			                    "calendar: years[%zu]: year %d expected "
			                    "(years follow one another)",
			                    i, c->first_year + (int)i);
		if ((rc = load_list(c, year, y, "holidays", D_HOLIDAY)) ||
		    (rc = load_list(c, year, y, "workdays", D_WORKDAY)))
			return rc;
	}
	return 0;
}

int schema_calendar_load(schema_calendar **out, const char *text, size_t n)
{
	schema_calendar *c = ds_calloc(1, sizeof(*c));
	json_t *root = NULL;
	const char *version;
	int rc;

	*out = NULL;
	if ((rc = ds_json_parse(text, n, &root)))
		goto done;
	version = json_string_value(json_object_get(root, "version"));
	if (!version || !schema_id_ok(version, VERSION_MAX)) {
		rc = ds_error_set(DS_EINVALID,
		                  "calendar: version must be 1-%d characters of "
		                  "A-Z a-z 0-9 . _ -",
		                  VERSION_MAX);
		goto done;
	}
	snprintf(c->version, sizeof(c->version), "%s", version);
	if ((rc = load_tz(c, root)) || (rc = load_hours(c, root)) || (rc = load_weekend(c, root)) ||
	    (rc = load_years(c, root)))
		goto done;
	*out = c;
	c = NULL;
done:
	json_decref(root);
	schema_calendar_free(c);
	return rc;
}

void schema_calendar_free(schema_calendar *c)
{
	if (!c)
		return;
	free(c->days);
	free(c);
}

const char *schema_calendar_version(const schema_calendar *c)
{
	return c->version;
}

/* ---------------------------------------------------------------- working time */
/* 1 for a working day, 0 for a day off, DS_ENOTFOUND outside the calendar's years. */
static int working(const schema_calendar *c, int64_t day)
{
	unsigned char kind;

	if (day < c->first || day > c->last)
		return ds_error_set(DS_ENOTFOUND, "the calendar %s covers %d-%d only", c->version,
		                    c->first_year, c->last_year);
	kind = c->days[day - c->first];
	if (kind != D_DEFAULT)
		return kind == D_WORKDAY;
	return !(c->weekend & (1 << weekday(day)));
}

int schema_calendar_working_day(const schema_calendar *c, int y, int m, int d)
{
	return working(c, ds_time_day_number(y, m, d));
}

int64_t schema_calendar_day_seconds(const schema_calendar *c)
{
	int64_t s = 0;
	int i;

	for (i = 0; i < c->nspans; i++)
		s += c->spans[i][1] - c->spans[i][0];
	return s;
}

/* Splits a time into its local day and the seconds since that day's midnight. */
static void split(const schema_calendar *c, int64_t t, int64_t *day, int64_t *tod)
{
	*day = floor_div(t + c->tz, DAY);
	*tod = t + c->tz - *day * DAY;
}

static int64_t join(const schema_calendar *c, int64_t day, int64_t tod)
{
	return day * DAY + tod - c->tz;
}

/* Walks working time forward from `from`: the first instant when `secs` seconds of it have
 * passed. secs == 0 gives the next working instant (from itself when working). */
int schema_calendar_add(const schema_calendar *c, int64_t from, int64_t secs, int64_t *out)
{
	int64_t day, tod, begin;
	int i, rc;

	if (secs < 0)
		return ds_error_set(DS_EINVALID, "working time to add must be ≥ 0");
	for (split(c, from, &day, &tod);; day++, tod = 0) {
		if ((rc = working(c, day)) < 0)
			return rc;
		for (i = 0; rc && i < c->nspans; i++) {
			if (tod >= c->spans[i][1])
				continue;
			begin = tod > c->spans[i][0] ? tod : c->spans[i][0];
			if (secs <= c->spans[i][1] - begin) {
				*out = join(c, day, begin + secs);
				return 0;
			}
			secs -= c->spans[i][1] - begin;
		}
	}
}

/* Working seconds of one day between the times of day lo and hi. */
static int64_t day_overlap(const schema_calendar *c, int64_t lo, int64_t hi)
{
	int64_t sum = 0, s, e;
	int i;

	for (i = 0; i < c->nspans; i++) {
		s = lo > c->spans[i][0] ? lo : c->spans[i][0];
		e = hi < c->spans[i][1] ? hi : c->spans[i][1];
		if (e > s)
			sum += e - s;
	}
	return sum;
}

int schema_calendar_between(const schema_calendar *c, int64_t from, int64_t to, int64_t *secs)
{
	int64_t day, tod, last, last_tod;
	int rc;

	*secs = 0;
	if (to <= from)
		return 0;
	split(c, from, &day, &tod);
	split(c, to, &last, &last_tod);
	for (; day <= last; day++, tod = 0) {
		if ((rc = working(c, day)) < 0)
			return rc;
		if (rc)
			*secs += day_overlap(c, tod, day == last ? last_tod : DAY);
	}
	return 0;
}

/* Calendar days: counted from the day work can start (the next working morning after
 * hours or on a day off); the period ends at the close of its last day, moved to the next
 * working day when that one is off (Civil Code 2015, art. 148). */
int schema_calendar_add_days(const schema_calendar *c, int64_t from, int days, int64_t *out)
{
	int64_t start, day, tod;
	int rc;

	if (days < 0)
		return ds_error_set(DS_EINVALID, "calendar days to add must be ≥ 0");
	if ((rc = schema_calendar_add(c, from, 0, &start)))
		return rc;
	split(c, start, &day, &tod);
	for (day += days; (rc = working(c, day)) == 0; day++)
		;
	if (rc < 0)
		return rc;
	*out = join(c, day, c->spans[c->nspans - 1][1]);
	return 0;
}
