/* op.c: the journal op (docs/PROTOCOL.md "The op"): its kinds, its shape, its hash in the
 * chain, and how it changes a dossier state. schema_op_apply() is the only place a state
 * changes, on the agent and on central alike, so the same op on the same state gives the
 * same bytes everywhere: nothing here reads a clock, a locale or a random source.
 */
#include "schema/schema_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_MAX 64

const char schema_genesis_hash[DS_SHA256_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static const char *const kinds[] = {
    [SCHEMA_OP_CREATE] = "create",         [SCHEMA_OP_PATCH] = "patch",
    [SCHEMA_OP_TRANSITION] = "transition", [SCHEMA_OP_MERGE] = "merge",
    [SCHEMA_OP_RESOLVE] = "resolve",
};

/* The nine members of the canonical entry, the only ones the hash covers. */
static const char *const entry_fields[] = {"seq",  "op_id",  "code",  "kind",       "payload",
                                           "base", "parent", "actor", "occurred_at"};

const char *schema_op_kind_name(int kind)
{
	return kind >= 0 && kind < (int)DS_ARRAY_LEN(kinds) ? kinds[kind] : "";
}

int schema_op_kind_parse(const char *name)
{
	for (size_t i = 0; name && i < DS_ARRAY_LEN(kinds); i++)
		if (strcmp(name, kinds[i]) == 0)
			return (int)i;
	return -1;
}

/* ---------------------------------------------------------------- shape */
static int op_bad(const char *field, const char *what)
{
	return ds_error_set(DS_EINVALID, "op %s: %s", field, what);
}

/* "node:seq": node [A-Za-z0-9._-]{1,64}, seq a decimal number ≥ 1 without leading zeros
 * (equal to want when want > 0). node (NODE_MAX + 1 bytes) may be NULL. */
static int op_id_ok(const char *s, json_int_t want, char *node)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	char head[NODE_MAX + 1], num[24];
	size_t n;

	if (!colon || (n = (size_t)(colon - s)) > NODE_MAX)
		return 0;
	memcpy(head, s, n);
	head[n] = '\0';
	if (!schema_id_ok(head, NODE_MAX))
		return 0;
	if (colon[1] < '1' || colon[1] > '9' || strlen(colon + 1) > 19 ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return 0;
	snprintf(num, sizeof(num), "%lld", (long long)want);
	if (want > 0 && strcmp(colon + 1, num) != 0)
		return 0;
	if (node)
		memcpy(node, head, n + 1);
	return 1;
}

static int check_ids(const json_t *op)
{
	json_t *seq = json_object_get(op, "seq"), *parent = json_object_get(op, "parent");

	if (!json_is_integer(seq) || json_integer_value(seq) < 1)
		return op_bad("seq", "must be a whole number ≥ 1");
	if (!op_id_ok(json_string_value(json_object_get(op, "op_id")), json_integer_value(seq),
	              NULL))
		return op_bad("op_id", "must be \"<node>:<seq>\" with this op's seq");
	if (!parent || (!json_is_null(parent) && !op_id_ok(json_string_value(parent), 0, NULL)))
		return op_bad("parent", "must be null or an op id \"<node>:<seq>\"");
	return 0;
}

/* 1 when key is one of the nine members, or the chain's "hash" or "prev_hash" (which the
 * hash ignores). */
static int member_known(const char *key)
{
	for (size_t i = 0; i < DS_ARRAY_LEN(entry_fields); i++)
		if (strcmp(key, entry_fields[i]) == 0)
			return 1;
	return strcmp(key, "hash") == 0 || strcmp(key, "prev_hash") == 0;
}

/* Any other member would be left out of the hash unseen, so it is refused (the smallest
 * such key is named, so the message does not depend on key order). */
static int check_members(const json_t *op)
{
	const char *key, *unknown = NULL;
	json_t *v;

	json_object_foreach((json_t *)op, key, v)
	{
		if (!member_known(key) && (!unknown || strcmp(key, unknown) < 0))
			unknown = key;
	}
	if (unknown)
		return ds_error_set(DS_EINVALID,
		                    "op: unknown member '%s' (an op holds seq, op_id, code, kind, "
		                    "payload, base, parent, actor and occurred_at)",
		                    unknown);
	return 0;
}

json_t *schema_op_new(const char *node, int64_t seq, const char *code, int kind,
                      const json_t *payload, int64_t base, const char *parent, const char *actor)
{
	char when[DS_TIME_LEN], *op_id = ds_asprintf("%s:%lld", node, (long long)seq);
	json_t *op;

	ds_time_format(ds_time_now(), DS_TZ_VN, when);
	op = json_pack("{s:I,s:s,s:s,s:s,s:O,s:I,s:o,s:s,s:s}", "seq", (json_int_t)seq, "op_id",
	               op_id, "code", code, "kind", schema_op_kind_name(kind), "payload", payload,
	               "base", (json_int_t)base, "parent",
	               parent ? json_string(parent) : json_null(), "actor", actor, "occurred_at",
	               when);
	free(op_id);
	return op;
}

int schema_op_check(const json_t *op)
{
	json_t *base = json_object_get(op, "base");
	const char *actor = json_string_value(json_object_get(op, "actor"));
	int rc;

	if (!json_is_object(op))
		return ds_error_set(DS_EINVALID, "an op must be a JSON object");
	if ((rc = check_members(op)) || (rc = check_ids(op)))
		return rc;
	if (schema_code_parse(json_string_value(json_object_get(op, "code")), NULL, NULL, NULL,
	                      NULL, NULL))
		return ds_error_wrap(DS_EINVALID, "op code");
	if (schema_op_kind_parse(json_string_value(json_object_get(op, "kind"))) < 0)
		return op_bad("kind", "must be create, patch, transition, merge or resolve");
	if (!json_is_object(json_object_get(op, "payload")))
		return op_bad("payload", "must be an object");
	if (!json_is_integer(base) || json_integer_value(base) < 0)
		return op_bad("base", "must be a whole number ≥ 0");
	if (!actor || !actor[0])
		return op_bad("actor", "must be a non-empty text");
	if (ds_time_parse(json_string_value(json_object_get(op, "occurred_at")), NULL, NULL))
		return op_bad("occurred_at", "must be a time like 2025-11-29T08:00:00+07:00");
	return 0;
}

/* ---------------------------------------------------------------- hash */
int schema_op_hash(const char *prev_hash, const json_t *op, char out[DS_SHA256_HEX])
{
	json_t *entry = NULL;
	char head[DS_SHA256_HEX], *bytes = NULL;
	size_t n = 0, i;
	int rc;

	out[0] = '\0';
	if (!prev_hash || strlen(prev_hash) != 64 || strspn(prev_hash, "0123456789abcdef") != 64)
		return ds_error_set(DS_EINVALID, "prev_hash: must be 64 lower-case hex digits");
	if ((rc = schema_op_check(op)))
		return rc;
	entry = json_object();
	for (i = 0; i < DS_ARRAY_LEN(entry_fields); i++)
		json_object_set(entry, entry_fields[i], json_object_get(op, entry_fields[i]));
	if ((rc = ds_json_canonical(entry, &bytes, &n)))
		goto done;
	memcpy(head, prev_hash, 64);
	head[64] = '\n';
	ds_sha256_hex2(head, 65, bytes, n, out);
done:
	free(bytes);
	json_decref(entry);
	return rc;
}

/* ---------------------------------------------------------------- apply */
static const char *str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static int int_of(const json_t *obj, const char *key)
{
	return (int)json_integer_value(json_object_get(obj, key));
}

static int apply_create(const json_t *cur, const json_t *op, json_t **out)
{
	const char *code = str_of(op, "code");
	const json_t *payload;
	int rc, st;

	if (cur)
		return ds_error_set(DS_EINVALID,
		                    "a create applies only where there is no dossier yet; %s "
		                    "already has a state",
		                    code);
	/* The usual create brings its dossier valid and normal already: the state is then the
	 * payload itself, shared (states are copied before an op changes them), not a copy. */
	payload = json_object_get(op, "payload");
	if ((rc = schema_dossier_check_normal(payload)) < 0)
		return rc;
	*out = rc == 0 ? json_incref((json_t *)payload) : json_deep_copy(payload);
	if (rc == 1 && (rc = schema_dossier_validate(out)))
		return rc;
	if (strcmp(str_of(*out, "code"), code) != 0)
		return ds_error_set(DS_EINVALID,
		                    "code: the dossier's code %s differs from the "
		                    "op's code %s",
		                    str_of(*out, "code"), code);
	st = int_of(*out, "status");
	if (!schema_status_legal(SCHEMA_STATUS_NEW, st, 0))
		return ds_error_set(DS_EINVALID,
		                    "status: a new dossier starts at 1, 2 or 3, not %d", st);
	return 0;
}

/* patch, merge and resolve: an RFC 7396 merge patch on a copy of the state. */
static int apply_merge(const json_t *cur, const json_t *op, json_t **out)
{
	const json_t *patch = json_object_get(op, "payload");
	int rc;

	if (!cur)
		return ds_error_set(DS_EINVALID,
		                    "a %s applies to an existing dossier; %s has no "
		                    "state",
		                    str_of(op, "kind"), str_of(op, "code"));
	if (strcmp(str_of(op, "kind"), "patch") == 0 && (rc = schema_patch_check(patch)))
		return rc;
	*out = json_deep_copy(cur);
	if ((rc = ds_json_merge_patch(out, patch)) || (rc = schema_dossier_validate(out)))
		return rc;
	if (!json_equal(json_object_get(*out, "code"), json_object_get(cur, "code")))
		return ds_error_set(DS_EINVALID, "code: cannot be changed once issued");
	if (!json_equal(json_object_get(*out, "agency"), json_object_get(cur, "agency")))
		return ds_error_set(DS_EINVALID, "agency: cannot be changed once issued");
	return 0;
}

/* {"to": 1..10, "note": "..."} with note optional and nothing else. */
static int transition_args(const json_t *payload, int *to, const char **note)
{
	const char *key;
	json_t *v, *t = json_object_get(payload, "to"), *n = json_object_get(payload, "note");

	json_object_foreach((json_t *)payload, key, v)
	{
		if (strcmp(key, "to") != 0 && strcmp(key, "note") != 0)
			return ds_error_set(DS_EINVALID, "transition: unknown field '%s'", key);
	}
	if (!json_is_integer(t) || json_integer_value(t) < 1 ||
	    json_integer_value(t) > SCHEMA_STATUS_MAX)
		return ds_error_set(DS_EINVALID,
		                    "transition: \"to\" must be a status code 1 to 10");
	if (n && !json_is_string(n))
		return ds_error_set(DS_EINVALID, "transition: \"note\" must be text");
	*to = (int)json_integer_value(t);
	*note = n ? json_string_value(n) : NULL;
	return 0;
}

/* Appends {"id": "s-<node>-<seq>", "who", "when", "what", "status"} to progress. */
static int add_progress(json_t *d, const json_t *op, int to, const char *note)
{
	char node[NODE_MAX + 1], id[NODE_MAX + 32];
	json_t *list = json_object_get(d, "progress");

	op_id_ok(str_of(op, "op_id"), 0, node);
	snprintf(id, sizeof(id), "s-%s-%lld", node,
	         (long long)json_integer_value(json_object_get(op, "seq")));
	if (!list) {
		list = json_array();
		json_object_set_new(d, "progress", list);
	}
	if (!json_is_array(list))
		return ds_error_set(DS_EINVALID, "progress: must be a list");
	json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:i}", "id", id, "who",
	                                      str_of(op, "actor"), "when",
	                                      str_of(op, "occurred_at"), "what",
	                                      note ? note : schema_status_name(to), "status", to));
	return 0;
}

static int apply_transition(const json_t *cur, const json_t *op, json_t **out)
{
	const char *note = NULL, *when = str_of(op, "occurred_at");
	int rc, to = 0, from, prior;

	if (!cur)
		return ds_error_set(DS_EINVALID,
		                    "a transition applies to an existing dossier; "
		                    "%s has no state",
		                    str_of(op, "code"));
	if ((rc = transition_args(json_object_get(op, "payload"), &to, &note)))
		return rc;
	from = int_of(cur, "status");
	prior = int_of(cur, "prior_status");
	if (!schema_status_legal(from, to, prior) && from == 7 && prior)
		return ds_error_set(DS_EINVALID,
		                    "illegal status move 7 -> %d (a refused withdrawal goes back "
		                    "to %d, the status before 7)",
		                    to, prior);
	if (!schema_status_legal(from, to, prior))
		return ds_error_set(DS_EINVALID, "illegal status move %d -> %d", from, to);
	*out = json_deep_copy(cur);
	json_object_set_new(*out, "status", json_integer(to));
	if (to == 7)
		json_object_set_new(*out, "prior_status", json_integer(from));
	else
		json_object_del(*out, "prior_status");
	if (to == 9 && !json_object_get(*out, "finished_at"))
		json_object_set_new(*out, "finished_at", json_string(when));
	if (to == 10 && !json_object_get(*out, "returned_at"))
		json_object_set_new(*out, "returned_at", json_string(when));
	if ((rc = add_progress(*out, op, to, note)))
		return rc;
	return schema_dossier_validate(out);
}

int schema_op_apply(json_t **state, const json_t *op)
{
	int rc;

	if (!state)
		return ds_error_set(DS_EINVALID, "no state to apply the op to");
	if ((rc = schema_op_check(op)))
		return rc;
	return schema_op_apply_checked(state, op);
}

int schema_op_apply_checked(json_t **state, const json_t *op)
{
	json_t *next = NULL;
	int rc;

	if (!state)
		return ds_error_set(DS_EINVALID, "no state to apply the op to");
	switch (schema_op_kind_parse(str_of(op, "kind"))) {
	case SCHEMA_OP_CREATE:
		rc = apply_create(*state, op, &next);
		break;
	case SCHEMA_OP_TRANSITION:
		rc = apply_transition(*state, op, &next);
		break;
	default:
		rc = apply_merge(*state, op, &next);
		break;
	}
	if (rc == 0)
		rc = schema_change_check(*state, next); /* the rule book, for every kind */
	if (rc) {
		json_decref(next);
		return rc;
	}
	json_decref(*state);
	*state = next;
	return 0;
}
