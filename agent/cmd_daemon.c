/* cmd_daemon.c: the background service's commands (daemon) and bulk import. */
#include "agent/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define IMPORT_MAX_BYTES (1024u << 20) /* a register of ~1.5 million dossiers */

/* ---------------------------------------------------------------- import */
static int cmd_import(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"json", 0, 0, 'j'}, {0, 0, 0, 0}};
	const char *path;
	ds_buf text = DS_BUF_INIT;
	agent *a = NULL;
	int64_t n = 0;
	int rc, ch, json = 0;

	if ((rc = cli_take_progress(c, cli_find("import"), &argc, argv)))
		return rc;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage_error(cli_find("import"), "unknown option");
		json = 1;
	}
	if (argc - optind > 1)
		return cli_usage_error(cli_find("import"), "give one FILE or -");
	path = optind < argc ? argv[optind] : "-";
	rc = ds_file_read(path, IMPORT_MAX_BYTES, &text);
	if (rc == DS_ENOTFOUND)
		rc = ds_error_set(DS_EINVALID, "cannot read %s: no such file", path);
	if (!rc)
		rc = cli_open(c, AGENT_WRITE, &a);
	if (!rc)
		rc = agent_import(a, text.ptr, text.len, &n);
	if (!rc && json) {
		json_t *o = json_pack("{s:I}", "imported", (json_int_t)n);
		cli_print_json(o);
		json_decref(o);
	} else if (!rc) {
		printf("imported %lld dossier%s\n", (long long)n, n == 1 ? "" : "s");
	}
	agent_close(a);
	ds_buf_release(&text);
	return rc;
}

/* ---------------------------------------------------------------- daemon */
static int cmd_daemon(cli *c, int argc, char **argv)
{
	const cli_command *me = cli_find("daemon");
	agent_daemon_opts o = {0, 0, NULL, NULL};
	agent *a = NULL;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--syslog"))
			o.use_syslog = 1;
		else if (!strcmp(argv[i], "--verbose"))
			o.verbose = 1;
		else if (!strcmp(argv[i], "--http") || !strcmp(argv[i], "--port-file")) {
			if (i + 1 == argc)
				return cli_usage_error(me, "%s needs a value", argv[i]);
			*(!strcmp(argv[i], "--http") ? &o.http : &o.port_file) = argv[i + 1];
			i++;
		} else if (strcmp(argv[i], "--foreground") != 0) /* the only mode: accepted */
			return cli_usage_error(me, "unknown argument %s", argv[i]);
	}
	if (o.http && agent_http_addr_check(o.http))
		return ds_error_set(DS_EUSAGE, "--%s", ds_error_msg());
	if ((rc = cli_open(c, AGENT_READ, &a)))
		return rc;
	rc = agent_daemon_run(a, &o);
	agent_close(a);
	return rc;
}

const cli_command cli_daemon_commands[] = {
    {"daemon", cmd_daemon,
     "daemon [--foreground] [--syslog] [--verbose] [--http 127.0.0.1:PORT [--port-file F]]\n"
     "The background service: syncs within about a second of each new change, pulls every\n"
     "pull_interval seconds, retries failures with backoff (backoff_base_ms..backoff_cap_ms,\n"
     "full jitter) and stops retrying when central refuses the token. Runs in the\n"
     "foreground (--foreground is the only mode, accepted for clarity; systemd supervises\n"
     "it); logs one line per round to stderr, or to syslog with --syslog. SIGHUP reloads\n"
     "DIR/config, SIGTERM or SIGINT stops it (exit 0). Exit 75 when a daemon already runs\n"
     "on DIR. `dossync status` shows whether it runs.\n"
     "--http (or `http = 127.0.0.1:PORT` in DIR/config) also serves the local API and the\n"
     "status page on that loopback address (docs/LOCAL-API.md); clients send the key of\n"
     "DIR/api.key as a bearer token. PORT 0 takes a free port, written to F.\n"},
    {"import", cmd_import,
     "import [--json] [--progress=MODE] [FILE|-]\n"
     "Records each line of FILE (JSON lines: one dossier object per line, as for create)\n"
     "as a new dossier, each a journal entry of its own, all in one transaction. A bad\n"
     "line is reported by its number and nothing of the file is written (exit 65).\n"
     "Blank lines are skipped. Prints the number of dossiers imported (--json:\n"
     "{\"imported\": N}).\n"
     "Progress (done/total, rate, ETA) is one line on stderr at a terminal; --progress=json\n"
     "sends it as JSON events on stderr, --progress=none turns it off.\n"},
    {NULL, NULL, NULL},
};
