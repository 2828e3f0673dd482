/* os.h: the platform layer. Everything dossync asks of the operating system that POSIX and
 * Windows do differently sits behind these functions: file locks with a holder pid, stop
 * and reload signals, the system log, durable file replacement, folders and paths. The
 * POSIX implementation is base/os_posix.c; docs/PORTING.md says what each function becomes
 * on Windows. New code calls these, never flock, sigaction, syslog, fsync, rename,
 * getpwuid, realpath or opendir itself. Included by base/base.h.
 */
#ifndef DOSSYNC_BASE_OS_H
#define DOSSYNC_BASE_OS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The DS_E* code of an errno value (ENOSPC: DS_ENOSPC, EACCES: DS_EPERM, ENOENT:
 * DS_ENOTFOUND, else DS_ERROR). */
int ds_os_errno_code(int e);
/* This process's id. */
long ds_os_pid(void);
/* Sleeps ms milliseconds; a signal handled by ds_os_on_signals ends it early. */
void ds_os_sleep_ms(int ms);

/* ---------------------------------------------------------------- file locks
 * An exclusive lock on a file that the holder keeps open; it goes with the process (a
 * crashed holder releases it). The file holds the holder's pid, for messages only. */
/* Opens (creating, mode 0600) and locks path, retrying every 50 ms for up to wait_ms;
 * *fd_out gets the handle (-1 on failure). DS_ERETRY without a message when another
 * process holds it (*holder, may be NULL, gets that pid, 0 when unknown); DS_EPERM or
 * DS_ERROR "cannot open PATH: why" when the file cannot be opened. */
int ds_os_lock_file(const char *path, int wait_ms, int *fd_out, long *holder);
/* Releases and closes a lock taken by ds_os_lock_file; *fd becomes -1 (no-op when -1). */
void ds_os_unlock_file(int *fd);
/* Whether a process holds the lock on path, without taking it or creating the file:
 * *held 1 and *holder the pid written in the file (0 when unknown), or *held 0 (also when
 * path does not exist). DS_ERROR "cannot open PATH: why" when the file is there but
 * cannot be opened. */
int ds_os_lock_probe(const char *path, int *held, long *holder);

/* ---------------------------------------------------------------- signals
 * Stop: SIGTERM and SIGINT (a service stop or Ctrl-C); reload: SIGHUP. */
/* Installs handlers that only record: on_stop for a stop, on_reload for a reload (NULL:
 * left alone). A blocking wait the process is in (a sleep, a poll) ends early. A peer
 * that closes a socket never kills the process (SIGPIPE ignored). */
void ds_os_on_signals(void (*on_stop)(int), void (*on_reload)(int));
/* For a threaded server: blocks the stop signals in the calling thread and every thread
 * it starts after, so that ds_os_stop_wait takes them; one per process at a time. */
void ds_os_stop_block(void);
/* Waits for a stop signal blocked by ds_os_stop_block and returns its number. */
int ds_os_stop_wait(void);
/* Restores the signal mask ds_os_stop_block changed. */
void ds_os_stop_unblock(void);

/* ---------------------------------------------------------------- system log */
/* Opens the system log under ident (with the pid, facility daemon). */
void ds_os_syslog_open(const char *ident);
/* Sends one line at a DS_LOG_* level. */
void ds_os_syslog(int level, const char *line);

/* ---------------------------------------------------------------- files and folders */
/* Writes a file safely: a temporary name beside it, flushed to disk, moved over path,
 * the folder flushed, so a crash leaves either the old file or the new one. */
int ds_file_write_atomic(const char *path, const void *p, size_t n, int mode);
/* Two files of one folder written as ds_file_write_atomic does, both flushed before either
 * is moved into place (path1 first) and the folder flushed once at the end: a crash leaves
 * neither new file, path1 alone, or both. */
int ds_file_write_atomic2(const char *path1, const void *p1, size_t n1, const char *path2,
                          const void *p2, size_t n2, int mode);
/* Moves the file or folder from onto the name to (which must not be a non-empty folder),
 * flushing the folders of both, so the move survives a power cut. DS_ENOSPC, DS_EPERM or
 * DS_ERROR "cannot move FROM to TO: why". */
int ds_os_rename_durable(const char *from, const char *to);
/* Writes n bytes of p into path at offset at, cutting the file to at bytes first (so a
 * tail a crash left behind goes), creating it with mode 0600 when absent, then flushes
 * the file to disk (and its folder when it was created). The piece is durable on return.
 * DS_ENOSPC, DS_EPERM or DS_ERROR "cannot write PATH: why". */
int ds_os_write_at(const char *path, int64_t at, const void *p, size_t n);
/* Reads at most n bytes of path from offset at into out (appended). DS_ENOTFOUND when the
 * file is absent. */
int ds_os_read_at(const char *path, int64_t at, size_t n, ds_buf *out);
/* The size of the file path in *size. DS_ENOTFOUND when it is absent. */
int ds_os_file_size(const char *path, int64_t *size);
/* Removes the file path; 0 when it is gone (or was never there). */
int ds_os_remove(const char *path);
/* mkdir -p with the given mode. */
int ds_mkdirs(const char *path, int mode);
/* Removes path and everything under it; 0 when it is gone (or was never there). */
int ds_os_remove_tree(const char *path);
/* The bytes of the files under path (links not followed), in *bytes. DS_ERROR "cannot
 * walk PATH" when it cannot be read. */
int ds_os_tree_size(const char *path, uint64_t *bytes);
/* The names in folder path (without "." and ".."), as a new array of strings in no set
 * order. DS_ENOTFOUND when path does not exist; DS_ERROR when it cannot be read. */
int ds_os_list_dir(const char *path, json_t **names);

/* ---------------------------------------------------------------- paths and users */
/* Joins dir and name into a malloc'd path. */
char *ds_path_join(const char *dir, const char *name);
/* The absolute path of an existing file, links resolved (malloc'd), or NULL when it
 * cannot be read. */
char *ds_os_abs_path(const char *path);
/* The account name this process runs as (malloc'd), or NULL when it has none. */
char *ds_os_user_name(void);

/* ---------------------------------------------------------------- terminals */
/* 1 when f is a terminal (a person watches it), else 0. */
int ds_os_is_terminal(FILE *f);

#endif
