/* main.c: `dossync`, the office agent's command line. Global options, the command table
 * and the error contract: one clear line on stderr and a sysexits code (docs/DESIGN.md). */
#include "agent/cli.h"
#include "base/version.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char overview[] =
    "usage: dossync [-d DIR] [--actor ID] COMMAND [ARGS]\n"
    "       dossync --version\n"
    "\n"
    "The office agent of dossync: records every dossier change in a hash-chained journal\n"
    "and syncs it with the provincial central one-stop system.\n"
    "DIR defaults to $DOSSYNC_DIR, else ./dossync-data.\n"
    "\n"
    "commands:\n";

static void overview_help(FILE *f)
{
	size_t t;
	const cli_command *c;

	fputs(overview, f);
	for (t = 0; cli_tables[t]; t++)
		for (c = cli_tables[t]; c->name; c++) {
			const char *nl = strchr(c->usage, '\n');
			fprintf(f, "  %.*s\n", (int)(nl ? nl - c->usage : (long)strlen(c->usage)),
			        c->usage);
		}
	fputs("\nexit codes: 0 done, 64 usage, 65 invalid data (nothing written), 75 try "
	      "again later,\n77 permission refused, 1 anything else. `dossync COMMAND --help` "
	      "for details.\n",
	      f);
}

/* Global options stand before the command. */
static int parse_globals(cli *c, int argc, char **argv, int *next)
{
	int i;

	for (i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-d") || !strcmp(argv[i], "--dir")) && i + 1 < argc)
			c->dir = argv[++i];
		else if (!strcmp(argv[i], "--actor") && i + 1 < argc)
			c->actor = argv[++i];
		else if (!strncmp(argv[i], "--actor=", 8))
			c->actor = argv[i] + 8;
		else if (!strncmp(argv[i], "--dir=", 6))
			c->dir = argv[i] + 6;
		else if (argv[i][0] == '-' && strcmp(argv[i], "-h") && strcmp(argv[i], "--help") &&
		         strcmp(argv[i], "--version"))
			return ds_error_set(DS_EUSAGE, "unknown option %s (see dossync --help)",
			                    argv[i]);
		else
			break;
	}
	*next = i;
	return 0;
}

int main(int argc, char **argv)
{
	cli c = {.dir = NULL, .actor = NULL};
	const cli_command *cmd;
	int i = 1, rc;

	c.dir = getenv("DOSSYNC_DIR");
	if (!c.dir || !*c.dir)
		c.dir = "dossync-data";
	if ((rc = parse_globals(&c, argc, argv, &i)) != 0)
		goto fail;
	if (i < argc && !strcmp(argv[i], "--version")) {
		printf("dossync %s\n", DOSSYNC_VERSION);
		return 0;
	}
	if (i >= argc || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
	    !strcmp(argv[i], "help")) {
		if (i + 1 < argc && (cmd = cli_find(argv[i + 1])) != NULL)
			return cli_help(cmd);
		overview_help(i >= argc ? stderr : stdout);
		return i >= argc ? 64 : 0;
	}
	cmd = cli_find(argv[i]);
	if (!cmd) {
		rc = ds_error_set(DS_EUSAGE, "unknown command '%s' (see dossync --help)", argv[i]);
		goto fail;
	}
	if (cli_wants_help(argc - i, argv + i))
		return cli_help(cmd);
	optind = 1;
	opterr = 0; /* a bad option gets one line: the command's own usage error */
	rc = cmd->run(&c, argc - i, argv + i);
	if (!rc)
		return 0;
fail:
	ds_progress_end(&c.progress); /* the error line starts on a clean line */
	fprintf(stderr, "dossync: %s\n", ds_error_msg());
	return ds_exit_code(rc);
}
