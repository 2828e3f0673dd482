/* cli_report.c: `dossync-central report`: the indicators of one office (--office) or of
 * the province, for a period (central/report.c), as a text table, JSON or CSV. */
#include "central/cli_int.h"

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

/* The title line, then the table. */
static int text_report(const json_t *r)
{
	ds_buf b = DS_BUF_INIT;
	int rc;

	printf("%s, at %s, calendar %s\n", cli_text(r, "office", "province"),
	       json_string_value(json_object_get(r, "at")), cli_text(r, "calendar", "none"));
	rc = schema_report_text(
	    r, json_is_array(json_object_get(r, "offices")) ? "offices" : "procedures", 20, &b);
	if (!rc)
		fwrite(b.ptr, 1, b.len, stdout);
	ds_buf_release(&b);
	return rc;
}

/* Prints r in the form asked for. */
static int print(const json_t *r, const cli_report_args *o)
{
	ds_buf b = DS_BUF_INIT;
	int rc = 0;

	if (o->json) {
		cli_print_json_flags(r, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
	} else if (o->csv) {
		rc = schema_report_csv(r, o->own ? "procedures" : "offices", &b);
		if (!rc)
			fwrite(b.ptr, 1, b.len, stdout);
	} else {
		rc = text_report(r);
	}
	ds_buf_release(&b);
	return rc;
}

static int cmd_report(cli *cl, int argc, char **argv)
{
	central_store *s = NULL;
	json_t *r = NULL;
	cli_report_args o;
	int rc;

	if (cli_report_parse(argc, argv, "office", &o) || o.json + o.csv > 1)
		return cli_usage_error(cli_find("report"), NULL);
	if ((rc = central_cli_open(cl, &s)))
		return rc;
	if ((rc = central_report(s, o.own, o.from, o.to, &r)) == 0)
		rc = print(r, &o);
	json_decref(r);
	central_store_free(s);
	return rc;
}

const cli_command central_cli_report_commands[] = {
    {"report", cmd_report, usage_report},
    {NULL, NULL, NULL},
};
