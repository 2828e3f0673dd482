/* cli_int.h: what the files of dossync-central's command line share (main.c, cli_*.c; in
 * the executable, not the library): its global options (struct cli), its command table
 * and opening the store. The framework (dispatch, help, usage errors, the error line and
 * exit code) is cli/cli.h. Each command takes its own argv (argv[0] is the command's
 * name) and returns 0 or a DS_E* code. */
#ifndef DOSSYNC_CENTRAL_CLI_INT_H
#define DOSSYNC_CENTRAL_CLI_INT_H

#include "central/central_int.h"
#include "cli/cli.h"

struct cli {
	const char *db_path; /* --db, $DOSSYNC_CENTRAL_DB, else ./central.db */
	const char *actor;   /* --actor, else the account's name */
};

/* Opens the store for a command. An error other than DS_EPERM and DS_ERETRY (refused,
 * busy) becomes DS_ERROR (exit 1): a missing or unreadable database is not bad input. */
int central_cli_open(const cli *c, central_store **out);

/* `... [--json]` for a list the store gives (get): reads it and prints it, as JSON in
 * the store's order with --json, else with text; me is the command, for its usage. */
int central_cli_json_list(const cli *cl, const cli_command *me, int argc, char **argv,
                          int (*get)(central_store *s, json_t **out),
                          void (*text)(const json_t *list));

extern const cli_command central_cli_token_commands[];  /* token */
extern const cli_command central_cli_node_commands[];   /* node, nodes */
extern const cli_command central_cli_edit_commands[];   /* create, update, ... list */
extern const cli_command central_cli_data_commands[];   /* data */
extern const cli_command central_cli_report_commands[]; /* report */

#endif
