/* fuzz_base_merge_patch.c: libFuzzer harness for the RFC 7396 merge patch (base/json.c),
 * which applies every patch, merge and resolve op, and for schema_patch_check, which
 * vets a patch a person asked for. Input: JSON text [target, patch]. Properties: a merge
 * patch is idempotent, and ds_json_diff(target, result) applied to target gives result. */
#include "tests/fuzz/fuzz.h"
#include "schema/schema.h"

/* 1 when an object member somewhere in v (through objects only) is null: a merge patch
 * cannot set such a member, so the diff property does not hold for it. */
static int null_member(const json_t *v)
{
	const char *key;
	json_t *m;

	json_object_foreach((json_t *)v, key, m)
	{
		if (json_is_null(m) || null_member(m))
			return 1;
	}
	return 0;
}

static void check_diff(const json_t *target, const json_t *result)
{
	json_t *patch = NULL, *t = json_deep_copy(target);

	fuzz_ok(ds_json_diff(target, result, &patch), "diff: two objects give no diff");
	fuzz_ok(ds_json_merge_patch(&t, patch), "diff: its patch does not apply");
	fuzz_same(t, result, "diff: target + diff(target, result) differs from result");
	json_decref(patch);
	json_decref(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = fuzz_json(data, size), *t = NULL, *again = NULL;
	const json_t *target = json_array_get(in, 0), *patch = json_array_get(in, 1);

	if (json_array_size(in) != 2)
		goto done;
	schema_patch_check(patch);
	t = json_deep_copy(target);
	fuzz_ok(ds_json_merge_patch(&t, patch), "merge patch: refused a patch");
	again = json_deep_copy(t);
	fuzz_ok(ds_json_merge_patch(&again, patch), "merge patch: refused it the second time");
	fuzz_same(t, again, "merge patch: applying a patch twice differs from once");
	if (json_is_object(target) && json_is_object(t) && !null_member(t))
		check_diff(target, t);
done:
	json_decref(again);
	json_decref(t);
	json_decref(in);
	return 0;
}
