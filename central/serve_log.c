/* serve_log.c: libmicrohttpd's own messages (a connection refused at the limit, a
 * timeout, a reset) go to the log at most RATE_LINES per minute, and the access lines (one
 * per request) at most CENTRAL_ACCESS_LINES per second; the rest are counted and summed
 * up in one line, so a flood of hostile connections cannot flood the log. */
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

/* The access lines' own window, one second long. */
static pthread_mutex_t access_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t access_start;
static unsigned access_written, access_dropped;

/* 1 when one more access line may be written now; says what the last window dropped. */
static int access_keep(void)
{
	int64_t now = ds_clock_ms();
	unsigned dropped_then = 0;
	int keep;

	pthread_mutex_lock(&access_lock);
	if (now - access_start >= 1000) {
		dropped_then = access_dropped;
		access_start = now;
		access_written = access_dropped = 0;
	}
	keep = access_written < CENTRAL_ACCESS_LINES;
	if (keep)
		access_written++;
	else
		access_dropped++;
	pthread_mutex_unlock(&access_lock);
	if (dropped_then)
		ds_log(DS_LOG_INFO, "access: %u more requests in the last second were not logged",
		       dropped_then);
	return keep;
}

void central_access_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!ds_log_enabled(DS_LOG_INFO) || !access_keep())
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ds_log(DS_LOG_INFO, "access %s", line);
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
