/* token.c: bearer tokens. A token is "dst1.<8 hex id>.<32 hex secret>", shown once when
 * made; central keeps only the SHA-256 of the whole text, with the agency and role it acts
 * for. Verification hashes what was presented and looks the hash up. */
#include "central/central_int.h"

#include <stdio.h>
#include <string.h>

#define TOKEN_PREFIX "dst1."
#define SECRET_BYTES 16

static int role_check(const char *role)
{
	if (strcmp(role, "office") && strcmp(role, "province"))
		return ds_error_set(DS_EINVALID, "role: must be office or province, not \"%s\"",
		                    role);
	return 0;
}

int central_token_make(char token[CENTRAL_TOKEN_LEN], char id[CENTRAL_TOKEN_ID_LEN + 1],
                       char hash[DS_SHA256_HEX])
{
	unsigned char raw[CENTRAL_TOKEN_ID_LEN / 2 + SECRET_BYTES];
	char secret[2 * SECRET_BYTES + 1];
	int rc;

	token[0] = '\0';
	if ((rc = ds_random_bytes(raw, sizeof(raw))))
		return rc;
	ds_hex(raw, CENTRAL_TOKEN_ID_LEN / 2, id);
	ds_hex(raw + CENTRAL_TOKEN_ID_LEN / 2, SECRET_BYTES, secret);
	snprintf(token, CENTRAL_TOKEN_LEN, TOKEN_PREFIX "%s.%s", id, secret);
	ds_sha256_hex(token, strlen(token), hash);
	return 0;
}

int central_token_add(central_store *s, const char *agency, const char *role,
                      char token[CENTRAL_TOKEN_LEN])
{
	char id[CENTRAL_TOKEN_ID_LEN + 1], hash[DS_SHA256_HEX], now[DS_TIME_LEN];
	central_q *st;
	int rc;

	token[0] = '\0';
	if ((rc = schema_agency_check(agency)) || (rc = role_check(role)))
		return rc;
	if ((rc = central_token_make(token, id, hash)))
		return rc;
	central_now(now);
	if (!(st = central_stmt(s, ST_TOKEN_INSERT)))
		return ds_error_code();
	central_bind_text(st, 1, id);
	central_bind_text(st, 2, hash);
	central_bind_text(st, 3, agency);
	central_bind_text(st, 4, role);
	central_bind_text(st, 5, now);
	rc = central_step_done(s, st, "storing the token");
	if (rc)
		token[0] = '\0';
	return rc;
}

int central_token_revoke(central_store *s, const char *id)
{
	central_q *st = central_stmt(s, ST_TOKEN_REVOKE);
	char now[DS_TIME_LEN];
	int rc;

	if (!st)
		return ds_error_code();
	central_now(now);
	central_bind_text(st, 1, id);
	central_bind_text(st, 2, now);
	rc = central_step(st, "revoking the token"); /* a row: the token's id */
	central_reset(st);
	if (rc == 0)
		return ds_error_set(DS_ENOTFOUND, "no token with id %s", id);
	return rc < 0 ? rc : 0;
}

int central_token_list(central_store *s, json_t **out)
{
	central_q *st = central_stmt(s, ST_TOKEN_LIST);
	json_t *list = json_array();
	int rc;

	*out = NULL;
	if (!st) {
		json_decref(list);
		return ds_error_code();
	}
	while ((rc = central_step(st, "listing tokens")) == 1) {
		json_t *revoked =
		    central_col_null(st, 4) ? json_null() : json_string(central_col_text(st, 4));
		json_array_append_new(
		    list,
		    json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", central_col_text(st, 0), "agency",
		              central_col_text(st, 1), "role", central_col_text(st, 2),
		              "created_at", central_col_text(st, 3), "revoked_at", revoked));
	}
	central_reset(st);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

/* Only the shape is checked here; the secret itself is checked by its hash. */
static int token_shape(const char *token)
{
	size_t n = strlen(token), plen = strlen(TOKEN_PREFIX);

	return n == plen + CENTRAL_TOKEN_ID_LEN + 1 + 2 * SECRET_BYTES &&
	       strncmp(token, TOKEN_PREFIX, plen) == 0 && token[plen + CENTRAL_TOKEN_ID_LEN] == '.';
}

int central_token_verify(central_store *s, const char *token, central_auth *out)
{
	char hash[DS_SHA256_HEX];
	central_q *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!token || !token_shape(token))
		return ds_error_set(DS_EPERM, "missing or malformed token");
	ds_sha256_hex(token, strlen(token), hash);
	if (!(st = central_stmt(s, ST_TOKEN_BY_HASH)))
		return ds_error_code();
	central_bind_text(st, 1, hash);
	rc = central_step(st, "checking the token");
	if (rc == 1) {
		snprintf(out->token_id, sizeof(out->token_id), "%s", central_col_text(st, 0));
		snprintf(out->agency, sizeof(out->agency), "%s", central_col_text(st, 1));
		out->province = strcmp(central_col_text(st, 2), "province") == 0;
		rc = 0;
	} else if (rc == 0) {
		rc = ds_error_set(DS_EPERM, "unknown or revoked token");
	}
	central_reset(st);
	return rc;
}
