/* server.c: the HTTP face of central (docs/PROTOCOL.md) on libmicrohttpd with a thread
 * pool: routing, authentication and serving here, the replies and one handler per endpoint
 * in serve_handlers.c (shared types: serve_int.h). Each request borrows a store (its own SQLite
 * connection and statement cache) from a small pool; writes queue on one in-process lock. A request
 * goes:
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
#include "central/serve_int.h"
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

/* How each route is counted and logged (metrics.c knows the same names). */
static const char *const route_name[] = {"other",        "/v1/health", "/v1/push", "/v1/pull",
                                         "/v1/dossiers", "/v1/data",   "/metrics", "/v1/files"};

_Thread_local request *serve_current;

int64_t serve_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------- the store pool */
int serve_pool_get(server *sv, central_store **out)
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

void serve_pool_put(server *sv, central_store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&sv->pool_lock);
	sv->idle[sv->nidle++] = s;
	pthread_mutex_unlock(&sv->pool_lock);
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
	/* attachments: GET, and PUT for a chunk (serve_files.c checks the rest) */
	if (strncmp(url, "/v1/files/", 10) == 0 && url[10]) {
		if (strcmp(method, MHD_HTTP_METHOD_PUT) == 0)
			*wanted = MHD_HTTP_METHOD_PUT;
		return R_FILE;
	}
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
	if ((rc = serve_pool_get(sv, &s)))
		return rc;
	rc = central_token_verify(s, h + 7 + strspn(h + 7, " "), &r->auth);
	serve_pool_put(sv, s);
	return rc;
}

/* A chunk's file, dossier and offset, kept for on_completed should the chunk be cut. */
static void note_chunk(struct MHD_Connection *c, const char *url, request *r)
{
	const char *code = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "code");
	const char *off = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "offset");
	char *end = NULL;

	if (!code || strlen(code) >= sizeof(r->file_code) || strlen(url + 10) != 64 || !off ||
	    off[0] < '0' || off[0] > '9')
		return;
	r->file_offset = strtoll(off, &end, 10);
	if (*end)
		return;
	snprintf(r->file_sha, sizeof(r->file_sha), "%s", url + 10);
	snprintf(r->file_code, sizeof(r->file_code), "%s", code);
	r->chunk = 1;
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
		return serve_reply_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint", 0);
	if (strcmp(method, wanted) != 0)
		return serve_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed here",
		                         0);
	if (r->route != R_HEALTH && (rc = authenticate(sv, c, r)))
		return serve_reply_error(
		    c, rc == DS_EPERM ? MHD_HTTP_UNAUTHORIZED : serve_http_status(rc),
		    ds_error_msg(), 0);
	if (r->route == R_METRICS && !r->auth.province)
		return serve_reply_error(c, MHD_HTTP_FORBIDDEN,
		                         "GET /metrics needs a province token", 0);
	/* A caller with a valid token may be slow or keep the connection for its next
	 * request; one without keeps the short timeout it started with. */
	if (r->route != R_HEALTH)
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
		                          (unsigned)CENTRAL_IDLE_TIMEOUT_S);
	r->answered = 0;
	if (r->route != R_PUSH && !(r->route == R_FILE && strcmp(method, wanted) == 0 &&
	                            strcmp(method, MHD_HTTP_METHOD_PUT) == 0))
		return MHD_YES; /* answered on the next call: a reply queued now closes */
	len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (len && strtoull(len, NULL, 10) > (r->route == R_FILE ? SYNC_MAX_CHUNK : SYNC_MAX_BODY))
		return serve_reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
		                         r->route == R_FILE ? "a chunk is at most 1 MiB"
		                                            : "request body larger than the 8 MiB "
		                                              "limit",
		                         0);
	r->takes_body = 1;
	if (r->route == R_FILE)
		note_chunk(c, url, r);
	if (r->chunk)
		serve_chunk_begin(sv, r);
	return MHD_YES;
}

/* The last call for a request, once the whole body is in. */
static enum MHD_Result last_call(server *sv, struct MHD_Connection *c, const char *url,
                                 const char *method, request *r)
{
	r->answered = 1;
	switch (r->route) {
	case R_HEALTH:
		return serve_on_health(sv, c);
	case R_METRICS:
		return serve_on_metrics(sv, c);
	case R_PULL:
		return serve_on_pull(sv, c, r);
	case R_DOSSIER:
		return serve_on_dossier(sv, c, r, url + 13);
	case R_DATA:
		return serve_on_data(sv, c);
	case R_FILE:
		return serve_on_file(sv, c, r, url + 10, method);
	default:
		return serve_on_push(sv, c, r);
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
		r->started_us = serve_now_us();
		r->pull_cursor = r->pull_behind = -1;
		r->chunk_slot = -1;
		*con_cls = r;
		atomic_fetch_add(&sv->inflight, 1);
		serve_current = r;
		return first_call(sv, c, url, method, r);
	}
	serve_current = r;
	r->bytes_in += *upload_data_size;
	if (*upload_data_size) {
		if (!r->answered && !r->too_big && r->takes_body &&
		    ds_buf_add(&r->body, upload_data, *upload_data_size)) {
			r->too_big = 1;
			ds_buf_release(&r->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	return last_call(sv, c, url, method, r);
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
	int64_t us = serve_now_us() - r->started_us;
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
	if (r->chunk && !r->answered && !r->too_big && r->body.len > 0 &&
	    toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		serve_file_keep_cut(sv, r);
	serve_chunk_end(sv, r);
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
	serve_current = NULL;
	if (strcmp(url, "/metrics") != 0)
		return serve_reply_error(c, MHD_HTTP_NOT_FOUND, "only /metrics is served here", 0);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return serve_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed here",
		                         0);
	central_metrics_request("/metrics", MHD_HTTP_OK);
	return serve_on_metrics(cls, c);
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
	MHD_socket fd = MHD_quiesce_daemon(d);

	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while (atomic_load(&sv->inflight) > 0 && ds_clock_ms() < until)
		ds_os_sleep_ms(10);
}

static void server_release(server *sv)
{
	size_t i;

	for (i = 0; i < sv->nstores; i++)
		central_store_free(sv->stores[i]);
	free(sv->stores);
	free(sv->idle);
	central_store_free(sv->group.writer);
	pthread_mutex_destroy(&sv->pool_lock);
	pthread_mutex_destroy(&sv->write_lock);
	pthread_mutex_destroy(&sv->group.lock);
	pthread_cond_destroy(&sv->group.done);
	pthread_mutex_destroy(&sv->chunk_lock);
	pthread_cond_destroy(&sv->chunk_done);
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

/* Where attachments go: --files DIR, else DIR/files beside a SQLite file; none on
 * PostgreSQL without --files. */
static int files_setup(central_files *f, const central_serve_opts *o)
{
	char *copy, *slash;

	f->max = o->file_max > 0 ? o->file_max : CENTRAL_FILE_MAX;
	f->quota = o->office_quota;
	if (o->files_dir)
		f->dir = ds_strdup(o->files_dir);
	else if (!central_where_pg(o->db_path)) {
		copy = ds_strdup(o->db_path);
		slash = strrchr(copy, '/');
		if (slash)
			*slash = '\0';
		f->dir = slash ? ds_path_join(copy, "files") : ds_strdup("files");
		free(copy);
	}
	return f->dir ? ds_mkdirs(f->dir, 0750) : 0;
}

int central_serve(const central_serve_opts *o)
{
	central_store *first = NULL;
	server sv = {0};
	int rc;

	sv.db_path = o->db_path;
	if ((rc = files_setup(&sv.files, o)))
		return rc;
	sv.cap = (size_t)(o->threads > 0 ? o->threads : 1) + 2;
	sv.stores = ds_calloc(sv.cap, sizeof(*sv.stores));
	sv.idle = ds_calloc(sv.cap, sizeof(*sv.idle));
	pthread_mutex_init(&sv.pool_lock, NULL);
	pthread_mutex_init(&sv.write_lock, NULL);
	pthread_mutex_init(&sv.group.lock, NULL);
	pthread_cond_init(&sv.group.done, NULL);
	pthread_mutex_init(&sv.chunk_lock, NULL);
	pthread_cond_init(&sv.chunk_done, NULL);
	ds_os_stop_block();
	/* the database is there and serve_current before we listen */
	if ((rc = serve_pool_get(&sv, &first)) == 0) {
		serve_pool_put(&sv, first);
		rc = central_contacts_start(&sv.contacts, o->db_path, &sv.write_lock);
	}
	if (rc == 0)
		rc = serve(&sv, o);
	central_contacts_stop(sv.contacts); /* writes the last contacts */
	server_release(&sv);
	ds_os_stop_unblock();
	free(sv.files.dir);
	return rc;
}
