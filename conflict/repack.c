/* repack.c: keeps the number of packs in history.git bounded without rewriting everything.
 *
 * history.git/dossync-packs lists the packs oldest first, each with the branch heads the
 * repository had once it was written: [{"pack": "pack-<hash>", "heads": {"local": ...}}].
 * The objects of a run of consecutive packs are then those reachable from the newest pack's
 * heads and not from the heads recorded with the pack before the run, so merging the run is
 * one git_packbuilder walk. When there are more than CONFLICT_HISTORY_MAX_PACKS packs below
 * half of CONFLICT_HISTORY_MERGE_CAP, the newest ones merge, extended to the next older pack
 * while that one is no bigger than what is merged so far and the result stays within the
 * cap: a binary counter, so each object is rewritten about log2(cap / batch) times, a big
 * old pack is left alone, and a merge holds at most a cap's worth of objects in memory.
 * A pack the list does not know (a crash between writing a pack and recording it) is
 * recorded then. conflict_history_repack does a full repack on request (its memory grows
 * with the whole history; it also drops unreachable objects). A merge finds its objects
 * commit by commit, named by their path ("what a run holds" below).
 */
#include "conflict/conflict_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const branches[] = {"local", "central"};

static char *state_path(conflict_history *h)
{
	return ds_path_join(h->path, "dossync-packs");
}

/* The names ("pack-<hash>") of the packs on disk. */
static json_t *disk_packs(conflict_history *h)
{
	char *dir = cf_pack_dir(h);
	json_t *names = NULL, *out = json_array(), *v;
	size_t i;

	if (ds_os_list_dir(dir, &names))
		ds_error_clear();
	free(dir);
	json_array_foreach(names, i, v)
	{
		const char *e = json_string_value(v);
		size_t n = strlen(e);
		if (n > 5 && strcmp(e + n - 5, ".pack") == 0)
			json_array_append_new(out, json_stringn(e, n - 5));
	}
	json_decref(names);
	return out;
}

static int has_name(const json_t *names, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(names, i, v) if (strcmp(json_string_value(v), name) == 0) return 1;
	return 0;
}

/* The recorded packs that are on disk, oldest first; *unknown: packs on disk not listed. */
static json_t *load(conflict_history *h, json_t **unknown)
{
	json_t *disk = disk_packs(h), *file = NULL, *out = json_array(), *names, *e, *v;
	char *path = state_path(h);
	ds_buf b = DS_BUF_INIT;
	size_t i;

	if (ds_file_read(path, 1 << 20, &b) == 0 && ds_json_parse(b.ptr, b.len, &file) == 0 &&
	    json_is_array(file)) {
		json_array_foreach(file, i, e)
		{
			const char *name = json_string_value(json_object_get(e, "pack"));
			json_t *heads = json_object_get(e, "heads");
			if (name && (json_is_object(heads) || json_is_null(heads)) &&
			    has_name(disk, name))
				json_array_append(out, e);
		}
	}
	ds_error_clear();
	names = json_array();
	json_array_foreach(out, i, e) json_array_append(names, json_object_get(e, "pack"));
	*unknown = json_array();
	json_array_foreach(disk, i, v) if (!has_name(names, json_string_value(v)))
	    json_array_append(*unknown, v);
	json_decref(names);
	json_decref(file);
	json_decref(disk);
	ds_buf_release(&b);
	free(path);
	return out;
}

static int save(conflict_history *h, const json_t *entries)
{
	char *path = state_path(h), *text = NULL;
	size_t n;
	int rc;

	if ((rc = ds_json_canonical(entries, &text, &n)) == 0)
		rc = ds_file_write_atomic(path, text, n, 0644);
	free(text);
	free(path);
	return rc;
}

/* {"local": oid, "central": oid} for the branches that have a commit. */
static json_t *heads_now(conflict_history *h)
{
	json_t *heads = json_object();
	char hex[CONFLICT_OID_HEX];
	size_t i;

	for (i = 0; i < DS_ARRAY_LEN(branches); i++)
		if (conflict_history_head(h, branches[i], hex) == 0)
			json_object_set_new(heads, branches[i], json_string(hex));
	ds_error_clear();
	return heads;
}

/* The size of pack name ("pack-<hash>"), 0 when it is gone. */
static off_t name_size(conflict_history *h, const char *name)
{
	char *dir = cf_pack_dir(h), *path = ds_asprintf("%s/%s.pack", dir, name);
	struct stat st;
	off_t n = stat(path, &st) == 0 ? st.st_size : 0;

	free(path);
	free(dir);
	return n;
}

static off_t pack_size(conflict_history *h, const json_t *entry)
{
	return name_size(h, json_string_value(json_object_get(entry, "pack")));
}

static void remove_pack(conflict_history *h, const char *name)
{
	static const char *const exts[] = {".pack", ".idx", ".rev", ".bitmap", ".keep"};
	char *dir = cf_pack_dir(h);
	size_t j;

	for (j = 0; j < DS_ARRAY_LEN(exts); j++) {
		char *path = ds_asprintf("%s/%s%s", dir, name, exts[j]);
		unlink(path);
		free(path);
	}
	free(dir);
}

/* Starts (hide 0) or stops (hide 1) the walk at each commit of heads. */
static int walk_heads(git_revwalk *walk, const json_t *heads, int hide)
{
	const char *key;
	json_t *v;
	git_oid oid;
	int rc;

	json_object_foreach((json_t *)heads, key, v)
	{
		if (!json_is_string(v) || git_oid_fromstr(&oid, json_string_value(v)))
			return GIT_EINVALID;
		if ((rc = hide ? git_revwalk_hide(walk, &oid) : git_revwalk_push(walk, &oid)))
			return rc;
	}
	return 0;
}

/* A walk over the commits reachable from push (NULL: every branch) and not from hide. */
static int start_walk(conflict_history *h, const json_t *push, const json_t *hide,
                      git_revwalk **walk)
{
	int rc;

	if ((rc = git_revwalk_new(walk, h->repo)))
		return rc;
	rc = push ? walk_heads(*walk, push, 0) : git_revwalk_push_glob(*walk, "refs/heads/*");
	if (rc == 0 && hide)
		rc = walk_heads(*walk, hide, 1);
	return rc;
}

/* ---------------------------------------------------------------- what a run holds
 * The objects of a run are found commit by commit, not with git_packbuilder_insert_walk:
 * that one first marks every object of the hidden heads' whole trees as uninteresting,
 * which takes memory and time in proportion to the whole history (35 MB for a merge
 * after 10,000 dossiers; most of the 917 MB the agent took to sync 100,000). Here each
 * commit of the run adds itself and the objects its tree has that none of its bases has at
 * the same path: its parents, and the hidden heads (whose objects older packs hold). A
 * folder equal to a base's is not entered, so the cost is that of what changed. Every
 * object the run needs is then in the merged pack or an older one: an object equal to a
 * parent's at the same path was added for that parent (in the run) or is in an older pack
 * (a parent outside the run is reachable from the hidden heads). An object that also sits
 * at another path of an older pack is packed again; the duplicate is small and harmless.
 *
 * Objects go in named by their path (<agency>/<yyMMdd>/<code>/...): git's delta search
 * compares an object with its neighbours in a list sorted by a hash of the name, then by
 * size, so the versions of one folder or one field sit side by side and are stored as
 * deltas of each other. */

#define MAX_PARENTS 2 /* history commits have the branch head and a merge parent at most */
#define MAX_BASES (MAX_PARENTS + 2) /* and the trees of the hidden heads, local and central */

/* The subtree of parent named name, or NULL. */
static git_tree *subtree(git_repository *repo, const git_tree *parent, const char *name)
{
	const git_tree_entry *e = git_tree_entry_byname(parent, name);
	git_tree *t = NULL;

	if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&t, repo, git_tree_entry_id(e)))
		t = NULL;
	return t;
}

static int insert_new(git_packbuilder *pb, git_repository *repo, const git_tree *tree,
                      git_tree *const *bases, size_t nb, ds_buf *path);

/* Inserts the object e names as path/name and, for a folder, the new objects under it;
 * bases are the same folder in the bases. */
static int insert_named(git_packbuilder *pb, git_repository *repo, const git_tree_entry *e,
                        git_tree *const *bases, size_t nb, ds_buf *path)
{
	size_t len = path->len;
	git_tree *sub = NULL;
	int rc;

	ds_buf_printf(path, "%s%s", len ? "/" : "", git_tree_entry_name(e));
	rc = git_packbuilder_insert(pb, git_tree_entry_id(e), path->ptr);
	if (rc == 0 && git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	    (rc = git_tree_lookup(&sub, repo, git_tree_entry_id(e))) == 0)
		rc = insert_new(pb, repo, sub, bases, nb, path);
	git_tree_free(sub);
	path->len = len;
	path->ptr[len] = '\0';
	return rc;
}

/* Inserts the entries of tree that none of the nb bases (the same folder elsewhere) holds
 * with the same id at the same name, and what is new under them. */
static int insert_new(git_packbuilder *pb, git_repository *repo, const git_tree *tree,
                      git_tree *const *bases, size_t nb, ds_buf *path)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; rc == 0 && i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		git_tree *sub[MAX_BASES] = {NULL};
		size_t ns = 0;
		int known = 0;

		for (j = 0; j < nb && !known; j++) {
			const git_tree_entry *be = git_tree_entry_byname(bases[j], name);
			known = be && git_oid_equal(git_tree_entry_id(be), git_tree_entry_id(e));
			if (!known && (sub[ns] = subtree(repo, bases[j], name)))
				ns++;
		}
		if (!known)
			rc = insert_named(pb, repo, e, sub, ns, path);
		for (j = 0; j < ns; j++)
			git_tree_free(sub[j]);
	}
	return rc;
}

static int same_tree(git_tree *const *bases, size_t nb, const git_tree *tree)
{
	size_t i;

	for (i = 0; i < nb; i++)
		if (git_oid_equal(git_tree_id(bases[i]), git_tree_id(tree)))
			return 1;
	return 0;
}

/* Inserts the commit id, its tree unless a base has the same, and what is new in it. The
 * bases: its parents' trees, and hidden[nh], the hidden heads' trees. */
static int insert_commit(git_packbuilder *pb, git_repository *repo, const git_oid *id,
                         git_tree *const *hidden, size_t nh)
{
	git_commit *c = NULL, *p = NULL;
	git_tree *tree = NULL, *bases[MAX_BASES] = {NULL};
	ds_buf path = DS_BUF_INIT;
	size_t i, nb = 0;
	int rc;

	if ((rc = git_packbuilder_insert(pb, id, NULL)) || (rc = git_commit_lookup(&c, repo, id)) ||
	    (rc = git_commit_tree(&tree, c)))
		goto done;
	for (i = 0; i < git_commit_parentcount(c) && nb < MAX_PARENTS; i++) {
		if ((rc = git_commit_parent(&p, c, (unsigned int)i)) ||
		    (rc = git_commit_tree(&bases[nb], p)))
			goto done;
		nb++;
		git_commit_free(p);
		p = NULL;
	}
	for (i = 0; i < nh && nb < MAX_BASES; i++)
		if (git_tree_dup(&bases[nb], hidden[i]) == 0)
			nb++;
	if (!same_tree(bases, nb, tree) &&
	    ((rc = git_packbuilder_insert(pb, git_tree_id(tree), "")) == 0))
		rc = insert_new(pb, repo, tree, bases, nb, &path);
done:
	for (i = 0; i < nb; i++)
		git_tree_free(bases[i]);
	git_tree_free(tree);
	git_commit_free(p);
	git_commit_free(c);
	ds_buf_release(&path);
	return rc;
}

/* The trees of the commits heads names (at most MAX_BASES - MAX_PARENTS). */
static size_t head_trees(git_repository *repo, const json_t *heads, git_tree **out)
{
	const char *key;
	json_t *v;
	git_oid oid;
	git_commit *c;
	size_t n = 0;

	json_object_foreach((json_t *)heads, key, v)
	{
		if (n == MAX_BASES - MAX_PARENTS || !json_is_string(v) ||
		    git_oid_fromstr(&oid, json_string_value(v)) ||
		    git_commit_lookup(&c, repo, &oid))
			continue;
		if (git_commit_tree(&out[n], c) == 0)
			n++;
		git_commit_free(c);
	}
	return n;
}

/* Inserts the objects of every commit between push and hide. */
static int insert_run(conflict_history *h, git_packbuilder *pb, const json_t *push,
                      const json_t *hide)
{
	git_revwalk *walk = NULL;
	git_tree *hidden[MAX_BASES - MAX_PARENTS] = {NULL};
	size_t nh = hide ? head_trees(h->repo, hide, hidden) : 0, i;
	git_oid id;
	int rc;

	if ((rc = start_walk(h, push, hide, &walk)) == 0) {
		while ((rc = git_revwalk_next(&id, walk)) == 0)
			if ((rc = insert_commit(pb, h->repo, &id, hidden, nh)))
				break;
		if (rc == GIT_ITEROVER)
			rc = 0;
	}
	for (i = 0; i < nh; i++)
		git_tree_free(hidden[i]);
	git_revwalk_free(walk);
	return rc;
}

/* ---------------------------------------------------------------- writing and merging */

/* Writes one pack of what is reachable from push (NULL: every branch) and not from hide
 * (may be NULL). *name is NULL when there is nothing to write. */
static int write_pack(conflict_history *h, const json_t *push, const json_t *hide, char **name)
{
	git_packbuilder *pb = NULL;
	int rc;

	*name = NULL;
	if ((rc = git_packbuilder_new(&pb, h->repo)) || (rc = insert_run(h, pb, push, hide)))
		goto done;
	git_packbuilder_set_threads(pb, 1);
	if (git_packbuilder_object_count(pb) > 0)
		rc = cf_pack_write(h, pb, name);
done:
	git_packbuilder_free(pb);
	return rc ? cf_git_error(rc, "history: repack") : 0;
}

/* Records entries, then deletes the packs in gone except keep. The repository is reopened
 * so that libgit2 lets go of the deleted files. */
static int replace_packs(conflict_history *h, const json_t *entries, const json_t *gone,
                         const char *keep)
{
	json_t *v;
	size_t i;
	int rc;

	if ((rc = save(h, entries)))
		return rc;
	cf_repo_detach(h);
	json_array_foreach(gone, i, v) if (strcmp(json_string_value(v), keep) != 0)
	    remove_pack(h, json_string_value(v));
	return cf_repo_attach(h);
}

static int full_repack(conflict_history *h)
{
	json_t *entries = json_array(), *gone = disk_packs(h);
	char *name = NULL;
	int rc;

	if ((rc = write_pack(h, NULL, NULL, &name)) || !name)
		goto done;
	json_array_append_new(entries, json_pack("{ss so}", "pack", name, "heads", heads_now(h)));
	rc = replace_packs(h, entries, gone, name);
done:
	free(name);
	json_decref(entries);
	json_decref(gone);
	return rc;
}

static int has_heads(const json_t *entries, size_t i)
{
	return json_is_object(json_object_get(json_array_get(entries, i), "heads"));
}

/* How many packs of the newest ones merge: the run grows to the next older pack while that
 * one is no bigger than what is merged so far and the merged pack stays within
 * CONFLICT_HISTORY_MERGE_CAP (libgit2 holds every object of a merge in memory: about 4 bytes
 * of memory per byte of pack here). A pack recorded without heads (see cf_pack_added) is
 * never in a run, nor just before one (its heads would be what the walk hides). Returns
 * the index of the oldest pack of the run; n when fewer than two packs fit. */
static size_t merge_run(conflict_history *h, const json_t *entries)
{
	size_t n = json_array_size(entries), from = n - 1;
	off_t total = pack_size(h, json_array_get(entries, n - 1)), next;

	while (from > 0 && has_heads(entries, from - 1)) {
		next = pack_size(h, json_array_get(entries, from - 1));
		if ((from < n - 1 && next > total) || total + next > CONFLICT_HISTORY_MERGE_CAP)
			break;
		total += next;
		from--;
	}
	if (from > 0 && !has_heads(entries, from - 1))
		from++;
	return from < n - 1 ? from : n;
}

/* Merges the packs of entries from index from on into one. */
static int merge_newest(conflict_history *h, json_t *entries, size_t from)
{
	size_t n = json_array_size(entries), i;
	json_t *push = json_object_get(json_array_get(entries, n - 1), "heads"), *hide = NULL;
	json_t *gone = json_array(), *kept = json_array();
	char *name = NULL;
	int rc;

	if (from > 0)
		hide = json_object_get(json_array_get(entries, from - 1), "heads");
	if ((rc = write_pack(h, push, hide, &name)))
		goto done;
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(entries, i);
		json_array_append(i < from ? kept : gone,
		                  i < from ? e : json_object_get(e, "pack"));
	}
	/* No object reachable: the run held only what a crash left unreferenced. */
	if (name)
		json_array_append_new(kept, json_pack("{ss sO}", "pack", name, "heads", push));
	rc = replace_packs(h, kept, gone, name ? name : "");
done:
	free(name);
	json_decref(gone);
	json_decref(kept);
	return rc;
}

/* The number of packs smaller than half the cap: the ones a merge may still take. */
static size_t open_packs(conflict_history *h, const json_t *entries)
{
	size_t i, k = 0;

	for (i = 0; i < json_array_size(entries); i++)
		k += pack_size(h, json_array_get(entries, i)) < CONFLICT_HISTORY_MERGE_CAP / 2;
	return k;
}

static off_t disk_bytes(conflict_history *h, const json_t *names)
{
	json_t *v;
	size_t i;
	off_t n = 0;

	json_array_foreach(names, i, v) n += name_size(h, json_string_value(v));
	return n;
}

/* A pack on disk that the list does not know was written just before a crash, before the
 * list recorded it (or the list was lost). When everything fits in one merge, a full
 * repack sorts it out; otherwise such packs are recorded without heads and left alone: a
 * merge walks from heads, and theirs are not known. */
int cf_pack_added(conflict_history *h, const char *name)
{
	json_t *unknown = NULL, *entries = load(h, &unknown), *disk = NULL, *v;
	size_t i, from;
	int rc = 0;

	for (i = json_array_size(unknown); i-- > 0;)
		if (strcmp(json_string_value(json_array_get(unknown, i)), name) == 0)
			json_array_remove(unknown, i);
	if (json_array_size(unknown) > 0) {
		disk = disk_packs(h);
		if (disk_bytes(h, disk) <= CONFLICT_HISTORY_MERGE_CAP) {
			rc = full_repack(h);
			goto done;
		}
	}
	json_array_foreach(unknown, i, v)
	    json_array_append_new(entries, json_pack("{sO sn}", "pack", v, "heads"));
	json_array_append_new(entries, json_pack("{ss so}", "pack", name, "heads", heads_now(h)));
	if (open_packs(h, entries) > CONFLICT_HISTORY_MAX_PACKS &&
	    (from = merge_run(h, entries)) < json_array_size(entries))
		rc = merge_newest(h, entries, from);
	else
		rc = save(h, entries);
done:
	json_decref(disk);
	json_decref(entries);
	json_decref(unknown);
	return rc;
}

int conflict_history_repack(conflict_history *h)
{
	if (h->in_batch)
		return ds_error_set(DS_EINVALID, "history: cannot repack inside a batch");
	return full_repack(h);
}
