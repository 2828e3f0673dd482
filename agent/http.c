/* http.c: the office's local API (`dossync daemon --http 127.0.0.1:PORT`): a loopback-only
 * HTTP listener in libmicrohttpd's own threads, beside the daemon's loop. It checks the
 * key (DIR/api.key, a bearer token compared in constant time), bounds request bodies,
 * and hands each JSON call to http_calls.c and GET / to http_page.c. docs/LOCAL-API.md. */
#include "agent/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define KEY_BYTES 32    /* 64 hex digits in DIR/api.key */
#define POOL_THREADS 4u /* calls answered at once; each opens the store itself */
#define MAX_CONNECTIONS 32u
#define CONNECTION_TIMEOUT_S 30u

struct agent_http {
	struct MHD_Daemon *mhd;
	char *dir, *actor;
	char key[2 * KEY_BYTES + 1];
};

/* One request: its body so far, and whether it was answered before the body came. */
typedef struct request {
	ds_buf body;
	size_t max; /* API_MAX_BODY, or API_MAX_FILE for an attach call */
	int too_big, answered;
} request;

/* ---------------------------------------------------------------- the address */
/* A port number 0-65535 in digits only, else -1. */
static long port_of(const char *s)
{
	char *end;
	long n;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 5)
		return -1;
	n = strtol(s, &end, 10);
	return n > 65535 ? -1 : n;
}

/* Parses "127.x.y.z:PORT" or "[::1]:PORT" (PORT 0: any free port) into ss. */
static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon = s ? strrchr(s, ':') : NULL;
	long port = colon ? port_of(colon + 1) : -1;
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	size_t n = colon ? (size_t)(colon - s) : 0;

	memset(ss, 0, sizeof(*ss));
	if (!colon || port < 0 || n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (!strcmp(host, "[::1]")) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		v6->sin6_addr = in6addr_loopback;
		return 0;
	}
	if (inet_pton(AF_INET, host, &v4->sin_addr) != 1 ||
	    (ntohl(v4->sin_addr.s_addr) >> 24) != 127)
		return -1;
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	return 0;
}

int agent_http_addr_check(const char *addr)
{
	struct sockaddr_storage ss;

	if (parse_addr(addr, &ss))
		return ds_error_set(
		    DS_EINVALID,
		    "http: '%s' is not a loopback address with a port "
		    "(127.0.0.1:PORT or [::1]:PORT): the local API serves this PC only",
		    addr ? addr : "");
	return 0;
}

/* ---------------------------------------------------------------- the key */
static int key_read(const char *path, char key[2 * KEY_BYTES + 1])
{
	ds_buf b = DS_BUF_INIT;
	struct stat st;
	int rc;

	if (stat(path, &st) == 0 && (st.st_mode & 077))
		return ds_error_set(DS_EPERM, "%s is readable by others (mode %03o): chmod 600 it",
		                    path, (unsigned)(st.st_mode & 0777));
	if ((rc = ds_file_read(path, 4096, &b)))
		goto done;
	while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r'))
		b.ptr[--b.len] = '\0';
	if (b.len != 2 * KEY_BYTES || strspn(b.ptr, "0123456789abcdef") != b.len)
		rc = ds_error_set(DS_EINVALID,
		                  "%s: not a key of %d hex digits (delete it and "
		                  "restart the daemon for a new one)",
		                  path, 2 * KEY_BYTES);
	else
		memcpy(key, b.ptr, 2 * KEY_BYTES + 1);
done:
	ds_buf_release(&b);
	return rc;
}

int agent_api_key(const char *dir, int create, char key[2 * KEY_BYTES + 1])
{
	char *path = ds_path_join(dir, "api.key"), line[2 * KEY_BYTES + 2];
	unsigned char raw[KEY_BYTES];
	struct stat st;
	int rc;

	if (stat(path, &st) == 0 || !create) {
		rc = key_read(path, key);
		goto done;
	}
	if ((rc = ds_random_bytes(raw, sizeof(raw))))
		goto done;
	ds_hex(raw, sizeof(raw), key);
	snprintf(line, sizeof(line), "%s\n", key);
	rc = ds_file_write_atomic(path, line, strlen(line), 0600);
done:
	free(path);
	return rc;
}

/* Constant time in the key's length: no early exit on the first differing byte. */
static int key_matches(const char *key, const char *given)
{
	size_t n = strlen(key), i;
	unsigned char diff = 0;

	if (!given || strlen(given) != n)
		return 0;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(key[i] ^ given[i]);
	return diff == 0;
}

static int authorised(const agent_http *h, struct MHD_Connection *c)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");

	return auth && !strncmp(auth, "Bearer ", 7) && key_matches(h->key, auth + 7);
}

/* ---------------------------------------------------------------- replies */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *text, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ok;

	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"dossync\"");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* v NULL: it could not be built, from text that is not UTF-8 (a code in the URL...). */
static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;

	json_decref(v);
	if (!s) {
		s = ds_strdup("{\"error\": \"the request holds text that is not valid UTF-8\"}\n");
		status = MHD_HTTP_BAD_REQUEST;
	}
	return reply(c, status, "application/json", s, strlen(s));
}

/* {"error": the same one line the CLI prints}. */
static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return reply_json(c, status, json_pack("{s:s}", "error", msg));
}

/* ---------------------------------------------------------------- requests */
/* X-Dossync-Actor goes into the journal as --actor would: valid UTF-8, no control
 * characters, at most ACTOR_MAX bytes. */
#define ACTOR_MAX 200
static int actor_check(const char *who)
{
	char *nfc = NULL;
	const char *p;
	int rc = ds_text_nfc(who, &nfc);

	free(nfc);
	for (p = who; !rc && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			rc = DS_EINVALID;
	if (rc || strlen(who) > ACTOR_MAX)
		return ds_error_set(DS_EINVALID,
		                    "X-Dossync-Actor: not a name (UTF-8 text, at "
		                    "most %d bytes)",
		                    ACTOR_MAX);
	return 0;
}

/* The budget of a request's body: a scan for an attach call, else a JSON document. */
static size_t body_max(const char *url, const char *method)
{
	size_t n = strlen(url), t = strlen("/attachments");

	if (!strcmp(method, "POST") && n > t && !strcmp(url + n - t, "/attachments"))
		return API_MAX_FILE;
	return API_MAX_BODY;
}

static enum MHD_Result too_large(struct MHD_Connection *c, const request *r)
{
	return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
	                   r->max == API_MAX_FILE ? "the file is larger than 64 MiB"
	                                          : "the request body is larger than 1 MiB");
}

static enum MHD_Result answer_page(agent_http *h, struct MHD_Connection *c)
{
	char *html = NULL;
	size_t len = 0;
	int rc = api_status_page(h->dir, &html, &len);

	if (rc)
		return reply_error(c, api_http_status(rc), ds_error_msg());
	return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", html, len);
}

static enum MHD_Result answer_call(agent_http *h, struct MHD_Connection *c, const char *url,
                                   const char *method, request *r)
{
	const char *who = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Dossync-Actor");
	api_call call = {
	    h->dir, who && *who ? who : h->actor, NULL, r->body.ptr, r->body.len, c, MHD_HTTP_OK};
	json_t *out = NULL;
	int rc;

	if (r->too_big)
		return too_large(c, r);
	ds_error_clear();
	if (who && *who && (rc = actor_check(who)))
		return reply_error(c, api_http_status(rc), ds_error_msg());
	if ((rc = api_route(&call, method, url, &out)))
		return reply_error(c, api_http_status(rc), ds_error_msg());
	return reply_json(c, call.status, out);
}

/* The first call for a request: refusals that need no body are answered at once. */
static enum MHD_Result first_call(agent_http *h, struct MHD_Connection *c, const char *url,
                                  const char *method, request *r)
{
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

	if (!strcmp(url, "/") && !strcmp(method, "GET"))
		return MHD_YES;
	r->answered = 1;
	if (strncmp(url, "/api/", 5) != 0)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "no such page (see docs/LOCAL-API.md)");
	if (!authorised(h, c))
		return reply_error(c, MHD_HTTP_UNAUTHORIZED,
		                   "missing or wrong key: send 'Authorization: Bearer KEY' with "
		                   "the key of DIR/api.key");
	if (len && strtoull(len, NULL, 10) > r->max)
		return too_large(c, r);
	r->answered = 0;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	agent_http *h = cls;
	request *r = *con_cls;

	(void)version;
	if (!r) {
		r = ds_calloc(1, sizeof(*r));
		r->max = body_max(url, method);
		ds_buf_init(&r->body, r->max);
		*con_cls = r;
		return first_call(h, c, url, method, r);
	}
	if (*upload_data_size) {
		if (!r->answered && !r->too_big &&
		    ds_buf_add(&r->body, upload_data, *upload_data_size)) {
			r->too_big = 1;
			ds_buf_release(&r->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	r->answered = 1;
	if (!strcmp(url, "/"))
		return answer_page(h, c);
	return answer_call(h, c, url, method, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	request *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!r)
		return;
	ds_buf_release(&r->body);
	free(r);
	*con_cls = NULL;
}

static void http_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	ds_log(DS_LOG_WARN, "local API: %s", line);
}

/* ---------------------------------------------------------------- start, stop */
/* The listener's threads block the daemon's signals, so SIGTERM and SIGHUP reach its loop. */
static struct MHD_Daemon *listen_on(agent_http *h, struct sockaddr_storage *ss)
{
	sigset_t block, old;
	struct MHD_Daemon *d;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
	                         (ss->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	                     0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, http_log,
	                     NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
	                     MHD_OPTION_THREAD_POOL_SIZE, POOL_THREADS, MHD_OPTION_NOTIFY_COMPLETED,
	                     on_completed, NULL, MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS,
	                     MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

/* Writes the port the listener got (port 0 asks for any free one) to port_file. */
static int announce(agent_http *h, const char *addr, const char *port_file)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	char text[16];

	snprintf(text, sizeof(text), "%u\n", info ? (unsigned)info->port : 0u);
	if (port_file && ds_file_write_atomic(port_file, text, strlen(text), 0644))
		return ds_error_wrap(DS_ERROR, "port file %s", port_file);
	ds_log(DS_LOG_INFO, "local API and status page on %.*s:%u",
	       (int)strcspn(addr, "]:") + (addr[0] == '[' ? 1 : 0), addr,
	       info ? (unsigned)info->port : 0u);
	return 0;
}

int agent_http_start(agent_http **out, const char *dir, const char *actor, const char *addr,
                     const char *port_file)
{
	agent_http *h = ds_calloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	int rc;

	*out = NULL;
	h->dir = ds_strdup(dir);
	h->actor = actor ? ds_strdup(actor) : NULL;
	if ((rc = agent_http_addr_check(addr)) || (rc = agent_api_key(dir, 1, h->key)))
		goto fail;
	parse_addr(addr, &ss);
	errno = 0;
	if (!(h->mhd = listen_on(h, &ss))) {
		rc = ds_error_set(DS_ERETRY, "cannot listen on %s for the local API: %s", addr,
		                  errno ? strerror(errno) : "address in use?");
		goto fail;
	}
	if ((rc = announce(h, addr, port_file)))
		goto fail;
	*out = h;
	return 0;
fail:
	agent_http_stop(h);
	return rc;
}

void agent_http_stop(agent_http *h)
{
	if (!h)
		return;
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	free(h->dir);
	free(h->actor);
	free(h);
}
