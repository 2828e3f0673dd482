/* error.c: the per-thread error message behind every DS_E* code, the SQLite adapter,
 * and the mapping from error codes to sysexits exit codes. */
#include "base/base.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char msg[1024];
static _Thread_local int last_code;

__attribute__((format(printf, 3, 0))) static int vset(int code, const char *prefix, const char *fmt,
                                                      va_list ap)
{
	char tmp[1024];
	size_t n;

	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	n = strlen(tmp);
	memcpy(msg, tmp, n + 1);
	if (prefix && prefix[0] && n + 2 < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %.*s", (int)(sizeof(msg) - n - 3), prefix);
	last_code = code;
	return code;
}

int ds_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int ds_error_wrap(int code, const char *fmt, ...)
{
	char old[1024];
	va_list ap;

	snprintf(old, sizeof(old), "%s", msg);
	va_start(ap, fmt);
	vset(code, old, fmt, ap);
	va_end(ap);
	return code;
}

const char *ds_error_msg(void)
{
	return msg[0] ? msg : "unknown error";
}

int ds_error_code(void)
{
	return last_code;
}

void ds_error_clear(void)
{
	msg[0] = '\0';
	last_code = 0;
}

int ds_error_sqlite(sqlite3 *db, int rc, const char *what)
{
	int code;
	const char *m = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = DS_ERETRY;
		break;
	case SQLITE_FULL:
		return ds_error_set(DS_ENOSPC, "%s: disk full (%s)", what, m);
	case SQLITE_CONSTRAINT:
		code = DS_EINVALID;
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
	case SQLITE_AUTH:
		code = DS_EPERM;
		break;
	case SQLITE_IOERR:
		/* SQLITE_IOERR_WRITE, _SHMSIZE (a -shm file that cannot grow) and friends are how
		 * a full disk often shows up: the OS error tells. */
		if (db && (sqlite3_system_errno(db) == ENOSPC ||
		           sqlite3_system_errno(db) == EDQUOT || sqlite3_system_errno(db) == EFBIG))
			return ds_error_set(DS_ENOSPC, "%s: disk full (%s: %s)", what, m,
			                    strerror(sqlite3_system_errno(db)));
		code = DS_ERROR;
		break;
	default:
		code = DS_ERROR;
	}
	return ds_error_set(code, "%s: %s", what, m);
}

int ds_exit_code(int err)
{
	switch (err) {
	case DS_OK:
		return 0;
	case DS_EUSAGE:
		return 64;
	case DS_EINVALID:
	case DS_ENOTFOUND:
	case DS_ECONFLICT:
	case DS_ETOOBIG:
		return 65;
	case DS_ERETRY:
	case DS_ENOSPC:
		return 75;
	case DS_EPERM:
		return 77;
	default:
		return 1;
	}
}

const char *ds_error_name(int err)
{
	switch (err) {
	case DS_OK:
		return "ok";
	case DS_EINVALID:
		return "invalid";
	case DS_ENOTFOUND:
		return "not-found";
	case DS_ECONFLICT:
		return "conflict";
	case DS_ERETRY:
		return "retry";
	case DS_EPERM:
		return "permission";
	case DS_EUSAGE:
		return "usage";
	case DS_ENOSPC:
		return "disk-full";
	case DS_ETOOBIG:
		return "too-big";
	default:
		return "error";
	}
}
