/* merge.c: the field-level three-way merge of one dossier (conflict_merge_dossier).
 *
 * Walks the union of keys of ancestor, ours and theirs. A field changed on one side takes
 * that side; both sides changed differently goes to the policy (policy.c); nested objects
 * recurse; lists of items with ids merge per item. Status has its own rule:
 *
 *   ours == theirs ..................................... no conflict
 *   ancestor terminal (3, 8, 10), a side moved .......... a person decides (open)
 *   one side moved ...................................... that side
 *   both moved, differently ............................. a person decides (open)
 *
 * and prior_status follows whichever side status came from (theirs when open). When the
 * caller says theirs' value of a field was written by another PC of the same office, the
 * later act wins instead of the owner (settle_peers).
 */
#include "conflict/conflict_int.h"
#include "schema/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WIN_BOTH, WIN_OURS, WIN_THEIRS };

static int same(const json_t *x, const json_t *y)
{
	if (!x || !y)
		return x == y;
	return json_equal((json_t *)x, (json_t *)y);
}

static json_t *copy(const json_t *v)
{
	return v ? json_deep_copy(v) : NULL;
}

/* A copy of v for an output entry: absent is JSON null. */
static json_t *shown(const json_t *v)
{
	return v ? json_deep_copy(v) : json_null();
}

static void decision_add(cf_merge *m, const char *field, const char *policy, const json_t *a,
                         const json_t *o, const json_t *t, const json_t *result)
{
	json_array_append_new(m->decisions,
	                      json_pack("{ss ss so so so so}", "field", field, "policy", policy,
	                                "ancestor", shown(a), "ours", shown(o), "theirs", shown(t),
	                                "result", shown(result)));
}

void cf_open_add(cf_merge *m, const char *field, const json_t *a, const json_t *o, const json_t *t,
                 const char *reason)
{
	json_array_append_new(m->open,
	                      json_pack("{ss so so so ss}", "field", field, "ancestor", shown(a),
	                                "ours", shown(o), "theirs", shown(t), "reason", reason));
}

/* Two PCs of one office changed path (theirs' value is a peer's): the later act by its
 * true time wins, or a person decides (manual, a time unknown, equal times). 1 when it
 * recorded the outcome (*res: the value kept), 0 when theirs' value is not a peer's. */
static int settle_peers(cf_merge *m, const char *path, const json_t *a, const json_t *o,
                        const json_t *t, const json_t **res)
{
	conflict_acts acts;
	json_t *d;
	int manual;

	if (cf_policy_acts(m->policy, path, &acts, &manual))
		return 0;
	*res = t;
	if (manual || !acts.ours_at || !acts.theirs_at || acts.ours_at == acts.theirs_at) {
		cf_open_add(m, path, a, o, t,
		            manual ? "two PCs of this office changed it (peer_edits = manual)"
		                   : "two PCs of this office changed it; which act came later is "
		                     "not known");
		return 1;
	}
	if (acts.ours_at > acts.theirs_at)
		*res = o;
	decision_add(m, path, "later-act", a, o, t, *res);
	d = json_array_get(m->decisions, json_array_size(m->decisions) - 1);
	json_object_set_new(d, "replaced", shown(*res == o ? t : o));
	json_object_set_new(d, "ours_at", json_integer(acts.ours_at));
	json_object_set_new(d, "theirs_at", json_integer(acts.theirs_at));
	return 1;
}

/* Both sides changed path differently: the policy decides, or a person (theirs kept). */
static json_t *settle(cf_merge *m, const char *path, const json_t *a, const json_t *o,
                      const json_t *t)
{
	char *plain = cf_path_strip_ids(path), *reason = NULL;
	int expl, rule = cf_policy_rule(m->policy, plain, &expl);
	const json_t *res = t;
	const char *name = NULL;

	if (rule == CF_RULE_OURS) {
		res = o, name = "ours";
	} else if (rule == CF_RULE_THEIRS) {
		name = "theirs";
	} else if (rule == CF_RULE_MANUAL) {
		reason = ds_asprintf("the policy for %s is manual", plain);
	} else if (settle_peers(m, path, a, o, t, &res)) {
		free(plain);
		return copy(res); /* recorded by settle_peers */
	} else {
		switch (cf_policy_owner(plain)) {
		case CF_OWNER_OFFICE:
			res = o, name = "owner:office";
			break;
		case CF_OWNER_CENTRAL:
			name = "owner:central";
			break;
		case CF_OWNER_UNION:
			res = t ? t : o, name = "union";
			break;
		default:
			reason = ds_asprintf("no owner rule for %s", plain);
		}
	}
	if (name)
		decision_add(m, path, name, a, o, t, res);
	else
		cf_open_add(m, path, a, o, t, reason);
	free(reason);
	free(plain);
	return copy(res);
}

static json_t *merge_value(cf_merge *m, const char *path, const json_t *a, const json_t *o,
                           const json_t *t);

static json_t *merge_object(cf_merge *m, const char *path, const json_t *a, const json_t *o,
                            const json_t *t)
{
	json_t *out = json_object(), *keys = cf_key_union(a, o, t), *k;
	size_t i;

	json_array_foreach(keys, i, k)
	{
		const char *key = json_string_value(k);
		char *child;
		json_t *v;

		if (!*path && (!strcmp(key, "status") || !strcmp(key, "prior_status")))
			continue; /* merge_status, after the walk */
		child = cf_path_key(path, key);
		v = merge_value(m, child, json_object_get(a, key), json_object_get(o, key),
		                json_object_get(t, key));
		if (v)
			json_object_set_new(out, key, v);
		free(child);
	}
	json_decref(keys);
	return out;
}

/* Appends to ids the ids of list's items that are not in ids yet. */
static void add_ids(json_t *ids, const json_t *list)
{
	json_t *item;
	size_t i;

	json_array_foreach(list, i, item)
	{
		json_t *id = json_object_get(item, "id");
		if (!json_object_get(ids, json_string_value(id)))
			json_object_set(ids, json_string_value(id), json_true());
	}
}

/* Lists with ids, per item: ancestor order, then ours' new items, then theirs'. An absent
 * side counts as an empty list. */
static json_t *merge_list(cf_merge *m, const char *path, const json_t *a, const json_t *o,
                          const json_t *t)
{
	json_t *ids = json_object(), *out = json_array(), *v;
	const char *id;

	add_ids(ids, a); /* jansson keeps insertion order when iterating */
	add_ids(ids, o);
	add_ids(ids, t);
	json_object_foreach(ids, id, v)
	{
		char *item_path = cf_path_item(path, id);
		json_t *r = merge_value(m, item_path, cf_item_find(a, id, NULL),
		                        cf_item_find(o, id, NULL), cf_item_find(t, id, NULL));
		if (r)
			json_array_append_new(out, r);
		free(item_path);
	}
	json_decref(ids);
	if (json_array_size(out) == 0 && (!o || !t)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static int list_or_absent(const json_t *v)
{
	return !v || cf_is_idlist(v);
}

static json_t *merge_value(cf_merge *m, const char *path, const json_t *a, const json_t *o,
                           const json_t *t)
{
	if (same(o, t))
		return copy(o);
	if (same(a, o))
		return copy(t);
	if (same(a, t))
		return copy(o);
	if (json_is_object(o) && json_is_object(t))
		return merge_object(m, path, json_is_object(a) ? a : NULL, o, t);
	if (list_or_absent(a) && list_or_absent(o) && list_or_absent(t))
		return merge_list(m, path, a, o, t);
	return settle(m, path, a, o, t);
}

static void status_text(const json_t *v, char *buf, size_t n)
{
	if (!v)
		snprintf(buf, n, "none");
	else if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, n, "(not a status)");
}

static json_t *merge_status(cf_merge *m, const json_t *a, const json_t *o, const json_t *t,
                            int *winner)
{
	char sa[32], so[32], st[32], *reason;
	int expl, rule = cf_policy_rule(m->policy, "status", &expl);

	expl = expl && rule != CF_RULE_OWNER; /* "owner" is the status rule itself */
	*winner = WIN_THEIRS;
	if (same(o, t)) {
		*winner = WIN_BOTH;
		return copy(o);
	}
	status_text(a, sa, sizeof(sa));
	status_text(o, so, sizeof(so));
	status_text(t, st, sizeof(st));
	if (json_is_integer(a) && schema_status_terminal((int)json_integer_value(a))) {
		reason = ds_asprintf("status %s is terminal but was moved: %s here, %s at central",
		                     sa, so, st);
	} else if (same(a, o)) {
		return copy(t);
	} else if (same(a, t)) {
		*winner = WIN_OURS;
		return copy(o);
	} else if (expl) {
		json_t *r = settle(m, "status", a, o, t);
		*winner = same(r, o) ? WIN_OURS : WIN_THEIRS;
		return r;
	} else {
		reason = ds_asprintf("both sides moved the status from %s: to %s here, to %s at "
		                     "central",
		                     sa, so, st);
	}
	cf_open_add(m, "status", a, o, t, reason);
	free(reason);
	return copy(t);
}

static json_t *merge_prior(cf_merge *m, const json_t *a, const json_t *o, const json_t *t,
                           int winner)
{
	const json_t *res;
	int expl, rule;

	if (same(o, t))
		return copy(o);
	if (winner == WIN_OURS)
		res = o;
	else if (winner == WIN_THEIRS)
		res = t;
	else
		res = same(a, t) ? o : t;
	if (!same(a, o) && !same(a, t)) {
		rule = cf_policy_rule(m->policy, "prior_status", &expl);
		if (expl && rule != CF_RULE_OWNER)
			return settle(m, "prior_status", a, o, t);
		decision_add(m, "prior_status", "status-rule", a, o, t, res);
	}
	return copy(res);
}

/* 1 when the status was left to a person in this merge. */
static int status_open(const cf_merge *m)
{
	json_t *o;
	size_t i;

	json_array_foreach(m->open, i, o)
	{
		if (!strcmp(json_string_value(json_object_get(o, "field")), "status"))
			return 1;
	}
	return 0;
}

/* While the status waits for a person the merged dossier keeps central's status, so the
 * times a status move brings (finished_at on 9, returned_at on 10) keep central's values
 * too: a dossier in processing never carries the office's finish time. The office's move
 * and its time stay in the journal, and `resolve --ours` brings them back. */
static void times_follow_status(const cf_merge *m, json_t *out, const json_t *theirs)
{
	static const char *const keys[] = {"finished_at", "returned_at"};
	size_t i;

	if (!status_open(m))
		return;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const json_t *t = json_object_get(theirs, keys[i]);
		if (t)
			json_object_set_new(out, keys[i], json_deep_copy(t));
		else
			json_object_del(out, keys[i]);
	}
}

int conflict_merge_dossier(const json_t *ancestor, const json_t *ours, const json_t *theirs,
                           const conflict_policy *policy, json_t **merged, json_t **decisions,
                           json_t **open)
{
	cf_merge m = {policy, NULL, NULL};
	json_t *out = NULL, *v;
	int rc, winner;

	*merged = *decisions = *open = NULL;
	if (!json_is_object(ours) || !json_is_object(theirs))
		return ds_error_set(DS_EINVALID, "merge: ours and theirs must be objects");
	if (ancestor && !json_is_object(ancestor))
		return ds_error_set(DS_EINVALID, "merge: the ancestor must be an object");
	m.decisions = json_array();
	m.open = json_array();
	out = merge_object(&m, "", ancestor, ours, theirs);
	v = merge_status(&m, json_object_get(ancestor, "status"), json_object_get(ours, "status"),
	                 json_object_get(theirs, "status"), &winner);
	if (v)
		json_object_set_new(out, "status", v);
	v = merge_prior(&m, json_object_get(ancestor, "prior_status"),
	                json_object_get(ours, "prior_status"),
	                json_object_get(theirs, "prior_status"), winner);
	if (v)
		json_object_set_new(out, "prior_status", v);
	times_follow_status(&m, out, theirs);
	rc = cf_merge_repair(&m, ancestor, ours, theirs, &out);
	if (rc) {
		json_decref(out);
		json_decref(m.decisions);
		json_decref(m.open);
		return rc;
	}
	*merged = out;
	*decisions = m.decisions;
	*open = m.open;
	return 0;
}
