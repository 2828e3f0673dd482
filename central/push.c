/* push.c: POST /v1/push without the HTTP: the node binding, the journal chain check, and
 * one receipt per op, all in one write transaction that commits before any answer.
 *
 * The chain check (docs/PROTOCOL.md "POST /v1/push"): central holds entries 1..L of the
 * node. A batch starting past L+1 is a gap (409, expected_seq L+1). Its prev_hash must be
 * the hash central holds for entry first_seq-1 (genesis for 1), the hash of every entry it
 * already holds must be the one recomputed from the batch, and the recomputed chain must
 * end at the batch's "hash"; otherwise the office journal was rewritten or forked (409).
 */
#include "central/central_int.h"
#include "sync/sync.h"

#include <stdlib.h>
#include <string.h>

typedef struct batch {
	int v; /* the protocol version the push was written for */
	const char *node;
	int64_t first_seq;
	const char *prev_hash;
	const char *hash;
	const json_t *ops;
	size_t n;
	central_prep *prep; /* per op: hash, entry bytes, a create's dossier */
} batch;

/* A push waiting for the group's writer (server.c sets s->group). */
struct central_job {
	const central_auth *a;
	const batch *b;
	json_t *receipts; /* set when rc is 0 */
	int64_t expected_seq;
	int64_t node_seq; /* the node's head once written (rc 0) */
	char node_hash[DS_SHA256_HEX];
	sync_echo echo; /* protocol 2: where the feed holds the applied ops */
	int rc;
	char *msg; /* the error message when rc is not 0 */
	int done;
	central_job *next;
};
static int fork_error(int64_t seq, int64_t *expected_seq, int64_t last)
{
	*expected_seq = last + 1;
	return ds_error_set(DS_ECONFLICT,
	                    "journal chain mismatch at seq %lld: the office journal was "
	                    "rewritten or forked",
	                    (long long)seq);
}

/* Reads the document's members and checks every op's shape. */
static int batch_read(batch *b, const json_t *push)
{
	size_t i;
	json_t *op;
	int rc;

	memset(b, 0, sizeof(*b));
	b->v = json_is_integer(json_object_get(push, "v"))
	           ? (int)json_integer_value(json_object_get(push, "v"))
	           : SYNC_PROTOCOL_MIN;
	b->node = json_string_value(json_object_get(push, "node"));
	b->first_seq = json_integer_value(json_object_get(push, "first_seq"));
	b->prev_hash = json_string_value(json_object_get(push, "prev_hash"));
	b->hash = json_string_value(json_object_get(push, "hash"));
	b->ops = json_object_get(push, "ops");
	if (!b->node || !b->node[0] || !b->prev_hash || !b->hash || !json_is_array(b->ops))
		return ds_error_set(DS_EINVALID,
		                    "push: node, prev_hash, hash and ops are required");
	if (b->first_seq < 1)
		return ds_error_set(DS_EINVALID, "push: first_seq must be 1 or more");
	b->n = json_array_size(b->ops);
	if (b->n == 0)
		return ds_error_set(DS_EINVALID, "push: the batch has no ops");
	if (b->n > SYNC_MAX_BATCH_OPS)
		return ds_error_set(DS_ETOOBIG, "push: %zu ops, more than the %d allowed", b->n,
		                    SYNC_MAX_BATCH_OPS);
	json_array_foreach(b->ops, i, op)
	{
		if ((rc = schema_op_check(op)))
			return ds_error_wrap(rc, "op %lld", (long long)b->first_seq + (long long)i);
		if (json_integer_value(json_object_get(op, "seq")) != b->first_seq + (int64_t)i)
			return ds_error_set(DS_EINVALID, "op %zu: seq out of order", i);
	}
	return 0;
}

/* Everything about the ops that does not depend on what central holds, done before the
 * write transaction (CPU only): the chain from prev_hash, each entry's canonical bytes,
 * and the dossier each create makes. */
static int batch_prepare(batch *b)
{
	const char *prev = b->prev_hash;
	size_t i;
	int rc;

	b->prep = ds_calloc(b->n, sizeof(*b->prep));
	for (i = 0; i < b->n; i++) {
		if ((rc = central_op_prepare(json_array_get(b->ops, i), prev, &b->prep[i])))
			return rc;
		prev = b->prep[i].hash;
	}
	return 0;
}

static void batch_release(batch *b)
{
	size_t i;

	for (i = 0; b->prep && i < b->n; i++)
		central_prep_release(&b->prep[i]);
	free(b->prep);
	b->prep = NULL;
}

/* Only the node's token may push as it. A node central does not know yet is bound to this
 * token here, and push_locked undoes it all unless an op of the batch applies. */
static int bind_node(central_store *s, const central_auth *a, const batch *b, central_head *h)
{
	int rc;

	if (strcmp(b->node, CENTRAL_NODE) == 0)
		return ds_error_set(DS_EPERM, "node %s is central's own", CENTRAL_NODE);
	if ((rc = central_head_get(s, b->node, h)))
		return rc;
	if (!h->found)
		return central_head_bind(s, b->node, a->token_id, a->province ? NULL : a->agency);
	return central_node_token_check(s, a, h->token_id, b->node);
}

/* A new node is bound only by a batch in which an op was accepted: applied, or answered
 * `conflict` (a valid op on a dossier of the token's own agency, which the office will
 * merge). One whose ops are all refused leaves nothing behind (no binding, no chain), so a
 * token cannot squat a name with ops that do not count. */
static int bind_earned(const batch *b, const central_head *h, const json_t *receipts)
{
	const char *res;
	size_t i;
	json_t *r;

	if (h->found)
		return 0;
	json_array_foreach(receipts, i, r)
	{
		res = json_string_value(json_object_get(r, "result"));
		if (sync_result_parse(res) == SYNC_APPLIED ||
		    sync_result_parse(res) == SYNC_CONFLICT)
			return 0;
	}
	return ds_error_set(DS_EPERM,
	                    "node %s is not bound to any token and no op of the batch was "
	                    "accepted: a node is bound by its first applied op, or at token "
	                    "issue (dossync-central token add --node, or node move)",
	                    b->node);
}

static int check_chain(central_store *s, const batch *b, const central_head *h,
                       int64_t *expected_seq)
{
	char held[DS_SHA256_HEX];
	int64_t seq, last = b->first_seq + (int64_t)b->n - 1;
	int rc;

	if (b->first_seq > h->last_seq + 1) {
		*expected_seq = h->last_seq + 1;
		return ds_error_set(DS_ECONFLICT,
		                    "journal gap: central holds node %s up to seq %lld; the batch "
		                    "starts at seq %lld",
		                    b->node, (long long)h->last_seq, (long long)b->first_seq);
	}
	if (b->first_seq == 1)
		snprintf(held, sizeof(held), "%s", schema_genesis_hash);
	else if ((rc = central_op_receipt(s, b->node, b->first_seq - 1, NULL, held)))
		return rc;
	if (strcmp(held, b->prev_hash) != 0)
		return fork_error(b->first_seq, expected_seq, h->last_seq);
	for (seq = b->first_seq; seq <= h->last_seq && seq <= last; seq++) {
		if ((rc = central_op_receipt(s, b->node, seq, NULL, held)))
			return rc;
		if (strcmp(held, b->prep[seq - b->first_seq].hash) != 0)
			return fork_error(seq, expected_seq, h->last_seq);
	}
	if (strcmp(b->prep[b->n - 1].hash, b->hash) != 0)
		return fork_error(last, expected_seq, h->last_seq);
	return 0;
}

static int receive_all(central_store *s, const central_auth *a, const batch *b,
                       const central_head *h, json_t *receipts)
{
	char held[DS_SHA256_HEX];
	json_t *r;
	size_t i;
	int64_t seq;
	int rc;

	for (i = 0; i < b->n; i++) {
		seq = b->first_seq + (int64_t)i;
		if (seq <= h->last_seq)
			rc = central_op_receipt(s, b->node, seq, &r, held);
		else
			rc = central_op_receive(s, a, b->node, json_array_get(b->ops, i),
			                        &b->prep[i], &r);
		if (rc)
			return rc;
		json_array_append_new(receipts, r);
	}
	seq = b->first_seq + (int64_t)b->n - 1;
	if (seq > h->last_seq)
		return central_head_advance(s, b->node, seq, b->prep[b->n - 1].hash);
	return 0;
}

/* The node's head after the batch: its last entry, or what was held when the batch
 * brought nothing new. */
static void head_after(const batch *b, const central_head *h, central_job *j)
{
	int64_t last = b->first_seq + (int64_t)b->n - 1;

	j->node_seq = last > h->last_seq ? last : h->last_seq;
	snprintf(j->node_hash, sizeof(j->node_hash), "%s",
	         last > h->last_seq ? b->prep[b->n - 1].hash : h->last_hash);
}

/* The echo members of a push that applied ops (docs/PROTOCOL.md "Receipts carry the
 * echo"): the last cursor the token sees before the first applied op, and the hash of
 * the states the ops made (own). Nothing when no op was applied. */
static int echo_make(central_store *s, const central_auth *a, const json_t *receipts,
                     const ds_buf *own, sync_echo *e)
{
	central_q *st = central_stmt(s, a->province ? ST_FEED_BEFORE_ALL : ST_FEED_BEFORE_AGENCY);
	const json_t *r;
	int64_t first = 0;
	size_t i;
	int rc;

	memset(e, 0, sizeof(*e));
	json_array_foreach(receipts, i, r)
	{
		if (!first && json_is_integer(json_object_get(r, "cursor")))
			first = json_integer_value(json_object_get(r, "cursor"));
	}
	if (!first || !own->len)
		return 0;
	if (!st)
		return ds_error_code();
	central_bind_int(st, 1, first);
	if (!a->province)
		central_bind_text(st, 2, a->agency);
	rc = central_step(st, "reading the feed");
	if (rc == 1)
		e->before = central_col_int(st, 0);
	central_reset(st);
	if (rc < 0)
		return rc;
	ds_sha256_hex(own->ptr, own->len, e->sha256);
	e->known = 1;
	return 0;
}

/* The part of a push that needs the store, inside the caller's write transaction. */
static int push_locked(central_store *s, central_job *j)
{
	const central_auth *a = j->a;
	const batch *b = j->b;
	json_t *out = json_array();
	ds_buf own = DS_BUF_INIT;
	central_head h;
	int rc;

	s->cache = json_object();
	s->own = b->v >= 2 ? &own : NULL;
	rc = bind_node(s, a, b, &h);
	if (rc == 0)
		rc = check_chain(s, b, &h, &j->expected_seq);
	if (rc == 0)
		rc = receive_all(s, a, b, &h, out);
	if (rc == 0)
		rc = bind_earned(b, &h, out);
	if (rc == 0 && s->own)
		rc = echo_make(s, a, out, &own, &j->echo);
	json_decref(s->cache);
	s->cache = NULL;
	s->own = NULL;
	ds_buf_release(&own);
	if (rc == 0) {
		head_after(b, &h, j);
		j->receipts = out;
		out = NULL;
	}
	json_decref(out);
	return rc;
}

static int step(central_store *s, enum central_stmt_id id)
{
	central_q *st = central_stmt(s, id);

	return st ? central_step_done(s, st, "savepoint") : ds_error_code();
}

static void job_fail(central_job *j, int rc)
{
	json_decref(j->receipts);
	j->receipts = NULL;
	j->rc = rc;
	free(j->msg);
	j->msg = ds_strdup(ds_error_msg());
}

/* One job inside the group's transaction, in its own savepoint: a refused push (4xx)
 * leaves nothing behind and spoils none of the others. Returns a failure that lost the
 * whole transaction (0 otherwise). */
static int group_one(central_store *s, central_job *j)
{
	int rc;

	if ((rc = step(s, ST_PUSH_SAVEPOINT)))
		return rc;
	j->rc = push_locked(s, j);
	if (j->rc == 0)
		return step(s, ST_PUSH_RELEASE);
	job_fail(j, j->rc);
	if (central_txn_lost(s)) /* the engine rolled the transaction back */
		return ds_error_set(j->rc, "%s", j->msg);
	if ((rc = step(s, ST_PUSH_ROLLBACK_TO)) == 0)
		rc = step(s, ST_PUSH_RELEASE);
	return rc;
}

/* Writes the jobs of list in one transaction and commits once. A failure of the
 * transaction itself (begin, storage, commit) fails every job that had succeeded. */
static void group_write(central_store *s, central_job *list)
{
	central_job *j;
	char *msg = NULL;
	int rc = central_write_begin(s);

	if (rc == 0) {
		for (j = list; rc == 0 && j; j = j->next)
			rc = group_one(s, j);
		if (rc)
			msg = ds_strdup(ds_error_msg());
		rc = central_write_end(s, rc);
		if (msg)
			ds_error_set(rc, "%s", msg);
	}
	for (j = list; rc && j; j = j->next)
		if (j->rc == 0)
			job_fail(j, rc);
	free(msg);
}

/* The group's writer connection, opened on first use with the caller's settings; the
 * caller's own connection when it cannot be opened (the push still goes through). */
static central_store *group_writer(central_group *g, central_store *s)
{
	central_store *w = NULL;

	if (g->writer)
		return g->writer;
	if (central_store_open(&w, s->where, 0) != 0)
		return s;
	w->write_lock = s->write_lock;
	central_store_writer_tune(w);
	g->writer = w;
	return w;
}

/* Queues the job; the first push to find no writer becomes the writer and writes every
 * push waiting at that moment (its own among them), then hands over to the next. */
static int group_run(central_store *s, central_job *job)
{
	central_group *g = s->group;
	central_job *list;

	pthread_mutex_lock(&g->lock);
	if (g->tail)
		g->tail->next = job;
	else
		g->head = job;
	g->tail = job;
	while (!job->done) {
		if (g->busy) {
			pthread_cond_wait(&g->done, &g->lock);
			continue;
		}
		g->busy = 1;
		list = g->head;
		g->head = g->tail = NULL;
		pthread_mutex_unlock(&g->lock);
		group_write(group_writer(g, s), list);
		pthread_mutex_lock(&g->lock);
		for (; list; list = list->next)
			list->done = 1;
		g->busy = 0;
		pthread_cond_broadcast(&g->done);
	}
	pthread_mutex_unlock(&g->lock);
	return job->rc ? ds_error_set(job->rc, "%s", job->msg) : 0;
}

int central_push(central_store *s, const central_auth *a, const json_t *push, json_t **receipts,
                 int64_t *expected_seq)
{
	char hash[DS_SHA256_HEX];
	int64_t seq;

	return central_push_head(s, a, push, receipts, expected_seq, &seq, hash);
}

int central_push_head(central_store *s, const central_auth *a, const json_t *push,
                      json_t **receipts, int64_t *expected_seq, int64_t *node_seq,
                      char node_hash[DS_SHA256_HEX])
{
	sync_head head;
	int rc = central_push_answer(s, a, push, receipts, expected_seq, &head);

	*node_seq = head.seq;
	snprintf(node_hash, DS_SHA256_HEX, "%s", head.hash);
	return rc;
}

int central_push_answer(central_store *s, const central_auth *a, const json_t *push,
                        json_t **receipts, int64_t *expected_seq, sync_head *head)
{
	central_job job = {0};
	batch b = {0};
	int rc;

	*receipts = NULL;
	*expected_seq = 0;
	memset(head, 0, sizeof(*head));
	if ((rc = batch_read(&b, push)) || (rc = batch_prepare(&b)))
		goto done;
	job.a = a;
	job.b = &b;
	if (s->group) {
		rc = group_run(s, &job);
	} else if ((rc = central_write_begin(s)) == 0) {
		rc = push_locked(s, &job);
		rc = central_write_end(s, rc);
	}
	*expected_seq = job.expected_seq;
	head->known = rc == 0;
	head->seq = job.node_seq;
	snprintf(head->hash, DS_SHA256_HEX, "%s", job.node_hash);
	head->echo = job.echo;
	if (rc == 0) {
		*receipts = job.receipts;
		job.receipts = NULL;
	}
done:
	json_decref(job.receipts);
	free(job.msg);
	batch_release(&b);
	return rc;
}

int central_node_head(central_store *s, const central_auth *a, const char *node, int64_t *seq,
                      char hash[DS_SHA256_HEX])
{
	central_head h;
	int rc;

	*seq = 0;
	snprintf(hash, DS_SHA256_HEX, "%s", schema_genesis_hash);
	if ((rc = central_head_get(s, node, &h)))
		return rc;
	if (h.found && (rc = central_node_token_check(s, a, h.token_id, node)))
		return rc;
	*seq = h.last_seq;
	snprintf(hash, DS_SHA256_HEX, "%s", h.last_hash);
	return 0;
}
