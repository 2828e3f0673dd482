/* history.c: the dossier history repository: opening it, batches (objects in memory, refs
 * moved at the flush), branch heads and revisions, and commits on the local and central
 * branches that rebuild only the changed dossiers' trees and the day and agency folders
 * above them (<agency>/<yyMMdd>/<code>/, layout.c). */
#include "conflict/conflict_int.h"
#include "schema/schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VN_OFFSET_MIN (7 * 60)

static int lib_held; /* 1: libgit2 is initialised for the rest of the process */

/* 1 when libgit2's message carries the OS error of a full disk (it appends strerror to
 * the message of a failed write): ENOSPC, or EDQUOT and EFBIG as SQLite's adapter does. */
int cf_disk_full(const char *m)
{
	return m && (strstr(m, strerror(ENOSPC)) || strstr(m, strerror(EDQUOT)) ||
	             strstr(m, strerror(EFBIG)));
}

int cf_git_error(int rc, const char *what)
{
	const git_error *e = git_error_last();
	const char *m = e && e->message ? e->message : "libgit2 error";

	if (cf_disk_full(m))
		return ds_error_set(DS_ENOSPC, "%s: disk full (%s)", what, m);
	return ds_error_set(rc == GIT_ENOTFOUND ? DS_ENOTFOUND : DS_ERROR, "%s: %s", what, m);
}

int cf_branch_ok(const char *branch)
{
	return branch && (strcmp(branch, "local") == 0 || strcmp(branch, "central") == 0);
}

/* ---------------------------------------------------------------- open and close */

/* 1 when path does not exist or is an empty folder. */
static int empty_dir(const char *path)
{
	json_t *names = NULL;
	int rc = ds_os_list_dir(path, &names), empty = rc == DS_ENOTFOUND;

	if (!rc)
		empty = json_array_size(names) == 0;
	else
		ds_error_clear(); /* an answer, not an error */
	json_decref(names);
	return empty;
}

/* Creates the repository in a scratch folder beside path and renames it into place, so a
 * crash (the office PC losing power) never leaves a half-made repository at path that no
 * later open could use; a scratch folder left by such a crash is removed first. */
static int create_repo(const char *path)
{
	char *tmp = ds_asprintf("%s.new", path);
	git_repository *repo = NULL;
	int rc;

	if ((rc = ds_os_remove_tree(tmp)))
		goto done;
	if ((rc = git_repository_init(&repo, tmp, 1))) {
		rc = cf_git_error(rc, "history: create repository");
		goto done;
	}
	if ((rc = git_repository_set_head(repo, "refs/heads/local"))) {
		rc = cf_git_error(rc, "history: set HEAD");
		goto done;
	}
	git_repository_free(repo);
	repo = NULL;
	if ((rc = ds_os_rename_durable(tmp, path)))
		rc = ds_error_set(rc, "history: %s", ds_error_msg());
done:
	git_repository_free(repo);
	free(tmp);
	return rc;
}

int conflict_history_open(conflict_history **out, const char *path)
{
	conflict_history *h;
	git_repository *probe = NULL;
	int rc;

	*out = NULL;
	git_libgit2_init();
	/* ... and once more for the life of the process: the last shutdown tears down
	 * libgit2's global state (its TLS library and certificates), which the next init would
	 * build again, and the agent opens the history once per catch-up step. */
	if (!lib_held)
		lib_held = git_libgit2_init() > 0;
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	/* Objects are written once and rarely read back: keep libgit2's cache small so memory
	 * stays bounded however large a catch-up is (default 256 MiB). */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(1 << 20));
	/* ... but let it keep folder trees: a day folder lists up to a few hundred dossiers
	 * (12-25 KB), over libgit2's default limit of 4 KB for a cached tree, and every commit
	 * looks dossiers up in the same few day folders. */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)(64 << 10));
	/* Pack files are mapped in windows; by default up to 8 GiB of them stay mapped, and
	 * every page touched counts as resident. A small limit keeps the agent's RSS bounded. */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)(4 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(16 << 20));
	h = ds_calloc(1, sizeof(*h));
	h->path = ds_strdup(path);
	rc = git_repository_open_bare(&probe, path);
	git_repository_free(probe);
	if (rc == GIT_ENOTFOUND && empty_dir(path))
		rc = create_repo(path);
	else if (rc)
		rc = cf_git_error(rc, "history: open repository");
	if (rc == 0)
		rc = cf_repo_attach(h);
	if (rc) {
		ds_error_wrap(rc, "%s", path);
		conflict_history_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

/* Drops the open batch: its objects and its pending heads. */
static void discard(conflict_history *h)
{
	cf_mem_reset(h);
	h->npending = 0;
	h->in_batch = 0;
}

void conflict_history_free(conflict_history *h)
{
	if (!h)
		return;
	discard(h);
	cf_repo_detach(h);
	free(h->path);
	free(h);
	git_libgit2_shutdown();
}

/* ---------------------------------------------------------------- batches */

int conflict_history_begin(conflict_history *h)
{
	if (h->in_batch)
		return ds_error_set(DS_EINVALID, "history: a batch is already open");
	h->in_batch = 1;
	return 0;
}

/* Moves branch name to oid. history.git has one writer at a time (the agent writes it
 * under its writer lock only: conflict.h), so a ref's lock file found here was left by a
 * writer that died between taking it and renaming it (the office PC lost power): it is
 * removed and the move tried once more. Left alone, it would refuse every later move. */
static int move_branch(conflict_history *h, const char *name, const git_oid *oid)
{
	char *ref_name = ds_asprintf("refs/heads/%s", name);
	git_reference *ref = NULL;
	int rc = git_reference_create(&ref, h->repo, ref_name, oid, 1, "dossync");

	if (rc == GIT_ELOCKED) {
		char *lock = ds_asprintf("%s/%s.lock", h->path, ref_name);
		unlink(lock);
		free(lock);
		rc = git_reference_create(&ref, h->repo, ref_name, oid, 1, "dossync");
	}
	git_reference_free(ref);
	free(ref_name);
	return rc ? cf_git_error(rc, "history: move branch") : 0;
}

static int write_refs(conflict_history *h)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < h->npending && rc == 0; i++)
		rc = move_branch(h, h->pending[i].name, &h->pending[i].oid);
	return rc;
}

int conflict_history_flush(conflict_history *h)
{
	char *pack = NULL;
	int rc;

	if (!h->in_batch)
		return 0;
	if ((rc = cf_pack_batch(h, &pack)) || (rc = write_refs(h))) {
		discard(h);
		free(pack);
		return rc;
	}
	h->npending = 0;
	h->in_batch = 0;
	if (pack)
		rc = cf_pack_added(h, pack);
	free(pack);
	/* libgit2 keeps every pack index it searched mapped, and the pages it touched count as
	 * the process's memory: with history of 100,000 dossiers, 25 MB. Reopening the object
	 * store after each batch lets go of them. */
	if (rc == 0) {
		cf_repo_detach(h);
		rc = cf_repo_attach(h);
	}
	return rc;
}

/* ---------------------------------------------------------------- heads and revisions */

static int branch_head(conflict_history *h, const char *branch, git_oid *out)
{
	char *name;
	size_t i;
	int rc;

	for (i = h->npending; i-- > 0;) {
		if (strcmp(h->pending[i].name, branch) == 0) {
			git_oid_cpy(out, &h->pending[i].oid);
			return 0;
		}
	}
	name = ds_asprintf("refs/heads/%s", branch);
	rc = git_reference_name_to_id(out, h->repo, name);
	free(name);
	if (rc == GIT_ENOTFOUND)
		return ds_error_set(DS_ENOTFOUND, "history: branch %s has no commit yet", branch);
	return rc ? cf_git_error(rc, "history: read branch") : 0;
}

static void set_pending(conflict_history *h, const char *branch, const git_oid *oid)
{
	size_t i;

	for (i = 0; i < h->npending; i++)
		if (strcmp(h->pending[i].name, branch) == 0)
			break;
	if (i == h->npending) {
		h->npending++;
		snprintf(h->pending[i].name, sizeof(h->pending[i].name), "%s", branch);
	}
	git_oid_cpy(&h->pending[i].oid, oid);
}

int conflict_history_head(conflict_history *h, const char *branch, char out[CONFLICT_OID_HEX])
{
	git_oid oid;
	int rc;

	out[0] = '\0';
	if (!cf_branch_ok(branch))
		return ds_error_set(DS_EINVALID, "history: unknown branch \"%s\"",
		                    branch ? branch : "");
	if ((rc = branch_head(h, branch, &oid)))
		return rc;
	git_oid_tostr(out, CONFLICT_OID_HEX, &oid);
	return 0;
}

int cf_resolve_rev(conflict_history *h, const char *rev, git_commit **out)
{
	git_object *obj = NULL, *peeled = NULL;
	git_oid oid;
	int rc;

	*out = NULL;
	if (cf_branch_ok(rev)) {
		if ((rc = branch_head(h, rev, &oid)))
			return rc;
		rc = git_commit_lookup(out, h->repo, &oid);
		return rc ? cf_git_error(rc, "history: read commit") : 0;
	}
	if (!rev || !*rev)
		return ds_error_set(DS_EINVALID, "history: empty revision");
	rc = git_revparse_single(&obj, h->repo, rev);
	if (rc == 0)
		rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EAMBIGUOUS ||
	    rc == GIT_EPEEL)
		return ds_error_set(DS_ENOTFOUND, "history: no revision \"%s\"", rev);
	if (rc)
		return cf_git_error(rc, "history: revision");
	*out = (git_commit *)peeled;
	return 0;
}

/* The commit message: the text, a blank line, then "Key: value" trailers. */
static int build_message(const conflict_commit *c, ds_buf *msg)
{
	const char *text = c->message && *c->message ? c->message : "dossync", *key;
	size_t n = strlen(text);
	json_t *v;

	while (n > 0 && text[n - 1] == '\n')
		n--;
	ds_buf_add(msg, text, n);
	ds_buf_puts(msg, "\n");
	if (json_object_size(c->trailers) > 0)
		ds_buf_puts(msg, "\n");
	json_object_foreach((json_t *)c->trailers, key, v)
	{
		const char *s = json_string_value(v);
		if (!*key || strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                         "0123456789-") != strlen(key))
			return ds_error_set(DS_EINVALID, "history: bad trailer key \"%s\"", key);
		if (!s || strchr(s, '\n'))
			return ds_error_set(DS_EINVALID, "history: trailer %s must be one line",
			                    key);
		ds_buf_printf(msg, "%s: %s\n", key, s);
	}
	return 0;
}

static int check_commit(const conflict_commit *c)
{
	if (!c || !cf_branch_ok(c->branch))
		return ds_error_set(DS_EINVALID, "history: commit to an unknown branch");
	if (c->merge_parent && !cf_branch_ok(c->merge_parent))
		return ds_error_set(DS_EINVALID, "history: unknown merge parent \"%s\"",
		                    c->merge_parent);
	if (!json_is_object(c->changes))
		return ds_error_set(DS_EINVALID, "history: changes must be an object");
	if (c->trailers && !json_is_object(c->trailers))
		return ds_error_set(DS_EINVALID, "history: trailers must be an object");
	if (c->node && (!*c->node || strpbrk(c->node, "<>\n")))
		return ds_error_set(DS_EINVALID, "history: bad node name \"%s\"", c->node);
	return 0;
}

/* The parents (head of the branch, then the merge parent's head) and the base tree;
 * *merging is 1 when the merge parent is a parent of its own. */
static int parents(conflict_history *h, const conflict_commit *c, git_commit *p[2], size_t *np,
                   git_tree **base, int *merging)
{
	git_oid oid;
	int rc;

	*np = 0;
	*base = NULL;
	*merging = 0;
	rc = branch_head(h, c->branch, &oid);
	if (rc == 0) {
		if ((rc = git_commit_lookup(&p[(*np)++], h->repo, &oid)) ||
		    (rc = git_commit_tree(base, p[0])))
			return cf_git_error(rc, "history: read head");
	} else if (rc != DS_ENOTFOUND) {
		return rc;
	}
	if (!c->merge_parent)
		return 0;
	if ((rc = branch_head(h, c->merge_parent, &oid)))
		return rc;
	if (*np && git_oid_equal(&oid, git_commit_id(p[0])))
		return 0; /* already the same commit: nothing to merge */
	if ((rc = git_commit_lookup(&p[(*np)++], h->repo, &oid)))
		return cf_git_error(rc, "history: read merge parent");
	*merging = 1;
	return 0;
}

/* The head tree of the branch that is not branch ("local" <-> "central"); NULL if none. */
static int other_tree(conflict_history *h, const char *branch, git_tree **out)
{
	const char *other = strcmp(branch, "local") == 0 ? "central" : "local";
	git_commit *c = NULL;
	git_oid oid;
	int rc;

	*out = NULL;
	if ((rc = branch_head(h, other, &oid)) == DS_ENOTFOUND) {
		ds_error_clear();
		return 0;
	}
	if (rc == 0 &&
	    ((rc = git_commit_lookup(&c, h->repo, &oid)) || (rc = git_commit_tree(out, c))))
		rc = cf_git_error(rc, "history: read head");
	git_commit_free(c);
	return rc;
}

static int commit_in_batch(conflict_history *h, const conflict_commit *c,
                           char out[CONFLICT_OID_HEX])
{
	git_commit *p[2] = {NULL, NULL};
	git_tree *base = NULL, *other = NULL, *tree = NULL;
	git_signature *sig = NULL;
	ds_buf msg = DS_BUF_INIT;
	git_oid tree_oid, oid;
	size_t np = 0, i;
	int rc, merging;

	if ((rc = build_message(c, &msg)) || (rc = parents(h, c, p, &np, &base, &merging)) ||
	    (rc = other_tree(h, c->branch, &other)) ||
	    (rc = cf_build_tree(h, base, other, c, &tree_oid)))
		goto done;
	if ((rc = git_tree_lookup(&tree, h->repo, &tree_oid))) {
		rc = cf_git_error(rc, "history: read tree");
		goto done;
	}
	if (!merging &&
	    (base ? git_oid_equal(&tree_oid, git_tree_id(base)) : git_tree_entrycount(tree) == 0)) {
		if (out && np)
			git_oid_tostr(out, CONFLICT_OID_HEX, git_commit_id(p[0]));
		goto done; /* nothing changed */
	}
	if ((rc = git_signature_new(&sig, "dossync", c->node ? c->node : "dossync",
	                            c->when ? c->when : ds_time_now(), VN_OFFSET_MIN)) ||
	    (rc = git_commit_create(&oid, h->repo, NULL, sig, sig, NULL, msg.ptr, tree, np,
	                            (const git_commit **)p))) {
		rc = cf_git_error(rc, "history: commit");
		goto done;
	}
	set_pending(h, c->branch, &oid);
	if (out)
		git_oid_tostr(out, CONFLICT_OID_HEX, &oid);
done:
	for (i = 0; i < 2; i++)
		git_commit_free(p[i]);
	git_tree_free(base);
	git_tree_free(other);
	git_tree_free(tree);
	git_signature_free(sig);
	ds_buf_release(&msg);
	return rc;
}

int conflict_history_commit(conflict_history *h, const conflict_commit *c,
                            char out[CONFLICT_OID_HEX])
{
	int implicit, rc;

	if (out)
		out[0] = '\0';
	if ((rc = check_commit(c)))
		return rc;
	implicit = !h->in_batch;
	if (implicit)
		conflict_history_begin(h);
	rc = commit_in_batch(h, c, out);
	if (implicit) {
		if (rc == 0)
			return conflict_history_flush(h);
		discard(h);
	}
	return rc;
}
