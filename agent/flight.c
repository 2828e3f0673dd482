/* flight.c: one push on its way to central while the round goes on. agent_flight_send
 * hands a batch's body to a thread that makes the wire's push call; the round meanwhile
 * stores the previous batch's receipts and encodes the next batch, and agent_flight_wait
 * takes the answer. At most one push is in flight, so central sees the batches in order,
 * exactly as one after the other. The thread touches no store (SQLite connections are per
 * thread) and takes no lock; its error message is carried back to the waiting thread.
 */
#include "agent/agent_int.h"

#include <stdio.h>
#include <string.h>

static void fly(agent_flight *f)
{
	f->receipts = NULL;
	f->expected = 0;
	memset(&f->head, 0, sizeof(f->head));
	f->ms = ds_clock_ms();
	f->rc = f->w->push(f->w->ctx, f->body, &f->receipts, &f->expected, &f->head);
	snprintf(f->msg, sizeof(f->msg), "%s", f->rc ? ds_error_msg() : "");
	f->ms = ds_clock_ms() - f->ms;
}

static void *fly_thread(void *arg)
{
	fly(arg);
	return NULL;
}

void agent_flight_send(agent_flight *f, const agent_wire *w, const ds_buf *body)
{
	f->w = w;
	f->body = body;
	f->busy = 1;
	/* Without a thread the push is made here and now: slower, never wrong. */
	f->threaded = pthread_create(&f->thread, NULL, fly_thread, f) == 0;
	if (!f->threaded)
		fly(f);
}

int agent_flight_wait(agent_flight *f, json_t **receipts, int64_t *expected_seq, sync_head *head)
{
	*receipts = NULL;
	if (!f->busy)
		return ds_error_set(DS_ERROR, "push: no batch is on its way");
	if (f->threaded)
		pthread_join(f->thread, NULL);
	f->busy = 0;
	*receipts = f->receipts;
	*expected_seq = f->expected;
	*head = f->head;
	f->receipts = NULL;
	return f->rc ? ds_error_set(f->rc, "%s", f->msg) : 0;
}

void agent_flight_land(agent_flight *f)
{
	json_t *receipts = NULL;
	int64_t expected = 0;
	sync_head head;
	char saved[1024];
	int code = ds_error_code();

	if (!f->busy)
		return;
	snprintf(saved, sizeof(saved), "%s", ds_error_msg());
	agent_flight_wait(f, &receipts, &expected, &head);
	json_decref(receipts);
	ds_error_set(code, "%s", saved); /* the caller's error stays the round's */
}
