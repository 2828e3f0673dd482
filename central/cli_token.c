/* cli_token.c: `dossync-central token add|rotate|revoke|list`: the bearer tokens offices
 * and province staff use. A new token is printed once on stdout; central keeps its hash. */
#include "central/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_token[] =
    "dossync-central token add --office AGENCY [--role office|province] [--node NODE]...\n"
    "       dossync-central token rotate TOKEN-ID\n"
    "       dossync-central token revoke TOKEN-ID\n"
    "       dossync-central token list [--json]\n"
    "  add prints the new token once; only its hash is kept. An office token pushes and\n"
    "  pulls the dossiers of its agency; a province token those of every agency. Each\n"
    "  --node binds that node name to the new token at once (otherwise a node is bound\n"
    "  by its first batch in which an op applies). rotate prints a new token for the same\n"
    "  agency and nodes; the old one keeps working beside it until it is revoked.\n";

static int token_add(const cli *cl, int argc, char **argv)
{
	static const struct option opts[] = {{"office", required_argument, 0, 'o'},
	                                     {"role", required_argument, 0, 'r'},
	                                     {"node", required_argument, 0, 'n'},
	                                     {0, 0, 0, 0}};
	const char *agency = NULL, *role = "office", **nodes;
	char token[CENTRAL_TOKEN_LEN];
	central_store *s = NULL;
	size_t n = 0;
	int c, rc = 0;

	nodes = ds_calloc((size_t)argc, sizeof(*nodes));
	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			agency = optarg;
		else if (c == 'r')
			role = optarg;
		else if (c == 'n')
			nodes[n++] = optarg;
		else
			rc = cli_usage_error(cli_find("token"), NULL);
	}
	if (rc == 0 && (!agency || optind != argc))
		rc = cli_usage_error(cli_find("token"), NULL);
	if (rc == 0 && (rc = central_cli_open(cl, &s)) == 0) {
		rc = central_token_add_nodes(s, agency, role, nodes, n, token);
		central_store_free(s);
		if (rc == 0)
			printf("%s\n", token);
	}
	free(nodes);
	return rc;
}

static void token_print(const json_t *list)
{
	const json_t *t;
	size_t i;

	printf("%-8s  %-20s  %-8s  %-25s  %s\n", "ID", "AGENCY", "ROLE", "CREATED", "REVOKED");
	json_array_foreach(list, i, t)
	{
		const char *rev = json_string_value(json_object_get(t, "revoked_at"));

		printf("%-8s  %-20s  %-8s  %-25s  %s\n",
		       json_string_value(json_object_get(t, "id")),
		       json_string_value(json_object_get(t, "agency")),
		       json_string_value(json_object_get(t, "role")),
		       json_string_value(json_object_get(t, "created_at")), rev ? rev : "-");
	}
}

/* rotate (prints the new token) or revoke TOKEN-ID. */
static int token_change(const cli *cl, int argc, char **argv)
{
	char token[CENTRAL_TOKEN_LEN];
	central_store *s = NULL;
	int rotate = !strcmp(argv[0], "rotate"), rc;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage_error(cli_find("token"), NULL);
	if ((rc = central_cli_open(cl, &s)))
		return rc;
	rc = rotate ? central_token_rotate(s, argv[1], token) : central_token_revoke(s, argv[1]);
	central_store_free(s);
	if (rc)
		return rc;
	if (rotate)
		printf("%s\n", token);
	else
		printf("token %s revoked\n", argv[1]);
	return 0;
}

static int cmd_token(cli *cl, int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "add") && strcmp(argv[1], "revoke") &&
	                 strcmp(argv[1], "list") && strcmp(argv[1], "rotate")))
		return cli_usage_error(cli_find("token"), NULL);
	if (strcmp(argv[1], "add") == 0)
		return token_add(cl, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return central_cli_json_list(cl, cli_find("token"), argc - 1, argv + 1,
		                             central_token_list, token_print);
	return token_change(cl, argc - 1, argv + 1);
}

const cli_command central_cli_token_commands[] = {
    {"token", cmd_token, usage_token},
    {NULL, NULL, NULL},
};
