/* upload.c: attachments go up after the records (docs/PROTOCOL.md "Attachments"). Each
 * waiting file is resumed where central stands: ask its state, then send chunks from
 * `have` on, each acknowledged with central's new length. The chunk size follows the link
 * (doubled after a chunk that took under 4 s, halved after a failure, 16 KiB to 1 MiB),
 * and before each chunk a clerk's new change is pushed first.
 *
 *   file --state()--> complete: done ------------------------------------------+
 *     |  have                                                                    |
 *     v                                                                          v
 *   SEND --put(offset = have)--> receipt: have += n, acked stored --whole--> DONE
 *     ^   \--409: have = central's   \--cut, 5xx, 422: state() again; no progress:
 *     +-------------------------------/   chunk halved (3 in a row end the round: 75)
 *   time used (attach_round_s), cancel: stop; the next round resumes at central's have.
 */
#include "agent/agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAILS 3       /* failures in a row before the round gives up */
#define CHUNK_AIM_MS 4000 /* a chunk that took less: the next is twice as big */

struct up {
	agent *a;
	const agent_wire *w;
	agent_sync_stats *st;
	int64_t until_ms; /* the round's upload time ends here */
	size_t chunk;     /* bytes per chunk now */
	int fails;        /* failures in a row */
	int64_t sent;     /* bytes acknowledged in this round */
};

/* One write to `files` under the writer lock: acked bytes, done, or an error line. */
static int file_set(agent *a, enum agent_stmt_id id, const char *sha, int64_t v, const char *text)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = agent_lock(a, -1)))
		return rc;
	if (!(rc = agent_stmt_get(a, id, &st))) {
		sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
		if (text)
			sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, 2, v);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "files");
	}
	agent_stmt_put(st);
	agent_unlock(a);
	return rc;
}

/* The files waiting, oldest first: [[sha256, size, code], ...]. */
static int waiting(agent *a, json_t **out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = json_array();
	if ((rc = agent_stmt_get(a, ST_FILE_UP_LIST, &st)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(*out, json_pack("[s,I,s]", sqlite3_column_text(st, 0),
		                                      (json_int_t)sqlite3_column_int64(st, 1),
		                                      sqlite3_column_text(st, 2)));
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "files");
	agent_stmt_put(st);
	return rc;
}

/* Before a chunk: 1 when the round's time is used up; a clerk's change goes first. */
static int pause_for(struct up *u, int *stop)
{
	int64_t pending = 0;
	int rc;

	*stop = ds_clock_ms() >= u->until_ms;
	if (*stop || (rc = agent_cancelled(u->a)) || (rc = agent_pending_ops(u->a, &pending)))
		return *stop ? 0 : rc;
	return pending ? agent_push_over(u->a, u->w, u->st) : 0;
}

/* A failure that may pass (cut, 5xx, 422) of a chunk sent from `from`: central's length
 * again. Central keeps what arrived of a cut chunk, so a failure that still moved the
 * file on is progress; one that did not halves the chunk and counts towards MAX_FAILS. */
static int after_failure(struct up *u, int rc, const char *sha, const char *code, int64_t from,
                         sync_file_state *fs)
{
	char saved[512];

	snprintf(saved, sizeof(saved), "%s", ds_error_msg());
	ds_log(DS_LOG_INFO, "attachment %.12s: %s", sha, saved);
	if (++u->fails >= MAX_FAILS)
		return ds_error_set(rc, "%s", saved);
	if ((rc = u->w->file_state(u->w->ctx, sha, code, fs)) != 0)
		return ++u->fails >= MAX_FAILS ? rc : 0;
	if (fs->have > from)
		u->fails = 0;
	else
		u->chunk = u->chunk / 2 < SYNC_MIN_CHUNK ? SYNC_MIN_CHUNK : u->chunk / 2;
	return 0;
}

/* Sends one chunk from fs->have; fs becomes central's answer. */
static int send_chunk(struct up *u, const char *sha, const char *code, const char *path,
                      sync_file_state *fs)
{
	ds_buf piece = DS_BUF_INIT;
	int64_t t0 = ds_clock_ms(), before = fs->have, size = fs->size;
	size_t n = (size_t)(size - before) < u->chunk ? (size_t)(size - before) : u->chunk;
	int rc = ds_os_read_at(path, before, n, &piece);

	if (!rc && piece.len != n)
		rc = ds_error_set(DS_ERROR, "%s is shorter than its %lld bytes", path,
		                  (long long)size);
	if (!rc)
		rc = u->w->file_put(u->w->ctx, sha, code, before, piece.ptr, piece.len, fs);
	ds_buf_release(&piece);
	if (rc == DS_ECONFLICT) /* central holds another length: go on from it */
		return fs->size = size, 0;
	if (rc)
		return rc;
	u->fails = 0;
	u->sent += fs->have > before ? fs->have - before : 0;
	if (ds_clock_ms() - t0 < CHUNK_AIM_MS && u->chunk < SYNC_MAX_CHUNK)
		u->chunk *= 2;
	return fs->complete ? 0 : file_set(u->a, ST_FILE_ACKED, sha, fs->have, NULL);
}

/* Sends one file until central holds it whole, the time is up or a failure repeats.
 * A refusal particular to the file (404, 413, 507) is recorded and is not a failure. */
static int upload_one(struct up *u, const char *sha, int64_t size, const char *code, int *stop)
{
	char *path = agent_file_path(u->a, sha);
	sync_file_state fs;
	int64_t from = 0;
	int rc = u->w->file_state(u->w->ctx, sha, code, &fs);

	if (rc == DS_ERETRY)
		rc = after_failure(u, rc, sha, code, 0, &fs);
	while (!rc && !fs.complete && !(rc = pause_for(u, stop)) && !*stop) {
		fs.size = size;
		from = fs.have;
		if ((rc = send_chunk(u, sha, code, path, &fs)) == DS_ERETRY)
			rc = after_failure(u, rc, sha, code, from, &fs);
	}
	if (!rc && fs.complete && !(rc = file_set(u->a, ST_FILE_DONE, sha, ds_time_now(), NULL))) {
		u->st->files_sent++;
		u->st->file_bytes += size;
	}
	if (rc == DS_ENOTFOUND || rc == DS_ETOOBIG || rc == DS_ENOSPC || rc == DS_EINVALID) {
		ds_log(DS_LOG_WARN, "attachment %s of %s waits: %s", sha, code, ds_error_msg());
		rc = file_set(u->a, ST_FILE_ERROR, sha, 0, ds_error_msg());
	}
	free(path);
	return rc;
}

/* Keeps the rate measured over this round's uploads, for status's estimate. */
static int rate_note(agent *a, int64_t bytes, int64_t ms)
{
	char v[32];
	int rc;

	if (bytes < 65536 || ms <= 0)
		return 0;
	snprintf(v, sizeof(v), "%lld", (long long)(bytes * 1000 / ms));
	if ((rc = agent_lock(a, -1)))
		return rc;
	rc = agent_state_set(a, "attach_rate_bps", v);
	agent_unlock(a);
	return rc;
}

int agent_upload_over(agent *a, const agent_wire *w, agent_sync_stats *st)
{
	struct up u = {a,         w, st, ds_clock_ms() + (int64_t)a->cfg.attach_round_s * 1000,
	               64u << 10, 0, 0};
	int64_t t0 = ds_clock_ms();
	json_t *list = NULL, *f;
	size_t i;
	int stop = 0, rc = 0, noted;

	if (!w->file_put)
		return 0; /* a wire without attachments (the unit tests' fake central) */
	if ((rc = waiting(a, &list)))
		return rc;
	json_array_foreach(list, i, f)
	{
		if (stop || (rc = upload_one(&u, json_string_value(json_array_get(f, 0)),
		                             json_integer_value(json_array_get(f, 1)),
		                             json_string_value(json_array_get(f, 2)), &stop)))
			break;
	}
	json_decref(list);
	noted = rate_note(a, u.sent, ds_clock_ms() - t0);
	return rc ? rc : noted; /* the round's own failure, if any, is the one to tell */
}

int agent_upload(agent *a, sync_client *c, agent_sync_stats *st)
{
	agent_wire w;
	int rc;

	agent_wire_client(&w, c);
	if ((rc = agent_upload_over(a, &w, st)) == 0 && a->cfg.prefetch_own)
		agent_prefetch(a, &w);
	return rc;
}
