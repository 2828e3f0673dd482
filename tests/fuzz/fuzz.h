/* fuzz.h: what the libFuzzer harnesses of tests/fuzz share: turning the input into a body
 * or a JSON value, and checks that abort (so libFuzzer keeps the input as a crash) when a
 * promise the code makes in its header does not hold. docs/TESTING.md "Fuzzing". */
#ifndef DOSSYNC_TESTS_FUZZ_H
#define DOSSYNC_TESTS_FUZZ_H

#include "base/base.h"

#include <stddef.h>
#include <stdint.h>

/* The entry point libFuzzer calls once per input; each harness defines it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A wire body from the input. First byte even: the rest is the body as sent (zlib bytes,
 * so inflate itself is fuzzed); odd: the rest is the inflated JSON text, deflated here so
 * mutations reach the document. An empty input gives an empty body. */
void fuzz_body(const uint8_t *data, size_t size, ds_buf *out);
/* The input as JSON text parsed by ds_json_parse; NULL when it does not parse. */
json_t *fuzz_json(const uint8_t *data, size_t size);
/* The input as a NUL-terminated string (cut at the first NUL); free() it. */
char *fuzz_text(const uint8_t *data, size_t size);

/* Prints what broke and ds_error_msg(), then aborts. */
void fuzz_fail(const char *what) __attribute__((noreturn));
/* Fails unless rc is 0. */
void fuzz_ok(int rc, const char *what);
/* Fails unless a and b have the same canonical bytes. */
void fuzz_same(const json_t *a, const json_t *b, const char *what);

#endif
