/* verdict.c: whether a dossier was, or is, on time, by the rule of the national service
 * index (Decision 766/QĐ-TTg): an ended dossier is on time when it was finished no later
 * than its due date (which supplement waits have already moved, schema/move.c) and it
 * needed at most one supplement request; a dossier still open is in time or overdue.
 *
 *   status 3, 8 ............................ none (refused or stopped: not judged)
 *   status 9, 10, ended at <= due_at, <= 1 request ... on_time
 *   status 9, 10, otherwise ................ late
 *   any other, now <= due_at ............... in_time
 *   any other, now >  due_at ............... overdue
 *
 * The end is finished_at (set by the move to 9), else returned_at (6 -> 10 skips 9). */
#include "schema/schema_int.h"

#include <string.h>

static const char *const names[] = {
    [SCHEMA_VERDICT_NONE] = "none",       [SCHEMA_VERDICT_IN_TIME] = "in_time",
    [SCHEMA_VERDICT_OVERDUE] = "overdue", [SCHEMA_VERDICT_ON_TIME] = "on_time",
    [SCHEMA_VERDICT_LATE] = "late",
};

const char *schema_verdict_name(int v)
{
	return v >= 0 && v < (int)DS_ARRAY_LEN(names) ? names[v] : "none";
}

int schema_verdict_parse(const char *name)
{
	size_t i;

	for (i = 0; name && i < DS_ARRAY_LEN(names); i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

int schema_supplement_requests(const json_t *dossier)
{
	const json_t *rows = json_object_get(dossier, "progress"), *row;
	size_t i, moves = 0, listed = json_array_size(json_object_get(dossier, "supplements"));

	json_array_foreach(rows, i, row)
	{
		if (json_integer_value(json_object_get(row, "status")) == 5)
			moves++;
	}
	return (int)(moves > listed ? moves : listed);
}

/* The time field name of dossier as epoch seconds in *t; -1 when absent or malformed. */
static int time_field(const json_t *dossier, const char *name, int64_t *t)
{
	const char *s = json_string_value(json_object_get(dossier, name));

	return s && ds_time_parse(s, t, NULL) == 0 ? 0 : -1;
}

int schema_dossier_verdict(const json_t *dossier, int64_t now)
{
	int status = (int)json_integer_value(json_object_get(dossier, "status"));
	int64_t due, end;

	if (status == 3 || status == 8 || time_field(dossier, "due_at", &due))
		return SCHEMA_VERDICT_NONE;
	if (status != 9 && status != 10)
		return now > due ? SCHEMA_VERDICT_OVERDUE : SCHEMA_VERDICT_IN_TIME;
	if (time_field(dossier, "finished_at", &end) && time_field(dossier, "returned_at", &end))
		return SCHEMA_VERDICT_NONE;
	if (end > due || schema_supplement_requests(dossier) > 1)
		return SCHEMA_VERDICT_LATE;
	return SCHEMA_VERDICT_ON_TIME;
}

/* Open and past due_at: the "overdue" verdict without the rest of the rule. */
int schema_dossier_overdue(const json_t *dossier, int64_t now)
{
	json_t *st = json_object_get(dossier, "status");
	int64_t due;

	/* 9 (result ready at the counter) has ended processing: it is no longer late. */
	if (!json_is_integer(st) || schema_status_terminal((int)json_integer_value(st)) ||
	    json_integer_value(st) == 9)
		return 0;
	if (ds_time_parse(json_string_value(json_object_get(dossier, "due_at")), &due, NULL))
		return 0;
	return now > due;
}
