/* bench_agent.c: in-process agent benchmarks that the CLI cannot time alone. Each mode
 * prints one JSON object on stdout (docs/BENCHMARKS.md):
 *   changes DIR N   a fresh store, one dossier, then N durable agent_update calls on it
 *   update4 DIR M   4 fields changed in each of the first M dossiers (by code), one
 *                   durable change per dossier
 *   phases DIR      one sync round split into push, pull and reconcile, each timed
 *   catchup DIR     push and pull a backlog without the history, then time the history
 *                   catch-up alone (dossiers per second, CPU seconds)
 *   clerk DIR STOP  until the file STOP exists, a change due every 100 ms: open the store
 *                   for writing (waiting for the writer lock), change one field of the
 *                   first dossier, close; the wait of each due change for the lock and each
 *                   whole change timed, p50/p99/max
 *   find DIR        list --search through agent_find_list on the store's dossiers: a
 *                   full name, a broad name with --limit 50, CCCD, phone and code
 *                   fragments of the dossier in the middle (by code); median and worst
 *                   of 15 runs each
 */
#include "agent/agent_int.h"
#include "sync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The peak resident set of this process so far, in KiB. */
static long peak_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* The q-quantile (0..1) of n sorted values, nearest rank. */
static double quantile(const double *v, long n, double q)
{
	long i = (long)(q * (double)n + 0.999999) - 1;

	return n ? v[i < 0 ? 0 : i >= n ? n - 1 : i] : 0;
}

static const char dossier_json[] =
    "{\"procedure\": {\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\"},"
    " \"field\": \"HT\", \"channel\": 1,"
    " \"applicant\": {\"name\": \"Phạm Ngọc Giang\", \"id_number\": \"068337861984\","
    " \"phone\": \"0963060905\", \"address\": \"Số 239, đường Nguyễn Huệ, Vinh, Nghệ An\"},"
    " \"summary\": \"Đăng ký khai sinh cho con\","
    " \"received_at\": \"2025-11-29T07:00:00+07:00\","
    " \"due_at\": \"2025-12-01T17:00:00+07:00\", \"status\": 2}";

static int fresh_store(const char *dir, agent **out)
{
	agent_config cfg;
	int rc;

	agent_config_init(&cfg);
	cfg.office = ds_strdup("000.00.12.H22");
	cfg.node = ds_strdup("bench1");
	cfg.central = ds_strdup("http://127.0.0.1:9");
	rc = agent_init_dir(dir, &cfg);
	agent_config_release(&cfg);
	return rc ? rc : agent_open(out, dir, AGENT_WRITE, "bench");
}

static int bench_changes(const char *dir, long n)
{
	json_t *d = NULL, *patch = NULL;
	double *lat = ds_calloc((size_t)n + 1, sizeof(double)), t0, t;
	agent *a = NULL;
	char *code = NULL, phone[16];
	long i;
	int rc;

	if ((rc = fresh_store(dir, &a)) ||
	    (rc = ds_json_parse(dossier_json, strlen(dossier_json), &d)) ||
	    (rc = agent_create(a, d, &code)))
		goto done;
	t0 = now_s();
	for (i = 0; i < n && !rc; i++) {
		snprintf(phone, sizeof(phone), "09%08ld", i % 100000000);
		patch = json_pack("{s:{s:s}}", "applicant", "phone", phone);
		t = now_s();
		rc = agent_update(a, code, patch);
		lat[i] = (now_s() - t) * 1000;
		json_decref(patch);
	}
	if (!rc) {
		double s = now_s() - t0;
		qsort(lat, (size_t)n, sizeof(double), cmp_double);
		printf("{\"changes\":%ld,\"seconds\":%.3f,\"per_s\":%.1f,\"p50_ms\":%.3f,"
		       "\"p99_ms\":%.3f}\n",
		       n, s, (double)n / s, quantile(lat, n, 0.5), quantile(lat, n, 0.99));
	}
done:
	json_decref(d);
	free(code);
	free(lat);
	agent_close(a);
	return rc;
}

/* The codes of the first m dossiers by code. */
static int first_codes(agent *a, long m, json_t **codes)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*codes = json_array();
	if ((rc = ds_db_prepare(agent_db(a), "SELECT code FROM dossiers ORDER BY code LIMIT ?",
	                        &st)))
		return rc;
	sqlite3_bind_int64(st, 1, m);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(*codes,
		                      json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	return 0;
}

static int bench_update4(const char *dir, long m)
{
	json_t *codes = NULL, *patch;
	agent *a = NULL;
	char phone[16], email[64], summary[96], addr[96];
	double t0;
	size_t i;
	int rc;

	if ((rc = agent_open(&a, dir, AGENT_WRITE, "bench")) || (rc = first_codes(a, m, &codes)))
		goto done;
	t0 = now_s();
	for (i = 0; i < json_array_size(codes) && !rc; i++) {
		snprintf(phone, sizeof(phone), "09%08zu", i % 100000000);
		snprintf(email, sizeof(email), "congdan%zu@example.vn", i);
		snprintf(summary, sizeof(summary), "Hồ sơ bổ sung lần %zu", i);
		snprintf(addr, sizeof(addr), "Số %zu, đường Lê Lợi, Xã Nghi Phú, Nghệ An", i + 1);
		patch = json_pack("{s:{s:s,s:s,s:s},s:s}", "applicant", "phone", phone, "email",
		                  email, "address", addr, "summary", summary);
		rc = agent_update(a, json_string_value(json_array_get(codes, i)), patch);
		json_decref(patch);
	}
	if (!rc)
		printf("{\"dossiers\":%zu,\"fields\":4,\"seconds\":%.3f}\n", json_array_size(codes),
		       now_s() - t0);
done:
	json_decref(codes);
	agent_close(a);
	return rc;
}

static int bench_phases(const char *dir)
{
	agent_sync_stats st;
	sync_client *c = NULL;
	const sync_counters *k;
	agent *a = NULL;
	double t0, t1, t2, t3;
	long k0, k1, k2;
	int rc;

	memset(&st, 0, sizeof(st));
	if ((rc = agent_open(&a, dir, AGENT_READ, "bench")) || (rc = agent_client_new(a, &c)))
		goto done;
	k0 = peak_kb();
	t0 = now_s();
	if ((rc = agent_push(a, c, &st)))
		goto done;
	t1 = now_s();
	k1 = peak_kb();
	if ((rc = agent_pull(a, c, &st)))
		goto done;
	t2 = now_s();
	k2 = peak_kb();
	if ((rc = agent_reconcile(a, &st)))
		goto done;
	t3 = now_s();
	k = sync_client_counters(c);
	printf("{\"push_s\":%.3f,\"pull_s\":%.3f,\"reconcile_s\":%.3f,\"peak_kb_open\":%ld,"
	       "\"peak_kb_push\":%ld,\"peak_kb_pull\":%ld,\"peak_kb_reconcile\":%ld,"
	       "\"pushed\":%lld,\"pulled\":%lld,\"requests\":%llu,\"bytes_up\":%llu,"
	       "\"bytes_down\":%llu}\n",
	       t1 - t0, t2 - t1, t3 - t2, k0, k1, k2, peak_kb(), (long long)st.pushed,
	       (long long)st.pulled, (unsigned long long)k->requests,
	       (unsigned long long)k->bytes_up, (unsigned long long)k->bytes_down);
done:
	sync_client_free(c);
	agent_close(a);
	return rc;
}

/* CPU seconds (user + system) of this process so far. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int count_dossiers(agent *a, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = ds_db_prepare(agent_db(a), "SELECT count(*) FROM dossiers", &st)))
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int bench_catchup(const char *dir)
{
	agent_sync_stats st;
	sync_client *c = NULL;
	agent *a = NULL;
	double t0, t1, t2, c2, t3, c3;
	int64_t n = 0;
	int rc;

	memset(&st, 0, sizeof(st));
	if ((rc = agent_open(&a, dir, AGENT_READ, "bench")) || (rc = agent_client_new(a, &c)))
		goto done;
	t0 = now_s();
	if ((rc = agent_push(a, c, &st)))
		goto done;
	t1 = now_s();
	/* The round's merge step leaves the mark the catch-up works towards. */
	if ((rc = agent_pull(a, c, &st)) || (rc = agent_reconcile(a, &st)) ||
	    (rc = count_dossiers(a, &n)))
		goto done;
	t2 = now_s();
	c2 = cpu_s();
	if ((rc = agent_history_catch_up(a)))
		goto done;
	t3 = now_s();
	c3 = cpu_s();
	printf("{\"dossiers\":%lld,\"seconds\":%.3f,\"cpu_s\":%.3f,\"per_s\":%.1f,"
	       "\"push_s\":%.3f,\"pull_s\":%.3f,\"peak_kb\":%ld}\n",
	       (long long)n, t3 - t2, c3 - c2, (double)n / (t3 - t2), t1 - t0, t2 - t1, peak_kb());
done:
	sync_client_free(c);
	agent_close(a);
	return rc;
}

/* One clerk's change (open for writing, update, close): *locked is when agent_open
 * returned holding the writer lock, *end when the store was closed again. */
static int clerk_change(const char *dir, const char *code, long i, double *locked, double *end)
{
	char phone[16];
	json_t *patch;
	agent *a = NULL;
	int rc;

	if ((rc = agent_open(&a, dir, AGENT_WRITE, "clerk")))
		return rc;
	*locked = now_s();
	snprintf(phone, sizeof(phone), "08%08ld", i % 100000000);
	patch = json_pack("{s:{s:s}}", "applicant", "phone", phone);
	rc = agent_update(a, code, patch);
	json_decref(patch);
	agent_close(a);
	*end = now_s();
	return rc;
}

static void print_quantiles(const char *name, double *v, long n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	printf("\"%s_p50_ms\":%.1f,\"%s_p99_ms\":%.1f,\"%s_max_ms\":%.1f", name,
	       quantile(v, n, 0.5), name, quantile(v, n, 0.99), name, n ? v[n - 1] : 0);
}

/* Open loop: a change is due every 100 ms. The wait of a due change is the time from
 * when it was due to when the clerk held the writer lock; changes that fall due while the
 * clerk waits are served by that lock (so a long hold counts once per 100 ms of it, not
 * once), those that fall due during the clerk's own change are skipped. */
static int clerk_loop(const char *dir, const char *code, const char *stop, double *wait, long *m,
                      double *all, long *n)
{
	enum { MAX = 100000 };
	double next = now_s(), t0, locked = 0, end = 0;
	int rc = 0;

	while (access(stop, F_OK) != 0 && *n < MAX && *m < MAX && !rc) {
		t0 = now_s();
		if (t0 < next)
			usleep((useconds_t)((next - t0) * 1e6));
		t0 = now_s();
		if ((rc = clerk_change(dir, code, *n, &locked, &end)))
			break;
		all[(*n)++] = (end - t0) * 1000;
		for (; next <= locked && *m < MAX; next += 0.1)
			wait[(*m)++] = (locked - next) * 1000;
		while (next <= end)
			next += 0.1;
	}
	return rc;
}

static int bench_clerk(const char *dir, const char *stop)
{
	double *wait = ds_calloc(100000, sizeof(double)), *all = ds_calloc(100000, sizeof(double));
	json_t *codes = NULL;
	agent *a = NULL;
	long n = 0, m = 0;
	int rc;

	setenv("DOSSYNC_LOCK_WAIT", "3600", 1); /* a clerk waits as long as it takes */
	if ((rc = agent_open(&a, dir, AGENT_READ, "clerk")) || (rc = first_codes(a, 1, &codes)))
		goto done;
	agent_close(a);
	a = NULL;
	if (json_array_size(codes) != 1) {
		rc = ds_error_set(DS_EINVALID, "%s holds no dossier", dir);
		goto done;
	}
	rc = clerk_loop(dir, json_string_value(json_array_get(codes, 0)), stop, wait, &m, all, &n);
	if (!rc) {
		printf("{\"changes\":%ld,\"due\":%ld,", n, m);
		print_quantiles("wait", wait, m);
		printf(",");
		print_quantiles("change", all, n);
		printf("}\n");
	}
done:
	json_decref(codes);
	agent_close(a);
	free(wait);
	free(all);
	return rc;
}

#define FIND_RUNS 15

/* Runs f FIND_RUNS times; prints "what": {text, rows, p50_ms, max_ms} (comma first when
 * not first). */
static int find_one(agent *a, const char *what, const agent_find *f, int first)
{
	double ms[FIND_RUNS], t0;
	json_t *list = NULL;
	size_t rows = 0;
	int i, rc = 0;

	for (i = 0; i < FIND_RUNS && !rc; i++) {
		t0 = now_s();
		rc = agent_find_list(a, f, &list);
		ms[i] = (now_s() - t0) * 1000;
		rows = json_array_size(list);
		json_decref(list);
		list = NULL;
	}
	if (rc)
		return rc;
	qsort(ms, FIND_RUNS, sizeof(ms[0]), cmp_double);
	printf("%s\"%s\":{\"text\":\"%s\",\"rows\":%zu,\"p50_ms\":%.3f,\"max_ms\":%.3f}",
	       first ? "" : ",", what, f->search ? f->search : "", rows,
	       quantile(ms, FIND_RUNS, 0.5), ms[FIND_RUNS - 1]);
	return 0;
}

/* The searches a clerk types, taken from the dossier in the middle by code. */
static int bench_find(const char *dir)
{
	json_t *codes = NULL, *d = NULL;
	agent *a = NULL;
	char *name = NULL, cccd[8] = "", phone[8] = "", code[16] = "";
	const char *id, *tel, *c;
	int64_t n = 0;
	int rc;

	if ((rc = agent_open(&a, dir, AGENT_READ, "bench")) ||
	    (rc = agent_query_int(a, ST_DOSSIER_COUNT, 0, &n)) ||
	    (rc = first_codes(a, n / 2 + 1, &codes)) ||
	    (rc = agent_load(a, json_string_value(json_array_get(codes, (size_t)n / 2)), &d, NULL)))
		goto done;
	id = json_string_value(json_object_get(json_object_get(d, "applicant"), "id_number"));
	tel = json_string_value(json_object_get(json_object_get(d, "applicant"), "phone"));
	c = json_string_value(json_object_get(d, "code"));
	if ((rc = ds_text_fold(
	         json_string_value(json_object_get(json_object_get(d, "applicant"), "name")),
	         &name)))
		goto done;
	snprintf(cccd, sizeof(cccd), "%.6s", id ? id + 3 : "000000");
	snprintf(phone, sizeof(phone), "%s", tel ? tel + strlen(tel) - 7 : "0000000");
	snprintf(code, sizeof(code), "%s", c + strlen(c) - 11);
	printf("{\"dossiers\":%lld,\"runs\":%d,\"queries\":{", (long long)n, FIND_RUNS);
	if (!(rc = find_one(a, "name", &(agent_find){.search = name}, 1)) &&
	    !(rc =
	          find_one(a, "name_limit50", &(agent_find){.search = "nguyen", .limit = 50}, 0)) &&
	    !(rc = find_one(a, "cccd", &(agent_find){.search = cccd}, 0)) &&
	    !(rc = find_one(a, "phone", &(agent_find){.search = phone}, 0)) &&
	    !(rc = find_one(a, "code", &(agent_find){.search = code}, 0)) &&
	    !(rc = find_one(a, "name_status", &(agent_find){.search = name, .status = 2}, 0)))
		printf("}}\n");
done:
	free(name);
	json_decref(d);
	json_decref(codes);
	agent_close(a);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc == 4 && !strcmp(argv[1], "changes"))
		rc = bench_changes(argv[2], atol(argv[3]));
	else if (argc == 4 && !strcmp(argv[1], "update4"))
		rc = bench_update4(argv[2], atol(argv[3]));
	else if (argc == 3 && !strcmp(argv[1], "phases"))
		rc = bench_phases(argv[2]);
	else if (argc == 3 && !strcmp(argv[1], "catchup"))
		rc = bench_catchup(argv[2]);
	else if (argc == 4 && !strcmp(argv[1], "clerk"))
		rc = bench_clerk(argv[2], argv[3]);
	else if (argc == 3 && !strcmp(argv[1], "find"))
		rc = bench_find(argv[2]);
	else {
		fprintf(stderr, "usage: bench_agent changes DIR N | update4 DIR M | phases DIR | "
		                "catchup DIR | clerk DIR STOPFILE | find DIR\n");
		return 64;
	}
	if (rc)
		fprintf(stderr, "bench_agent: %s\n", ds_error_msg());
	return rc ? ds_exit_code(rc) : 0;
}
