/* attach.c: a scanned file becomes part of a dossier's record. The file is copied into
 * DIR/files/ab/SHA256 (content addressed: temp name, fsync, rename, folder fsync), then one
 * transaction appends the patch op adding its item to `attachments` and the `files` row
 * the upload works from (upload.c). Also the backlog `status` shows. */
#include "agent/agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *agent_file_path(const agent *a, const char *sha256)
{
	return ds_asprintf("%s/files/%.2s/%s", a->dir, sha256, sha256);
}

/* The MIME type a scanner's file name suggests. */
static const char *mime_of(const char *name)
{
	static const char *const map[][2] = {{".pdf", "application/pdf"}, {".jpg", "image/jpeg"},
	                                     {".jpeg", "image/jpeg"},     {".png", "image/png"},
	                                     {".tif", "image/tiff"},      {".tiff", "image/tiff"},
	                                     {".xml", "application/xml"}, {".txt", "text/plain"}};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot && i < DS_ARRAY_LEN(map); i++)
		if (strcasecmp(dot, map[i][0]) == 0)
			return map[i][1];
	return "application/octet-stream";
}

struct attach {
	const char *code, *component, *kind;
	json_t *item; /* name, mime, size, sha256 in; id added */
	int64_t seq;
};

/* The dossier's attachments plus the new item, refused when the file is listed already
 * or the component is not one of the dossier's. */
static int new_list(agent *a, const json_t *state, struct attach *t, json_t **list)
{
	const char *sha = json_string_value(json_object_get(t->item, "sha256"));
	json_t *item, *comps = json_object_get(state, "components");
	int64_t seq = 0;
	char hash[DS_SHA256_HEX], id[128];
	size_t i;
	int found = !t->component, rc;

	json_array_foreach(comps, i, item)
	{
		const char *cid = json_string_value(json_object_get(item, "id"));
		found |= t->component && cid && !strcmp(cid, t->component);
	}
	if (!found)
		return ds_error_set(DS_EINVALID, "dossier %s has no component %s", t->code,
		                    t->component);
	json_array_foreach(json_object_get(state, "attachments"), i, item)
	{
		const char *h = json_string_value(json_object_get(item, "sha256"));
		if (h && !strcmp(h, sha))
			return ds_error_set(
			    DS_EINVALID, "dossier %s lists this file already (attachments[%s])",
			    t->code, json_string_value(json_object_get(item, "id")));
	}
	if ((rc = journal_last(a, &seq, hash)))
		return rc;
	snprintf(id, sizeof(id), "a-%s-%lld", a->cfg.node, (long long)seq + 1);
	json_object_set_new(t->item, "id", json_string(id));
	*list = json_copy(json_object_get(state, "attachments"));
	if (!*list)
		*list = json_array();
	json_array_append(*list, t->item);
	return 0;
}

static int attach_tx(agent *a, void *arg)
{
	struct attach *t = arg;
	json_t *state = NULL, *patch = NULL, *list = NULL;
	sqlite3_stmt *st = NULL;
	int64_t version = 0;
	int rc;

	if ((rc = agent_load(a, t->code, &state, &version)) || (rc = new_list(a, state, t, &list)))
		goto done;
	patch = json_pack("{s:O}", "attachments", list);
	if ((rc =
	         agent_apply_local(a, t->code, SCHEMA_OP_PATCH, patch, version, &state, &t->seq)) ||
	    (rc = agent_stmt_get(a, ST_FILE_ADD, &st)))
		goto done;
	sqlite3_bind_text(st, 1, json_string_value(json_object_get(t->item, "sha256")), -1,
	                  SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, json_integer_value(json_object_get(t->item, "size")));
	sqlite3_bind_text(st, 3, t->code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, "up", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, ds_time_now());
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "files");
done:
	agent_stmt_put(st);
	json_decref(state);
	json_decref(patch);
	json_decref(list);
	return rc;
}

static int too_big(const agent *a, const char *what, int64_t size)
{
	return ds_error_set(DS_EINVALID,
	                    "%s is %lld bytes, over the %ld bytes an attachment may have "
	                    "(attach_max_bytes)",
	                    what, (long long)size, a->cfg.attach_max_bytes);
}

/* Reads path whole (up to the cap). */
static int read_scan(agent *a, const char *path, ds_buf *b)
{
	int64_t size = 0;
	int rc;

	if ((rc = ds_os_file_size(path, &size)))
		return ds_error_set(rc == DS_ENOTFOUND ? DS_EINVALID : rc, "%s", ds_error_msg());
	if (size > a->cfg.attach_max_bytes)
		return too_big(a, path, size);
	if ((rc = ds_file_read(path, (size_t)a->cfg.attach_max_bytes + 1, b)))
		return ds_error_set(DS_EINVALID, "cannot read %s: %s", path, ds_error_msg());
	return 0;
}

/* The item describing n bytes at p under name: name, mime, size, sha256. */
static int describe(const char *name, const void *p, size_t n, json_t **item)
{
	char sha[DS_SHA256_HEX];

	if (!*name || strchr(name, '/') || strchr(name, '\\'))
		return ds_error_set(DS_EINVALID, "an attachment's name is a file name, not '%s'",
		                    name);
	ds_sha256_hex(p, n, sha);
	*item = json_pack("{s:s,s:s,s:I,s:s}", "name", name, "mime", mime_of(name), "size",
	                  (json_int_t)n, "sha256", sha);
	return *item ? 0 : ds_error_set(DS_EINVALID, "%s: the file name is not valid UTF-8", name);
}

/* Puts the bytes at DIR/files/ab/SHA256 unless they are there; *created when written. */
static int store_bytes(agent *a, const char *sha, const void *p, size_t n, int *created)
{
	char *path = agent_file_path(a, sha), *dir = ds_asprintf("%s/files/%.2s", a->dir, sha);
	char got[DS_SHA256_HEX] = "";
	int rc = 0;

	*created = 0;
	if (ds_sha256_file(path, got) != 0 || strcmp(got, sha) != 0) {
		if (!(rc = ds_mkdirs(dir, 0700)) && !(rc = ds_file_write_atomic(path, p, n, 0600)))
			*created = 1;
	}
	free(path);
	free(dir);
	return rc;
}

int agent_attach(agent *a, const char *code, const char *path, const char *component,
                 const char *kind, json_t **item)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	ds_buf b = DS_BUF_INIT;
	json_t *probe = NULL;
	int64_t version = 0;
	int rc;

	*item = NULL;
	/* An unknown code is named before the file is read. */
	if (!(rc = agent_load(a, code, &probe, &version)) && !(rc = read_scan(a, path, &b)))
		rc = agent_attach_bytes(a, code, name, b.ptr, b.len, component, kind, item);
	json_decref(probe);
	ds_buf_release(&b);
	return rc;
}

int agent_attach_bytes(agent *a, const char *code, const char *name, const void *p, size_t n,
                       const char *component, const char *kind, json_t **item)
{
	struct attach t = {code, component, kind ? kind : "scan", NULL, 0};
	json_t *probe = NULL;
	int64_t version = 0;
	int created = 0, rc;

	*item = NULL;
	if (strcmp(t.kind, "scan") && strcmp(t.kind, "result"))
		return ds_error_set(DS_EINVALID, "kind is scan or result, not '%s'", t.kind);
	if ((int64_t)n > a->cfg.attach_max_bytes && (rc = too_big(a, name, (int64_t)n)))
		goto done;
	if ((rc = agent_load(a, code, &probe, &version)) || (rc = describe(name, p, n, &t.item)))
		goto done;
	json_object_set_new(t.item, "kind", json_string(t.kind));
	if (component)
		json_object_set_new(t.item, "component", json_string(component));
	if ((rc = store_bytes(a, json_string_value(json_object_get(t.item, "sha256")), p, n,
	                      &created)))
		goto done;
	if ((rc = agent_tx(a, attach_tx, &t)) && created) {
		char *path =
		    agent_file_path(a, json_string_value(json_object_get(t.item, "sha256")));
		ds_os_remove(path); /* nothing written on error */
		free(path);
	}
done:
	if (!rc)
		*item = json_incref(t.item);
	json_decref(t.item);
	json_decref(probe);
	return rc;
}

/* The files central refused last time: [{sha256, code, error}], ten at most. */
static int refusals(agent *a, json_t **out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = json_array();
	if ((rc = agent_stmt_get(a, ST_FILE_REFUSED, &st)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(*out, json_pack("{s:s,s:s,s:s}", "sha256",
		                                      sqlite3_column_text(st, 0), "code",
		                                      sqlite3_column_text(st, 1), "error",
		                                      sqlite3_column_text(st, 2)));
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "files");
	agent_stmt_put(st);
	return rc;
}

int agent_attach_backlog(agent *a, json_t **out)
{
	sqlite3_stmt *st = NULL;
	char rate[32] = "";
	char *r = NULL;
	json_t *list = NULL;
	int64_t files = 0, bytes = 0, oldest = 0, refused = 0, bps = 0;
	int rc;

	*out = NULL;
	if ((rc = agent_stmt_get(a, ST_FILE_BACKLOG, &st)))
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		files = sqlite3_column_int64(st, 0);
		bytes = sqlite3_column_int64(st, 1);
		oldest = sqlite3_column_int64(st, 2);
		refused = sqlite3_column_int64(st, 3);
	}
	rc = rc == SQLITE_ROW ? 0 : ds_error_sqlite(agent_db(a), rc, "files");
	agent_stmt_put(st);
	if (!rc && (rc = agent_state_get(a, "attach_rate_bps", &r)) == 0 && r)
		snprintf(rate, sizeof(rate), "%s", r), bps = atoll(rate);
	free(r);
	if (rc || (rc = refusals(a, &list)))
		return rc;
	*out = json_pack("{s:o,s:I,s:I,s:o,s:I,s:o,s:o}", "refusals", list, "files",
	                 (json_int_t)files, "bytes", (json_int_t)bytes, "oldest_age_s",
	                 files ? json_integer(ds_time_now() - oldest) : json_null(), "refused",
	                 (json_int_t)refused, "rate_bps", bps > 0 ? json_integer(bps) : json_null(),
	                 "eta_s",
	                 files && bps > 0 ? json_integer((bytes + bps - 1) / bps)
	                 : files          ? json_null()
	                                  : json_integer(0));
	return 0;
}
