/* test_backoff.c: units for the retry policy (sync/backoff.c): every delay stays within
 * [0, min(cap, base * 2^n)], delays grow on average, reset starts over, a seed replays the
 * same delays, and a hundred failures in a row do not overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sync/sync.h"

static int64_t bound(int64_t base, int64_t cap, int n)
{
	int64_t c = base;

	while (n-- > 0 && c < cap)
		c *= 2;
	return c < cap ? c : cap;
}

static void within_bounds(void **state)
{
	sync_backoff b;
	int seed, n;

	for (seed = 1; seed <= 200; seed++) {
		sync_backoff_init(&b, 500, 300000, (uint64_t)seed);
		for (n = 1; n <= 30; n++) {
			int64_t d = sync_backoff_fail(&b);

			assert_true(d >= 0);
			assert_true(d <= bound(500, 300000, n));
		}
	}
}

static void grows_on_average(void **state)
{
	double mean[9] = {0};
	sync_backoff b;
	int seed, n;

	for (seed = 0; seed < 2000; seed++) {
		sync_backoff_init(&b, 100, 1000000, (uint64_t)seed * 7919 + 1);
		for (n = 1; n <= 8; n++)
			mean[n] += (double)sync_backoff_fail(&b) / 2000.0;
	}
	for (n = 1; n <= 8; n++) {
		/* Full jitter: the mean is half the ceiling, 100 * 2^n / 2. */
		double want = (double)bound(100, 1000000, n) / 2.0;

		printf("failure %d: mean delay %.0f ms (expected about %.0f)\n", n, mean[n], want);
		assert_true(mean[n] > want * 0.9 && mean[n] < want * 1.1);
		if (n > 1)
			assert_true(mean[n] > mean[n - 1]);
	}
}

static void capped_and_reset(void **state)
{
	sync_backoff b;
	int64_t d, top = 0;
	int i;

	sync_backoff_init(&b, 1000, 5000, 42);
	for (i = 0; i < 200; i++) {
		d = sync_backoff_fail(&b);
		assert_true(d >= 0 && d <= 5000);
		if (d > top)
			top = d;
	}
	/* At the cap the delays spread over the whole [0, cap]. */
	assert_true(top > 4500);
	sync_backoff_reset(&b);
	assert_int_equal(b.failures, 0);
	/* After a reset the first failure is bounded by base * 2 again. */
	for (i = 0; i < 100; i++) {
		sync_backoff_reset(&b);
		assert_true(sync_backoff_fail(&b) <= 2000);
	}
}

static void deterministic(void **state)
{
	sync_backoff a, b, c;
	int i, differ = 0;

	sync_backoff_init(&a, 250, 60000, 12345);
	sync_backoff_init(&b, 250, 60000, 12345);
	sync_backoff_init(&c, 250, 60000, 54321);
	for (i = 0; i < 50; i++) {
		int64_t x = sync_backoff_fail(&a), y = sync_backoff_fail(&b);

		assert_int_equal(x, y);
		differ += x != sync_backoff_fail(&c);
	}
	assert_true(differ > 40);
}

static void no_overflow(void **state)
{
	sync_backoff b;
	int i;

	/* A huge cap: base * 2^100 would overflow long before. */
	sync_backoff_init(&b, 1000, INT64_MAX, 7);
	for (i = 0; i < 100; i++) {
		int64_t d = sync_backoff_fail(&b);

		assert_true(d >= 0);
	}
	assert_true(b.failures > 0 && b.failures <= 100);
	/* A zero base never waits; a cap below base caps it. */
	sync_backoff_init(&b, 0, 1000, 7);
	for (i = 0; i < 100; i++)
		assert_int_equal(sync_backoff_fail(&b), 0);
	sync_backoff_init(&b, 1000, 10, 7);
	for (i = 0; i < 100; i++)
		assert_true(sync_backoff_fail(&b) <= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(within_bounds),    cmocka_unit_test(grows_on_average),
	    cmocka_unit_test(capped_and_reset), cmocka_unit_test(deterministic),
	    cmocka_unit_test(no_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
