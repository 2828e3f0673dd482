/* store.c: the data directory: creating it, opening agent.db (WAL, synchronous=FULL,
 * migrated to the newest schema; its statements are in stmt.c) and the writer lock (a file
 * lock on DIR/lock, base/os.h). */
#include "agent/agent_int.h"
#include "conflict/conflict.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

int agent_init_dir(const char *dir, const agent_config *cfg)
{
	char *dbp = ds_path_join(dir, "agent.db"), *cfp = ds_path_join(dir, "config");
	char *text = NULL;
	sqlite3 *db = NULL;
	int rc;

	if (path_exists(dbp)) {
		rc = ds_error_set(DS_EINVALID, "%s already holds a dossync store", dir);
		goto done;
	}
	if ((rc = ds_mkdirs(dir, 0700)) != 0)
		goto done;
	if (access(dir, W_OK) != 0) {
		rc = ds_error_set(DS_EPERM, "cannot write to %s: %s", dir, strerror(errno));
		goto done;
	}
	text = agent_config_format(cfg);
	if ((rc = ds_file_write_atomic(cfp, text, strlen(text), 0600)) != 0)
		goto done;
	if ((rc = ds_db_open(dbp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db)) != 0)
		goto done;
	if ((rc = schema_migrate(db, "agent")) == 0) {
		char key[65];
		rc = agent_api_key(dir, 1, key); /* the local API's key (docs/LOCAL-API.md) */
	}
done:
	sqlite3_close(db);
	free(text);
	free(dbp);
	free(cfp);
	return rc;
}

static int load_config(agent *a)
{
	char *p = ds_path_join(a->dir, "config");
	ds_buf text = DS_BUF_INIT;
	int rc;

	rc = ds_file_read(p, 1 << 20, &text);
	if (!rc)
		rc = agent_config_parse(&a->cfg, text.ptr, p);
	if (!rc && (!a->cfg.office || !a->cfg.node || !a->cfg.central))
		rc = ds_error_set(DS_EINVALID, "%s: office, node and central must be set", p);
	ds_buf_release(&text);
	free(p);
	return rc;
}

static char *login_name(void)
{
	const char *u = getenv("USER");
	char *name;

	if (u && *u)
		return ds_strdup(u);
	name = ds_os_user_name();
	return name ? name : ds_strdup("unknown");
}

int agent_lock_wait_ms(void)
{
	const char *w = getenv("DOSSYNC_LOCK_WAIT");

	return w && *w ? atoi(w) * 1000 : 10000;
}

/* Who acts: --actor, else the config's actor, else the login name; normalised to NFC like
 * every other text, so "Nguyễn" typed with combining marks is the same person. */
static int pick_actor(agent *a, const char *actor)
{
	char *given = actor          ? ds_strdup(actor)
	              : a->cfg.actor ? ds_strdup(a->cfg.actor)
	                             : login_name();
	int rc = ds_text_nfc(given, &a->actor);

	if (rc)
		rc = ds_error_wrap(rc, "%s",
		                   actor          ? "--actor"
		                   : a->cfg.actor ? "actor in config"
		                                  : "login name");
	free(given);
	return rc;
}

int agent_open(agent **out, const char *dir, int mode, const char *actor)
{
	agent *a = ds_calloc(1, sizeof(*a));
	char *dbp = ds_path_join(dir, "agent.db");
	int rc;

	*out = NULL;
	a->dir = ds_strdup(dir);
	a->lock_fd = -1;
	agent_config_init(&a->cfg);
	if (!path_exists(dbp)) {
		rc = ds_error_set(DS_ERROR, "no dossync data directory at %s (run 'dossync init')",
		                  dir);
		goto done;
	}
	if (mode == AGENT_WRITE && access(dir, W_OK) != 0) {
		rc = ds_error_set(DS_EPERM, "cannot write to %s: %s", dir, strerror(errno));
		goto done;
	}
	if ((rc = load_config(a)) != 0)
		goto done;
	if (mode == AGENT_WRITE && (rc = agent_lock(a, agent_lock_wait_ms())) != 0)
		goto done;
	if ((rc = agent_store_open(&a->store, dbp)) != 0)
		goto done;
	rc = pick_actor(a, actor);
done:
	free(dbp);
	if (rc)
		agent_close(a);
	else
		*out = a;
	return rc;
}

void agent_close(agent *a)
{
	if (!a)
		return;
	conflict_history_free(a->hist);
	schema_calendar_free(a->cal);
	schema_catalogue_free(a->cat);
	agent_store_free(a->store);
	agent_unlock(a);
	agent_config_release(&a->cfg);
	free(a->actor);
	free(a->dir);
	free(a);
}

int agent_lock_file(agent *a, const char *name, int wait_ms, int *fd_out, long *holder)
{
	char *p = ds_path_join(a->dir, name);
	int rc = ds_os_lock_file(p, wait_ms, fd_out, holder);

	free(p);
	return rc;
}

void agent_unlock_file(int *fd)
{
	ds_os_unlock_file(fd);
}

/* How often a held writer lock is tried again. A process waiting for it also holds
 * DIR/lock.wait meanwhile (one waiter at a time; the others try for it too), so that a long
 * holder (a sync round) sees it and steps aside between its steps (agent_tx_yield): a
 * clerk's change waits for one step, not for a whole batch of receipts or a pull page. */
#define LOCK_POLL_MS 2
#define YIELD_MAX_MS 200 /* how long a holder that stepped aside waits for the waiter */

int agent_lock(agent *a, int wait_ms)
{
	long holder = 0;
	int64_t until;
	int flag = -1, rc;

	if (a->lock_fd >= 0)
		return 0;
	if (wait_ms < 0)
		wait_ms = agent_lock_wait_ms();
	until = ds_clock_ms() + wait_ms;
	while ((rc = agent_lock_file(a, "lock", 0, &a->lock_fd, &holder)) == DS_ERETRY &&
	       ds_clock_ms() < until) {
		if (flag < 0 && agent_lock_file(a, "lock.wait", 0, &flag, NULL) != DS_ERETRY)
			ds_error_clear(); /* without the flag the wait may only be longer */
		usleep(LOCK_POLL_MS * 1000);
	}
	agent_unlock_file(&flag);
	if (rc == DS_ERETRY)
		return ds_error_set(DS_ERETRY,
		                    "%s is in use by another dossync process (pid %ld); try again",
		                    a->dir, holder);
	return rc;
}

void agent_unlock(agent *a)
{
	agent_unlock_file(&a->lock_fd);
}

int agent_lock_wanted(agent *a)
{
	char *p = ds_path_join(a->dir, "lock.wait");
	long holder = 0;
	int held = 0;

	if (ds_os_lock_probe(p, &held, &holder))
		ds_error_clear();
	free(p);
	return held;
}

int agent_tx_yield(agent *a)
{
	int64_t until;
	int rc;

	if (a->lock_fd < 0 || !agent_lock_wanted(a))
		return 0;
	if ((rc = ds_db_commit(agent_db(a))))
		return rc;
	agent_unlock(a);
	/* the waiter tries every LOCK_POLL_MS and lets its flag go once it holds the lock */
	until = ds_clock_ms() + YIELD_MAX_MS;
	do
		usleep(LOCK_POLL_MS * 1000);
	while (ds_clock_ms() < until && agent_lock_wanted(a));
	if ((rc = agent_lock(a, -1)) == 0)
		rc = ds_db_begin(agent_db(a));
	return rc;
}

int agent_cancelled(agent *a)
{
	if (a->cancel && *a->cancel)
		return ds_error_set(DS_ERETRY, "cancelled: the agent is stopping");
	return 0;
}
