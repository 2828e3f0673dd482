/* cmd_change.c: the commands that change the store: init, create, update, transition.
 * Each validates before it writes; a refused change leaves the journal as it was. */
#include "agent/cli.h"
#include "sync/sync.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A node name from the host name: lower case letters, digits, '-', '.', '_'. */
static char *default_node(void)
{
	char host[256] = "office";
	char *p;

	gethostname(host, sizeof(host) - 1);
	for (p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '.' || *p == '_'))
			*p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : '-';
	return ds_strdup(host);
}

static int init_check(const cli_command *me, agent_config *cfg)
{
	if (!cfg->office || !cfg->central)
		return cli_usage_error(me, "--office and --central are required");
	if (schema_agency_check(cfg->office))
		return ds_error_set(DS_EINVALID,
		                    "--office: '%s' is not an agency code like "
		                    "000.00.12.H22",
		                    cfg->office);
	if (sync_url_list_check(cfg->central))
		return ds_error_wrap(DS_EINVALID, "--central");
	if (!sync_office_node_ok(cfg->node))
		return ds_error_set(DS_EINVALID,
		                    "--node: '%s' must be 1-64 letters, digits, "
		                    "'.', '_' or '-' (and not 'central')",
		                    cfg->node);
	return 0;
}

static int set_token_file(agent_config *cfg, const char *path)
{
	if (!(cfg->token_file = ds_os_abs_path(path)))
		return ds_error_set(DS_EINVALID, "--token-file: cannot read %s", path);
	return 0;
}

static void init_json(const char *dir, const agent_config *cfg)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "dir", dir, "office", cfg->office, "node",
	                      cfg->node, "central", cfg->central);

	cli_print_json(o);
	json_decref(o);
}

/* --json as the only option of a command that takes none else; *json set when given. */
static int json_only(const cli_command *me, int argc, char **argv, int *json)
{
	static const struct option opts[] = {{"json", 0, 0, 'j'}, {0, 0, 0, 0}};
	int ch;

	*json = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage_error(me, "unknown option");
		*json = 1;
	}
	return 0;
}

static int cmd_init(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"office", 1, 0, 'o'},     {"central", 1, 0, 'c'},
	                                     {"token-file", 1, 0, 't'}, {"node", 1, 0, 'n'},
	                                     {"code-block", 1, 0, 'b'}, {"ca-file", 1, 0, 'a'},
	                                     {"json", 0, 0, 'j'},       {0, 0, 0, 0}};
	const cli_command *me = cli_find("init");
	agent_config cfg;
	int ch, rc = 0, json = 0;

	agent_config_init(&cfg);
	while (!rc && (ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'o')
			cfg.office = ds_strdup(optarg);
		else if (ch == 'c' && cfg.central) { /* repeated: the list to fail over along */
			char *list = ds_asprintf("%s,%s", cfg.central, optarg);
			free(cfg.central);
			cfg.central = list;
		} else if (ch == 'c')
			cfg.central = ds_strdup(optarg);
		else if (ch == 't')
			rc = set_token_file(&cfg, optarg);
		else if (ch == 'n')
			cfg.node = ds_strdup(optarg);
		else if (ch == 'j')
			json = 1;
		else if (ch == 'a') {
			if (!(cfg.ca_file = ds_os_abs_path(optarg)))
				rc = ds_error_set(DS_EINVALID, "--ca-file: cannot read %s", optarg);
		} else if (ch == 'b') {
			char *line = ds_asprintf("code_block = %s", optarg);
			rc = agent_config_parse(&cfg, line, "--code-block");
			free(line);
		} else
			rc = cli_usage_error(me, "unknown option");
	}
	if (!rc && optind < argc)
		rc = cli_usage_error(me, "unexpected argument '%s'", argv[optind]);
	if (!rc && !cfg.node)
		cfg.node = default_node();
	if (!rc && c->actor)
		cfg.actor = ds_strdup(c->actor);
	if (!rc)
		rc = init_check(me, &cfg);
	if (!rc)
		rc = agent_init_dir(c->dir, &cfg);
	if (!rc && json)
		init_json(c->dir, &cfg);
	else if (!rc)
		printf("initialised %s for office %s (node %s, central %s)\n", c->dir, cfg.office,
		       cfg.node, cfg.central);
	agent_config_release(&cfg);
	return rc;
}

static int cmd_create(cli *c, int argc, char **argv)
{
	const cli_command *me = cli_find("create");
	const char *path;
	json_t *d = NULL;
	agent *a = NULL;
	char *code = NULL;
	int rc, json;

	if ((rc = json_only(me, argc, argv, &json)))
		return rc;
	if (argc - optind > 1)
		return cli_usage_error(me, "one FILE at most");
	path = optind < argc ? argv[optind] : "-";
	if ((rc = cli_read_json(path, &d)) || (rc = agent_cli_open(c, AGENT_WRITE, &a)))
		goto done;
	if ((rc = agent_create(a, d, &code)) == 0 && json)
		rc = agent_cli_print_dossier(a, code);
	else if (rc == 0)
		printf("%s\n", code);
done:
	agent_close(a);
	json_decref(d);
	free(code);
	return rc;
}

static int cmd_update(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"set", 1, 0, 's'}, {"patch", 1, 0, 'p'}, {"json", 0, 0, 'j'}, {0, 0, 0, 0}};
	const cli_command *me = cli_find("update");
	char **sets = ds_calloc((size_t)argc, sizeof(char *));
	const char *patch_file = NULL;
	json_t *patch = NULL;
	agent *a = NULL;
	int ch, n = 0, rc = 0, json = 0;

	while (!rc && (ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's')
			sets[n++] = optarg;
		else if (ch == 'j')
			json = 1;
		else if (ch == 'p')
			patch_file = optarg;
		else
			rc = cli_usage_error(me, "unknown option");
	}
	if (!rc && (optind != argc - 1 || (n == 0) == (patch_file == NULL)))
		rc = cli_usage_error(me, "give CODE and either --set PATH=JSON or --patch FILE");
	if (!rc && patch_file)
		rc = cli_read_json(patch_file, &patch);
	if (!rc)
		rc = agent_cli_open(c, AGENT_WRITE, &a);
	if (!rc && !patch_file)
		rc = agent_patch_from_sets(a, argv[optind], sets, n, &patch);
	if (!rc)
		rc = agent_update(a, argv[optind], patch);
	if (!rc && json)
		rc = agent_cli_print_dossier(a, argv[optind]);
	agent_close(a);
	json_decref(patch);
	free(sets);
	return rc;
}

static int cmd_transition(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"note", 1, 0, 'n'}, {"json", 0, 0, 'j'}, {0, 0, 0, 0}};
	const cli_command *me = cli_find("transition");
	const char *note = NULL;
	agent *a = NULL;
	long long to;
	int ch, rc = 0, json = 0;

	while (!rc && (ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'n')
			note = optarg;
		else if (ch == 'j')
			json = 1;
		else
			rc = cli_usage_error(me, "unknown option");
	}
	if (!rc && optind != argc - 2)
		rc = cli_usage_error(me, "give CODE and STATUS");
	if (rc)
		return rc;
	to = cli_number(argv[optind + 1]);
	if (!schema_status_valid((int)to) || to > 10)
		return ds_error_set(DS_EINVALID,
		                    "status '%s' is not one of the ten national codes "
		                    "(1-10)",
		                    argv[optind + 1]);
	if ((rc = agent_cli_open(c, AGENT_WRITE, &a)) == 0)
		rc = agent_transition(a, argv[optind], (int)to, note);
	if (!rc && json)
		rc = agent_cli_print_dossier(a, argv[optind]);
	else if (!rc)
		printf("%s -> %lld %s\n", argv[optind], to, schema_status_name((int)to));
	agent_close(a);
	return rc;
}

static int cmd_extend(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"due", 1, 0, 'u'},
	                                     {"working-days", 1, 0, 'w'},
	                                     {"reason", 1, 0, 'r'},
	                                     {"json", 0, 0, 'j'},
	                                     {0, 0, 0, 0}};
	const cli_command *me = cli_find("extend");
	const char *due = NULL, *reason = NULL;
	long long days = 0;
	agent *a = NULL;
	int ch, rc = 0, json = 0;

	while (!rc && (ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'u')
			due = optarg;
		else if (ch == 'w' && (days = cli_number(optarg)) < 1)
			rc = cli_usage_error(me, "--working-days: a whole number ≥ 1");
		else if (ch == 'r')
			reason = optarg;
		else if (ch == 'j')
			json = 1;
		else if (ch != 'w')
			rc = cli_usage_error(me, "unknown option");
	}
	if (!rc && optind != argc - 1)
		rc = cli_usage_error(me, "give CODE");
	if (!rc && days > 1000)
		rc = cli_usage_error(me, "--working-days: at most 1000");
	if (!rc)
		rc = agent_cli_open(c, AGENT_WRITE, &a);
	if (!rc)
		rc = agent_extend(a, argv[optind], due, (int)days, reason);
	if (!rc && json)
		rc = agent_cli_print_dossier(a, argv[optind]);
	agent_close(a);
	return rc;
}

const cli_command cli_change_commands[] = {
    {"init", cmd_init,
     "init --office AGENCY --central URL [--token-file FILE] [--node NAME] "
     "[--code-block LO-HI] [--ca-file PEM] [--json]\n"
     "Creates the data directory for one office PC. AGENCY is the office's electronic ID\n"
     "(e.g. 000.00.12.H22); NAME is this PC's node name (default: the host name);\n"
     "LO-HI is the block of daily sequence numbers this node issues (default 1-8999;\n"
     "give each PC of one office its own block). For https, central's certificate is\n"
     "always verified, against PEM when given, else the system's CA store. --json prints\n"
     "{dir, office, node, central}.\n"},
    {"create", cmd_create,
     "create [--json] [FILE|-]\n"
     "Records a new dossier from its JSON (docs/FORMAT.md) and prints its code (--json: the\n"
     "dossier as stored, as `show --json` prints it). Required:\n"
     "procedure {code, name}, applicant {name}, received_at and due_at. The code\n"
     "is allocated when absent: AGENCY-yyMMdd-NNNN with the date of receipt in +07:00.\n"
     "due_at is computed when absent, from the procedure, channel and received_at, if a\n"
     "calendar is installed ($DOSSYNC_DATA, data_dir; docs/DOMAIN.md \"Deadlines\").\n"
     "status defaults to 2 (accepted at the counter), channel to 1 (in person).\n"},
    {"update", cmd_update,
     "update CODE (--set PATH=JSON)... | --patch FILE|- [--json]\n"
     "Changes fields of a dossier. PATH is dotted (applicant.phone), list items by id\n"
     "(fees[lp1].paid); the value is JSON: --set 'applicant.phone=\"0963060905\"'.\n"
     "--patch takes a JSON merge patch (RFC 7396). Status moves use `transition`.\n"
     "--json prints the dossier after the change, as `show --json` does.\n"},
    {"transition", cmd_transition,
     "transition CODE STATUS [--note TEXT] [--json]\n"
     "Moves a dossier to one of the ten national statuses, if the move is legal;\n"
     "records a progress row with the note. --json prints the dossier after the move.\n"},
    {"extend", cmd_extend,
     "extend CODE (--due TIME | --working-days N) --reason TEXT [--json]\n"
     "Extends a dossier's due date (gia hạn) to TIME, or by N working days of the\n"
     "installed calendar. The first due date stays in original_due_at; the reason goes\n"
     "into a progress row of the same change. The new date must be later. --json prints\n"
     "the dossier after the change.\n"},
    {NULL, NULL, NULL},
};
