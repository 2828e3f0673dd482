/* rules.c: the one rule book every op obeys, whatever its kind (create, patch, transition,
 * merge, resolve): a status moves only by legal moves, progress rows are only ever appended,
 * and the finish and hand-over times come only with a move to 9 and to 10. schema_op_apply()
 * checks it on the agent and on central alike; conflict/ checks a merged dossier against it
 * before sending it up, so a legitimate merge is never one central would refuse.
 */
#include "schema/schema_int.h"

#include <string.h>

#define BIT(s) (1u << (s))

/* Where a chain of moves has got to: the status, the status held before 7 (only while the
 * status is 7), and every status moved into on the way. */
typedef struct walk {
	int status, prior;
	unsigned seen;
} walk;

static int int_of(const json_t *d, const char *key)
{
	return d ? (int)json_integer_value(json_object_get(d, key)) : 0;
}

static void step(walk *w, int to)
{
	w->prior = to == 7 ? w->status : 0;
	w->status = to;
	w->seen |= BIT(to);
}

/* Takes every appended progress row whose status is a legal move from where the walk is. */
static void walk_rows(walk *w, const json_t *added)
{
	const json_t *row, *s;
	size_t i;

	json_array_foreach(added, i, row)
	{
		s = json_object_get(row, "status");
		if (json_is_integer(s) &&
		    schema_status_legal(w->status, (int)json_integer_value(s), w->prior))
			step(w, (int)json_integer_value(s));
	}
}

/* 1 when w ends at next's status (one more legal move allowed) with next's prior_status. */
static int walk_ends(walk *w, const json_t *next)
{
	int to = int_of(next, "status");

	if (w->status != to && schema_status_legal(w->status, to, w->prior))
		step(w, to);
	return w->status == to && (to != 7 || int_of(next, "prior_status") == w->prior);
}

static int status_refused(const walk *from, const json_t *next)
{
	int to = int_of(next, "status");

	if (to == from->status)
		return ds_error_set(
		    DS_EINVALID, "prior_status: cannot change while the status stays 7 (it is %d)",
		    from->prior);
	if (to == 7 && schema_status_legal(from->status, 7, 0))
		return ds_error_set(DS_EINVALID, "prior_status: must be %d, the status before 7",
		                    from->status);
	if (from->status == 7 && from->prior)
		return ds_error_set(
		    DS_EINVALID,
		    "status: illegal status move 7 -> %d (a refused withdrawal goes "
		    "back to %d, the status before 7)",
		    to, from->prior);
	return ds_error_set(DS_EINVALID, "status: illegal status move %d -> %d", from->status, to);
}

/* The moves from cur's status to next's: through the appended rows' statuses (each row
 * attests one move, as a transition's row does), else directly. *seen: statuses moved into. */
static int status_moves(const json_t *cur, const json_t *next, const json_t *added, unsigned *seen)
{
	walk start = {cur ? int_of(cur, "status") : SCHEMA_STATUS_NEW, int_of(cur, "prior_status"),
	              0};
	walk w = start;

	walk_rows(&w, added);
	if (!walk_ends(&w, next)) {
		w = start;
		if (!walk_ends(&w, next))
			return status_refused(&start, next);
	}
	*seen = w.seen;
	return 0;
}

/* ---------------------------------------------------------------- progress rows */
static const char *id_of(const json_t *row)
{
	return json_string_value(json_object_get(row, "id"));
}

static int row_refused(const json_t *row, const char *what)
{
	return ds_error_set(DS_EINVALID, "progress[%s]: %s (progress rows are only appended)",
	                    id_of(row), what);
}

/* Every row of cur is still in next, unchanged and in its order; *added (new list): the rows
 * of next that cur does not have, in next's order. */
static int progress_kept(const json_t *cur, const json_t *next, json_t **added)
{
	const json_t *was = json_object_get(cur, "progress"), *row, *old;
	json_t *ids = json_object();
	size_t i, j = 0;
	int rc = 0;

	*added = json_array();
	json_array_foreach(was, i, row) json_object_set(ids, id_of(row), (json_t *)row);
	json_array_foreach(json_object_get(next, "progress"), i, row)
	{
		old = id_of(row) ? json_object_get(ids, id_of(row)) : NULL;
		if (!old) {
			json_array_append(*added, (json_t *)row);
			continue;
		}
		if (old != json_array_get(was, j)) {
			rc = row_refused(json_array_get(was, j), "cannot be removed or moved");
			break;
		}
		if (!json_equal(old, (json_t *)row)) {
			rc = row_refused(old, "cannot be changed");
			break;
		}
		j++;
	}
	if (!rc && j < json_array_size(was))
		rc = row_refused(json_array_get(was, j), "cannot be removed");
	json_decref(ids);
	return rc;
}

/* ---------------------------------------------------------------- times */
/* key (finished_at on 9, returned_at on 10): kept once set; set only by a move to status. */
static int time_kept(const json_t *cur, const json_t *next, const char *key, int status,
                     unsigned seen)
{
	const json_t *was = cur ? json_object_get(cur, key) : NULL;
	const json_t *now = json_object_get(next, key);

	if (was && (!now || !json_equal((json_t *)was, (json_t *)now)))
		return ds_error_set(DS_EINVALID, "%s: cannot change once set (it is %s)", key,
		                    json_string_value(was));
	if (!was && now && !(seen & BIT(status)))
		return ds_error_set(DS_EINVALID, "%s: set only by a move to %d (%s)", key, status,
		                    schema_status_name(status));
	return 0;
}

int schema_change_check(const json_t *cur, const json_t *next)
{
	json_t *added = NULL;
	unsigned seen = 0;
	int rc;

	if (!json_is_object(next) || (cur && !json_is_object(cur)))
		return ds_error_set(DS_EINVALID, "a dossier must be a JSON object");
	if ((rc = progress_kept(cur, next, &added)) ||
	    (rc = status_moves(cur, next, added, &seen)) ||
	    (rc = time_kept(cur, next, "finished_at", 9, seen)))
		goto done;
	rc = time_kept(cur, next, "returned_at", 10, seen);
done:
	json_decref(added);
	return rc;
}
