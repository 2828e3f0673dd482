/* test_verdict.c: on time or late by the national service index rule (schema/verdict.c),
 * over a table of dossiers in every situation the rule distinguishes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/schema/fixture.h"

#define DUE "2025-03-14T16:30:00+07:00"
#define S5 "{\"id\":\"p5\",\"when\":\"2025-03-11T08:00:00+07:00\",\"status\":5}"
#define S5B "{\"id\":\"p6\",\"when\":\"2025-03-12T08:00:00+07:00\",\"status\":5}"
#define SUP "{\"id\":\"s1\",\"requested_at\":\"2025-03-11T08:00:00+07:00\"}"
#define SUP2 "{\"id\":\"s2\",\"requested_at\":\"2025-03-12T08:00:00+07:00\"}"

static const struct {
	const char *what, *fields, *want;
	int requests;
} cases[] = {
    {"open, before due", "\"status\":4", "in_time", 0},
    {"open, at due exactly", "\"status\":6", "in_time", 0},
    {"open, past due", "\"status\":2,\"due_at\":\"2025-03-13T16:30:00+07:00\"", "overdue", 0},
    {"withdrawal asked, past due",
     "\"status\":7,\"prior_status\":4,"
     "\"due_at\":\"2025-03-13T16:30:00+07:00\"",
     "overdue", 0},
    {"refused at intake", "\"status\":3", "none", 0},
    {"stopped", "\"status\":8,\"due_at\":\"2025-03-01T16:30:00+07:00\"", "none", 0},
    {"finished before due", "\"status\":9,\"finished_at\":\"2025-03-14T10:00:00+07:00\"", "on_time",
     0},
    {"finished at due",
     "\"status\":10,\"finished_at\":\"" DUE "\","
     "\"returned_at\":\"2025-03-20T09:00:00+07:00\"",
     "on_time", 0},
    {"finished one second late", "\"status\":9,\"finished_at\":\"2025-03-14T16:30:01+07:00\"",
     "late", 0},
    {"handed over from 6, no finished_at",
     "\"status\":10,\"returned_at\":\"2025-03-14T09:00:00+07:00\"", "on_time", 0},
    {"handed over from 6 after due", "\"status\":10,\"returned_at\":\"2025-03-17T09:00:00+07:00\"",
     "late", 0},
    {"one supplement request, in time",
     "\"status\":9,\"finished_at\":"
     "\"2025-03-14T10:00:00+07:00\",\"progress\":[" S5 "],\"supplements\":[" SUP "]",
     "on_time", 1},
    {"two requests as moves",
     "\"status\":9,\"finished_at\":\"2025-03-14T10:00:00+07:00\","
     "\"progress\":[" S5 "," S5B "]",
     "late", 2},
    {"two requests as list items",
     "\"status\":9,\"finished_at\":"
     "\"2025-03-14T10:00:00+07:00\",\"supplements\":[" SUP "," SUP2 "]",
     "late", 2},
    {"two requests while open", "\"status\":4,\"progress\":[" S5 "," S5B "]", "in_time", 2},
};

/* The fixture dossier due at DUE (unless the case says otherwise), with the case's fields
 * over it. */
static json_t *dossier(const char *fields)
{
	json_t *d = fixture_dossier(), *patch;
	char *text = malloc(strlen(fields) + 3);

	sprintf(text, "{%s}", fields);
	patch = fixture_json(text);
	json_object_del(d, "progress");
	json_object_del(d, "supplements");
	json_object_set_new(d, "due_at", json_string(DUE));
	json_object_update(d, patch);
	json_decref(patch);
	free(text);
	return d;
}

static void verdict_table(void **state)
{
	int64_t now;
	size_t i;

	(void)state;
	assert_int_equal(ds_time_parse(DUE, &now, NULL), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *d = dossier(cases[i].fields);
		int v = schema_dossier_verdict(d, now);

		if (strcmp(schema_verdict_name(v), cases[i].want) != 0)
			fail_msg("%s: %s, want %s", cases[i].what, schema_verdict_name(v),
			         cases[i].want);
		assert_int_equal(schema_supplement_requests(d), cases[i].requests);
		/* Overdue is the same question schema_dossier_overdue answers. */
		assert_int_equal(v == SCHEMA_VERDICT_OVERDUE, schema_dossier_overdue(d, now));
		json_decref(d);
	}
}

static void verdict_names(void **state)
{
	int v;

	(void)state;
	for (v = SCHEMA_VERDICT_NONE; v <= SCHEMA_VERDICT_LATE; v++)
		assert_int_equal(schema_verdict_parse(schema_verdict_name(v)), v);
	assert_int_equal(schema_verdict_parse("early"), -1);
	assert_int_equal(schema_verdict_parse(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(verdict_table),
	    cmocka_unit_test(verdict_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
