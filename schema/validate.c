/* validate.c: what a dossier may hold (the rules docs/FORMAT.md spells out): a table of
 * fields per object (kind, required, content check), walked recursively, then the checks
 * that tie fields together. Every string is normalised to NFC first (ds_json_nfc_strict,
 * base/text.c), so two nodes given the same text typed two ways store the same bytes.
 * Messages name the field's path:
 * "fees[lp1].amount: must be a whole number of VND ≥ 0".
 */
#include "schema/schema_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_LEN DS_FIELD_PATH_MAX

enum kind { K_STR, K_INT, K_BOOL, K_TIME, K_OBJ, K_LIST };

typedef struct field {
	const char *name;
	enum kind kind;
	int required;
	int (*ok)(const json_t *v); /* content check beyond the kind; NULL: none */
	const char *msg;            /* what a wrong value must be; NULL: the kind's */
	const struct field *sub;    /* K_OBJ: its fields; K_LIST: each item's fields */
} field;

/* ---------------------------------------------------------------- the tables */
/* Initialiser macros stay one line each. */
/* clang-format off */
#define END {NULL, K_STR, 0, NULL, NULL, NULL}
#define ID {"id", K_STR, 1, schema_ok_item_id, "must be 1-96 characters of A-Z a-z 0-9 . _ -", NULL}
#define STR(n) {n, K_STR, 0, NULL, NULL, NULL}
#define TIME(n, req) {n, K_TIME, req, NULL, NULL, NULL}
/* clang-format on */
#define MSG_CCCD "must be 12 digits (CCCD)"
#define MSG_PHONE "must be 0 or +84 followed by 9 or 10 digits"
#define MSG_EMAIL "must be an e-mail address like name@example.vn"
#define MSG_NAME "must be 1 to 200 characters"
#define MSG_STATUS "must be a status code 1 to 10"
#define MSG_COUNT "must be a whole number ≥ 0"

static const field procedure_f[] = {
    {"code", K_STR, 1, schema_ok_procedure_code, "must be 1-20 digits and dots, like 1.001193",
     NULL},
    {"name", K_STR, 1, schema_ok_nonempty, "must not be empty", NULL},
    END,
};

static const field representative_f[] = {
    {"name", K_STR, 1, schema_ok_person_name, MSG_NAME, NULL},
    {"id_number", K_STR, 0, schema_ok_cccd, MSG_CCCD, NULL},
    {"phone", K_STR, 0, schema_ok_phone, MSG_PHONE, NULL},
    STR("relation"),
    END,
};

static const field applicant_f[] = {
    {"name", K_STR, 1, schema_ok_person_name, MSG_NAME, NULL},
    {"id_number", K_STR, 0, schema_ok_cccd, MSG_CCCD, NULL},
    {"phone", K_STR, 0, schema_ok_phone, MSG_PHONE, NULL},
    {"email", K_STR, 0, schema_ok_email, MSG_EMAIL, NULL},
    STR("address"),
    {"representative", K_OBJ, 0, NULL, NULL, representative_f},
    END,
};

static const field component_f[] = {
    ID,
    STR("code"),
    {"name", K_STR, 1, schema_ok_nonempty, "must not be empty", NULL},
    {"originals", K_INT, 0, schema_ok_count, MSG_COUNT, NULL},
    {"copies", K_INT, 0, schema_ok_count, MSG_COUNT, NULL},
    {"digitised", K_BOOL, 0, NULL, NULL, NULL},
    END,
};

static const field fee_f[] = {
    ID,
    STR("code"),
    {"amount", K_INT, 0, schema_ok_vnd, "must be a whole number of VND ≥ 0", NULL},
    {"paid", K_BOOL, 0, NULL, NULL, NULL},
    TIME("paid_at", 0),
    END,
};

static const field progress_f[] = {
    ID,
    STR("who"),
    STR("role"),
    STR("unit"),
    TIME("when", 1),
    STR("what"),
    {"status", K_INT, 0, schema_ok_status, MSG_STATUS, NULL},
    END,
};

static const field supplement_f[] = {
    ID,
    TIME("requested_at", 1),
    STR("reason"),
    TIME("due_at", 0),
    TIME("received_at", 0),
    STR("by"),
    END,
};

static const field result_f[] = {
    STR("number"), STR("name"), TIME("issued_at", 0), STR("note"), END,
};

static const field attachment_f[] = {
    ID,
    STR("name"),
    STR("mime"),
    {"size", K_INT, 0, schema_ok_count, MSG_COUNT, NULL},
    {"sha256", K_STR, 0, schema_ok_sha256_hex, "must be 64 lower-case hex digits", NULL},
    {"kind", K_STR, 0, schema_ok_attach_kind, "must be scan or result", NULL},
    {"component", K_STR, 0, schema_ok_item_id, "must be the id of an item of components", NULL},
    END,
};

/* due_basis: the calendar and catalogue versions that computed due_at (schema/deadline.c). */
static int version_text(const json_t *v)
{
	return schema_id_ok(json_string_value(v), 40);
}

#define MSG_VERSION "must be a version, 1-40 characters of A-Z a-z 0-9 . _ -"
static const field due_basis_f[] = {
    {"calendar", K_STR, 1, version_text, MSG_VERSION, NULL},
    {"catalogue", K_STR, 1, version_text, MSG_VERSION, NULL},
    END,
};

static const field dossier_f[] = {
    {"code", K_STR, 1, schema_ok_dossier_code,
     "must be a dossier code AGENCY-yyMMdd-NNNN with a real date, like "
     "000.00.12.H22-240414-0001",
     NULL},
    {"agency", K_STR, 1, schema_ok_agency, "must be an agency ID like 000.00.12.H22", NULL},
    {"procedure", K_OBJ, 1, NULL, NULL, procedure_f},
    {"field", K_STR, 0, schema_ok_field_code, "must be 1-20 characters of A-Z a-z 0-9 . _ -", NULL},
    STR("handling_unit"),
    {"channel", K_INT, 1, schema_ok_channel, "must be 1 (in person), 2 (online) or 3 (postal)",
     NULL},
    {"applicant", K_OBJ, 1, NULL, NULL, applicant_f},
    STR("summary"),
    TIME("submitted_at", 0),
    TIME("received_at", 1),
    TIME("due_at", 1),
    TIME("original_due_at", 0),
    {"due_basis", K_OBJ, 0, NULL, NULL, due_basis_f},
    TIME("finished_at", 0),
    TIME("returned_at", 0),
    {"status", K_INT, 1, schema_ok_status, MSG_STATUS, NULL},
    {"prior_status", K_INT, 0, schema_ok_prior_status,
     "must be the status held before 7: 1, 2, 4, 5 or 6", NULL},
    {"components", K_LIST, 0, NULL, NULL, component_f},
    {"fees", K_LIST, 0, NULL, NULL, fee_f},
    {"progress", K_LIST, 0, NULL, NULL, progress_f},
    {"supplements", K_LIST, 0, NULL, NULL, supplement_f},
    {"result", K_OBJ, 0, NULL, NULL, result_f},
    {"attachments", K_LIST, 0, NULL, NULL, attachment_f},
    END,
};

/* ---------------------------------------------------------------- the walk */
/* Where a value sits: a chain up to the top, spelled out only for a message (the walk of
 * a valid dossier writes no text). A member has a name; an item of a list is named by its
 * id when it has a usable one ("fees[lp1]"), else by its index ("fees[0]"). */
typedef struct place {
	const struct place *up;
	const char *name;   /* a member; NULL for an item */
	const json_t *item; /* an item */
	size_t index;
} place;

static int check_object(const field *fields, const json_t *obj, const place *up);

static int bad(const char *path, const char *what)
{
	return ds_error_set(DS_EINVALID, "%s: %s", path, what);
}

static void join(char out[PATH_LEN], const char *path, const char *name)
{
	ds_field_pathf(out, "%s%s%s", path, path[0] ? "." : "", name);
}

/* The text of p ("" for the top). */
static void path_text(const place *p, char out[PATH_LEN])
{
	char up[PATH_LEN];
	const char *id;

	out[0] = '\0';
	if (!p)
		return;
	path_text(p->up, up);
	id = json_string_value(json_object_get(p->item, "id"));
	if (p->name)
		join(out, up, p->name);
	else if (id && schema_id_ok(id, SCHEMA_ITEM_ID_MAX))
		ds_field_pathf(out, "%s[%s]", up, id);
	else
		ds_field_pathf(out, "%s[%zu]", up, p->index);
}

static int bad_at(const place *p, const char *what)
{
	char text[PATH_LEN];

	path_text(p, text);
	return bad(text, what);
}

/* Whether v has the JSON type of kind (a time is a string here). */
static int kind_ok(enum kind k, const json_t *v)
{
	switch (k) {
	case K_STR:
	case K_TIME:
		return json_is_string(v);
	case K_INT:
		return json_is_integer(v);
	case K_BOOL:
		return json_is_boolean(v);
	case K_OBJ:
		return json_is_object(v);
	case K_LIST:
		return json_is_array(v);
	}
	return 0;
}

static const char *kind_msg(enum kind k)
{
	static const char *const msg[] = {
	    [K_STR] = "must be text",
	    [K_INT] = "must be a whole number",
	    [K_BOOL] = "must be true or false",
	    [K_TIME] = "must be a time with its offset, like 2024-04-14T07:00:00+07:00",
	    [K_OBJ] = "must be an object",
	    [K_LIST] = "must be a list",
	};
	return msg[k];
}

/* What a value is, for "must be text (got a number)". */
static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "text";
	case JSON_INTEGER:
		return "a whole number";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "true or false";
	default:
		return "null";
	}
}

static int check_list(const field *item_f, const json_t *list, const place *up)
{
	json_t *seen = json_object(), *item;
	place at = {up, NULL, NULL, 0};
	size_t i;
	int rc = 0;

	json_array_foreach(list, i, item)
	{
		at.item = item;
		at.index = i;
		if (!json_is_object(item)) {
			rc = bad_at(&at, "each item must be an object with an id");
			break;
		}
		if ((rc = check_object(item_f, item, &at)))
			break;
		if (json_object_get(seen, json_string_value(json_object_get(item, "id")))) {
			rc = bad_at(&at, "the id is used by another item of the list");
			break;
		}
		json_object_set_new(seen, json_string_value(json_object_get(item, "id")),
		                    json_true());
	}
	json_decref(seen);
	return rc;
}

static int check_value(const field *f, const json_t *v, const place *p)
{
	char text[PATH_LEN];

	if (json_is_null(v))
		return bad_at(p, "null is not allowed (leave the field out instead)");
	if (!kind_ok(f->kind, v)) {
		path_text(p, text);
		return ds_error_set(DS_EINVALID, "%s: %s (got %s)", text,
		                    f->msg ? f->msg : kind_msg(f->kind), type_name(v));
	}
	if (f->kind == K_TIME && ds_time_parse(json_string_value(v), NULL, NULL))
		return bad_at(p, kind_msg(K_TIME));
	if (f->ok && !f->ok(v))
		return bad_at(p, f->msg);
	if (f->kind == K_OBJ)
		return check_object(f->sub, v, p);
	if (f->kind == K_LIST)
		return check_list(f->sub, v, p);
	return 0;
}

static const field *find_field(const field *fields, const char *name)
{
	for (; fields->name; fields++)
		if (strcmp(fields->name, name) == 0)
			return fields;
	return NULL;
}

/* Every field in table order, then any key the table does not know (the smallest one,
 * so the message does not depend on key order). */
static int check_object(const field *fields, const json_t *obj, const place *up)
{
	char text[PATH_LEN];
	const char *key, *unknown = NULL;
	place at = {up, NULL, NULL, 0};
	const field *f;
	size_t known = 0;
	json_t *v;
	int rc;

	for (f = fields; f->name; f++) {
		at.name = f->name;
		v = json_object_get(obj, f->name);
		if (!v && f->required)
			return bad_at(&at, "is required");
		if (v && (rc = check_value(f, v, &at)))
			return rc;
		known += v != NULL;
	}
	if (known == json_object_size(obj)) /* every key is one of the table's */
		return 0;
	json_object_foreach((json_t *)obj, key, v)
	{
		if (!find_field(fields, key) && (!unknown || strcmp(key, unknown) < 0))
			unknown = key;
	}
	at.name = unknown;
	path_text(&at, text);
	return ds_error_set(DS_EINVALID, "unknown field '%s'", text);
}

/* ---------------------------------------------------------------- whole dossiers */
static int64_t time_of(const json_t *d, const char *key)
{
	int64_t t = 0;

	ds_time_parse(json_string_value(json_object_get(d, key)), &t, NULL);
	return t;
}

/* What ties fields together; every field already has its kind and content. */
static int cross_check(const json_t *d)
{
	char ag[SCHEMA_CODE_MAX];
	const char *agency_v = json_string_value(json_object_get(d, "agency"));

	schema_code_parse(json_string_value(json_object_get(d, "code")), ag, NULL, NULL, NULL,
	                  NULL);
	if (strcmp(ag, agency_v) != 0)
		return ds_error_set(DS_EINVALID,
		                    "code: its agency part '%s' differs from agency '%s'", ag,
		                    agency_v);
	if (time_of(d, "due_at") < time_of(d, "received_at"))
		return bad("due_at", "must not be before received_at");
	if (json_object_get(d, "prior_status") &&
	    json_integer_value(json_object_get(d, "status")) != 7)
		return bad("prior_status", "allowed only while status is 7");
	return 0;
}

/* 1 when s is a time that ds_time_format writes as it is at +07:00: no fraction, an
 * upper-case T, seconds below 60 and the offset +07:00 (what a parse then a format
 * leaves unchanged), without formatting it. */
static int time_is_vn(const char *s)
{
	int offset;

	return ds_time_parse(s, NULL, &offset) == 0 && offset == DS_TZ_VN && strlen(s) == 25 &&
	       s[10] == 'T' && s[17] < '6' && s[19] == '+';
}

/* 1 when a time of obj (fields as in the table) is not at +07:00, the office's offset;
 * with write, rewrites it there ("...T00:00:00Z" -> "...T07:00:00+07:00"; obj is ours). */
static int times_vn(const field *fields, json_t *obj, int write)
{
	char out[DS_TIME_LEN];
	const field *f;
	json_t *v, *item;
	int64_t t;
	size_t i;
	int off = 0;

	for (f = fields; f->name && (write || !off); f++) {
		if (!(v = json_object_get(obj, f->name)))
			continue;
		if (f->kind == K_TIME && !write && json_is_string(v)) {
			off |= !time_is_vn(json_string_value(v)) &&
			       ds_time_parse(json_string_value(v), &t, NULL) == 0;
		} else if (f->kind == K_TIME &&
		           ds_time_parse(json_string_value(v), &t, NULL) == 0) {
			ds_time_format(t, DS_TZ_VN, out);
			if (strcmp(out, json_string_value(v)) != 0 && ++off && write)
				json_object_set_new(obj, f->name, json_string(out));
		} else if (f->kind == K_OBJ) {
			off |= times_vn(f->sub, v, write);
		} else if (f->kind == K_LIST) {
			json_array_foreach(v, i, item) off |= times_vn(f->sub, item, write);
		}
	}
	return off;
}

int schema_dossier_validate(json_t **dossier)
{
	json_t *v = NULL;
	int rc;

	if (!dossier || !json_is_object(*dossier))
		return ds_error_set(DS_EINVALID, "a dossier must be a JSON object");
	if ((rc = ds_json_nfc_strict(*dossier, &v)))
		return rc;
	if ((rc = check_object(dossier_f, v, NULL)) || (rc = cross_check(v)) ||
	    (rc = schema_dossier_limits(v))) {
		json_decref(v);
		return rc;
	}
	times_vn(dossier_f, v, 1);
	json_decref(*dossier);
	*dossier = v;
	return 0;
}

int schema_dossier_check_normal(const json_t *d)
{
	int rc;

	if (!json_is_object(d) || !ds_json_nfc_is(d))
		return json_is_object(d)
		           ? 1
		           : ds_error_set(DS_EINVALID, "a dossier must be a JSON object");
	if ((rc = check_object(dossier_f, d, NULL)) || (rc = cross_check(d)) ||
	    (rc = schema_dossier_limits(d)))
		return rc;
	return times_vn(dossier_f, (json_t *)d, 0); /* read only */
}

int schema_patch_check(const json_t *patch)
{
	static const char *const fixed[] = {"code", "agency"};
	static const char *const moves[] = {"status", "prior_status"};
	static const char *const times[] = {"finished_at", "returned_at"};
	size_t i;

	if (!json_is_object(patch))
		return ds_error_set(DS_EINVALID, "a patch must be a JSON object");
	for (i = 0; i < DS_ARRAY_LEN(fixed); i++)
		if (json_object_get(patch, fixed[i]))
			return bad(fixed[i], "cannot be changed once issued");
	for (i = 0; i < DS_ARRAY_LEN(moves); i++)
		if (json_object_get(patch, moves[i]))
			return bad(moves[i], "status changes go through a transition");
	for (i = 0; i < DS_ARRAY_LEN(times); i++)
		if (json_object_get(patch, times[i]))
			return bad(times[i], i == 0
			                         ? "set by the transition to 9, not by a patch"
			                         : "set by the transition to 10, not by a patch");
	return 0;
}
