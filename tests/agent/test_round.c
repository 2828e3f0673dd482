/* test_round.c: the sync round's logic against a fake central. The round reaches central
 * only through an agent_wire (agent/wire.c); here its calls go to a fake that decodes each
 * push, answers receipts as scripted (applied once per op, duplicate on a re-send, or a
 * conflict, a rejection, a failure before or after it applied, a batch that overtook the
 * one before it refused for the gap as central does), and serves a change feed page by
 * page. Each test checks what the office store holds afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <unistd.h>

#include "tests/agent/fixture.h"

#define DOSSIER                                                                                    \
	"{\"procedure\": {\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\"},"            \
	" \"field\": \"HT\", \"channel\": 1,"                                                      \
	" \"applicant\": {\"name\": \"Phạm Ngọc Giang\", \"id_number\": \"068337861984\"},"    \
	" \"summary\": \"Đăng ký khai sinh cho con\","                                          \
	" \"received_at\": \"2024-04-14T07:00:00+07:00\","                                         \
	" \"due_at\": \"2024-04-16T17:00:00+07:00\", \"status\": 2}"

/* How the fake central answers one push. */
enum fail_mode {
	FAIL_NONE,     /* answer the receipts */
	FAIL_BEFORE,   /* the link fails before central sees the batch */
	FAIL_AFTER,    /* central applies the batch, then the answer is lost */
	FAIL_OVERTAKE, /* the batch from seq 1 waits until a later one was refused (409) */
};

typedef struct central {
	json_t *receipts; /* op_id -> the receipt central stored for it */
	json_t *verdicts; /* op_id -> "conflict" or "rejected" instead of applying */
	json_t *feed;     /* the change feed, cursors 1, 2, ... */
	int push_calls, pull_calls;
	int fail_call; /* the push call (1-based) that fails, 0: none */
	enum fail_mode fail;
	int applied;                         /* ops central applied, each once */
	volatile sig_atomic_t *cancel_after; /* raised after the first push answered */
	pthread_mutex_t lock;                /* two pushes may come at once (wire.ctx2) */
	pthread_cond_t turn;
	int64_t held;  /* the journal central holds: 1..held */
	int overtaken; /* FAIL_OVERTAKE: a batch was refused for a gap */
} central;

typedef struct fx {
	char *dir, *dir2;
	agent *a, *b; /* b: a second office PC, only to make valid states for the feed */
	central c;
	agent_wire w;
	volatile sig_atomic_t cancel;
} fx;

/* ---------------------------------------------------------------- the fake central */
static json_t *receipt_for(central *c, const json_t *op)
{
	const char *id = json_string_value(json_object_get(op, "op_id"));
	const char *verdict = json_string_value(json_object_get(c->verdicts, id));
	json_t *r = json_object_get(c->receipts, id);

	if (r) /* a re-sent op: the stored receipt, applied read back as duplicate */
		return json_pack("{s:s,s:s,s:O}", "op_id", id, "result", "duplicate", "version",
		                 json_object_get(r, "version"));
	if (verdict && !strcmp(verdict, "conflict"))
		r = json_pack("{s:s,s:s,s:i,s:{s:s}}", "op_id", id, "result", "conflict", "version",
		              7, "state", "code", json_string_value(json_object_get(op, "code")));
	else if (verdict)
		r = json_pack("{s:s,s:s,s:s}", "op_id", id, "result", "rejected", "reason",
		              "the move is not allowed");
	else
		r = json_pack("{s:s,s:s,s:i}", "op_id", id, "result", "applied", "version",
		              ++c->applied);
	json_object_set(c->receipts, id, r);
	return r;
}

static int64_t op_seq(const json_t *op)
{
	const char *id = json_string_value(json_object_get(op, "op_id"));

	return strtoll(strchr(id, ':') + 1, NULL, 10);
}

/* FAIL_OVERTAKE: the batch from seq 1 waits (5 s at most) for a later batch to be refused;
 * a batch past the journal central holds is refused as central refuses a gap. */
static int overtake(central *c, const json_t *ops, int64_t *expected_seq)
{
	int64_t first = op_seq(json_array_get(ops, 0));
	struct timespec until;

	if (first == 1 && !c->overtaken) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		while (!c->overtaken && pthread_cond_timedwait(&c->turn, &c->lock, &until) == 0)
			;
	}
	if (first <= c->held + 1)
		return 0;
	c->overtaken = 1;
	pthread_cond_broadcast(&c->turn);
	*expected_seq = c->held + 1;
	return ds_error_set(DS_ECONFLICT, "journal gap at seq %lld (fake)", (long long)first);
}

static int push_locked(central *c, const ds_buf *body, json_t **receipts, int64_t *expected_seq)
{
	json_t *doc = NULL, *op;
	size_t i;
	int rc = 0;

	c->push_calls++;
	if (c->fail_call == c->push_calls && c->fail == FAIL_BEFORE)
		return ds_error_set(DS_ERETRY, "central unreachable (fake)");
	assert_int_equal(sync_push_decode(body->ptr, body->len, &doc), 0);
	if (c->fail == FAIL_OVERTAKE &&
	    (rc = overtake(c, json_object_get(doc, "ops"), expected_seq)))
		goto done;
	*receipts = json_array();
	json_array_foreach(json_object_get(doc, "ops"), i, op)
	{
		json_array_append_new(*receipts, receipt_for(c, op));
		if (op_seq(op) > c->held)
			c->held = op_seq(op);
	}
	if (c->cancel_after)
		*c->cancel_after = 1;
	if (c->fail_call == c->push_calls && c->fail == FAIL_AFTER) {
		json_decref(*receipts);
		*receipts = NULL;
		rc = ds_error_set(DS_ERETRY, "the answer was lost (fake)");
	}
done:
	json_decref(doc);
	return rc;
}

static int fake_push(void *ctx, const ds_buf *body, json_t **receipts, int64_t *expected_seq,
                     sync_head *head)
{
	central *c = ctx;
	int rc;

	*receipts = NULL;
	*expected_seq = 0;
	memset(head, 0, sizeof(*head));
	pthread_mutex_lock(&c->lock);
	rc = push_locked(c, body, receipts, expected_seq);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Changes with cursor > since, at most limit; states in full, no head, no own_sha256. */
static int fake_pull(void *ctx, int64_t since, int limit, const char *node, json_t **changes,
                     int64_t *next, int *more, char own_sha256[DS_SHA256_HEX], sync_head *head)
{
	central *c = ctx;
	size_t i, n = json_array_size(c->feed);

	(void)node;
	c->pull_calls++;
	own_sha256[0] = '\0';
	if (head)
		memset(head, 0, sizeof(*head));
	*changes = json_array();
	*next = since;
	for (i = (size_t)since; i < n && json_array_size(*changes) < (size_t)limit; i++) {
		json_array_append(*changes, json_array_get(c->feed, i));
		*next = (int64_t)i + 1;
	}
	*more = (size_t)*next < n;
	return 0;
}

static int fake_page_data(void *ctx, json_t **data)
{
	(void)ctx;
	*data = NULL; /* this central distributes no calendar or catalogue */
	return 0;
}

static int fake_data(void *ctx, const json_t *have, json_t **files)
{
	(void)ctx;
	(void)have;
	*files = NULL;
	fail_msg("the round asked for data files no page offered");
	return DS_ERROR;
}

/* ---------------------------------------------------------------- fixture */
static int setup(void **state)
{
	fx *f = ds_calloc(1, sizeof(*f));

	f->a = fixture_store(&f->dir, "xa1");
	f->c.receipts = json_object();
	f->c.verdicts = json_object();
	f->c.feed = json_array();
	pthread_mutex_init(&f->c.lock, NULL);
	pthread_cond_init(&f->c.turn, NULL);
	f->w = (agent_wire){&f->c, fake_push, fake_pull, fake_page_data, fake_data, NULL,
	                    NULL,  NULL,      NULL};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	fixture_remove(f->a, f->dir);
	if (f->b)
		fixture_remove(f->b, f->dir2);
	json_decref(f->c.receipts);
	json_decref(f->c.verdicts);
	json_decref(f->c.feed);
	pthread_mutex_destroy(&f->c.lock);
	pthread_cond_destroy(&f->c.turn);
	free(f);
	return 0;
}

/* Records n new dossiers on a (one op each); codes[i] gets each code when codes is set. */
static void create(agent *a, int n, char **codes)
{
	int i;

	for (i = 0; i < n; i++) {
		json_t *d = NULL;
		char *code = NULL;
		assert_int_equal(ds_json_parse(DOSSIER, strlen(DOSSIER), &d), 0);
		assert_int_equal(agent_lock(a, -1), 0);
		if (agent_create(a, d, &code))
			fail_msg("create: %s", ds_error_msg());
		agent_unlock(a);
		json_decref(d);
		if (codes)
			codes[i] = code;
		else
			free(code);
	}
}

static int64_t status_int(agent *a, const char *key)
{
	json_t *s = NULL;
	int64_t v;

	assert_int_equal(agent_status(a, &s), 0);
	assert_true(json_is_integer(json_object_get(s, key)));
	v = json_integer_value(json_object_get(s, key));
	json_decref(s);
	return v;
}

/* The sync_state value of key, "" when unset. */
static char *state_of(agent *a, const char *key)
{
	char *v = NULL;

	assert_int_equal(agent_state_get(a, key, &v), 0);
	return v ? v : ds_strdup("");
}

static void assert_state_has(agent *a, const char *key, const char *want)
{
	char *v = state_of(a, key);

	if (!strstr(v, want))
		fail_msg("%s is \"%s\", not containing \"%s\"", key, v, want);
	free(v);
}

static void assert_state_unset(agent *a, const char *key)
{
	char *v = state_of(a, key);

	if (v[0])
		fail_msg("%s is \"%s\", not unset", key, v);
	free(v);
}

/* ---------------------------------------------------------------- tests */
/* Three ops pushed, all applied: nothing pending, each row at the version central gave,
 * the round recorded as a success. */
static void test_push_applied(void **state)
{
	fx *f = *state;
	agent_sync_stats st;
	char *codes[3];
	int64_t version = 0;
	json_t *d = NULL;
	int i;

	create(f->a, 3, codes);
	assert_int_equal(agent_sync_over(f->a, &f->w, &st), 0);
	assert_int_equal(st.pushed, 3);
	assert_int_equal(st.applied, 3);
	assert_int_equal(st.batches, 1);
	assert_int_equal(f->c.applied, 3);
	assert_int_equal(status_int(f->a, "pending_ops"), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(agent_get(f->a, codes[i], &d, &version, NULL), 0);
		assert_int_equal(version, i + 1);
		json_decref(d);
		free(codes[i]);
	}
	assert_state_has(f->a, "last_success_at", "+07:00");
	assert_state_unset(f->a, "last_error");
	assert_int_equal(f->c.pull_calls, 1);
}

/* A conflict receipt is stored as such and waits for a merge; the other op is applied. */
static void test_push_conflict(void **state)
{
	fx *f = *state;
	agent_sync_stats st;
	int64_t unmerged = -1;

	memset(&st, 0, sizeof(st));
	create(f->a, 2, NULL);
	json_object_set_new(f->c.verdicts, "xa1:2", json_string("conflict"));
	assert_int_equal(agent_push_over(f->a, &f->w, &st), 0);
	assert_int_equal(st.applied, 1);
	assert_int_equal(st.conflict, 1);
	assert_int_equal(agent_unmerged(f->a, &unmerged), 0);
	assert_int_equal(unmerged, 1);
	assert_int_equal(status_int(f->a, "conflict_ops"), 1);
	assert_int_equal(status_int(f->a, "pending_ops"), 0);
}

/* A rejected op is quarantined: counted as rejected, no longer pending, never re-sent. */
static void test_push_rejected(void **state)
{
	fx *f = *state;
	agent_sync_stats st;

	memset(&st, 0, sizeof(st));
	create(f->a, 2, NULL);
	json_object_set_new(f->c.verdicts, "xa1:1", json_string("rejected"));
	assert_int_equal(agent_push_over(f->a, &f->w, &st), 0);
	assert_int_equal(st.rejected, 1);
	assert_int_equal(st.applied, 1);
	assert_int_equal(status_int(f->a, "rejected_ops"), 1);
	assert_int_equal(status_int(f->a, "pending_ops"), 0);
	assert_int_equal(agent_push_over(f->a, &f->w, &st), 0);
	assert_int_equal(f->c.push_calls, 1);
}

/* Central applied the batch but its answer was lost: the round fails and the ops stay
 * pending; the next round re-sends them and takes the stored receipts (duplicate), and
 * central applied each op once. */
static void test_lost_receipt(void **state)
{
	fx *f = *state;
	agent_sync_stats st;

	create(f->a, 3, NULL);
	f->c.fail_call = 1;
	f->c.fail = FAIL_AFTER;
	assert_int_equal(agent_sync_over(f->a, &f->w, &st), DS_ERETRY);
	assert_int_equal(st.pushed, 0);
	assert_int_equal(status_int(f->a, "pending_ops"), 3);
	assert_state_has(f->a, "last_error", "answer was lost");
	assert_int_equal(agent_sync_over(f->a, &f->w, &st), 0);
	assert_int_equal(st.pushed, 3);
	assert_int_equal(st.duplicate, 3);
	assert_int_equal(st.applied, 0);
	assert_int_equal(f->c.applied, 3);
	assert_int_equal(status_int(f->a, "pending_ops"), 0);
	assert_state_unset(f->a, "last_error");
}

/* Two dossiers of another PC come in two pages (limit 1): both stored at central's
 * version, the cursor at the last change. */
static void test_pull_pages(void **state)
{
	fx *f = *state;
	agent_sync_stats st;
	char *codes[2], *cursor;
	int64_t version = 0;
	json_t *d = NULL;
	int i;

	f->b = fixture_store(&f->dir2, "xa2");
	create(f->b, 2, codes);
	for (i = 0; i < 2; i++) {
		char op_id[16];
		assert_int_equal(agent_get(f->b, codes[i], &d, &version, NULL), 0);
		snprintf(op_id, sizeof(op_id), "xa2:%d", i + 1);
		json_array_append_new(f->c.feed,
		                      json_pack("{s:i,s:s,s:i,s:s,s:s,s:o}", "cursor", i + 1,
		                                "code", codes[i], "version", 1, "op_id", op_id,
		                                "node", "xa2", "state", d));
	}
	memset(&st, 0, sizeof(st));
	f->a->pull_limit = 1;
	assert_int_equal(agent_pull_over(f->a, &f->w, &st), 0);
	assert_int_equal(st.pulled, 2);
	assert_true(st.pages >= 2);
	cursor = state_of(f->a, "cursor");
	assert_string_equal(cursor, "2");
	free(cursor);
	for (i = 0; i < 2; i++) {
		assert_int_equal(agent_get(f->a, codes[i], &d, &version, NULL), 0);
		assert_int_equal(version, 1);
		json_decref(d);
		free(codes[i]);
	}
}

/* The stop flag raised during the first batch: the round ends DS_ERETRY "cancelled"
 * before the next, that batch's receipts stored, the rest still pending. */
static void test_cancelled(void **state)
{
	fx *f = *state;
	agent_sync_stats st;

	create(f->a, 3, NULL);
	f->a->cfg.batch_bytes = 1; /* one op per batch */
	f->a->cancel = &f->cancel;
	f->c.cancel_after = &f->cancel;
	assert_int_equal(agent_sync_over(f->a, &f->w, &st), DS_ERETRY);
	assert_non_null(strstr(ds_error_msg(), "cancelled"));
	assert_int_equal(f->c.push_calls, 1);
	assert_int_equal(st.pushed, 1);
	assert_int_equal(status_int(f->a, "pending_ops"), 2);
	assert_int_equal(f->c.pull_calls, 0);
	assert_state_has(f->a, "last_error", "cancelled");
}

/* The second batch fails: the first batch's receipts stay committed, the round reports
 * the error and records it. */
static void test_second_batch_error(void **state)
{
	fx *f = *state;
	agent_sync_stats st;

	create(f->a, 3, NULL);
	f->a->cfg.batch_bytes = 1;
	f->c.fail_call = 2;
	f->c.fail = FAIL_BEFORE;
	assert_int_equal(agent_sync_over(f->a, &f->w, &st), DS_ERETRY);
	assert_non_null(strstr(ds_error_msg(), "central unreachable"));
	assert_int_equal(st.pushed, 1);
	assert_int_equal(st.batches, 1);
	assert_int_equal(f->c.applied, 1);
	assert_int_equal(status_int(f->a, "pending_ops"), 2);
	assert_state_has(f->a, "last_error", "central unreachable");
	assert_state_has(f->a, "last_error_at", "+07:00");
}

/* Two pushes in flight (a second connection): batch 2 reaches central before batch 1 and
 * is refused for the gap (409, expected_seq 1); batch 1 is applied, batch 2 is sent again
 * after it, and every op is applied once, in order, none lost. */
static void test_overtaken_batch(void **state)
{
	fx *f = *state;
	agent_sync_stats st;

	memset(&st, 0, sizeof(st));
	create(f->a, 3, NULL);
	f->a->cfg.batch_bytes = 1; /* one op a batch */
	f->c.fail = FAIL_OVERTAKE;
	f->w.ctx2 = &f->c;
	assert_int_equal(agent_push_over(f->a, &f->w, &st), 0);
	assert_true(f->c.overtaken);
	assert_int_equal(st.pushed, 3);
	assert_int_equal(st.applied, 3);
	assert_int_equal(st.duplicate, 0);
	assert_int_equal(f->c.applied, 3);
	assert_int_equal(f->c.held, 3);
	assert_true(f->c.push_calls >= 4);
	assert_int_equal(status_int(f->a, "pending_ops"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_push_applied, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_push_conflict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_push_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lost_receipt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pull_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancelled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_batch_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overtaken_batch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
