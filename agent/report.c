/* report.c: `dossync report`: the office's own indicators for a period, computed from its
 * store by the one accumulator central uses too (schema/report.c); this file only feeds it
 * the office's dossiers, each with whether central holds its newest op. */
#include "agent/agent_int.h"

#include <stdio.h>
#include <string.h>

/* What "synced" counts here, said in the report: central counts every dossier it holds. */
static const char synced_note[] =
    "synced: dossiers whose newest op central has applied (sync state \"synced\"); central's "
    "report counts every dossier it holds as synced, so the two differ only there, by the "
    "dossiers still pending, in conflict or rejected";

/* The day before (step -1) or after (+1) day "YYYY-MM-DD" in out; "" when day is NULL. */
static void day_beside(const char *day, int step, char out[16])
{
	int y, m, d;

	out[0] = '\0';
	if (!day || sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return;
	ds_time_date((ds_time_day_number(y, m, d) + step) * 86400, 0, &y, &m, &d);
	snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

/* Binds the period, widened by a day on each side, to the rows' statement: the date
 * written in received_at is within a day of its +07:00 date whatever its offset, so no
 * dossier of the period is left out, and the accumulator makes the exact cut. */
static void bind_period(sqlite3_stmt *st, const char *from, const char *to)
{
	char lo[16], hi[16];

	day_beside(from, -1, lo);
	day_beside(to, 1, hi);
	if (*lo)
		sqlite3_bind_text(st, 1, lo, -1, SQLITE_TRANSIENT);
	if (*hi)
		sqlite3_bind_text(st, 2, hi, -1, SQLITE_TRANSIENT);
}

/* Feeds every dossier row that may fall in the period to r. */
static int feed(agent *a, schema_report *r, const char *from, const char *to)
{
	sqlite3_stmt *st = NULL;
	const char *label;
	json_t *d;
	int rc;

	if ((rc = agent_stmt_get(a, ST_REPORT_ROWS, &st)))
		return rc;
	bind_period(st, from, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(st, 0);
		const char *code = (const char *)sqlite3_column_text(st, 2);

		if (!(d = json_loads(body ? body : "", 0, NULL))) {
			rc = ds_error_set(DS_EINVALID, "dossier %s: the stored body is not JSON",
			                  code);
			break;
		}
		rc = agent_sync_label(a, code, sqlite3_column_int64(st, 1), &label);
		if (!rc)
			rc = schema_report_add(r, d, strcmp(label, "synced") == 0);
		json_decref(d);
		if (rc)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = ds_error_sqlite(agent_db(a), rc, "dossiers");
	agent_stmt_put(st);
	return rc;
}

int agent_report(agent *a, const char *from, const char *to, json_t **out)
{
	const schema_calendar *cal = NULL;
	schema_report *r = NULL;
	int rc;

	*out = NULL;
	if ((rc = agent_calendar(a, &cal)) ||
	    (rc = schema_report_new(&r, from, to, ds_time_now(), cal, 0)) ||
	    (rc = feed(a, r, from, to)))
		goto done;
	*out = schema_report_json(r);
	json_object_set_new(*out, "office", json_string(a->cfg.office));
	json_array_append_new(json_object_get(*out, "notes"), json_string(synced_note));
done:
	schema_report_free(r);
	return rc;
}

/* Appends s with &, <, >, " escaped. */
static void html_text(ds_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '&')
			ds_buf_puts(b, "&amp;");
		else if (*s == '<')
			ds_buf_puts(b, "&lt;");
		else if (*s == '>')
			ds_buf_puts(b, "&gt;");
		else if (*s == '"')
			ds_buf_puts(b, "&quot;");
		else
			ds_buf_add(b, s, 1);
	}
}

static void html_row(ds_buf *b, const char *key, const char *name, const json_t *row)
{
	const struct schema_report_column *c;
	char cell[32];

	ds_buf_puts(b, "<tr><th>");
	html_text(b, key);
	ds_buf_puts(b, "</th><td>");
	html_text(b, name);
	ds_buf_puts(b, "</td>");
	for (c = schema_report_columns; c->key; c++) {
		schema_report_cell(row, c, cell);
		ds_buf_printf(b, "<td>%s</td>", *cell ? cell : "-");
	}
	ds_buf_puts(b, "</tr>\n");
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>Báo cáo chỉ số giải quyết hồ sơ</title>\n<style>\n"
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "th,td{border:1px solid #999;padding:4px 8px}td{text-align:right}"
    "td:nth-child(2){text-align:left}thead th{background:#eee}"
    "tfoot{font-weight:bold}\n</style>\n</head>\n<body>\n";

/* The heading: office, period, time of the report, calendar. */
static void html_title(ds_buf *b, const json_t *r)
{
	const json_t *p = json_object_get(r, "period");
	const char *from = json_string_value(json_object_get(p, "from"));
	const char *to = json_string_value(json_object_get(p, "to"));
	const char *cal = json_string_value(json_object_get(r, "calendar"));

	ds_buf_puts(b, "<h1>Báo cáo chỉ số giải quyết hồ sơ</h1>\n<p>Cơ quan: ");
	html_text(b, json_string_value(json_object_get(r, "office")));
	ds_buf_puts(b, "<br>Hồ sơ tiếp nhận từ ngày: ");
	html_text(b, from ? from : "(đầu kỳ)");
	ds_buf_puts(b, " đến ngày: ");
	html_text(b, to ? to : "(nay)");
	ds_buf_puts(b, "<br>Thời điểm lập: ");
	html_text(b, json_string_value(json_object_get(r, "at")));
	ds_buf_puts(b, "<br>Lịch làm việc: ");
	html_text(b, cal ? cal : "chưa cài đặt");
	ds_buf_puts(b, "</p>\n");
}

static void html_table(ds_buf *b, const json_t *r)
{
	const struct schema_report_column *c;
	const json_t *row;
	size_t i;

	ds_buf_puts(b, "<table>\n<thead><tr><th>Mã thủ tục</th><th>Tên thủ tục</th>");
	for (c = schema_report_columns; c->key; c++) {
		ds_buf_puts(b, "<th>");
		html_text(b, c->label);
		ds_buf_puts(b, "</th>");
	}
	ds_buf_puts(b, "</tr></thead>\n<tbody>\n");
	json_array_foreach(json_object_get(r, "procedures"), i, row)
	{
		html_row(b, json_string_value(json_object_get(row, "procedure")),
		         json_string_value(json_object_get(row, "name")), row);
	}
	ds_buf_puts(b, "</tbody>\n<tfoot>\n");
	html_row(b, "Tổng cộng", "", json_object_get(r, "total"));
	ds_buf_puts(b, "</tfoot>\n</table>\n");
}

int agent_report_html(const json_t *r, const char *path)
{
	ds_buf b = DS_BUF_INIT;
	const json_t *note;
	size_t i;
	int rc;

	ds_buf_puts(&b, html_head);
	html_title(&b, r);
	html_table(&b, r);
	json_array_foreach(json_object_get(r, "notes"), i, note)
	{
		ds_buf_puts(&b, "<p>Ghi chú: ");
		html_text(&b, json_string_value(note));
		ds_buf_puts(&b, "</p>\n");
	}
	ds_buf_puts(&b, "</body>\n</html>\n");
	rc = ds_file_write_atomic(path, b.ptr, b.len, 0644);
	ds_buf_release(&b);
	return rc ? ds_error_wrap(rc, "%s", path) : 0;
}
