/* http_page.c: the status page (GET / of the local API): one self-contained HTML page in
 * Vietnamese for the PC's owner, drawn from agent_status (what `dossync status --json`
 * prints) and the overdue list. No external assets; every value is HTML-escaped; it
 * reloads itself every REFRESH_S seconds. */
#include "agent/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REFRESH_S 30

static const char head[] =
    "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"refresh\" content=\"%d\">\n"
    "<title>dossync: tình trạng đồng bộ</title>\n<style>\n"
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse}td,th{padding:.4em 1em;border-bottom:1px solid #ccc;"
    "text-align:left}.ok{color:#070}.bad{color:#b00;font-weight:bold}"
    ".note{color:#666;font-size:.9em}\n</style></head><body>\n";

/* Appends s with &, <, >, " and ' escaped. */
static void esc(ds_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			ds_buf_puts(b, "&amp;");
			break;
		case '<':
			ds_buf_puts(b, "&lt;");
			break;
		case '>':
			ds_buf_puts(b, "&gt;");
			break;
		case '"':
			ds_buf_puts(b, "&quot;");
			break;
		case '\'':
			ds_buf_puts(b, "&#39;");
			break;
		default:
			ds_buf_add(b, s, 1);
		}
	}
}

/* One row: label, then the escaped value in a cell with the given id and class. */
static void row(ds_buf *b, const char *id, const char *label, const char *value, const char *cls)
{
	ds_buf_printf(b, "<tr><th>%s</th><td id=\"%s\" class=\"%s\">", label, id, cls);
	esc(b, value);
	ds_buf_puts(b, "</td></tr>\n");
}

static void row_int(ds_buf *b, const char *id, const char *label, long long n, int bad)
{
	char text[32];

	snprintf(text, sizeof(text), "%lld", n);
	row(b, id, label, text, bad && n > 0 ? "bad" : "ok");
}

/* An age in plain words: "45 giây", "12 phút", "3 giờ 5 phút", "2 ngày 4 giờ". */
static void age_words(long long s, char *out, size_t n)
{
	if (s < 60)
		snprintf(out, n, "%lld giây", s);
	else if (s < 3600)
		snprintf(out, n, "%lld phút", s / 60);
	else if (s < 86400)
		snprintf(out, n, "%lld giờ %lld phút", s / 3600, s % 3600 / 60);
	else
		snprintf(out, n, "%lld ngày %lld giờ", s / 86400, s % 86400 / 3600);
}

/* A time of the sync state in plain words: "lúc 14:05 ngày 07/12/2026 (3 phút trước)". */
static void when_words(const json_t *t, char *out, size_t n)
{
	int64_t at = 0;
	int off = 0, y, m, d;
	char ago[64];

	if (!json_is_string(t) || ds_time_parse(json_string_value(t), &at, &off)) {
		snprintf(out, n, "chưa bao giờ");
		return;
	}
	ds_time_date(at, DS_TZ_VN, &y, &m, &d);
	age_words(ds_time_now() - at > 0 ? ds_time_now() - at : 0, ago, sizeof(ago));
	snprintf(out, n, "lúc %02d:%02d ngày %02d/%02d/%04d (%s trước)",
	         (int)((at + DS_TZ_VN * 60) % 86400 / 3600),
	         (int)((at + DS_TZ_VN * 60) % 3600 / 60), d, m, y, ago);
}

static long long int_of(const json_t *s, const char *key)
{
	return (long long)json_integer_value(json_object_get(s, key));
}

/* In sync: nothing waits to be sent and the last round went well. */
static void sync_rows(ds_buf *b, const json_t *s)
{
	const json_t *age = json_object_get(s, "oldest_pending_age_s"),
	             *err = json_object_get(s, "last_error");
	int in_sync = int_of(s, "pending_ops") == 0 && !json_is_string(err) &&
	              json_is_string(json_object_get(s, "last_success_at"));
	char text[160];

	row(b, "in_sync", "Đồng bộ với hệ thống tỉnh", in_sync ? "Đã đồng bộ" : "Chưa đồng bộ",
	    in_sync ? "ok" : "bad");
	row_int(b, "pending", "Thay đổi chờ gửi", int_of(s, "pending_ops"), 1);
	if (json_is_integer(age)) {
		age_words(json_integer_value(age), text, sizeof(text));
		row(b, "oldest_pending", "Thay đổi cũ nhất đã chờ", text, "bad");
	}
	when_words(json_object_get(s, "last_success_at"), text, sizeof(text));
	row(b, "last_success", "Lần đồng bộ thành công gần nhất", text,
	    json_is_string(json_object_get(s, "last_success_at")) ? "ok" : "bad");
	if (json_is_string(err)) {
		when_words(json_object_get(s, "last_error_at"), text, sizeof(text));
		row(b, "last_error_at", "Lỗi gần nhất xảy ra", text, "bad");
		row(b, "last_error", "Lỗi gần nhất", json_string_value(err), "bad");
	} else {
		row(b, "last_error", "Lỗi gần nhất", "Không có lỗi", "ok");
	}
}

/* The clock against central's, when a sync has measured it (else no row): "nhanh 3 phút"
 * (ahead) or "chậm 45 giây" (behind), WRONG past the tolerance (clock_ok false). */
static void clock_row(ds_buf *b, const json_t *s)
{
	const json_t *skew = json_object_get(s, "clock_skew_s");
	long long v = (long long)json_integer_value(skew);
	int ok = !json_is_false(json_object_get(s, "clock_ok"));
	char amount[64], text[160];

	if (!json_is_integer(skew))
		return;
	age_words(v < 0 ? -v : v, amount, sizeof(amount));
	snprintf(text, sizeof(text), "%s%s%s",
	         v == 0  ? "khớp"
	         : v > 0 ? "nhanh "
	                 : "chậm ",
	         v == 0 ? "" : amount, ok ? "" : " (SAI: hãy chỉnh lại đồng hồ máy này)");
	row(b, "clock_skew", "Đồng hồ máy này so với máy chủ tỉnh", text, ok ? "ok" : "bad");
}

/* The scans waiting to go up (agent_attach_backlog): "2 tệp, 3,5 MB, cũ nhất 12 phút, còn
 * khoảng 4 phút", or none; bad when central refused some. */
static void attach_row(ds_buf *b, const json_t *att)
{
	long long files = int_of(att, "files"), bytes = int_of(att, "bytes");
	const json_t *age = json_object_get(att, "oldest_age_s"),
	             *eta = json_object_get(att, "eta_s");
	char text[256], words[64];
	int n;

	if (files == 0) {
		row(b, "attachments", "Tệp đính kèm chờ gửi", "Không có", "ok");
		return;
	}
	n = snprintf(text, sizeof(text), "%lld tệp, %lld,%lld MB", files, bytes / 1000000,
	             bytes % 1000000 / 100000);
	if (json_is_integer(age)) {
		age_words(json_integer_value(age), words, sizeof(words));
		n += snprintf(text + n, sizeof(text) - (size_t)n, ", cũ nhất %s", words);
	}
	if (json_is_number(eta)) {
		age_words((long long)json_number_value(eta), words, sizeof(words));
		snprintf(text + n, sizeof(text) - (size_t)n, ", còn khoảng %s", words);
	}
	row(b, "attachments", "Tệp đính kèm chờ gửi", text,
	    int_of(att, "refused") > 0 ? "bad" : "ok");
	if (int_of(att, "refused") > 0)
		row_int(b, "attachments_refused", "Tệp bị máy chủ tỉnh từ chối",
		        int_of(att, "refused"), 1);
}

static void daemon_row(ds_buf *b, const json_t *d)
{
	const char *st = json_string_value(json_object_get(d, "state"));
	const char *text = !json_is_true(json_object_get(d, "running")) ? "Không chạy"
	                   : st && !strcmp(st, "backoff")               ? "Đang chờ thử lại"
	                   : st && !strcmp(st, "refused") ? "Bị từ chối (cần người xử lý)"
	                                                  : "Đang chạy";

	row(b, "daemon", "Dịch vụ đồng bộ", text, strcmp(text, "Đang chạy") ? "bad" : "ok");
}

static void draw(ds_buf *b, const json_t *s, size_t overdue, size_t late)
{
	ds_buf_printf(b, head, REFRESH_S);
	ds_buf_puts(b,
	            "<h1>Tình trạng đồng bộ hồ sơ một cửa</h1>\n<p>Cơ quan <span id=\"office\">");
	esc(b, json_string_value(json_object_get(s, "office")));
	ds_buf_puts(b, "</span>, máy <span id=\"node\">");
	esc(b, json_string_value(json_object_get(s, "node")));
	ds_buf_puts(b, "</span></p>\n<table>\n");
	sync_rows(b, s);
	row_int(b, "conflicts", "Xung đột chờ người xử lý", int_of(s, "open_conflicts"), 1);
	row_int(b, "overdue", "Hồ sơ quá hạn (chưa kết thúc)", (long long)overdue, 1);
	row_int(b, "late", "Hồ sơ đã kết thúc trễ hạn", (long long)late, 1);
	attach_row(b, json_object_get(s, "attachments"));
	row_int(b, "dossiers", "Tổng số hồ sơ", int_of(s, "dossiers"), 0);
	clock_row(b, s);
	daemon_row(b, json_object_get(s, "daemon"));
	ds_buf_printf(b,
	              "</table>\n<p class=\"note\">Trang tự làm mới sau mỗi %d giây.</p>\n"
	              "</body></html>\n",
	              REFRESH_S);
}

int api_status_page(const char *dir, char **out, size_t *len)
{
	ds_buf b = DS_BUF_INIT;
	json_t *s = NULL, *overdue = NULL, *late = NULL;
	agent_find f;
	agent *a = NULL;
	int rc;

	*out = NULL;
	memset(&f, 0, sizeof(f));
	f.late = 1;
	if ((rc = agent_open(&a, dir, AGENT_READ, NULL)) || (rc = agent_status(a, &s)) ||
	    (rc = agent_list(a, 0, 1, &overdue)) || (rc = agent_find_list(a, &f, &late)))
		goto done;
	draw(&b, s, json_array_size(overdue), json_array_size(late));
	*out = ds_buf_detach(&b, len);
done:
	ds_buf_release(&b);
	json_decref(s);
	json_decref(overdue);
	json_decref(late);
	agent_close(a);
	return rc;
}
