/* cli_node.c: `dossync-central node move NODE --token TOKEN-ID`: gives a node name to
 * another token of the same agency (an office's replaced token, a reinstalled machine),
 * the only way a bound node changes hands. */
#include "central/central_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage_node[] =
    "dossync-central node move NODE --token TOKEN-ID\n"
    "  binds NODE to the token TOKEN-ID (see token list), which must act for the node's\n"
    "  agency; the previous token can no longer push as NODE.\n";

static int node_move(const cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"token", required_argument, 0, 't'}, {0, 0, 0, 0}};
	const char *token = NULL;
	central_store *s = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 't')
			return cli_usage(usage_node, 0);
		token = optarg;
	}
	if (!token || optind != argc - 1)
		return cli_usage(usage_node, 0);
	if ((rc = cli_open(ctx, &s)))
		return rc;
	rc = central_node_move(s, argv[optind], token);
	central_store_free(s);
	if (rc)
		return cli_fail(rc);
	printf("node %s moved to token %s\n", argv[optind], token);
	return 0;
}

int cli_node(const cli_ctx *ctx, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return cli_usage(usage_node, 1);
	if (argc < 2 || strcmp(argv[1], "move"))
		return cli_usage(usage_node, 0);
	optind = 0;
	return node_move(ctx, argc - 1, argv + 1);
}
