/* files.c: central's attachments (docs/PROTOCOL.md "Attachments"): a file is taken in
 * chunks for a dossier that lists it, each appended only at the length held, and kept
 * only once the whole file matches its SHA-256. One row per file in `files` (its size,
 * bytes held, verified flag, the office it is charged to); the bytes on the filesystem:
 *
 *   no row --first chunk (quota)--> DIR/tmp/SHA.part, received = n
 *      received < size --next chunk at offset = received--> received += n (fsynced first)
 *      received = size --finish()--> SHA-256 matches: renamed to DIR/ab/SHA, verified = 1
 *                                    it does not:     .part removed, received = 0 (422)
 *
 * A chunk is written and fsynced before its row moves, and a write cuts the file at the
 * offset first, so a crash anywhere leaves a row that never claims a byte not on disk.
 */
#include "central/central_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* DIR/ab/SHA (final) or DIR/tmp/SHA.part, malloc'd. */
static char *file_path(const central_files *f, const char *sha256, int part)
{
	if (part)
		return ds_asprintf("%s/tmp/%s.part", f->dir, sha256);
	return ds_asprintf("%s/%.2s/%s", f->dir, sha256, sha256);
}

/* The size the dossier code's attachment item with sha256 gives, in *size, and its
 * agency; DS_ENOTFOUND when the token may not see the dossier or it lists no such file. */
static int listed(central_store *s, const central_auth *a, const char *sha256, const char *code,
                  int64_t *size, char agency[SCHEMA_CODE_MAX])
{
	json_t *d = NULL, *item;
	size_t i;
	int rc;

	*size = -1;
	if (!sync_sha256_ok(sha256))
		return ds_error_set(DS_EINVALID, "not a SHA-256: %s", sha256);
	if (!code || (rc = central_dossier_get(s, a, code, &d)))
		return code ? rc : ds_error_set(DS_EINVALID, "give the dossier: ?code=CODE");
	json_array_foreach(json_object_get(d, "attachments"), i, item)
	{
		const char *h = json_string_value(json_object_get(item, "sha256"));
		if (h && strcmp(h, sha256) == 0 && json_is_integer(json_object_get(item, "size"))) {
			*size = json_integer_value(json_object_get(item, "size"));
			break;
		}
	}
	snprintf(agency, SCHEMA_CODE_MAX, "%s", json_string_value(json_object_get(d, "agency")));
	json_decref(d);
	if (*size < 0)
		return ds_error_set(DS_ENOTFOUND, "dossier %s lists no attachment with SHA-256 %s",
		                    code, sha256);
	return 0;
}

/* The file's row: 1 with its fields, 0 when none, or an error. */
static int row_get(central_store *s, const char *sha256, central_file_res *res)
{
	central_q *q = central_stmt(s, ST_FILE_GET);
	int rc;

	if (!q)
		return ds_error_code();
	central_bind_text(q, 1, sha256);
	if ((rc = central_step(q, "reading the file")) == 1) {
		res->size = central_col_int(q, 0);
		res->have = central_col_int(q, 1);
		res->complete = central_col_int(q, 2) != 0;
	}
	central_reset(q);
	return rc;
}

static int row_set(central_store *s, enum central_stmt_id id, const char *sha256, int64_t v,
                   const char *text)
{
	central_q *q = central_stmt(s, id);

	if (!q)
		return ds_error_code();
	central_bind_text(q, 1, sha256);
	if (text)
		central_bind_text(q, 2, text);
	else
		central_bind_int(q, 2, v);
	return central_step_done(s, q, "writing the file's row");
}

/* A new row charged to agency, after the quota check (507). */
static int row_new(central_store *s, const central_files *f, const char *sha256, int64_t size,
                   const char *agency, central_file_res *res)
{
	central_q *q = central_stmt(s, ST_FILE_USED);
	char now[DS_TIME_LEN];
	int64_t used = 0;
	int rc;

	if (!q)
		return ds_error_code();
	central_bind_text(q, 1, agency);
	if ((rc = central_step(q, "summing the office's files")) == 1)
		used = central_col_int(q, 0);
	central_reset(q);
	if (rc < 0)
		return rc;
	if (f->quota > 0 && used + size > f->quota) {
		res->status = 507;
		return ds_error_set(DS_ENOSPC,
		                    "office %s's attachment quota is used up: %lld of %lld bytes "
		                    "held, this file needs %lld more",
		                    agency, (long long)used, (long long)f->quota, (long long)size);
	}
	if (!(q = central_stmt(s, ST_FILE_INSERT)))
		return ds_error_code();
	central_now(now);
	central_bind_text(q, 1, sha256);
	central_bind_int(q, 2, size);
	central_bind_text(q, 3, agency);
	central_bind_text(q, 4, now);
	res->size = size;
	res->have = res->complete = 0;
	return central_step_done(s, q, "recording the file");
}

/* Every byte is in: keep the file if it matches sha256 (or was kept already by a run that
 * crashed before its row said so), else discard it and answer 422. */
static int finish(central_store *s, const central_files *f, const char *sha256,
                  central_file_res *res)
{
	char *part = file_path(f, sha256, 1), *final = file_path(f, sha256, 0), *dir = NULL;
	char got[DS_SHA256_HEX] = "", now[DS_TIME_LEN];
	int rc = 0;

	if (ds_sha256_file(final, got) == 0 && strcmp(got, sha256) == 0)
		goto verified;
	if (ds_sha256_file(part, got) != 0 || strcmp(got, sha256) != 0) {
		if (!(rc = ds_os_remove(part)) &&
		    !(rc = row_set(s, ST_FILE_RECEIVED, sha256, 0, NULL)))
			res->have = 0, res->status = 422,
			rc = ds_error_set(DS_ERETRY,
			                  "the file's bytes do not match its SHA-256 %s; nothing "
			                  "was kept, send it again",
			                  sha256);
		goto done;
	}
	dir = ds_asprintf("%s/%.2s", f->dir, sha256);
	if ((rc = ds_mkdirs(dir, 0750)) || (rc = ds_os_rename_durable(part, final)))
		goto done;
verified:
	central_now(now);
	if (!(rc = row_set(s, ST_FILE_VERIFIED, sha256, 0, now)))
		res->complete = 1;
done:
	free(part);
	free(final);
	free(dir);
	return rc;
}

/* A checked chunk that starts before the length held (its sender did not know a cut
 * chunk's prefix was kept): 1 with the chunk cut to its new tail when the bytes it shares
 * with the file are the same, 0 when it holds nothing new, DS_ECONFLICT (409) when they
 * differ. */
static int overlap(const central_files *f, const char *sha256, int64_t *offset, const void **p,
                   size_t *n, int64_t have)
{
	char *part = file_path(f, sha256, 1);
	size_t same = (size_t)(have - *offset) < *n ? (size_t)(have - *offset) : *n;
	ds_buf held = DS_BUF_INIT;
	int rc = ds_os_read_at(part, *offset, same, &held);

	free(part);
	if (!rc && (held.len != same || memcmp(held.ptr, *p, same) != 0))
		rc = ds_error_set(DS_ECONFLICT,
		                  "central holds %lld bytes of the file, other ones "
		                  "than the chunk at %lld",
		                  (long long)have, (long long)*offset);
	ds_buf_release(&held);
	if (rc)
		return rc;
	*p = (const char *)*p + same;
	*n -= same;
	*offset += (int64_t)same;
	return *n > 0;
}

/* The write under the transaction: the row (new, or checked at offset), the bytes, the
 * row moved, and finish() once whole. */
static int put_locked(central_store *s, const central_files *f, const char *sha256, int64_t size,
                      const char *agency, int64_t offset, const void *p, size_t n,
                      central_file_res *res)
{
	char *part = NULL, *tmp = NULL;
	int rc = row_get(s, sha256, res);

	if (rc == 0)
		rc = row_new(s, f, sha256, size, agency, res);
	if (rc < 0 || res->complete)
		return rc < 0 ? rc : 0;
	if (offset < res->have && (rc = overlap(f, sha256, &offset, &p, &n, res->have)) <= 0) {
		res->status = rc == DS_ECONFLICT ? 409 : 0;
		return rc; /* 0: nothing new in the chunk, the state is the answer */
	}
	if (offset != res->have) {
		res->status = 409;
		return ds_error_set(DS_ECONFLICT, "central holds %lld bytes of the file, not %lld",
		                    (long long)res->have, (long long)offset);
	}
	if (offset + (int64_t)n > res->size)
		return ds_error_set(DS_EINVALID, "the chunk ends past the file's %lld bytes",
		                    (long long)res->size);
	part = file_path(f, sha256, 1);
	tmp = ds_asprintf("%s/tmp", f->dir);
	if (!(rc = ds_mkdirs(tmp, 0750)) && !(rc = ds_os_write_at(part, offset, p, n)) &&
	    !(rc = row_set(s, ST_FILE_RECEIVED, sha256, offset + (int64_t)n, NULL)))
		res->have = offset + (int64_t)n;
	if (!rc && res->have == res->size)
		rc = finish(s, f, sha256, res);
	free(part);
	free(tmp);
	return rc;
}

int central_file_put(central_store *s, const central_auth *a, const central_files *f,
                     const char *sha256, const char *code, int64_t offset, const char *chunk_sha256,
                     const void *p, size_t n, central_file_res *res)
{
	char agency[SCHEMA_CODE_MAX], got[DS_SHA256_HEX];
	int64_t size;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = listed(s, a, sha256, code, &size, agency)))
		return rc;
	if (size > f->max) {
		res->status = 413;
		return ds_error_set(DS_ETOOBIG,
		                    "the file is %lld bytes, over central's cap of %lld "
		                    "bytes per file",
		                    (long long)size, (long long)f->max);
	}
	ds_sha256_hex(p, n, got);
	if (chunk_sha256 && strcmp(got, chunk_sha256) != 0) {
		res->status = 422;
		rc = ds_error_set(DS_ERETRY,
		                  "the chunk at %lld does not match its SHA-256; nothing "
		                  "was kept, send it again",
		                  (long long)offset);
		if (row_get(s, sha256, res) < 0)
			return ds_error_code();
		return rc;
	}
	if ((rc = central_write_begin(s)))
		return rc;
	rc = put_locked(s, f, sha256, size, agency, offset, p, n, res);
	/* a file that did not match: its reset row is committed, the 422 stays */
	if (res->status == 422 && rc == DS_ERETRY) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", ds_error_msg());
		if ((rc = central_write_end(s, 0)) == 0)
			rc = ds_error_set(DS_ERETRY, "%s", msg);
		return rc;
	}
	return central_write_end(s, rc);
}

int central_file_state(central_store *s, const central_auth *a, const central_files *f,
                       const char *sha256, const char *code, central_file_res *res)
{
	char agency[SCHEMA_CODE_MAX];
	int64_t size;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = listed(s, a, sha256, code, &size, agency)) || (rc = row_get(s, sha256, res)) < 0)
		return rc;
	if (rc == 0) {
		res->size = size;
		return 0;
	}
	if (res->complete || res->have < res->size)
		return 0;
	if ((rc = central_write_begin(s)))
		return rc;
	rc = finish(s, f, sha256, res);
	if (res->status == 422) /* the reset is kept; the state says 0 bytes held */
		rc = res->status = 0;
	return central_write_end(s, rc);
}

int central_file_path(central_store *s, const central_auth *a, const central_files *f,
                      const char *sha256, const char *code, char **path, int64_t *size)
{
	central_file_res res;
	char agency[SCHEMA_CODE_MAX];
	int rc;

	*path = NULL;
	memset(&res, 0, sizeof(res));
	if ((rc = listed(s, a, sha256, code, size, agency)) || (rc = row_get(s, sha256, &res)) < 0)
		return rc;
	if (rc == 0 || !res.complete)
		return ds_error_set(DS_ENOTFOUND, "central does not hold the whole file %s yet",
		                    sha256);
	*size = res.size;
	*path = file_path(f, sha256, 0);
	return 0;
}
