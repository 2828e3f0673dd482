/* main.c: `dossync`, the office agent's command line: its overview, global options and
 * command tables, handed to the framework of cli/cli.h, which dispatches and keeps the
 * error contract: one clear line on stderr and a sysexits code (docs/DESIGN.md). */
#include "agent/cli.h"

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

static const cli_command *const tables[] = {cli_change_commands,
                                            cli_query_commands,
                                            cli_report_commands,
                                            cli_sync_commands,
                                            cli_daemon_commands,
                                            cli_attach_commands,
                                            NULL};

static void overview_help(FILE *f);
static void before_error(cli *c);

static const cli_program program = {
    "dossync",   "usage: dossync [-d DIR] [--actor ID] ", "\n", "dossync ", tables, overview_help,
    before_error};

static void overview_help(FILE *f)
{
	fputs(overview, f);
	cli_list_commands(&program, f);
	fputs("\nexit codes: 0 done, 64 usage, 65 invalid data (nothing written), 75 try "
	      "again later,\n77 permission refused, 1 anything else. `dossync COMMAND --help` "
	      "for details.\n",
	      f);
}

/* The error line starts on a clean line: a progress line is wiped first. */
static void before_error(cli *c)
{
	ds_progress_end(&c->progress);
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
	int i = 1, rc;

	c.dir = getenv("DOSSYNC_DIR");
	if (!c.dir || !*c.dir)
		c.dir = "dossync-data";
	if ((rc = parse_globals(&c, argc, argv, &i)) != 0) { /* no progress has begun */
		fprintf(stderr, "dossync: %s\n", ds_error_msg());
		return ds_exit_code(rc);
	}
	opterr = 0; /* a bad option gets one line: the command's own usage error */
	return cli_main(&program, &c, argc - i, argv + i);
}
