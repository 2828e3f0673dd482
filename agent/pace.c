/* pace.c: how big the round's next push batch is. Each exchange (a batch's canonical
 * bytes, the milliseconds from sending it to its receipts) is a point on a line
 * time = fixed + bytes * per_byte; the fixed part is what one request costs whatever its
 * size (the link's round trip, central's commit). A batch is made big enough that the
 * fixed part is at most a fifth of its time, so a far link pays few round trips, and no
 * bigger, so the pipeline (sync_round.c) fills and drains quickly on a near one.
 *
 *   more than PACE_PROBE_OPS ops pending: PACE_PROBE, then four times bigger each batch
 *       up to PACE_FLOOR while fewer than two exchanges are known (the pipeline fills at
 *       once, and the first answers measure the link);
 *   a smaller backlog: PACE_FLOOR (it goes whole when it fits);
 *   then: 4 * fixed / per_byte, within [PACE_FLOOR, cap]        (cap = batch_bytes),
 *       and at most twice the batch before it: a loaded machine makes noisy points, and
 *       a line that shows no cost per byte keeps the size it has (memory grows with it).
 */
#include "agent/agent_int.h"

#include <string.h>

#define PACE_PROBE (16L << 10)
#define PACE_FLOOR (512L << 10)
#define PACE_PROBE_OPS 512

void agent_pace_init(agent_pace *p, long cap, int64_t pending)
{
	memset(p, 0, sizeof(*p));
	p->cap = cap;
	p->ramp = pending > PACE_PROBE_OPS ? PACE_PROBE : 0; /* none before a small backlog */
}

void agent_pace_note(agent_pace *p, long bytes, int64_t ms)
{
	double x = (double)bytes, y = (double)ms;

	p->n++;
	p->sx += x;
	p->sy += y;
	p->sxx += x * x;
	p->sxy += x * y;
}

/* The least-squares line through the exchanges: 0 with *fixed and *per_byte, or -1 while
 * the points cannot tell (fewer than two sizes). */
static int fit(const agent_pace *p, double *fixed, double *per_byte)
{
	double n = (double)p->n, var, cov;

	if (p->n < 2)
		return -1;
	var = p->sxx / n - (p->sx / n) * (p->sx / n);
	cov = p->sxy / n - (p->sx / n) * (p->sy / n);
	if (var <= 1.0)
		return -1;
	*per_byte = cov / var;
	*fixed = p->sy / n - *per_byte * (p->sx / n);
	return 0;
}

long agent_pace_next(agent_pace *p)
{
	long floor = p->cap < PACE_FLOOR ? p->cap : PACE_FLOOR;
	double fixed = 0, per_byte = 0, want;

	if (fit(p, &fixed, &per_byte)) {
		long ramp = p->ramp;
		if (!ramp || ramp >= floor)
			return p->last = floor;
		p->ramp *= 4;
		return p->last = ramp;
	}
	if (per_byte <= 0)
		return p->last < floor ? p->last = floor : p->last;
	want = 4.0 * fixed / per_byte;
	if (want > 2.0 * (double)p->last)
		want = 2.0 * (double)p->last;
	if (want > (double)p->cap)
		want = (double)p->cap;
	return p->last = want < (double)floor ? floor : (long)want;
}
