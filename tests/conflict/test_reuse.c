/* test_reuse.c: what a commit does not write again. A state the caller says equals the
 * other branch head's (conflict_commit.same) takes that branch's tree as is; the hint is
 * ignored where the other branch lacks the dossier; a dossier neither branch had is written
 * without searching the packs, and reads back like any other. */
#include "fixture.h"

#include <git2.h>

typedef struct fx {
	char *dir, *repo;
	conflict_history *h;
} fx;

static int setup(void **state)
{
	fx *f = ds_calloc(1, sizeof(*f));

	f->dir = scratch_new();
	f->repo = ds_path_join(f->dir, "history.git");
	assert_int_equal(conflict_history_open(&f->h, f->repo), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	conflict_history_free(f->h);
	free(f->repo);
	scratch_remove(f->dir);
	free(f);
	return 0;
}

static void commit(fx *f, const char *branch, json_t *d, const json_t *same)
{
	json_t *changes = json_object();
	conflict_commit c = {.branch = branch, .changes = changes, .message = "m", .same = same};

	json_object_set(changes, code_of(d), d);
	if (conflict_history_commit(f->h, &c, NULL))
		fail_msg("commit on %s: %s", branch, ds_error_msg());
	json_decref(changes);
}

/* The id of the dossier folder of CODE1 on branch, as stock libgit2 reads it. */
static void dossier_oid(fx *f, const char *branch, git_oid *out)
{
	git_repository *r = NULL;
	git_object *o = NULL;
	char *spec = ds_asprintf("%s:" AGENCY1 "/240414/" CODE1, branch);

	assert_int_equal(git_repository_open_bare(&r, f->repo), 0);
	if (git_revparse_single(&o, r, spec))
		fail_msg("%s: %s", spec, git_error_last()->message);
	git_oid_cpy(out, git_object_id(o));
	git_object_free(o);
	git_repository_free(r);
	free(spec);
}

static void assert_reads(fx *f, const char *branch, const json_t *want)
{
	json_t *got = NULL;

	assert_int_equal(conflict_history_read(f->h, branch, CODE1, &got), 0);
	assert_true(ds_json_same(got, want));
	json_decref(got);
}

static void same_state_takes_the_other_branch_tree(void **state)
{
	fx *f = *state;
	json_t *d = fixture_dossier(), *same = json_pack("{s:b}", CODE1, 1);
	git_oid a, b;

	json_t *d2 = fixture_with("summary", "\"not written\"");

	commit(f, "central", d, NULL);
	/* The hint is trusted, not checked (checking would mean reading the whole tree back):
	 * with a state that differs, what lands is still central's tree. That shows the tree
	 * was taken, not written; the agent only says "same" for byte-equal states. */
	commit(f, "local", d2, same);
	dossier_oid(f, "central", &a);
	dossier_oid(f, "local", &b);
	assert_true(git_oid_equal(&a, &b));
	assert_reads(f, "local", d);
	git_fsck_ok(f->repo);
	json_decref(same);
	json_decref(d);
	json_decref(d2);
}

static void hint_ignored_where_the_other_branch_lacks_it(void **state)
{
	fx *f = *state;
	json_t *d = fixture_dossier(), *same = json_pack("{s:b}", CODE1, 1);

	commit(f, "local", d, same); /* central has nothing: the state is written */
	assert_reads(f, "local", d);
	git_fsck_ok(f->repo);
	json_decref(same);
	json_decref(d);
}

static void new_then_changed_dossier_reads_back(void **state)
{
	fx *f = *state;
	json_t *d = fixture_dossier(), *d2 = fixture_with("applicant.phone", "\"0912345678\"");
	git_oid a, b;

	commit(f, "central", d, NULL);  /* new to both branches: written without searching */
	commit(f, "central", d2, NULL); /* seen: unchanged fields are found, not written */
	assert_reads(f, "central", d2);
	commit(f, "local", d, NULL);
	commit(f, "local", d2, NULL);
	dossier_oid(f, "central", &a);
	dossier_oid(f, "local", &b);
	assert_true(git_oid_equal(&a, &b));
	git_fsck_ok(f->repo);
	json_decref(d);
	json_decref(d2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(same_state_takes_the_other_branch_tree, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(hint_ignored_where_the_other_branch_lacks_it, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(new_then_changed_dossier_reads_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
