/* data.c: the calendar and procedure catalogue versions the province publishes for the
 * offices (data/README.md). A file is checked by the same loaders the agent computes due
 * dates with, kept with every earlier version (data_files), and the newest of each kind is
 * what GET /v1/data serves and what every pull page names. */
#include "central/central_int.h"

#include <stdio.h>
#include <string.h>

/* The kind of a file, from its members: "years" a calendar, "procedures" a catalogue;
 * the file is checked by the loader of that kind. */
static int identify(const json_t *root, const char *text, size_t n, const char **kind)
{
	schema_calendar *cal = NULL;
	schema_catalogue *cat = NULL;
	int rc;

	if (json_object_get(root, "years")) {
		*kind = "calendar";
		rc = schema_calendar_load(&cal, text, n);
	} else if (json_object_get(root, "procedures")) {
		*kind = "procedures";
		rc = schema_catalogue_load(&cat, text, n);
	} else {
		rc = ds_error_set(DS_EINVALID, "neither a calendar (\"years\") nor a procedure "
		                               "catalogue (\"procedures\")");
	}
	schema_calendar_free(cal);
	schema_catalogue_free(cat);
	return rc;
}

/* 1 when kind already holds version: DS_ECONFLICT when with other bytes. */
static int held(central_store *s, const char *kind, const char *version, const char *sha)
{
	central_q *st = central_stmt(s, ST_DATA_HELD);
	int rc;

	if (!st)
		return ds_error_code();
	central_bind_text(st, 1, kind);
	central_bind_text(st, 2, version);
	rc = central_step(st, "data_files");
	if (rc == 1 && strcmp(central_col_text(st, 0), sha) != 0)
		rc = ds_error_set(DS_ECONFLICT,
		                  "%s %s is already published with other content: give the new "
		                  "file a new version",
		                  kind, version);
	central_reset(st);
	return rc;
}

static int insert(central_store *s, const char *kind, const char *version, const char *text,
                  size_t n, const char *sha)
{
	central_q *st = central_stmt(s, ST_DATA_INSERT);
	char now[DS_TIME_LEN];

	if (!st)
		return ds_error_code();
	central_now(now);
	central_bind_text(st, 1, kind);
	central_bind_text(st, 2, version);
	central_bind_textn(st, 3, text, n);
	central_bind_text(st, 4, sha);
	central_bind_text(st, 5, now);
	return central_step_done(s, st, "data_files");
}

int central_data_publish(central_store *s, const char *text, size_t n, const char **kind,
                         char version[CENTRAL_DATA_VERSION_MAX + 1])
{
	json_t *root = NULL;
	char sha[DS_SHA256_HEX];
	int rc;

	if ((rc = ds_json_parse(text, n, &root)) || (rc = identify(root, text, n, kind)))
		goto done;
	snprintf(version, CENTRAL_DATA_VERSION_MAX + 1, "%s",
	         json_string_value(json_object_get(root, "version")));
	ds_sha256_hex(text, n, sha);
	if ((rc = central_write_begin(s)))
		goto done;
	rc = held(s, *kind, version, sha);
	if (rc == 0)
		rc = insert(s, *kind, version, text, n, sha);
	if (rc < 0)
		central_write_end(s, rc);
	else if (rc == 0)
		rc = central_write_end(s, 0);
	else if ((rc = central_write_end(s, 0)) == 0)
		rc = 1; /* held already */
done:
	json_decref(root);
	return rc;
}

/* The newest row of each kind: {"calendar": ..., "procedures": ...} with the columns
 * asked for ("version" always; "body" when with_body). */
static int newest(central_store *s, int with_body, json_t **out)
{
	central_q *st = central_stmt(s, ST_DATA_NEWEST);
	int rc = st ? 0 : ds_error_code();

	*out = json_object();
	while (!rc && (rc = central_step(st, "data_files")) == 1) {
		json_t *row = json_pack("{s:s}", "version", central_col_text(st, 1));
		if (with_body)
			json_object_set_new(row, "body", json_string(central_col_text(st, 2)));
		json_object_set_new(*out, central_col_text(st, 0), row);
		rc = 0;
	}
	if (st)
		central_reset(st);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int central_data_versions(central_store *s, json_t **out)
{
	json_t *rows = NULL, *row;
	const char *kind;
	int rc;

	*out = NULL;
	if ((rc = newest(s, 0, &rows)))
		return rc;
	if (json_object_size(rows) > 0) {
		*out = json_object();
		json_object_foreach(rows, kind, row)
		    json_object_set(*out, kind, json_object_get(row, "version"));
	}
	json_decref(rows);
	return 0;
}

int central_data_files(central_store *s, const json_t *have, json_t **out)
{
	json_t *rows = NULL, *row;
	const char *kind;
	void *tmp;
	int rc;

	if ((rc = newest(s, 1, &rows)))
		return rc;
	json_object_foreach_safe(rows, tmp, kind, row)
	{
		const char *mine = json_string_value(json_object_get(have, kind));
		if (mine && !strcmp(mine, json_string_value(json_object_get(row, "version"))))
			json_object_del(rows, kind);
	}
	*out = rows;
	return 0;
}

/* Parses the current bodies of rows into a calendar and a catalogue (either may stay
 * NULL when its kind is not published). */
static int load_current(const json_t *rows, schema_calendar **cal, schema_catalogue **cat)
{
	const char *c =
	    json_string_value(json_object_get(json_object_get(rows, "calendar"), "body"));
	const char *p =
	    json_string_value(json_object_get(json_object_get(rows, "procedures"), "body"));
	int rc = 0;

	if (c)
		rc = schema_calendar_load(cal, c, strlen(c));
	if (!rc && p)
		rc = schema_catalogue_load(cat, p, strlen(p));
	return rc;
}

int central_data_fill_due(central_store *s, json_t *dossier)
{
	schema_calendar *cal = NULL;
	schema_catalogue *cat = NULL;
	json_t *rows = NULL;
	int rc;

	if (json_object_get(dossier, "due_at"))
		return 0;
	if ((rc = newest(s, 1, &rows)) || (rc = load_current(rows, &cal, &cat)))
		goto done;
	if (cal && cat)
		rc = schema_deadline_fill(dossier, cal, cat);
done:
	schema_calendar_free(cal);
	schema_catalogue_free(cat);
	json_decref(rows);
	return rc;
}

int central_data_calendar(central_store *s, schema_calendar **out)
{
	schema_catalogue *cat = NULL;
	json_t *rows = NULL;
	int rc;

	*out = NULL;
	if ((rc = newest(s, 1, &rows)) == 0)
		rc = load_current(rows, out, &cat);
	schema_catalogue_free(cat);
	json_decref(rows);
	return rc;
}
