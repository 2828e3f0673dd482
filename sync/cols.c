/* cols.c: the column encoder of docs/PROTOCOL.md. A list of JSON records is flattened into
 * key paths (object keys, and the indexes of lists of objects) and laid out by path, so that
 * similar values sit next to each other and deflate well; each column's values then take
 * their smallest form (cols_pack.c). Encoding is deterministic (the same records give the
 * same bytes). The decoder is cols_dec.c. */
#include "sync/cols_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 1000000
#define SMALL 16 /* row deltas below this share one JSON number each */

/* One column while encoding: its path, row deltas, values, and the last row it holds. */
struct col {
	json_t *p, *r, *v;
	size_t last;
};

/* One step of a path: an object's key, or (key NULL) the index of a list's element. */
struct step {
	const char *key;
	size_t index;
};

struct enc {
	json_t *index; /* path key -> column number */
	struct col *cols;
	size_t n, cap;
	struct step *path; /* the keys from the record down to the current value */
	size_t depth, path_cap;
	ds_buf key;              /* the same path as a lookup key, "<len>:<key>" per level */
	const char *const *skip; /* the records' own members left out (nskip of them) */
	size_t nskip;
	json_t *small[SMALL]; /* the deltas 0..SMALL-1, made once (most deltas are 1) */
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
		json_array_append_new(p, e->path[i].key
		                             ? json_string_nocheck(e->path[i].key)
		                             : json_integer((json_int_t)e->path[i].index));
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
	size_t d = row - c->last;

	if (d >= SMALL)
		json_array_append_new(c->r, json_integer((json_int_t)d));
	else
		json_array_append(c->r, e->small[d] ? e->small[d]
		                                    : (e->small[d] = json_integer((json_int_t)d)));
	json_array_append(c->v, (json_t *)value);
	c->last = row;
}

/* Goes one level down to key (NULL: to element index of a list): the path and its lookup
 * key ("<len>:<key>" per key, "#<index>" per element) grow by it. */
static int push_step(struct enc *e, const char *key, size_t index)
{
	int rc;

	if ((rc = key ? 0 : ds_buf_add(&e->key, "#", 1)) ||
	    (rc = ds_buf_add_uint(&e->key, key ? strlen(key) : index)) ||
	    (key && ((rc = ds_buf_add(&e->key, ":", 1)) || (rc = ds_buf_puts(&e->key, key)))))
		return rc;
	if (e->depth == e->path_cap) {
		e->path_cap = e->path_cap ? e->path_cap * 2 : 8;
		e->path = ds_realloc(e->path, e->path_cap * sizeof(*e->path));
	}
	e->path[e->depth].key = key;
	e->path[e->depth++].index = index;
	return 0;
}

static int walk(struct enc *e, const json_t *obj, size_t row);

/* One member or element v of the current value: a non-empty object or a list of them
 * recurses, the rest is a leaf. */
static int step(struct enc *e, const char *key, size_t index, const json_t *v, size_t row)
{
	size_t keylen = e->key.len, depth = e->depth;
	int rc;

	if ((rc = push_step(e, key, index)))
		return rc;
	if ((json_is_object(v) && json_object_size(v)) || cols_flat_array(v))
		rc = walk(e, v, row);
	else
		leaf(e, v, row);
	e->depth = depth;
	e->key.len = keylen;
	e->key.ptr[keylen] = '\0';
	return rc;
}

/* 1 when key is a record's own member that the caller leaves out. */
static int skipped(const struct enc *e, const char *key)
{
	size_t i;

	if (e->depth)
		return 0;
	for (i = 0; i < e->nskip; i++)
		if (!strcmp(key, e->skip[i]))
			return 1;
	return 0;
}

/* Walks one object in sorted key order, or one list of objects in order. */
static int walk(struct enc *e, const json_t *obj, size_t row)
{
	const char *room[32], **keys;
	size_t i, n;
	int heap, rc = 0;

	if (json_is_array(obj)) {
		for (i = 0; i < json_array_size(obj) && !rc; i++)
			rc = step(e, NULL, i, json_array_get(obj, i), row);
		return rc;
	}
	keys = sorted_keys(obj, room, DS_ARRAY_LEN(room), &n, &heap);
	for (i = 0; i < n && !rc; i++)
		if (!skipped(e, keys[i]))
			rc = step(e, keys[i], 0, json_object_get(obj, keys[i]), row);
	if (heap)
		free(keys);
	return rc;
}

static json_t *enc_doc(struct enc *e, size_t rows)
{
	json_t *cols = json_array();
	size_t i;

	for (i = 0; i < e->n; i++) {
		json_t *col = json_pack("{s:o, s:o}", "p", e->cols[i].p, "r", e->cols[i].r);

		cols_pack(col, e->cols[i].v);
		json_array_append_new(cols, col);
		e->cols[i].p = e->cols[i].r = e->cols[i].v = NULL;
	}
	return json_pack("{s:I, s:o}", "n", (json_int_t)rows, "cols", cols);
}

int sync_cols_encode(const json_t *records, json_t **out)
{
	return cols_encode_skip(records, NULL, 0, out);
}

int cols_encode_skip(const json_t *records, const char *const *skip, size_t nskip, json_t **out)
{
	struct enc e = {json_object(), NULL, 0, 0, NULL, 0, 0, DS_BUF_INIT, skip, nskip, {NULL}};
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
	for (i = 0; i < SMALL; i++)
		json_decref(e.small[i]);
	json_decref(e.index);
	free(e.path);
	ds_buf_release(&e.key);
	return rc;
}
