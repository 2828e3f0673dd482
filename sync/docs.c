/* docs.c: the three documents of docs/PROTOCOL.md: a push batch, its receipts, and a pull
 * page, each a JSON object with its lists laid out by column (cols.c) and sent as a zlib
 * body (body.c). Encoders check what they are given; decoders refuse every wrong shape
 * with DS_EINVALID. Unknown top-level members are ignored (room for additions). */
#include "sync/cols_int.h"

#include <stdlib.h>
#include <string.h>

/* A node name: 1 to 64 of [A-Za-z0-9._-]. */
int sync_node_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 64)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int sync_office_node_ok(const char *s)
{
	return sync_node_ok(s) && strcmp(s, SYNC_NODE_CENTRAL) != 0;
}

/* The integer member key of obj when it is at least min; else DS_EINVALID. */
static int get_int(const json_t *obj, const char *key, json_int_t min, const char *what,
                   json_int_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < min)
		return ds_error_set(DS_EINVALID, "%s: %s must be an integer of at least %lld", what,
		                    key, (long long)min);
	*out = json_integer_value(v);
	return 0;
}

/* Adds node_seq and node_hash to doc when head is known; DS_EINVALID when malformed. */
static int head_put(json_t *doc, const sync_head *head)
{
	if (!head || !head->known)
		return 0;
	if (head->seq < 0 || !sync_sha256_ok(head->hash))
		return ds_error_set(DS_EINVALID, "node_seq must not be negative and node_hash "
		                                 "must be 64 lowercase hex digits");
	json_object_set_new(doc, "node_seq", json_integer(head->seq));
	json_object_set_new(doc, "node_hash", json_string(head->hash));
	return 0;
}

/* node_seq and node_hash of doc into head (NULL: not read). */
static int head_get(const json_t *doc, const char *what, sync_head *head)
{
	const json_t *seq = json_object_get(doc, "node_seq"),
	             *hash = json_object_get(doc, "node_hash");

	if (!head)
		return 0;
	memset(head, 0, sizeof(*head));
	if (!seq && !hash)
		return 0;
	if (!json_is_integer(seq) || json_integer_value(seq) < 0 ||
	    !sync_sha256_ok(json_string_value(hash)))
		return ds_error_set(DS_EINVALID,
		                    "%s: node_seq must be a non-negative integer and node_hash 64 "
		                    "lowercase hex digits",
		                    what);
	head->known = 1;
	head->seq = json_integer_value(seq);
	memcpy(head->hash, json_string_value(hash), DS_SHA256_HEX);
	return 0;
}

/* What one document may become in memory (sync.h "Decode budgets"). */
typedef struct budget {
	size_t inflated; /* its inflated text */
	size_t tree;     /* the tree jansson builds from it (estimated before parsing) */
} budget;

static const budget push_budget = {SYNC_MAX_PUSH_INFLATED, SYNC_MAX_PUSH_TREE};
static const budget receipts_budget = {SYNC_MAX_RECEIPTS_INFLATED, SYNC_MAX_RECEIPTS_TREE};
static const budget pull_budget = {SYNC_MAX_PULL_INFLATED, SYNC_MAX_PULL_TREE};

/* The objects the column layout may add to a document of budget b: its records (at most
 * max_rows) and one object per KiB of its tree budget for the paths they run through
 * (a legitimate record has a few: payload, applicant, procedure...). */
static size_t objects_for(const budget *b, size_t max_rows)
{
	return max_rows + b->tree / 1024;
}

/* Decodes a body into an object and its columns member cols_key into at most max_rows
 * records, within budget b. The row count is checked first: a tiny document must not make
 * us build a million empty objects. */
static int open_doc(const void *body, size_t n, const char *what, const char *cols_key,
                    size_t max_rows, const budget *b, json_t **doc, json_t **records)
{
	const json_t *rows;
	int rc;

	*records = NULL;
	if ((rc = sync_body_decode_budget(body, n, b->inflated, b->tree, doc)))
		return ds_error_wrap(rc, "%s", what);
	if (!json_is_object(*doc))
		return ds_error_set(DS_EINVALID, "%s: the body is not a JSON object", what);
	rows = json_object_get(json_object_get(*doc, cols_key), "n");
	if (json_is_integer(rows) && json_integer_value(rows) > (json_int_t)max_rows)
		return ds_error_set(DS_EINVALID, "%s: %lld %s, at most %zu", what,
		                    (long long)json_integer_value(rows), cols_key, max_rows);
	rc = sync_cols_decode_budget(json_object_get(*doc, cols_key), objects_for(b, max_rows),
	                             records);
	if (rc && strcmp(what, cols_key))
		return ds_error_wrap(rc, "%s: %s", what, cols_key);
	if (rc)
		return ds_error_wrap(rc, "%s", what);
	return 0;
}

/* ---------------------------------------------------------------- push */

/* What a push never sends of an op: the receiver knows them (docs/PROTOCOL.md). */
static const char *const push_never[] = {"seq", "op_id", "hash", "prev_hash"};

/* Checks the batch's seqs and op_ids; *first gets the first seq. The ops are encoded
 * without push_never (cols_encode_skip), so nothing is copied. */
static int ops_check(const char *node, const json_t *ops, json_int_t *first)
{
	const json_t *seq0 = json_object_get(json_array_get(ops, 0), "seq");
	char want[128];
	size_t i;

	if (!json_is_integer(seq0) || json_integer_value(seq0) < 1 ||
	    json_integer_value(seq0) > INT64_MAX - SYNC_MAX_BATCH_OPS)
		return ds_error_set(DS_EINVALID, "push: ops[0].seq must be a positive integer");
	*first = json_integer_value(seq0);
	for (i = 0; i < json_array_size(ops); i++) {
		const json_t *op = json_array_get(ops, i);
		const json_t *seq = json_object_get(op, "seq");

		snprintf(want, sizeof(want), "%s:%lld", node, (long long)(*first + (json_int_t)i));
		if (!json_is_object(op) || !json_is_integer(seq) ||
		    json_integer_value(seq) != *first + (json_int_t)i)
			return ds_error_set(DS_EINVALID,
			                    "push: ops[%zu].seq must be %lld (seqs "
			                    "must be consecutive)",
			                    i, (long long)(*first + (json_int_t)i));
		if (!json_is_string(json_object_get(op, "op_id")) ||
		    strcmp(json_string_value(json_object_get(op, "op_id")), want))
			return ds_error_set(DS_EINVALID, "push: ops[%zu].op_id must be \"%s\"", i,
			                    want);
	}
	return 0;
}

int sync_push_encode(const char *node, const char *prev_hash, const char *final_hash,
                     const json_t *ops, ds_buf *body)
{
	json_t *cols = NULL, *doc = NULL;
	json_int_t first = 0;
	int rc;

	if (!sync_node_ok(node))
		return ds_error_set(DS_EINVALID, "push: the node name must be 1 to 64 of "
		                                 "A-Z a-z 0-9 . _ -");
	if (!sync_sha256_ok(prev_hash) || !sync_sha256_ok(final_hash))
		return ds_error_set(DS_EINVALID, "push: prev_hash and hash must be 64 lowercase "
		                                 "hex digits");
	if (!json_is_array(ops) || json_array_size(ops) < 1 ||
	    json_array_size(ops) > SYNC_MAX_BATCH_OPS)
		return ds_error_set(DS_EINVALID, "push: a batch holds 1 to %d ops",
		                    SYNC_MAX_BATCH_OPS);
	if ((rc = ops_check(node, ops, &first)) ||
	    (rc = cols_encode_skip(ops, push_never, DS_ARRAY_LEN(push_never), &cols)))
		goto done;
	doc =
	    json_pack("{s:i, s:s, s:I, s:s, s:s, s:O}", "v", SYNC_PROTOCOL_VERSION, "node", node,
	              "first_seq", first, "prev_hash", prev_hash, "hash", final_hash, "ops", cols);
	rc = sync_body_encode_dict(doc, body);
done:
	json_decref(cols);
	json_decref(doc);
	return rc;
}

static int push_header(const json_t *doc, json_int_t *first)
{
	const json_t *v = json_object_get(doc, "v"), *n;
	json_int_t count;

	if (!json_is_integer(v) || json_integer_value(v) < SYNC_PROTOCOL_MIN ||
	    json_integer_value(v) > SYNC_PROTOCOL_VERSION)
		return ds_error_set(DS_EINVALID, "push: v must be %d to %d", SYNC_PROTOCOL_MIN,
		                    SYNC_PROTOCOL_VERSION);
	if (!sync_node_ok(json_string_value(json_object_get(doc, "node"))))
		return ds_error_set(DS_EINVALID, "push: node must be 1 to 64 of "
		                                 "A-Z a-z 0-9 . _ -");
	if (get_int(doc, "first_seq", 1, "push", first))
		return DS_EINVALID;
	if (*first > INT64_MAX - SYNC_MAX_BATCH_OPS)
		return ds_error_set(DS_EINVALID, "push: first_seq is too large");
	if (!sync_sha256_ok(json_string_value(json_object_get(doc, "prev_hash"))))
		return ds_error_set(DS_EINVALID, "push: prev_hash must be 64 lowercase hex "
		                                 "digits");
	if (!sync_sha256_ok(json_string_value(json_object_get(doc, "hash"))))
		return ds_error_set(DS_EINVALID, "push: hash must be 64 lowercase hex digits");
	/* Refuse an oversized batch before building it. */
	n = json_object_get(json_object_get(doc, "ops"), "n");
	count = json_is_integer(n) ? json_integer_value(n) : 1;
	if (count < 1 || count > SYNC_MAX_BATCH_OPS)
		return ds_error_set(DS_EINVALID, "push: a batch holds 1 to %d ops",
		                    SYNC_MAX_BATCH_OPS);
	return 0;
}

/* Gives each op back its seq and op_id. */
static int restore_ops(json_t *ops, const char *node, json_int_t first)
{
	size_t i, k;
	json_t *op;

	json_array_foreach(ops, i, op)
	{
		json_int_t seq = first + (json_int_t)i;
		char id[128];

		for (k = 0; k < DS_ARRAY_LEN(push_never); k++)
			if (json_object_get(op, push_never[k]))
				return ds_error_set(DS_EINVALID,
				                    "push: ops[%zu] carries \"%s\", "
				                    "which a push never sends",
				                    i, push_never[k]);
		snprintf(id, sizeof(id), "%s:%lld", node, (long long)seq);
		json_object_set_new(op, "seq", json_integer(seq));
		json_object_set_new(op, "op_id", json_string(id));
	}
	return 0;
}

int sync_push_decode(const void *body, size_t n, json_t **out)
{
	json_t *doc = NULL, *ops = NULL;
	json_int_t first = 0;
	const char *node;
	int rc;

	*out = NULL;
	if ((rc = sync_body_decode_budget(body, n, push_budget.inflated, push_budget.tree, &doc))) {
		ds_error_wrap(rc, "push");
		goto done;
	}
	if (!json_is_object(doc)) {
		rc = ds_error_set(DS_EINVALID, "push: the body is not a JSON object");
		goto done;
	}
	if ((rc = push_header(doc, &first)))
		goto done;
	if ((rc = sync_cols_decode_budget(json_object_get(doc, "ops"),
	                                  objects_for(&push_budget, SYNC_MAX_BATCH_OPS), &ops))) {
		ds_error_wrap(rc, "push: ops");
		goto done;
	}
	node = json_string_value(json_object_get(doc, "node"));
	if ((rc = restore_ops(ops, node, first)))
		goto done;
	*out = json_pack("{s:O, s:s, s:I, s:O, s:O, s:O}", "v", json_object_get(doc, "v"), "node",
	                 node, "first_seq", first, "prev_hash", json_object_get(doc, "prev_hash"),
	                 "hash", json_object_get(doc, "hash"), "ops", ops);
done:
	json_decref(doc);
	json_decref(ops);
	return rc;
}

/* ---------------------------------------------------------------- receipts */
static const char *const result_words[] = {
    [SYNC_APPLIED] = "applied",
    [SYNC_DUPLICATE] = "duplicate",
    [SYNC_CONFLICT] = "conflict",
    [SYNC_REJECTED] = "rejected",
};

const char *sync_result_name(int result)
{
	return result >= SYNC_APPLIED && result <= SYNC_REJECTED ? result_words[result] : "";
}

int sync_result_parse(const char *word)
{
	int r;

	for (r = SYNC_APPLIED; word && r <= SYNC_REJECTED; r++)
		if (!strcmp(word, result_words[r]))
			return r;
	return 0;
}

/* A receipt: op_id; result; version (not required when rejected); state for a conflict;
 * reason for a rejection. */
static int receipt_check(const json_t *r, size_t i)
{
	const char *res = json_string_value(json_object_get(r, "result"));
	const json_t *ver = json_object_get(r, "version"), *state = json_object_get(r, "state");
	const json_t *reason = json_object_get(r, "reason");
	int k = sync_result_parse(res);

	if (!json_is_string(json_object_get(r, "op_id")))
		return ds_error_set(DS_EINVALID, "receipts[%zu].op_id must be a string", i);
	if (!k)
		return ds_error_set(DS_EINVALID,
		                    "receipts[%zu].result must be applied, "
		                    "duplicate, conflict or rejected",
		                    i);
	if ((ver || k != SYNC_REJECTED) && (!json_is_integer(ver) || json_integer_value(ver) < 0))
		return ds_error_set(DS_EINVALID,
		                    "receipts[%zu].version must be a "
		                    "non-negative integer",
		                    i);
	if ((state || k == SYNC_CONFLICT) && !json_is_object(state))
		return ds_error_set(DS_EINVALID, "receipts[%zu].state must be an object", i);
	if ((reason || k == SYNC_REJECTED) && !json_is_string(reason))
		return ds_error_set(DS_EINVALID, "receipts[%zu].reason must be a string", i);
	return 0;
}

static int receipts_check(const json_t *receipts)
{
	size_t i;
	int rc;

	if (!json_is_array(receipts))
		return ds_error_set(DS_EINVALID, "receipts: must be an array");
	for (i = 0; i < json_array_size(receipts); i++)
		if ((rc = receipt_check(json_array_get(receipts, i), i)))
			return rc;
	return 0;
}

int sync_receipts_encode(const json_t *receipts, ds_buf *body)
{
	return sync_receipts_encode_head(receipts, NULL, body);
}

/* The receipts as sent: without the "cursor" members (the echo members carry them). */
static json_t *receipts_bare(const json_t *receipts)
{
	json_t *bare = json_array(), *r, *copy;
	size_t i;

	json_array_foreach(receipts, i, r)
	{
		copy = json_copy((json_t *)r);
		json_object_del(copy, "cursor");
		json_array_append_new(bare, copy);
	}
	return bare;
}

int sync_receipts_encode_head(const json_t *receipts, const sync_head *head, ds_buf *body)
{
	json_t *cols = NULL, *doc = NULL, *bare = NULL;
	int rc;

	if ((rc = receipts_check(receipts)))
		goto done;
	bare = receipts_bare(receipts);
	if ((rc = sync_cols_encode(bare, &cols)))
		goto done;
	doc = json_pack("{s:O}", "receipts", cols);
	if ((rc = head_put(doc, head)) == 0 && head)
		rc = sync_echo_put(doc, receipts, &head->echo);
	if (rc == 0)
		rc = sync_body_encode_dict(doc, body);
done:
	json_decref(bare);
	json_decref(cols);
	json_decref(doc);
	return rc;
}

int sync_receipts_decode(const void *body, size_t n, json_t **receipts)
{
	return sync_receipts_decode_head(body, n, receipts, NULL);
}

int sync_receipts_decode_head(const void *body, size_t n, json_t **receipts, sync_head *head)
{
	json_t *doc = NULL, *list = NULL;
	int rc;

	*receipts = NULL;
	if ((rc = open_doc(body, n, "receipts", "receipts", SYNC_MAX_BATCH_OPS, &receipts_budget,
	                   &doc, &list)) ||
	    (rc = receipts_check(list)) || (rc = head_get(doc, "receipts", head)))
		goto done;
	if (head && (rc = sync_echo_get(doc, list, &head->echo)))
		goto done;
	*receipts = list;
	list = NULL;
done:
	json_decref(doc);
	json_decref(list);
	return rc;
}

/* ---------------------------------------------------------------- pull */

/* A change: cursor (increasing), code, version, state; op_id and node are strings, or
 * null for a change central made without an op. The state may be left out (the echo of
 * the asking node's own change) only in a page that carries own_sha256: own. */
static int change_check(const json_t *c, size_t i, int own, json_int_t *cursor)
{
	const json_t *op = json_object_get(c, "op_id"), *node = json_object_get(c, "node");
	json_int_t cur = 0, ver = 0;
	char what[48];

	snprintf(what, sizeof(what), "changes[%zu]", i);
	if (get_int(c, "cursor", *cursor + 1, what, &cur) || get_int(c, "version", 1, what, &ver))
		return DS_EINVALID;
	if (!json_is_string(json_object_get(c, "code")))
		return ds_error_set(DS_EINVALID, "%s.code must be a string", what);
	if (!json_is_string(op) && !json_is_null(op))
		return ds_error_set(DS_EINVALID, "%s.op_id must be a string or null", what);
	if (!json_is_string(node) && !json_is_null(node))
		return ds_error_set(DS_EINVALID, "%s.node must be a string or null", what);
	if (!json_object_get(c, "state") && !own)
		return ds_error_set(DS_EINVALID, "%s has no state and the page no own_sha256",
		                    what);
	if (json_object_get(c, "state") && !json_is_object(json_object_get(c, "state")))
		return ds_error_set(DS_EINVALID, "%s.state must be an object", what);
	*cursor = cur;
	return 0;
}

/* Checks every change and that next is not behind the last cursor. */
static int changes_check(const json_t *changes, json_int_t next, int own)
{
	json_int_t cursor = 0;
	size_t i;
	int rc;

	if (!json_is_array(changes))
		return ds_error_set(DS_EINVALID, "changes: must be an array");
	for (i = 0; i < json_array_size(changes); i++)
		if ((rc = change_check(json_array_get(changes, i), i, own, &cursor)))
			return rc;
	if (next < cursor)
		return ds_error_set(DS_EINVALID,
		                    "changes: next (%lld) is behind the last cursor "
		                    "(%lld)",
		                    (long long)next, (long long)cursor);
	return 0;
}

int sync_changes_encode(const json_t *changes, int64_t next, int more, ds_buf *body)
{
	return sync_changes_encode_own(changes, next, more, NULL, body);
}

int sync_changes_encode_own(const json_t *changes, int64_t next, int more, const char *own_sha256,
                            ds_buf *body)
{
	return sync_changes_encode_head(changes, next, more, own_sha256, NULL, body);
}

int sync_changes_encode_head(const json_t *changes, int64_t next, int more, const char *own_sha256,
                             const sync_head *head, ds_buf *body)
{
	return sync_changes_encode_page(changes, next, more, own_sha256, head, NULL, body);
}

int sync_changes_encode_data(const json_t *changes, int64_t next, int more, const char *own_sha256,
                             const json_t *data, ds_buf *body)
{
	return sync_changes_encode_page(changes, next, more, own_sha256, NULL, data, body);
}

int sync_changes_encode_page(const json_t *changes, int64_t next, int more, const char *own_sha256,
                             const sync_head *head, const json_t *data, ds_buf *body)
{
	json_t *cols = NULL, *doc = NULL;
	int own = own_sha256 && own_sha256[0], rc;

	if (next < 0)
		return ds_error_set(DS_EINVALID, "changes: next must not be negative");
	if (own && !sync_sha256_ok(own_sha256))
		return ds_error_set(DS_EINVALID,
		                    "changes: own_sha256 must be 64 lowercase hex digits");
	if ((rc = changes_check(changes, next, own)) || (rc = sync_cols_encode(changes, &cols)))
		goto done;
	doc = json_pack("{s:O, s:I, s:b}", "changes", cols, "next", (json_int_t)next, "more",
	                more != 0);
	if (own)
		json_object_set_new(doc, "own_sha256", json_string(own_sha256));
	if (data && (rc = sync_data_versions_check(data)))
		goto done;
	if (data)
		json_object_set(doc, "data", (json_t *)data);
	if ((rc = head_put(doc, head)) == 0)
		rc = sync_body_encode_dict(doc, body);
done:
	json_decref(cols);
	json_decref(doc);
	return rc;
}

int sync_changes_decode(const void *body, size_t n, json_t **changes, int64_t *next, int *more)
{
	return sync_changes_decode_own(body, n, changes, next, more, NULL);
}

/* own_sha256 of the page into own ("" when absent; not read when own is NULL, and then
 * a change without its state is refused). DS_EINVALID when malformed. */
static int page_own(const json_t *doc, char *own)
{
	const json_t *v = json_object_get(doc, "own_sha256");

	if (!own)
		return 0;
	own[0] = '\0';
	if (!v)
		return 0;
	if (!sync_sha256_ok(json_string_value(v)))
		return ds_error_set(DS_EINVALID,
		                    "pull: own_sha256 must be 64 lowercase hex digits");
	memcpy(own, json_string_value(v), DS_SHA256_HEX);
	return 0;
}

int sync_changes_decode_own(const void *body, size_t n, json_t **changes, int64_t *next, int *more,
                            char *own_sha256)
{
	return sync_changes_decode_head(body, n, changes, next, more, own_sha256, NULL);
}

int sync_changes_decode_head(const void *body, size_t n, json_t **changes, int64_t *next, int *more,
                             char *own_sha256, sync_head *head)
{
	json_t *doc = NULL, *list = NULL;
	json_int_t nx = 0;
	int rc;

	*changes = NULL;
	if ((rc = open_doc(body, n, "pull", "changes", SYNC_MAX_PULL_LIMIT, &pull_budget, &doc,
	                   &list)))
		goto done;
	if ((rc = get_int(doc, "next", 0, "pull", &nx)) || (rc = page_own(doc, own_sha256)) ||
	    (rc = head_get(doc, "pull", head)))
		goto done;
	if (!json_is_boolean(json_object_get(doc, "more"))) {
		rc = ds_error_set(DS_EINVALID, "pull: more must be true or false");
		goto done;
	}
	if ((rc = changes_check(list, nx, own_sha256 && own_sha256[0])))
		goto done;
	*next = nx;
	*more = json_is_true(json_object_get(doc, "more"));
	*changes = list;
	list = NULL;
done:
	json_decref(doc);
	json_decref(list);
	return rc;
}
