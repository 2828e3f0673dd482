/* repair.c: makes a merged dossier valid again. Two valid states can mix into an invalid
 * one (ours' received_at after theirs' due_at), or into one central may not take after its
 * own (a status policy choosing an illegal move, a changed finish time); the fields whose
 * merged value breaks schema_dossier_validate or the rule book (schema_change_check, from
 * theirs) go back to theirs' value and wait for a person, with the reason. */
#include "conflict/conflict_int.h"
#include "schema/schema.h"

#include <stdlib.h>
#include <string.h>

/* 1 when a names p itself or something inside it, or p something inside a. */
static int overlaps(const char *a, const char *p)
{
	size_t na = strlen(a), np = strlen(p), n = na < np ? na : np;

	if (strncmp(a, p, n) != 0)
		return 0;
	if (na == np)
		return 1;
	return (na > np ? a[np] : p[na]) == '.' || (na > np ? a[np] : p[na]) == '[';
}

/* Moves field from decisions (if a rule had settled it) to open with reason. */
static void reopen(cf_merge *m, const char *field, const json_t *a, const json_t *o,
                   const json_t *t, const char *reason)
{
	size_t i = json_array_size(m->decisions);

	while (i-- > 0) {
		const char *f =
		    json_string_value(json_object_get(json_array_get(m->decisions, i), "field"));
		if (overlaps(f, field))
			json_array_remove(m->decisions, i);
	}
	cf_open_add(m, field, conflict_field_get(a, field), conflict_field_get(o, field),
	            conflict_field_get(t, field), reason);
}

/* 0 when *merged validates and may follow theirs in a merge op (normalised in place). */
static int acceptable(json_t **merged, const json_t *t)
{
	int rc = schema_dossier_validate(merged);

	return rc ? rc : schema_change_check(t, *merged);
}

/* A copy of merged with field set back to theirs' value, validated; NULL if still bad. */
static json_t *revert_one(const json_t *merged, const json_t *t, const char *field)
{
	json_t *try = json_deep_copy(merged);

	if (conflict_apply_resolution(&try, field, conflict_field_get(t, field)) ||
	    acceptable(&try, t)) {
		json_decref(try);
		return NULL;
	}
	return try;
}

/* Puts the field the validation message names ("due_at: ...") first among paths. */
static void named_first(json_t *paths, const char *msg)
{
	size_t i, n = strcspn(msg, ":");

	for (i = 0; i < json_array_size(paths); i++) {
		const char *p = json_string_value(json_array_get(paths, i));
		if (strlen(p) == n && strncmp(p, msg, n) == 0 && i > 0) {
			json_t *x = json_incref(json_array_get(paths, i));
			json_array_remove(paths, i);
			json_array_insert_new(paths, 0, x);
			return;
		}
	}
}

int cf_merge_repair(cf_merge *m, const json_t *a, const json_t *o, const json_t *t, json_t **merged)
{
	json_t *try = json_deep_copy(*merged), *theirs = json_deep_copy(t), *paths = NULL, *p;
	char *msg = NULL, *reason = NULL;
	size_t i;
	int rc = 0;

	if (acceptable(&try, t) == 0) {
		json_decref(*merged);
		*merged = try;
		try = NULL;
		goto done;
	}
	msg = ds_strdup(ds_error_msg());
	if (schema_dossier_validate(&theirs)) {
		ds_error_clear(); /* theirs is invalid itself: nothing valid to fall back on */
		goto done;
	}
	if ((rc = conflict_diff_fields(*merged, t, &paths)))
		goto done;
	named_first(paths, msg);
	reason =
	    ds_asprintf("the merged dossier does not validate (%s); central's value kept", msg);
	json_array_foreach(paths, i, p)
	{
		json_t *fixed = revert_one(*merged, t, json_string_value(p));
		if (fixed) {
			reopen(m, json_string_value(p), a, o, t, reason);
			json_decref(*merged);
			*merged = fixed;
			goto done;
		}
	}
	/* No single field explains it: every field that differs from theirs waits. */
	json_array_foreach(paths, i, p) reopen(m, json_string_value(p), a, o, t, reason);
	json_decref(*merged);
	*merged = theirs;
	theirs = NULL;
done:
	json_decref(try);
	json_decref(theirs);
	json_decref(paths);
	free(msg);
	free(reason);
	return rc;
}
