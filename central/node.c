/* node.c: which token may push as a node. A node is bound to one token: at token issue
 * (token add --node), by the operator moving it (node move), or by the first batch of a
 * token in which an op applies (push.c). Binding is never a side effect of a refused or
 * rejected push, so a token cannot squat another office's node name. */
#include "central/central_int.h"
#include "sync/sync.h"

#include <stdio.h>
#include <string.h>

/* The agency and role of a token; DS_ENOTFOUND when unknown, DS_EINVALID when revoked. */
static int token_get(central_store *s, const char *id, char *agency, int *province)
{
	central_q *st = central_stmt(s, ST_TOKEN_GET);
	int rc;

	if (!st)
		return ds_error_code();
	central_bind_text(st, 1, id);
	rc = central_step(st, "reading the token");
	if (rc == 1) {
		snprintf(agency, SCHEMA_CODE_MAX, "%s", central_col_text(st, 0));
		*province = strcmp(central_col_text(st, 1), "province") == 0;
		rc = central_col_int(st, 2) ? ds_error_set(DS_EINVALID, "token %s is revoked", id)
		                            : 0;
	} else if (rc == 0) {
		rc = ds_error_set(DS_ENOTFOUND, "no token with id %s", id);
	}
	central_reset(st);
	return rc;
}

/* Binds a node central does not know yet to a new token. */
static int bind_new(central_store *s, const char *node, const char *token_id, const char *agency)
{
	central_head h;
	int rc;

	if (!sync_office_node_ok(node))
		return ds_error_set(DS_EINVALID,
		                    "node \"%s\": must be 1 to 64 of A-Z a-z 0-9 . _ - and "
		                    "not \"%s\"",
		                    node, CENTRAL_NODE);
	if ((rc = central_head_get(s, node, &h)))
		return rc;
	if (h.found)
		return ds_error_set(DS_EINVALID,
		                    "node %s is already bound to token %s (dossync-central node "
		                    "move %s --token ID moves it)",
		                    node, h.token_id, node);
	return central_head_bind(s, node, token_id, agency);
}

int central_token_add_nodes(central_store *s, const char *agency, const char *role,
                            const char *const *nodes, size_t n, char token[CENTRAL_TOKEN_LEN])
{
	char id[CENTRAL_TOKEN_ID_LEN + 1];
	size_t i;
	int rc;

	token[0] = '\0';
	if ((rc = central_write_begin(s)))
		return rc;
	rc = central_token_add(s, agency, role, token);
	/* "dst1.<id>.<secret>" */
	snprintf(id, sizeof(id), "%s", token + 5);
	for (i = 0; rc == 0 && i < n; i++)
		rc = bind_new(s, nodes[i], id, strcmp(role, "province") ? agency : NULL);
	rc = central_write_end(s, rc);
	if (rc)
		token[0] = '\0';
	return rc;
}

int central_node_bind(central_store *s, const central_auth *a, const char *node)
{
	int rc;

	if ((rc = central_write_begin(s)))
		return rc;
	rc = bind_new(s, node, a->token_id, a->province ? NULL : a->agency);
	return central_write_end(s, rc);
}

/* Checks that token_id may take node: a valid token acting for the node's agency. */
static int move_check(central_store *s, const char *node, const char *token_id,
                      const central_head *h)
{
	char agency[SCHEMA_CODE_MAX];
	int province = 0, rc;

	if (strcmp(node, CENTRAL_NODE) == 0)
		return ds_error_set(DS_EINVALID, "node %s is central's own", CENTRAL_NODE);
	if ((rc = token_get(s, token_id, agency, &province)))
		return rc;
	if (h->found && strcmp(province ? "" : agency, h->agency) != 0)
		return ds_error_set(DS_EINVALID, "node %s acts for %s; token %s is %s%s", node,
		                    h->agency[0] ? h->agency : "the province", token_id,
		                    province ? "a province token" : "of agency ",
		                    province ? "" : agency);
	return 0;
}

int central_node_move(central_store *s, const char *node, const char *token_id)
{
	char agency[SCHEMA_CODE_MAX];
	central_q *st = NULL;
	central_head h;
	int province = 0, rc;

	if ((rc = central_write_begin(s)))
		return rc;
	if ((rc = central_head_get(s, node, &h)) || (rc = move_check(s, node, token_id, &h)))
		goto done;
	if (!h.found) { /* not known yet: bound as token add --node would */
		token_get(s, token_id, agency, &province);
		rc = bind_new(s, node, token_id, province ? NULL : agency);
		goto done;
	}
	if (!(st = central_stmt(s, ST_NODE_MOVE))) {
		rc = ds_error_code();
		goto done;
	}
	central_bind_text(st, 1, node);
	central_bind_text(st, 2, token_id);
	rc = central_step_done(s, st, "moving the node");
done:
	return central_write_end(s, rc);
}
