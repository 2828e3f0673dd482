/* fixture.h: what the agent's unit tests share: a new data directory holding a store of
 * office 000.00.12.H22, opened for reading as actor "tester", and its removal. */
#ifndef DOSSYNC_TESTS_AGENT_FIXTURE_H
#define DOSSYNC_TESTS_AGENT_FIXTURE_H

#include "agent/agent_int.h"

/* A new data directory under /tmp for node (its path in *dir, caller frees through
 * fixture_remove) with the store opened; fails the test when it cannot be made. */
agent *fixture_store(char **dir, const char *node);
/* Closes a and removes dir with everything in it; frees dir. */
void fixture_remove(agent *a, char *dir);

/* The state of a test that needs one store: cmocka setup and teardown making and removing
 * it (node xa1). */
typedef struct store_fx {
	char *dir;
	agent *a;
} store_fx;
int fixture_setup(void **state);
int fixture_teardown(void **state);

#endif
