/* edit.c: the province's own edits on central's store. Central acts as node "central"
 * with its own hash chain (op_id "central:<n>"), so its edits are journal ops like any
 * office's: checked by schema_op_apply, stored with their hash, and put on the feed. One
 * edit is one transaction; an edit that does not apply writes nothing. */
#include "central/central_int.h"

#include <stdlib.h>
#include <string.h>

static const central_auth province = {"", "", 1};

/* The dossier's version, for the op's base, and its status (status may be NULL);
 * DS_ENOTFOUND when there is none. */
static int version_of(central_store *s, const char *code, int64_t *version, int *status)
{
	json_t *d = NULL;
	int rc = central_dossier_get(s, NULL, code, &d);

	*version = rc ? 0 : json_integer_value(json_object_get(d, "version"));
	if (status)
		*status = rc ? 0 : (int)json_integer_value(json_object_get(d, "status"));
	json_decref(d);
	return rc;
}

/* Builds the op on central's chain, receives it, and advances the chain. */
static int edit_op(central_store *s, const char *actor, const char *code, int kind,
                   const json_t *payload, int64_t base)
{
	json_t *op = NULL, *receipt = NULL;
	central_prep p = {0};
	central_head h;
	int rc;

	if ((rc = central_head_get(s, CENTRAL_NODE, &h)))
		return rc;
	if (!h.found && (rc = central_head_bind(s, CENTRAL_NODE, NULL, NULL)))
		return rc;
	op = schema_op_new(CENTRAL_NODE, h.last_seq + 1, code, kind, payload, base, NULL, actor);
	if (!op) {
		rc = ds_error_set(DS_EINVALID, "cannot build the op (is the text valid UTF-8?)");
		goto done;
	}
	if ((rc = schema_op_check(op)) || (rc = central_op_prepare(op, h.last_hash, &p)))
		goto done;
	if ((rc = central_op_receive(s, &province, CENTRAL_NODE, op, &p, &receipt)))
		goto done;
	if (sync_result_parse(json_string_value(json_object_get(receipt, "result"))) !=
	    SYNC_APPLIED) {
		const char *why = json_string_value(json_object_get(receipt, "reason"));

		rc = ds_error_set(DS_EINVALID, "%s", why ? why : "the edit does not apply");
		goto done;
	}
	rc = central_head_advance(s, CENTRAL_NODE, h.last_seq + 1, p.hash);
done:
	central_prep_release(&p);
	json_decref(receipt);
	json_decref(op);
	return rc;
}

/* Gives the dossier its agency (from the code when absent) and its code (allocated in
 * central's block, on the date of receipt, when absent). */
static int create_identity(central_store *s, json_t *d, char code[SCHEMA_CODE_MAX])
{
	const char *given = json_string_value(json_object_get(d, "code"));
	const char *agency = json_string_value(json_object_get(d, "agency"));
	const char *received = json_string_value(json_object_get(d, "received_at"));
	char from_code[SCHEMA_CODE_MAX];
	int64_t when = ds_time_now();
	int off, rc;

	if (json_object_get(d, "code") && !given)
		return ds_error_set(DS_EINVALID, "code: must be a string");
	if (given) {
		if ((rc = schema_code_parse(given, from_code, NULL, NULL, NULL, NULL)))
			return rc;
		if (!agency)
			json_object_set_new(d, "agency", json_string(from_code));
		snprintf(code, SCHEMA_CODE_MAX, "%s", given);
		return 0;
	}
	if (!agency)
		return ds_error_set(DS_EINVALID, "agency: required when the dossier has no code");
	if ((rc = schema_agency_check(agency)))
		return rc;
	if (received && ds_time_parse(received, &when, &off))
		return ds_error_set(DS_EINVALID, "received_at: not an RFC 3339 time with offset");
	if ((rc = central_code_alloc(s, agency, when, code)))
		return rc;
	json_object_set_new(d, "code", json_string(code));
	return 0;
}

int central_edit_create(central_store *s, const char *actor, const json_t *dossier,
                        char code[SCHEMA_CODE_MAX])
{
	json_t *d = json_deep_copy(dossier);
	int rc;

	code[0] = '\0';
	if (!json_is_object(d)) {
		json_decref(d);
		return ds_error_set(DS_EINVALID, "a dossier must be a JSON object");
	}
	if ((rc = ds_json_nfc(&d)) || (rc = central_write_begin(s)))
		goto done;
	rc = central_data_fill_due(s, d);
	if (rc == 0)
		rc = create_identity(s, d, code);
	if (rc == 0)
		rc = edit_op(s, actor, code, SCHEMA_OP_CREATE, d, 0);
	rc = central_write_end(s, rc);
done:
	if (rc)
		code[0] = '\0';
	json_decref(d);
	return rc;
}

int central_edit_patch(central_store *s, const char *actor, const char *code, const json_t *patch)
{
	json_t *p = json_deep_copy(patch);
	int64_t version;
	int rc;

	if (!p)
		return ds_error_set(DS_EINVALID, "no patch");
	if ((rc = schema_patch_check(p)) || (rc = ds_json_nfc(&p)) || (rc = central_write_begin(s)))
		goto done;
	rc = version_of(s, code, &version, NULL);
	if (rc == 0)
		rc = edit_op(s, actor, code, SCHEMA_OP_PATCH, p, version);
	rc = central_write_end(s, rc);
done:
	json_decref(p);
	return rc;
}

/* After the move 5 -> 4: due_at moved past the wait as an office moves it
 * (schema_deadline_resume), when a calendar is published; one more edit in the same
 * transaction. */
static int resume_after_wait(central_store *s, const char *actor, const char *code)
{
	schema_calendar *cal = NULL;
	json_t *d = NULL, *patch = NULL;
	int rc;

	if ((rc = central_data_calendar(s, &cal)) || !cal ||
	    (rc = central_dossier_get(s, NULL, code, &d)))
		goto done;
	rc = schema_deadline_resume(d, cal, actor, &patch);
	if (rc == DS_ENOTFOUND) { /* outside the calendar: the move stands, the date is kept */
		ds_log(DS_LOG_WARN, "%s: due_at not moved: %s", code, ds_error_msg());
		rc = 0;
	}
	if (!rc && patch)
		rc = edit_op(s, actor, code, SCHEMA_OP_PATCH, patch,
		             json_integer_value(json_object_get(d, "version")));
done:
	schema_calendar_free(cal);
	json_decref(d);
	json_decref(patch);
	return rc;
}

int central_edit_transition(central_store *s, const char *actor, const char *code, int to,
                            const char *note)
{
	json_t *payload = json_pack("{s:i}", "to", to), *text = NULL;
	int64_t version;
	int from = 0, rc = 0;

	if (note && !(text = json_string(note)))
		rc = ds_error_set(DS_EINVALID, "note: not valid UTF-8");
	if (text)
		json_object_set_new(payload, "note", text);
	if (rc || (rc = ds_json_nfc(&payload)) || (rc = central_write_begin(s)))
		goto done;
	rc = version_of(s, code, &version, &from);
	if (rc == 0)
		rc = edit_op(s, actor, code, SCHEMA_OP_TRANSITION, payload, version);
	if (rc == 0 && from == 5 && to == 4)
		rc = resume_after_wait(s, actor, code);
	rc = central_write_end(s, rc);
done:
	json_decref(payload);
	return rc;
}
