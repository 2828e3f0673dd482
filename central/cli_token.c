/* cli_token.c: `dossync-central token add|rotate|revoke|list`: the bearer tokens offices
 * and province staff use. A new token is printed once on stdout; central keeps its hash. */
#include "central/central_int.h"

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

static int token_add(const cli_ctx *ctx, int argc, char **argv)
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
			rc = cli_usage(usage_token, 0);
	}
	if (rc == 0 && (!agency || optind != argc))
		rc = cli_usage(usage_token, 0);
	if (rc == 0 && (rc = cli_open(ctx, &s)) == 0) {
		rc = central_token_add_nodes(s, agency, role, nodes, n, token);
		central_store_free(s);
		if (rc == 0)
			printf("%s\n", token);
		else
			rc = cli_fail(rc);
	}
	free(nodes);
	return rc;
}

static int token_list(const cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {0, 0, 0, 0}};
	json_t *list = NULL, *t;
	central_store *s = NULL;
	int c, json = 0, rc;
	size_t i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage(usage_token, 0);
		json = 1;
	}
	if (optind != argc)
		return cli_usage(usage_token, 0);
	if ((rc = cli_open(ctx, &s)))
		return rc;
	rc = central_token_list(s, &list);
	central_store_free(s);
	if (rc)
		return cli_fail(rc);
	if (json) {
		json_dumpf(list, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		printf("%-8s  %-20s  %-8s  %-25s  %s\n", "ID", "AGENCY", "ROLE", "CREATED",
		       "REVOKED");
		json_array_foreach(list, i, t)
		{
			const char *rev = json_string_value(json_object_get(t, "revoked_at"));

			printf("%-8s  %-20s  %-8s  %-25s  %s\n",
			       json_string_value(json_object_get(t, "id")),
			       json_string_value(json_object_get(t, "agency")),
			       json_string_value(json_object_get(t, "role")),
			       json_string_value(json_object_get(t, "created_at")),
			       rev ? rev : "-");
		}
	}
	json_decref(list);
	return 0;
}

static int token_rotate(const cli_ctx *ctx, int argc, char **argv)
{
	char token[CENTRAL_TOKEN_LEN];
	central_store *s = NULL;
	int rc;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(usage_token, 0);
	if ((rc = cli_open(ctx, &s)))
		return rc;
	rc = central_token_rotate(s, argv[1], token);
	central_store_free(s);
	if (rc)
		return cli_fail(rc);
	printf("%s\n", token);
	return 0;
}

static int token_revoke(const cli_ctx *ctx, int argc, char **argv)
{
	central_store *s = NULL;
	int rc;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(usage_token, 0);
	if ((rc = cli_open(ctx, &s)))
		return rc;
	rc = central_token_revoke(s, argv[1]);
	central_store_free(s);
	if (rc)
		return cli_fail(rc);
	printf("token %s revoked\n", argv[1]);
	return 0;
}

int cli_token(const cli_ctx *ctx, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return cli_usage(usage_token, 1);
	if (argc < 2 || (strcmp(argv[1], "add") && strcmp(argv[1], "revoke") &&
	                 strcmp(argv[1], "list") && strcmp(argv[1], "rotate")))
		return cli_usage(usage_token, 0);
	optind = 0;
	if (strcmp(argv[1], "add") == 0)
		return token_add(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "rotate") == 0)
		return token_rotate(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return token_revoke(ctx, argc - 1, argv + 1);
	return token_list(ctx, argc - 1, argv + 1);
}
