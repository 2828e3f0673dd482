/* cli.h: the command-line front of the agent, shared by main.c and the cmd_*.c files.
 * Each command parses its own options and returns a DS_E* code; main prints the error. */
#ifndef DOSSYNC_CLI_H
#define DOSSYNC_CLI_H

#include "agent/agent.h"

typedef struct cli {
	const char *dir;   /* -d DIR, $DOSSYNC_DIR, else ./dossync-data */
	const char *actor; /* --actor */
} cli;

typedef struct cli_command {
	const char *name;
	int (*run)(cli *c, int argc, char **argv);
	const char *usage; /* first line: synopsis; then a description */
} cli_command;

extern const cli_command cli_change_commands[];
extern const cli_command cli_query_commands[];
extern const cli_command cli_sync_commands[];
extern const cli_command cli_daemon_commands[];
extern const cli_command cli_report_commands[];
extern const cli_command cli_attach_commands[];
/* The six tables above, in the order `dossync --help` lists them, NULL-terminated. */
extern const cli_command *const cli_tables[];

/* The command called name in any table, or NULL. */
const cli_command *cli_find(const char *name);

/* Prints the usage of a command to stdout (help) and returns 0. */
int cli_help(const cli_command *cmd);
/* Reports a usage error for a command (DS_EUSAGE). */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True when argv holds -h or --help. */
int cli_wants_help(int argc, char **argv);
/* Prints v as one JSON document on stdout. */
void cli_print_json(const json_t *v);
/* Prints dossier code as `show --json` does: its canonical JSON plus "version", "sync"
 * and the verdict's members (agent_verdict_fields).
 * The change commands' --json prints this after the change. */
int cli_print_dossier(agent *a, const char *code);
/* Reads a JSON document from FILE or "-" (stdin). */
int cli_read_json(const char *path, json_t **out);
/* Opens the data directory for a command. */
int cli_open(cli *c, int mode, agent **out);
/* Parses a whole non-negative number; -1 when it is not one. */
long long cli_number(const char *s);

#endif
