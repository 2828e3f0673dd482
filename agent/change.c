/* change.c: recording a dossier change. Every change is one SQLite transaction:
 * validate (schema_op_apply on the current state), append the journal entry with its
 * hash, update the dossier row. Invalid input rolls back and writes nothing. */
#include "agent/agent_int.h"
#include "sync/sync.h"

#include <stdlib.h>
#include <string.h>

int agent_tx(agent *a, int (*fn)(agent *a, void *arg), void *arg)
{
	int rc = ds_db_begin(agent_db(a));

	if (rc)
		return rc;
	rc = fn(a, arg);
	if (rc)
		ds_db_rollback(agent_db(a));
	else
		rc = ds_db_commit(agent_db(a));
	return rc;
}

int agent_load(agent *a, const char *code, json_t **state, int64_t *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*state = NULL;
	if ((rc = agent_stmt_get(a, ST_DOSSIER_GET, &st)))
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(st, 0);
		rc = ds_json_parse(body, strlen(body), state);
		if (version)
			*version = sqlite3_column_int64(st, 1);
	} else if (rc == SQLITE_DONE) {
		rc = ds_error_set(DS_ENOTFOUND, "no dossier %s", code);
	} else {
		rc = ds_error_sqlite(agent_db(a), rc, "dossiers");
	}
	agent_stmt_put(st);
	return rc;
}

/* Binds the time field name of state to parameter i as Unix seconds; NULL when absent. */
static void bind_time(sqlite3_stmt *st, int i, const json_t *state, const char *name)
{
	const char *s = json_string_value(json_object_get(state, name));
	int64_t t = 0;

	if (s && ds_time_parse(s, &t, NULL) == 0)
		sqlite3_bind_int64(st, i, t);
}

/* Runs statement id with code and text (may be NULL) as ?1 and ?2. */
static int run_code_text(agent *a, enum agent_stmt_id id, const char *code, const char *text)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = agent_stmt_get(a, id, &st)))
		return rc;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "search index");
	agent_stmt_put(st);
	return rc;
}

/* Brings the dossier's line of the search index (0005_search.sql) up to state. */
static int save_search(agent *a, const json_t *state)
{
	const char *code = json_string_value(json_object_get(state, "code"));
	char *text = NULL;
	int rc;

	if ((rc = schema_search_text(state, &text)) ||
	    (rc = run_code_text(a, ST_SEARCH_ID, code, NULL)))
		goto done;
	rc = run_code_text(a, ST_SEARCH_PUT, code, text);
done:
	free(text);
	return rc;
}

int agent_save(agent *a, const json_t *state, int64_t version, int64_t seq)
{
	sqlite3_stmt *st = NULL;
	char *body = NULL;
	int rc;

	if ((rc = ds_json_canonical(state, &body, NULL)))
		return rc;
	rc = agent_stmt_get(a, ST_DOSSIER_PUT, &st);
	if (rc)
		goto done;
	sqlite3_bind_text(st, 1, json_string_value(json_object_get(state, "code")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 2, json_string_value(json_object_get(state, "agency")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)json_integer_value(json_object_get(state, "status")));
	bind_time(st, 4, state, "due_at");
	sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, version);
	sqlite3_bind_int64(st, 7, seq);
	bind_time(st, 8, state, "received_at");
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : ds_error_sqlite(agent_db(a), rc, "dossier row");
	if (!rc)
		rc = save_search(a, state);
done:
	agent_stmt_put(st);
	free(body);
	return rc;
}

/* Builds the canonical op entry for the next journal seq. */
static json_t *make_op(agent *a, int64_t seq, const char *code, int kind, const json_t *payload,
                       int64_t base, const char *parent)
{
	return schema_op_new(a->cfg.node, seq, code, kind, payload, base, parent, a->actor);
}

/* A journal central found behind or forked (agent/tail.c) takes no new entry: central
 * would refuse each one for good, after the office had handed out its receipt (the
 * restore trap: a PC set up again under a node name central already knows). */
static int journal_may_grow(agent *a)
{
	char *state = NULL, *msg = NULL;
	int rc = agent_state_get(a, "tail_state", &state);

	if (!rc && state && (!strcmp(state, "behind") || !strcmp(state, "forked")) &&
	    !(rc = agent_state_get(a, "tail_message", &msg)))
		rc = ds_error_set(DS_EPERM, "no change is recorded until this is put right: %s",
		                  msg ? msg : state);
	free(state);
	free(msg);
	return rc;
}

int agent_apply_local(agent *a, const char *code, int kind, const json_t *payload, int64_t base,
                      json_t **state, int64_t *seq_out)
{
	char prev[DS_SHA256_HEX], hash[DS_SHA256_HEX], *parent = NULL;
	json_t *op = NULL, *next = *state ? json_deep_copy(*state) : NULL;
	json_t *body = json_deep_copy(payload);
	int64_t seq;
	int rc;

	/* The journal keeps text as NFC, like the dossier it changes. */
	if ((rc = journal_may_grow(a)) || (rc = ds_json_nfc(&body)))
		goto done;
	if ((rc = journal_last(a, &seq, prev)) || (rc = journal_unacked_parent(a, code, &parent)))
		goto done;
	seq++;
	op = make_op(a, seq, code, kind, body, base, parent);
	if ((rc = schema_op_apply(&next, op)))
		goto done;
	if ((rc = journal_insert(a, op, prev, hash)) || (rc = agent_save(a, next, -1, seq)))
		goto done;
	json_decref(*state);
	*state = next;
	next = NULL;
	if (seq_out)
		*seq_out = seq;
done:
	json_decref(next);
	json_decref(op);
	json_decref(body);
	free(parent);
	return rc;
}

struct change {
	const char *code;
	int kind;
	const json_t *payload;
	int64_t base; /* < 0: the dossier's stored version */
	int64_t seq;
};

static int change_tx(agent *a, void *arg)
{
	struct change *c = arg;
	json_t *state = NULL;
	int64_t version = 0;
	int rc;

	if ((rc = agent_load(a, c->code, &state, &version)))
		return rc;
	rc = agent_apply_local(a, c->code, c->kind, c->payload, c->base < 0 ? version : c->base,
	                       &state, &c->seq);
	json_decref(state);
	return rc;
}

int agent_record(agent *a, const char *code, int kind, const json_t *payload, int64_t base,
                 int64_t *seq_out)
{
	struct change c = {code, kind, payload, base, 0};
	int rc = agent_tx(a, change_tx, &c);

	if (!rc && seq_out)
		*seq_out = c.seq;
	return rc;
}

int agent_update(agent *a, const char *code, const json_t *patch)
{
	int rc = schema_patch_check(patch);

	if (rc)
		return rc;
	if (json_object_size(patch) == 0)
		return ds_error_set(DS_EINVALID, "nothing to change");
	return agent_record(a, code, SCHEMA_OP_PATCH, patch, -1, NULL);
}

/* A transition, and on the move 5 -> 4 the due date moved past the supplement wait
 * (agent/deadline.c), in one transaction. */
static int transition_tx(agent *a, void *arg)
{
	struct change *c = arg;
	json_t *state = NULL;
	int64_t version = 0;
	int from, rc;

	if ((rc = agent_load(a, c->code, &state, &version)))
		return rc;
	from = (int)json_integer_value(json_object_get(state, "status"));
	rc = agent_apply_local(a, c->code, c->kind, c->payload, version, &state, &c->seq);
	if (!rc && from == 5 && json_integer_value(json_object_get(state, "status")) == 4)
		rc = agent_deadline_resume(a, c->code, &state, version);
	json_decref(state);
	return rc;
}

int agent_transition(agent *a, const char *code, int to, const char *note)
{
	json_t *payload = json_pack("{s:i}", "to", to);
	struct change c = {code, SCHEMA_OP_TRANSITION, payload, -1, 0};
	int rc;

	if (note && *note)
		json_object_set_new(payload, "note", json_string(note));
	rc = agent_tx(a, transition_tx, &c);
	json_decref(payload);
	return rc;
}

/* Fills the office's defaults and the code (into code), allocating one when absent. */
/* A received time further in the future than SYNC_CLOCK_TOLERANCE_S is a typing mistake
 * or a wrong clock: refused. "Now" is this PC's clock corrected by the skew central last
 * measured (agent/sync_round.c), when there is one. */
static int received_not_future(agent *a, const json_t *d)
{
	const char *received = json_string_value(json_object_get(d, "received_at"));
	char *skew = NULL, now_text[DS_TIME_LEN];
	int64_t when, now = ds_time_now();
	int rc;

	if (!received || ds_time_parse(received, &when, NULL))
		return 0; /* validation names what is wrong with it */
	if ((rc = agent_state_get(a, "clock_skew_s", &skew)))
		return rc;
	now -= skew ? atoll(skew) : 0;
	if (when <= now + SYNC_CLOCK_TOLERANCE_S) {
		free(skew);
		return 0;
	}
	ds_time_format(now, DS_TZ_VN, now_text);
	rc = ds_error_set(DS_EINVALID,
	                  "received_at: %s is in the future (it is %s%s); check the date, or "
	                  "this PC's clock",
	                  received, now_text, skew ? " by central's clock" : "");
	free(skew);
	return rc;
}

static int prepare_new(agent *a, json_t *d, char code_out[SCHEMA_CODE_MAX])
{
	const char *agency = json_string_value(json_object_get(d, "agency"));
	const char *code = json_string_value(json_object_get(d, "code"));
	const char *received = json_string_value(json_object_get(d, "received_at"));
	char code_agency[SCHEMA_CODE_MAX];
	int64_t when;
	int rc;

	if (json_object_get(d, "agency") && (!agency || strcmp(agency, a->cfg.office) != 0))
		return ds_error_set(DS_EINVALID, "agency: this office is %s", a->cfg.office);
	json_object_set_new(d, "agency", json_string(a->cfg.office));
	if (!json_object_get(d, "status"))
		json_object_set_new(d, "status", json_integer(2));
	if (!json_object_get(d, "channel"))
		json_object_set_new(d, "channel", json_integer(1));
	if ((rc = received_not_future(a, d)) || (rc = agent_deadline_fill(a, d)))
		return rc;
	if (json_object_get(d, "code")) {
		if (!code || (rc = schema_code_parse(code, code_agency, NULL, NULL, NULL, NULL)))
			return ds_error_set(DS_EINVALID, "code: not a dossier code like "
			                                 "000.00.12.H22-251129-0007");
		if (strcmp(code_agency, a->cfg.office) != 0)
			return ds_error_set(DS_EINVALID,
			                    "code: %s is not a code of this office (%s)", code,
			                    a->cfg.office);
		snprintf(code_out, SCHEMA_CODE_MAX, "%s", code);
		return schema_code_claim(agent_db(a), code);
	}
	if (!received || ds_time_parse(received, &when, NULL))
		return ds_error_set(DS_EINVALID,
		                    "received_at: required, a time like 2024-04-14T07:00:00+07:00");
	if ((rc = schema_code_alloc(agent_db(a), a->cfg.office, when, a->cfg.code_lo,
	                            a->cfg.code_hi, code_out)))
		return rc;
	json_object_set_new(d, "code", json_string(code_out));
	return 0;
}

/* The create path inside the caller's write transaction (agent_create, agent_import):
 * fills the defaults into dossier (which it changes), claims or allocates the code
 * (written to code), refuses a code already in the store, appends the create op. */
int agent_create_local(agent *a, json_t *dossier, char code[SCHEMA_CODE_MAX], int64_t *seq_out)
{
	json_t *state = NULL;
	int rc;

	code[0] = '\0';
	if ((rc = prepare_new(a, dossier, code)))
		return rc;
	rc = agent_load(a, code, &state, NULL);
	json_decref(state);
	if (rc == 0)
		return ds_error_set(DS_EINVALID, "dossier %s already exists", code);
	if (rc != DS_ENOTFOUND)
		return rc;
	state = NULL;
	rc = agent_apply_local(a, code, SCHEMA_OP_CREATE, dossier, 0, &state, seq_out);
	json_decref(state);
	return rc;
}

struct creation {
	json_t *dossier;
	char code[SCHEMA_CODE_MAX];
};

static int create_tx(agent *a, void *arg)
{
	struct creation *c = arg;

	return agent_create_local(a, c->dossier, c->code, NULL);
}

int agent_create(agent *a, json_t *dossier, char **code_out)
{
	struct creation c;
	int rc;

	*code_out = NULL;
	if (!json_is_object(dossier))
		return ds_error_set(DS_EINVALID, "a dossier is a JSON object");
	c.dossier = json_deep_copy(dossier);
	c.code[0] = '\0';
	rc = agent_tx(a, create_tx, &c);
	json_decref(c.dossier);
	if (!rc)
		*code_out = ds_strdup(c.code);
	return rc;
}
