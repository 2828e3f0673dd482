/* layout.c: one dossier state <-> one git tree, a blob per field.
 *
 * An object is a tree with an entry per key; a list of items with ids is a tree with one
 * subtree per item id (the item without its "id") plus a ".order" blob holding the ids in
 * list order; any other value is a blob of its canonical JSON and a newline. A key or id
 * that could not be a plain entry name ("%", "/", "\\", control bytes, a leading ".")
 * has those bytes written as %XX. Reading a tree back gives the same canonical JSON. Where
 * that tree lives in a commit: <agency>/<yyMMdd>/<code>/ ("dossier paths" below). */
#include "conflict/conflict_int.h"
#include "schema/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORDER_NAME ".order"

int cf_name_ok(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;

	if (!name || !*name || *name == '.' || strlen(name) > 255)
		return 0;
	for (; *s; s++)
		if (*s < 0x20 || *s == 0x7f || *s == '/' || *s == '\\')
			return 0;
	return 1;
}

/* The entry name for a key or item id (free()); NULL for the empty name. */
static char *encode_name(const char *s)
{
	ds_buf b = DS_BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;

	if (!*s)
		return NULL;
	for (; *p; p++) {
		if (*p == '%' || *p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f ||
		    (*p == '.' && p == (const unsigned char *)s))
			ds_buf_printf(&b, "%%%02X", *p);
		else
			ds_buf_add(&b, p, 1);
	}
	return ds_buf_detach(&b, NULL);
}

static char *decode_name(const char *s)
{
	char *out = ds_malloc(strlen(s) + 1), *w = out;
	unsigned int c;

	for (; *s; s++) {
		if (*s == '%' && sscanf(s + 1, "%2X", &c) == 1 && s[1] && s[2]) {
			*w++ = (char)c;
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return out;
}

static int write_value(git_repository *repo, const json_t *v, git_oid *oid, git_filemode_t *mode);

/* A field's blob: its canonical JSON and a newline, written straight to the object store
 * (git_blob_create_from_buffer goes through a write stream: two more allocations and
 * copies a field). */
static int write_blob(git_repository *repo, const json_t *v, git_oid *oid)
{
	char stack[512], *p = stack;
	git_odb *odb = NULL;
	size_t n;
	int rc;

	if ((rc = ds_json_canonical_buf(v, stack, sizeof(stack) - 1, &n)))
		return rc;
	if (n + 1 > sizeof(stack)) {
		p = ds_malloc(n + 1);
		if ((rc = ds_json_canonical_buf(v, p, n, &n)))
			goto done;
	}
	p[n] = '\n';
	if ((rc = git_repository_odb(&odb, repo)) ||
	    (rc = git_odb_write(oid, odb, p, n + 1, GIT_OBJECT_BLOB)))
		rc = cf_git_error(rc, "history: write blob");
done:
	git_odb_free(odb);
	if (p != stack)
		free(p);
	return rc;
}

static int insert(git_treebuilder *tb, const char *key, const json_t *v, git_repository *repo)
{
	char *name = encode_name(key);
	git_oid oid;
	git_filemode_t mode;
	int rc;

	if (!name)
		return ds_error_set(DS_EINVALID, "history: an empty key cannot be stored");
	if ((rc = write_value(repo, v, &oid, &mode)) == 0 &&
	    (rc = git_treebuilder_insert(NULL, tb, name, &oid, mode)))
		rc = cf_git_error(rc, "history: tree entry");
	free(name);
	return rc;
}

static int write_object(git_repository *repo, const json_t *v, const char *skip, git_oid *oid)
{
	git_treebuilder *tb = NULL;
	const char *key;
	json_t *child;
	int rc;

	if ((rc = git_treebuilder_new(&tb, repo, NULL)))
		return cf_git_error(rc, "history: tree");
	json_object_foreach((json_t *)v, key, child)
	{
		if (skip && strcmp(key, skip) == 0)
			continue;
		if ((rc = insert(tb, key, child, repo)))
			goto done;
	}
	if ((rc = git_treebuilder_write(oid, tb)))
		rc = cf_git_error(rc, "history: write tree");
done:
	git_treebuilder_free(tb);
	return rc;
}

static int write_item(git_repository *repo, git_treebuilder *tb, const json_t *item)
{
	char *name = encode_name(json_string_value(json_object_get(item, "id")));
	git_oid sub;
	int rc;

	if ((rc = write_object(repo, item, "id", &sub)) == 0 &&
	    (rc = git_treebuilder_insert(NULL, tb, name, &sub, GIT_FILEMODE_TREE)))
		rc = cf_git_error(rc, "history: tree entry");
	free(name);
	return rc;
}

static int write_list(git_repository *repo, const json_t *list, git_oid *oid)
{
	git_treebuilder *tb = NULL;
	json_t *ids = json_array(), *item;
	git_oid sub;
	size_t i;
	int rc;

	if ((rc = git_treebuilder_new(&tb, repo, NULL))) {
		rc = cf_git_error(rc, "history: tree");
		goto done;
	}
	json_array_foreach(list, i, item)
	{
		json_array_append(ids, json_object_get(item, "id"));
		if ((rc = write_item(repo, tb, item)))
			goto done;
	}
	if ((rc = write_blob(repo, ids, &sub)))
		goto done;
	if ((rc = git_treebuilder_insert(NULL, tb, ORDER_NAME, &sub, GIT_FILEMODE_BLOB)) ||
	    (rc = git_treebuilder_write(oid, tb)))
		rc = cf_git_error(rc, "history: write list");
done:
	git_treebuilder_free(tb);
	json_decref(ids);
	return rc;
}

static int write_value(git_repository *repo, const json_t *v, git_oid *oid, git_filemode_t *mode)
{
	*mode = GIT_FILEMODE_TREE;
	if (json_is_object(v))
		return write_object(repo, v, NULL, oid);
	if (json_array_size(v) > 0 && cf_is_idlist(v))
		return write_list(repo, v, oid);
	*mode = GIT_FILEMODE_BLOB;
	return write_blob(repo, v, oid);
}

int cf_layout_write(git_repository *repo, const json_t *state, git_oid *tree)
{
	if (!json_is_object(state))
		return ds_error_set(DS_EINVALID, "history: a dossier state must be an object");
	return write_object(repo, state, NULL, tree);
}

/* ---------------------------------------------------------------- dossier paths
 * A dossier lives at <agency>/<yyMMdd>/<code>/: the agency is the state's (for a deletion,
 * the code's own), the day is the date part of the code, so a commit rewrites the folders
 * of the days it touches and never one folder holding every dossier of the office. */

/* The code's own agency (its prefix) and day folder, after checking code is a valid
 * dossier code. */
int cf_code_place(const char *code, char *agency, char day[CF_DAY_LEN])
{
	int y, m, d;

	if (!code || !cf_name_ok(code) || strstr(code, "..") ||
	    schema_code_parse(code, agency, &y, &m, &d, NULL))
		return ds_error_set(DS_EINVALID, "history: \"%s\" is not a dossier code",
		                    code ? code : "");
	/* y is 2000-2099, m and d a real date: "% 100" only tells gcc it fits. */
	snprintf(day, CF_DAY_LEN, "%02u%02u%02u", (unsigned)y % 100, (unsigned)m % 100,
	         (unsigned)d % 100);
	return 0;
}

/* 1 when tree holds a dossier folder at <agency>/<day>/<code>; *out gets its id. */
int cf_dossier_at(git_tree *tree, const char *agency, const char *day, const char *code,
                  git_oid *out)
{
	char *path = ds_asprintf("%s/%s/%s", agency, day, code);
	git_tree_entry *e = NULL;
	int found =
	    git_tree_entry_bypath(&e, tree, path) == 0 && git_tree_entry_type(e) == GIT_OBJECT_TREE;

	if (found)
		git_oid_cpy(out, git_tree_entry_id(e));
	git_tree_entry_free(e);
	free(path);
	return found;
}

int cf_dossier_tree(conflict_history *h, git_tree *root, const char *code, git_oid *out)
{
	char agency[SCHEMA_CODE_MAX], day[CF_DAY_LEN];
	size_t i;
	int rc;

	if ((rc = cf_code_place(code, agency, day)))
		return rc;
	if (cf_dossier_at(root, agency, day, code, out))
		return 0;
	/* Not under its code's agency: the state named another one. */
	for (i = 0; i < git_tree_entrycount(root); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(root, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE &&
		    cf_dossier_at(root, git_tree_entry_name(e), day, code, out))
			return 0;
	}
	return ds_error_set(DS_ENOTFOUND, "history: no dossier %s", code);
}

/* ---------------------------------------------------------------- reading */

static int read_blob(git_repository *repo, const git_oid *oid, json_t **out)
{
	git_blob *blob = NULL;
	const char *p;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = git_blob_lookup(&blob, repo, oid)))
		return cf_git_error(rc, "history: read blob");
	p = git_blob_rawcontent(blob);
	n = (size_t)git_blob_rawsize(blob);
	if (n > 0 && p[n - 1] == '\n')
		n--;
	rc = ds_json_parse(p, n, out);
	git_blob_free(blob);
	return rc ? ds_error_wrap(DS_ERROR, "history: corrupt field blob") : 0;
}

static int read_tree(git_repository *repo, const git_oid *oid, json_t **out);

static int read_entry(git_repository *repo, const git_tree_entry *e, json_t **out)
{
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return read_tree(repo, git_tree_entry_id(e), out);
	return read_blob(repo, git_tree_entry_id(e), out);
}

static int read_object(git_repository *repo, const git_tree *tree, json_t **out)
{
	size_t i, n = git_tree_entrycount(tree);
	json_t *obj = json_object(), *v;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		char *key = decode_name(git_tree_entry_name(e));
		if ((rc = read_entry(repo, e, &v)) == 0)
			json_object_set_new(obj, key, v);
		free(key);
	}
	if (rc)
		json_decref(obj);
	*out = rc ? NULL : obj;
	return rc;
}

static int read_list(git_repository *repo, const git_tree *tree, const git_tree_entry *order,
                     json_t **out)
{
	json_t *ids = NULL, *list = json_array(), *item, *id;
	size_t i;
	int rc;

	if ((rc = read_blob(repo, git_tree_entry_id(order), &ids)))
		goto done;
	if (!json_is_array(ids) || json_array_size(ids) + 1 != git_tree_entrycount(tree)) {
		rc = ds_error_set(DS_ERROR, "history: corrupt list order");
		goto done;
	}
	json_array_foreach(ids, i, id)
	{
		char *name = json_is_string(id) ? encode_name(json_string_value(id)) : NULL;
		const git_tree_entry *e = name ? git_tree_entry_byname(tree, name) : NULL;

		free(name);
		if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			rc = ds_error_set(DS_ERROR, "history: list item %s missing",
			                  json_string_value(id));
			goto done;
		}
		if ((rc = read_tree(repo, git_tree_entry_id(e), &item)))
			goto done;
		json_object_set(item, "id", id);
		json_array_append_new(list, item);
	}
done:
	json_decref(ids);
	if (rc)
		json_decref(list);
	*out = rc ? NULL : list;
	return rc;
}

static int read_tree(git_repository *repo, const git_oid *oid, json_t **out)
{
	git_tree *tree = NULL;
	const git_tree_entry *order;
	int rc;

	*out = NULL;
	if ((rc = git_tree_lookup(&tree, repo, oid)))
		return cf_git_error(rc, "history: read tree");
	order = git_tree_entry_byname(tree, ORDER_NAME);
	rc = order ? read_list(repo, tree, order, out) : read_object(repo, tree, out);
	git_tree_free(tree);
	return rc;
}

int cf_layout_read(git_repository *repo, const git_oid *tree, json_t **state)
{
	return read_tree(repo, tree, state);
}
