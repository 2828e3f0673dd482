/* test_client.c: units for the HTTP client (sync/client.c) against a small libmicrohttpd
 * server started inside the test on 127.0.0.1 with an ephemeral port. The server answers
 * what each test scripts and records what arrived, so the tests check the error mapping,
 * the counters, the headers, the stall timeout and that one connection is kept alive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sync/sync.h"

/* ---------------------------------------------------------------- the test server */
static struct {
	struct MHD_Daemon *d;
	int port;
	pthread_mutex_t mu;
	volatile int stop;
	int conns; /* connections opened so far */
	/* what to answer next */
	int status;
	ds_buf body;
	int stall_ms;
	/* what the last request carried */
	char method[16], url[256], auth[256], cenc[64], ctype[64];
	ds_buf got;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void copy_header(struct MHD_Connection *conn, const char *name, char *out, size_t n)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

	snprintf(out, n, "%s", v ? v : "");
}

static void stall(int ms)
{
	int waited;

	for (waited = 0; waited < ms && !S.stop; waited += 20)
		usleep(20 * 1000);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
	ds_buf *req = *req_cls, out = DS_BUF_INIT;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int status, ms;

	if (!req) {
		req = calloc(1, sizeof(*req));
		ds_buf_init(req, 0);
		*req_cls = req;
		return MHD_YES;
	}
	if (*upload_size) {
		ds_buf_add(req, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&S.mu);
	snprintf(S.method, sizeof(S.method), "%s", method);
	snprintf(S.url, sizeof(S.url), "%s", url);
	if (MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since"))
		snprintf(S.url, sizeof(S.url), "%s?since=%s&limit=%s", url,
		         MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since"),
		         MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit"));
	copy_header(conn, "Authorization", S.auth, sizeof(S.auth));
	copy_header(conn, "Content-Encoding", S.cenc, sizeof(S.cenc));
	copy_header(conn, "Content-Type", S.ctype, sizeof(S.ctype));
	ds_buf_reset(&S.got);
	ds_buf_add(&S.got, req->ptr, req->len);
	ds_buf_add(&out, S.body.ptr, S.body.len);
	status = S.status;
	ms = S.stall_ms;
	pthread_mutex_unlock(&S.mu);
	stall(ms);
	resp = MHD_create_response_from_buffer(out.len, out.ptr, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Content-Encoding", "deflate");
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	ds_buf_release(&out);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	ds_buf *req = *req_cls;

	if (req) {
		ds_buf_release(req);
		free(req);
		*req_cls = NULL;
	}
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	pthread_mutex_lock(&S.mu);
	S.conns++;
	pthread_mutex_unlock(&S.mu);
}

static int server_start(void **state)
{
	struct sockaddr_in sa = {0};
	const union MHD_DaemonInfo *info;

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	ds_buf_init(&S.body, 0);
	ds_buf_init(&S.got, 0);
	S.d = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
	    NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!S.d)
		return -1;
	info = MHD_get_daemon_info(S.d, MHD_DAEMON_INFO_BIND_PORT);
	S.port = info ? info->port : 0;
	return S.port ? 0 : -1;
}

static int server_stop(void **state)
{
	S.stop = 1;
	MHD_stop_daemon(S.d);
	ds_buf_release(&S.body);
	ds_buf_release(&S.got);
	return 0;
}

/* Scripts the next answer: status and raw body bytes, after stall_ms of silence. */
static void answer_raw(int status, const void *body, size_t len, int stall_ms)
{
	pthread_mutex_lock(&S.mu);
	S.status = status;
	ds_buf_reset(&S.body);
	ds_buf_add(&S.body, body, len);
	S.stall_ms = stall_ms;
	pthread_mutex_unlock(&S.mu);
}

/* Scripts an answer whose body is the zlib form of the JSON text. */
static void answer_json(int status, const char *json)
{
	json_t *doc = NULL;
	ds_buf b = DS_BUF_INIT;

	assert_int_equal(ds_json_parse(json, strlen(json), &doc), 0);
	assert_int_equal(sync_body_encode(doc, &b), 0);
	answer_raw(status, b.ptr, b.len, 0);
	json_decref(doc);
	ds_buf_release(&b);
}

/* ---------------------------------------------------------------- helpers */
#define H0 "0000000000000000000000000000000000000000000000000000000000000000"

static sync_client *client_for(int port, long low_speed_time)
{
	char url[64];
	sync_opts o = {0};
	sync_client *c = NULL;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	o.url = url;
	o.token = "tok-123";
	o.connect_timeout_s = 2;
	o.total_timeout_s = 20;
	o.low_speed_time_s = low_speed_time;
	assert_int_equal(sync_client_new(&c, &o), 0);
	return c;
}

static void push_body(ds_buf *body)
{
	json_t *ops = json_pack("[{s:i, s:s, s:s, s:s, s:{s:i}, s:i, s:n, s:s, s:s}]", "seq", 1,
	                        "op_id", "xa1:1", "code", "000.00.12.H22-251129-0007", "kind",
	                        "transition", "payload", "to", 4, "base", 1, "parent", "actor",
	                        "lan", "occurred_at", "2025-11-29T08:01:02+07:00");

	assert_int_equal(sync_push_encode("xa1", H0, H0, ops, body), 0);
	json_decref(ops);
}

static void expect_msg(const char *want)
{
	if (!strstr(ds_error_msg(), want))
		fail_msg("message \"%s\" lacks \"%s\"", ds_error_msg(), want);
}

/* ---------------------------------------------------------------- tests */
static void push_ok(void **state)
{
	const char *receipts = "[{\"op_id\":\"xa1:1\",\"result\":\"applied\",\"version\":2}]";
	sync_client *c = client_for(S.port, 0);
	ds_buf body = DS_BUF_INIT, reply = DS_BUF_INIT;
	json_t *want = NULL, *got = NULL;
	int64_t exp = -1;

	push_body(&body);
	assert_int_equal(ds_json_parse(receipts, strlen(receipts), &want), 0);
	assert_int_equal(sync_receipts_encode(want, &reply), 0);
	answer_raw(200, reply.ptr, reply.len, 0);
	assert_int_equal(sync_client_push(c, &body, &got, &exp), 0);
	assert_true(ds_json_same(want, got));
	assert_int_equal(exp, 0);
	/* What central saw. */
	assert_string_equal(S.method, "POST");
	assert_string_equal(S.url, "/v1/push");
	assert_string_equal(S.auth, "Bearer tok-123");
	assert_string_equal(S.cenc, "deflate");
	assert_string_equal(S.ctype, "application/json");
	assert_int_equal(S.got.len, body.len);
	assert_memory_equal(S.got.ptr, body.ptr, body.len);
	/* The counters: bodies as sent and received, compressed. */
	assert_int_equal(sync_client_counters(c)->requests, 1);
	assert_int_equal(sync_client_counters(c)->bytes_up, body.len);
	assert_int_equal(sync_client_counters(c)->bytes_down, reply.len);
	json_decref(want);
	json_decref(got);
	ds_buf_release(&body);
	ds_buf_release(&reply);
	sync_client_free(c);
}

static void pull_and_health(void **state)
{
	sync_client *c = client_for(S.port, 0);
	json_t *changes = NULL;
	int64_t next = 0;
	int more = 0;

	answer_json(200, "{\"changes\":{\"n\":1,\"cols\":["
	                 "{\"p\":[\"code\"],\"r\":[0],\"v\":[\"X-1\"]},"
	                 "{\"p\":[\"cursor\"],\"r\":[0],\"v\":[41]},"
	                 "{\"p\":[\"node\"],\"r\":[0],\"v\":[\"xa2\"]},"
	                 "{\"p\":[\"op_id\"],\"r\":[0],\"v\":[\"xa2:9\"]},"
	                 "{\"p\":[\"state\",\"status\"],\"r\":[0],\"v\":[4]},"
	                 "{\"p\":[\"version\"],\"r\":[0],\"v\":[5]}]},"
	                 "\"next\":41,\"more\":true}");
	assert_int_equal(sync_client_pull(c, 40, 100, &changes, &next, &more), 0);
	assert_string_equal(S.method, "GET");
	assert_string_equal(S.url, "/v1/pull?since=40&limit=100");
	assert_string_equal(S.auth, "Bearer tok-123");
	assert_int_equal(json_array_size(changes), 1);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_array_get(changes, 0), "state"), "status")),
	                 4);
	assert_int_equal(next, 41);
	assert_int_equal(more, 1);
	json_decref(changes);
	/* A bad limit is refused before anything is sent. */
	assert_int_equal(sync_client_pull(c, 0, 0, &changes, &next, &more), DS_EINVALID);
	assert_int_equal(sync_client_pull(c, 0, SYNC_MAX_PULL_LIMIT + 1, &changes, &next, &more),
	                 DS_EINVALID);
	assert_int_equal(sync_client_pull(c, -1, 10, &changes, &next, &more), DS_EINVALID);
	assert_int_equal(sync_client_counters(c)->requests, 1);
	answer_json(200, "{\"ok\":true,\"v\":1}");
	assert_int_equal(sync_client_health(c), 0);
	assert_string_equal(S.url, "/v1/health");
	assert_int_equal(sync_client_counters(c)->requests, 2);
	sync_client_free(c);
}

/* One push against a scripted answer: its code and the message it gives. */
static void push_gets(sync_client *c, int want, const char *msg, int64_t *exp)
{
	ds_buf body = DS_BUF_INIT;
	json_t *receipts = (json_t *)1;

	push_body(&body);
	assert_int_equal(sync_client_push(c, &body, &receipts, exp), want);
	assert_null(receipts);
	expect_msg(msg);
	ds_buf_release(&body);
}

static void error_mapping(void **state)
{
	sync_client *c = client_for(S.port, 0);
	int64_t exp = 0;
	json_t *changes = NULL;
	int64_t next;
	int more;

	answer_json(401, "{\"error\":\"unknown or revoked token\"}");
	push_gets(c, DS_EPERM, "central refused the token (401): unknown or revoked token", NULL);
	answer_json(403, "{\"error\":\"node xa1 is bound to another token\"}");
	push_gets(c, DS_EPERM, "(403): node xa1 is bound to another token", NULL);
	answer_json(400, "{\"error\":\"push: v must be 1\"}");
	push_gets(c, DS_EINVALID, "(400): push: v must be 1", NULL);
	answer_json(413, "{\"error\":\"body over 8388608 bytes\"}");
	push_gets(c, DS_EINVALID, "too large (413): body over 8388608 bytes", NULL);
	answer_json(409, "{\"error\":\"expected seq 7\",\"expected_seq\":7}");
	push_gets(c, DS_ECONFLICT, "central expects seq 7 next (409): expected seq 7", &exp);
	assert_int_equal(exp, 7);
	answer_json(409, "{\"error\":\"fork\"}");
	push_gets(c, DS_ERROR, "409 without a valid expected_seq", &exp);
	answer_json(429, "{\"error\":\"slow down\"}");
	push_gets(c, DS_ERETRY, "(429): slow down", NULL);
	answer_json(500, "{\"error\":\"database is locked\"}");
	push_gets(c, DS_ERETRY, "(500): database is locked", NULL);
	/* An error body that is not zlib: the status line stands in. */
	answer_raw(503, "<html>busy</html>", 17, 0);
	push_gets(c, DS_ERETRY, "(503): HTTP/1.1 503 Service Unavailable", NULL);
	answer_raw(404, "", 0, 0);
	push_gets(c, DS_ERROR, "central answered 404", NULL);
	/* A 200 whose body is not zlib is not trusted; the request is safe to repeat. */
	answer_raw(200, "{\"receipts\":[]}", 15, 0);
	push_gets(c, DS_ERETRY, "central's answer to push at http://127.0.0.1", NULL);
	expect_msg("is unreadable: receipts: corrupt zlib body");
	answer_json(200, "{\"receipts\":[1,2]}");
	push_gets(c, DS_ERETRY, "is unreadable", NULL);
	answer_raw(200, "junk", 4, 0);
	assert_int_equal(sync_client_pull(c, 0, 10, &changes, &next, &more), DS_ERETRY);
	expect_msg("central's answer to pull");
	answer_json(401, "{\"error\":\"no token\"}");
	assert_int_equal(sync_client_pull(c, 0, 10, &changes, &next, &more), DS_EPERM);
	answer_json(503, "{\"error\":\"maintenance\"}");
	assert_int_equal(sync_client_health(c), DS_ERETRY);
	expect_msg("maintenance");
	assert_int_equal(sync_client_counters(c)->requests, 15);
	sync_client_free(c);
}

static void keeps_connection(void **state)
{
	sync_client *c = client_for(S.port, 0);
	json_t *changes = NULL;
	int64_t next, bytes = 0;
	int more, i, before;

	pthread_mutex_lock(&S.mu);
	before = S.conns;
	pthread_mutex_unlock(&S.mu);
	for (i = 0; i < 3; i++) {
		answer_json(200, "{\"changes\":{\"n\":0,\"cols\":[]},\"next\":0,\"more\":false}");
		assert_int_equal(sync_client_pull(c, 0, 10, &changes, &next, &more), 0);
		json_decref(changes);
		bytes += (int64_t)S.body.len;
		answer_json(200, "{\"ok\":true}");
		assert_int_equal(sync_client_health(c), 0);
		bytes += (int64_t)S.body.len;
		answer_json(409, "{\"error\":\"x\",\"expected_seq\":3}");
		push_gets(c, DS_ECONFLICT, "409", NULL);
		bytes += (int64_t)S.body.len;
	}
	pthread_mutex_lock(&S.mu);
	assert_int_equal(S.conns - before, 1);
	pthread_mutex_unlock(&S.mu);
	assert_int_equal(sync_client_counters(c)->requests, 9);
	assert_int_equal((int64_t)sync_client_counters(c)->bytes_down, bytes);
	sync_client_free(c);
}

static void stalled_answer(void **state)
{
	sync_client *c = client_for(S.port, 1);
	int64_t t0 = ds_clock_ms(), took;

	/* Central goes silent: under 100 bytes/s for 1 s aborts the request. */
	answer_json(200, "{\"ok\":true}");
	pthread_mutex_lock(&S.mu);
	S.stall_ms = 4000;
	pthread_mutex_unlock(&S.mu);
	assert_int_equal(sync_client_health(c), DS_ERETRY);
	took = ds_clock_ms() - t0;
	printf("stalled request aborted after %lld ms: %s\n", (long long)took, ds_error_msg());
	expect_msg("central timed out at http://127.0.0.1:");
	assert_true(took >= 900 && took < 3500);
	pthread_mutex_lock(&S.mu);
	S.stall_ms = 0;
	pthread_mutex_unlock(&S.mu);
	/* The client recovers on a fresh connection. */
	assert_int_equal(sync_client_health(c), 0);
	sync_client_free(c);
}

static void answer_too_big(void **state)
{
	sync_client *c = client_for(S.port, 0);
	size_t big = SYNC_MAX_BODY + 4096;
	char *junk = calloc(1, big);
	json_t *changes = NULL;
	int64_t next;
	int more;

	answer_raw(200, junk, big, 0);
	assert_int_equal(sync_client_pull(c, 0, 10, &changes, &next, &more), DS_ETOOBIG);
	expect_msg("is over 8388608 bytes");
	assert_null(changes);
	free(junk);
	sync_client_free(c);
}

static void refused_connection(void **state)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;
	char want[96];
	sync_client *c;
	int64_t t0;

	/* A port that was free a moment ago and has nobody listening. */
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	c = client_for(port, 0);
	t0 = ds_clock_ms();
	assert_int_equal(sync_client_health(c), DS_ERETRY);
	assert_true(ds_clock_ms() - t0 < 2000);
	snprintf(want, sizeof(want),
	         "central unreachable at http://127.0.0.1:%d: Couldn't "
	         "connect to server",
	         port);
	assert_string_equal(ds_error_msg(), want);
	assert_int_equal(sync_client_counters(c)->requests, 1);
	assert_int_equal(sync_client_counters(c)->bytes_down, 0);
	sync_client_free(c);
}

/* A port nobody listens on (free a moment ago). */
static int dead_port(void)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* Two centrals, the first down: the request goes to the second, and the next client of
 * the same list starts there. */
static void fails_over(void **state)
{
	char list[128];
	sync_opts o = {0};
	sync_client *c = NULL;

	snprintf(list, sizeof(list), "http://127.0.0.1:%d, http://127.0.0.1:%d/", dead_port(),
	         S.port);
	o.url = list;
	o.token = "tok-123";
	o.connect_timeout_s = 2;
	assert_int_equal(sync_client_new(&c, &o), 0);
	answer_json(200, "{\"ok\":true,\"v\":1}");
	assert_int_equal(sync_client_health(c), 0);
	assert_int_equal(sync_client_counters(c)->requests, 2);
	sync_client_free(c);
	assert_int_equal(sync_client_new(&c, &o), 0);
	answer_json(200, "{\"ok\":true,\"v\":1}");
	assert_int_equal(sync_client_health(c), 0);
	assert_int_equal(sync_client_counters(c)->requests, 1);
	sync_client_free(c);
	/* every central down: the last one's error */
	snprintf(list, sizeof(list), "http://127.0.0.1:%d,http://127.0.0.1:%d", dead_port(),
	         dead_port());
	assert_int_equal(sync_client_new(&c, &o), 0);
	assert_int_equal(sync_client_health(c), DS_ERETRY);
	assert_int_equal(sync_client_counters(c)->requests, 2);
	sync_client_free(c);
}

static void url_lists(void **state)
{
	assert_int_equal(sync_url_list_check("http://a"), 0);
	assert_int_equal(sync_url_list_check("http://a:1,https://b/x, http://c "), 0);
	assert_int_equal(sync_url_list_check("http://a,ftp://b"), DS_EINVALID);
	assert_string_equal(ds_error_msg(),
	                    "central URL 'ftp://b': must start with http:// or https://");
	assert_int_equal(sync_url_list_check("http://a,"), DS_EINVALID);
	assert_int_equal(sync_url_list_check(""), DS_EINVALID);
}

static void bad_options(void **state)
{
	sync_opts o = {0};
	sync_client *c = (sync_client *)1;
	ds_buf empty = DS_BUF_INIT;
	json_t *receipts;

	o.url = "ftp://127.0.0.1/";
	assert_int_equal(sync_client_new(&c, &o), DS_EINVALID);
	assert_null(c);
	o.url = NULL;
	assert_int_equal(sync_client_new(&c, &o), DS_EINVALID);
	o.url = "http://127.0.0.1:1";
	o.token = "abc\r\nX-Evil: 1";
	assert_int_equal(sync_client_new(&c, &o), DS_EINVALID);
	assert_null(c);
	o.token = "abc";
	assert_int_equal(sync_client_new(&c, &o), 0);
	assert_int_equal(sync_client_push(c, &empty, &receipts, NULL), DS_EINVALID);
	assert_int_equal(sync_client_counters(c)->requests, 0);
	sync_client_free(c);
	sync_client_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(push_ok),
	    cmocka_unit_test(pull_and_health),
	    cmocka_unit_test(error_mapping),
	    cmocka_unit_test(keeps_connection),
	    cmocka_unit_test(stalled_answer),
	    cmocka_unit_test(answer_too_big),
	    cmocka_unit_test(refused_connection),
	    cmocka_unit_test(fails_over),
	    cmocka_unit_test(url_lists),
	    cmocka_unit_test(bad_options),
	};

	return cmocka_run_group_tests(tests, server_start, server_stop);
}
