/* test_data.c: the "data" member of a pull page (central's calendar and catalogue
 * versions, docs/PROTOCOL.md): its shape check, and a page that carries it still decodes
 * as a page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sync/sync.h"

static json_t *parse(const char *text)
{
	json_t *v = NULL;

	assert_int_equal(ds_json_parse(text, strlen(text), &v), 0);
	return v;
}

static void versions_shape(void **state)
{
	static const char *const good[] = {
	    "{}", "{\"calendar\": \"vn-2026.1\"}",
	    "{\"calendar\": \"vn-2026.1\", \"procedures\": \"2026.1\"}"};
	static const char *const bad[] = {
	    "[]",
	    "{\"holidays\": \"x\"}",
	    "{\"calendar\": 1}",
	    "{\"calendar\": \"\"}",
	    "{\"calendar\": \"vn 2026\"}",
	    "{\"procedures\": \"0123456789012345678901234567890123456789x\"}"};
	size_t i;

	for (i = 0; i < DS_ARRAY_LEN(good); i++) {
		json_t *v = parse(good[i]);
		assert_int_equal(sync_data_versions_check(v), 0);
		json_decref(v);
	}
	for (i = 0; i < DS_ARRAY_LEN(bad); i++) {
		json_t *v = parse(bad[i]);
		assert_int_equal(sync_data_versions_check(v), DS_EINVALID);
		json_decref(v);
	}
}

static void page_with_data(void **state)
{
	json_t *data = parse("{\"calendar\": \"vn-2026.2\", \"procedures\": \"2026.1\"}");
	json_t *changes = json_array(), *got = NULL, *doc = NULL;
	ds_buf body = DS_BUF_INIT;
	int64_t next = 0;
	int more = 1;

	assert_int_equal(sync_changes_encode_data(changes, 7, 0, NULL, data, &body), 0);
	assert_int_equal(sync_changes_decode(body.ptr, body.len, &got, &next, &more), 0);
	assert_int_equal(json_array_size(got), 0);
	assert_int_equal(next, 7);
	assert_int_equal(more, 0);
	assert_int_equal(sync_body_decode(body.ptr, body.len, 1 << 20, &doc), 0);
	assert_true(json_equal(json_object_get(doc, "data"), data));
	/* A malformed member is refused at encoding. */
	json_object_set_new(data, "holidays", json_string("x"));
	ds_buf_reset(&body);
	assert_int_equal(sync_changes_encode_data(changes, 7, 0, NULL, data, &body), DS_EINVALID);
	json_decref(got);
	json_decref(doc);
	json_decref(changes);
	json_decref(data);
	ds_buf_release(&body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(versions_shape),
	    cmocka_unit_test(page_with_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
