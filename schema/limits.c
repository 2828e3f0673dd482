/* limits.c: how big a dossier may grow: characters per text field, items per list, and at
 * most SCHEMA_DOSSIER_MAX_BYTES of canonical JSON for the whole dossier, so that no office can
 * fill central.db with one dossier or make a pull page too big for an agent to take.
 * schema_dossier_validate() checks them, so the agent and central refuse the same dossiers.
 */
#include "schema/schema_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 256

/* Characters (code points) a text field may hold, by its name; others SCHEMA_TEXT_MAX. */
static const struct {
	const char *key;
	int max;
} texts[] = {
    {"summary", SCHEMA_LONG_TEXT_MAX},
    {"what", SCHEMA_LONG_TEXT_MAX},
    {"reason", SCHEMA_LONG_TEXT_MAX},
    {"note", SCHEMA_LONG_TEXT_MAX},
};

/* Items a list may hold. Progress rows grow with every status move: the 256 KiB of the
 * whole dossier binds long before 1,000 of them. */
static const struct {
	const char *key;
	int max;
} lists[] = {
    {"components", 200},  {"fees", 100},        {"progress", 1000},
    {"supplements", 100}, {"attachments", 200},
};

static int text_max(const char *key)
{
	for (size_t i = 0; key && i < DS_ARRAY_LEN(texts); i++)
		if (strcmp(key, texts[i].key) == 0)
			return texts[i].max;
	return SCHEMA_TEXT_MAX;
}

static int list_max(const char *key)
{
	for (size_t i = 0; key && i < DS_ARRAY_LEN(lists); i++)
		if (strcmp(key, lists[i].key) == 0)
			return lists[i].max;
	return 0;
}

static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* The checks walk the dossier twice at most: first with path NULL, building no names
 * (the dossiers that pass, nearly all: no string formatting per field), then, only for one
 * that fails, again with paths, to name the field in the message. The walk also adds up
 * an upper bound of the dossier's canonical size (*bound: every byte of text escaped as
 * a \u escape, 32 bytes a number), so the exact size is worked out only for a dossier whose
 * bound passes the limit. */
#define BOUND_SCALAR 32
#define BOUND_ESCAPED 6

static int check_node(const json_t *v, const char *path, const char *key, size_t *bound);

static int check_members(const json_t *obj, const char *path, size_t *bound)
{
	char sub[PATH_MAX_LEN];
	const char *key;
	json_t *v;
	int rc;

	json_object_foreach((json_t *)obj, key, v)
	{
		if (path)
			snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", key);
		*bound += 4 + BOUND_ESCAPED * strlen(key); /* "key": and a comma */
		if ((rc = check_node(v, path ? sub : NULL, key, bound)))
			return rc;
	}
	return 0;
}

static int check_items(const json_t *list, const char *path, const char *key, size_t *bound)
{
	char sub[PATH_MAX_LEN];
	const json_t *item;
	size_t i;
	int rc, max = list_max(key);

	if (max && json_array_size(list) > (size_t)max)
		return path ? ds_error_set(DS_EINVALID, "%s: at most %d items (got %zu)", path, max,
		                           json_array_size(list))
		            : DS_EINVALID;
	json_array_foreach(list, i, item)
	{
		const char *id = json_string_value(json_object_get(item, "id"));
		if (path && id)
			snprintf(sub, sizeof(sub), "%s[%s]", path, id);
		else if (path)
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		*bound += 1; /* a comma */
		if ((rc = check_node(item, path ? sub : NULL, NULL, bound)))
			return rc;
	}
	return 0;
}

static int check_node(const json_t *v, const char *path, const char *key, size_t *bound)
{
	size_t n;

	*bound += json_is_string(v) ? 2 + BOUND_ESCAPED * json_string_length(v)
	          : json_is_object(v) || json_is_array(v) ? 2
	                                                  : BOUND_SCALAR;
	if (json_is_object(v))
		return check_members(v, path, bound);
	if (json_is_array(v))
		return check_items(v, path, key, bound);
	if (json_is_string(v) && (n = chars(json_string_value(v))) > (size_t)text_max(key))
		return path ? ds_error_set(DS_EINVALID, "%s: at most %d characters (got %zu)", path,
		                           text_max(key), n)
		            : DS_EINVALID;
	return 0;
}

/* The top-level field with the most canonical bytes, for the message. */
static const char *largest_field(const json_t *d, size_t *size)
{
	const char *key, *best = "";
	json_t *v;
	char *text;
	size_t n;

	*size = 0;
	json_object_foreach((json_t *)d, key, v)
	{
		text = NULL;
		if (ds_json_canonical(v, &text, &n) == 0 && n > *size)
			*size = n, best = key;
		free(text);
	}
	return best;
}

int schema_dossier_limits(const json_t *d)
{
	const char *big;
	size_t n = 0, big_n, bound = 0, again = 0;
	int rc;

	if (check_node(d, NULL, NULL, &bound))
		return check_node(d, "", NULL, &again); /* the same walk, naming the field */
	if (bound <= SCHEMA_DOSSIER_MAX_BYTES)
		return 0;
	if ((rc = ds_json_canonical_size(d, &n)))
		return rc;
	if (n > SCHEMA_DOSSIER_MAX_BYTES) {
		big = largest_field(d, &big_n);
		rc =
		    ds_error_set(DS_EINVALID,
		                 "%s: the dossier is %zu bytes of canonical JSON, more than the %d "
		                 "allowed (%s holds %zu)",
		                 big, n, SCHEMA_DOSSIER_MAX_BYTES, big, big_n);
	}
	return rc;
}
