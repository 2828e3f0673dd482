/* cli.h: the agent's own part of the command line, shared by main.c and the cmd_*.c
 * files: its global options (struct cli), its command tables, progress of the long
 * commands, and opening the data directory. The framework (tables, dispatch, help, usage
 * errors) is cli/cli.h. Each command parses its own options and returns a DS_E* code;
 * cli_main prints the error. */
#ifndef DOSSYNC_AGENT_CLI_H
#define DOSSYNC_AGENT_CLI_H

#include "agent/agent.h"
#include "cli/cli.h"

struct cli {
	const char *dir;      /* -d DIR, $DOSSYNC_DIR, else ./dossync-data */
	const char *actor;    /* --actor */
	ds_progress progress; /* --progress=MODE of the long commands; silent by default */
};

extern const cli_command cli_change_commands[];
extern const cli_command cli_query_commands[];
extern const cli_command cli_sync_commands[];
extern const cli_command cli_daemon_commands[];
extern const cli_command cli_report_commands[];
extern const cli_command cli_attach_commands[];

/* Prints dossier code as `show --json` does: its canonical JSON plus "version", "sync"
 * and the verdict's members (agent_verdict_fields).
 * The change commands' --json prints this after the change. */
int agent_cli_print_dossier(agent *a, const char *code);
/* Takes --progress=MODE (auto, line, json, none; auto when absent) out of a long
 * command's arguments, before it parses the rest, and sets c->progress up to report on
 * stderr: a line redrawn in place when stdout and stderr are terminals (auto), JSON
 * events for an app (json). DS_EUSAGE for another mode. */
int agent_cli_take_progress(cli *c, const cli_command *cmd, int *argc, char **argv);
/* Opens the data directory for a command; long work reports to c->progress. */
int agent_cli_open(cli *c, int mode, agent **out);

#endif
