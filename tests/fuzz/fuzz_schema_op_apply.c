/* fuzz_schema_op_apply.c: libFuzzer harness for schema_op_apply and the op checks. Input:
 * JSON text [state, op] (state null for a create). The promises of schema.h: a refused op
 * leaves the state untouched; an applied one gives a state that validates unchanged, and
 * the same op on the same state gives the same bytes. */
#include "tests/fuzz/fuzz.h"
#include "schema/schema.h"

/* Applies op to a fresh copy of state (NULL stays NULL); returns the rc, *out the result. */
static int apply_copy(const json_t *state, const json_t *op, json_t **out)
{
	json_t *s = json_is_null(state) ? NULL : json_deep_copy(state);
	const json_t *given = s;
	int rc = schema_op_apply(&s, op);

	if (rc && s != given)
		fuzz_fail("op: a refused op replaced the state");
	if (rc && s)
		fuzz_same(s, state, "op: a refused op changed the state");
	*out = s;
	return rc;
}

static void check_applied(const json_t *state, const json_t *op, const json_t *after)
{
	json_t *copy = json_deep_copy(after), *again = NULL;

	fuzz_ok(schema_dossier_validate(&copy), "op: the state an op gave does not validate");
	fuzz_same(after, copy, "op: validating the state an op gave changed it");
	fuzz_ok(apply_copy(state, op, &again), "op: the same op was refused the second time");
	fuzz_same(after, again, "op: the same op on the same state gave different bytes");
	json_decref(copy);
	json_decref(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = fuzz_json(data, size), *after = NULL;
	const json_t *state = json_array_get(in, 0), *op = json_array_get(in, 1);
	char hash[DS_SHA256_HEX];

	if (json_array_size(in) == 2 && (json_is_null(state) || json_is_object(state))) {
		if (schema_op_check(op) == 0)
			fuzz_ok(schema_op_hash(schema_genesis_hash, op, hash),
			        "op: a checked op has no hash");
		if (apply_copy(state, op, &after) == 0)
			check_applied(state, op, after);
	}
	json_decref(after);
	json_decref(in);
	return 0;
}
