/* read.c: reading the dossier history: one dossier at a revision or at the merge base of
 * local and central, the trailers of a branch head, a dossier's versions (log), the check
 * of the local branch against the agent's dossier table (verify), and the size on disk. */
#include "conflict/conflict_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The state of code in commit c; DS_ENOTFOUND when absent. */
static int read_at(conflict_history *h, git_commit *c, const char *code, json_t **state)
{
	git_tree *root = NULL;
	git_oid oid;
	int rc;

	*state = NULL;
	if ((rc = git_commit_tree(&root, c)))
		return cf_git_error(rc, "history: read tree");
	rc = cf_dossier_tree(h, root, code, &oid);
	if (rc == 0)
		rc = cf_layout_read(h->repo, &oid, state);
	git_tree_free(root);
	return rc;
}

int conflict_history_read(conflict_history *h, const char *rev, const char *code, json_t **state)
{
	git_commit *c = NULL;
	int rc;

	*state = NULL;
	if ((rc = cf_resolve_rev(h, rev, &c)))
		return rc;
	rc = read_at(h, c, code, state);
	git_commit_free(c);
	return rc;
}

int conflict_history_ancestor(conflict_history *h, const char *code, json_t **state)
{
	git_commit *l = NULL, *c = NULL, *b = NULL;
	git_oid base;
	int rc;

	*state = NULL;
	if ((rc = cf_resolve_rev(h, "local", &l)) || (rc = cf_resolve_rev(h, "central", &c)))
		goto done;
	rc = git_merge_base(&base, h->repo, git_commit_id(l), git_commit_id(c));
	if (rc == GIT_ENOTFOUND) {
		rc = ds_error_set(DS_ENOTFOUND, "history: local and central have no merge base");
		goto done;
	}
	if (rc || (rc = git_commit_lookup(&b, h->repo, &base))) {
		rc = cf_git_error(rc, "history: merge base");
		goto done;
	}
	rc = read_at(h, b, code, state);
done:
	git_commit_free(l);
	git_commit_free(c);
	git_commit_free(b);
	return rc;
}

int conflict_history_trailer(conflict_history *h, const char *branch, const char *key, char **value)
{
	git_message_trailer_array arr = {0};
	git_commit *c = NULL;
	size_t i;
	int rc;

	*value = NULL;
	if (!cf_branch_ok(branch))
		return ds_error_set(DS_EINVALID, "history: unknown branch \"%s\"",
		                    branch ? branch : "");
	if ((rc = cf_resolve_rev(h, branch, &c)))
		return rc;
	if ((rc = git_message_trailers(&arr, git_commit_message(c)))) {
		rc = cf_git_error(rc, "history: trailers");
		goto done;
	}
	for (i = arr.count; i-- > 0 && !*value;)
		if (strcasecmp(arr.trailers[i].key, key) == 0)
			*value = ds_strdup(arr.trailers[i].value);
	if (!*value)
		rc = ds_error_set(DS_ENOTFOUND, "history: %s has no %s trailer", branch, key);
done:
	git_message_trailer_array_free(&arr);
	git_commit_free(c);
	return rc;
}

/* ---------------------------------------------------------------- log */

typedef struct version {
	int64_t when;
	size_t seq;
	json_t *entry;
} version;

typedef struct walk {
	conflict_history *h;
	const char *code;
	json_t *seen; /* commit ids already listed */
	version *v;
	size_t n;
} walk;

/* The dossier's tree in commit c (*found 0 when absent). */
static int tree_in(walk *w, git_commit *c, git_oid *oid, int *found)
{
	git_tree *root = NULL;
	int rc;

	*found = 0;
	if ((rc = git_commit_tree(&root, c)))
		return cf_git_error(rc, "history: read tree");
	rc = cf_dossier_tree(w->h, root, w->code, oid);
	git_tree_free(root);
	if (rc == DS_ENOTFOUND)
		return 0;
	*found = rc == 0;
	return rc;
}

static int add_version(walk *w, git_commit *c, const char *branch, const git_oid *before,
                       const git_oid *after)
{
	json_t *from = NULL, *to = NULL, *fields = NULL, *e;
	const git_signature *who = git_commit_author(c);
	char when[DS_TIME_LEN], id[CONFLICT_OID_HEX];
	int rc = 0;

	if ((before && (rc = cf_layout_read(w->h->repo, before, &from))) ||
	    (after && (rc = cf_layout_read(w->h->repo, after, &to))) ||
	    (rc = conflict_diff_fields(from, to, &fields)))
		goto done;
	ds_time_format(who->when.time, who->when.offset, when);
	git_oid_tostr(id, sizeof(id), git_commit_id(c));
	e = json_pack("{ss ss ss ss ss* sO}", "commit", id, "branch", branch, "when", when, "who",
	              who->email, "message", git_commit_summary(c), "fields", fields);
	if (!after)
		json_object_set_new(e, "deleted", json_true());
	w->v = ds_realloc(w->v, (w->n + 1) * sizeof(*w->v));
	w->v[w->n] = (version){git_commit_time(c), w->n, e};
	w->n++;
done:
	json_decref(from);
	json_decref(to);
	json_decref(fields);
	return rc;
}

/* Walks the first-parent line of branch, listing the commits that changed the dossier. */
static int walk_branch(walk *w, const char *branch)
{
	git_commit *c = NULL, *parent = NULL;
	git_oid cur, prev;
	int rc, has_cur, has_prev = 0;
	char id[CONFLICT_OID_HEX];

	rc = cf_resolve_rev(w->h, branch, &c);
	if (rc == DS_ENOTFOUND)
		return 0;
	if (rc == 0)
		rc = tree_in(w, c, &cur, &has_cur);
	while (rc == 0 && c) {
		git_oid_tostr(id, sizeof(id), git_commit_id(c));
		if (json_object_get(w->seen, id))
			break; /* the rest of this line was listed already */
		json_object_set_new(w->seen, id, json_true());
		has_prev = 0;
		if (git_commit_parentcount(c) > 0) {
			if ((rc = git_commit_parent(&parent, c, 0))) {
				rc = cf_git_error(rc, "history: log");
				break;
			}
			if ((rc = tree_in(w, parent, &prev, &has_prev)))
				break;
		}
		if (has_cur != has_prev || (has_cur && !git_oid_equal(&cur, &prev)))
			rc = add_version(w, c, branch, has_prev ? &prev : NULL,
			                 has_cur ? &cur : NULL);
		git_commit_free(c);
		c = parent;
		parent = NULL;
		cur = prev;
		has_cur = has_prev;
	}
	git_commit_free(c);
	git_commit_free(parent);
	return rc;
}

static int newest_first(const void *x, const void *y)
{
	const version *a = x, *b = y;

	if (a->when != b->when)
		return a->when < b->when ? 1 : -1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int conflict_history_log(conflict_history *h, const char *code, json_t **entries)
{
	walk w = {h, code, json_object(), NULL, 0};
	json_t *out = json_array();
	size_t i;
	int rc;

	*entries = NULL;
	rc = walk_branch(&w, "local");
	if (rc == 0)
		rc = walk_branch(&w, "central");
	if (w.n > 1)
		qsort(w.v, w.n, sizeof(*w.v), newest_first);
	for (i = 0; i < w.n; i++)
		json_array_append_new(out, w.v[i].entry);
	free(w.v);
	json_decref(w.seen);
	if (rc) {
		json_decref(out);
		return rc;
	}
	*entries = out;
	return 0;
}

/* ---------------------------------------------------------------- verify */

/* Levels of folders above a dossier: <agency>/<yyMMdd>/. */
#define FOLDER_LEVELS 2

/* Adds {code: dossier tree id} for every dossier under tree, which is levels folders above
 * the dossiers (FOLDER_LEVELS for the root, 1 for an agency folder, 0 for a day folder). */
static int index_folder(conflict_history *h, const git_tree *tree, int levels, json_t *index)
{
	char id[CONFLICT_OID_HEX];
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_tree *sub = NULL;

		if (levels == 0) {
			git_oid_tostr(id, sizeof(id), git_tree_entry_id(e));
			json_object_set_new(index, git_tree_entry_name(e), json_string(id));
			continue;
		}
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
			continue;
		if ((rc = git_tree_lookup(&sub, h->repo, git_tree_entry_id(e))))
			return cf_git_error(rc, "history: read folder");
		rc = index_folder(h, sub, levels - 1, index);
		git_tree_free(sub);
	}
	return rc;
}

/* {code: dossier tree id} of every dossier in the local head's tree. */
static int local_index(conflict_history *h, json_t *index)
{
	git_commit *c = NULL;
	git_tree *root = NULL;
	int rc = cf_resolve_rev(h, "local", &c);

	if (rc == DS_ENOTFOUND)
		return 0;
	if (rc == 0 && (rc = git_commit_tree(&root, c)))
		rc = cf_git_error(rc, "history: read tree");
	if (rc == 0)
		rc = index_folder(h, root, FOLDER_LEVELS, index);
	git_tree_free(root);
	git_commit_free(c);
	return rc;
}

/* 0 when the history's dossier tree (hex id, or NULL) holds row (or NULL). */
static int same_dossier(conflict_history *h, const char *code, const char *tree_hex,
                        const json_t *row)
{
	json_t *state = NULL;
	git_oid oid;
	int rc, same;

	if (!tree_hex)
		return ds_error_set(DS_ECONFLICT, "history: dossier %s is missing from history.git",
		                    code);
	if (!row)
		return ds_error_set(DS_ECONFLICT,
		                    "history: dossier %s is in history.git but not in the store",
		                    code);
	git_oid_fromstr(&oid, tree_hex);
	if ((rc = cf_layout_read(h->repo, &oid, &state)))
		return rc;
	same = ds_json_same(state, row);
	json_decref(state);
	return same ? 0
	            : ds_error_set(DS_ECONFLICT,
	                           "history: dossier %s in history.git differs from the store",
	                           code);
}

int conflict_history_verify(conflict_history *h, const json_t *rows, char **first_bad)
{
	json_t *index = json_object(), *codes = NULL, *c;
	size_t i;
	int rc;

	if (first_bad)
		*first_bad = NULL;
	if (!json_is_object(rows)) {
		json_decref(index);
		return ds_error_set(DS_EINVALID, "verify: rows must be an object");
	}
	if ((rc = local_index(h, index)))
		goto done;
	codes = cf_key_union(rows, index, NULL);
	json_array_foreach(codes, i, c)
	{
		const char *code = json_string_value(c);
		rc = same_dossier(h, code, json_string_value(json_object_get(index, code)),
		                  json_object_get(rows, code));
		if (rc) {
			if (first_bad && rc == DS_ECONFLICT)
				*first_bad = ds_strdup(code);
			break;
		}
	}
done:
	json_decref(index);
	json_decref(codes);
	return rc;
}

/* ---------------------------------------------------------------- size */

int conflict_history_size(conflict_history *h, uint64_t *bytes)
{
	if (ds_os_tree_size(h->path, bytes))
		return ds_error_set(DS_ERROR, "history: cannot walk %s", h->path);
	return 0;
}
