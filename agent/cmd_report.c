/* cmd_report.c: `dossync report`: the office's indicators for a period (agent/report.c), as
 * a text table, JSON, CSV, or one self-contained HTML page with Vietnamese labels. Reads
 * only; takes no writer lock. */
#include "agent/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ropts {
	const char *from, *to, *html;
	int json, csv;
};

static int parse_r(const cli_command *me, int argc, char **argv, struct ropts *o)
{
	static const struct option opts[] = {{"from", 1, 0, 'f'}, {"to", 1, 0, 't'},
	                                     {"json", 0, 0, 'j'}, {"csv", 0, 0, 'c'},
	                                     {"html", 1, 0, 'h'}, {0, 0, 0, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'f')
			o->from = optarg;
		else if (ch == 't')
			o->to = optarg;
		else if (ch == 'j')
			o->json = 1;
		else if (ch == 'c')
			o->csv = 1;
		else if (ch == 'h' && *optarg)
			o->html = optarg;
		else
			return cli_usage_error(me, "unknown option");
	}
	if (optind != argc)
		return cli_usage_error(me, "unexpected argument");
	if (o->json + o->csv + !!o->html > 1)
		return cli_usage_error(me, "give one of --json, --csv, --html");
	return 0;
}

/* One line of the text table: the group's key, then each column. */
static void text_row(const char *key, const json_t *row)
{
	const struct schema_report_column *c;
	char cell[32];

	printf("%-14s", key);
	for (c = schema_report_columns; c->key; c++) {
		schema_report_cell(row, c, cell);
		printf(" %8s", *cell ? cell : "-");
	}
	printf("\n");
}

static void text_report(const json_t *r)
{
	static const char *const heads[] = {"received", "on_time", "late",     "in_time",
	                                    "overdue",  "none",    "on_time%", "avg_days",
	                                    "online%",  "digit%",  "synced%"};
	const json_t *period = json_object_get(r, "period"), *row, *note;
	size_t i;

	printf("office %s, dossiers received from %s to %s, at %s, calendar %s\n",
	       json_string_value(json_object_get(r, "office")),
	       json_is_string(json_object_get(period, "from"))
	           ? json_string_value(json_object_get(period, "from"))
	           : "the start",
	       json_is_string(json_object_get(period, "to"))
	           ? json_string_value(json_object_get(period, "to"))
	           : "today",
	       json_string_value(json_object_get(r, "at")),
	       json_is_string(json_object_get(r, "calendar"))
	           ? json_string_value(json_object_get(r, "calendar"))
	           : "none");
	printf("%-14s", "procedure");
	for (i = 0; i < DS_ARRAY_LEN(heads); i++)
		printf(" %8s", heads[i]);
	printf("\n");
	json_array_foreach(json_object_get(r, "procedures"), i, row)
	    text_row(json_string_value(json_object_get(row, "procedure")), row);
	text_row("TOTAL", json_object_get(r, "total"));
	json_array_foreach(json_object_get(r, "notes"), i, note)
	    printf("note: %s\n", json_string_value(note));
}

/* Reals with at most 10 significant digits, so 66.7 prints as 66.7. */
static void print_json(const json_t *r)
{
	char *s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));

	if (s)
		printf("%s\n", s);
	free(s);
}

static int print_csv(const json_t *r)
{
	ds_buf b = DS_BUF_INIT;
	int rc = schema_report_csv(r, "procedures", &b);

	if (!rc)
		fwrite(b.ptr, 1, b.len, stdout);
	ds_buf_release(&b);
	return rc;
}

static int cmd_report(cli *c, int argc, char **argv)
{
	const cli_command *me = cli_find("report");
	struct ropts o;
	agent *a = NULL;
	json_t *r = NULL;
	int rc;

	if ((rc = parse_r(me, argc, argv, &o)) || (rc = cli_open(c, AGENT_READ, &a)) ||
	    (rc = agent_report(a, o.from, o.to, &r)))
		goto done;
	if (o.json)
		print_json(r);
	else if (o.csv)
		rc = print_csv(r);
	else if (o.html && !(rc = agent_report_html(r, o.html)))
		printf("wrote %s\n", o.html);
	else if (!o.html)
		text_report(r);
done:
	json_decref(r);
	agent_close(a);
	return rc;
}

const cli_command cli_report_commands[] = {
    {"report", cmd_report,
     "report [--from DAY] [--to DAY] [--json | --csv | --html FILE]\n"
     "The office's indicators for the dossiers received between the days (YYYY-MM-DD, both\n"
     "included; default: all): received, finished on time and late, still in time and\n"
     "overdue, average processing time in working days, shares received online, digitised\n"
     "and synced to central; per procedure and in total. --csv: one row per procedure and a\n"
     "TOTAL row; --html FILE: one self-contained page with Vietnamese labels.\n"},
    {NULL, NULL, NULL},
};
