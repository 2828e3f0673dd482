/* fixture.c: the agent's unit tests' store (fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tests/agent/fixture.h"

agent *fixture_store(char **dir, const char *node)
{
	agent_config cfg;
	agent *a = NULL;

	*dir = ds_strdup("/tmp/dsagent-test-XXXXXX");
	if (!mkdtemp(*dir))
		fail_msg("mkdtemp failed");
	agent_config_init(&cfg);
	cfg.office = ds_strdup("000.00.12.H22");
	cfg.node = ds_strdup(node);
	cfg.central = ds_strdup("http://127.0.0.1:9");
	if (agent_init_dir(*dir, &cfg) || agent_open(&a, *dir, AGENT_READ, "tester"))
		fail_msg("store: %s", ds_error_msg());
	agent_config_release(&cfg);
	return a;
}

void fixture_remove(agent *a, char *dir)
{
	agent_close(a);
	if (dir && ds_os_remove_tree(dir))
		fail_msg("cannot remove %s: %s", dir, ds_error_msg());
	free(dir);
}

int fixture_setup(void **state)
{
	store_fx *f = ds_calloc(1, sizeof(*f));

	f->a = fixture_store(&f->dir, "xa1");
	*state = f;
	return 0;
}

int fixture_teardown(void **state)
{
	store_fx *f = *state;

	fixture_remove(f->a, f->dir);
	free(f);
	return 0;
}
