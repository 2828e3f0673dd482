/* fuzz_sync_receipts_decode.c: libFuzzer harness for sync_receipts_decode_head, which the
 * agent runs on central's answer to a push (the head of its node and the receipts' echo
 * members included). Receipts it accepts must encode again, with the same head and echo,
 * and decode to the same bytes. Input: fuzz_body (fuzz.h). */
#include "tests/fuzz/fuzz.h"
#include "sync/sync.h"

static void round_trip(const json_t *receipts, const sync_head *head)
{
	ds_buf body = DS_BUF_INIT;
	json_t *again = NULL;
	sync_head back;

	fuzz_ok(sync_receipts_encode_head(receipts, head, &body),
	        "receipts: accepted receipts do not encode again");
	fuzz_ok(sync_receipts_decode_head(body.ptr, body.len, &again, &back),
	        "receipts: re-encoded receipts do not decode");
	fuzz_same(receipts, again, "receipts: decode(encode(receipts)) differs");
	if (back.known != head->known || back.seq != head->seq ||
	    back.echo.known != head->echo.known || back.echo.before != head->echo.before)
		fuzz_ok(DS_ERROR, "receipts: the head or the echo changed on the way");
	json_decref(again);
	ds_buf_release(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ds_buf body = DS_BUF_INIT;
	json_t *receipts = NULL;
	sync_head head;

	fuzz_body(data, size, &body);
	if (sync_receipts_decode_head(body.ptr, body.len, &receipts, &head) == 0)
		round_trip(receipts, &head);
	json_decref(receipts);
	ds_buf_release(&body);
	return 0;
}
