/* test_pace.c: the push's batch sizing (agent/pace.c) on exchanges from known links: the
 * probe and its fourfold ramp, a near link that stays at the floor, a far link whose batches
 * grow (twofold at most each time) to the cap, noise that shows no cost per byte, and a
 * small backlog that starts at the floor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "agent/agent_int.h"

#define KIB 1024L
#define MIB (1024L * 1024L)

/* Asks for the next batch and notes its exchange on a link costing fixed_ms per request
 * and ns_per_byte per byte; returns the size asked. */
static long step(agent_pace *p, double fixed_ms, double ns_per_byte)
{
	long b = agent_pace_next(p);

	agent_pace_note(p, b, (int64_t)(fixed_ms + (double)b * ns_per_byte / 1e6));
	return b;
}

static void test_ramp_then_floor_on_a_near_link(void **state)
{
	agent_pace p;
	int i;

	(void)state;
	agent_pace_init(&p, 2 * MIB, 10000);
	assert_int_equal(step(&p, 2, 500), 16 * KIB);
	assert_int_equal(agent_pace_next(&p), 64 * KIB); /* asked before the probe's answer */
	assert_int_equal(agent_pace_next(&p), 256 * KIB);
	agent_pace_note(&p, 64 * KIB, 2 + 64 * KIB * 500 / 1000000);
	for (i = 0; i < 10; i++) /* 2 ms fixed at 0.5 us a byte: 16 KiB would do; the floor */
		assert_int_equal(step(&p, 2, 500), 512 * KIB);
}

static void test_far_link_grows_to_the_cap(void **state)
{
	agent_pace p;
	long b = 0, prev = 512 * KIB;
	int i;

	(void)state;
	agent_pace_init(&p, 2 * MIB, 10000);
	for (i = 0; i < 3; i++)
		step(&p, 60, 100);
	for (i = 0; i < 6; i++) { /* 60 ms fixed at 0.1 us a byte: 2.4 MB wanted */
		b = step(&p, 60, 100);
		assert_true(b >= 512 * KIB && b <= 2 * prev && b <= 2 * MIB);
		prev = b;
	}
	assert_int_equal(b, 2 * MIB);
}

static void test_no_cost_per_byte_keeps_the_size(void **state)
{
	agent_pace p;
	int i;

	(void)state;
	agent_pace_init(&p, 2 * MIB, 10000);
	agent_pace_next(&p);
	agent_pace_note(&p, 16 * KIB, 90); /* a loaded machine: the small batch was slowest */
	agent_pace_next(&p);
	agent_pace_note(&p, 64 * KIB, 40);
	for (i = 0; i < 5; i++)
		assert_int_equal(agent_pace_next(&p), 512 * KIB);
}

static void test_small_backlog_and_small_cap(void **state)
{
	agent_pace p;

	(void)state;
	agent_pace_init(&p, 2 * MIB, 300);
	assert_int_equal(agent_pace_next(&p), 512 * KIB);
	agent_pace_init(&p, 32 * KIB, 10000);
	assert_int_equal(step(&p, 50, 100), 16 * KIB);
	assert_int_equal(step(&p, 50, 100), 32 * KIB);
	assert_int_equal(step(&p, 50, 100), 32 * KIB);
	assert_int_equal(step(&p, 50, 100), 32 * KIB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ramp_then_floor_on_a_near_link),
	    cmocka_unit_test(test_far_link_grows_to_the_cap),
	    cmocka_unit_test(test_no_cost_per_byte_keeps_the_size),
	    cmocka_unit_test(test_small_backlog_and_small_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
