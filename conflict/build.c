/* build.c: the tree of a commit. Only the folders of the dossiers a commit names are
 * rebuilt (<agency>/<yyMMdd>/<code>/, docs/HISTORY.md): each starts from the branch head's
 * folder, dossiers are written with layout.c or taken from the other branch (conflict_commit
 * .same), and every other tree is reused as is. */
#include "conflict/conflict_int.h"
#include "schema/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	git_tree *base;     /* the branch head's tree, or NULL */
	git_tree *other;    /* the other branch's head tree, or NULL */
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
static int reused_tree(build *b, const char *code, git_oid *tree)
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
	if (!reused_tree(b, code, &tree)) {
		b->h->assume_new = unseen(b, code);
		rc = cf_layout_write(b->h, state, &tree);
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

int cf_build_tree(conflict_history *h, git_tree *base, git_tree *other, const conflict_commit *cc,
                  git_oid *out)
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
