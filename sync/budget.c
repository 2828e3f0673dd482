/* budget.c: what a peer's JSON may become in memory. Before jansson builds a tree, one
 * cheap pass over the inflated text adds up an upper estimate of what the tree will
 * allocate (measured on jansson 2.14: an empty object 224 bytes, an array 136, a string
 * 88 plus its text, a number 40), and a document past its budget is refused unparsed: 65 KB
 * of zlib holding 64 MiB of "[{},{},...]" would otherwise become about 5 GB of objects. */
#include "sync/sync.h"

/* Upper estimates in bytes, each a little above the measured cost. */
#define W_OBJECT 256 /* '{': the object and its first hash buckets */
#define W_ARRAY 160  /* '[': the array and its first 8 slots */
#define W_STRING 96  /* '"': a string (its bytes count one each on top) */
#define W_SCALAR 48  /* a number, true, false or null */
#define W_MEMBER 16  /* ":": a member; its key, counted as a string, pays for the pair */
#define W_SLOT 16    /* ',': one more array slot or member */

/* The weight of a byte outside strings; *scalar tells whether the previous byte was part
 * of a number or literal (a scalar is counted once, at its first byte). */
static size_t weigh_byte(char c, int *scalar)
{
	int was = *scalar;

	*scalar = 0;
	switch (c) {
	case '{':
		return W_OBJECT;
	case '[':
		return W_ARRAY;
	case '"':
		return W_STRING;
	case ':':
		return W_MEMBER;
	case ',':
		return W_SLOT;
	case '}':
	case ']':
	case ' ':
	case '\t':
	case '\n':
	case '\r':
		return 0;
	default:
		*scalar = 1;
		return was ? 0 : W_SCALAR;
	}
}

int sync_json_weigh(const char *s, size_t n, size_t max, size_t *weight)
{
	size_t i, w = 0;
	int in_str = 0, scalar = 0;

	for (i = 0; i < n; i++) {
		if (in_str) {
			w++;
			if (s[i] == '\\' && i + 1 < n) {
				i++;
				w++;
			} else if (s[i] == '"') {
				in_str = 0;
			}
			continue;
		}
		w += weigh_byte(s[i], &scalar);
		in_str = s[i] == '"';
		if (w > max) {
			if (weight)
				*weight = w;
			return ds_error_set(
			    DS_ETOOBIG, "the JSON would take more than %zu bytes of memory", max);
		}
	}
	if (weight)
		*weight = w;
	return 0;
}
