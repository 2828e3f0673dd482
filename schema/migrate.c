/* migrate.c: brings agent.db or central.db up to this build's schema. The steps are the
 * files schema/sql/<which>/NNNN_name.sql, embedded at build time (schema_sql.c); PRAGMA
 * user_version holds the last step applied. Each step commits alone with its version, so
 * a failure leaves the database at the previous step, and a database made by a newer
 * dossync is never touched.
 */
#include "schema/schema_int.h"

#include <stdio.h>
#include <string.h>

static const schema_step_set *find_set(const char *which)
{
	for (int i = 0; which && i < schema_sql_sets_n; i++)
		if (strcmp(schema_sql_sets[i].which, which) == 0)
			return &schema_sql_sets[i];
	ds_error_set(DS_EINVALID, "unknown schema '%s' (agent, central or central_pg)",
	             which ? which : "");
	return NULL;
}

int schema_version_latest(const char *which)
{
	const schema_step_set *set = find_set(which);

	return set ? set->n : DS_EINVALID;
}

static int user_version(sqlite3 *db, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	if ((rc = ds_db_prepare(db, "PRAGMA user_version", &st)))
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = 0;
	} else {
		rc = ds_error_sqlite(db, rc, "reading the schema version");
	}
	sqlite3_finalize(st);
	return rc;
}

static int too_new(int have, int latest)
{
	return ds_error_set(DS_EINVALID,
	                    "database is from a newer dossync (schema version %d, this build "
	                    "knows %d); refusing to touch it",
	                    have, latest);
}

/* Runs one step in its own transaction, unless another process applied it meanwhile. */
static int run_step(sqlite3 *db, const schema_step *step, int latest)
{
	char pragma[64];
	int have = 0, rc;

	if ((rc = ds_db_begin(db)))
		return ds_error_wrap(rc, "schema step %s", step->name);
	if ((rc = user_version(db, &have)))
		goto done;
	if (have > latest) {
		rc = too_new(have, latest);
		goto done;
	}
	if (have >= step->number)
		goto done; /* nothing written: the rollback below just ends the transaction */
	if ((rc = sqlite3_exec(db, step->sql, NULL, NULL, NULL)) != SQLITE_OK) {
		rc = ds_error_sqlite(db, rc, "database");
		rc = ds_error_wrap(rc, "schema step %s failed and was rolled back", step->name);
		goto done;
	}
	/* PRAGMA takes no bound parameters; the number comes from this build, not input. */
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", step->number);
	if ((rc = ds_db_exec(db, pragma)))
		goto done;
	return ds_db_commit(db);
done:
	ds_db_rollback(db);
	return rc;
}

int schema_migrate_steps(sqlite3 *db, const schema_step *steps, int n)
{
	int have = 0, rc;

	if (!db || n < 0 || (n > 0 && !steps))
		return ds_error_set(DS_EINVALID, "schema migration: no database or no steps");
	for (int i = 0; i < n; i++)
		if (steps[i].number != i + 1 || !steps[i].sql)
			return ds_error_set(DS_ERROR,
			                    "schema step %s: steps must be numbered 1, 2, 3... "
			                    "without gaps (step %d expected)",
			                    steps[i].name, i + 1);
	if ((rc = user_version(db, &have)))
		return rc;
	if (have > n)
		return too_new(have, n);
	if (have < 0)
		return ds_error_set(DS_EINVALID,
		                    "database has a negative schema version (%d); "
		                    "refusing to touch it",
		                    have);
	for (int i = have; i < n; i++)
		if ((rc = run_step(db, &steps[i], n)))
			return rc;
	return 0;
}

int schema_migrate(sqlite3 *db, const char *which)
{
	const schema_step_set *set = find_set(which);
	int rc;

	if (!set)
		return DS_EINVALID;
	/* Steps may call it (agent step 5 fills the search index). */
	if ((rc = schema_search_register(db)))
		return rc;
	return schema_migrate_steps(db, set->steps, set->n);
}

const char *schema_step_sql(const char *which, int number, const char **name)
{
	const schema_step_set *set = find_set(which);

	if (!set)
		return NULL;
	if (number < 1 || number > set->n) {
		ds_error_set(DS_EINVALID, "schema %s has no step %d", which, number);
		return NULL;
	}
	if (name)
		*name = set->steps[number - 1].name;
	return set->steps[number - 1].sql;
}
