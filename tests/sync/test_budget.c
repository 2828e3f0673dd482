/* test_budget.c: units for the decode budgets (sync/budget.c, sync.h "Decode budgets"):
 * the weight estimate is never below what jansson really allocates, hostile documents
 * (tiny containers by the million, deep or wide column paths) are refused before they
 * become memory, and the biggest legitimate push and pull page still decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>

#include <cmocka.h>

#include "sync/sync.h"

#define H0 "0000000000000000000000000000000000000000000000000000000000000000"

/* "[item,item,...]" with n items. */
static void repeat(ds_buf *b, const char *item, size_t n)
{
	size_t i;

	ds_buf_reset(b);
	ds_buf_puts(b, "[");
	for (i = 0; i < n; i++) {
		if (i)
			ds_buf_puts(b, ",");
		ds_buf_puts(b, item);
	}
	ds_buf_puts(b, "]");
}

/* The weight of text is at least the heap jansson takes to parse it. */
static void weight_is_an_upper_bound(void **state)
{
	static const char *const items[] = {
	    "{}",
	    "[]",
	    "0",
	    "\"\"",
	    "\"Nguyễn Văn An\"",
	    "{\"a\":0}",
	    "[0]",
	    "{\"a\":{}}",
	    "true",
	    "-12e3",
	    "{\"k\":[1,2,3]}",
	    "[[[]]]",
	    "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9}"};
	ds_buf b = DS_BUF_INIT;
	size_t i, weight;

	for (i = 0; i < DS_ARRAY_LEN(items); i++) {
		struct mallinfo2 before, after;
		json_t *v = NULL;

		repeat(&b, items[i], 100000);
		assert_int_equal(sync_json_weigh(b.ptr, b.len, SIZE_MAX, &weight), 0);
		before = mallinfo2();
		assert_int_equal(ds_json_parse(b.ptr, b.len, &v), 0);
		after = mallinfo2();
		printf("%-24.24s weight %9zu, jansson took %9zu\n", items[i], weight,
		       after.uordblks - before.uordblks);
		assert_true(weight >= after.uordblks - before.uordblks);
		json_decref(v);
	}
	/* One object of 100,000 members (its hash table grows by doubling). */
	{
		struct mallinfo2 before, after;
		json_t *v = NULL;
		size_t k;

		ds_buf_reset(&b);
		for (k = 0; k < 100000; k++)
			ds_buf_printf(&b, "%s\"k%zu\":%zu", k ? "," : "{", k, k);
		ds_buf_puts(&b, "}");
		assert_int_equal(sync_json_weigh(b.ptr, b.len, SIZE_MAX, &weight), 0);
		before = mallinfo2();
		assert_int_equal(ds_json_parse(b.ptr, b.len, &v), 0);
		after = mallinfo2();
		printf("%-24.24s weight %9zu, jansson took %9zu\n", "{100,000 members}", weight,
		       after.uordblks - before.uordblks);
		assert_true(weight >= after.uordblks - before.uordblks);
		json_decref(v);
	}
	/* Structure inside strings is text, not containers. */
	assert_int_equal(sync_json_weigh("\"{{{[[[\\\"{{\"", 12, SIZE_MAX, &weight), 0);
	assert_int_equal(weight, 96 + 11);
	ds_buf_release(&b);
}

/* A push whose 65 KB body inflates to 64 MiB of "[{},{},...]": refused with DS_ETOOBIG,
 * and no tree is built (the heap stays where it was). */
static void tiny_containers_are_refused(void **state)
{
	ds_buf text = DS_BUF_INIT, z = DS_BUF_INIT;
	struct mallinfo2 before, after;
	json_t *out = NULL;
	int64_t next = 0;
	int more = 0;

	repeat(&text, "{}", (60u << 20) / 3);
	assert_int_equal(sync_deflate(text.ptr, text.len, 9, &z), 0);
	printf("%zu bytes of [{},...] deflate to %zu\n", text.len, z.len);
	ds_buf_release(&text);
	before = mallinfo2();
	assert_int_equal(sync_push_decode(z.ptr, z.len, &out), DS_ETOOBIG);
	assert_null(out);
	assert_non_null(strstr(ds_error_msg(), "inflated body over"));
	assert_int_equal(sync_receipts_decode(z.ptr, z.len, &out), DS_ETOOBIG);
	assert_int_equal(sync_changes_decode(z.ptr, z.len, &out, &next, &more), DS_ETOOBIG);
	after = mallinfo2();
	assert_true(after.uordblks < before.uordblks + (1u << 20));
	ds_buf_release(&z);

	/* Under the inflate cap but over the tree budget: refused by the weight. */
	repeat(&text, "{}", (4u << 20) / 3);
	assert_int_equal(sync_deflate(text.ptr, text.len, 9, &z), 0);
	assert_int_equal(sync_push_decode(z.ptr, z.len, &out), DS_ETOOBIG);
	assert_non_null(strstr(ds_error_msg(), "the JSON would take more than"));
	assert_int_equal(sync_changes_decode(z.ptr, z.len, &out, &next, &more), DS_ETOOBIG);
	ds_buf_release(&text);
	ds_buf_release(&z);
}

/* A push document around a hand-made ops column document. */
static void push_with_cols(const char *cols, ds_buf *z)
{
	ds_buf text = DS_BUF_INIT;

	ds_buf_printf(&text,
	              "{\"v\":3,\"node\":\"xa1\",\"first_seq\":1,\"prev_hash\":\"%s\","
	              "\"hash\":\"%s\",\"ops\":%s}",
	              H0, H0, cols);
	ds_buf_reset(z);
	assert_int_equal(sync_deflate(text.ptr, text.len, 9, z), 0);
	ds_buf_release(&text);
}

/* Column paths: more than SYNC_MAX_PATH_DEPTH keys is refused; a path that makes many
 * objects per value in every row runs out of the object budget. */
static void column_paths_are_bounded(void **state)
{
	ds_buf cols = DS_BUF_INIT, z = DS_BUF_INIT, path = DS_BUF_INIT;
	json_t *out = NULL;
	size_t i;

	for (i = 0; i <= SYNC_MAX_PATH_DEPTH; i++)
		ds_buf_printf(&path, "%s\"k%zu\"", i ? "," : "", i);
	ds_buf_printf(&cols, "{\"n\":1,\"cols\":[{\"p\":[%s],\"r\":[0],\"v\":[0]}]}", path.ptr);
	push_with_cols(cols.ptr, &z);
	assert_int_equal(sync_push_decode(z.ptr, z.len, &out), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "at most 32"));

	/* 5,000 rows, 40 columns each 31 keys deep with distinct first keys: 6.2 million
	 * objects from a few hundred KB. */
	ds_buf_reset(&cols);
	ds_buf_puts(&cols, "{\"n\":5000,\"cols\":[");
	for (i = 0; i < 40; i++) {
		size_t k, r;

		ds_buf_printf(&cols, "%s{\"p\":[\"c%zu\"", i ? "," : "", i);
		for (k = 1; k < SYNC_MAX_PATH_DEPTH; k++)
			ds_buf_printf(&cols, ",\"k%zu\"", k);
		ds_buf_puts(&cols, "],\"r\":[0");
		for (r = 1; r < 5000; r++)
			ds_buf_puts(&cols, ",1");
		ds_buf_puts(&cols, "],\"v\":[0");
		for (r = 1; r < 5000; r++)
			ds_buf_puts(&cols, ",0");
		ds_buf_puts(&cols, "]}");
	}
	ds_buf_puts(&cols, "]}");
	push_with_cols(cols.ptr, &z);
	assert_int_equal(sync_push_decode(z.ptr, z.len, &out), DS_ETOOBIG);
	assert_non_null(strstr(ds_error_msg(), "objects"));
	assert_null(out);
	ds_buf_release(&cols);
	ds_buf_release(&path);
	ds_buf_release(&z);
}

/* A dossier of about 1 KB, varied like real ones, as a create op's payload. */
static json_t *dossier(int i, const char *pad)
{
	char code[48], name[64];

	snprintf(code, sizeof(code), "000.00.12.H22-251129-%04d", 1 + i % 9999);
	snprintf(name, sizeof(name), "Nguyễn Văn %d", i);
	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:i, s:{s:s, s:s, s:s, s:s}, s:s, s:s,"
	                 " s:s, s:i, s:[{s:s, s:s, s:i}], s:s}",
	                 "code", code, "agency", "000.00.12.H22", "procedure", "code", "1.001193",
	                 "name", "Đăng ký khai sinh", "field", "HT", "channel", 1, "applicant",
	                 "name", name, "id_number", "068337861984", "phone", "0963060905",
	                 "address", "Số 12, đường Lê Lợi, Vinh, Nghệ An", "summary",
	                 "Đăng ký khai sinh cho con", "received_at", "2025-11-29T07:00:00+07:00",
	                 "due_at", "2025-12-01T17:00:00+07:00", "status", 2, "components", "id",
	                 "tp1", "name", "Tờ khai theo mẫu", "copies", i % 3, "note", pad);
}

/* ops create ops of node xa1 holding about bytes canonical bytes in all. */
static json_t *create_ops(size_t count, size_t bytes)
{
	json_t *ops = json_array();
	size_t i, each = bytes / count > 700 ? bytes / count - 700 : 1;
	char *pad = malloc(each + 1), id[32];

	memset(pad, 'x', each);
	pad[each] = '\0';
	for (i = 0; i < count; i++) {
		snprintf(id, sizeof(id), "xa1:%zu", i + 1);
		json_array_append_new(
		    ops, json_pack("{s:I, s:s, s:s, s:s, s:o, s:i, s:n, s:s, s:s}", "seq",
		                   (json_int_t)i + 1, "op_id", id, "code",
		                   "000.00.12.H22-251129-0001", "kind", "create", "payload",
		                   dossier((int)i, pad), "base", 0, "parent", "actor", "lan",
		                   "occurred_at", "2025-11-29T08:01:02+07:00"));
	}
	free(pad);
	return ops;
}

/* The biggest batches an agent sends (batch_bytes at most 6 MiB, 5,000 ops) decode. */
static void legitimate_push_fits(void **state)
{
	static const size_t shapes[][2] = {{5000, 5000 * 800}, {5000, 6u << 20}, {24, 6u << 20}};
	size_t i;

	for (i = 0; i < DS_ARRAY_LEN(shapes); i++) {
		json_t *ops = create_ops(shapes[i][0], shapes[i][1]), *out = NULL;
		ds_buf z = DS_BUF_INIT;

		assert_int_equal(sync_push_encode("xa1", H0, H0, ops, &z), 0);
		if (sync_push_decode(z.ptr, z.len, &out))
			fail_msg("%zu ops of %zu bytes: %s", shapes[i][0], shapes[i][1],
			         ds_error_msg());
		assert_int_equal(json_array_size(json_object_get(out, "ops")), shapes[i][0]);
		json_decref(out);
		json_decref(ops);
		ds_buf_release(&z);
	}
}

/* A dossier with 1,000 short progress rows (the most a dossier may hold): the heaviest
 * tree per byte a legitimate state has. */
static json_t *busy_dossier(int i)
{
	json_t *d = dossier(i, ""), *rows = json_array();
	char id[32];
	int k;

	for (k = 0; k < 1000; k++) {
		snprintf(id, sizeof(id), "s-xa1-%d", k + 1);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:i}", "id", id, "who",
		                                      "lan", "when", "2025-11-29T08:01:02+07:00",
		                                      "what", "Chuyển xử lý", "status", 4));
	}
	json_object_set_new(d, "progress", rows);
	return d;
}

/* The biggest page central sends: 5,000 change headers, and states up to
 * SYNC_PAGE_STATE_BYTES of the heaviest kind; it decodes within the pull budget. */
static void legitimate_page_fits(void **state)
{
	json_t *changes = json_array(), *back = NULL;
	size_t bytes = 0, weight = 0;
	ds_buf z = DS_BUF_INIT, text = DS_BUF_INIT;
	char own[DS_SHA256_HEX];
	int64_t next = 0;
	int more = 0, i;

	for (i = 0; i < 5000; i++) {
		char code[48], op[32];
		json_t *ch, *st = NULL;
		char *canon = NULL;
		size_t n = 0;

		snprintf(code, sizeof(code), "000.00.12.H22-251129-%04d", 1 + i % 9999);
		snprintf(op, sizeof(op), "xa%d:%d", i % 7, i + 1);
		ch = json_pack("{s:i, s:s, s:i, s:s, s:s}", "cursor", i + 1, "code", code,
		               "version", 1 + i % 5, "op_id", op, "node", "xa1");
		if (bytes < SYNC_PAGE_STATE_BYTES) {
			st = busy_dossier(i);
			assert_int_equal(ds_json_canonical(st, &canon, &n), 0);
			free(canon);
		}
		if (st && bytes + n <= SYNC_PAGE_STATE_BYTES) {
			json_object_set_new(ch, "state", st);
			bytes += n;
		} else {
			json_decref(st);
			bytes = SYNC_PAGE_STATE_BYTES;
		}
		json_array_append_new(changes, ch);
	}
	assert_int_equal(sync_changes_encode_own(changes, 5000, 1, H0, &z), 0);
	assert_int_equal(sync_inflate(z.ptr, z.len, 0, &text), 0);
	sync_json_weigh(text.ptr, text.len, SIZE_MAX, &weight);
	printf("a page of 5,000 changes with %zu bytes of states: %zu bytes, %zu inflated, "
	       "weight %zu\n",
	       bytes, z.len, text.len, weight);
	if (sync_changes_decode_own(z.ptr, z.len, &back, &next, &more, own))
		fail_msg("page: %s", ds_error_msg());
	assert_int_equal(json_array_size(back), 5000);
	json_decref(back);
	json_decref(changes);
	ds_buf_release(&z);
	ds_buf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(weight_is_an_upper_bound),
	    cmocka_unit_test(tiny_containers_are_refused),
	    cmocka_unit_test(column_paths_are_bounded),
	    cmocka_unit_test(legitimate_push_fits),
	    cmocka_unit_test(legitimate_page_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
