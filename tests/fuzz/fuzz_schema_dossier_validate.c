/* fuzz_schema_dossier_validate.c: libFuzzer harness for schema_dossier_validate, which both
 * sides run on every dossier that arrives from outside. Input: JSON text. A dossier it
 * accepts (and normalises) must be accepted again unchanged: normalising is idempotent. */
#include "tests/fuzz/fuzz.h"
#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *d = fuzz_json(data, size), *again = NULL;

	if (d && schema_dossier_validate(&d) == 0) {
		again = json_deep_copy(d);
		fuzz_ok(schema_dossier_validate(&again), "validate: a valid dossier is refused "
		                                         "the second time");
		fuzz_same(d, again, "validate: normalising a valid dossier changed it");
		schema_dossier_overdue(d, 1734000000);
	}
	json_decref(again);
	json_decref(d);
	return 0;
}
