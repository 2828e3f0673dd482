/* feed.c: what central gives back: pages of the change feed (pull), bounded by count and
 * by bytes, one dossier at its current version, and the dossier list. Office tokens see
 * their agency only. A pull that names its node gets its own changes without their states,
 * and one hash of them (docs/PROTOCOL.md "GET /v1/pull"). */
#include "central/central_int.h"
#include "sync/sync.h"

#include <string.h>

/* The stored state bytes one pull page holds at most (its first change always goes, however
 * big): what the agent's pull decoder is sized for (sync.h, SYNC_MAX_PULL_INFLATED and
 * _TREE), so a page of big dossiers never sticks an agent at its cursor. With dossiers of at
 * most 256 KiB (SCHEMA_DOSSIER_MAX_BYTES) a page still carries 4 of the biggest. */
#define FEED_PAGE_BYTES SYNC_PAGE_STATE_BYTES

static int parse_col(central_q *st, int i, json_t **out)
{
	const char *text = central_col_text(st, i);

	return ds_json_parse(text, strlen(text), out);
}

/* The state of a change: parsed from the stored canonical bytes, or, when the asker made
 * the change (node), left out and its bytes and a newline added to own instead. */
static int change_state(central_q *st, const char *node, ds_buf *own, json_t *ch)
{
	json_t *state = NULL;

	if (node && strcmp(central_col_text(st, 4), node) == 0) {
		const char *text = central_col_text(st, 5);
		int rc = ds_buf_add(own, text, (size_t)central_col_bytes(st, 5));

		return rc ? rc : ds_buf_add(own, "\n", 1);
	}
	if (parse_col(st, 5, &state))
		return ds_error_wrap(DS_ERROR, "feed row %lld", (long long)central_col_int(st, 0));
	json_object_set_new(ch, "state", state);
	/* Who acted when: a merge of two PCs' edits of one field keeps the later act. */
	if (!central_col_null(st, 6))
		json_object_set_new(ch, "kind", json_string(central_col_text(st, 6)));
	if (!central_col_null(st, 7))
		json_object_set_new(ch, "occurred_at", json_string(central_col_text(st, 7)));
	return 0;
}

static int change_row(central_q *st, const char *node, ds_buf *own, json_t *changes)
{
	json_t *ch = json_pack("{s:I, s:s, s:I, s:s, s:s}", "cursor",
	                       (json_int_t)central_col_int(st, 0), "code", central_col_text(st, 1),
	                       "version", (json_int_t)central_col_int(st, 2), "op_id",
	                       central_col_text(st, 3), "node", central_col_text(st, 4));
	int rc = change_state(st, node, own, ch);

	if (rc == 0)
		json_array_append(changes, ch);
	json_decref(ch);
	return rc;
}

int central_pull(central_store *s, const central_auth *a, int64_t since, int limit,
                 json_t **changes, int64_t *next, int *more)
{
	char own[DS_SHA256_HEX];

	return central_pull_node(s, a, since, limit, NULL, changes, next, more, own);
}

static int pull_check(int64_t since, int limit, const char *node)
{
	if (since < 0 || limit < 1 || limit > SYNC_MAX_PULL_LIMIT)
		return ds_error_set(DS_EINVALID, "pull: since must be 0 or more and limit 1 to %d",
		                    SYNC_MAX_PULL_LIMIT);
	if (node && !sync_node_ok(node))
		return ds_error_set(DS_EINVALID, "pull: node must be 1 to 64 of A-Z a-z 0-9 . _ -");
	return 0;
}

int central_pull_node(central_store *s, const central_auth *a, int64_t since, int limit,
                      const char *node, json_t **changes, int64_t *next, int *more,
                      char own_sha256[DS_SHA256_HEX])
{
	central_q *st = central_stmt(s, a->province ? ST_PULL_ALL : ST_PULL_AGENCY);
	json_t *out = json_array();
	ds_buf own = DS_BUF_INIT;
	size_t bytes = 0, row;
	int rc, n = 0;

	*changes = NULL;
	*next = since;
	*more = 0;
	own_sha256[0] = '\0';
	if ((rc = pull_check(since, limit, node)))
		goto done;
	if (!st) {
		rc = ds_error_code();
		goto done;
	}
	central_bind_int(st, 1, since);
	central_bind_int(st, 2, limit + 1); /* one more than asked: is there more? */
	if (!a->province)
		central_bind_text(st, 3, a->agency);
	while (rc == 0 && (rc = central_step(st, "reading the feed")) == 1) {
		row = (size_t)central_col_bytes(st, 5);
		if (n == limit || (n > 0 && bytes + row > FEED_PAGE_BYTES)) {
			*more = 1;
			break;
		}
		n++;
		bytes += row;
		*next = central_col_int(st, 0);
		rc = change_row(st, node, &own, out);
	}
	if (rc > 0)
		rc = 0;
	central_reset(st);
done:
	if (rc == 0 && own.len)
		ds_sha256_hex(own.ptr, own.len, own_sha256);
	if (rc == 0)
		*changes = json_incref(out);
	else
		*next = since, *more = 0;
	json_decref(out);
	ds_buf_release(&own);
	return rc;
}

int central_dossier_get(central_store *s, const central_auth *a, const char *code, json_t **out)
{
	central_q *st = central_stmt(s, ST_DOSSIER_GET);
	json_t *d = NULL;
	int rc;

	*out = NULL;
	if (!st)
		return ds_error_code();
	central_bind_text(st, 1, code);
	rc = central_step(st, "reading the dossier");
	if (rc == 1 && (!a || a->province || strcmp(central_col_text(st, 0), a->agency) == 0)) {
		rc = parse_col(st, 3, &d);
		if (rc == 0) {
			json_object_set_new(d, "version", json_integer(central_col_int(st, 1)));
			*out = d;
		}
	} else if (rc >= 0) {
		rc = ds_error_set(DS_ENOTFOUND, "no dossier %s", code);
	}
	central_reset(st);
	return rc;
}

int central_dossier_list(central_store *s, const char *agency, int status, json_t **out)
{
	central_q *st = central_stmt(s, ST_DOSSIER_LIST);
	json_t *list = json_array(), *due;
	int rc;

	*out = NULL;
	if (!st) {
		json_decref(list);
		return ds_error_code();
	}
	central_bind_text(st, 1, agency);
	central_bind_int(st, 2, status);
	while ((rc = central_step(st, "listing dossiers")) == 1) {
		due = central_col_null(st, 4) ? json_null() : json_string(central_col_text(st, 4));
		json_array_append_new(
		    list,
		    json_pack("{s:s, s:s, s:i, s:I, s:o}", "code", central_col_text(st, 0),
		              "agency", central_col_text(st, 1), "status", central_col_int(st, 2),
		              "version", (json_int_t)central_col_int(st, 3), "due_at", due));
	}
	central_reset(st);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}
