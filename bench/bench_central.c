/* bench_central.c: the load generator for "central with many offices pushing at once".
 * One thread per office (each its own token, agency and node, its own keep-alive
 * connection through the sync/ client) pushes batches of creates made from dsgen lines;
 * every push request is timed. Bodies are built before the clock starts, so the figure
 * is central's work plus the wire. Prints one JSON object (docs/BENCHMARKS.md).
 *   bench_central --url URL [--url URL2...] --tokens FILE --input FILE [--batch N]
 *                 [--batches K]
 * With several --url (central processes on one database), office k pushes to URL k mod n.
 * FILE of tokens: one "AGENCY TOKEN" per line, one office each. The input holds dsgen
 * --codes lines; each office takes the first N*K lines and puts its own agency in them.
 */
#include "schema/schema.h"
#include "sync/sync.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_OFFICES 512
#define MAX_URLS 8

struct office {
	pthread_t tid;
	char agency[SCHEMA_CODE_MAX], token[256], node[32];
	ds_buf *bodies; /* batches, built before the start */
	double *lat_ms; /* one per batch */
	long applied, errors;
	char err[256];
};

static struct {
	const char *urls[MAX_URLS];
	int nurls;
	long batch, batches;
	ds_buf input;
	const char **lines; /* into input */
	size_t *line_len;
	long nlines;
	pthread_barrier_t start;
	struct office *offices;
} g;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* Dossier k of this office: line k with the office's agency in code and agency. */
static json_t *dossier(const struct office *o, long k)
{
	json_t *d = NULL;
	const char *code, *dash;
	char buf[SCHEMA_CODE_MAX * 2];

	if (ds_json_parse(g.lines[k], g.line_len[k], &d) || ds_json_nfc(&d))
		return NULL;
	code = json_string_value(json_object_get(d, "code"));
	dash = code ? strchr(code, '-') : NULL;
	if (!dash) {
		json_decref(d);
		return NULL;
	}
	snprintf(buf, sizeof(buf), "%s%s", o->agency, dash);
	json_object_set_new(d, "code", json_string(buf));
	json_object_set_new(d, "agency", json_string(o->agency));
	return d;
}

/* Builds every batch of the office's journal: creates, hash-chained from genesis. */
static int build(struct office *o)
{
	char prev[DS_SHA256_HEX], first[DS_SHA256_HEX], h[DS_SHA256_HEX], when[DS_TIME_LEN];
	char op_id[64];
	long b, j, k;
	int rc = 0;

	memcpy(prev, schema_genesis_hash, DS_SHA256_HEX);
	ds_time_format(ds_time_now(), DS_TZ_VN, when);
	for (b = 0; b < g.batches && !rc; b++) {
		json_t *ops = json_array();
		memcpy(first, prev, DS_SHA256_HEX);
		for (j = 0; j < g.batch && !rc; j++) {
			json_t *d, *op;
			k = b * g.batch + j;
			if (!(d = dossier(o, k))) {
				rc = ds_error_set(DS_EINVALID,
				                  "input line %ld is not a dsgen --codes "
				                  "dossier",
				                  k + 1);
				break;
			}
			snprintf(op_id, sizeof(op_id), "%s:%ld", o->node, k + 1);
			op = json_pack("{s:I,s:s,s:O,s:s,s:o,s:I,s:n,s:s,s:s}", "seq",
			               (json_int_t)(k + 1), "op_id", op_id, "code",
			               json_object_get(d, "code"), "kind", "create", "payload", d,
			               "base", (json_int_t)0, "parent", "actor", "bench",
			               "occurred_at", when);
			if (!(rc = schema_op_hash(prev, op, h)))
				memcpy(prev, h, DS_SHA256_HEX);
			json_array_append_new(ops, op);
		}
		if (!rc)
			rc = sync_push_encode(o->node, first, prev, ops, &o->bodies[b]);
		json_decref(ops);
	}
	return rc;
}

static int count_applied(const json_t *receipts)
{
	size_t i;
	json_t *r;
	int n = 0;

	json_array_foreach(receipts, i, r) n +=
	    !strcmp(json_string_value(json_object_get(r, "result")) ?: "", "applied");
	return n;
}

static void *run(void *arg)
{
	struct office *o = arg;
	sync_client *c = NULL;
	sync_opts opts = {0};
	long b;
	int rc;

	opts.url = g.urls[(o - g.offices) % g.nurls];
	opts.token = o->token;
	rc = build(o);
	if (!rc)
		rc = sync_client_new(&c, &opts);
	if (rc)
		snprintf(o->err, sizeof(o->err), "%s", ds_error_msg());
	pthread_barrier_wait(&g.start);
	for (b = 0; b < g.batches && !rc; b++) {
		json_t *receipts = NULL;
		int64_t expected = 0;
		double t = now_s();
		rc = sync_client_push(c, &o->bodies[b], &receipts, &expected);
		o->lat_ms[b] = (now_s() - t) * 1000;
		if (rc) {
			o->errors++;
			snprintf(o->err, sizeof(o->err), "%s", ds_error_msg());
		} else {
			o->applied += count_applied(receipts);
		}
		json_decref(receipts);
	}
	sync_client_free(c);
	return NULL;
}

static int read_lines(const char *path)
{
	char *p, *end, *nl;
	int rc;

	ds_buf_init(&g.input, 0);
	if ((rc = ds_file_read(path, 1u << 30, &g.input)))
		return rc;
	g.lines = ds_calloc(g.input.len / 64 + 1, sizeof(char *));
	g.line_len = ds_calloc(g.input.len / 64 + 1, sizeof(size_t));
	for (p = g.input.ptr, end = p + g.input.len; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl > p) {
			g.lines[g.nlines] = p;
			g.line_len[g.nlines++] = (size_t)(nl - p);
		}
	}
	return 0;
}

static int read_tokens(const char *path, struct office *offices, int *n)
{
	FILE *f = fopen(path, "r");
	char agency[SCHEMA_CODE_MAX], token[256];

	*n = 0;
	if (!f)
		return ds_error_set(DS_EINVALID, "cannot read %s", path);
	while (*n < MAX_OFFICES && fscanf(f, "%63s %255s", agency, token) == 2) {
		struct office *o = &offices[(*n)++];
		snprintf(o->agency, sizeof(o->agency), "%s", agency);
		snprintf(o->token, sizeof(o->token), "%s", token);
		snprintf(o->node, sizeof(o->node), "load-%d", *n);
	}
	fclose(f);
	return *n ? 0 : ds_error_set(DS_EINVALID, "%s holds no \"AGENCY TOKEN\" line", path);
}

static void report(struct office *offices, int n, double seconds)
{
	long total = (long)n * g.batches, i = 0, applied = 0, errors = 0;
	double *all = ds_calloc((size_t)total, sizeof(double));
	const char *err = "";
	int k;

	for (k = 0; k < n; k++) {
		memcpy(all + i, offices[k].lat_ms, (size_t)g.batches * sizeof(double));
		i += g.batches;
		applied += offices[k].applied;
		errors += offices[k].errors;
		if (offices[k].err[0])
			err = offices[k].err;
	}
	qsort(all, (size_t)total, sizeof(double), cmp_double);
	printf("{\"offices\":%d,\"batch\":%ld,\"batches\":%ld,\"requests\":%ld,\"ops\":%ld,"
	       "\"applied\":%ld,\"errors\":%ld,\"seconds\":%.3f,\"ops_per_s\":%.1f,"
	       "\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f}\n",
	       n, g.batch, g.batches, total, total * g.batch, applied, errors, seconds,
	       (double)applied / seconds, all[(total - 1) / 2],
	       all[(long)(0.99 * (double)total + 0.999999) - 1], all[total - 1]);
	if (*err)
		fprintf(stderr, "bench_central: an office failed: %s\n", err);
	free(all);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"url", 1, 0, 'u'},     {"tokens", 1, 0, 't'},
	                                     {"input", 1, 0, 'i'},   {"batch", 1, 0, 'b'},
	                                     {"batches", 1, 0, 'k'}, {0, 0, 0, 0}};
	static struct office offices[MAX_OFFICES];
	const char *tokens = NULL, *input = NULL;
	int ch, n = 0, k, rc = 0;
	double t0;

	g.batch = 100;
	g.batches = 10;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'u' && g.nurls < MAX_URLS)
			g.urls[g.nurls++] = optarg;
		else if (ch == 't')
			tokens = optarg;
		else if (ch == 'i')
			input = optarg;
		else if (ch == 'b')
			g.batch = atol(optarg);
		else if (ch == 'k')
			g.batches = atol(optarg);
		else
			return 64;
	}
	g.offices = offices;
	if (!g.nurls || !tokens || !input || g.batch < 1 || g.batch > SYNC_MAX_BATCH_OPS ||
	    g.batches < 1) {
		fprintf(stderr, "usage: bench_central --url URL [--url URL...] --tokens FILE "
		                "--input FILE [--batch N] [--batches K]\n");
		return 64;
	}
	if ((rc = read_tokens(tokens, offices, &n)) || (rc = read_lines(input)))
		goto fail;
	if (g.nlines < g.batch * g.batches) {
		rc = ds_error_set(DS_EINVALID, "%s has %ld lines; %ld are needed", input, g.nlines,
		                  g.batch * g.batches);
		goto fail;
	}
	pthread_barrier_init(&g.start, NULL, (unsigned)n + 1);
	for (k = 0; k < n; k++) {
		offices[k].bodies = ds_calloc((size_t)g.batches, sizeof(ds_buf));
		for (long b = 0; b < g.batches; b++)
			ds_buf_init(&offices[k].bodies[b], 0);
		offices[k].lat_ms = ds_calloc((size_t)g.batches, sizeof(double));
		pthread_create(&offices[k].tid, NULL, run, &offices[k]);
	}
	pthread_barrier_wait(&g.start);
	t0 = now_s();
	for (k = 0; k < n; k++)
		pthread_join(offices[k].tid, NULL);
	report(offices, n, now_s() - t0);
	for (k = 0; k < n; k++) {
		for (long b = 0; b < g.batches; b++)
			ds_buf_release(&offices[k].bodies[b]);
		free(offices[k].bodies);
		free(offices[k].lat_ms);
	}
	free(g.lines);
	free(g.line_len);
	ds_buf_release(&g.input);
	return 0;
fail:
	fprintf(stderr, "bench_central: %s\n", ds_error_msg());
	return ds_exit_code(rc);
}
