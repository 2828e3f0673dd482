/* path.c: field paths over dossier JSON ("applicant.phone", "fees[lp1].paid"): parsing,
 * reading and setting a field (for `dossync update --set` and `dossync resolve`), and the
 * list of fields that differ between two states (history log, merge repair). */
#include "conflict/conflict_int.h"

#include <stdlib.h>
#include <string.h>

void fpath_release(fpath *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].id);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* Reads one step ("key" or "key[id]") at *s; leaves *s after it. */
static int parse_step(const char **s, fstep *st, const char *whole)
{
	const char *p = *s;
	size_t k = strcspn(p, ".[]");

	if (k == 0)
		return ds_error_set(DS_EINVALID, "field path \"%s\": empty name", whole);
	st->key = ds_strndup(p, k);
	p += k;
	if (*p == '[') {
		size_t n = strcspn(p + 1, "[]");
		if (n == 0 || p[1 + n] != ']')
			return ds_error_set(DS_EINVALID, "field path \"%s\": bad [id]", whole);
		st->id = ds_strndup(p + 1, n);
		p += n + 2;
	}
	if (*p != '\0' && *p != '.')
		return ds_error_set(DS_EINVALID, "field path \"%s\": bad character after %s", whole,
		                    st->key);
	if (*p == '.' && p[1] == '\0')
		return ds_error_set(DS_EINVALID, "field path \"%s\": ends with a dot", whole);
	*s = *p == '.' ? p + 1 : p;
	return 0;
}

int fpath_parse(const char *s, fpath *out)
{
	const char *p = s;
	size_t cap = 0;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	if (!s || !*s)
		return ds_error_set(DS_EINVALID, "empty field path");
	while (*p && rc == 0) {
		if (out->n == cap) {
			cap = cap ? cap * 2 : 4;
			out->v = ds_realloc(out->v, cap * sizeof(*out->v));
		}
		memset(&out->v[out->n], 0, sizeof(out->v[0]));
		out->n++;
		rc = parse_step(&p, &out->v[out->n - 1], s);
	}
	if (rc)
		fpath_release(out);
	return rc;
}

int cf_is_idlist(const json_t *v)
{
	size_t i, j;

	if (!json_is_array(v))
		return 0;
	for (i = 0; i < json_array_size(v); i++) {
		const char *id = json_string_value(json_object_get(json_array_get(v, i), "id"));
		if (!id || !*id || strpbrk(id, "[]"))
			return 0;
		for (j = 0; j < i; j++) {
			json_t *other = json_object_get(json_array_get(v, j), "id");
			if (strcmp(id, json_string_value(other)) == 0)
				return 0;
		}
	}
	return 1;
}

json_t *cf_item_find(const json_t *list, const char *id, size_t *index)
{
	size_t i;
	json_t *item;

	json_array_foreach(list, i, item)
	{
		const char *x = json_string_value(json_object_get(item, "id"));
		if (x && strcmp(x, id) == 0) {
			if (index)
				*index = i;
			return item;
		}
	}
	return NULL;
}

char *cf_path_key(const char *prefix, const char *key)
{
	return *prefix ? ds_asprintf("%s.%s", prefix, key) : ds_strdup(key);
}

char *cf_path_item(const char *prefix, const char *id)
{
	return ds_asprintf("%s[%s]", prefix, id);
}

char *cf_path_strip_ids(const char *path)
{
	char *out = ds_malloc(strlen(path) + 1), *w = out;
	int depth = 0;

	for (; *path; path++) {
		if (*path == '[')
			depth++;
		else if (*path == ']')
			depth--;
		else if (depth == 0)
			*w++ = *path;
	}
	*w = '\0';
	return out;
}

/* ---------------------------------------------------------------- reading a field */

const json_t *conflict_field_get(const json_t *state, const char *field)
{
	fpath p;
	const json_t *cur = state;
	size_t i;

	if (!state || fpath_parse(field, &p))
		return NULL;
	for (i = 0; i < p.n && cur; i++) {
		cur = json_object_get(cur, p.v[i].key);
		if (cur && p.v[i].id)
			cur = json_is_array(cur) ? cf_item_find(cur, p.v[i].id, NULL) : NULL;
	}
	fpath_release(&p);
	return cur;
}

/* ---------------------------------------------------------------- setting a field */

/* The child object at key of obj, created when absent and create is set. */
static int step_object(json_t *obj, const char *key, int create, json_t **out)
{
	json_t *child = json_object_get(obj, key);

	*out = NULL;
	if (!child && create) {
		child = json_object();
		json_object_set_new(obj, key, child);
	}
	if (child && !json_is_object(child))
		return ds_error_set(DS_EINVALID, "field %s is not an object", key);
	*out = child;
	return 0;
}

/* The item with id in the list at key of obj, created (list and item) when create. */
static int step_item(json_t *obj, const fstep *st, int create, json_t **out)
{
	json_t *list = json_object_get(obj, st->key), *item;

	*out = NULL;
	if (!list && create) {
		list = json_array();
		json_object_set_new(obj, st->key, list);
	}
	if (list && !json_is_array(list))
		return ds_error_set(DS_EINVALID, "field %s is not a list", st->key);
	item = list ? cf_item_find(list, st->id, NULL) : NULL;
	if (!item && create) {
		item = json_pack("{ss}", "id", st->id);
		json_array_append_new(list, item);
	}
	if (item && !json_is_object(item))
		return ds_error_set(DS_EINVALID, "item %s[%s] is not an object", st->key, st->id);
	*out = item;
	return 0;
}

/* Sets or removes the last step's target inside obj. */
static int set_last(json_t *obj, const fstep *st, const json_t *value)
{
	json_t *list, *copy;
	size_t at;

	if (!st->id) {
		if (value)
			return json_object_set_new(obj, st->key, json_deep_copy(value)) ? DS_ERROR
			                                                                : 0;
		json_object_del(obj, st->key);
		return 0;
	}
	if (value && !json_is_object(value))
		return ds_error_set(DS_EINVALID, "%s[%s]: a list item must be an object", st->key,
		                    st->id);
	list = json_object_get(obj, st->key);
	if (list && !json_is_array(list))
		return ds_error_set(DS_EINVALID, "field %s is not a list", st->key);
	if (!value) {
		if (list && cf_item_find(list, st->id, &at))
			json_array_remove(list, at);
		return 0;
	}
	copy = json_deep_copy(value);
	json_object_set_new(copy, "id", json_string(st->id));
	if (!list) {
		list = json_array();
		json_object_set_new(obj, st->key, list);
	}
	if (cf_item_find(list, st->id, &at))
		return json_array_set_new(list, at, copy) ? DS_ERROR : 0;
	return json_array_append_new(list, copy) ? DS_ERROR : 0;
}

int conflict_field_set(json_t **state, const char *field, const json_t *value)
{
	fpath p = {0};
	json_t *cur;
	size_t i;
	int rc;

	if (!state || !json_is_object(*state))
		return ds_error_set(DS_EINVALID, "the state is not an object");
	if ((rc = fpath_parse(field, &p)))
		return rc;
	if ((*state)->refcount > 1) {
		cur = json_deep_copy(*state);
		json_decref(*state);
		*state = cur;
	}
	cur = *state;
	for (i = 0; i + 1 < p.n && cur && rc == 0; i++) {
		if (p.v[i].id)
			rc = step_item(cur, &p.v[i], value != NULL, &cur);
		else
			rc = step_object(cur, p.v[i].key, value != NULL, &cur);
	}
	if (rc == 0 && cur)
		rc = set_last(cur, &p.v[p.n - 1], value);
	fpath_release(&p);
	return rc;
}

int conflict_apply_resolution(json_t **state, const char *field, const json_t *value)
{
	int rc = conflict_field_set(state, field, value);

	return rc ? ds_error_wrap(rc, "resolve %s", field) : 0;
}

/* ---------------------------------------------------------------- differing fields */

static int diff_objects(const char *prefix, const json_t *x, const json_t *y, json_t *out);
static int diff_lists(const char *prefix, const json_t *x, const json_t *y, json_t *out);

int cf_diff_paths(const char *prefix, const json_t *x, const json_t *y, json_t *out)
{
	if (x && y && json_equal((json_t *)x, (json_t *)y))
		return 0;
	if (!x && !y)
		return 0;
	if (json_is_object(x) && json_is_object(y))
		return diff_objects(prefix, x, y, out);
	if (cf_is_idlist(x) && cf_is_idlist(y))
		return diff_lists(prefix, x, y, out);
	return json_array_append_new(out, json_string(prefix)) ? DS_ERROR : 0;
}

static int diff_objects(const char *prefix, const json_t *x, const json_t *y, json_t *out)
{
	json_t *keys = cf_key_union(x, y, NULL), *k;
	size_t i;
	int rc = 0;

	json_array_foreach(keys, i, k)
	{
		const char *key = json_string_value(k);
		char *path = cf_path_key(prefix, key);
		rc = cf_diff_paths(path, json_object_get(x, key), json_object_get(y, key), out);
		free(path);
		if (rc)
			break;
	}
	json_decref(keys);
	return rc;
}

static int diff_item(const char *prefix, const json_t *item, const json_t *x, const json_t *y,
                     json_t *out)
{
	const char *id = json_string_value(json_object_get(item, "id"));
	char *path = cf_path_item(prefix, id);
	int rc = cf_diff_paths(path, cf_item_find(x, id, NULL), cf_item_find(y, id, NULL), out);

	free(path);
	return rc;
}

static int diff_lists(const char *prefix, const json_t *x, const json_t *y, json_t *out)
{
	json_t *item;
	size_t i;
	int rc = 0;

	json_array_foreach(x, i, item)
	{
		if ((rc = diff_item(prefix, item, x, y, out)))
			return rc;
	}
	json_array_foreach(y, i, item)
	{
		const char *id = json_string_value(json_object_get(item, "id"));
		if (!cf_item_find(x, id, NULL) && (rc = diff_item(prefix, item, x, y, out)))
			return rc;
	}
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

json_t *cf_key_union(const json_t *a, const json_t *b, const json_t *c)
{
	const json_t *objs[3] = {a, b, c};
	json_t *seen = json_object(), *keys = json_array(), *v;
	const char *key, **sorted;
	size_t i, n = 0;

	for (i = 0; i < 3; i++) {
		if (!json_is_object(objs[i]))
			continue;
		json_object_foreach((json_t *)objs[i], key, v)
		    json_object_set(seen, key, json_true());
	}
	sorted = ds_calloc(json_object_size(seen) + 1, sizeof(*sorted));
	json_object_foreach(seen, key, v) sorted[n++] = key;
	qsort(sorted, n, sizeof(*sorted), cmp_str);
	for (i = 0; i < n; i++)
		json_array_append_new(keys, json_string(sorted[i]));
	free(sorted);
	json_decref(seen);
	return keys;
}

int conflict_diff_fields(const json_t *from, const json_t *to, json_t **paths)
{
	json_t *out;
	int rc;

	*paths = NULL;
	if (!json_is_object(from) && from)
		return ds_error_set(DS_EINVALID, "diff: from is not an object");
	if (!json_is_object(to) && to)
		return ds_error_set(DS_EINVALID, "diff: to is not an object");
	out = json_array();
	rc = diff_objects("", from, to, out);
	if (rc) {
		json_decref(out);
		return rc;
	}
	*paths = out;
	return 0;
}
