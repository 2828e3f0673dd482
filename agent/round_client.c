/* round_client.c: what a sync round needs around the wire: its client made from the config
 * (the token file read and checked), the outcome keys it leaves in state (last_sync_at,
 * last_success_at, last_error), and the check of this PC's clock against central's. Used by
 * `dossync sync` (sync_round.c) and the daemon alike.
 */
#include "agent/agent_int.h"
#include "sync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_token(agent *a, char **token)
{
	ds_buf b = DS_BUF_INIT;
	int rc;

	*token = NULL;
	if (!a->cfg.token_file)
		return ds_error_set(DS_EPERM, "no token: set token_file in %s/config", a->dir);
	if ((rc = ds_file_read(a->cfg.token_file, 4096, &b)))
		return ds_error_set(DS_EPERM, "cannot read the token file %s", a->cfg.token_file);
	while (b.len &&
	       (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r' || b.ptr[b.len - 1] == ' '))
		b.ptr[--b.len] = '\0';
	if (!b.len) {
		ds_buf_release(&b);
		return ds_error_set(DS_EPERM, "the token file %s is empty", a->cfg.token_file);
	}
	*token = ds_buf_detach(&b, NULL);
	return 0;
}

int agent_client_new(agent *a, sync_client **out)
{
	sync_opts o;
	char *token = NULL;
	int rc;

	*out = NULL;
	if ((rc = read_token(a, &token)))
		return rc;
	memset(&o, 0, sizeof(o));
	o.url = a->cfg.central;
	o.token = token;
	o.ca_file = a->cfg.ca_file;
	o.connect_timeout_s = a->cfg.connect_timeout_s;
	o.total_timeout_s = a->cfg.total_timeout_s;
	o.low_speed_bytes = a->cfg.low_speed_bytes;
	o.low_speed_time_s = a->cfg.low_speed_time_s;
	o.max_send_bytes_s = a->cfg.max_send_bytes_s;
	rc = sync_client_new(out, &o);
	free(token);
	return rc;
}

/* The round's second connection, for a second push in flight: none (*out NULL) when
 * max_send_bytes caps the upload, as two connections would each take the whole cap, or
 * when it cannot be made (the push then goes one batch at a time). */
void agent_client_second(agent *a, sync_client **out)
{
	*out = NULL;
	if (!a->cfg.max_send_bytes_s && agent_client_new(a, out))
		*out = NULL;
}

/* The outcome keys of a round; the caller holds the writer lock. */
static int outcome_set(agent *a, int rc, const char *error, const char *now)
{
	int wrc = agent_state_set(a, "last_sync_at", now);

	if (!wrc && rc == 0 && !(wrc = agent_state_set(a, "last_success_at", now)))
		wrc = agent_state_set(a, "last_error", NULL);
	else if (!wrc && rc != 0 && !(wrc = agent_state_set(a, "last_error", error)))
		wrc = agent_state_set(a, "last_error_at", now);
	return wrc;
}

int agent_record_outcome(agent *a, int rc, const char *error, const char *daemon_state,
                         const char *next_try_at)
{
	char now[DS_TIME_LEN];
	int wrc;

	ds_time_format(ds_time_now(), DS_TZ_VN, now);
	if ((wrc = agent_lock(a, -1)))
		return wrc;
	wrc = outcome_set(a, rc, error, now);
	if (!wrc && daemon_state && !(wrc = agent_state_set(a, "daemon_state", daemon_state)))
		wrc = agent_state_set(a, "daemon_next_try_at", next_try_at);
	agent_unlock(a);
	return wrc;
}

/* Records how far this PC's clock is from central's, as the round's last answer showed,
 * and warns past SYNC_CLOCK_TOLERANCE_S: a wrong clock writes wrong times into every
 * dossier and every indicator. Nothing when no dated answer came back. */
static int clock_record(agent *a, sync_client *c)
{
	char skew[32], now[DS_TIME_LEN];
	int64_t s;
	int rc;

	if (!c || sync_client_clock_skew(c, &s))
		return 0;
	if (s > SYNC_CLOCK_TOLERANCE_S || s < -SYNC_CLOCK_TOLERANCE_S)
		ds_log(DS_LOG_WARN,
		       "warning: this PC's clock is %lld s %s central's; the times it records "
		       "are wrong until it is set right",
		       (long long)(s < 0 ? -s : s), s < 0 ? "behind" : "ahead of");
	snprintf(skew, sizeof(skew), "%lld", (long long)s);
	ds_time_format(ds_time_now(), DS_TZ_VN, now);
	if ((rc = agent_lock(a, -1)))
		return rc;
	if (!(rc = agent_state_set(a, "clock_skew_s", skew)))
		rc = agent_state_set(a, "clock_checked_at", now);
	agent_unlock(a);
	return rc;
}

int agent_clock_note(agent *a, sync_client *c, int rc)
{
	char saved[1024];

	if (rc == 0)
		return clock_record(a, c);
	snprintf(saved, sizeof(saved), "%s", ds_error_msg());
	if (clock_record(a, c))
		ds_log(DS_LOG_WARN, "the clock check could not be recorded: %s", ds_error_msg());
	return ds_error_set(rc, "%s", saved);
}
