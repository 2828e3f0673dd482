/* test_store.c: the agent store's typed accessors (agent/stmt.c, agent/journal.c,
 * agent/change.c) on a store in a scratch folder: journal append and read, receipts and
 * the one definition of pending, the sync state, dossier rows, the inbox, and the
 * statement cache's own checks; the writer lock's waiter flag and a holder that steps
 * aside for it (agent/store.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <unistd.h>

#include "tests/agent/fixture.h"

#define CODE "000.00.12.H22-240414-0001"
#define WHEN "2024-04-14T07:00:00+07:00"

typedef store_fx fx;

/* Appends patch op seq on CODE after the journal's last entry; its hash in hash. */
static void append(fx *f, int64_t seq, const char *parent, char hash[DS_SHA256_HEX])
{
	char prev[DS_SHA256_HEX], op_id[32];
	int64_t last = -1;
	json_t *op;

	assert_int_equal(journal_last(f->a, &last, prev), 0);
	assert_int_equal(last, seq - 1);
	snprintf(op_id, sizeof(op_id), "xa1:%lld", (long long)seq);
	op = json_pack("{s:I,s:s,s:s,s:s,s:{s:s},s:I,s:o,s:s,s:s}", "seq", (json_int_t)seq, "op_id",
	               op_id, "code", CODE, "kind", "patch", "payload", "note", "x", "base",
	               (json_int_t)0, "parent", parent ? json_string(parent) : json_null(), "actor",
	               "tester", "occurred_at", WHEN);
	assert_non_null(op);
	if (journal_insert(f->a, op, prev, hash))
		fail_msg("journal_insert: %s", ds_error_msg());
	json_decref(op);
}

static int64_t pending(fx *f)
{
	int64_t n = -1;

	assert_int_equal(agent_pending_ops(f->a, &n), 0);
	return n;
}

static int64_t first_pending(fx *f)
{
	int64_t seq = -1;

	assert_int_equal(journal_first_pending(f->a, &seq), 0);
	return seq;
}

/* What is appended reads back: the last entry, the list with its sync state, the chain. */
static void test_journal(void **state)
{
	fx *f = *state;
	char h1[DS_SHA256_HEX], h2[DS_SHA256_HEX], last[DS_SHA256_HEX];
	int64_t seq = -1, n = -1;
	json_t *list = NULL, *op;

	assert_int_equal(journal_last(f->a, &seq, last), 0);
	assert_int_equal(seq, 0);
	assert_string_equal(last, schema_genesis_hash);
	append(f, 1, NULL, h1);
	append(f, 2, "xa1:1", h2);
	assert_int_equal(journal_last(f->a, &seq, last), 0);
	assert_int_equal(seq, 2);
	assert_string_equal(last, h2);
	assert_int_equal(journal_max_seq(f->a, &seq), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(agent_journal(f->a, 1, &list), 0);
	assert_int_equal(json_array_size(list), 1);
	op = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(op, "op_id")), "xa1:2");
	assert_string_equal(json_string_value(json_object_get(op, "parent")), "xa1:1");
	assert_string_equal(json_string_value(json_object_get(op, "prev_hash")), h1);
	assert_string_equal(json_string_value(json_object_get(op, "hash")), h2);
	assert_string_equal(json_string_value(json_object_get(op, "sync")), "pending");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(op, "payload"), "note")), "x");
	json_decref(list);
	assert_int_equal(agent_verify_journal(f->a, &n), 0);
	assert_int_equal(n, 2);
}

/* Pending: the ops past the last receipt, the same for the count, the push's start and
 * the parent rule. */
static void test_pending(void **state)
{
	fx *f = *state;
	char h[DS_SHA256_HEX], *parent = NULL;
	json_t *list = NULL;
	int64_t n = -1;

	assert_int_equal(pending(f), 0);
	assert_int_equal(first_pending(f), 1);
	append(f, 1, NULL, h);
	append(f, 2, "xa1:1", h);
	assert_int_equal(pending(f), 2);
	assert_int_equal(journal_unacked_parent(f->a, CODE, &parent), 0);
	assert_string_equal(parent, "xa1:2");
	free(parent);
	assert_int_equal(journal_receipt_put(f->a, 1, "applied", 4, NULL, WHEN), 0);
	assert_int_equal(pending(f), 1);
	assert_int_equal(first_pending(f), 2);
	assert_int_equal(journal_receipt_put(f->a, 2, "conflict", 5, "stale base", WHEN), 0);
	assert_int_equal(pending(f), 0);
	assert_int_equal(first_pending(f), 3);
	assert_int_equal(journal_unacked_parent(f->a, CODE, &parent), 0);
	assert_null(parent);
	assert_int_equal(agent_unmerged(f->a, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(agent_journal(f->a, 0, &list), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "sync")),
	                    "applied");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "version")),
	                 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "reason")),
	                    "stale base");
	json_decref(list);
}

static void test_receipt_args(void **state)
{
	fx *f = *state;

	assert_int_equal(journal_receipt_put(f->a, 0, "applied", 1, NULL, WHEN), DS_EINVALID);
	assert_int_equal(journal_receipt_put(f->a, 1, NULL, 1, NULL, WHEN), DS_EINVALID);
	assert_int_equal(pending(f), 0);
	assert_int_equal(first_pending(f), 1);
}

static void test_sync_state(void **state)
{
	fx *f = *state;
	char *v = NULL;

	assert_int_equal(agent_state_get(f->a, "cursor", &v), 0);
	assert_null(v);
	assert_int_equal(agent_state_set(f->a, "cursor", "42"), 0);
	assert_int_equal(agent_state_get(f->a, "cursor", &v), 0);
	assert_string_equal(v, "42");
	free(v);
	assert_int_equal(agent_state_set(f->a, "cursor", NULL), 0);
	assert_int_equal(agent_state_get(f->a, "cursor", &v), 0);
	assert_null(v);
	assert_int_equal(agent_state_set(f->a, NULL, "1"), DS_EINVALID);
	assert_int_equal(agent_state_get(f->a, NULL, &v), DS_EINVALID);
}

/* A row saved reads back; version < 0 keeps the stored one. */
static void test_rows(void **state)
{
	fx *f = *state;
	json_t *d =
	    json_pack("{s:s,s:s,s:i}", "code", CODE, "agency", "000.00.12.H22", "status", 2);
	json_t *got = NULL;
	int64_t v = -1;

	assert_int_equal(agent_load(f->a, CODE, &got, &v), DS_ENOTFOUND);
	assert_null(got);
	assert_int_equal(agent_save(f->a, d, 7, 0), 0);
	assert_int_equal(agent_load(f->a, CODE, &got, &v), 0);
	assert_int_equal(v, 7);
	assert_true(json_equal(got, d));
	json_decref(got);
	json_object_set_new(d, "status", json_integer(4));
	assert_int_equal(agent_save(f->a, d, -1, 3), 0);
	assert_int_equal(agent_load(f->a, CODE, &got, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(json_integer_value(json_object_get(got, "status")), 4);
	json_decref(got);
	json_decref(d);
}

/* A settled dossier's row becomes the inbox's newest state; one with an op waiting stays. */
static void test_inbox(void **state)
{
	fx *f = *state;
	json_t *d =
	    json_pack("{s:s,s:s,s:i}", "code", CODE, "agency", "000.00.12.H22", "status", 1);
	json_t *got = NULL;
	char h[DS_SHA256_HEX], *err = NULL;
	int64_t v = -1;

	assert_int_equal(agent_save(f->a, d, 1, 0), 0);
	if (sqlite3_exec(agent_db(f->a),
	                 "INSERT INTO inbox(cursor, code, version, op_id, node, state, "
	                 "received_at) VALUES (1, '" CODE "', 2, 'central:1', 'central', "
	                 "'{\"agency\":\"000.00.12.H22\",\"code\":\"" CODE "\",\"status\":3}', "
	                 "'" WHEN "')",
	                 NULL, NULL, &err) != SQLITE_OK)
		fail_msg("inbox: %s", err);
	append(f, 1, NULL, h);
	assert_int_equal(agent_settle_from_inbox(f->a, CODE), 0);
	assert_int_equal(agent_load(f->a, CODE, &got, &v), 0);
	assert_int_equal(v, 1); /* an op waits: the row stays */
	json_decref(got);
	assert_int_equal(journal_receipt_put(f->a, 1, "applied", 2, NULL, WHEN), 0);
	assert_int_equal(agent_settle_from_inbox(f->a, CODE), 0);
	assert_int_equal(agent_load(f->a, CODE, &got, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(json_integer_value(json_object_get(got, "status")), 3);
	json_decref(got);
	json_decref(d);
}

/* The cache refuses an id it does not know and a statement still in use. */
static void test_stmt_cache(void **state)
{
	fx *f = *state;
	sqlite3_stmt *st = NULL, *again = NULL;

	assert_int_equal(agent_stmt_get(f->a, ST_COUNT, &st), DS_EINVALID);
	assert_null(st);
	assert_int_equal(agent_stmt_get(f->a, ST_JOURNAL_MAX, &st), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(agent_stmt_get(f->a, ST_JOURNAL_MAX, &again), DS_EINVALID);
	agent_stmt_put(st);
	assert_int_equal(agent_stmt_get(f->a, ST_JOURNAL_MAX, &again), 0);
	assert_ptr_equal(again, st);
	agent_stmt_put(again);
}

/* The receipt words parse to one enum; any other word is an error naming it. */
/* --actor is text like any other: stored NFC, refused when it is not UTF-8. */
static void test_actor_nfc(void **state)
{
	fx *f = *state;
	agent *b = NULL;

	assert_int_equal(agent_open(&b, f->dir, AGENT_READ, "Nguye\xcc\x82\xcc\x83n Lan"), 0);
	assert_string_equal(b->actor, "Nguy\xe1\xbb\x85n Lan");
	agent_close(b);
	b = NULL;
	assert_int_equal(agent_open(&b, f->dir, AGENT_READ, "bad \xff"), DS_EINVALID);
	assert_null(b);
	assert_non_null(strstr(ds_error_msg(), "--actor"));
}

static void test_result_parse(void **state)
{
	enum agent_result k = AGENT_APPLIED;

	(void)state;
	assert_int_equal(agent_result_parse(NULL, &k), 0);
	assert_int_equal(k, AGENT_PENDING);
	assert_int_equal(agent_result_parse("", &k), 0);
	assert_int_equal(k, AGENT_PENDING);
	assert_int_equal(agent_result_parse("duplicate", &k), 0);
	assert_int_equal(k, AGENT_DUPLICATE);
	assert_int_equal(agent_result_parse("superseded", &k), 0);
	assert_int_equal(k, AGENT_SUPERSEDED);
	assert_int_equal(agent_result_parse("Applied", &k), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "Applied"));
}

/* The local API's address: loopback only, with a port; the `http` setting likewise, and
 * it survives the config's round trip. The key: made by init, 0600, kept. */
static void test_http_setting(void **state)
{
	fx *f = *state;
	agent_config c;
	char key[65], again[65], *text;
	struct stat st;

	assert_int_equal(agent_http_addr_check("127.0.0.1:8080"), 0);
	assert_int_equal(agent_http_addr_check("127.1.2.3:0"), 0);
	assert_int_equal(agent_http_addr_check("[::1]:65535"), 0);
	assert_int_equal(agent_http_addr_check("0.0.0.0:8080"), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "not a loopback address"));
	assert_int_equal(agent_http_addr_check("192.168.1.5:80"), DS_EINVALID);
	assert_int_equal(agent_http_addr_check("127.0.0.1"), DS_EINVALID);
	assert_int_equal(agent_http_addr_check("127.0.0.1:65536"), DS_EINVALID);
	assert_int_equal(agent_http_addr_check("localhost:80"), DS_EINVALID);
	agent_config_init(&c);
	assert_int_equal(agent_config_parse(&c, "http = 10.0.0.1:80\n", "cfg"), DS_EINVALID);
	assert_int_equal(agent_config_parse(&c,
	                                    "office = 000.00.12.H22\nnode = n\ncentral = "
	                                    "http://x\nhttp = 127.0.0.1:8088\n",
	                                    "cfg"),
	                 0);
	text = agent_config_format(&c);
	assert_non_null(strstr(text, "http = 127.0.0.1:8088\n"));
	free(text);
	agent_config_release(&c);
	assert_int_equal(agent_api_key(f->dir, 0, key), 0);
	assert_int_equal((int)strlen(key), 64);
	assert_int_equal(agent_api_key(f->dir, 1, again), 0);
	assert_string_equal(key, again);
	text = ds_path_join(f->dir, "api.key");
	assert_int_equal(stat(text, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	chmod(text, 0644);
	assert_int_equal(agent_api_key(f->dir, 0, key), DS_EPERM);
	free(text);
}

/* A process waiting for the writer lock (no store of its own: only the lock) is seen
 * through lock.wait; the holder that yields commits what it has, the waiter gets the lock
 * and lets it go, and the holder goes on in a new transaction. */
static void test_lock_yield(void **state)
{
	fx *f = *state;
	char *got = ds_path_join(f->dir, "got"), *v = NULL;
	struct stat sb;
	int i, status = -1;
	pid_t pid;

	assert_int_equal(agent_lock(f->a, -1), 0);
	assert_int_equal(agent_lock_wanted(f->a), 0);
	assert_int_equal(ds_db_begin(agent_db(f->a)), 0);
	assert_int_equal(agent_state_set(f->a, "a", "1"), 0);
	assert_int_equal(agent_tx_yield(f->a), 0); /* nobody waits: nothing happens */
	assert_false(sqlite3_get_autocommit(agent_db(f->a)));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		agent w = {.dir = f->dir, .lock_fd = -1};
		int rc = agent_lock(&w, 5000);
		FILE *fp = rc ? NULL : fopen(got, "w");
		if (fp)
			fclose(fp);
		usleep(20 * 1000);
		agent_unlock(&w);
		_exit(rc || !fp ? 1 : 0);
	}
	for (i = 0; i < 3000 && !agent_lock_wanted(f->a); i++)
		usleep(1000);
	assert_int_equal(agent_lock_wanted(f->a), 1);
	assert_int_equal(stat(got, &sb), -1);
	assert_int_equal(agent_tx_yield(f->a), 0);
	assert_int_equal(stat(got, &sb), 0); /* the waiter had the lock in between */
	assert_true(f->a->lock_fd >= 0);
	assert_false(sqlite3_get_autocommit(agent_db(f->a)));
	assert_int_equal(agent_state_set(f->a, "c", "3"), 0);
	assert_int_equal(ds_db_commit(agent_db(f->a)), 0);
	agent_unlock(f->a);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(agent_state_get(f->a, "a", &v), 0);
	assert_string_equal(v, "1");
	free(v);
	assert_int_equal(agent_state_get(f->a, "c", &v), 0);
	assert_string_equal(v, "3");
	free(v);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_journal, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_http_setting, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_pending, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_receipt_args, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_sync_state, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_rows, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_inbox, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_stmt_cache, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_actor_nfc, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_lock_yield, fixture_setup, fixture_teardown),
	    cmocka_unit_test(test_result_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
