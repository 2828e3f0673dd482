/* seedgen.c: writes the seed corpus of tests/fuzz with the real encoders and validators:
 *   fuzz_seedgen DIR        (DIR/<harness>/<seed>; the repository's is tests/fuzz/corpus)
 * Each seed is a small real input: bodies from sync_*_encode (as sent, and as inflated
 * text for fuzz_body's second mode), ops that apply, dossiers that validate, a config. */
#include "agent/agent.h"
#include "schema/schema.h"
#include "sync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE "000.00.12.H22-240414-0001"

static const char dossier_text[] =
    "{\"code\": \"" CODE "\", \"agency\": \"000.00.12.H22\",\n"
    " \"procedure\": {\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\"},\n"
    " \"field\": \"HT\", \"channel\": 1,\n"
    " \"applicant\": {\"name\": \"Phạm Ngọc Giang\", \"id_number\": \"068337861984\",\n"
    "  \"phone\": \"0963060905\", \"email\": \"congdan0@example.vn\",\n"
    "  \"address\": \"Số 239, đường Nguyễn Huệ, Phường Bến Nghé, Vinh, Nghệ An\"},\n"
    " \"summary\": \"Đăng ký khai sinh cho con\",\n"
    " \"received_at\": \"2024-04-14T07:00:00+07:00\",\n"
    " \"due_at\": \"2024-04-16T17:00:00+07:00\", \"status\": 2,\n"
    " \"components\": [{\"id\": \"tp1\", \"code\": \"TK\", \"name\": \"Tờ khai theo mẫu\",\n"
    "  \"originals\": 1, \"copies\": 0, \"digitised\": true}],\n"
    " \"fees\": [{\"id\": \"lp1\", \"code\": \"LP\", \"amount\": 10000, \"paid\": true,\n"
    "  \"paid_at\": \"2024-04-14T07:00:00+07:00\"}],\n"
    " \"progress\": [{\"id\": \"p0\", \"who\": \"Nguyễn Hữu Phước\", \"role\": \"Cán bộ xử lý\",\n"
    "  \"unit\": \"Bộ phận một cửa\", \"when\": \"2024-04-14T07:00:00+07:00\",\n"
    "  \"what\": \"Mới tiếp nhận\", \"status\": 2}]}";

static const char *out_dir;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_seedgen: %s: %s\n", what, ds_error_msg());
	exit(1);
}

static json_t *parse(const char *text)
{
	json_t *v = NULL;

	if (ds_json_parse(text, strlen(text), &v))
		die(text);
	return v;
}

/* Writes DIR/harness/name: an optional mode byte (fuzz_body), then n bytes of p. */
static void seed(const char *harness, const char *name, int mode, const void *p, size_t n)
{
	char *dir = ds_path_join(out_dir, harness), *path = ds_path_join(dir, name);
	ds_buf b = DS_BUF_INIT;
	unsigned char m = (unsigned char)mode;

	if (ds_mkdirs(dir, 0755) || (mode >= 0 && ds_buf_add(&b, &m, 1)) || ds_buf_add(&b, p, n) ||
	    ds_file_write_atomic(path, b.ptr, b.len, 0644))
		die(path);
	ds_buf_release(&b);
	free(path);
	free(dir);
}

static void seed_json(const char *harness, const char *name, const json_t *v)
{
	char *s = NULL;
	size_t n = 0;

	if (ds_json_canonical(v, &s, &n))
		die(name);
	seed(harness, name, -1, s, n);
	free(s);
}

/* A body twice: as sent (mode 0) and as its inflated JSON text (mode 1). */
static void seed_body(const char *harness, const char *name, const ds_buf *body)
{
	ds_buf text = DS_BUF_INIT;
	char *name1 = ds_asprintf("%s-text", name);

	if (sync_inflate(body->ptr, body->len, SYNC_MAX_INFLATED, &text))
		die(name);
	seed(harness, name, 0, body->ptr, body->len);
	seed(harness, name1, 1, text.ptr, text.len);
	ds_buf_release(&text);
	free(name1);
}

/* An op of node xa1 on CODE; payload is JSON text. */
static json_t *mkop(int seq, const char *kind, const char *payload)
{
	char id[32], parent[32];

	snprintf(id, sizeof(id), "xa1:%d", seq);
	snprintf(parent, sizeof(parent), "xa1:%d", seq - 1);
	return json_pack("{s:i, s:s, s:s, s:s, s:o, s:i, s:o, s:s, s:s}", "seq", seq, "op_id", id,
	                 "code", CODE, "kind", kind, "payload", parse(payload), "base", seq - 1,
	                 "parent", seq > 1 ? json_string(parent) : json_null(), "actor", "lan",
	                 "occurred_at", "2024-04-14T08:00:00+07:00");
}

/* ops: create, patch, transition to 4, merge, transition to 7; states: before each op. */
static void ops_and_states(json_t **ops, json_t **states)
{
	static const char *const steps[][2] = {
	    {"create", NULL},
	    {"patch", "{\"applicant\": {\"phone\": \"0912345678\"}, \"summary\": null}"},
	    {"transition", "{\"to\": 4, \"note\": \"Chuyển xử lý\"}"},
	    {"merge", "{\"handling_unit\": \"Phòng Tư pháp\"}"},
	    {"transition", "{\"to\": 7}"},
	};
	json_t *state = NULL;
	size_t i;

	*ops = json_array();
	*states = json_array();
	for (i = 0; i < DS_ARRAY_LEN(steps); i++) {
		json_t *op =
		    mkop((int)i + 1, steps[i][0], steps[i][1] ? steps[i][1] : dossier_text);

		json_array_append_new(*states, state ? json_deep_copy(state) : json_null());
		if (schema_op_apply(&state, op))
			die(steps[i][0]);
		json_array_append_new(*ops, op);
	}
	json_array_append_new(*states, state);
}

/* Chains the hashes of ops from genesis; final gets the last one. */
static void chain(const json_t *ops, char final[DS_SHA256_HEX])
{
	char prev[DS_SHA256_HEX];
	size_t i;

	memcpy(prev, schema_genesis_hash, DS_SHA256_HEX);
	for (i = 0; i < json_array_size(ops); i++) {
		if (schema_op_hash(prev, json_array_get(ops, i), final))
			die("hash");
		memcpy(prev, final, DS_SHA256_HEX);
	}
}

static void gen_push(const json_t *ops)
{
	json_t *one = json_pack("[O]", json_array_get(ops, 0));
	char h[DS_SHA256_HEX];
	ds_buf b = DS_BUF_INIT;

	chain(ops, h);
	if (sync_push_encode("xa1", schema_genesis_hash, h, ops, &b))
		die("push");
	seed_body("sync_push_decode", "batch5", &b);
	ds_buf_reset(&b);
	chain(one, h);
	if (sync_push_encode("xa1", schema_genesis_hash, h, one, &b))
		die("push");
	seed_body("sync_push_decode", "batch1", &b);
	ds_buf_release(&b);
	json_decref(one);
}

/* A push answer of protocol 2: the head of the node and the echo of two applied ops. */
static void gen_receipts_echo(void)
{
	json_t *r = json_pack("[{s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:i}]",
	                      "op_id", "xa1:5", "result", "applied", "version", 1, "cursor", 12,
	                      "op_id", "xa1:6", "result", "rejected", "version", 3, "reason",
	                      "status: 2 -> 8 is not a legal move", "op_id", "xa1:7", "result",
	                      "applied", "version", 2, "cursor", 13);
	sync_head head = {1, 7, "", {1, 9, ""}};
	ds_buf b = DS_BUF_INIT;

	memset(head.hash, 'a', 64);
	memset(head.echo.sha256, 'b', 64);
	if (sync_receipts_encode_head(r, &head, &b))
		die("receipts with the echo");
	seed_body("sync_receipts_decode", "echo", &b);
	ds_buf_release(&b);
	json_decref(r);
}

static void gen_receipts(const json_t *state)
{
	json_t *r = json_pack("[{s:s, s:s, s:i}, {s:s, s:s, s:i}, {s:s, s:s, s:i, s:O},"
	                      " {s:s, s:s, s:s}]",
	                      "op_id", "xa1:1", "result", "applied", "version", 1, "op_id", "xa1:2",
	                      "result", "duplicate", "version", 2, "op_id", "xa1:3", "result",
	                      "conflict", "version", 4, "state", state, "op_id", "xa1:4", "result",
	                      "rejected", "reason", "status: 2 -> 8 is not a legal move");
	ds_buf b = DS_BUF_INIT;

	if (sync_receipts_encode(r, &b))
		die("receipts");
	seed_body("sync_receipts_decode", "four-results", &b);
	ds_buf_release(&b);
	json_decref(r);
	gen_receipts_echo();
}

static void gen_changes(const json_t *states)
{
	const json_t *s1 = json_array_get(states, 1), *s3 = json_array_get(states, 3);
	json_t *page = json_pack("[{s:i, s:s, s:i, s:s, s:s, s:O}, {s:i, s:s, s:i, s:n, s:n, "
	                         "s:O}]",
	                         "cursor", 3, "code", CODE, "version", 1, "op_id", "xa1:1", "node",
	                         "xa1", "state", s1, "cursor", 7, "code", CODE, "version", 3,
	                         "op_id", "node", "state", s3);
	json_t *own = json_pack("[{s:i, s:s, s:i, s:s, s:s}]", "cursor", 9, "code", CODE, "version",
	                        4, "op_id", "xa1:4", "node", "xa1");
	char *canon = NULL, sha[DS_SHA256_HEX];
	ds_buf b = DS_BUF_INIT;
	size_t n = 0;

	if (sync_changes_encode(page, 7, 1, &b))
		die("changes");
	seed_body("sync_changes_decode", "page", &b);
	ds_buf_reset(&b);
	if (ds_json_canonical(s3, &canon, &n))
		die("canonical");
	ds_sha256_hex2(canon, n, "\n", 1, sha);
	if (sync_changes_encode_own(own, 12, 0, sha, &b))
		die("changes own");
	seed_body("sync_changes_decode", "own-page", &b);
	ds_buf_release(&b);
	free(canon);
	json_decref(page);
	json_decref(own);
}

static void gen_cols(const json_t *ops, const json_t *states)
{
	json_t *some = json_pack("[O, O]", json_array_get(states, 1), json_array_get(states, 5));
	json_t *doc = NULL;

	if (sync_cols_encode(ops, &doc))
		die("cols");
	seed_json("sync_cols_decode", "ops-doc", doc);
	seed_json("sync_cols_decode", "ops-records", ops);
	json_decref(doc);
	if (sync_cols_encode(some, &doc))
		die("cols of states");
	seed_json("sync_cols_decode", "states-doc", doc);
	json_decref(some);
	json_decref(doc);
}

static void gen_schema(const json_t *ops, const json_t *states)
{
	static const char *const names[] = {"create", "patch", "transition-4", "merge",
	                                    "transition-7"};
	json_t *pair;
	size_t i;
	char name[32];

	for (i = 0; i < DS_ARRAY_LEN(names); i++) {
		pair = json_pack("[O, O]", json_array_get(states, i), json_array_get(ops, i));
		seed_json("schema_op_apply", names[i], pair);
		json_decref(pair);
	}
	for (i = 1; i < json_array_size(states); i += 2) {
		snprintf(name, sizeof(name), "state%zu", i);
		seed_json("schema_dossier_validate", name, json_array_get(states, i));
	}
	seed("schema_dossier_validate", "example", -1, dossier_text, strlen(dossier_text));
}

static void gen_merge_patch(const json_t *ops, const json_t *states)
{
	static const char generic[] =
	    "[{\"a\": {\"b\": 1, \"c\": [1, {\"d\": null}]}, \"e\": \"x\"},"
	    " {\"a\": {\"b\": null, \"f\": {\"g\": true}}, \"e\": [2]}]";
	json_t *pair = json_pack("[O, O]", json_array_get(states, 1),
	                         json_object_get(json_array_get(ops, 1), "payload"));

	seed_json("base_merge_patch", "dossier-patch", pair);
	seed("base_merge_patch", "generic", -1, generic, strlen(generic));
	json_decref(pair);
}

/* ancestor, ours (the office changed the phone and moved to 4), theirs (central set
 * handling_unit and a different phone); once with a policy. */
static void gen_conflict(const json_t *states)
{
	const json_t *anc = json_array_get(states, 1);
	json_t *ours = json_deep_copy(json_array_get(states, 3));
	json_t *theirs = json_deep_copy(json_array_get(states, 4));
	json_t *in;

	json_object_set_new(json_object_get(theirs, "applicant"), "phone",
	                    json_string("0987654321"));
	in = json_pack("[O, O, O]", anc, ours, theirs);
	seed_json("conflict_merge_dossier", "phone-both", in);
	json_decref(in);
	in = json_pack("[n, O, O, {s:s, s:s}]", ours, theirs, "applicant.phone", "theirs",
	               "policy.fees.paid", "manual");
	seed_json("conflict_merge_dossier", "no-ancestor-policy", in);
	json_decref(in);
	json_decref(ours);
	json_decref(theirs);
}

static void gen_config(void)
{
	static const char handwritten[] = "# office PC 2\n"
	                                  "office = 000.00.12.H22\r\n"
	                                  "node=xa1-pc2\n"
	                                  "  central = https://central.example.vn:7070  \n"
	                                  "token_file = /etc/dossync/token\n"
	                                  "code_block = 9000-9999\n"
	                                  "connect_timeout = 5\n"
	                                  "total_timeout = 60\n"
	                                  "low_speed_bytes = 200\n"
	                                  "low_speed_time = 20\n"
	                                  "\n"
	                                  "policy.applicant.phone = theirs\n";
	agent_config c;
	char *text;

	agent_config_init(&c);
	if (agent_config_parse(&c, handwritten, "handwritten"))
		die("config");
	c.actor = ds_strdup("lan");
	c.max_send_bytes_s = 65536;
	json_object_set_new(c.policies, "fees.paid", json_string("manual"));
	text = agent_config_format(&c);
	seed("agent_config_parse", "handwritten", -1, handwritten, strlen(handwritten));
	seed("agent_config_parse", "formatted", -1, text, strlen(text));
	free(text);
	agent_config_release(&c);
}

int main(int argc, char **argv)
{
	json_t *ops = NULL, *states = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_seedgen DIR\n");
		return 64;
	}
	out_dir = argv[1];
	ops_and_states(&ops, &states);
	gen_push(ops);
	gen_receipts(json_array_get(states, 3));
	gen_changes(states);
	gen_cols(ops, states);
	gen_schema(ops, states);
	gen_merge_patch(ops, states);
	gen_conflict(states);
	gen_config();
	json_decref(ops);
	json_decref(states);
	return 0;
}
