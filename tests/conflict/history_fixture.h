/* history_fixture.h: what the history.git unit tests share: a scratch repository per
 * test (setup, teardown), committing one dossier, reading one back, and a dossier with
 * every kind of field. */
#ifndef DOSSYNC_TEST_CONFLICT_HISTORY_FIXTURE_H
#define DOSSYNC_TEST_CONFLICT_HISTORY_FIXTURE_H

#include "fixture.h"

#define CODE2 "000.00.12.H22-240414-0002"
#define CODE3 "000.00.12.H22-240415-0001" /* received a day later */
#define DAY1 "240414"                     /* the day folder of CODE1 and CODE2 */
#define AGENCY2 "000.00.12.H23"

typedef struct fx {
	char *dir;
	char *repo;
	conflict_history *h;
} fx;

static inline int setup(void **state)
{
	fx *f = ds_calloc(1, sizeof(*f));

	f->dir = scratch_new();
	f->repo = ds_path_join(f->dir, "history.git");
	if (conflict_history_open(&f->h, f->repo))
		fail_msg("open: %s", ds_error_msg());
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	fx *f = *state;

	conflict_history_free(f->h);
	free(f->repo);
	scratch_remove(f->dir);
	free(f);
	return 0;
}

/* Commits {code: state} (state NULL: delete) on branch at time when. */
static inline void commit1(fx *f, const char *branch, const char *code, const json_t *st,
                           const char *merge_parent, int64_t when, char out[CONFLICT_OID_HEX])
{
	json_t *changes = json_object();
	conflict_commit c = {.branch = branch,
	                     .changes = changes,
	                     .message = "sync round\n\nbody",
	                     .merge_parent = merge_parent,
	                     .node = "xa1",
	                     .when = when};

	json_object_set(changes, code, st ? (json_t *)st : json_null());
	if (conflict_history_commit(f->h, &c, out))
		fail_msg("commit: %s", ds_error_msg());
	json_decref(changes);
}

static inline void assert_read(fx *f, const char *rev, const char *code, const json_t *want)
{
	json_t *got = NULL;

	if (conflict_history_read(f->h, rev, code, &got))
		fail_msg("read %s %s: %s", rev, code, ds_error_msg());
	if (!ds_json_same(got, want)) {
		char *a, *b;
		ds_json_canonical(got, &a, NULL);
		ds_json_canonical(want, &b, NULL);
		fail_msg("read back differs:\n  got  %s\n  want %s", a, b);
	}
	json_decref(got);
}

/* Every kind of field: nested objects, lists with ids out of git's name order, an empty
 * list, booleans, numbers, Vietnamese text. */
static inline json_t *rich_dossier(void)
{
	json_t *d = fixture_dossier();
	int i;

	set(&d, "applicant.representative",
	    "{\"name\":\"Trần Thị Ánh Tuyết\",\"relation\":\"mẹ\",\"phone\":\"+84912345678\"}");
	set(&d, "result",
	    "{\"number\":\"123/QĐ-UBND\",\"name\":\"Giấy khai sinh\","
	    "\"issued_at\":\"2024-04-16T09:00:00+07:00\"}");
	set(&d, "attachments", "[]");
	set(&d, "handling_unit", "\"Bộ phận một cửa xã Phúc Hoà\"");
	for (i = 1; i <= 11; i++) {
		char field[32], row[160];
		snprintf(field, sizeof(field), "progress[p%d]", i);
		snprintf(row, sizeof(row),
		         "{\"when\":\"2024-04-14T%02d:00:00+07:00\",\"what\":\"Bước %d: "
		         "chuyển hồ sơ\",\"status\":4}",
		         7 + i, i);
		set(&d, field, row);
	}
	set(&d, "components[a0]", "{\"name\":\"Bản sao\",\"originals\":0,\"copies\":2}");
	return d;
}

#endif
