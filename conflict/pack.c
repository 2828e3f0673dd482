/* pack.c: keeping history.git packed. Every object is written to an in-memory backend
 * (git_mempack) and lands on disk as one pack per batch; when packs pile up they are
 * consolidated into one pack of the objects reachable from the branches. No loose object
 * is ever written. */
#include "conflict/conflict_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MEMPACK_PRIORITY 999

int cf_repo_attach(conflict_history *h)
{
	int rc;

	if ((rc = git_repository_open_bare(&h->repo, h->path)) ||
	    (rc = git_repository_odb(&h->odb, h->repo)) || (rc = git_mempack_new(&h->mempack)))
		return cf_git_error(rc, "history: open object store");
	if ((rc = git_odb_add_backend(h->odb, h->mempack, MEMPACK_PRIORITY))) {
		h->mempack->free(h->mempack);
		h->mempack = NULL;
		return cf_git_error(rc, "history: add memory backend");
	}
	return 0;
}

void cf_repo_detach(conflict_history *h)
{
	git_odb_free(h->odb); /* frees the mempack backend with it */
	git_repository_free(h->repo);
	h->odb = NULL;
	h->repo = NULL;
	h->mempack = NULL;
}

/* The number of objects a pack's header announces. */
static uint32_t pack_objects(const git_buf *pack)
{
	const unsigned char *p = (const unsigned char *)pack->ptr;

	if (pack->size < 12)
		return 0;
	return (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
}

int cf_pack_batch(conflict_history *h)
{
	git_buf pack = {0};
	git_odb_writepack *wp = NULL;
	git_indexer_progress stats = {0};
	int rc;

	if ((rc = git_mempack_dump(&pack, h->repo, h->mempack)))
		goto done;
	if (pack_objects(&pack) == 0)
		goto done;
	if ((rc = git_odb_write_pack(&wp, h->odb, NULL, NULL)) ||
	    (rc = wp->append(wp, pack.ptr, pack.size, &stats)) || (rc = wp->commit(wp, &stats)))
		goto done;
	/* The pack backend must see the new pack before the memory copy goes. */
	if ((rc = git_odb_refresh(h->odb)))
		goto done;
	rc = git_mempack_reset(h->mempack);
done:
	if (wp)
		wp->free(wp);
	git_buf_dispose(&pack);
	return rc ? cf_git_error(rc, "history: write pack") : 0;
}

static char *pack_dir(conflict_history *h)
{
	return ds_asprintf("%s/objects/pack", git_repository_path(h->repo));
}

/* The names ("pack-<hash>") of the packs on disk, as a JSON array. */
static int list_packs(conflict_history *h, json_t **out)
{
	char *dir = pack_dir(h);
	DIR *d = opendir(dir);
	struct dirent *e;

	*out = json_array();
	free(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".pack") == 0)
			json_array_append_new(*out, json_stringn(e->d_name, n - 5));
	}
	closedir(d);
	return 0;
}

int cf_pack_count(conflict_history *h, size_t *count)
{
	json_t *packs;
	int rc = list_packs(h, &packs);

	*count = json_array_size(packs);
	json_decref(packs);
	return rc;
}

/* Deletes the files of every pack in old except the one named keep. */
static void remove_packs(conflict_history *h, const json_t *old, const char *keep)
{
	static const char *const exts[] = {".pack", ".idx", ".rev", ".bitmap"};
	char *dir = pack_dir(h);
	json_t *name;
	size_t i, j;

	json_array_foreach(old, i, name)
	{
		if (strstr(json_string_value(name), keep))
			continue;
		for (j = 0; j < DS_ARRAY_LEN(exts); j++) {
			char *path = ds_asprintf("%s/%s%s", dir, json_string_value(name), exts[j]);
			unlink(path);
			free(path);
		}
	}
	free(dir);
}

/* Writes one pack of every object reachable from the branches; *name gets its hash. */
static int write_full_pack(conflict_history *h, char **name, size_t *objects)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	char *dir = pack_dir(h);
	int rc;

	*name = NULL;
	*objects = 0;
	if ((rc = git_packbuilder_new(&pb, h->repo)) || (rc = git_revwalk_new(&walk, h->repo)) ||
	    (rc = git_revwalk_push_glob(walk, "refs/heads/*")) ||
	    (rc = git_packbuilder_insert_walk(pb, walk)))
		goto done;
	git_packbuilder_set_threads(pb, 1);
	*objects = git_packbuilder_object_count(pb);
	if (*objects == 0)
		goto done;
	if ((rc = git_packbuilder_write(pb, dir, 0, NULL, NULL)))
		goto done;
	*name = ds_strdup(git_packbuilder_name(pb));
done:
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	free(dir);
	return rc ? cf_git_error(rc, "history: repack") : 0;
}

int conflict_history_repack(conflict_history *h)
{
	json_t *old = NULL;
	char *name = NULL;
	size_t objects;
	int rc;

	if (h->in_batch)
		return ds_error_set(DS_EINVALID, "history: cannot repack inside a batch");
	if ((rc = list_packs(h, &old)) || (rc = write_full_pack(h, &name, &objects)) || !name)
		goto done;
	/* The new pack is on disk (fsynced): the old ones can go. Reopen so that libgit2
	 * drops its maps of the deleted packs. */
	cf_repo_detach(h);
	remove_packs(h, old, name);
	rc = cf_repo_attach(h);
done:
	json_decref(old);
	free(name);
	return rc;
}
