/* search.c: the text a clerk's search looks in, one definition for both writers of the
 * agent's search index: agent_save (every change to a dossier row) and the migration that
 * filled the index for the rows already there (SQL function dossync_search_text). */
#include "schema/schema_int.h"

#include <stdlib.h>
#include <string.h>

/* Appends the folded text of obj's member key to b as one line; nothing when absent. */
static int add_line(ds_buf *b, const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	char *folded = NULL;
	int rc;

	if (!s || !*s)
		return 0;
	if ((rc = ds_text_fold(s, &folded)))
		return rc;
	if (b->len)
		ds_buf_puts(b, "\n");
	ds_buf_puts(b, folded);
	free(folded);
	return 0;
}

/* The person's name, CCCD and phone; a +84 phone once more as 0..., as clerks write it. */
static int add_person(ds_buf *b, const json_t *p)
{
	const char *phone = json_string_value(json_object_get(p, "phone"));
	int rc;

	if ((rc = add_line(b, p, "name")) || (rc = add_line(b, p, "id_number")) ||
	    (rc = add_line(b, p, "phone")))
		return rc;
	if (phone && strncmp(phone, "+84", 3) == 0 && phone[3]) {
		ds_buf_puts(b, "\n0");
		ds_buf_puts(b, phone + 3);
	}
	return 0;
}

int schema_search_text(const json_t *dossier, char **out)
{
	const json_t *ap = json_object_get(dossier, "applicant");
	ds_buf b = DS_BUF_INIT;
	int rc;

	*out = NULL;
	if ((rc = add_line(&b, dossier, "code")) || (rc = add_person(&b, ap)) ||
	    (rc = add_person(&b, json_object_get(ap, "representative")))) {
		ds_buf_release(&b);
		return rc;
	}
	*out = ds_buf_detach(&b, NULL);
	return 0;
}

static void sql_search_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *body = (const char *)sqlite3_value_text(argv[0]);
	json_t *d = NULL;
	char *text = NULL;

	(void)argc;
	if (body && ds_json_parse(body, strlen(body), &d) == 0 && schema_search_text(d, &text) == 0)
		sqlite3_result_text(ctx, text, -1, free);
	else
		sqlite3_result_null(ctx);
	json_decref(d);
}

int schema_search_register(sqlite3 *db)
{
	int rc = sqlite3_create_function(db, "dossync_search_text", 1,
	                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_search_text,
	                                 NULL, NULL);

	return rc == SQLITE_OK ? 0 : ds_error_sqlite(db, rc, "registering dossync_search_text");
}
