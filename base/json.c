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

int ds_json_canonical(const json_t *v, char **out, size_t *len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	*out = NULL;
	if (!s)
		return ds_error_set(DS_ERROR, "cannot serialise JSON");
	*out = s;
	if (len)
		*len = strlen(s);
	return 0;
}

int ds_json_canonical_size(const json_t *v, size_t *len)
{
	*len = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	return *len ? 0 : ds_error_set(DS_ERROR, "cannot serialise JSON");
}

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
/* The canonical text of the scalars json_dumpb would write without escapes or number
 * formatting choices: a string with no '"', '\\' or control byte (jansson holds valid
 * UTF-8), an integer, true, false, null. 0 when v is something else. */
static size_t plain_scalar(const json_t *v, char *buf, size_t cap)
{
	char num[32];
	const char *s;
	size_t n, i;

	if (json_is_integer(v) || json_is_true(v) || json_is_false(v) || json_is_null(v)) {
		s = json_is_true(v)    ? "true"
		    : json_is_false(v) ? "false"
		    : json_is_null(v)  ? "null"
		                       : num;
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		n = strlen(s);
		if (n <= cap)
			memcpy(buf, s, n);
		return n;
	}
	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	n = json_string_length(v);
	for (i = 0; i < n; i++)
		if (s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < 0x20)
			return 0;
	if (n + 2 <= cap) {
		buf[0] = '"';
		memcpy(buf + 1, s, n);
		buf[n + 1] = '"';
	}
	return n + 2;
}

int ds_json_canonical_buf(const json_t *v, char *buf, size_t cap, size_t *len)
{
	if ((*len = plain_scalar(v, buf, cap)))
		return 0;
	*len = json_dumpb(v, buf, cap, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	return *len ? 0 : ds_error_set(DS_ERROR, "cannot serialise JSON");
}

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
