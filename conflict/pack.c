/* pack.c: history.git's objects never go loose. Every object is written to an in-memory
 * backend and lands on disk as one pack per batch (repack.c consolidates the packs). */
#include "conflict/conflict_int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMORY_PRIORITY 999

/* The in-memory store: libgit2's mempack, for reads inside the batch, and the batch's pack
 * built as objects are written (packwrite.c). git_mempack_dump is not used: in libgit2 1.5
 * it packs every commit's whole tree, not just the new objects, so a batch pack would hold
 * a full snapshot. */
typedef struct mem_backend {
	git_odb_backend parent;
	git_odb_backend *inner; /* a git_mempack */
	cf_packw pack;          /* the objects written since the last reset */
	EVP_MD *sha1;           /* for cf_object_put */
	EVP_MD_CTX *md;
} mem_backend;

static int mem_read(void **buf, size_t *len, git_object_t *type, git_odb_backend *b,
                    const git_oid *oid)
{
	git_odb_backend *in = ((mem_backend *)b)->inner;

	return in->read(buf, len, type, in, oid);
}

static int mem_read_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *oid)
{
	git_odb_backend *in = ((mem_backend *)b)->inner;

	return in->read_header(len, type, in, oid);
}

static int mem_exists(git_odb_backend *b, const git_oid *oid)
{
	git_odb_backend *in = ((mem_backend *)b)->inner;

	return in->exists(in, oid);
}

static int mem_write(git_odb_backend *b, const git_oid *oid, const void *data, size_t len,
                     git_object_t type)
{
	mem_backend *m = (mem_backend *)b;
	int rc;

	if (m->inner->exists(m->inner, oid))
		return 0; /* already in this batch's pack */
	if ((rc = m->inner->write(m->inner, oid, data, len, type)))
		return rc;
	if (cf_packw_add(&m->pack, oid, data, len, type)) {
		git_error_set_str(GIT_ERROR_ZLIB, ds_error_msg());
		return -1;
	}
	return 0;
}

static void mem_free(git_odb_backend *b)
{
	mem_backend *m = (mem_backend *)b;

	m->inner->free(m->inner);
	cf_packw_release(&m->pack);
	EVP_MD_CTX_free(m->md);
	EVP_MD_free(m->sha1);
	free(m);
}

static int mem_new(git_odb_backend **out)
{
	mem_backend *m = ds_calloc(1, sizeof(*m));
	int rc;

	*out = NULL;
	m->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	m->md = EVP_MD_CTX_new();
	if (!m->sha1 || !m->md) {
		git_error_set_str(GIT_ERROR_NOMEMORY, "cannot set up SHA-1");
		rc = -1;
	} else {
		rc = git_mempack_new(&m->inner);
	}
	if (rc) {
		EVP_MD_CTX_free(m->md);
		EVP_MD_free(m->sha1);
		free(m);
		return rc;
	}
	cf_packw_init(&m->pack);
	git_odb_init_backend(&m->parent, GIT_ODB_BACKEND_VERSION);
	m->parent.read = mem_read;
	m->parent.read_header = mem_read_header;
	m->parent.exists = mem_exists;
	m->parent.write = mem_write;
	m->parent.free = mem_free;
	*out = &m->parent;
	return 0;
}

/* "blob 12\0": what git hashes before an object's bytes; its length, the NUL included. */
static size_t object_head(char out[32], git_object_t type, size_t n)
{
	const char *t = type == GIT_OBJECT_BLOB   ? "blob "
	                : type == GIT_OBJECT_TREE ? "tree "
	                                          : NULL;
	char digits[24];
	size_t k = 0, len;

	if (!t)
		return (size_t)snprintf(out, 32, "%s %zu", git_object_type2string(type), n) + 1;
	do
		digits[k++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	memcpy(out, t, 5);
	for (len = 5; k > 0;)
		out[len++] = digits[--k];
	out[len++] = '\0';
	return len;
}

int cf_object_put(conflict_history *h, git_object_t type, const void *p, size_t n, git_oid *oid)
{
	mem_backend *m = (mem_backend *)h->mem;
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char head[32];
	size_t hn = object_head(head, type, n);
	int rc;

	if (!EVP_DigestInit_ex(m->md, m->sha1, NULL) || !EVP_DigestUpdate(m->md, head, hn) ||
	    !EVP_DigestUpdate(m->md, p, n) || !EVP_DigestFinal_ex(m->md, sum, &len))
		return ds_error_set(DS_ERROR, "history: cannot hash an object");
	git_oid_fromraw(oid, sum);
	if (h->disk->exists(h->disk, oid))
		return 0;
	rc = mem_write(h->mem, oid, p, n, type);
	return rc ? cf_git_error(rc, "history: write object") : 0;
}

void cf_mem_reset(conflict_history *h)
{
	mem_backend *m = (mem_backend *)h->mem;

	if (!m)
		return;
	git_mempack_reset(m->inner);
	cf_packw_reset(&m->pack);
}

/* ---------------------------------------------------------------- the packs on disk
 * libgit2's git_odb_write first "freshens" an object and, when no backend has it (every
 * new object), refreshes the whole object database: it re-reads objects/pack and touches
 * the loose path, a few syscalls per object written (193,000 of each for one catch-up of
 * 10,000 dossiers, docs/BENCHMARKS.md). history.git's objects are only ever in packs this
 * module writes and announces itself (cf_pack_batch, repack.c), so the pack backend is
 * wrapped without its refresh: lookups of new objects cost a search of the pack indexes,
 * no syscall, and cf_packs_refresh rescans the folder when a pack was added. There is no
 * loose backend: history.git never has loose objects (a tool that wrote some would have to
 * pack them, `git repack -d`, before dossync sees them). */

typedef struct disk_backend {
	git_odb_backend parent;
	git_odb_backend *inner; /* git_odb_backend_pack */
	const int *assume_new;  /* the history's flag: exists() answers "no" while set */
} disk_backend;

#define INNER(b) (((disk_backend *)(b))->inner)

/* Reads look again after a rescan when the object is not found: another handle or process
 * may have written a pack since this one looked (the writer lock keeps writers apart, not
 * readers). Existence checks do not: they are how a write learns an object is new. */
static int disk_read(void **buf, size_t *len, git_object_t *type, git_odb_backend *b,
                     const git_oid *oid)
{
	int rc = INNER(b)->read(buf, len, type, INNER(b), oid);

	if (rc == GIT_ENOTFOUND && INNER(b)->refresh(INNER(b)) == 0)
		rc = INNER(b)->read(buf, len, type, INNER(b), oid);
	return rc;
}

static int disk_read_prefix(git_oid *out, void **buf, size_t *len, git_object_t *type,
                            git_odb_backend *b, const git_oid *prefix, size_t n)
{
	int rc = INNER(b)->read_prefix(out, buf, len, type, INNER(b), prefix, n);

	if (rc == GIT_ENOTFOUND && INNER(b)->refresh(INNER(b)) == 0)
		rc = INNER(b)->read_prefix(out, buf, len, type, INNER(b), prefix, n);
	return rc;
}

static int disk_read_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *oid)
{
	int rc = INNER(b)->read_header(len, type, INNER(b), oid);

	if (rc == GIT_ENOTFOUND && INNER(b)->refresh(INNER(b)) == 0)
		rc = INNER(b)->read_header(len, type, INNER(b), oid);
	return rc;
}

/* git_odb_write asks every backend whether it has the object before writing it. For a
 * dossier that no branch had before, the answer is "no" for nearly every object, found by
 * a search of every pack index on disk, whose pages then stay resident: tens of MB once
 * history holds 100,000 dossiers. While the history's assume_new is set (history.c, while
 * it writes such a dossier) the packs are not searched: an object that was there after all
 * (a common value like "true") is packed once more, which costs a few bytes and is dropped
 * by the next merge. */
static int disk_exists(git_odb_backend *b, const git_oid *oid)
{
	if (*((disk_backend *)b)->assume_new)
		return 0;
	return INNER(b)->exists(INNER(b), oid);
}

static int disk_exists_prefix(git_oid *out, git_odb_backend *b, const git_oid *prefix, size_t n)
{
	return INNER(b)->exists_prefix(out, INNER(b), prefix, n);
}

static int disk_foreach(git_odb_backend *b, git_odb_foreach_cb cb, void *payload)
{
	return INNER(b)->foreach (INNER(b), cb, payload);
}

static void disk_free(git_odb_backend *b)
{
	INNER(b)->free(INNER(b));
	free(b);
}

static int disk_new(const char *objects, const int *assume_new, git_odb_backend **out)
{
	disk_backend *d = ds_calloc(1, sizeof(*d));
	int rc;

	*out = NULL;
	if ((rc = git_odb_backend_pack(&d->inner, objects))) {
		free(d);
		return rc;
	}
	d->assume_new = assume_new;
	git_odb_init_backend(&d->parent, GIT_ODB_BACKEND_VERSION);
	d->parent.read = disk_read;
	d->parent.read_prefix = disk_read_prefix;
	d->parent.read_header = disk_read_header;
	d->parent.exists = disk_exists;
	d->parent.exists_prefix = disk_exists_prefix;
	d->parent.foreach = disk_foreach;
	d->parent.free = disk_free;
	*out = &d->parent;
	return 0;
}

int cf_packs_refresh(conflict_history *h)
{
	return INNER(h->disk)->refresh(INNER(h->disk));
}

/* Adds backend b to h->odb, or frees it. */
static int add_backend(conflict_history *h, git_odb_backend *b, int priority)
{
	int rc = git_odb_add_backend(h->odb, b, priority);

	if (rc)
		b->free(b);
	return rc;
}

int cf_repo_attach(conflict_history *h)
{
	char *objects = ds_path_join(h->path, "objects");
	git_odb_backend *disk = NULL, *mem = NULL;
	int rc;

	if ((rc = git_repository_open_bare(&h->repo, h->path)) || (rc = git_odb_new(&h->odb)) ||
	    (rc = disk_new(objects, &h->assume_new, &disk)) || (rc = add_backend(h, disk, 1)))
		goto done;
	h->disk = disk;
	if ((rc = mem_new(&mem)) || (rc = add_backend(h, mem, MEMORY_PRIORITY)))
		goto done;
	h->mem = mem;
	rc = git_repository_set_odb(h->repo, h->odb);
done:
	free(objects);
	return rc ? cf_git_error(rc, "history: open object store") : 0;
}

void cf_repo_detach(conflict_history *h)
{
	git_odb_free(h->odb); /* frees the backends with it */
	git_repository_free(h->repo);
	h->odb = NULL;
	h->repo = NULL;
	h->mem = NULL;
	h->disk = NULL;
}

char *cf_pack_dir(conflict_history *h)
{
	return ds_asprintf("%s/objects/pack", h->path);
}

/* Writes pb's pack and its index into objects/pack, fsynced; *name gets "pack-<hash>".
 * The pack is built in memory and indexed in one piece: git_packbuilder_write hands it to
 * the indexer object by object, and libgit2's indexer maps and unmaps the file for each
 * piece it writes (two syscalls and a page fault per object, a third of a catch-up's
 * time). A batch or a merge is bounded (CONFLICT_HISTORY_MERGE_CAP), so the buffer is. */
int cf_pack_write(conflict_history *h, git_packbuilder *pb, char **name)
{
	git_indexer_options opts;
	git_indexer_progress stats;
	git_indexer *idx = NULL;
	git_buf buf = {0};
	char *dir = cf_pack_dir(h);
	int rc;

	*name = NULL;
	if ((rc = git_indexer_options_init(&opts, GIT_INDEXER_OPTIONS_VERSION)) ||
	    (rc = git_packbuilder_write_buf(&buf, pb)) ||
	    (rc = git_indexer_new(&idx, dir, 0, h->odb, &opts)) ||
	    (rc = git_indexer_append(idx, buf.ptr, buf.size, &stats)) ||
	    (rc = git_indexer_commit(idx, &stats)))
		goto done;
	*name = ds_asprintf("pack-%s", git_indexer_name(idx));
done:
	git_indexer_free(idx);
	git_buf_dispose(&buf);
	free(dir);
	return rc;
}

int cf_pack_batch(conflict_history *h, char **name)
{
	mem_backend *m = (mem_backend *)h->mem;
	char *dir = cf_pack_dir(h);
	int rc;

	/* The pack (and its index) is fsynced before the memory copy goes. */
	if ((rc = cf_packw_finish(&m->pack, dir, name))) {
		char *why = ds_strdup(ds_error_msg());
		rc = rc == DS_ENOSPC || cf_disk_full(why)
		         ? ds_error_set(DS_ENOSPC, "history: write pack: disk full (%s)", why)
		         : ds_error_set(rc, "history: write pack: %s", why);
		free(why);
	} else if (*name && (rc = cf_packs_refresh(h))) {
		rc = cf_git_error(rc, "history: write pack");
	}
	if (rc == 0)
		cf_mem_reset(h);
	free(dir);
	return rc;
}
