/* setpath.c: `update --set PATH=JSON`. A path is dotted field names with list items
 * named by id in brackets: applicant.phone, fees[lp1].paid. The settings are applied to a
 * copy of the dossier and the journal gets the merge patch between the two. */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>

/* Splits the next path segment: a name, or "[id]". Returns the rest, NULL at the end. */
static int next_segment(const char **p, char *name, size_t cap, int *is_item)
{
	const char *s = *p, *e;
	size_t n;

	*is_item = *s == '[';
	if (*is_item) {
		e = strchr(s, ']');
		if (!e)
			return -1;
		s++;
	} else {
		e = s + strcspn(s, ".[");
	}
	n = (size_t)(e - s);
	if (n == 0 || n >= cap)
		return -1;
	memcpy(name, s, n);
	name[n] = '\0';
	s = e + (*is_item ? 1 : 0);
	if (*s == '.')
		s++;
	*p = s;
	return 0;
}

static json_t *find_item(json_t *list, const char *id)
{
	size_t i;
	json_t *item;

	json_array_foreach(list, i, item)
	{
		const char *iid = json_string_value(json_object_get(item, "id"));
		if (iid && strcmp(iid, id) == 0)
			return item;
	}
	return NULL;
}

/* Sets value (NULL: removes) at path inside root; creates missing objects and items. */
static int set_path(json_t *root, const char *path, json_t *value)
{
	char seg[128];
	const char *p = path;
	json_t *cur = root, *next;
	int item;

	for (;;) {
		if (next_segment(&p, seg, sizeof(seg), &item))
			return ds_error_set(DS_EINVALID, "bad path '%s'", path);
		if (item && !json_is_array(cur))
			return ds_error_set(DS_EINVALID, "%s: [%s] names a list item, but this is "
							 "not a list", path, seg);
		if (!item && !json_is_object(cur))
			return ds_error_set(DS_EINVALID, "%s: '%s' is not inside an object", path,
					    seg);
		next = item ? find_item(cur, seg) : json_object_get(cur, seg);
		if (!*p)
			break;
		if (!next) {
			int list_next = *p == '[';
			next = list_next ? json_array() : json_object();
			if (item)
				json_object_set_new(next, "id", json_string(seg));
			item ? json_array_append_new(cur, next) : json_object_set_new(cur, seg, next);
		}
		cur = next;
	}
	if (item) {
		size_t i;
		json_t *it;
		json_array_foreach(cur, i, it) if (it == next) break;
		if (!value) {
			if (next)
				json_array_remove(cur, i);
			return 0;
		}
		if (!json_is_object(value))
			return ds_error_set(DS_EINVALID, "%s: a list item is a JSON object", path);
		json_object_set_new(value, "id", json_string(seg));
		return next ? json_array_set(cur, i, value) : json_array_append(cur, value);
	}
	if (!value)
		return json_object_del(cur, seg), 0;
	return json_object_set(cur, seg, value);
}

int agent_patch_from_sets(agent *a, const char *code, char *const *sets, int n, json_t **patch)
{
	json_t *state = NULL, *next = NULL, *value = NULL;
	int i, rc;

	*patch = NULL;
	if ((rc = agent_load(a, code, &state, NULL)))
		return rc;
	next = json_deep_copy(state);
	for (i = 0; i < n && !rc; i++) {
		const char *eq = strchr(sets[i], '=');
		char *path;
		if (!eq || eq == sets[i]) {
			rc = ds_error_set(DS_EUSAGE, "--set takes PATH=JSON, not '%s'", sets[i]);
			break;
		}
		path = ds_strndup(sets[i], (size_t)(eq - sets[i]));
		rc = ds_json_parse(eq + 1, strlen(eq + 1), &value);
		if (rc)
			rc = ds_error_set(DS_EINVALID,
					  "%s: the value must be JSON (a text in double quotes, "
					  "e.g. '\"0963060905\"')",
					  path);
		else
			rc = set_path(next, path, json_is_null(value) ? NULL : value);
		json_decref(value);
		value = NULL;
		free(path);
	}
	if (!rc)
		rc = ds_json_diff(state, next, patch);
	json_decref(state);
	json_decref(next);
	return rc;
}
