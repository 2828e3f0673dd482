/* mem.c: allocation helpers that abort on exhaustion, so callers never juggle NULL
 * from malloc; out-of-memory is not a condition dossync can recover from sensibly. */
#include "base/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "dossync: out of memory (%zu bytes)\n", n);
	abort();
}

void *ds_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *ds_calloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		oom(n * sz);
	return p;
}

void *ds_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *ds_strdup(const char *s)
{
	return ds_strndup(s, strlen(s));
}

char *ds_strndup(const char *s, size_t n)
{
	char *p = ds_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *ds_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;

	va_start(ap, fmt);
	if (vasprintf(&out, fmt, ap) < 0)
		oom(0);
	va_end(ap);
	return out;
}
