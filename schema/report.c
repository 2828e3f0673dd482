/* report.c: the office's indicators for a period (docs/DOMAIN.md "Indicators"): received,
 * on time, late, in time, overdue, average processing time in working days, and the shares
 * received online, digitised and synced to central, overall, per procedure and (at
 * central) per office. One accumulator fed one dossier at a time: the agent and central
 * only feed it their dossiers, so both give the same numbers for the same data.
 */
#include "schema/schema_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VN_OFFSET_MIN 420 /* +07:00 */

/* The counts of one group of dossiers (the total, a procedure, an office). */
struct tally {
	char *key, *name;
	int64_t received, verdict[SCHEMA_VERDICT_LATE + 1];
	int64_t online, digitised, synced;
	int64_t measured, unmeasured, work_secs;
};

struct group {
	struct tally *t;
	size_t n, cap;
};

struct schema_report {
	char from[11], to[11]; /* "" when open */
	int64_t now;
	const schema_calendar *cal;
	int by_office;
	struct tally total;
	struct group procs, offices;
};

/* Checks "YYYY-MM-DD" (a real day) into out; NULL or "" leaves out empty. */
static int parse_day(const char *what, const char *s, char out[11])
{
	int y, m, d, n = 0;

	out[0] = '\0';
	if (!s || !*s)
		return 0;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 || d > ds_time_days_in_month(y, m))
		return ds_error_set(DS_EINVALID, "%s: '%.40s' is not a day (YYYY-MM-DD)", what, s);
	memcpy(out, s, 11);
	return 0;
}

int schema_report_new(schema_report **out, const char *from, const char *to, int64_t now,
                      const schema_calendar *cal, int by_office)
{
	schema_report *r = ds_calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if ((rc = parse_day("--from", from, r->from)) || (rc = parse_day("--to", to, r->to))) {
		free(r);
		return rc;
	}
	if (r->from[0] && r->to[0] && strcmp(r->from, r->to) > 0) {
		free(r);
		return ds_error_set(DS_EINVALID, "--from %s is after --to %s", from, to);
	}
	r->now = now;
	r->cal = cal;
	r->by_office = by_office;
	*out = r;
	return 0;
}

static void group_release(struct group *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->t[i].key);
		free(g->t[i].name);
	}
	free(g->t);
}

void schema_report_free(schema_report *r)
{
	if (!r)
		return;
	group_release(&r->procs);
	group_release(&r->offices);
	free(r);
}

/* The tally of key in g, added (with name, when given) if absent. */
static struct tally *group_get(struct group *g, const char *key, const char *name)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->t[i].key, key) == 0)
			return &g->t[i];
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->t = ds_realloc(g->t, g->cap * sizeof(*g->t));
	}
	memset(&g->t[g->n], 0, sizeof(g->t[0]));
	g->t[g->n].key = ds_strdup(key);
	g->t[g->n].name = name ? ds_strdup(name) : NULL;
	return &g->t[g->n++];
}

static int time_of(const json_t *obj, const char *name, int64_t *t)
{
	const char *s = json_string_value(json_object_get(obj, name));

	return s && ds_time_parse(s, t, NULL) == 0 ? 0 : -1;
}

/* 1 when the dossier has a scanned attachment or a component marked digitised. */
static int digitised(const json_t *d)
{
	const json_t *c;
	size_t i;

	if (json_array_size(json_object_get(d, "attachments")) > 0)
		return 1;
	json_array_foreach(json_object_get(d, "components"), i, c)
	{
		if (json_is_true(json_object_get(c, "digitised")))
			return 1;
	}
	return 0;
}

/* Adds to *secs the working time of [from, to] clipped to [lo, hi]. */
static int add_span(const schema_calendar *cal, int64_t from, int64_t to, int64_t lo, int64_t hi,
                    int64_t *secs)
{
	int64_t s = 0;
	int rc;

	from = from < lo ? lo : from;
	to = to > hi ? hi : to;
	if (to <= from)
		return 0;
	if ((rc = schema_calendar_between(cal, from, to, &s)))
		return rc;
	*secs += s;
	return 0;
}

/* The working time spent waiting for supplements between lo and hi: each item of
 * supplements[] with requested_at and received_at; when there is none, each stretch of
 * progress rows at status 5 until the next row that moves elsewhere. */
static int waits(const schema_calendar *cal, const json_t *d, int64_t lo, int64_t hi, int64_t *secs)
{
	const json_t *it;
	int64_t a, b, start = -1;
	size_t i;
	int rc, listed = 0;

	json_array_foreach(json_object_get(d, "supplements"), i, it)
	{
		if (time_of(it, "requested_at", &a) || time_of(it, "received_at", &b))
			continue;
		listed = 1;
		if ((rc = add_span(cal, a, b, lo, hi, secs)))
			return rc;
	}
	json_array_foreach(listed ? NULL : json_object_get(d, "progress"), i, it)
	{
		json_int_t st = json_integer_value(json_object_get(it, "status"));

		if (!st || time_of(it, "when", &a))
			continue;
		if (st == 5 && start < 0)
			start = a;
		else if (st != 5 && start >= 0 && (rc = add_span(cal, start, a, lo, hi, secs)))
			return rc;
		if (st != 5)
			start = -1;
	}
	return 0;
}

/* The processing time of an ended dossier: received_at to finished_at (else returned_at)
 * in working seconds, supplement waits subtracted. -1 when it cannot be measured. */
static int64_t processing(const schema_report *r, const json_t *d)
{
	int64_t from, end, total = 0, wait = 0;

	if (!r->cal || time_of(d, "received_at", &from) ||
	    (time_of(d, "finished_at", &end) && time_of(d, "returned_at", &end)))
		return -1;
	if (add_span(r->cal, from, end, from, end, &total) || waits(r->cal, d, from, end, &wait))
		return -1;
	return total > wait ? total - wait : 0;
}

static void tally_add(struct tally *t, const json_t *d, int verdict, int64_t secs, int synced)
{
	t->received++;
	t->verdict[verdict]++;
	t->online += json_integer_value(json_object_get(d, "channel")) == 2;
	t->digitised += digitised(d);
	t->synced += synced != 0;
	if (verdict == SCHEMA_VERDICT_ON_TIME || verdict == SCHEMA_VERDICT_LATE) {
		if (secs < 0)
			t->unmeasured++;
		else
			t->measured++, t->work_secs += secs;
	}
}

int schema_report_add(schema_report *r, const json_t *d, int synced)
{
	const json_t *proc = json_object_get(d, "procedure");
	const char *code = json_string_value(json_object_get(proc, "code"));
	const char *agency = json_string_value(json_object_get(d, "agency"));
	char day[11];
	int64_t t, secs;
	int y, m, dd, v;

	if (time_of(d, "received_at", &t))
		return ds_error_set(DS_EINVALID, "%s: received_at: missing or not a time",
		                    json_string_value(json_object_get(d, "code")));
	ds_time_date(t, VN_OFFSET_MIN, &y, &m, &dd);
	snprintf(day, sizeof(day), "%04d-%02d-%02d", y, m, dd);
	if ((r->from[0] && strcmp(day, r->from) < 0) || (r->to[0] && strcmp(day, r->to) > 0))
		return 0;
	v = schema_dossier_verdict(d, r->now);
	secs = v == SCHEMA_VERDICT_ON_TIME || v == SCHEMA_VERDICT_LATE ? processing(r, d) : -1;
	tally_add(&r->total, d, v, secs, synced);
	tally_add(group_get(&r->procs, code ? code : "-",
	                    json_string_value(json_object_get(proc, "name"))),
	          d, v, secs, synced);
	if (r->by_office)
		tally_add(group_get(&r->offices, agency ? agency : "-", NULL), d, v, secs, synced);
	return 0;
}

/* part / whole as a percentage rounded to one decimal; null when whole is 0. */
static json_t *pct(int64_t part, int64_t whole)
{
	if (whole <= 0)
		return json_null();
	return json_real((double)((part * 1000 + whole / 2) / whole) / 10.0);
}

/* The average of work_secs over measured, in working days rounded to two decimals. */
static json_t *avg_days(const schema_report *r, const struct tally *t)
{
	int64_t day = r->cal ? schema_calendar_day_seconds(r->cal) : 0, div;

	if (!r->cal || t->measured == 0 || day <= 0)
		return json_null();
	div = t->measured * day;
	return json_real((double)((t->work_secs * 100 + div / 2) / div) / 100.0);
}

static json_t *tally_json(const schema_report *r, const struct tally *t)
{
	int64_t ended = t->verdict[SCHEMA_VERDICT_ON_TIME] + t->verdict[SCHEMA_VERDICT_LATE];

	return json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}",
	    "received", (json_int_t)t->received, "on_time",
	    (json_int_t)t->verdict[SCHEMA_VERDICT_ON_TIME], "late",
	    (json_int_t)t->verdict[SCHEMA_VERDICT_LATE], "in_time",
	    (json_int_t)t->verdict[SCHEMA_VERDICT_IN_TIME], "overdue",
	    (json_int_t)t->verdict[SCHEMA_VERDICT_OVERDUE], "not_judged",
	    (json_int_t)t->verdict[SCHEMA_VERDICT_NONE], "finished", (json_int_t)ended,
	    "on_time_pct", pct(t->verdict[SCHEMA_VERDICT_ON_TIME], ended), "avg_working_days",
	    avg_days(r, t), "measured", (json_int_t)t->measured, "online", (json_int_t)t->online,
	    "digitised", (json_int_t)t->digitised, "synced", (json_int_t)t->synced, "online_pct",
	    pct(t->online, t->received), "digitised_pct", pct(t->digitised, t->received),
	    "synced_pct", pct(t->synced, t->received), "unmeasured", json_integer(t->unmeasured));
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct tally *)a)->key, ((const struct tally *)b)->key);
}

/* The tallies of g sorted by key, each with its key under key_name. */
static json_t *group_json(const schema_report *r, const struct group *g, const char *key_name)
{
	struct tally *sorted = ds_calloc(g->n ? g->n : 1, sizeof(*sorted));
	json_t *list = json_array(), *o;
	size_t i;

	if (g->n)
		memcpy(sorted, g->t, g->n * sizeof(*sorted));
	qsort(sorted, g->n, sizeof(*sorted), by_key);
	for (i = 0; i < g->n; i++) {
		o = tally_json(r, &sorted[i]);
		json_object_set_new(o, key_name, json_string(sorted[i].key));
		if (sorted[i].name)
			json_object_set_new(o, "name", json_string(sorted[i].name));
		json_array_append_new(list, o);
	}
	free(sorted);
	return list;
}

static json_t *notes(const schema_report *r)
{
	json_t *n = json_array();
	char line[160];

	if (!r->cal)
		json_array_append_new(
		    n, json_string("no working calendar (none installed or published): the "
		                   "average processing time is not computed"));
	else if (r->total.unmeasured) {
		snprintf(line, sizeof(line),
		         "%lld finished dossier(s) fall outside the calendar's years and are not "
		         "in the average processing time",
		         (long long)r->total.unmeasured);
		json_array_append_new(n, json_string(line));
	}
	return n;
}

json_t *schema_report_json(const schema_report *r)
{
	json_t *out = json_pack("{s:{s:o, s:o}, s:o, s:o, s:o, s:o}", "period", "from",
	                        r->from[0] ? json_string(r->from) : json_null(), "to",
	                        r->to[0] ? json_string(r->to) : json_null(), "calendar",
	                        r->cal ? json_string(schema_calendar_version(r->cal)) : json_null(),
	                        "total", tally_json(r, &r->total), "procedures",
	                        group_json(r, &r->procs, "procedure"), "notes", notes(r));

	char at[DS_TIME_LEN];

	ds_time_format(r->now, VN_OFFSET_MIN, at);
	json_object_set_new(out, "at", json_string(at));
	if (r->by_office)
		json_object_set_new(out, "offices", group_json(r, &r->offices, "office"));
	return out;
}
