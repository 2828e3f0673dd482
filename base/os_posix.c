/* os_posix.c: the platform layer (base/os.h) on POSIX: flock, sigaction and sigwait,
 * syslog, fsync and rename, mkdir, nftw, opendir, realpath, getpwuid. The only file of
 * dossync's libraries that calls them; docs/PORTING.md has the Windows counterparts. */
#include "base/base.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

int ds_os_errno_code(int e)
{
	if (e == ENOSPC || e == EDQUOT)
		return DS_ENOSPC;
	if (e == EACCES || e == EPERM || e == EROFS)
		return DS_EPERM;
	if (e == ENOENT || e == ENOTDIR)
		return DS_ENOTFOUND;
	return DS_ERROR;
}

long ds_os_pid(void)
{
	return (long)getpid();
}

void ds_os_sleep_ms(int ms)
{
	poll(NULL, 0, ms); /* no SA_RESTART (ds_os_on_signals): a signal ends it */
}

/* ---------------------------------------------------------------- file locks */
static long lock_holder(int fd)
{
	char buf[32] = {0};

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		return 0;
	return atol(buf);
}

int ds_os_lock_file(const char *path, int wait_ms, int *fd_out, long *holder)
{
	char pid[32];
	int fd, waited = 0;

	*fd_out = -1;
	if (holder)
		*holder = 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return ds_error_set(errno == EACCES ? DS_EPERM : DS_ERROR, "cannot open %s: %s",
		                    path, strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			if (holder)
				*holder = lock_holder(fd);
			close(fd);
			return DS_ERETRY;
		}
		usleep(50 * 1000);
		waited += 50;
	}
	snprintf(pid, sizeof(pid), "%ld\n", ds_os_pid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, strlen(pid), 0) < 0) {
		/* The pid is only informative; the lock is what excludes. */
	}
	*fd_out = fd;
	return 0;
}

int ds_os_lock_probe(const char *path, int *held, long *holder)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*held = 0;
	*holder = 0;
	if (fd < 0)
		return errno == ENOENT
		           ? 0
		           : ds_error_set(DS_ERROR, "cannot open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
	} else if (errno == EWOULDBLOCK) {
		*held = 1;
		*holder = lock_holder(fd);
	}
	close(fd);
	return 0;
}

void ds_os_unlock_file(int *fd)
{
	if (*fd < 0)
		return;
	flock(*fd, LOCK_UN);
	close(*fd);
	*fd = -1;
}

/* ---------------------------------------------------------------- signals */
void ds_os_on_signals(void (*on_stop)(int), void (*on_reload)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop; /* no SA_RESTART: a sleep or poll ends at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (on_reload) {
		sa.sa_handler = on_reload;
		sigaction(SIGHUP, &sa, NULL);
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static sigset_t stop_set, stop_old;

void ds_os_stop_block(void)
{
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_set, &stop_old);
}

int ds_os_stop_wait(void)
{
	int sig = 0;

	while (sigwait(&stop_set, &sig) != 0)
		;
	return sig;
}

void ds_os_stop_unblock(void)
{
	pthread_sigmask(SIG_SETMASK, &stop_old, NULL);
}

/* ---------------------------------------------------------------- system log */
void ds_os_syslog_open(const char *ident)
{
	openlog(ident, LOG_PID, LOG_DAEMON);
}

void ds_os_syslog(int level, const char *line)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

	syslog(prio[level < 0 ? 0 : level > DS_LOG_DEBUG ? DS_LOG_DEBUG : level], "%s", line);
}

/* ---------------------------------------------------------------- files and folders */
/* fsyncs the folder holding path, so a rename in it survives a power cut. */
static void sync_dir_of(const char *path)
{
	char *copy = ds_strdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	free(copy);
	if (fd < 0)
		return;
	fsync(fd);
	close(fd);
}

static int write_all(int fd, const char *s, size_t n, const char *path)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return ds_error_set(ds_os_errno_code(errno), "cannot write %s: %s", path,
			                    strerror(errno));
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes p to a temporary name beside path and flushes it to disk; *tmp gets the name. */
static int write_tmp(const char *path, const void *p, size_t n, int mode, char **tmp)
{
	int fd, rc = 0;

	*tmp = ds_asprintf("%s.tmp.%ld", path, ds_os_pid());
	fd = open(*tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return ds_error_set(ds_os_errno_code(errno), "cannot write %s: %s", path,
		                    strerror(errno));
	rc = write_all(fd, p, n, path);
	if (!rc && fsync(fd) != 0)
		rc = ds_error_set(ds_os_errno_code(errno), "cannot sync %s: %s", path,
		                  strerror(errno));
	close(fd);
	if (rc)
		unlink(*tmp);
	return rc;
}

static int rename_onto(const char *tmp, const char *path)
{
	if (rename(tmp, path) == 0)
		return 0;
	unlink(tmp);
	return ds_error_set(ds_os_errno_code(errno), "cannot rename onto %s: %s", path,
	                    strerror(errno));
}

int ds_file_write_atomic(const char *path, const void *p, size_t n, int mode)
{
	char *tmp = NULL;
	int rc = write_tmp(path, p, n, mode, &tmp);

	if (!rc && !(rc = rename_onto(tmp, path)))
		sync_dir_of(path);
	free(tmp);
	return rc;
}

int ds_file_write_atomic2(const char *path1, const void *p1, size_t n1, const char *path2,
                          const void *p2, size_t n2, int mode)
{
	char *tmp1 = NULL, *tmp2 = NULL;
	int rc = write_tmp(path1, p1, n1, mode, &tmp1);

	if (!rc && (rc = write_tmp(path2, p2, n2, mode, &tmp2)))
		unlink(tmp1);
	if (!rc && (rc = rename_onto(tmp1, path1)))
		unlink(tmp2);
	if (!rc && !(rc = rename_onto(tmp2, path2)))
		sync_dir_of(path2);
	free(tmp1);
	free(tmp2);
	return rc;
}

static int io_fail(const char *what, const char *path)
{
	return ds_error_set(ds_os_errno_code(errno), "cannot %s %s: %s", what, path,
	                    strerror(errno));
}

int ds_os_write_at(const char *path, int64_t at, const void *p, size_t n)
{
	struct stat st;
	int created = stat(path, &st) != 0, fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return io_fail("write", path);
	if (ftruncate(fd, (off_t)at) != 0 || lseek(fd, (off_t)at, SEEK_SET) < 0)
		rc = io_fail("write", path);
	if (!rc)
		rc = write_all(fd, p, n, path);
	if (!rc && fsync(fd) != 0)
		rc = io_fail("sync", path);
	close(fd);
	if (!rc && created)
		sync_dir_of(path);
	return rc;
}

int ds_os_read_at(const char *path, int64_t at, size_t n, ds_buf *out)
{
	char block[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return io_fail("read", path);
	while (!rc && n > 0) {
		ssize_t r = pread(fd, block, n < sizeof(block) ? n : sizeof(block), (off_t)at);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = io_fail("read", path);
		else if (r == 0)
			break;
		else if (!(rc = ds_buf_add(out, block, (size_t)r))) {
			at += r;
			n -= (size_t)r;
		}
	}
	close(fd);
	return rc;
}

int ds_os_file_size(const char *path, int64_t *size)
{
	struct stat st;

	*size = 0;
	if (stat(path, &st) != 0)
		return io_fail("read", path);
	*size = (int64_t)st.st_size;
	return 0;
}

int ds_os_remove(const char *path)
{
	if (unlink(path) != 0 && errno != ENOENT)
		return io_fail("remove", path);
	return 0;
}

int ds_os_rename_durable(const char *from, const char *to)
{
	int rc;

	sync_dir_of(from);
	if (rename(from, to) != 0) {
		rc = ds_os_errno_code(errno);
		return ds_error_set(rc == DS_ENOTFOUND ? DS_ERROR : rc, "cannot move %s to %s: %s",
		                    from, to, strerror(errno));
	}
	sync_dir_of(to);
	return 0;
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
		rc = ds_error_set(ds_os_errno_code(errno), "cannot create %s: %s", path,
		                  strerror(errno));
	free(p);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

int ds_os_remove_tree(const char *path)
{
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT)
		return 0;
	return ds_error_set(ds_os_errno_code(errno), "cannot remove %s: %s", path, strerror(errno));
}

/* nftw has no user pointer: the sum lives here for the walk's length. */
static _Thread_local uint64_t size_sum;

static int add_size(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path;
	(void)f;
	if (flag == FTW_F)
		size_sum += (uint64_t)st->st_size;
	return 0;
}

int ds_os_tree_size(const char *path, uint64_t *bytes)
{
	size_sum = 0;
	if (nftw(path, add_size, 16, FTW_PHYS) != 0)
		return ds_error_set(DS_ERROR, "cannot walk %s", path);
	*bytes = size_sum;
	return 0;
}

int ds_os_list_dir(const char *path, json_t **names)
{
	DIR *d = opendir(path);
	struct dirent *e;

	*names = NULL;
	if (!d)
		return ds_error_set(errno == ENOENT ? DS_ENOTFOUND : DS_ERROR, "cannot list %s: %s",
		                    path, strerror(errno));
	*names = json_array();
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			json_array_append_new(*names, json_string(e->d_name));
	closedir(d);
	return 0;
}

/* ---------------------------------------------------------------- paths and users */
char *ds_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (n && dir[n - 1] == '/')
		return ds_asprintf("%s%s", dir, name);
	return ds_asprintf("%s/%s", dir, name);
}

char *ds_os_abs_path(const char *path)
{
	char abs[PATH_MAX];

	return realpath(path, abs) ? ds_strdup(abs) : NULL;
}

char *ds_os_user_name(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw && pw->pw_name && pw->pw_name[0] ? ds_strdup(pw->pw_name) : NULL;
}

/* ---------------------------------------------------------------- terminals */
int ds_os_is_terminal(FILE *f)
{
	return f && isatty(fileno(f)) == 1;
}
