/* wire.c: the round's one way to central. Push, pull and data refresh call central only
 * through an agent_wire, a table of seven calls (four for the records, three for
 * attachments); agent_wire_client fills it from a libcurl
 * sync_client, and the unit tests fill it with a fake central (tests/agent/test_round.c).
 */
#include "agent/agent_int.h"
#include "sync/sync.h"

static int c_push(void *ctx, const ds_buf *body, json_t **receipts, int64_t *expected_seq,
                  sync_head *head)
{
	return sync_client_push_head(ctx, body, receipts, expected_seq, head);
}

static int c_pull(void *ctx, int64_t since, int limit, const char *node, json_t **changes,
                  int64_t *next, int *more, char own_sha256[DS_SHA256_HEX], sync_head *head)
{
	return sync_client_pull_head(ctx, since, limit, node, changes, next, more, own_sha256,
	                             head);
}

static int c_page_data(void *ctx, json_t **data)
{
	return sync_client_page_data(ctx, data);
}

static int c_data(void *ctx, const json_t *have, json_t **files)
{
	return sync_client_data(ctx, have, files);
}

static int c_file_state(void *ctx, const char *sha256, const char *code, sync_file_state *st)
{
	return sync_client_file_state(ctx, sha256, code, st);
}

static int c_file_put(void *ctx, const char *sha256, const char *code, int64_t offset,
                      const void *p, size_t n, sync_file_state *st)
{
	return sync_client_file_put(ctx, sha256, code, offset, p, n, st);
}

static int c_file_get(void *ctx, const char *sha256, const char *code, int64_t from, size_t max,
                      ds_buf *out)
{
	return sync_client_file_get(ctx, sha256, code, from, max, out);
}

void agent_wire_client(agent_wire *w, struct sync_client *c)
{
	w->ctx = c;
	w->ctx2 = NULL;
	w->push = c_push;
	w->pull = c_pull;
	w->page_data = c_page_data;
	w->data = c_data;
	w->file_state = c_file_state;
	w->file_put = c_file_put;
	w->file_get = c_file_get;
}
