/* code.c: dossier codes "{agency}-{yyMMdd}-{NNNN}" (docs/DOMAIN.md "Dossier codes"): agency
 * ID checks, parsing and formatting, and allocation from the code_taken table. A code is
 * printed on the citizen's receipt slip, so a number once issued or claimed is never
 * issued again: each one is a row. A block [lo, hi] issues only its own free numbers.
 */
#include "schema/schema_int.h"

#include <stdio.h>
#include <string.h>

#define AGENCY_MAX 40
#define SEG_MIN 2
#define SEG_MAX 6
#define SEG_LEN 6
#define SEQ_MAX 9999

static int agency_bad(const char *agency, const char *why)
{
	return ds_error_set(DS_EINVALID,
	                    "agency '%s': %s (an electronic ID like 000.00.12.H22: 2 to 6 "
	                    "dot-separated parts of 1-6 digits or capital letters)",
	                    agency, why);
}

int schema_agency_check(const char *agency)
{
	size_t len, seg = 0;
	int segs = 1;
	const char *p;

	if (!agency)
		return ds_error_set(DS_EINVALID, "agency: missing");
	len = strlen(agency);
	if (len == 0 || len > AGENCY_MAX)
		return agency_bad(agency, "wrong length");
	for (p = agency; *p; p++) {
		if (*p == '.') {
			if (seg == 0)
				return agency_bad(agency, "empty part");
			seg = 0;
			segs++;
		} else if ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z')) {
			if (++seg > SEG_LEN)
				return agency_bad(agency, "a part is too long");
		} else {
			return agency_bad(agency, "unexpected character");
		}
	}
	if (seg == 0)
		return agency_bad(agency, "empty part");
	if (segs < SEG_MIN || segs > SEG_MAX)
		return agency_bad(agency, "wrong number of parts");
	return 0;
}

/* n decimal digits at s into *out; -1 when any is not a digit. */
static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int code_bad(const char *code, const char *why)
{
	return ds_error_set(DS_EINVALID,
	                    "dossier code '%s': %s (expected AGENCY-yyMMdd-NNNN, like "
	                    "000.00.12.H22-251129-0007)",
	                    code, why);
}

int schema_code_parse(const char *code, char *agency, int *y, int *m, int *d, int *seq)
{
	const char *dash;
	char ag[SCHEMA_CODE_MAX];
	int yy, mm, dd, n;
	size_t alen;

	if (!code)
		return ds_error_set(DS_EINVALID, "dossier code: missing");
	dash = strchr(code, '-');
	if (!dash || strlen(dash) != 12 || dash[7] != '-')
		return code_bad(code, "wrong shape");
	alen = (size_t)(dash - code);
	if (alen >= sizeof(ag))
		return code_bad(code, "agency part too long");
	memcpy(ag, code, alen);
	ag[alen] = '\0';
	if (schema_agency_check(ag))
		return ds_error_wrap(DS_EINVALID, "dossier code '%s'", code);
	if (digits(dash + 1, 2, &yy) || digits(dash + 3, 2, &mm) || digits(dash + 5, 2, &dd) ||
	    digits(dash + 8, 4, &n))
		return code_bad(code, "date and number must be digits");
	if (mm < 1 || mm > 12 || dd < 1 || dd > ds_time_days_in_month(2000 + yy, mm))
		return code_bad(code, "no such date");
	if (n < 1)
		return code_bad(code, "the number starts at 0001");
	if (agency)
		memcpy(agency, ag, alen + 1);
	if (y)
		*y = 2000 + yy;
	if (m)
		*m = mm;
	if (d)
		*d = dd;
	if (seq)
		*seq = n;
	return 0;
}

/* "yyMMdd" of a date in 2000-2099 (day holds 7 bytes). */
static void day_text(char day[7], int y, int m, int d)
{
	const int v[3] = {y % 100, m, d};

	for (int i = 0; i < 3; i++) {
		day[2 * i] = (char)('0' + v[i] / 10);
		day[2 * i + 1] = (char)('0' + v[i] % 10);
	}
	day[6] = '\0';
}

/* The +07:00 date of received as "yyMMdd" (day holds 7 bytes) and y, m, d. */
static int vn_day(int64_t received, char day[7], int *y, int *m, int *d)
{
	ds_time_date(received, DS_TZ_VN, y, m, d);
	if (*y < 2000 || *y > 2099)
		return ds_error_set(DS_EINVALID,
		                    "received date %04d-%02d-%02d is outside 2000-2099, which "
		                    "a yyMMdd dossier code cannot hold",
		                    *y, *m, *d);
	day_text(day, *y, *m, *d);
	return 0;
}

int schema_code_format(char out[SCHEMA_CODE_MAX], const char *agency, int64_t received, int seq)
{
	char day[7];
	int y, m, d, rc;

	out[0] = '\0';
	if ((rc = schema_agency_check(agency)))
		return rc;
	if (seq < 1 || seq > SEQ_MAX)
		return ds_error_set(DS_EINVALID, "dossier number %d: must be 1 to 9999", seq);
	if ((rc = vn_day(received, day, &y, &m, &d)))
		return rc;
	snprintf(out, SCHEMA_CODE_MAX, "%s-%s-%04d", agency, day, seq);
	return 0;
}

/* The number a block [lo, hi] of agency on day issues next: one past the highest it holds,
 * or, when that is past hi, the lowest free number in it; 0 when every one is taken.
 * Numbers taken outside the block do not matter. */
static const char next_sql[] =
    "SELECT CASE WHEN m IS NULL THEN ?3 WHEN m < ?4 THEN m + 1 ELSE "
    "(SELECT coalesce(min(x), 0) FROM (SELECT ?3 AS x UNION ALL SELECT seq + 1 "
    "FROM code_taken WHERE agency = ?1 AND day = ?2 AND seq BETWEEN ?3 AND ?4 - 1) "
    "WHERE NOT EXISTS (SELECT 1 FROM code_taken WHERE agency = ?1 AND day = ?2 AND "
    "seq = x)) END "
    "FROM (SELECT max(seq) AS m FROM code_taken WHERE agency = ?1 AND day = ?2 AND "
    "seq BETWEEN ?3 AND ?4)";

static int next_free(sqlite3 *db, const char *agency, const char *day, int lo, int hi, int *next)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*next = 0;
	if ((rc = ds_db_prepare(db, next_sql, &st)))
		return ds_error_wrap(rc, "code allocation");
	sqlite3_bind_text(st, 1, agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, lo);
	sqlite3_bind_int(st, 4, hi);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*next = sqlite3_column_int(st, 0);
		rc = 0;
	} else {
		rc = ds_error_sqlite(db, rc, "code allocation");
	}
	sqlite3_finalize(st);
	return rc;
}

const char schema_code_claim_sql[] =
    "INSERT OR IGNORE INTO code_taken (agency, day, seq) VALUES (?1, ?2, ?3)";

/* Records seq of agency on day as taken, with st prepared from schema_code_claim_sql; st
 * is reset. */
static int raise_on(sqlite3_stmt *st, const char *agency, const char *day, int seq)
{
	int rc;

	sqlite3_bind_text(st, 1, agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, seq);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(sqlite3_db_handle(st), rc, "code allocation");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int last_raise(sqlite3 *db, const char *agency, const char *day, int seq)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = ds_db_prepare(db, schema_code_claim_sql, &st);
	if (rc)
		return ds_error_wrap(rc, "code allocation");
	rc = raise_on(st, agency, day, seq);
	sqlite3_finalize(st);
	return rc;
}

/* Opens a transaction when the caller has none, so the read and the write of the
 * counter are atomic either way; *own says whether it must be closed here. */
static int txn_open(sqlite3 *db, int *own)
{
	*own = sqlite3_get_autocommit(db);
	return *own ? ds_db_begin(db) : 0;
}

static int txn_close(sqlite3 *db, int own, int rc)
{
	if (!own)
		return rc;
	if (rc) {
		ds_db_rollback(db);
		return rc;
	}
	return ds_db_commit(db);
}

int schema_code_alloc(sqlite3 *db, const char *agency, int64_t received, int lo, int hi,
                      char out[SCHEMA_CODE_MAX])
{
	char day[7];
	int y, m, d, next, own = 0, rc;

	out[0] = '\0';
	if ((rc = schema_agency_check(agency)) || (rc = vn_day(received, day, &y, &m, &d)))
		return rc;
	if (lo < 1 || hi > SEQ_MAX || lo > hi)
		return ds_error_set(DS_EINVALID, "code block %d-%d: must lie within 1-9999", lo,
		                    hi);
	if ((rc = txn_open(db, &own)))
		return rc;
	if ((rc = next_free(db, agency, day, lo, hi, &next)))
		goto done;
	if (next == 0) {
		rc = ds_error_set(DS_ETOOBIG,
		                  "no dossier codes left for %s on %04d-%02d-%02d (block %d-%d "
		                  "used up)",
		                  agency, y, m, d, lo, hi);
		goto done;
	}
	if ((rc = last_raise(db, agency, day, next)))
		goto done;
	snprintf(out, SCHEMA_CODE_MAX, "%s-%s-%04d", agency, day, next);
done:
	rc = txn_close(db, own, rc);
	if (rc)
		out[0] = '\0';
	return rc;
}

int schema_code_claim(sqlite3 *db, const char *code)
{
	char agency[SCHEMA_CODE_MAX], day[7];
	int y, m, d, seq, own = 0, rc;

	if ((rc = schema_code_parse(code, agency, &y, &m, &d, &seq)))
		return rc;
	day_text(day, y, m, d);
	if ((rc = txn_open(db, &own)))
		return rc;
	rc = last_raise(db, agency, day, seq);
	return txn_close(db, own, rc);
}

int schema_code_claim_stmt(sqlite3_stmt *st, const char *code)
{
	char agency[SCHEMA_CODE_MAX], day[7];
	int y, m, d, seq, rc;

	if ((rc = schema_code_parse(code, agency, &y, &m, &d, &seq)))
		return rc;
	day_text(day, y, m, d);
	return raise_on(st, agency, day, seq);
}
