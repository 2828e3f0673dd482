/* cli_node.c: `dossync-central node move NODE --token TOKEN-ID`: gives a node name to
 * another token of the same agency (an office's replaced token, a reinstalled machine),
 * the only way a bound node changes hands; and `dossync-central nodes`: every node with
 * what the server last saw of it. */
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

static const char usage_nodes[] =
    "dossync-central nodes [--json]\n"
    "  every node: its office, its token, the last seq central holds, when the server last\n"
    "  heard from it, the last error it was answered, and how many feed changes it could\n"
    "  see remained after its last pull (BEHIND).\n";

/* A nullable member as text, "-" for null. */
static const char *text_or_dash(const json_t *row, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(row, key);

	if (json_is_integer(v)) {
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return json_is_string(v) ? json_string_value(v) : "-";
}

static void nodes_print(const json_t *list)
{
	char seq[24], behind[24];
	const json_t *row;
	size_t i;

	printf("%-24s  %-16s  %-8s  %8s  %-25s  %7s  %s\n", "NODE", "OFFICE", "TOKEN", "LAST-SEQ",
	       "LAST-CONTACT", "BEHIND", "LAST-ERROR");
	json_array_foreach(list, i, row)
	{
		const char *office = json_string_value(json_object_get(row, "office"));

		printf("%-24s  %-16s  %-8s  %8s  %-25s  %7s  %s\n",
		       json_string_value(json_object_get(row, "node")),
		       office[0] ? office : "(province)",
		       json_string_value(json_object_get(row, "token")),
		       text_or_dash(row, "last_seq", seq, sizeof(seq)),
		       text_or_dash(row, "last_contact", NULL, 0),
		       text_or_dash(row, "pull_behind", behind, sizeof(behind)),
		       text_or_dash(row, "last_error", NULL, 0));
	}
}

int cli_nodes(const cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	central_store *s = NULL;
	json_t *list = NULL;
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage_nodes, 1);
		if (c != 'j')
			return cli_usage(usage_nodes, 0);
		json = 1;
	}
	if (optind != argc)
		return cli_usage(usage_nodes, 0);
	if ((rc = cli_open(ctx, &s)))
		return rc;
	rc = central_node_list(s, &list);
	central_store_free(s);
	if (rc)
		return cli_fail(rc);
	if (json) {
		json_dumpf(list, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		nodes_print(list);
	}
	json_decref(list);
	return 0;
}
