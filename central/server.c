/* server.c: the HTTP face of central (docs/PROTOCOL.md) on libmicrohttpd with a thread
 * pool. Each request borrows a store (its own SQLite connection and statement cache) from
 * a small pool; writes queue on one in-process lock. A request goes:
 *
 *   first call --(route, token, Content-Length)--> refused at once (401/404/405/413)
 *       v
 *   body chunks --(over SYNC_MAX_BODY: dropped, remembered)--> final call --> reply
 *
 * Every accepted request, GETs included, is answered on the final call: libmicrohttpd
 * closes the connection after a reply queued before the request was read to its end, and
 * clients keep one connection for a whole sync.
 *
 * SIGTERM or SIGINT: stop accepting, wait for the requests in flight, close the stores.
 *
 * Every request, once done, is counted (metrics.c), logged in one access line
 * (serve_log.c) and noted as its node's last contact (contact.c).
 */
#include "central/central_int.h"
#include "sync/sync.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_MS 10000 /* how long a stopping server waits for requests in flight */

typedef struct server {
	const char *db_path;
	pthread_mutex_t pool_lock;
	pthread_mutex_t write_lock;
	central_group group;
	central_store **stores; /* every store opened, to close at the end */
	size_t nstores;
	central_store **idle; /* the ones not lent out */
	size_t nidle;
	size_t cap;
	atomic_int inflight;
	central_contacts *contacts;
} server;

enum route { R_NONE, R_HEALTH, R_PUSH, R_PULL, R_DOSSIER, R_DATA, R_METRICS };
/* How each route is counted and logged (metrics.c knows the same names). */
static const char *const route_name[] = {"other",        "/v1/health", "/v1/push", "/v1/pull",
                                         "/v1/dossiers", "/v1/data",   "/metrics"};

typedef struct request {
	enum route route;
	int answered; /* a response was queued before the body was read */
	int too_big;  /* the body went past SYNC_MAX_BODY: dropped */
	central_auth auth;
	ds_buf body;
	/* for the access line, the counters and the node's contact */
	int64_t started_us;
	size_t bytes_in, bytes_out;
	unsigned status; /* 0: no answer was queued */
	char node[65];   /* the node it came from, when it said */
	char error[CENTRAL_CONTACT_ERROR_MAX + 1];
	int64_t pull_cursor, pull_behind; /* -1: not a pull with node= */
} request;

/* The request the calling thread is answering: libmicrohttpd calls on_request and the
 * replies it queues on one thread, so the replies note status and size here. */
static _Thread_local request *current;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------- the store pool */
static int pool_get(server *sv, central_store **out)
{
	int rc = 0;

	*out = NULL;
	pthread_mutex_lock(&sv->pool_lock);
	if (sv->nidle) {
		*out = sv->idle[--sv->nidle];
	} else if (sv->nstores == sv->cap) {
		rc = ds_error_set(DS_ERETRY, "every database connection is busy");
	} else if ((rc = central_store_open(out, sv->db_path, 0)) == 0) {
		(*out)->write_lock = &sv->write_lock;
		(*out)->group = &sv->group;
		sv->stores[sv->nstores++] = *out;
	}
	pthread_mutex_unlock(&sv->pool_lock);
	return rc;
}

static void pool_put(server *sv, central_store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&sv->pool_lock);
	sv->idle[sv->nidle++] = s;
	pthread_mutex_unlock(&sv->pool_lock);
}

/* ---------------------------------------------------------------- responses */
static unsigned http_status(int rc)
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

/* Queues body (an encoded document) with status; takes the bytes. */
static enum MHD_Result reply_body(struct MHD_Connection *c, unsigned status, ds_buf *body)
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
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "deflate");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	if (current)
		current->status = status, current->bytes_out = len;
	return ret;
}

/* Queues body as is (not compressed) with its content type; takes the bytes. */
static enum MHD_Result reply_plain(struct MHD_Connection *c, unsigned status, const char *type,
                                   ds_buf *body)
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
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	if (current)
		current->status = status, current->bytes_out = len;
	return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, json_t *doc)
{
	ds_buf body = DS_BUF_INIT;
	int rc = sync_body_encode(doc, &body);

	json_decref(doc);
	if (rc) {
		ds_buf_release(&body);
		return MHD_NO;
	}
	return reply_body(c, status, &body);
}

/* {"error": msg} (plus "expected_seq" when it is > 0). */
static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *msg,
                                   int64_t expected_seq)
{
	json_t *doc = json_pack("{s:s}", "error", msg);

	if (!doc)
		doc = json_pack("{s:s}", "error", "(message not valid UTF-8)");
	if (expected_seq > 0)
		json_object_set_new(doc, "expected_seq", json_integer(expected_seq));
	if (status >= 500)
		ds_log(DS_LOG_ERROR, "answering %u: %s", status, msg);
	if (current)
		snprintf(current->error, sizeof(current->error), "%u %s", status, msg);
	return reply_json(c, status, doc);
}

static enum MHD_Result reply_rc(struct MHD_Connection *c, int rc)
{
	if (http_status(rc) >= 500)
		central_metrics_db_error();
	return reply_error(c, http_status(rc), ds_error_msg(), 0);
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
static enum MHD_Result on_health(server *sv, struct MHD_Connection *c)
{
	ds_buf body = DS_BUF_INIT;
	central_store *s = NULL;
	int64_t head = 0;
	json_t *doc;
	char *text;
	int rc = pool_get(sv, &s);

	if (rc == 0)
		rc = central_feed_head(s, &head);
	pool_put(sv, s);
	doc = json_pack("{s:b, s:i}", "ok", rc == 0, "v", SYNC_PROTOCOL_VERSION);
	if (rc) {
		central_metrics_db_error();
		ds_log(DS_LOG_ERROR, "health: %s", ds_error_msg());
		json_object_set_new(doc, "error", json_string(ds_error_msg()));
	}
	if (wants_deflate(c))
		return reply_json(c, rc ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, doc);
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
static enum MHD_Result on_metrics(server *sv, struct MHD_Connection *c)
{
	ds_buf body = DS_BUF_INIT;
	central_store *s = NULL;
	int rc = pool_get(sv, &s);

	if (rc == 0)
		rc = central_metrics_render(s, &body);
	pool_put(sv, s);
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
	sync_head head = {1, 0, ""};
	int rc;

	if (r->too_big)
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
		                   "request body larger than the 8 MiB limit", 0);
	rc = sync_push_decode(r->body.ptr, r->body.len, &doc);
	if (rc == 0)
		note_node(r, json_string_value(json_object_get(doc, "node")));
	if (rc == 0)
		rc = pool_get(sv, &s);
	if (rc == 0)
		rc =
		    central_push_head(s, &r->auth, doc, &receipts, &expected, &head.seq, head.hash);
	pool_put(sv, s);
	json_decref(doc);
	central_metrics_receipts(receipts);
	if (rc == DS_ECONFLICT)
		return reply_error(c, MHD_HTTP_CONFLICT, ds_error_msg(), expected);
	if (rc == 0)
		rc = sync_receipts_encode_head(receipts, &head, &body);
	json_decref(receipts);
	if (rc) {
		ds_buf_release(&body);
		return reply_rc(c, rc);
	}
	return reply_body(c, MHD_HTTP_OK, &body);
}

/* push_answer, timed from the full body to the queued answer. */
static enum MHD_Result on_push(server *sv, struct MHD_Connection *c, request *r)
{
	int64_t t0 = now_us();
	enum MHD_Result ret = push_answer(sv, c, r);

	central_metrics_push(now_us() - t0);
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

static enum MHD_Result on_pull(server *sv, struct MHD_Connection *c, request *r)
{
	json_t *changes = NULL, *data = NULL;
	central_store *s = NULL;
	ds_buf body = DS_BUF_INIT;
	int64_t since, limit, next = 0;
	char own[DS_SHA256_HEX];
	sync_head head = {0, 0, ""};
	const char *node;
	int more = 0, rc;

	if ((rc = int_arg(c, "since", 0, &since)) ||
	    (rc = int_arg(c, "limit", CENTRAL_PULL_DEFAULT, &limit)) || (rc = node_arg(c, &node)))
		return reply_rc(c, rc);
	note_node(r, node);
	if (limit < 1 || limit > SYNC_MAX_PULL_LIMIT)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, "limit: must be 1 to 5000", 0);
	rc = pool_get(sv, &s);
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
	pool_put(sv, s);
	if (rc == 0)
		rc = sync_changes_encode_page(changes, next, more, own, &head, data, &body);
	json_decref(changes);
	json_decref(data);
	if (rc) {
		ds_buf_release(&body);
		return reply_rc(c, rc);
	}
	return reply_body(c, MHD_HTTP_OK, &body);
}

static enum MHD_Result on_dossier(server *sv, struct MHD_Connection *c, request *r,
                                  const char *code)
{
	central_store *s = NULL;
	json_t *d = NULL;
	int rc = pool_get(sv, &s);

	if (rc == 0)
		rc = central_dossier_get(s, &r->auth, code, &d);
	pool_put(sv, s);
	return rc ? reply_rc(c, rc) : reply_json(c, MHD_HTTP_OK, d);
}

/* GET /v1/data?calendar=V&procedures=V: the current files the asker does not hold. */
static enum MHD_Result on_data(server *sv, struct MHD_Connection *c)
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
	if (rc == 0 && (rc = pool_get(sv, &s)) == 0)
		rc = central_data_files(s, have, &files);
	pool_put(sv, s);
	json_decref(have);
	return rc ? reply_rc(c, rc) : reply_json(c, MHD_HTTP_OK, files);
}

/* ---------------------------------------------------------------- dispatch */
static enum route route_of(const char *url, const char *method, const char **wanted)
{
	*wanted = MHD_HTTP_METHOD_GET;
	if (strcmp(url, "/v1/health") == 0)
		return R_HEALTH;
	if (strcmp(url, "/metrics") == 0)
		return R_METRICS;
	if (strcmp(url, "/v1/pull") == 0)
		return R_PULL;
	if (strcmp(url, "/v1/data") == 0)
		return R_DATA;
	if (strncmp(url, "/v1/dossiers/", 13) == 0 && url[13] && !strchr(url + 13, '/'))
		return R_DOSSIER;
	*wanted = MHD_HTTP_METHOD_POST;
	if (strcmp(url, "/v1/push") == 0)
		return R_PUSH;
	return R_NONE;
}

static int authenticate(server *sv, struct MHD_Connection *c, request *r)
{
	const char *h =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	central_store *s = NULL;
	int rc;

	/* The scheme is case-insensitive (RFC 9110 11.1); the token follows one or more spaces. */
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return ds_error_set(DS_EPERM, "missing token: send Authorization: Bearer <token>");
	if ((rc = pool_get(sv, &s)))
		return rc;
	rc = central_token_verify(s, h + 7 + strspn(h + 7, " "), &r->auth);
	pool_put(sv, s);
	return rc;
}

/* The first call for a request: everything decided before the body is read. */
static enum MHD_Result first_call(server *sv, struct MHD_Connection *c, const char *url,
                                  const char *method, request *r)
{
	const char *wanted, *len;
	int rc;

	r->route = route_of(url, method, &wanted);
	r->answered = 1;
	if (r->route == R_NONE)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint", 0);
	if (strcmp(method, wanted) != 0)
		return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed here", 0);
	if (r->route != R_HEALTH && (rc = authenticate(sv, c, r)))
		return reply_error(c, rc == DS_EPERM ? MHD_HTTP_UNAUTHORIZED : http_status(rc),
		                   ds_error_msg(), 0);
	if (r->route == R_METRICS && !r->auth.province)
		return reply_error(c, MHD_HTTP_FORBIDDEN, "GET /metrics needs a province token", 0);
	/* A caller with a valid token may be slow or keep the connection for its next
	 * request; one without keeps the short timeout it started with. */
	if (r->route != R_HEALTH)
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
		                          (unsigned)CENTRAL_IDLE_TIMEOUT_S);
	r->answered = 0;
	if (r->route != R_PUSH)
		return MHD_YES; /* answered on the next call: a reply queued now closes */
	len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (len && strtoull(len, NULL, 10) > SYNC_MAX_BODY)
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
		                   "request body larger than the 8 MiB limit", 0);
	return MHD_YES;
}

/* The last call for a request, once the whole body is in. */
static enum MHD_Result last_call(server *sv, struct MHD_Connection *c, const char *url, request *r)
{
	r->answered = 1;
	switch (r->route) {
	case R_HEALTH:
		return on_health(sv, c);
	case R_METRICS:
		return on_metrics(sv, c);
	case R_PULL:
		return on_pull(sv, c, r);
	case R_DOSSIER:
		return on_dossier(sv, c, r, url + 13);
	case R_DATA:
		return on_data(sv, c);
	default:
		return on_push(sv, c, r);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	server *sv = cls;
	request *r = *con_cls;

	if (!r) {
		r = ds_calloc(1, sizeof(*r));
		ds_buf_init(&r->body, SYNC_MAX_BODY);
		r->started_us = now_us();
		r->pull_cursor = r->pull_behind = -1;
		*con_cls = r;
		atomic_fetch_add(&sv->inflight, 1);
		current = r;
		return first_call(sv, c, url, method, r);
	}
	current = r;
	r->bytes_in += *upload_data_size;
	if (*upload_data_size) {
		if (!r->answered && !r->too_big && r->route == R_PUSH &&
		    ds_buf_add(&r->body, upload_data, *upload_data_size)) {
			r->too_big = 1;
			ds_buf_release(&r->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	return last_call(sv, c, url, r);
}

/* The client's address as text, "-" when unknown. */
static void peer_text(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(out, n, "-");
	if (ci && ci->client_addr &&
	    getnameinfo(ci->client_addr,
	                ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                                       : sizeof(struct sockaddr_in),
	                out, (socklen_t)n, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(out, n, "-");
}

/* Counts the request, logs its access line and notes its node's contact. */
static void request_done(server *sv, struct MHD_Connection *c, request *r,
                         enum MHD_RequestTerminationCode toe)
{
	int64_t us = now_us() - r->started_us;
	central_contact ct;
	char peer[64];

	central_metrics_request(route_name[r->route], r->status);
	if (ds_log_enabled(DS_LOG_INFO)) {
		peer_text(c, peer, sizeof(peer));
		central_access_log(
		    "%s office=%s node=%s %s %u in=%zu out=%zu ms=%lld%s", peer,
		    r->auth.token_id[0] ? (r->auth.province ? "province" : r->auth.agency) : "-",
		    r->node[0] ? r->node : "-", route_name[r->route], r->status, r->bytes_in,
		    r->bytes_out, (long long)(us / 1000),
		    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (cut off)");
	}
	if (!r->node[0] || !r->auth.token_id[0])
		return;
	memset(&ct, 0, sizeof(ct));
	snprintf(ct.node, sizeof(ct.node), "%s", r->node);
	central_now(ct.at);
	memcpy(ct.error, r->error, sizeof(ct.error));
	ct.pull_cursor = r->pull_cursor;
	ct.pull_behind = r->pull_behind;
	central_contacts_note(sv->contacts, &ct);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	server *sv = cls;
	request *r = *con_cls;

	if (!r)
		return;
	request_done(sv, c, r, toe);
	ds_buf_release(&r->body);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&sv->inflight, 1);
}

/* ---------------------------------------------------------------- serving */
/* A connection gets CENTRAL_HEADER_TIMEOUT_S of silence until it presents a valid token
 * (first_call then gives it CENTRAL_IDLE_TIMEOUT_S), at most max_per_ip come from one
 * address, max_connections in all. With tls set, it serves HTTPS only. */
static struct MHD_Daemon *start(server *sv, const central_serve_opts *o,
                                struct sockaddr_storage *ss, int ipv6, const central_tls *tls)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC |
	                 MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0) |
	                 (tls->cert ? MHD_USE_TLS : 0);
	unsigned max = o->max_connections ? o->max_connections : CENTRAL_MAX_CONNECTIONS;
	unsigned per_ip = o->max_per_ip ? o->max_per_ip : CENTRAL_MAX_PER_IP;
	struct MHD_OptionItem tls_opts[] = {
	    {tls->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, tls->cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, tls->key},
	    {MHD_OPTION_END, 0, NULL}};

	central_raise_nofile(max);
	return MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, sv, MHD_OPTION_EXTERNAL_LOGGER, central_http_log,
	    NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)o->threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, sv,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CENTRAL_HEADER_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, max, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
}

/* The --metrics-listen address: GET /metrics without a token, plain HTTP, nothing else. */
static enum MHD_Result on_metrics_request(void *cls, struct MHD_Connection *c, const char *url,
                                          const char *method, const char *version,
                                          const char *upload_data, size_t *upload_data_size,
                                          void **con_cls)
{
	current = NULL;
	if (strcmp(url, "/metrics") != 0)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "only /metrics is served here", 0);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed here", 0);
	central_metrics_request("/metrics", MHD_HTTP_OK);
	return on_metrics(cls, c);
}

static int start_metrics(server *sv, const central_serve_opts *o, struct MHD_Daemon **out)
{
	struct sockaddr_storage ss;
	int ipv6 = 0, rc;

	*out = NULL;
	if (!o->metrics_host)
		return 0;
	if ((rc = central_resolve(o->metrics_host, o->metrics_port, &ss, &ipv6)))
		return rc;
	*out = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
	        (ipv6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, on_metrics_request, sv, MHD_OPTION_EXTERNAL_LOGGER, central_http_log,
	    NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 16u,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CENTRAL_HEADER_TIMEOUT_S, MHD_OPTION_END);
	if (!*out)
		return ds_error_set(DS_ERROR,
		                    "cannot listen for metrics on %s:%d (address in use?)",
		                    o->metrics_host, o->metrics_port);
	return central_announce(*out, "metrics", o->metrics_host, o->metrics_port, NULL);
}

/* Waits for SIGTERM or SIGINT (blocked in every thread, taken here: base/os.h). */
static void wait_signal(void)
{
	ds_log(DS_LOG_INFO, "signal %d: stopping", ds_os_stop_wait());
}

/* Stops accepting (the listening socket is ours to close once quiesced) and waits for
 * the requests in flight, at most DRAIN_MS. */
static void drain(struct MHD_Daemon *d, server *sv)
{
	int64_t until = ds_clock_ms() + DRAIN_MS;
	struct timespec pause = {0, 10 * 1000 * 1000};
	MHD_socket fd = MHD_quiesce_daemon(d);

	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while (atomic_load(&sv->inflight) > 0 && ds_clock_ms() < until)
		nanosleep(&pause, NULL);
}

static void server_release(server *sv)
{
	size_t i;

	for (i = 0; i < sv->nstores; i++)
		central_store_free(sv->stores[i]);
	free(sv->stores);
	free(sv->idle);
	pthread_mutex_destroy(&sv->pool_lock);
	pthread_mutex_destroy(&sv->write_lock);
	pthread_mutex_destroy(&sv->group.lock);
	pthread_cond_destroy(&sv->group.done);
}

/* Listens (TLS when asked), says so, and serves until a signal. */
static int serve(server *sv, const central_serve_opts *o)
{
	struct MHD_Daemon *d = NULL, *m = NULL;
	struct sockaddr_storage ss;
	central_tls tls;
	int ipv6 = 0, rc;

	if ((rc = central_tls_load(&tls, o->tls_cert, o->tls_key)) ||
	    (rc = central_resolve(o->host, o->port, &ss, &ipv6)))
		return rc;
	if (!(d = start(sv, o, &ss, ipv6, &tls))) {
		rc = ds_error_set(DS_ERROR, "cannot listen on %s:%d (address in use?)", o->host,
		                  o->port);
		goto done;
	}
	if ((rc = start_metrics(sv, o, &m)) ||
	    (rc = central_announce(d, "listening", o->host, o->port, o->port_file)))
		goto done;
	wait_signal();
	drain(d, sv);
done:
	if (m)
		MHD_stop_daemon(m);
	if (d)
		MHD_stop_daemon(d);
	central_tls_release(&tls);
	return rc;
}

int central_serve(const central_serve_opts *o)
{
	central_store *first = NULL;
	server sv = {0};
	int rc;

	sv.db_path = o->db_path;
	sv.cap = (size_t)(o->threads > 0 ? o->threads : 1) + 2;
	sv.stores = ds_calloc(sv.cap, sizeof(*sv.stores));
	sv.idle = ds_calloc(sv.cap, sizeof(*sv.idle));
	pthread_mutex_init(&sv.pool_lock, NULL);
	pthread_mutex_init(&sv.write_lock, NULL);
	pthread_mutex_init(&sv.group.lock, NULL);
	pthread_cond_init(&sv.group.done, NULL);
	ds_os_stop_block();
	/* the database is there and current before we listen */
	if ((rc = pool_get(&sv, &first)) == 0) {
		pool_put(&sv, first);
		rc = central_contacts_start(&sv.contacts, o->db_path, &sv.write_lock);
	}
	if (rc == 0)
		rc = serve(&sv, o);
	central_contacts_stop(sv.contacts); /* writes the last contacts */
	server_release(&sv);
	ds_os_stop_unblock();
	return rc;
}
