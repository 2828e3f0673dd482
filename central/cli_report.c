/* cli_report.c: `dossync-central report`: the indicators of one office (--office) or of
 * the province, for a period (central/report.c), as a text table, JSON or CSV. */
#include "central/central_int.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_report[] =
    "dossync-central report [--office AGENCY] [--from DAY] [--to DAY] [--json | --csv]\n"
    "  the indicators of the dossiers received between the days (YYYY-MM-DD, both\n"
    "  included; default: all), for one office or, without --office, the province with a\n"
    "  breakdown per office: received, finished on time and late, still in time and\n"
    "  overdue, average processing time in working days (by the published calendar),\n"
    "  shares received online, digitised and synced; per procedure and in total. --csv:\n"
    "  one row per procedure (per office for the province) and a TOTAL row.\n";

struct ropts {
	const char *office, *from, *to;
	int json, csv;
};

static int parse(int argc, char **argv, struct ropts *o)
{
	static const struct option opts[] = {{"office", 1, 0, 'o'}, {"from", 1, 0, 'f'},
	                                     {"to", 1, 0, 't'},     {"json", 0, 0, 'j'},
	                                     {"csv", 0, 0, 'c'},    {0, 0, 0, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			o->office = optarg;
		else if (c == 'f')
			o->from = optarg;
		else if (c == 't')
			o->to = optarg;
		else if (c == 'j')
			o->json = 1;
		else if (c == 'c')
			o->csv = 1;
		else
			return -1;
	}
	return optind == argc && o->json + o->csv <= 1 ? 0 : -1;
}

/* One line of the text table: the group's key, then each column. */
static void text_row(const char *key, const json_t *row)
{
	const struct schema_report_column *c;
	char cell[32];

	printf("%-20s", key ? key : "-");
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
	const char *group = json_is_array(json_object_get(r, "offices")) ? "offices" : "procedures";
	const char *key = strcmp(group, "offices") ? "procedure" : "office";
	const json_t *row, *note;
	size_t i;

	printf("%s, at %s, calendar %s\n",
	       json_is_string(json_object_get(r, "office"))
	           ? json_string_value(json_object_get(r, "office"))
	           : "province",
	       json_string_value(json_object_get(r, "at")),
	       json_is_string(json_object_get(r, "calendar"))
	           ? json_string_value(json_object_get(r, "calendar"))
	           : "none");
	printf("%-20s", key);
	for (i = 0; i < DS_ARRAY_LEN(heads); i++)
		printf(" %8s", heads[i]);
	printf("\n");
	json_array_foreach(json_object_get(r, group), i, row)
	    text_row(json_string_value(json_object_get(row, key)), row);
	text_row("TOTAL", json_object_get(r, "total"));
	json_array_foreach(json_object_get(r, "notes"), i, note)
	    printf("note: %s\n", json_string_value(note));
}

/* Prints r in the form asked for. */
static int print(const json_t *r, const struct ropts *o)
{
	ds_buf b = DS_BUF_INIT;
	char *s;
	int rc = 0;

	if (o->json) {
		s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
		if (s)
			printf("%s\n", s);
		free(s);
	} else if (o->csv) {
		rc = schema_report_csv(r, o->office ? "procedures" : "offices", &b);
		if (!rc)
			fwrite(b.ptr, 1, b.len, stdout);
	} else {
		text_report(r);
	}
	ds_buf_release(&b);
	return rc;
}

int cli_report(const cli_ctx *ctx, int argc, char **argv)
{
	central_store *s = NULL;
	json_t *r = NULL;
	struct ropts o;
	int i, rc;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return cli_usage(usage_report, 1);
	if (parse(argc, argv, &o))
		return cli_usage(usage_report, 0);
	if ((rc = cli_open(ctx, &s)))
		return rc;
	if ((rc = central_report(s, o.office, o.from, o.to, &r)) == 0)
		rc = print(r, &o);
	json_decref(r);
	central_store_free(s);
	return rc ? cli_fail(rc) : 0;
}
