/* fetch.c: attachments come down on demand (dossync fetch) or, with "prefetch = own", after
 * each round for the office's own dossiers. A file is read by byte ranges into
 * DIR/files/tmp/SHA256.part (each piece fsynced, so a cut resumes at the part's length),
 * and lands in DIR/files/ab/SHA256 only once its SHA-256 matches; a part that does not
 * match is thrown away. */
#include "agent/agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAILS 3

/* The part file's bytes checked, then moved into place and recorded as fetched. */
static int land(agent *a, const char *sha, int64_t size, const char *code, const char *part)
{
	char *final = agent_file_path(a, sha), *dir = ds_asprintf("%s/files/%.2s", a->dir, sha);
	char got[DS_SHA256_HEX] = "";
	sqlite3_stmt *st = NULL;
	int rc = ds_sha256_file(part, got);

	if (!rc && strcmp(got, sha) != 0) {
		ds_os_remove(part);
		rc = ds_error_set(DS_ERETRY,
		                  "the bytes central sent for %s do not match its SHA-256; "
		                  "thrown away",
		                  sha);
	}
	if (!rc && !(rc = ds_mkdirs(dir, 0700)) && !(rc = ds_os_rename_durable(part, final)) &&
	    !(rc = agent_lock(a, -1))) {
		if (!(rc = agent_stmt_get(a, ST_FILE_ADD, &st))) {
			sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, size);
			sqlite3_bind_text(st, 3, code, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, "fetched", -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 5, ds_time_now());
			rc = sqlite3_step(st);
			rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "files");
		}
		agent_stmt_put(st);
		agent_unlock(a);
	}
	free(final);
	free(dir);
	return rc;
}

/* Brings one file down, from the length of its part file on. */
static int fetch_one(agent *a, const agent_wire *w, const char *sha, int64_t size, const char *code)
{
	char *part = ds_asprintf("%s/files/tmp/%s.part", a->dir, sha);
	char *tmp = ds_asprintf("%s/files/tmp", a->dir);
	size_t chunk = 256u << 10;
	int64_t have = 0;
	int fails = 0, rc = ds_mkdirs(tmp, 0700);

	if (!rc && ds_os_file_size(part, &have) != 0)
		have = 0;
	if (have > size)
		have = 0;
	while (!rc && have < size) {
		ds_buf b = DS_BUF_INIT;
		if (!(rc = agent_cancelled(a)) &&
		    !(rc = w->file_get(w->ctx, sha, code, have, chunk, &b)) && b.len == 0)
			rc = ds_error_set(DS_ERETRY, "central sent nothing for %s at %lld", sha,
			                  (long long)have);
		if (!rc && !(rc = ds_os_write_at(part, have, b.ptr, b.len)))
			have += (int64_t)b.len, fails = 0;
		ds_buf_release(&b);
		if (rc == DS_ERETRY && !agent_cancelled(a) && ++fails < MAX_FAILS)
			rc = 0, chunk = chunk / 2 < SYNC_MIN_CHUNK ? SYNC_MIN_CHUNK : chunk / 2;
	}
	if (!rc)
		rc = land(a, sha, size, code, part);
	free(part);
	free(tmp);
	return rc;
}

/* 1 when DIR/files holds the file with its SHA-256. */
static int held(agent *a, const char *sha)
{
	char *path = agent_file_path(a, sha), got[DS_SHA256_HEX] = "";
	int ok = ds_sha256_file(path, got) == 0 && strcmp(got, sha) == 0;

	free(path);
	return ok;
}

int agent_fetch_over(agent *a, const agent_wire *w, const char *code, int64_t *got)
{
	json_t *state = NULL, *item;
	size_t i;
	int rc = agent_load(a, code, &state, NULL);

	json_array_foreach(json_object_get(state, "attachments"), i, item)
	{
		const char *sha = json_string_value(json_object_get(item, "sha256"));
		json_int_t size = json_integer_value(json_object_get(item, "size"));
		if (rc || !sha || held(a, sha))
			continue;
		if ((rc = fetch_one(a, w, sha, size, code)) == 0)
			(*got)++;
	}
	json_decref(state);
	return rc;
}

void agent_prefetch(agent *a, const agent_wire *w)
{
	sqlite3_stmt *st = NULL;
	json_t *codes = json_array(), *c;
	int64_t got = 0;
	size_t i;

	if (w->file_get && agent_stmt_get(a, ST_FILE_MISSING, &st) == 0)
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(
			    codes, json_string((const char *)sqlite3_column_text(st, 0)));
	agent_stmt_put(st);
	json_array_foreach(codes, i, c)
	{
		int rc = agent_fetch_over(a, w, json_string_value(c), &got);
		if (rc == DS_ENOTFOUND)
			continue; /* not on central yet: the next round asks again */
		if (rc) {
			ds_log(DS_LOG_WARN, "prefetch of %s: %s", json_string_value(c),
			       ds_error_msg());
			break;
		}
	}
	if (got)
		ds_log(DS_LOG_INFO, "prefetch: %lld files brought from central", (long long)got);
	json_decref(codes);
}

/* Writes every file code lists into out_dir under its item's name (no folders). */
static int copy_out(agent *a, const char *code, const char *out_dir)
{
	json_t *state = NULL, *item;
	size_t i;
	int rc = agent_load(a, code, &state, NULL);

	if (!rc)
		rc = ds_mkdirs(out_dir, 0755);
	json_array_foreach(json_object_get(state, "attachments"), i, item)
	{
		const char *sha = json_string_value(json_object_get(item, "sha256"));
		const char *name = json_string_value(json_object_get(item, "name"));
		char *src, *dst;
		ds_buf b = DS_BUF_INIT;
		if (rc || !sha)
			continue;
		if (!name || !name[0] || strchr(name, '/') || !strcmp(name, ".") ||
		    !strcmp(name, ".."))
			name = sha;
		src = agent_file_path(a, sha);
		dst = ds_path_join(out_dir, name);
		if (!(rc = ds_file_read(src, (size_t)1 << 36, &b)))
			rc = ds_file_write_atomic(dst, b.ptr, b.len, 0644);
		ds_buf_release(&b);
		free(src);
		free(dst);
	}
	json_decref(state);
	return rc;
}

int agent_fetch(agent *a, const char *code, const char *out_dir, int64_t *got)
{
	sync_client *c = NULL;
	json_t *probe = NULL;
	agent_wire w;
	int rc;

	*got = 0;
	if ((rc = agent_load(a, code, &probe, NULL)))
		return rc;
	json_decref(probe);
	if ((rc = agent_client_new(a, &c)))
		return rc;
	agent_wire_client(&w, c);
	rc = agent_fetch_over(a, &w, code, got);
	sync_client_free(c);
	if (rc == DS_ENOTFOUND) /* the dossier is here: central lacks the file, for now */
		rc = ds_error_set(DS_ERETRY, "%s; try again later", ds_error_msg());
	if (!rc && out_dir)
		rc = copy_out(a, code, out_dir);
	return rc;
}
