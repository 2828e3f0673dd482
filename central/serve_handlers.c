/* serve_handlers.c: central's replies (JSON, deflated when the client asks, errors with
 * their HTTP status) and its endpoint handlers: health, metrics, push, pull, one dossier,
 * the data files (docs/PROTOCOL.md). server.c routes each request here. */
#include "central/serve_int.h"
#include "sync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- responses */
unsigned serve_http_status(int rc)
{
	switch (rc) {
	case DS_EINVALID:
	case DS_EUSAGE:
		return MHD_HTTP_BAD_REQUEST;
	case DS_EPERM:
		return MHD_HTTP_FORBIDDEN;
	case DS_ENOTFOUND:
		return MHD_HTTP_NOT_FOUND;
	case DS_ECONFLICT:
		return MHD_HTTP_CONFLICT;
	case DS_ETOOBIG:
		return MHD_HTTP_CONTENT_TOO_LARGE;
	case DS_ERETRY:
	case DS_ENOSPC:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	default:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* Queues body with its content type (and encoding, NULL: none); takes the bytes. */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *encoding, ds_buf *body)
{
	size_t len;
	char *p = ds_buf_detach(body, &len);
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(p);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (encoding)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	if (serve_current)
		serve_current->status = status, serve_current->bytes_out = len;
	return ret;
}

enum MHD_Result serve_reply_body(struct MHD_Connection *c, unsigned status, ds_buf *body)
{
	return queue(c, status, "application/json", "deflate", body);
}

/* Queues body as is (not compressed) with its content type; takes the bytes. */
static enum MHD_Result reply_plain(struct MHD_Connection *c, unsigned status, const char *type,
                                   ds_buf *body)
{
	return queue(c, status, type, NULL, body);
}

enum MHD_Result serve_reply_json(struct MHD_Connection *c, unsigned status, json_t *doc)
{
	ds_buf body = DS_BUF_INIT;
	int rc = sync_body_encode(doc, &body);

	json_decref(doc);
	if (rc) {
		ds_buf_release(&body);
		return MHD_NO;
	}
	return serve_reply_body(c, status, &body);
}

/* {"error": msg} (plus "expected_seq" when it is > 0). */
enum MHD_Result serve_reply_error(struct MHD_Connection *c, unsigned status, const char *msg,
                                  int64_t expected_seq)
{
	json_t *doc = json_pack("{s:s}", "error", msg);

	if (!doc)
		doc = json_pack("{s:s}", "error", "(message not valid UTF-8)");
	if (expected_seq > 0)
		json_object_set_new(doc, "expected_seq", json_integer(expected_seq));
	if (status >= 500)
		ds_log(DS_LOG_ERROR, "answering %u: %s", status, msg);
	if (serve_current)
		snprintf(serve_current->error, sizeof(serve_current->error), "%u %s", status, msg);
	return serve_reply_json(c, status, doc);
}

static enum MHD_Result reply_rc(struct MHD_Connection *c, int rc)
{
	if (serve_http_status(rc) >= 500)
		central_metrics_db_error();
	return serve_reply_error(c, serve_http_status(rc), ds_error_msg(), 0);
}

/* ---------------------------------------------------------------- handlers */
/* 1 when the client accepts a deflate body (Accept-Encoding names it, without q=0). */
static int wants_deflate(struct MHD_Connection *c)
{
	const char *h =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *d = h ? strcasestr(h, "deflate") : NULL;

	return d && strncmp(d + 7 + strspn(d + 7, " "), ";q=0", 4) != 0;
}

/* {"ok": true, "v"} once the database answers; 503 {"ok": false, "v", "error"} when it
 * does not. Compressed only for a client that asks for deflate. */
enum MHD_Result serve_on_health(server *sv, struct MHD_Connection *c)
{
	ds_buf body = DS_BUF_INIT;
	central_store *s = NULL;
	int64_t head = 0;
	json_t *doc;
	char *text;
	int rc = serve_pool_get(sv, &s);

	if (rc == 0)
		rc = central_feed_head(s, &head);
	serve_pool_put(sv, s);
	doc = json_pack("{s:b, s:i}", "ok", rc == 0, "v", SYNC_PROTOCOL_VERSION);
	if (rc) {
		central_metrics_db_error();
		ds_log(DS_LOG_ERROR, "health: %s", ds_error_msg());
		json_object_set_new(doc, "error", json_string(ds_error_msg()));
	}
	if (wants_deflate(c))
		return serve_reply_json(c, rc ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, doc);
	text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text || ds_buf_puts(&body, text) || ds_buf_puts(&body, "\n")) {
		free(text);
		ds_buf_release(&body);
		return MHD_NO;
	}
	free(text);
	return reply_plain(c, rc ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, "application/json",
	                   &body);
}

/* The Prometheus text exposition; 503 with what failed when the database does not
 * answer (a failed scrape is what monitoring should see then). */
enum MHD_Result serve_on_metrics(server *sv, struct MHD_Connection *c)
{
	ds_buf body = DS_BUF_INIT;
	central_store *s = NULL;
	int rc = serve_pool_get(sv, &s);

	if (rc == 0)
		rc = central_metrics_render(s, &body);
	serve_pool_put(sv, s);
	if (rc) {
		ds_buf_release(&body);
		return reply_rc(c, rc);
	}
	return reply_plain(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &body);
}

/* Remembers the node a request came from, when it is a valid name. */
static void note_node(request *r, const char *node)
{
	if (node && sync_node_ok(node))
		snprintf(r->node, sizeof(r->node), "%s", node);
}

static enum MHD_Result push_answer(server *sv, struct MHD_Connection *c, request *r)
{
	json_t *doc = NULL, *receipts = NULL;
	central_store *s = NULL;
	ds_buf body = DS_BUF_INIT;
	int64_t expected = 0;
	sync_head head;
	int rc;

	memset(&head, 0, sizeof(head));
	if (r->too_big)
		return serve_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
		                         "request body larger than the 8 MiB limit", 0);
	rc = sync_push_decode(r->body.ptr, r->body.len, &doc);
	if (rc == 0)
		note_node(r, json_string_value(json_object_get(doc, "node")));
	if (rc == 0)
		rc = serve_pool_get(sv, &s);
	if (rc == 0)
		rc = central_push_answer(s, &r->auth, doc, &receipts, &expected, &head);
	serve_pool_put(sv, s);
	json_decref(doc);
	central_metrics_receipts(receipts);
	if (rc == DS_ECONFLICT)
		return serve_reply_error(c, MHD_HTTP_CONFLICT, ds_error_msg(), expected);
	if (rc == 0)
		rc = sync_receipts_encode_head(receipts, &head, &body);
	json_decref(receipts);
	if (rc) {
		ds_buf_release(&body);
		return reply_rc(c, rc);
	}
	return serve_reply_body(c, MHD_HTTP_OK, &body);
}

/* push_answer, timed from the full body to the queued answer. */
enum MHD_Result serve_on_push(server *sv, struct MHD_Connection *c, request *r)
{
	int64_t t0 = serve_now_us();
	enum MHD_Result ret = push_answer(sv, c, r);

	central_metrics_push(serve_now_us() - t0);
	return ret;
}

/* A non-negative decimal argument, digits only (no sign, no space); def when absent. */
static int int_arg(struct MHD_Connection *c, const char *name, int64_t def, int64_t *out)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char *end;

	*out = def;
	if (!v)
		return 0;
	*out = strtoll(v, &end, 10);
	if (!v[0] || strspn(v, "0123456789") != strlen(v) || *end || *out < 0 ||
	    *out > INT64_MAX / 2)
		return ds_error_set(DS_EINVALID, "%s: must be a whole number, not \"%s\"", name, v);
	return 0;
}

/* The optional node argument: the asker's node name, NULL when absent. */
static int node_arg(struct MHD_Connection *c, const char **out)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "node");

	*out = v;
	if (v && !sync_node_ok(v))
		return ds_error_set(DS_EINVALID, "node: must be 1 to 64 of A-Z a-z 0-9 . _ -");
	return 0;
}

/* A pull with node=: where it ended and how much of the feed it could see remained. */
static void note_pull(central_store *s, request *r, int64_t next, int more)
{
	int64_t behind = 0;

	if (more && central_feed_behind(s, &r->auth, next, &behind)) {
		central_metrics_db_error();
		return;
	}
	r->pull_cursor = next;
	r->pull_behind = behind;
}

enum MHD_Result serve_on_pull(server *sv, struct MHD_Connection *c, request *r)
{
	json_t *changes = NULL, *data = NULL;
	central_store *s = NULL;
	ds_buf body = DS_BUF_INIT;
	int64_t since, limit, next = 0;
	char own[DS_SHA256_HEX];
	sync_head head;
	const char *node;
	int more = 0, rc;

	memset(&head, 0, sizeof(head));
	if ((rc = int_arg(c, "since", 0, &since)) ||
	    (rc = int_arg(c, "limit", CENTRAL_PULL_DEFAULT, &limit)) || (rc = node_arg(c, &node)))
		return reply_rc(c, rc);
	note_node(r, node);
	if (limit < 1 || limit > SYNC_MAX_PULL_LIMIT)
		return serve_reply_error(c, MHD_HTTP_BAD_REQUEST, "limit: must be 1 to 5000", 0);
	rc = serve_pool_get(sv, &s);
	if (rc == 0)
		rc = central_pull_node(s, &r->auth, since, (int)limit, node, &changes, &next, &more,
		                       own);
	/* Read after the page: the head is never behind what the page shows. */
	if (rc == 0 && node)
		head.known = central_node_head(s, &r->auth, node, &head.seq, head.hash) == 0;
	if (rc == 0 && node)
		note_pull(s, r, next, more);
	if (rc == 0)
		rc = central_data_versions(s, &data);
	serve_pool_put(sv, s);
	if (rc == 0)
		rc = sync_changes_encode_page(changes, next, more, own, &head, data, &body);
	json_decref(changes);
	json_decref(data);
	if (rc) {
		ds_buf_release(&body);
		return reply_rc(c, rc);
	}
	return serve_reply_body(c, MHD_HTTP_OK, &body);
}

enum MHD_Result serve_on_dossier(server *sv, struct MHD_Connection *c, request *r, const char *code)
{
	central_store *s = NULL;
	json_t *d = NULL;
	int rc = serve_pool_get(sv, &s);

	if (rc == 0)
		rc = central_dossier_get(s, &r->auth, code, &d);
	serve_pool_put(sv, s);
	return rc ? reply_rc(c, rc) : serve_reply_json(c, MHD_HTTP_OK, d);
}

/* GET /v1/data?calendar=V&procedures=V: the serve_current files the asker does not hold. */
enum MHD_Result serve_on_data(server *sv, struct MHD_Connection *c)
{
	static const char *const kinds[] = {"calendar", "procedures"};
	json_t *have = json_object(), *files = NULL;
	central_store *s = NULL;
	size_t i;
	int rc;

	for (i = 0; i < DS_ARRAY_LEN(kinds); i++) {
		const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, kinds[i]);
		if (v && *v)
			json_object_set_new(have, kinds[i], json_string(v));
	}
	rc = sync_data_versions_check(have);
	if (rc == 0 && (rc = serve_pool_get(sv, &s)) == 0)
		rc = central_data_files(s, have, &files);
	serve_pool_put(sv, s);
	json_decref(have);
	return rc ? reply_rc(c, rc) : serve_reply_json(c, MHD_HTTP_OK, files);
}
