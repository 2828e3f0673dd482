/* fuzz_sync_cols_decode.c: libFuzzer harness for the column codec. Input: JSON text. An
 * object is a column document: when sync_cols_decode accepts it, the records must encode
 * and decode back to the same canonical bytes, and encoding them twice must give the same
 * document. An array is a list of records: when sync_cols_encode accepts it, decoding must
 * give the records back (sync.h: "decode(encode(x)) gives ... the same canonical bytes"). */
#include "tests/fuzz/fuzz.h"
#include "sync/sync.h"

/* records -> document -> records again, which must equal records. */
static void encode_decode(const json_t *records)
{
	json_t *doc = NULL, *doc2 = NULL, *again = NULL;

	fuzz_ok(sync_cols_encode(records, &doc), "cols: accepted records do not encode");
	fuzz_ok(sync_cols_decode(doc, &again), "cols: an encoded document does not decode");
	fuzz_same(records, again, "cols: decode(encode(records)) differs from records");
	fuzz_ok(sync_cols_encode(again, &doc2), "cols: decoded records do not encode again");
	fuzz_same(doc, doc2, "cols: the same records encode to different documents");
	json_decref(doc);
	json_decref(doc2);
	json_decref(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = fuzz_json(data, size), *records = NULL, *doc = NULL;

	if (json_is_array(in) && sync_cols_encode(in, &doc) == 0)
		encode_decode(in);
	else if (in && sync_cols_decode(in, &records) == 0)
		encode_decode(records);
	json_decref(records);
	json_decref(doc);
	json_decref(in);
	return 0;
}
