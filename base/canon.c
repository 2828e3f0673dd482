/* canon.c: the canonical bytes of a JSON value (ds_json_canonical, and into a caller's
 * buffer ds_json_canonical_buf, or only counted: ds_json_canonical_size), written straight
 * into one buffer. The bytes are exactly those of jansson's
 * json_dumps(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) -- keys sorted by their bytes,
 * no spaces, UTF-8 unescaped, only '"', '\' and control characters escaped -- without its
 * callback per piece and printf per number (the push hashes and stores every op's bytes).
 * Reals, and values nested deeper than MAX_DEPTH (or cyclic), are left to jansson itself.
 */
#include "base/base.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256
#define STACK_KEYS 32

typedef struct writer {
	char *p;
	size_t len, cap;
	int bad;   /* 1: invalid UTF-8; 2: hand the value to jansson */
	int fixed; /* 1: p is the caller's, cap bytes; past it, bytes are only counted */
} writer;

typedef struct member {
	const char *key;
	size_t len;
	const json_t *value;
} member;

static void put(writer *w, const char *s, size_t n)
{
	if (w->bad)
		return;
	if (w->fixed) {
		if (n && w->len + n <= w->cap)
			memcpy(w->p + w->len, s, n);
		w->len += n;
		return;
	}
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		char *p;

		while (w->len + n + 1 > cap)
			cap *= 2;
		p = ds_realloc(w->p, cap);
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

/* The length of the UTF-8 sequence at s (at most n bytes) as jansson accepts it: no
 * overlong form, no surrogate, nothing past U+10FFFF; 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t k, i;
	uint32_t u;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xC2 || s[0] > 0xF4)
		return 0;
	k = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
	if (k > n)
		return 0;
	u = s[0] & (k == 2 ? 0x1F : k == 3 ? 0x0F : 0x07);
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		u = (u << 6) | (s[i] & 0x3F);
	}
	if ((k == 3 && u < 0x800) || (k == 4 && u < 0x10000) || (u >= 0xD800 && u <= 0xDFFF) ||
	    u > 0x10FFFF)
		return 0;
	return k;
}

static void put_escape(writer *w, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char seq[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};

	switch (c) {
	case '\\':
		put(w, "\\\\", 2);
		break;
	case '"':
		put(w, "\\\"", 2);
		break;
	case '\b':
		put(w, "\\b", 2);
		break;
	case '\f':
		put(w, "\\f", 2);
		break;
	case '\n':
		put(w, "\\n", 2);
		break;
	case '\r':
		put(w, "\\r", 2);
		break;
	case '\t':
		put(w, "\\t", 2);
		break;
	default:
		put(w, seq, 6);
		break;
	}
}

/* A JSON string: runs of bytes that need no escape are copied whole. */
static void put_string(writer *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, k;

	put(w, "\"", 1);
	while (i < n) {
		if (s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' && s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0x80) {
			if (!(k = utf8_len(s + i, n - i))) {
				w->bad = 1;
				return;
			}
			i += k;
			continue;
		}
		put(w, str + run, i - run);
		put_escape(w, s[i]);
		run = ++i;
	}
	put(w, str + run, i - run);
	put(w, "\"", 1);
}

static void put_int(writer *w, json_int_t v)
{
	char tmp[24], *e = tmp + sizeof(tmp), *p = e;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10));
	if (v < 0)
		*--p = '-';
	put(w, p, (size_t)(e - p));
}

static int member_cmp(const void *x, const void *y)
{
	const member *a = x, *b = y;
	int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void put_value(writer *w, const json_t *v, int depth);

static void put_object(writer *w, const json_t *v, int depth)
{
	member stack[STACK_KEYS], *m = stack;
	size_t n = json_object_size(v), i = 0;
	void *it;

	if (n > STACK_KEYS)
		m = ds_calloc(n, sizeof(*m));
	for (it = json_object_iter((json_t *)v); it && i < n;
	     it = json_object_iter_next((json_t *)v, it), i++) {
		m[i].key = json_object_iter_key(it);
		m[i].len = json_object_iter_key_len(it);
		m[i].value = json_object_iter_value(it);
	}
	qsort(m, i, sizeof(*m), member_cmp);
	put(w, "{", 1);
	for (n = 0; n < i && !w->bad; n++) {
		if (n)
			put(w, ",", 1);
		put_string(w, m[n].key, m[n].len);
		put(w, ":", 1);
		put_value(w, m[n].value, depth + 1);
	}
	put(w, "}", 1);
	if (m != stack)
		free(m);
}

static void put_value(writer *w, const json_t *v, int depth)
{
	size_t i, n;

	if (depth > MAX_DEPTH) {
		w->bad = 2;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		put_object(w, v, depth);
		break;
	case JSON_ARRAY:
		put(w, "[", 1);
		for (i = 0, n = json_array_size(v); i < n && !w->bad; i++) {
			if (i)
				put(w, ",", 1);
			put_value(w, json_array_get(v, i), depth + 1);
		}
		put(w, "]", 1);
		break;
	case JSON_STRING:
		put_string(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		put_int(w, json_integer_value(v));
		break;
	case JSON_TRUE:
		put(w, "true", 4);
		break;
	case JSON_FALSE:
		put(w, "false", 5);
		break;
	case JSON_NULL:
		put(w, "null", 4);
		break;
	default:
		w->bad = 2;
		break; /* a real: jansson's own formatting */
	}
}

/* The value whole through jansson: reals, very deep values, cycles (an error). */
static int by_jansson(const json_t *v, char **out, size_t *len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!s)
		return ds_error_set(DS_ERROR, "cannot serialise JSON");
	*out = s;
	if (len)
		*len = strlen(s);
	return 0;
}

int ds_json_canonical(const json_t *v, char **out, size_t *len)
{
	writer w = {0};

	*out = NULL;
	if (!v)
		return ds_error_set(DS_ERROR, "cannot serialise JSON");
	put_value(&w, v, 0);
	if (w.bad == 2) {
		free(w.p);
		return by_jansson(v, out, len);
	}
	if (w.bad) {
		free(w.p);
		return ds_error_set(DS_ERROR, "cannot serialise JSON");
	}
	put(&w, "", 1); /* the NUL */
	*out = w.p;
	if (len)
		*len = w.len - 1;
	return 0;
}

/* Into buf (cap bytes, no NUL), or only counted when it does not fit (buf may be NULL with
 * cap 0): *len is the canonical length either way. */
int ds_json_canonical_buf(const json_t *v, char *buf, size_t cap, size_t *len)
{
	writer w = {.p = buf, .cap = cap, .fixed = 1};

	*len = 0;
	if (v)
		put_value(&w, v, 0);
	if (v && w.bad == 2)
		w.len = json_dumpb(v, buf, cap, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!v || w.bad == 1 || !w.len)
		return ds_error_set(DS_ERROR, "cannot serialise JSON");
	*len = w.len;
	return 0;
}

int ds_json_canonical_size(const json_t *v, size_t *len)
{
	return ds_json_canonical_buf(v, NULL, 0, len);
}
