/* fuzz_sync_push_decode.c: libFuzzer harness for sync_push_decode, the first thing central
 * runs on a request body from the network. A batch it accepts must survive the trip back
 * through sync_push_encode and decode to the same bytes (with this build's "v", which the
 * encoder writes). Input: fuzz_body (fuzz.h). */
#include "tests/fuzz/fuzz.h"
#include "sync/sync.h"

static void round_trip(const json_t *batch)
{
	ds_buf body = DS_BUF_INIT;
	json_t *again = NULL, *want = json_copy((json_t *)batch);

	json_object_set_new(want, "v", json_integer(SYNC_PROTOCOL_VERSION));
	fuzz_ok(sync_push_encode(json_string_value(json_object_get(batch, "node")),
	                         json_string_value(json_object_get(batch, "prev_hash")),
	                         json_string_value(json_object_get(batch, "hash")),
	                         json_object_get(batch, "ops"), &body),
	        "push: an accepted batch does not encode again");
	fuzz_ok(sync_push_decode(body.ptr, body.len, &again),
	        "push: a re-encoded batch does not decode");
	fuzz_same(want, again, "push: decode(encode(batch)) differs from batch");
	json_decref(want);
	json_decref(again);
	ds_buf_release(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ds_buf body = DS_BUF_INIT;
	json_t *batch = NULL;

	fuzz_body(data, size, &body);
	if (sync_push_decode(body.ptr, body.len, &batch) == 0)
		round_trip(batch);
	json_decref(batch);
	ds_buf_release(&body);
	return 0;
}
