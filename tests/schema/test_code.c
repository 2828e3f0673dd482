/* test_code.c: dossier codes: agency IDs, parse and format, the +07:00 day boundary, and
 * allocation from code_alloc (sequence, restart, exhaustion, claims, rollback). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "schema/schema.h"

#define AG "000.00.12.H22"

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;

	assert_int_equal(ds_time_parse(rfc3339, &t, NULL), 0);
	return t;
}

static sqlite3 *mem_db(void)
{
	sqlite3 *db = NULL;

	assert_int_equal(ds_db_open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db),
	                 0);
	assert_int_equal(schema_migrate(db, "agent"), 0);
	return db;
}

static void agency_good(void **state)
{
	assert_int_equal(schema_agency_check(AG), 0);
	assert_int_equal(schema_agency_check("H22.1"), 0);
	assert_int_equal(schema_agency_check("G01.12.34.56.78.9A"), 0);
	assert_int_equal(schema_agency_check("ABCDEF.ABCDEF.ABCDEF.ABCDEF.ABCDEF.ABCDE"), 0);
}

static void agency_bad(void **state)
{
	const char *bad[] = {
	    "",
	    "H22",                                       /* one part */
	    "000.00.12.h22",                             /* lower case */
	    "000..12.H22",                               /* empty part */
	    ".000.12",                                   /* empty first part */
	    "000.12.",                                   /* empty last part */
	    "1.2.3.4.5.6.7",                             /* seven parts */
	    "1234567.12",                                /* a part of seven */
	    "ABCDEF.ABCDEF.ABCDEF.ABCDEF.ABCDEF.ABCDEF", /* 41 characters */
	    "000-00.12",                                 /* a dash */
	    "000 00.12",                                 /* a space */
	};

	for (size_t i = 0; i < DS_ARRAY_LEN(bad); i++) {
		if (schema_agency_check(bad[i]) != DS_EINVALID)
			fail_msg("agency '%s' was accepted", bad[i]);
		assert_non_null(strstr(ds_error_msg(), "agency"));
	}
	assert_int_equal(schema_agency_check(NULL), DS_EINVALID);
}

static void format_and_parse(void **state)
{
	char out[SCHEMA_CODE_MAX], ag[SCHEMA_CODE_MAX];
	int y, m, d, seq;

	assert_int_equal(schema_code_format(out, AG, at("2024-04-14T07:00:00+07:00"), 1), 0);
	assert_string_equal(out, "000.00.12.H22-240414-0001");
	assert_int_equal(schema_code_format(out, AG, at("2025-11-29T08:00:00+07:00"), 9999), 0);
	assert_string_equal(out, "000.00.12.H22-251129-9999");
	assert_int_equal(schema_code_parse(out, ag, &y, &m, &d, &seq), 0);
	assert_string_equal(ag, AG);
	assert_int_equal(y, 2025);
	assert_int_equal(m, 11);
	assert_int_equal(d, 29);
	assert_int_equal(seq, 9999);
	assert_int_equal(schema_code_parse("H22.1-240229-0007", NULL, NULL, NULL, NULL, &seq), 0);
	assert_int_equal(seq, 7);

	assert_int_equal(schema_code_format(out, AG, at("2024-04-14T07:00:00+07:00"), 0),
	                 DS_EINVALID);
	assert_int_equal(schema_code_format(out, AG, at("2024-04-14T07:00:00+07:00"), 10000),
	                 DS_EINVALID);
	assert_int_equal(schema_code_format(out, "h22", at("2024-04-14T07:00:00+07:00"), 1),
	                 DS_EINVALID);
	assert_int_equal(schema_code_format(out, AG, at("1999-12-31T12:00:00+07:00"), 1),
	                 DS_EINVALID);
}

static void parse_bad(void **state)
{
	const char *bad[] = {
	    "000.00.12.H22-240231-0001",  /* 31 February */
	    "000.00.12.H22-230229-0001",  /* not a leap year */
	    "000.00.12.H22-241301-0001",  /* month 13 */
	    "000.00.12.H22-240414-0000",  /* number 0 */
	    "000.00.12.H22-240414-001",   /* three digits */
	    "000.00.12.H22-240414-00011", /* five digits */
	    "000.00.12.H22-2404140001",   /* no second dash */
	    "000.00.12.H22-240414-00a1",  /* a letter */
	    "-240414-0001",               /* no agency */
	    "000.00.12.h22-240414-0001",  /* bad agency */
	    "000.00.12.H22_240414_0001",
	    "",
	};

	for (size_t i = 0; i < DS_ARRAY_LEN(bad); i++) {
		if (schema_code_parse(bad[i], NULL, NULL, NULL, NULL, NULL) != DS_EINVALID)
			fail_msg("code '%s' was accepted", bad[i]);
		assert_non_null(strstr(ds_error_msg(), bad[i]));
	}
	assert_int_equal(schema_code_parse(NULL, NULL, NULL, NULL, NULL, NULL), DS_EINVALID);
}

/* The day is the Vietnamese date: 17:00 UTC is already tomorrow in +07:00. */
static void day_rollover(void **state)
{
	char a[SCHEMA_CODE_MAX], b[SCHEMA_CODE_MAX];

	assert_int_equal(schema_code_format(a, AG, at("2025-11-28T16:59:59Z"), 1), 0);
	assert_int_equal(schema_code_format(b, AG, at("2025-11-28T17:00:00Z"), 1), 0);
	assert_string_equal(a, "000.00.12.H22-251128-0001");
	assert_string_equal(b, "000.00.12.H22-251129-0001");
}

static void alloc_sequence(void **state)
{
	sqlite3 *db = mem_db();
	char out[SCHEMA_CODE_MAX];
	int64_t t = at("2025-11-29T08:00:00+07:00");

	assert_int_equal(schema_code_alloc(db, AG, t, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-0001");
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-0002");
	/* Inside the caller's transaction too. */
	assert_int_equal(ds_db_begin(db), 0);
	assert_int_equal(schema_code_alloc(db, AG, t + 3600, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-0003");
	assert_int_equal(ds_db_commit(db), 0);
	/* Another day and another agency count on their own. */
	assert_int_equal(schema_code_alloc(db, AG, t + 86400, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251130-0001");
	assert_int_equal(schema_code_alloc(db, "000.00.13.H22", t, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.13.H22-251129-0001");
	sqlite3_close(db);
}

/* A code handed out inside a transaction the caller rolls back was never issued. */
static void alloc_rollback(void **state)
{
	sqlite3 *db = mem_db();
	char out[SCHEMA_CODE_MAX];
	int64_t t = at("2025-11-29T08:00:00+07:00");

	assert_int_equal(ds_db_begin(db), 0);
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-0001");
	ds_db_rollback(db);
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-0001");
	sqlite3_close(db);
}

static void alloc_restart(void **state)
{
	char dir[] = "/tmp/dossync-schema-XXXXXX", out[SCHEMA_CODE_MAX];
	char *path, *wal, *shm;
	int64_t t = at("2025-11-29T08:00:00+07:00");
	sqlite3 *db = NULL;

	assert_non_null(mkdtemp(dir));
	path = ds_path_join(dir, "agent.db");
	assert_int_equal(ds_db_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db), 0);
	assert_int_equal(schema_migrate(db, "agent"), 0);
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 9999, out), 0);
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-0002");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	assert_int_equal(ds_db_open(path, SQLITE_OPEN_READWRITE, &db), 0);
	assert_int_equal(schema_migrate(db, "agent"), 0);
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-0003");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	wal = ds_asprintf("%s-wal", path);
	shm = ds_asprintf("%s-shm", path);
	unlink(wal);
	unlink(shm);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	free(wal);
	free(shm);
	free(path);
}

static void alloc_exhausted(void **state)
{
	sqlite3 *db = mem_db();
	char out[SCHEMA_CODE_MAX];
	int64_t t = at("2025-11-29T08:00:00+07:00");

	for (int i = 1; i <= 3; i++)
		assert_int_equal(schema_code_alloc(db, AG, t, 1, 3, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-0003");
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 3, out), DS_ETOOBIG);
	assert_string_equal(ds_error_msg(), "no dossier codes left for 000.00.12.H22 on "
	                                    "2025-11-29 (block 1-3 used up)");
	assert_string_equal(out, "");
	/* A reserved block further up starts at its low end; a number taken there does not
	 * use up the block below, which goes on with its own free numbers. */
	assert_int_equal(schema_code_alloc(db, AG, t, 5000, 5001, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-5000");
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 4999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-0004");
	/* Bad blocks. */
	assert_int_equal(schema_code_alloc(db, AG, t, 0, 3, out), DS_EINVALID);
	assert_int_equal(schema_code_alloc(db, AG, t, 5, 4, out), DS_EINVALID);
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 10000, out), DS_EINVALID);
	assert_int_equal(schema_code_alloc(db, "h22", t, 1, 9999, out), DS_EINVALID);
	sqlite3_close(db);
}

/* Claims outside a block never use it up; a claim at its top leaves its free numbers. */
static void claims_outside_the_block(void **state)
{
	sqlite3 *db = mem_db();
	char out[SCHEMA_CODE_MAX];
	int64_t t = at("2025-11-29T08:00:00+07:00");

	/* an office (block 1-8999) pulls a code central numbered in its block */
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 8999, out), 0);
	assert_int_equal(schema_code_claim(db, AG "-251129-9000"), 0);
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 8999, out), 0);
	assert_string_equal(out, AG "-251129-0002");
	/* central (9000-9999) goes on above what it holds, whatever offices claimed below */
	assert_int_equal(schema_code_claim(db, AG "-251129-0500"), 0);
	assert_int_equal(schema_code_alloc(db, AG, t, 9000, 9999, out), 0);
	assert_string_equal(out, AG "-251129-9001");
	/* a pulled code at the top of the office's block: the block's free numbers remain */
	assert_int_equal(schema_code_claim(db, AG "-251129-8999"), 0);
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 8999, out), 0);
	assert_string_equal(out, AG "-251129-0003");
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 8999, out), 0);
	assert_string_equal(out, AG "-251129-0004");
	/* a block whose every number is taken is used up: 1-5 (1-4 issued, 5 claimed) */
	assert_int_equal(schema_code_claim(db, AG "-251129-0005"), 0);
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 5, out), DS_ETOOBIG);
	assert_string_equal(out, "");
	sqlite3_close(db);
}

static void alloc_all_9999(void **state)
{
	sqlite3 *db = mem_db();
	char out[SCHEMA_CODE_MAX];
	int64_t t = at("2025-11-29T23:59:59+07:00");

	assert_int_equal(ds_db_begin(db), 0);
	for (int i = 1; i <= 9999; i++)
		if (schema_code_alloc(db, AG, t, 1, 9999, out) != 0)
			fail_msg("allocation %d failed: %s", i, ds_error_msg());
	assert_string_equal(out, "000.00.12.H22-251129-9999");
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 9999, out), DS_ETOOBIG);
	assert_non_null(strstr(ds_error_msg(), "block 1-9999 used up"));
	assert_int_equal(ds_db_commit(db), 0);
	sqlite3_close(db);
}

static void claim_then_alloc(void **state)
{
	sqlite3 *db = mem_db();
	char out[SCHEMA_CODE_MAX];
	int64_t t = at("2025-11-29T08:00:00+07:00");

	assert_int_equal(schema_code_claim(db, "000.00.12.H22-251129-0005"), 0);
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-0006");
	/* A claim below the last issued number does not lower it. */
	assert_int_equal(schema_code_claim(db, "000.00.12.H22-251129-0002"), 0);
	assert_int_equal(schema_code_alloc(db, AG, t, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251129-0007");
	/* Claims on another day leave this one alone. */
	assert_int_equal(schema_code_claim(db, "000.00.12.H22-251130-0042"), 0);
	assert_int_equal(schema_code_alloc(db, AG, t + 86400, 1, 9999, out), 0);
	assert_string_equal(out, "000.00.12.H22-251130-0043");
	assert_int_equal(schema_code_claim(db, "000.00.12.H22-251129-00x5"), DS_EINVALID);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(agency_good),      cmocka_unit_test(agency_bad),
	    cmocka_unit_test(format_and_parse), cmocka_unit_test(parse_bad),
	    cmocka_unit_test(day_rollover),     cmocka_unit_test(alloc_sequence),
	    cmocka_unit_test(alloc_rollback),   cmocka_unit_test(alloc_restart),
	    cmocka_unit_test(alloc_exhausted),  cmocka_unit_test(claims_outside_the_block),
	    cmocka_unit_test(alloc_all_9999),   cmocka_unit_test(claim_then_alloc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
