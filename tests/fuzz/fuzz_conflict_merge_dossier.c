/* fuzz_conflict_merge_dossier.c: libFuzzer harness for the three-way field merge. Input:
 * JSON text [ancestor, ours, theirs] or [ancestor, ours, theirs, {path: rule}] (ancestor
 * may be null). conflict.h promises that the merged dossier validates whenever ours and
 * theirs do, and the merge is a pure function: the same inputs give the same bytes. */
#include "tests/fuzz/fuzz.h"
#include "conflict/conflict.h"
#include "schema/schema.h"

/* A policy from the optional fourth element; rules it refuses are skipped. */
static conflict_policy *policy_from(const json_t *rules)
{
	conflict_policy *p = NULL;
	const char *path;
	json_t *rule;

	fuzz_ok(conflict_policy_new(&p), "policy: cannot make one");
	json_object_foreach((json_t *)rules, path, rule)
	{
		if (json_is_string(rule))
			conflict_policy_set(p, path, json_string_value(rule));
	}
	return p;
}

/* Merges and checks determinism; 0 and the merged dossier in *out when it merged. */
static int merge(const json_t *anc, const json_t *ours, const json_t *theirs,
                 const conflict_policy *p, json_t **out)
{
	json_t *m = NULL, *d = NULL, *o = NULL, *m2 = NULL, *d2 = NULL, *o2 = NULL;
	int rc = conflict_merge_dossier(anc, ours, theirs, p, &m, &d, &o);

	if (rc == 0) {
		fuzz_ok(conflict_merge_dossier(anc, ours, theirs, p, &m2, &d2, &o2),
		        "merge: the same inputs merged once and were refused once");
		fuzz_same(m, m2, "merge: the same inputs gave different merged dossiers");
		fuzz_same(d, d2, "merge: the same inputs gave different decisions");
		fuzz_same(o, o2, "merge: the same inputs gave different open fields");
	}
	json_decref(d);
	json_decref(o);
	json_decref(m2);
	json_decref(d2);
	json_decref(o2);
	*out = m;
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = fuzz_json(data, size), *ours = NULL, *theirs = NULL, *m = NULL;
	const json_t *anc = json_array_get(in, 0);
	conflict_policy *p = NULL;
	int valid;

	if (json_array_size(in) < 3 || json_array_size(in) > 4)
		goto done;
	p = policy_from(json_array_get(in, 3));
	ours = json_deep_copy(json_array_get(in, 1));
	theirs = json_deep_copy(json_array_get(in, 2));
	valid = !schema_dossier_validate(&ours) && !schema_dossier_validate(&theirs);
	if (merge(json_is_null(anc) ? NULL : anc, ours, theirs, p, &m) == 0 && valid)
		fuzz_ok(schema_dossier_validate(&m),
		        "merge: two valid dossiers merged into an invalid one");
done:
	conflict_policy_free(p);
	json_decref(m);
	json_decref(ours);
	json_decref(theirs);
	json_decref(in);
	return 0;
}
