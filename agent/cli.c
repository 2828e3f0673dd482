/* cli.c: helpers the agent's commands share: the command tables and finding a command,
 * help and usage errors, JSON in and out, opening the data directory, numbers. */
#include "agent/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const cli_command *const cli_tables[] = {cli_change_commands,
                                         cli_query_commands,
                                         cli_report_commands,
                                         cli_sync_commands,
                                         cli_daemon_commands,
                                         cli_attach_commands,
                                         NULL};

const cli_command *cli_find(const char *name)
{
	size_t t;
	const cli_command *c;

	for (t = 0; cli_tables[t]; t++)
		for (c = cli_tables[t]; c->name; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

int cli_help(const cli_command *cmd)
{
	printf("usage: dossync [-d DIR] [--actor ID] %s\n", cmd->usage);
	return 0;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
	char msg[512];
	const char *nl = strchr(cmd->usage, '\n');
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ds_error_set(DS_EUSAGE, "%s (usage: dossync %.*s)", msg,
	                    (int)(nl ? nl - cmd->usage : (long)strlen(cmd->usage)), cmd->usage);
}

int cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

void cli_print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (s) {
		puts(s);
		free(s);
	}
	fflush(stdout);
}

int cli_print_dossier(agent *a, const char *code)
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

int cli_read_json(const char *path, json_t **out)
{
	ds_buf b = DS_BUF_INIT;
	int rc;

	*out = NULL;
	rc = ds_file_read(path, 16u << 20, &b);
	if (rc == DS_ENOTFOUND)
		rc = DS_EINVALID;
	if (!rc)
		rc = ds_json_parse(b.ptr, b.len, out);
	if (rc && strcmp(path, "-") != 0 && rc == DS_EINVALID)
		rc = ds_error_wrap(rc, "%s", path);
	ds_buf_release(&b);
	return rc;
}

int cli_open(cli *c, int mode, agent **out)
{
	return agent_open(out, c->dir, mode, c->actor);
}

long long cli_number(const char *s)
{
	char *end;
	long long n;

	if (!s || !*s)
		return -1;
	n = strtoll(s, &end, 10);
	return *end || n < 0 ? -1 : n;
}
