/* json.c: canonical JSON (sorted keys, compact), RFC 7396 merge patches and their inverse
 * (a diff), over jansson. Canonical bytes are what the journal hashes and what two nodes
 * compare, so the same state must always give the same bytes. NFC text is in text.c. */
#include "base/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ds_json_parse(const char *s, size_t n, json_t **out)
{
	json_error_t e;
	json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);

	*out = NULL;
	if (!v)
		return ds_error_set(DS_EINVALID, "invalid JSON at line %d, column %d: %s", e.line,
		                    e.column, e.text);
	*out = v;
	return 0;
}

/* ds_json_canonical, ds_json_canonical_size and ds_json_canonical_buf are in canon.c. */

/* 1 when v holds a real anywhere: json_equal takes -0.0 for 0.0, canonical text does not. */
static int has_real(const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_real(v))
		return 1;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x) if (has_real(x)) return 1;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) if (has_real(x)) return 1;
	}
	return 0;
}

/* Same canonical text, without writing it in the common cases: values json_equal tells
 * apart never print alike (reals print exactly, to 17 digits), and equal values print alike
 * unless a real is signed differently (-0.0 and 0.0), which the text comparison settles. */
int ds_json_same(const json_t *a, const json_t *b)
{
	char *x = NULL, *y = NULL;
	int same;

	if (!a || !b)
		return a == b;
	if (a == b)
		return 1;
	if (!json_equal(a, b))
		return 0;
	if (!has_real(a))
		return 1;
	if (ds_json_canonical(a, &x, NULL) || ds_json_canonical(b, &y, NULL)) {
		free(x);
		return 0;
	}
	same = strcmp(x, y) == 0;
	free(x);
	free(y);
	return same;
}

static json_t *merge(json_t *target, const json_t *patch)
{
	const char *key;
	json_t *value;

	if (!json_is_object(patch)) {
		json_decref(target);
		return json_deep_copy(patch);
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
	}
	json_object_foreach((json_t *)patch, key, value)
	{
		if (json_is_null(value)) {
			json_object_del(target, key);
			continue;
		}
		json_t *cur = json_incref(json_object_get(target, key));
		json_object_set_new(target, key, merge(cur, value));
	}
	return target;
}

int ds_json_merge_patch(json_t **target, const json_t *patch)
{
	json_t *t = *target;

	if (!patch)
		return ds_error_set(DS_EINVALID, "no patch");
	if (json_is_object(t) && t->refcount > 1) {
		/* Never change a value somebody else holds. */
		*target = json_deep_copy(t);
		json_decref(t);
	}
	*target = merge(*target, patch);
	return 0;
}

int ds_json_diff(const json_t *from, const json_t *to, json_t **out)
{
	const char *key;
	json_t *value, *patch = json_object();

	*out = NULL;
	if (!json_is_object(from) || !json_is_object(to)) {
		json_decref(patch);
		return ds_error_set(DS_EINVALID, "diff needs two objects");
	}
	json_object_foreach((json_t *)from, key, value)
	{
		if (!json_object_get(to, key))
			json_object_set_new(patch, key, json_null());
	}
	json_object_foreach((json_t *)to, key, value)
	{
		json_t *old = json_object_get(from, key);

		if (old && json_is_object(old) && json_is_object(value)) {
			json_t *sub;
			if (ds_json_diff(old, value, &sub)) {
				json_decref(patch);
				return DS_ERROR;
			}
			if (json_object_size(sub))
				json_object_set_new(patch, key, sub);
			else
				json_decref(sub);
		} else if (!old || !ds_json_same(old, value)) {
			json_object_set_new(patch, key, json_deep_copy(value));
		}
	}
	*out = patch;
	return 0;
}
