/* test_upload.c: attachments in the sync round against a fake central (agent/upload.c).
 * The fake keeps each file's bytes as central would (appended only at the length held),
 * answers pushes with `applied` and pulls with nothing, and can cut a chunk after part of
 * it arrived, refuse a file, or let a clerk change a dossier while a chunk is on its way.
 * Each test checks what central holds, what was sent, and in which order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/agent/fixture.h"

#define DOSSIER                                                                                    \
	"{\"procedure\": {\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\"},"            \
	" \"applicant\": {\"name\": \"Phạm Ngọc Giang\"},"                                     \
	" \"received_at\": \"2024-04-14T07:00:00+07:00\","                                         \
	" \"due_at\": \"2024-04-16T17:00:00+07:00\"}"
#define SCAN_BYTES 300000

typedef struct fake {
	agent *a;
	ds_buf held; /* central's bytes of the one file */
	int complete;
	int64_t sent;       /* chunk bytes the agent put on the wire */
	int pushes, puts;   /* calls so far */
	int first_put_push; /* pushes made before the first put */
	int cut_put;        /* this put (1-based) is cut after half its bytes arrived */
	int refuse;         /* every put is refused: DS_ENOSPC (507) */
	const char *clerk;  /* during the first put, a clerk updates this dossier */
	int push_after_clerk;
} fake;

static int f_push(void *ctx, const ds_buf *body, json_t **receipts, int64_t *expected,
                  sync_head *head)
{
	fake *f = ctx;
	json_t *doc = NULL, *op;
	size_t i;

	f->pushes++;
	*expected = 0;
	memset(head, 0, sizeof(*head));
	assert_int_equal(sync_push_decode(body->ptr, body->len, &doc), 0);
	*receipts = json_array();
	json_array_foreach(json_object_get(doc, "ops"), i, op) json_array_append_new(
	    *receipts, json_pack("{s:O,s:s,s:i}", "op_id", json_object_get(op, "op_id"), "result",
	                         "applied", "version", f->pushes));
	json_decref(doc);
	if (f->clerk && f->puts > 0)
		f->push_after_clerk = f->puts;
	return 0;
}

static int f_pull(void *ctx, int64_t since, int limit, const char *node, json_t **changes,
                  int64_t *next, int *more, char own[DS_SHA256_HEX], sync_head *head)
{
	(void)ctx, (void)limit, (void)node;
	*changes = json_array();
	*next = since;
	*more = 0;
	own[0] = '\0';
	memset(head, 0, sizeof(*head));
	return 0;
}

static int f_page_data(void *ctx, json_t **data)
{
	(void)ctx;
	*data = NULL;
	return 0;
}

static int f_data(void *ctx, const json_t *have, json_t **files)
{
	(void)ctx, (void)have;
	*files = NULL;
	return DS_ERROR;
}

static int f_state(void *ctx, const char *sha, const char *code, sync_file_state *st)
{
	fake *f = ctx;

	(void)sha, (void)code;
	st->size = SCAN_BYTES;
	st->have = (int64_t)f->held.len;
	st->complete = f->complete;
	return 0;
}

static int f_put(void *ctx, const char *sha, const char *code, int64_t offset, const void *p,
                 size_t n, sync_file_state *st)
{
	fake *f = ctx;
	char got[DS_SHA256_HEX];

	f->puts++;
	f->sent += (int64_t)n;
	if (f->puts == 1 && f->first_put_push == 0)
		f->first_put_push = f->pushes;
	if (f->refuse)
		return ds_error_set(DS_ENOSPC, "office quota used up (fake)");
	if (f->clerk && f->puts == 1) {
		json_t *patch = json_pack("{s:s}", "summary", "changed during an upload");
		assert_int_equal(agent_lock(f->a, -1), 0);
		assert_int_equal(agent_update(f->a, f->clerk, patch), 0);
		agent_unlock(f->a);
		json_decref(patch);
	}
	if (offset != (int64_t)f->held.len) {
		f_state(ctx, sha, code, st);
		return ds_error_set(DS_ECONFLICT, "central holds another length (fake)");
	}
	if (f->puts == f->cut_put) { /* the link dies halfway: central keeps what arrived */
		assert_int_equal(ds_buf_add(&f->held, p, n / 2), 0);
		return ds_error_set(DS_ERETRY, "connection reset (fake)");
	}
	assert_int_equal(ds_buf_add(&f->held, p, n), 0);
	ds_sha256_hex(f->held.ptr, f->held.len, got);
	f->complete = f->held.len == SCAN_BYTES && !strcmp(got, sha);
	return f_state(ctx, sha, code, st);
}

/* ---------------------------------------------------------------- fixture */
typedef struct fx {
	char *dir;
	agent *a;
	fake f;
	agent_wire w;
	char code[SCHEMA_CODE_MAX];
	char sha[DS_SHA256_HEX];
	ds_buf scan;
} fx;

/* A store with one dossier and one scan attached to it (nothing synced yet). */
static int setup(void **state)
{
	fx *t = ds_calloc(1, sizeof(*t));
	char *path, *code = NULL;
	json_t *d = NULL, *item = NULL;
	size_t i;

	t->a = fixture_store(&t->dir, "xa1");
	t->f.a = t->a;
	ds_buf_init(&t->f.held, 0);
	ds_buf_init(&t->scan, 0);
	for (i = 0; i < SCAN_BYTES; i++)
		ds_buf_add(&t->scan, (char[]){(char)(i * 7919 % 251)}, 1);
	path = ds_path_join(t->dir, "scan.pdf");
	assert_int_equal(ds_file_write_atomic(path, t->scan.ptr, t->scan.len, 0600), 0);
	assert_int_equal(ds_json_parse(DOSSIER, strlen(DOSSIER), &d), 0);
	assert_int_equal(agent_lock(t->a, -1), 0);
	assert_int_equal(agent_create(t->a, d, &code), 0);
	if (agent_attach(t->a, code, path, NULL, NULL, &item))
		fail_msg("attach: %s", ds_error_msg());
	agent_unlock(t->a);
	snprintf(t->code, sizeof(t->code), "%s", code);
	snprintf(t->sha, sizeof(t->sha), "%s", json_string_value(json_object_get(item, "sha256")));
	t->w = (agent_wire){&t->f, f_push, f_pull, f_page_data, f_data, f_state, f_put, NULL, NULL};
	json_decref(d);
	json_decref(item);
	free(code);
	free(path);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	fx *t = *state;

	fixture_remove(t->a, t->dir);
	ds_buf_release(&t->f.held);
	ds_buf_release(&t->scan);
	free(t);
	return 0;
}

static int64_t backlog(agent *a, const char *key)
{
	json_t *b = NULL;
	int64_t v;

	assert_int_equal(agent_attach_backlog(a, &b), 0);
	v = json_integer_value(json_object_get(b, key));
	json_decref(b);
	return v;
}

/* ---------------------------------------------------------------- tests */
/* The records go first; then the file, whole and intact, each byte sent once. */
static void test_records_first(void **state)
{
	fx *t = *state;
	agent_sync_stats st;

	assert_int_equal(backlog(t->a, "files"), 1);
	if (agent_sync_over(t->a, &t->w, &st))
		fail_msg("sync: %s", ds_error_msg());
	assert_int_equal(t->f.first_put_push, 1);
	assert_true(t->f.complete);
	assert_memory_equal(t->f.held.ptr, t->scan.ptr, SCAN_BYTES);
	assert_int_equal(t->f.sent, SCAN_BYTES);
	assert_int_equal(st.files_sent, 1);
	assert_int_equal(backlog(t->a, "files"), 0);
}

/* A chunk cut on the way: central kept half of it; the agent asks and goes on from there,
 * so no byte is sent twice. */
static void test_cut_resumes(void **state)
{
	fx *t = *state;
	agent_sync_stats st;

	t->f.cut_put = 2;
	if (agent_sync_over(t->a, &t->w, &st))
		fail_msg("sync: %s", ds_error_msg());
	assert_true(t->f.complete);
	assert_memory_equal(t->f.held.ptr, t->scan.ptr, SCAN_BYTES);
	/* chunks of 64 and 128 KiB; the second cut after 64: only its lost half again */
	assert_int_equal(t->f.sent - SCAN_BYTES, 65536);
	assert_int_equal(backlog(t->a, "files"), 0);
}

/* A refusal of the file (quota) is recorded and waits; the round itself went well. */
static void test_refused_waits(void **state)
{
	fx *t = *state;
	agent_sync_stats st;
	json_t *b = NULL;

	t->f.refuse = 1;
	assert_int_equal(agent_sync_over(t->a, &t->w, &st), 0);
	assert_int_equal(backlog(t->a, "files"), 1);
	assert_int_equal(backlog(t->a, "refused"), 1);
	assert_int_equal(agent_attach_backlog(t->a, &b), 0);
	assert_non_null(strstr(json_string_value(json_object_get(
	                           json_array_get(json_object_get(b, "refusals"), 0), "error")),
	                       "quota"));
	json_decref(b);
}

/* A clerk's change made while a chunk is on its way is pushed before the next chunk. */
static void test_clerk_first(void **state)
{
	fx *t = *state;
	agent_sync_stats st;
	int64_t pending = -1;

	t->f.clerk = t->code;
	if (agent_sync_over(t->a, &t->w, &st))
		fail_msg("sync: %s", ds_error_msg());
	assert_int_equal(t->f.push_after_clerk, 1); /* pushed right after the first chunk */
	assert_true(t->f.complete);
	assert_int_equal(agent_pending_ops(t->a, &pending), 0);
	assert_int_equal(pending, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_records_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cut_resumes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_waits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clerk_first, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
