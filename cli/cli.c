/* cli.c: the command-line framework both programs share: dispatch of a command line to a
 * command of the program's tables, help and overview, --version, usage errors, the error
 * line and its exit code, JSON in and out, whole numbers. */
#include "cli/cli.h"
#include "base/version.h"

#include <assert.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const cli_program *program;    /* the program cli_main runs */
static const cli_command *full_usage; /* a usage error that prints the whole usage */

/* The length of the first line of text. */
static int first_line(const char *text)
{
	const char *nl = strchr(text, '\n');

	return (int)(nl ? nl - text : (long)strlen(text));
}

int cli_overview(const cli_program *p, int error)
{
	p->overview(error ? stderr : stdout);
	return error ? 64 : 0;
}

int cli_version(const cli_program *p)
{
	return printf("%s %s\n", p->name, DOSSYNC_VERSION) < 0;
}

void cli_list_commands(const cli_program *p, FILE *f)
{
	const cli_command *c;
	size_t t;

	for (t = 0; p->tables[t]; t++)
		for (c = p->tables[t]; c->name; c++)
			fprintf(f, "  %.*s\n", first_line(c->usage), c->usage);
}

const cli_command *cli_find(const char *name)
{
	const cli_command *c;
	size_t t;

	assert(program);
	for (t = 0; program->tables[t]; t++)
		for (c = program->tables[t]; c->name; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

int cli_help(const cli_command *cmd)
{
	printf("%s%s%s", program->help_prefix, cmd->usage, program->help_suffix);
	return 0;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!fmt) {
		full_usage = cmd;
		return ds_error_set(DS_EUSAGE, "usage: %s", cmd->usage);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ds_error_set(DS_EUSAGE, "%s (usage: %s%.*s)", msg, program->usage_prefix,
	                    first_line(cmd->usage), cmd->usage);
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

/* Runs cmd and turns its result into the exit code, printing its error. */
static int run(const cli_command *cmd, cli *c, int argc, char **argv)
{
	int rc;

	full_usage = NULL;
	optind = 0; /* 0: getopt starts afresh on the command's argv */
	rc = cmd->run(c, argc, argv);
	assert(rc <= 0);
	if (!rc)
		return 0;
	if (program->before_error)
		program->before_error(c);
	if (rc == DS_EUSAGE && full_usage) {
		fprintf(stderr, "usage: %s", full_usage->usage);
		return 64;
	}
	fprintf(stderr, "%s: %s\n", program->name, ds_error_msg());
	return ds_exit_code(rc);
}

int cli_main(const cli_program *p, cli *c, int argc, char **argv)
{
	const cli_command *cmd;

	program = p;
	if (argc < 1)
		return cli_overview(p, 1);
	if (!strcmp(argv[0], "--version"))
		return cli_version(p);
	if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help") || !strcmp(argv[0], "help")) {
		if (argc > 1 && (cmd = cli_find(argv[1])) != NULL)
			return cli_help(cmd);
		return cli_overview(p, 0);
	}
	cmd = cli_find(argv[0]);
	if (!cmd) {
		ds_error_set(DS_EUSAGE, "unknown command '%s' (see %s --help)", argv[0], p->name);
		fprintf(stderr, "%s: %s\n", p->name, ds_error_msg());
		return 64;
	}
	if (cli_wants_help(argc, argv))
		return cli_help(cmd);
	return run(cmd, c, argc, argv);
}

void cli_print_json_flags(const json_t *v, size_t flags)
{
	char *s = json_dumps(v, flags);

	if (s) {
		puts(s);
		free(s);
	}
	fflush(stdout);
}

void cli_print_json(const json_t *v)
{
	cli_print_json_flags(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

const char *cli_text(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : dflt;
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
	if (rc == DS_EINVALID)
		rc = ds_error_wrap(rc, "%s", strcmp(path, "-") ? path : "standard input");
	ds_buf_release(&b);
	return rc;
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

const char *cli_report_parse(int argc, char **argv, const char *own, cli_report_args *o)
{
	const struct option opts[] = {{"from", 1, 0, 'f'}, {"to", 1, 0, 't'}, {"json", 0, 0, 'j'},
	                              {"csv", 0, 0, 'c'},  {own, 1, 0, 'o'},  {0, 0, 0, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'f')
			o->from = optarg;
		else if (ch == 't')
			o->to = optarg;
		else if (ch == 'j')
			o->json = 1;
		else if (ch == 'c')
			o->csv = 1;
		else if (ch == 'o')
			o->own = optarg;
		else
			return "unknown option";
	}
	return optind != argc ? "unexpected argument" : NULL;
}
