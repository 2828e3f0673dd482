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

/* ---------------------------------------------------------------- writing
 * A dossier's trees are formatted here and its objects hashed by cf_object_put (pack.c),
 * not by libgit2's tree builder: a catch-up writes dossiers by the thousand, and the
 * builder's allocations and checks (it looks each entry's object up again) cost more than
 * the trees. A tree lists its entries in git's order: by name, a folder's name compared as
 * if it ended in "/". */

typedef struct tentry {
	const char *name; /* the entry name: the key itself, or owned */
	char *owned;      /* the key encoded (encode_name) when it had to be */
	int tree;         /* 1: a folder, 0: a blob */
	git_oid oid;
} tentry;

typedef struct tree_w {
	tentry *v;
	size_t n, cap;
} tree_w;

static int tentry_cmp(const void *x, const void *y)
{
	const tentry *a = x, *b = y;
	size_t an = strlen(a->name), bn = strlen(b->name), n = an < bn ? an : bn;
	int c = memcmp(a->name, b->name, n);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = an > n ? (unsigned char)a->name[n] : a->tree ? '/' : 0;
	cb = bn > n ? (unsigned char)b->name[n] : b->tree ? '/' : 0;
	return ca < cb ? -1 : ca > cb;
}

/* 1 when key is its own entry name (encode_name would not change it). */
static int plain_name(const char *key)
{
	const unsigned char *p = (const unsigned char *)key;

	if (*p == '.')
		return 0;
	for (; *p; p++)
		if (*p == '%' || *p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Adds an entry for key (borrowed: it must outlive t), encoded unless raw. */
static void tree_add(tree_w *t, const char *key, int raw, int tree, const git_oid *oid)
{
	tentry *e;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = ds_realloc(t->v, t->cap * sizeof(*t->v));
	}
	e = &t->v[t->n];
	e->owned = raw || plain_name(key) ? NULL : encode_name(key);
	e->name = e->owned ? e->owned : key;
	t->v[t->n].tree = tree;
	git_oid_cpy(&t->v[t->n].oid, oid);
	t->n++;
}

static void tree_release(tree_w *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].owned);
	free(t->v);
}

/* Sorts, formats ("<mode> <name>\0<20-byte id>" an entry) and writes the tree. */
static int tree_write(conflict_history *h, tree_w *t, git_oid *oid)
{
	ds_buf b = DS_BUF_INIT;
	size_t i;
	int rc;

	if (t->n > 1) /* an empty object is the empty tree: nothing to sort */
		qsort(t->v, t->n, sizeof(*t->v), tentry_cmp);
	for (i = 0; i < t->n; i++) {
		ds_buf_puts(&b, t->v[i].tree ? "40000 " : "100644 ");
		ds_buf_add(&b, t->v[i].name, strlen(t->v[i].name) + 1);
		ds_buf_add(&b, t->v[i].oid.id, GIT_OID_RAWSZ);
	}
	rc = cf_object_put(h, GIT_OBJECT_TREE, b.ptr, b.len, oid);
	ds_buf_release(&b);
	return rc;
}

static int write_value(conflict_history *h, const json_t *v, git_oid *oid, int *tree);

/* A field's blob: its canonical JSON and a newline. */
static int write_blob(conflict_history *h, const json_t *v, git_oid *oid)
{
	char stack[512], *p = stack;
	size_t n;
	int rc;

	if ((rc = ds_json_canonical_buf(v, stack, sizeof(stack) - 1, &n)))
		return rc;
	if (n + 1 > sizeof(stack)) {
		p = ds_malloc(n + 1);
		rc = ds_json_canonical_buf(v, p, n, &n);
	}
	p[n] = '\n';
	if (!rc)
		rc = cf_object_put(h, GIT_OBJECT_BLOB, p, n + 1, oid);
	if (p != stack)
		free(p);
	return rc;
}

static int write_object(conflict_history *h, const json_t *v, const char *skip, git_oid *oid)
{
	tree_w t = {NULL, 0, 0};
	const char *key;
	json_t *child;
	git_oid sub;
	int rc = 0, tree;

	json_object_foreach((json_t *)v, key, child)
	{
		if (skip && strcmp(key, skip) == 0)
			continue;
		if (!*key) {
			rc = ds_error_set(DS_EINVALID, "history: an empty key cannot be stored");
			break;
		}
		if ((rc = write_value(h, child, &sub, &tree)))
			break;
		tree_add(&t, key, 0, tree, &sub);
	}
	if (!rc)
		rc = tree_write(h, &t, oid);
	tree_release(&t);
	return rc;
}

static int write_list(conflict_history *h, const json_t *list, git_oid *oid)
{
	tree_w t = {NULL, 0, 0};
	json_t *ids = json_array(), *item;
	git_oid sub;
	size_t i;
	int rc = 0;

	json_array_foreach(list, i, item)
	{
		json_t *id = json_object_get(item, "id");
		json_array_append(ids, id);
		if ((rc = write_object(h, item, "id", &sub)))
			break;
		tree_add(&t, json_string_value(id), 0, 1, &sub);
	}
	if (!rc && !(rc = write_blob(h, ids, &sub))) {
		tree_add(&t, ORDER_NAME, 1, 0, &sub);
		rc = tree_write(h, &t, oid);
	}
	tree_release(&t);
	json_decref(ids);
	return rc;
}

static int write_value(conflict_history *h, const json_t *v, git_oid *oid, int *tree)
{
	*tree = 1;
	if (json_is_object(v))
		return write_object(h, v, NULL, oid);
	if (json_array_size(v) > 0 && cf_is_idlist(v))
		return write_list(h, v, oid);
	*tree = 0;
	return write_blob(h, v, oid);
}

int cf_layout_write(conflict_history *h, const json_t *state, git_oid *tree)
{
	if (!json_is_object(state))
		return ds_error_set(DS_EINVALID, "history: a dossier state must be an object");
	return write_object(h, state, NULL, tree);
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
