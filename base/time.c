/* time.c: RFC 3339 times with an explicit offset. Dossier times are stored with their
 * offset (+07:00 in Vietnam) so an auditor reads the wall-clock time of the act. */
#include "base/base.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t ds_time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t ds_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
int64_t ds_time_day_number(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int ds_time_days_in_month(int64_t y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

static int digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int ds_time_parse(const char *s, int64_t *epoch, int *offset_min)
{
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 1;
	const char *p;

	if (!s || strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &se))
		goto bad;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
			goto bad;
		p += 6;
	} else {
		goto bad;
	}
	if (*p || y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > ds_time_days_in_month(y, mo) || h > 23 || mi > 59 || se > 60 || oh > 14 || om > 59)
		goto bad;
	if (epoch)
		*epoch = ds_time_day_number(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
		         sign * (oh * 3600 + om * 60);
	if (offset_min)
		*offset_min = sign * (oh * 60 + om);
	return 0;
bad:
	return ds_error_set(DS_EINVALID, "'%s' is not a time like 2024-04-14T07:00:00+07:00",
	                    s ? s : "");
}

void ds_time_date(int64_t epoch, int offset_min, int *y, int *m, int *d)
{
	int64_t local = epoch + (int64_t)offset_min * 60;
	int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);

	civil_from_days(days, y, m, d);
}

void ds_time_format(int64_t epoch, int offset_min, char out[DS_TIME_LEN])
{
	int64_t local = epoch + (int64_t)offset_min * 60;
	int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int64_t secs = local - days * 86400;
	int y, m, d, off = offset_min < 0 ? -offset_min : offset_min;

	civil_from_days(days, &y, &m, &d);
	snprintf(out, DS_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m, d,
	         (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
	         offset_min < 0 ? '-' : '+', off / 60, off % 60);
}
