/* fuzz_sync_receipts_decode.c: libFuzzer harness for sync_receipts_decode, which the agent
 * runs on central's answer to a push. Receipts it accepts must encode again and decode to
 * the same bytes. Input: fuzz_body (fuzz.h). */
#include "tests/fuzz/fuzz.h"
#include "sync/sync.h"

static void round_trip(const json_t *receipts)
{
	ds_buf body = DS_BUF_INIT;
	json_t *again = NULL;

	fuzz_ok(sync_receipts_encode(receipts, &body),
	        "receipts: accepted receipts do not encode again");
	fuzz_ok(sync_receipts_decode(body.ptr, body.len, &again),
	        "receipts: re-encoded receipts do not decode");
	fuzz_same(receipts, again, "receipts: decode(encode(receipts)) differs");
	json_decref(again);
	ds_buf_release(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ds_buf body = DS_BUF_INIT;
	json_t *receipts = NULL;

	fuzz_body(data, size, &body);
	if (sync_receipts_decode(body.ptr, body.len, &receipts) == 0)
		round_trip(receipts);
	json_decref(receipts);
	ds_buf_release(&body);
	return 0;
}
