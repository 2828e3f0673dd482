/* test_full.c: a full disk while history.git writes a pack is DS_ENOSPC ("disk full"), the
 * code the agent turns into exit 75, not DS_ERROR (exit 1). The disk fills through
 * RLIMIT_FSIZE: every write past the limit fails with EFBIG, as fault_disk.sh does. */
#include "fixture.h"

#include <signal.h>
#include <sys/resource.h>

static void flush_on_full_disk(void **state)
{
	char *dir = scratch_new(), *repo = ds_path_join(dir, "history.git");
	conflict_history *h = NULL;
	json_t *changes = json_object(), *d = fixture_dossier();
	conflict_commit c = {.branch = "local", .changes = changes, .message = "m", .node = "xa1"};
	struct rlimit old, full;
	int rc;

	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(conflict_history_open(&h, repo), 0);
	assert_int_equal(conflict_history_begin(h), 0);
	json_object_set(changes, CODE1, d);
	assert_int_equal(conflict_history_commit(h, &c, NULL), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	full = old;
	full.rlim_cur = 16;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &full), 0);
	rc = conflict_history_flush(h);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	if (rc != DS_ENOSPC || !strstr(ds_error_msg(), "disk full"))
		fail_msg("flush on a full disk: %d, %s", rc, ds_error_msg());
	conflict_history_free(h);
	json_decref(changes);
	json_decref(d);
	scratch_remove(dir);
	free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(flush_on_full_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
