/* test_group.c: pushes written together by the server's group commit (several pushes
 * waiting for the writer go into one transaction, each in its own savepoint): every good
 * push gets its receipts, a refused one (gap, fork) leaves nothing behind and spoils none
 * of the others, and the same batch pushed twice at once is applied once. */
#include "central/central_int.h"
#include "tests/central/fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define GOOD 6   /* nodes pushing good batches */
#define ROUNDS 5 /* batches per good node */
#define PER 3    /* creates per batch */
#define THREADS (GOOD + 4)
#define FORKED "1111111111111111111111111111111111111111111111111111111111111111"

typedef struct pusher {
	pthread_t tid;
	central_store *s;
	const central_auth *a;
	json_t *docs[ROUNDS]; /* pushed in order; NULL ends */
	int rc[ROUNDS];
	int64_t expected[ROUNDS];
	json_t *receipts[ROUNDS];
} pusher;

static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static central_group group = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL, NULL, NULL};

static void *run(void *arg)
{
	pusher *p = arg;
	int i;

	for (i = 0; i < ROUNDS && p->docs[i]; i++)
		p->rc[i] = central_push(p->s, p->a, p->docs[i], &p->receipts[i], &p->expected[i]);
	return NULL;
}

/* The batches of node k: ROUNDS batches of PER creates, chained from genesis. */
static void good_docs(pusher *p, int k)
{
	char node[16], code[64], prev[DS_SHA256_HEX], final[DS_SHA256_HEX];
	int r, j;

	snprintf(node, sizeof(node), "g%d", k);
	snprintf(prev, sizeof(prev), "%s", schema_genesis_hash);
	for (r = 0; r < ROUNDS; r++) {
		json_t *ops = json_array();

		for (j = 0; j < PER; j++) {
			snprintf(code, sizeof(code), AG1 "-240414-%04d", 1 + k * 100 + r * PER + j);
			json_array_append_new(
			    ops, fx_op(code, "create", fx_dossier(code, AG1), 0, NULL));
		}
		p->docs[r] = fx_push_doc(node, 1 + r * PER, prev, ops, final);
		snprintf(prev, sizeof(prev), "%s", final);
	}
}

static json_t *one_create(const char *node, int64_t first_seq, const char *prev, int n)
{
	char code[64], final[DS_SHA256_HEX];
	json_t *ops = json_array();

	snprintf(code, sizeof(code), AG1 "-240414-%04d", n);
	json_array_append_new(ops, fx_op(code, "create", fx_dossier(code, AG1), 0, NULL));
	return fx_push_doc(node, first_seq, prev, ops, final);
}

static void start(fx *f, pusher *p)
{
	assert_int_equal(central_store_open(&p->s, f->path, 0), 0);
	p->s->write_lock = &write_lock;
	p->s->group = &group;
	assert_int_equal(pthread_create(&p->tid, NULL, run, p), 0);
}

static void release(pusher *p)
{
	int i;

	central_store_free(p->s);
	for (i = 0; i < ROUNDS; i++) {
		json_decref(p->docs[i]);
		json_decref(p->receipts[i]);
	}
}

static int count_where(fx *f, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int n;

	assert_int_equal(ds_db_prepare(central_store_db(f->s), sql, &st), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_group_commit(void **state)
{
	fx *f = *state;
	static pusher p[THREADS];
	int k, i, j, applied = 0;

	memset(p, 0, sizeof(p));
	for (k = 0; k < GOOD; k++) {
		p[k].a = &f->office1;
		good_docs(&p[k], k);
	}
	/* a gap, a fork, and the same batch twice at once (two connections of node twin) */
	p[GOOD].a = &f->office1;
	p[GOOD].docs[0] = one_create("gap", 2, schema_genesis_hash, 901);
	p[GOOD + 1].a = &f->office1;
	p[GOOD + 1].docs[0] = one_create("fork", 1, schema_genesis_hash, 902);
	json_object_set_new(p[GOOD + 1].docs[0], "prev_hash", json_string(FORKED));
	for (k = GOOD + 2; k < THREADS; k++) {
		p[k].a = &f->office1;
		p[k].docs[0] = one_create("twin", 1, schema_genesis_hash, 903);
	}
	for (k = 0; k < THREADS; k++)
		start(f, &p[k]);
	for (k = 0; k < THREADS; k++)
		pthread_join(p[k].tid, NULL);
	for (k = 0; k < GOOD; k++) {
		for (i = 0; i < ROUNDS; i++) {
			assert_int_equal(p[k].rc[i], 0);
			assert_int_equal(json_array_size(p[k].receipts[i]), PER);
			for (j = 0; j < PER; j++)
				assert_string_equal(fx_result(p[k].receipts[i], (size_t)j),
				                    "applied");
		}
	}
	assert_int_equal(p[GOOD].rc[0], DS_ECONFLICT);
	assert_int_equal(p[GOOD].expected[0], 1);
	assert_int_equal(p[GOOD + 1].rc[0], DS_ECONFLICT);
	assert_int_equal(p[GOOD + 1].expected[0], 1);
	assert_int_equal(count_where(f, "SELECT count(*) FROM nodes WHERE node IN ('gap', 'fork')"),
	                 0);
	for (k = GOOD + 2; k < THREADS; k++) {
		assert_int_equal(p[k].rc[0], 0);
		applied += strcmp(fx_result(p[k].receipts[0], 0), "applied") == 0;
		assert_true(strcmp(fx_result(p[k].receipts[0], 0), "applied") == 0 ||
		            strcmp(fx_result(p[k].receipts[0], 0), "duplicate") == 0);
		assert_int_equal(fx_version(p[k].receipts[0], 0), 1);
	}
	assert_int_equal(applied, 1);
	assert_int_equal(fx_count(f, "ops"), GOOD * ROUNDS * PER + 1);
	assert_int_equal(fx_count(f, "dossiers"), GOOD * ROUNDS * PER + 1);
	assert_int_equal(fx_count(f, "feed"), GOOD * ROUNDS * PER + 1);
	for (k = 0; k < THREADS; k++)
		release(&p[k]);
	assert_non_null(group.writer); /* the writes went through the group's own connection */
	central_store_free(group.writer);
	group.writer = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_group_commit, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
