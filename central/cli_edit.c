/* cli_edit.c: the province's edits and reads on central's own store: `create`, `update`,
 * `transition`, `show` and `list`. Edits act as node "central" (central_edit_*); bad input
 * is one line on stderr, exit 65, nothing written. */
#include "central/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_create[] =
    "dossync-central create FILE|-\n"
    "  creates a dossier from its JSON (FILE, or - for stdin) and prints its code. Without\n"
    "  \"code\", central allocates one in its block (9000-9999) and \"agency\" is required.\n";
static const char usage_update[] =
    "dossync-central update CODE (--set PATH=JSON)... | --patch FILE|-\n"
    "  changes fields: --set applicant.phone='\"0963060905\"' (dotted path, JSON value),\n"
    "  or an RFC 7396 merge patch. Status moves go through transition.\n";
static const char usage_transition[] = "dossync-central transition CODE STATUS [--note TEXT]\n"
                                       "  moves the dossier to STATUS (1-10) by the legal moves\n";
static const char usage_show[] = "dossync-central show CODE [--json]\n"
                                 "  --json: the dossier's canonical JSON plus \"version\"\n";
static const char usage_list[] =
    "dossync-central list [--json] [--agency A] [--status N]\n"
    "  --json: [{\"code\", \"agency\", \"status\", \"version\", \"due_at\"}]\n";

static void print_version(central_store *s, const char *code)
{
	json_t *d = NULL;

	if (central_dossier_get(s, NULL, code, &d) == 0)
		printf("%s version %lld\n", code,
		       (long long)json_integer_value(json_object_get(d, "version")));
	json_decref(d);
}

static int cmd_create(cli *cl, int argc, char **argv)
{
	char code[SCHEMA_CODE_MAX];
	central_store *s = NULL;
	json_t *d = NULL;
	int rc;

	if (argc != 2)
		return cli_usage_error(cli_find("create"), NULL);
	if ((rc = cli_read_json(argv[1], &d)))
		return rc;
	if ((rc = central_cli_open(cl, &s)) == 0) {
		rc = central_edit_create(s, cl->actor, d, code);
		if (rc == 0)
			printf("%s\n", code);
	}
	central_store_free(s);
	json_decref(d);
	return rc;
}

/* Adds PATH=JSON to patch: "a.b=1" becomes {"a": {"b": 1}}. */
static int add_set(json_t *patch, const char *arg)
{
	const char *eq = strchr(arg, '='), *p = arg, *dot;
	json_t *value = NULL, *node = patch, *next;
	char *key;

	if (!eq || eq == arg)
		return ds_error_set(DS_EUSAGE, "--set wants PATH=JSON, not \"%s\"", arg);
	if (ds_json_parse(eq + 1, strlen(eq + 1), &value))
		return ds_error_wrap(DS_EINVALID, "--set %.*s", (int)(eq - arg), arg);
	while ((dot = memchr(p, '.', (size_t)(eq - p)))) {
		key = ds_strndup(p, (size_t)(dot - p));
		next = json_object_get(node, key);
		if (!next)
			json_object_set_new(node, key, next = json_object());
		free(key);
		if (!json_is_object(next) || dot == p) {
			json_decref(value);
			return ds_error_set(DS_EINVALID, "--set %s: conflicting or empty path",
			                    arg);
		}
		node = next;
		p = dot + 1;
	}
	key = ds_strndup(p, (size_t)(eq - p));
	json_object_set_new(node, key, value);
	free(key);
	return 0;
}

static int update_patch(int argc, char **argv, json_t **patch)
{
	static const struct option opts[] = {
	    {"set", required_argument, 0, 's'}, {"patch", required_argument, 0, 'p'}, {0, 0, 0, 0}};
	const char *file = NULL;
	int c, sets = 0, rc;

	*patch = json_object();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's' && (rc = add_set(*patch, optarg)))
			return rc;
		if (c != 's' && c != 'p')
			return cli_usage_error(cli_find("update"), NULL);
		sets += c == 's';
		file = c == 'p' ? optarg : file;
	}
	if (optind != argc - 1 || (sets > 0) == (file != NULL))
		return cli_usage_error(cli_find("update"), NULL);
	if (file) {
		json_decref(*patch);
		return cli_read_json(file, patch);
	}
	return 0;
}

static int cmd_update(cli *cl, int argc, char **argv)
{
	central_store *s = NULL;
	json_t *patch = NULL;
	int rc;

	rc = update_patch(argc, argv, &patch);
	if (rc == 0 && (rc = central_cli_open(cl, &s)) == 0) {
		rc = central_edit_patch(s, cl->actor, argv[optind], patch);
		if (rc == 0)
			print_version(s, argv[optind]);
	}
	central_store_free(s);
	json_decref(patch);
	return rc;
}

static int cmd_transition(cli *cl, int argc, char **argv)
{
	static const struct option opts[] = {{"note", required_argument, 0, 'n'}, {0, 0, 0, 0}};
	const char *note = NULL;
	central_store *s = NULL;
	char *end;
	long to;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'n')
			return cli_usage_error(cli_find("transition"), NULL);
		note = optarg;
	}
	if (optind != argc - 2)
		return cli_usage_error(cli_find("transition"), NULL);
	to = strtol(argv[optind + 1], &end, 10);
	if (!argv[optind + 1][0] || *end || !schema_status_valid((int)to) || to != (int)to)
		return ds_error_set(DS_EINVALID, "status: must be a code 1 to 10, not \"%s\"",
		                    argv[optind + 1]);
	if ((rc = central_cli_open(cl, &s)))
		return rc;
	rc = central_edit_transition(s, cl->actor, argv[optind], (int)to, note);
	if (rc == 0)
		print_version(s, argv[optind]);
	central_store_free(s);
	return rc;
}

static void show_text(const json_t *d)
{
	const json_t *proc = json_object_get(d, "procedure"),
	             *app = json_object_get(d, "applicant");
	int status = (int)json_integer_value(json_object_get(d, "status"));
	const char *due = json_string_value(json_object_get(d, "due_at"));

	printf("code:      %s\n", json_string_value(json_object_get(d, "code")));
	printf("agency:    %s\n", json_string_value(json_object_get(d, "agency")));
	printf("version:   %lld\n", (long long)json_integer_value(json_object_get(d, "version")));
	printf("status:    %d %s\n", status, schema_status_name(status));
	printf("procedure: %s %s\n", json_string_value(json_object_get(proc, "code")) ?: "",
	       json_string_value(json_object_get(proc, "name")) ?: "");
	printf("applicant: %s\n", json_string_value(json_object_get(app, "name")) ?: "");
	printf("received:  %s\n", json_string_value(json_object_get(d, "received_at")) ?: "");
	printf("due:       %s\n", due ? due : "");
}

static int cmd_show(cli *cl, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {0, 0, 0, 0}};
	central_store *s = NULL;
	json_t *d = NULL;
	char *text = NULL;
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage_error(cli_find("show"), NULL);
		json = 1;
	}
	if (optind != argc - 1)
		return cli_usage_error(cli_find("show"), NULL);
	if ((rc = central_cli_open(cl, &s)))
		return rc;
	if ((rc = central_dossier_get(s, NULL, argv[optind], &d)) == 0 && json &&
	    (rc = ds_json_canonical(d, &text, NULL)) == 0)
		printf("%s\n", text);
	else if (rc == 0)
		show_text(d);
	free(text);
	json_decref(d);
	central_store_free(s);
	return rc;
}

static int list_args(int argc, char **argv, int *json, const char **agency, int *status)
{
	static const struct option opts[] = {{"json", no_argument, 0, 'j'},
	                                     {"agency", required_argument, 0, 'a'},
	                                     {"status", required_argument, 0, 's'},
	                                     {0, 0, 0, 0}};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			*json = 1;
		else if (c == 'a')
			*agency = optarg;
		else if (c == 's' && ((*status = (int)strtol(optarg, &end, 10)), !*end) &&
		         schema_status_valid(*status))
			continue;
		else
			return -1;
	}
	return optind == argc ? 0 : -1;
}

static int cmd_list(cli *cl, int argc, char **argv)
{
	const char *agency = NULL;
	central_store *s = NULL;
	json_t *list = NULL, *d;
	int json = 0, status = 0, rc;
	size_t i;

	if (list_args(argc, argv, &json, &agency, &status))
		return cli_usage_error(cli_find("list"), NULL);
	if ((rc = central_cli_open(cl, &s)))
		return rc;
	if ((rc = central_dossier_list(s, agency, status, &list)) == 0 && json)
		cli_print_json_flags(list, JSON_COMPACT | JSON_PRESERVE_ORDER);
	else if (rc == 0)
		json_array_foreach(list, i, d)
		{
			const char *due = json_string_value(json_object_get(d, "due_at"));

			printf("%-32s %-16s %2lld %4lld  %s\n",
			       json_string_value(json_object_get(d, "code")),
			       json_string_value(json_object_get(d, "agency")),
			       (long long)json_integer_value(json_object_get(d, "status")),
			       (long long)json_integer_value(json_object_get(d, "version")),
			       due ? due : "-");
		}
	json_decref(list);
	central_store_free(s);
	return rc;
}

const cli_command central_cli_edit_commands[] = {
    {"create", cmd_create, usage_create},
    {"update", cmd_update, usage_update},
    {"transition", cmd_transition, usage_transition},
    {"show", cmd_show, usage_show},
    {"list", cmd_list, usage_list},
    {NULL, NULL, NULL},
};
