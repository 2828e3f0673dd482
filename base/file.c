/* file.c: whole-file reads with a size cap, and atomic writes (temp name, fsync,
 * rename, fsync the folder) so a crash leaves either the old file or the new one. */
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int errno_code(int e)
{
	if (e == ENOSPC || e == EDQUOT)
		return DS_ENOSPC;
	if (e == EACCES || e == EPERM || e == EROFS)
		return DS_EPERM;
	if (e == ENOENT || e == ENOTDIR)
		return DS_ENOTFOUND;
	return DS_ERROR;
}

int ds_file_read(const char *path, size_t max, ds_buf *out)
{
	int fd = 0, rc = 0;
	char chunk[65536];
	ssize_t n;

	if (!max)
		max = 64u << 20;
	out->max = max;
	if (strcmp(path, "-") != 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ds_error_set(errno_code(errno), "cannot read %s: %s", path,
					    strerror(errno));
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ds_error_set(errno_code(errno), "cannot read %s: %s", path,
					  strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if ((rc = ds_buf_add(out, chunk, (size_t)n)) != 0) {
			rc = ds_error_set(DS_ETOOBIG, "%s is larger than %zu bytes", path, max);
			break;
		}
	}
	if (fd > 0)
		close(fd);
	return rc;
}

static int fsync_dir(const char *path)
{
	char *copy = ds_strdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	free(copy);
	if (fd < 0)
		return -1;
	fsync(fd);
	close(fd);
	return 0;
}

int ds_file_write_atomic(const char *path, const void *p, size_t n, int mode)
{
	char *tmp = ds_asprintf("%s.tmp.%ld", path, (long)getpid());
	const char *s = p;
	int fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = ds_error_set(errno_code(errno), "cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = ds_error_set(errno_code(errno), "cannot write %s: %s", path,
					  strerror(errno));
			break;
		}
		s += w;
		n -= (size_t)w;
	}
	if (!rc && fsync(fd) != 0)
		rc = ds_error_set(errno_code(errno), "cannot sync %s: %s", path, strerror(errno));
	close(fd);
	if (!rc && rename(tmp, path) != 0)
		rc = ds_error_set(errno_code(errno), "cannot rename onto %s: %s", path,
				  strerror(errno));
	if (rc)
		unlink(tmp);
	else
		fsync_dir(path);
done:
	free(tmp);
	return rc;
}

int ds_mkdirs(const char *path, int mode)
{
	char *p = ds_strdup(path), *s;
	int rc = 0;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
		rc = -1;
	if (rc)
		rc = ds_error_set(errno_code(errno), "cannot create %s: %s", path, strerror(errno));
	free(p);
	return rc;
}

char *ds_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (n && dir[n - 1] == '/')
		return ds_asprintf("%s%s", dir, name);
	return ds_asprintf("%s/%s", dir, name);
}
