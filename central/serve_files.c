/* serve_files.c: the attachment endpoints (docs/PROTOCOL.md "Attachments"): the state of
 * a file, a chunk up (PUT, raw bytes) with its receipt, and a byte range down (GET with
 * Range, straight from the file). files.c decides; this file reads the request and
 * answers. */
#include "central/serve_int.h"
#include "sync/sync.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The state document of a file, as a 200 answer or inside a refusal. */
static json_t *state_doc(const char *sha256, const central_file_res *res)
{
	return json_pack("{s:s,s:I,s:I,s:b}", "sha256", sha256, "size", (json_int_t)res->size,
	                 "have", (json_int_t)res->have, "complete", res->complete);
}

/* The answer to rc: the state, a file refusal with the state in it, or the usual error. */
static enum MHD_Result reply_file(struct MHD_Connection *c, int rc, const char *sha256,
                                  const central_file_res *res)
{
	json_t *doc;

	if (rc == 0)
		return serve_reply_json(c, MHD_HTTP_OK, state_doc(sha256, res));
	if (!res->status)
		return serve_reply_error(c, serve_http_status(rc), ds_error_msg(), 0);
	doc = state_doc(sha256, res);
	json_object_set_new(doc, "error", json_string(ds_error_msg()));
	if (serve_current)
		snprintf(serve_current->error, sizeof(serve_current->error), "%u %s", res->status,
		         ds_error_msg());
	return serve_reply_json(c, res->status, doc);
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* A decimal offset of digits only, or -1. */
static int64_t offset_arg(const char *v)
{
	int64_t n = 0;

	if (!v || !*v || strlen(v) > 15)
		return -1;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		n = n * 10 + (*v - '0');
	}
	return n;
}

static enum MHD_Result on_put(server *sv, struct MHD_Connection *c, request *r, const char *sha256)
{
	int64_t offset = offset_arg(arg(c, "offset"));
	central_store *s = NULL;
	central_file_res res;
	int rc;

	memset(&res, 0, sizeof(res));
	if (r->too_big || r->body.len > SYNC_MAX_CHUNK)
		return serve_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "a chunk is at most 1 MiB",
		                         0);
	if (offset < 0 || r->body.len == 0 || !sync_sha256_ok(arg(c, "chunk")))
		return serve_reply_error(c, MHD_HTTP_BAD_REQUEST,
		                         "give ?offset=N (digits), ?chunk=SHA256 and a chunk of 1 "
		                         "byte or more",
		                         0);
	if ((rc = serve_pool_get(sv, &s)) == 0)
		rc = central_file_put(s, &r->auth, &sv->files, sha256, arg(c, "code"), offset,
		                      arg(c, "chunk"), r->body.ptr, r->body.len, &res);
	serve_pool_put(sv, s);
	return reply_file(c, rc, sha256, &res);
}

/* "bytes=N-" or "bytes=N-M" within size into [*from, *to]; 0 when there is no header,
 * -1 when it cannot be served (416). */
static int range_of(struct MHD_Connection *c, int64_t size, int64_t *from, int64_t *to)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	char *end;

	*from = 0;
	*to = size - 1;
	if (!h)
		return 0;
	if (strncmp(h, "bytes=", 6) || h[6] < '0' || h[6] > '9')
		return -1;
	*from = strtoll(h + 6, &end, 10);
	if (*end++ != '-')
		return -1;
	if (*end)
		*to = strtoll(end, &end, 10);
	if (*end || *from >= size || *to < *from)
		return -1;
	if (*to >= size)
		*to = size - 1;
	return 1;
}

/* The bytes asked, straight from the file (the response owns the descriptor). */
static enum MHD_Result send_range(struct MHD_Connection *c, const char *path, int64_t size)
{
	struct MHD_Response *resp;
	int64_t from, to;
	int ranged = range_of(c, size, &from, &to), fd;
	enum MHD_Result ret;
	char cr[96];

	if (ranged < 0 && size > 0)
		return serve_reply_error(c, MHD_HTTP_RANGE_NOT_SATISFIABLE,
		                         "the range is outside the file", 0);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return serve_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                         "central cannot read the file", 0);
	if (size == 0)
		from = 0, to = -1;
	resp =
	    MHD_create_response_from_fd_at_offset64((uint64_t)(to - from + 1), fd, (uint64_t)from);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	snprintf(cr, sizeof(cr), "bytes %lld-%lld/%lld", (long long)from, (long long)to,
	         (long long)size);
	if (ranged > 0)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	ret = MHD_queue_response(c, ranged > 0 ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	if (serve_current)
		serve_current->status = ranged > 0 ? 206 : 200,
		serve_current->bytes_out = (size_t)(to - from + 1);
	return ret;
}

static enum MHD_Result on_get(server *sv, struct MHD_Connection *c, request *r, const char *sha256)
{
	central_store *s = NULL;
	char *path = NULL;
	int64_t size = 0;
	enum MHD_Result ret;
	int rc;

	if ((rc = serve_pool_get(sv, &s)) == 0)
		rc = central_file_path(s, &r->auth, &sv->files, sha256, arg(c, "code"), &path,
		                       &size);
	serve_pool_put(sv, s);
	if (rc)
		return serve_reply_error(c, serve_http_status(rc), ds_error_msg(), 0);
	ret = send_range(c, path, size);
	free(path);
	return ret;
}

void serve_chunk_begin(server *sv, request *r)
{
	size_t i;

	pthread_mutex_lock(&sv->chunk_lock);
	for (i = 0; i < DS_ARRAY_LEN(sv->chunks) && r->chunk_slot < 0; i++)
		if (!sv->chunks[i][0]) {
			memcpy(sv->chunks[i], r->file_sha, sizeof(sv->chunks[i]));
			r->chunk_slot = (int)i;
		}
	pthread_mutex_unlock(&sv->chunk_lock);
}

void serve_chunk_end(server *sv, request *r)
{
	if (r->chunk_slot < 0)
		return;
	pthread_mutex_lock(&sv->chunk_lock);
	sv->chunks[r->chunk_slot][0] = '\0';
	r->chunk_slot = -1;
	pthread_cond_broadcast(&sv->chunk_done);
	pthread_mutex_unlock(&sv->chunk_lock);
}

/* 1 while a chunk of sha256 is being received (the caller holds chunk_lock). */
static int receiving(server *sv, const char *sha256)
{
	size_t i;

	for (i = 0; i < DS_ARRAY_LEN(sv->chunks); i++)
		if (!strcmp(sv->chunks[i], sha256))
			return 1;
	return 0;
}

/* A client asks the state right after a cut, often before this server has seen the cut
 * chunk end: wait for it (2 s at most), so the answer counts the prefix it keeps. */
static void wait_chunks(server *sv, const char *sha256)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&sv->chunk_lock);
	while (receiving(sv, sha256) &&
	       pthread_cond_timedwait(&sv->chunk_done, &sv->chunk_lock, &until) == 0)
		;
	pthread_mutex_unlock(&sv->chunk_lock);
}

static enum MHD_Result on_state(server *sv, struct MHD_Connection *c, request *r,
                                const char *sha256)
{
	central_store *s = NULL;
	central_file_res res;
	int rc;

	memset(&res, 0, sizeof(res));
	wait_chunks(sv, sha256);
	if ((rc = serve_pool_get(sv, &s)) == 0)
		rc = central_file_state(s, &r->auth, &sv->files, sha256, arg(c, "code"), &res);
	serve_pool_put(sv, s);
	return reply_file(c, rc, sha256, &res);
}

enum MHD_Result serve_on_file(server *sv, struct MHD_Connection *c, request *r, const char *rest,
                              const char *method)
{
	char sha256[DS_SHA256_HEX];
	int state = strlen(rest) == 70 && strcmp(rest + 64, "/state") == 0;

	snprintf(sha256, sizeof(sha256), "%.64s", rest);
	if (!sv->files.dir)
		return serve_reply_error(c, MHD_HTTP_NOT_IMPLEMENTED,
		                         "this central keeps no attachments (serve --files DIR)",
		                         0);
	if ((strlen(rest) != 64 && !state) || !sync_sha256_ok(sha256))
		return serve_reply_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint", 0);
	if (strcmp(method, MHD_HTTP_METHOD_PUT) == 0)
		return state ? serve_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		                                 "method not allowed here", 0)
		             : on_put(sv, c, r, sha256);
	return state ? on_state(sv, c, r, sha256) : on_get(sv, c, r, sha256);
}

void serve_file_keep_cut(server *sv, request *r)
{
	central_store *s = NULL;
	central_file_res res;
	int rc;

	if (!sv->files.dir || !sync_sha256_ok(r->file_sha))
		return;
	if ((rc = serve_pool_get(sv, &s)) == 0)
		rc = central_file_put(s, &r->auth, &sv->files, r->file_sha, r->file_code,
		                      r->file_offset, NULL, r->body.ptr, r->body.len, &res);
	serve_pool_put(sv, s);
	if (rc == 0)
		ds_log(DS_LOG_DEBUG, "kept %zu bytes of a cut chunk of %s at %lld", r->body.len,
		       r->file_sha, (long long)r->file_offset);
}
