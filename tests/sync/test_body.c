/* test_body.c: units for zlib bodies (sync/body.c): round trips, corrupt, truncated and
 * padded streams, the inflate cap against a zip bomb, and the size the column layout
 * saves on 10,000 synthetic dossiers compared with row JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync/sync.h"

static void roundtrip(void **state)
{
	const char *text = "{\"summary\":\"Đăng ký khai sinh cho con\",\"status\":2}";
	ds_buf z = DS_BUF_INIT, back = DS_BUF_INIT;
	json_t *doc = NULL, *again = NULL;

	assert_int_equal(sync_deflate(text, strlen(text), 9, &z), 0);
	assert_true(z.len > 2);
	assert_int_equal((unsigned char)z.ptr[0], 0x78); /* a zlib header, not raw deflate */
	assert_int_equal(sync_inflate(z.ptr, z.len, 1024, &back), 0);
	assert_int_equal(back.len, strlen(text));
	assert_memory_equal(back.ptr, text, back.len);
	/* Exactly at the cap is fine. */
	ds_buf_reset(&back);
	assert_int_equal(sync_inflate(z.ptr, z.len, strlen(text), &back), 0);
	/* One byte under it is not. */
	ds_buf_reset(&back);
	assert_int_equal(sync_inflate(z.ptr, z.len, strlen(text) - 1, &back), DS_ETOOBIG);
	assert_int_equal(back.len, 0);

	/* JSON documents: the body is deflate(canonical JSON). */
	assert_int_equal(ds_json_parse(text, strlen(text), &doc), 0);
	ds_buf_reset(&z);
	assert_int_equal(sync_body_encode(doc, &z), 0);
	assert_int_equal(sync_body_decode(z.ptr, z.len, SYNC_MAX_INFLATED, &again), 0);
	assert_true(ds_json_same(doc, again));
	/* Empty input deflates and inflates too. */
	ds_buf_reset(&z);
	ds_buf_reset(&back);
	assert_int_equal(sync_deflate("", 0, 6, &z), 0);
	assert_int_equal(sync_inflate(z.ptr, z.len, 10, &back), 0);
	assert_int_equal(back.len, 0);
	assert_int_equal(sync_deflate("x", 1, 10, &z), DS_EINVALID);
	json_decref(doc);
	json_decref(again);
	ds_buf_release(&z);
	ds_buf_release(&back);
}

/* A larger body made of varied text, so the stream has many blocks. */
static void make_text(ds_buf *b, int lines)
{
	int i;

	for (i = 0; i < lines; i++)
		ds_buf_printf(b, "{\"n\":%d,\"name\":\"Nguyễn Văn %c%d\"}\n", i * 7919 % 10007,
		              'A' + i % 26, i * 31 % 977);
}

static void refuse_bad_streams(void **state)
{
	ds_buf text = DS_BUF_INIT, z = DS_BUF_INIT, back = DS_BUF_INIT;
	json_t *doc = NULL;

	make_text(&text, 2000);
	assert_int_equal(sync_deflate(text.ptr, text.len, 9, &z), 0);

	/* Trailing garbage after a complete stream. */
	ds_buf_add(&z, "JUNK", 4);
	assert_int_equal(sync_inflate(z.ptr, z.len, 0, &back), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "4 bytes of garbage"));
	assert_int_equal(back.len, 0);
	z.len -= 4;

	/* Truncated: the stream stops before its end. */
	assert_int_equal(sync_inflate(z.ptr, z.len / 2, 0, &back), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "truncated"));
	assert_int_equal(sync_inflate(z.ptr, z.len - 1, 0, &back), DS_EINVALID);
	assert_int_equal(sync_inflate(z.ptr, 0, 0, &back), DS_EINVALID);

	/* A flipped byte in the middle breaks the data or its checksum. */
	z.ptr[z.len / 2] ^= 0x55;
	assert_int_equal(sync_inflate(z.ptr, z.len, 0, &back), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "corrupt zlib body"));
	z.ptr[z.len / 2] ^= 0x55;
	/* A broken checksum alone (the last byte of the Adler-32). */
	z.ptr[z.len - 1] ^= 0x01;
	assert_int_equal(sync_inflate(z.ptr, z.len, 0, &back), DS_EINVALID);
	z.ptr[z.len - 1] ^= 0x01;
	assert_int_equal(sync_inflate(z.ptr, z.len, 0, &back), 0);
	assert_int_equal(back.len, text.len);

	/* Not zlib at all, and zlib that holds no JSON. */
	assert_int_equal(sync_body_decode("{\"a\":1}", 7, 0, &doc), DS_EINVALID);
	assert_null(doc);
	ds_buf_reset(&z);
	assert_int_equal(sync_deflate("{\"a\":", 5, 9, &z), 0);
	assert_int_equal(sync_body_decode(z.ptr, z.len, 0, &doc), DS_EINVALID);
	assert_non_null(strstr(ds_error_msg(), "body: invalid JSON"));
	assert_null(doc);
	ds_buf_release(&text);
	ds_buf_release(&z);
	ds_buf_release(&back);
}

static void zip_bomb(void **state)
{
	size_t big = 20u << 20;
	char *zeros = calloc(1, big);
	ds_buf z = DS_BUF_INIT, back = DS_BUF_INIT;
	json_t *doc = NULL;

	assert_non_null(zeros);
	assert_int_equal(sync_deflate(zeros, big, 9, &z), 0);
	printf("20 MiB of zeros deflate to %zu bytes\n", z.len);
	assert_true(z.len < 64 * 1024);
	assert_int_equal(sync_inflate(z.ptr, z.len, 1u << 20, &back), DS_ETOOBIG);
	assert_string_equal(ds_error_msg(), "inflated body over 1048576 bytes");
	assert_int_equal(back.len, 0);
	assert_int_equal(sync_body_decode(z.ptr, z.len, 1u << 20, &doc), DS_ETOOBIG);
	assert_null(doc);
	/* With a cap above its size, the same stream inflates whole. */
	assert_int_equal(sync_inflate(z.ptr, z.len, big, &back), 0);
	assert_int_equal(back.len, big);
	assert_memory_equal(back.ptr, zeros, big);
	free(zeros);
	ds_buf_release(&z);
	ds_buf_release(&back);
}

/* ---------------------------------------------------------------- size */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#define PICK(a) ((a)[rnd() % DS_ARRAY_LEN(a)])

/* A dossier of about 600 canonical bytes, varied the way real ones are. */
static json_t *dossier(int i)
{
	static const char *const family[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh",
	                                     "Phan",   "Vũ",   "Võ", "Đặng", "Bùi",   "Đỗ"};
	static const char *const middle[] = {"Văn", "Thị", "Hữu", "Ngọc", "Minh", "Thanh"};
	static const char *const given[] = {"An",  "Bình", "Cường", "Dũng",  "Giang", "Hà",
	                                    "Hoa", "Lan",  "Phước", "Quang", "Tâm",   "Yến"};
	static const char *const street[] = {"Nguyễn Huệ", "Lê Lợi", "Trần Hưng Đạo",
	                                     "Hai Bà Trưng", "Quang Trung"};
	static const char *const proc[][2] = {{"1.001193", "Đăng ký khai sinh"},
	                                      {"1.000894", "Đăng ký kết hôn"},
	                                      {"1.004222", "Chứng thực bản sao từ bản chính"},
	                                      {"2.000815", "Cấp giấy phép xây dựng"}};
	int p = (int)(rnd() % 4), day = 1 + (int)(rnd() % 28), st = 1 + (int)(rnd() % 10);
	char name[96], addr[160], email[48], id[16], phone[16], at[40], due[40], code[40];

	snprintf(name, sizeof(name), "%s %s %s", PICK(family), PICK(middle), PICK(given));
	snprintf(addr, sizeof(addr), "Số %d, đường %s, Vinh, Nghệ An", (int)(rnd() % 400) + 1,
	         PICK(street));
	snprintf(email, sizeof(email), "congdan%d@example.vn", i);
	snprintf(id, sizeof(id), "0%011llu", (unsigned long long)(rnd() % 100000000000ull));
	snprintf(phone, sizeof(phone), "09%08llu", (unsigned long long)(rnd() % 100000000ull));
	snprintf(at, sizeof(at), "2024-04-%02dT%02d:%02d:00+07:00", day, 7 + (int)(rnd() % 9),
	         (int)(rnd() % 60));
	snprintf(due, sizeof(due), "2024-05-%02dT17:00:00+07:00", day);
	snprintf(code, sizeof(code), "000.00.12.H22-2404%02d-%04d", day, i % 10000);
	return json_pack(
	    "{s:s, s:s, s:{s:s, s:s}, s:s, s:i, s:{s:s, s:s, s:s, s:s, s:s}, s:s, s:s, s:s,"
	    " s:i, s:[{s:s, s:s, s:s, s:i, s:i, s:b}], s:[{s:s, s:s, s:i, s:b}]}",
	    "code", code, "agency", "000.00.12.H22", "procedure", "code", proc[p][0], "name",
	    proc[p][1], "field", "HT", "channel", 1 + (int)(rnd() % 3), "applicant", "name", name,
	    "id_number", id, "phone", phone, "email", email, "address", addr, "summary", proc[p][1],
	    "received_at", at, "due_at", due, "status", st, "components", "id", "tp1", "code", "TK",
	    "name", "Tờ khai theo mẫu", "originals", 1, "copies", (int)(rnd() % 3), "digitised",
	    (int)(rnd() & 1), "fees", "id", "lp1", "code", "LP", "amount", (int)(rnd() % 5) * 10000,
	    "paid", (int)(rnd() & 1));
}

static void column_layout_is_smaller(void **state)
{
	json_t *records = json_array(), *doc = NULL, *back = NULL;
	ds_buf rows = DS_BUF_INIT, zrows = DS_BUF_INIT, zcols = DS_BUF_INIT;
	size_t i;
	char *line;

	rng_state = 7;
	for (i = 0; i < 10000; i++) {
		json_t *d = dossier((int)i);

		assert_non_null(d);
		assert_int_equal(ds_json_canonical(d, &line, NULL), 0);
		ds_buf_puts(&rows, line);
		ds_buf_puts(&rows, "\n");
		free(line);
		json_array_append_new(records, d);
	}
	assert_int_equal(sync_deflate(rows.ptr, rows.len, 9, &zrows), 0);
	assert_int_equal(sync_cols_encode(records, &doc), 0);
	assert_int_equal(sync_body_encode(doc, &zcols), 0);
	printf("10000 dossiers: %zu bytes of row JSON (%zu per dossier); deflated: rows %zu, "
	       "columns %zu bytes\n",
	       rows.len, rows.len / 10000, zrows.len, zcols.len);
	assert_true(rows.len / 10000 >= 500 && rows.len / 10000 <= 700);
	assert_true(zcols.len < zrows.len);
	/* And what was sent comes back. */
	json_decref(doc);
	assert_int_equal(sync_body_decode(zcols.ptr, zcols.len, SYNC_MAX_INFLATED, &doc), 0);
	assert_int_equal(sync_cols_decode(doc, &back), 0);
	assert_true(ds_json_same(records, back));
	json_decref(back);
	json_decref(doc);
	json_decref(records);
	ds_buf_release(&rows);
	ds_buf_release(&zrows);
	ds_buf_release(&zcols);
}

/* Bodies on both sides of the 256 KiB line (deflated with the default and the filtered
 * strategy) come back with the same canonical bytes. */
static void big_and_small_bodies(void **state)
{
	static const int sizes[] = {10, 2000, 8000};
	size_t k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		json_t *doc = json_array(), *back = NULL;
		ds_buf body = DS_BUF_INIT;
		char *a = NULL, *b = NULL;
		size_t len = 0;
		int i;

		for (i = 0; i < sizes[k]; i++)
			json_array_append_new(doc, json_pack("{s:i, s:s, s:s}", "row", i, "name",
			                                     "Nguyễn Thị Linh", "at",
			                                     "2025-11-29T07:00:19+07:00"));
		assert_int_equal(ds_json_canonical(doc, &a, &len), 0);
		assert_true(sizes[k] < 8000 || len > (256u << 10));
		assert_int_equal(sync_body_encode(doc, &body), 0);
		assert_true(body.len < len);
		assert_int_equal(sync_body_decode(body.ptr, body.len, 0, &back), 0);
		assert_int_equal(ds_json_canonical(back, &b, NULL), 0);
		assert_string_equal(a, b);
		free(a);
		free(b);
		json_decref(doc);
		json_decref(back);
		ds_buf_release(&body);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(roundtrip),
	    cmocka_unit_test(refuse_bad_streams),
	    cmocka_unit_test(zip_bomb),
	    cmocka_unit_test(column_layout_is_smaller),
	    cmocka_unit_test(big_and_small_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
