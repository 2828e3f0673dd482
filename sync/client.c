/* client.c: the agent's HTTP client for central (libcurl). One easy handle per client,
 * so one connection is kept alive across requests; bodies are zlib JSON that we encode
 * and decode ourselves (curl never decodes them). Transport failures, timeouts and
 * stalls become DS_ERETRY; central's answers map to DS_* codes as sync.h says. */
#include "sync/client_int.h"

#include <curl/curl.h>
#include <pthread.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
/* The central that answered last, for the next client of the same list in this process
 * (the daemon makes one client per round): it stays on the one that works. */
static pthread_mutex_t good_lock = PTHREAD_MUTEX_INITIALIZER;
static char *good_list;
static size_t good_cur;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t n, void *cls)
{
	sync_client *c = cls;

	if (ds_buf_add(&c->resp, p, size * n)) {
		c->overflow = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *cls)
{
	sync_client *c = cls;
	size_t len = size * n;

	if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		if (len >= sizeof(c->status))
			len = sizeof(c->status) - 1;
		memcpy(c->status, p, len);
		while (len && (p[len - 1] == '\r' || p[len - 1] == '\n'))
			len--;
		c->status[len] = '\0';
	} else if (len > 5 && len < 128 && !strncasecmp(p, "Date:", 5)) {
		char date[128];
		time_t t;

		memcpy(date, p + 5, len - 5);
		date[len - 5] = '\0';
		if ((t = curl_getdate(date, NULL)) > 0) {
			c->server_time = (int64_t)t;
			c->seen_at = ds_time_now();
		}
	}
	return size * n;
}

/* libcurl calls this at least about once a second, even while nothing moves. */
static int on_progress(void *cls, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const sync_client *c = cls;

	return c->cancel && *c->cancel ? 1 : 0;
}

static long or_default(long v, long def)
{
	return v > 0 ? v : def;
}

/* The options that stay the same for every request of this client. */
static int setup(sync_client *c, const sync_opts *o)
{
	CURL *h = c->h;
	int bad = 0;

	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, or_default(o->connect_timeout_s, 10));
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT, or_default(o->total_timeout_s, 120));
	bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, or_default(o->low_speed_bytes, 100));
	bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, or_default(o->low_speed_time_s, 30));
	if (o->max_send_bytes_s > 0)
		bad |= curl_easy_setopt(h, CURLOPT_MAX_SEND_SPEED_LARGE,
		                        (curl_off_t)o->max_send_bytes_s);
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		bad |= curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	bad |= curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	bad |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, "dossync/1");
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->err);
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	bad |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	bad |= curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	if (bad)
		return ds_error_set(DS_ERROR, "sync: this libcurl lacks an option dossync needs");
	return 0;
}

/* The request headers: the token on both lists, the body's type on POST. "Expect:"
 * turns off curl's 100-continue wait, which costs a round trip on a slow link. */
static int headers(sync_client *c, const char *token)
{
	char *auth = NULL;

	if (token) {
		if (strpbrk(token, "\r\n") || !token[0])
			return ds_error_set(DS_EINVALID, "sync: the token is empty or holds a line "
			                                 "break");
		auth = ds_asprintf("Authorization: Bearer %s", token);
		c->get_hdrs = curl_slist_append(c->get_hdrs, auth);
		c->post_hdrs = curl_slist_append(c->post_hdrs, auth);
		free(auth);
	}
	c->post_hdrs = curl_slist_append(c->post_hdrs, "Content-Type: application/json");
	c->post_hdrs = curl_slist_append(c->post_hdrs, "Content-Encoding: deflate");
	c->post_hdrs = curl_slist_append(c->post_hdrs, "Expect:");
	if (!c->post_hdrs || (token && !c->get_hdrs))
		return ds_error_set(DS_ERROR, "sync: out of memory for headers");
	return 0;
}

int sync_url_list_check(const char *list)
{
	const char *p = list, *end;
	size_t n;

	do {
		p += strspn(p, " ");
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 0 || (strncmp(p, "http://", 7) && strncmp(p, "https://", 8)))
			return ds_error_set(
			    DS_EINVALID, "central URL '%.*s': must start with http:// or https://",
			    (int)n, p);
		p = end ? end + 1 : NULL;
	} while (p);
	return 0;
}

/* Splits the comma-separated list into c->urls (checked by sync_url_list_check). */
static void split_urls(sync_client *c, const char *list)
{
	const char *p = list, *end;
	size_t n;

	do {
		p += strspn(p, " ");
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '/'))
			n--;
		c->urls = ds_realloc(c->urls, (c->nurls + 1) * sizeof(*c->urls));
		c->urls[c->nurls++] = ds_strndup(p, n);
		p = end ? end + 1 : NULL;
	} while (p);
	c->list = ds_strdup(list);
	pthread_mutex_lock(&good_lock);
	if (good_list && strcmp(good_list, list) == 0 && good_cur < c->nurls)
		c->cur = good_cur;
	pthread_mutex_unlock(&good_lock);
	c->url = c->urls[c->cur];
}

int sync_client_new(sync_client **out, const sync_opts *opts)
{
	sync_client *c = NULL;
	int rc;

	*out = NULL;
	if (!opts || !opts->url)
		return ds_error_set(DS_EINVALID, "sync: no central URL");
	if ((rc = sync_url_list_check(opts->url)))
		return rc;
	pthread_once(&once, global_init);
	if (global_rc != CURLE_OK)
		return ds_error_set(DS_ERROR, "sync: libcurl failed to start: %s",
		                    curl_easy_strerror(global_rc));
	c = ds_calloc(1, sizeof(*c));
	ds_buf_init(&c->resp, SYNC_MAX_BODY);
	split_urls(c, opts->url);
	if (!(c->h = curl_easy_init())) {
		rc = ds_error_set(DS_ERROR, "sync: libcurl could not make a handle");
		goto done;
	}
	if ((rc = setup(c, opts)) || (rc = headers(c, opts->token)))
		goto done;
	*out = c;
	c = NULL;
done:
	sync_client_free(c);
	return rc;
}

void sync_client_free(sync_client *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->post_hdrs);
	curl_slist_free_all(c->get_hdrs);
	ds_buf_release(&c->resp);
	for (size_t i = 0; i < c->nurls; i++)
		free(c->urls[i]);
	free(c->urls);
	free(c->list);
	free(c);
}

const sync_counters *sync_client_counters(const sync_client *c)
{
	return &c->cnt;
}

void sync_client_set_cancel(sync_client *c, const volatile sig_atomic_t *flag)
{
	c->cancel = flag;
	curl_easy_setopt(c->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->h, CURLOPT_NOPROGRESS, flag ? 0L : 1L);
}

/* Maps a failed transfer (no HTTP answer) to a DS_* code. */
static int transport_error(sync_client *c, CURLcode cr)
{
	const char *why = curl_easy_strerror(cr);
	const char *detail = c->err[0] ? c->err : why;

	switch (cr) {
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return ds_error_set(DS_EINVALID, "bad central URL %s: %s", c->url, detail);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
		return ds_error_set(DS_EPERM,
		                    "central's TLS certificate was not accepted at %s: "
		                    "%s",
		                    c->url, detail);
	case CURLE_OUT_OF_MEMORY:
		return ds_error_set(DS_ERROR, "sync: libcurl is out of memory");
	case CURLE_WRITE_ERROR:
		if (c->overflow)
			return ds_error_set(DS_ETOOBIG, "central's answer from %s is over %u bytes",
			                    c->url, SYNC_MAX_BODY);
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		if (c->upload && !(c->cancel && *c->cancel))
			return ds_error_set(
			    DS_ERETRY, "the connection to central at %s died mid-chunk", c->url);
		return ds_error_set(DS_ERETRY, "request to central at %s cancelled", c->url);
	case CURLE_OPERATION_TIMEDOUT:
		return ds_error_set(DS_ERETRY, "central timed out at %s: %s", c->url, detail);
	default:
		break;
	}
	return ds_error_set(DS_ERETRY, "central unreachable at %s: %s", c->url, why);
}

/* Sends one request (POST when body is given, else GET) to the central in use and reads
 * the answer into c->resp. 0 with *status set when central answered at all. */
static int perform_one(sync_client *c, const char *path, const ds_buf *body, long *status)
{
	char *url = ds_asprintf("%s%s", c->url, path);
	curl_off_t up = 0, down = 0;
	CURLcode cr;
	int rc = 0;

	ds_buf_reset(&c->resp);
	c->overflow = 0;
	c->upload_at = 0;
	c->prereqs = 0;
	c->status[0] = c->err[0] = '\0';
	c->server_time = 0;
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	if (body) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body->ptr);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER,
		                 c->req_hdrs ? c->req_hdrs : c->post_hdrs);
	} else {
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->req_hdrs ? c->req_hdrs : c->get_hdrs);
	}
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, c->method);
	curl_easy_setopt(c->h, CURLOPT_RANGE, c->range);
	if (c->upload)
		sync_upload_setup(c);
	cr = curl_easy_perform(c->h);
	c->cnt.requests++;
	if (curl_easy_getinfo(c->h, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK && up > 0)
		c->cnt.bytes_up += (uint64_t)up;
	if (curl_easy_getinfo(c->h, CURLINFO_SIZE_DOWNLOAD_T, &down) == CURLE_OK && down > 0)
		c->cnt.bytes_down += (uint64_t)down;
	if (cr != CURLE_OK)
		rc = transport_error(c, cr);
	else
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, status);
	free(url);
	return rc;
}

static void remember(sync_client *c)
{
	pthread_mutex_lock(&good_lock);
	free(good_list);
	good_list = ds_strdup(c->list);
	good_cur = c->cur;
	pthread_mutex_unlock(&good_lock);
}

/* perform_one, failing over: when the central in use cannot be reached or answers 5xx,
 * the next one of the list gets the same request (every request is safe to repeat,
 * docs/PROTOCOL.md), each central once at most; the client then stays on the one that
 * answered. */
int sync_perform(sync_client *c, const char *path, const ds_buf *body, long *status)
{
	int rc, down;

	for (size_t tried = 1;; tried++) {
		*status = 0;
		rc = perform_one(c, path, body, status);
		down = (rc == DS_ERETRY && !(c->cancel && *c->cancel)) ||
		       (rc == 0 && *status >= 500 && *status <= 599);
		if (!down || tried >= c->nurls)
			break;
		c->cur = (c->cur + 1) % c->nurls;
		c->url = c->urls[c->cur];
	}
	if (!down && rc == 0 && c->nurls > 1)
		remember(c);
	return rc;
}

/* Central's error text: {"error": ...} from the body, else the status line. */
json_t *sync_error_doc(sync_client *c, long status, char *text, size_t n)
{
	json_t *doc = NULL;
	const char *e;

	if (sync_body_decode(c->resp.ptr, c->resp.len, 1u << 20, &doc) == 0 &&
	    (e = json_string_value(json_object_get(doc, "error")))) {
		snprintf(text, n, "%s", e);
		return doc;
	}
	json_decref(doc);
	if (c->status[0])
		snprintf(text, n, "%s", c->status);
	else
		snprintf(text, n, "HTTP status %ld", status);
	return NULL;
}

/* Maps an HTTP answer other than 200 to a DS_* code with central's reason. */
static int http_error(sync_client *c, long status, int64_t *expected_seq)
{
	char text[512];
	json_t *doc = sync_error_doc(c, status, text, sizeof(text));
	const json_t *exp = json_object_get(doc, "expected_seq");
	int rc;

	if (status == 401)
		rc = ds_error_set(DS_EPERM, "central refused the token (401): %s", text);
	else if (status == 403)
		rc = ds_error_set(DS_EPERM, "central refused this node (403): %s", text);
	else if (status == 400)
		rc = ds_error_set(DS_EINVALID, "central refused the request (400): %s", text);
	else if (status == 413)
		rc = ds_error_set(DS_EINVALID,
		                  "central refused the request as too large (413): "
		                  "%s",
		                  text);
	else if (status == 409 && json_is_integer(exp) && json_integer_value(exp) >= 1) {
		if (expected_seq)
			*expected_seq = json_integer_value(exp);
		rc = ds_error_set(DS_ECONFLICT, "central expects seq %lld next (409): %s",
		                  (long long)json_integer_value(exp), text);
	} else if (status == 409)
		rc = ds_error_set(DS_ERROR,
		                  "central answered 409 without a valid expected_seq: "
		                  "%s",
		                  text);
	else if (status == 429 || (status >= 500 && status <= 599))
		rc = ds_error_set(DS_ERETRY, "central is busy or failing at %s (%ld): %s", c->url,
		                  status, text);
	else
		rc = ds_error_set(DS_ERROR, "central answered %ld at %s: %s", status, c->url, text);
	json_decref(doc);
	return rc;
}

/* A 200 whose body cannot be read is treated as a transient failure: every request is
 * safe to repeat (docs/PROTOCOL.md), and a mangled answer says nothing about ours. */
static int unreadable(sync_client *c, const char *what)
{
	return ds_error_wrap(DS_ERETRY, "central's answer to %s at %s is unreadable", what, c->url);
}

int sync_client_push(sync_client *c, const ds_buf *body, json_t **receipts, int64_t *expected_seq)
{
	return sync_client_push_head(c, body, receipts, expected_seq, NULL);
}

int sync_client_push_head(sync_client *c, const ds_buf *body, json_t **receipts,
                          int64_t *expected_seq, sync_head *head)
{
	long status = 0;
	int rc;

	*receipts = NULL;
	if (head)
		memset(head, 0, sizeof(*head));
	if (expected_seq)
		*expected_seq = 0;
	if (!body || body->len == 0 || body->len > SYNC_MAX_BODY)
		return ds_error_set(DS_EINVALID, "push: the body must be 1 to %u bytes",
		                    SYNC_MAX_BODY);
	if ((rc = sync_perform(c, "/v1/push", body, &status)))
		return rc;
	if (status != 200)
		return http_error(c, status, expected_seq);
	if (sync_receipts_decode_head(c->resp.ptr, c->resp.len, receipts, head))
		return unreadable(c, "push");
	return 0;
}

int sync_client_pull(sync_client *c, int64_t since, int limit, json_t **changes, int64_t *next,
                     int *more)
{
	char own[DS_SHA256_HEX];

	return sync_client_pull_node(c, since, limit, NULL, changes, next, more, own);
}

int sync_client_pull_node(sync_client *c, int64_t since, int limit, const char *node,
                          json_t **changes, int64_t *next, int *more,
                          char own_sha256[DS_SHA256_HEX])
{
	return sync_client_pull_head(c, since, limit, node, changes, next, more, own_sha256, NULL);
}

int sync_client_pull_head(sync_client *c, int64_t since, int limit, const char *node,
                          json_t **changes, int64_t *next, int *more,
                          char own_sha256[DS_SHA256_HEX], sync_head *head)
{
	char path[160];
	long status = 0;
	int rc;

	*changes = NULL;
	if (head)
		memset(head, 0, sizeof(*head));
	own_sha256[0] = '\0';
	if (since < 0 || limit < 1 || limit > SYNC_MAX_PULL_LIMIT)
		return ds_error_set(DS_EINVALID, "pull: since must be >= 0 and limit 1 to %d",
		                    SYNC_MAX_PULL_LIMIT);
	if (node && !sync_node_ok(node))
		return ds_error_set(DS_EINVALID, "pull: node must be 1 to 64 of A-Z a-z 0-9 . _ -");
	snprintf(path, sizeof(path), "/v1/pull?since=%lld&limit=%d%s%s", (long long)since, limit,
	         node ? "&node=" : "", node ? node : "");
	if ((rc = sync_perform(c, path, NULL, &status)))
		return rc;
	if (status != 200)
		return http_error(c, status, NULL);
	/* Without node, a page with changes lacking their state is unreadable. */
	if (sync_changes_decode_head(c->resp.ptr, c->resp.len, changes, next, more,
	                             node ? own_sha256 : NULL, node ? head : NULL))
		return unreadable(c, "pull");
	return 0;
}

int sync_client_health(sync_client *c)
{
	long status = 0;
	int rc;

	if ((rc = sync_perform(c, "/v1/health", NULL, &status)))
		return rc;
	return status == 200 ? 0 : http_error(c, status, NULL);
}

/* ---------------------------------------------------------------- data versions */
int sync_client_page_data(sync_client *c, json_t **data)
{
	json_t *doc = NULL;
	int rc;

	*data = NULL;
	if ((rc = sync_body_decode_budget(c->resp.ptr, c->resp.len, SYNC_MAX_PULL_INFLATED,
	                                  SYNC_MAX_PULL_TREE, &doc)))
		return unreadable(c, "pull");
	*data = json_incref(json_object_get(doc, "data"));
	json_decref(doc);
	if (*data && (rc = sync_data_versions_check(*data))) {
		json_decref(*data);
		*data = NULL;
	}
	return rc;
}

/* Each file: {"version", "body"} with a version as in the page and a text body. */
static int files_check(const json_t *files)
{
	json_t *versions = json_object(), *f;
	const char *kind;
	int rc = json_is_object(files) ? 0 : DS_EINVALID;

	json_object_foreach((json_t *)files, kind, f)
	{
		if (!json_is_string(json_object_get(f, "body")))
			rc = DS_EINVALID;
		json_object_set(versions, kind, json_object_get(f, "version"));
	}
	if (!rc)
		rc = sync_data_versions_check(versions);
	json_decref(versions);
	return rc;
}

int sync_client_data(sync_client *c, const json_t *have, json_t **files)
{
	const char *cal = json_string_value(json_object_get(have, "calendar"));
	const char *proc = json_string_value(json_object_get(have, "procedures"));
	char path[160];
	long status = 0;
	int rc;

	*files = NULL;
	if (have && (rc = sync_data_versions_check(have)))
		return rc;
	snprintf(path, sizeof(path), "/v1/data?calendar=%s&procedures=%s", cal ? cal : "",
	         proc ? proc : "");
	if ((rc = sync_perform(c, path, NULL, &status)))
		return rc;
	if (status == 404)
		return ds_error_set(DS_ENOTFOUND, "central at %s distributes no data files",
		                    c->url);
	if (status != 200)
		return http_error(c, status, NULL);
	if (sync_body_decode_budget(c->resp.ptr, c->resp.len, SYNC_MAX_DATA_INFLATED,
	                            SYNC_MAX_DATA_TREE, files) ||
	    files_check(*files)) {
		json_decref(*files);
		*files = NULL;
		return unreadable(c, "data");
	}
	return 0;
}

int sync_client_clock_skew(const sync_client *c, int64_t *skew_s)
{
	if (!c->server_time)
		return DS_ENOTFOUND;
	*skew_s = c->seen_at - c->server_time;
	return 0;
}
