/* packwrite.c: a batch's objects go straight into one pack and its index (git's pack
 * format 2 and index format 2, gitformat-pack(5)) as they are written: each object is
 * deflated once, at zlib's fastest level and with no delta search (repack.c's merges search
 * for deltas), and the index is written from the ids libgit2 already computed, so nothing
 * is hashed, inflated or sorted by libgit2's pack builder and indexer again. */
#include "conflict/conflict_int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Objects up to this size (nearly every field blob and item folder) are stored in a zlib
 * stream without compression: their bytes are mostly ids and short values that deflate
 * hardly shrinks, and setting zlib up for each of them took more time than the rest of the
 * catch-up's writing. repack.c's merges compress them with the rest. */
#define SMALL_OBJECT 512 /* larger ones (folders, long texts): zlib's fastest level */
#define PACK_HEADER 12
#define LARGE_OFFSET 0x80000000u

void cf_packw_init(cf_packw *w)
{
	memset(w, 0, sizeof(*w));
	w->pack = (ds_buf)DS_BUF_INIT;
}

static int stream_open(cf_packw *w)
{
	if (w->ready)
		return 0;
	if (deflateInit(&w->z, Z_BEST_SPEED) != Z_OK)
		return ds_error_set(DS_ERROR, "history: zlib: cannot start a stream");
	w->ready = 1;
	return 0;
}

/* The object's header: type and size, 4 bits then 7 bits a byte, low bits first. */
static size_t object_header(unsigned char *out, git_object_t type, size_t len)
{
	size_t n = 0;
	unsigned char c = (unsigned char)(((unsigned)type << 4) | (len & 15));

	for (len >>= 4; len; len >>= 7) {
		out[n++] = c | 0x80;
		c = len & 0x7f;
	}
	out[n++] = c;
	return n;
}

static void pack_start(cf_packw *w)
{
	static const unsigned char head[PACK_HEADER] = {'P', 'A', 'C', 'K', 0, 0, 0, 2};

	ds_buf_add(&w->pack, head, sizeof(head)); /* the count is set by cf_packw_finish */
}

static void entry_add(cf_packw *w, const git_oid *oid, uint64_t offset, uint32_t crc)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 1024;
		w->v = ds_realloc(w->v, w->cap * sizeof(*w->v));
	}
	git_oid_cpy(&w->v[w->n].oid, oid);
	w->v[w->n].offset = offset;
	w->v[w->n].crc = crc;
	w->n++;
}

/* A zlib stream of one stored block (len <= SMALL_OBJECT): header, the block's header,
 * the bytes, their Adler-32. */
static void stored(ds_buf *b, const void *data, size_t len)
{
	uint32_t ad = (uint32_t)adler32(adler32(0, NULL, 0), data, (uInt)len);
	unsigned char h[7] = {0x78,
	                      0x01,
	                      0x01,
	                      (unsigned char)len,
	                      (unsigned char)(len >> 8),
	                      (unsigned char)~len,
	                      (unsigned char)(~len >> 8)};
	unsigned char t[4] = {(unsigned char)(ad >> 24), (unsigned char)(ad >> 16),
	                      (unsigned char)(ad >> 8), (unsigned char)ad};

	ds_buf_add(b, h, sizeof(h));
	ds_buf_add(b, data, len);
	ds_buf_add(b, t, sizeof(t));
}

static int deflated(cf_packw *w, const void *data, size_t len)
{
	z_stream *z = &w->z;
	uLong bound;
	int rc;

	if ((rc = stream_open(w)))
		return rc;
	bound = deflateBound(z, (uLong)len);
	if ((rc = ds_buf_grow(&w->pack, bound)))
		return rc;
	deflateReset(z);
	z->next_in = (Bytef *)(uintptr_t)data;
	z->avail_in = (uInt)len;
	z->next_out = (Bytef *)w->pack.ptr + w->pack.len;
	z->avail_out = (uInt)bound;
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return ds_error_set(DS_ERROR, "history: zlib: cannot deflate an object");
	w->pack.len += bound - z->avail_out;
	return 0;
}

int cf_packw_add(cf_packw *w, const git_oid *oid, const void *data, size_t len, git_object_t type)
{
	unsigned char head[16];
	size_t at;
	int rc = 0;

	if (w->pack.len == 0)
		pack_start(w);
	at = w->pack.len;
	ds_buf_add(&w->pack, head, object_header(head, type, len));
	if (len <= SMALL_OBJECT)
		stored(&w->pack, data, len);
	else if ((rc = deflated(w, data, len)))
		return rc;
	entry_add(w, oid, at,
	          (uint32_t)crc32(0, (const Bytef *)w->pack.ptr + at, (uInt)(w->pack.len - at)));
	return 0;
}

/* ---------------------------------------------------------------- finishing */

static void sha1(const void *p, size_t n, unsigned char out[GIT_OID_RAWSZ])
{
	unsigned int len = 0;

	EVP_Digest(p, n, out, &len, EVP_sha1(), NULL);
}

static void put32(ds_buf *b, uint32_t v)
{
	unsigned char c[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 8), (unsigned char)v};

	ds_buf_add(b, c, 4);
}

static int entry_cmp(const void *x, const void *y)
{
	return git_oid_cmp(&((const cf_packw_entry *)x)->oid, &((const cf_packw_entry *)y)->oid);
}

/* The index: fan-out, sorted ids, CRCs, offsets (those past 2 GiB in a table of their
 * own), the pack's checksum, then its own. The entries are sorted. */
static void index_build(const cf_packw *w, const unsigned char *pack_sum, ds_buf *idx)
{
	static const unsigned char head[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
	unsigned char sum[GIT_OID_RAWSZ];
	uint32_t large = 0;
	size_t i, k = 0;
	int b;

	ds_buf_add(idx, head, sizeof(head));
	for (b = 0; b < 256; b++) {
		while (k < w->n && w->v[k].oid.id[0] <= b)
			k++;
		put32(idx, (uint32_t)k);
	}
	for (i = 0; i < w->n; i++)
		ds_buf_add(idx, w->v[i].oid.id, GIT_OID_RAWSZ);
	for (i = 0; i < w->n; i++)
		put32(idx, w->v[i].crc);
	for (i = 0; i < w->n; i++)
		put32(idx, w->v[i].offset < LARGE_OFFSET ? (uint32_t)w->v[i].offset
		                                         : LARGE_OFFSET | large++);
	for (i = 0; i < w->n; i++) {
		if (w->v[i].offset >= LARGE_OFFSET) {
			put32(idx, (uint32_t)(w->v[i].offset >> 32));
			put32(idx, (uint32_t)w->v[i].offset);
		}
	}
	ds_buf_add(idx, pack_sum, GIT_OID_RAWSZ);
	sha1(idx->ptr, idx->len, sum);
	ds_buf_add(idx, sum, GIT_OID_RAWSZ);
}

/* Writes the pack and its index (temporary names, both fsynced, then renamed: the pack
 * first), so a crash leaves at worst a pack without an index, which no reader sees. */
int cf_packw_finish(cf_packw *w, const char *dir, char **name)
{
	unsigned char sum[GIT_OID_RAWSZ];
	char hex[GIT_OID_HEXSZ + 1];
	ds_buf idx = DS_BUF_INIT;
	char *path = NULL, *ipath = NULL;
	git_oid id;
	int rc;

	*name = NULL;
	if (w->n == 0)
		return 0;
	w->pack.ptr[8] = (char)(w->n >> 24);
	w->pack.ptr[9] = (char)(w->n >> 16);
	w->pack.ptr[10] = (char)(w->n >> 8);
	w->pack.ptr[11] = (char)w->n;
	sha1(w->pack.ptr, w->pack.len, sum);
	ds_buf_add(&w->pack, sum, sizeof(sum));
	qsort(w->v, w->n, sizeof(*w->v), entry_cmp);
	index_build(w, sum, &idx);
	git_oid_fromraw(&id, sum);
	git_oid_tostr(hex, sizeof(hex), &id);
	path = ds_asprintf("%s/pack-%s.pack", dir, hex);
	ipath = ds_asprintf("%s/pack-%s.idx", dir, hex);
	rc = ds_file_write_atomic2(path, w->pack.ptr, w->pack.len, ipath, idx.ptr, idx.len, 0444);
	if (!rc)
		*name = ds_asprintf("pack-%s", hex);
	free(path);
	free(ipath);
	ds_buf_release(&idx);
	return rc;
}

void cf_packw_reset(cf_packw *w)
{
	ds_buf_reset(&w->pack);
	w->n = 0;
}

void cf_packw_release(cf_packw *w)
{
	if (w->ready)
		deflateEnd(&w->z);
	ds_buf_release(&w->pack);
	free(w->v);
	cf_packw_init(w);
}
