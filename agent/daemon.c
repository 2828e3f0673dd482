/* daemon.c: `dossync daemon`, the background service of an office PC. It holds
 * DIR/daemon.lock for its whole life, watches the journal for new changes, runs a sync
 * round (push, pull, reconcile) soon after each one and every pull_interval seconds, and
 * backs off with full jitter while central cannot be reached. systemd supervises it.
 *
 *     start: daemon.lock taken (else exit 75), signals installed, first round at once
 *        |
 *        v
 *      IDLE --(journal max seq grew | pull timer | SIGHUP: reload())--> ROUND (sync_once)
 *        ^      polled every TICK_MS                                     |
 *        |                                                               |
 *        +---- ok: backoff reset, batch x2 (adapt_batch), pull timer <---+
 *        |                                                               |
 *      BACKOFF <--- DS_ERETRY and any other failure: batch /2 when a ----+
 *        |          push died on the way (adapt_batch), timer =         |
 *        |          sync_backoff_fail()                                  |
 *        +--timer--> ROUND                                               | DS_EPERM
 *                                                                        v
 *      REFUSED (logged loudly, kept in `status`): no retry until SIGHUP, a new token
 *        file, or REFUSED_RETRY_MS
 *
 *      IDLE with history behind the rounds' marks --(no round due)--> HISTORY STEP
 *        (history_step: one agent_history_step, at most AGENT_HISTORY_STEP dossiers under
 *        the writer lock), then IDLE again: a round or a stop comes first between steps;
 *        a failed step is logged and tried again after pull_interval.
 *
 *      any state --SIGTERM/SIGINT--> STOP: the request in flight is cancelled (sync
 *      client cancel flag), every store write being one transaction; exit 0.
 */
#include "agent/agent_int.h"
#include "conflict/conflict.h"
#include "sync/sync.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TICK_MS 300                    /* how often the journal's max seq is read */
#define MAX_PASSES 8                   /* push/pull/reconcile passes in one round */
#define MIN_BATCH_BYTES (16L << 10)    /* the batch never shrinks below this */
#define REFUSED_RETRY_MS (3600 * 1000) /* after a token refusal: one try an hour */
#define DIRTY_DELAY_MS 1000            /* ops left after a good round: again after this */
#define START_LOCK_WAIT_MS 500         /* covers a `status` probing the lock right then */

static volatile sig_atomic_t stop_signal, hup_signal;

enum { ST_IDLE, ST_BACKOFF, ST_REFUSED };
static const char *const state_names[] = {"idle", "backoff", "refused"};

struct daemon {
	agent *a;
	long batch_max; /* batch_bytes from the config; the batch adapts below it */
	sync_backoff bo;
	int state;         /* ST_* */
	int dirty;         /* the last good round left ops pending */
	int64_t seen_seq;  /* journal ops up to here need no round */
	int64_t next_ms;   /* idle: next pull; backoff/refused: next try (ds_clock_ms) */
	struct stat token; /* the token file when central refused it */
	int64_t rounds;
	int hist_more;        /* the history catch-up may have steps left */
	int64_t hist_next_ms; /* no step before this (after a failed one) */
	int64_t hist_steps;   /* steps of the catch-up under way, for its log line */
	int64_t hist_t0;      /* when it started (ds_clock_ms) */
};

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void on_hup(int sig)
{
	hup_signal = sig;
}

static int stopping(void)
{
	if (!stop_signal)
		return 0;
	return ds_error_set(DS_ERETRY, "stopping on signal %d", (int)stop_signal);
}

/* Re-reads DIR/config. office and node name the journal, so they may not change. */
static int reload(struct daemon *d)
{
	char *p = ds_path_join(d->a->dir, "config");
	ds_buf text = DS_BUF_INIT;
	agent_config c;
	int rc;

	agent_config_init(&c);
	rc = ds_file_read(p, 1 << 20, &text);
	if (!rc)
		rc = agent_config_parse(&c, text.ptr, p);
	if (!rc && (!c.office || !c.node || !c.central))
		rc = ds_error_set(DS_EINVALID, "%s: office, node and central must be set", p);
	if (!rc && (strcmp(c.office, d->a->cfg.office) || strcmp(c.node, d->a->cfg.node)))
		rc = ds_error_set(DS_EINVALID,
		                  "%s: office and node cannot change under an "
		                  "existing journal",
		                  p);
	if (!rc) {
		agent_config_release(&d->a->cfg);
		d->a->cfg = c;
		d->batch_max = c.batch_bytes;
	} else {
		agent_config_release(&c);
	}
	ds_buf_release(&text);
	free(p);
	return rc;
}

/* The batch adapts to the link: halved after a failed push, doubled after a good round. */
static void adapt_batch(struct daemon *d, int push_failed)
{
	long b = d->a->cfg.batch_bytes,
	     lo = d->batch_max < MIN_BATCH_BYTES ? d->batch_max : MIN_BATCH_BYTES;

	b = push_failed ? b / 2 : b * 2;
	if (b < lo)
		b = lo;
	if (b > d->batch_max)
		b = d->batch_max;
	if (b != d->a->cfg.batch_bytes)
		ds_log(DS_LOG_DEBUG, "push batch %ld KiB", b >> 10);
	d->a->cfg.batch_bytes = b;
}

/* The bytes the round's clients sent. */
static uint64_t sent_up(const sync_client *c, const sync_client *c2)
{
	return sync_client_counters(c)->bytes_up + (c2 ? sync_client_counters(c2)->bytes_up : 0);
}

/* The counters of the round's clients into st. */
static void count_round(agent_sync_stats *st, const sync_client *c, const sync_client *c2)
{
	st->requests = sync_client_counters(c)->requests;
	st->bytes_up = sent_up(c, c2);
	st->bytes_down = sync_client_counters(c)->bytes_down;
	if (c2) {
		st->requests += sync_client_counters(c2)->requests;
		st->bytes_down += sync_client_counters(c2)->bytes_down;
	}
}

/* One round under sync.lock: push, pull and reconcile until nothing is pending (a few
 * passes at most). *push_failed tells a push failed after bytes went out. */
static int sync_once(struct daemon *d, agent_sync_stats *st, int *push_failed)
{
	sync_client *c = NULL, *c2 = NULL;
	int64_t pending = 0;
	long holder = 0;
	int fd = -1, i, rc;

	memset(st, 0, sizeof(*st));
	*push_failed = 0;
	rc = agent_lock_file(d->a, "sync.lock", 0, &fd, &holder);
	if (rc == DS_ERETRY)
		return ds_error_set(DS_ERETRY, "a sync round is already running on %s (pid %ld)",
		                    d->a->dir, holder);
	if (rc || (rc = agent_client_new(d->a, &c)))
		goto done;
	sync_client_set_cancel(c, &stop_signal);
	agent_client_second(d->a, &c2); /* a second push in flight (sync_round.c) */
	if (c2)
		sync_client_set_cancel(c2, &stop_signal);
	for (i = 0; i < MAX_PASSES; i++) {
		uint64_t sent = sent_up(c, c2);
		if ((rc = agent_push_two(d->a, c, c2, st))) {
			/* A batch too big for the link dies on the way; a link that is down (no
			 * byte went out) says nothing about the batch size. */
			*push_failed = sent_up(c, c2) > sent;
			break;
		}
		if ((rc = stopping()) || (rc = agent_pull(d->a, c, st)) || (rc = stopping()) ||
		    (rc = agent_reconcile(d->a, st)) || (rc = agent_pending_ops(d->a, &pending)) ||
		    pending == 0)
			break;
	}
	if (!rc && !(rc = stopping())) /* attachments after the records (upload.c) */
		rc = agent_upload(d->a, c, st);
	rc = agent_clock_note(d->a, c, rc);
	count_round(st, c, c2);
done:
	sync_client_free(c2);
	sync_client_free(c);
	/* history.git is opened again next round: never a stale view of it in between. */
	conflict_history_free(d->a->hist);
	d->a->hist = NULL;
	agent_unlock_file(&fd);
	return rc;
}

/* What `status` reads: the outcome (the same keys as `dossync sync`) and the plan. When
 * that cannot be written the log says so: the daemon has no other caller to tell. */
static void record(struct daemon *d, int rc, const char *error)
{
	char next[DS_TIME_LEN];
	int64_t wait_s = (d->next_ms - ds_clock_ms()) / 1000;

	ds_time_format(ds_time_now() + (wait_s > 0 ? wait_s : 0), DS_TZ_VN, next);
	if (agent_record_outcome(d->a, rc, error, state_names[d->state], next))
		ds_log(DS_LOG_ERROR, "the round's outcome could not be recorded: %s",
		       ds_error_msg());
}

static void token_stat(const agent *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	if (a->cfg.token_file && stat(a->cfg.token_file, st) != 0)
		memset(st, 0, sizeof(*st));
}

/* A refused token waits for a new one: the token file replaced or rewritten. */
static int token_changed(const struct daemon *d)
{
	struct stat now;

	token_stat(d->a, &now);
	return now.st_ino != d->token.st_ino || now.st_size != d->token.st_size ||
	       now.st_mtim.tv_sec != d->token.st_mtim.tv_sec ||
	       now.st_mtim.tv_nsec != d->token.st_mtim.tv_nsec;
}

static void log_stats(int level, const char *head, const agent_sync_stats *s, int64_t pending,
                      double secs, const char *tail)
{
	ds_log(level,
	       "%s: pushed %lld (%lld applied, %lld duplicate, %lld conflict, %lld rejected), "
	       "pulled %lld, merged %lld, %lld for a person; pending %lld; %.1f s, %llu "
	       "requests; %s",
	       head, (long long)s->pushed, (long long)s->applied, (long long)s->duplicate,
	       (long long)s->conflict, (long long)s->rejected, (long long)s->pulled,
	       (long long)s->merged, (long long)s->queued, (long long)pending, secs,
	       (unsigned long long)s->requests, tail);
}

/* Decides what comes after a round that ended with rc, logs the round's one line and
 * records the outcome. */
static void after_round(struct daemon *d, int rc, const agent_sync_stats *s, int push_failed,
                        int64_t seq0, double secs)
{
	char err[1024], tail[1400];
	int64_t now = ds_clock_ms(), seq1 = -1, pending = -1;
	int prc;

	snprintf(err, sizeof(err), "%s", rc ? ds_error_msg() : "");
	/* A store that cannot read its journal or count its pending ops fails the round:
	 * retried with backoff. */
	if (((prc = journal_max_seq(d->a, &seq1)) || (prc = agent_pending_ops(d->a, &pending))) &&
	    !rc) {
		rc = prc;
		snprintf(err, sizeof(err), "%s", ds_error_msg());
	}
	if (rc == 0) {
		sync_backoff_reset(&d->bo);
		adapt_batch(d, 0);
		d->state = ST_IDLE;
		d->dirty = pending > 0;
		d->seen_seq = pending == 0 && seq1 >= 0 ? seq1 : seq0;
		d->next_ms = now + (d->dirty ? DIRTY_DELAY_MS : d->a->cfg.pull_interval_s * 1000LL);
		snprintf(tail, sizeof(tail), "next pull in %lld s",
		         (long long)(d->next_ms - now + 999) / 1000);
		log_stats(DS_LOG_INFO, "sync ok", s, pending, secs, tail);
	} else if (rc == DS_EPERM) {
		d->state = ST_REFUSED;
		d->next_ms = now + REFUSED_RETRY_MS;
		token_stat(d->a, &d->token);
		snprintf(err + strlen(err), sizeof(err) - strlen(err),
		         " -- NOT RETRYING: a person must fix this (the token in token_file of "
		         "%s/config, the node's token on central, central's certificate), then "
		         "reload the daemon (SIGHUP); it also tries again when the token file "
		         "changes, and in an hour",
		         d->a->dir);
		snprintf(tail, sizeof(tail), "REFUSED: %s", err);
		log_stats(DS_LOG_ERROR, "sync refused", s, pending, secs, tail);
	} else {
		int64_t delay = sync_backoff_fail(&d->bo);
		if (push_failed)
			adapt_batch(d, 1);
		d->state = ST_BACKOFF;
		d->next_ms = now + delay;
		snprintf(tail, sizeof(tail), "error: %s; retry %d in %.1f s, batch %ld KiB", err,
		         d->bo.failures, (double)delay / 1000.0, d->a->cfg.batch_bytes >> 10);
		/* The link and a full disk heal by themselves; anything else needs a look. */
		log_stats(rc == DS_ERETRY || rc == DS_ENOSPC ? DS_LOG_WARN : DS_LOG_ERROR,
		          "sync failed", s, pending, secs, tail);
	}
	record(d, rc, err);
}

/* Whether a round is due now. */
static int round_due(struct daemon *d)
{
	int64_t now = ds_clock_ms(), seq;

	if (d->state == ST_REFUSED)
		return now >= d->next_ms || token_changed(d);
	if (d->state == ST_BACKOFF)
		return now >= d->next_ms;
	if (now >= d->next_ms)
		return 1;
	/* A journal that cannot be read makes a round due: it fails and says why. */
	if (journal_max_seq(d->a, &seq))
		return 1;
	return seq > d->seen_seq;
}

/* One step of the history catch-up in idle time; one log line when it ends or fails. */
static void history_step(struct daemon *d)
{
	int64_t now = ds_clock_ms();
	int more = 0, rc;

	if (d->hist_steps++ == 0)
		d->hist_t0 = now;
	rc = agent_history_step(d->a, &more);
	if (stop_signal)
		return; /* cancelled between two commits: the next start goes on */
	if (rc) {
		ds_log(DS_LOG_WARN, "history catch-up failed, again in %d s: %s",
		       d->a->cfg.pull_interval_s, ds_error_msg());
		d->hist_next_ms = ds_clock_ms() + d->a->cfg.pull_interval_s * 1000LL;
		return;
	}
	d->hist_more = more;
	if (!more && d->hist_steps > 1)
		ds_log(DS_LOG_INFO, "history caught up: %lld steps, %.1f s",
		       (long long)d->hist_steps, (double)(ds_clock_ms() - d->hist_t0) / 1000.0);
	if (!more)
		d->hist_steps = 0;
}

static int history_due(const struct daemon *d)
{
	return d->hist_more && ds_clock_ms() >= d->hist_next_ms;
}

static void one_round(struct daemon *d)
{
	agent_sync_stats s;
	int64_t t0 = ds_clock_ms(), seq0 = -1;
	int push_failed = 0, rc;

	memset(&s, 0, sizeof(s));
	if ((rc = journal_max_seq(d->a, &seq0)) == 0)
		rc = sync_once(d, &s, &push_failed);
	d->rounds++;
	if (stop_signal)
		return; /* cancelled, not failed: nothing to record */
	after_round(d, rc, &s, push_failed, seq0, (double)(ds_clock_ms() - t0) / 1000.0);
	d->hist_more = 1; /* even a failed round may have left a mark */
}

static void on_reload(struct daemon *d)
{
	hup_signal = 0;
	if (reload(d)) {
		ds_log(DS_LOG_ERROR, "config not reloaded, keeping the old settings: %s",
		       ds_error_msg());
		return;
	}
	ds_log(DS_LOG_INFO,
	       "config reloaded: central %s, pull every %d s, backoff %d-%d ms, batch %ld KiB",
	       d->a->cfg.central, d->a->cfg.pull_interval_s, d->a->cfg.backoff_base_ms,
	       d->a->cfg.backoff_cap_ms, d->a->cfg.batch_bytes >> 10);
	sync_backoff_init(&d->bo, d->a->cfg.backoff_base_ms, d->a->cfg.backoff_cap_ms, d->bo.rng);
	d->state = ST_IDLE;
	d->next_ms = 0; /* a round at once, with the new settings */
}

static void init_daemon(struct daemon *d, agent *a)
{
	uint64_t seed = (uint64_t)ds_clock_ms() ^ ((uint64_t)ds_os_pid() << 32);

	memset(d, 0, sizeof(*d));
	d->a = a;
	d->batch_max = a->cfg.batch_bytes;
	ds_random_bytes(&seed, sizeof(seed));
	sync_backoff_init(&d->bo, a->cfg.backoff_base_ms, a->cfg.backoff_cap_ms, seed);
	d->state = ST_IDLE;
	d->seen_seq = -1;
	d->next_ms = 0;
	d->hist_more = 1; /* marks an earlier run left */
}

/* The local API beside the loop, when --http or the config's http asks for it. The
 * listener opens the store for each call: it shares nothing with the loop but the files. */
static int start_http(agent *a, const agent_daemon_opts *o, agent_http **out)
{
	const char *addr = o && o->http ? o->http : a->cfg.http;

	*out = NULL;
	if (!addr)
		return 0;
	return agent_http_start(out, a->dir, a->actor, addr, o ? o->port_file : NULL);
}

int agent_daemon_run(agent *a, const agent_daemon_opts *o)
{
	struct daemon d;
	agent_http *http = NULL;
	long holder = 0;
	int fd = -1, rc;

	ds_log_open(o && o->use_syslog, "dossync", o && o->verbose ? DS_LOG_DEBUG : DS_LOG_INFO);
	rc = agent_lock_file(a, "daemon.lock", START_LOCK_WAIT_MS, &fd, &holder);
	if (rc == DS_ERETRY)
		return ds_error_set(DS_ERETRY, "a dossync daemon already runs on %s (pid %ld)",
		                    a->dir, holder);
	if (rc)
		return rc;
	if ((rc = start_http(a, o, &http))) {
		agent_unlock_file(&fd);
		return rc;
	}
	stop_signal = hup_signal = 0;
	ds_os_on_signals(on_stop, on_hup);
	a->cancel = &stop_signal;
	init_daemon(&d, a);
	ds_log(DS_LOG_INFO,
	       "daemon started on %s (pid %ld): office %s, node %s, central %s; pull every %d "
	       "s, backoff %d-%d ms, batch %ld KiB",
	       a->dir, ds_os_pid(), a->cfg.office, a->cfg.node, a->cfg.central,
	       a->cfg.pull_interval_s, a->cfg.backoff_base_ms, a->cfg.backoff_cap_ms,
	       a->cfg.batch_bytes >> 10);
	while (!stop_signal) {
		if (hup_signal)
			on_reload(&d);
		if (round_due(&d))
			one_round(&d);
		else if (history_due(&d))
			history_step(&d);
		else
			ds_os_sleep_ms(TICK_MS); /* a signal ends it early */
	}
	ds_log(DS_LOG_INFO, "daemon stopped on signal %d after %lld rounds", (int)stop_signal,
	       (long long)d.rounds);
	agent_http_stop(http);
	agent_unlock_file(&fd);
	return 0;
}

int agent_daemon_probe(agent *a, int *running, long *pid)
{
	char *p = ds_path_join(a->dir, "daemon.lock");
	int rc = ds_os_lock_probe(p, running, pid);

	free(p);
	return rc;
}

int agent_daemon_status(agent *a, json_t **out)
{
	char *state = NULL, *next = NULL;
	long pid = 0;
	int running = 0, rc;

	*out = NULL;
	if ((rc = agent_daemon_probe(a, &running, &pid)))
		return rc;
	if (running) {
		agent_state_get(a, "daemon_state", &state);
		agent_state_get(a, "daemon_next_try_at", &next);
	}
	*out = json_pack("{s:b,s:o,s:o,s:o}", "running", running, "pid",
	                 running && pid > 0 ? json_integer(pid) : json_null(), "state",
	                 state ? json_string(state) : json_null(), "next_try_at",
	                 next ? json_string(next) : json_null());
	free(state);
	free(next);
	return 0;
}
