/* echo.c: the receipts' echo members (protocol 2, docs/PROTOCOL.md "Receipts carry the
 * echo"): the feed cursors of the ops a push applied, laid out as runs of consecutive
 * cursors, the cursor the asker's feed held before the first of them, and one SHA-256 of
 * the states they made. Decoded, each applied receipt carries its own "cursor" again. */
#include "sync/sync.h"

#include <string.h>

static int is_applied(const json_t *r)
{
	return sync_result_parse(json_string_value(json_object_get(r, "result"))) == SYNC_APPLIED;
}

/* The applied receipts' cursors as runs [[first, count], ...]; DS_EINVALID when one lacks
 * its cursor or they do not increase past before. */
static int runs_make(const json_t *receipts, int64_t before, json_t **out)
{
	json_t *runs = json_array(), *run = NULL, *r;
	int64_t last = before, c;
	size_t i;

	*out = NULL;
	json_array_foreach(receipts, i, r)
	{
		if (!is_applied(r))
			continue;
		c = json_integer_value(json_object_get(r, "cursor"));
		if (!json_is_integer(json_object_get(r, "cursor")) || c <= last) {
			json_decref(runs);
			return ds_error_set(DS_EINVALID,
			                    "receipts[%zu]: an applied receipt needs a cursor "
			                    "past %lld",
			                    i, (long long)last);
		}
		if (run && c == last + 1)
			json_array_set_new(
			    run, 1, json_integer(json_integer_value(json_array_get(run, 1)) + 1));
		else
			json_array_append_new(runs, run = json_pack("[I, i]", (json_int_t)c, 1));
		last = c;
	}
	*out = runs;
	return 0;
}

int sync_echo_put(json_t *doc, const json_t *receipts, const sync_echo *e)
{
	json_t *runs = NULL;
	int rc;

	if (!e || !e->known)
		return 0;
	if (e->before < 0 || !sync_sha256_ok(e->sha256))
		return ds_error_set(DS_EINVALID, "receipts: cursor_before must not be negative and "
		                                 "own_sha256 must be 64 lowercase hex digits");
	if ((rc = runs_make(receipts, e->before, &runs)))
		return rc;
	json_object_set_new(doc, "cursors", runs);
	json_object_set_new(doc, "cursor_before", json_integer(e->before));
	json_object_set_new(doc, "own_sha256", json_string(e->sha256));
	return 0;
}

/* One run [first, count] read into *first and *count (count 1 to 5,000). */
static int run_read(const json_t *run, size_t i, int64_t *first, int64_t *count)
{
	const json_t *f = json_array_get(run, 0), *n = json_array_get(run, 1);

	if (!json_is_array(run) || json_array_size(run) != 2 || !json_is_integer(f) ||
	    !json_is_integer(n) || json_integer_value(n) < 1 ||
	    json_integer_value(n) > SYNC_MAX_BATCH_OPS || json_integer_value(f) < 1 ||
	    json_integer_value(f) > INT64_MAX / 2)
		return ds_error_set(DS_EINVALID,
		                    "receipts: cursors[%zu] must be [first, count] with first "
		                    "and count positive",
		                    i);
	*first = json_integer_value(f);
	*count = json_integer_value(n);
	return 0;
}

/* Gives the applied receipts their cursors from runs, in order. */
static int runs_spread(const json_t *runs, json_t *receipts, int64_t before)
{
	int64_t first = 0, count = 0, last = before;
	size_t i, k = 0;
	json_t *r;
	int rc;

	json_array_foreach(receipts, i, r)
	{
		if (!is_applied(r))
			continue;
		if (count == 0) {
			if (k >= json_array_size(runs))
				return ds_error_set(
				    DS_EINVALID, "receipts: fewer cursors than applied receipts");
			if ((rc = run_read(json_array_get(runs, k), k, &first, &count)))
				return rc;
			k++;
		}
		if (first <= last)
			return ds_error_set(DS_EINVALID,
			                    "receipts: cursors must increase past %lld",
			                    (long long)last);
		json_object_set_new(r, "cursor", json_integer(first));
		last = first++;
		count--;
	}
	if (count || k != json_array_size(runs))
		return ds_error_set(DS_EINVALID, "receipts: more cursors than applied receipts");
	return 0;
}

int sync_echo_get(const json_t *doc, json_t *receipts, sync_echo *e)
{
	const json_t *runs = json_object_get(doc, "cursors");
	const json_t *before = json_object_get(doc, "cursor_before");
	const json_t *sha = json_object_get(doc, "own_sha256");
	int rc;

	memset(e, 0, sizeof(*e));
	if (!runs && !before && !sha)
		return 0;
	if (!json_is_array(runs) || json_array_size(runs) > SYNC_MAX_BATCH_OPS ||
	    !json_is_integer(before) || json_integer_value(before) < 0 ||
	    json_integer_value(before) > INT64_MAX / 2 || !sync_sha256_ok(json_string_value(sha)))
		return ds_error_set(DS_EINVALID,
		                    "receipts: cursors, cursor_before and own_sha256 come "
		                    "together, as a list of runs, a cursor and 64 lowercase hex "
		                    "digits");
	if ((rc = runs_spread(runs, receipts, json_integer_value(before))))
		return rc;
	e->known = 1;
	e->before = json_integer_value(before);
	memcpy(e->sha256, json_string_value(sha), DS_SHA256_HEX);
	return 0;
}
