/* sync_round.c: one sync round between the office and central: push every pending journal
 * op in bounded batches, store central's receipts, then pull the change feed page by page
 * until central has no more, applying each page to dossiers with nothing local pending.
 *
 *        agent_sync() (agent_sync_over(): the same over any agent_wire, wire.c)
 *             |
 *             v
 *     +--> PUSH --push_step()--> receipts stored (batch_settle) --more pending--+
 *     |       |  <-------------------------------------------------------------+
 *     |       | none pending
 *     |       v
 *     |     PULL --pull_page()--> page stored in inbox, rows updated (apply_page)
 *     |       |  <--- more == true
 *     |       | more == false
 *     |       v
 *     |   RECONCILE --agent_reconcile()--> merge ops appended for diverged dossiers
 *     |       |
 *     +-------+ new ops pending (merges, a clerk's changes) and rounds left
 *             |
 *             v
 *           DONE (last_sync_at)      any failure -> FAILED (last_error; DS_ERETRY, DS_EPERM)
 *
 * The push is a pipeline: two batches are on their way at once when the wire has a second
 * connection (agent/flight.c, a thread making each request), n+1 uploaded while central
 * applies n, while batch n+2 is read and encoded; n's answer is taken, n+2 sent at once on
 * n's connection, and n's receipts stored while n+1 and n+2 are on their way. Answers are
 * taken oldest first; a batch central took before the one it follows is refused (409) and
 * sent again after it. Batches are sized by the link (pace.c). A batch is marked sent only
 * by its receipts; a kill at any point leaves the rest pending, and a resend is answered
 * "duplicate". The client, outcome keys and clock check are in round_client.c.
 *
 * Network I/O happens without the writer lock; each store write takes it briefly, so
 * clerks keep working during a long sync. sync.lock keeps two rounds from overlapping.
 */
#include "agent/agent_int.h"
#include "sync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUNDS 8

/* Loads ops from seq `from` on, up to max_bytes of payload (at least one op); *bytes gets
 * the payload counted. */
static int load_batch(agent *a, int64_t from, long max_bytes, json_t **ops,
                      char prev[DS_SHA256_HEX], char last[DS_SHA256_HEX], long *bytes)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*ops = json_array();
	rc = agent_stmt_get(a, ST_JOURNAL_FROM, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int(st, 2, SYNC_MAX_BATCH_OPS);
	*bytes = 0;
	while (*bytes < max_bytes && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (json_array_size(*ops) == 0)
			snprintf(prev, DS_SHA256_HEX, "%s",
			         (const char *)sqlite3_column_text(st, 9));
		snprintf(last, DS_SHA256_HEX, "%s", (const char *)sqlite3_column_text(st, 10));
		*bytes += sqlite3_column_bytes(st, 4) + 200;
		json_array_append_new(*ops, journal_row_to_op(st));
	}
	rc =
	    rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "journal");
	agent_stmt_put(st);
	return rc;
}

/* A rejected op will never reach central: the dossier goes back to central's state
 * (the op stays in the journal and in status as quarantined). */
static int settle_rejected(agent *a, int64_t seq)
{
	sqlite3_stmt *st = NULL;
	char *code = NULL;
	int rc;

	if ((rc = agent_stmt_get(a, ST_JOURNAL_CODE, &st)))
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		code = ds_strdup((const char *)sqlite3_column_text(st, 0));
	rc = rc == SQLITE_ROW ? 0
	     : rc == SQLITE_DONE
	         ? ds_error_set(DS_EINVALID, "central rejected op %lld, which the journal lacks",
	                        (long long)seq)
	         : ds_error_sqlite(agent_db(a), rc, "journal");
	agent_stmt_put(st);
	if (!rc)
		rc = agent_settle_from_inbox(a, code);
	free(code);
	return rc;
}

static int store_one(agent *a, sqlite3_stmt *ver, const json_t *r, int64_t seq, const char *now)
{
	const char *result = json_string_value(json_object_get(r, "result"));
	json_t *v = json_object_get(r, "version"), *reason = json_object_get(r, "reason");
	enum agent_result k = AGENT_PENDING;
	int rc;

	/* "superseded" is the agent's own word, never central's */
	if (!result || agent_result_parse(result, &k) || k == AGENT_PENDING ||
	    k == AGENT_SUPERSEDED)
		return ds_error_set(DS_EINVALID, "central sent a receipt of unknown kind");
	if ((rc = journal_receipt_put(a, seq, result,
	                              json_is_integer(v) ? json_integer_value(v) : -1,
	                              json_string_value(reason), now)))
		return rc;
	if (k == AGENT_REJECTED)
		return settle_rejected(a, seq);
	if (k != AGENT_APPLIED && k != AGENT_DUPLICATE)
		return 0;
	/* The local row now rests on this central version if this op was its last change. */
	sqlite3_reset(ver);
	sqlite3_bind_int64(ver, 1, json_integer_value(v));
	sqlite3_bind_int64(ver, 2, seq);
	rc = sqlite3_step(ver);
	return rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "receipts");
}

/* Stores the receipts of the batch [first, first + n) in one transaction, or in steps of
 * AGENT_STEP when a clerk waits for the lock (the receipts stored are a prefix of the
 * journal at every commit: a crash between steps leaves the rest to be sent again). */
static int store_receipts(agent *a, const json_t *receipts, int64_t first, size_t n)
{
	sqlite3_stmt *ver = NULL;
	char now[DS_TIME_LEN], want[160];
	size_t i;
	int rc;

	if (json_array_size(receipts) != n)
		return ds_error_set(DS_ERROR, "central answered %zu receipts for %zu ops",
		                    json_array_size(receipts), n);
	ds_time_format(ds_time_now(), DS_TZ_VN, now);
	if ((rc = agent_lock(a, -1)) || (rc = ds_db_begin(agent_db(a))))
		goto done;
	rc = agent_stmt_get(a, ST_ROW_VERSION_ACK, &ver);
	for (i = 0; !rc && i < n; i++) {
		const json_t *r = json_array_get(receipts, i);
		snprintf(want, sizeof(want), "%s:%lld", a->cfg.node,
		         (long long)(first + (int64_t)i));
		if (!json_is_string(json_object_get(r, "op_id")) ||
		    strcmp(json_string_value(json_object_get(r, "op_id")), want) != 0)
			rc = ds_error_set(DS_ERROR, "central's receipt %zu is not for op %s", i,
			                  want);
		else
			rc = store_one(a, ver, r, first + (int64_t)i, now);
		/* a clerk waiting for the lock gets in between steps (store.c) */
		if (!rc && i % AGENT_STEP == AGENT_STEP - 1 && i + 1 < n)
			rc = agent_tx_yield(a);
	}
	if (!rc)
		rc = ds_db_commit(agent_db(a));
done:
	if (rc)
		ds_db_rollback(agent_db(a));
	agent_stmt_put(ver);
	agent_unlock(a);
	return rc;
}

static void count_receipts(const json_t *receipts, agent_sync_stats *st)
{
	size_t i;
	json_t *r;

	json_array_foreach(receipts, i, r)
	{
		enum agent_result k;
		/* store_receipts has refused any other word */
		if (agent_result_parse(json_string_value(json_object_get(r, "result")), &k))
			continue;
		st->applied += k == AGENT_APPLIED;
		st->duplicate += k == AGENT_DUPLICATE;
		st->conflict += k == AGENT_CONFLICT;
		st->rejected += k == AGENT_REJECTED;
	}
}

/* A batch of the push: the ops from seq `from` on, and their body as sent. */
typedef struct batch {
	int64_t from;
	json_t *ops;
	size_t n;
	long bytes; /* the payload as load_batch counts it */
	ds_buf body;
} batch;

static void batch_release(batch *b)
{
	json_decref(b->ops);
	ds_buf_release(&b->body);
	b->ops = NULL;
	b->n = 0;
}

/* Loads and encodes the batch from seq `from` on, up to max_bytes; b->n is 0 when nothing
 * is pending. */
static int batch_make(agent *a, int64_t from, long max_bytes, batch *b)
{
	char prev[DS_SHA256_HEX] = "", last[DS_SHA256_HEX] = "";
	int rc;

	batch_release(b);
	b->from = from;
	if ((rc = load_batch(a, from, max_bytes, &b->ops, prev, last, &b->bytes)))
		return rc;
	if ((b->n = json_array_size(b->ops)) == 0)
		return 0;
	return sync_push_encode(a->cfg.node, prev, last, b->ops, &b->body);
}

/* Stores what central answered for b: the receipts, its head of our chain, the echo. */
static int batch_settle(agent *a, const batch *b, const json_t *receipts, const sync_head *head,
                        agent_sync_stats *st)
{
	int rc;

	if ((rc = store_receipts(a, receipts, b->from, b->n)))
		return rc;
	if (head->known && (rc = agent_check_tail(a, head->seq, head->hash)))
		return rc;
	if ((rc = agent_echo_take(a, b->ops, receipts, &head->echo, st))) /* echo.c */
		return rc;
	count_receipts(receipts, st);
	st->pushed += (int64_t)b->n;
	st->batches++;
	ds_progress_add(a->progress, (int64_t)b->n);
	return 0;
}

/* A batch on its way and the flight carrying it, on its own connection. */
typedef struct lane {
	agent_flight f;
	batch b;
	void *ctx;
} lane;

/* The push as a pipeline: up to `lanes` batches on their way at once (two when the wire
 * has a second connection), q[o] the oldest and q[1 - o] the one after it (k of them),
 * while `next` (the ops from seq `at` on) is loaded and encoded. Answers are taken and
 * receipts stored oldest first, so the journal is settled in order. */
typedef struct pusher {
	agent *a;
	const agent_wire *w;
	agent_sync_stats *st;
	agent_pace pace;
	lane q[2];
	int o, k, lanes, stop;
	batch next;
	int64_t at;        /* the seq the next batch starts at */
	int64_t settled;   /* the seq after the last batch settled, -1 before the first */
	int64_t resent_at; /* the seq central last asked us to resend from */
	int64_t raced_at;  /* the batch last sent again after it overtook the one before it */
} pusher;

static const batch batch_none = {0, NULL, 0, 0, DS_BUF_INIT};

/* Loads and encodes `next` from p->at on (n 0 when nothing is pending). */
static int make_next(pusher *p)
{
	int rc = batch_make(p->a, p->at, agent_pace_next(&p->pace), &p->next);

	p->at = p->next.from + (int64_t)p->next.n;
	return rc;
}

/* Sends `next` on the free lane, unless the round is cancelled (then nothing more is sent
 * and the batches on their way are still settled). */
static void fly_next(pusher *p)
{
	lane *l = &p->q[(p->o + p->k) % 2];

	if ((p->stop = p->stop || agent_cancelled(p->a)) || !p->next.n || p->k == p->lanes)
		return;
	batch_release(&l->b);
	l->b = p->next;
	p->next = batch_none;
	agent_flight_send(&l->f, p->w, l->ctx, &l->b.body);
	p->k++;
}

/* Drops every answer still due and starts again at `from` with `again` (the batch from
 * there, already encoded) or with a batch made anew (again NULL). */
static void restart(pusher *p, int64_t from, batch *again)
{
	for (; p->k; p->k--, p->o = 1 - p->o) {
		agent_flight_land(&p->q[p->o].f);
		batch_release(&p->q[p->o].b);
	}
	batch_release(&p->next);
	if (again) {
		p->next = *again;
		*again = batch_none;
	}
	p->at = p->next.n ? p->next.from + (int64_t)p->next.n : from;
}

/* The oldest batch was refused (409) with central expecting seq `expected`, before it. It
 * overtook the batch before it (central took its request first; that one's receipts are
 * stored): sent again, alone in front, it cannot be refused for a gap again. Otherwise
 * central holds less of our journal than we thought (restored from a backup): everything
 * is sent again from where it stands, once per seq. */
static int refused(pusher *p, batch *b, int64_t expected)
{
	if (p->settled == b->from && p->raced_at != b->from) {
		ds_log(DS_LOG_DEBUG,
		       "push batch at seq %lld overtook the one before it: sent again",
		       (long long)b->from);
		p->raced_at = b->from;
		restart(p, b->from, b);
		return 0;
	}
	if (p->resent_at == expected)
		return ds_error_set(DS_ERROR,
		                    "central keeps refusing our journal at seq %lld: is the "
		                    "journal forked?",
		                    (long long)expected);
	ds_log(DS_LOG_WARN, "central expects seq %lld; resending from there", (long long)expected);
	p->resent_at = expected;
	restart(p, expected, NULL);
	return 0;
}

/* Takes the oldest batch's answer, sends `next` on the lane it frees at once, and stores
 * the receipts while the batches after it fly. */
static int take_oldest(pusher *p)
{
	lane *l = &p->q[p->o];
	json_t *receipts = NULL;
	int64_t expected = 0;
	sync_head head;
	batch done;
	int rc = agent_flight_wait(&l->f, &receipts, &expected, &head);

	done = l->b;
	l->b = batch_none;
	p->o = 1 - p->o;
	p->k--;
	ds_log(DS_LOG_DEBUG, "push batch: %zu ops, %ld KiB, answered in %lld ms", done.n,
	       done.bytes >> 10, (long long)l->f.ms);
	if (rc == DS_ECONFLICT && expected >= 1 && expected < done.from)
		rc = refused(p, &done, expected);
	else if (!rc) {
		agent_pace_note(&p->pace, done.bytes, l->f.ms);
		fly_next(p);
		rc = batch_settle(p->a, &done, receipts, &head, p->st);
		p->settled = done.from + (int64_t)done.n;
	}
	json_decref(receipts);
	batch_release(&done);
	return rc;
}

/* Keeps the lanes full until nothing is pending and every answer is stored. */
static int push_run(pusher *p)
{
	int rc = 0;

	for (;;) {
		if (!p->next.n && !p->stop && (rc = make_next(p)))
			return rc;
		if (p->next.n && p->k < p->lanes && !p->stop) {
			fly_next(p);
			continue;
		}
		if (!p->k)
			return p->stop ? agent_cancelled(p->a) : 0;
		if ((rc = take_oldest(p)))
			return rc;
	}
}

int agent_push_over(agent *a, const agent_wire *w, agent_sync_stats *st)
{
	pusher p;
	int64_t pending = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	p.a = a;
	p.w = w;
	p.st = st;
	p.q[0].b = p.q[1].b = p.next = batch_none;
	p.q[0].ctx = w->ctx;
	p.q[1].ctx = w->ctx2 ? w->ctx2 : w->ctx;
	p.lanes = w->ctx2 ? 2 : 1;
	p.settled = -1;
	if (!(rc = journal_first_pending(a, &p.at)) && !(rc = agent_pending_ops(a, &pending)))
		ds_progress_begin(a->progress, "push", pending);
	agent_pace_init(&p.pace, a->cfg.batch_bytes, pending);
	if (!rc)
		rc = push_run(&p);
	restart(&p, 0, NULL); /* after a failure: the answers still due are dropped */
	ds_progress_end(a->progress);
	return rc;
}

int agent_push_two(agent *a, sync_client *c, sync_client *c2, agent_sync_stats *st)
{
	agent_wire w;

	agent_wire_client(&w, c);
	w.ctx2 = c2;
	return agent_push_over(a, &w, st);
}

int agent_push(agent *a, sync_client *c, agent_sync_stats *st)
{
	return agent_push_two(a, c, NULL, st);
}

/* Records the round's outcome; a round that failed keeps its own error, and a failure to
 * record is added to it (or is the error of a round that went well). */
static int finish_round(agent *a, int rc)
{
	char msg[1024];
	int wrc;

	snprintf(msg, sizeof(msg), "%s", rc ? ds_error_msg() : "");
	if ((wrc = agent_record_outcome(a, rc, msg, NULL, NULL)) == 0)
		return rc ? ds_error_set(rc, "%s", msg) : 0;
	if (rc == 0)
		return wrc;
	return ds_error_set(rc, "%s (and the outcome could not be recorded: %s)", msg,
	                    ds_error_msg());
}

static int rounds(agent *a, const agent_wire *w, agent_sync_stats *st)
{
	int64_t pending = 0;
	int i, rc = 0;

	for (i = 0; i < MAX_ROUNDS && !rc; i++) {
		if ((rc = agent_push_over(a, w, st)) || (rc = agent_pull_over(a, w, st)))
			break;
		if ((rc = agent_reconcile(a, st)))
			break;
		if ((rc = agent_pending_ops(a, &pending)) || pending == 0)
			break;
	}
	return rc;
}

/* The counters of c and c2 (the push's second connection) into st. */
static void count_wire(agent_sync_stats *st, const sync_client *c, const sync_client *c2)
{
	const sync_counters *k = sync_client_counters(c);

	st->bytes_up = k->bytes_up;
	st->bytes_down = k->bytes_down;
	st->requests = k->requests;
	if (!c2)
		return;
	k = sync_client_counters(c2);
	st->bytes_up += k->bytes_up;
	st->bytes_down += k->bytes_down;
	st->requests += k->requests;
}

/* w NULL: a client from the config, with a second one for a second push in flight (the
 * push goes one batch at a time without it), whose counters go into st and whose clock
 * check is recorded (agent_clock_note). */
static int run(agent *a, const agent_wire *w, agent_sync_stats *st)
{
	sync_client *c = NULL, *c2 = NULL;
	agent_wire own;
	int rc = 0;

	if (!w && (rc = agent_client_new(a, &c)) == 0) {
		agent_wire_client(&own, c);
		agent_client_second(a, &c2);
		own.ctx2 = c2;
		w = &own;
	}
	if (!rc)
		rc = rounds(a, w, st);
	if (!rc && !(rc = agent_upload_over(a, w, st)) && a->cfg.prefetch_own)
		agent_prefetch(a, w); /* attachments only after the records (upload.c, fetch.c) */
	if (c) {
		rc = agent_clock_note(a, c, rc);
		count_wire(st, c, c2);
	}
	rc = finish_round(a, rc);
	sync_client_free(c2);
	sync_client_free(c);
	return rc;
}

int agent_sync_over(agent *a, const agent_wire *w, agent_sync_stats *st)
{
	int fd = -1, rc;
	long holder = 0;

	memset(st, 0, sizeof(*st));
	rc = agent_lock_file(a, "sync.lock", 0, &fd, &holder);
	if (rc == DS_ERETRY)
		return ds_error_set(DS_ERETRY, "a sync round is already running on %s (pid %ld)",
		                    a->dir, holder);
	if (rc)
		return rc;
	rc = run(a, w, st);
	agent_unlock_file(&fd);
	return rc;
}

int agent_sync(agent *a, agent_sync_stats *st)
{
	return agent_sync_over(a, NULL, st);
}
