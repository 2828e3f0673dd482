/* json_fast.c: a quick reader for the JSON the project writes itself (ds_json_canonical:
 * compact, integers, strings with few escapes), for the hot paths that read it back (the
 * journal's payloads on every push, the inflated documents of the wire after their
 * weighing: any text, trusted or not). It gives the same values as ds_json_parse; anything it
 * does not handle itself (a \u escape, a real number, deep nesting, a duplicate key, bad
 * UTF-8, any error) is handed to ds_json_parse, which decides and words the error. */
#include "base/base.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FAST_DEPTH 64 /* deeper values go to ds_json_parse */

typedef struct rd {
	const char *p, *end;
	ds_buf tmp; /* unescaped string bytes */
} rd;

static json_t *value(rd *r, int depth);

static void ws(rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

/* The string at r->p (after its quote) in *s, *n: borrowed from the text, or from r->tmp
 * when it had escapes. 0, or -1 for anything left to ds_json_parse. */
static int string_at(rd *r, const char **s, size_t *n)
{
	const char *q = r->p, *start = r->p;

	while (q < r->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	if (q < r->end && *q == '"') {
		*s = start;
		*n = (size_t)(q - start);
		r->p = q + 1;
		return 0;
	}
	r->tmp.len = 0;
	for (q = start; q < r->end && *q != '"'; q++) {
		char c = *q;
		if ((unsigned char)c < 0x20)
			return -1;
		if (c == '\\') {
			if (++q >= r->end)
				return -1;
			switch (*q) {
			case '"':
			case '\\':
			case '/':
				c = *q;
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			default:
				return -1; /* \u and anything else */
			}
		}
		if (ds_buf_add(&r->tmp, &c, 1))
			return -1;
	}
	if (q >= r->end)
		return -1;
	*s = r->tmp.len ? r->tmp.ptr : "";
	*n = r->tmp.len;
	r->p = q + 1;
	return 0;
}

/* An integer: -?(0|[1-9][0-9]*) that fits; a real or anything else is NULL. */
static json_t *integer(rd *r)
{
	const char *q = r->p;
	char digits[24], *e;
	long long v;

	if (q < r->end && *q == '-')
		q++;
	if (q >= r->end || *q < '0' || *q > '9' ||
	    (*q == '0' && q + 1 < r->end && q[1] >= '0' && q[1] <= '9'))
		return NULL;
	while (q < r->end && *q >= '0' && *q <= '9')
		q++;
	if (q < r->end && (*q == '.' || *q == 'e' || *q == 'E'))
		return NULL;
	if (q - r->p > 20)
		return NULL;
	memcpy(digits, r->p, (size_t)(q - r->p)); /* the text need not end with a NUL */
	digits[q - r->p] = '\0';
	errno = 0;
	v = strtoll(digits, &e, 10);
	if (errno || *e)
		return NULL;
	r->p = q;
	return json_integer(v);
}

static json_t *literal(rd *r, const char *word, json_t *v)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return NULL;
	r->p += n;
	return v;
}

static json_t *object(rd *r, int depth)
{
	json_t *o = json_object(), *v;
	const char *k;
	char *key;
	size_t n, size;
	int ok;

	ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return o;
	}
	for (;;) {
		if (r->p >= r->end || *r->p++ != '"' || string_at(r, &k, &n))
			break;
		/* a key unescaped into r->tmp is kept apart: the value may use r->tmp */
		key = k == r->tmp.ptr ? ds_strndup(k, n) : NULL;
		ws(r);
		v = r->p < r->end && *r->p++ == ':' ? (ws(r), value(r, depth)) : NULL;
		size = json_object_size(o);
		ok = v && json_object_setn_new(o, key ? key : k, n, v) == 0 &&
		     json_object_size(o) > size; /* not a duplicate key, nor bad UTF-8 in it */
		free(key);
		if (!ok)
			break;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			ws(r);
			continue;
		}
		if (r->p < r->end && *r->p++ == '}')
			return o;
		break;
	}
	json_decref(o);
	return NULL;
}

static json_t *array(rd *r, int depth)
{
	json_t *a = json_array(), *v;

	ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return a;
	}
	while ((v = value(r, depth)) && json_array_append_new(a, v) == 0) {
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			ws(r);
			continue;
		}
		if (r->p < r->end && *r->p++ == ']')
			return a;
		break;
	}
	json_decref(a);
	return NULL;
}

static json_t *value(rd *r, int depth)
{
	const char *s;
	size_t n;

	if (r->p >= r->end || depth >= FAST_DEPTH)
		return NULL;
	switch (*r->p) {
	case '{':
		r->p++;
		return object(r, depth + 1);
	case '[':
		r->p++;
		return array(r, depth + 1);
	case '"':
		r->p++;
		/* json_stringn refuses bad UTF-8 (NULL); a NUL byte cannot come unescaped */
		return string_at(r, &s, &n) ? NULL : json_stringn(s, n);
	case 't':
		return literal(r, "true", json_true());
	case 'f':
		return literal(r, "false", json_false());
	case 'n':
		return literal(r, "null", json_null());
	default:
		return integer(r);
	}
}

int ds_json_parse_fast(const char *s, size_t n, json_t **out)
{
	rd r = {s, s + n, DS_BUF_INIT};
	json_t *v;

	ws(&r);
	v = value(&r, 0);
	ws(&r);
	ds_buf_release(&r.tmp);
	if (v && r.p == r.end) {
		*out = v;
		return 0;
	}
	json_decref(v);
	return ds_json_parse(s, n, out);
}
