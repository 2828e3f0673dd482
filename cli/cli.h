/* cli.h: the command-line framework of both programs (dossync and dossync-central): the
 * command table, the dispatch of a command line to its command (help, --version, unknown
 * commands), usage errors, the one error line and its exit code, JSON out and in, a
 * member as text, whole numbers, the options of `report`. Depends on base/ only. Each
 * program defines struct cli (its global options), its command tables and a cli_program,
 * parses its global options and calls cli_main. */
#ifndef DOSSYNC_CLI_H
#define DOSSYNC_CLI_H

#include "base/base.h"

#include <stdio.h>

/* The running program's global options (data directory, database, actor): defined by
 * each program, passed through to its commands untouched. */
typedef struct cli cli;

typedef struct cli_command {
	const char *name;
	/* argv[0] is the command's name; returns 0 or a DS_E* code with its message set
	 * (cli_main prints it). */
	int (*run)(cli *c, int argc, char **argv);
	const char *usage; /* first line: synopsis; then a description */
} cli_command;

typedef struct cli_program {
	const char *name; /* "dossync": starts every error line; --version prints it */
	/* What `COMMAND --help` prints before and after the command's usage, and what a
	 * one-line usage error puts before the synopsis (the usage texts of one program
	 * either name the program themselves or leave it to these). */
	const char *help_prefix;
	const char *help_suffix;
	const char *usage_prefix;
	/* The command tables, each ending with a NULL name, the list ending with NULL; the
	 * order in which the program lists them. */
	const cli_command *const *tables;
	/* Prints the program's overview: its usage and commands. */
	void (*overview)(FILE *f);
	/* Called with the command's options before its error line is printed (the agent
	 * wipes a progress line there); NULL: nothing to do. */
	void (*before_error)(cli *c);
} cli_program;

/* Runs the command line argv (argc words after the program's global options: argv[0] is
 * the command) of program p with options c, and returns the exit code:
 *   (nothing)                   the overview on stderr, 64
 *   --version                   "NAME VERSION", 0
 *   -h, --help, help [COMMAND]  the overview or the command's usage on stdout, 0
 *   COMMAND ... -h|--help ...   the command's usage on stdout, 0 (before a "--")
 *   COMMAND ARGS                the command; on error one line "NAME: message" on stderr
 *                               and ds_exit_code of its code (after p->before_error), or
 *                               for cli_usage_error(cmd, NULL) "usage: " and the whole
 *                               usage of cmd, 64
 *   anything else               "NAME: unknown command 'X' (see NAME --help)", 64
 * Commands parse with getopt from optind 0 (a fresh start); opterr is the caller's. p
 * becomes the program cli_find and the usage functions refer to. */
int cli_main(const cli_program *p, cli *c, int argc, char **argv);

/* The program's overview on stdout (0) or, for an error, on stderr (64). */
int cli_overview(const cli_program *p, int error);
/* Prints "NAME VERSION" on stdout; 0 (1 when stdout fails). */
int cli_version(const cli_program *p);
/* Prints "  FIRST-LINE-OF-USAGE" for every command of p, in order (an overview's list). */
void cli_list_commands(const cli_program *p, FILE *f);

/* The command called name in the running program's tables, or NULL. */
const cli_command *cli_find(const char *name);
/* Prints the usage of a command to stdout (help) and returns 0. */
int cli_help(const cli_command *cmd);
/* Reports a usage error for cmd (DS_EUSAGE). With fmt: the error line is the reason and
 * the synopsis, "REASON (usage: PREFIX FIRST-LINE)". With fmt NULL: cli_main prints
 * "usage: " and the command's whole usage on stderr instead of an error line. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True when argv (argv[0] the command) holds -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);

/* Prints v as one JSON document on stdout: indented, keys sorted. */
void cli_print_json(const json_t *v);
/* The same with jansson's flags of the caller's choice (JSON_PRESERVE_ORDER, a real
 * precision, JSON_COMPACT), then a newline. */
void cli_print_json_flags(const json_t *v, size_t flags);
/* The text of obj's member key, or dflt when it is absent or not text (printf would show
 * a NULL as "(null)"); borrowed from obj. */
const char *cli_text(const json_t *obj, const char *key, const char *dflt);
/* Reads a JSON document from FILE or "-" (stdin), at most 16 MiB (DS_ETOOBIG beyond).
 * DS_EINVALID, naming the file ("standard input" for "-"), when it is missing or not
 * JSON. *out: the caller's. */
int cli_read_json(const char *path, json_t **out);
/* Parses a whole non-negative number; -1 when it is not one. */
long long cli_number(const char *s);

/* ---------------------------------------------------------------- report commands
 * `report` of either program: the period and the form, and one option of its own. */
typedef struct cli_report_args {
	const char *from, *to; /* --from DAY, --to DAY: NULL when not given */
	int json, csv;         /* --json, --csv */
	const char *own;       /* --OWN VALUE (the agent's --html, central's --office) */
} cli_report_args;
/* Parses a report command's argv (argv[0] its name): --from DAY, --to DAY, --json,
 * --csv and --OWN VALUE, and nothing else. NULL when they are well formed; else the
 * reason, for a usage error: "unknown option" or "unexpected argument". Which forms may
 * go together is the command's to say; the days are checked by the report itself. */
const char *cli_report_parse(int argc, char **argv, const char *own, cli_report_args *o);

#endif
