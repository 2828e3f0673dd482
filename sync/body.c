/* body.c: request and response bodies: canonical JSON compressed with zlib (RFC 1950,
 * "Content-Encoding: deflate"; level 6, filtered for big bodies), the documents with the
 * preset dictionary data/wire-dict-1.txt. Inflating is capped so that a small hostile body
 * cannot grow into gigabytes (a zip bomb), and a corrupt, truncated or padded stream, or
 * one that asks for another dictionary, is refused. */
#include "sync/sync.h"
#include "wire_dict.h" /* generated from data/wire-dict-1.txt */

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#define CHUNK (64u << 10)
#define BODY_LEVEL 6               /* zlib level of the documents: see encode() */
#define FILTERED_FROM (256u << 10) /* canonical bytes from which a body deflates filtered */

/* Room for the next chunk of output in out, honouring its own cap; 0 when it is full. */
static size_t room(const ds_buf *out)
{
	if (out->max && out->len >= out->max)
		return 0;
	if (out->max && out->max - out->len < CHUNK)
		return out->max - out->len;
	return CHUNK;
}

/* Feeds the next piece of the input (zlib counts in uInt; n is a size_t). */
static void feed(z_stream *z, const unsigned char **p, size_t *left)
{
	size_t take = *left < UINT_MAX ? *left : UINT_MAX;

	if (z->avail_in || !take)
		return;
	z->next_in = (unsigned char *)*p;
	z->avail_in = (uInt)take;
	*p += take;
	*left -= take;
}

/* Appends the zlib stream of p[0..n) to out, made with the given zlib strategy, and the
 * preset dictionary when dict. */
static int squeeze(const void *p, size_t n, int level, int strategy, int dict, ds_buf *out)
{
	z_stream z = {0};
	const unsigned char *in = p;
	size_t start = out->len, left = n, space;
	int zr = Z_OK, rc = 0;

	if (level < 0 || level > 9)
		return ds_error_set(DS_EINVALID, "deflate: level %d is not 0..9", level);
	if (deflateInit2(&z, level, Z_DEFLATED, 15, 8, strategy) != Z_OK)
		return ds_error_set(DS_ERROR, "deflate: cannot start zlib");
	if (dict && deflateSetDictionary(&z, wire_dict, sizeof(wire_dict)) != Z_OK) {
		deflateEnd(&z);
		return ds_error_set(DS_ERROR, "deflate: cannot set the preset dictionary");
	}
	while (zr != Z_STREAM_END) {
		feed(&z, &in, &left);
		if (!(space = room(out))) {
			rc = ds_error_set(DS_ETOOBIG, "deflate: output over %zu bytes", out->max);
			goto done;
		}
		if ((rc = ds_buf_grow(out, space)))
			goto done;
		z.next_out = (unsigned char *)out->ptr + out->len;
		z.avail_out = (uInt)space;
		zr = deflate(&z, left ? Z_NO_FLUSH : Z_FINISH);
		out->len += space - z.avail_out;
		out->ptr[out->len] = '\0';
		if (zr == Z_STREAM_ERROR) {
			rc = ds_error_set(DS_ERROR, "deflate: zlib stream error");
			goto done;
		}
	}
done:
	deflateEnd(&z);
	if (rc) {
		out->len = start;
		if (out->cap)
			out->ptr[start] = '\0';
	}
	return rc;
}

int sync_deflate(const void *p, size_t n, int level, ds_buf *out)
{
	return squeeze(p, n, level, Z_DEFAULT_STRATEGY, 0, out);
}

/* Gives z the preset dictionary it asks for (2: go on), or refuses a body made with
 * another one: its Adler-32 names it (docs/PROTOCOL.md "Preset dictionary"). */
static int need_dict(z_stream *z)
{
	uLong want = adler32(adler32(0, Z_NULL, 0), wire_dict, sizeof(wire_dict));

	if (z->adler != want)
		return ds_error_set(DS_EINVALID,
		                    "the zlib body needs a preset dictionary with Adler-32 %08lx; "
		                    "this build has only %s (%08lx): the peer speaks another "
		                    "protocol version",
		                    (unsigned long)z->adler, SYNC_DICT_NAME, (unsigned long)want);
	if (inflateSetDictionary(z, wire_dict, sizeof(wire_dict)) != Z_OK)
		return ds_error_set(DS_ERROR, "inflate: cannot set the preset dictionary");
	return 2;
}

/* One inflate step into out; produced counts the bytes of this stream, at most max + 1.
 * 0: go on, 1: the stream ended, 2: the dictionary was set (go on), else an error. */
static int inflate_step(z_stream *z, ds_buf *out, size_t max, size_t *produced)
{
	size_t space = max + 1 - *produced;
	int zr, rc;

	if (space > CHUNK)
		space = CHUNK;
	if ((rc = ds_buf_grow(out, space)))
		return rc;
	z->next_out = (unsigned char *)out->ptr + out->len;
	z->avail_out = (uInt)space;
	zr = inflate(z, Z_NO_FLUSH);
	out->len += space - z->avail_out;
	*produced += space - z->avail_out;
	out->ptr[out->len] = '\0';
	if (*produced > max)
		return ds_error_set(DS_ETOOBIG, "inflated body over %zu bytes", max);
	switch (zr) {
	case Z_OK:
		return 0;
	case Z_STREAM_END:
		return 1;
	case Z_DATA_ERROR:
		return ds_error_set(DS_EINVALID, "corrupt zlib body: %s",
		                    z->msg ? z->msg : "data error");
	case Z_NEED_DICT:
		return need_dict(z);
	case Z_BUF_ERROR:
		return ds_error_set(DS_EINVALID, "truncated zlib body");
	default:
		return ds_error_set(DS_ERROR, "inflate failed (zlib error %d)", zr);
	}
}

/* Appends the inflated p[0..n) to out; max 0 means SYNC_MAX_INFLATED. */
int sync_inflate(const void *p, size_t n, size_t max, ds_buf *out)
{
	z_stream z = {0};
	const unsigned char *in = p;
	size_t start = out->len, left = n, produced = 0;
	int rc = 0;

	if (!max)
		max = SYNC_MAX_INFLATED;
	if (max == SIZE_MAX)
		max--; /* inflate_step counts to max + 1 */
	if (inflateInit(&z) != Z_OK)
		return ds_error_set(DS_ERROR, "inflate: cannot start zlib");
	for (;;) {
		feed(&z, &in, &left);
		rc = inflate_step(&z, out, max, &produced);
		if (rc == 1) {
			rc = 0;
			break;
		}
		if (rc == 2)
			continue;
		if (rc)
			goto done;
		/* Everything was read, there was room, and the stream has not ended. */
		if (!z.avail_in && !left && z.avail_out) {
			rc = ds_error_set(DS_EINVALID, "truncated zlib body");
			goto done;
		}
	}
	if (z.avail_in || left)
		rc = ds_error_set(DS_EINVALID, "%zu bytes of garbage after the zlib body",
		                  (size_t)z.avail_in + left);
done:
	inflateEnd(&z);
	if (rc) {
		out->len = start;
		if (out->cap)
			out->ptr[start] = '\0';
	}
	return rc;
}

/* doc's canonical text deflated into out, with the preset dictionary when dict. */
static int encode(const json_t *doc, int dict, ds_buf *out)
{
	char *text = NULL;
	size_t len;
	int rc;

	if (!doc)
		return ds_error_set(DS_EINVALID, "body: no document");
	if ((rc = ds_json_canonical(doc, &text, &len)))
		return rc;
	/* A big column document (a push of hundreds of creates, a pull page of 1,000 states)
	 * repeats so much that zlib's filtered strategy, which prefers matches to literals,
	 * makes it 1.3-1.5% smaller at the same speed; under about 256 KiB it makes it 0.5-4%
	 * bigger (measured on dsgen dossiers: 68 KiB +1.5%, 269 KiB -0.1%, 372 KiB -1.5%). */
	/* Level 6, not 9: on the 10,000-dossier push it costs 2.6% more bytes (325,276 ->
	 * 333,880 up) and saves 72% of deflate's instructions (the agent's sync_push_encode
	 * 236k -> 171k per op, callgrind). */
	rc = squeeze(text, len, BODY_LEVEL, len >= FILTERED_FROM ? Z_FILTERED : Z_DEFAULT_STRATEGY,
	             dict, out);
	free(text);
	return rc;
}

int sync_body_encode(const json_t *doc, ds_buf *out)
{
	return encode(doc, 0, out);
}

int sync_body_encode_dict(const json_t *doc, ds_buf *out)
{
	return encode(doc, 1, out);
}

int sync_body_decode(const void *p, size_t n, size_t max_inflated, json_t **out)
{
	size_t max_tree;

	if (!max_inflated)
		max_inflated = SYNC_MAX_INFLATED;
	max_tree = max_inflated > SIZE_MAX / SYNC_TREE_PER_BYTE ? SIZE_MAX
	                                                        : SYNC_TREE_PER_BYTE * max_inflated;
	return sync_body_decode_budget(p, n, max_inflated, max_tree, out);
}

int sync_body_decode_budget(const void *p, size_t n, size_t max_inflated, size_t max_tree,
                            json_t **out)
{
	ds_buf text = DS_BUF_INIT;
	int rc;

	*out = NULL;
	if ((rc = sync_inflate(p, n, max_inflated, &text)))
		goto done;
	/* The weighing bounds the tree first; the quick reader hands anything it does not take
	 * itself (escapes it does not know, reals, depth, duplicates, errors) to ds_json_parse. */
	if ((rc = sync_json_weigh(text.ptr, text.len, max_tree, NULL)) ||
	    (rc = ds_json_parse_fast(text.ptr, text.len, out)))
		ds_error_wrap(rc, "body");
done:
	ds_buf_release(&text);
	return rc;
}
