/* metrics.c: GET /metrics in the Prometheus text format (version 0.0.4). The server
 * counts requests by endpoint and status, ops by receipt result, push latency and
 * database errors here, in process-wide atomics; the feed head and each node's last
 * contact, last seq and pull lag are read from the database when scraped, so every
 * central process on one database reports the same values for them. */
#include "central/central_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* The endpoints counted apart; anything else is "other". */
static const char *const endpoints[] = {"other",        "/v1/health", "/v1/push", "/v1/pull",
                                        "/v1/dossiers", "/v1/data",   "/metrics", "/v1/files"};
#define N_ENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))
#define N_STATUS 600
/* Push latency bucket bounds in milliseconds. */
static const int bounds_ms[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
#define N_BOUNDS (sizeof(bounds_ms) / sizeof(bounds_ms[0]))

static atomic_ullong requests[N_ENDPOINTS][N_STATUS];
static atomic_ullong ops[SYNC_RESULT_COUNT + 1]; /* by enum sync_result */
static atomic_ullong push_bucket[N_BOUNDS]; /* push_bucket[i]: pushes of at most bounds_ms[i] */
static atomic_ullong push_count, push_sum_us;
static atomic_ullong db_errors;

void central_metrics_request(const char *endpoint, unsigned status)
{
	size_t i;

	for (i = N_ENDPOINTS - 1; i > 0; i--)
		if (strcmp(endpoint, endpoints[i]) == 0)
			break;
	if (status < N_STATUS)
		atomic_fetch_add(&requests[i][status], 1);
}

void central_metrics_receipts(const json_t *receipts)
{
	const json_t *r;
	size_t i;
	int k;

	json_array_foreach(receipts, i, r)
	{
		if ((k = sync_result_parse(json_string_value(json_object_get(r, "result")))))
			atomic_fetch_add(&ops[k], 1);
	}
}

void central_metrics_push(int64_t us)
{
	size_t i;

	for (i = 0; i < N_BOUNDS; i++)
		if (us <= (int64_t)bounds_ms[i] * 1000)
			atomic_fetch_add(&push_bucket[i], 1);
	atomic_fetch_add(&push_count, 1);
	atomic_fetch_add(&push_sum_us, (unsigned long long)(us > 0 ? us : 0));
}

void central_metrics_db_error(void)
{
	atomic_fetch_add(&db_errors, 1);
}

static void head(ds_buf *b, const char *name, const char *type, const char *help)
{
	ds_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_requests(ds_buf *b)
{
	unsigned long long n;
	size_t e, st;

	head(b, "dossync_central_requests_total", "counter",
	     "HTTP requests answered, by endpoint and status.");
	for (e = 0; e < N_ENDPOINTS; e++)
		for (st = 100; st < N_STATUS; st++)
			if ((n = atomic_load(&requests[e][st])))
				ds_buf_printf(b,
				              "dossync_central_requests_total{endpoint=\"%s\","
				              "status=\"%zu\"} %llu\n",
				              endpoints[e], st, n);
}

static void render_push(ds_buf *b)
{
	size_t i;

	head(b, "dossync_central_ops_total", "counter",
	     "Ops received in pushes, by the result of their receipt.");
	for (i = SYNC_APPLIED; i <= SYNC_REJECTED; i++)
		ds_buf_printf(b, "dossync_central_ops_total{result=\"%s\"} %llu\n",
		              sync_result_name((int)i), atomic_load(&ops[i]));
	head(b, "dossync_central_push_duration_seconds", "histogram",
	     "Time from a push's full body to its answer, commit included.");
	for (i = 0; i < N_BOUNDS; i++)
		ds_buf_printf(b, "dossync_central_push_duration_seconds_bucket{le=\"%g\"} %llu\n",
		              bounds_ms[i] / 1000.0, atomic_load(&push_bucket[i]));
	ds_buf_printf(b,
	              "dossync_central_push_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	              "dossync_central_push_duration_seconds_sum %.6f\n"
	              "dossync_central_push_duration_seconds_count %llu\n",
	              atomic_load(&push_count), atomic_load(&push_sum_us) / 1e6,
	              atomic_load(&push_count));
}

/* The node gauges, each family's samples together: name, help, and which member of a
 * node row it shows (last_contact is text, parsed to Unix time). */
static const struct {
	const char *name, *help, *member;
} node_gauges[] = {
    {"dossync_central_node_last_seq", "The last journal seq central holds of each node.",
     "last_seq"},
    {"dossync_central_node_last_contact_timestamp_seconds",
     "Unix time of each node's last request (written about once a second).", "last_contact"},
    {"dossync_central_node_pull_behind",
     "Feed changes visible to the node that remained after its last pull.", "pull_behind"},
};

/* A node row's value of member as a number; 0 when it has none. */
static int node_value(const json_t *row, const char *member, long long *out)
{
	const json_t *v = json_object_get(row, member);
	int64_t t = 0;
	int off = 0;

	*out = 0;
	if (json_is_integer(v))
		*out = json_integer_value(v);
	else if (json_is_string(v) && ds_time_parse(json_string_value(v), &t, &off) == 0)
		*out = t;
	else
		return 0;
	return 1;
}

/* Office "" (a province token's node) is labelled "province". */
static const char *office_of(const json_t *row)
{
	const char *office = json_string_value(json_object_get(row, "office"));

	return office && office[0] ? office : "province";
}

/* Node names and agency codes hold no character a label value would have to escape
 * (sync_node_ok, schema_agency_check). offices gets each office's latest contact. */
static void render_nodes(ds_buf *b, const json_t *nodes, json_t *offices)
{
	const json_t *row;
	long long v;
	size_t g, i;

	for (g = 0; g < DS_ARRAY_LEN(node_gauges); g++) {
		head(b, node_gauges[g].name, "gauge", node_gauges[g].help);
		json_array_foreach(nodes, i, row)
		{
			if (!node_value(row, node_gauges[g].member, &v))
				continue;
			ds_buf_printf(b, "%s{office=\"%s\",node=\"%s\"} %lld\n",
			              node_gauges[g].name, office_of(row),
			              json_string_value(json_object_get(row, "node")), v);
			if (g == 1 &&
			    v > json_integer_value(json_object_get(offices, office_of(row))))
				json_object_set_new(offices, office_of(row), json_integer(v));
		}
	}
}

/* The gauges read from the database. */
static int render_store(central_store *s, ds_buf *b)
{
	json_t *nodes = NULL, *offices = json_object(), *t;
	const char *office;
	int64_t feed = 0;
	int rc;

	if ((rc = central_feed_head(s, &feed)) || (rc = central_node_list(s, &nodes)))
		goto done;
	head(b, "dossync_central_feed_head", "gauge", "The cursor of the last feed row.");
	ds_buf_printf(b, "dossync_central_feed_head %lld\n", (long long)feed);
	render_nodes(b, nodes, offices);
	head(b, "dossync_central_office_last_contact_timestamp_seconds", "gauge",
	     "Unix time of the last request of any node of each office.");
	json_object_foreach(offices, office, t)
	{
		ds_buf_printf(
		    b,
		    "dossync_central_office_last_contact_timestamp_seconds{office=\"%s\"} "
		    "%lld\n",
		    office, (long long)json_integer_value(t));
	}
done:
	json_decref(nodes);
	json_decref(offices);
	return rc;
}

int central_metrics_render(central_store *s, ds_buf *out)
{
	int rc;

	render_requests(out);
	render_push(out);
	rc = render_store(s, out);
	if (rc)
		central_metrics_db_error();
	head(out, "dossync_central_db_errors_total", "counter",
	     "Requests and background writes that failed on the database.");
	ds_buf_printf(out, "dossync_central_db_errors_total %llu\n", atomic_load(&db_errors));
	return rc;
}
