/* fuzz_sync_changes_decode.c: libFuzzer harness for a pull page, decoded as a plain pull
 * (sync_changes_decode) and as a node's pull (sync_changes_decode_own). A page the node
 * decoder accepts must encode again and decode to the same changes, next, more and
 * own_sha256. Input: fuzz_body (fuzz.h). */
#include "tests/fuzz/fuzz.h"
#include "sync/sync.h"

#include <string.h>

static void round_trip(const json_t *changes, int64_t next, int more, const char *own)
{
	ds_buf body = DS_BUF_INIT;
	json_t *again = NULL;
	char own2[DS_SHA256_HEX];
	int64_t next2 = -1;
	int more2 = -1;

	fuzz_ok(sync_changes_encode_own(changes, next, more, own, &body),
	        "pull: an accepted page does not encode again");
	fuzz_ok(sync_changes_decode_own(body.ptr, body.len, &again, &next2, &more2, own2),
	        "pull: a re-encoded page does not decode");
	fuzz_same(changes, again, "pull: decode(encode(page)) changes differ");
	if (next2 != next || more2 != more || strcmp(own, own2))
		fuzz_fail("pull: decode(encode(page)) next, more or own_sha256 differ");
	json_decref(again);
	ds_buf_release(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ds_buf body = DS_BUF_INIT;
	json_t *changes = NULL;
	char own[DS_SHA256_HEX];
	int64_t next = 0;
	int more = 0;

	fuzz_body(data, size, &body);
	if (sync_changes_decode(body.ptr, body.len, &changes, &next, &more) == 0)
		json_decref(changes);
	changes = NULL;
	if (sync_changes_decode_own(body.ptr, body.len, &changes, &next, &more, own) == 0)
		round_trip(changes, next, more, own);
	json_decref(changes);
	ds_buf_release(&body);
	return 0;
}
