/* test_create.c: what a crash (SIGKILL, a power cut) leaves in history.git does not stop
 * it. It is created whole or not at all: made in a scratch folder beside it and renamed
 * into place, so a crash leaves at most that scratch folder, which the next open removes;
 * an empty folder at the path is taken over. A branch's ref lock file left by a writer
 * that died is removed by the next move of that branch. */
#include "fixture.h"

#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void opens_and_commits(const char *repo)
{
	conflict_history *h = NULL;
	json_t *d = fixture_dossier(), *changes = json_object(), *got = NULL;
	conflict_commit c = {.branch = "local", .changes = changes, .message = "m"};

	assert_int_equal(conflict_history_open(&h, repo), 0);
	json_object_set(changes, CODE1, d);
	assert_int_equal(conflict_history_commit(h, &c, NULL), 0);
	assert_int_equal(conflict_history_read(h, "local", CODE1, &got), 0);
	assert_true(ds_json_same(got, d));
	conflict_history_free(h);
	git_fsck_ok(repo);
	json_decref(got);
	json_decref(changes);
	json_decref(d);
}

static void a_crashed_creation_is_cleared(void **state)
{
	char *dir = scratch_new(), *repo = ds_path_join(dir, "history.git");
	char *tmp = ds_asprintf("%s.new", repo), *junk = ds_asprintf("%s/HEAD", tmp);

	(void)state;
	/* What a power cut in the middle of git_repository_init leaves: a scratch folder with
	 * part of a repository in it, and nothing at the path itself. */
	assert_int_equal(mkdir(tmp, 0755), 0);
	assert_int_equal(ds_file_write_atomic(junk, "ref: refs/heads/lo", 18, 0644), 0);
	opens_and_commits(repo);
	assert_false(is_dir(tmp));
	free(junk);
	free(tmp);
	free(repo);
	scratch_remove(dir);
}

static void an_empty_folder_is_taken_over(void **state)
{
	char *dir = scratch_new(), *repo = ds_path_join(dir, "history.git");

	(void)state;
	assert_int_equal(mkdir(repo, 0755), 0);
	opens_and_commits(repo);
	free(repo);
	scratch_remove(dir);
}

static void a_stale_ref_lock_is_removed(void **state)
{
	char *dir = scratch_new(), *repo = ds_path_join(dir, "history.git");
	char *lock = ds_asprintf("%s/refs/heads/local.lock", repo);
	conflict_history *h = NULL;
	json_t *d = fixture_dossier(), *d2 = fixture_with("summary", "\"after the crash\""), *got;
	json_t *changes = json_object();
	conflict_commit c = {.branch = "local", .changes = changes, .message = "m"};

	(void)state;
	assert_int_equal(conflict_history_open(&h, repo), 0);
	json_object_set(changes, CODE1, d);
	assert_int_equal(conflict_history_commit(h, &c, NULL), 0);
	/* A writer killed between taking the ref's lock and renaming it into place. */
	assert_int_equal(ds_file_write_atomic(lock, "0000", 4, 0644), 0);
	json_object_set(changes, CODE1, d2);
	if (conflict_history_commit(h, &c, NULL))
		fail_msg("commit after a crash: %s", ds_error_msg());
	assert_int_equal(conflict_history_read(h, "local", CODE1, &got), 0);
	assert_true(ds_json_same(got, d2));
	assert_false(is_dir(lock) || access(lock, F_OK) == 0);
	conflict_history_free(h);
	git_fsck_ok(repo);
	json_decref(got);
	json_decref(changes);
	json_decref(d);
	json_decref(d2);
	free(lock);
	free(repo);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_crashed_creation_is_cleared),
	    cmocka_unit_test(an_empty_folder_is_taken_over),
	    cmocka_unit_test(a_stale_ref_lock_is_removed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
