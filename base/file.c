/* file.c: whole-file reads with a size cap. Atomic writes, folders and paths are in the
 * platform layer (base/os.h, base/os_posix.c). */
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
			return ds_error_set(ds_os_errno_code(errno), "cannot read %s: %s", path,
			                    strerror(errno));
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ds_error_set(ds_os_errno_code(errno), "cannot read %s: %s", path,
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
