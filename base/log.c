/* log.c: one-line log records to stderr (with a +07:00 timestamp) or to syslog. */
#include "base/base.h"

#include <stdio.h>
#include <syslog.h>

static int to_syslog;
static int max_level = DS_LOG_INFO;

void ds_log_open(int use_syslog, const char *ident, int level)
{
	to_syslog = use_syslog;
	max_level = level;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

int ds_log_enabled(int level)
{
	return level <= max_level;
}

void ds_log(int level, const char *fmt, ...)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	static const char *name[] = {"error", "warn", "info", "debug"};
	char line[2048], when[DS_TIME_LEN];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (to_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	ds_time_format(ds_time_now(), DS_TZ_VN, when);
	fprintf(stderr, "%s %s %s\n", when, name[level], line);
}
