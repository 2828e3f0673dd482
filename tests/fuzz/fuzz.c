/* fuzz.c: the helpers every harness of tests/fuzz links with (fuzz.h): inputs as bodies,
 * JSON or text, and the checks that turn a broken promise into an abort libFuzzer keeps. */
#include "tests/fuzz/fuzz.h"
#include "sync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_body(const uint8_t *data, size_t size, ds_buf *out)
{
	ds_buf_init(out, 0);
	if (size == 0)
		return;
	if ((data[0] & 1) == 0) {
		ds_buf_add(out, data + 1, size - 1);
		return;
	}
	if (sync_deflate(data + 1, size - 1, 1, out))
		fuzz_fail("deflate of the input");
}

json_t *fuzz_json(const uint8_t *data, size_t size)
{
	json_t *v = NULL;

	if (ds_json_parse((const char *)data, size, &v))
		return NULL;
	return v;
}

char *fuzz_text(const uint8_t *data, size_t size)
{
	return ds_strndup((const char *)data, size);
}

void fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz: %s (last error: %s)\n", what, ds_error_msg());
	abort();
}

void fuzz_ok(int rc, const char *what)
{
	if (rc)
		fuzz_fail(what);
}

void fuzz_same(const json_t *a, const json_t *b, const char *what)
{
	char *sa = NULL, *sb = NULL;

	fuzz_ok(ds_json_canonical(a, &sa, NULL), what);
	fuzz_ok(ds_json_canonical(b, &sb, NULL), what);
	if (strcmp(sa, sb)) {
		fprintf(stderr, "fuzz: %s\n  first:  %.400s\n  second: %.400s\n", what, sa, sb);
		abort();
	}
	free(sa);
	free(sb);
}
