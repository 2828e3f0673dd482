/* flight.c: one request on its way to central while the round goes on. A push
 * (agent_flight_send): a thread makes the wire's push call while the round stores the
 * previous batch's receipts and encodes the next batch; a pull (agent_flight_pull): the
 * next page is asked while the round applies the one before it. The *_wait / page call
 * takes the answer. One flight carries one request at a time on its own connection; the
 * push keeps two flights on two connections (sync_round.c), and central's chain check
 * keeps their batches in order. The thread touches no store (SQLite connections are per
 * thread) and takes no lock; its error message is carried back to the waiting thread.
 */
#include "agent/agent_int.h"

#include <stdio.h>
#include <string.h>

static void fly(agent_flight *f)
{
	const agent_wire *w = f->w;

	f->doc = NULL;
	f->expected = 0;
	memset(&f->head, 0, sizeof(f->head));
	f->ms = ds_clock_ms();
	if (f->body)
		f->rc = w->push(f->ctx, f->body, &f->doc, &f->expected, &f->head);
	else
		f->rc = w->pull(f->ctx, f->since, f->limit, f->node, &f->doc, &f->next, &f->more,
		                f->want, &f->head);
	snprintf(f->msg, sizeof(f->msg), "%s", f->rc ? ds_error_msg() : "");
	f->ms = ds_clock_ms() - f->ms;
}

static void *fly_thread(void *arg)
{
	fly(arg);
	return NULL;
}

static void start(agent_flight *f)
{
	f->busy = 1;
	/* Without a thread the request is made here and now: slower, never wrong. */
	f->threaded = pthread_create(&f->thread, NULL, fly_thread, f) == 0;
	if (!f->threaded)
		fly(f);
}

void agent_flight_send(agent_flight *f, const agent_wire *w, void *ctx, const ds_buf *body)
{
	f->w = w;
	f->ctx = ctx;
	f->body = body;
	start(f);
}

void agent_flight_pull(agent_flight *f, const agent_wire *w, int64_t since, int limit,
                       const char *node)
{
	f->w = w;
	f->ctx = w->ctx;
	f->body = NULL;
	f->since = since;
	f->limit = limit;
	f->node = node;
	start(f);
}

/* Joins the thread; the answer's document becomes the caller's. */
static int land(agent_flight *f, json_t **doc)
{
	*doc = NULL;
	if (!f->busy)
		return ds_error_set(DS_ERROR, "sync: no request is on its way");
	if (f->threaded)
		pthread_join(f->thread, NULL);
	f->busy = 0;
	*doc = f->doc;
	f->doc = NULL;
	return f->rc ? ds_error_set(f->rc, "%s", f->msg) : 0;
}

int agent_flight_wait(agent_flight *f, json_t **receipts, int64_t *expected_seq, sync_head *head)
{
	int rc = land(f, receipts);

	*expected_seq = f->expected;
	*head = f->head;
	return rc;
}

int agent_flight_page(agent_flight *f, json_t **changes, int64_t *next, int *more,
                      char want[DS_SHA256_HEX], sync_head *head)
{
	int rc = land(f, changes);

	*next = f->next;
	*more = f->more;
	memcpy(want, f->want, DS_SHA256_HEX);
	*head = f->head;
	return rc;
}

void agent_flight_land(agent_flight *f)
{
	json_t *doc = NULL;
	char saved[1024];
	int code = ds_error_code();

	if (!f->busy)
		return;
	snprintf(saved, sizeof(saved), "%s", ds_error_msg());
	land(f, &doc);
	json_decref(doc);
	ds_error_set(code, "%s", saved); /* the caller's error stays the round's */
}
