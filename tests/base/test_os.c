/* test_os.c: units for the platform layer (base/os.h): a file lock excludes a second
 * holder and names the first one's pid, a probe sees a held lock without taking it, a
 * sleep lasts its time, the stop and reload signals reach their handlers
 * (and a blocked stop is taken by ds_os_stop_wait), atomic writes leave one file and no
 * temporary, durable moves, folders made, listed, measured and removed, paths joined and
 * made absolute. Written against the header only, so a Windows build runs it unchanged. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base.h"

static char *scratch(void)
{
	char *dir = ds_strdup("/tmp/dsos-test-XXXXXX");

	if (!mkdtemp(dir))
		fail_msg("mkdtemp failed");
	return dir;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The names in dir, sorted and joined by spaces ("" when empty). */
static char *listing(const char *dir)
{
	json_t *names = NULL;
	const char *sorted[16];
	ds_buf b = DS_BUF_INIT;
	size_t i, n;

	assert_int_equal(ds_os_list_dir(dir, &names), 0);
	n = json_array_size(names);
	assert_true(n <= 16);
	for (i = 0; i < n; i++)
		sorted[i] = json_string_value(json_array_get(names, i));
	qsort(sorted, n, sizeof(*sorted), by_name);
	for (i = 0; i < n; i++) {
		if (i)
			ds_buf_puts(&b, " ");
		ds_buf_puts(&b, sorted[i]);
	}
	json_decref(names);
	return ds_buf_detach(&b, NULL);
}

static void lock_excludes(void **state)
{
	char *dir = scratch(), *p = ds_path_join(dir, "lock");
	int fd = -1, fd2 = -1;
	long holder = -1;

	(void)state;
	assert_int_equal(ds_os_lock_file(p, 0, &fd, NULL), 0);
	assert_true(fd >= 0);
	assert_int_equal(ds_os_lock_file(p, 120, &fd2, &holder), DS_ERETRY);
	assert_int_equal(fd2, -1);
	assert_int_equal(holder, ds_os_pid());
	ds_os_unlock_file(&fd);
	assert_int_equal(fd, -1);
	ds_os_unlock_file(&fd); /* a second release is a no-op */
	assert_int_equal(ds_os_lock_file(p, 0, &fd2, &holder), 0);
	assert_int_equal(holder, 0);
	ds_os_unlock_file(&fd2);
	free(p);
	p = ds_path_join(dir, "no/such/folder/lock");
	assert_true(ds_os_lock_file(p, 0, &fd, NULL) < 0);
	assert_non_null(strstr(ds_error_msg(), "cannot open"));
	assert_int_equal(ds_os_remove_tree(dir), 0);
	free(p);
	free(dir);
}

static volatile sig_atomic_t stopped, reloaded;

static void on_stop(int sig)
{
	stopped = sig;
}

static void on_reload(int sig)
{
	reloaded = sig;
}

/* A probe sees a lock held by another handle (here, this process's own) and its pid,
 * takes nothing, creates no file, and names a file it cannot open. */
static void lock_probe_sees_holder(void **state)
{
	char *dir = scratch(), *p = ds_path_join(dir, "daemon.lock"), *bad;
	ds_buf b = DS_BUF_INIT;
	int fd = -1, held = -1;
	long holder = -1;

	(void)state;
	assert_int_equal(ds_os_lock_probe(p, &held, &holder), 0);
	assert_int_equal(held, 0);
	assert_int_equal(holder, 0);
	assert_int_equal(ds_file_read(p, 0, &b), DS_ENOTFOUND); /* the probe made no file */
	assert_int_equal(ds_os_lock_file(p, 0, &fd, NULL), 0);
	assert_int_equal(ds_os_lock_probe(p, &held, &holder), 0);
	assert_int_equal(held, 1);
	assert_int_equal(holder, ds_os_pid());
	ds_os_unlock_file(&fd);
	assert_int_equal(ds_os_lock_probe(p, &held, &holder), 0);
	assert_int_equal(held, 0);
	assert_int_equal(ds_os_lock_file(p, 0, &fd, NULL), 0); /* the probe left it free */
	ds_os_unlock_file(&fd);
	bad = ds_path_join(p, "x"); /* under a file: not a folder */
	assert_int_equal(ds_os_lock_probe(bad, &held, &holder), DS_ERROR);
	assert_non_null(strstr(ds_error_msg(), "cannot open"));
	assert_int_equal(ds_os_remove_tree(dir), 0);
	free(bad);
	free(p);
	free(dir);
}

/* The sleep lasts its time (the daemon's tick; a stop signal ending it early is
 * e2e.daemon.basic's stop). */
static void sleep_waits(void **state)
{
	int64_t t0 = ds_clock_ms(), waited;

	(void)state;
	ds_os_sleep_ms(60);
	waited = ds_clock_ms() - t0;
	assert_true(waited >= 55);
	assert_true(waited < 5000);
}

static void signals_reach_handlers(void **state)
{
	(void)state;
	ds_os_on_signals(on_stop, on_reload);
	raise(SIGTERM);
	assert_int_equal(stopped, SIGTERM);
	raise(SIGINT);
	assert_int_equal(stopped, SIGINT);
	raise(SIGHUP);
	assert_int_equal(reloaded, SIGHUP);
	raise(SIGPIPE); /* ignored: the test goes on */
	stopped = 0;
	ds_os_stop_block();
	raise(SIGTERM); /* blocked: pending, not handled */
	assert_int_equal(stopped, 0);
	assert_int_equal(ds_os_stop_wait(), SIGTERM);
	ds_os_stop_unblock();
	assert_int_equal(stopped, 0);
}

static void files_and_folders(void **state)
{
	char *dir = scratch(), *a = ds_path_join(dir, "a"), *deep = ds_path_join(a, "b/c");
	char *f = ds_path_join(a, "f"), *moved = ds_path_join(dir, "moved"), *s;
	ds_buf got = DS_BUF_INIT;
	json_t *names = NULL;
	uint64_t bytes = 0;

	(void)state;
	assert_int_equal(ds_mkdirs(deep, 0700), 0);
	assert_int_equal(ds_mkdirs(deep, 0700), 0); /* already there */
	assert_int_equal(ds_file_write_atomic(f, "one", 3, 0600), 0);
	assert_int_equal(ds_file_write_atomic(f, "second", 6, 0600), 0);
	assert_int_equal(ds_file_read(f, 0, &got), 0);
	assert_string_equal(got.ptr, "second");
	s = listing(a);
	assert_string_equal(s, "b f"); /* no temporary left beside it */
	free(s);
	assert_int_equal(ds_os_tree_size(dir, &bytes), 0);
	assert_int_equal(bytes, 6);
	assert_int_equal(ds_os_rename_durable(a, moved), 0);
	s = listing(dir);
	assert_string_equal(s, "moved");
	free(s);
	assert_int_equal(ds_os_rename_durable(a, moved), DS_ERROR);
	assert_non_null(strstr(ds_error_msg(), "cannot move"));
	assert_int_equal(ds_os_remove_tree(dir), 0);
	assert_int_equal(ds_os_list_dir(dir, &names), DS_ENOTFOUND);
	assert_null(names);
	assert_int_equal(ds_os_remove_tree(dir), 0); /* already gone */
	ds_buf_release(&got);
	free(dir);
	free(a);
	free(deep);
	free(f);
	free(moved);
}

/* Two files written together: both there with their bytes, no temporary left; a second
 * file that cannot be written leaves neither (and no temporary). */
static void two_files_at_once(void **state)
{
	char *dir = scratch(), *p1 = ds_path_join(dir, "x.pack"), *p2 = ds_path_join(dir, "x.idx");
	char *bad = ds_path_join(dir, "no/such/x.idx"), *s;
	ds_buf got = DS_BUF_INIT;

	(void)state;
	assert_int_equal(ds_file_write_atomic2(p1, "pack", 4, p2, "index", 5, 0444), 0);
	assert_int_equal(ds_file_read(p1, 0, &got), 0);
	assert_string_equal(got.ptr, "pack");
	ds_buf_reset(&got);
	assert_int_equal(ds_file_read(p2, 0, &got), 0);
	assert_string_equal(got.ptr, "index");
	s = listing(dir);
	assert_string_equal(s, "x.idx x.pack");
	free(s);
	assert_int_equal(ds_os_remove(p1), 0);
	assert_int_equal(ds_os_remove(p2), 0);
	assert_int_not_equal(ds_file_write_atomic2(p1, "pack", 4, bad, "index", 5, 0444), 0);
	s = listing(dir);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(ds_os_remove_tree(dir), 0);
	ds_buf_release(&got);
	free(dir);
	free(p1);
	free(p2);
	free(bad);
}

static void paths(void **state)
{
	char *dir = scratch(), *j = ds_path_join(dir, "x/../f"), *f = ds_path_join(dir, "f");
	char *abs_dir = ds_os_abs_path(dir), *want = ds_path_join(abs_dir, "f"), *abs, *s;

	(void)state;
	s = ds_path_join("a/", "b");
	assert_string_equal(s, "a/b");
	free(s);
	s = ds_path_join("a", "b");
	assert_string_equal(s, "a/b");
	free(s);
	assert_null(ds_os_abs_path(f)); /* not there yet */
	assert_int_equal(ds_file_write_atomic(f, "x", 1, 0600), 0);
	s = ds_path_join(dir, "x");
	assert_int_equal(ds_mkdirs(s, 0700), 0);
	free(s);
	abs = ds_os_abs_path(j);
	assert_non_null(abs);
	assert_string_equal(abs, want);
	assert_int_equal(ds_os_remove_tree(dir), 0);
	free(abs);
	free(abs_dir);
	free(want);
	free(dir);
	free(j);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(lock_excludes),
	    cmocka_unit_test(lock_probe_sees_holder),
	    cmocka_unit_test(sleep_waits),
	    cmocka_unit_test(signals_reach_handlers),
	    cmocka_unit_test(files_and_folders),
	    cmocka_unit_test(two_files_at_once),
	    cmocka_unit_test(paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
