/* conflict_int.h: what the files of conflict/ share and nobody else sees: field paths,
 * id-list detection, the policy lookup, the history handle, the JSON <-> git tree layout,
 * packing, and the libgit2 error adapter. */
#ifndef DOSSYNC_CONFLICT_INT_H
#define DOSSYNC_CONFLICT_INT_H

#include "conflict/conflict.h"

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <zlib.h>

/* ---------------------------------------------------------------- field paths (path.c) */
typedef struct fstep {
	char *key; /* object key */
	char *id;  /* list item id, or NULL */
} fstep;

typedef struct fpath {
	fstep *v;
	size_t n;
} fpath;

/* Parses "a.b[id].c" into steps. DS_EINVALID (with a message) when malformed. */
int fpath_parse(const char *s, fpath *out);
void fpath_release(fpath *p);
/* 1 when v is an array whose elements are all objects with a distinct, non-empty string
 * "id" usable in a path (the empty array counts). */
int cf_is_idlist(const json_t *v);
/* The item of list with the given id (borrowed), or NULL; *index gets its position. */
json_t *cf_item_find(const json_t *list, const char *id, size_t *index);
/* Appends to out the paths under prefix where x and y differ (see conflict_diff_fields). */
int cf_diff_paths(const char *prefix, const json_t *x, const json_t *y, json_t *out);
/* The sorted union of the keys of up to three objects (any may be NULL or not an object),
 * as a new JSON array of strings. */
json_t *cf_key_union(const json_t *a, const json_t *b, const json_t *c);
/* prefix + "." + key (or key alone when prefix is empty), prefix + "[" + id + "]". */
char *cf_path_key(const char *prefix, const char *key);
char *cf_path_item(const char *prefix, const char *id);
/* The path without its item ids ("fees[lp1].paid" -> "fees.paid"), for policy lookup. */
char *cf_path_strip_ids(const char *path);

/* ---------------------------------------------------------------- policies (policy.c) */
enum cf_rule { CF_RULE_OWNER, CF_RULE_OURS, CF_RULE_THEIRS, CF_RULE_MANUAL };
enum cf_owner { CF_OWNER_NONE, CF_OWNER_OFFICE, CF_OWNER_CENTRAL, CF_OWNER_UNION, CF_OWNER_STATUS };

/* The rule for a path without ids (policy may be NULL); *explicit_rule is 1 when it came
 * from a conflict_policy_set line and not from the default. */
int cf_policy_rule(const conflict_policy *p, const char *plain_path, int *explicit_rule);
/* Who owns a path without ids under the owner rule. */
int cf_policy_owner(const char *plain_path);
/* Who made each side's value of path, from the conflict_acts_fn: 0 when theirs' value is a
 * peer's (*manual: such edits wait for a person), DS_ENOTFOUND otherwise. */
int cf_policy_acts(const conflict_policy *p, const char *path, conflict_acts *out, int *manual);

/* ---------------------------------------------------------------- merge (merge.c) */
typedef struct cf_merge {
	const conflict_policy *policy;
	json_t *decisions;
	json_t *open;
} cf_merge;

/* Adds an open entry (copies the values; NULL -> JSON null). */
void cf_open_add(cf_merge *m, const char *field, const json_t *a, const json_t *o, const json_t *t,
                 const char *reason);
/* Makes *merged pass schema validation when theirs does (repair.c): fields whose merged
 * value breaks it are reset to theirs' value and moved from decisions to open. */
int cf_merge_repair(cf_merge *m, const json_t *a, const json_t *o, const json_t *t,
                    json_t **merged);

/* ---------------------------------------------------------------- history */
#define CF_MAX_PENDING 4

struct conflict_history {
	char *path;
	git_repository *repo;
	git_odb *odb;
	git_odb_backend *mem;  /* the in-memory object store (pack.c), owned by odb */
	git_odb_backend *disk; /* the packs in objects/pack, without refresh (pack.c) */
	int assume_new; /* while set, the packs on disk are not searched on writes (pack.c) */
	int in_batch;
	/* branch heads committed in the open batch, written at flush */
	struct {
		char name[16];
		git_oid oid;
	} pending[CF_MAX_PENDING];
	size_t npending;
};

/* libgit2 error adapter: GIT_ENOTFOUND -> DS_ENOTFOUND, a write that failed on a full disk
 * (ENOSPC, EDQUOT, EFBIG) -> DS_ENOSPC "what: disk full (...)", anything else -> DS_ERROR;
 * the message is "what: libgit2's message". */
int cf_git_error(int rc, const char *what);
/* 1 when message m carries the OS error of a full disk (ENOSPC, EDQUOT, EFBIG). */
int cf_disk_full(const char *m);

/* pack.c: the object store with its in-memory backend, and one pack per batch. */
int cf_repo_attach(conflict_history *h);
void cf_repo_detach(conflict_history *h);
/* build.c: the tree of commit c on top of base (the branch head's tree) and other (the
 * other branch head's tree); either may be NULL. */
int cf_build_tree(conflict_history *h, git_tree *base, git_tree *other, const conflict_commit *c,
                  git_oid *out);
/* Writes pb's pack and index into objects/pack (fsynced); *name: "pack-<hash>". */
int cf_pack_write(conflict_history *h, git_packbuilder *pb, char **name);
/* Rescans objects/pack after a pack was written there. */
int cf_packs_refresh(conflict_history *h);
/* Writes the objects in memory as one pack (fsynced) and forgets them; *name gets
 * "pack-<hash>" (free()), or NULL when there was nothing to write. */
int cf_pack_batch(conflict_history *h, char **name);
/* Writes one object (hashed here with SHA-1, not by libgit2) unless the packs on disk or
 * the batch already hold it; *oid gets its id. */
int cf_object_put(conflict_history *h, git_object_t type, const void *p, size_t n, git_oid *oid);
/* Forgets every object written to memory since the last pack. */
void cf_mem_reset(conflict_history *h);

/* packwrite.c: one pack written as its objects arrive (no delta search), and its index. */
typedef struct cf_packw_entry {
	git_oid oid;
	uint64_t offset; /* in the pack */
	uint32_t crc;    /* CRC-32 of the object's bytes in the pack */
} cf_packw_entry;

typedef struct cf_packw {
	ds_buf pack; /* the pack so far: header (count set at the end), then the objects */
	cf_packw_entry *v;
	size_t n, cap;
	z_stream z; /* the deflate stream for larger objects */
	int ready;  /* z is set up */
} cf_packw;

void cf_packw_init(cf_packw *w);
/* Appends one object (its raw content, the id libgit2 computed for it), deflated. */
int cf_packw_add(cf_packw *w, const git_oid *oid, const void *data, size_t len, git_object_t type);
/* Writes the pack and its index into dir (fsynced, index last); *name gets "pack-<hash>"
 * (free()), NULL when there is no object. The writer must be reset before the next pack. */
int cf_packw_finish(cf_packw *w, const char *dir, char **name);
/* Forgets the objects (keeps the memory for the next pack). */
void cf_packw_reset(cf_packw *w);
void cf_packw_release(cf_packw *w);
/* The objects/pack folder (free()). */
char *cf_pack_dir(conflict_history *h);

/* repack.c: records a batch's pack with the branch heads it brings the repository to, and
 * merges packs when there are more than CONFLICT_HISTORY_MAX_PACKS. */
int cf_pack_added(conflict_history *h, const char *name);

/* layout.c: a dossier state <-> the tree of one dossier. */
int cf_layout_write(conflict_history *h, const json_t *state, git_oid *tree);
int cf_layout_read(git_repository *repo, const git_oid *tree, json_t **state);
/* 1 when name can be a tree entry: non-empty, at most 255 bytes, no "/", no control
 * characters, not starting with ".". */
int cf_name_ok(const char *name);
/* layout.c: where a dossier lives, <agency>/<yyMMdd>/<code>/ (docs/HISTORY.md). */
#define CF_DAY_LEN 7 /* "yyMMdd" and a NUL */
/* The code's own agency (its prefix) and day folder (its date part), after checking code
 * is a valid dossier code; DS_EINVALID otherwise. agency holds SCHEMA_CODE_MAX (64) bytes. */
int cf_code_place(const char *code, char *agency, char day[CF_DAY_LEN]);
/* 1 when tree holds a dossier folder at <agency>/<day>/<code>; *out gets its id. */
int cf_dossier_at(git_tree *tree, const char *agency, const char *day, const char *code,
                  git_oid *out);
/* The dossier tree id of code in the commit's tree, at <agency>/<yyMMdd>/<code> (the
 * code's own agency first, then any other agency folder); DS_ENOTFOUND when absent. */
int cf_dossier_tree(conflict_history *h, git_tree *root, const char *code, git_oid *out);

/* history.c helpers used by read.c. */
int cf_branch_ok(const char *branch);
int cf_resolve_rev(conflict_history *h, const char *rev, git_commit **out);

#endif
