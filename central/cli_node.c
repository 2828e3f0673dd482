/* cli_node.c: `dossync-central node move NODE --token TOKEN-ID`: gives a node name to
 * another token of the same agency (an office's replaced token, a reinstalled machine),
 * the only way a bound node changes hands; and `dossync-central nodes`: every node with
 * what the server last saw of it. */
#include "central/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage_node[] =
    "dossync-central node move NODE --token TOKEN-ID\n"
    "  binds NODE to the token TOKEN-ID (see token list), which must act for the node's\n"
    "  agency; the previous token can no longer push as NODE.\n";

static int node_move(const cli *cl, int argc, char **argv)
{
	static const struct option opts[] = {{"token", required_argument, 0, 't'}, {0, 0, 0, 0}};
	const char *token = NULL;
	central_store *s = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 't')
			return cli_usage_error(cli_find("node"), NULL);
		token = optarg;
	}
	if (!token || optind != argc - 1)
		return cli_usage_error(cli_find("node"), NULL);
	if ((rc = central_cli_open(cl, &s)))
		return rc;
	rc = central_node_move(s, argv[optind], token);
	central_store_free(s);
	if (rc)
		return rc;
	printf("node %s moved to token %s\n", argv[optind], token);
	return 0;
}

static int cmd_node(cli *cl, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "move"))
		return cli_usage_error(cli_find("node"), NULL);
	return node_move(cl, argc - 1, argv + 1);
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

static int cmd_nodes(cli *cl, int argc, char **argv)
{
	return central_cli_json_list(cl, cli_find("nodes"), argc, argv, central_node_list,
	                             nodes_print);
}

const cli_command central_cli_node_commands[] = {
    {"node", cmd_node, usage_node},
    {"nodes", cmd_nodes, usage_nodes},
    {NULL, NULL, NULL},
};
