/* cols.c: the column codec of docs/PROTOCOL.md. A list of JSON records is flattened into
 * key paths and laid out by path, so that similar values sit next to each other and
 * deflate well. Encoding is deterministic (the same records give the same bytes); decoding
 * checks every part of the document, refuses anything ambiguous with DS_EINVALID, and
 * takes the values by reference instead of copying them. */
#include "sync/sync.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 1000000

/* One column while encoding: its path, row deltas, values, and the last row it holds. */
struct col {
	json_t *p, *r, *v;
	size_t last;
};

struct enc {
	json_t *index; /* path key -> column number */
	struct col *cols;
	size_t n, cap;
	const char **path; /* the keys from the record down to the current value */
	size_t depth, path_cap;
	ds_buf key; /* the same path as a lookup key, "<len>:<key>" per level */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj in sorted order, in keys[] when it has room for them, else in a new
 * array; *heap tells which (free() it). */
static const char **sorted_keys(const json_t *obj, const char **keys, size_t room, size_t *n,
                                int *heap)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	*heap = json_object_size(obj) > room;
	if (*heap)
		keys = ds_calloc(json_object_size(obj), sizeof(*keys));
	json_object_foreach((json_t *)obj, key, v) keys[i++] = key;
	qsort(keys, i, sizeof(*keys), cmp_str);
	*n = i;
	return keys;
}

/* The current path as a JSON array of keys: made once per column, not per value. */
static json_t *path_json(const struct enc *e)
{
	json_t *p = json_array();
	size_t i;

	for (i = 0; i < e->depth; i++)
		json_array_append_new(p, json_string_nocheck(e->path[i]));
	return p;
}

static struct col *column_for(struct enc *e)
{
	json_t *at = json_object_get(e->index, e->key.ptr);
	struct col *c;

	if (at)
		return &e->cols[json_integer_value(at)];
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 32;
		e->cols = ds_realloc(e->cols, e->cap * sizeof(*e->cols));
	}
	c = &e->cols[e->n];
	c->p = path_json(e);
	c->r = json_array();
	c->v = json_array();
	c->last = 0;
	json_object_set_new(e->index, e->key.ptr, json_integer((json_int_t)e->n));
	e->n++;
	return c;
}

/* The value goes in by reference: the document is serialised and freed while the records
 * it was made from stay untouched. */
static void leaf(struct enc *e, const json_t *value, size_t row)
{
	struct col *c = column_for(e);

	json_array_append_new(c->r, json_integer((json_int_t)(row - c->last)));
	json_array_append(c->v, (json_t *)value);
	c->last = row;
}

/* Goes one level down to key: the path and its lookup key "<len>:<key>" grow by it. */
static int push_key(struct enc *e, const char *key)
{
	char len[24];
	size_t n = strlen(key), i = sizeof(len);
	int rc;

	do
		len[--i] = (char)('0' + n % 10);
	while ((n /= 10));
	if ((rc = ds_buf_add(&e->key, len + i, sizeof(len) - i)) ||
	    (rc = ds_buf_add(&e->key, ":", 1)) || (rc = ds_buf_puts(&e->key, key)))
		return rc;
	if (e->depth == e->path_cap) {
		e->path_cap = e->path_cap ? e->path_cap * 2 : 8;
		e->path = ds_realloc(e->path, e->path_cap * sizeof(*e->path));
	}
	e->path[e->depth++] = key;
	return 0;
}

/* Walks one object in sorted key order: non-empty objects recurse, the rest are leaves. */
static int walk(struct enc *e, const json_t *obj, size_t row)
{
	const char *room[32], **keys;
	size_t i, n, keylen = e->key.len, depth = e->depth;
	int heap, rc = 0;

	keys = sorted_keys(obj, room, DS_ARRAY_LEN(room), &n, &heap);
	for (i = 0; i < n && !rc; i++) {
		const json_t *v = json_object_get(obj, keys[i]);

		if ((rc = push_key(e, keys[i])))
			break;
		if (json_is_object(v) && json_object_size(v))
			rc = walk(e, v, row);
		else
			leaf(e, v, row);
		e->depth = depth;
		e->key.len = keylen;
		e->key.ptr[keylen] = '\0';
	}
	if (heap)
		free(keys);
	return rc;
}

static json_t *enc_doc(struct enc *e, size_t rows)
{
	json_t *cols = json_array();
	size_t i;

	for (i = 0; i < e->n; i++) {
		json_array_append_new(cols, json_pack("{s:o, s:o, s:o}", "p", e->cols[i].p, "r",
		                                      e->cols[i].r, "v", e->cols[i].v));
		e->cols[i].p = e->cols[i].r = e->cols[i].v = NULL;
	}
	return json_pack("{s:I, s:o}", "n", (json_int_t)rows, "cols", cols);
}

int sync_cols_encode(const json_t *records, json_t **out)
{
	struct enc e = {json_object(), NULL, 0, 0, NULL, 0, 0, DS_BUF_INIT};
	size_t i, rows;
	int rc = 0;

	*out = NULL;
	if (!json_is_array(records)) {
		rc = ds_error_set(DS_EINVALID, "columns: the records must be an array");
		goto done;
	}
	rows = json_array_size(records);
	if (rows > MAX_ROWS) {
		rc = ds_error_set(DS_EINVALID, "columns: %zu records, at most %d", rows, MAX_ROWS);
		goto done;
	}
	for (i = 0; i < rows && !rc; i++) {
		const json_t *rec = json_array_get(records, i);

		if (!json_is_object(rec))
			rc = ds_error_set(DS_EINVALID, "columns: records[%zu] is not an object", i);
		else
			rc = walk(&e, rec, i);
	}
	if (!rc)
		*out = enc_doc(&e, rows);
done:
	for (i = 0; i < e.n; i++) {
		json_decref(e.cols[i].p);
		json_decref(e.cols[i].r);
		json_decref(e.cols[i].v);
	}
	free(e.cols);
	json_decref(e.index);
	free(e.path);
	ds_buf_release(&e.key);
	return rc;
}

/* ---------------------------------------------------------------- decoding */

/* The path as "a.b.c" for messages (keys may hold dots; it is only for people). */
static void path_text(const json_t *p, ds_buf *out)
{
	size_t i;
	json_t *k;

	json_array_foreach(p, i, k) ds_buf_printf(out, "%s%s", i ? "." : "", json_string_value(k));
}

/* Checks a column's path and makes its lookup key; DS_EINVALID when it is not a
 * non-empty array of strings. */
static int path_check(const json_t *p, size_t ci, ds_buf *key)
{
	size_t i;
	json_t *k;

	if (!json_is_array(p) || json_array_size(p) == 0)
		return ds_error_set(DS_EINVALID,
		                    "columns: cols[%zu].p must be a non-empty array "
		                    "of keys",
		                    ci);
	if (json_array_size(p) > SYNC_MAX_PATH_DEPTH)
		return ds_error_set(DS_EINVALID, "columns: cols[%zu].p has %zu keys, at most %d",
		                    ci, json_array_size(p), SYNC_MAX_PATH_DEPTH);
	json_array_foreach(p, i, k)
	{
		if (!json_is_string(k))
			return ds_error_set(DS_EINVALID,
			                    "columns: cols[%zu].p[%zu] is not a string", ci, i);
		ds_buf_printf(key, "%zu:%s", strlen(json_string_value(k)), json_string_value(k));
	}
	return 0;
}

/* Decoding state: the records, the paths met so far, and the object budget. */
struct dec {
	json_t *rows;
	json_t *seen;
	size_t objects; /* made so far: the records and the objects paths run through */
	size_t max_objects;
};

/* Sets p = value inside rec. Fails (-1) when p clashes with a path already set in this
 * row: it runs through a leaf (an intermediate object is never empty, a leaf object
 * always is) or ends on a key that is already there; -2 when it would make more objects
 * than the budget allows. */
static int place(struct dec *d, json_t *rec, const json_t *p, const json_t *value)
{
	size_t i, last = json_array_size(p) - 1;

	for (i = 0; i < last; i++) {
		const char *key = json_string_value(json_array_get(p, i));
		json_t *next = json_object_get(rec, key);

		if (!next) {
			if (d->objects++ >= d->max_objects)
				return -2;
			next = json_object();
			json_object_set_new(rec, key, next);
		} else if (!json_is_object(next) || json_object_size(next) == 0) {
			return -1;
		}
		rec = next;
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
	const json_t *r = json_object_get(col, "r"), *v = json_object_get(col, "v");

	if (!json_is_object(col))
		return ds_error_set(DS_EINVALID, "columns: cols[%zu] is not an object", ci);
	if (json_object_size(col) != 3 || !json_object_get(col, "p") || !r || !v)
		return ds_error_set(DS_EINVALID,
		                    "columns: cols[%zu] must have exactly the "
		                    "members p, r and v",
		                    ci);
	if (!json_is_array(r) || !json_is_array(v))
		return ds_error_set(DS_EINVALID, "columns: cols[%zu].r and .v must be arrays", ci);
	if (json_array_size(r) != json_array_size(v))
		return ds_error_set(DS_EINVALID,
		                    "columns: cols[%zu] has %zu rows in r but %zu "
		                    "values in v",
		                    ci, json_array_size(r), json_array_size(v));
	return 0;
}

/* The error for place()'s failure how on column ci at row. */
static int place_error(int how, size_t ci, const char *path, size_t row, size_t max)
{
	if (how == -2)
		return ds_error_set(DS_ETOOBIG,
		                    "columns: the records would need more than %zu "
		                    "objects",
		                    max);
	return ds_error_set(DS_EINVALID,
	                    "columns: cols[%zu]: the path %s clashes with another path of "
	                    "row %zu",
	                    ci, path, row);
}

/* Checks one column and sets its values into the records. */
static int put_col(struct dec *d, const json_t *col, size_t ci)
{
	const json_t *p = json_object_get(col, "p"), *r, *v;
	ds_buf key = DS_BUF_INIT, text = DS_BUF_INIT;
	size_t j, row = 0, n = json_array_size(d->rows);
	int rc, how;

	if ((rc = col_shape(col, ci)) || (rc = path_check(p, ci, &key)))
		goto done;
	path_text(p, &text);
	if (json_object_get(d->seen, key.ptr)) {
		rc = ds_error_set(DS_EINVALID, "columns: cols[%zu] repeats the column %s", ci,
		                  text.ptr);
		goto done;
	}
	json_object_set_new(d->seen, key.ptr, json_true());
	r = json_object_get(col, "r");
	v = json_object_get(col, "v");
	for (j = 0; j < json_array_size(r); j++) {
		const json_t *val = json_array_get(v, j);

		if ((rc = next_row(json_array_get(r, j), ci, j, n, &row)))
			goto done;
		if (json_is_object(val) && json_object_size(val)) {
			rc = ds_error_set(DS_EINVALID,
			                  "columns: cols[%zu].v[%zu]: a non-empty "
			                  "object must be split into paths",
			                  ci, j);
			goto done;
		}
		if ((how = place(d, json_array_get(d->rows, row), p, val))) {
			rc = place_error(how, ci, text.ptr, row, d->max_objects);
			goto done;
		}
	}
done:
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
 * copies: a decoder parses a body, decodes it and frees the document, after which every
 * value belongs to the records alone. A caller that keeps doc must not change a record's
 * values in place while it does (jansson's refcounts say who else holds them). */
int sync_cols_decode_budget(const json_t *doc, size_t max_objects, json_t **records)
{
	const json_t *cols = json_object_get(doc, "cols");
	struct dec d = {NULL, NULL, 0, max_objects};
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
