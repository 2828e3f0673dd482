/* backoff.c: the retry policy: exponential backoff with full jitter. After the n-th
 * failure in a row the caller waits a uniformly random time in [0, min(cap, base * 2^n)],
 * so many offices coming back online at once do not hammer central together. The random
 * numbers come from splitmix64 seeded by the caller, so a seed replays the same delays. */
#include "sync/sync.h"

/* Failures beyond this change nothing (2^40 times any sane base is past any cap) and
 * keep the shift below from overflowing. */
#define MAX_FAILURES 40

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void sync_backoff_init(sync_backoff *b, int64_t base_ms, int64_t cap_ms, uint64_t seed)
{
	b->base_ms = base_ms > 0 ? base_ms : 0;
	b->cap_ms = cap_ms > 0 ? cap_ms : 0;
	b->failures = 0;
	b->rng = seed;
}

/* min(cap, base * 2^n) without overflow. */
static int64_t ceiling(const sync_backoff *b, int n)
{
	int64_t c = b->base_ms;
	int i;

	for (i = 0; i < n && c < b->cap_ms; i++)
		c = c > INT64_MAX / 2 ? INT64_MAX : c * 2;
	return c < b->cap_ms ? c : b->cap_ms;
}

int64_t sync_backoff_fail(sync_backoff *b)
{
	uint64_t top;

	if (b->failures < MAX_FAILURES)
		b->failures++;
	top = (uint64_t)ceiling(b, b->failures);
	/* Uniform in [0, top]: the high half of a 64x64-bit product avoids modulo bias. */
	return (int64_t)(((unsigned __int128)splitmix64(&b->rng) * (top + 1)) >> 64);
}

void sync_backoff_reset(sync_backoff *b)
{
	b->failures = 0;
}
