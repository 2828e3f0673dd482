/* files.c: the client's side of attachments (docs/PROTOCOL.md "Attachments"): asking what
 * central holds of a file, sending a chunk with its SHA-256 and reading central's receipt,
 * and reading a byte range back. Chunks travel raw (application/octet-stream: scans are
 * compressed already); answers and errors are the usual zlib JSON documents. */
#include "sync/client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- the chunk's body */
/* Before each request libcurl sends: a chunk goes once per attempt. libcurl resends a
 * request on a new connection when the reused one died before an answer, and for a body
 * read by a callback it may then send what it had buffered from mid-body under the
 * chunk's offset; central keeps what arrives of a cut chunk, so that resend is refused
 * here before a byte of it leaves (the client asks central's length instead). */
static int on_prereq(void *cls, char *ip, char *local_ip, int port, int local_port)
{
	sync_client *c = cls;

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	return c->upload && ++c->prereqs > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

/* A PUT body, read from c->upload. */
static size_t on_read(char *p, size_t size, size_t n, void *cls)
{
	sync_client *c = cls;
	size_t left = c->upload->len - c->upload_at, k = size * n < left ? size * n : left;

	memcpy(p, c->upload->ptr + c->upload_at, k);
	c->upload_at += k;
	return k;
}

/* libcurl resends a request whose reused connection died before any answer, rewinding
 * its body. A chunk must not be: central may have kept what arrived, so the client asks
 * central's length instead (files.c). */
static int on_seek(void *cls, curl_off_t offset, int origin)
{
	(void)cls;
	(void)offset;
	(void)origin;
	return CURL_SEEKFUNC_CANTSEEK;
}

void sync_upload_setup(sync_client *c)
{
	curl_easy_setopt(c->h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c->h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c->h, CURLOPT_READDATA, c);
	curl_easy_setopt(c->h, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(c->h, CURLOPT_SEEKDATA, c);
	curl_easy_setopt(c->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->upload->len);
	curl_easy_setopt(c->h, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(c->h, CURLOPT_PREREQDATA, c);
}

/* ---------------------------------------------------------------- requests */
int sync_sha256_ok(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int args_check(const char *sha256, const char *code)
{
	if (!sync_sha256_ok(sha256))
		return ds_error_set(DS_EINVALID, "files: not a SHA-256: %s", sha256 ? sha256 : "");
	if (!code || !code[0] || strlen(code) > 64 || strpbrk(code, "&?#/% "))
		return ds_error_set(DS_EINVALID, "files: not a dossier code: %s", code ? code : "");
	return 0;
}

/* The token line of c's GET headers plus the extra line (NULL: none), for one request. */
static struct curl_slist *headers_with(const sync_client *c, const char *extra)
{
	struct curl_slist *out = NULL, *h;

	for (h = c->get_hdrs; h; h = h->next)
		out = curl_slist_append(out, h->data);
	if (extra)
		out = curl_slist_append(out, extra);
	return curl_slist_append(out, "Expect:");
}

/* Reads {"size", "have", "complete"} from a document into st; DS_EINVALID when absent. */
static int state_read(const json_t *doc, sync_file_state *st)
{
	const json_t *size = json_object_get(doc, "size"), *have = json_object_get(doc, "have");

	if (!json_is_integer(size) || !json_is_integer(have) ||
	    !json_is_boolean(json_object_get(doc, "complete")) || json_integer_value(have) < 0 ||
	    json_integer_value(have) > json_integer_value(size))
		return DS_EINVALID;
	st->size = json_integer_value(size);
	st->have = json_integer_value(have);
	st->complete = json_is_true(json_object_get(doc, "complete"));
	return 0;
}

/* A file answer other than 200/206 as a DS_* code with central's line (sync.h). */
static int file_error(sync_client *c, long status, sync_file_state *st)
{
	char text[512];
	json_t *doc = sync_error_doc(c, status, text, sizeof(text));
	int rc;

	if (st && doc)
		state_read(doc, st);
	if (status == 409 || status == 422)
		rc = ds_error_set(status == 409 ? DS_ECONFLICT : DS_ERETRY, "central (%ld): %s",
		                  status, text);
	else if (status == 404)
		rc = ds_error_set(DS_ENOTFOUND, "central (404): %s", text);
	else if (status == 413)
		rc = ds_error_set(DS_ETOOBIG, "central refused the file (413): %s", text);
	else if (status == 507)
		rc = ds_error_set(DS_ENOSPC, "central refused the file (507): %s", text);
	else if (status == 401 || status == 403)
		rc = ds_error_set(DS_EPERM, "central refused the token (%ld): %s", status, text);
	else if (status == 429 || status >= 500)
		rc = ds_error_set(DS_ERETRY, "central is busy or failing at %s (%ld): %s", c->url,
		                  status, text);
	else
		rc = ds_error_set(DS_ERROR, "central answered %ld at %s: %s", status, c->url, text);
	json_decref(doc);
	return rc;
}

/* Decodes a 200 answer carrying a file state. */
static int state_answer(sync_client *c, sync_file_state *st)
{
	json_t *doc = NULL;
	int rc = sync_body_decode(c->resp.ptr, c->resp.len, 1u << 16, &doc);

	if (!rc)
		rc = state_read(doc, st);
	json_decref(doc);
	if (rc)
		return ds_error_set(DS_ERETRY, "central's answer about a file at %s is unreadable",
		                    c->url);
	return 0;
}

int sync_client_file_state(sync_client *c, const char *sha256, const char *code,
                           sync_file_state *st)
{
	char path[256];
	long status = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = args_check(sha256, code)))
		return rc;
	snprintf(path, sizeof(path), "/v1/files/%s/state?code=%s", sha256, code);
	if ((rc = sync_perform(c, path, NULL, &status)))
		return rc;
	return status == 200 ? state_answer(c, st) : file_error(c, status, st);
}

int sync_client_file_put(sync_client *c, const char *sha256, const char *code, int64_t offset,
                         const void *p, size_t n, sync_file_state *st)
{
	char path[384], chunk[DS_SHA256_HEX];
	ds_buf body = {(char *)p, n, n, 0};
	long status = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = args_check(sha256, code)))
		return rc;
	if (n == 0 || n > SYNC_MAX_CHUNK || offset < 0)
		return ds_error_set(DS_EINVALID, "files: a chunk is 1 to %u bytes", SYNC_MAX_CHUNK);
	ds_sha256_hex(p, n, chunk);
	snprintf(path, sizeof(path), "/v1/files/%s?code=%s&offset=%lld&chunk=%s", sha256, code,
	         (long long)offset, chunk);
	c->method = "PUT";
	c->upload = &body;
	c->req_hdrs = headers_with(c, "Content-Type: application/octet-stream");
	rc = sync_perform(c, path, NULL, &status);
	curl_slist_free_all(c->req_hdrs);
	c->req_hdrs = NULL;
	c->method = NULL;
	c->upload = NULL;
	if (rc)
		return rc;
	return status == 200 ? state_answer(c, st) : file_error(c, status, st);
}

int sync_client_file_get(sync_client *c, const char *sha256, const char *code, int64_t from,
                         size_t max, ds_buf *out)
{
	char path[256], range[64];
	long status = 0;
	int rc;

	if ((rc = args_check(sha256, code)))
		return rc;
	if (from < 0 || max == 0 || max > SYNC_MAX_CHUNK)
		return ds_error_set(DS_EINVALID, "files: a range is 1 to %u bytes", SYNC_MAX_CHUNK);
	snprintf(path, sizeof(path), "/v1/files/%s?code=%s", sha256, code);
	snprintf(range, sizeof(range), "%lld-%lld", (long long)from,
	         (long long)(from + (int64_t)max - 1));
	c->range = range;
	rc = sync_perform(c, path, NULL, &status);
	c->range = NULL;
	if (rc)
		return rc;
	if (status != 206 && !(status == 200 && from == 0))
		return status == 200 ? ds_error_set(DS_ERETRY, "central ignored the byte range")
		                     : file_error(c, status, NULL);
	if (c->resp.len > max)
		return ds_error_set(DS_ERETRY, "central sent %zu bytes for a range of %zu",
		                    c->resp.len, max);
	return ds_buf_add(out, c->resp.ptr, c->resp.len);
}
