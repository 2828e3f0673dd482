/* fixture.c: the birth-registration example dossier and small JSON helpers for the schema
 * tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/schema/fixture.h"

static const char example[] =
    "{\"code\": \"000.00.12.H22-240414-0001\", \"agency\": \"000.00.12.H22\",\n"
    " \"procedure\": {\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\"},\n"
    " \"field\": \"HT\", \"channel\": 1,\n"
    " \"applicant\": {\"name\": \"Phạm Ngọc Giang\", \"id_number\": \"068337861984\",\n"
    "               \"phone\": \"0963060905\", \"email\": \"congdan0@example.vn\",\n"
    "               \"address\": \"Số 239, đường Nguyễn Huệ, Phường Bến Nghé, Vinh, "
    "Nghệ An\"},\n"
    " \"summary\": \"Đăng ký khai sinh cho con\",\n"
    " \"received_at\": \"2024-04-14T07:00:00+07:00\", \"due_at\": "
    "\"2024-04-16T17:00:00+07:00\",\n"
    " \"status\": 2,\n"
    " \"components\": [{\"id\": \"tp1\", \"code\": \"TK\", \"name\": \"Tờ khai theo mẫu\",\n"
    "                 \"originals\": 1, \"copies\": 0, \"digitised\": true}],\n"
    " \"fees\": [{\"id\": \"lp1\", \"code\": \"LP\", \"amount\": 10000, \"paid\": true,\n"
    "           \"paid_at\": \"2024-04-14T07:00:00+07:00\"}],\n"
    " \"progress\": [{\"id\": \"p0\", \"who\": \"Nguyễn Hữu Phước\", \"role\": \"Cán bộ xử "
    "lý\",\n"
    "               \"unit\": \"Bộ phận một cửa\", \"when\": \"2024-04-14T07:00:00+07:00\",\n"
    "               \"what\": \"Mới tiếp nhận\", \"status\": 2}]}";

json_t *fixture_json(const char *text)
{
	json_t *v = NULL;

	assert_int_equal(ds_json_parse(text, strlen(text), &v), 0);
	return v;
}

json_t *fixture_dossier(void)
{
	return fixture_json(example);
}

char *fixture_canon(const json_t *v)
{
	char *s = NULL;

	assert_int_equal(ds_json_canonical(v, &s, NULL), 0);
	return s;
}
