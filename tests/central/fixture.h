/* fixture.h: what the central unit tests share: a fresh central.db in a temp folder,
 * tokens, dossiers and ops built the way an agent builds them, and pushes through
 * central_push with the hash chain computed by schema_op_hash. */
#ifndef DOSSYNC_TEST_CENTRAL_FIXTURE_H
#define DOSSYNC_TEST_CENTRAL_FIXTURE_H

#include "central/central.h"

#define AG1 "000.00.12.H22"
#define AG2 "000.00.34.H22"

typedef struct fx {
	char dir[64];
	char *path;
	central_store *s;
	central_auth office1, office2, province;
	/* the next seq and the chain head of the test node "xa1" (office1's) */
	int64_t next_seq;
	char head[DS_SHA256_HEX];
} fx;

/* cmocka setup/teardown: a fresh store with three tokens. */
int fx_setup(void **state);
int fx_teardown(void **state);

/* A valid dossier of agency with code (status 2). Caller decrefs. */
json_t *fx_dossier(const char *code, const char *agency);
/* An op entry without seq/op_id (fx_push fills them). payload is stolen. */
json_t *fx_op(const char *code, const char *kind, json_t *payload, int64_t base,
              const char *parent);
/* Pushes ops (stolen; an array of fx_op) as node with the auth, chaining from the node's
 * head kept in f (for "xa1"; other nodes chain from genesis at first_seq 1). Returns
 * central_push's code; *receipts is the caller's. */
int fx_push(fx *f, const central_auth *a, const char *node, json_t *ops, json_t **receipts,
            int64_t *expected);
/* A push document built by hand (for chain tests): no state kept in f. */
json_t *fx_push_doc(const char *node, int64_t first_seq, const char *prev, json_t *ops,
                    char final[DS_SHA256_HEX]);
/* result and version of receipt i. */
const char *fx_result(const json_t *receipts, size_t i);
int64_t fx_version(const json_t *receipts, size_t i);
const char *fx_reason(const json_t *receipts, size_t i);
/* SELECT count(*) FROM table. */
int fx_count(fx *f, const char *table);
/* The dossier's version (0 when absent). */
int64_t fx_dossier_version(fx *f, const char *code);

#endif
