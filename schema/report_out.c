/* report_out.c: the indicators report (schema/report.c) as CSV and as a text table, the
 * same bytes from the agent and central: one row per group (procedure or office) and a
 * total row, the columns of schema_report_columns in order. */
#include "schema/schema_int.h"

#include <stdio.h>
#include <string.h>

const struct schema_report_column schema_report_columns[] = {
    {"received", "Tiếp nhận", SCHEMA_COL_COUNT},
    {"on_time", "Đúng hạn", SCHEMA_COL_COUNT},
    {"late", "Quá hạn (đã xong)", SCHEMA_COL_COUNT},
    {"in_time", "Đang xử lý, trong hạn", SCHEMA_COL_COUNT},
    {"overdue", "Đang xử lý, quá hạn", SCHEMA_COL_COUNT},
    {"not_judged", "Không đánh giá", SCHEMA_COL_COUNT},
    {"on_time_pct", "Tỉ lệ đúng hạn (%)", SCHEMA_COL_PCT},
    {"avg_working_days", "Thời gian xử lý TB (ngày làm việc)", SCHEMA_COL_DAYS},
    {"online_pct", "Tỉ lệ trực tuyến (%)", SCHEMA_COL_PCT},
    {"digitised_pct", "Tỉ lệ số hoá (%)", SCHEMA_COL_PCT},
    {"synced_pct", "Tỉ lệ đồng bộ (%)", SCHEMA_COL_PCT},
    {NULL, NULL, 0},
};

void schema_report_cell(const json_t *row, const struct schema_report_column *c, char out[32])
{
	const json_t *v = json_object_get(row, c->key);

	if (json_is_null(v) || !v)
		out[0] = '\0';
	else if (c->kind == SCHEMA_COL_COUNT)
		snprintf(out, 32, "%lld", (long long)json_integer_value(v));
	else
		snprintf(out, 32, c->kind == SCHEMA_COL_PCT ? "%.1f" : "%.2f",
		         json_number_value(v));
}

/* Appends s as one CSV field (quoted when it holds a comma, quote or line break). */
static void csv_field(ds_buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		ds_buf_puts(b, s);
		return;
	}
	ds_buf_puts(b, "\"");
	for (; *s; s++)
		ds_buf_add(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
	ds_buf_puts(b, "\"");
}

static void csv_row(ds_buf *b, const char *key, const char *name, const json_t *row)
{
	const struct schema_report_column *c;
	char cell[32];

	csv_field(b, key);
	ds_buf_puts(b, ",");
	csv_field(b, name ? name : "");
	for (c = schema_report_columns; c->key; c++) {
		schema_report_cell(row, c, cell);
		ds_buf_printf(b, ",%s", cell);
	}
	ds_buf_puts(b, "\r\n");
}

int schema_report_csv(const json_t *report, const char *group, ds_buf *out)
{
	const json_t *rows = json_object_get(report, group), *row;
	const char *key = strcmp(group, "offices") ? "procedure" : "office";
	const struct schema_report_column *c;
	size_t i;

	if (!json_is_array(rows))
		return ds_error_set(DS_EINVALID, "the report has no %s", group);
	ds_buf_printf(out, "%s,name", key);
	for (c = schema_report_columns; c->key; c++)
		ds_buf_printf(out, ",%s", c->key);
	ds_buf_puts(out, "\r\n");
	json_array_foreach(rows, i, row)
	{
		csv_row(out, json_string_value(json_object_get(row, key)),
		        json_string_value(json_object_get(row, "name")), row);
	}
	csv_row(out, "TOTAL", "", json_object_get(report, "total"));
	return 0;
}

/* One line of the text table: the group's key, then each column. */
static void text_row(ds_buf *b, int width, const char *key, const json_t *row)
{
	const struct schema_report_column *c;
	char cell[32];

	ds_buf_printf(b, "%-*s", width, key ? key : "-");
	for (c = schema_report_columns; c->key; c++) {
		schema_report_cell(row, c, cell);
		ds_buf_printf(b, " %8s", *cell ? cell : "-");
	}
	ds_buf_puts(b, "\n");
}

int schema_report_text(const json_t *report, const char *group, int width, ds_buf *out)
{
	static const char *const heads[] = {"received", "on_time", "late",     "in_time",
	                                    "overdue",  "none",    "on_time%", "avg_days",
	                                    "online%",  "digit%",  "synced%"};
	const json_t *rows = json_object_get(report, group), *row, *note;
	const char *key = strcmp(group, "offices") ? "procedure" : "office";
	size_t i;

	if (!json_is_array(rows))
		return ds_error_set(DS_EINVALID, "the report has no %s", group);
	ds_buf_printf(out, "%-*s", width, key);
	for (i = 0; i < DS_ARRAY_LEN(heads); i++)
		ds_buf_printf(out, " %8s", heads[i]);
	ds_buf_puts(out, "\n");
	json_array_foreach(rows, i, row)
	    text_row(out, width, json_string_value(json_object_get(row, key)), row);
	text_row(out, width, "TOTAL", json_object_get(report, "total"));
	json_array_foreach(json_object_get(report, "notes"), i, note)
	    ds_buf_printf(out, "note: %s\n", json_string_value(note));
	return 0;
}
