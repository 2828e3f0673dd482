/* test_status.c: the status machine against a table written out by hand from docs/DOMAIN.md
 * "Legal moves": every (from, to, prior) triple, the terminal statuses, the names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema/schema.h"

/* expect[from][to - 1] == 'x' when from -> to is legal; from 0 is a new dossier.
 * 7 -> prior is listed apart (prior7 below). Columns: to = 1 2 3 4 5 6 7 8 9 10. */
static const char *const expect[11] = {
    /* new */ "xxx.......",
    /* 1 */ ".xx.x.x...",
    /* 2 */ "...x.xx.x.",
    /* 3 */ "..........",
    /* 4 */ "...xxxxxx.",
    /* 5 */ "...x..xx..",
    /* 6 */ "...x..x.xx",
    /* 7 */ ".......x..",
    /* 8 */ "..........",
    /* 9 */ ".....x...x",
    /* 10 */ "..........",
};

/* The statuses a 7 may go back to: those that can move to 7 (1, 2, 4, 5, 6). */
static int prior7(int p)
{
	return p == 1 || p == 2 || p == 4 || p == 5 || p == 6;
}

static void every_pair(void **state)
{
	for (int from = 0; from <= 10; from++)
		for (int to = 1; to <= 10; to++)
			for (int prior = 0; prior <= 10; prior++) {
				int want = expect[from][to - 1] == 'x' ||
				           (from == 7 && to == prior && prior7(prior));

				if (schema_status_legal(from, to, prior) != want)
					fail_msg("%d -> %d (prior %d): expected %s", from, to,
					         prior, want ? "legal" : "illegal");
			}
}

static void named_moves(void **state)
{
	/* A few moves docs/DOMAIN.md names in words, spelled out. */
	assert_true(schema_status_legal(SCHEMA_STATUS_NEW, 1, 0)); /* online submission */
	assert_true(schema_status_legal(2, 9, 0));                 /* result on the spot */
	assert_true(schema_status_legal(4, 4, 0));                 /* step change */
	assert_true(schema_status_legal(6, 10, 0));                /* fee at return */
	assert_true(schema_status_legal(9, 6, 0));
	assert_false(schema_status_legal(9, 4, 0)); /* forbidden */
	assert_true(schema_status_legal(7, 4, 4));  /* withdrawal refused */
	assert_false(schema_status_legal(7, 4, 5)); /* ... back only to where it was */
	assert_false(schema_status_legal(7, 4, 0)); /* ... which must be known */
	assert_true(schema_status_legal(7, 8, 0));  /* withdrawal granted */
	assert_false(schema_status_legal(7, 7, 7));
	assert_false(schema_status_legal(7, 3, 3)); /* 3 never moved to 7 */
	assert_false(schema_status_legal(2, 3, 0)); /* refusal happens at intake only */
	assert_false(schema_status_legal(2, 2, 0));
}

static void out_of_range(void **state)
{
	assert_false(schema_status_legal(-1, 2, 0));
	assert_false(schema_status_legal(11, 4, 0));
	assert_false(schema_status_legal(2, 0, 0));
	assert_false(schema_status_legal(2, 11, 0));
	assert_false(schema_status_legal(7, 11, 11));
	assert_false(schema_status_legal(7, 0, 0));
}

static void terminal(void **state)
{
	for (int s = 0; s <= 11; s++)
		assert_int_equal(schema_status_terminal(s), s == 3 || s == 8 || s == 10);
	for (int s = -1; s <= 11; s++)
		assert_int_equal(schema_status_valid(s), s >= 1 && s <= 10);
	/* Nothing leaves a terminal status, whatever the prior. */
	for (int to = 1; to <= 10; to++)
		for (int p = 0; p <= 10; p++) {
			assert_false(schema_status_legal(3, to, p));
			assert_false(schema_status_legal(8, to, p));
			assert_false(schema_status_legal(10, to, p));
		}
}

static void names(void **state)
{
	static const char *const want[] = {
	    "",
	    "Mới đăng ký",
	    "Đã tiếp nhận",
	    "Từ chối tiếp nhận",
	    "Đang xử lý",
	    "Yêu cầu bổ sung",
	    "Chờ thực hiện nghĩa vụ tài chính",
	    "Công dân yêu cầu rút hồ sơ",
	    "Dừng xử lý",
	    "Đã có kết quả",
	    "Đã trả kết quả",
	};

	for (int s = 0; s <= 10; s++) {
		char *nfc = NULL;

		assert_string_equal(schema_status_name(s), want[s]);
		assert_int_equal(ds_text_nfc(schema_status_name(s), &nfc), 0);
		assert_string_equal(nfc, schema_status_name(s)); /* stored in NFC */
		free(nfc);
	}
	assert_string_equal(schema_status_name(11), "");
	assert_string_equal(schema_status_name(-1), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_pair),   cmocka_unit_test(named_moves),
	    cmocka_unit_test(out_of_range), cmocka_unit_test(terminal),
	    cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
