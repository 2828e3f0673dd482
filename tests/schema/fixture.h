/* fixture.h: what the schema tests share: the birth-registration example dossier, and small
 * helpers to parse JSON text and read canonical bytes. */
#ifndef DOSSYNC_TESTS_SCHEMA_FIXTURE_H
#define DOSSYNC_TESTS_SCHEMA_FIXTURE_H

#include "schema/schema.h"

/* The birth-registration example (tests/e2e/data/birth.json), with code 000.00.12.H22-240414-0001
 * and agency 000.00.12.H22 added. A new reference each call. */
json_t *fixture_dossier(void);
/* Parses JSON text (aborts the test on bad text). */
json_t *fixture_json(const char *text);
/* Canonical bytes of v, malloc'd. */
char *fixture_canon(const json_t *v);

#endif
