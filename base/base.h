/* base.h: the leaf primitives every dossync module shares.
 *
 * Errors (0 or a negative DS_E* code, message kept per thread), byte buffers with a
 * hard cap, SHA-256, time in RFC 3339 with the +07:00 offset, logging, canonical JSON and
 * NFC text normalisation, and careful file I/O. Nothing here knows about dossiers.
 */
#ifndef DOSSYNC_BASE_H
#define DOSSYNC_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <sqlite3.h>

/* ---------------------------------------------------------------- errors
 * Every fallible function returns 0 or one of these. The human message for the last
 * error of this thread is kept by ds_error_set() and read with ds_error_msg(). */
enum {
	DS_OK = 0,
	DS_ERROR = -1,     /* anything else: an internal or library failure */
	DS_EINVALID = -2,  /* bad input: nothing was written */
	DS_ENOTFOUND = -3, /* the thing named does not exist */
	DS_ECONFLICT = -4, /* a version or ownership conflict */
	DS_ERETRY = -5,    /* transient: network down, lock busy; try again later */
	DS_EPERM = -6,     /* permission refused (token, file mode) */
	DS_EUSAGE = -7,    /* the command line is wrong */
	DS_ENOSPC = -8,    /* the disk is full: nothing was written, try again later */
	DS_ETOOBIG = -9,   /* a size cap was reached */
};

/* Sets this thread's error message and returns code, so callers write
 * `return ds_error_set(DS_EINVALID, "...")`. */
int ds_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends context to the current message ("what: old message"); returns code. */
int ds_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message of this thread's last error; borrowed, valid until the next set. */
const char *ds_error_msg(void);
/* The code passed to the last ds_error_set on this thread. */
int ds_error_code(void);
void ds_error_clear(void);
/* Adapter for SQLite: maps rc (BUSY/LOCKED -> ERETRY, FULL -> ENOSPC, CONSTRAINT ->
 * EINVALID, READONLY/PERM/CANTOPEN -> EPERM, else ERROR) and sets the message. */
int ds_error_sqlite(sqlite3 *db, int rc, const char *what);
/* The sysexits exit code for an error code (0, 64, 65, 75, 77 or 1). */
int ds_exit_code(int err);
/* A short stable name for an error code ("invalid", "retry"...). */
const char *ds_error_name(int err);

/* ---------------------------------------------------------------- buffers
 * A growable byte buffer, always NUL-terminated, never NULL (an empty buffer points at a
 * static ""). max caps its length (0: no cap); growing past it fails with DS_ETOOBIG. */
typedef struct ds_buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
} ds_buf;

extern char ds_buf_empty[];
/* Initialiser macros stay one line each. */
/* clang-format off */
#define DS_BUF_INIT {ds_buf_empty, 0, 0, 0}
/* clang-format on */

void ds_buf_init(ds_buf *b, size_t max);
int ds_buf_grow(ds_buf *b, size_t extra);
int ds_buf_add(ds_buf *b, const void *p, size_t n);
int ds_buf_puts(ds_buf *b, const char *s);
/* Appends v in decimal (no printf: the codec builds a lookup key per value with it). */
int ds_buf_add_uint(ds_buf *b, uint64_t v);
int ds_buf_printf(ds_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ds_buf_reset(ds_buf *b);
/* Hands the bytes to the caller (free() them) and leaves b empty. */
char *ds_buf_detach(ds_buf *b, size_t *len);
void ds_buf_release(ds_buf *b);

/* ---------------------------------------------------------------- hashing */
#define DS_SHA256_HEX 65 /* 64 hex digits and a NUL */
void ds_sha256_hex(const void *p, size_t n, char out[DS_SHA256_HEX]);
/* SHA-256 over a then b, as one message. */
void ds_sha256_hex2(const void *a, size_t an, const void *b, size_t bn, char out[DS_SHA256_HEX]);
/* The SHA-256 of the whole file at path, streamed. DS_ENOTFOUND when absent, DS_ERROR
 * "cannot read PATH: why" when it cannot be read. */
int ds_sha256_file(const char *path, char out[DS_SHA256_HEX]);
/* Fills p with n cryptographically random bytes. */
int ds_random_bytes(void *p, size_t n);
void ds_hex(const void *p, size_t n, char *out /* 2n+1 */);

/* ---------------------------------------------------------------- time
 * Times are Unix seconds plus an offset in minutes east of UTC; text is RFC 3339 with
 * an explicit offset, "2024-04-14T07:00:00+07:00". Vietnam is +07:00 all year. */
#define DS_TZ_VN (7 * 60)
#define DS_TIME_LEN 64
int64_t ds_time_now(void);
/* Milliseconds from a monotonic clock, for intervals and timeouts. */
int64_t ds_clock_ms(void);
/* Parses RFC 3339 with a required offset (Z or +hh:mm); fractional seconds are
 * accepted and dropped. DS_EINVALID when malformed or out of range. */
int ds_time_parse(const char *s, int64_t *epoch, int *offset_min);
/* Formats epoch at the given offset; out holds DS_TIME_LEN bytes. */
void ds_time_format(int64_t epoch, int offset_min, char out[DS_TIME_LEN]);
/* The calendar date of epoch at offset, as y, m (1-12), d. */
void ds_time_date(int64_t epoch, int offset_min, int *y, int *m, int *d);
/* Days since 1970-01-01 of a proleptic Gregorian date (negative before it). */
int64_t ds_time_day_number(int64_t y, int m, int d);
/* The number of days in month m (1-12) of proleptic Gregorian year y. */
int ds_time_days_in_month(int64_t y, int m);

/* ---------------------------------------------------------------- logging */
enum { DS_LOG_ERROR, DS_LOG_WARN, DS_LOG_INFO, DS_LOG_DEBUG };
/* Where log lines go: stderr (default) or syslog with ident. */
void ds_log_open(int use_syslog, const char *ident, int level);
void ds_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 1 when lines of level are written (ds_log_open's level), to skip building them. */
int ds_log_enabled(int level);

/* ---------------------------------------------------------------- progress
 * Progress of long work (import, push, pull, history, verify) for whoever watches: a
 * person at a terminal gets one line redrawn in place ("import  1200/20000  6%  850/s
 * ETA 0:19"), an app gets one JSON object a line ({"event": "begin"|"progress"|"end",
 * "phase", "done", "total", "rate", "eta_s", "elapsed_s"}), anyone else nothing. Lines
 * are redrawn at most ten times a second and events sent at most twice a second; begin
 * and end always. A NULL reporter is silent, so work functions call it unconditionally. */
enum { DS_PROGRESS_NONE, DS_PROGRESS_LINE, DS_PROGRESS_JSON };
typedef struct ds_progress {
	FILE *out;
	int mode;          /* DS_PROGRESS_* */
	const char *phase; /* static text: "import", "push", ... */
	int64_t total;     /* 0: not known (no share, no ETA) */
	int64_t done;      /* units done in this phase */
	int64_t start_ms;  /* ds_clock_ms at begin */
	int64_t shown_ms;  /* when last drawn or sent */
} ds_progress;
/* Parses a --progress value: "auto" (a line when out is a terminal, else nothing),
 * "line" (always a line), "json" or "none". DS_EUSAGE for anything else. */
int ds_progress_mode(const char *s, FILE *out, int *mode);
/* Sets p up to report to out in mode. */
void ds_progress_init(ds_progress *p, FILE *out, int mode);
/* Starts a phase of total units (0: not known); phase must outlive the phase. */
void ds_progress_begin(ds_progress *p, const char *phase, int64_t total);
/* Counts n more units done, and shows them when it is time. */
void ds_progress_add(ds_progress *p, int64_t n);
/* Ends the phase: wipes the line, or sends the "end" event. */
void ds_progress_end(ds_progress *p);

/* ---------------------------------------------------------------- JSON and text */
/* A field path in a message ("applicant.name", "fees[2].amount"); longer ones are cut. */
#define DS_FIELD_PATH_MAX 512
/* Formats a field path into out, cut at DS_FIELD_PATH_MAX bytes (it only labels a
 * message, so a cut is harmless). */
void ds_field_pathf(char out[DS_FIELD_PATH_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Parses n bytes of JSON text into *out (caller decrefs). Any JSON value is accepted;
 * invalid JSON or invalid UTF-8 gives DS_EINVALID with line and column. */
int ds_json_parse(const char *s, size_t n, json_t **out);
/* The same, quicker on the compact text ds_json_canonical writes (json_fast.c): the same
 * values and the same errors for any text, for the hot paths that read back what dossync
 * writes (the journal's payloads, the wire's documents). */
int ds_json_parse_fast(const char *s, size_t n, json_t **out);
/* The canonical bytes of v: keys sorted, no spaces, UTF-8 unescaped. The same value
 * always gives the same bytes. *out is the caller's to free(). */
int ds_json_canonical(const json_t *v, char **out, size_t *len);
/* The byte count of v's canonical JSON, without building it (no allocation). */
int ds_json_canonical_size(const json_t *v, size_t *len);
/* Writes v's canonical bytes into buf (no NUL) when they fit in cap bytes; *len gets
 * their count either way (more than cap: nothing useful in buf). No allocation. */
int ds_json_canonical_buf(const json_t *v, char *buf, size_t cap, size_t *len);
/* True when a and b have the same canonical bytes. */
int ds_json_same(const json_t *a, const json_t *b);
/* RFC 7396 JSON merge patch: applies patch to *target in place (target may be
 * replaced; the caller holds the reference stored in *target afterwards). */
int ds_json_merge_patch(json_t **target, const json_t *patch);
/* The merge patch that turns from into to (NULL-free inputs; objects recurse, everything
 * else is replaced whole). *out is the caller's; an empty object means no change. */
int ds_json_diff(const json_t *from, const json_t *to, json_t **out);
/* Normalises s to Unicode NFC. DS_EINVALID when s is not valid UTF-8. *out: free(). */
int ds_text_nfc(const char *s, char **out);
/* The search key of s: case folded, marks removed, đ/Đ as d, runs of white space as one
 * space and none at either end ("  Nguyễn  VĂN Ân " -> "nguyen van an"), so a clerk
 * finds a name typed without diacritics. DS_EINVALID when s is not valid UTF-8.
 * *out: free(). */
int ds_text_fold(const char *s, char **out);
/* Normalises every string and key inside *v to NFC: *v is kept when it is NFC already and
 * no part of it is shared, else replaced by a normalised copy (base/text.c). */
int ds_json_nfc(json_t **v);

/* ---------------------------------------------------------------- files */
/* Reads a whole file ("-" is standard input) into out, at most max bytes (0: 64 MiB). */
int ds_file_read(const char *path, size_t max, ds_buf *out);
/* Atomic writes, folders, paths, locks, signals and the system log: the platform layer. */
#include "base/os.h"

/* ---------------------------------------------------------------- sqlite helpers */
/* Opens a database in WAL mode with synchronous=FULL, foreign keys on and a busy
 * timeout; flags are sqlite3_open_v2 flags. */
int ds_db_open(const char *path, int flags, sqlite3 **out);
/* Runs SQL without results (one or many statements). */
int ds_db_exec(sqlite3 *db, const char *sql);
/* Prepares sql; on failure sets the error and returns it. */
int ds_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out);
int ds_db_begin(sqlite3 *db); /* BEGIN IMMEDIATE */
int ds_db_commit(sqlite3 *db);
void ds_db_rollback(sqlite3 *db); /* safe to call when no transaction is open */

/* Small helpers used all over: malloc that aborts on exhaustion, strdup likewise. */
void *ds_malloc(size_t n);
void *ds_calloc(size_t n, size_t sz);
void *ds_realloc(void *p, size_t n);
char *ds_strdup(const char *s);
char *ds_strndup(const char *s, size_t n);
char *ds_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define DS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- NFC, strict (text.c)
 * A new reference to an NFC version of v in *out: v itself when every string and key is
 * NFC already and no part of v is held by anyone else (ds_json_nfc keeps *v likewise),
 * else a fresh normalised copy; v is never changed. DS_EINVALID, naming the field path
 * ("applicant.name: text is not valid UTF-8"), for text holding a NUL character or invalid
 * UTF-8. */
int ds_json_nfc_strict(const json_t *v, json_t **out);
/* 1 when every string and key of v is NFC already and free of NUL, whoever else holds v
 * or its parts (nothing is copied or changed). */
int ds_json_nfc_is(const json_t *v);

#endif
