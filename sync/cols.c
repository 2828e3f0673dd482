/* cols.c: the column codec of docs/PROTOCOL.md. A list of JSON records is flattened into
 * key paths and laid out by path, so that similar values sit next to each other and
 * deflate well. Encoding is deterministic (the same records give the same bytes); decoding
 * checks every part of the document and refuses anything ambiguous with DS_EINVALID. */
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
	json_t *path; /* the keys from the record down to the current value */
	ds_buf key;   /* the same path as a lookup key, "<len>:<key>" per level */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj in sorted order; the array is the caller's to free(). */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
	const char **keys = ds_calloc(json_object_size(obj) + 1, sizeof(*keys));
	const char *key;
	json_t *v;
	size_t i = 0;

	json_object_foreach((json_t *)obj, key, v) keys[i++] = key;
	qsort(keys, i, sizeof(*keys), cmp_str);
	*n = i;
	return keys;
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
	c->p = json_deep_copy(e->path);
	c->r = json_array();
	c->v = json_array();
	c->last = 0;
	json_object_set_new(e->index, e->key.ptr, json_integer((json_int_t)e->n));
	e->n++;
	return c;
}

static void leaf(struct enc *e, const json_t *value, size_t row)
{
	struct col *c = column_for(e);

	json_array_append_new(c->r, json_integer((json_int_t)(row - c->last)));
	json_array_append_new(c->v, json_deep_copy(value));
	c->last = row;
}

/* Walks one object in sorted key order: non-empty objects recurse, the rest are leaves. */
static int walk(struct enc *e, const json_t *obj, size_t row)
{
	size_t i, n, keylen = e->key.len;
	const char **keys = sorted_keys(obj, &n);
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		const json_t *v = json_object_get(obj, keys[i]);

		rc = ds_buf_printf(&e->key, "%zu:%s", strlen(keys[i]), keys[i]);
		if (rc)
			break;
		json_array_append_new(e->path, json_string_nocheck(keys[i]));
		if (json_is_object(v) && json_object_size(v))
			rc = walk(e, v, row);
		else
			leaf(e, v, row);
		json_array_remove(e->path, json_array_size(e->path) - 1);
		e->key.len = keylen;
		e->key.ptr[keylen] = '\0';
	}
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
	struct enc e = {json_object(), NULL, 0, 0, json_array(), DS_BUF_INIT};
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
	json_decref(e.path);
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
	json_array_foreach(p, i, k)
	{
		if (!json_is_string(k))
			return ds_error_set(DS_EINVALID,
			                    "columns: cols[%zu].p[%zu] is not a string", ci, i);
		ds_buf_printf(key, "%zu:%s", strlen(json_string_value(k)), json_string_value(k));
	}
	return 0;
}

/* Sets p = value inside rec. Fails (-1) when p clashes with a path already set in this
 * row: it runs through a leaf (an intermediate object is never empty, a leaf object
 * always is) or ends on a key that is already there. */
static int place(json_t *rec, const json_t *p, const json_t *value)
{
	size_t i, last = json_array_size(p) - 1;

	for (i = 0; i < last; i++) {
		const char *key = json_string_value(json_array_get(p, i));
		json_t *next = json_object_get(rec, key);

		if (!next) {
			next = json_object();
			json_object_set_new(rec, key, next);
		} else if (!json_is_object(next) || json_object_size(next) == 0) {
			return -1;
		}
		rec = next;
	}
	if (json_object_get(rec, json_string_value(json_array_get(p, last))))
		return -1;
	json_object_set_new(rec, json_string_value(json_array_get(p, last)), json_deep_copy(value));
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

/* Checks one column and sets its values into rows; seen holds the paths met so far. */
static int put_col(json_t *rows, json_t *seen, const json_t *col, size_t ci)
{
	const json_t *p = json_object_get(col, "p"), *r, *v;
	ds_buf key = DS_BUF_INIT, text = DS_BUF_INIT;
	size_t j, row = 0, n = json_array_size(rows);
	int rc;

	if ((rc = col_shape(col, ci)) || (rc = path_check(p, ci, &key)))
		goto done;
	path_text(p, &text);
	if (json_object_get(seen, key.ptr)) {
		rc = ds_error_set(DS_EINVALID, "columns: cols[%zu] repeats the column %s", ci,
		                  text.ptr);
		goto done;
	}
	json_object_set_new(seen, key.ptr, json_true());
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
		if (place(json_array_get(rows, row), p, val)) {
			rc = ds_error_set(DS_EINVALID,
			                  "columns: cols[%zu]: the path %s clashes "
			                  "with another path of row %zu",
			                  ci, text.ptr, row);
			goto done;
		}
	}
done:
	ds_buf_release(&key);
	ds_buf_release(&text);
	return rc;
}

int sync_cols_decode(const json_t *doc, json_t **records)
{
	const json_t *n = json_object_get(doc, "n"), *cols = json_object_get(doc, "cols");
	json_t *rows = NULL, *seen = NULL;
	size_t i;
	int rc = 0;

	*records = NULL;
	if (!json_is_object(doc) || json_object_size(doc) != 2 || !n || !cols) {
		rc = ds_error_set(DS_EINVALID, "columns: expected an object with exactly the "
		                               "members n and cols");
		goto done;
	}
	if (!json_is_integer(n) || json_integer_value(n) < 0 || json_integer_value(n) > MAX_ROWS) {
		rc = ds_error_set(DS_EINVALID, "columns: n must be an integer from 0 to %d",
		                  MAX_ROWS);
		goto done;
	}
	if (!json_is_array(cols)) {
		rc = ds_error_set(DS_EINVALID, "columns: cols must be an array");
		goto done;
	}
	rows = json_array();
	seen = json_object();
	for (i = 0; i < (size_t)json_integer_value(n); i++)
		json_array_append_new(rows, json_object());
	for (i = 0; i < json_array_size(cols) && !rc; i++)
		rc = put_col(rows, seen, json_array_get(cols, i), i);
	if (!rc) {
		*records = rows;
		rows = NULL;
	}
done:
	json_decref(rows);
	json_decref(seen);
	return rc;
}
