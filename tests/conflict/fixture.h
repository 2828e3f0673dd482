/* fixture.h: what the conflict/ unit tests share: a valid dossier to start from, JSON
 * literals, setting a field by path, comparing JSON with a readable failure, and running
 * a three-way merge whose result must validate. */
#ifndef DOSSYNC_TEST_CONFLICT_FIXTURE_H
#define DOSSYNC_TEST_CONFLICT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <unistd.h>

#include "conflict/conflict.h"
#include "schema/schema.h"

#define CODE1 "000.00.12.H22-240414-0001"
#define AGENCY1 "000.00.12.H22"

/* A JSON value from text; the test fails on bad JSON. */
static inline json_t *J(const char *text)
{
	json_t *v = NULL;

	if (ds_json_parse(text, strlen(text), &v))
		fail_msg("bad JSON in the test: %s (%s)", ds_error_msg(), text);
	return v;
}

/* The ancestor every merge test starts from: a valid dossier in processing (4). */
static inline json_t *fixture_dossier(void)
{
	return J("{\"code\":\"" CODE1 "\",\"agency\":\"" AGENCY1 "\","
	         "\"procedure\":{\"code\":\"1.001193\",\"name\":\"Đăng ký khai sinh\"},"
	         "\"field\":\"HT\",\"channel\":1,"
	         "\"applicant\":{\"name\":\"Phạm Ngọc Giang\",\"id_number\":\"068337861984\","
	         "\"phone\":\"0963060905\",\"email\":\"congdan0@example.vn\","
	         "\"address\":\"Số 239, đường Nguyễn Huệ, Vinh, Nghệ An\"},"
	         "\"summary\":\"Đăng ký khai sinh cho con\","
	         "\"received_at\":\"2024-04-14T07:00:00+07:00\","
	         "\"due_at\":\"2024-04-16T17:00:00+07:00\",\"status\":4,"
	         "\"components\":[{\"id\":\"tp1\",\"code\":\"TK\",\"name\":\"Tờ khai\","
	         "\"originals\":1,\"copies\":0,\"digitised\":true},"
	         "{\"id\":\"tp2\",\"code\":\"GCS\",\"name\":\"Giấy chứng sinh\",\"originals\":1,"
	         "\"copies\":0,\"digitised\":false}],"
	         "\"fees\":[{\"id\":\"lp1\",\"code\":\"LP\",\"amount\":10000,\"paid\":false}],"
	         "\"progress\":[{\"id\":\"p0\",\"who\":\"Nguyễn Hữu Phước\",\"role\":\"Cán bộ\","
	         "\"unit\":\"Một cửa\",\"when\":\"2024-04-14T07:00:00+07:00\","
	         "\"what\":\"Mới tiếp nhận\",\"status\":2}],"
	         "\"supplements\":[{\"id\":\"bs1\",\"requested_at\":\"2024-04-15T08:00:00+07:00\","
	         "\"reason\":\"Thiếu bản sao\"}]}");
}

/* Sets field of *v to the JSON text value (NULL removes it). */
static inline void set(json_t **v, const char *field, const char *value)
{
	json_t *x = value ? J(value) : NULL;

	if (conflict_apply_resolution(v, field, x))
		fail_msg("set %s: %s", field, ds_error_msg());
	json_decref(x);
}

/* A copy of base with one field set. */
static inline json_t *with(const json_t *base, const char *field, const char *value)
{
	json_t *v = json_deep_copy(base);

	set(&v, field, value);
	return v;
}

/* The fixture dossier with one field set. */
static inline json_t *fixture_with(const char *field, const char *value)
{
	json_t *f = fixture_dossier(), *v = with(f, field, value);

	json_decref(f);
	return v;
}

#define assert_json(actual, expected_text) assert_json_at(actual, expected_text, __LINE__)

static inline void assert_json_at(const json_t *actual, const char *expected_text, int line)
{
	json_t *want = J(expected_text);
	char *a = NULL, *w = NULL;

	if (!ds_json_same(actual, want)) {
		ds_json_canonical(actual, &a, NULL);
		ds_json_canonical(want, &w, NULL);
		print_error("line %d:\n  got  %s\n  want %s\n", line, a ? a : "(null)", w);
		free(a);
		free(w);
		json_decref(want);
		fail();
	}
	json_decref(want);
}

/* ---------------------------------------------------------------- scratch folders */
static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

/* A new empty folder under /tmp (free() the name; remove it with scratch_remove). */
static inline char *scratch_new(void)
{
	char *dir = ds_strdup("/tmp/dsconflict-test-XXXXXX");

	if (!mkdtemp(dir))
		fail_msg("mkdtemp failed");
	return dir;
}

static inline void scratch_remove(char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* 1 when the git command-line tool is installed. */
static inline int have_git(void)
{
	return system("git --version >/dev/null 2>&1") == 0;
}

/* Stock git finds every object of the repository and nothing wrong with it. */
static inline void git_fsck_ok(const char *repo)
{
	char *cmd =
	    ds_asprintf("git --git-dir=%s fsck --strict --no-dangling >/dev/null 2>&1", repo);

	if (have_git())
		assert_int_equal(system(cmd), 0);
	else
		print_message("skipped: git not installed\n");
	free(cmd);
}

static inline const char *code_of(const json_t *dossier)
{
	return json_string_value(json_object_get(dossier, "code"));
}

/* What a three-way merge gives: the merged state, the decisions and the open fields. */
typedef struct result {
	json_t *merged, *decisions, *open;
} result;

/* Merges and checks the merged state validates as it is (nothing left to normalise). */
static inline void merge3(const json_t *a, const json_t *o, const json_t *t,
                          const conflict_policy *p, result *r)
{
	json_t *check;

	if (conflict_merge_dossier(a, o, t, p, &r->merged, &r->decisions, &r->open))
		fail_msg("merge: %s", ds_error_msg());
	check = json_deep_copy(r->merged);
	if (schema_dossier_validate(&check))
		fail_msg("merged state does not validate: %s", ds_error_msg());
	assert_true(ds_json_same(check, r->merged));
	json_decref(check);
}

static inline void result_free(result *r)
{
	json_decref(r->merged);
	json_decref(r->decisions);
	json_decref(r->open);
}

#endif
