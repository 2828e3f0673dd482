/* pack.c: history.git's objects never go loose. Every object is written to an in-memory
 * backend and lands on disk as one pack per batch (repack.c consolidates the packs). */
#include "conflict/conflict_int.h"

#include <stdlib.h>
#include <string.h>

#define MEMORY_PRIORITY 999

/* The in-memory store: libgit2's mempack, wrapped to remember which objects were written
 * (git_mempack_dump in libgit2 1.5 packs every commit's whole tree, not just the new
 * objects, so a batch pack would hold a full snapshot). */
typedef struct mem_backend {
	git_odb_backend parent;
	git_odb_backend *inner; /* a git_mempack */
	git_oid *oids;          /* written since the last reset */
	size_t n, cap;
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
	int rc = m->inner->write(m->inner, oid, data, len, type);

	if (rc == 0) {
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 256;
			m->oids = ds_realloc(m->oids, m->cap * sizeof(*m->oids));
		}
		git_oid_cpy(&m->oids[m->n++], oid);
	}
	return rc;
}

static void mem_free(git_odb_backend *b)
{
	mem_backend *m = (mem_backend *)b;

	m->inner->free(m->inner);
	free(m->oids);
	free(m);
}

static int mem_new(git_odb_backend **out)
{
	mem_backend *m = ds_calloc(1, sizeof(*m));
	int rc;

	*out = NULL;
	if ((rc = git_mempack_new(&m->inner))) {
		free(m);
		return rc;
	}
	git_odb_init_backend(&m->parent, GIT_ODB_BACKEND_VERSION);
	m->parent.read = mem_read;
	m->parent.read_header = mem_read_header;
	m->parent.exists = mem_exists;
	m->parent.write = mem_write;
	m->parent.free = mem_free;
	*out = &m->parent;
	return 0;
}

void cf_mem_reset(conflict_history *h)
{
	mem_backend *m = (mem_backend *)h->mem;

	if (!m)
		return;
	git_mempack_reset(m->inner);
	m->n = 0;
}

int cf_repo_attach(conflict_history *h)
{
	int rc;

	if ((rc = git_repository_open_bare(&h->repo, h->path)) ||
	    (rc = git_repository_odb(&h->odb, h->repo)) || (rc = mem_new(&h->mem)))
		return cf_git_error(rc, "history: open object store");
	if ((rc = git_odb_add_backend(h->odb, h->mem, MEMORY_PRIORITY))) {
		h->mem->free(h->mem);
		h->mem = NULL;
		return cf_git_error(rc, "history: add memory backend");
	}
	return 0;
}

void cf_repo_detach(conflict_history *h)
{
	git_odb_free(h->odb); /* frees the memory backend with it */
	git_repository_free(h->repo);
	h->odb = NULL;
	h->repo = NULL;
	h->mem = NULL;
}

char *cf_pack_dir(conflict_history *h)
{
	return ds_asprintf("%s/objects/pack", h->path);
}

int cf_pack_batch(conflict_history *h, char **name)
{
	mem_backend *m = (mem_backend *)h->mem;
	git_packbuilder *pb = NULL;
	char *dir = cf_pack_dir(h);
	size_t i;
	int rc = 0;

	*name = NULL;
	if (m->n == 0)
		goto done;
	if ((rc = git_packbuilder_new(&pb, h->repo)))
		goto done;
	git_packbuilder_set_threads(pb, 1);
	for (i = 0; i < m->n && rc == 0; i++)
		rc = git_packbuilder_insert(pb, &m->oids[i], NULL);
	/* The pack (and its index) is fsynced before the memory copy goes. */
	if (rc || (rc = git_packbuilder_write(pb, dir, 0, NULL, NULL)) ||
	    (rc = git_odb_refresh(h->odb)))
		goto done;
	*name = ds_asprintf("pack-%s", git_packbuilder_name(pb));
	cf_mem_reset(h);
done:
	git_packbuilder_free(pb);
	free(dir);
	return rc ? cf_git_error(rc, "history: write pack") : 0;
}
