/* ops.c: what the operator's tools keep in the store (SQLite step 0004, PostgreSQL step
 * 0002): token rotation and the lines of rotated tokens, each node's last contact as the
 * server saw it, the node list (`dossync-central nodes`, GET /metrics) and the feed head. */
#include "central/central_int.h"

#include <stdio.h>
#include <string.h>

/* The line (first token of its rotations) of token id and whether it is revoked. */
static int token_line(central_store *s, const char *id, char line[CENTRAL_TOKEN_ID_LEN + 1],
                      int *revoked)
{
	central_q *st = central_stmt(s, ST_TOKEN_LINE);
	int rc;

	if (!st)
		return ds_error_code();
	central_bind_text(st, 1, id);
	rc = central_step(st, "reading the token");
	if (rc == 1) {
		snprintf(line, CENTRAL_TOKEN_ID_LEN + 1, "%s", central_col_text(st, 0));
		*revoked = (int)central_col_int(st, 1);
		rc = 0;
	} else if (rc == 0) {
		rc = ds_error_set(DS_ENOTFOUND, "no token with id %s", id);
	}
	central_reset(st);
	return rc;
}

int central_node_token_check(central_store *s, const central_auth *a, const char *bound,
                             const char *node)
{
	char mine[CENTRAL_TOKEN_ID_LEN + 1], theirs[CENTRAL_TOKEN_ID_LEN + 1];
	int revoked = 0, rc;

	if (strcmp(bound, a->token_id) == 0)
		return 0;
	if (!bound[0] || (rc = token_line(s, bound, theirs, &revoked)) == DS_ENOTFOUND)
		return ds_error_set(DS_EPERM, "node %s is bound to another token", node);
	if (rc || (rc = token_line(s, a->token_id, mine, &revoked)))
		return rc;
	if (strcmp(mine, theirs) != 0)
		return ds_error_set(DS_EPERM, "node %s is bound to another token", node);
	return 0;
}

/* Inside the write transaction: the new token of old_id's line, and its nodes moved. */
static int rotate_locked(central_store *s, const char *old_id, char token[CENTRAL_TOKEN_LEN])
{
	char line[CENTRAL_TOKEN_ID_LEN + 1], id[CENTRAL_TOKEN_ID_LEN + 1];
	char hash[DS_SHA256_HEX], now[DS_TIME_LEN];
	central_q *st;
	int revoked = 0, rc;

	if ((rc = token_line(s, old_id, line, &revoked)))
		return rc;
	if (revoked)
		return ds_error_set(DS_EINVALID,
		                    "token %s is revoked: issue a new one with token add and "
		                    "node move",
		                    old_id);
	if ((rc = central_token_make(token, id, hash)))
		return rc;
	central_now(now);
	if (!(st = central_stmt(s, ST_TOKEN_ROTATE)))
		return ds_error_code();
	central_bind_text(st, 1, id);
	central_bind_text(st, 2, hash);
	central_bind_text(st, 3, now);
	central_bind_text(st, 4, old_id);
	if ((rc = central_step_done(s, st, "storing the token")))
		return rc;
	if (!(st = central_stmt(s, ST_NODES_RETOKEN)))
		return ds_error_code();
	central_bind_text(st, 1, old_id);
	central_bind_text(st, 2, id);
	return central_step_done(s, st, "moving the nodes to the new token");
}

int central_token_rotate(central_store *s, const char *old_id, char token[CENTRAL_TOKEN_LEN])
{
	int rc;

	token[0] = '\0';
	if ((rc = central_write_begin(s)))
		return rc;
	rc = central_write_end(s, rotate_locked(s, old_id, token));
	if (rc)
		token[0] = '\0';
	return rc;
}

int central_node_contact(central_store *s, const central_contact *c)
{
	central_q *st = central_stmt(s, ST_NODE_CONTACT);

	if (!st)
		return ds_error_code();
	central_bind_text(st, 1, c->node);
	central_bind_text(st, 2, c->at);
	central_bind_text(st, 3, c->error[0] ? c->error : NULL);
	if (c->pull_cursor >= 0) {
		central_bind_int(st, 4, c->pull_cursor);
		central_bind_int(st, 5, c->pull_behind);
	}
	return central_step_done(s, st, "noting the node's contact");
}

/* A nullable text or integer column as JSON (null for SQL NULL). */
static json_t *col_json(central_q *st, int i, int integer)
{
	if (central_col_null(st, i))
		return json_null();
	if (integer)
		return json_integer(central_col_int(st, i));
	return json_string(central_col_text(st, i));
}

int central_node_list(central_store *s, json_t **out)
{
	central_q *st = central_stmt(s, ST_NODE_LIST);
	json_t *list = json_array(), *row;
	int rc;

	*out = NULL;
	if (!st) {
		json_decref(list);
		return ds_error_code();
	}
	while ((rc = central_step(st, "listing the nodes")) == 1) {
		row = json_pack("{s:s, s:s, s:s, s:I}", "node", central_col_text(st, 0), "office",
		                central_col_text(st, 1), "token", central_col_text(st, 2),
		                "last_seq", (json_int_t)central_col_int(st, 3));
		json_object_set_new(row, "last_contact", col_json(st, 4, 0));
		json_object_set_new(row, "last_error", col_json(st, 5, 0));
		json_object_set_new(row, "pull_cursor", col_json(st, 6, 1));
		json_object_set_new(row, "pull_behind", col_json(st, 7, 1));
		json_array_append_new(list, row);
	}
	central_reset(st);
	if (rc < 0) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

/* One integer from a one-row statement already bound. */
static int step_int(central_q *st, const char *what, int64_t *out)
{
	int rc = central_step(st, what);

	*out = 0;
	if (rc == 1) {
		*out = central_col_int(st, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = ds_error_set(DS_ERROR, "%s: no row", what);
	}
	central_reset(st);
	return rc;
}

int central_feed_head(central_store *s, int64_t *head)
{
	central_q *st = central_stmt(s, ST_FEED_HEAD);

	*head = 0;
	return st ? step_int(st, "reading the feed head", head) : ds_error_code();
}

int central_feed_behind(central_store *s, const central_auth *a, int64_t cursor, int64_t *n)
{
	central_q *st = central_stmt(s, ST_FEED_BEHIND);

	*n = 0;
	if (!st)
		return ds_error_code();
	central_bind_int(st, 1, cursor);
	central_bind_text(st, 2, a->province ? NULL : a->agency);
	return step_int(st, "counting the feed after a pull", n);
}
