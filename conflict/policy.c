/* policy.c: which rule settles a field both sides changed: the owner table of docs/DOMAIN.md
 * ("Who owns what") as the default, overridden per field path by config lines such as
 * `policy.applicant.phone = theirs`. The longest matching path wins. The caller may also
 * say who made each value, for two PCs of one office (conflict_policy_set_acts). */
#include "conflict/conflict_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct conflict_policy {
	size_t n;
	struct {
		char *path;
		int rule;
	} * v;
	conflict_acts_fn acts; /* who made each value (two PCs of one office) */
	void *acts_ctx;
	int peers_manual;
};

/* Top-level fields and who owns them under the owner rule. */
static const struct {
	const char *field;
	int owner;
} owners[] = {
    {"code", CF_OWNER_OFFICE},
    {"agency", CF_OWNER_OFFICE},
    {"applicant", CF_OWNER_OFFICE},
    {"procedure", CF_OWNER_OFFICE},
    {"channel", CF_OWNER_OFFICE},
    {"received_at", CF_OWNER_OFFICE},
    {"submitted_at", CF_OWNER_OFFICE},
    {"components", CF_OWNER_OFFICE},
    {"fees", CF_OWNER_OFFICE},
    {"summary", CF_OWNER_OFFICE},
    {"field", CF_OWNER_OFFICE},
    {"returned_at", CF_OWNER_OFFICE},
    {"result", CF_OWNER_CENTRAL},
    {"due_at", CF_OWNER_CENTRAL},
    {"original_due_at", CF_OWNER_CENTRAL},
    {"due_basis", CF_OWNER_CENTRAL},
    {"finished_at", CF_OWNER_CENTRAL},
    {"supplements", CF_OWNER_CENTRAL},
    {"handling_unit", CF_OWNER_CENTRAL},
    {"progress", CF_OWNER_UNION},
    {"attachments", CF_OWNER_UNION},
    {"status", CF_OWNER_STATUS},
    {"prior_status", CF_OWNER_STATUS},
};

static const char *const rule_names[] = {"owner", "ours", "theirs", "manual"};

int conflict_policy_new(conflict_policy **out)
{
	*out = ds_calloc(1, sizeof(**out));
	return 0;
}

void conflict_policy_free(conflict_policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->v[i].path);
	free(p->v);
	free(p);
}

/* Dotted segments of letters, digits and "_". */
static int path_ok(const char *path)
{
	const char *s;
	int seg = 0;

	for (s = path; *s; s++) {
		if (*s == '.') {
			if (seg == 0)
				return 0;
			seg = 0;
		} else if (isalnum((unsigned char)*s) || *s == '_') {
			seg++;
		} else {
			return 0;
		}
	}
	return seg > 0;
}

int conflict_policy_set(conflict_policy *p, const char *path, const char *rule)
{
	size_t i;
	int r = -1;

	if (!p || !path || !rule)
		return ds_error_set(DS_EINVALID, "policy: missing path or rule");
	if (strncmp(path, "policy.", 7) == 0)
		path += 7;
	if (!path_ok(path))
		return ds_error_set(DS_EINVALID, "policy: bad field path \"%s\"", path);
	for (i = 0; i < DS_ARRAY_LEN(rule_names); i++)
		if (strcmp(rule, rule_names[i]) == 0)
			r = (int)i;
	if (r < 0)
		return ds_error_set(DS_EINVALID,
		                    "policy %s: unknown rule \"%s\" (owner, ours, theirs, manual)",
		                    path, rule);
	for (i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].path, path) == 0) {
			p->v[i].rule = r;
			return 0;
		}
	}
	p->v = ds_realloc(p->v, (p->n + 1) * sizeof(*p->v));
	p->v[p->n].path = ds_strdup(path);
	p->v[p->n].rule = r;
	p->n++;
	return 0;
}

/* 1 when rule_path is plain_path or one of its dotted prefixes. */
static int covers(const char *rule_path, const char *plain_path)
{
	size_t n = strlen(rule_path);

	return strncmp(rule_path, plain_path, n) == 0 &&
	       (plain_path[n] == '\0' || plain_path[n] == '.');
}

int cf_policy_rule(const conflict_policy *p, const char *plain_path, int *explicit_rule)
{
	size_t i, best_len = 0;
	int rule = CF_RULE_OWNER;

	*explicit_rule = 0;
	for (i = 0; p && i < p->n; i++) {
		size_t n = strlen(p->v[i].path);
		if (n > best_len && covers(p->v[i].path, plain_path)) {
			best_len = n;
			rule = p->v[i].rule;
			*explicit_rule = 1;
		}
	}
	return rule;
}

int cf_policy_owner(const char *plain_path)
{
	size_t i, n = strcspn(plain_path, ".");

	for (i = 0; i < DS_ARRAY_LEN(owners); i++)
		if (strlen(owners[i].field) == n && strncmp(owners[i].field, plain_path, n) == 0)
			return owners[i].owner;
	return CF_OWNER_NONE;
}

void conflict_policy_set_acts(conflict_policy *p, conflict_acts_fn fn, void *ctx, int manual)
{
	if (!p)
		return;
	p->acts = fn;
	p->acts_ctx = ctx;
	p->peers_manual = manual;
}

int cf_policy_acts(const conflict_policy *p, const char *path, conflict_acts *out, int *manual)
{
	memset(out, 0, sizeof(*out));
	*manual = 0;
	if (!p || !p->acts || p->acts(p->acts_ctx, path, out) != 0 || !out->peer) {
		memset(out, 0, sizeof(*out));
		return DS_ENOTFOUND;
	}
	*manual = p->peers_manual;
	return 0;
}
