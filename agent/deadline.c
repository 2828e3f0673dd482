/* deadline.c: where the agent finds the working calendar and the procedure catalogue
 * (calendar.json and procedures.json, data/README.md), loaded once per process on first
 * need; a new dossier's due_at computed from them; and the moves of a due date: the wait
 * for a supplement on 5 -> 4, and an extension (gia hạn). */
#include "agent/agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DOSSYNC_DATADIR
#define DOSSYNC_DATADIR "/usr/local/share/dossync"
#endif

/* $DOSSYNC_DATA, else the config's data_dir: a folder that alone is read; NULL if unset. */
static const char *fixed_dir(const agent *a)
{
	const char *env = getenv("DOSSYNC_DATA");

	return env && *env ? env : a->cfg.data_dir;
}

/* Where name is read from (caller frees), NULL when nowhere: the fixed folder when set;
 * else the copy central distributed (DIR/data), else the install folder. */
static char *data_path(const agent *a, const char *name)
{
	char *p = fixed_dir(a) ? ds_path_join(fixed_dir(a), name) : agent_data_path(a, name);

	if (access(p, F_OK) != 0 && !fixed_dir(a)) {
		free(p);
		p = ds_path_join(DOSSYNC_DATADIR, name);
	}
	if (access(p, F_OK) != 0) {
		free(p);
		p = NULL;
	}
	return p;
}

/* Parses one file into a->cal (calendar) or a->cat. */
static int load_file(agent *a, const char *path, int calendar)
{
	ds_buf text = DS_BUF_INIT;
	int rc = ds_file_read(path, AGENT_DATA_FILE_MAX, &text);

	if (rc == 0)
		rc = calendar ? schema_calendar_load(&a->cal, text.ptr, text.len)
		              : schema_catalogue_load(&a->cat, text.ptr, text.len);
	ds_buf_release(&text);
	return rc ? ds_error_wrap(rc, "%s", path) : 0;
}

/* Loads the files once; 0 with a->cal still NULL when no calendar is installed. */
static int ensure_loaded(agent *a)
{
	char *cal = NULL, *cat = NULL;
	int rc = 0;

	if (a->cal || !(cal = data_path(a, "calendar.json")))
		return 0;
	if (!(cat = data_path(a, "procedures.json")))
		rc = ds_error_set(DS_EINVALID, "%s is installed but no procedures.json", cal);
	if (!rc && !(rc = load_file(a, cat, 0)) && (rc = load_file(a, cal, 1))) {
		schema_catalogue_free(a->cat);
		a->cat = NULL;
	}
	free(cal);
	free(cat);
	return rc;
}

int agent_calendar(agent *a, const schema_calendar **cal)
{
	int rc = ensure_loaded(a);

	*cal = rc ? NULL : a->cal;
	return rc;
}

void agent_data_forget(agent *a)
{
	schema_calendar_free(a->cal);
	schema_catalogue_free(a->cat);
	a->cal = NULL;
	a->cat = NULL;
}

int agent_deadline_fill(agent *a, json_t *dossier)
{
	int rc;

	if (json_object_get(dossier, "due_at"))
		return 0;
	if ((rc = ensure_loaded(a)))
		return rc;
	if (!a->cal)
		return ds_error_set(DS_EINVALID,
		                    "due_at: required, as no calendar.json is installed in %s to "
		                    "compute it (data/README.md)",
		                    fixed_dir(a) ? fixed_dir(a) : "DIR/data or " DOSSYNC_DATADIR);
	return schema_deadline_fill(dossier, a->cal, a->cat);
}

/* ---------------------------------------------------------------- moving a due date */
int agent_deadline_resume(agent *a, const char *code, json_t **state, int64_t base)
{
	json_t *patch = NULL;
	int rc;

	if ((rc = ensure_loaded(a)) || !a->cal)
		return rc;
	rc = schema_deadline_resume(*state, a->cal, a->actor, &patch);
	if (rc == DS_ENOTFOUND) { /* outside the calendar: the move stands, the date is kept */
		ds_log(DS_LOG_WARN, "%s: due_at not moved for the supplement wait: %s", code,
		       ds_error_msg());
		return 0;
	}
	if (rc || !patch)
		return rc;
	rc = agent_apply_local(a, code, SCHEMA_OP_PATCH, patch, base, state, NULL);
	json_decref(patch);
	return rc;
}

/* ---------------------------------------------------------------- extensions */
struct extension {
	const char *code, *due, *reason;
	int working_days;
};

/* The new due time: the one given, or working_days more than the current one. */
static int extended_due(agent *a, const struct extension *e, int64_t current, int64_t *out)
{
	int rc;

	if (e->due)
		return ds_time_parse(e->due, out, NULL)
		           ? ds_error_set(DS_EINVALID,
		                          "--due: '%s' is not a time like "
		                          "2026-12-04T17:00:00+07:00",
		                          e->due)
		           : 0;
	if ((rc = ensure_loaded(a)))
		return rc;
	if (!a->cal)
		return ds_error_set(DS_EINVALID,
		                    "--working-days needs a calendar installed (data/README.md)");
	return schema_calendar_add(a->cal, current,
	                           e->working_days * schema_calendar_day_seconds(a->cal), out);
}

static int extend_tx(agent *a, void *arg)
{
	const struct extension *e = arg;
	json_t *state = NULL, *patch = NULL;
	int64_t version, current, due;
	char hash[DS_SHA256_HEX], *what = ds_asprintf("Gia hạn: %s", e->reason);
	char row_id[100];
	int64_t seq;
	int rc;

	if ((rc = agent_load(a, e->code, &state, &version)))
		goto done;
	if (ds_time_parse(json_string_value(json_object_get(state, "due_at")), &current, NULL))
		rc = ds_error_set(DS_EINVALID, "%s has no due_at to extend", e->code);
	if (rc || (rc = extended_due(a, e, current, &due)))
		goto done;
	if (due <= current) {
		rc = ds_error_set(DS_EINVALID, "an extension moves due_at later than %s",
		                  json_string_value(json_object_get(state, "due_at")));
		goto done;
	}
	if ((rc = journal_last(a, &seq, hash)))
		goto done;
	snprintf(row_id, sizeof(row_id), "x-%s-%lld", a->cfg.node, (long long)seq + 1);
	patch = schema_deadline_move(state, due, ds_time_now(), row_id, what, a->actor);
	rc = agent_apply_local(a, e->code, SCHEMA_OP_PATCH, patch, version, &state, NULL);
done:
	json_decref(patch);
	json_decref(state);
	free(what);
	return rc;
}

int agent_extend(agent *a, const char *code, const char *due, int working_days, const char *reason)
{
	struct extension e = {code, due, reason, working_days};

	if (!reason || !*reason)
		return ds_error_set(DS_EINVALID, "an extension needs its reason (--reason)");
	if (!due == (working_days <= 0))
		return ds_error_set(DS_EUSAGE, "give either --due TIME or --working-days N");
	return agent_tx(a, extend_tx, &e);
}
