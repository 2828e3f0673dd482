/* data.c: the "data" member of a pull page, the current versions of the working calendar
 * and the procedure catalogue central distributes (docs/PROTOCOL.md "GET /v1/data"). Only
 * its shape is checked here; the files themselves are checked by schema/ on the agent. */
#include "sync/sync.h"

#include <string.h>

#define VERSION_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

static int version_ok(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= 40 && strspn(s, VERSION_CHARS) == n;
}

int sync_data_versions_check(const json_t *v)
{
	const char *kind;
	json_t *ver;

	if (!json_is_object(v))
		return ds_error_set(DS_EINVALID, "data: must be an object of versions");
	json_object_foreach((json_t *)v, kind, ver)
	{
		if (strcmp(kind, "calendar") && strcmp(kind, "procedures"))
			return ds_error_set(DS_EINVALID, "data: unknown kind \"%s\"", kind);
		if (!version_ok(ver))
			return ds_error_set(DS_EINVALID,
			                    "data.%s: must be a version, 1-40 of "
			                    "A-Z a-z 0-9 . _ -",
			                    kind);
	}
	return 0;
}
