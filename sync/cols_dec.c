/* cols_dec.c: the column decoder of docs/PROTOCOL.md. It checks every part of a column
 * document, refuses anything ambiguous with DS_EINVALID, keeps within its budget of objects
 * and built values, and takes the values by reference instead of copying them. */
#include "sync/cols_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 1000000
#define MAX_INDEX 1000000 /* the largest index of a list's element in a path */

/* The path as "a.b.c" for messages (keys may hold dots; it is only for people). */
static void path_text(const json_t *p, ds_buf *out)
{
	size_t i;
	json_t *k;

	json_array_foreach(p, i, k)
	{
		if (json_is_string(k))
			ds_buf_printf(out, "%s%s", i ? "." : "", json_string_value(k));
		else
			ds_buf_printf(out, "[%lld]", (long long)json_integer_value(k));
	}
}

/* Checks step i of column ci's path and adds it to its lookup key: an object's key, or
 * the index of a list's element, which has an object's key on each side. */
static int path_step(const json_t *p, size_t ci, size_t i, ds_buf *key)
{
	const json_t *k = json_array_get(p, i);
	json_int_t at = json_is_integer(k) ? json_integer_value(k) : -1;

	if (json_is_string(k)) {
		size_t n = strlen(json_string_value(k));

		ds_buf_add_uint(key, n);
		ds_buf_add(key, ":", 1);
		ds_buf_add(key, json_string_value(k), n);
		return 0;
	}
	if (at < 0 || at > MAX_INDEX || i == 0 || i + 1 == json_array_size(p) ||
	    !json_is_string(json_array_get(p, i - 1)) || !json_is_string(json_array_get(p, i + 1)))
		return ds_error_set(DS_EINVALID,
		                    "columns: cols[%zu].p[%zu] must be a key, or an index of 0 to "
		                    "%d between two keys",
		                    ci, i, MAX_INDEX);
	ds_buf_add(key, "#", 1);
	ds_buf_add_uint(key, (uint64_t)at);
	return 0;
}

/* Checks a column's path and makes its lookup key; DS_EINVALID when it is not a
 * non-empty array of keys and indexes. */
static int path_check(const json_t *p, size_t ci, ds_buf *key)
{
	size_t i;
	int rc;

	if (!json_is_array(p) || json_array_size(p) == 0)
		return ds_error_set(DS_EINVALID,
		                    "columns: cols[%zu].p must be a non-empty array "
		                    "of keys",
		                    ci);
	if (json_array_size(p) > SYNC_MAX_PATH_DEPTH)
		return ds_error_set(DS_EINVALID, "columns: cols[%zu].p has %zu keys, at most %d",
		                    ci, json_array_size(p), SYNC_MAX_PATH_DEPTH);
	for (i = 0; i < json_array_size(p); i++)
		if ((rc = path_step(p, ci, i, key)))
			return rc;
	return 0;
}

/* Decoding state: the records, the paths met so far, and the object budget. */
struct dec {
	json_t *rows;
	json_t *seen;
	size_t objects; /* made so far: the records and the objects paths run through */
	size_t max_objects;
	size_t made; /* bytes of values built (times, fixed-width text) */
	size_t max_made;
};

/* 1 when v is a list a path made (not a value: those are held by the document too, so
 * their count of references is above 1; sync_cols_decode_budget's note). */
static int made_list(const json_t *v)
{
	return json_is_array(v) && v->refcount == 1 && json_array_size(v) > 0;
}

/* The member or element k of cur (NULL when absent); -1 in *hole for an element past the
 * list's end plus one. */
static json_t *child(json_t *cur, const json_t *k, int *hole)
{
	size_t at;

	if (json_is_string(k))
		return json_object_get(cur, json_string_value(k));
	at = (size_t)json_integer_value(k);
	*hole = at > json_array_size(cur);
	return json_array_get(cur, at);
}

/* Sets p = value inside rec. Fails (-1) when p clashes with a path already set in this
 * row: it runs through a leaf (an intermediate object is never empty, a leaf object
 * always is; an intermediate list is one a path made), skips an element of a list, or ends
 * on a key that is already there; -2 when it would make more objects than the budget
 * allows. */
static int place(struct dec *d, json_t *rec, const json_t *p, const json_t *value)
{
	size_t i, last = json_array_size(p) - 1;
	json_t *next;
	int hole = 0, list;

	for (i = 0; i < last; i++, rec = next) {
		const json_t *k = json_array_get(p, i);

		list = json_is_integer(json_array_get(p, i + 1));
		if ((next = child(rec, k, &hole))) {
			if (list ? !made_list(next)
			         : !json_is_object(next) || json_object_size(next) == 0)
				return -1;
			continue;
		}
		if (hole)
			return -1;
		if (d->objects++ >= d->max_objects)
			return -2;
		next = list ? json_array() : json_object();
		if (json_is_string(k))
			json_object_set_new(rec, json_string_value(k), next);
		else
			json_array_append_new(rec, next);
	}
	if (json_object_get(rec, json_string_value(json_array_get(p, last))))
		return -1;
	/* By reference, not a copy: see the note above sync_cols_decode. */
	json_object_set(rec, json_string_value(json_array_get(p, last)), (json_t *)value);
	return 0;
}

/* Reads one row delta: the first may be 0, the next must move on; the row stays < n. */
static int next_row(const json_t *d, size_t ci, size_t j, size_t n, size_t *row)
{
	json_int_t step = json_is_integer(d) ? json_integer_value(d) : -1;

	if (step < 0)
		return ds_error_set(DS_EINVALID,
		                    "columns: cols[%zu].r[%zu] must be a "
		                    "non-negative integer",
		                    ci, j);
	if (j > 0 && step == 0)
		return ds_error_set(DS_EINVALID,
		                    "columns: cols[%zu].r[%zu]: rows must be "
		                    "strictly increasing",
		                    ci, j);
	if ((uint64_t)step >= n || (j > 0 && *row + (size_t)step >= n))
		return ds_error_set(DS_EINVALID,
		                    "columns: cols[%zu].r[%zu]: row out of range "
		                    "(n is %zu)",
		                    ci, j, n);
	*row = j > 0 ? *row + (size_t)step : (size_t)step;
	return 0;
}

static int col_shape(const json_t *col, size_t ci)
{
	const json_t *r = json_object_get(col, "r");

	if (!json_is_object(col))
		return ds_error_set(DS_EINVALID, "columns: cols[%zu] is not an object", ci);
	if (!json_object_get(col, "p") || !r)
		return ds_error_set(DS_EINVALID, "columns: cols[%zu] must have the members p and r",
		                    ci);
	if (!json_is_array(r))
		return ds_error_set(DS_EINVALID, "columns: cols[%zu].r must be an array", ci);
	return cols_form_check(col, ci, json_array_size(r));
}

/* The error for place()'s failure how on column ci, path p, at row. */
static int place_error(int how, size_t ci, const json_t *p, size_t row, size_t max)
{
	ds_buf text = DS_BUF_INIT;
	int rc;

	if (how == -2)
		return ds_error_set(DS_ETOOBIG,
		                    "columns: the records would need more than %zu "
		                    "objects",
		                    max);
	path_text(p, &text);
	rc = ds_error_set(DS_EINVALID,
	                  "columns: cols[%zu]: the path %s clashes with another path of "
	                  "row %zu",
	                  ci, text.ptr, row);
	ds_buf_release(&text);
	return rc;
}

/* Sets the values of column ci, path p, into the records. */
static int put_values(struct dec *d, const json_t *p, const json_t *r, const json_t *vals,
                      size_t ci)
{
	size_t j, row = 0, n = json_array_size(d->rows);
	int rc, how;

	for (j = 0; j < json_array_size(r); j++) {
		const json_t *val = json_array_get(vals, j);

		if ((rc = next_row(json_array_get(r, j), ci, j, n, &row)))
			return rc;
		if (json_is_object(val) && json_object_size(val))
			return ds_error_set(DS_EINVALID,
			                    "columns: cols[%zu] value %zu: a non-empty object must "
			                    "be split into paths, and so must a list of them",
			                    ci, j);
		if ((how = place(d, json_array_get(d->rows, row), p, val)))
			return place_error(how, ci, p, row, d->max_objects);
	}
	return 0;
}

/* Checks one column and sets its values into the records. */
static int put_col(struct dec *d, const json_t *col, size_t ci)
{
	const json_t *p = json_object_get(col, "p");
	ds_buf key = DS_BUF_INIT, text = DS_BUF_INIT;
	json_t *vals = NULL;
	int rc;

	if ((rc = col_shape(col, ci)) || (rc = path_check(p, ci, &key)))
		goto done;
	if (json_object_get(d->seen, key.ptr)) {
		path_text(p, &text);
		rc = ds_error_set(DS_EINVALID, "columns: cols[%zu] repeats the column %s", ci,
		                  text.ptr);
		goto done;
	}
	json_object_set_new(d->seen, key.ptr, json_true());
	if ((rc = cols_unpack(col, ci, &d->made, d->max_made, &vals)))
		goto done;
	rc = put_values(d, p, json_object_get(col, "r"), vals, ci);
done:
	json_decref(vals);
	ds_buf_release(&key);
	ds_buf_release(&text);
	return rc;
}

/* Checks the document's two members; *rows gets n. */
static int doc_shape(const json_t *doc, size_t *rows)
{
	const json_t *n = json_object_get(doc, "n"), *cols = json_object_get(doc, "cols");

	if (!json_is_object(doc) || json_object_size(doc) != 2 || !n || !cols)
		return ds_error_set(DS_EINVALID, "columns: expected an object with exactly the "
		                                 "members n and cols");
	if (!json_is_integer(n) || json_integer_value(n) < 0 || json_integer_value(n) > MAX_ROWS)
		return ds_error_set(DS_EINVALID, "columns: n must be an integer from 0 to %d",
		                    MAX_ROWS);
	if (!json_is_array(cols))
		return ds_error_set(DS_EINVALID, "columns: cols must be an array");
	*rows = (size_t)json_integer_value(n);
	return 0;
}

/* The records hold the document's values by reference (one more refcount each), not
 * copies (which is how place() tells a list a path made, held once, from a value): a decoder parses
 * a body, decodes it and frees the document, after which every value belongs to the records alone.
 * A caller that keeps doc must not change a record's values in place while it does (jansson's
 * refcounts say who else holds them). */
int sync_cols_decode_budget(const json_t *doc, size_t max_objects, json_t **records)
{
	const json_t *cols = json_object_get(doc, "cols");
	struct dec d = {NULL, NULL, 0, max_objects, 0, 0};
	size_t i, n = 0;
	int rc;

	*records = NULL;
	if ((rc = doc_shape(doc, &n)))
		goto done;
	if (n > max_objects) {
		rc = ds_error_set(DS_ETOOBIG,
		                  "columns: %zu records, more than the %zu objects "
		                  "allowed",
		                  n, max_objects);
		goto done;
	}
	d.max_made = max_objects > SIZE_MAX / 1024 ? SIZE_MAX : max_objects * 1024;
	d.rows = json_array();
	d.seen = json_object();
	d.objects = n;
	for (i = 0; i < n; i++)
		json_array_append_new(d.rows, json_object());
	for (i = 0; i < json_array_size(cols) && !rc; i++)
		rc = put_col(&d, json_array_get(cols, i), i);
	if (!rc) {
		*records = d.rows;
		d.rows = NULL;
	}
done:
	json_decref(d.rows);
	json_decref(d.seen);
	return rc;
}

/* Without a budget of its own: paths are at most SYNC_MAX_PATH_DEPTH keys, so the records
 * hold at most that many objects per value. */
int sync_cols_decode(const json_t *doc, json_t **records)
{
	return sync_cols_decode_budget(doc, SIZE_MAX, records);
}
