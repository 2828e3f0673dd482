/* store_pg.c: the PostgreSQL engine of central's store (libpq): one connection per store,
 * the schema "central_pg" applied by init in versioned steps, statements prepared once
 * per connection and run with text parameters, and write transactions that hold the
 * database-wide writer lock (an advisory lock) until they commit, so that every central
 * process on the database writes as SQLite's one writer would: the per-node chain is read
 * and advanced under it, and feed cursors are assigned in commit order
 * (docs/DESIGN-NOTES.md "Central on PostgreSQL"). A lost connection is DS_ERETRY (503),
 * and is opened again before the next statement outside a transaction.
 */
#include "central/central_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The advisory lock keys (arbitrary, fixed: "dsyn" and "dsmg" in ASCII). */
#define WRITER_LOCK "1685289326"
#define MIGRATE_LOCK "1685286247"

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The error of a failed result (or of the connection when res is NULL) as a DS_E* code:
 * connection, shutdown, serialisation and resource failures are transient. */
static int fail(central_store *s, PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(s->pg);
	int code = DS_ERROR, len = (int)strcspn(m, "\n");

	if (!state || PQstatus(s->pg) != CONNECTION_OK || strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "40", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	    strncmp(state, "55P03", 5) == 0)
		code = DS_ERETRY;
	else if (strcmp(state, "53100") == 0)
		code = DS_ENOSPC;
	else if (strncmp(state, "53", 2) == 0)
		code = DS_ERETRY;
	else if (strncmp(state, "23", 2) == 0)
		code = DS_EINVALID;
	return ds_error_set(code, "%s: PostgreSQL: %.*s", what, len, m[0] ? m : "no answer");
}

/* Runs sql (no parameters, no rows wanted). */
static int run(central_store *s, const char *sql, const char *what)
{
	PGresult *res = PQexec(s->pg, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : fail(s, res, what);

	PQclear(res);
	return rc;
}

/* One integer answered by sql, into *out. */
static int run_int(central_store *s, const char *sql, const char *what, int *out)
{
	PGresult *res = PQexec(s->pg, sql);
	int rc = 0;

	*out = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = fail(s, res, what);
	else if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		*out = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/* The schema step applied last: 0 on an empty database. */
static int version(central_store *s, int *have)
{
	int exists = 0, rc;

	rc = run_int(s,
	             "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
	             "AND tablename = 'schema_version'",
	             "reading the schema version", &exists);
	if (rc == 0 && exists)
		rc = run_int(s, "SELECT max(version) FROM schema_version",
		             "reading the schema version", have);
	else
		*have = 0;
	return rc;
}

/* Applies step number inside its own transaction, under the migration lock, unless
 * another process did meanwhile. */
static int migrate_step(central_store *s, int number, int latest)
{
	const char *name = NULL, *sql = schema_step_sql("central_pg", number, &name);
	char set[96];
	int have = 0, rc;

	if (!sql)
		return ds_error_code();
	if ((rc = run(s, "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", "migration")) ||
	    (rc = version(s, &have)))
		goto done;
	if (have > latest) {
		rc = ds_error_set(DS_EINVALID,
		                  "%s has schema version %d, newer than this build knows (%d)",
		                  s->where, have, latest);
		goto done;
	}
	if (have >= number)
		goto done;
	if ((rc = run(s, sql, name)))
		goto done;
	snprintf(set, sizeof(set), "UPDATE schema_version SET version = %d", number);
	if ((rc = run(s, set, name)) == 0)
		return run(s, "COMMIT", name);
done:
	run(s, "ROLLBACK", "migration");
	return rc ? ds_error_wrap(rc, "schema step %s", name ? name : "?") : 0;
}

static int migrate(central_store *s)
{
	int latest = schema_version_latest("central_pg"), have = 0, rc;

	if ((rc = version(s, &have)))
		return rc;
	if (have > latest)
		return ds_error_set(DS_EINVALID,
		                    "%s is from a newer dossync (schema version %d, this build "
		                    "knows %d); refusing to touch it",
		                    s->where, have, latest);
	for (int i = 1; rc == 0 && i <= latest; i++)
		rc = migrate_step(s, i, latest);
	return rc;
}

static int check_version(central_store *s)
{
	int have = 0, want = schema_version_latest("central_pg");
	int rc = version(s, &have);

	if (rc)
		return rc;
	if (have == 0)
		return ds_error_set(
		    DS_ENOTFOUND, "no central database at %s (run dossync-central init)", s->where);
	if (have > want)
		return ds_error_set(DS_EINVALID,
		                    "%s has schema version %d, newer than this build knows (%d)",
		                    s->where, have, want);
	if (have < want)
		return ds_error_set(DS_EINVALID,
		                    "%s is not initialised to schema version %d "
		                    "(run dossync-central init)",
		                    s->where, want);
	return 0;
}

/* The connection's settings: UTF-8, receipts durable before the answer (a server set to
 * synchronous_commit off would not keep that promise), notices not printed. */
static int session(central_store *s)
{
	PQsetNoticeProcessor(s->pg, quiet, NULL);
	return run(s,
	           "SET client_encoding TO 'UTF8'; SET synchronous_commit TO on; "
	           "SET default_transaction_isolation TO 'read committed'",
	           "connection settings");
}

static int connect_db(central_store *s)
{
	PQfinish(s->pg);
	for (int i = 0; i < ST_COUNT; i++)
		s->q[i].prepared = 0;
	s->pg = PQconnectdb(s->where);
	if (PQstatus(s->pg) != CONNECTION_OK)
		return fail(s, NULL, "cannot connect to the central database");
	return session(s);
}

static int pg_open(central_store *s, const char *where, int create)
{
	int rc;

	(void)where;
	if ((rc = connect_db(s)))
		return rc;
	return create ? migrate(s) : check_version(s);
}

static void pg_close(central_store *s)
{
	PQfinish(s->pg);
	s->pg = NULL;
}

/* Opens the connection again when it was lost, between transactions only. */
static int alive(central_store *s)
{
	if (PQstatus(s->pg) == CONNECTION_OK)
		return 0;
	if (s->in_txn)
		return ds_error_set(DS_ERETRY, "the connection to the central database was lost");
	return connect_db(s);
}

static int pg_prepare(central_q *q, const char *sql)
{
	char name[16], *text = ds_strdup(sql), *p;
	PGresult *res;
	int rc = 0;

	q->nparams = 0;
	for (p = text; (p = strchr(p, '?')); p++) { /* ?N -> $N */
		*p = '$';
		if (atoi(p + 1) > q->nparams)
			q->nparams = atoi(p + 1);
	}
	for (p = text; (p = strchr(p, '$')); p++)
		if (p[1] >= '1' && p[1] <= '9' && atoi(p + 1) > q->nparams)
			q->nparams = atoi(p + 1);
	snprintf(name, sizeof(name), "c%d", (int)q->id);
	if ((rc = alive(q->s)) == 0) {
		res = PQprepare(q->s->pg, name, text, 0, NULL);
		rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail(q->s, res, "database");
		PQclear(res);
	}
	free(text);
	q->prepared = rc == 0;
	return rc;
}

static void pg_bind_text(central_q *q, int i, const char *v, size_t n)
{
	if (i < 1 || i > CENTRAL_MAX_PARAMS)
		return;
	free(q->val[i - 1]);
	q->val[i - 1] = !v ? NULL : n == (size_t)-1 ? ds_strdup(v) : ds_strndup(v, n);
}

static void pg_bind_int(central_q *q, int i, int64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", (long long)v);
	pg_bind_text(q, i, text, (size_t)-1);
}

/* Runs the statement with its bound values; the result stays for the steps. */
static int execute(central_q *q, const char *what)
{
	char name[16];
	ExecStatusType st;
	int rc;

	if ((rc = alive(q->s)) || (!q->prepared && (rc = pg_prepare(q, q->sql))))
		return rc;
	snprintf(name, sizeof(name), "c%d", (int)q->id);
	q->res =
	    PQexecPrepared(q->s->pg, name, q->nparams, (const char *const *)q->val, NULL, NULL, 0);
	q->row = -1;
	st = PQresultStatus(q->res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return 0;
	rc = fail(q->s, q->res, what);
	PQclear(q->res);
	q->res = NULL;
	return rc;
}

static int pg_step(central_q *q, const char *what)
{
	int rc;

	if (!q->res && (rc = execute(q, what)))
		return rc;
	if (PQresultStatus(q->res) != PGRES_TUPLES_OK)
		return 0;
	return ++q->row < PQntuples(q->res);
}

static void pg_reset(central_q *q)
{
	PQclear(q->res);
	q->res = NULL;
	q->row = -1;
	for (int i = 0; i < CENTRAL_MAX_PARAMS; i++) {
		free(q->val[i]);
		q->val[i] = NULL;
	}
}

static void pg_finalize(central_q *q)
{
	q->prepared = 0;
}

static const char *pg_col_text(central_q *q, int i)
{
	return PQgetvalue(q->res, q->row, i); /* "" for NULL */
}

static size_t pg_col_bytes(central_q *q, int i)
{
	return (size_t)PQgetlength(q->res, q->row, i);
}

static int pg_col_null(central_q *q, int i)
{
	return PQgetisnull(q->res, q->row, i);
}

static int64_t pg_col_int(central_q *q, int i)
{
	return strtoll(PQgetvalue(q->res, q->row, i), NULL, 10);
}

/* BEGIN, then the writer lock, held until COMMIT or ROLLBACK: every write of every
 * central process on the database is one after the other. */
static int pg_begin(central_store *s)
{
	int rc;

	if ((rc = alive(s)))
		return rc;
	rc = run(s, "BEGIN; SELECT pg_advisory_xact_lock(" WRITER_LOCK ")", "begin");
	if (rc)
		run(s, "ROLLBACK", "rollback");
	s->in_txn = rc == 0;
	return rc;
}

static void pg_rollback(central_store *s)
{
	if (PQtransactionStatus(s->pg) != PQTRANS_IDLE)
		run(s, "ROLLBACK", "rollback");
	s->in_txn = 0;
}

/* COMMIT answers ROLLBACK, without an error, for a transaction an error has ended. */
static int pg_commit(central_store *s)
{
	PGresult *res;
	int rc;

	if (PQtransactionStatus(s->pg) != PQTRANS_INTRANS) {
		rc = ds_error_set(DS_ERETRY, "commit: the transaction had failed");
		pg_rollback(s);
		return rc;
	}
	res = PQexec(s->pg, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = fail(s, res, "commit");
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = ds_error_set(DS_ERETRY, "commit: PostgreSQL rolled the transaction back");
	else
		rc = 0;
	PQclear(res);
	s->in_txn = 0;
	return rc;
}

static int pg_txn_lost(central_store *s)
{
	PGTransactionStatusType t = PQtransactionStatus(s->pg);

	return t != PQTRANS_INTRANS && t != PQTRANS_INERROR;
}

const central_engine central_engine_pg = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .prepare = pg_prepare,
    .bind_text = pg_bind_text,
    .bind_int = pg_bind_int,
    .step = pg_step,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .col_text = pg_col_text,
    .col_bytes = pg_col_bytes,
    .col_null = pg_col_null,
    .col_int = pg_col_int,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .txn_lost = pg_txn_lost,
};
