/* test_size.c: history.git stays packed and small. 1,000 single commits leave no loose
 * object; 2,000 dossiers of ~600 B created and then patched 2,000 times, committed in
 * rounds of 100, take at most twice the bytes of the journal entries that recorded them
 * and fewer than those once repacked; a round of 10 changes costs about the same with
 * 20,000 dossiers as with 2,000 (docs/HISTORY.md has the measured numbers). */
#include "fixture.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#define NDOSSIERS 2000
#define NPATCHES 2000
#define ROUND 100
#define PER_DAY 100       /* dossiers received a day, from 1 April 2024 */
#define CREATE_BATCH 2000 /* dossiers per batch when an office is set up for a measurement */
#define BENCH_ROUNDS 10
#define BENCH_CHANGES 10
#define DAY_S 86400

static uint64_t rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *pick(const char *const *v, size_t n)
{
	return v[rnd((unsigned)n)];
}
#define PICK(v) pick(v, DS_ARRAY_LEN(v))

static const char *const family[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng"};
static const char *const middle[] = {"Văn", "Thị", "Ngọc", "Hữu", "Minh", "Thu", "Đức"};
static const char *const given[] = {"An",   "Bình",  "Giang", "Hoa", "Khánh", "Lan",
                                    "Tuấn", "Phước", "Quyên", "Sơn", "Thảo",  "Yến"};
static const char *const street[] = {"Nguyễn Huệ",  "Lê Lợi",       "Trần Phú",
                                     "Quang Trung", "Hai Bà Trưng", "Phan Đình Phùng"};
static const struct {
	const char *code, *name, *field, *summary;
	int fee;
} procs[] = {
    {"1.001193", "Đăng ký khai sinh", "HT", "Đăng ký khai sinh cho con", 0},
    {"1.000894", "Đăng ký kết hôn", "HT", "Đăng ký kết hôn", 0},
    {"1.001022", "Chứng thực bản sao từ bản chính", "CT", "Chứng thực bản sao", 2000},
    {"1.004222", "Đăng ký thường trú", "CA", "Đăng ký thường trú tại địa phương", 15000},
    {"1.003583", "Cấp giấy xác nhận tình trạng hôn nhân", "HT", "Xác nhận độc thân", 0},
};

static char *person(void)
{
	return ds_asprintf("%s %s %s", PICK(family), PICK(middle), PICK(given));
}

/* Dossier i (~600 canonical bytes), received on day i / PER_DAY counted from 1 April 2024
 * (+07:00), due 30 days later. */
static json_t *make_dossier(int i)
{
	int seq = 1 + i % PER_DAY, p = (int)rnd(DS_ARRAY_LEN(procs)), y, m, dd;
	int64_t day = 0, at;
	char code[64], received[DS_TIME_LEN], due[DS_TIME_LEN], idn[16], phone[16];
	char *name = person(), *who = person(), *addr;
	json_t *d;

	if (ds_time_parse("2024-04-01T00:00:00+07:00", &day, NULL))
		fail_msg("time: %s", ds_error_msg());
	day += (int64_t)(i / PER_DAY) * DAY_S;
	ds_time_date(day, DS_TZ_VN, &y, &m, &dd);
	snprintf(code, sizeof(code), AGENCY1 "-%02d%02d%02d-%04d", y % 100, m, dd, seq);
	at = day + 3600 * (7 + (int64_t)rnd(9));
	at += 60 * (int64_t)rnd(60);
	ds_time_format(at, DS_TZ_VN, received);
	ds_time_format(day + 30 * DAY_S + 17 * 3600, DS_TZ_VN, due);
	snprintf(idn, sizeof(idn), "0%02u%09u", rnd(96), rnd(1000000000));
	snprintf(phone, sizeof(phone), "09%08u", rnd(100000000));
	addr = ds_asprintf("Số %u, đường %s, Phường %u, Vinh, Nghệ An", 1 + rnd(400), PICK(street),
	                   1 + rnd(20));
	d = json_pack(
	    "{ss ss s{ss ss} ss si s{ss ss ss ss ss} ss ss ss si"
	    " s[{ss ss ss si si sb}] s[{ss ss si sb}]"
	    " s[{ss ss ss ss ss ss si}]}",
	    "code", code, "agency", AGENCY1, "procedure", "code", procs[p].code, "name",
	    procs[p].name, "field", procs[p].field, "channel", 1 + (int)rnd(2), "applicant", "name",
	    name, "id_number", idn, "phone", phone, "email", "congdan@example.vn", "address", addr,
	    "summary", procs[p].summary, "received_at", received, "due_at", due, "status", 2,
	    "components", "id", "tp1", "code", "TK", "name", "Tờ khai theo mẫu", "originals", 1,
	    "copies", 0, "digitised", 1, "fees", "id", "lp1", "code", "LP", "amount", procs[p].fee,
	    "paid", 0, "progress", "id", "p0", "who", who, "role", "Cán bộ một cửa", "unit",
	    "Bộ phận một cửa", "when", received, "what", "Mới tiếp nhận", "status", 2);
	free(name);
	free(who);
	free(addr);
	if (!d || schema_dossier_validate(&d))
		fail_msg("generated dossier %d is invalid: %s", i, ds_error_msg());
	return d;
}

/* One realistic change to d: a step with its progress row, a fee paid, a new phone, a
 * deadline extension. */
static void patch_dossier(json_t **d, int n)
{
	char field[64], row[256], when[40];

	snprintf(when, sizeof(when), "2024-04-2%dT%02d:%02d:00+07:00", rnd(9), 7 + rnd(9), rnd(60));
	switch (rnd(4)) {
	case 0:
		snprintf(field, sizeof(field), "progress[s-xa1-%d]", n);
		snprintf(row, sizeof(row),
		         "{\"who\":\"Lê Thị Hoa\",\"role\":\"Chuyên viên\",\"unit\":\"Tư pháp\","
		         "\"when\":\"%s\",\"what\":\"Chuyển xử lý\",\"status\":4}",
		         when);
		set(d, field, row);
		set(d, "status", "4");
		break;
	case 1:
		set(d, "fees[lp1].paid", "true");
		snprintf(row, sizeof(row), "\"%s\"", when);
		set(d, "fees[lp1].paid_at", row);
		break;
	case 2:
		snprintf(row, sizeof(row), "\"09%08u\"", rnd(100000000));
		set(d, "applicant.phone", row);
		break;
	default:
		set(d, "original_due_at", "\"2024-05-30T17:00:00+07:00\"");
		snprintf(row, sizeof(row), "\"2024-06-%02dT17:00:00+07:00\"", 1 + rnd(28));
		set(d, "due_at", row);
	}
}

/* Canonical bytes of the journal entry that records a change (schema.h "ops"), with the
 * two hashes a journal row also holds. */
static size_t journal_bytes(const char *code, const char *kind, const json_t *payload, int seq)
{
	char *op_id = ds_asprintf("xa1:%d", seq), *text;
	json_t *op =
	    json_pack("{si ss ss ss sO si so ss ss ss ss}", "seq", seq, "op_id", op_id, "code",
	              code, "kind", kind, "payload", payload, "base", seq / 2, "parent",
	              json_null(), "actor", "lan", "occurred_at", "2024-04-14T07:00:00+07:00",
	              "prev_hash", schema_genesis_hash, "hash", schema_genesis_hash);
	size_t n = 0;

	ds_json_canonical(op, &text, &n);
	free(text);
	free(op_id);
	json_decref(op);
	return n;
}

static size_t count_files(const char *dir, int (*match)(const char *))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += match(e->d_name);
	closedir(d);
	return n;
}

static int is_file(const char *name)
{
	return name[0] != '.';
}

static int is_pack(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".pack") == 0;
}

/* Loose objects live in objects/XX/ (two hex digits). */
static size_t loose_objects(const char *repo)
{
	size_t n = 0;
	char sub[8];
	int i;

	for (i = 0; i < 256; i++) {
		char *dir;
		snprintf(sub, sizeof(sub), "%02x", i);
		dir = ds_asprintf("%s/objects/%s", repo, sub);
		n += count_files(dir, is_file);
		free(dir);
	}
	return n;
}

static size_t packs(const char *repo)
{
	char *dir = ds_asprintf("%s/objects/pack", repo);
	size_t n = count_files(dir, is_pack);

	free(dir);
	return n;
}

static double seconds(void)
{
	return (double)ds_clock_ms() / 1000.0;
}

static void no_loose_objects_after_1000_commits(void **state)
{
	char *dir = scratch_new(), *repo = ds_path_join(dir, "history.git");
	char *list = ds_path_join(repo, "dossync-packs");
	conflict_history *h = NULL;
	json_t *d[10], *changes = json_object(), *first, *got = NULL;
	char oid0[CONFLICT_OID_HEX];
	conflict_commit c = {.branch = "local", .changes = changes, .message = "change"};
	double t0 = seconds();
	int i;

	assert_int_equal(conflict_history_open(&h, repo), 0);
	for (i = 0; i < 10; i++)
		d[i] = make_dossier(i);
	first = json_deep_copy(d[0]);
	for (i = 0; i < 1000; i++) {
		json_t **x = &d[i % 10];
		if (i >= 10)
			patch_dossier(x, i);
		json_object_set(changes, code_of(*x), *x);
		if (conflict_history_commit(h, &c, i == 0 ? oid0 : NULL))
			fail_msg("commit %d: %s", i, ds_error_msg());
		json_object_clear(changes);
		if (i == 500) /* the pack list lost: the next consolidation is a full repack */
			assert_int_equal(unlink(list), 0);
	}
	print_message("1,000 commits in %.1f s: %zu loose objects, %zu packs\n", seconds() - t0,
	              loose_objects(repo), packs(repo));
	assert_int_equal(loose_objects(repo), 0);
	assert_in_range(packs(repo), 1, CONFLICT_HISTORY_MAX_PACKS + 1);
	/* Merged packs lost nothing: the oldest version reads back, git finds every object. */
	assert_int_equal(conflict_history_read(h, oid0, code_of(first), &got), 0);
	assert_true(ds_json_same(got, first));
	json_decref(got);
	git_fsck_ok(repo);
	for (i = 0; i < 10; i++) {
		assert_int_equal(conflict_history_read(h, "local", code_of(d[i]), &got), 0);
		assert_true(ds_json_same(got, d[i]));
		json_decref(got);
		json_decref(d[i]);
	}
	json_decref(first);
	json_decref(changes);
	conflict_history_free(h);
	free(list);
	free(repo);
	scratch_remove(dir);
}

/* Commits the changes of one round as one batch. */
static void commit_round(conflict_history *h, json_t *changes, int round)
{
	char msg[64];
	conflict_commit c = {.branch = "local", .changes = changes, .message = msg, .node = "xa1"};

	snprintf(msg, sizeof(msg), "sync round %d", round);
	assert_int_equal(conflict_history_begin(h), 0);
	if (conflict_history_commit(h, &c, NULL))
		fail_msg("round %d: %s", round, ds_error_msg());
	assert_int_equal(conflict_history_flush(h), 0);
	json_object_clear(changes);
}

static void size_within_twice_the_journal(void **state)
{
	char *dir = scratch_new(), *repo = ds_path_join(dir, "history.git");
	conflict_history *h = NULL;
	json_t *all[NDOSSIERS], *changes = json_object();
	size_t journal = 0, payload = 0, n;
	uint64_t size = 0, packed = 0;
	double t0 = seconds();
	char *text;
	int i, seq = 0;

	assert_int_equal(conflict_history_open(&h, repo), 0);
	for (i = 0; i < NDOSSIERS; i++) {
		const char *code;
		all[i] = make_dossier(i);
		code = code_of(all[i]);
		ds_json_canonical(all[i], &text, &n);
		free(text);
		payload += n;
		journal += journal_bytes(code, "create", all[i], ++seq);
		json_object_set(changes, code, all[i]);
		if ((i + 1) % ROUND == 0)
			commit_round(h, changes, seq / ROUND);
	}
	for (i = 0; i < NPATCHES; i++) {
		json_t **d = &all[rnd(NDOSSIERS)], *before = json_deep_copy(*d), *diff = NULL;
		const char *code = code_of(*d);
		patch_dossier(d, i);
		assert_int_equal(ds_json_diff(before, *d, &diff), 0);
		ds_json_canonical(diff, &text, &n);
		free(text);
		payload += n;
		journal += journal_bytes(code, "patch", diff, ++seq);
		json_object_set(changes, code, *d);
		if ((i + 1) % ROUND == 0)
			commit_round(h, changes, seq / ROUND);
		json_decref(before);
		json_decref(diff);
	}
	assert_int_equal(conflict_history_size(h, &size), 0);
	print_message("%d dossiers + %d patches in %.1f s: history.git %llu bytes (%zu packs), "
	              "journal entries %zu bytes (payloads alone %zu): %.2f x the journal, "
	              "%.2f x the payloads\n",
	              NDOSSIERS, NPATCHES, seconds() - t0, (unsigned long long)size, packs(repo),
	              journal, payload, (double)size / (double)journal,
	              (double)size / (double)payload);
	assert_int_equal(loose_objects(repo), 0);
	assert_true(size <= 2 * (uint64_t)journal);
	/* Consolidated into one pack, it is smaller still. */
	assert_int_equal(conflict_history_repack(h), 0);
	assert_int_equal(conflict_history_size(h, &packed), 0);
	print_message("after conflict_history_repack: %llu bytes (%.2f x the journal)\n",
	              (unsigned long long)packed, (double)packed / (double)journal);
	assert_true(packed <= size);
	/* ... and below the journal: the versions of a folder are stored as deltas of each
	 * other (docs/HISTORY.md, "Packing": without tree names 1.21 x, with them 0.89 x). */
	assert_true(packed < (uint64_t)journal);
	assert_int_equal(packs(repo), 1);
	for (i = 0; i < NDOSSIERS; i += 97) {
		json_t *got = NULL;
		assert_int_equal(conflict_history_read(h, "local", code_of(all[i]), &got), 0);
		assert_true(ds_json_same(got, all[i]));
		json_decref(got);
	}
	git_fsck_ok(repo);
	for (i = 0; i < NDOSSIERS; i++)
		json_decref(all[i]);
	json_decref(changes);
	conflict_history_free(h);
	free(repo);
	scratch_remove(dir);
}

typedef struct round_cost {
	double bytes;  /* mean bytes a round adds to history.git */
	double ms;     /* mean time of a round: commit and flush (pack, fsync, refs) */
	double cpu_ms; /* mean CPU time of a round (the rest is waiting for the disk) */
	double max_ms; /* the slowest round */
} round_cost;

static double now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Sets up an office holding n dossiers (PER_DAY a day), then commits BENCH_ROUNDS rounds
 * of BENCH_CHANGES patches to dossiers picked at random, one batch each, and measures
 * what a round costs. No pack consolidation runs during the measured rounds. */
static round_cost measure_rounds(int n)
{
	char *dir = scratch_new(), *repo = ds_path_join(dir, "history.git");
	conflict_history *h = NULL;
	json_t **all = ds_calloc((size_t)n, sizeof(*all)), *changes = json_object(), *got = NULL;
	json_t **last = NULL;
	round_cost rc = {0, 0, 0, 0};
	uint64_t before, after;
	size_t np;
	int i, r;

	assert_int_equal(conflict_history_open(&h, repo), 0);
	for (i = 0; i < n; i++) {
		all[i] = make_dossier(i);
		json_object_set(changes, code_of(all[i]), all[i]);
		if ((i + 1) % CREATE_BATCH == 0 || i + 1 == n)
			commit_round(h, changes, i / CREATE_BATCH);
	}
	np = packs(repo);
	assert_in_range(np + BENCH_ROUNDS, 1, CONFLICT_HISTORY_MAX_PACKS);
	for (r = 0; r < BENCH_ROUNDS; r++) {
		double t0, cpu0, ms;
		assert_int_equal(conflict_history_size(h, &before), 0);
		for (i = 0; i < BENCH_CHANGES; i++) {
			last = &all[rnd((unsigned)n)];
			patch_dossier(last, NPATCHES + r * BENCH_CHANGES + i);
			json_object_set(changes, code_of(*last), *last);
		}
		t0 = now_ms(CLOCK_MONOTONIC);
		cpu0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		commit_round(h, changes, 1000 + r);
		ms = now_ms(CLOCK_MONOTONIC) - t0;
		rc.cpu_ms += (now_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / BENCH_ROUNDS;
		assert_int_equal(conflict_history_size(h, &after), 0);
		rc.bytes += (double)(after - before) / BENCH_ROUNDS;
		rc.ms += ms / BENCH_ROUNDS;
		if (ms > rc.max_ms)
			rc.max_ms = ms;
	}
	assert_int_equal(packs(repo), np + BENCH_ROUNDS);
	assert_int_equal(conflict_history_read(h, "local", code_of(*last), &got), 0);
	assert_true(ds_json_same(got, *last));
	json_decref(got);
	print_message("%6d dossiers: a round of %d changes adds %.1f KB in %.0f ms (%.1f ms CPU, "
	              "slowest %.0f ms)\n",
	              n, BENCH_CHANGES, rc.bytes / 1000.0, rc.ms, rc.cpu_ms, rc.max_ms);
	for (i = 0; i < n; i++)
		json_decref(all[i]);
	free(all);
	json_decref(changes);
	conflict_history_free(h);
	free(repo);
	scratch_remove(dir);
	return rc;
}

/* A commit rewrites the trees of the days it touches, not a folder of every dossier: ten
 * times the dossiers cost a round less than twice the bytes. */
static void round_cost_bounded_by_the_day(void **state)
{
	round_cost small = measure_rounds(NDOSSIERS), big = measure_rounds(10 * NDOSSIERS);

	assert_true(small.bytes > 0);
	assert_true(big.bytes < 2 * small.bytes);
}

/* The biggest pack file in repo, in bytes. */
static off_t biggest_pack(const char *repo)
{
	char *dir = ds_asprintf("%s/objects/pack", repo);
	DIR *d = opendir(dir);
	struct dirent *e;
	off_t max = 0;

	while (d && (e = readdir(d))) {
		struct stat st;
		char *path = ds_asprintf("%s/%s", dir, e->d_name);
		if (is_pack(e->d_name) && stat(path, &st) == 0 && st.st_size > max)
			max = st.st_size;
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	return max;
}

/* A merge never makes a pack bigger than CONFLICT_HISTORY_MERGE_CAP (so its memory is
 * bounded however big history grows), and a lost pack list with more than a cap of
 * history is not answered by a full repack: the packs it does not know stay as they are,
 * recorded without heads, and nothing is lost. */
static void merges_stay_within_the_cap(void **state)
{
	char *dir = scratch_new(), *repo = ds_path_join(dir, "history.git");
	char *list = ds_path_join(repo, "dossync-packs");
	conflict_history *h = NULL;
	json_t *first = make_dossier(0), *last = NULL, *changes = json_object(), *got = NULL;
	uint64_t size = 0;
	ds_buf text = DS_BUF_INIT;
	int i;

	(void)state;
	assert_int_equal(conflict_history_open(&h, repo), 0);
	for (i = 0; i < 2 * NDOSSIERS; i++) {
		json_t *d = i ? make_dossier(i) : json_incref(first);
		json_object_set_new(changes, code_of(d), d);
		if ((i + 1) % ROUND == 0)
			commit_round(h, changes, i / ROUND);
	}
	assert_int_equal(conflict_history_size(h, &size), 0);
	print_message("%d dossiers: %llu bytes in %zu packs, the biggest %lld\n", 2 * NDOSSIERS,
	              (unsigned long long)size, packs(repo), (long long)biggest_pack(repo));
	assert_true(size > 2 * CONFLICT_HISTORY_MERGE_CAP);
	/* The cap bounds what goes in; deltas found anew may differ by a little. */
	assert_true(biggest_pack(repo) <=
	            CONFLICT_HISTORY_MERGE_CAP + CONFLICT_HISTORY_MERGE_CAP / 8);
	assert_true(packs(repo) >= 3);
	/* The list lost: five more rounds, no full repack, every dossier still reads. */
	assert_int_equal(unlink(list), 0);
	for (i = 2 * NDOSSIERS; i < 2 * NDOSSIERS + 5 * ROUND; i++) {
		json_decref(last);
		last = make_dossier(i);
		json_object_set(changes, code_of(last), last);
		if ((i + 1) % ROUND == 0)
			commit_round(h, changes, i / ROUND);
	}
	assert_int_equal(ds_file_read(list, 1 << 20, &text), 0);
	assert_non_null(strstr(text.ptr, "\"heads\":null"));
	assert_true(biggest_pack(repo) <=
	            CONFLICT_HISTORY_MERGE_CAP + CONFLICT_HISTORY_MERGE_CAP / 8);
	assert_int_equal(conflict_history_read(h, "local", code_of(first), &got), 0);
	assert_true(ds_json_same(got, first));
	json_decref(got);
	assert_int_equal(conflict_history_read(h, "local", code_of(last), &got), 0);
	assert_true(ds_json_same(got, last));
	json_decref(got);
	git_fsck_ok(repo);
	ds_buf_release(&text);
	json_decref(first);
	json_decref(last);
	json_decref(changes);
	conflict_history_free(h);
	free(list);
	free(repo);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(no_loose_objects_after_1000_commits),
	    cmocka_unit_test(size_within_twice_the_journal),
	    cmocka_unit_test(round_cost_bounded_by_the_day),
	    cmocka_unit_test(merges_stay_within_the_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
