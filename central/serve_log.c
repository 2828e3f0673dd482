/* serve_log.c: libmicrohttpd's own messages (a connection refused at the limit, a
 * timeout, a reset) go to the log at most RATE_LINES per minute; the rest are counted and
 * summed up in one line, so a flood of hostile connections cannot flood the log. */
#include "central/central_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define RATE_LINES 20 /* messages written per window */
#define RATE_WINDOW_MS 60000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t window_start;
static unsigned written, dropped;

/* Opens a new window when the current one is over; says what the last one dropped. */
static void roll(int64_t now)
{
	if (now - window_start < RATE_WINDOW_MS)
		return;
	if (dropped)
		ds_log(DS_LOG_WARN,
		       "http: %u more messages like the above in the last %d s "
		       "were not logged",
		       dropped, RATE_WINDOW_MS / 1000);
	window_start = now;
	written = dropped = 0;
}

void central_http_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;
	int keep;

	(void)cls;
	pthread_mutex_lock(&lock);
	roll(ds_clock_ms());
	keep = written < RATE_LINES;
	if (keep)
		written++;
	else
		dropped++;
	pthread_mutex_unlock(&lock);
	if (!keep)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	ds_log(DS_LOG_WARN, "http: %s", line);
}
