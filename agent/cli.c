/* cli.c: what the agent's commands share beyond the framework of cli/cli.h: opening the
 * data directory, printing a dossier as `show --json` does, and the --progress option of
 * the long commands. */
#include "agent/cli.h"

#include <string.h>

int agent_cli_print_dossier(agent *a, const char *code)
{
	const char *sync = NULL;
	int64_t version = 0;
	json_t *d = NULL;
	int rc = agent_get(a, code, &d, &version, &sync);

	if (rc)
		return rc;
	json_object_set_new(d, "version", json_integer(version));
	json_object_set_new(d, "sync", json_string(sync));
	agent_verdict_fields(d, d, ds_time_now());
	cli_print_json(d);
	json_decref(d);
	return 0;
}

int agent_cli_take_progress(cli *c, const cli_command *cmd, int *argc, char **argv)
{
	const char *mode = "auto";
	int i, kept = 1, m = DS_PROGRESS_NONE;

	for (i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[kept++] = argv[i++];
			break;
		}
		if (!strncmp(argv[i], "--progress=", 11))
			mode = argv[i] + 11;
		else if (!strcmp(argv[i], "--progress"))
			return cli_usage_error(cmd, "--progress needs a mode: --progress=json");
		else
			argv[kept++] = argv[i];
	}
	*argc = kept;
	argv[kept] = NULL;
	if (ds_progress_mode(mode, stderr, &m))
		return cli_usage_error(cmd, "%s", ds_error_msg());
	if (m == DS_PROGRESS_LINE && !strcmp(mode, "auto") && !ds_os_is_terminal(stdout))
		m = DS_PROGRESS_NONE;
	ds_progress_init(&c->progress, stderr, m);
	return 0;
}

int agent_cli_open(cli *c, int mode, agent **out)
{
	int rc = agent_open(out, c->dir, mode, c->actor);

	if (!rc)
		(*out)->progress = &c->progress;
	return rc;
}
