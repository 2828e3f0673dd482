/* fixture.c: see fixture.h. */
#include "tests/central/fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void add_token(fx *f, const char *agency, const char *role, central_auth *a)
{
	char token[CENTRAL_TOKEN_LEN];

	assert_int_equal(central_token_add(f->s, agency, role, token), 0);
	assert_int_equal(central_token_verify(f->s, token, a), 0);
}

int fx_setup(void **state)
{
	fx *f = ds_calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/dscentral-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = ds_path_join(f->dir, "central.db");
	assert_int_equal(central_store_open(&f->s, f->path, 1), 0);
	add_token(f, AG1, "office", &f->office1);
	add_token(f, AG2, "office", &f->office2);
	add_token(f, AG1, "province", &f->province);
	f->next_seq = 1;
	snprintf(f->head, sizeof(f->head), "%s", schema_genesis_hash);
	*state = f;
	return 0;
}

int fx_teardown(void **state)
{
	fx *f = *state;
	char *cmd = ds_asprintf("rm -rf '%s'", f->dir);

	central_store_free(f->s);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->path);
	free(f);
	return 0;
}

json_t *fx_dossier(const char *code, const char *agency)
{
	json_error_t e;
	json_t *d = json_loads(
	    "{\"procedure\": {\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\"},"
	    " \"field\": \"HT\", \"channel\": 1,"
	    " \"applicant\": {\"name\": \"Phạm Ngọc Giang\", \"id_number\": \"068337861984\","
	    "                 \"phone\": \"0963060905\"},"
	    " \"summary\": \"Đăng ký khai sinh cho con\","
	    " \"received_at\": \"2024-04-14T07:00:00+07:00\","
	    " \"due_at\": \"2024-04-16T17:00:00+07:00\", \"status\": 2}",
	    0, &e);

	assert_non_null(d);
	json_object_set_new(d, "code", json_string(code));
	json_object_set_new(d, "agency", json_string(agency));
	return d;
}

json_t *fx_op(const char *code, const char *kind, json_t *payload, int64_t base, const char *parent)
{
	return json_pack("{s:s, s:s, s:o, s:I, s:s?, s:s, s:s}", "code", code, "kind", kind,
	                 "payload", payload, "base", (json_int_t)base, "parent", parent, "actor",
	                 "lan", "occurred_at", "2024-04-14T08:00:00+07:00");
}

json_t *fx_push_doc(const char *node, int64_t first_seq, const char *prev, json_t *ops,
                    char final[DS_SHA256_HEX])
{
	char cur[DS_SHA256_HEX], id[128];
	json_t *op;
	size_t i;

	snprintf(cur, sizeof(cur), "%s", prev);
	json_array_foreach(ops, i, op)
	{
		snprintf(id, sizeof(id), "%s:%lld", node, (long long)first_seq + (long long)i);
		json_object_set_new(op, "seq", json_integer(first_seq + (json_int_t)i));
		json_object_set_new(op, "op_id", json_string(id));
		assert_int_equal(schema_op_hash(cur, op, final), 0);
		snprintf(cur, sizeof(cur), "%s", final);
	}
	return json_pack("{s:s, s:I, s:s, s:s, s:o}", "node", node, "first_seq",
	                 (json_int_t)first_seq, "prev_hash", prev, "hash", final, "ops", ops);
}

int fx_push(fx *f, const central_auth *a, const char *node, json_t *ops, json_t **receipts,
            int64_t *expected)
{
	int xa1 = strcmp(node, "xa1") == 0, rc;
	size_t n = json_array_size(ops);
	char final[DS_SHA256_HEX];
	json_t *doc = fx_push_doc(node, xa1 ? f->next_seq : 1, xa1 ? f->head : schema_genesis_hash,
	                          ops, final);

	rc = central_push(f->s, a, doc, receipts, expected);
	if (rc == 0 && xa1) {
		f->next_seq += (int64_t)n;
		snprintf(f->head, sizeof(f->head), "%s", final);
	}
	json_decref(doc);
	return rc;
}

const char *fx_result(const json_t *receipts, size_t i)
{
	return json_string_value(json_object_get(json_array_get(receipts, i), "result"));
}

int64_t fx_version(const json_t *receipts, size_t i)
{
	return json_integer_value(json_object_get(json_array_get(receipts, i), "version"));
}

const char *fx_reason(const json_t *receipts, size_t i)
{
	const char *r = json_string_value(json_object_get(json_array_get(receipts, i), "reason"));

	return r ? r : "";
}

int fx_count(fx *f, const char *table)
{
	char *sql = ds_asprintf("SELECT count(*) FROM %s", table);
	sqlite3_stmt *st = NULL;
	int n;

	assert_int_equal(ds_db_prepare(central_store_db(f->s), sql, &st), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	free(sql);
	return n;
}

int64_t fx_dossier_version(fx *f, const char *code)
{
	json_t *d = NULL;
	int64_t v = 0;

	if (central_dossier_get(f->s, NULL, code, &d) == 0)
		v = json_integer_value(json_object_get(d, "version"));
	json_decref(d);
	return v;
}
