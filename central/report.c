/* report.c: the indicators for one office or the whole province (`dossync-central
 * report`), computed by the accumulator the agent uses too (schema/report.c) over the
 * dossiers central holds, read through the store's dossier list and get functions. Every
 * dossier central holds counts as synced. */
#include "central/central_int.h"

static const char synced_note[] =
    "synced: central counts every dossier it holds; an office's own report counts only "
    "those whose newest op central has applied";

/* Feeds each dossier of list to r. */
static int feed(central_store *s, const json_t *list, schema_report *r)
{
	const json_t *row;
	json_t *d = NULL;
	size_t i;
	int rc = 0;

	json_array_foreach(list, i, row)
	{
		rc = central_dossier_get(s, NULL, json_string_value(json_object_get(row, "code")),
		                         &d);
		if (!rc)
			rc = schema_report_add(r, d, 1);
		json_decref(d);
		d = NULL;
		if (rc)
			break;
	}
	return rc;
}

int central_report(central_store *s, const char *agency, const char *from, const char *to,
                   json_t **out)
{
	schema_calendar *cal = NULL;
	schema_report *r = NULL;
	json_t *list = NULL;
	int rc;

	*out = NULL;
	if (agency && schema_agency_check(agency))
		return ds_error_set(DS_EINVALID, "--office: '%.40s' is not an agency code", agency);
	if ((rc = central_data_calendar(s, &cal)) ||
	    (rc = schema_report_new(&r, from, to, ds_time_now(), cal, agency == NULL)) ||
	    (rc = central_dossier_list(s, agency, 0, &list)) || (rc = feed(s, list, r)))
		goto done;
	*out = schema_report_json(r);
	json_object_set_new(*out, "office", agency ? json_string(agency) : json_null());
	json_array_append_new(json_object_get(*out, "notes"), json_string(synced_note));
done:
	json_decref(list);
	schema_report_free(r);
	schema_calendar_free(cal);
	return rc;
}
