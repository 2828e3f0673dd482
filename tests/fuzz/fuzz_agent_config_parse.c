/* fuzz_agent_config_parse.c: libFuzzer harness for the agent's config file parser
 * (agent_config_parse takes the file's text, so no data directory is needed). Input: the
 * text. A config it accepts must format to text that parses back to the same config, and
 * its conflict policies go through conflict_policy_set as the agent does when it opens. */
#include "tests/fuzz/fuzz.h"
#include "agent/agent.h"
#include "conflict/conflict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_policies(const agent_config *c)
{
	conflict_policy *p = NULL;
	const char *path;
	json_t *rule;

	fuzz_ok(conflict_policy_new(&p), "policy: cannot make one");
	json_object_foreach(c->policies, path, rule)
	{
		conflict_policy_set(p, path, json_string_value(rule));
	}
	conflict_policy_free(p);
}

/* format(parse(format(c))) == format(c). Only for a config with the three settings
 * agent_init_dir requires: format writes them unconditionally. */
static void round_trip(const agent_config *c)
{
	char *text = agent_config_format(c), *text2;
	agent_config again;

	agent_config_init(&again);
	fuzz_ok(agent_config_parse(&again, text, "formatted"),
	        "config: a formatted config does not parse");
	text2 = agent_config_format(&again);
	if (strcmp(text, text2)) {
		fprintf(stderr, "first:\n%s\nsecond:\n%s\n", text, text2);
		fuzz_fail("config: format(parse(format(config))) differs");
	}
	free(text);
	free(text2);
	agent_config_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	agent_config c;

	agent_config_init(&c);
	if (agent_config_parse(&c, text, "config") == 0) {
		check_policies(&c);
		if (c.office && c.node && c.central)
			round_trip(&c);
	}
	agent_config_release(&c);
	free(text);
	return 0;
}
