/* history.c: the dossier history repository: opening it, batches (objects in memory, refs
 * moved at the flush), branch heads and revisions, and commits on the local and central
 * branches that rebuild only the changed dossiers' trees and the day and agency folders
 * above them (<agency>/<yyMMdd>/<code>/, layout.c). */
#include "conflict/conflict_int.h"
#include "schema/schema.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VN_OFFSET_MIN (7 * 60)

int cf_git_error(int rc, const char *what)
{
	const git_error *e = git_error_last();

	return ds_error_set(rc == GIT_ENOTFOUND ? DS_ENOTFOUND : DS_ERROR, "%s: %s", what,
	                    e && e->message ? e->message : "libgit2 error");
}

int cf_branch_ok(const char *branch)
{
	return branch && (strcmp(branch, "local") == 0 || strcmp(branch, "central") == 0);
}

/* ---------------------------------------------------------------- open and close */

/* 1 when path does not exist or is an empty folder. */
static int empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return errno == ENOENT;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

/* fsyncs the folder holding path, so a rename in it survives a power cut. */
static void sync_parent(const char *path)
{
	char *dir = ds_strdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Creates the repository in a scratch folder beside path and renames it into place, so a
 * crash (the office PC losing power) never leaves a half-made repository at path that no
 * later open could use; a scratch folder left by such a crash is removed first. */
static int create_repo(const char *path)
{
	char *tmp = ds_asprintf("%s.new", path);
	git_repository *repo = NULL;
	int rc;

	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
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
	sync_parent(tmp);
	if (rename(tmp, path) != 0) {
		rc = ds_error_set(errno == ENOSPC ? DS_ENOSPC : errno == EACCES ? DS_EPERM : DS_ERROR,
		                  "history: %s: %s", path, strerror(errno));
		goto done;
	}
	sync_parent(path);
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

static int agency_ok(const char *agency)
{
	return cf_name_ok(agency) && !strstr(agency, "..") && schema_agency_check(agency) == 0;
}

/* ---------------------------------------------------------------- building a commit */

/* A folder the commit rewrites: an agency folder (day "") or one of its day folders. */
typedef struct folder {
	char agency[SCHEMA_CODE_MAX];
	char day[CF_DAY_LEN];
	git_treebuilder *tb;
} folder;

typedef struct build {
	conflict_history *h;
	git_tree *base;  /* the branch head's tree, or NULL */
	git_tree *other; /* the other branch's head tree, or NULL */
	const json_t *same; /* conflict_commit.same */
	folder *v;
	size_t n;
} build;

/* The base tree's folder at path; *out NULL when there is none. */
static int base_folder(build *b, const char *path, git_tree **out)
{
	git_tree_entry *e = NULL;
	int rc;

	*out = NULL;
	if (!b->base)
		return 0;
	rc = git_tree_entry_bypath(&e, b->base, path);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc == 0 && git_tree_entry_type(e) == GIT_OBJECT_TREE)
		rc = git_tree_lookup(out, b->h->repo, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return rc ? cf_git_error(rc, "history: read folder") : 0;
}

static git_treebuilder *find_folder(const build *b, const char *agency, const char *day)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->v[i].agency, agency) == 0 && strcmp(b->v[i].day, day) == 0)
			return b->v[i].tb;
	return NULL;
}

/* The tree builder of <agency>/<day> (day "": the agency folder itself), started from the
 * base tree's folder. A day folder's agency folder gets its builder first. */
static int folder_builder(build *b, const char *agency, const char *day, git_treebuilder **out)
{
	git_tree *sub = NULL;
	char *path;
	int rc;

	if ((*out = find_folder(b, agency, day)))
		return 0;
	if (*day && (rc = folder_builder(b, agency, "", out)))
		return rc;
	path = *day ? ds_asprintf("%s/%s", agency, day) : ds_strdup(agency);
	rc = base_folder(b, path, &sub);
	free(path);
	if (rc)
		return rc;
	b->v = ds_realloc(b->v, (b->n + 1) * sizeof(*b->v));
	snprintf(b->v[b->n].agency, SCHEMA_CODE_MAX, "%s", agency);
	snprintf(b->v[b->n].day, CF_DAY_LEN, "%s", day);
	rc = git_treebuilder_new(&b->v[b->n].tb, b->h->repo, sub);
	git_tree_free(sub);
	if (rc)
		return cf_git_error(rc, "history: tree");
	*out = b->v[b->n++].tb;
	return 0;
}

/* Removes code from its day folder in every agency folder of the base tree except keep. */
static int remove_elsewhere(build *b, const char *code, const char *day, const char *keep)
{
	size_t i, n = b->base ? git_tree_entrycount(b->base) : 0;
	git_treebuilder *tb;
	git_oid oid;
	int rc;

	for (i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(b->base, i);
		const char *agency = git_tree_entry_name(e);

		if ((keep && strcmp(agency, keep) == 0) ||
		    git_tree_entry_type(e) != GIT_OBJECT_TREE ||
		    !cf_dossier_at(b->base, agency, day, code, &oid))
			continue;
		if ((rc = folder_builder(b, agency, day, &tb)))
			return rc;
		if ((rc = git_treebuilder_remove(tb, code)))
			return cf_git_error(rc, "history: remove dossier");
	}
	return 0;
}

/* Checks one change and returns its agency and day folders (NULL state: a deletion). */
static int check_change(const char *code, const json_t *state, char agency[SCHEMA_CODE_MAX],
                        char day[CF_DAY_LEN])
{
	const char *a, *c;
	int rc;

	if ((rc = cf_code_place(code, agency, day)))
		return rc;
	if (json_is_null(state))
		return 0;
	if (!json_is_object(state))
		return ds_error_set(DS_EINVALID, "history: %s: the state must be an object", code);
	c = json_string_value(json_object_get(state, "code"));
	if (c && strcmp(c, code) != 0)
		return ds_error_set(DS_EINVALID, "history: %s: the state says code %s", code, c);
	a = json_string_value(json_object_get(state, "agency"));
	if (a && !agency_ok(a))
		return ds_error_set(DS_EINVALID, "history: %s: bad agency \"%s\"", code, a);
	if (a)
		snprintf(agency, SCHEMA_CODE_MAX, "%s", a);
	return 0;
}

/* 1 when neither branch has ever held code at its head: its objects are new but for common
 * values, and the packs on disk need not be searched for them (pack.c, disk_exists). */
static int unseen(build *b, const char *code)
{
	git_oid oid;
	int seen = (b->base && cf_dossier_tree(b->h, b->base, code, &oid) == 0) ||
	           (b->other && cf_dossier_tree(b->h, b->other, code, &oid) == 0);

	ds_error_clear();
	return !seen;
}

/* The tree of code in the other branch's head, when the caller said its state is the same
 * there (conflict_commit.same): nothing needs writing. */
static int same_tree(build *b, const char *code, git_oid *tree)
{
	int found = json_is_true(json_object_get(b->same, code)) && b->other &&
	            cf_dossier_tree(b->h, b->other, code, tree) == 0;

	ds_error_clear();
	return found;
}

static int apply_change(build *b, const char *code, const json_t *state)
{
	char agency[SCHEMA_CODE_MAX], day[CF_DAY_LEN];
	git_treebuilder *tb;
	git_oid tree;
	int rc;

	if ((rc = check_change(code, state, agency, day)))
		return rc;
	if (json_is_null(state))
		return remove_elsewhere(b, code, day, NULL);
	if ((rc = remove_elsewhere(b, code, day, agency)) ||
	    (rc = folder_builder(b, agency, day, &tb)))
		return rc;
	if (!same_tree(b, code, &tree)) {
		b->h->assume_new = unseen(b, code);
		rc = cf_layout_write(b->h->repo, state, &tree);
		b->h->assume_new = 0;
		if (rc)
			return rc;
	}
	rc = git_treebuilder_insert(NULL, tb, code, &tree, GIT_FILEMODE_TREE);
	return rc ? cf_git_error(rc, "history: tree entry") : 0;
}

/* Writes folder f into parent; an emptied folder is removed from it. */
static int write_folder(const folder *f, git_treebuilder *parent)
{
	const char *name = *f->day ? f->day : f->agency;
	git_oid oid;
	int rc = 0;

	if (git_treebuilder_entrycount(f->tb) == 0) {
		if (git_treebuilder_get(parent, name))
			rc = git_treebuilder_remove(parent, name);
	} else if ((rc = git_treebuilder_write(&oid, f->tb)) == 0) {
		rc = git_treebuilder_insert(NULL, parent, name, &oid, GIT_FILEMODE_TREE);
	}
	return rc ? cf_git_error(rc, "history: write tree") : 0;
}

/* Writes the day folders into their agency folders, those into the root, then the root. */
static int write_root(build *b, git_oid *out)
{
	git_treebuilder *root = NULL;
	size_t i;
	int rc;

	if ((rc = git_treebuilder_new(&root, b->h->repo, b->base)))
		return cf_git_error(rc, "history: tree");
	for (i = 0; i < b->n && rc == 0; i++)
		if (*b->v[i].day)
			rc = write_folder(&b->v[i], find_folder(b, b->v[i].agency, ""));
	for (i = 0; i < b->n && rc == 0; i++)
		if (!*b->v[i].day)
			rc = write_folder(&b->v[i], root);
	if (rc == 0 && (rc = git_treebuilder_write(out, root)))
		rc = cf_git_error(rc, "history: write tree");
	git_treebuilder_free(root);
	return rc;
}

static int build_tree(conflict_history *h, git_tree *base, git_tree *other,
                      const conflict_commit *cc, git_oid *out)
{
	const json_t *changes = cc->changes;
	build b = {h, base, other, cc->same, NULL, 0};
	json_t *codes = cf_key_union(changes, NULL, NULL), *c;
	size_t i;
	int rc = 0;

	json_array_foreach(codes, i, c)
	{
		const char *code = json_string_value(c);
		if ((rc = apply_change(&b, code, json_object_get(changes, code))))
			break;
	}
	/* The folders a commit rewrites are new but by chance: not worth a search of every
	 * pack index on disk (pack.c, disk_exists). */
	h->assume_new = 1;
	if (rc == 0)
		rc = write_root(&b, out);
	h->assume_new = 0;
	for (i = 0; i < b.n; i++)
		git_treebuilder_free(b.v[i].tb);
	free(b.v);
	json_decref(codes);
	return rc;
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
	if (rc == 0 && ((rc = git_commit_lookup(&c, h->repo, &oid)) || (rc = git_commit_tree(out, c))))
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
	    (rc = build_tree(h, base, other, c, &tree_oid)))
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
