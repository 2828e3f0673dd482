/* move.c: moving a dossier's due date, the same way on every node: past the wait for a
 * supplement when the dossier goes back from 5 to 4, and by an extension (gia hạn). Each
 * move is a merge patch: due_at, original_due_at kept from the first move, and a progress
 * row naming why. Pure, like deadline.c.
 */
#include "schema/schema_int.h"

#include <stdio.h>
#include <string.h>

/* On the move 5 -> 4 the wait just ended is counted once: the newest supplement request
 * with both times (requested_at, received_at) not yet counted, else the time between the
 * moves into 5 and into 4. The progress row "due-<id>" that records the move marks the
 * supplement (or the 4 row) as counted, on every node, since progress rows merge by id. */
struct wait {
	int64_t from, to;
	char id[100]; /* the progress row to add */
	const char *what;
};

static int64_t time_of(const json_t *v)
{
	int64_t t;

	return ds_time_parse(json_string_value(v), &t, NULL) == 0 ? t : -1;
}

/* The last progress row with status s, or NULL. */
static const json_t *last_row(const json_t *d, int s)
{
	const json_t *row, *found = NULL;
	size_t i;

	json_array_foreach(json_object_get(d, "progress"), i, row)
	{
		if (json_integer_value(json_object_get(row, "status")) == s)
			found = row;
	}
	return found;
}

static int counted(const json_t *d, const char *row_id)
{
	const json_t *row;
	size_t i;

	json_array_foreach(json_object_get(d, "progress"), i, row)
	{
		if (!strcmp(json_string_value(json_object_get(row, "id")) ?: "", row_id))
			return 1;
	}
	return 0;
}

/* The newest supplement request with both times that no row counts yet. */
static int supplement_wait(const json_t *d, struct wait *w)
{
	const json_t *s;
	int64_t from, to, newest = -1;
	size_t i;
	char id[100];

	json_array_foreach(json_object_get(d, "supplements"), i, s)
	{
		from = time_of(json_object_get(s, "requested_at"));
		to = time_of(json_object_get(s, "received_at"));
		snprintf(id, sizeof(id), "due-%s", json_string_value(json_object_get(s, "id")));
		if (from < 0 || to < from || from < newest || strlen(id) > 96 || counted(d, id))
			continue;
		newest = w->from = from;
		w->to = to;
		snprintf(w->id, sizeof(w->id), "%s", id);
	}
	w->what = "Thời hạn giải quyết dời theo thời gian chờ bổ sung";
	return newest >= 0;
}

static int find_wait(const json_t *d, struct wait *w)
{
	const json_t *in5 = last_row(d, 5), *in4 = last_row(d, 4);

	if (supplement_wait(d, w))
		return 1;
	w->from = time_of(json_object_get(in5, "when"));
	w->to = time_of(json_object_get(in4, "when"));
	snprintf(w->id, sizeof(w->id), "due-%s", json_string_value(json_object_get(in4, "id")));
	w->what = "Thời hạn giải quyết dời theo thời gian ở trạng thái chờ bổ sung";
	return w->from >= 0 && w->to >= w->from && strlen(w->id) <= 96 && !counted(d, w->id);
}

json_t *schema_deadline_move(const json_t *state, int64_t due, int64_t when, const char *row_id,
                             const char *what, const char *who)
{
	const json_t *old = json_object_get(state, "due_at");
	const json_t *rows = json_object_get(state, "progress");
	json_t *progress = rows ? json_deep_copy(rows) : json_array();
	char text[DS_TIME_LEN], at[DS_TIME_LEN];
	json_t *patch, *row;

	ds_time_format(due, DS_TZ_VN, text);
	ds_time_format(when, DS_TZ_VN, at);
	row = json_pack("{s:s, s:s, s:s}", "id", row_id, "when", at, "what", what);
	if (who)
		json_object_set_new(row, "who", json_string(who));
	json_array_append_new(progress, row);
	patch = json_pack("{s:s, s:o}", "due_at", text, "progress", progress);
	if (!json_object_get(state, "original_due_at") && old)
		json_object_set(patch, "original_due_at", (json_t *)old);
	return patch;
}

int schema_deadline_resume(const json_t *state, const schema_calendar *cal, const char *who,
                           json_t **patch)
{
	int64_t due, moved;
	struct wait w;
	int rc;

	*patch = NULL;
	if (!find_wait(state, &w) || (due = time_of(json_object_get(state, "due_at"))) < 0)
		return 0;
	if ((rc = schema_deadline_pause(cal, due, w.from, w.to, &moved)) || moved == due)
		return rc;
	*patch = schema_deadline_move(state, moved, w.to, w.id, w.what, who);
	return 0;
}
