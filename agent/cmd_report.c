/* cmd_report.c: `dossync report`: the office's indicators for a period (agent/report.c), as
 * a text table, JSON, CSV, or one self-contained HTML page with Vietnamese labels. Reads
 * only; takes no writer lock. */
#include "agent/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_r(const cli_command *me, int argc, char **argv, cli_report_args *o)
{
	const char *why = cli_report_parse(argc, argv, "html", o);

	if (why)
		return cli_usage_error(me, "%s", why);
	if (o->own && !*o->own)
		return cli_usage_error(me, "unknown option");
	if (o->json + o->csv + !!o->own > 1)
		return cli_usage_error(me, "give one of --json, --csv, --html");
	return 0;
}

/* The title line, then the table. */
static int text_report(const json_t *r)
{
	const json_t *period = json_object_get(r, "period");
	ds_buf b = DS_BUF_INIT;
	int rc;

	printf("office %s, dossiers received from %s to %s, at %s, calendar %s\n",
	       json_string_value(json_object_get(r, "office")),
	       cli_text(period, "from", "the start"), cli_text(period, "to", "today"),
	       json_string_value(json_object_get(r, "at")), cli_text(r, "calendar", "none"));
	rc = schema_report_text(r, "procedures", 14, &b);
	if (!rc)
		fwrite(b.ptr, 1, b.len, stdout);
	ds_buf_release(&b);
	return rc;
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
	cli_report_args o;
	agent *a = NULL;
	json_t *r = NULL;
	int rc;

	if ((rc = parse_r(me, argc, argv, &o)) || (rc = agent_cli_open(c, AGENT_READ, &a)) ||
	    (rc = agent_report(a, o.from, o.to, &r)))
		goto done;
	if (o.json)
		/* Reals with at most 10 significant digits, so 66.7 prints as 66.7. */
		cli_print_json_flags(r, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
	else if (o.csv)
		rc = print_csv(r);
	else if (o.own && !(rc = agent_report_html(r, o.own)))
		printf("wrote %s\n", o.own);
	else if (!o.own)
		rc = text_report(r);
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
