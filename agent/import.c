/* import.c: bulk import (`dossync import`): each JSON line of a register becomes a new
 * dossier through the same create path as agent_create, so each is a proper journal entry
 * (code allocated or claimed, validated, hash-chained), and a bad line names its number.
 *
 * The whole file is one write transaction. That is what keeps "nothing of a bad file is
 * written" true even across a crash or a full disk: the journal is append-only (its
 * triggers refuse DELETE), so a file split over several commits could never be taken back
 * if a later part failed at write time, and no validation pass can foresee every write
 * failure. Memory stays bounded all the same: each line's JSON is freed before the next,
 * and SQLite keeps only its page cache in memory, spilling the transaction's dirty pages
 * to the WAL file as it grows. The cost is a WAL as large as the import until the next
 * checkpoint, and the writer lock held for the import's duration (readers go on).
 */
#include "agent/agent_int.h"

#include <string.h>

struct import_run {
	const char *text;
	size_t len;
	int64_t count;
};

static int blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* The lines of text, the last one counted when it has no newline. */
static int64_t line_count(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int64_t n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		n++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

/* Records one line (without its newline) as a new dossier; errors name the line. */
static int import_line(agent *a, const char *line, size_t n, long lineno)
{
	char code[SCHEMA_CODE_MAX];
	json_error_t e;
	json_t *d;
	int rc;

	d = json_loadb(line, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	if (!d)
		return ds_error_set(DS_EINVALID, "line %ld: invalid JSON at column %d: %s", lineno,
		                    e.column, e.text);
	if (!json_is_object(d)) {
		json_decref(d);
		return ds_error_set(DS_EINVALID, "line %ld: a dossier is a JSON object", lineno);
	}
	rc = agent_create_local(a, d, code, NULL);
	json_decref(d);
	if (rc)
		return ds_error_wrap(rc, "line %ld", lineno);
	return 0;
}

static int import_tx(agent *a, void *arg)
{
	struct import_run *r = arg;
	const char *p = r->text, *end = r->text + r->len;
	long lineno = 0;
	int rc = 0;

	while (!rc && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		lineno++;
		if (!blank(p, n)) {
			rc = import_line(a, p, n, lineno);
			r->count += !rc;
		}
		ds_progress_add(a->progress, 1);
		p += n + (nl != NULL);
	}
	return rc;
}

int agent_import(agent *a, const char *text, size_t len, int64_t *count)
{
	struct import_run r = {text, len, 0};
	int rc;

	if (count)
		*count = 0;
	if (!a || (!text && len))
		return ds_error_set(DS_EINVALID, "import: no text");
	ds_progress_begin(a->progress, "import", line_count(text, len));
	rc = agent_tx(a, import_tx, &r);
	ds_progress_end(a->progress);
	if (!rc && count)
		*count = r.count;
	return rc;
}
