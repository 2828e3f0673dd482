/* buf.c: a growable byte buffer with a hard size cap (after git's strbuf and curl's
 * dynbuf). It is never NULL and always NUL-terminated; detach hands the bytes over. */
#include "base/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char ds_buf_empty[1];

void ds_buf_init(ds_buf *b, size_t max)
{
	b->ptr = ds_buf_empty;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int ds_buf_grow(ds_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;
	size_t cap;

	if (b->max && b->len + extra > b->max)
		return ds_error_set(DS_ETOOBIG, "data larger than the %zu-byte limit", b->max);
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	if (b->cap == 0) {
		b->ptr = ds_malloc(cap);
		b->ptr[0] = '\0';
	} else {
		b->ptr = ds_realloc(b->ptr, cap);
	}
	b->cap = cap;
	return 0;
}

int ds_buf_add(ds_buf *b, const void *p, size_t n)
{
	int rc = ds_buf_grow(b, n);

	if (rc)
		return rc;
	memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int ds_buf_puts(ds_buf *b, const char *s)
{
	return ds_buf_add(b, s, strlen(s));
}

int ds_buf_add_uint(ds_buf *b, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10));
	return ds_buf_add(b, d + i, sizeof(d) - i);
}

int ds_buf_printf(ds_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ds_error_set(DS_ERROR, "bad format");
	rc = ds_buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void ds_buf_reset(ds_buf *b)
{
	b->len = 0;
	if (b->cap)
		b->ptr[0] = '\0';
}

char *ds_buf_detach(ds_buf *b, size_t *len)
{
	char *p = b->cap ? b->ptr : ds_strdup("");

	if (len)
		*len = b->len;
	ds_buf_init(b, b->max);
	return p;
}

void ds_buf_release(ds_buf *b)
{
	if (b->cap)
		free(b->ptr);
	ds_buf_init(b, b->max);
}
