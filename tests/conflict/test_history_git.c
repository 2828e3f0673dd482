/* test_history_git.c: units for history.git as stock git sees it: git reads and fscks
 * the repository, dossiers sit in <agency>/<yyMMdd>/<code>/ folders, and packed merges
 * keep both branches. */
#include "history_fixture.h"

static int git(const char *repo, const char *args)
{
	char *cmd = ds_asprintf("git --git-dir=%s %s", repo, args);
	int rc = system(cmd);

	free(cmd);
	return rc;
}

static void stock_git_reads_it(void **state)
{
	fx *f = *state;
	json_t *d1 = rich_dossier(), *d2 = fixture_with("code", "\"" CODE2 "\"");
	char *out = NULL;
	ds_buf b = DS_BUF_INIT;

	commit1(f, "local", CODE1, d1, NULL, 1000, NULL);
	commit1(f, "local", CODE2, d2, NULL, 2000, NULL);
	commit1(f, "central", CODE1, d1, "local", 3000, NULL);
	set(&d1, "applicant.phone", "\"0911111111\"");
	commit1(f, "local", CODE1, d1, NULL, 4000, NULL);
	if (!have_git()) {
		print_message("skipped: git not installed\n");
		goto done;
	}
	assert_int_equal(git(f->repo, "log -p local >/dev/null"), 0);
	assert_int_equal(git(f->repo, "log -p >/dev/null"), 0); /* HEAD is local */
	assert_int_equal(git(f->repo, "fsck --strict --no-dangling >/dev/null 2>&1"), 0);
	/* A field is a file holding its JSON value. */
	out = ds_path_join(f->dir, "phone.txt");
	{
		char *cmd = ds_asprintf("git --git-dir=%s show local:" AGENCY1 "/" DAY1 "/" CODE1
		                        "/applicant/phone >%s",
		                        f->repo, out);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	assert_int_equal(ds_file_read(out, 0, &b), 0);
	assert_string_equal(b.ptr, "\"0911111111\"\n");
	/* The untouched dossier's tree is shared between the two versions. */
	{
		char *cmd = ds_asprintf(
		    "test \"$(git --git-dir=%s rev-parse local:" AGENCY1 "/" DAY1 "/" CODE2 ")\" = "
		    "\"$(git --git-dir=%s rev-parse local~1:" AGENCY1 "/" DAY1 "/" CODE2 ")\"",
		    f->repo, f->repo);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	assert_int_equal(git(f->repo, "log --format=%an/%ae -1 local | grep -qx dossync/xa1"), 0);
done:
	ds_buf_release(&b);
	free(out);
	json_decref(d1);
	json_decref(d2);
}

/* 0 when "git rev-parse --verify -q REV" finds rev (quietly). */
static int git_has(const char *repo, const char *rev)
{
	char *args = ds_asprintf("rev-parse --verify -q '%s' >/dev/null", rev);
	int rc = git(repo, args);

	free(args);
	return rc;
}

/* Stock git compares two revisions' object ids: 0 when they are the same. */
static int git_same(const char *repo, const char *rev1, const char *rev2)
{
	char *cmd = ds_asprintf("test \"$(git --git-dir=%s rev-parse '%s')\" = "
	                        "\"$(git --git-dir=%s rev-parse '%s')\"",
	                        repo, rev1, repo, rev2);
	int rc = system(cmd);

	free(cmd);
	return rc;
}

/* <agency>/<yyMMdd>/<code>/: a commit rewrites the day folders it touches only; a state
 * naming another agency moves the dossier there; emptied folders go; verify walks them
 * all. */
static void day_and_agency_folders(void **state)
{
	fx *f = *state;
	json_t *d1 = fixture_dossier(), *d3 = fixture_with("code", "\"" CODE3 "\"");
	json_t *moved = with(d1, "agency", "\"" AGENCY2 "\""), *rows = json_object();
	char *bad = NULL;

	commit1(f, "local", CODE1, d1, NULL, 1000, NULL);
	commit1(f, "local", CODE3, d3, NULL, 2000, NULL);
	set(&d1, "applicant.phone", "\"0911111111\"");
	commit1(f, "local", CODE1, d1, NULL, 3000, NULL);
	assert_read(f, "local", CODE1, d1);
	assert_read(f, "local", CODE3, d3);
	/* The state names another agency: the dossier moves to that agency's day folder. */
	commit1(f, "local", CODE1, moved, NULL, 4000, NULL);
	assert_read(f, "local", CODE1, moved);
	assert_read(f, "local~1", CODE1, d1);
	json_object_set(rows, CODE1, moved);
	json_object_set(rows, CODE3, d3);
	assert_int_equal(conflict_history_verify(f->h, rows, &bad), 0);
	json_object_del(rows, CODE3);
	assert_int_equal(conflict_history_verify(f->h, rows, &bad), DS_ECONFLICT);
	assert_string_equal(bad, CODE3); /* another day folder, still compared */
	free(bad);
	if (!have_git()) {
		print_message("skipped: git not installed\n");
		goto done;
	}
	assert_int_equal(
	    git(f->repo, "show local~3:" AGENCY1 "/" DAY1 "/" CODE1 "/status >/dev/null"), 0);
	assert_int_equal(git(f->repo, "show local~1:" AGENCY1 "/240415/" CODE3 "/code >/dev/null"),
	                 0);
	/* Changing CODE1 rewrote its day folder and left the next day's as it was. */
	assert_int_equal(
	    git_same(f->repo, "local~1:" AGENCY1 "/240415", "local~2:" AGENCY1 "/240415"), 0);
	assert_int_not_equal(
	    git_same(f->repo, "local~1:" AGENCY1 "/" DAY1, "local~2:" AGENCY1 "/" DAY1), 0);
	/* Moved: under the new agency only; its old day folder, now empty, is gone. */
	assert_int_equal(git_has(f->repo, "local:" AGENCY2 "/" DAY1 "/" CODE1), 0);
	assert_int_not_equal(git_has(f->repo, "local:" AGENCY1 "/" DAY1), 0);
	assert_int_equal(git_has(f->repo, "local:" AGENCY1 "/240415/" CODE3), 0);
	/* Deleted: the other agency's folder, now empty, is gone too. */
	commit1(f, "local", CODE1, NULL, NULL, 5000, NULL);
	assert_int_not_equal(git_has(f->repo, "local:" AGENCY2), 0);
	assert_int_equal(git_has(f->repo, "local:" AGENCY1 "/240415/" CODE3), 0);
	assert_int_equal(git(f->repo, "fsck --strict --no-dangling >/dev/null 2>&1"), 0);
done:
	json_decref(rows);
	json_decref(moved);
	json_decref(d1);
	json_decref(d3);
}

/* Many small packs on both branches, merged along the way: nothing is lost. */
static void pack_merges_keep_both_branches(void **state)
{
	fx *f = *state;
	json_t *d = fixture_dossier(), *log = NULL, *e, *got = NULL, *many = json_object();
	conflict_commit c = {.branch = "local", .changes = many, .message = "intake"};
	char phone[32], code[64];
	size_t i;

	/* A big first pack (another agency, so that later commits do not rewrite its folder),
	 * so that later merges stop short of it and hide what it holds. */
	for (i = 1; i < 300; i++) {
		json_t *other = with(d, "agency", "\"000.00.12.H23\"");
		snprintf(code, sizeof(code), "000.00.12.H23-240414-%04zu", i);
		json_object_set_new(other, "code", json_string(code));
		json_object_set_new(many, code, other);
	}
	assert_int_equal(conflict_history_commit(f->h, &c, NULL), 0);
	json_decref(many);
	for (i = 0; i < 60; i++) {
		snprintf(phone, sizeof(phone), "\"09%08zu\"", i);
		set(&d, "applicant.phone", phone);
		commit1(f, i % 3 == 2 ? "central" : "local", CODE1, d,
		        i % 3 == 2 ? "local" : (i % 6 == 3 ? "central" : NULL), 1000 + (int64_t)i,
		        NULL);
	}
	git_fsck_ok(f->repo);
	assert_int_equal(conflict_history_log(f->h, CODE1, &log), 0);
	assert_int_equal(json_array_size(log), 60);
	json_array_foreach(log, i, e)
	{
		const char *commit = json_string_value(json_object_get(e, "commit"));
		assert_int_equal(conflict_history_read(f->h, commit, CODE1, &got), 0);
		snprintf(phone, sizeof(phone), "09%08zu", 59 - i);
		assert_string_equal(json_string_value(conflict_field_get(got, "applicant.phone")),
		                    phone);
		json_decref(got);
	}
	json_decref(log);
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(stock_git_reads_it, setup, teardown),
	    cmocka_unit_test_setup_teardown(day_and_agency_folders, setup, teardown),
	    cmocka_unit_test_setup_teardown(pack_merges_keep_both_branches, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
