/* test_history.c: units for history.git: commit and read back (canonical-equal), refused
 * input, the merge base across a local/central divergence and after a merge commit, the
 * log of one dossier, trailers, batches and verify. Stock git reading the repository and
 * the <agency>/<yyMMdd>/<code>/ folders are in test_history_git.c. */
#include "history_fixture.h"

static void commit_and_read_back(void **state)
{
	fx *f = *state;
	json_t *d = rich_dossier(), *d2 = fixture_with("code", "\"" CODE2 "\"");
	json_t *odd = json_object();
	char oid[CONFLICT_OID_HEX], head[CONFLICT_OID_HEX];

	assert_int_equal(conflict_history_head(f->h, "local", head), DS_ENOTFOUND);
	commit1(f, "local", CODE1, d, NULL, 0, oid);
	assert_int_equal(strlen(oid), 40);
	assert_int_equal(conflict_history_head(f->h, "local", head), 0);
	assert_string_equal(head, oid);
	assert_read(f, "local", CODE1, d);
	assert_read(f, oid, CODE1, d);
	/* A second dossier leaves the first as it was. */
	commit1(f, "local", CODE2, d2, NULL, 0, oid);
	assert_read(f, "local", CODE1, d);
	assert_read(f, "local", CODE2, d2);
	assert_read(f, "local~1", CODE1, d);
	/* Not schema data, but stored faithfully: odd keys and ids, plain arrays, null. */
	json_object_set_new(odd, "code", json_string(CODE1));
	json_object_set_new(odd, "tags", J("[\"a\",\"b\",{\"id\":\"x\"}]"));
	json_object_set_new(odd, "a/b", J("{\"%41\":1,\".order\":2,\"..\":{}}"));
	json_object_set_new(odd, "items",
	                    J("[{\"id\":\"..\",\"v\":1},{\"id\":\".order\"},"
	                      "{\"id\":\"x/y\",\"v\":[1,2.5,null,true]}]"));
	json_object_set_new(odd, "nothing", json_null());
	json_object_set_new(odd, "empty", json_object());
	commit1(f, "central", CODE1, odd, NULL, 0, oid);
	assert_read(f, "central", CODE1, odd);
	assert_read(f, "local", CODE1, d);
	json_decref(d);
	json_decref(d2);
	json_decref(odd);
}

static void open_refuses_other_folders(void **state)
{
	fx *f = *state;
	conflict_history *h = NULL;
	char *file = ds_path_join(f->dir, "notes.txt"), *repo = NULL;

	/* A folder that holds something else is not turned into a repository. */
	assert_int_equal(ds_file_write_atomic(file, "x", 1, 0644), 0);
	assert_int_not_equal(conflict_history_open(&h, f->dir), 0);
	assert_null(h);
	assert_non_null(strstr(ds_error_msg(), f->dir));
	/* A missing folder is created, and reopening finds what was committed. */
	repo = ds_path_join(f->dir, "a/b/history.git");
	assert_int_equal(conflict_history_open(&h, repo), 0);
	conflict_history_free(h);
	assert_int_equal(conflict_history_open(&h, repo), 0);
	conflict_history_free(h);
	free(file);
	free(repo);
}

static void read_missing(void **state)
{
	fx *f = *state;
	json_t *d = fixture_dossier(), *got = (json_t *)1;

	assert_int_equal(conflict_history_read(f->h, "local", CODE1, &got), DS_ENOTFOUND);
	assert_null(got);
	commit1(f, "local", CODE1, d, NULL, 0, NULL);
	assert_int_equal(conflict_history_read(f->h, "local", CODE2, &got), DS_ENOTFOUND);
	assert_int_equal(conflict_history_read(f->h, "central", CODE1, &got), DS_ENOTFOUND);
	assert_int_equal(conflict_history_read(f->h, "nosuchrev", CODE1, &got), DS_ENOTFOUND);
	assert_int_equal(conflict_history_read(f->h, "local~5", CODE1, &got), DS_ENOTFOUND);
	assert_int_equal(conflict_history_read(f->h, "local", "../../etc", &got), DS_EINVALID);
	json_decref(d);
}

static void commit_refuses_bad_input(void **state)
{
	fx *f = *state;
	json_t *d = fixture_dossier(), *changes = json_object(), *tr = json_object();
	conflict_commit c = {.branch = "local", .changes = changes, .message = "m"};
	char out[CONFLICT_OID_HEX];
	const char *bad_codes[] = {"../x",
	                           "000.00.12.H22/../x",
	                           "",
	                           "x",
	                           "000.00.12.H22-240414-0001\n",
	                           "000.00.12.H22-240414-0001/..",
	                           "..-240414-0001"};
	size_t i;

	for (i = 0; i < DS_ARRAY_LEN(bad_codes); i++) {
		json_object_clear(changes);
		json_object_set(changes, bad_codes[i], d);
		assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	}
	json_object_clear(changes);
	json_object_set_new(changes, CODE2, json_deep_copy(d)); /* says CODE1 inside */
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	json_object_clear(changes);
	json_object_set_new(changes, CODE1, with(d, "agency", "\"../../etc\""));
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	json_object_clear(changes);
	json_object_set_new(changes, CODE1, with(d, "agency", "\"000.00.12.H22/x\""));
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	json_object_clear(changes);
	json_object_set_new(changes, CODE1, json_string("not a state"));
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	json_object_clear(changes);
	json_object_set(changes, CODE1, d);
	c.branch = "master";
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	c.branch = NULL;
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	c.branch = "local";
	c.merge_parent = "nope";
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	c.merge_parent = "central"; /* central has no commit yet */
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_ENOTFOUND);
	c.merge_parent = NULL;
	c.node = "evil <x>";
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	c.node = NULL;
	c.trailers = tr;
	json_object_set_new(tr, "Bad Key", json_string("1"));
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	json_object_clear(tr);
	json_object_set_new(tr, "Journal-Seq", json_string("1\nForged: yes"));
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	json_object_clear(tr);
	json_object_set_new(tr, "Journal-Seq", json_integer(1));
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	c.trailers = NULL;
	c.changes = NULL;
	assert_int_equal(conflict_history_commit(f->h, &c, out), DS_EINVALID);
	/* Nothing of it reached the branch. */
	assert_int_equal(conflict_history_head(f->h, "local", out), DS_ENOTFOUND);
	assert_int_equal(conflict_history_head(f->h, "main", out), DS_EINVALID);
	json_decref(d);
	json_decref(changes);
	json_decref(tr);
}

static void unchanged_commit_skipped(void **state)
{
	fx *f = *state;
	json_t *d = fixture_dossier(), *empty = json_object();
	char a[CONFLICT_OID_HEX], b[CONFLICT_OID_HEX], m[CONFLICT_OID_HEX];
	conflict_commit c = {.branch = "local", .changes = empty, .message = "nothing"};

	assert_int_equal(conflict_history_commit(f->h, &c, a), 0); /* empty on empty */
	assert_string_equal(a, "");
	assert_int_equal(conflict_history_head(f->h, "local", a), DS_ENOTFOUND);
	commit1(f, "local", CODE1, d, NULL, 1000, a);
	commit1(f, "local", CODE1, d, NULL, 2000, b);
	assert_string_equal(a, b);
	assert_int_equal(conflict_history_head(f->h, "local", b), 0);
	assert_string_equal(a, b);
	/* A merge commit without a change is kept: it moves the merge base. */
	commit1(f, "central", CODE1, d, NULL, 3000, NULL);
	commit1(f, "local", CODE1, d, "central", 4000, m);
	assert_string_not_equal(m, a);
	json_decref(d);
	json_decref(empty);
}

static void delete_dossier(void **state)
{
	fx *f = *state;
	json_t *d = fixture_dossier(), *got = NULL;

	commit1(f, "local", CODE1, d, NULL, 1000, NULL);
	commit1(f, "local", CODE1, NULL, NULL, 2000, NULL);
	assert_int_equal(conflict_history_read(f->h, "local", CODE1, &got), DS_ENOTFOUND);
	assert_read(f, "local~1", CODE1, d);
	json_decref(d);
}

/* local: L1 (v1) -> L2 (ours) -> L3 (merge of L2 and C2)
 * central:    C1 (v1, parent L1) -> C2 (theirs) */
static void ancestor_and_merge_base(void **state)
{
	fx *f = *state;
	json_t *v1 = fixture_dossier(), *ours = with(v1, "applicant.phone", "\"0911111111\"");
	json_t *theirs = with(v1, "status", "9"), *got = NULL, *merged = NULL, *dec, *open;

	assert_int_equal(conflict_history_ancestor(f->h, CODE1, &got), DS_ENOTFOUND);
	commit1(f, "local", CODE1, v1, NULL, 1000, NULL);
	assert_int_equal(conflict_history_ancestor(f->h, CODE1, &got), DS_ENOTFOUND);
	commit1(f, "central", CODE1, v1, "local", 2000, NULL);
	assert_int_equal(conflict_history_ancestor(f->h, CODE1, &got), 0);
	assert_true(ds_json_same(got, v1));
	json_decref(got);
	/* Divergence: the ancestor stays v1. */
	commit1(f, "local", CODE1, ours, NULL, 3000, NULL);
	commit1(f, "central", CODE1, theirs, NULL, 4000, NULL);
	assert_int_equal(conflict_history_ancestor(f->h, CODE1, &got), 0);
	assert_true(ds_json_same(got, v1));
	assert_int_equal(conflict_merge_dossier(got, ours, theirs, NULL, &merged, &dec, &open), 0);
	json_decref(got);
	/* The merge commit moves the merge base to central's head. */
	commit1(f, "local", CODE1, merged, "central", 5000, NULL);
	assert_int_equal(conflict_history_ancestor(f->h, CODE1, &got), 0);
	assert_true(ds_json_same(got, theirs));
	json_decref(got);
	assert_read(f, "local", CODE1, merged);
	/* A dossier absent at the merge base. */
	assert_int_equal(conflict_history_ancestor(f->h, CODE2, &got), DS_ENOTFOUND);
	json_decref(v1);
	json_decref(ours);
	json_decref(theirs);
	json_decref(merged);
	json_decref(dec);
	json_decref(open);
}

static void no_merge_base(void **state)
{
	fx *f = *state;
	json_t *d = fixture_dossier(), *got = NULL;

	/* Two unrelated histories. */
	commit1(f, "local", CODE1, d, NULL, 1000, NULL);
	commit1(f, "central", CODE1, d, NULL, 2000, NULL);
	assert_int_equal(conflict_history_ancestor(f->h, CODE1, &got), DS_ENOTFOUND);
	assert_null(got);
	json_decref(d);
}

/* The branch and changed fields of log entry i. */
static void assert_entry(const json_t *log, size_t i, const char *commit, const char *branch,
                         const char *fields)
{
	const json_t *e = json_array_get(log, i);

	if (commit)
		assert_string_equal(json_string_value(json_object_get(e, "commit")), commit);
	assert_string_equal(json_string_value(json_object_get(e, "branch")), branch);
	assert_json(json_object_get(e, "fields"), fields);
}

#define ALL_FIELDS                                                                                 \
	"[\"agency\",\"applicant\",\"channel\",\"code\",\"components\",\"due_at\",\"fees\","       \
	"\"field\",\"procedure\",\"progress\",\"received_at\",\"status\",\"summary\","             \
	"\"supplements\"]"

static void log_lists_versions(void **state)
{
	fx *f = *state;
	json_t *v1 = fixture_dossier(), *ours = with(v1, "applicant.phone", "\"0911111111\"");
	json_t *theirs = with(v1, "status", "9"), *merged = with(ours, "status", "9");
	json_t *other = fixture_with("code", "\"" CODE2 "\""), *log = NULL;
	char l1[CONFLICT_OID_HEX], l3[CONFLICT_OID_HEX], c2[CONFLICT_OID_HEX];
	char l4[CONFLICT_OID_HEX], l5[CONFLICT_OID_HEX];
	const int64_t t0 = 1713052800; /* 2024-04-14T07:00:00+07:00 */

	assert_int_equal(conflict_history_log(f->h, CODE1, &log), 0);
	assert_json(log, "[]");
	json_decref(log);
	commit1(f, "local", CODE1, v1, NULL, t0, l1);
	commit1(f, "central", CODE1, v1, "local", t0 + 100, NULL); /* same state: no version */
	commit1(f, "local", CODE2, other, NULL, t0 + 200, NULL);   /* another dossier */
	commit1(f, "local", CODE1, ours, NULL, t0 + 300, l3);
	commit1(f, "central", CODE1, theirs, NULL, t0 + 400, c2);
	commit1(f, "local", CODE1, merged, "central", t0 + 500, l4);
	assert_int_equal(conflict_history_log(f->h, CODE1, &log), 0);
	assert_int_equal(json_array_size(log), 4);
	{
		char *want = ds_asprintf("{\"commit\":\"%s\",\"branch\":\"local\","
		                         "\"when\":\"2024-04-14T07:08:20+07:00\",\"who\":\"xa1\","
		                         "\"message\":\"sync round\",\"fields\":[\"status\"]}",
		                         l4);
		assert_json(json_array_get(log, 0), want);
		free(want);
	}
	assert_entry(log, 1, c2, "central", "[\"status\"]");
	assert_entry(log, 2, l3, "local", "[\"applicant.phone\"]");
	assert_entry(log, 3, l1, "local", ALL_FIELDS);
	json_decref(log);
	/* A deletion is a version too. */
	commit1(f, "local", CODE1, NULL, NULL, t0 + 600, l5);
	assert_int_equal(conflict_history_log(f->h, CODE1, &log), 0);
	assert_int_equal(json_array_size(log), 5);
	assert_entry(log, 0, l5, "local", ALL_FIELDS);
	assert_json(json_object_get(json_array_get(log, 0), "deleted"), "true");
	assert_null(json_object_get(json_array_get(log, 1), "deleted"));
	json_decref(log);
	json_decref(v1);
	json_decref(ours);
	json_decref(theirs);
	json_decref(merged);
	json_decref(other);
}

static void trailers(void **state)
{
	fx *f = *state;
	json_t *d = fixture_dossier(), *changes = json_object(), *tr = json_object();
	conflict_commit c = {.branch = "local",
	                     .changes = changes,
	                     .message = "round 1",
	                     .trailers = tr,
	                     .node = "xa1"};
	char *v = NULL;

	assert_int_equal(conflict_history_trailer(f->h, "local", "Journal-Seq", &v), DS_ENOTFOUND);
	json_object_set(changes, CODE1, d);
	json_object_set_new(tr, "Journal-Seq", json_string("40"));
	json_object_set_new(tr, "Journal-Seqs", json_string("1-40"));
	assert_int_equal(conflict_history_commit(f->h, &c, NULL), 0);
	assert_int_equal(conflict_history_trailer(f->h, "local", "Journal-Seq", &v), 0);
	assert_string_equal(v, "40");
	free(v);
	assert_int_equal(conflict_history_trailer(f->h, "local", "journal-seqs", &v), 0);
	assert_string_equal(v, "1-40");
	free(v);
	assert_int_equal(conflict_history_trailer(f->h, "local", "Central-Versions", &v),
	                 DS_ENOTFOUND);
	assert_null(v);
	assert_int_equal(conflict_history_trailer(f->h, "central", "Journal-Seq", &v),
	                 DS_ENOTFOUND);
	assert_int_equal(conflict_history_trailer(f->h, "other", "Journal-Seq", &v), DS_EINVALID);
	/* The newest commit's trailer counts. */
	json_object_set_new(changes, CODE1, with(d, "summary", "\"x\""));
	json_object_set_new(tr, "Journal-Seq", json_string("41"));
	assert_int_equal(conflict_history_commit(f->h, &c, NULL), 0);
	assert_int_equal(conflict_history_trailer(f->h, "local", "Journal-Seq", &v), 0);
	assert_string_equal(v, "41");
	free(v);
	json_decref(d);
	json_decref(changes);
	json_decref(tr);
}

static void verify_against_rows(void **state)
{
	fx *f = *state;
	json_t *d1 = fixture_dossier(), *d2 = fixture_with("code", "\"" CODE2 "\"");
	json_t *changes = json_object(), *rows;
	conflict_commit c = {.branch = "local", .changes = changes, .message = "m"};
	char *bad = NULL;

	rows = json_object();
	assert_int_equal(conflict_history_verify(f->h, rows, &bad), 0); /* both empty */
	json_object_set(changes, CODE1, d1);
	json_object_set(changes, CODE2, d2);
	assert_int_equal(conflict_history_commit(f->h, &c, NULL), 0);
	json_object_set(rows, CODE2, d2);
	assert_int_equal(conflict_history_verify(f->h, rows, &bad), DS_ECONFLICT);
	assert_string_equal(bad, CODE1); /* in history only */
	assert_non_null(strstr(ds_error_msg(), CODE1));
	free(bad);
	json_object_set(rows, CODE1, d1);
	assert_int_equal(conflict_history_verify(f->h, rows, &bad), 0);
	assert_null(bad);
	json_object_set_new(rows, CODE2, with(d2, "applicant.phone", "\"0911111111\""));
	assert_int_equal(conflict_history_verify(f->h, rows, &bad), DS_ECONFLICT);
	assert_string_equal(bad, CODE2);
	assert_non_null(strstr(ds_error_msg(), "differs"));
	free(bad);
	json_object_set(rows, CODE2, d2);
	json_object_set_new(rows, "000.00.12.H22-240414-0003", json_deep_copy(d2));
	assert_int_equal(conflict_history_verify(f->h, rows, NULL), DS_ECONFLICT);
	assert_non_null(strstr(ds_error_msg(), "000.00.12.H22-240414-0003 is missing"));
	assert_int_equal(conflict_history_verify(f->h, json_object_get(d1, "fees"), NULL),
	                 DS_EINVALID);
	json_decref(rows);
	json_decref(changes);
	json_decref(d1);
	json_decref(d2);
}

static void batches_move_refs_at_flush(void **state)
{
	fx *f = *state;
	json_t *d = fixture_dossier();
	conflict_history *other = NULL;
	char a[CONFLICT_OID_HEX], b[CONFLICT_OID_HEX];

	assert_int_equal(conflict_history_begin(f->h), 0);
	assert_int_equal(conflict_history_begin(f->h), DS_EINVALID);
	commit1(f, "local", CODE1, d, NULL, 1000, a);
	commit1(f, "central", CODE1, d, "local", 2000, NULL);
	/* This handle sees the batch; another one does not until the flush. */
	assert_int_equal(conflict_history_head(f->h, "local", b), 0);
	assert_string_equal(a, b);
	assert_read(f, "local", CODE1, d);
	assert_int_equal(conflict_history_open(&other, f->repo), 0);
	assert_int_equal(conflict_history_head(other, "local", b), DS_ENOTFOUND);
	assert_int_equal(conflict_history_repack(f->h), DS_EINVALID);
	assert_int_equal(conflict_history_flush(f->h), 0);
	assert_int_equal(conflict_history_head(other, "local", b), 0);
	assert_string_equal(a, b);
	assert_int_equal(conflict_history_head(other, "central", b), 0);
	/* A batch closed without a flush is discarded. */
	assert_int_equal(conflict_history_begin(other), 0);
	json_decref(d);
	d = fixture_with("summary", "\"lost\"");
	{
		json_t *changes = json_object();
		conflict_commit c = {.branch = "local", .changes = changes, .message = "m"};
		json_object_set(changes, CODE1, d);
		assert_int_equal(conflict_history_commit(other, &c, b), 0);
		json_decref(changes);
	}
	conflict_history_free(other);
	assert_int_equal(conflict_history_open(&other, f->repo), 0);
	assert_int_equal(conflict_history_head(other, "local", b), 0);
	assert_string_equal(a, b);
	conflict_history_free(other);
	assert_int_equal(conflict_history_flush(f->h), 0); /* harmless without a batch */
	json_decref(d);
}

/* Runs "git --git-dir=REPO ARGS" in a shell; its exit status. */
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(commit_and_read_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(open_refuses_other_folders, setup, teardown),
	    cmocka_unit_test_setup_teardown(read_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(commit_refuses_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(unchanged_commit_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(delete_dossier, setup, teardown),
	    cmocka_unit_test_setup_teardown(ancestor_and_merge_base, setup, teardown),
	    cmocka_unit_test_setup_teardown(no_merge_base, setup, teardown),
	    cmocka_unit_test_setup_teardown(log_lists_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(trailers, setup, teardown),
	    cmocka_unit_test_setup_teardown(verify_against_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(batches_move_refs_at_flush, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
