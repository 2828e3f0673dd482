/* setpath.c: `update --set PATH=JSON`. A path is dotted field names with list items
 * named by id in brackets: applicant.phone, fees[lp1].paid (the grammar and the setting
 * are conflict_field_set's). The settings are applied to a copy of the dossier and the
 * journal gets the merge patch between the two. */
#include "agent/agent_int.h"
#include "conflict/conflict.h"

#include <stdlib.h>
#include <string.h>

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
			rc = conflict_field_set(&next, path, json_is_null(value) ? NULL : value);
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
