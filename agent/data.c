/* data.c: the calendar and procedure catalogue central distributes (docs/PROTOCOL.md
 * "GET /v1/data"). Every pull page names central's current versions; when they differ
 * from the copies in DIR/data, the agent fetches the files, checks them with the loaders
 * that compute due dates, and replaces its copies atomically. */
#include "agent/agent_int.h"
#include "sync/sync.h"

#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"calendar", "procedures"};

char *agent_data_path(const agent *a, const char *name)
{
	char *dir = ds_path_join(a->dir, "data"), *p = ds_path_join(dir, name);

	free(dir);
	return p;
}

/* {kind: version} of the copies in DIR/data (a file that cannot be read counts as absent). */
static json_t *held_versions(const agent *a)
{
	json_t *have = json_object(), *doc;
	ds_buf b = DS_BUF_INIT;
	size_t i;

	for (i = 0; i < DS_ARRAY_LEN(kinds); i++) {
		char *name = ds_asprintf("%s.json", kinds[i]), *p = agent_data_path(a, name);
		doc = NULL;
		ds_buf_reset(&b);
		if (ds_file_read(p, AGENT_DATA_FILE_MAX, &b) == 0 &&
		    ds_json_parse(b.ptr, b.len, &doc) == 0 &&
		    json_is_string(json_object_get(doc, "version")))
			json_object_set(have, kinds[i], json_object_get(doc, "version"));
		json_decref(doc);
		free(name);
		free(p);
	}
	ds_buf_release(&b);
	return have;
}

/* Checks one file with its loader, that its version is the one announced, and writes it. */
static int install(agent *a, const char *kind, const json_t *file)
{
	const char *body = json_string_value(json_object_get(file, "body"));
	const char *version = json_string_value(json_object_get(file, "version"));
	schema_calendar *cal = NULL;
	schema_catalogue *cat = NULL;
	char *name = ds_asprintf("%s.json", kind), *dir = ds_path_join(a->dir, "data"), *p = NULL;
	int rc = !strcmp(kind, "calendar") ? schema_calendar_load(&cal, body, strlen(body))
	                                   : schema_catalogue_load(&cat, body, strlen(body));

	if (!rc &&
	    strcmp(cal ? schema_calendar_version(cal) : schema_catalogue_version(cat), version))
		rc = ds_error_set(DS_EINVALID, "%s: the file says another version than %s", kind,
		                  version);
	if (!rc)
		rc = ds_mkdirs(dir, 0700);
	if (!rc) {
		p = agent_data_path(a, name);
		rc = ds_file_write_atomic(p, body, strlen(body), 0600);
	}
	if (!rc)
		ds_log(DS_LOG_INFO, "installed %s %s from central", kind, version);
	schema_calendar_free(cal);
	schema_catalogue_free(cat);
	free(name);
	free(dir);
	free(p);
	return rc;
}

/* 1 when central names a version of some kind that DIR/data does not hold. */
static int behind(const json_t *offered, const json_t *have)
{
	const char *kind;
	json_t *v;

	json_object_foreach((json_t *)offered, kind, v)
	{
		if (!json_equal(v, json_object_get(have, kind)))
			return 1;
	}
	return 0;
}

static int refresh(agent *a, const agent_wire *w)
{
	json_t *offered = NULL, *have = NULL, *files = NULL, *f;
	const char *kind;
	int rc;

	if ((rc = w->page_data(w->ctx, &offered)) || !offered)
		goto done;
	have = held_versions(a);
	if (!behind(offered, have) || (rc = w->data(w->ctx, have, &files)))
		goto done;
	json_object_foreach(files, kind, f)
	{
		if ((rc = install(a, kind, f)))
			break;
	}
	agent_data_forget(a);
done:
	json_decref(offered);
	json_decref(have);
	json_decref(files);
	return rc;
}

void agent_data_refresh(agent *a, const agent_wire *w)
{
	if (refresh(a, w))
		ds_log(DS_LOG_WARN, "calendar and catalogue not updated from central: %s",
		       ds_error_msg());
}
