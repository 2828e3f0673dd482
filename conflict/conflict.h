/* conflict.h: versioned dossier history (libgit2) and the field-level three-way merge.
 *
 * The merge is a pure function over dossier JSON: ancestor, ours (the office) and theirs
 * (central) in, the merged dossier, the decisions the policies took and the fields left to
 * a person out. The history is a bare git repository (DATA/history.git) with two branches,
 * refs/heads/local and refs/heads/central, one tree per dossier; docs/HISTORY.md says how it
 * is laid out and how to read it with stock git.
 */
#ifndef DOSSYNC_CONFLICT_H
#define DOSSYNC_CONFLICT_H

#include "base/base.h"

/* ---------------------------------------------------------------- field paths
 * A field is named by a path: top-level keys and nested object keys joined with dots
 * ("applicant.phone"), and a list item by its id in brackets ("fees[lp1].paid",
 * "progress[p3]"). Lists of items with an "id" (components, fees, progress, supplements,
 * attachments...) are addressed by id, never by position; any other array is a value. */

/* The value at field in state, borrowed from state; NULL when absent or when the path is
 * malformed. */
const json_t *conflict_field_get(const json_t *state, const char *field);
/* Sets field in *state to a copy of value; value NULL removes it (removing an absent field
 * does nothing). Missing objects on the way are created, a missing list item is appended
 * (its "id" is set from the path). *state is copied first when somebody else holds it.
 * DS_EINVALID for a malformed path, one that runs through a non-object, or a list item
 * that is not an object. The one reader of the path grammar: `dossync update --set`
 * (agent/setpath.c) and `dossync resolve` use it. */
int conflict_field_set(json_t **state, const char *field, const json_t *value);
/* conflict_field_set with the message naming `resolve FIELD`. */
int conflict_apply_resolution(json_t **state, const char *field, const json_t *value);
/* The field paths that differ between from and to (either may be NULL: absent), as a new
 * JSON array of strings in a stable order: nested objects recurse, list items recurse by
 * id, an item or key present on one side only is named whole ("fees[lp2]", "result"). */
int conflict_diff_fields(const json_t *from, const json_t *to, json_t **paths);

/* ---------------------------------------------------------------- policies
 * What settles a field both sides changed differently. Rules:
 *   owner   (the default) the side that owns the field wins (docs/DOMAIN.md "Who owns what"):
 *           the office (ours) owns code, agency, applicant.*, procedure.*, channel,
 *           received_at, submitted_at, components, fees, summary, field, returned_at;
 *           central (theirs) owns result, due_at, original_due_at, finished_at,
 *           supplements, handling_unit, attachments; progress rows are a union (a
 *           row changed on both sides: theirs); status follows the status rule (two
 *           different moves, or any move out of a terminal status: a person decides) and
 *           prior_status follows status. A field with no owner goes to a person.
 *   ours, theirs   that side wins;   manual   a person decides.
 * A rule is set for a top-level field or a dotted path; list items are matched without
 * their ids ("fees.paid" covers "fees[lp1].paid"); the longest matching path wins. */
typedef struct conflict_policy conflict_policy;

/* Two PCs of one office (docs/DESIGN-NOTES.md "Two PCs of one office"). The owner table
 * settles the office against central; when theirs' value of a field was written by another
 * node of the office, both values are the office's and the table says nothing. The caller
 * says who made each value through a conflict_acts_fn; for every field the owner rule
 * would settle (not one with an explicit ours, theirs or manual rule) whose theirs' value a
 * peer wrote, the later act by its true time wins (policy "later-act", the decision names
 * the value it replaced in "replaced"); with manual set, or when either time is unknown or
 * both are equal, a person decides. */
typedef struct conflict_acts {
	int peer;          /* 1: theirs' value was written by another node, not by central */
	int64_t ours_at;   /* Unix time of the local act that wrote ours' value; 0: unknown */
	int64_t theirs_at; /* Unix time of the peer's act that wrote theirs' value; 0: unknown */
} conflict_acts;
/* Fills *out for path (a field both sides changed); *out starts zeroed. A non-zero return
 * counts as "not known" (peer 0: the owner rule settles it). */
typedef int (*conflict_acts_fn)(void *ctx, const char *path, conflict_acts *out);

/* A policy with the defaults only (owner everywhere). Free with conflict_policy_free. */
int conflict_policy_new(conflict_policy **out);
/* Sets the rule for path ("applicant.phone"; a leading "policy." as in the agent's config
 * key is accepted and dropped). rule: "owner", "ours", "theirs" or "manual". DS_EINVALID
 * for an unknown rule or a malformed path; the policy is unchanged then. */
int conflict_policy_set(conflict_policy *p, const char *path, const char *rule);
void conflict_policy_free(conflict_policy *p);
/* Sets the acts callback (fn NULL: none, the owner table alone) and whether peers' edits
 * of one field wait for a person (manual 1) instead of the later act winning. ctx is
 * borrowed and must outlive the merges that use p. */
void conflict_policy_set_acts(conflict_policy *p, conflict_acts_fn fn, void *ctx, int manual);

/* ---------------------------------------------------------------- merge
 * Three-way merge of one dossier. ancestor may be NULL (no common version: the empty
 * object); policy may be NULL (the defaults). A field changed on one side only takes that
 * side; both changed to the same value is no conflict; both changed differently goes to
 * the policy. Lists with ids merge per item: added on either side is kept, removed on one
 * side and unchanged on the other is removed, changed on both merges field by field, removed
 * on one side and changed on the other is a conflict on the whole item ("fees[lp1]"). The
 * result lists items in ancestor order, then ours' new items, then theirs' new items.
 *
 * On success (0) the caller owns three new values:
 *   *merged     the merged dossier; a field left to a person holds theirs' value, so the
 *               merged state can go to central at once. It passes schema_dossier_validate
 *               whenever ours and theirs do: a field whose merged value breaks validation
 *               is put back to theirs' value and left to a person.
 *   *decisions  [{"field", "policy", "ancestor", "ours", "theirs", "result"}] for every
 *               field both sides changed differently that a rule settled; policy is one of
 *               ours, theirs, owner:office, owner:central, union, status-rule, later-act.
 *               A later-act entry also has "replaced" (the losing value) and "ours_at",
 *               "theirs_at" (Unix times). Absent values are JSON null.
 *   *open       [{"field", "ancestor", "ours", "theirs", "reason"}] for the fields left to
 *               a person.
 * Entries come in a stable order: keys sorted at each level, status and prior_status last.
 * DS_EINVALID when ours or theirs is not an object. */
int conflict_merge_dossier(const json_t *ancestor, const json_t *ours, const json_t *theirs,
                           const conflict_policy *policy, json_t **merged, json_t **decisions,
                           json_t **open);

/* ---------------------------------------------------------------- history
 * A bare repository: refs/heads/local holds the office's state at each sync round, merge and
 * resolution; refs/heads/central the state central confirmed. Each dossier is one tree at
 * <agency>/<yyMMdd>/<code>/ (the day of its code). Objects are written to memory and land as one
 * pack per batch; refs move only after their pack is on disk, so a crash loses at most the open
 * batch (which the agent replays from its journal: see conflict_history_trailer). When more than
 * CONFLICT_HISTORY_MAX_PACKS small packs pile up, the newest ones are merged, up to
 * CONFLICT_HISTORY_MERGE_CAP bytes (docs/HISTORY.md, "Packing"), so no object is ever
 * loose, old packs are not rewritten each time and a merge's memory is bounded.
 *
 * Steps for a caller:
 *   conflict_history_open(&h, "DATA/history.git");
 *   conflict_history_begin(h);                   (optional: group commits in one pack)
 *   conflict_history_commit(h, &c, oid);  ...
 *   conflict_history_flush(h);                   (writes the pack, then moves the refs)
 *   conflict_history_free(h);                    (an unflushed batch is discarded)
 * Without begin, every commit is flushed on its own. Enables libgit2's fsync of the git
 * directory for the whole process. Not thread-safe: one history per thread. One writer
 * at a time per repository (the agent writes only under DIR/history.lock): a branch's ref
 * lock file found while moving it is taken for one left by a crash, and removed. */
typedef struct conflict_history conflict_history;

#define CONFLICT_HISTORY_MAX_PACKS 20
/* A merge never makes a pack bigger than this (bytes), so its memory stays bounded; packs
 * that reached half of it are left alone and do not count against MAX_PACKS. */
#define CONFLICT_HISTORY_MERGE_CAP (2 << 20)
#define CONFLICT_OID_HEX 41 /* 40 hex digits and a NUL */

/* Opens the repository at path, creating it (bare, HEAD -> refs/heads/local) when the
 * folder does not exist or is empty. A folder that holds something else is refused
 * (DS_ENOTFOUND: not a repository); other failures are DS_ERROR with libgit2's message. */
int conflict_history_open(conflict_history **out, const char *path);
/* Closes it; NULL-safe. Discards an open batch. */
void conflict_history_free(conflict_history *h);

/* Starts a batch: commits go to memory until conflict_history_flush. DS_EINVALID when a
 * batch is already open. Reads of "local" and "central" see the batch's commits. */
int conflict_history_begin(conflict_history *h);
/* Writes the batch's objects as one pack (fsynced), then moves the branches, then
 * consolidates the packs if there are too many. Harmless without a batch. When the pack or
 * the refs fail, the batch is discarded; an error from the consolidation comes after the
 * refs moved, so the batch's commits stay. */
int conflict_history_flush(conflict_history *h);
/* Consolidates every pack into one holding exactly the objects reachable from the branches
 * (unreachable objects go). Fails with DS_EINVALID inside a batch. */
int conflict_history_repack(conflict_history *h);

typedef struct conflict_commit {
	const char *branch;       /* "local" or "central" */
	const json_t *changes;    /* {code: state object, or null to delete the dossier} */
	const char *message;      /* the commit message (first line: a summary) */
	const json_t *trailers;   /* {key: string} written as git trailers ("Journal-Seq: 40");
	                             NULL: none. Keys: letters, digits and "-"; values one line */
	const char *merge_parent; /* NULL, or the branch whose head becomes the second parent */
	const char *node;         /* the author/committer is "dossync <node>"; NULL: "dossync" */
	int64_t when;             /* commit time (Unix seconds, shown at +07:00); 0: now */
	const json_t *same;       /* NULL, or {code: true} for states in changes that equal the
	                             other branch head's: that dossier's tree is taken from there
	                             instead of being written again */
} conflict_commit;

/* Commits c->changes on top of c->branch: only the named dossiers' trees are rebuilt, every
 * other tree is reused. The agency folder is the state's "agency" (for a deletion, the
 * code's agency). Codes and agencies must be valid (schema_code_parse,
 * schema_agency_check), and every key and list id must be usable as a file name.
 * A branch's first commit starts from an empty tree. A commit that changes nothing is
 * skipped unless it is a merge commit (which moves the merge base); out then holds the
 * branch's unchanged head ("" when it has none).
 * out (may be NULL) gets the new commit's id. DS_EINVALID for bad input (nothing written),
 * DS_ENOTFOUND when merge_parent has no commit. */
int conflict_history_commit(conflict_history *h, const conflict_commit *c,
                            char out[CONFLICT_OID_HEX]);

/* The state of dossier code at rev ("local", "central", a commit id or any git revision
 * such as "local~2", which reads the refs on disk). *state is the caller's and has the same
 * canonical JSON as the state that was committed. DS_ENOTFOUND when rev or the dossier does not
 * exist. */
int conflict_history_read(conflict_history *h, const char *rev, const char *code, json_t **state);
/* The state of code at the merge base of local and central. DS_ENOTFOUND when the branches
 * have no merge base or the dossier is absent there. */
int conflict_history_ancestor(conflict_history *h, const char *code, json_t **state);
/* The versions of one dossier, newest first: each commit on the first-parent line of local,
 * then of central, that changed it:
 *   [{"commit", "branch", "when" (RFC 3339), "who" (node), "message" (first line),
 *     "fields": [changed field paths], "deleted": true (only when it was removed)}]
 * An empty array when the dossier has no history. */
int conflict_history_log(conflict_history *h, const char *code, json_t **entries);
/* The head commit of branch as 40 hex digits. DS_ENOTFOUND when it has none yet. */
int conflict_history_head(conflict_history *h, const char *branch, char out[CONFLICT_OID_HEX]);
/* The value of trailer key ("Journal-Seq") in the head commit of branch; *value is the
 * caller's to free(). DS_ENOTFOUND when there is no head or no such trailer. */
int conflict_history_trailer(conflict_history *h, const char *branch, const char *key,
                             char **value);
/* Checks refs/heads/local against rows ({code: state}, the agent's dossier table): every
 * dossier must be in both with the same canonical JSON. 0 when they match; DS_ECONFLICT
 * with a message naming the first code (in sorted order) that differs, is missing from the
 * history, or is in the history only. *first_bad (may be NULL) gets that code (free()). */
int conflict_history_verify(conflict_history *h, const json_t *rows, char **first_bad);
/* Bytes of all files under the repository. */
int conflict_history_size(conflict_history *h, uint64_t *bytes);

#endif
