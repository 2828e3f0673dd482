/* replay.c: a main() for the harnesses in builds without libFuzzer (gcc, the ASan pass):
 *   fuzz_replay_NAME PATH...   runs the harness once on each file, or each file of a folder
 * so the seed corpus and fixed crash inputs are checked by every `scripts/test` pass. */
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
	ds_buf b = DS_BUF_INIT;

	if (ds_file_read(path, 1 << 20, &b)) {
		fprintf(stderr, "replay: %s: %s\n", path, ds_error_msg());
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)b.ptr, b.len);
	ds_buf_release(&b);
	return 0;
}

/* Every regular file of dir; 1 when one cannot be read or the folder has none. */
static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0, n = 0;

	if (!d) {
		fprintf(stderr, "replay: cannot open %s\n", dir);
		return 1;
	}
	while ((e = readdir(d))) {
		char *path = ds_path_join(dir, e->d_name);
		struct stat st;

		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			rc |= replay_file(path);
			n++;
		}
		free(path);
	}
	closedir(d);
	if (n == 0)
		fprintf(stderr, "replay: %s holds no input\n", dir);
	return rc || n == 0;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, rc = 0;

	for (i = 1; i < argc; i++)
		rc |= stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? replay_dir(argv[i])
		                                                     : replay_file(argv[i]);
	return rc;
}
