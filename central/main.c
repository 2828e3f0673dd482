/* main.c: dossync-central, the reference central server's command line: its overview,
 * global options and command tables, handed to the framework of cli/cli.h, and the init
 * and serve commands. Exit codes follow docs/DESIGN.md: 0 done, 64 usage, 65 invalid
 * data, 75 try later, 77 refused, 1 other. */
#include "central/cli_int.h"

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_main[] =
    "dossync-central [--db FILE|URL] [--actor ID] COMMAND [ARGS]\n"
    "dossync-central --version\n"
    "  FILE defaults to $DOSSYNC_CENTRAL_DB, else ./central.db; a URL\n"
    "  postgresql://USER@HOST:PORT/DB uses PostgreSQL instead of SQLite\n"
    "commands:\n"
    "  init                                   create or migrate the database\n"
    "  serve [--listen HOST:PORT] [--threads N] [--port-file F] [--max-connections N]\n"
    "        [--max-per-ip N] [--tls-cert PEM --tls-key PEM] [--metrics-listen HOST:PORT]\n"
    "        [--log-level error|warn|info|debug] [--files DIR] [--file-max BYTES]\n"
    "        [--office-quota BYTES]\n"
    "  token add --office AGENCY [--role office|province] [--node NODE]...\n"
    "  token rotate TOKEN-ID    token revoke TOKEN-ID    token list [--json]\n"
    "  node move NODE --token TOKEN-ID          nodes [--json]\n"
    "  create FILE|-            update CODE (--set PATH=JSON)... | --patch FILE|-\n"
    "  transition CODE STATUS [--note TEXT]\n"
    "  show CODE [--json]       list [--json] [--agency A] [--status N]\n"
    "  data publish FILE...     data versions\n"
    "  report [--office AGENCY] [--from DAY] [--to DAY] [--json | --csv]\n"
    "'dossync-central COMMAND --help' describes one command.\n";

static const char usage_init[] = "dossync-central [--db FILE|URL] init\n"
                                 "  creates the central database, or migrates it to this "
                                 "version; safe to repeat\n";

static const char usage_serve[] =
    "dossync-central [--db FILE] serve [--listen HOST:PORT] [--threads N] [--port-file F]\n"
    "                [--max-connections N] [--max-per-ip N] [--tls-cert PEM --tls-key PEM]\n"
    "                [--metrics-listen HOST:PORT] [--log-level error|warn|info|debug]\n"
    "                [--files DIR] [--file-max BYTES] [--office-quota BYTES]\n"
    "  serves the sync API (default 127.0.0.1:7070, 4 threads); port 0 picks a free\n"
    "  port, written to F when --port-file is given. At most N connections in all\n"
    "  (default 4096) and from one address (default 64). With --tls-cert and --tls-key\n"
    "  (PEM files) it serves HTTPS. GET /metrics needs a province token, or is served\n"
    "  without one on --metrics-listen. One access line per request at level info (the\n"
    "  default). Attachments are kept in DIR (default: files/ beside a SQLite database;\n"
    "  none on PostgreSQL without --files), each at most BYTES (default 33554432), and\n"
    "  each office's at most --office-quota bytes in all (default: no quota).\n"
    "  SIGTERM or SIGINT stops it.\n";

/* The error just set, with its message, as DS_ERROR (exit 1). */
static int as_failure(void)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", ds_error_msg());
	return ds_error_set(DS_ERROR, "%s", msg);
}

int central_cli_open(const cli *c, central_store **out)
{
	int rc = central_store_open(out, c->db_path, 0);

	return rc == 0 || rc == DS_EPERM || rc == DS_ERETRY ? rc : as_failure();
}

static int cmd_init(cli *c, int argc, char **argv)
{
	central_store *s = NULL;
	int rc;

	(void)argv;
	if (argc != 1)
		return cli_usage_error(cli_find("init"), NULL);
	rc = central_store_open(&s, c->db_path, 1);
	central_store_free(s);
	if (rc)
		return rc;
	printf("central database ready at %s (schema version %d)\n", c->db_path,
	       schema_version_latest(central_where_pg(c->db_path) ? "central_pg" : "central"));
	return 0;
}

int central_cli_json_list(const cli *cl, const cli_command *me, int argc, char **argv,
                          int (*get)(central_store *s, json_t **out),
                          void (*text)(const json_t *list))
{
	static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {0, 0, 0, 0}};
	central_store *s = NULL;
	json_t *list = NULL;
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage_error(me, NULL);
		json = 1;
	}
	if (optind != argc)
		return cli_usage_error(me, NULL);
	if ((rc = central_cli_open(cl, &s)))
		return rc;
	rc = get(s, &list);
	central_store_free(s);
	if (rc == 0 && json)
		cli_print_json_flags(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	else if (rc == 0)
		text(list);
	json_decref(list);
	return rc;
}

/* "HOST:PORT" (the host may be "[v6]"). */
static int parse_listen(const char *v, char **host, int *port)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long p;

	if (!colon || colon == v)
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	if (v[0] == '[' && colon[-1] == ']')
		*host = ds_strndup(v + 1, (size_t)(colon - v - 2));
	else
		*host = ds_strndup(v, (size_t)(colon - v));
	return 0;
}

/* "error", "warn", "info" or "debug" as a DS_LOG_* level. */
static int level_arg(const char *v, int *out)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	int i;

	for (i = 0; i < (int)DS_ARRAY_LEN(names); i++)
		if (strcmp(v, names[i]) == 0)
			return *out = DS_LOG_ERROR + i, 0;
	return -1;
}

/* A byte count from 1 to 2^50, digits only; 0 when v is one. */
static int bytes_arg(const char *v, int64_t *out)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	if (!v[0] || *end || v[0] < '0' || v[0] > '9' || n < 1 || n > (1LL << 50))
		return 1;
	*out = (int64_t)n;
	return 0;
}

/* The options of serve beyond the listening address and limits; 1 when c is not one. */
static int serve_extra(central_serve_opts *o, int c, char **metrics_host, int *level)
{
	if (c == 'c')
		o->tls_cert = optarg;
	else if (c == 'k')
		o->tls_key = optarg;
	else if (c == 'M') {
		free(*metrics_host);
		*metrics_host = NULL;
		return parse_listen(optarg, metrics_host, &o->metrics_port) != 0;
	} else if (c == 'L')
		return level_arg(optarg, level) != 0;
	else if (c == 'F')
		o->files_dir = optarg;
	else if (c == 'X' || c == 'Q')
		return bytes_arg(optarg, c == 'X' ? &o->file_max : &o->office_quota);
	else
		return 1;
	return 0;
}

/* A count from 1 to 1,000,000. */
static int count_arg(const char *v, unsigned *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (!v[0] || *end || n < 1 || n > 1000000)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* Parses serve's options into o, *host, *metrics_host (malloc'd) and *level; -1 when
 * they are not serve's. */
static int serve_parse(int argc, char **argv, central_serve_opts *o, char **host,
                       char **metrics_host, int *level)
{
	static const struct option opts[] = {{"listen", required_argument, 0, 'l'},
	                                     {"threads", required_argument, 0, 't'},
	                                     {"port-file", required_argument, 0, 'p'},
	                                     {"max-connections", required_argument, 0, 'm'},
	                                     {"max-per-ip", required_argument, 0, 'i'},
	                                     {"tls-cert", required_argument, 0, 'c'},
	                                     {"tls-key", required_argument, 0, 'k'},
	                                     {"metrics-listen", required_argument, 0, 'M'},
	                                     {"log-level", required_argument, 0, 'L'},
	                                     {"files", required_argument, 0, 'F'},
	                                     {"file-max", required_argument, 0, 'X'},
	                                     {"office-quota", required_argument, 0, 'Q'},
	                                     {0, 0, 0, 0}};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'l' && parse_listen(optarg, host, &o->port) == 0)
			continue;
		if (c == 't' && (o->threads = (int)strtol(optarg, &end, 10)) >= 1 &&
		    o->threads <= 256 && !*end)
			continue;
		if (c == 'p') {
			o->port_file = optarg;
			continue;
		}
		if ((c == 'm' || c == 'i') &&
		    count_arg(optarg, c == 'm' ? &o->max_connections : &o->max_per_ip) == 0)
			continue;
		if (serve_extra(o, c, metrics_host, level) == 0)
			continue;
		return -1;
	}
	return optind == argc ? 0 : -1;
}

static int cmd_serve(cli *cl, int argc, char **argv)
{
	central_serve_opts o = {cl->db_path, NULL, 7070, 4, NULL, 0, 0,
	                        NULL,        NULL, NULL, 0, NULL, 0, 0};
	char *host = NULL, *metrics_host = NULL;
	int rc, level = DS_LOG_INFO;

	if (serve_parse(argc, argv, &o, &host, &metrics_host, &level)) {
		free(host);
		free(metrics_host);
		return cli_usage_error(cli_find("serve"), NULL);
	}
	o.host = host ? host : "127.0.0.1";
	o.metrics_host = metrics_host;
	ds_log_open(0, "dossync-central", level);
	/* glibc's fast bins keep freed small blocks apart and sort them back in bulk
	 * (malloc_consolidate), a tenth of central's CPU under many offices' pushes, which
	 * allocate and free many small JSON nodes per op. Without them: 287-297 -> 256-265 ms
	 * of CPU per 1,000 ops (docs/BENCHMARKS.md). */
	mallopt(M_MXFAST, 0);
	rc = central_serve(&o);
	free(host);
	free(metrics_host);
	/* A store that cannot be opened or a certificate that cannot be read: exit 1. */
	if (rc == DS_ENOTFOUND || (rc && ds_exit_code(rc) == 65))
		rc = as_failure();
	return rc;
}

/* The account running the command; kept for the process's life. */
static const char *default_actor(void)
{
	static char *name;

	if (!name)
		name = ds_os_user_name();
	return name ? name : "central";
}

static const cli_command main_commands[] = {
    {"init", cmd_init, usage_init},
    {"serve", cmd_serve, usage_serve},
    {NULL, NULL, NULL},
};

static const cli_command *const tables[] = {main_commands,
                                            central_cli_token_commands,
                                            central_cli_node_commands,
                                            central_cli_edit_commands,
                                            central_cli_data_commands,
                                            central_cli_report_commands,
                                            NULL};

static void overview(FILE *f)
{
	fprintf(f, "usage: %s", usage_main);
}

static const cli_program program = {"dossync-central", "", "", "", tables, overview, NULL};

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
	                                     {"actor", required_argument, 0, 'a'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {"version", no_argument, 0, 'V'},
	                                     {0, 0, 0, 0}};
	cli c = {getenv("DOSSYNC_CENTRAL_DB"), NULL};
	int o;

	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (o == 'd')
			c.db_path = optarg;
		else if (o == 'a')
			c.actor = optarg;
		else if (o == 'V')
			return cli_version(&program);
		else
			return cli_overview(&program, o != 'h');
	}
	if (!c.db_path || !c.db_path[0])
		c.db_path = "./central.db";
	if (!c.actor)
		c.actor = default_actor();
	return cli_main(&program, &c, argc - optind, argv + optind);
}
