/* deadline.c: due dates (thời hạn giải quyết) from the procedure catalogue and the working
 * calendar (docs/DOMAIN.md "Deadlines", data/README.md). Loads the catalogue, computes a
 * dossier's due_at from its procedure, channel and received_at, and moves a due date by
 * the working time a supplement request held it. Pure, like calendar.c.
 */
#include "schema/schema_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERSION_MAX 40
#define AMOUNT_MAX 1000

struct schema_catalogue {
	char version[VERSION_MAX + 1];
	json_t *procedures; /* object: code -> {"1": {"amount", "unit"}, "2": ..., "3": ...} */
};

static const char *const unit_names[] = {"working_days", "working_hours", "calendar_days"};

static int unit_parse(const char *s)
{
	size_t i;

	for (i = 0; s && i < DS_ARRAY_LEN(unit_names); i++)
		if (!strcmp(s, unit_names[i]))
			return (int)i;
	return -1;
}

/* ---------------------------------------------------------------- the catalogue */
/* One channel's processing time: {"amount": 1-1000, "unit": one of unit_names}. */
static int check_time(const char *code, const char *ch, const json_t *t)
{
	json_int_t amount = json_integer_value(json_object_get(t, "amount"));

	if (!json_is_integer(json_object_get(t, "amount")) || amount < 1 || amount > AMOUNT_MAX)
		return ds_error_set(DS_EINVALID,
		                    "catalogue: %s: processing.%s.amount must be a "
		                    "whole number 1-%d",
		                    code, ch, AMOUNT_MAX);
	if (unit_parse(json_string_value(json_object_get(t, "unit"))) < 0)
		return ds_error_set(DS_EINVALID,
		                    "catalogue: %s: processing.%s.unit must be "
		                    "working_days, working_hours or calendar_days",
		                    code, ch);
	return 0;
}

static int check_procedure(const json_t *p, const char **code_out)
{
	const char *code = json_string_value(json_object_get(p, "code"));
	const json_t *proc = json_object_get(p, "processing"), *t;
	const char *ch;
	int rc;

	if (!code || !*code || strspn(code, "0123456789.") != strlen(code) || strlen(code) > 20)
		return ds_error_set(DS_EINVALID, "catalogue: a procedure code must be 1-20 digits "
		                                 "and dots, like 1.001193");
	if (!json_is_string(json_object_get(p, "name")) || !json_is_object(proc))
		return ds_error_set(DS_EINVALID, "catalogue: %s: needs a name and processing",
		                    code);
	json_object_foreach((json_t *)proc, ch, t)
	{
		if (strcmp(ch, "1") && strcmp(ch, "2") && strcmp(ch, "3"))
			return ds_error_set(DS_EINVALID,
			                    "catalogue: %s: processing.%s: channels are "
			                    "\"1\", \"2\" and \"3\"",
			                    code, ch);
		if ((rc = check_time(code, ch, t)))
			return rc;
	}
	*code_out = code;
	return 0;
}

static int load_procedures(schema_catalogue *c, const json_t *list)
{
	const json_t *p;
	const char *code = NULL;
	size_t i;
	int rc;

	if (!json_is_array(list))
		return ds_error_set(DS_EINVALID, "catalogue: procedures must be a list");
	json_array_foreach(list, i, p)
	{
		if ((rc = check_procedure(p, &code)))
			return rc;
		if (json_object_get(c->procedures, code))
			return ds_error_set(DS_EINVALID, "catalogue: %s is listed twice", code);
		json_object_set(c->procedures, code, json_object_get(p, "processing"));
	}
	return 0;
}

int schema_catalogue_load(schema_catalogue **out, const char *text, size_t n)
{
	schema_catalogue *c = ds_calloc(1, sizeof(*c));
	json_t *root = NULL;
	const char *version;
	int rc;

	*out = NULL;
	c->procedures = json_object();
	if ((rc = ds_json_parse(text, n, &root)))
		goto done;
	version = json_string_value(json_object_get(root, "version"));
	if (!version || !schema_id_ok(version, VERSION_MAX)) {
		rc = ds_error_set(DS_EINVALID,
		                  "catalogue: version must be 1-%d characters of "
		                  "A-Z a-z 0-9 . _ -",
		                  VERSION_MAX);
		goto done;
	}
	snprintf(c->version, sizeof(c->version), "%s", version);
	if ((rc = load_procedures(c, json_object_get(root, "procedures"))))
		goto done;
	*out = c;
	c = NULL;
done:
	json_decref(root);
	schema_catalogue_free(c);
	return rc;
}

void schema_catalogue_free(schema_catalogue *c)
{
	if (!c)
		return;
	json_decref(c->procedures);
	free(c);
}

const char *schema_catalogue_version(const schema_catalogue *c)
{
	return c->version;
}

int schema_catalogue_time(const schema_catalogue *c, const char *procedure, int channel,
                          int *amount, int *unit)
{
	char ch[4];
	const json_t *t;

	snprintf(ch, sizeof(ch), "%d", channel);
	if (!json_object_get(c->procedures, procedure ? procedure : ""))
		return ds_error_set(DS_ENOTFOUND, "procedure %s is not in the catalogue %s",
		                    procedure ? procedure : "(none)", c->version);
	t = json_object_get(json_object_get(c->procedures, procedure), ch);
	if (!t)
		return ds_error_set(DS_ENOTFOUND,
		                    "procedure %s has no processing time for channel "
		                    "%d in the catalogue %s",
		                    procedure, channel, c->version);
	*amount = (int)json_integer_value(json_object_get(t, "amount"));
	*unit = unit_parse(json_string_value(json_object_get(t, "unit")));
	return 0;
}

/* ---------------------------------------------------------------- due dates */
int schema_deadline_add(const schema_calendar *cal, int64_t received, int amount, int unit,
                        int64_t *due)
{
	if (amount < 0)
		return ds_error_set(DS_EINVALID, "a processing time must be ≥ 0");
	if (unit == SCHEMA_UNIT_WORKING_DAYS)
		return schema_calendar_add(cal, received, amount * schema_calendar_day_seconds(cal),
		                           due);
	if (unit == SCHEMA_UNIT_WORKING_HOURS)
		return schema_calendar_add(cal, received, (int64_t)amount * 3600, due);
	if (unit == SCHEMA_UNIT_CALENDAR_DAYS)
		return schema_calendar_add_days(cal, received, amount, due);
	return ds_error_set(DS_EINVALID, "unknown unit of processing time %d", unit);
}

int schema_deadline_due(const schema_calendar *cal, const schema_catalogue *cat,
                        const char *procedure, int channel, int64_t received, int64_t *due)
{
	int amount, unit, rc;

	if ((rc = schema_catalogue_time(cat, procedure, channel, &amount, &unit)))
		return rc;
	return schema_deadline_add(cal, received, amount, unit, due);
}

int schema_deadline_pause(const schema_calendar *cal, int64_t due, int64_t from, int64_t to,
                          int64_t *out)
{
	int64_t held;
	int rc;

	if ((rc = schema_calendar_between(cal, from, to, &held)))
		return rc;
	*out = due;
	return held ? schema_calendar_add(cal, due, held, out) : 0;
}

/* ---------------------------------------------------------------- on a new dossier */
static int fill_due(json_t *d, const schema_calendar *cal, const schema_catalogue *cat,
                    int64_t received)
{
	const char *proc =
	    json_string_value(json_object_get(json_object_get(d, "procedure"), "code"));
	json_t *ch = json_object_get(d, "channel");
	char text[DS_TIME_LEN];
	int64_t due;
	int rc;

	if (ch && !json_is_integer(ch))
		return ds_error_set(DS_EINVALID, "channel: must be 1 (in person), 2 (online) or 3 "
		                                 "(postal)");
	rc = schema_deadline_due(cal, cat, proc, ch ? (int)json_integer_value(ch) : 1, received,
	                         &due);
	if (rc)
		return ds_error_wrap(rc, "due_at: cannot be computed");
	ds_time_format(due, DS_TZ_VN, text);
	json_object_set_new(d, "due_at", json_string(text));
	json_object_set_new(d, "due_basis",
	                    json_pack("{s:s, s:s}", "calendar", schema_calendar_version(cal),
	                              "catalogue", schema_catalogue_version(cat)));
	return 0;
}

int schema_deadline_fill(json_t *dossier, const schema_calendar *cal, const schema_catalogue *cat)
{
	const char *received = json_string_value(json_object_get(dossier, "received_at"));
	int64_t when;

	if (json_object_get(dossier, "due_at"))
		return 0;
	if (!received || ds_time_parse(received, &when, NULL))
		return ds_error_set(DS_EINVALID,
		                    "received_at: required, a time like 2024-04-14T07:00:00+07:00");
	if (!cal || !cat)
		return ds_error_set(DS_EINVALID, "due_at: required when no calendar and procedure "
		                                 "catalogue are installed (data/README.md)");
	return fill_due(dossier, cal, cat, when);
}
