/* apply.c: the verdict on one op central has not received before, and its effects.
 *
 *   create, code free, agency allowed ----------------------> applied (version 1)
 *   other kind, dossier held, agency allowed,
 *     base == version or parent == last applied op --------> applied (version + 1)
 *     neither matches -------------------------------------> conflict (version, state)
 *   code taken (create), dossier missing, another agency,
 *     or schema_op_apply refuses the result ---------------> rejected (reason)
 *
 * An applied op updates the dossier row and appends a feed row; a failure half-way fails
 * the whole push, whose savepoint (or transaction) leaves nothing behind. Every op is
 * stored with its receipt and hash whatever the verdict. central_op_receipt answers a replay from
 * what was stored.
 */
#include "central/central_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The dossier row of a code; found 0 when there is none. */
typedef struct current {
	int found;
	char agency[SCHEMA_CODE_MAX];
	int64_t version;
	char *last_op;
	json_t *state;
	char now[DS_TIME_LEN]; /* when the op is received: stamped on every row it writes */
} current;

static const char *str_member(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static void current_release(current *c)
{
	free(c->last_op);
	json_decref(c->state);
	memset(c, 0, sizeof(*c));
}

/* From the batch's cache: 1 when the code is there. */
static int current_cached(central_store *s, const char *code, current *c)
{
	json_t *e = s->cache ? json_object_get(s->cache, code) : NULL;

	if (!e)
		return 0;
	c->found = 1;
	snprintf(c->agency, sizeof(c->agency), "%s", str_member(e, "agency"));
	c->version = json_integer_value(json_object_get(e, "version"));
	c->last_op = ds_strdup(str_member(e, "last_op"));
	c->state = json_incref(json_object_get(e, "state"));
	return 1;
}

static int current_load(central_store *s, const char *code, current *c)
{
	central_q *st = central_stmt(s, ST_DOSSIER_GET);
	const char *body;
	int rc;

	memset(c, 0, sizeof(*c));
	if (current_cached(s, code, c))
		return 0;
	if (!st)
		return ds_error_code();
	central_bind_text_ref(st, 1, code);
	rc = central_step(st, "reading the dossier");
	if (rc == 1) {
		c->found = 1;
		snprintf(c->agency, sizeof(c->agency), "%s", central_col_text(st, 0));
		c->version = central_col_int(st, 1);
		c->last_op = ds_strdup(central_col_text(st, 2));
		body = central_col_text(st, 3);
		rc = ds_json_parse(body, strlen(body), &c->state);
		if (rc)
			rc = ds_error_wrap(DS_ERROR, "stored dossier %s", code);
	}
	central_reset(st);
	return rc;
}

/* A receipt; a rejection with version 0 (no dossier, or one the token may not see) has
 * no version at all, so that it tells nothing about a dossier of another agency. */
static json_t *receipt_new(const char *op_id, const char *result, int64_t version)
{
	json_t *r = json_object(); /* built member by member: json_pack parses its format */

	json_object_set_new(r, "op_id", json_string(op_id));
	json_object_set_new(r, "result", json_string(result));
	if (version != 0 || sync_result_parse(result) != SYNC_REJECTED)
		json_object_set_new(r, "version", json_integer((json_int_t)version));
	return r;
}

/* Why an office token may not touch the op's dossier, or NULL. Decided from the op alone
 * (its code's agency, a create's payload), never from what central holds, so the answer
 * is the same whether or not the dossier exists. reason is malloc'd. */
static char *agency_refusal(const central_auth *a, const json_t *op, const current *c)
{
	const char *code = str_member(op, "code"), *kind = str_member(op, "kind");
	const char *payload_agency = str_member(json_object_get(op, "payload"), "agency");
	char agency[SCHEMA_CODE_MAX] = "";

	schema_code_parse(code, agency, NULL, NULL, NULL, NULL); /* checked by schema_op_check */
	if (a->province)
		return NULL;
	if (strcmp(agency, a->agency) == 0 && strcmp(kind, "create") == 0 &&
	    strcmp(payload_agency, a->agency) != 0)
		snprintf(agency, sizeof(agency), "%s", payload_agency);
	else if (strcmp(agency, a->agency) == 0 && c->found && strcmp(c->agency, a->agency))
		snprintf(agency, sizeof(agency), "%s", c->agency);
	if (strcmp(agency, a->agency) == 0)
		return NULL;
	return ds_asprintf("a token of agency %s may not change dossier %s of agency %s", a->agency,
	                   code, agency);
}

/* A create pushed by a node (not central's own edit) numbered in central's reserved
 * block, or NULL. */
static char *reserved_refusal(const char *node, const json_t *op)
{
	const char *code = str_member(op, "code");
	int seq = 0;

	if (strcmp(node, CENTRAL_NODE) == 0 || strcmp(str_member(op, "kind"), "create") != 0 ||
	    schema_code_parse(code, NULL, NULL, NULL, NULL, &seq) || seq < CENTRAL_CODE_LO ||
	    seq > CENTRAL_CODE_HI)
		return NULL;
	return ds_asprintf("dossier numbers %04d-%04d are central's own block: an office may "
	                   "not create %s",
	                   CENTRAL_CODE_LO, CENTRAL_CODE_HI, code);
}

/* Why an op is refused before it is tried, or NULL when it may be tried. Sets *conflict
 * when the op does not rest on the current version, *hide when the refusal must not
 * show the dossier's version. reason is malloc'd. */
static char *screen(const central_auth *a, const char *node, const json_t *op, const current *c,
                    int *conflict, int *hide)
{
	const char *code = str_member(op, "code"), *kind = str_member(op, "kind"), *parent;
	char *why;
	int64_t base;

	*conflict = 0;
	*hide = 1;
	if ((why = agency_refusal(a, op, c)))
		return why;
	*hide = 0;
	if (strcmp(kind, "create") == 0 && c->found)
		return ds_asprintf("dossier %s already exists", code);
	if (strcmp(kind, "create") == 0)
		return reserved_refusal(node, op);
	if (!c->found)
		return ds_asprintf("dossier %s does not exist", code);
	base = json_integer_value(json_object_get(op, "base"));
	parent = json_string_value(json_object_get(op, "parent"));
	*conflict = !(base == c->version || (parent && strcmp(parent, c->last_op) == 0));
	return NULL;
}

/* The dossier row and the feed row of an applied op; *cursor: the feed row's. During a
 * push of protocol 2 the state's bytes go to s->own too. */
static int write_state(central_store *s, const char *node, const json_t *op, const json_t *state,
                       const char *ready, const current *c, int64_t *cursor)
{
	const char *code = str_member(op, "code"), *op_id = str_member(op, "op_id");
	const char *agency = str_member(state, "agency"), *now = c->now;
	int64_t version = c->version + 1;
	char *body = NULL;
	central_q *st;
	int rc;

	if (!ready && (rc = ds_json_canonical(state, &body, NULL)))
		return rc;
	if (!ready)
		ready = body;
	rc = DS_ERROR;
	if (!(st = central_stmt(s, ST_DOSSIER_PUT)))
		goto done;
	central_bind_text_ref(st, 1, code);
	central_bind_text_ref(st, 2, agency);
	central_bind_int(st, 3, json_integer_value(json_object_get(state, "status")));
	central_bind_text_ref(st, 4, json_string_value(json_object_get(state, "due_at")));
	central_bind_text_ref(st, 5, ready);
	central_bind_int(st, 6, version);
	central_bind_text_ref(st, 7, op_id);
	central_bind_text_ref(st, 8, now);
	if ((rc = central_step_done(s, st, "writing the dossier")))
		goto done;
	rc = DS_ERROR;
	if (!(st = central_stmt(s, ST_FEED_INSERT)))
		goto done;
	central_bind_text_ref(st, 1, code);
	central_bind_text_ref(st, 2, agency);
	central_bind_int(st, 3, version);
	central_bind_text_ref(st, 4, op_id);
	central_bind_text_ref(st, 5, node);
	central_bind_text_ref(st, 6, ready);
	central_bind_text_ref(st, 7, now);
	rc = central_insert_cursor(s, st, "appending to the feed", cursor);
	if (rc == 0 && s->own && (rc = ds_buf_add(s->own, ready, strlen(ready))) == 0)
		rc = ds_buf_add(s->own, "\n", 1);
done:
	free(body);
	return rc;
}

/* What schema_op_apply cannot know: the op's dossier must stay the op's code and agency. */
static int check_identity(const json_t *op, const json_t *state, const current *c)
{
	const char *code = str_member(op, "code"), *agency = str_member(state, "agency");

	if (strcmp(str_member(state, "code"), code) != 0)
		return ds_error_set(DS_EINVALID, "the dossier's code must be %s", code);
	if (c && c->found && strcmp(agency, c->agency) != 0)
		return ds_error_set(DS_EINVALID, "the agency of dossier %s cannot change", code);
	return 0;
}

/* schema_code_claim on the cached statement (inside the write transaction). */
static int claim(central_store *s, const char *code)
{
	return central_code_claim(s, code);
}

/* Remembers the state an applied op made, for the rest of the batch. state is stolen. */
static void cache_put(central_store *s, const json_t *op, json_t *state, int64_t version)
{
	json_t *e;

	if (!s->cache) {
		json_decref(state);
		return;
	}
	e = json_object();
	json_object_set_new(e, "agency", json_string(str_member(state, "agency")));
	json_object_set_new(e, "version", json_integer((json_int_t)version));
	json_object_set_new(e, "last_op", json_string(str_member(op, "op_id")));
	json_object_set_new(e, "state", state);
	json_object_set_new(s->cache, str_member(op, "code"), e);
}

/* The state op makes on c: worked out before the transaction for a create (p), here
 * otherwise. *ready: the state's canonical bytes when known (borrowed from p). */
static int new_state(const json_t *op, const current *c, const central_prep *p, json_t **state,
                     const char **ready)
{
	int rc;

	*ready = NULL;
	if (!c->found && p && p->create) {
		if (!p->state)
			return ds_error_set(DS_EINVALID, "%s", p->why);
		*state = json_incref(p->state);
		*ready = p->body;
		return 0;
	}
	*state = c->found ? json_deep_copy(c->state) : NULL;
	if ((rc = schema_op_apply_checked(state, op)))
		return rc;
	return check_identity(op, *state, c);
}

/* Applies op on c. 0: applied; DS_EINVALID: rejected (message set, nothing written);
 * other: the writes failed, and the whole push with them (its caller's savepoint or
 * transaction undoes what was written: no savepoint per op, whose journal would copy
 * every page an op touches). */
static int apply(central_store *s, const char *node, const json_t *op, current *c,
                 const central_prep *p, int64_t *cursor)
{
	json_t *state = NULL;
	const char *ready;
	int rc, create = !c->found;

	if ((rc = new_state(op, c, p, &state, &ready)))
		goto done;
	rc = write_state(s, node, op, state, ready, c, cursor);
	if (rc == 0 && create)
		rc = claim(s, str_member(op, "code"));
	if (rc == DS_EINVALID) /* a constraint of the store: not the op's fault */
		rc = ds_error_wrap(DS_ERROR, "storing op %s", str_member(op, "op_id"));
	if (rc == 0) {
		cache_put(s, op, state, c->version + 1);
		state = NULL;
	}
done:
	json_decref(state);
	return rc;
}

static int store_op(central_store *s, const char *node, const json_t *op, const central_prep *p,
                    const json_t *receipt, const char *now)
{
	central_q *st = central_stmt(s, ST_OP_INSERT);
	const char *entry = p->entry, *hash = p->hash;
	int rc;

	if (!st)
		return ds_error_code();
	central_bind_text_ref(st, 1, node);
	central_bind_int(st, 2, json_integer_value(json_object_get(op, "seq")));
	central_bind_text_ref(st, 3, str_member(op, "op_id"));
	central_bind_text_ref(st, 4, str_member(op, "code"));
	central_bind_text_ref(st, 5, str_member(op, "kind"));
	central_bind_text_ref(st, 6, entry);
	central_bind_text_ref(st, 7, hash);
	central_bind_text_ref(st, 8, str_member(receipt, "result"));
	central_bind_int(st, 9, json_integer_value(json_object_get(receipt, "version")));
	central_bind_text_ref(st, 10, json_string_value(json_object_get(receipt, "reason")));
	central_bind_text_ref(st, 11, now);
	rc = central_step_done(s, st, "storing the op");
	return rc;
}

/* The verdict for a new op, as a receipt; applies it when it is applied. */
static int verdict(central_store *s, const central_auth *a, const char *node, const json_t *op,
                   current *c, const central_prep *p, json_t **receipt)
{
	const char *op_id = str_member(op, "op_id");
	int64_t cursor = 0;
	char *why;
	int conflict, hide, rc;

	why = screen(a, node, op, c, &conflict, &hide);
	if (why) {
		*receipt =
		    receipt_new(op_id, sync_result_name(SYNC_REJECTED), hide ? 0 : c->version);
		json_object_set_new(*receipt, "reason", json_string(why));
		free(why);
		return 0;
	}
	if (conflict) {
		*receipt = receipt_new(op_id, sync_result_name(SYNC_CONFLICT), c->version);
		json_object_set(*receipt, "state", c->state);
		return 0;
	}
	rc = apply(s, node, op, c, p, &cursor);
	if (rc == DS_EINVALID) {
		*receipt = receipt_new(op_id, sync_result_name(SYNC_REJECTED), c->version);
		json_object_set_new(*receipt, "reason", json_string(ds_error_msg()));
		return 0;
	}
	if (rc == 0)
		*receipt = receipt_new(op_id, sync_result_name(SYNC_APPLIED), c->version + 1);
	if (rc == 0 && s->own) /* protocol 2: the receipts carry where the feed holds it */
		json_object_set_new(*receipt, "cursor", json_integer(cursor));
	return rc;
}

/* The canonical bytes of op's entry (the nine members of docs/PROTOCOL.md). body: the
 * canonical bytes of the payload when already known (a create whose dossier is its
 * payload unchanged), spliced in instead of serialising the payload a second time:
 * "payload" sorts between "parent" and "seq", the last member. */
static int entry_bytes(const json_t *op, const char *body, char **out, size_t *n)
{
	static const char *const fields[] = {"seq",  "op_id",  "code",  "kind",       "payload",
	                                     "base", "parent", "actor", "occurred_at"};
	json_t *entry = json_object();
	char *bare = NULL, *seq;
	size_t i;
	int rc;

	for (i = 0; i < DS_ARRAY_LEN(fields); i++)
		if (!body || strcmp(fields[i], "payload") != 0)
			json_object_set(entry, fields[i], json_object_get(op, fields[i]));
	rc = ds_json_canonical(entry, body ? &bare : out, n);
	json_decref(entry);
	if (rc || !body)
		return rc;
	for (seq = bare + strlen(bare) - 7; seq > bare && strncmp(seq, ",\"seq\":", 7); seq--)
		;
	*out = ds_asprintf("%.*s,\"payload\":%s%s", (int)(seq - bare), bare, body, seq);
	*n = strlen(*out);
	free(bare);
	return 0;
}

/* A create's dossier (schema_op_apply on no state) and its bytes, or why it fails. */
static int prepare_create(const json_t *op, central_prep *p)
{
	p->create = 1;
	if (schema_op_apply_checked(&p->state, op) == 0 && check_identity(op, p->state, NULL) == 0)
		return ds_json_canonical(p->state, &p->body, NULL);
	json_decref(p->state);
	p->state = NULL;
	p->why = ds_strdup(ds_error_msg());
	return 0;
}

int central_op_prepare(const json_t *op, const char *prev_hash, central_prep *p)
{
	const char *body = NULL;
	char head[DS_SHA256_HEX];
	size_t n = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	if (!prev_hash || strlen(prev_hash) != 64 || strspn(prev_hash, "0123456789abcdef") != 64)
		return ds_error_set(DS_EINVALID, "prev_hash: must be 64 lower-case hex digits");
	if (strcmp(str_member(op, "kind"), "create") == 0 && (rc = prepare_create(op, p)))
		return rc;
	/* The usual create: its dossier is its payload unchanged. Then the dossier shares the
	 * payload's tree (nothing changes either: states are copied before an op applies)
	 * instead of holding a second copy of every created dossier of the batch. */
	if (p->state && json_equal(p->state, json_object_get(op, "payload"))) {
		json_decref(p->state);
		p->state = json_incref(json_object_get(op, "payload"));
		body = p->body;
	}
	if ((rc = entry_bytes(op, body, &p->entry, &n)))
		return rc;
	memcpy(head, prev_hash, 64); /* the hash of an entry (docs/PROTOCOL.md) */
	head[64] = '\n';
	ds_sha256_hex2(head, 65, p->entry, n, p->hash);
	return 0;
}

void central_prep_release(central_prep *p)
{
	free(p->entry);
	json_decref(p->state);
	free(p->body);
	free(p->why);
	memset(p, 0, sizeof(*p));
}

int central_op_receive(central_store *s, const central_auth *a, const char *node, const json_t *op,
                       const central_prep *p, json_t **receipt)
{
	current c;
	int rc;

	*receipt = NULL;
	rc = current_load(s, str_member(op, "code"), &c);
	central_now(c.now);
	if (rc == 0)
		rc = verdict(s, a, node, op, &c, p, receipt);
	if (rc == 0)
		rc = store_op(s, node, op, p, *receipt, c.now);
	if (rc) {
		json_decref(*receipt);
		*receipt = NULL;
	}
	current_release(&c);
	return rc;
}

/* The state of code at version, from the feed (for a replayed conflict receipt). */
static int feed_state(central_store *s, const char *code, int64_t version, json_t **out)
{
	central_q *st = central_stmt(s, ST_FEED_STATE);
	const char *text;
	int rc;

	*out = NULL;
	if (!st)
		return ds_error_code();
	central_bind_text(st, 1, code);
	central_bind_int(st, 2, version);
	rc = central_step(st, "reading the feed");
	if (rc == 1) {
		text = central_col_text(st, 0);
		rc = ds_json_parse(text, strlen(text), out);
	} else if (rc == 0) {
		rc = ds_error_set(DS_ERROR, "no feed row for %s version %lld", code,
		                  (long long)version);
	}
	central_reset(st);
	return rc;
}

int central_op_receipt(central_store *s, const char *node, int64_t seq, json_t **receipt,
                       char hash[DS_SHA256_HEX])
{
	central_q *st = central_stmt(s, ST_OP_GET);
	char *op_id = ds_asprintf("%s:%lld", node, (long long)seq), *code = NULL;
	const char *result;
	json_t *r = NULL, *state = NULL;
	int64_t version = 0;
	int rc;

	if (receipt)
		*receipt = NULL;
	if (!st) {
		rc = ds_error_code();
		goto done;
	}
	central_bind_text(st, 1, node);
	central_bind_int(st, 2, seq);
	rc = central_step(st, "reading the op");
	if (rc != 1) {
		rc = rc == 0 ? ds_error_set(DS_ENOTFOUND, "op %s is not held", op_id) : rc;
		goto done;
	}
	snprintf(hash, DS_SHA256_HEX, "%s", central_col_text(st, 0));
	rc = 0;
	if (!receipt)
		goto done;
	result = central_col_text(st, 1);
	version = central_col_int(st, 2);
	r = receipt_new(op_id,
	                sync_result_parse(result) == SYNC_APPLIED ? sync_result_name(SYNC_DUPLICATE)
	                                                          : result,
	                version);
	if (!central_col_null(st, 3))
		json_object_set_new(r, "reason", json_string(central_col_text(st, 3)));
	code =
	    sync_result_parse(result) == SYNC_CONFLICT ? ds_strdup(central_col_text(st, 4)) : NULL;
	central_reset(st);
	rc = 0;
	if (code && (rc = feed_state(s, code, version, &state)) == 0)
		json_object_set_new(r, "state", state);
	if (rc == 0) {
		*receipt = r;
		r = NULL;
	}
done:
	if (st)
		central_reset(st);
	json_decref(r);
	free(code);
	free(op_id);
	return rc;
}
