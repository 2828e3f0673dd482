/* main.c: dossync-central, the reference central server's command line: global options,
 * dispatch to the commands, and the init and serve commands. Exit codes follow
 * docs/DESIGN.md: 0 done, 64 usage, 65 invalid data, 75 try later, 77 refused, 1 other. */
#include "central/central_int.h"
#include "base/version.h"

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

int cli_usage(const char *text, int help)
{
	fputs(help ? "" : "usage: ", help ? stdout : stderr);
	fputs(text, help ? stdout : stderr);
	return help ? 0 : 64;
}

int cli_fail(int rc)
{
	fprintf(stderr, "dossync-central: %s\n", ds_error_msg());
	return ds_exit_code(rc);
}

int cli_open(const cli_ctx *ctx, central_store **out)
{
	int rc = central_store_open(out, ctx->db_path, 0);

	if (rc == 0)
		return 0;
	fprintf(stderr, "dossync-central: %s\n", ds_error_msg());
	return rc == DS_EPERM || rc == DS_ERETRY ? ds_exit_code(rc) : 1;
}

/* 1 when argv holds --help or -h (each command answers it before anything else). */
static int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static int cmd_init(const cli_ctx *ctx, int argc, char **argv)
{
	central_store *s = NULL;
	int rc;

	if (wants_help(argc, argv))
		return cli_usage(usage_init, 1);
	if (argc != 1)
		return cli_usage(usage_init, 0);
	rc = central_store_open(&s, ctx->db_path, 1);
	central_store_free(s);
	if (rc)
		return cli_fail(rc);
	printf("central database ready at %s (schema version %d)\n", ctx->db_path,
	       schema_version_latest(central_where_pg(ctx->db_path) ? "central_pg" : "central"));
	return 0;
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

static int cmd_serve(const cli_ctx *ctx, int argc, char **argv)
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
	central_serve_opts o = {ctx->db_path, NULL, 7070, 4, NULL, 0, 0,
	                        NULL,         NULL, NULL, 0, NULL, 0, 0};
	char *host = NULL, *metrics_host = NULL, *end;
	int c, rc, level = DS_LOG_INFO;

	if (wants_help(argc, argv))
		return cli_usage(usage_serve, 1);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'l' && parse_listen(optarg, &host, &o.port) == 0)
			continue;
		if (c == 't' && (o.threads = (int)strtol(optarg, &end, 10)) >= 1 &&
		    o.threads <= 256 && !*end)
			continue;
		if (c == 'p') {
			o.port_file = optarg;
			continue;
		}
		if ((c == 'm' || c == 'i') &&
		    count_arg(optarg, c == 'm' ? &o.max_connections : &o.max_per_ip) == 0)
			continue;
		if (serve_extra(&o, c, &metrics_host, &level) == 0)
			continue;
		free(host);
		free(metrics_host);
		return cli_usage(usage_serve, 0);
	}
	if (optind != argc) {
		free(host);
		free(metrics_host);
		return cli_usage(usage_serve, 0);
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
	if (rc == DS_ENOTFOUND || (rc && ds_exit_code(rc) == 65)) {
		fprintf(stderr, "dossync-central: %s\n", ds_error_msg());
		return 1;
	}
	return rc ? cli_fail(rc) : 0;
}

/* The account running the command; kept for the process's life. */
static const char *default_actor(void)
{
	static char *name;

	if (!name)
		name = ds_os_user_name();
	return name ? name : "central";
}

static const struct command {
	const char *name;
	int (*run)(const cli_ctx *ctx, int argc, char **argv);
} commands[] = {
    {"init", cmd_init},     {"serve", cmd_serve},
    {"token", cli_token},   {"node", cli_node},
    {"nodes", cli_nodes},   {"create", cli_create},
    {"update", cli_update}, {"transition", cli_transition},
    {"show", cli_show},     {"list", cli_list},
    {"data", cli_data},     {"report", cli_report},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
	                                     {"actor", required_argument, 0, 'a'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {"version", no_argument, 0, 'V'},
	                                     {0, 0, 0, 0}};
	cli_ctx ctx = {getenv("DOSSYNC_CENTRAL_DB"), NULL};
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'd')
			ctx.db_path = optarg;
		else if (c == 'a')
			ctx.actor = optarg;
		else if (c == 'V')
			return printf("dossync-central %s\n", DOSSYNC_VERSION) < 0;
		else
			return cli_usage(usage_main, c == 'h');
	}
	if (!ctx.db_path || !ctx.db_path[0])
		ctx.db_path = "./central.db";
	if (!ctx.actor)
		ctx.actor = default_actor();
	if (optind >= argc)
		return cli_usage(usage_main, 0);
	for (i = 0; i < DS_ARRAY_LEN(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			argv += optind;
			argc -= optind;
			optind = 0; /* 0: getopt starts afresh on the command's argv */
			return commands[i].run(&ctx, argc, argv);
		}
	}
	fprintf(stderr, "dossync-central: unknown command \"%s\"\n", argv[optind]);
	return cli_usage(usage_main, 0);
}
