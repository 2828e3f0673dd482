/* cmd_attach.c: the attachment commands: attach (a scan becomes part of a dossier's
 * record, offline) and fetch (a dossier's files from central, resumable). Uploads need
 * no command: every sync round sends the files after the records. */
#include "agent/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_attach(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"component", 1, 0, 'c'}, {"kind", 1, 0, 'k'}, {"json", 0, 0, 'j'}, {0, 0, 0, 0}};
	const cli_command *me = cli_find("attach");
	const char *component = NULL, *kind = NULL;
	json_t *item = NULL;
	agent *a = NULL;
	int ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'c')
			component = optarg;
		else if (ch == 'k')
			kind = optarg;
		else if (ch == 'j')
			json = 1;
		else
			return cli_usage_error(me, "unknown option");
	}
	if (argc - optind != 2)
		return cli_usage_error(me, "give CODE and FILE");
	if (kind && strcmp(kind, "scan") && strcmp(kind, "result"))
		return cli_usage_error(me, "--kind is scan or result");
	if ((rc = agent_cli_open(c, AGENT_WRITE, &a)))
		return rc;
	rc = agent_attach(a, argv[optind], argv[optind + 1], component, kind, &item);
	if (!rc && json)
		cli_print_json(item);
	else if (!rc)
		printf("%s  %s  %lld bytes  sha256 %s\n",
		       json_string_value(json_object_get(item, "id")),
		       json_string_value(json_object_get(item, "name")),
		       (long long)json_integer_value(json_object_get(item, "size")),
		       json_string_value(json_object_get(item, "sha256")));
	json_decref(item);
	agent_close(a);
	return rc;
}

static int cmd_fetch(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"out", 1, 0, 'o'}, {0, 0, 0, 0}};
	const cli_command *me = cli_find("fetch");
	const char *out = NULL;
	agent *a = NULL;
	int64_t got = 0;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'o')
			return cli_usage_error(me, "unknown option");
		out = optarg;
	}
	if (argc - optind != 1)
		return cli_usage_error(me, "give CODE");
	if ((rc = agent_cli_open(c, AGENT_READ, &a)))
		return rc;
	rc = agent_fetch(a, argv[optind], out, &got);
	if (!rc)
		printf("%lld files brought from central%s%s\n", (long long)got,
		       out ? "; copied to " : "", out ? out : "");
	agent_close(a);
	return rc;
}

const cli_command cli_attach_commands[] = {
    {"attach", cmd_attach,
     "attach CODE FILE [--component ID] [--kind scan|result] [--json]\n"
     "Makes FILE (a scan: ID card, form, certificate) part of dossier CODE: copies it into\n"
     "the data directory under its SHA-256 and records one change adding its item\n"
     "{id, name, mime, size, sha256, kind, component} to the dossier's attachments. Works\n"
     "offline; each sync sends the file to central after the records, in chunks, resuming\n"
     "where a cut left it. --component names the item of components it belongs to; --kind\n"
     "is scan (default) or result. A file over attach_max_bytes (32 MiB by default), one\n"
     "the dossier lists already, or a missing or unreadable FILE writes nothing (exit 65).\n"},
    {"fetch", cmd_fetch,
     "fetch CODE [--out DIR]\n"
     "Brings the files dossier CODE lists from central when the data directory lacks them\n"
     "(resuming a download a cut left), each checked against its SHA-256 before it lands,\n"
     "and with --out copies every file of the dossier into DIR under its name. Exit 75 when\n"
     "central cannot be reached (what arrived is kept for the next try).\n"},
    {NULL, NULL, NULL},
};
