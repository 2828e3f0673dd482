/* contact.c: what the server saw of each node's last request (when, its last error, where
 * its last pull ended), kept in memory by the request threads and written to the nodes
 * table by one thread of its own about once a second, and once more when the server
 * stops, so that no request waits for this bookkeeping. A failed write is logged and
 * counted (dossync_central_db_errors_total); the next contact writes the node again. */
#include "central/central_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLUSH_MS 1000

struct central_contacts {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int started; /* the thread runs */
	int stop;
	central_store *store; /* the thread's own connection */
	json_t *index;        /* node -> index into pending */
	central_contact *pending;
	size_t n, cap;
};

void central_contacts_note(central_contacts *cs, const central_contact *c)
{
	central_contact *p;
	json_t *at;

	if (!cs)
		return;
	pthread_mutex_lock(&cs->lock);
	at = json_object_get(cs->index, c->node);
	if (at) {
		p = &cs->pending[json_integer_value(at)];
		memcpy(p->at, c->at, sizeof(p->at));
		if (c->error[0])
			memcpy(p->error, c->error, sizeof(p->error));
		if (c->pull_cursor >= 0)
			p->pull_cursor = c->pull_cursor, p->pull_behind = c->pull_behind;
	} else {
		if (cs->n == cs->cap) {
			cs->cap = cs->cap ? 2 * cs->cap : 64;
			cs->pending = ds_realloc(cs->pending, cs->cap * sizeof(*cs->pending));
		}
		json_object_set_new(cs->index, c->node, json_integer((json_int_t)cs->n));
		cs->pending[cs->n++] = *c;
	}
	pthread_mutex_unlock(&cs->lock);
}

/* Writes the contacts taken from the pending list in one transaction. */
static void write_all(central_contacts *cs, const central_contact *list, size_t n)
{
	size_t i;
	int rc;

	if (!n)
		return;
	if ((rc = central_write_begin(cs->store)) == 0) {
		for (i = 0; rc == 0 && i < n; i++)
			rc = central_node_contact(cs->store, &list[i]);
		rc = central_write_end(cs->store, rc);
	}
	if (rc) {
		central_metrics_db_error();
		ds_log(DS_LOG_WARN, "noting %zu nodes' last contact: %s", n, ds_error_msg());
	}
}

/* Takes the pending list (under the lock) and writes it (without). */
static void flush(central_contacts *cs)
{
	central_contact *list;
	size_t n;

	pthread_mutex_lock(&cs->lock);
	list = cs->pending, n = cs->n;
	cs->pending = NULL, cs->n = cs->cap = 0;
	json_object_clear(cs->index);
	pthread_mutex_unlock(&cs->lock);
	write_all(cs, list, n);
	free(list);
}

static void *run(void *arg)
{
	central_contacts *cs = arg;
	struct timespec until;
	int stop = 0;

	while (!stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += FLUSH_MS / 1000;
		pthread_mutex_lock(&cs->lock);
		while (!cs->stop &&
		       pthread_cond_timedwait(&cs->wake, &cs->lock, &until) != ETIMEDOUT)
			;
		stop = cs->stop;
		pthread_mutex_unlock(&cs->lock);
		flush(cs);
	}
	return NULL;
}

int central_contacts_start(central_contacts **out, const char *db_path, pthread_mutex_t *write_lock)
{
	central_contacts *cs;
	int rc;

	*out = NULL;
	cs = ds_calloc(1, sizeof(*cs));
	if ((rc = central_store_open(&cs->store, db_path, 0))) {
		free(cs);
		return rc;
	}
	cs->store->write_lock = write_lock;
	cs->index = json_object();
	pthread_mutex_init(&cs->lock, NULL);
	pthread_cond_init(&cs->wake, NULL);
	if (pthread_create(&cs->thread, NULL, run, cs) != 0) {
		central_contacts_stop(cs);
		return ds_error_set(DS_ERROR, "cannot start the contact writer thread");
	}
	cs->started = 1;
	*out = cs;
	return 0;
}

void central_contacts_stop(central_contacts *cs)
{
	if (!cs)
		return;
	pthread_mutex_lock(&cs->lock);
	cs->stop = 1;
	pthread_cond_signal(&cs->wake);
	pthread_mutex_unlock(&cs->lock);
	if (cs->started)
		pthread_join(cs->thread, NULL);
	central_store_free(cs->store);
	json_decref(cs->index);
	free(cs->pending);
	pthread_mutex_destroy(&cs->lock);
	pthread_cond_destroy(&cs->wake);
	free(cs);
}
