/* deadline.c: where the agent finds the working calendar and the procedure catalogue
 * (calendar.json and procedures.json, data/README.md) to compute a new dossier's due_at:
 * $DOSSYNC_DATA, else the config's data_dir, else the installed DOSSYNC_DATADIR. Loaded
 * once per process, on the first create that needs them. */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DOSSYNC_DATADIR
#define DOSSYNC_DATADIR "/usr/local/share/dossync"
#endif

#define DATA_FILE_MAX (4 << 20)

/* The folder to read: the first of the three places that is set; borrowed. */
static const char *data_dir(const agent *a)
{
	const char *env = getenv("DOSSYNC_DATA");

	if (env && *env)
		return env;
	if (a->cfg.data_dir)
		return a->cfg.data_dir;
	return DOSSYNC_DATADIR;
}

static int read_in(const char *dir, const char *name, ds_buf *out)
{
	char *path = ds_path_join(dir, name);
	int rc = ds_file_read(path, DATA_FILE_MAX, out);

	if (rc)
		rc = ds_error_wrap(rc, "%s", path);
	free(path);
	return rc;
}

/* Loads both files of dir into a->cal and a->cat, or neither. */
static int load(agent *a, const char *dir)
{
	ds_buf cal_text = DS_BUF_INIT, cat_text = DS_BUF_INIT;
	int rc;

	if ((rc = read_in(dir, "calendar.json", &cal_text)) ||
	    (rc = read_in(dir, "procedures.json", &cat_text)))
		goto done;
	if ((rc = schema_calendar_load(&a->cal, cal_text.ptr, cal_text.len)) ||
	    (rc = schema_catalogue_load(&a->cat, cat_text.ptr, cat_text.len))) {
		rc = ds_error_wrap(rc, "%s", dir);
		schema_calendar_free(a->cal);
		a->cal = NULL;
	}
done:
	ds_buf_release(&cal_text);
	ds_buf_release(&cat_text);
	return rc;
}

int agent_deadline_fill(agent *a, json_t *dossier)
{
	const char *dir = data_dir(a);
	char *probe;
	int found, rc;

	if (json_object_get(dossier, "due_at") || a->cal)
		return schema_deadline_fill(dossier, a->cal, a->cat);
	probe = ds_path_join(dir, "calendar.json");
	found = access(probe, F_OK) == 0;
	free(probe);
	if (!found)
		return ds_error_set(DS_EINVALID,
		                    "due_at: required, as no calendar.json is installed "
		                    "in %s to compute it (set data_dir in the config or "
		                    "DOSSYNC_DATA)",
		                    dir);
	if ((rc = load(a, dir)))
		return rc;
	return schema_deadline_fill(dossier, a->cal, a->cat);
}
